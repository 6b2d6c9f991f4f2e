//! The agent's wire format: one JSON request and one JSON answer per line, version 1 (docs/agent-protocol.md).

use serde::{Deserialize, Serialize};

use crate::clock::Millis;
use crate::error::Error;
use crate::views::AccountView;

/// The protocol version this agent speaks; a request names the one it was written for.
pub const VERSION: u32 = 1;

/// The longest request line accepted, in bytes (a request is a few hundred).
pub const MAX_LINE: usize = 64 * 1024;

/// One request: `{"v":1,"op":"token","account":"alice@example.com","min_ttl_secs":60}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Request {
    pub v: u32,
    #[serde(flatten)]
    pub op: Op,
}

/// What a request asks for.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Op {
    /// Who serves: the agent's pid, front end and version.
    Hello,
    /// A fresh access token with at least `min_ttl_secs` left, refreshed first if needed.
    Token {
        account: String,
        #[serde(default)]
        min_ttl_secs: u64,
    },
    /// A server refused `token`: one refresh if it is still the account's current token.
    Rejected { account: String, token: WireToken },
    /// The accounts, without tokens.
    Accounts,
    /// A stream of status changes, one line each, without tokens, until the client closes.
    Subscribe,
}

/// A token on the wire. Its `Debug` never shows it.
#[derive(Clone, Serialize, Deserialize)]
#[serde(transparent)]
pub struct WireToken(pub String);

impl std::fmt::Debug for WireToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

/// One answer line. `ok: false` carries `error` (a stable code and one sentence).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Answer {
    pub v: u32,
    pub ok: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<Error>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<WireToken>,
    /// When `token` expires, in Unix milliseconds (absent: it does not expire).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<Millis>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<AccountRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accounts: Option<Vec<AccountRef>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<AgentInfo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<StatusEvent>,
}

impl Answer {
    pub fn ok() -> Answer {
        Answer {
            v: VERSION,
            ok: true,
            ..Answer::default()
        }
    }

    pub fn failed(error: Error) -> Answer {
        Answer {
            v: VERSION,
            ok: false,
            error: Some(error),
            ..Answer::default()
        }
    }
}

/// An account as the agent names it: never a token.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AccountRef {
    pub id: i64,
    pub provider: String,
    pub name: String,
    pub email: Option<String>,
    /// `fresh`, `refreshing`, `retrying`, `reauth`, `setup` (as the window shows it).
    pub status: String,
    pub expires_at: Option<Millis>,
}

impl From<&AccountView> for AccountRef {
    fn from(a: &AccountView) -> Self {
        AccountRef {
            id: a.id,
            provider: a.provider.clone(),
            name: a.display_name.clone(),
            email: a.email.clone(),
            status: serde_json::to_value(a.status)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default(),
            expires_at: a.access_expires_at,
        }
    }
}

/// Who serves the agent.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AgentInfo {
    pub pid: u32,
    /// `app` (the desktop app) or `headless` (`signetctl agent`).
    pub front: String,
    pub version: String,
}

/// A line of a `subscribe` stream.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum StatusEvent {
    /// An account was added or its status changed.
    Changed {
        account: AccountRef,
    },
    Removed {
        account_id: i64,
    },
    /// Many things changed (another process, or the stream fell behind): list the accounts again.
    Reload,
}
