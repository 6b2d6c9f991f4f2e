//! Easemob IM (seed 003): user tokens by password or app credentials (no browser), re-issued before they expire; profile; text messages.

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::json;
use url::Url;

use super::spec::{
    Capabilities, Entry, KeySpec, KindKeys, Parts, ProviderKind, ProviderSpec, RedirectMode,
    SecretNeed, SignInStyle,
};
use super::{
    AccountCtx, AuthRequest, ChatSent, ChatSupport, DirectSignIn, FailureClass, Grant, Profile,
    ProfileCtx, Provider, ProviderError, Recipient, Stash,
};
use crate::error::{Error, Result};
use crate::http::{Http, HttpError};
use crate::secret::Secret;

/// A message body plus `ext` may be at most 5 KB.
const MAX_MESSAGE_BYTES: usize = 5 * 1024 - 200;

/// An Easemob entry's own keys: the app's REST host and its AppKey (`org_name#app_name`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Keys {
    /// The app's REST host (`https://a1.easemob.com`).
    pub base_url: String,
    /// The organization name (`org_name` in the console).
    pub org_name: String,
    /// The app name (`app_name`).
    pub app_name: String,
    /// Token lifetime to ask for, in seconds; 0 = a token that never expires. Absent: the
    /// console's setting (60 days by default).
    #[serde(default)]
    pub ttl: Option<u64>,
    /// VIP5 clusters state `ttl` and `expires_in` in milliseconds.
    #[serde(default)]
    pub vip5: Option<bool>,
    /// Token endpoint override (default `<base_url>/<org>/<app>/token`).
    #[serde(default)]
    pub token_url: Option<String>,
}

impl KindKeys for Keys {
    const SPEC: &'static ProviderSpec = &SPEC;

    /// `org_name` and `app_name` are plain names (they become path segments of every call).
    fn check(&self) -> std::result::Result<(), (&'static str, &'static str)> {
        for (k, v) in [("org_name", &self.org_name), ("app_name", &self.app_name)] {
            let plain = !v.is_empty()
                && v.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
            if !plain {
                return Err((k, "is not a plain name; copy it from the Easemob console (the AppKey is org_name#app_name)."));
            }
        }
        Ok(())
    }

    fn build(self, p: Parts) -> Arc<dyn Provider> {
        Arc::new(Easemob::new(p.entry, self, p.client_secret, p.http).with_stash(p.stash))
    }
}

/// Easemob IM, as it declares itself (seed 003, providers.md §4).
pub static SPEC: ProviderSpec = ProviderSpec {
    kind: ProviderKind::new("easemob"),
    label: "Easemob IM",
    sign_in: SignInStyle::Form,
    pkce: false,
    nonce: false,
    redirect: RedirectMode::DeepLink,
    fixed_port: None,
    no_deep_link: None,
    // The app's Client ID and Secret are optional: a user's password is enough to sign in.
    secret: SecretNeed::Optional,
    client_id_required: false,
    default_base_url: None,
    default_scopes: super::spec::no_scopes,
    required: &[
        KeySpec::required("base_url", "Easemob needs the app's REST host, e.g. \"https://a1.easemob.com\" (console → 应用详情)"),
        KeySpec::required("org_name", "copy it from the Easemob console (the AppKey is org_name#app_name)"),
        KeySpec::required("app_name", "copy it from the Easemob console (the AppKey is org_name#app_name)"),
    ],
    test_only: false,
    capabilities: Capabilities {
        form_sign_in: true,
        ..Capabilities::NONE
    },
};

pub struct Easemob {
    entry: Entry,
    keys: Keys,
    /// The app's Client Secret (optional: without app credentials only the password grant works).
    client_secret: Option<Secret>,
    http: Http,
    app_token: tokio::sync::Mutex<Option<(Secret, Option<Instant>)>>,
    /// Keeps the app token between runs, so each `signetctl` does not mint another.
    stash: Option<Arc<dyn Stash>>,
}

/// The app (admin) token's own lifetime, whatever the accounts' `ttl`: a `ttl` of 0 would make
/// every admin token minted permanent.
const APP_TOKEN_TTL_SECS: u64 = 24 * 3600;

