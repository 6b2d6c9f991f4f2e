//! The watch on other processes' changes to the database, woken by file events on its files.

use std::path::{Path, PathBuf};
use std::time::Duration;

use notify::{EventKind, RecommendedWatcher, RecursiveMode, Watcher};
use tokio::sync::mpsc;

use crate::base::Base;
use crate::views::EngineEvent;

/// The files a commit touches: the write-ahead log, and the database itself at a checkpoint.
fn is_database_file(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n == "signet.sqlite3" || n == "signet.sqlite3-wal")
}

/// Sends `()` on `tx` (coalesced: one pending wake-up at most) whenever a database file in `dir`
/// is written. `None` where the platform cannot watch files; the caller then polls. Dropping the
/// returned watcher stops it.
pub fn database_files(dir: &Path, tx: mpsc::Sender<()>) -> Option<RecommendedWatcher> {
    let handler = move |event: notify::Result<notify::Event>| {
        let Ok(event) = event else { return };
        let writes = matches!(event.kind, EventKind::Modify(_) | EventKind::Create(_));
        if writes && event.paths.iter().any(|p| is_database_file(p)) {
            // Full means a wake-up is already pending: that one will see this write too.
            let _ = tx.try_send(());
        }
    };
    let mut watcher = match notify::recommended_watcher(handler) {
        Ok(w) => w,
        Err(e) => {
            tracing::info!(error = %e, "file events unavailable; polling the database instead");
            return None;
        }
    };
    match watcher.watch(dir, RecursiveMode::NonRecursive) {
        Ok(()) => Some(watcher),
        Err(e) => {
            tracing::info!(error = %e, dir = %dir.display(), "cannot watch the data folder; polling the database instead");
            None
        }
    }
}

/// Watches the database for other processes' commits (the CLI, a second app), so the window
/// and this process's caches follow them.
pub struct DatabaseWatch {
    base: Base,
    data_dir: PathBuf,
}

impl DatabaseWatch {
    /// Watches the database in `data_dir`.
    pub fn new(base: Base, data_dir: PathBuf) -> Self {
        DatabaseWatch { base, data_dir }
    }

    /// Emits [`EngineEvent::ExternalChange`] when another process commits to the database
    /// (`PRAGMA data_version` on a connection of its own), until `stop`. It looks when the
    /// database's files are written (inotify and the like: no work while nothing happens), and
    /// every [`SAFETY_POLL`] anyway; where files cannot be watched it looks every `every`.
    pub async fn run(&self, every: Duration, mut stop: tokio::sync::watch::Receiver<bool>) {
        let Ok(mut conn) = self.base.store.dedicated_connection().await else {
            tracing::warn!("cannot watch the database for other processes' changes");
            return;
        };
        let (tx, mut written) = tokio::sync::mpsc::channel::<()>(1);
        let watcher = database_files(&self.data_dir, tx);
        let period = if watcher.is_some() {
            SAFETY_POLL
        } else {
            every
        };
        let mut last: Option<i64> = None;
        loop {
            if *stop.borrow() {
                return;
            }
            let version: std::result::Result<i64, _> = sqlx::query_scalar("PRAGMA data_version")
                .fetch_one(&mut conn)
                .await;
            if let Ok(v) = version {
                if last.is_some_and(|l| l != v) {
                    self.base.credentials.others_wrote();
                    self.base.emit(EngineEvent::ExternalChange);
                }
                last = Some(v);
            }
            tokio::select! {
                _ = tokio::time::sleep(period) => {}
                Some(()) = written.recv() => {
                    // A refresh writes several times in a row: look once they have settled,
                    // so a burst of writes is one look (and at most one reload in the window).
                    tokio::time::sleep(SETTLE).await;
                    while written.try_recv().is_ok() {}
                }
                _ = stop.changed() => {}
            }
        }
    }
}

/// How long the database watch lets a burst of writes settle before it looks.
const SETTLE: Duration = Duration::from_millis(250);

/// How often the database watch looks even when file events say nothing happened.
pub const SAFETY_POLL: Duration = Duration::from_secs(30);
