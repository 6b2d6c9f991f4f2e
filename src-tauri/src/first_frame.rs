//! Start-up work held until the window's first frame: the background services and the tray's first fill start once the page has painted, so they do not compete with it for the CPU.
//!
//! On two cores, the scheduler's first pass over the accounts, the keyring's first check and the
//! tray's menu (each item made on the main thread, which also serves the page's files) landed
//! inside the page's load in some launches and held its first frame back (BENCHMARKS.md, idle).
//! None of them is needed before the window shows the list; each waits for the first frame,
//! or for `LIMIT` when no frame comes (a window that stays hidden, a page that fails).

use std::time::Duration;

use tauri::{AppHandle, Manager};
use tokio::sync::watch;

/// How long held work waits for a first frame that does not come.
pub(crate) const LIMIT: Duration = Duration::from_millis(1500);

/// Whether the window has reported its first frame.
pub(crate) struct FirstFrame(watch::Sender<bool>);

impl FirstFrame {
    pub(crate) fn new() -> Self {
        FirstFrame(watch::channel(false).0)
    }

    /// The window painted its first frame: held work starts.
    pub(crate) fn painted(&self) {
        self.0.send_replace(true);
    }

    /// Waits for the first frame, or `limit`, whichever comes first.
    pub(crate) async fn wait(&self, limit: Duration) {
        let mut painted = self.0.subscribe();
        let _ = tokio::time::timeout(limit, painted.wait_for(|p| *p)).await;
    }
}

/// Runs `work` once the window has painted its first frame (or after [`LIMIT`]).
pub(crate) fn after<F>(app: &AppHandle, work: impl FnOnce(AppHandle) -> F + Send + 'static)
where
    F: std::future::Future<Output = ()> + Send + 'static,
{
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        if let Some(first) = app.try_state::<FirstFrame>() {
            first.wait(LIMIT).await;
        }
        work(app).await;
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn held_work_starts_at_the_first_frame_or_at_the_limit() {
        let first = std::sync::Arc::new(FirstFrame::new());
        let waiter = {
            let first = first.clone();
            tokio::spawn(async move {
                let started = tokio::time::Instant::now();
                first.wait(LIMIT).await;
                started.elapsed()
            })
        };
        tokio::time::sleep(Duration::from_millis(300)).await;
        first.painted();
        assert_eq!(
            waiter.await.expect("waiter"),
            Duration::from_millis(300),
            "released by the frame, not the limit"
        );

        // Already painted: nothing waits.
        let started = tokio::time::Instant::now();
        first.wait(LIMIT).await;
        assert_eq!(started.elapsed(), Duration::ZERO);

        // No frame at all: the limit releases it.
        let never = FirstFrame::new();
        let started = tokio::time::Instant::now();
        never.wait(LIMIT).await;
        assert_eq!(started.elapsed(), LIMIT);
    }
}
