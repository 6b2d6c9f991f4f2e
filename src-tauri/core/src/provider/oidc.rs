//! Generic OpenID Connect provider: endpoints from discovery, PKCE + nonce, ID-token checks, userinfo, revocation.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use tokio::sync::OnceCell;
use url::Url;

use super::oauth::{OAuthEndpoints, TokenAuth};
use super::spec::{
    Capabilities, Entry, KeySpec, KindKeys, Parts, ProviderKind, ProviderSpec, RedirectMode,
    SecretNeed, SignInStyle,
};
use super::{
    get_json, AuthRequest, FailureClass, Grant, Profile, ProfileCtx, Provider, ProviderError,
};
use crate::error::{Error, ErrorCode, Result};
use crate::http::Http;
use crate::secret::Secret;
use crate::vault::Tokens;

/// `openid email profile` (plus `offline_access` where discovery lists it).
fn default_oidc_scopes() -> Vec<String> {
    vec!["openid".into(), "email".into(), "profile".into()]
}

/// Any OpenID Connect provider, as it declares itself: endpoints from discovery at its issuer.
pub static SPEC: ProviderSpec = ProviderSpec {
    kind: ProviderKind::new("oidc"),
    label: "OpenID Connect",
    sign_in: SignInStyle::Browser,
    pkce: true,
    nonce: true,
    redirect: RedirectMode::Loopback,
    fixed_port: None,
    no_deep_link: None,
    // A public client (PKCE only, RFC 8252 §8.5) has none; discovery says how to authenticate.
    secret: SecretNeed::Optional,
    client_id_required: true,
    default_base_url: None,
    default_scopes: default_oidc_scopes,
    required: &[KeySpec::required(
        "issuer",
        "an OpenID Connect provider needs its issuer URL",
    )],
    test_only: false,
    capabilities: Capabilities {
        revoke: true,
        ..Capabilities::NONE
    },
};

/// An OpenID Connect entry's own keys.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Keys {
    /// The issuer URL; endpoints come from `<issuer>/.well-known/openid-configuration`.
    pub issuer: String,
    /// How Signet authenticates at the token and revocation endpoints (`basic`, `post` or
    /// `none`); unset: chosen from discovery.
    #[serde(default)]
    pub token_auth: Option<TokenAuth>,
    /// Endpoint overrides, for servers whose discovery document is wrong or missing a part.
    #[serde(default)]
    pub authorize_url: Option<String>,
    #[serde(default)]
    pub token_url: Option<String>,
    #[serde(default)]
    pub userinfo_url: Option<String>,
    #[serde(default)]
    pub revoke_url: Option<String>,
}

impl KindKeys for Keys {
    const SPEC: &'static ProviderSpec = &SPEC;
    fn build(self, p: Parts) -> Arc<dyn Provider> {
        Arc::new(Oidc::new(p.entry, self, p.client_secret, p.http))
    }
}

/// What an OpenID Connect account's profile shows beyond name and e-mail (the window labels each field).
#[derive(Debug, Default, serde::Serialize, serde::Deserialize, ts_rs::TS)]
#[serde(rename_all = "camelCase", default)]
#[ts(export)]
pub struct OidcProfile {
    /// Shown as a badge by the e-mail.
    pub email_verified: Option<bool>,
    /// A Google Workspace account's domain (`hd`).
    pub domain: Option<String>,
}

/// The parts of `/.well-known/openid-configuration` Signet uses.
#[derive(Debug, Clone, Deserialize)]
pub struct Discovery {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    #[serde(default)]
    pub userinfo_endpoint: Option<String>,
    #[serde(default)]
    pub revocation_endpoint: Option<String>,
    #[serde(default)]
    pub scopes_supported: Option<Vec<String>>,
    #[serde(default)]
    pub authorization_response_iss_parameter_supported: bool,
    #[serde(default)]
    pub token_endpoint_auth_methods_supported: Option<Vec<String>>,
}

/// Resolved endpoints: discovery, with the configuration's overrides on top.
/// Where an OpenID provider's endpoints are (from discovery, or fixed for a known provider).
#[derive(Debug, Clone)]
pub(crate) struct Endpoints {
    pub issuer: String,
    /// Other spellings of the issuer the ID token may carry (Google: `accounts.google.com`).
    pub alt_issuers: Vec<String>,
    pub authorize: Url,
    pub token: Url,
    pub userinfo: Option<Url>,
    pub revoke: Option<Url>,
    pub scopes_supported: Vec<String>,
    pub iss_in_callback: bool,
    /// `token_endpoint_auth_methods_supported`; OpenID Connect Discovery's default when the
    /// document says nothing is `client_secret_basic`.
    pub token_auth_methods: Vec<String>,
}

