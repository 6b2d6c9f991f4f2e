//! What the engine shows the outside world: account, provider and settings views, and events. Never a secret.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::clock::Millis;
use crate::error::{Error, ErrorCode};
use crate::store::Status;

/// What the engine tells its listeners (the desktop shell forwards these to the UI).
/// Never carries a token or secret.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(tag = "type", rename_all = "camelCase")]
#[ts(export)]
pub enum EngineEvent {
    /// An account was added, changed or removed.
    #[serde(rename_all = "camelCase")]
    AccountChanged { account_id: i64 },
    #[serde(rename_all = "camelCase")]
    AccountRemoved { account_id: i64 },
    /// A refresh brought the account new tokens (also sent as `AccountChanged`).
    #[serde(rename_all = "camelCase")]
    Refreshed { account_id: i64 },
    /// Something the person should be told outside the window (a notification).
    #[serde(rename_all = "camelCase")]
    Alert {
        account_id: i64,
        kind: AlertKind,
        /// How the account is named ("name <email> (provider)").
        account: String,
        title: String,
        message: String,
    },
    /// Another process (`signetctl`, a second app) changed the accounts: reload everything.
    ExternalChange,
    /// The keyring started or stopped answering (the window shows a warning while in trouble).
    KeyringChanged { status: KeyringStatus },
    #[serde(rename_all = "camelCase")]
    SignInFinished {
        provider: String,
        account_id: Option<i64>,
        error: Option<Error>,
    },
}

/// What an alert is about; alerts of one kind are grouped into one notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub enum AlertKind {
    SignInAgain,
    SetupProblem,
    CannotRefresh,
    EndsSoon,
    /// The balance fell below the threshold the person set.
    LowBalance,
}

impl AlertKind {
    pub const ALL: [AlertKind; 5] = [
        AlertKind::SignInAgain,
        AlertKind::SetupProblem,
        AlertKind::CannotRefresh,
        AlertKind::EndsSoon,
        AlertKind::LowBalance,
    ];

    /// The title of one notification for `n` (more than one) accounts.
    pub fn group_title(self, n: usize) -> String {
        match self {
            AlertKind::SignInAgain => format!("{n} accounts need signing in again"),
            AlertKind::SetupProblem => format!("{n} accounts have a provider set-up problem"),
            AlertKind::CannotRefresh => format!("{n} accounts cannot be refreshed"),
            AlertKind::EndsSoon => format!("{n} accounts' sign-ins end soon"),
            AlertKind::LowBalance => format!("{n} accounts are low on balance"),
        }
    }
}

/// An account as the UI and the CLI show it.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct AccountView {
    pub id: i64,
    pub provider: String,
    pub provider_kind: String,
    pub display_name: String,
    pub email: Option<String>,
    pub avatar_url: Option<String>,
    pub status: Status,
    pub status_code: Option<String>,
    pub status_message: Option<String>,
    pub access_expires_at: Option<Millis>,
    pub refresh_expires_at: Option<Millis>,
    pub next_refresh_at: Option<Millis>,
    pub last_refresh_at: Option<Millis>,
    pub balance: Option<BalanceView>,
    /// The low-balance alert threshold, in money as the balance is shown (`None`: no alert).
    pub low_balance_below: Option<f64>,
    #[ts(type = "Record<string, unknown>")]
    pub profile: serde_json::Value,
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct BalanceView {
    pub formatted: String,
    pub quota: Option<i64>,
    pub used_quota: Option<i64>,
    pub sampled_at: Millis,
}

/// One account with what its detail view shows.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct AccountDetail {
    pub account: AccountView,
    /// Newest first.
    pub balance_history: Vec<BalanceView>,
    /// How long the balance lasts at the last 7 days' rate (`None`: too little history).
    pub forecast: Option<BalanceForecast>,
    /// Newest first.
    pub activity: Vec<ActivityView>,
    pub can_top_up: bool,
    pub can_revoke: bool,
    pub chat: ChatSupport,
    /// Scopes the chat actions need that the provider has not granted (ask again to get them).
    pub missing_scopes: Vec<String>,
    /// Accounts of this provider are added with a form, not a browser (Easemob).
    pub direct: bool,
    /// Whether programs may get this account's token from the token agent.
    pub agent_policy: crate::agent::Policy,
    /// What the person decided for programs under `ask`, newest first.
    pub agent_grants: Vec<AgentGrant>,
}

/// A decision remembered for a program: it may (`allow`) or may not use the account's token.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct AgentGrant {
    /// The program's executable, such as `/usr/bin/git`.
    pub program: String,
    pub allowed: bool,
    pub decided_at: Millis,
}

