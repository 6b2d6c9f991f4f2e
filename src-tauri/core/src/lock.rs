//! Locks: each account's (in this process, and across processes on lock files) and the schema upgrade's.

use std::collections::HashMap;
use std::fs::{File, TryLockError};
use std::path::{Path, PathBuf};
use std::sync::Arc;
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
    let file = open_lock_file(path)?;
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

/// Opens a lock file, creating it (and its private folder) the first time. An existing file is
/// opened read-only, which is all `flock` needs: opening with `O_CREAT` takes the folder's
/// lock exclusively even when the file exists (Linux 6.1), so a storm's refreshes, each opening
/// its account's file, would queue on that one folder lock. Never through a symlink, and the
/// folder and file are private: nobody else can open the file to hold its lock.
pub(crate) fn open_lock_file(path: &Path) -> Result<File> {
    let cannot =
        |e: std::io::Error| Error::internal(format!("cannot open {} ({e})", path.display()));
    match crate::private_fs::open_existing(path) {
        Ok(file) => Ok(file),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if let Some(dir) = path.parent() {
                crate::private_fs::create_dir(dir)?;
            }
            crate::private_fs::open_file(path, false).map_err(cannot)
        }
        Err(e) => Err(cannot(e)),
    }
}

/// Each account's lock: one in this process (so its tasks queue in order without touching the
/// file), then the one shared with other processes.
pub struct AccountLocks {
    local: std::sync::Mutex<HashMap<i64, Arc<tokio::sync::Mutex<()>>>>,
    dir: PathBuf,
}

/// An account's two locks, released on drop.
pub struct AccountGuard {
    _cross: AccountLock,
    _local: tokio::sync::OwnedMutexGuard<()>,
}

impl AccountLocks {
    /// Lock files go to `dir` (created at the first lock).
    pub fn new(dir: PathBuf) -> Self {
        AccountLocks {
            local: std::sync::Mutex::new(HashMap::new()),
            dir,
        }
    }

    /// Takes the account's lock in this process, then the one shared with other processes
    /// (waiting at most two minutes for another process).
    pub async fn lock(&self, id: i64) -> Result<AccountGuard> {
        let local = {
            let mut locks = self
                .local
                .lock()
                .map_err(|_| Error::internal("lock table poisoned"))?;
            locks.entry(id).or_default().clone()
        };
        let local = local.lock_owned().await;
        let cross = lock_account(&self.dir, id, Duration::from_secs(120)).await?;
        Ok(AccountGuard {
            _cross: cross,
            _local: local,
        })
    }
}
