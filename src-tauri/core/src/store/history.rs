//! Balance samples, the activity log and settings: the store's tables besides the accounts.

use sqlx::FromRow;

use crate::clock::Millis;
use crate::error::Result;
use crate::store::{ActivityRow, BalanceSample, Store, ACTIVITY_CAP};

impl Store {
    pub async fn add_balance(&self, id: i64, sample: &BalanceSample) -> Result<()> {
        sqlx::query(
            "INSERT INTO balance_samples (account_id, sampled_at, quota, used_quota, formatted)
             VALUES (?, ?, ?, ?, ?)",
        )
        .bind(id)
        .bind(sample.sampled_at)
        .bind(sample.quota)
        .bind(sample.used_quota)
        .bind(&sample.formatted)
        .execute(self.writer())
        .await?;
        Ok(())
    }

    pub async fn latest_balance(&self, id: i64) -> Result<Option<BalanceSample>> {
        Ok(sqlx::query_as(
            "SELECT sampled_at, quota, used_quota, formatted FROM balance_samples
             WHERE account_id = ? ORDER BY sampled_at DESC, id DESC LIMIT 1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// The latest balance sample of every account that has one, in one query.
    pub async fn latest_balances(&self) -> Result<std::collections::HashMap<i64, BalanceSample>> {
        #[derive(FromRow)]
        struct Latest {
            account_id: i64,
            #[sqlx(flatten)]
            sample: BalanceSample,
        }
        let rows: Vec<Latest> = sqlx::query_as(
            "SELECT b.account_id, b.sampled_at, b.quota, b.used_quota, b.formatted
             FROM balance_samples b
             WHERE b.id = (SELECT id FROM balance_samples WHERE account_id = b.account_id
                           ORDER BY sampled_at DESC, id DESC LIMIT 1)",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(|l| (l.account_id, l.sample)).collect())
    }

    /// The account's balance samples taken at or after `since`, oldest first.
    pub async fn balance_since(&self, id: i64, since: Millis) -> Result<Vec<BalanceSample>> {
        Ok(sqlx::query_as(
            "SELECT sampled_at, quota, used_quota, formatted FROM balance_samples
             WHERE account_id = ? AND sampled_at >= ? ORDER BY sampled_at, id LIMIT 20000",
        )
        .bind(id)
        .bind(since)
        .fetch_all(&self.pool)
        .await?)
    }

    pub async fn balance_history(&self, id: i64, limit: i64) -> Result<Vec<BalanceSample>> {
        Ok(sqlx::query_as(
            "SELECT sampled_at, quota, used_quota, formatted FROM balance_samples
             WHERE account_id = ? ORDER BY sampled_at DESC, id DESC LIMIT ?",
        )
        .bind(id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn log(
        &self,
        at: Millis,
        account_id: Option<i64>,
        account: Option<&str>,
        kind: &str,
        outcome: &str,
        code: Option<&str>,
        message: Option<&str>,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO activity (at, account_id, account, kind, outcome, code, message)
             VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(at)
        .bind(account_id)
        .bind(account)
        .bind(kind)
        .bind(outcome)
        .bind(code)
        .bind(message)
        .execute(self.writer())
        .await?;
        self.prune_activity_now_and_then().await
    }

    /// Logs a refusal (a callback nobody is waiting for, a forged link): when the same refusal
    /// was logged less than `window` ago, that line's count goes up instead of a new row.
    pub async fn log_repeated(
        &self,
        at: Millis,
        kind: &str,
        outcome: &str,
        code: &str,
        message: &str,
        window: Millis,
    ) -> Result<()> {
        let bumped = sqlx::query(
            "UPDATE activity SET count = count + 1, at = ?1, message = ?5
             WHERE id = (SELECT id FROM activity
                         WHERE at >= ?2 AND kind = ?3 AND outcome = ?4 AND code = ?6
                           AND account_id IS NULL
                         ORDER BY id DESC LIMIT 1)",
        )
        .bind(at)
        .bind(at - window)
        .bind(kind)
        .bind(outcome)
        .bind(message)
        .bind(code)
        .execute(self.writer())
        .await?
        .rows_affected();
        if bumped == 0 {
            self.log(at, None, None, kind, outcome, Some(code), Some(message))
                .await?;
        }
        Ok(())
    }

    /// Keeps the activity table to its newest `ACTIVITY_CAP` lines: checked once every 256
    /// lines written by this process (and at open), so the cost stays off the refresh path.
    pub(super) async fn prune_activity_now_and_then(&self) -> Result<()> {
        let n = self
            .activity_writes
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if n.is_multiple_of(256) {
            self.prune_activity().await?;
        }
        Ok(())
    }

    /// Deletes all but the newest `ACTIVITY_CAP` activity lines.
    pub async fn prune_activity(&self) -> Result<u64> {
        Ok(sqlx::query(
            "DELETE FROM activity WHERE id <= (SELECT id FROM activity ORDER BY id DESC LIMIT 1 OFFSET ?)",
        )
        .bind(ACTIVITY_CAP)
        .execute(self.writer())
        .await?
        .rows_affected())
    }

    pub async fn activity(&self, limit: i64) -> Result<Vec<ActivityRow>> {
        Ok(
            sqlx::query_as("SELECT * FROM activity ORDER BY at DESC, id DESC LIMIT ?")
                .bind(limit)
                .fetch_all(&self.pool)
                .await?,
        )
    }

    pub async fn setting(&self, key: &str) -> Result<Option<String>> {
        Ok(
            sqlx::query_scalar("SELECT value FROM settings WHERE key = ?")
                .bind(key)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    pub async fn delete_setting(&self, key: &str) -> Result<()> {
        sqlx::query("DELETE FROM settings WHERE key = ?")
            .bind(key)
            .execute(self.writer())
            .await?;
        Ok(())
    }

    pub async fn set_setting(&self, key: &str, value: &str) -> Result<()> {
        sqlx::query("INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value")
            .bind(key)
            .bind(value)
            .execute(self.writer())
            .await?;
        Ok(())
    }

    /// The activity of one account, newest first.
    pub async fn account_activity(&self, id: i64, limit: i64) -> Result<Vec<ActivityRow>> {
        Ok(sqlx::query_as(
            "SELECT * FROM activity WHERE account_id = ? ORDER BY at DESC, id DESC LIMIT ?",
        )
        .bind(id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }
}
