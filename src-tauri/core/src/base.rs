//! What every service is given when it is made: the database, the credentials, the providers, the clock, the event channel and the quit gate.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{broadcast, watch};

use crate::clock::{Clock, Millis};
use crate::credentials::Credentials;
use crate::error::{Error, ErrorCode, Result};
use crate::provider::Provider;
use crate::registry::Registry;
use crate::store::Store;
use crate::views::EngineEvent;

/// The handles every service shares. Cheap to clone: each part is shared, none is owned here.
#[derive(Clone)]
pub struct Base {
    pub store: Store,
    pub credentials: Arc<Credentials>,
    pub registry: Arc<Registry>,
    pub clock: Arc<dyn Clock>,
    pub events: Events,
    pub gate: Arc<QuitGate>,
}

impl Base {
    pub fn now(&self) -> Millis {
        self.clock.now_ms()
    }

    pub fn emit(&self, e: EngineEvent) {
        self.events.emit(e);
    }

    /// The provider named `name`, built with its client secret (see [`Registry::provider`]).
    pub async fn provider(&self, name: &str) -> Result<Arc<dyn Provider>> {
        self.registry.provider(name).await
    }

    /// One line of the activity log, stamped with the engine's clock.
    pub async fn log(
        &self,
        account_id: Option<i64>,
        label: Option<&str>,
        kind: crate::activity::ActivityKind,
        outcome: crate::activity::ActivityOutcome,
        code: Option<&str>,
        message: Option<&str>,
    ) -> Result<()> {
        self.store
            .log(
                self.now(),
                account_id,
                label,
                kind.as_str(),
                outcome.as_str(),
                code,
                message,
            )
            .await
    }

    /// The end of a batch of work (a storm, a refresh, a sign-in): writes what the credentials
    /// service gathered (see [`Credentials::flush`]; while quitting, deletions wait for the next
    /// start) and lets the database settle (see [`Store::work_done`]).
    pub async fn flush_credentials(&self) {
        let gate = self.gate.clone();
        let go_on = move || !gate.quitting();
        if let Err(e) = self.credentials.flush(&go_on).await {
            tracing::warn!(code = e.code.as_str(), "stale generations not cleared yet");
        }
        let _ = self.store.work_done();
    }
}

/// The engine's events, for whoever listens (the window, the tray, notifications, waits).
#[derive(Clone)]
pub struct Events(broadcast::Sender<EngineEvent>);

impl Events {
    /// A channel keeping up to `capacity` events for a listener that falls behind (it then
    /// gets `Lagged` and reloads everything).
    pub fn new(capacity: usize) -> Self {
        Events(broadcast::channel(capacity).0)
    }
    pub fn emit(&self, e: EngineEvent) {
        let _ = self.0.send(e);
    }
    pub fn subscribe(&self) -> broadcast::Receiver<EngineEvent> {
        self.0.subscribe()
    }
}

/// Quitting: whether a refresh may still be sent, and how many are between "sent" and "stored".
pub struct QuitGate {
    in_flight: watch::Sender<usize>,
    quitting: watch::Sender<bool>,
}

impl Default for QuitGate {
    fn default() -> Self {
        QuitGate {
            in_flight: watch::channel(0).0,
            quitting: watch::channel(false).0,
        }
    }
}

impl QuitGate {
    /// From now on no refresh request is sent by anyone in this process.
    pub fn close(&self) {
        self.quitting.send_replace(true);
    }

    pub fn quitting(&self) -> bool {
        *self.quitting.borrow()
    }

    /// After [`QuitGate::close`], nothing new is started.
    pub fn refuse_if_quitting(&self) -> Result<()> {
        if self.quitting() {
            return Err(Error::new(
                ErrorCode::Temporary,
                "Signet is quitting, so this account was not refreshed now; it will be at the next start.",
            ));
        }
        Ok(())
    }

    /// Refreshes sent and not yet stored.
    pub fn in_flight(&self) -> usize {
        *self.in_flight.borrow()
    }

    /// Counts a refresh as sent until the returned guard is dropped (also on an early return or
    /// a cancellation).
    pub fn sent(&self) -> InFlight<'_> {
        self.in_flight.send_modify(|n| *n += 1);
        InFlight(&self.in_flight)
    }

    /// Waits until no refresh is between "sent" and "stored" (at most `limit`). Returns whether
    /// everything was stored.
    pub async fn drain(&self, limit: Duration) -> bool {
        let mut rx = self.in_flight.subscribe();
        let done = tokio::time::timeout(limit, rx.wait_for(|n| *n == 0)).await;
        matches!(done, Ok(Ok(_)))
    }
}

/// A refresh counted as in flight until dropped.
pub struct InFlight<'a>(&'a watch::Sender<usize>);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.send_modify(|n| *n = n.saturating_sub(1));
    }
}
