//! The generic OAuth 2.0 / OpenID Connect dialect: discovery, authorize, token, userinfo,
//! revoke and JWKS at the standard paths, and the [`Oidc`] site other dialects build on.

mod authorize;
mod site;
mod token;

use http::Method;
use serde_json::{json, Value};

use crate::faults;
use crate::http::{not_found, wrong_method, Outcome, Req};
use crate::protocol::{Endpoints, Protocol, Routed};
use crate::rules::Rules;
use crate::state::Shared;
use crate::tokens::random_b64url;
use crate::types::{ServerConfig, User};

pub(crate) use site::{Oidc, Site, CODE_FIELDS, REFRESH_FIELDS};

/// The generic dialect: a provider at the conventional paths, its own base URL as issuer.
pub(crate) static GENERIC: Oidc = Oidc {
    site: Site {
        issuer: None,
        authorize: "/authorize",
        token: "/token",
        userinfo: "/userinfo",
        revoke: "/revoke",
        jwks: "/jwks",
        discovery: "/.well-known/openid-configuration",
    },
};

/// What the generic dialect supports, for its discovery document.
fn metadata(shared: &Shared) -> Value {
    let auth_method = shared.config.client_auth.method();
    json!({
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["HS256"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": [auth_method],
        "revocation_endpoint_auth_methods_supported": [auth_method],
        "scopes_supported": ["openid", "email", "profile", "offline_access"],
        "claims_supported": ["iss", "sub", "aud", "exp", "iat", "nonce", "email",
                             "email_verified", "name", "picture"],
        "authorization_response_iss_parameter_supported": true,
    })
}

impl Oidc {
    async fn serve(&self, shared: &Shared, req: &Req) -> Outcome {
        if let Some(outcome) = self.serve_metadata(shared, req, || metadata(shared)) {
            return outcome;
        }
        let site = &self.site;
        let path = req.path.as_str();
        let (get, post) = (req.method == Method::GET, req.method == Method::POST);
        if path == site.authorize {
            if !get {
                return wrong_method(shared, req, "GET");
            }
            return Outcome::Respond(authorize::authorize(self, shared, req));
        }
        if path == site.token {
            if !post {
                return wrong_method(shared, req, "POST");
            }
            let invalid_grant = token::error(
                http::StatusCode::BAD_REQUEST,
                "invalid_grant",
                "Token has been expired or revoked.",
            );
            let process = || token::token(self, shared, req);
            return faults::token_request(shared, req, invalid_grant, process).await;
        }
        if path == site.userinfo {
            if !get && !post {
                return wrong_method(shared, req, "GET, POST");
            }
            let unauthorized = token::invalid_token("The access token is invalid.");
            return faults::api_request(shared, unauthorized, || token::userinfo(shared, req))
                .await;
        }
        if path == site.revoke {
            if !post {
                return wrong_method(shared, req, "POST");
            }
            return Outcome::Respond(token::revoke(shared, req));
        }
        not_found(shared, req)
    }
}

impl Protocol for Oidc {
    fn kind(&self) -> &'static str {
        "oidc"
    }

    fn rules(&self) -> Rules {
        Rules::standard(
            || format!("4/0{}", random_b64url(48)),
            |_, _| format!("ya29.{}", random_b64url(96)),
            || format!("1//{}", random_b64url(64)),
        )
    }

    fn default_user(&self) -> User {
        User::new("user-1", "alice", "alice@example.com")
    }

    fn default_scope(&self) -> &'static str {
        "openid email profile"
    }

    fn endpoints(&self, base_url: &str, _config: &ServerConfig) -> Endpoints {
        Oidc::endpoints(self, base_url)
    }

    fn provider_keys(&self, at: &Endpoints, _config: &ServerConfig) -> Vec<(&'static str, String)> {
        vec![("issuer", at.issuer.clone())]
    }

    fn how_to_try(&self, at: &Endpoints) -> String {
        format!(
            "In Signet: Settings → Add provider → Custom OpenID Connect, Issuer URL {}, and the client id and secret above.",
            at.issuer
        )
    }

    fn route<'a>(&'a self, shared: &'a Shared, req: &'a Req) -> Routed<'a> {
        Box::pin(self.serve(shared, req))
    }
}
