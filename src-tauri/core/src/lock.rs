//! Locks that hold across processes (the app and `signetctl`), on lock files: per account, and for schema upgrades.

use std::fs::{File, TryLockError};
use std::path::Path;
use std::time::{Duration, Instant};

use crate::error::{Error, Result};

/// Held while an account is refreshed (or the schema upgraded); released when dropped (or when
/// the process dies — the OS drops file locks with the process, so a crash never leaves a lock held).
#[derive(Debug)]
pub struct FileLock {
    _file: File,
}

/// The lock an account's refresh holds.
pub type AccountLock = FileLock;

pub async fn lock_account(dir: &Path, account: i64, timeout: Duration) -> Result<AccountLock> {
    crate::private_fs::create_dir(dir)?;
    lock_file(
        &dir.join(format!("account-{account}.lock")),
        timeout,
        "another Signet process is refreshing this account",
        "Another Signet process has been refreshing this account for too long. Try again in a minute.",
    )
    .await
}

/// Waits (polling, so the task stays cancellable) until this process holds `path`'s lock.
/// `waiting` is logged once if another process holds it; `too_long` is the error after `timeout`.
pub async fn lock_file(
    path: &Path,
    timeout: Duration,
    waiting: &str,
    too_long: &str,
) -> Result<FileLock> {
    // Private and never through a symlink: nobody else can open the file to hold its lock.
    let file = crate::private_fs::open_file(path, false)
        .map_err(|e| Error::internal(format!("cannot open {} ({e})", path.display())))?;
    let start = Instant::now();
    let mut pause = Duration::from_millis(5);
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(FileLock { _file: file }),
            Err(TryLockError::WouldBlock) => {
                if pause == Duration::from_millis(5) {
                    tracing::info!(lock = %path.display(), "waiting: {waiting}");
                }
                if start.elapsed() > timeout {
                    return Err(Error::new(crate::ErrorCode::Temporary, too_long));
                }
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_millis(100));
            }
            Err(TryLockError::Error(e)) => {
                return Err(Error::internal(format!(
                    "cannot lock {} ({e})",
                    path.display()
                )))
            }
        }
    }
}
