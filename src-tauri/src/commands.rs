//! Thin IPC commands: unpack arguments, call one engine function, map the error.

use serde::Serialize;
use signet_core::{AccountView, Engine};
use tauri::State;

/// The error every command returns: a stable code and a sentence for the person.
#[derive(Debug, Serialize)]
pub struct CommandError {
    pub code: &'static str,
    pub message: String,
}

impl From<signet_core::Error> for CommandError {
    fn from(e: signet_core::Error) -> Self {
        CommandError {
            code: e.code.as_str(),
            message: e.message,
        }
    }
}

#[tauri::command]
pub async fn list_accounts(engine: State<'_, Engine>) -> Result<Vec<AccountView>, CommandError> {
    Ok(engine.list().await?)
}

#[tauri::command]
pub async fn refresh_account(engine: State<'_, Engine>, id: i64) -> Result<(), CommandError> {
    engine.refresh(id, true).await?;
    Ok(())
}
