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
