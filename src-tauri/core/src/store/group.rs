//! Grouped database work: the writes that queue up while the writer connection is busy go to SQLite as one transaction in one round trip, and the account reads that queue up as one query.
//!
//! A refresh storm writes three or four statements per account, and each costs a round trip to
//! sqlx's connection thread and a commit: on two cores that hand-over, not SQLite, is most of a
//! storm's database time (`refresh_many`, BENCHMARKS.md). Here one task owns the turn at the
//! writer connection. Every write sent to it while it runs the previous group waits in its
//! queue; the next group takes them all (up to [`MAX_GROUP`]) as one `BEGIN IMMEDIATE … COMMIT`
//! string. Nothing waits for company: a write into an idle queue goes at once, so a lone refresh
//! is as quick as before, and a storm's writes group themselves by how busy the writer is.
//!
//! Reads of one account by id (each refresh reads its account under its lock) are grouped the
//! same way, into one `SELECT … WHERE id IN (…)`: a write that has returned is committed, so a
//! read asked for after it sees it.
//!
//! Each write still has its own outcome: a group that fails is rolled back and its writes run
//! again one by one, so one bad statement fails only its own caller.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use sqlx::pool::PoolConnection;
use sqlx::{Sqlite, SqlitePool};
use tokio::sync::{mpsc, oneshot};

use crate::error::{Error, Result};
use crate::store::AccountRow;

/// The most writes in one transaction (a statement's bound values stay far below SQLite's
/// 32,766 limit: the largest write here binds 14).
pub const MAX_GROUP: usize = 64;

/// Statements the writer connection keeps prepared: a storm's groups are of a few shapes (so
/// many writes of each kind), and preparing one costs about as much as running it.
pub const WRITER_STATEMENTS: usize = 1024;

/// One value bound to a statement.
#[derive(Debug, Clone)]
pub enum Arg {
    Int(Option<i64>),
    Text(Option<String>),
}

impl From<i64> for Arg {
    fn from(v: i64) -> Self {
        Arg::Int(Some(v))
    }
}
impl From<Option<i64>> for Arg {
    fn from(v: Option<i64>) -> Self {
        Arg::Int(v)
    }
}
impl From<&str> for Arg {
    fn from(v: &str) -> Self {
        Arg::Text(Some(v.to_owned()))
    }
}
impl From<Option<&str>> for Arg {
    fn from(v: Option<&str>) -> Self {
        Arg::Text(v.map(str::to_owned))
    }
}

/// One write: statements (`;`-separated, run in order, all or nothing) and their values in order.
#[derive(Debug)]
pub struct Write {
    sql: &'static str,
    args: Vec<Arg>,
}

impl Write {
    pub fn new(sql: &'static str, args: Vec<Arg>) -> Self {
        Write { sql, args }
    }
}

type Queued = (Write, oneshot::Sender<Result<()>>);

/// The queue to the task that writes groups (cloned with the store; the task ends with the last
/// clone).
#[derive(Debug, Clone)]
pub struct GroupCommit {
    queue: mpsc::UnboundedSender<Queued>,
    counts: Arc<GroupCounts>,
}

/// How many writes went in how many transactions (for tests and benchmarks).
#[derive(Debug, Default)]
pub struct GroupCounts {
    pub transactions: AtomicU64,
    pub writes: AtomicU64,
}

impl GroupCommit {
    /// Starts the task that owns the turn at `writer` for grouped writes (on the current runtime).
    pub fn start(writer: SqlitePool) -> Self {
        let (queue, rx) = mpsc::unbounded_channel();
        let counts = Arc::new(GroupCounts::default());
        tokio::spawn(run(writer, rx, counts.clone()));
        GroupCommit { queue, counts }
    }

    /// (transactions, writes) since the store opened.
    pub fn counts(&self) -> (u64, u64) {
        (
            self.counts.transactions.load(Ordering::Relaxed),
            self.counts.writes.load(Ordering::Relaxed),
        )
    }

    /// Runs `write` with whatever else is queued; returns once it is committed (or failed).
    pub async fn write(&self, write: Write) -> Result<()> {
        let (tx, rx) = oneshot::channel();
        self.queue
            .send((write, tx))
            .map_err(|_| Error::internal("the database writer has stopped"))?;
        rx.await
            .map_err(|_| Error::internal("the database writer has stopped"))?
    }
}