/// The app token as kept in the keyring: for which Client ID, and until when (Unix ms).
#[derive(Serialize, Deserialize)]
struct StashedAppToken {
    client_id: String,
    token: String,
    until_ms: u64,
}

/// What re-issues an account's token; stored in the keyring where other providers keep the
/// refresh token. Never leaves the engine.
#[derive(Serialize, Deserialize)]
#[serde(tag = "grant", rename_all = "lowercase")]
enum Credential {
    Password {
        username: String,
        password: String,
        /// The lifetime asked for at sign-in (seconds), kept for every re-issue.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        ttl: Option<u64>,
    },
    Inherit {
        username: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        ttl: Option<u64>,
    },
}

impl Credential {
    fn ttl(&self) -> Option<u64> {
        match self {
            Credential::Password { ttl, .. } | Credential::Inherit { ttl, .. } => *ttl,
        }
    }
}

/// `POST /{org}/{app}/token` answer. Holds the token: no `Debug`.
#[derive(Deserialize)]
pub(crate) struct TokenAnswer {
    access_token: String,
    #[serde(default)]
    pub(crate) expires_in: Option<serde_json::Value>,
    #[serde(default)]
    user: Option<User>,
}

/// What an Easemob account's profile shows beyond its name (the window labels each field).
#[derive(Debug, serde::Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct EasemobProfile {
    /// `org_name#app_name`.
    pub app_key: String,
    pub host: Option<String>,
    pub username: String,
    pub nickname: Option<String>,
    /// False: the user is banned.
    pub activated: Option<bool>,
    pub uuid: Option<String>,
    /// Unix milliseconds.
    pub created: Option<i64>,
    pub modified: Option<i64>,
}

#[derive(Debug, Clone, Deserialize)]
struct User {
    #[serde(default)]
    uuid: Option<String>,
    username: String,
    #[serde(default)]
    activated: Option<bool>,
    #[serde(default)]
    created: Option<i64>,
    #[serde(default)]
    modified: Option<i64>,
    #[serde(default)]
    nickname: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Entities {
    #[serde(default)]
    entities: Vec<User>,
}

#[derive(Debug, Deserialize)]
struct Sent {
    #[serde(default)]
    data: serde_json::Map<String, serde_json::Value>,
    #[serde(default)]
    timestamp: Option<i64>,
}

/// The error shape: `{"error", "exception", "timestamp", "duration", "error_description"}`.
#[derive(Debug, Default, Deserialize)]
struct ApiError {
    #[serde(default)]
    error: String,
    #[serde(default)]
    error_description: String,
}

/// Which call failed, for the sentence.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Call {
    UserToken,
    AppToken,
    Api,
}

impl Easemob {
    pub fn new(entry: Entry, keys: Keys, client_secret: Option<Secret>, http: Http) -> Self {
        Easemob {
            entry,
            keys,
            client_secret,
            http,
            app_token: tokio::sync::Mutex::new(None),
            stash: None,
        }
    }

    /// Keeps the app token in `stash` between runs.
    pub fn with_stash(mut self, stash: Arc<dyn Stash>) -> Self {
        self.stash = Some(stash);
        self
    }

    fn stash_key(&self) -> String {
        format!("provider/{}/app-token", self.entry.name)
    }

    /// The app token another run kept, if it is for this Client ID and not near its end.
    async fn stashed_app_token(&self, client_id: &str) -> Option<(Secret, Instant)> {
        let kept = self.stash.as_ref()?.get(&self.stash_key()).await?;
        let kept: StashedAppToken = serde_json::from_str(kept.expose()).ok()?;
        let left = Duration::from_millis(kept.until_ms).checked_sub(unix_now())?;
        (kept.client_id == client_id).then(|| (Secret::new(kept.token), Instant::now() + left))
    }

    async fn stash_app_token(&self, client_id: &str, token: &Secret, left: Duration) {
        let Some(stash) = &self.stash else { return };
        let kept = StashedAppToken {
            client_id: client_id.to_owned(),
            token: token.expose().to_owned(),
            until_ms: (unix_now() + left).as_millis() as u64,
        };
        if let Ok(text) = serde_json::to_string(&kept) {
            stash.put(&self.stash_key(), &Secret::new(text)).await;
        }
    }

