//! The engine's background work — the refresh scheduler, the watch on other processes' changes, the keyring watch — owned by one handle: dropping it (or `stop`) stops them all.

use std::time::Duration;

use tokio::runtime::Handle;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::engine::Engine;

/// Owns the background tasks. Stopping never cuts a refresh short: each task finishes what it
/// has started (a scheduler tick waits for its refreshes) and then returns.
pub struct Background {
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl Background {
    /// Starts the scheduler, the external-change watch (looking at least every `watch_every`
    /// where files cannot be watched) and the keyring watch on `runtime`.
    pub fn start(engine: &Engine, runtime: &Handle, watch_every: Duration) -> Background {
        let (stop, stopped) = watch::channel(false);
        let mut tasks = Vec::new();
        let services = &engine.inner;
        let (scheduler, s) = (services.scheduler.clone(), stopped.clone());
        tasks.push(runtime.spawn(async move { scheduler.run(s).await }));
        let (database, s) = (services.database_watch.clone(), stopped.clone());
        tasks.push(runtime.spawn(async move { database.run(watch_every, s).await }));
        let keyring = services.keyring_watch.clone();
        tasks.push(runtime.spawn(async move {
            keyring
                .run(crate::keyring_health::RETRY_HUNG, stopped)
                .await
        }));
        Background { stop, tasks }
    }

    /// Asks every task to stop. Returns `false` if they had been asked already.
    pub fn stop(&self) -> bool {
        !self.stop.send_replace(true)
    }

    /// Stops the tasks and waits until each has returned.
    pub async fn join(mut self) {
        self.stop();
        for t in std::mem::take(&mut self.tasks) {
            let _ = t.await;
        }
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        let _ = self.stop.send_replace(true);
    }
}
