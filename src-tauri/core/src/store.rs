//! The account store: one SQLite file (sqlx, migrations) with accounts, balance samples and activity.

use std::path::Path;
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{FromRow, SqlitePool};

use crate::clock::Millis;
use crate::error::{Error, Result};

mod grants;
mod group;
mod history;

pub use grants::GrantRow;
use group::{Arg, GroupCommit, GroupRead, Write};

/// Where an account stands, as the person sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "lowercase")]
#[ts(export)]
pub enum Status {
    Fresh,
    Refreshing,
    Retrying,
    /// The provider no longer accepts the credentials: sign in again.
    Reauth,
    /// Provider set-up is wrong (client id/secret, redirect URI).
    Setup,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Fresh => "fresh",
            Status::Refreshing => "refreshing",
            Status::Retrying => "retrying",
            Status::Reauth => "reauth",
            Status::Setup => "setup",
        }
    }
    pub fn parse(s: &str) -> Status {
        match s {
            "refreshing" => Status::Refreshing,
            "retrying" => Status::Retrying,
            "reauth" => Status::Reauth,
            "setup" => Status::Setup,
            _ => Status::Fresh,
        }
    }
    /// Whether the scheduler keeps refreshing an account in this state.
    pub fn is_active(self) -> bool {
        matches!(self, Status::Fresh | Status::Refreshing | Status::Retrying)
    }
}

#[derive(Debug, Clone, FromRow)]
pub struct AccountRow {
    pub id: i64,
    pub provider: String,
    pub provider_kind: String,
    pub subject: String,
    pub display_name: String,
    pub email: Option<String>,
    pub avatar_url: Option<String>,
    pub profile_json: String,
    pub scopes: Option<String>,
    pub status: String,
    pub status_code: Option<String>,
    pub status_message: Option<String>,
    pub access_expires_at: Option<i64>,
    pub refresh_expires_at: Option<i64>,
    pub access_lifetime_ms: Option<i64>,
    pub last_refresh_at: Option<i64>,
    pub next_refresh_at: Option<i64>,
    pub failure_streak: i64,
    pub failing_since: Option<i64>,
    pub alerted: i64,
    pub token_gen: i64,
    /// A generation being written and not pointed at yet (see `credentials`).
    pub pending_gen: Option<i64>,
    /// A replaced generation not deleted from the keyring yet (see `credentials`).
    pub stale_gen: Option<i64>,
    pub refresh_gen: i64,
    pub refresh_in_doubt: i64,
    pub created_at: i64,
    pub updated_at: i64,
    /// When the person last completed a sign-in for it.
    pub signed_in_at: Option<i64>,
    /// Alert when the balance falls below this many quota units (see `billing`).
    pub low_balance_below: Option<i64>,
    /// The balance is below that threshold and the alert was shown.
    pub low_balance_alerted: i64,
}

impl AccountRow {
    pub fn status(&self) -> Status {
        Status::parse(&self.status)
    }
    /// "name <email> (provider)" — how activity entries and messages name an account.
    pub fn label(&self) -> String {
        match &self.email {
            Some(e) if !e.is_empty() && *e != self.display_name => {
                format!("{} <{}> ({})", self.display_name, e, self.provider)
            }
            _ => format!("{} ({})", self.display_name, self.provider),
        }
    }
}

/// Profile fields written at sign-in and profile refresh.
#[derive(Debug, Clone, Default)]
pub struct ProfileFields {
    pub display_name: String,
    pub email: Option<String>,
    pub avatar_url: Option<String>,
    pub profile_json: String,
}

/// Token timing written after a successful sign-in or refresh (the tokens go to the vault).
#[derive(Debug, Clone, Copy)]
pub struct TokenTiming {
    pub token_gen: i64,
    pub access_expires_at: Option<Millis>,
    pub refresh_expires_at: Option<Millis>,
    pub access_lifetime_ms: Option<i64>,
    pub next_refresh_at: Option<Millis>,
}

/// One line of the activity log: sign-ins, refreshes, removals and their outcomes. Never a secret.
#[derive(Debug, Clone, Serialize, FromRow, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
#[ts(export, rename = "ActivityView")]
pub struct ActivityRow {
    pub id: i64,
    pub at: i64,
    pub account_id: Option<i64>,
    pub account: Option<String>,
    #[ts(as = "crate::activity::ActivityKind")]
    pub kind: String,
    #[ts(as = "crate::activity::ActivityOutcome")]
    pub outcome: String,
    pub code: Option<String>,
    pub message: Option<String>,
    /// How many times this happened: refusals repeated within a few minutes are one line.
    pub count: i64,
}

