//! Standard OAuth 2.0 plumbing shared by providers: authorize URLs, code exchange and refresh through the `oauth2` crate.

use std::time::Duration;

use oauth2::basic::{
    BasicErrorResponse, BasicRevocationErrorResponse, BasicTokenIntrospectionResponse,
    BasicTokenType,
};
use oauth2::{
    AuthType, AuthUrl, AuthorizationCode, Client, ClientId, ClientSecret, CsrfToken,
    EndpointNotSet, EndpointSet, ExtraTokenFields, PkceCodeChallenge, PkceCodeVerifier,
    RedirectUrl, RefreshToken, RequestTokenError, Scope, StandardRevocableToken,
    StandardTokenResponse, TokenResponse, TokenUrl,
};
use serde::{Deserialize, Serialize};
use url::Url;

use super::{FailureClass, Grant, ProviderError};
use crate::http::{Http, HttpError};
use crate::secret::Secret;

/// How a client proves itself at the token and revocation endpoints (RFC 6749 §2.3.1, OpenID
/// Connect Core §9): the client secret in an HTTP Basic header, in the form body, or not at all
/// (a public client: PKCE only, RFC 8252 §8.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenAuth {
    Basic,
    Post,
    None,
}

/// Token-response fields beyond RFC 6749 that Signet reads.
#[derive(Clone, Default, Serialize, Deserialize)]
pub struct ExtraFields {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token_expires_in: Option<u64>,
}

impl std::fmt::Debug for ExtraFields {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExtraFields")
            .field("id_token", &self.id_token.as_ref().map(|_| "[redacted]"))
            .field("refresh_token_expires_in", &self.refresh_token_expires_in)
            .finish()
    }
}

impl ExtraTokenFields for ExtraFields {}

type TokenResp = StandardTokenResponse<ExtraFields, BasicTokenType>;

type OAuthClient = Client<
    BasicErrorResponse,
    TokenResp,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
>;

/// The endpoints and credentials of one OAuth client.
#[derive(Clone)]
pub struct OAuthEndpoints {
    pub provider: String,
    pub authorize: Url,
    pub token: Url,
    pub client_id: String,
    pub client_secret: Option<Secret>,
    /// How the client authenticates at the token endpoint.
    pub auth: TokenAuth,
}

impl OAuthEndpoints {
    fn client(&self, redirect_uri: Option<&str>) -> Result<OAuthClient, ProviderError> {
        let mut c = Client::new(ClientId::new(self.client_id.clone()))
            .set_auth_uri(AuthUrl::from_url(self.authorize.clone()))
            .set_token_uri(TokenUrl::from_url(self.token.clone()))
            // Basic: the secret in the Authorization header only; post: in the form body only;
            // none: client_id in the body and no secret at all.
            .set_auth_type(match self.auth {
                TokenAuth::Basic => AuthType::BasicAuth,
                TokenAuth::Post | TokenAuth::None => AuthType::RequestBody,
            });
        if let Some(s) = self
            .client_secret
            .as_ref()
            .filter(|_| self.auth != TokenAuth::None)
        {
            c = c.set_client_secret(ClientSecret::new(s.expose().to_owned()));
        }
        if let Some(r) = redirect_uri {
            let r = RedirectUrl::new(r.to_owned()).map_err(|e| {
                ProviderError::new(
                    FailureClass::Setup,
                    "bad_redirect_uri",
                    format!("The redirect URI for {} is not valid ({e}).", self.provider),
                )
            })?;
            c = c.set_redirect_uri(r);
        }
        Ok(c)
    }

    /// The authorize URL with `response_type=code`, `client_id`, `redirect_uri`, `scope`,
    /// `state`, the S256 challenge of `verifier` (if any) and `extra` parameters.
    pub fn authorize_url(
        &self,
        state: &Secret,
        redirect_uri: &str,
        scopes: &[String],
        verifier: Option<&Secret>,
        extra: &[(&str, &str)],
    ) -> Result<Url, ProviderError> {
        let client = self.client(Some(redirect_uri))?;
        let state = state.expose().to_owned();
        let mut req = client.authorize_url(move || CsrfToken::new(state));
        if !scopes.is_empty() {
            // One space-separated parameter, in the configured order.
            req = req.add_scope(Scope::new(scopes.join(" ")));
        }
        if let Some(v) = verifier {
            let challenge = PkceCodeChallenge::from_code_verifier_sha256(&PkceCodeVerifier::new(
                v.expose().to_owned(),
            ));
            req = req.set_pkce_challenge(challenge);
        }
        for (k, v) in extra {
            req = req.add_extra_param(*k, *v);
        }
        Ok(req.url().0)
    }

    pub async fn exchange_code(
        &self,
        http: &Http,
        code: &Secret,
        redirect_uri: &str,
        verifier: Option<&Secret>,
    ) -> Result<Grant, ProviderError> {
        if self.client_secret.is_none() && self.auth != TokenAuth::None {
            return Err(missing_secret(&self.provider));
        }
        let client = self.client(Some(redirect_uri))?;
        let mut req = client.exchange_code(AuthorizationCode::new(code.expose().to_owned()));
        if let Some(v) = verifier {
            req = req.set_pkce_verifier(PkceCodeVerifier::new(v.expose().to_owned()));
        }
        let resp = req
            .request_async(http)
            .await
            .map_err(|e| classify(&self.provider, e, Phase::Exchange))?;
        Ok(grant(resp))
    }

