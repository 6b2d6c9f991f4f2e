//! Every event the shell sends to the webview, the one function that sends them, and the IPC capture used by tests.

use std::io::Write;
use std::sync::Mutex;

use serde::Serialize;
use signet_core::batch::Batch;
use tauri::{AppHandle, Emitter, Manager};

use signet_core::batch::AccountsChanged;
use signet_core::views::KeyringStatus;
use signet_core::views::Notice;
use signet_core::EngineEvent;

/// An event the shell sends to the window: its name and what it carries.
pub trait WindowEvent {
    const NAME: &'static str;
    type Payload: Serialize + Clone;
}

/// Declares the window's events, once: each becomes a type for [`send`], and the UI's typed
/// `on…` functions (`ui/src/lib/bindings/events.ts`) are generated from this list.
macro_rules! window_events {
    ($($(#[doc = $doc:literal])* $event:ident = $name:literal => $payload:ty;)*) => {
        $(
            $(#[doc = $doc])*
            pub struct $event;
            impl WindowEvent for $event {
                const NAME: &'static str = $name;
                type Payload = $payload;
            }
        )*
        /// Every event, for the generated TypeScript.
        #[cfg(test)]
        pub(crate) fn listed() -> Vec<crate::ipc_bindings::EventSig> {
            vec![$(crate::ipc_bindings::EventSig::of::<$payload>($name, &[$($doc),*])),*]
        }
    };
}

window_events! {
    /// One batch of account changes (gathered over about 100 ms): the accounts changed and
    /// removed, or `all` when everything should be read again.
    AccountsChangedEvent = "accounts-changed" => AccountsChanged;
    /// A sign-in started from the window (or a deep link) has ended.
    SignInFinishedEvent = "sign-in-finished" => EngineEvent;
    /// A warning a person should see (for example a forged sign-in link).
    NoticeEvent = "notice" => Notice;
    /// The keyring started or stopped answering.
    KeyringChangedEvent = "keyring-changed" => KeyringStatus;
}

/// When `$SIGNET_IPC_CAPTURE` names a file, every payload sent to the webview (command results
/// and events) is appended to it as one JSON line, so tests can check that none carries a secret.
pub struct IpcCapture(Option<Mutex<std::fs::File>>);

impl IpcCapture {
    /// A test hook: compiled only into debug builds and builds with the `test-hooks` feature,
    /// never into a release package.
    #[cfg(any(debug_assertions, feature = "test-hooks"))]
    pub fn from_env() -> Self {
        let file = std::env::var_os("SIGNET_IPC_CAPTURE")
            .and_then(|p| signet_core::private_fs::append_file(std::path::Path::new(&p)).ok());
        IpcCapture(file.map(Mutex::new))
    }

    #[cfg(not(any(debug_assertions, feature = "test-hooks")))]
    pub fn from_env() -> Self {
        IpcCapture(None)
    }
}

/// Records one payload sent to the webview (no-op unless capture is on).
pub fn capture<T: Serialize>(app: &AppHandle, channel: &str, payload: &T) {
    let Some(state) = app.try_state::<IpcCapture>() else {
        return;
    };
    if let Some(file) = &state.inner().0 {
        let line = serde_json::json!({ "channel": channel, "payload": payload });
        if let Ok(mut f) = file.lock() {
            let _ = writeln!(f, "{line}");
        }
    }
}

fn send<E: WindowEvent>(app: &AppHandle, payload: &E::Payload) {
    capture(app, E::NAME, payload);
    if let Err(e) = app.emit(E::NAME, payload.clone()) {
        tracing::warn!(error = %e, event = E::NAME, "could not emit an event to the window");
    }
}

/// The one place that sends a batch of engine events to the webview: one `accounts-changed`
/// for however many accounts changed, each finished sign-in, the keyring's latest status.
/// Engine events carry no token or secret by construction (see signet_core::views).
pub fn emit_batch(app: &AppHandle, batch: &Batch) {
    for sign_in in &batch.sign_ins {
        send::<SignInFinishedEvent>(app, sign_in);
    }
    if batch.touches_accounts() {
        send::<AccountsChangedEvent>(app, &batch.accounts);
    }
    if let Some(status) = &batch.keyring {
        send::<KeyringChangedEvent>(app, status);
    }
}

/// A warning shown in the window (for example a forged sign-in link).
pub fn notice(app: &AppHandle, code: &str, message: &str) {
    send::<NoticeEvent>(
        app,
        &Notice {
            code: code.into(),
            message: message.into(),
        },
    );
}
