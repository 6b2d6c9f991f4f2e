//! The engine's background work — the refresh scheduler, the watch on other processes' changes, the keyring watch — owned by one handle: dropping it (or `stop`) stops them all.

use std::sync::Arc;
use std::time::Duration;

use tokio::runtime::Handle;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::keyring_watch::KeyringWatch;
use crate::scheduler::Scheduler;
use crate::watch::DatabaseWatch;

/// The services that run in the background.
pub(crate) struct Services {
    pub scheduler: Arc<Scheduler>,
    pub database_watch: Arc<DatabaseWatch>,
    pub keyring_watch: Arc<KeyringWatch>,
}

/// Owns the background tasks. Stopping never cuts a refresh short: each task finishes what it
/// has started (a scheduler tick waits for its refreshes) and then returns.
pub struct Background {
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl Background {
    /// Starts the scheduler, the external-change watch (looking at least every `watch_every`
    /// where files cannot be watched) and the keyring watch on `runtime`.
    pub(crate) fn start(services: Services, runtime: &Handle, watch_every: Duration) -> Background {
        let (stop, stopped) = watch::channel(false);
        let mut tasks = Vec::new();
        let (scheduler, s) = (services.scheduler, stopped.clone());
        tasks.push(runtime.spawn(async move { scheduler.run(s).await }));
        let (database, s) = (services.database_watch, stopped.clone());
        tasks.push(runtime.spawn(async move { database.run(watch_every, s).await }));
        let keyring = services.keyring_watch;
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
