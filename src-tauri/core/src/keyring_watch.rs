//! The keyring watch: turns the keyring's state into events for the window, and wakes the
//! scheduler when the keyring answers again.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{watch, Notify};

use crate::base::Base;
use crate::error::ErrorCode;
use crate::views::{EngineEvent, KeyringStatus};

/// Tells the window about the keyring's state, and wakes the scheduler when it answers again.
pub struct KeyringWatch {
    base: Base,
    /// Notified when the keyring answers again: refreshes that waited for it resume.
    wake: Arc<Notify>,
}

impl KeyringWatch {
    pub fn new(base: Base, wake: Arc<Notify>) -> Self {
        KeyringWatch { base, wake }
    }

    /// Probes the keyring at start, then turns its changes into [`EngineEvent::KeyringChanged`]
    /// until `stop`. While it does not answer or is missing, it is asked again every `retry`, so
    /// the window's warning clears, and refreshes resume, as soon as it is back. (A locked one is
    /// not asked again: that would put an unlock prompt on screen every `retry`.)
    pub async fn run(&self, retry: Duration, mut stop: watch::Receiver<bool>) {
        let vault = self.base.credentials.vault();
        let mut changes = vault.health().subscribe();
        // A real entry, if there is one: a locked collection only says so when one is read.
        let probe_key = match self.base.store.some_account_tokens().await {
            Ok(found) => found.map(|(id, generation)| crate::vault::tokens_key(id, generation)),
            Err(_) => None,
        };
        let _ = vault.probe(probe_key).await;
        let mut shown = KeyringStatus::Unknown;
        loop {
            let now = changes.borrow_and_update().clone();
            if now != shown {
                if matches!(shown, KeyringStatus::Trouble { .. }) && now == KeyringStatus::Ok {
                    tracing::info!("the keyring answers again");
                    self.wake.notify_one();
                } else if let KeyringStatus::Trouble { error } = &now {
                    tracing::warn!(code = error.code.as_str(), "keyring trouble");
                }
                self.base.emit(EngineEvent::KeyringChanged {
                    status: now.clone(),
                });
                shown = now;
            }
            if *stop.borrow() {
                return;
            }
            let ask_again = matches!(&shown, KeyringStatus::Trouble { error }
                if error.code != ErrorCode::KeyringLocked);
            tokio::select! {
                _ = changes.changed() => {}
                _ = tokio::time::sleep(retry), if ask_again => {
                    let _ = vault.probe(None).await;
                }
                _ = stop.changed() => {}
            }
        }
    }
}
