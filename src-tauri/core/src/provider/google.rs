//! Google (Desktop-app client, seed 000): OpenID Connect sign-in on a loopback redirect, and Google Chat spaces and messages.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::json;
use url::Url;

use super::oidc::{self, Endpoints, Oidc};
use super::spec::{
    Capabilities, Entry, KindKeys, Parts, ProviderKind, ProviderSpec, RedirectMode, SecretNeed,
    SignInStyle,
};
use super::{
    AccountCtx, AuthRequest, ChatSent, ChatSupport, ChatTarget, FailureClass, Grant, Profile,
    ProfileCtx, Provider, ProviderError, Recipient,
};
use crate::error::Result;
use crate::http::{Http, HttpError};
use crate::secret::Secret;
use crate::vault::Tokens;

pub const ISSUER: &str = "https://accounts.google.com";
pub const AUTHORIZE: &str = "https://accounts.google.com/o/oauth2/v2/auth";
pub const TOKEN: &str = "https://oauth2.googleapis.com/token";
pub const USERINFO: &str = "https://openidconnect.googleapis.com/v1/userinfo";
pub const REVOKE: &str = "https://oauth2.googleapis.com/revoke";
pub const CHAT_API: &str = "https://chat.googleapis.com";

pub const SCOPE_SPACES_CREATE: &str = "https://www.googleapis.com/auth/chat.spaces.create";
pub const SCOPE_SPACES_READONLY: &str = "https://www.googleapis.com/auth/chat.spaces.readonly";
pub const SCOPE_MESSAGES_CREATE: &str = "https://www.googleapis.com/auth/chat.messages.create";
const SCOPE_SPACES: &str = "https://www.googleapis.com/auth/chat.spaces";
const SCOPE_MESSAGES: &str = "https://www.googleapis.com/auth/chat.messages";

/// `openid email profile` plus the three Chat scopes the actions need.
pub fn default_scopes() -> Vec<String> {
    [
        "openid",
        "email",
        "profile",
        SCOPE_SPACES_CREATE,
        SCOPE_SPACES_READONLY,
        SCOPE_MESSAGES_CREATE,
    ]
    .map(str::to_owned)
    .to_vec()
}

/// Each chat action, the scope Signet asks for and the broader ones that also allow it.
const ACTION_SCOPES: [(&str, &str, &str); 3] = [
    ("list", SCOPE_SPACES_READONLY, SCOPE_SPACES),
    ("create_space", SCOPE_SPACES_CREATE, SCOPE_SPACES),
    ("send", SCOPE_MESSAGES_CREATE, SCOPE_MESSAGES),
];

/// The Chat scopes Signet would ask for that `granted` lacks (for "grant access" prompts).
pub fn missing_scopes(granted: Option<&str>) -> Vec<String> {
    let Some(granted) = granted else {
        return Vec::new();
    };
    let has = |s: &str| granted.split_whitespace().any(|g| g == s);
    ACTION_SCOPES
        .iter()
        .filter(|(_, want, broad)| !has(want) && !has(broad))
        .map(|(_, want, _)| (*want).to_owned())
        .collect()
}

/// A refresh token issued to an app in "Testing" publishing status lives 7 days.
const TESTING_LIFETIME: Duration = Duration::from_secs(7 * 24 * 3600);
/// Messages with user authentication: text only, at most 32,000 bytes.
const MAX_MESSAGE_BYTES: usize = 32_000;

/// What a Google account's profile shows beyond name and e-mail (the window labels each field).
#[derive(Debug, serde::Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct GoogleProfile {
    /// The Workspace domain (`hd`), for a Workspace account.
    pub domain: Option<String>,
    /// Google's id for the account.
    pub sub: String,
    /// Shown as a badge by the e-mail.
    pub email_verified: Option<bool>,
}

/// Google, as it declares itself (providers.md §1).
pub static SPEC: ProviderSpec = ProviderSpec {
    kind: ProviderKind::new("google"),
    label: "Google",
    sign_in: SignInStyle::Browser,
    pkce: true,
    nonce: true,
    redirect: RedirectMode::Loopback,
    fixed_port: None,
    no_deep_link: Some("Google refuses custom-scheme redirects for Desktop-app clients; use redirect = \"loopback\""),
    secret: SecretNeed::Required,
    client_id_required: true,
    default_base_url: None,
    default_scopes,
    required: &[],
    test_only: false,
    capabilities: Capabilities {
        revoke: true,
        ..Capabilities::NONE
    },
};