/// One line of the activity log (the store's row is already fit for display).
pub use crate::store::ActivityRow as ActivityView;

/// A configured provider, as Settings and the add-account dialog show it.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ProviderView {
    pub name: String,
    /// google | feishu | aihubmix | easemob | oidc
    pub kind: String,
    pub client_id: String,
    /// A client secret is available (keyring or environment). The secret itself is never shown.
    pub has_secret: bool,
    /// Set when the keyring could not be asked whether the secret is there (`has_secret` is
    /// then unknown, not false): locked, missing or not answering.
    pub secret_error: Option<ErrorCode>,
    /// The secret comes from this environment variable instead of the keyring.
    pub secret_env: Option<String>,
    /// The redirect URI to register at the provider (`*` stands for "any port").
    pub redirect_uri: String,
    pub issuer: Option<String>,
    pub base_url: Option<String>,
    /// Feishu: feishu | lark
    pub brand: Option<String>,
    /// Sign-in and refresh need a client secret (all but Easemob, where app credentials are optional).
    pub requires_secret: bool,
    /// Accounts are added with a form instead of a browser sign-in (Easemob).
    pub direct: bool,
    /// Easemob: `org_name#app_name`.
    pub app_key: Option<String>,
    /// Accounts signed in through this provider (removing it removes them too).
    pub accounts: u32,
    /// The entry as written in the configuration file, for editing (never a secret).
    pub entry: NewProvider,
}

/// The chat actions an account offers (what the account view shows).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ChatSupport {
    /// Spaces / group chats can be listed.
    pub list: bool,
    /// Named spaces can be created (Google Chat).
    pub create_space: bool,
    pub send: bool,
    /// How a recipient may be named: space | open_id | union_id | user_id | email | chat_id | user.
    pub recipient_kinds: Vec<String>,
    /// A reason the actions cannot be used yet (e.g. Easemob without app credentials).
    pub unavailable: Option<String>,
}

/// A space or group chat the account can post to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ChatTarget {
    /// The provider's id (`spaces/AAAA…`, `oc_…`).
    pub id: String,
    pub name: String,
    /// The recipient kind to send to it with (`space`, `chat_id`).
    pub recipient_kind: String,
    /// A link that opens it in the provider's own app, when there is one.
    pub url: Option<String>,
}

/// Who a message goes to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct Recipient {
    /// One of [`ChatSupport::recipient_kinds`].
    pub kind: String,
    pub id: String,
}

/// A message the provider accepted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ChatSent {
    /// The provider's message id.
    pub message_id: String,
    pub to: String,
    /// When the provider says it was created, as it says it.
    pub created: Option<String>,
}

/// An Easemob account to add (no browser): the app's coordinates and the user's credentials.
/// Either `password` (the `password` grant) or the app credentials (`inherit` grant) is needed.
#[derive(Clone, Default, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct EasemobAccount {
    /// The REST host from the console, e.g. `a1.easemob.com` or `https://a1.easemob.com`.
    pub host: String,
    pub org_name: String,
    pub app_name: String,
    pub username: String,
    #[ts(optional)]
    pub password: Option<String>,
    /// App credentials (Client ID / Client Secret), for the `inherit` grant, the users API and
    /// sending messages.
    #[ts(optional)]
    pub client_id: Option<String>,
    #[ts(optional)]
    pub client_secret: Option<String>,
    /// Token lifetime in seconds; 0 = never expires. Absent: the console's setting.
    #[ts(optional)]
    pub ttl: Option<u64>,
    /// VIP5 cluster (milliseconds).
    #[ts(optional)]
    pub vip5: Option<bool>,
}

impl std::fmt::Debug for EasemobAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EasemobAccount")
            .field("host", &self.host)
            .field("org_name", &self.org_name)
            .field("app_name", &self.app_name)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "[redacted]"))
            .field("client_id", &self.client_id)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| "[redacted]"),
            )
            .finish_non_exhaustive()
    }
}