pub struct Oidc {
    entry: Entry,
    keys: Keys,
    client_secret: Option<Secret>,
    http: Http,
    endpoints: OnceCell<Endpoints>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct IdClaims {
    iss: String,
    sub: String,
    aud: Audience,
    #[serde(default)]
    azp: Option<String>,
    #[serde(default)]
    exp: Option<i64>,
    #[serde(default)]
    iat: Option<i64>,
    #[serde(default)]
    nonce: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    picture: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Audience {
    One(String),
    Many(Vec<String>),
}

impl Audience {
    fn several(&self) -> bool {
        matches!(self, Audience::Many(v) if v.len() > 1)
    }
    fn contains(&self, id: &str) -> bool {
        match self {
            Audience::One(a) => a == id,
            Audience::Many(v) => v.iter().any(|a| a == id),
        }
    }
}

#[derive(Debug, Deserialize)]
struct UserInfo {
    sub: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    preferred_username: Option<String>,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    email_verified: Option<bool>,
    #[serde(default)]
    picture: Option<String>,
    #[serde(default)]
    hd: Option<String>,
}

impl Oidc {
    pub fn new(entry: Entry, keys: Keys, client_secret: Option<Secret>, http: Http) -> Self {
        Oidc {
            entry,
            keys,
            client_secret,
            http,
            endpoints: OnceCell::new(),
        }
    }

    /// An OpenID provider whose endpoints are known (no discovery request).
    pub(crate) fn with_endpoints(
        entry: Entry,
        keys: Keys,
        client_secret: Option<Secret>,
        http: Http,
        endpoints: Endpoints,
    ) -> Self {
        Oidc {
            entry,
            keys,
            client_secret,
            http,
            endpoints: OnceCell::new_with(Some(endpoints)),
        }
    }

    pub(crate) fn http(&self) -> &Http {
        &self.http
    }

    /// The authorize URL with `extra` parameters (besides nonce and login_hint) and `scopes`.
    pub(crate) async fn authorize_url_with(
        &self,
        r: &AuthRequest,
        scopes: Option<Vec<String>>,
        extra: &[(&str, &str)],
    ) -> Result<Url> {
        let e = self.endpoints().await.map_err(to_error)?;
        let mut params: Vec<(&str, &str)> = Vec::new();
        if let Some(n) = &r.nonce {
            params.push(("nonce", n.expose()));
        }
        if let Some(h) = &r.login_hint {
            params.push(("login_hint", h.as_str()));
        }
        params.extend_from_slice(extra);
        self.oauth(e)
            .authorize_url(
                &r.state,
                &r.redirect_uri,
                &scopes.unwrap_or_else(|| self.scopes(e)),
                r.pkce_verifier.as_ref(),
                &params,
            )
            .map_err(|e| e.to_error())
    }

    fn issuer(&self) -> String {
        self.keys.issuer.trim_end_matches('/').to_owned()
    }

    /// Fetches discovery once (a failure is not cached, so the next call tries again).
    async fn endpoints(&self) -> Result<&Endpoints, ProviderError> {
        self.endpoints
            .get_or_try_init(|| async { self.discover().await })
            .await
    }

    async fn discover(&self) -> Result<Endpoints, ProviderError> {
        let name = &self.entry.name;
        let issuer = self.issuer();
        let url = super::parse_url(
            &format!("{issuer}/.well-known/openid-configuration"),
            "issuer",
            name,
        )
        .map_err(|e| ProviderError::new(FailureClass::Setup, "config", e.message))?;
        let req = self.http.reqwest().get(url.clone());
        let (status, _, body) = self
            .http
            .send(req)
            .await
            .map_err(|e| ProviderError::from_http(name, &e))?;
        let bad = |why: String| {
            ProviderError::new(
                FailureClass::Setup,
                "discovery_failed",
                format!("{name}: the OpenID configuration at {url} {why}. Check the issuer URL in the settings."),
            )
        };
        if status != 200 {
            let mut e = bad(format!("answered HTTP {status}"));
            if status >= 500 || status == 429 {
                e.class = FailureClass::Transient;
            }
            return Err(e);
        }
        let d: Discovery =
            serde_json::from_slice(&body).map_err(|e| bad(format!("could not be read ({e})")))?;
        // OpenID Connect Discovery §4.3: the document's issuer must be the one asked for.
        if d.issuer.trim_end_matches('/') != issuer {
            return Err(bad(format!("names a different issuer (\"{}\")", d.issuer)));
        }
        let pick = |over: &Option<String>,
                    found: Option<&String>,
                    what: &str|
         -> Result<Option<Url>, ProviderError> {
            match over.as_ref().or(found) {
                None => Ok(None),
                Some(v) => super::parse_url(v, what, name)
                    .map(Some)
                    .map_err(|e| bad(e.message)),
            }
        };
        let authorize = pick(
            &self.keys.authorize_url,
            Some(&d.authorization_endpoint),
            "authorization_endpoint",
        )?
        .ok_or_else(|| bad("has no authorization endpoint".into()))?;
        let token = pick(
            &self.keys.token_url,
            Some(&d.token_endpoint),
            "token_endpoint",
        )?
        .ok_or_else(|| bad("has no token endpoint".into()))?;
        Ok(Endpoints {
            issuer,
            alt_issuers: Vec::new(),
            authorize,
            token,
            userinfo: pick(
                &self.keys.userinfo_url,
                d.userinfo_endpoint.as_ref(),
                "userinfo_endpoint",
            )?,
            revoke: pick(
                &self.keys.revoke_url,
                d.revocation_endpoint.as_ref(),
                "revocation_endpoint",
            )?,
            scopes_supported: d.scopes_supported.unwrap_or_default(),
            iss_in_callback: d.authorization_response_iss_parameter_supported,
            token_auth_methods: d
                .token_endpoint_auth_methods_supported
                .unwrap_or_else(|| vec!["client_secret_basic".to_owned()]),
        })
    }

    fn oauth(&self, e: &Endpoints) -> OAuthEndpoints {
        OAuthEndpoints {
            provider: self.entry.name.clone(),
            authorize: e.authorize.clone(),
            token: e.token.clone(),
            client_id: self.entry.client_id.clone(),
            client_secret: self.client_secret.clone(),
            auth: self.token_auth(e),
        }
    }

    /// How to authenticate at the token and revocation endpoints: as configured, else with a
    /// client secret, HTTP Basic where the server lists it (RFC 6749 §2.3.1: every server must
    /// take it; the body is "not recommended"), else the body; without a secret, as a public
    /// client (PKCE only) where the server lists `none`. A secret method without a secret is
    /// refused before the browser opens ([`Oidc::check_client`]).
    fn token_auth(&self, e: &Endpoints) -> TokenAuth {
        if let Some(configured) = self.keys.token_auth {
            return configured;
        }
        let lists = |m: &str| e.token_auth_methods.iter().any(|x| x == m);
        match &self.client_secret {
            Some(_) if lists("client_secret_basic") => TokenAuth::Basic,
            Some(_) if lists("client_secret_post") => TokenAuth::Post,
            Some(_) => TokenAuth::Basic,
            None if lists("none") => TokenAuth::None,
            None => TokenAuth::Post,
        }
    }

    /// A client that needs a secret and has none cannot finish a sign-in: said before the
    /// browser opens, with how to add it.
    fn check_client(&self, e: &Endpoints) -> Result<(), ProviderError> {
        if self.client_secret.is_none() && self.token_auth(e) != TokenAuth::None {
            return Err(super::missing_secret(&self.entry));
        }
        Ok(())
    }

    fn scopes(&self, e: &Endpoints) -> Vec<String> {
        if let Some(s) = &self.entry.scopes {
            return s.clone();
        }
        let mut s = default_oidc_scopes();
        // Many servers only issue refresh tokens for offline_access; Google rejects it.
        if e.scopes_supported.iter().any(|x| x == "offline_access") {
            s.push("offline_access".into());
        }
        s
    }

    /// Checks the ID token's claims (OpenID Connect Core §3.1.3.7). The signature is not
    /// checked: the token came straight from the token endpoint over TLS, which §3.1.3.7
    /// item 6 allows in place of signature validation.
    pub(crate) fn id_claims(
        &self,
        e: &Endpoints,
        id_token: &Secret,
        nonce: Option<&Secret>,
    ) -> Result<IdClaims, ProviderError> {
        let name = &self.entry.name;
        let bad = |why: &str| {
            ProviderError::new(
                FailureClass::Reauth,
                "bad_id_token",
                format!("{name} returned an ID token that fails its checks ({why}). Sign in again; if it persists, check the issuer URL."),
            )
        };
        let payload = id_token
            .expose()
            .split('.')
            .nth(1)
            .ok_or_else(|| bad("not a JWT"))?;
        let bytes = URL_SAFE_NO_PAD
            .decode(payload.trim_end_matches('='))
            .map_err(|_| bad("not base64url"))?;
        let c: IdClaims = serde_json::from_slice(&bytes).map_err(|_| bad("unreadable claims"))?;
        let iss = c.iss.trim_end_matches('/');
        if iss != e.issuer && !e.alt_issuers.iter().any(|a| a == iss) {
            return Err(bad("wrong issuer"));
        }
        if !c.aud.contains(&self.entry.client_id) {
            return Err(bad("issued to another client"));
        }
        // §3.1.3.7 items 4–5: with several audiences the authorized party must be named, and
        // when it is named it must be Signet's client.
        match &c.azp {
            Some(azp) if azp != &self.entry.client_id => {
                return Err(bad("authorized for another client (azp)"))
            }
            None if c.aud.several() => {
                return Err(bad("several audiences and no authorized party (azp)"))
            }
            _ => {}
        }
        if let Some(expected) = nonce {
            if c.nonce.as_deref() != Some(expected.expose()) {
                return Err(bad("nonce does not match this sign-in"));
            }
        }
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        // exp and iat are required claims (§2); 10 minutes of clock skew either way.
        match c.exp {
            None => return Err(bad("no expiry (exp)")),
            Some(exp) if exp + 600 < now => return Err(bad("expired")),
            Some(_) => {}
        }
        match c.iat {
            None => return Err(bad("no issue time (iat)")),
            Some(iat) if iat > now + 600 => return Err(bad("issued in the future (iat)")),
            Some(_) => {}
        }
        Ok(c)
    }
}

fn to_error(e: ProviderError) -> Error {
    match e.class {
        FailureClass::Transient => Error::new(ErrorCode::Temporary, e.message),
        _ => Error::new(ErrorCode::SetupProblem, e.message),
    }
}

#[async_trait]
impl Provider for Oidc {
    fn name(&self) -> &str {
        &self.entry.name
    }
    fn spec(&self) -> &'static ProviderSpec {
        &SPEC
    }
    fn entry(&self) -> &Entry {
        &self.entry
    }

    async fn expected_issuer(&self) -> Result<Option<String>> {
        let e = self.endpoints().await.map_err(to_error)?;
        Ok(e.iss_in_callback.then(|| e.issuer.clone()))
    }

    async fn authorize_url(&self, r: &AuthRequest) -> Result<Url> {
        self.check_client(self.endpoints().await.map_err(to_error)?)
            .map_err(|pe| pe.to_error())?;
        // OpenID Connect Core §11: `offline_access` is ignored unless the request asks for
        // consent, and a standard server then issues no refresh token at all.
        let e = self.endpoints().await.map_err(to_error)?;
        let offline = self.scopes(e).iter().any(|s| s == "offline_access");
        let consent: &[(&str, &str)] = if r.force_consent || offline {
            &[("prompt", "consent")]
        } else {
            &[]
        };
        self.authorize_url_with(r, None, consent).await
    }

    async fn exchange_code(&self, code: &Secret, r: &AuthRequest) -> Result<Grant, ProviderError> {
        let e = self.endpoints().await?;
        self.oauth(e)
            .exchange_code(&self.http, code, &r.redirect_uri, r.pkce_verifier.as_ref())
            .await
    }

    async fn refresh(&self, refresh_token: &Secret) -> Result<Grant, ProviderError> {
        let e = self.endpoints().await?;
        self.oauth(e).refresh(&self.http, refresh_token).await
    }

    async fn profile(
        &self,
        access: &Secret,
        ctx: ProfileCtx<'_>,
    ) -> Result<Profile, ProviderError> {
        let e = self.endpoints().await?;
        let claims = ctx
            .grant
            .and_then(|g| g.id_token.as_ref())
            .map(|t| self.id_claims(e, t, ctx.nonce))
            .transpose()?;
        // A sign-in that sent a nonce must get it back in an ID token: without one, nothing
        // ties the tokens to this sign-in.
        if ctx.nonce.is_some() && claims.is_none() {
            return Err(ProviderError::new(
                FailureClass::Reauth,
                "bad_id_token",
                format!("{} answered the sign-in without an ID token, so Signet cannot check that it belongs to this sign-in. Check that the provider is an OpenID Connect server and that the scope includes openid.", self.entry.name),
            ));
        }
        let info: Option<UserInfo> = match &e.userinfo {
            Some(url) => Some(get_json(&self.http, &self.entry.name, url, access).await?),
            None => None,
        };
        if let (Some(c), Some(i)) = (&claims, &info) {
            // OpenID Connect Core §5.3.2: userinfo's sub must be the ID token's.
            if c.sub != i.sub {
                return Err(ProviderError::new(
                    FailureClass::Reauth,
                    "subject_mismatch",
                    format!("{}: the profile belongs to a different user than the sign-in. Sign in again.", self.entry.name),
                ));
            }
        }
        let subject = info
            .as_ref()
            .map(|i| i.sub.clone())
            .or_else(|| claims.as_ref().map(|c| c.sub.clone()))
            .ok_or_else(|| {
                ProviderError::new(
                    FailureClass::Setup,
                    "no_subject",
                    format!("{} gave neither an ID token nor a userinfo endpoint, so Signet cannot tell who signed in. Add the \"openid\" scope.", self.entry.name),
                )
            })?;
        let email = info
            .as_ref()
            .and_then(|i| i.email.clone())
            .or_else(|| claims.as_ref().and_then(|c| c.email.clone()));
        let display_name = info
            .as_ref()
            .and_then(|i| i.name.clone().or_else(|| i.preferred_username.clone()))
            .or_else(|| claims.as_ref().and_then(|c| c.name.clone()))
            .or_else(|| email.clone())
            .unwrap_or_else(|| subject.clone());
        let avatar_url = info
            .as_ref()
            .and_then(|i| i.picture.clone())
            .or_else(|| claims.as_ref().and_then(|c| c.picture.clone()))
            .filter(|p| crate::avatars::safe_url(p).is_some());
        Ok(Profile {
            subject,
            display_name,
            email,
            avatar_url,
            extra: super::profile_json(&OidcProfile {
                email_verified: info.as_ref().and_then(|i| i.email_verified),
                domain: info.as_ref().and_then(|i| i.hd.clone()),
            }),
            balance: None,
        })
    }

    async fn revoke(&self, tokens: &Tokens) -> Result<bool, ProviderError> {
        let e = self.endpoints().await?;
        let Some(url) = &e.revoke else {
            return Ok(false);
        };
        let (token, hint) = match &tokens.refresh {
            Some(r) => (r, "refresh_token"),
            None => (&tokens.access, "access_token"),
        };
        self.check_client(e)?;
        // The client authenticates at the revocation endpoint as at the token endpoint.
        let mut form = vec![("token", token.expose()), ("token_type_hint", hint)];
        let mut req = self.http.reqwest().post(url.clone());
        match (self.token_auth(e), &self.client_secret) {
            (TokenAuth::Basic, Some(secret)) => {
                req = req.basic_auth(
                    form_encode(&self.entry.client_id),
                    Some(form_encode(secret.expose())),
                );
            }
            (TokenAuth::Post, Some(secret)) => {
                form.push(("client_id", self.entry.client_id.as_str()));
                form.push(("client_secret", secret.expose()));
            }
            _ => form.push(("client_id", self.entry.client_id.as_str())),
        }
        let req = req.form(&form);
        let (status, headers, _) = self
            .http
            .send(req)
            .await
            .map_err(|err| ProviderError::from_http(&self.entry.name, &err))?;
        if status == 200 {
            Ok(true)
        } else {
            Err(ProviderError::from_http(
                &self.entry.name,
                &crate::http::HttpError::from_status(status, &headers),
            ))
        }
    }
}

/// RFC 6749 §2.3.1: the client id and secret are form-encoded before they go into a Basic header.
fn form_encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// Lifetime of the access token Google and most servers report, when a server omits `expires_in`.
pub const DEFAULT_ACCESS_LIFETIME: Duration = Duration::from_secs(3600);
