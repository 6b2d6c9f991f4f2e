//! The token agent in the app: served (with the hooks) while no other agent serves this data folder, taken over when a headless one stops, and its `ask` question shown as a dialog.

use std::sync::Arc;
use std::time::Duration;

use signet_core::agent::{Decision, Prompter};
use signet_core::Engine;
use tauri::AppHandle;
use tauri_plugin_dialog::{
    DialogExt, MessageDialogButtons, MessageDialogKind, MessageDialogResult,
};

use crate::words::Words;

/// Asks the person in a dialog of the app's (shown even while the window is hidden in the tray).
struct DialogPrompter {
    app: AppHandle,
    engine: Engine,
}

#[async_trait::async_trait]
impl Prompter for DialogPrompter {
    async fn ask(&self, account: &str, program: &str) -> Option<Decision> {
        let words = Words::of(&self.engine).await;
        let [once, always, deny] = words.agent_answers();
        let (tx, rx) = tokio::sync::oneshot::channel();
        tracing::info!(program, "agent: asking the person");
        self.app
            .dialog()
            .message(words.agent_ask(program, account))
            .title(words.agent_ask_title())
            .kind(MessageDialogKind::Warning)
            .buttons(MessageDialogButtons::YesNoCancelCustom(
                once.to_owned(),
                always.to_owned(),
                deny.to_owned(),
            ))
            .show_with_result(move |answer| {
                let _ = tx.send(answer);
            });
        let decision = match rx.await.ok()? {
            MessageDialogResult::Custom(label) if label == once => Decision::Once,
            MessageDialogResult::Custom(label) if label == always => Decision::Always,
            // "Deny" is the dialog's cancel button: Escape and closing the dialog choose it too.
            MessageDialogResult::Custom(label) if label == deny => Decision::Deny,
            MessageDialogResult::Yes => Decision::Once,
            MessageDialogResult::No => Decision::Always,
            _ => Decision::Deny,
        };
        tracing::info!(program, decision = ?decision, "agent: the person answered");
        Some(decision)
    }
}

/// How often the app looks whether a headless agent that served before it has stopped.
const TAKE_OVER_EVERY: Duration = Duration::from_secs(10);

/// Serves the agent from the app for as long as the app runs. While `signetctl agent` serves,
/// the app says so once in its log and takes over as soon as that one stops.
pub(crate) fn serve(app: AppHandle, engine: Engine) {
    tauri::async_runtime::spawn(async move {
        use signet_core::agent::{Agent, Front};
        let data_dir = signet_core::engine::default_data_dir();
        let mut told = false;
        loop {
            if engine.quitting() {
                return;
            }
            let prompter: Arc<dyn Prompter> = Arc::new(DialogPrompter {
                app: app.clone(),
                engine: engine.clone(),
            });
            match Agent::start(engine.clone(), &data_dir, Front::App, Some(prompter)).await {
                Ok(agent) => {
                    if told {
                        tracing::info!("the app took the token agent over");
                    }
                    // The agent's process runs the configuration's hooks, once per event.
                    let hooks = signet_core::hooks::Hooks::start(engine.clone());
                    // Both live as long as the app; quitting ends the runtime and drops them.
                    std::future::pending::<()>().await;
                    drop((agent, hooks));
                    return;
                }
                Err(e) => {
                    if !told {
                        tracing::warn!(code = e.code.as_str(), "{}", e.message);
                        told = true;
                    }
                    tokio::time::sleep(TAKE_OVER_EVERY).await;
                }
            }
        }
    });
}
