//! What the activity log records: the kinds of events and their outcomes, as closed lists the window labels one by one.
//!
//! The database keeps them as text (older lines stay readable); everything that writes a line
//! names a variant here, and the generated TypeScript types make a missing label in the window
//! a type error.

use serde::Serialize;
use ts_rs::TS;

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum ActivityKind {
    SignIn,
    Refresh,
    Remove,
    RemoveProvider,
    CreateSpace,
    SendMessage,
    /// A program asked the token agent for the account's token (its path and pid in the message).
    AgentRequest,
}

/// How it ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum ActivityOutcome {
    Ok,
    Failed,
    /// A callback or link nobody was waiting for, refused.
    Refused,
    Refreshed,
    /// Tokens the keyring had refused, stored once it answered again.
    KeyringRecovered,
    Retrying,
    Reauth,
    Setup,
    Revoked,
    /// Removed here; the provider did not confirm the revocation.
    NotRevoked,
}

impl ActivityKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ActivityKind::SignIn => "sign_in",
            ActivityKind::Refresh => "refresh",
            ActivityKind::Remove => "remove",
            ActivityKind::RemoveProvider => "remove_provider",
            ActivityKind::CreateSpace => "create_space",
            ActivityKind::SendMessage => "send_message",
            ActivityKind::AgentRequest => "agent_request",
        }
    }
}

impl ActivityOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            ActivityOutcome::Ok => "ok",
            ActivityOutcome::Failed => "failed",
            ActivityOutcome::Refused => "refused",
            ActivityOutcome::Refreshed => "refreshed",
            ActivityOutcome::KeyringRecovered => "keyring_recovered",
            ActivityOutcome::Retrying => "retrying",
            ActivityOutcome::Reauth => "reauth",
            ActivityOutcome::Setup => "setup",
            ActivityOutcome::Revoked => "revoked",
            ActivityOutcome::NotRevoked => "not_revoked",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_text_stored_is_the_name_the_window_is_given() {
        for k in [
            ActivityKind::SignIn,
            ActivityKind::Refresh,
            ActivityKind::Remove,
            ActivityKind::RemoveProvider,
            ActivityKind::CreateSpace,
            ActivityKind::SendMessage,
        ] {
            let json = serde_json::to_string(&k).expect("json");
            assert_eq!(json, format!("\"{}\"", k.as_str()));
        }
        for o in [
            ActivityOutcome::Ok,
            ActivityOutcome::Failed,
            ActivityOutcome::Refused,
            ActivityOutcome::Refreshed,
            ActivityOutcome::KeyringRecovered,
            ActivityOutcome::Retrying,
            ActivityOutcome::Reauth,
            ActivityOutcome::Setup,
            ActivityOutcome::Revoked,
            ActivityOutcome::NotRevoked,
        ] {
            let json = serde_json::to_string(&o).expect("json");
            assert_eq!(json, format!("\"{}\"", o.as_str()));
        }
    }
}
