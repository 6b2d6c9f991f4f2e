//! Feishu / Lark (seed 002): sign-in with PKCE and single-use refresh tokens over the JSON token API, profile, IM messages as the user.

use std::sync::Arc;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::json;
use url::Url;

use super::feishu_errors::{classify, Origin};
use super::oauth::OAuthEndpoints;
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

/// Feishu (China) or Lark (international): which domains a `feishu` provider talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Brand {
    #[default]
    Feishu,
    Lark,
}

/// Which Feishu token endpoint to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenVersion {
    /// `open-apis/authen/v2/oauth/token`, JSON body (the source document).
    #[default]
    V2,
    /// `oauth/v3/token` on the accounts domain (Feishu's newer endpoint).
    V3,
}

/// The fixed loopback port a Feishu app registers (`http://127.0.0.1:53682/callback/<name>`).
pub const FEISHU_LOOPBACK_PORT: u16 = 53682;

/// A Feishu / Lark entry's own keys: every one optional.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Keys {
    /// `feishu` (default) or `lark`: picks the documented domains.
    #[serde(default)]
    pub brand: Option<Brand>,
    /// `v2` (default, the source document) or `v3`.
    #[serde(default)]
    pub token_version: Option<TokenVersion>,
    /// Base of the accounts domain (`https://accounts.feishu.cn`).
    #[serde(default)]
    pub accounts_base: Option<String>,
    /// Base of the open platform's API (`https://open.feishu.cn`); for tests and proxies.
    #[serde(default)]
    pub api_base: Option<String>,
    /// Endpoint overrides, for hosts that differ from the documented ones.
    #[serde(default)]
    pub authorize_url: Option<String>,
    #[serde(default)]
    pub token_url: Option<String>,
    #[serde(default)]
    pub userinfo_url: Option<String>,
    #[serde(default)]
    pub revoke_url: Option<String>,
}

impl Keys {
    pub fn brand(&self) -> Brand {
        self.brand.unwrap_or_default()
    }
}

impl KindKeys for Keys {
    const SPEC: &'static ProviderSpec = &SPEC;
    fn build(self, p: Parts) -> Arc<dyn Provider> {
        Arc::new(Feishu::new(p.entry, self, p.client_secret, p.http))
    }
}

/// The documented domains of each brand: (accounts, open platform).
pub fn domains(brand: Brand) -> (&'static str, &'static str) {
    match brand {
        Brand::Feishu => ("https://accounts.feishu.cn", "https://open.feishu.cn"),
        Brand::Lark => (
            "https://accounts.larksuite.com",
            "https://open.larksuite.com",
        ),
    }
}

pub const AUTHORIZE_PATH: &str = "/open-apis/authen/v1/authorize";
pub const TOKEN_V2_PATH: &str = "/open-apis/authen/v2/oauth/token";
pub const TOKEN_V3_PATH: &str = "/oauth/v3/token";
pub const REVOKE_PATH: &str = "/oauth/v1/revoke";
pub const USER_INFO_PATH: &str = "/open-apis/authen/v1/user_info";
pub const MESSAGES_PATH: &str = "/open-apis/im/v1/messages";
pub const CHATS_PATH: &str = "/open-apis/im/v1/chats";

/// `offline_access` (refresh tokens) plus what the chat actions need.
pub fn default_scopes() -> Vec<String> {
    [
        "offline_access",
        "im:message",
        "im:message.send_as_user",
        "im:chat:readonly",
    ]
    .map(str::to_owned)
    .to_vec()
}

const SEND_SCOPES: [&str; 2] = ["im:message", "im:message.send_as_user"];
const LIST_SCOPES: [&str; 4] = [
    "im:chat:readonly",
    "im:chat",
    "im:chat:read",
    "im:chat.group_info:readonly",
];
const RECIPIENT_KINDS: [&str; 5] = ["open_id", "user_id", "union_id", "email", "chat_id"];
/// A text message's content may be up to 150 KB.
const MAX_TEXT_BYTES: usize = 150 * 1024;

