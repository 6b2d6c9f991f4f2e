//! Every event the shell sends to the webview, and the one function that sends them.

use serde::Serialize;
use signet_core::EngineEvent;
use tauri::{AppHandle, Emitter};

/// Event names the UI listens to.
pub const ACCOUNTS_CHANGED: &str = "accounts-changed";
pub const SIGN_IN_FINISHED: &str = "sign-in-finished";
pub const NOTICE: &str = "notice";

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Notice {
    pub code: String,
    pub message: String,
}

/// The one place that emits to the webview. Payloads are engine events and notices, which by
/// construction carry no token or secret.
pub fn emit(app: &AppHandle, event: &EngineEvent) {
    let result = match event {
        EngineEvent::AccountChanged { .. } | EngineEvent::AccountRemoved { .. } => {
            app.emit(ACCOUNTS_CHANGED, event)
        }
        EngineEvent::SignInFinished { .. } => app
            .emit(SIGN_IN_FINISHED, event)
            .and_then(|_| app.emit(ACCOUNTS_CHANGED, event)),
        EngineEvent::Alert { title, message, .. } => app.emit(
            NOTICE,
            Notice {
                code: "alert".into(),
                message: format!("{title}: {message}"),
            },
        ),
    };
    if let Err(e) = result {
        tracing::warn!(error = %e, "could not emit an event to the window");
    }
}

/// A warning shown in the window (for example a forged sign-in link).
pub fn notice(app: &AppHandle, code: &str, message: &str) {
    let _ = app.emit(
        NOTICE,
        Notice {
            code: code.into(),
            message: message.into(),
        },
    );
}