async fn run(
    writer: SqlitePool,
    mut rx: mpsc::UnboundedReceiver<Queued>,
    counts: Arc<GroupCounts>,
) {
    let mut group: Vec<Queued> = Vec::with_capacity(MAX_GROUP);
    while rx.recv_many(&mut group, MAX_GROUP).await > 0 {
        counts.transactions.fetch_add(1, Ordering::Relaxed);
        counts
            .writes
            .fetch_add(group.len() as u64, Ordering::Relaxed);
        // Writes of one kind together (any order of writes queued at once is one the callers
        // could have seen): a storm's groups then repeat a few shapes, each prepared once.
        group.sort_by_key(|(w, _)| w.sql.as_ptr() as usize);
        let outcomes = write_group(&writer, group.iter().map(|(w, _)| w)).await;
        for ((_, reply), outcome) in group.drain(..).zip(outcomes) {
            let _ = reply.send(outcome);
        }
    }
}

/// The outcome of each write, in order.
async fn write_group<'a>(
    writer: &SqlitePool,
    writes: impl ExactSizeIterator<Item = &'a Write> + Clone,
) -> Vec<Result<()>> {
    let n = writes.len();
    let mut conn = match writer.acquire().await {
        Ok(c) => c,
        Err(e) => {
            let e = Error::from(e);
            return (0..n).map(|_| Err(e.clone())).collect();
        }
    };
    match in_transaction(&mut conn, writes.clone()).await {
        Ok(()) => (0..n).map(|_| Ok(())).collect(),
        Err(e) if n == 1 => vec![Err(e)],
        // Which one failed is not known: each goes again on its own.
        Err(_) => {
            let mut outcomes = Vec::with_capacity(n);
            for w in writes {
                outcomes.push(in_transaction(&mut conn, std::iter::once(w)).await);
            }
            outcomes
        }
    }
}

/// `writes` as one transaction, in one round trip; rolled back if any statement fails.
async fn in_transaction<'a>(
    conn: &mut PoolConnection<Sqlite>,
    writes: impl Iterator<Item = &'a Write>,
) -> Result<()> {
    let mut sql = String::from("BEGIN IMMEDIATE;\n");
    let mut args = Vec::new();
    for w in writes {
        sql.push_str(w.sql.trim_end().trim_end_matches(';'));
        sql.push_str(";\n");
        args.extend(w.args.iter().cloned());
    }
    sql.push_str("COMMIT;");
    // Kept prepared in the connection's statement cache (see `WRITER_STATEMENTS`).
    let mut q = sqlx::query(&sql);
    for a in args {
        q = match a {
            Arg::Int(v) => q.bind(v),
            Arg::Text(v) => q.bind(v),
        };
    }
    match q.execute(&mut **conn).await {
        Ok(_) => Ok(()),
        Err(e) => {
            // Whatever ran before the failure is undone (and the connection leaves the
            // transaction). "No transaction is active" when BEGIN itself failed is fine.
            let _ = sqlx::query("ROLLBACK").execute(&mut **conn).await;
            Err(e.into())
        }
    }
}

type ReadQueued = (i64, oneshot::Sender<Result<Option<AccountRow>>>);

/// The queue to the task that reads accounts by id in groups.
#[derive(Debug, Clone)]
pub struct GroupRead {
    queue: mpsc::UnboundedSender<ReadQueued>,
}

impl GroupRead {
    /// Starts the task that reads grouped accounts from `pool` (on the current runtime).
    pub fn start(pool: SqlitePool) -> Self {
        let (queue, rx) = mpsc::unbounded_channel();
        tokio::spawn(read(pool, rx));
        GroupRead { queue }
    }

    /// The account `id`, read with whatever other reads are queued.
    pub async fn get(&self, id: i64) -> Result<Option<AccountRow>> {
        let (tx, rx) = oneshot::channel();
        let stopped = || Error::internal("the database reader has stopped");
        self.queue.send((id, tx)).map_err(|_| stopped())?;
        rx.await.map_err(|_| stopped())?
    }
}