/// Feishu / Lark, as it declares itself (seed 002, providers.md §2).
pub static SPEC: ProviderSpec = ProviderSpec {
    kind: ProviderKind::new("feishu"),
    label: "Feishu / Lark",
    sign_in: SignInStyle::Browser,
    pkce: true,
    nonce: false,
    // Feishu checks the redirect URI exactly: a fixed loopback port gives one.
    redirect: RedirectMode::Loopback,
    fixed_port: Some(FEISHU_LOOPBACK_PORT),
    no_deep_link: None,
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

pub struct Feishu {
    entry: Entry,
    keys: Keys,
    client_secret: Option<Secret>,
    http: Http,
}

/// The token endpoint's flat answer (no `data` wrapper). Holds tokens: no `Debug`.
#[derive(Deserialize)]
struct TokenAnswer {
    #[serde(default)]
    code: i64,
    #[serde(default)]
    access_token: Option<String>,
    #[serde(default)]
    expires_in: Option<u64>,
    #[serde(default)]
    refresh_token: Option<String>,
    #[serde(default)]
    refresh_token_expires_in: Option<u64>,
    #[serde(default)]
    scope: Option<String>,
}

/// The OpenAPI envelope: `{code, msg, data}`. `data` is read only once `code` says success:
/// an error arrives both without `data` and with `"data": {}`.
#[derive(Deserialize)]
struct Envelope {
    #[serde(default)]
    code: i64,
    #[serde(default)]
    data: Option<serde_json::Value>,
}

/// What a Feishu / Lark account's profile shows beyond name and e-mail (the window labels each field).
#[derive(Debug, serde::Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct FeishuProfile {
    /// `feishu` or `lark`.
    pub brand: String,
    pub en_name: Option<String>,
    pub enterprise_email: Option<String>,
    pub employee_no: Option<String>,
    pub user_id: Option<String>,
    pub open_id: String,
    pub union_id: Option<String>,
    pub tenant_key: Option<String>,
}

#[derive(Debug, Deserialize)]
struct UserInfo {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    en_name: Option<String>,
    #[serde(default)]
    avatar_url: Option<String>,
    #[serde(default)]
    avatar_middle: Option<String>,
    open_id: String,
    #[serde(default)]
    union_id: Option<String>,
    #[serde(default)]
    tenant_key: Option<String>,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    enterprise_email: Option<String>,
    #[serde(default)]
    user_id: Option<String>,
    #[serde(default)]
    employee_no: Option<String>,
}

#[derive(Debug, Deserialize)]
struct SentData {
    message_id: String,
    #[serde(default)]
    create_time: Option<String>,
}

#[derive(Debug, Deserialize)]
struct ChatPage {
    #[serde(default)]
    items: Vec<ChatItem>,
    #[serde(default)]
    page_token: Option<String>,
    #[serde(default)]
    has_more: bool,
}

#[derive(Debug, Deserialize)]
struct ChatItem {
    chat_id: String,
    #[serde(default)]
    name: Option<String>,
}

impl Feishu {
    pub fn new(entry: Entry, keys: Keys, client_secret: Option<Secret>, http: Http) -> Self {
        Feishu {
            entry,
            keys,
            client_secret,
            http,
        }
    }

    fn accounts_base(&self) -> String {
        self.keys
            .accounts_base
            .clone()
            .unwrap_or_else(|| domains(self.keys.brand()).0.to_owned())
    }

    fn open_base(&self) -> String {
        self.keys
            .api_base
            .clone()
            .unwrap_or_else(|| domains(self.keys.brand()).1.to_owned())
    }

    fn url(
        &self,
        explicit: &Option<String>,
        base: String,
        path: &str,
    ) -> Result<Url, ProviderError> {
        let value = explicit
            .clone()
            .unwrap_or_else(|| format!("{}{path}", base.trim_end_matches('/')));
        super::parse_url(&value, path, &self.entry.name)
            .map_err(|e| ProviderError::new(FailureClass::Setup, "config", e.message))
    }

