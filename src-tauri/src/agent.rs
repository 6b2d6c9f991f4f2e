//! The token agent in the app: served (with the hooks) while no other agent serves this data folder, and taken over when a headless one stops.

use std::time::Duration;

use signet_core::Engine;

/// How often the app looks whether a headless agent that served before it has stopped.
#[cfg(unix)]
const TAKE_OVER_EVERY: Duration = Duration::from_secs(10);

/// Serves the agent from the app for as long as the app runs. While `signetctl agent` serves,
/// the app says so once in its log and takes over as soon as that one stops.
pub(crate) fn serve(engine: Engine) {
    #[cfg(unix)]
    tauri::async_runtime::spawn(async move {
        use signet_core::agent::{Agent, Front};
        let data_dir = signet_core::engine::default_data_dir();
        let mut told = false;
        loop {
            if engine.quitting() {
                return;
            }
            match Agent::start(engine.clone(), &data_dir, Front::App, None).await {
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
    #[cfg(not(unix))]
    let _ = (engine, Duration::ZERO);
}
