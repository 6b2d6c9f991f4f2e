//! The scheduler: refreshes what is due (a tick), Refresh all, and the loop that ticks until stopped.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Notify, Semaphore};

use crate::base::Base;
use crate::clock::Millis;
use crate::error::Result;
use crate::refresh::{RefreshOutcome, Refresher};

/// The scheduler's coarse tick: due times are wall-clock instants checked at least this often,
/// so a suspend/resume or a clock jump is noticed within one tick.
pub const TICK: Duration = Duration::from_secs(30);

/// How many refreshes of one storm (a tick, Refresh all) are under way at once, waiting for
/// their locks or their turn included: each holds a lock file open while it waits, and 1,000 at
/// once would pass a desktop's usual limit of 1,024 open files.
const STORM_SLOTS: usize = 64;

/// Decides when accounts are refreshed; the refresher does each one.
pub struct Scheduler {
    base: Base,
    refresher: Arc<Refresher>,
    /// Notified when the schedule may have changed (an account added, the keyring back).
    wake: Arc<Notify>,
    storm_slots: Arc<Semaphore>,
}

impl Scheduler {
    pub fn new(base: Base, refresher: Arc<Refresher>, wake: Arc<Notify>) -> Self {
        Scheduler {
            base,
            refresher,
            wake,
            storm_slots: Arc::new(Semaphore::new(STORM_SLOTS)),
        }
    }

    /// Refreshes every account whose due time has passed. Returns how many were attempted.
    pub async fn tick(&self) -> Result<usize> {
        let due = self.base.store.due(self.base.now()).await?;
        let n = due.len();
        let mut tasks = tokio::task::JoinSet::new();
        for row in due {
            let refresher = self.refresher.clone();
            let slots = self.storm_slots.clone();
            tasks.spawn(async move {
                let Ok(_slot) = slots.acquire_owned().await else {
                    return;
                };
                let _ = refresher.refresh_seen(row.id, row.refresh_gen, false).await;
            });
        }
        while tasks.join_next().await.is_some() {}
        self.base.flush_credentials().await;
        Ok(n)
    }

    /// Refreshes every active account now (the tray's "Refresh all").
    pub async fn refresh_all(&self) -> Result<Vec<(i64, Result<RefreshOutcome>)>> {
        let rows = self.base.store.list().await?;
        let mut tasks = tokio::task::JoinSet::new();
        for row in rows.into_iter().filter(|r| r.status().is_active()) {
            let refresher = self.refresher.clone();
            let slots = self.storm_slots.clone();
            tasks.spawn(async move {
                let _slot = slots.acquire_owned().await;
                (row.id, refresher.refresh_unflushed(row.id, true).await)
            });
        }
        let mut out = Vec::new();
        while let Some(r) = tasks.join_next().await {
            if let Ok(r) = r {
                out.push(r);
            }
        }
        out.sort_by_key(|(id, _)| *id);
        self.base.flush_credentials().await;
        Ok(out)
    }

    /// The scheduler: ticks at the next due time or every [`TICK`], whichever comes first,
    /// until `stop` turns true; then returns after in-flight refreshes are stored.
    pub async fn run(&self, mut stop: tokio::sync::watch::Receiver<bool>) {
        // Leftovers of refreshes a crash interrupted are settled before anything is refreshed.
        match self.refresher.repair_all().await {
            Ok(0) => {}
            Ok(n) => tracing::info!(accounts = n, "token generations left by a crash settled"),
            Err(e) => tracing::warn!(
                code = e.code.as_str(),
                "leftover token generations not settled"
            ),
        }
        loop {
            if *stop.borrow() {
                return;
            }
            if let Err(e) = self.tick().await {
                tracing::warn!(code = e.code.as_str(), "scheduler tick failed");
            }
            let wait = match self.base.store.next_due().await {
                Ok(Some(due)) => next_wait(due - self.base.now()),
                _ => TICK,
            };
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = self.wake.notified() => {}
                _ = stop.changed() => {}
            }
        }
    }
}

/// How long the scheduler sleeps given the time until the next due account: never longer
/// than a tick, so wall-clock jumps (suspend, clock changes) are caught.
pub fn next_wait(until_due_ms: Millis) -> Duration {
    Duration::from_millis(until_due_ms.clamp(0, TICK.as_millis() as Millis) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scheduler_never_sleeps_longer_than_a_tick() {
        assert_eq!(next_wait(10 * 3_600_000), TICK);
        assert_eq!(next_wait(-5), Duration::ZERO);
        assert_eq!(next_wait(1500), Duration::from_millis(1500));
    }
}