/// A Google entry's own keys: every one optional, for hosts that differ from Google's own.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Keys {
    #[serde(default)]
    pub issuer: Option<String>,
    #[serde(default)]
    pub authorize_url: Option<String>,
    #[serde(default)]
    pub token_url: Option<String>,
    #[serde(default)]
    pub userinfo_url: Option<String>,
    #[serde(default)]
    pub revoke_url: Option<String>,
    /// Base of the Google Chat API (`https://chat.googleapis.com`); for tests and proxies.
    #[serde(default)]
    pub api_base: Option<String>,
}

impl KindKeys for Keys {
    const SPEC: &'static ProviderSpec = &SPEC;
    fn build(self, p: Parts) -> Arc<dyn Provider> {
        Arc::new(Google::new(p.entry, self, p.client_secret, p.http))
    }
}

pub struct Google {
    oidc: Oidc,
    entry: Entry,
    keys: Keys,
}

/// Google's API error shape: `{"error": {"code", "message", "status", "details"}}`.
#[derive(Debug, Deserialize)]
struct ApiError {
    error: ApiErrorBody,
}

#[derive(Debug, Deserialize)]
struct ApiErrorBody {
    #[serde(default)]
    message: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    details: Vec<serde_json::Value>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Space {
    name: String,
    #[serde(default)]
    display_name: Option<String>,
    #[serde(default)]
    space_type: Option<String>,
    #[serde(default)]
    space_uri: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SpaceList {
    #[serde(default)]
    spaces: Vec<Space>,
    #[serde(default)]
    next_page_token: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Message {
    name: String,
    #[serde(default)]
    create_time: Option<String>,
}

impl Google {
    pub fn new(entry: Entry, keys: Keys, client_secret: Option<Secret>, http: Http) -> Self {
        let url = |over: &Option<String>, default: &str| {
            over.as_deref()
                .unwrap_or(default)
                .parse::<Url>()
                .map_err(|e| e.to_string())
        };
        let issuer = keys.issuer.clone().unwrap_or_else(|| ISSUER.to_owned());
        // Config validation already checked every override; a failure here means a default
        // constant is broken, so fall back to discovery at the issuer rather than panic.
        let endpoints = (|| -> std::result::Result<Endpoints, String> {
            Ok(Endpoints {
                issuer: issuer.clone(),
                alt_issuers: vec!["accounts.google.com".to_owned(), ISSUER.to_owned()],
                authorize: url(&keys.authorize_url, AUTHORIZE)?,
                token: url(&keys.token_url, TOKEN)?,
                userinfo: Some(url(&keys.userinfo_url, USERINFO)?),
                revoke: Some(url(&keys.revoke_url, REVOKE)?),
                scopes_supported: Vec::new(),
                iss_in_callback: false,
                // Google takes both; the body is what its Desktop-app documentation shows.
                token_auth_methods: vec!["client_secret_post".to_owned()],
            })
        })();
        let oidc_keys = oidc::Keys {
            issuer,
            token_auth: None,
            authorize_url: keys.authorize_url.clone(),
            token_url: keys.token_url.clone(),
            userinfo_url: keys.userinfo_url.clone(),
            revoke_url: keys.revoke_url.clone(),
        };
        let oidc = match endpoints {
            Ok(e) => Oidc::with_endpoints(entry.clone(), oidc_keys, client_secret, http, e),
            Err(_) => Oidc::new(entry.clone(), oidc_keys, client_secret, http),
        };
        Google { oidc, entry, keys }
    }

    fn scopes(&self) -> Vec<String> {
        self.entry.scopes.clone().unwrap_or_else(default_scopes)
    }

    fn api(&self, path: &str) -> std::result::Result<Url, ProviderError> {
        let base = self.keys.api_base.as_deref().unwrap_or(CHAT_API);
        super::parse_url(
            &format!("{}{path}", base.trim_end_matches('/')),
            "api_base",
            &self.entry.name,
        )
        .map_err(|e| ProviderError::new(FailureClass::Setup, "config", e.message))
    }

    /// Before calling: a scope the action needs that the grant lacks is asked for, not tried.
    fn require_scope(&self, account: AccountCtx<'_>, action: &str) -> Result<(), ProviderError> {
        let missing = missing_scopes(account.scopes);
        if let Some((_, want, _)) = ACTION_SCOPES
            .iter()
            .find(|(a, want, _)| *a == action && missing.iter().any(|m| m == want))
        {
            return Err(scope_missing(&self.entry.name, want));
        }
        Ok(())
    }

    async fn call<T: serde::de::DeserializeOwned>(
        &self,
        req: reqwest::RequestBuilder,
        access: &Secret,
        action: &str,
    ) -> Result<T, ProviderError> {
        let http = self.oidc.http();
        let req = req
            .bearer_auth(access.expose())
            .header(reqwest::header::ACCEPT, "application/json");
        let name = &self.entry.name;
        let (status, headers, body) = http
            .send(req)
            .await
            .map_err(|e| ProviderError::from_http(name, &e))?;
        parse_api(name, status, &headers, &body, action)
    }
}

/// A Chat API answer → `T`, or the classified error (Google's `{"error": {code, message,
/// status, details}}` shape). Pure, and fuzzed as it is.
pub(crate) fn parse_api<T: serde::de::DeserializeOwned>(
    name: &str,
    status: u16,
    headers: &reqwest::header::HeaderMap,
    body: &[u8],
    action: &str,
) -> Result<T, ProviderError> {
    if status == 200 {
        return serde_json::from_slice(body).map_err(|_| {
            ProviderError::new(
                FailureClass::Transient,
                "unreadable_answer",
                format!(
                    "Google Chat sent an answer Signet could not read after {action}. Try again."
                ),
            )
        });
    }
    let api: Option<ApiErrorBody> = serde_json::from_slice::<ApiError>(body)
        .ok()
        .map(|e| e.error);
    let gstatus = api.as_ref().map(|e| e.status.as_str()).unwrap_or("");
    let detail = api
        .as_ref()
        .map(|e| e.message.clone())
        .filter(|m| !m.is_empty())
        .unwrap_or_else(|| format!("HTTP {status}"));
    let retry_after = crate::http::retry_after(headers);
    let mut pe = match (status, gstatus) {
            (401, _) => ProviderError::access_rejected(name),
            (403, _) if insufficient_scope(api.as_ref()) => {
                let want = ACTION_SCOPES
                    .iter()
                    .find(|(a, _, _)| *a == action)
                    .map_or(SCOPE_MESSAGES_CREATE, |(_, w, _)| w);
                scope_missing(name, want)
            }
            (403, _) => ProviderError::new(
                FailureClass::Refused,
                "permission_denied",
                format!("Google Chat refused: {detail}. Your account may lack Chat access (Chat needs a Google Workspace account), or an administrator restricted it."),
            ),
            (409, _) | (_, "ALREADY_EXISTS") => ProviderError::new(
                FailureClass::Refused,
                "already_exists",
                "A space with this name already exists in your organization. Choose another name.",
            ),
            (404, _) | (_, "NOT_FOUND") => ProviderError::new(
                FailureClass::Refused,
                "not_found",
                "Google Chat does not know this space (or you are not a member). Pick one from the list.",
            ),
            (400, _) => ProviderError::new(
                FailureClass::Refused,
                "invalid_argument",
                format!("Google Chat refused the request: {detail}."),
            ),
            (429, _) | (_, "RESOURCE_EXHAUSTED") => ProviderError::new(
                FailureClass::Transient,
                "rate_limited",
                "Google Chat's rate limit was reached (space creation allows 60 per minute per project). Wait a minute and try again.",
            ),
            _ => ProviderError::from_http(
                "Google Chat",
                &HttpError::from_status(status, headers),
            ),
        };
    pe.retry_after = retry_after;
    Err(pe)
}

fn insufficient_scope(e: Option<&ApiErrorBody>) -> bool {
    let Some(e) = e else { return false };
    e.message
        .to_ascii_lowercase()
        .contains("insufficient authentication scopes")
        || e.details.iter().any(|d| {
            d.get("reason").and_then(|r| r.as_str()) == Some("ACCESS_TOKEN_SCOPE_INSUFFICIENT")
        })
}

fn scope_missing(provider: &str, scope: &str) -> ProviderError {
    let short = scope.rsplit('/').next().unwrap_or(scope);
    ProviderError::new(
        FailureClass::ScopeMissing,
        "scope_missing",
        format!("{provider} has not given Signet the permission \"{short}\" for this account. Choose \"Grant access\" to ask for it; Google will show only what is new."),
    )
}

fn space_target(s: Space) -> ChatTarget {
    ChatTarget {
        name: s
            .display_name
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| s.space_type.unwrap_or_else(|| s.name.clone())),
        id: s.name,
        recipient_kind: "space".into(),
        url: s.space_uri.filter(|u| u.starts_with("https://")),
    }
}

#[async_trait]
impl Provider for Google {
    fn name(&self) -> &str {
        &self.entry.name
    }
    fn spec(&self) -> &'static ProviderSpec {
        &SPEC
    }
    fn entry(&self) -> &Entry {
        &self.entry
    }

    async fn authorize_url(&self, r: &AuthRequest) -> Result<Url> {
        let mut extra = vec![
            ("access_type", "offline"),
            ("include_granted_scopes", "true"),
        ];
        if r.force_consent {
            extra.push(("prompt", "consent"));
        }
        self.oidc
            .authorize_url_with(r, Some(self.scopes()), &extra)
            .await
    }

    async fn exchange_code(&self, code: &Secret, r: &AuthRequest) -> Result<Grant, ProviderError> {
        self.oidc.exchange_code(code, r).await
    }

    async fn refresh(&self, refresh_token: &Secret) -> Result<Grant, ProviderError> {
        self.oidc.refresh(refresh_token).await
    }

    async fn profile(
        &self,
        access: &Secret,
        ctx: ProfileCtx<'_>,
    ) -> Result<Profile, ProviderError> {
        let mut p = self.oidc.profile(access, ctx).await?;
        let oidc: super::oidc::OidcProfile =
            serde_json::from_value(p.extra.clone()).unwrap_or_default();
        p.extra = super::profile_json(&GoogleProfile {
            domain: oidc.domain,
            sub: p.subject.clone(),
            email_verified: oidc.email_verified,
        });
        Ok(p)
    }

    fn reauth_hint(&self, code: &str, since_sign_in: Duration) -> Option<String> {
        let week = TESTING_LIFETIME.as_secs();
        let since = since_sign_in.as_secs();
        (code == "invalid_grant" && since >= week - 12 * 3600 && since <= week + 2 * 24 * 3600)
            .then(|| {
                "Google stopped accepting this sign-in about 7 days after you gave consent. That is Google's rule for OAuth apps whose publishing status is \"Testing\" with an External user type. Sign in again now; to stop it recurring, set the app's audience to Internal, or publish it (Google Cloud console → Google Auth Platform → Audience → Publish app).".to_owned()
            })
    }

    async fn revoke(&self, tokens: &Tokens) -> Result<bool, ProviderError> {
        self.oidc.revoke(tokens).await
    }

    fn missing_scopes(&self, granted: Option<&str>) -> Vec<String> {
        missing_scopes(granted)
    }

    fn chat_support(&self) -> ChatSupport {
        ChatSupport {
            list: true,
            create_space: true,
            send: true,
            recipient_kinds: vec!["space".into()],
            unavailable: None,
        }
    }

    async fn chat_list(
        &self,
        access: &Secret,
        account: AccountCtx<'_>,
    ) -> Result<Vec<ChatTarget>, ProviderError> {
        self.require_scope(account, "list")?;
        let mut out = Vec::new();
        let mut page: Option<String> = None;
        // Ten pages of 100: more than any person scrolls through in a picker.
        for _ in 0..10 {
            let mut url = self.api("/v1/spaces")?;
            url.query_pairs_mut()
                .append_pair("pageSize", "100")
                .append_pair("filter", "spaceType = \"SPACE\"");
            if let Some(t) = &page {
                url.query_pairs_mut().append_pair("pageToken", t);
            }
            let req = self.oidc.http().reqwest().get(url);
            let list: SpaceList = self.call(req, access, "list").await?;
            out.extend(list.spaces.into_iter().map(space_target));
            match list.next_page_token.filter(|t| !t.is_empty()) {
                Some(t) => page = Some(t),
                None => break,
            }
        }
        Ok(out)
    }

    async fn chat_create_space(
        &self,
        access: &Secret,
        account: AccountCtx<'_>,
        display_name: &str,
    ) -> Result<ChatTarget, ProviderError> {
        self.require_scope(account, "create_space")?;
        let name = display_name.trim();
        if name.is_empty() || name.chars().count() > 128 {
            return Err(ProviderError::new(
                FailureClass::Refused,
                "invalid_argument",
                "A space needs a name of 1 to 128 characters.",
            ));
        }
        let mut url = self.api("/v1/spaces")?;
        // Idempotent: a retried create returns the same space instead of a second one.
        url.query_pairs_mut().append_pair("requestId", &uuid_like());
        let req = self
            .oidc
            .http()
            .reqwest()
            .post(url)
            .json(&json!({"spaceType": "SPACE", "displayName": name}));
        let space: Space = self.call(req, access, "create_space").await?;
        Ok(space_target(space))
    }

    async fn chat_send(
        &self,
        access: &Secret,
        account: AccountCtx<'_>,
        to: &Recipient,
        text: &str,
    ) -> Result<ChatSent, ProviderError> {
        self.require_scope(account, "send")?;
        if to.kind != "space" {
            return Err(ProviderError::new(
                FailureClass::Refused,
                "bad_recipient",
                "Google Chat messages go to a space; pick one from the list.",
            ));
        }
        let space = to.id.trim();
        let space = space.strip_prefix("spaces/").unwrap_or(space);
        if space.is_empty()
            || !space
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            return Err(ProviderError::new(
                FailureClass::Refused,
                "bad_recipient",
                format!("\"{}\" is not a Google Chat space name (spaces/…).", to.id),
            ));
        }
        if text.trim().is_empty() || text.len() > MAX_MESSAGE_BYTES {
            return Err(ProviderError::new(
                FailureClass::Refused,
                "invalid_argument",
                "A Google Chat message needs text, at most 32,000 bytes.",
            ));
        }
        let url = self.api(&format!("/v1/spaces/{space}/messages"))?;
        let req = self
            .oidc
            .http()
            .reqwest()
            .post(url)
            .json(&json!({"text": text}));
        let m: Message = self.call(req, access, "send").await?;
        Ok(ChatSent {
            message_id: m.name,
            to: format!("spaces/{space}"),
            created: m.create_time,
        })
    }
}

