//! File events on the database's files, so the database watch wakes when another process writes.

use std::path::Path;

use notify::{EventKind, RecommendedWatcher, RecursiveMode, Watcher};
use tokio::sync::mpsc;

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
