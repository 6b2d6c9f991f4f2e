//! The scheduler: refreshes what is due (a tick), Refresh all, the loop that ticks until stopped, and the watch on other processes' changes to the database.

use std::time::Duration;

use crate::clock::Millis;
use crate::engine::Engine;
use crate::error::Result;
use crate::refresh::RefreshOutcome;
use crate::store::AccountRow;
use crate::views::EngineEvent;

/// The scheduler's coarse tick: due times are wall-clock instants checked at least this often,
/// so a suspend/resume or a clock jump is noticed within one tick.
pub const TICK: Duration = Duration::from_secs(30);

impl Engine {
    /// Refreshes every account whose due time has passed. Returns how many were attempted.
    pub async fn tick(&self) -> Result<usize> {
        let due = self.inner.store.due(self.now()).await?;
        let n = due.len();
        let mut tasks = tokio::task::JoinSet::new();
        for row in due {
            let engine = self.clone();
            let slots = self.inner.storm_slots.clone();
            tasks.spawn(async move {
                let Ok(_slot) = slots.acquire_owned().await else {
                    return;
                };
                let outcome = engine.refresh_seen(row.id, row.refresh_gen, false).await;
                engine.sample_balance_after(&row, &outcome).await;
            });
        }
        while tasks.join_next().await.is_some() {}
        self.flush_credentials().await;
        Ok(n)
    }

    /// Refreshes every active account now (the tray's "Refresh all").
    pub async fn refresh_all(&self) -> Result<Vec<(i64, Result<RefreshOutcome>)>> {
        let rows = self.inner.store.list().await?;
        let mut tasks = tokio::task::JoinSet::new();
        for row in rows.into_iter().filter(|r| r.status().is_active()) {
            let engine = self.clone();
            let slots = self.inner.storm_slots.clone();
            tasks.spawn(async move {
                let _slot = slots.acquire_owned().await;
                let outcome = engine.refresh_unflushed(row.id, true).await;
                engine.sample_balance_after(&row, &outcome).await;
                (row.id, outcome)
            });
        }
        let mut out = Vec::new();
        while let Some(r) = tasks.join_next().await {
            if let Ok(r) = r {
                out.push(r);
            }
        }
        out.sort_by_key(|(id, _)| *id);
        self.flush_credentials().await;
        Ok(out)
    }

    /// After a refresh, a provider with a balance (AIHubMix) is asked for it again, so the
    /// history gains a sample each token lifetime. A failure here never fails the refresh.
    async fn sample_balance_after(&self, row: &AccountRow, outcome: &Result<RefreshOutcome>) {
        if !matches!(outcome, Ok(RefreshOutcome::Refreshed)) {
            return;
        }
        let has_balance = self
            .provider(&row.provider)
            .await
            .is_ok_and(|p| p.has_balance());
        if has_balance {
            if let Err(e) = self.sync_profile(row.id).await {
                tracing::info!(
                    account = row.id,
                    code = e.code.as_str(),
                    "balance not sampled"
                );
            }
        }
    }

    /// The scheduler: ticks at the next due time or every [`TICK`], whichever comes first,
    /// until `stop` turns true; then returns after in-flight refreshes are stored.
    pub async fn run(&self, mut stop: tokio::sync::watch::Receiver<bool>) {
        // Leftovers of refreshes a crash interrupted are settled before anything is refreshed.
        match self.repair_all().await {
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
            let wait = match self.inner.store.next_due().await {
                Ok(Some(due)) => next_wait(due - self.now()),
                _ => TICK,
            };
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = self.inner.wake.notified() => {}
                _ = stop.changed() => {}
            }
        }
    }
}

impl Engine {
    /// Emits [`EngineEvent::ExternalChange`] when another process commits to the database
    /// (`PRAGMA data_version` on a connection of its own), until `stop`. It looks when the
    /// database's files are written (inotify and the like: no work while nothing happens), and
    /// every [`SAFETY_POLL`] anyway; where files cannot be watched it looks every `every`.
    pub async fn watch_external_changes(
        &self,
        every: Duration,
        mut stop: tokio::sync::watch::Receiver<bool>,
    ) {
        let Ok(mut conn) = self.inner.store.dedicated_connection().await else {
            tracing::warn!("cannot watch the database for other processes' changes");
            return;
        };
        let (tx, mut written) = tokio::sync::mpsc::channel::<()>(1);
        let watcher = crate::watch::database_files(&self.inner.data_dir, tx);
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
                    self.inner.credentials.others_wrote();
                    self.emit(EngineEvent::ExternalChange);
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

/// How long the scheduler sleeps given the time until the next due account: never longer
/// than a tick, so wall-clock jumps (suspend, clock changes) are caught.
pub fn next_wait(until_due_ms: Millis) -> Duration {
    Duration::from_millis(until_due_ms.clamp(0, TICK.as_millis() as Millis) as u64)
}