    fn token_url(&self) -> Result<Url, ProviderError> {
        match self.keys.token_version.unwrap_or_default() {
            TokenVersion::V2 => self.url(&self.keys.token_url, self.open_base(), TOKEN_V2_PATH),
            TokenVersion::V3 => self.url(&self.keys.token_url, self.accounts_base(), TOKEN_V3_PATH),
        }
    }

    fn api(&self, path: &str) -> Result<Url, ProviderError> {
        self.url(&None, self.open_base(), path)
    }

    fn secret(&self) -> Result<&Secret, ProviderError> {
        self.client_secret
            .as_ref()
            .ok_or_else(|| super::missing_secret(&self.entry))
    }

    fn scopes(&self) -> Vec<String> {
        self.entry.scopes.clone().unwrap_or_else(default_scopes)
    }

    /// POSTs a token request as the document specifies: JSON, `application/json; charset=utf-8`,
    /// the App Secret in the body only (never also as Basic — error 20070).
    async fn token(&self, body: serde_json::Value, origin: Origin) -> Result<Grant, ProviderError> {
        let url = self.token_url()?;
        let name = &self.entry.name;
        let bytes = serde_json::to_vec(&body)
            .map_err(|e| ProviderError::new(FailureClass::Setup, "internal", e.to_string()))?;
        let req = self
            .http
            .reqwest()
            .post(url)
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/json; charset=utf-8",
            )
            .header(reqwest::header::ACCEPT, "application/json")
            .body(bytes);
        let (status, headers, body) = self
            .http
            .send(req)
            .await
            .map_err(|e| ProviderError::from_http(name, &e))?;
        parse_token(name, status, &headers, &body, origin)
    }

    /// An OpenAPI call: HTTP 200 with `code` 0 is success; anything else is classified by
    /// its `code` (also when it comes with HTTP 4xx).
    async fn call<T: serde::de::DeserializeOwned>(
        &self,
        req: reqwest::RequestBuilder,
        access: &Secret,
    ) -> Result<T, ProviderError> {
        let name = &self.entry.name;
        let req = req
            .bearer_auth(access.expose())
            .header(reqwest::header::ACCEPT, "application/json");
        let (status, headers, body) = self
            .http
            .send(req)
            .await
            .map_err(|e| ProviderError::from_http(name, &e))?;
        parse_api(name, status, &headers, &body)
    }

    fn require(
        &self,
        account: AccountCtx<'_>,
        all: &[&str],
        any: &[&str],
    ) -> Result<(), ProviderError> {
        let Some(granted) = account.scopes else {
            return Ok(());
        };
        let has = |s: &str| granted.split_whitespace().any(|g| g == s);
        let missing: Vec<&str> = all.iter().copied().filter(|s| !has(s)).collect();
        let any_missing = !any.is_empty() && !any.iter().any(|s| has(s));
        if missing.is_empty() && !any_missing {
            return Ok(());
        }
        let what = if any_missing { any[0] } else { missing[0] };
        Err(ProviderError::new(
            FailureClass::ScopeMissing,
            "scope_missing",
            format!("{} has not given Signet the permission \"{what}\" for this account. Choose \"Grant access\" to sign in again and approve it (the app must have it enabled under 权限管理).", self.entry.name),
        ))
    }
}

/// A token endpoint's answer → the grant, or the classified error (the document's flat shape:
/// `code` 0 and the tokens, or `code`, `error`, `error_description`). Pure, and fuzzed as it is.
pub(crate) fn parse_token(
    name: &str,
    status: u16,
    headers: &reqwest::header::HeaderMap,
    body: &[u8],
    origin: Origin,
) -> Result<Grant, ProviderError> {
    let answer: Option<TokenAnswer> = serde_json::from_slice(body).ok();
    match answer {
        Some(a) if a.code != 0 => {
            let mut pe = classify(name, a.code, origin);
            pe.retry_after = crate::http::retry_after(headers);
            Err(pe)
        }
        Some(a) if status == 200 => match a.access_token {
            Some(access) if !access.is_empty() => Ok(Grant {
                access: Secret::new(access),
                refresh: a.refresh_token.filter(|t| !t.is_empty()).map(Secret::new),
                expires_in: a.expires_in.map(std::time::Duration::from_secs),
                refresh_expires_in: a
                    .refresh_token_expires_in
                    .map(std::time::Duration::from_secs),
                scope: a.scope,
                id_token: None,
                never_expires: false,
                profile: None,
            }),
            _ => Err(unreadable(name)),
        },
        _ if status == 200 => Err(unreadable(name)),
        _ => Err(ProviderError::from_http(
            name,
            &HttpError::from_status(status, headers),
        )),
    }
}

