//! Public value types: dialects, server configuration, users, faults and recorded requests.

use std::time::Duration;

use crate::tokens::random_alnum;

/// Which provider protocol the server speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Dialect {
    /// Generic OAuth 2.0 + OpenID Connect (Google-like): discovery, PKCE S256,
    /// client_secret_post, id_token, userinfo, RFC 7009 revocation, RFC 9207 `iss`.
    Oidc,
    /// AIHubMix's documented OAuth2 API under `/api/oauth2/*` (seed S1).
    AiHubMix,
}

/// How the server behaves. Start from [`ServerConfig::oidc`] or [`ServerConfig::aihubmix`]
/// and override fields with struct-update syntax.
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
    /// `expires_in` of access tokens. Oidc default 3600, AiHubMix default 7200.
    pub access_ttl_secs: u64,
    /// Oidc default true (code_challenge + S256 required); AiHubMix false (a challenge sent
    /// to AiHubMix is accepted and ignored, as is a code_verifier at the token endpoint).
    pub require_pkce: bool,
    /// The registered redirect URI. `None` (default) accepts any absolute URL at authorize
    /// (e.g. a loopback listener on an ephemeral port); `Some` requires an exact match.
    pub redirect_uri: Option<String>,
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
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig::oidc()
    }
}

/// The person who "signs in" at the next authorize.
/// For AiHubMix, `sub` is the numeric user id as a string and `name` is the username.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    pub sub: String,
    pub name: String,
    pub email: String,
    pub picture: Option<String>,
}

impl User {
    pub fn new(sub: &str, name: &str, email: &str) -> Self {
        User {
            sub: sub.to_owned(),
            name: name.to_owned(),
            email: email.to_owned(),
            picture: None,
        }
    }

    /// The default user of a dialect: Oidc `user-1`/`alice`/`alice@example.com`;
    /// AiHubMix id 12345, `user123`, `user@example.com` (the document's example).
    pub fn default_for(dialect: Dialect) -> Self {
        match dialect {
            Dialect::Oidc => User::new("user-1", "alice", "alice@example.com"),
            Dialect::AiHubMix => User::new("12345", "user123", "user@example.com"),
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
    /// 400 invalid_grant regardless of the token; not processed.
    InvalidGrant,
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
