//! The provider trait every provider implements, the values it returns, and how its errors are classified.

#[macro_use]
pub mod kinds;
pub(crate) mod feishu_errors;
pub mod oauth;
pub mod spec;

// The registry: every kind of provider, one line each, in the order the window offers them.
// Each line declares the provider's module and makes its `Keys` a kind (provider/kinds.rs).
kinds! {
    Google => google,
    Feishu => feishu,
    AiHubMix => aihubmix,
    Easemob => easemob,
    Oidc => oidc,
    #[cfg(any(test, debug_assertions))]
    Example => example,
}

use std::time::Duration;

use async_trait::async_trait;
use serde::Serialize;
use url::Url;

use crate::error::{Error, ErrorCode, Result};
use crate::http::{Http, HttpError};
use crate::secret::Secret;
use crate::vault::Tokens;
pub use crate::views::{ChatSent, ChatSupport, ChatTarget, Recipient};
pub use spec::{Capabilities, Entry, ProviderKind, ProviderSpec};

/// What a refresh failure means for the account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureClass {
    /// Network, timeouts, 408, 429, 5xx, provider "try later": back off and retry.
    Transient,
    /// The credentials are no longer accepted: the person must sign in again.
    Reauth,
    /// Client id/secret, redirect URI or scopes are wrong: fix the settings.
    Setup,
    /// An action needs a permission the person has not granted: ask for it (incremental consent).
    ScopeMissing,
    /// The provider refused this one action (unknown recipient, name taken, message too long);
    /// the account itself is fine.
    Refused,
}

/// A provider call that failed, classified. `message` is for a person and holds no secret.
#[derive(Debug, Clone)]
pub struct ProviderError {
    pub class: FailureClass,
    /// Stable code: the provider's error code (`invalid_grant`) or a transport one (`http_503`).
    pub code: String,
    pub message: String,
    pub retry_after: Option<Duration>,
    /// The request may have been processed although no usable answer came back (a rotating
    /// refresh token may have been spent).
    pub maybe_processed: bool,
}

impl ProviderError {
    pub fn new(class: FailureClass, code: impl Into<String>, message: impl Into<String>) -> Self {
        ProviderError {
            class,
            code: code.into(),
            message: message.into(),
            retry_after: None,
            maybe_processed: false,
        }
    }

    /// Classifies a transport failure talking to `provider`.
    pub fn from_http(provider: &str, e: &HttpError) -> Self {
        let mut pe = match e {
            HttpError::Connect(why) => ProviderError::new(
                FailureClass::Transient,
                "network",
                format!("{provider} could not be reached ({why})."),
            ),
            HttpError::Timeout => ProviderError::new(
                FailureClass::Transient,
                "timeout",
                format!("{provider} did not answer in time."),
            ),
            HttpError::Dropped => ProviderError::new(
                FailureClass::Transient,
                "connection_lost",
                format!("The connection to {provider} broke before its answer arrived."),
            ),
            HttpError::TooLarge { .. } => ProviderError::new(
                FailureClass::Transient,
                "oversized_answer",
                format!("{provider} sent an answer far larger than expected; it was not read."),
            ),
            HttpError::Status {
                status,
                retry_after,
                content_type,
            } => {
                let mut pe = match status {
                    429 => ProviderError::new(
                        FailureClass::Transient,
                        "rate_limited",
                        format!("{provider} asked Signet to slow down (HTTP 429)."),
                    ),
                    408 | 500..=599 => ProviderError::new(
                        FailureClass::Transient,
                        format!("http_{status}"),
                        format!("{provider} is having trouble (HTTP {status})."),
                    ),
                    _ => {
                        let what = match content_type.as_deref() {
                            Some(c) if c.contains("html") => "a web page",
                            _ => "an answer Signet does not understand",
                        };
                        ProviderError::new(
                            FailureClass::Transient,
                            format!("http_{status}"),
                            format!("{provider} sent {what} (HTTP {status}) instead of a proper reply. If this persists, check the provider's URLs in the settings."),
                        )
                    }
                };
                pe.retry_after = *retry_after;
                pe
            }
        };
        pe.maybe_processed = e.maybe_processed();
        pe
    }

