//! Public value types: dialects, server configuration, users, faults and recorded requests.

use std::time::Duration;

use crate::tokens::{random_alnum, random_digits};

/// Which provider protocol the server speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Dialect {
    /// Generic OAuth 2.0 + OpenID Connect (Google-like): discovery, PKCE S256,
    /// client_secret_post, id_token, userinfo, RFC 7009 revocation, RFC 9207 `iss`.
    Oidc,
    /// AIHubMix's documented OAuth2 API under `/api/oauth2/*` (seed S1).
    AiHubMix,
    /// Google OAuth 2.0 for installed (Desktop) apps, OpenID userinfo, revocation and the
    /// Chat API with user auth (seed S0, providers.md §1).
    Google,
    /// Feishu / Lark: authorize, token v2 (seed S2) and v3, revoke, user_info, IM
    /// (providers.md §2). [`ServerConfig::lark`] is the same dialect with the Lark brand.
    Feishu,
    /// Easemob (环信) IM REST: app and user tokens, user lookup, text messages
    /// (seed S3, providers.md §4). No browser flow, no refresh tokens.
    Easemob,
}

/// How the server behaves. Start from a dialect's constructor ([`ServerConfig::oidc`],
/// [`ServerConfig::aihubmix`], [`ServerConfig::google`], [`ServerConfig::feishu`],
/// [`ServerConfig::lark`], [`ServerConfig::easemob`]) and override fields with
/// struct-update syntax.
#[derive(Clone, Debug)]
pub struct ServerConfig {
    pub dialect: Dialect,
    /// The one registered client. Default `"signet-test-client"`.
    pub client_id: String,
    /// Default: `"secret_"` + 24 random alphanumeric characters.
    pub client_secret: String,
    /// Default true: each refresh issues a new refresh token and consumes the old one;
    /// presenting a consumed one revokes the whole token family (reuse detection).
    pub rotate_refresh_tokens: bool,
    /// `expires_in` of access tokens. Oidc 3600, AiHubMix 7200, Google 3599, Feishu 7200.
    /// Easemob: the token lifetime used when a request has no `ttl` (5184000 = 60 days;
    /// with `vip5_milliseconds` it is multiplied by 1000 and reported in milliseconds).
    pub access_ttl_secs: u64,
    /// Oidc default true (code_challenge + S256 required); AiHubMix false (a challenge sent
    /// to AiHubMix is accepted and ignored, as is a code_verifier at the token endpoint).
    pub require_pkce: bool,
    /// The registered redirect URI. `None` (default) accepts any absolute URL at authorize
    /// (e.g. a loopback listener on an ephemeral port); `Some` requires an exact match.
    /// Google with `None` accepts only loopback URLs (Desktop client); Feishu with `None`
    /// accepts loopback URLs and `signet://…`.
    pub redirect_uri: Option<String>,
    /// Google: when true, an authorization-code exchange returns no `refresh_token` if the
    /// user had already consented to this client before and the authorize request did not
    /// carry `prompt=consent` (what Google does for web clients). Default false.
    pub omit_refresh_token_on_repeat_consent: bool,
    /// Lifetime of refresh tokens (`refresh_token_expires_in`); `None` = no expiry.
    /// Feishu default 604800 (the seed's example), every other dialect `None`.
    pub refresh_ttl_secs: Option<u64>,
    /// Feishu: the scopes enabled for the app in the developer console (权限管理).
    /// Authorize refuses any other scope. Empty for the other dialects.
    pub enabled_scopes: Vec<String>,
    /// Feishu dialect under the Lark brand ([`ServerConfig::lark`]); only cosmetic
    /// (avatar CDN host, brand name on error pages).
    pub lark: bool,
    /// Easemob org name (first path segment). Default `"1112220415115349"`.
    pub easemob_org: String,
    /// Easemob app name (second path segment). Default `"demo"`.
    pub easemob_app: String,
    /// Easemob VIP5 cluster: `ttl` and `expires_in` are milliseconds. Default false.
    pub vip5_milliseconds: bool,
    /// Oidc: how the registered client must authenticate at /token and /revoke; any other way
    /// is refused with `invalid_client` (and recorded as a violation). Default `Post`.
    pub client_auth: ClientAuth,
    /// Oidc: claims changed in every ID token issued — a key set to `null` is removed, any
    /// other value replaces the claim (a server that forgets `exp`, names two audiences …).
    pub id_token_overrides: serde_json::Map<String, serde_json::Value>,
}