/// A provider to add (or, with absent values kept and empty ones removed, the change to make
/// to one) from the UI. The secret goes to the keyring; everything else to the config file.
/// Also what Settings is given to edit an entry: the secret is never serialized.
#[derive(Clone, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct NewProvider {
    pub name: String,
    /// google | feishu | aihubmix | easemob | oidc
    pub kind: String,
    pub client_id: String,
    #[ts(optional)]
    #[serde(skip_serializing, default)]
    pub client_secret: Option<String>,
    #[ts(optional)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    #[ts(optional)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
    /// loopback | deep-link
    #[ts(optional)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redirect: Option<String>,
    #[ts(optional)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redirect_port: Option<u16>,
    #[ts(optional)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scopes: Option<Vec<String>>,
    /// Feishu: feishu | lark
    #[ts(optional)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub brand: Option<String>,
    /// Feishu: v2 | v3
    #[ts(optional)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_version: Option<String>,
    /// Endpoint overrides, for hosts that differ from the documented defaults.
    #[ts(optional)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authorize_url: Option<String>,
    #[ts(optional)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_url: Option<String>,
    #[ts(optional)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub userinfo_url: Option<String>,
    #[ts(optional)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revoke_url: Option<String>,
    #[ts(optional)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_base: Option<String>,
    #[ts(optional)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub accounts_base: Option<String>,
    /// Easemob
    #[ts(optional)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub org_name: Option<String>,
    #[ts(optional)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app_name: Option<String>,
    #[ts(optional)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ttl: Option<u64>,
    #[ts(optional)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vip5: Option<bool>,
}

impl std::fmt::Debug for NewProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewProvider")
            .field("name", &self.name)
            .field("kind", &self.kind)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| "[redacted]"),
            )
            .finish_non_exhaustive()
    }
}

/// A sign-in that has started: the browser was opened at `authorize_url`.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct SignInStarted {
    pub provider: String,
    pub authorize_url: String,
    pub redirect_uri: String,
    pub expires_at: Millis,
}

/// What the window's first screen needs, in one answer: the account list, the preferences (the
/// language it is drawn in) and the desktop's font where the page cannot cheaply ask for it.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct FirstScreen {
    pub accounts: Vec<AccountView>,
    pub settings: Settings,
    /// The desktop's interface font family (Linux: GTK's), or none where CSS `system-ui`
    /// already names it cheaply.
    pub desktop_font: Option<String>,
    /// How many batches of account changes the window had been told of when the list was read:
    /// a page that subscribes later asks again (`account_changes`) and reloads if it moved.
    #[ts(type = "number")]
    pub changes: u64,
    /// How many providers are configured (from the configuration, no keyring call): with none,
    /// the window opens on the first-run guide without waiting for the provider list.
    pub providers: u32,
}

/// Preferences kept in the database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct Settings {
    /// "system" | "en" | "zh-CN"
    pub language: String,
    pub notifications: bool,
    pub launch_at_login: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            language: "system".into(),
            notifications: true,
            launch_at_login: false,
        }
    }
}

/// Outcome of "Refresh all".
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct RefreshAllResult {
    pub refreshed: u32,
    pub failed: u32,
}

/// What removing an account did at its provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Revocation {
    /// The provider confirmed: the account's tokens no longer work there.
    Revoked,
    /// The provider offers no revocation (or Signet held no tokens to revoke).
    NotOffered,
    /// The provider was asked and did not confirm: its tokens may keep working there until they
    /// expire.
    Failed(crate::Error),
}

impl Revocation {
    pub fn revoked(&self) -> bool {
        *self == Revocation::Revoked
    }
}

/// Outcome of removing a provider: its accounts went with it.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ProviderRemoved {
    /// Accounts removed from Signet with the provider.
    pub accounts: u32,
    /// Of those, the ones whose access the provider did not confirm revoked (it may keep
    /// working there until it expires).
    pub not_revoked: u32,
}

/// Outcome of removing an account.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct RemoveResult {
    /// The provider confirmed the revocation of Signet's access.
    pub revoked: bool,
}

/// A sentence for the window's warning banner (the `notice` event), e.g. a forged sign-in link.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct Notice {
    /// An [`crate::ErrorCode`] in snake_case, or "alert".
    pub code: String,
    pub message: String,
}

/// The keyring as last seen. `Trouble` carries the error a person reads (never a secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(tag = "state", rename_all = "camelCase")]
#[ts(export)]
pub enum KeyringStatus {
    /// Nothing asked yet.
    Unknown,
    Ok,
    Trouble {
        error: Error,
    },
}

/// How long the balance lasts at the recent rate of spending.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct BalanceForecast {
    /// Days until the balance is spent at that rate; `None` when nothing was spent.
    pub days_left: Option<f64>,
    /// Money spent per day over the period (top-ups are not counted as negative spending).
    pub spent_per_day: f64,
    /// The period the rate is read from, in days (at most 7: less when the history is shorter).
    pub basis_days: f64,
}