#[derive(Debug, Clone, Serialize, FromRow)]
#[serde(rename_all = "camelCase")]
pub struct BalanceSample {
    pub sampled_at: i64,
    pub quota: Option<i64>,
    pub used_quota: Option<i64>,
    pub formatted: Option<String>,
}

/// The activity lines kept: about a week of 1,000 accounts refreshing every hour or so.
pub const ACTIVITY_CAP: i64 = 200_000;

#[derive(Clone, Debug)]
pub struct Store {
    pool: SqlitePool,
    writer: SqlitePool,
    /// The refresh path's writes, committed in groups on the writer connection.
    group: GroupCommit,
    /// Reads of one account, grouped on the reading connections.
    reads: GroupRead,
    checkpoints: Arc<Checkpoints>,
    options: SqliteConnectOptions,
    /// Activity lines written by this process (pruning runs every 256th).
    activity_writes: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

/// The write-ahead log is copied back into the database when a batch of work ends (a storm, a
/// refresh, a sign-in) after at least this many writes of this process…
pub const CHECKPOINT_AFTER_WORK: u64 = 64;
/// …and in any case after this many, in the middle of a storm (a log of some 8–25 MB, cut back
/// to 4 MB once reused).
pub const CHECKPOINT_AT_MOST: u64 = 2048;

/// This process's writes since its last checkpoint, and whether one is under way.
#[derive(Debug, Default)]
struct Checkpoints {
    writes: AtomicU64,
    running: AtomicBool,
}

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

impl Store {
    /// Opens (creating if needed) the database file and brings its schema up to date.
    /// WAL and a busy timeout let the app and `signetctl` use the same file at once.
    pub async fn open(path: &Path) -> Result<Store> {
        if let Some(dir) = path.parent() {
            crate::private_fs::create_dir(dir)?;
        }
        // Created private before SQLite opens it: SQLite gives the WAL and shared-memory files
        // the database file's own mode.
        crate::private_fs::open_file(path, false).map_err(|e| {
            Error::new(
                crate::ErrorCode::Storage,
                format!("Cannot open the database {} ({e}).", path.display()),
            )
        })?;
        let options = SqliteConnectOptions::from_str("sqlite:")?
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // NORMAL in WAL mode survives an app crash; a power cut may lose the last commit,
            // which the vault's generation recovery (refresh.rs) repairs.
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(15))
            .foreign_keys(true)
            // This process checkpoints beside its writes instead (see `Store::work_done`).
            .pragma("wal_autocheckpoint", "0")
            .pragma("journal_size_limit", "4194304");
        // SQLite has no migration lock of its own (sqlx's is a no-op there): two processes
        // opening a new file at once would both run migration 1. One upgrades; the other waits.
        let mut lock_path = path.as_os_str().to_owned();
        lock_path.push(".upgrade.lock");
        let upgrading = crate::lock::lock_file(
            Path::new(&lock_path),
            Duration::from_secs(60),
            "another Signet process is upgrading the database",
            "Another Signet process has been upgrading the database for over a minute. Quit it and try again.",
        )
        .await?;
        // A connection to a local file does not go stale: the pool's default test before each
        // acquire (a `ping` round trip to the connection's thread) would double the round trips
        // of a one-statement query, and of every grouped write.
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .test_before_acquire(false)
            .connect_with(options.clone())
            .await?;
        MIGRATOR.run(&pool).await?;
        drop(upgrading);
        // Every write of this process goes through one connection, so two of its writes never
        // meet at SQLite's write lock: there SQLite's busy handler sleeps a millisecond or more
        // per collision, and a storm of 1,000 refreshes collides constantly. Reads keep the
        // pool (WAL readers never wait for the writer).
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .test_before_acquire(false)
            .connect_with(
                options
                    .clone()
                    .statement_cache_capacity(group::WRITER_STATEMENTS),
            )
            .await?;
        Ok(Store {
            group: GroupCommit::start(writer.clone()),
            reads: GroupRead::start(pool.clone()),
            pool,
            writer,
            checkpoints: Default::default(),
            options,
            activity_writes: Default::default(),
        })
    }

    /// A connection of its own, outside the pool (to watch for other processes' commits).
    pub async fn dedicated_connection(&self) -> Result<sqlx::SqliteConnection> {
        use sqlx::ConnectOptions;
        Ok(self.options.connect().await?)
    }

