//! The database file shared by the app and `signetctl`: opening it for the first time from several processes at once.

use signet_core::store::Store;

/// The installed app and a script's first `signetctl` often start together on a new machine: both
/// find an empty file and bring its schema up to date. Each must end with a usable database and
/// neither may fail with "table already exists".
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn several_first_opens_at_once_all_get_one_complete_schema() {
    for round in 0..25 {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("signet.sqlite3");
        let opens: Vec<_> = (0..4)
            .map(|_| {
                let path = path.clone();
                tokio::spawn(async move { Store::open(&path).await })
            })
            .collect();
        for open in opens {
            let store = open
                .await
                .expect("task")
                .unwrap_or_else(|e| panic!("round {round}: a concurrent first open failed: {e}"));
            assert!(store.list().await.expect("list").is_empty());
            store.close().await;
        }
        let store = Store::open(&path).await.expect("reopen");
        let applied: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations")
            .fetch_one(store.pool())
            .await
            .expect("migrations table");
        let files = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations"))
            .expect("migrations dir")
            .count() as i64;
        assert_eq!(applied, files, "round {round}: each migration applied once");
    }
}

fn wal_size(path: &std::path::Path) -> u64 {
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    std::fs::metadata(std::path::PathBuf::from(wal)).map_or(0, |m| m.len())
}

/// SQLite's own checkpoint would run inside a commit and hold up every write queued behind it,
/// so Signet copies its write-ahead log back beside the writes: when a batch of work ends, and at
/// the latest after `CHECKPOINT_AT_MOST` writes. The log must then be reused, not grow.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_write_ahead_log_is_copied_back_after_work_and_never_grows_without_bound() {
    use signet_core::store::{CHECKPOINT_AFTER_WORK, CHECKPOINT_AT_MOST};
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("signet.sqlite3");
    let store = Store::open(&path).await.expect("open");
    // A reader that stays open the whole time, as the app's window and watch do.
    let _reader = store.dedicated_connection().await.expect("reader");
    let write = |i: u64| {
        let store = store.clone();
        async move {
            store
                .set_setting("probe", &format!("value {i}"))
                .await
                .expect("write")
        }
    };

    // A batch of work, then its end: the log is copied back, and the next writes reuse it.
    for i in 0..2 * CHECKPOINT_AFTER_WORK {
        write(i).await;
    }
    let after_work = wal_size(&path);
    store
        .work_done()
        .expect("a checkpoint starts after a batch of work")
        .await
        .expect("checkpoint");
    for i in 0..2 * CHECKPOINT_AFTER_WORK {
        write(i).await;
    }
    assert!(
        wal_size(&path) <= after_work,
        "the log is reused from its start once copied back ({} bytes, {after_work} before)",
        wal_size(&path)
    );

    // Too little written since the last copy: nothing to do.
    if let Some(checkpoint) = store.work_done() {
        checkpoint.await.expect("checkpoint");
    }
    write(0).await;
    assert!(store.work_done().is_none());

    // A storm that never ends a batch: the log still stops growing.
    let per_write = after_work / (2 * CHECKPOINT_AFTER_WORK);
    for i in 0..3 * CHECKPOINT_AT_MOST {
        write(i).await;
    }
    let bound = 2 * CHECKPOINT_AT_MOST * per_write;
    assert!(
        wal_size(&path) <= bound,
        "the log grew to {} bytes over {} writes (bound {bound})",
        wal_size(&path),
        3 * CHECKPOINT_AT_MOST
    );
}