/// An OpenAPI answer (`{code, msg, data}`) → `data`, or the classified error. Pure, fuzzed.
pub(crate) fn parse_api<T: serde::de::DeserializeOwned>(
    name: &str,
    status: u16,
    headers: &reqwest::header::HeaderMap,
    body: &[u8],
) -> Result<T, ProviderError> {
    let retry_after = crate::http::retry_after(headers);
    match serde_json::from_slice::<Envelope>(body) {
        Ok(Envelope {
            code: 0,
            data: Some(d),
        }) if status == 200 => serde_json::from_value(d).map_err(|_| {
            ProviderError::new(
                FailureClass::Transient,
                "unreadable_answer",
                format!("{name} sent an answer Signet could not read. Try again."),
            )
        }),
        Ok(e) if e.code != 0 => {
            let mut pe = classify(name, e.code, Origin::Api);
            pe.retry_after = retry_after;
            Err(pe)
        }
        _ if status == 401 => Err(ProviderError::access_rejected(name)),
        _ if status == 200 => Err(ProviderError::new(
            FailureClass::Transient,
            "unreadable_answer",
            format!("{name} sent an answer Signet could not read. Try again."),
        )),
        _ => Err(ProviderError::from_http(
            name,
            &HttpError::from_status(status, headers),
        )),
    }
}

/// A user_info answer → the fields Signet shows. Pure, fuzzed.
pub(crate) fn parse_user_info(
    name: &str,
    status: u16,
    headers: &reqwest::header::HeaderMap,
    body: &[u8],
) -> Result<(), ProviderError> {
    let u: UserInfo = parse_api(name, status, headers, body)?;
    check_user_info(name, u).map(|_| ())
}

fn check_user_info(name: &str, u: UserInfo) -> Result<UserInfo, ProviderError> {
    if u.open_id.is_empty() {
        return Err(ProviderError::new(
            FailureClass::Transient,
            "unreadable_answer",
            format!("{name} sent a profile without an open_id."),
        ));
    }
    Ok(u)
}

fn unreadable(name: &str) -> ProviderError {
    let mut pe = ProviderError::new(
        FailureClass::Transient,
        "unreadable_answer",
        format!("{name} sent an incomplete or unreadable answer."),
    );
    // A 200 that did not parse may still have spent the single-use refresh token.
    pe.maybe_processed = true;
    pe
}

fn https_only(u: Option<String>) -> Option<String> {
    u.filter(|u| crate::avatars::safe_url(u).is_some())
}