    /// The connections for reading.
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// The one connection this process writes with.
    pub fn writer(&self) -> &SqlitePool {
        let n = self.checkpoints.writes.fetch_add(1, Ordering::Relaxed) + 1;
        if n >= CHECKPOINT_AT_MOST {
            let _ = self.checkpoint_beside();
        }
        &self.writer
    }

    /// Runs `write` on the writer connection in one transaction with the writes queued beside it
    /// (see [`group`]): for the statements a storm makes per account.
    async fn grouped(&self, sql: &'static str, args: Vec<Arg>) -> Result<()> {
        let _ = self.writer();
        self.group.write(Write::new(sql, args)).await
    }

    /// (transactions, writes) of the grouped writes since the store opened: how well a storm's
    /// writes were gathered.
    pub fn grouped_counts(&self) -> (u64, u64) {
        self.group.counts()
    }

    /// A batch of work ended: the write-ahead log is copied back into the database if this
    /// process wrote [`CHECKPOINT_AFTER_WORK`] times since the last copy. SQLite's automatic
    /// checkpoint is off: it runs inside a commit every ~1,000 pages, fsyncs included, and holds
    /// up every write queued behind it (a third of a 1,000-account storm's time, measured by
    /// `refresh_many`).
    /// Returns the checkpoint's task, if one was started.
    pub fn work_done(&self) -> Option<tokio::task::JoinHandle<()>> {
        if self.checkpoints.writes.load(Ordering::Relaxed) >= CHECKPOINT_AFTER_WORK {
            return self.checkpoint_beside();
        }
        None
    }

    /// Starts a checkpoint (one at a time, if a runtime runs) as a task of its own. It takes the
    /// writer connection at its turn: writes wait for it once, and it always completes (a copy
    /// beside a stream of writes never catches up, and the log would never be reused).
    fn checkpoint_beside(&self) -> Option<tokio::task::JoinHandle<()>> {
        let runtime = tokio::runtime::Handle::try_current().ok()?;
        if self.checkpoints.running.swap(true, Ordering::AcqRel) {
            return None;
        }
        self.checkpoints.writes.store(0, Ordering::Relaxed);
        let (pool, checkpoints) = (self.writer.clone(), self.checkpoints.clone());
        Some(runtime.spawn(async move {
            if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                .execute(&pool)
                .await
            {
                tracing::info!(error = %e, "database checkpoint postponed");
            }
            checkpoints.running.store(false, Ordering::Release);
        }))
    }

    pub async fn close(&self) {
        self.writer.close().await;
        self.pool.close().await;
    }

    /// The account `id` (read in one query with the reads queued beside it: `store/group.rs`).
    pub async fn get(&self, id: i64) -> Result<Option<AccountRow>> {
        self.reads.get(id).await
    }

    pub async fn require(&self, id: i64) -> Result<AccountRow> {
        self.get(id)
            .await?
            .ok_or_else(|| Error::not_found(format!("There is no account {id}.")))
    }