    fn app_key(&self) -> String {
        format!("{}#{}", self.keys.org_name, self.keys.app_name)
    }

    fn url(&self, path: &str) -> Result<Url, ProviderError> {
        let base = self.keys.base_url.trim_end_matches('/');
        let (org, app) = (&self.keys.org_name, &self.keys.app_name);
        let value = format!("{base}/{org}/{app}{path}");
        super::parse_url(&value, "base_url", &self.entry.name)
            .map_err(|e| ProviderError::new(FailureClass::Setup, "config", e.message))
    }

    fn token_url(&self) -> Result<Url, ProviderError> {
        match &self.keys.token_url {
            Some(u) => super::parse_url(u, "token_url", &self.entry.name)
                .map_err(|e| ProviderError::new(FailureClass::Setup, "config", e.message)),
            None => self.url("/token"),
        }
    }

    fn app_credentials(&self) -> Option<(&str, &Secret)> {
        let id = self.entry.client_id.trim();
        match &self.client_secret {
            Some(s) if !id.is_empty() && !s.expose().is_empty() => Some((id, s)),
            _ => None,
        }
    }

    fn vip5(&self) -> bool {
        self.keys.vip5.unwrap_or(false)
    }

    /// `ttl` (seconds; the account's own, else the provider's) as the cluster expects it
    /// (milliseconds on VIP5).
    fn ttl(&self, account: Option<u64>) -> Option<u64> {
        account.or(self.keys.ttl).map(|s| {
            if self.vip5() {
                s.saturating_mul(1000)
            } else {
                s
            }
        })
    }

    /// `expires_in` → lifetime; `Ok(None)` = never expires (`0`).
    pub(crate) fn lifetime(&self, v: Option<&serde_json::Value>) -> Option<Duration> {
        let n = match v {
            Some(serde_json::Value::Number(n)) => n.as_u64()?,
            Some(serde_json::Value::String(s)) => s.trim().parse().ok()?,
            _ => return Some(Duration::from_secs(60 * 24 * 3600)),
        };
        if n == 0 {
            return None;
        }
        Some(if self.vip5() {
            Duration::from_millis(n)
        } else {
            Duration::from_secs(n)
        })
    }

    async fn post_json(
        &self,
        url: Url,
        body: &serde_json::Value,
        bearer: Option<&Secret>,
    ) -> Result<(u16, reqwest::header::HeaderMap, Vec<u8>), ProviderError> {
        let mut req = self
            .http
            .reqwest()
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(reqwest::header::ACCEPT, "application/json")
            .body(serde_json::to_vec(body).unwrap_or_default());
        if let Some(b) = bearer {
            req = req.bearer_auth(b.expose());
        }
        self.http
            .send(req)
            .await
            .map_err(|e| ProviderError::from_http(&self.entry.name, &e))
    }

    /// The app (admin) token, from the cache or a `client_credentials` request.
    async fn app_token(&self, renew: bool) -> Result<Secret, ProviderError> {
        let Some((id, secret)) = self.app_credentials() else {
            return Err(ProviderError::new(
                FailureClass::Setup,
                "app_credentials_missing",
                format!("This needs the Easemob app's Client ID and Client Secret (console → 应用详情), which {} does not have. Add them in the settings.", self.entry.name),
            ));
        };
        let mut cache = self.app_token.lock().await;
        if !renew {
            if let Some((t, until)) = cache.as_ref() {
                if until.is_none_or(|u| Instant::now() < u) {
                    return Ok(t.clone());
                }
            }
            if let Some((t, until)) = self.stashed_app_token(id).await {
                *cache = Some((t.clone(), Some(until)));
                return Ok(t);
            }
        }
        let mut body = json!({"grant_type": "client_credentials", "client_id": id, "client_secret": secret.expose()});
        body["ttl"] = json!(self.ttl(Some(APP_TOKEN_TTL_SECS)));
        let (status, headers, bytes) = self.post_json(self.token_url()?, &body, None).await?;
        if status != 200 {
            return Err(self.error(status, &headers, &bytes, Call::AppToken));
        }
        let a: TokenAnswer = serde_json::from_slice(&bytes).map_err(|_| self.unreadable())?;
        let token = Secret::new(a.access_token);
        // Renew a tenth before the stated end (or after an hour if it never ends).
        let left = self
            .lifetime(a.expires_in.as_ref())
            .map_or(Duration::from_secs(3600), |l| l.mul_f64(0.9));
        *cache = Some((token.clone(), Some(Instant::now() + left)));
        self.stash_app_token(id, &token, left).await;
        Ok(token)
    }