impl ServerConfig {
    /// Generic OAuth 2.0 / OIDC server with PKCE required and rotating refresh tokens.
    pub fn oidc() -> Self {
        ServerConfig {
            dialect: Dialect::Oidc,
            client_id: "signet-test-client".to_owned(),
            client_secret: format!("secret_{}", random_alnum(24)),
            rotate_refresh_tokens: true,
            access_ttl_secs: 3600,
            require_pkce: true,
            redirect_uri: None,
            omit_refresh_token_on_repeat_consent: false,
            refresh_ttl_secs: None,
            enabled_scopes: Vec::new(),
            lark: false,
            easemob_org: "1112220415115349".to_owned(),
            easemob_app: "demo".to_owned(),
            vip5_milliseconds: false,
            id_token_overrides: serde_json::Map::new(),
            client_auth: ClientAuth::Post,
        }
    }

    /// AIHubMix as documented: no PKCE, `expires_in` 7200, rotating refresh tokens.
    pub fn aihubmix() -> Self {
        ServerConfig {
            dialect: Dialect::AiHubMix,
            access_ttl_secs: 7200,
            require_pkce: false,
            ..ServerConfig::oidc()
        }
    }

    /// Google with a Desktop ("installed") client: loopback redirects only, PKCE S256
    /// required, `client_secret` required in the body, `expires_in` 3599 and refresh
    /// tokens that do not rotate.
    pub fn google() -> Self {
        ServerConfig {
            dialect: Dialect::Google,
            client_id: format!(
                "{}-{}.apps.googleusercontent.com",
                random_digits(12),
                random_alnum(32).to_ascii_lowercase()
            ),
            client_secret: format!("GOCSPX-{}", random_alnum(28)),
            rotate_refresh_tokens: false,
            access_ttl_secs: 3599,
            ..ServerConfig::oidc()
        }
    }

    /// Feishu with the seed's App ID `cli_a5ca35a685b0x26e`: `expires_in` 7200,
    /// `refresh_token_expires_in` 604800, single-use refresh tokens, PKCE optional
    /// (recorded and enforced when a challenge is sent), and the default enabled scopes.
    pub fn feishu() -> Self {
        ServerConfig {
            dialect: Dialect::Feishu,
            client_id: "cli_a5ca35a685b0x26e".to_owned(),
            client_secret: random_alnum(32),
            rotate_refresh_tokens: true,
            access_ttl_secs: 7200,
            require_pkce: false,
            refresh_ttl_secs: Some(604_800),
            enabled_scopes: FEISHU_DEFAULT_SCOPES
                .iter()
                .map(|s| (*s).to_owned())
                .collect(),
            ..ServerConfig::oidc()
        }
    }

    /// [`ServerConfig::feishu`] under the Lark brand (same protocol and paths).
    pub fn lark() -> Self {
        ServerConfig {
            lark: true,
            ..ServerConfig::feishu()
        }
    }

    /// Easemob app `1112220415115349#demo` with `YXA6…` client credentials; default token
    /// lifetime 5184000 s (60 days); seconds unless `vip5_milliseconds`.
    pub fn easemob() -> Self {
        ServerConfig {
            dialect: Dialect::Easemob,
            client_id: format!("YXA6{}", random_alnum(22)),
            client_secret: format!("YXA6{}", random_alnum(27)),
            rotate_refresh_tokens: false,
            access_ttl_secs: 5_184_000,
            require_pkce: false,
            ..ServerConfig::oidc()
        }
    }
}

/// The scopes a Feishu app has enabled by default (see [`ServerConfig::enabled_scopes`]).
pub const FEISHU_DEFAULT_SCOPES: &[&str] = &[
    "offline_access",
    "im:message",
    "im:message.send_as_user",
    "im:chat:readonly",
    "contact:user.email:readonly",
    "auth:user.id:read",
    "user_profile",
];

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig::oidc()
    }
}

/// The person who "signs in" at the next authorize.
/// For AiHubMix, `sub` is the numeric user id as a string and `name` is the username.
/// For Feishu, `sub` is the `open_id` (`ou_…`). For Easemob, `sub` is the username and
/// `name` the nickname (see [`crate::OAuthServer::add_easemob_user`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    pub sub: String,
    pub name: String,
    pub email: String,
    pub picture: Option<String>,
    /// Google Workspace domain (`hd`); `None` for consumer accounts.
    pub hd: Option<String>,
    /// Feishu `union_id` (`on_…`).
    pub union_id: Option<String>,
    /// Feishu `tenant_key`.
    pub tenant_key: Option<String>,
    /// Feishu `en_name`.
    pub en_name: Option<String>,
}