    pub async fn find_subject(&self, provider: &str, subject: &str) -> Result<Option<AccountRow>> {
        Ok(
            sqlx::query_as("SELECT * FROM accounts WHERE provider = ? AND subject = ?")
                .bind(provider)
                .bind(subject)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// One account's (id, token generation), if there is any account: the keyring entry the
    /// start-up probe reads.
    pub async fn some_account_tokens(&self) -> Result<Option<(i64, i64)>> {
        Ok(
            sqlx::query_as("SELECT id, token_gen FROM accounts ORDER BY id LIMIT 1")
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// How many accounts each provider has (one query, whatever their number).
    pub async fn count_by_provider(&self) -> Result<std::collections::HashMap<String, u32>> {
        let rows: Vec<(String, i64)> =
            sqlx::query_as("SELECT provider, COUNT(*) FROM accounts GROUP BY provider")
                .fetch_all(&self.pool)
                .await?;
        Ok(rows
            .into_iter()
            .map(|(p, n)| (p, u32::try_from(n).unwrap_or(u32::MAX)))
            .collect())
    }

    pub async fn list(&self) -> Result<Vec<AccountRow>> {
        Ok(
            sqlx::query_as("SELECT * FROM accounts ORDER BY provider, display_name, id")
                .fetch_all(&self.pool)
                .await?,
        )
    }

    /// Inserts a new account or, for a known (provider, subject), updates its profile.
    /// Returns the id and whether it was new.
    pub async fn upsert_account(
        &self,
        provider: &str,
        kind: &str,
        subject: &str,
        profile: &ProfileFields,
        scopes: Option<&str>,
        now: Millis,
    ) -> Result<(i64, bool)> {
        if let Some(existing) = self.find_subject(provider, subject).await? {
            self.update_profile(existing.id, profile, now).await?;
            sqlx::query(
                "UPDATE accounts SET scopes = COALESCE(?, scopes), signed_in_at = ? WHERE id = ?",
            )
            .bind(scopes)
            .bind(now)
            .bind(existing.id)
            .execute(self.writer())
            .await?;
            return Ok((existing.id, false));
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO accounts (provider, provider_kind, subject, display_name, email, avatar_url,
                 profile_json, scopes, created_at, updated_at, signed_in_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        )
        .bind(provider)
        .bind(kind)
        .bind(subject)
        .bind(&profile.display_name)
        .bind(&profile.email)
        .bind(&profile.avatar_url)
        .bind(&profile.profile_json)
        .bind(scopes)
        .bind(now)
        .bind(now)
        .bind(now)
        .fetch_one(self.writer())
        .await?;
        Ok((id, true))
    }

    pub async fn update_profile(&self, id: i64, p: &ProfileFields, now: Millis) -> Result<()> {
        sqlx::query(
            "UPDATE accounts SET display_name = ?, email = ?, avatar_url = ?, profile_json = ?,
                 updated_at = ? WHERE id = ?",
        )
        .bind(&p.display_name)
        .bind(&p.email)
        .bind(&p.avatar_url)
        .bind(&p.profile_json)
        .bind(now)
        .bind(id)
        .execute(self.writer())
        .await?;
        Ok(())
    }

    /// After tokens were stored in the vault under `timing.token_gen`: point the account at them,
    /// mark it fresh and end any failure episode. One statement, so it is all-or-nothing.
    pub async fn record_tokens(&self, id: i64, t: &TokenTiming, now: Millis) -> Result<()> {
        sqlx::query(
            "UPDATE accounts SET stale_gen = NULLIF(token_gen, ?), pending_gen = NULL,
                 token_gen = ?, access_expires_at = ?,
                 refresh_expires_at = COALESCE(?, refresh_expires_at),
                 access_lifetime_ms = ?, next_refresh_at = ?, last_refresh_at = ?,
                 refresh_gen = refresh_gen + 1, refresh_in_doubt = 0, status = 'fresh',
                 status_code = NULL, status_message = NULL, failure_streak = 0,
                 failing_since = NULL, alerted = 0, updated_at = ?
             WHERE id = ?",
        )
        .bind(t.token_gen)
        .bind(t.token_gen)
        .bind(t.access_expires_at)
        .bind(t.refresh_expires_at)
        .bind(t.access_lifetime_ms)
        .bind(t.next_refresh_at)
        .bind(now)
        .bind(now)
        .bind(id)
        .execute(self.writer())
        .await?;
        Ok(())
    }

    /// After a refresh's tokens were stored in the vault: points the account at them (as
    /// [`Store::record_tokens`], in one statement: all-or-nothing) and records the granted
    /// scopes, and writes the activity line: one transaction, grouped with the writes queued
    /// beside it (a storm makes one of these per account).
    pub async fn record_refresh(
        &self,
        id: i64,
        t: &TokenTiming,
        scopes: Option<&str>,
        label: &str,
        outcome: &str,
        now: Millis,
    ) -> Result<()> {
        // Both statements in one transaction, with the other writes queued at the time.
        self.grouped(
            "UPDATE accounts SET stale_gen = NULLIF(token_gen, ?), pending_gen = NULL,
                 token_gen = ?, access_expires_at = ?,
                 refresh_expires_at = COALESCE(?, refresh_expires_at),
                 access_lifetime_ms = ?, next_refresh_at = ?, last_refresh_at = ?,
                 scopes = COALESCE(?, scopes),
                 refresh_gen = refresh_gen + 1, refresh_in_doubt = 0, status = 'fresh',
                 status_code = NULL, status_message = NULL, failure_streak = 0,
                 failing_since = NULL, alerted = 0, updated_at = ?
             WHERE id = ?;
             INSERT INTO activity (at, account_id, account, kind, outcome)
                 VALUES (?, ?, ?, 'refresh', ?);",
            vec![
                t.token_gen.into(),
                t.token_gen.into(),
                t.access_expires_at.into(),
                t.refresh_expires_at.into(),
                t.access_lifetime_ms.into(),
                t.next_refresh_at.into(),
                now.into(),
                scopes.into(),
                now.into(),
                id.into(),
                now.into(),
                id.into(),
                label.into(),
                outcome.into(),
            ],
        )
        .await?;
        self.prune_activity_now_and_then().await
    }

    /// Marks a refresh as sent: status "refreshing" and "in doubt" until its answer is stored,
    /// and the next token generation as pending (written before anything points at it).
    pub async fn begin_refresh(&self, id: i64, now: Millis) -> Result<()> {
        self.grouped(
            "UPDATE accounts SET refresh_in_doubt = 1, status = 'refreshing',
                 pending_gen = token_gen + 1, updated_at = ? WHERE id = ?",
            vec![now.into(), id.into()],
        )
        .await
    }

    /// Takes back [`Store::begin_refresh`] for a refresh that was not sent after all: the
    /// account is as it was in `before`.
    pub async fn unmark_refresh(&self, before: &AccountRow) -> Result<()> {
        self.grouped(
            "UPDATE accounts SET refresh_in_doubt = ?, status = ?, pending_gen = ? WHERE id = ?",
            vec![
                before.refresh_in_doubt.into(),
                before.status.as_str().into(),
                before.pending_gen.into(),
                before.id.into(),
            ],
        )
        .await
    }

    pub async fn set_in_doubt(&self, id: i64, in_doubt: bool) -> Result<()> {
        sqlx::query("UPDATE accounts SET refresh_in_doubt = ? WHERE id = ?")
            .bind(in_doubt as i64)
            .bind(id)
            .execute(self.writer())
            .await?;
        Ok(())
    }

    pub async fn set_status(&self, id: i64, status: Status, now: Millis) -> Result<()> {
        sqlx::query("UPDATE accounts SET status = ?, updated_at = ? WHERE id = ?")
            .bind(status.as_str())
            .bind(now)
            .bind(id)
            .execute(self.writer())
            .await?;
        Ok(())
    }

    /// Records a failed refresh: the status, why, when to try again, and the failure episode.
    #[allow(clippy::too_many_arguments)]
    pub async fn record_failure(
        &self,
        id: i64,
        status: Status,
        code: &str,
        message: &str,
        next_refresh_at: Option<Millis>,
        now: Millis,
    ) -> Result<()> {
        self.grouped(
            "UPDATE accounts SET status = ?, status_code = ?, status_message = ?,
                 next_refresh_at = ?, failure_streak = failure_streak + 1,
                 failing_since = COALESCE(failing_since, ?), updated_at = ?
             WHERE id = ?",
            vec![
                status.as_str().into(),
                code.into(),
                message.into(),
                next_refresh_at.into(),
                now.into(),
                now.into(),
                id.into(),
            ],
        )
        .await
    }

    /// Marks the current failure episode as alerted; returns true if it was not already.
    pub async fn mark_alerted(&self, id: i64) -> Result<bool> {
        let r = sqlx::query("UPDATE accounts SET alerted = 1 WHERE id = ? AND alerted = 0")
            .bind(id)
            .execute(self.writer())
            .await?;
        Ok(r.rows_affected() == 1)
    }

    pub async fn set_next_refresh(&self, id: i64, at: Option<Millis>) -> Result<()> {
        sqlx::query("UPDATE accounts SET next_refresh_at = ? WHERE id = ?")
            .bind(at)
            .bind(id)
            .execute(self.writer())
            .await?;
        Ok(())
    }

    /// Accounts whose refresh is due at `now`, soonest first.
    pub async fn due(&self, now: Millis) -> Result<Vec<AccountRow>> {
        Ok(sqlx::query_as(
            "SELECT * FROM accounts WHERE next_refresh_at IS NOT NULL AND next_refresh_at <= ?
                 AND status IN ('fresh', 'refreshing', 'retrying') ORDER BY next_refresh_at",
        )
        .bind(now)
        .fetch_all(&self.pool)
        .await?)
    }

    /// The earliest due time of any active account.
    pub async fn next_due(&self) -> Result<Option<Millis>> {
        Ok(sqlx::query_scalar(
            "SELECT MIN(next_refresh_at) FROM accounts
             WHERE status IN ('fresh', 'refreshing', 'retrying')",
        )
        .fetch_one(&self.pool)
        .await?)
    }

    pub async fn delete(&self, id: i64) -> Result<()> {
        sqlx::query("DELETE FROM accounts WHERE id = ?")
            .bind(id)
            .execute(self.writer())
            .await?;
        Ok(())
    }
}