    /// A user token for `cred`, by the `password` or the `inherit` grant.
    async fn user_token(&self, cred: &Credential) -> Result<Grant, ProviderError> {
        let mut body = match cred {
            Credential::Password {
                username, password, ..
            } => {
                json!({"grant_type": "password", "username": username, "password": password})
            }
            Credential::Inherit { username, .. } => {
                json!({"grant_type": "inherit", "username": username})
            }
        };
        if let Some(ttl) = self.ttl(cred.ttl()) {
            body["ttl"] = json!(ttl);
        }
        let url = self.token_url()?;
        let mut renewed = false;
        let (status, headers, bytes) = loop {
            let bearer = match cred {
                Credential::Inherit { .. } => Some(self.app_token(renewed).await?),
                Credential::Password { .. } => None,
            };
            let r = self.post_json(url.clone(), &body, bearer.as_ref()).await?;
            // An app token the server no longer takes: renew it once.
            if r.0 == 401 && bearer.is_some() && !renewed {
                renewed = true;
                continue;
            }
            break r;
        };
        if status != 200 {
            return Err(self.error(status, &headers, &bytes, Call::UserToken));
        }
        let a: TokenAnswer = serde_json::from_slice(&bytes).map_err(|_| self.unreadable())?;
        let lifetime = self.lifetime(a.expires_in.as_ref());
        let username = match cred {
            Credential::Password { username, .. } | Credential::Inherit { username, .. } => {
                username
            }
        };
        let user = a.user.unwrap_or(User {
            uuid: None,
            username: username.clone(),
            activated: None,
            created: None,
            modified: None,
            nickname: None,
        });
        let stored = serde_json::to_string(cred)
            .map_err(|e| ProviderError::new(FailureClass::Setup, "internal", e.to_string()))?;
        Ok(Grant {
            access: Secret::new(a.access_token),
            refresh: Some(Secret::new(stored)),
            expires_in: lifetime,
            refresh_expires_in: None,
            scope: None,
            id_token: None,
            never_expires: lifetime.is_none(),
            profile: Some(self.profile_of(&user)),
        })
    }

    fn profile_of(&self, u: &User) -> Profile {
        Profile {
            subject: u.username.clone(),
            display_name: u
                .nickname
                .clone()
                .filter(|n| !n.is_empty())
                .unwrap_or_else(|| u.username.clone()),
            email: None,
            avatar_url: None,
            extra: super::profile_json(&EasemobProfile {
                app_key: self.app_key(),
                host: Some(self.keys.base_url.clone()),
                username: u.username.clone(),
                nickname: u.nickname.clone(),
                activated: u.activated,
                uuid: u.uuid.clone(),
                created: u.created,
                modified: u.modified,
            }),
            balance: None,
        }
    }

    fn unreadable(&self) -> ProviderError {
        ProviderError::new(
            FailureClass::Transient,
            "unreadable_answer",
            format!("{} sent an answer Signet could not read.", self.entry.name),
        )
    }

    /// With app credentials, the users API adds the nickname to the token answer's profile;
    /// a re-issue does the same, so the account keeps the name the person saw when adding it.
    async fn with_users_profile(&self, mut grant: Grant) -> Grant {
        let Some(subject) = grant.profile.as_ref().map(|p| p.subject.clone()) else {
            return grant;
        };
        if self.app_credentials().is_none() {
            return grant;
        }
        let ctx = ProfileCtx {
            grant: Some(&grant),
            nonce: None,
            subject: Some(&subject),
        };
        if let Ok(p) = self.profile(&grant.access, ctx).await {
            grant.profile = Some(p);
        }
        grant
    }