    pub async fn refresh(&self, http: &Http, refresh: &Secret) -> Result<Grant, ProviderError> {
        if self.client_secret.is_none() && self.auth != TokenAuth::None {
            return Err(missing_secret(&self.provider));
        }
        let client = self.client(None)?;
        let rt = RefreshToken::new(refresh.expose().to_owned());
        let resp = client
            .exchange_refresh_token(&rt)
            .request_async(http)
            .await
            .map_err(|e| classify(&self.provider, e, Phase::Refresh))?;
        Ok(grant(resp))
    }
}

fn missing_secret(provider: &str) -> ProviderError {
    ProviderError::new(
        FailureClass::Setup,
        "missing_client_secret",
        format!("Signet has no client secret for {provider}: run `signetctl secret-set {provider}` or set the variable named by client_secret_env."),
    )
}

/// A standard token answer (RFC 6749 §5.1/§5.2) → the grant or the classified error, as the
/// `oauth2` crate and [`classify_code`] read it. Pure, and fuzzed.
pub(crate) fn parse_token_response(body: &[u8]) -> Result<Grant, ProviderError> {
    match serde_json::from_slice::<TokenResp>(body) {
        Ok(r) => Ok(grant(r)),
        Err(_) => match serde_json::from_slice::<BasicErrorResponse>(body) {
            Ok(e) => Err(classify_code(
                "provider",
                e.error().as_ref(),
                Phase::Refresh,
            )),
            Err(_) => Err(ProviderError::new(
                FailureClass::Transient,
                "unreadable_answer",
                "unreadable",
            )),
        },
    }
}

fn grant(r: TokenResp) -> Grant {
    Grant {
        access: Secret::new(r.access_token().secret().clone()),
        refresh: r.refresh_token().map(|t| Secret::new(t.secret().clone())),
        expires_in: r.expires_in(),
        refresh_expires_in: r
            .extra_fields()
            .refresh_token_expires_in
            .map(Duration::from_secs),
        scope: r
            .scopes()
            .map(|s| s.iter().map(|x| x.as_str()).collect::<Vec<_>>().join(" ")),
        id_token: r.extra_fields().id_token.clone().map(Secret::new),
        never_expires: false,
        profile: None,
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Exchange,
    Refresh,
}

/// Maps an `oauth2` failure to a classified error. Response bodies are never copied into the
/// message: a token endpoint's body may hold tokens.
pub fn classify(
    provider: &str,
    e: RequestTokenError<HttpError, BasicErrorResponse>,
    phase: Phase,
) -> ProviderError {
    match e {
        RequestTokenError::Request(h) => ProviderError::from_http(provider, &h),
        RequestTokenError::ServerResponse(r) => classify_code(provider, r.error().as_ref(), phase),
        RequestTokenError::Parse(_, _) => {
            let mut pe = ProviderError::new(
                FailureClass::Transient,
                "unreadable_answer",
                format!("{provider} sent an incomplete or unreadable answer."),
            );
            // A 200 that did not parse may still have spent a rotating refresh token.
            pe.maybe_processed = true;
            pe
        }
        RequestTokenError::Other(_) => ProviderError::new(
            FailureClass::Transient,
            "unexpected_answer",
            format!("{provider} sent an unexpected answer."),
        ),
    }
}

/// RFC 6749 §5.2 error codes (plus common extensions) → what they mean for the account.
pub fn classify_code(provider: &str, code: &str, phase: Phase) -> ProviderError {
    let (class, message) = match code {
        "invalid_grant" => match phase {
            Phase::Refresh => (
                FailureClass::Reauth,
                format!("{provider} no longer accepts this account's sign-in (it expired or was revoked). Sign in again."),
            ),
            Phase::Exchange => (
                FailureClass::Reauth,
                format!("{provider} rejected the sign-in code (it expired or was already used). Start the sign-in again."),
            ),
        },
        "invalid_client" | "unauthorized_client" => (
            FailureClass::Setup,
            format!("{provider} does not accept Signet's client id or secret. Check them in the settings."),
        ),
        "redirect_uri_mismatch" => (
            FailureClass::Setup,
            format!("{provider} says the redirect URI is not registered. Register exactly the URI Signet shows in the settings."),
        ),
        "invalid_scope" => (
            FailureClass::Setup,
            format!("{provider} refused the requested scopes. Check the scopes in the settings and the provider's console."),
        ),
        "temporarily_unavailable" | "server_error" | "slow_down" => (
            FailureClass::Transient,
            format!("{provider} is temporarily unavailable."),
        ),
        "invalid_request" | "unsupported_grant_type" => (
            FailureClass::Setup,
            format!("{provider} rejected Signet's request ({code}). The provider's settings may be wrong."),
        ),
        other => (
            FailureClass::Setup,
            format!("{provider} refused the request ({other})."),
        ),
    };
    ProviderError::new(class, code, message)
}
