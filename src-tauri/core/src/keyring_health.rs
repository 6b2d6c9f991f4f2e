//! What Signet knows about the keyring right now: the last answer it gave, and calls it never answered.
//!
//! Two jobs. The window shows one sentence while the keyring is in trouble and hides it when the
//! keyring answers again (a `watch` channel that `keyring_watch` turns into events). And a Secret Service that
//! never answers must not collect one blocked thread per account: while an abandoned call is still
//! hanging, further calls fail at once with the same "did not answer" error, and one new call is let
//! through every [`RETRY_HUNG`] to see whether it is back.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::watch;

use crate::error::{Error, ErrorCode};
use crate::views::KeyringStatus;

/// How often a new call is tried while an earlier one is still hanging.
pub const RETRY_HUNG: Duration = Duration::from_secs(30);

impl KeyringStatus {
    fn from_outcome(error: Option<&Error>) -> KeyringStatus {
        match error {
            None => KeyringStatus::Ok,
            Some(e) if is_keyring_trouble(e.code) => KeyringStatus::Trouble { error: e.clone() },
            // Any other answer (a refused item, say) still shows the keyring is there.
            Some(_) => KeyringStatus::Ok,
        }
    }
}

pub fn is_keyring_trouble(code: ErrorCode) -> bool {
    matches!(
        code,
        ErrorCode::KeyringUnavailable | ErrorCode::KeyringLocked | ErrorCode::KeyringTimeout
    )
}

/// Shared by every clone of a vault.
#[derive(Debug)]
pub struct KeyringHealth {
    status: watch::Sender<KeyringStatus>,
    /// Calls given up on (timed out) whose thread is still waiting for the keyring.
    hanging: AtomicUsize,
    last_abandoned: Mutex<Option<Instant>>,
}

impl Default for KeyringHealth {
    fn default() -> Self {
        KeyringHealth {
            status: watch::channel(KeyringStatus::Unknown).0,
            hanging: AtomicUsize::new(0),
            last_abandoned: Mutex::new(None),
        }
    }
}

/// One call's bookkeeping, shared between the waiting task and the blocked thread.
#[derive(Debug, Default)]
pub struct CallState {
    done: bool,
    abandoned: bool,
}

impl KeyringHealth {
    pub fn status(&self) -> KeyringStatus {
        self.status.borrow().clone()
    }

    pub fn subscribe(&self) -> watch::Receiver<KeyringStatus> {
        self.status.subscribe()
    }

    /// Records the outcome of a call that returned (in time or not).
    pub fn record(&self, error: Option<&Error>) {
        let next = KeyringStatus::from_outcome(error);
        self.status.send_if_modified(|s| {
            let changed = *s != next;
            *s = next;
            changed
        });
    }

    /// `Some(error)` when an earlier call is still hanging and it is not yet time to try again.
    pub fn refuse_while_hung(&self) -> Option<Error> {
        if self.hanging.load(Ordering::SeqCst) == 0 {
            return None;
        }
        let last = self.last_abandoned.lock().ok().and_then(|l| *l)?;
        (last.elapsed() < RETRY_HUNG).then(|| {
            Error::new(
                ErrorCode::KeyringTimeout,
                "Your system keyring has not answered an earlier request yet. Nothing was saved. \
                 Check that the keyring service is running and not waiting for a password prompt; \
                 Signet tries again on its own.",
            )
        })
    }

    /// The waiting side gave up on a call after the time limit.
    pub fn abandon(&self, call: &Arc<Mutex<CallState>>, error: &Error) {
        if let Ok(mut c) = call.lock() {
            if !c.done {
                c.abandoned = true;
                self.hanging.fetch_add(1, Ordering::SeqCst);
                if let Ok(mut l) = self.last_abandoned.lock() {
                    *l = Some(Instant::now());
                }
            }
        }
        self.record(Some(error));
    }

    /// The blocked thread got its answer (`ok`: a usable one). If nobody waits for it any more,
    /// it is one hanging call fewer, and a good answer shows the keyring is back.
    pub fn finished(&self, call: &Arc<Mutex<CallState>>, ok: bool) {
        let abandoned = match call.lock() {
            Ok(mut c) => {
                c.done = true;
                c.abandoned
            }
            Err(_) => false,
        };
        if abandoned {
            self.hanging.fetch_sub(1, Ordering::SeqCst);
            if ok {
                self.record(None);
            }
        }
    }

    pub fn hanging(&self) -> usize {
        self.hanging.load(Ordering::SeqCst)
    }
}