impl User {
    pub fn new(sub: &str, name: &str, email: &str) -> Self {
        User {
            sub: sub.to_owned(),
            name: name.to_owned(),
            email: email.to_owned(),
            picture: None,
            hd: None,
            union_id: None,
            tenant_key: None,
            en_name: None,
        }
    }
}

/// How an OAuth client authenticates at the token endpoint (RFC 6749 §2.3.1, OpenID Connect
/// Core §9), as the client was registered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientAuth {
    /// `client_secret_post`: client_id and client_secret in the form body.
    Post,
    /// `client_secret_basic`: both form-encoded in an HTTP Basic header, nothing in the body.
    Basic,
    /// `none`: a public client; client_id in the body, no secret anywhere (PKCE required).
    None,
}

impl ClientAuth {
    /// The name discovery lists.
    pub fn method(self) -> &'static str {
        match self {
            ClientAuth::Post => "client_secret_post",
            ClientAuth::Basic => "client_secret_basic",
            ClientAuth::None => "none",
        }
    }
}

/// A fault injected into the next token request (FIFO), see [`crate::OAuthServer::push_fault`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// 503 with a small JSON body; the request is not processed.
    Status503,
    /// An nginx-style HTML error page with that status; not processed.
    HtmlError(u16),
    /// 429 with a `Retry-After: <secs>` header; not processed.
    TooManyRequests { retry_after_secs: u64 },
    /// The connection is closed before any response; the request is NOT processed.
    ResetConnection,
    /// Processed normally, answered after this delay (for client timeouts).
    Delay(Duration),
    /// Processed (a rotating refresh consumes the old token, new tokens are issued), then
    /// the connection is closed without a response.
    DropAfterProcessing,
    /// Processed, then answered 200 with the JSON body cut in the middle.
    TruncatedJson,
    /// 200 `application/json` with a body of exactly that many bytes; not processed.
    HugeBody(usize),
    /// 400 invalid_grant regardless of the token; not processed. On a resource endpoint
    /// ([`crate::OAuthServer::push_api_fault`]) the dialect's "invalid token" answer.
    InvalidGrant,
    /// A canned answer (e.g. a provider error code that cannot arise naturally, such as
    /// Feishu 20050 / 20072 or Easemob 403 "message send reach limit"); not processed.
    Respond {
        status: u16,
        body: String,
        content_type: String,
    },
}

/// One HTTP request as the server received it.
#[derive(Clone, Debug, PartialEq)]
pub struct RecordedRequest {
    pub method: String,
    pub path: String,
    /// Percent-decoded query pairs, in order.
    pub query: Vec<(String, String)>,
    pub content_type: Option<String>,
    pub authorization: Option<String>,
    /// Percent-decoded form pairs (only when the body is `application/x-www-form-urlencoded`).
    pub form: Vec<(String, String)>,
    /// The parsed body when the content type is JSON and it parses.
    pub json: Option<serde_json::Value>,
    /// All headers (lower-case names); values that are not UTF-8 are lossily converted.
    pub headers: Vec<(String, String)>,
    /// The raw body, lossily converted to UTF-8.
    pub body: String,
}

impl RecordedRequest {
    /// First query value for `key`.
    pub fn query_value(&self, key: &str) -> Option<&str> {
        find(&self.query, key)
    }

    /// First form value for `key`.
    pub fn form_value(&self, key: &str) -> Option<&str> {
        find(&self.form, key)
    }

    /// First header value for `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

pub(crate) fn find<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// A message a chat API accepted (Google Chat, Feishu IM, Easemob), see
/// [`crate::OAuthServer::sent_messages`].
#[derive(Clone, Debug, PartialEq)]
pub struct SentMessage {
    /// The provider's message id (Google `spaces/X/messages/Y`, Feishu `om_…`, Easemob
    /// the numeric id).
    pub id: String,
    /// The recipient: Google the space name `spaces/X`, Feishu the `receive_id`, Easemob
    /// one username of `to`.
    pub to: String,
    /// The plain text (Feishu: decoded from `content`; Easemob: `body.msg`).
    pub text: String,
    /// The sender: Google `users/<sub>`, Feishu the sender's open_id, Easemob `from`.
    pub from: Option<String>,
    /// The request's raw JSON body.
    pub body: serde_json::Value,
}

/// The state of a token the server issued, see [`crate::OAuthServer::token_state`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenState {
    Live,
    /// An access token past its expiry (or expired by `expire_access_tokens`).
    Expired,
    /// A rotated-away refresh token.
    Consumed,
    Revoked,
}

/// Tokens minted directly (without the authorize flow), see [`crate::OAuthServer::mint_tokens`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MintedTokens {
    pub access_token: String,
    pub refresh_token: String,
    pub scope: String,
}