    pub fn to_error(&self) -> Error {
        let code = match self.class {
            FailureClass::Transient => ErrorCode::Temporary,
            FailureClass::Reauth => ErrorCode::ReauthRequired,
            FailureClass::Setup => ErrorCode::SetupProblem,
            FailureClass::ScopeMissing => ErrorCode::ScopeMissing,
            FailureClass::Refused => ErrorCode::ActionRefused,
        };
        Error::new(code, self.message.clone())
    }

    /// "This provider cannot do that" (a chat action it does not have).
    pub fn unsupported(provider: &str, what: &str) -> Self {
        ProviderError::new(
            FailureClass::Refused,
            "unsupported",
            format!("{provider} accounts cannot {what} in Signet."),
        )
    }

    /// The access token was refused (HTTP 401 or the provider's equivalent): the engine
    /// refreshes once and retries once.
    pub fn access_rejected(provider: &str) -> Self {
        ProviderError::new(
            FailureClass::Reauth,
            ACCESS_REJECTED,
            format!("{provider} refused the access token."),
        )
    }

    pub fn is_access_rejected(&self) -> bool {
        self.code == ACCESS_REJECTED
    }
}

/// Code of [`ProviderError::access_rejected`].
pub const ACCESS_REJECTED: &str = "access_rejected";

/// What a token endpoint granted.
#[derive(Debug, Clone)]
pub struct Grant {
    pub access: Secret,
    pub refresh: Option<Secret>,
    pub expires_in: Option<Duration>,
    pub refresh_expires_in: Option<Duration>,
    pub scope: Option<String>,
    pub id_token: Option<Secret>,
    /// The token never expires (Easemob `ttl` 0): no refresh is ever due.
    pub never_expires: bool,
    /// A profile the token response itself carried (Easemob's `user` object).
    pub profile: Option<Profile>,
}

impl Grant {
    /// A grant with just an access token; the other fields empty.
    pub fn access_only(access: Secret) -> Self {
        Grant {
            access,
            refresh: None,
            expires_in: None,
            refresh_expires_in: None,
            scope: None,
            id_token: None,
            never_expires: false,
            profile: None,
        }
    }
}

/// AIHubMix-style balance.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Balance {
    pub formatted: Option<String>,
    pub quota: Option<i64>,
    pub used_quota: Option<i64>,
}

/// Who the account is, for display and for keying (`subject`).
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    pub subject: String,
    pub display_name: String,
    pub email: Option<String>,
    pub avatar_url: Option<String>,
    /// Other non-secret fields worth showing (JSON object).
    pub extra: serde_json::Value,
    pub balance: Option<Balance>,
}

/// Parameters of one authorization request.
#[derive(Debug, Clone)]
pub struct AuthRequest {
    pub state: Secret,
    pub redirect_uri: String,
    pub pkce_verifier: Option<Secret>,
    pub nonce: Option<Secret>,
    /// Signing in again to an existing account: pre-select it at the provider.
    pub login_hint: Option<String>,
    /// Ask the provider to show its consent screen again (Google: `prompt=consent`), used
    /// when the previous sign-in returned no refresh token.
    pub force_consent: bool,
}

/// The account a call is made for (what a provider may need besides the token).
#[derive(Debug, Clone, Copy)]
pub struct AccountCtx<'a> {
    pub subject: &'a str,
    /// The scopes the provider granted, space-separated, when known.
    pub scopes: Option<&'a str>,
}

/// What a profile fetch may use besides the access token.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProfileCtx<'a> {
    /// The grant just received (sign-in or token refresh), if any.
    pub grant: Option<&'a Grant>,
    /// The sign-in's nonce, to check an ID token against.
    pub nonce: Option<&'a Secret>,
    /// The account's subject, when the account exists already.
    pub subject: Option<&'a str>,
}