#[async_trait]
impl Provider for Feishu {
    fn name(&self) -> &str {
        &self.entry.name
    }
    fn spec(&self) -> &'static ProviderSpec {
        &SPEC
    }
    /// Feishu issues a refresh token only with `offline_access`, a permission the app's owner
    /// enables in the developer console (the seed, 002): consent from the person cannot add it.
    fn no_refresh_token_reason(&self) -> Option<String> {
        let name = &self.entry.name;
        Some(format!(
            "{name} issued no refresh token, so Signet could not keep this account signed in, and nothing was added. The app's owner must enable the offline_access permission for this app in the {name} developer console (开发者后台 → 权限管理 → offline_access); then sign in again."
        ))
    }
    fn entry(&self) -> &Entry {
        &self.entry
    }

    async fn authorize_url(&self, r: &AuthRequest) -> Result<Url> {
        let endpoints = OAuthEndpoints {
            provider: self.entry.name.clone(),
            authorize: self
                .url(
                    &self.keys.authorize_url,
                    self.accounts_base(),
                    AUTHORIZE_PATH,
                )
                .map_err(|e| e.to_error())?,
            token: self.token_url().map_err(|e| e.to_error())?,
            client_id: self.entry.client_id.clone(),
            client_secret: None,
            auth: super::oauth::TokenAuth::Post,
        };
        let consent: &[(&str, &str)] = if r.force_consent {
            &[("prompt", "consent")]
        } else {
            &[]
        };
        endpoints
            .authorize_url(
                &r.state,
                &r.redirect_uri,
                &self.scopes(),
                r.pkce_verifier.as_ref(),
                consent,
            )
            .map_err(|e| e.to_error())
    }

    async fn exchange_code(&self, code: &Secret, r: &AuthRequest) -> Result<Grant, ProviderError> {
        let secret = self.secret()?;
        let mut body = json!({
            "grant_type": "authorization_code",
            "client_id": self.entry.client_id,
            "client_secret": secret.expose(),
            "code": code.expose(),
            "redirect_uri": r.redirect_uri,
        });
        if let Some(v) = &r.pkce_verifier {
            body["code_verifier"] = json!(v.expose());
        }
        self.token(body, Origin::SignIn).await
    }

    async fn refresh(&self, refresh_token: &Secret) -> Result<Grant, ProviderError> {
        let secret = self.secret()?;
        let body = json!({
            "grant_type": "refresh_token",
            "client_id": self.entry.client_id,
            "client_secret": secret.expose(),
            "refresh_token": refresh_token.expose(),
        });
        self.token(body, Origin::Refresh).await
    }

    async fn profile(
        &self,
        access: &Secret,
        _ctx: ProfileCtx<'_>,
    ) -> Result<Profile, ProviderError> {
        let url = self.url(&self.keys.userinfo_url, self.open_base(), USER_INFO_PATH)?;
        let u: UserInfo = self.call(self.http.reqwest().get(url), access).await?;
        let u = check_user_info(&self.entry.name, u)?;
        let email = u
            .email
            .clone()
            .filter(|e| !e.is_empty())
            .or_else(|| u.enterprise_email.clone().filter(|e| !e.is_empty()));
        let display_name = u
            .name
            .clone()
            .filter(|n| !n.is_empty())
            .or_else(|| u.en_name.clone().filter(|n| !n.is_empty()))
            .or_else(|| email.clone())
            .unwrap_or_else(|| u.open_id.clone());
        let subject = match &u.tenant_key {
            Some(t) if !t.is_empty() => format!("{t}/{}", u.open_id),
            _ => u.open_id.clone(),
        };
        Ok(Profile {
            subject,
            display_name,
            email,
            avatar_url: https_only(u.avatar_middle.clone().or_else(|| u.avatar_url.clone())),
            extra: super::profile_json(&FeishuProfile {
                brand: match self.keys.brand() {
                    Brand::Feishu => "feishu".into(),
                    Brand::Lark => "lark".into(),
                },
                en_name: u.en_name.clone(),
                enterprise_email: u.enterprise_email.clone(),
                employee_no: u.employee_no.clone(),
                user_id: u.user_id.clone(),
                open_id: u.open_id.clone(),
                union_id: u.union_id.clone(),
                tenant_key: u.tenant_key.clone(),
            }),
            balance: None,
        })
    }

    async fn revoke(&self, tokens: &Tokens) -> Result<bool, ProviderError> {
        let secret = self.secret()?;
        let url = self.url(&self.keys.revoke_url, self.accounts_base(), REVOKE_PATH)?;
        let (token, hint) = match &tokens.refresh {
            Some(r) => (r, "refresh_token"),
            None => (&tokens.access, "access_token"),
        };
        let form = [
            ("client_id", self.entry.client_id.as_str()),
            ("client_secret", secret.expose()),
            ("token", token.expose()),
            ("token_type_hint", hint),
        ];
        let req = self.http.reqwest().post(url).form(&form);
        let (status, _, body) = self
            .http
            .send(req)
            .await
            .map_err(|e| ProviderError::from_http(&self.entry.name, &e))?;
        let code = serde_json::from_slice::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| v.get("code").and_then(|c| c.as_i64()));
        match (status, code) {
            (200, Some(0) | None) => Ok(true),
            (_, Some(c)) if c != 0 => Err(classify(&self.entry.name, c, Origin::Refresh)),
            _ => Ok(false),
        }
    }

    fn missing_scopes(&self, granted: Option<&str>) -> Vec<String> {
        let Some(granted) = granted else {
            return Vec::new();
        };
        let has = |s: &str| granted.split_whitespace().any(|g| g == s);
        let mut out: Vec<String> = SEND_SCOPES
            .iter()
            .filter(|s| !has(s))
            .map(|s| (*s).to_owned())
            .collect();
        if !LIST_SCOPES.iter().any(|s| has(s)) {
            out.push(LIST_SCOPES[0].to_owned());
        }
        out
    }

    fn chat_support(&self) -> ChatSupport {
        ChatSupport {
            list: true,
            create_space: false,
            send: true,
            recipient_kinds: RECIPIENT_KINDS.map(str::to_owned).to_vec(),
            unavailable: None,
        }
    }

    async fn chat_list(
        &self,
        access: &Secret,
        account: AccountCtx<'_>,
    ) -> Result<Vec<ChatTarget>, ProviderError> {
        self.require(account, &[], &LIST_SCOPES)?;
        let mut out = Vec::new();
        let mut page: Option<String> = None;
        for _ in 0..10 {
            let mut url = self.api(CHATS_PATH)?;
            url.query_pairs_mut()
                .append_pair("page_size", "100")
                .append_pair("user_id_type", "open_id");
            if let Some(t) = &page {
                url.query_pairs_mut().append_pair("page_token", t);
            }
            let p: ChatPage = self.call(self.http.reqwest().get(url), access).await?;
            out.extend(p.items.into_iter().map(|c| {
                ChatTarget {
                    name: c
                        .name
                        .filter(|n| !n.is_empty())
                        .unwrap_or_else(|| c.chat_id.clone()),
                    id: c.chat_id,
                    recipient_kind: "chat_id".into(),
                    url: None,
                }
            }));
            match p.page_token.filter(|t| p.has_more && !t.is_empty()) {
                Some(t) => page = Some(t),
                None => break,
            }
        }
        Ok(out)
    }

    async fn chat_send(
        &self,
        access: &Secret,
        account: AccountCtx<'_>,
        to: &Recipient,
        text: &str,
    ) -> Result<ChatSent, ProviderError> {
        if !RECIPIENT_KINDS.contains(&to.kind.as_str()) {
            return Err(ProviderError::new(
                FailureClass::Refused,
                "bad_recipient",
                format!(
                    "A Feishu recipient is named by {}; \"{}\" is not one of them.",
                    RECIPIENT_KINDS.join(", "),
                    to.kind
                ),
            ));
        }
        let id = to.id.trim();
        if id.is_empty() {
            return Err(ProviderError::new(
                FailureClass::Refused,
                "bad_recipient",
                "Enter who the message goes to.",
            ));
        }
        if text.trim().is_empty() || text.len() > MAX_TEXT_BYTES {
            return Err(ProviderError::new(
                FailureClass::Refused,
                "invalid_argument",
                "A Feishu text message needs text, at most 150 KB.",
            ));
        }
        self.require(account, &SEND_SCOPES, &[])?;
        let mut url = self.api(MESSAGES_PATH)?;
        url.query_pairs_mut()
            .append_pair("receive_id_type", &to.kind);
        // `content` is a JSON-encoded string, as the API specifies.
        let content = json!({ "text": text }).to_string();
        let body = json!({
            "receive_id": id,
            "msg_type": "text",
            "content": content,
            "uuid": crate::flow::random_token().expose().chars().take(32).collect::<String>(),
        });
        let req = self.http.reqwest().post(url).json(&body);
        let sent: SentData = self.call(req, access).await?;
        Ok(ChatSent {
            message_id: sent.message_id,
            to: format!("{}:{id}", to.kind),
            created: sent.create_time,
        })
    }
}