/// A random RFC 4122-shaped id for `requestId`.
fn uuid_like() -> String {
    use rand::Rng;
    let b: [u8; 16] = rand::rng().random();
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-4{}-a{}-{}",
        &h[0..8],
        &h[8..12],
        &h[13..16],
        &h[17..20],
        &h[20..32]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_scopes_accepts_the_broader_scope() {
        let all = default_scopes().join(" ");
        assert!(missing_scopes(Some(&all)).is_empty());
        assert_eq!(
            missing_scopes(Some(
                "openid email https://www.googleapis.com/auth/chat.spaces"
            )),
            vec![SCOPE_MESSAGES_CREATE.to_owned()]
        );
        assert_eq!(missing_scopes(None), Vec::<String>::new());
    }

    #[test]
    fn the_testing_rule_is_named_only_around_day_seven() {
        let config = crate::config::Config::parse(
            "[[providers]]\nname=\"g\"\nkind=\"google\"\nclient_id=\"x\"\n",
            std::path::Path::new("c.toml"),
        )
        .expect("valid");
        let g = Google::new(
            config.providers[0].entry.clone(),
            Keys::default(),
            None,
            Http::new(Duration::from_secs(5)).expect("http client"),
        );
        let day = 86_400;
        assert!(g
            .reauth_hint("invalid_grant", Duration::from_secs(7 * day))
            .is_some());
        assert!(g
            .reauth_hint("invalid_grant", Duration::from_secs(2 * day))
            .is_none());
        assert!(g
            .reauth_hint("invalid_grant", Duration::from_secs(40 * day))
            .is_none());
        assert!(g
            .reauth_hint("invalid_client", Duration::from_secs(7 * day))
            .is_none());
    }
}
