//! Every event the shell sends to the webview, the one function that sends them, and the IPC capture used by tests.

use std::io::Write;
use std::sync::Mutex;

use serde::Serialize;
use signet_core::batch::Batch;
use tauri::{AppHandle, Emitter, Manager};

/// Event names the UI listens to.
pub const ACCOUNTS_CHANGED: &str = "accounts-changed";
pub const SIGN_IN_FINISHED: &str = "sign-in-finished";
pub const NOTICE: &str = "notice";
pub const KEYRING_CHANGED: &str = "keyring-changed";

use signet_core::views::Notice;

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

fn send<T: Serialize + Clone>(app: &AppHandle, name: &str, payload: &T) {
    capture(app, name, payload);
    if let Err(e) = app.emit(name, payload.clone()) {
        tracing::warn!(error = %e, event = name, "could not emit an event to the window");
    }
}

/// The one place that sends a batch of engine events to the webview: one `accounts-changed`
/// for however many accounts changed, each finished sign-in, the keyring's latest status.
/// Engine events carry no token or secret by construction (see signet_core::views).
pub fn emit_batch(app: &AppHandle, batch: &Batch) {
    for sign_in in &batch.sign_ins {
        send(app, SIGN_IN_FINISHED, sign_in);
    }
    if batch.touches_accounts() {
        send(app, ACCOUNTS_CHANGED, &batch.accounts);
    }
    if let Some(status) = &batch.keyring {
        send(app, KEYRING_CHANGED, status);
    }
}

/// A warning shown in the window (for example a forged sign-in link).
pub fn notice(app: &AppHandle, code: &str, message: &str) {
    send(
        app,
        NOTICE,
        &Notice {
            code: code.into(),
            message: message.into(),
        },
    );
}