async fn read(pool: SqlitePool, mut rx: mpsc::UnboundedReceiver<ReadQueued>) {
    let mut group: Vec<ReadQueued> = Vec::with_capacity(MAX_GROUP);
    while rx.recv_many(&mut group, MAX_GROUP).await > 0 {
        let marks = vec!["?"; group.len()].join(", ");
        let sql = format!("SELECT * FROM accounts WHERE id IN ({marks})");
        let mut q = sqlx::query_as::<_, AccountRow>(&sql);
        for (id, _) in &group {
            q = q.bind(*id);
        }
        // Through the pool, a connection at a time: holding one here for good would keep
        // `Store::close` (which waits for every connection to come back) from ever returning.
        match q.fetch_all(&pool).await {
            Ok(rows) => {
                for (id, reply) in group.drain(..) {
                    let _ = reply.send(Ok(rows.iter().find(|r| r.id == id).cloned()));
                }
            }
            Err(e) => {
                let e = Error::from(e);
                for (_, reply) in group.drain(..) {
                    let _ = reply.send(Err(e.clone()));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::store::{ProfileFields, Status, Store};

    async fn store_with(accounts: usize) -> (tempfile::TempDir, Store, Vec<i64>) {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(&dir.path().join("signet.sqlite3"))
            .await
            .expect("open");
        let mut ids = Vec::new();
        for i in 0..accounts {
            let fields = ProfileFields {
                display_name: format!("user {i}"),
                profile_json: "{}".into(),
                ..Default::default()
            };
            let (id, _) = store
                .upsert_account("corp", "oidc", &format!("sub-{i}"), &fields, None, 0)
                .await
                .expect("insert");
            ids.push(id);
        }
        (dir, store, ids)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn writes_sent_together_share_transactions_and_all_land() {
        let (_dir, store, ids) = store_with(200).await;
        let (tx_before, writes_before) = store.grouped_counts();
        let mut tasks = tokio::task::JoinSet::new();
        for id in ids.clone() {
            let store = store.clone();
            tasks.spawn(async move { store.begin_refresh(id, 42).await });
        }
        while let Some(done) = tasks.join_next().await {
            done.expect("task").expect("write");
        }
        let (tx, writes) = store.grouped_counts();
        assert_eq!(writes - writes_before, 200);
        assert!(
            tx - tx_before < 200,
            "200 writes queued at once took {} transactions",
            tx - tx_before
        );
        for id in ids {
            let row = store.require(id).await.expect("row");
            assert_eq!(row.status(), Status::Refreshing);
            assert_eq!(row.refresh_in_doubt, 1);
            assert_eq!(row.updated_at, 42);
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_failing_write_fails_alone_and_undoes_only_itself() {
        let (_dir, store, ids) = store_with(30).await;
        let mut tasks = tokio::task::JoinSet::new();
        for (n, id) in ids.iter().copied().enumerate() {
            let store = store.clone();
            tasks.spawn(async move {
                if n == 15 {
                    // Its first statement succeeds, its second fails: neither may stay.
                    let bad = store
                        .grouped(
                            "UPDATE accounts SET display_name = 'half-done' WHERE id = ?;
                             INSERT INTO no_such_table VALUES (1);",
                            vec![id.into()],
                        )
                        .await;
                    (id, bad.is_err())
                } else {
                    (id, store.begin_refresh(id, 7).await.is_err())
                }
            });
        }
        let mut failed = Vec::new();
        while let Some(done) = tasks.join_next().await {
            let (id, err) = done.expect("task");
            if err {
                failed.push(id);
            }
        }
        assert_eq!(failed, vec![ids[15]], "only the bad write fails");
        for (n, id) in ids.iter().copied().enumerate() {
            let row = store.require(id).await.expect("row");
            if n == 15 {
                assert_eq!(row.display_name, "user 15");
                assert_eq!(row.status(), Status::Fresh);
            } else {
                assert_eq!(row.status(), Status::Refreshing, "account {n}");
            }
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn reads_sent_together_each_get_their_own_account() {
        let (_dir, store, ids) = store_with(100).await;
        let mut tasks = tokio::task::JoinSet::new();
        for id in ids.iter().copied().chain([999_999]) {
            let store = store.clone();
            tasks.spawn(async move { (id, store.get(id).await.expect("read")) });
        }
        while let Some(done) = tasks.join_next().await {
            let (id, row) = done.expect("task");
            match row {
                Some(row) => assert_eq!(row.id, id),
                None => assert_eq!(id, 999_999),
            }
        }
    }

    #[tokio::test]
    async fn the_store_closes_after_grouped_reads_and_writes() {
        let (_dir, store, ids) = store_with(3).await;
        store.get(ids[0]).await.expect("read").expect("row");
        store.begin_refresh(ids[1], 1).await.expect("write");
        // `close` waits for every connection to come back: none may be kept by the groups.
        tokio::time::timeout(std::time::Duration::from_secs(10), store.close())
            .await
            .expect("closed");
    }
}