/// An account added without a browser (Easemob): the user id and, for the `password`
/// grant, the password. Without a password the provider's app credentials are used.
#[derive(Clone)]
pub struct DirectSignIn {
    pub username: String,
    pub password: Option<Secret>,
    /// Token lifetime to ask for, in seconds (0 = never expires); `None`: the provider's setting.
    pub ttl: Option<u64>,
}

/// A provider: endpoints, token requests, profile, and the extras it supports.
#[async_trait]
pub trait Provider: Send + Sync {
    /// The configured name ("aihubmix", "corp-sso").
    fn name(&self) -> &str;
    /// What this kind of provider is (its module's `SPEC`).
    fn spec(&self) -> &'static ProviderSpec;
    fn kind(&self) -> ProviderKind {
        self.spec().kind
    }
    /// The configuration entry's shared part (name, client, redirect).
    fn entry(&self) -> &Entry;
    fn uses_pkce(&self) -> bool {
        self.spec().pkce
    }
    fn uses_nonce(&self) -> bool {
        self.spec().nonce
    }
    /// Refresh-token lifetime when the token response does not state one.
    fn default_refresh_lifetime(&self) -> Option<Duration> {
        None
    }
    /// The issuer a callback's `iss` must name, where the provider sends one (RFC 9207).
    async fn expected_issuer(&self) -> Result<Option<String>> {
        Ok(None)
    }
    async fn authorize_url(&self, request: &AuthRequest) -> Result<Url>;
    async fn exchange_code(
        &self,
        code: &Secret,
        request: &AuthRequest,
    ) -> Result<Grant, ProviderError>;
    async fn refresh(&self, refresh_token: &Secret) -> Result<Grant, ProviderError>;
    /// Profile from the userinfo endpoint (and the ID token where there is one).
    async fn profile(&self, access: &Secret, ctx: ProfileCtx<'_>)
        -> Result<Profile, ProviderError>;
    /// What it offers besides sign-in and refresh (chat has its own, finer [`Provider::chat_support`]).
    fn capabilities(&self) -> Capabilities {
        self.spec().capabilities
    }
    /// Adds an account without a browser (Easemob). The grant's refresh secret is what
    /// re-issues the token later; it is stored in the keyring like any refresh token.
    async fn sign_in_direct(
        &self,
        _form: &DirectSignIn,
    ) -> Result<(Grant, Profile), ProviderError> {
        Err(ProviderError::unsupported(
            self.name(),
            "be added without a browser",
        ))
    }
    /// A better sentence for a sign-in the provider stopped accepting, given how long ago
    /// the person signed in (Google's 7-day rule for apps in "Testing").
    fn reauth_hint(&self, _code: &str, _since_sign_in: Duration) -> Option<String> {
        None
    }
    /// Something about the account the person must know as soon as it is added, when the
    /// provider reports it in the profile (Easemob: the user is banned). The account is then
    /// shown as a set-up problem with this sentence instead of "fresh".
    fn account_problem(&self, _profile: &Profile) -> Option<String> {
        None
    }
    /// Why a sign-in brought no refresh token, when it is the provider's set-up and signing in
    /// again cannot help (`None`: the next sign-in asks for consent, which issues one).
    fn no_refresh_token_reason(&self) -> Option<String> {
        None
    }
    /// Scopes the chat actions need that `granted` (space-separated) lacks.
    fn missing_scopes(&self, _granted: Option<&str>) -> Vec<String> {
        Vec::new()
    }
    /// The chat actions this provider offers.
    fn chat_support(&self) -> ChatSupport {
        ChatSupport::default()
    }
    /// Spaces or group chats the account can post to.
    async fn chat_list(
        &self,
        _access: &Secret,
        _account: AccountCtx<'_>,
    ) -> Result<Vec<ChatTarget>, ProviderError> {
        Err(ProviderError::unsupported(self.name(), "list chats"))
    }
    /// Creates a named space (Google Chat).
    async fn chat_create_space(
        &self,
        _access: &Secret,
        _account: AccountCtx<'_>,
        _display_name: &str,
    ) -> Result<ChatTarget, ProviderError> {
        Err(ProviderError::unsupported(self.name(), "create spaces"))
    }
    /// Sends a text message.
    async fn chat_send(
        &self,
        _access: &Secret,
        _account: AccountCtx<'_>,
        _to: &Recipient,
        _text: &str,
    ) -> Result<ChatSent, ProviderError> {
        Err(ProviderError::unsupported(self.name(), "send messages"))
    }
    /// The page where the person tops up their balance, if the provider has one.
    async fn topup_url(&self, _access: &Secret) -> Result<Option<Url>, ProviderError> {
        Ok(None)
    }
    /// Revokes the grant at the provider; `Ok(false)` when the provider has no revocation.
    async fn revoke(&self, _tokens: &Tokens) -> Result<bool, ProviderError> {
        Ok(false)
    }
}

/// Where a provider keeps a secret of its own between runs (Easemob's app token): the keyring.
/// Best effort: a value that cannot be read or stored is simply made again.
#[async_trait]
pub trait Stash: Send + Sync {
    async fn get(&self, key: &str) -> Option<Secret>;
    async fn put(&self, key: &str, value: &Secret);
}

#[async_trait]
impl Stash for crate::vault::Vault {
    async fn get(&self, key: &str) -> Option<Secret> {
        self.get_secret(key).await.ok().flatten()
    }
    async fn put(&self, key: &str, value: &Secret) {
        if let Err(e) = self.put_secret(key, value).await {
            tracing::info!(
                code = e.code.as_str(),
                "provider value not kept in the keyring"
            );
        }
    }
}

/// A provider's typed profile fields as the JSON the database keeps (`profile_json`).
pub(crate) fn profile_json<T: serde::Serialize>(fields: &T) -> serde_json::Value {
    serde_json::to_value(fields).unwrap_or_default()
}

/// The error for a provider whose client secret is nowhere to be found.
pub fn missing_secret(config: &Entry) -> ProviderError {
    let how = match &config.client_secret_env {
        Some(var) => format!("set the environment variable {var}"),
        None => format!(
            "run `signetctl secret-set {}` (or enter it in Settings)",
            config.name
        ),
    };
    ProviderError::new(
        FailureClass::Setup,
        "missing_client_secret",
        format!("Signet has no client secret for {}: {how}.", config.name),
    )
}

pub(crate) fn parse_url(value: &str, what: &str, provider: &str) -> Result<Url> {
    crate::endpoint::check_endpoint(value)
        .map_err(|why| Error::config(format!("{provider}: {what}: {why}")))
}

/// GET `url` with the access token and parse a JSON answer. 401 means the access token was
/// refused (`access_rejected`): the caller refreshes once and retries.
pub(crate) async fn get_json<T: serde::de::DeserializeOwned>(
    http: &Http,
    provider: &str,
    url: &Url,
    access: &Secret,
) -> Result<T, ProviderError> {
    let req = http
        .reqwest()
        .get(url.clone())
        .bearer_auth(access.expose())
        .header(reqwest::header::ACCEPT, "application/json");
    let (status, headers, body) = http
        .send(req)
        .await
        .map_err(|e| ProviderError::from_http(provider, &e))?;
    if status == 401 {
        return Err(ProviderError::access_rejected(provider));
    }
    if status != 200 {
        return Err(ProviderError::from_http(
            provider,
            &HttpError::from_status(status, &headers),
        ));
    }
    serde_json::from_slice(&body).map_err(|_| {
        ProviderError::new(
            FailureClass::Transient,
            "unreadable_answer",
            format!("{provider} sent a profile Signet could not read."),
        )
    })
}
