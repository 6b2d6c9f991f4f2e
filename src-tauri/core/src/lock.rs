//! A per-account lock that holds across processes (the app and `signetctl`), on a lock file.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::Path;
use std::time::{Duration, Instant};

use crate::error::{Error, Result};

/// Held while an account is refreshed; released when dropped (or when the process dies —
/// the OS drops file locks with the process, so a crash never leaves an account locked).
#[derive(Debug)]
pub struct AccountLock {
    _file: File,
}

pub async fn lock_account(dir: &Path, account: i64, timeout: Duration) -> Result<AccountLock> {
    std::fs::create_dir_all(dir)
        .map_err(|e| Error::internal(format!("cannot create {} ({e})", dir.display())))?;
    let path = dir.join(format!("account-{account}.lock"));
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| Error::internal(format!("cannot open {} ({e})", path.display())))?;
    let start = Instant::now();
    let mut pause = Duration::from_millis(5);
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(AccountLock { _file: file }),
            Err(TryLockError::WouldBlock) => {
                if pause == Duration::from_millis(5) {
                    tracing::info!(
                        account,
                        "waiting: another Signet process is refreshing this account"
                    );
                }
                if start.elapsed() > timeout {
                    return Err(Error::new(
                        crate::ErrorCode::Temporary,
                        "Another Signet process has been refreshing this account for too long. Try again in a minute.",
                    ));
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