    /// The documented errors → what they mean here.
    pub(crate) fn error(
        &self,
        status: u16,
        headers: &reqwest::header::HeaderMap,
        body: &[u8],
        call: Call,
    ) -> ProviderError {
        let name = &self.entry.name;
        let e: ApiError = serde_json::from_slice(body).unwrap_or_default();
        let desc = e.error_description.to_ascii_lowercase();
        let retry_after = crate::http::retry_after(headers);
        let (class, code, message) = match (status, e.error.as_str()) {
            (400, "invalid_grant") if desc.contains("client_id") || call == Call::AppToken => (
                FailureClass::Setup,
                "invalid_client",
                format!("Easemob does not accept the app's Client ID or Client Secret for {}. Copy them again from the console (应用详情).", self.app_key()),
            ),
            (400, "invalid_grant") => (
                FailureClass::Reauth,
                "invalid_grant",
                format!("{name} no longer accepts this user's password (it may have been changed). Enter the current password to sign in again."),
            ),
            (401, _) if call == Call::Api => return ProviderError::access_rejected(name),
            (401, _) => (
                FailureClass::Setup,
                "app_token_rejected",
                format!("Easemob refused the app token for {} ({}). Check the app's Client ID and Client Secret.", self.app_key(), e.error),
            ),
            (404, "organization_application_not_found") => (
                FailureClass::Setup,
                "app_not_found",
                format!("Easemob has no app {} on {}. Check the REST host (each app lives on one cluster, e.g. a1.easemob.com), the org name and the app name.", self.app_key(), self.keys.base_url),
            ),
            (404, "service_resource_not_found") if call == Call::Api => (
                FailureClass::Refused,
                "user_not_found",
                "Easemob has no such user. Check the user ID.".to_owned(),
            ),
            (404, "service_resource_not_found") => (
                FailureClass::Reauth,
                "user_not_found",
                format!("Easemob has no user with this ID in {}. Check the user ID.", self.app_key()),
            ),
            (413, _) => (
                FailureClass::Refused,
                "too_large",
                "The message is too long for Easemob (at most 5 KB).".to_owned(),
            ),
            (400, _) if call == Call::Api => (
                FailureClass::Refused,
                "illegal_argument",
                format!("Easemob refused the message: {}.", e.error_description),
            ),
            (415, _) => (
                FailureClass::Setup,
                "unsupported_media_type",
                "Easemob rejected the request format (415). This is a Signet bug; please report it.".to_owned(),
            ),
            (429, "resource_limited") => (
                FailureClass::Setup,
                "resource_limited",
                "The Easemob app reached its plan's limit (resource_limited). Upgrade the plan in the Easemob console; retrying will not help.".to_owned(),
            ),
            (429, _) => (
                FailureClass::Transient,
                "rate_limited",
                "Easemob's rate limit was reached (100 calls per second per app). Try again in a moment.".to_owned(),
            ),
            (403, _) if desc.contains("reach limit") || e.error.contains("limit") => (
                FailureClass::Transient,
                "rate_limited",
                "Easemob's message limit was reached (6,000 messages per minute per app). Try again in a minute.".to_owned(),
            ),
            _ => {
                let mut pe = ProviderError::from_http(
                    name,
                    &HttpError::from_status(status, headers),
                );
                if status == 403 {
                    pe.class = FailureClass::Refused;
                }
                return pe;
            }
        };
        let mut pe = ProviderError::new(class, code, message);
        pe.retry_after = retry_after;
        pe
    }

    /// An API call with the app token; a refused app token is renewed once.
    async fn with_app_token(
        &self,
        build: impl Fn(&Secret) -> reqwest::RequestBuilder,
    ) -> Result<Vec<u8>, ProviderError> {
        let mut renew = false;
        loop {
            let token = self.app_token(renew).await?;
            let (status, headers, body) = self
                .http
                .send(build(&token).header(reqwest::header::ACCEPT, "application/json"))
                .await
                .map_err(|e| ProviderError::from_http(&self.entry.name, &e))?;
            if status == 200 {
                return Ok(body);
            }
            if status == 401 && !renew {
                renew = true;
                continue;
            }
            let mut pe = self.error(status, &headers, &body, Call::Api);
            if pe.is_access_rejected() {
                pe = self.error(status, &headers, &body, Call::AppToken);
            }
            return Err(pe);
        }
    }
}

#[async_trait]
impl Provider for Easemob {
    fn name(&self) -> &str {
        &self.entry.name
    }
    fn spec(&self) -> &'static ProviderSpec {
        &SPEC
    }
    fn entry(&self) -> &Entry {
        &self.entry
    }

    async fn authorize_url(&self, _r: &AuthRequest) -> Result<Url> {
        Err(Error::config(format!(
            "{} accounts are added with a form (user ID and password or app credentials), not a browser sign-in.",
            self.entry.name
        )))
    }

    async fn exchange_code(
        &self,
        _code: &Secret,
        _r: &AuthRequest,
    ) -> Result<Grant, ProviderError> {
        Err(ProviderError::unsupported(
            &self.entry.name,
            "sign in through a browser",
        ))
    }

    fn account_problem(&self, profile: &Profile) -> Option<String> {
        (profile.extra["activated"] == serde_json::Value::Bool(false)).then(|| {
            format!(
                "{} reports this user as banned (activated: false): it cannot sign in to chat or send messages until an administrator re-activates it in the console (用户管理). Then sign in again here.",
                self.entry.name
            )
        })
    }

    async fn sign_in_direct(&self, form: &DirectSignIn) -> Result<(Grant, Profile), ProviderError> {
        let username = form.username.trim().to_owned();
        let valid = !username.is_empty()
            && username.len() <= 64
            && username
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
        if !valid {
            return Err(ProviderError::new(
                FailureClass::Refused,
                "bad_username",
                "An Easemob user ID is 1–64 characters: letters, digits, '_', '-' and '.'.",
            ));
        }
        let cred = match &form.password {
            Some(p) if !p.expose().is_empty() => Credential::Password {
                username,
                password: p.expose().to_owned(),
                ttl: form.ttl,
            },
            _ if self.app_credentials().is_some() => Credential::Inherit {
                username,
                ttl: form.ttl,
            },
            _ => {
                return Err(ProviderError::new(
                    FailureClass::Refused,
                    "credentials_missing",
                    "Enter the user's password, or the app's Client ID and Client Secret.",
                ))
            }
        };
        let first_password = matches!(cred, Credential::Password { .. });
        let grant = self.user_token(&cred).await.map_err(|mut pe| {
            // Never accepted, so not "no longer accepts": on an add, the ID or password is wrong.
            if first_password && pe.code == "invalid_grant" {
                pe.message = format!(
                    "{} did not accept this user ID and password. Check both (user IDs are case-sensitive) and try again.",
                    self.entry.name
                );
            }
            pe
        })?;
        let grant = self.with_users_profile(grant).await;
        let profile = grant.profile.clone().ok_or_else(|| self.unreadable())?;
        Ok((grant, profile))
    }

    async fn refresh(&self, credential: &Secret) -> Result<Grant, ProviderError> {
        let cred: Credential = serde_json::from_str(credential.expose()).map_err(|_| {
            ProviderError::new(
                FailureClass::Reauth,
                "credential_unreadable",
                format!("The stored credential for this {} account cannot be read. Enter the password again.", self.entry.name),
            )
        })?;
        let grant = self.user_token(&cred).await?;
        Ok(self.with_users_profile(grant).await)
    }

    async fn profile(
        &self,
        _access: &Secret,
        ctx: ProfileCtx<'_>,
    ) -> Result<Profile, ProviderError> {
        let from_grant = ctx.grant.and_then(|g| g.profile.clone());
        let subject = ctx
            .subject
            .map(str::to_owned)
            .or_else(|| from_grant.as_ref().map(|p| p.subject.clone()));
        match (self.app_credentials(), subject) {
            (Some(_), Some(username)) => {
                let url = self.url(&format!("/users/{username}"))?;
                let body = self
                    .with_app_token(|t| {
                        self.http.reqwest().get(url.clone()).bearer_auth(t.expose())
                    })
                    .await?;
                let e: Entities = serde_json::from_slice(&body).map_err(|_| self.unreadable())?;
                let u = e
                    .entities
                    .into_iter()
                    .next()
                    .ok_or_else(|| self.unreadable())?;
                Ok(self.profile_of(&u))
            }
            _ => from_grant.ok_or_else(|| {
                ProviderError::unsupported(
                    &self.entry.name,
                    "read a profile without app credentials",
                )
            }),
        }
    }

    fn chat_support(&self) -> ChatSupport {
        ChatSupport {
            list: false,
            create_space: false,
            send: true,
            recipient_kinds: vec!["user".into()],
            unavailable: self.app_credentials().is_none().then(|| {
                "Sending messages uses the app token: add the app's Client ID and Client Secret to this provider.".to_owned()
            }),
        }
    }

    async fn chat_send(
        &self,
        _access: &Secret,
        account: AccountCtx<'_>,
        to: &Recipient,
        text: &str,
    ) -> Result<ChatSent, ProviderError> {
        let target = to.id.trim();
        if to.kind != "user" || target.is_empty() {
            return Err(ProviderError::new(
                FailureClass::Refused,
                "bad_recipient",
                "Easemob messages go to a user ID.",
            ));
        }
        if text.trim().is_empty() || text.len() > MAX_MESSAGE_BYTES {
            return Err(ProviderError::new(
                FailureClass::Refused,
                "invalid_argument",
                "An Easemob message needs text, at most about 5 KB.",
            ));
        }
        let url = self.url("/messages/users")?;
        let body = json!({
            "from": account.subject,
            "to": [target],
            "type": "txt",
            "body": {"msg": text},
        });
        let bytes = self
            .with_app_token(|t| {
                self.http
                    .reqwest()
                    .post(url.clone())
                    .bearer_auth(t.expose())
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .body(body.to_string())
            })
            .await?;
        let sent: Sent = serde_json::from_slice(&bytes).map_err(|_| self.unreadable())?;
        let id = sent
            .data
            .get(target)
            .and_then(|v| {
                v.as_str()
                    .map(str::to_owned)
                    .or_else(|| Some(v.to_string()))
            })
            .ok_or_else(|| self.unreadable())?;
        Ok(ChatSent {
            message_id: id,
            to: target.to_owned(),
            created: sent.timestamp.map(|t| t.to_string()),
        })
    }
}

fn unix_now() -> Duration {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn provider(extra: &str) -> Easemob {
        let text = format!("[[providers]]\nname=\"im\"\nkind=\"easemob\"\nclient_id=\"\"\nbase_url=\"https://a1.easemob.com\"\norg_name=\"org\"\napp_name=\"app\"\n{extra}");
        let c = crate::config::Config::parse(&text, std::path::Path::new("c.toml")).expect("valid");
        let crate::config::KindConfig::Easemob(keys) = c.providers[0].keys.clone() else {
            panic!("an easemob entry")
        };
        Easemob::new(
            c.providers[0].entry.clone(),
            keys,
            None,
            Http::new(Duration::from_secs(5)).expect("http"),
        )
    }

    #[test]
    fn ttl_zero_means_never_and_vip5_counts_milliseconds() {
        let p = provider("");
        assert_eq!(p.lifetime(Some(&json!(0))), None);
        assert_eq!(
            p.lifetime(Some(&json!(1024000))),
            Some(Duration::from_secs(1_024_000))
        );
        assert_eq!(
            p.lifetime(Some(&json!("1024000"))),
            Some(Duration::from_secs(1_024_000))
        );
        let v = provider("vip5 = true\nttl = 3600\n");
        assert_eq!(
            v.lifetime(Some(&json!(3_600_000))),
            Some(Duration::from_secs(3600))
        );
        assert_eq!(v.ttl(None), Some(3_600_000));
        assert_eq!(v.ttl(Some(60)), Some(60_000));
    }

    #[test]
    fn the_stored_credential_never_shows_in_debug_output() {
        let mut g = Grant::access_only(Secret::new("YWMt-user-token"));
        g.refresh = Some(Secret::new(
            r#"{"grant":"password","username":"c","password":"pw-9f3k"}"#,
        ));
        let shown = format!("{g:?}");
        assert!(
            !shown.contains("YWMt-user-token") && !shown.contains("pw-9f3k"),
            "{shown}"
        );
    }
}
