//! The Google dialect, built on the OpenID Connect one as Google is: OAuth 2.0 for installed
//! (Desktop) apps — loopback redirect, PKCE S256, client_secret in the body, non-rotating
//! refresh tokens — plus userinfo, revocation and the Chat API.

mod authorize;
mod chat;
mod common;
mod token;

use http::header::WWW_AUTHENTICATE;
use http::{Method, StatusCode};
use serde_json::{json, Value};

use crate::faults::{self, Answers};
use crate::http::{
    json as json_resp, not_found, response, with_header, wrong_method, Outcome, Req, Resp,
};
use crate::protocol::{Endpoints, Protocol, Routed};
use crate::rules::Rules;
use crate::state::Shared;
use crate::tokens::random_b64url;
use crate::types::{ServerConfig, User};
use common::{error, has, profile_claims, DEFAULT_SCOPE, OIDC};

/// Google: an OpenID Connect site ([`common::OIDC`]) with Google's own authorize, token,
/// userinfo and revocation rules, and the Chat API.
pub(crate) struct Google;

/// What Google's discovery document says it supports.
fn metadata() -> Value {
    json!({
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        // The testkit signs id_tokens with the client secret (HS256), not Google's RS256.
        "id_token_signing_alg_values_supported": ["HS256"],
        "scopes_supported": ["openid", "email", "profile"],
        "token_endpoint_auth_methods_supported": ["client_secret_post"],
        "claims_supported": ["aud", "email", "email_verified", "exp", "family_name",
                             "given_name", "hd", "iat", "iss", "name", "nonce", "picture", "sub"],
        "code_challenge_methods_supported": ["plain", "S256"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
    })
}

impl Google {
    async fn serve(&self, shared: &Shared, req: &Req) -> Outcome {
        if let Some(outcome) = OIDC.serve_metadata(shared, req, metadata) {
            return outcome;
        }
        let site = &OIDC.site;
        let path = req.path.as_str();
        let (get, post) = (req.method == Method::GET, req.method == Method::POST);
        if chat::serves(path) {
            return chat::route(shared, req).await;
        }
        if path == site.authorize {
            if !get {
                return wrong_method(shared, req, "GET");
            }
            return Outcome::Respond(authorize::authorize(shared, req));
        }
        if path == site.token {
            if !post {
                return wrong_method(shared, req, "POST");
            }
            let answers = Answers {
                rejection: error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "Token has been expired or revoked.",
                ),
                rate_limited: chat::rate_limited,
            };
            let process = || token::token(shared, req);
            return faults::token_request_with(shared, req, answers, process).await;
        }
        if path == site.userinfo {
            if !get && !post {
                return wrong_method(shared, req, "GET, POST");
            }
            let answers = Answers {
                rejection: invalid_credentials(),
                rate_limited: chat::rate_limited,
            };
            return faults::api_request_with(shared, answers, || userinfo(shared, req)).await;
        }
        if path == site.revoke {
            if !post {
                return wrong_method(shared, req, "POST");
            }
            return Outcome::Respond(revoke(shared, req));
        }
        not_found(shared, req)
    }
}

impl Protocol for Google {
    fn kind(&self) -> &'static str {
        "google"
    }

    fn rules(&self) -> Rules {
        Rules::standard(
            || format!("4/0A{}", random_b64url(60)),
            |_, _| format!("ya29.a0{}", random_b64url(120)),
            || format!("1//0{}", random_b64url(72)),
        )
    }

    fn default_user(&self) -> User {
        User {
            hd: Some("example.com".to_owned()),
            picture: Some("https://lh3.googleusercontent.com/a/alice".to_owned()),
            ..User::new(
                "110248495921238986420",
                "Alice Example",
                "alice@example.com",
            )
        }
    }

    fn default_scope(&self) -> &'static str {
        DEFAULT_SCOPE
    }

    fn endpoints(&self, base_url: &str, _config: &ServerConfig) -> Endpoints {
        OIDC.endpoints(base_url)
    }

    /// Google's documented endpoints are on several hosts: each one points here.
    fn provider_keys(&self, at: &Endpoints, _config: &ServerConfig) -> Vec<(&'static str, String)> {
        vec![
            ("authorize_url", at.authorization.clone()),
            ("token_url", at.token.clone()),
            ("userinfo_url", at.userinfo.clone()),
            ("revoke_url", at.revocation.clone().unwrap_or_default()),
            ("api_base", at.base_url.clone()),
        ]
    }

    fn mint(&self, shared: &Shared, user: &User) -> crate::types::MintedTokens {
        shared.mint_granted(user, DEFAULT_SCOPE)
    }

    fn route<'a>(&'a self, shared: &'a Shared, req: &'a Req) -> Routed<'a> {
        Box::pin(self.serve(shared, req))
    }
}

// ---- userinfo and revoke -------------------------------------------------------------

fn invalid_credentials() -> Resp {
    let resp = json_resp(
        StatusCode::UNAUTHORIZED,
        &json!({"error": "invalid_request", "error_description": "Invalid Credentials"}),
    );
    with_header(resp, WWW_AUTHENTICATE, "Bearer error=\"invalid_token\"")
}

fn userinfo(shared: &Shared, req: &Req) -> Resp {
    if req.query_value("access_token").is_some() {
        shared.violation("userinfo: access token sent in the query string");
    }
    let token = match req.bearer() {
        Ok(token) => token,
        Err(why) => {
            shared.violation(format!("userinfo: {why}"));
            return invalid_credentials();
        }
    };
    let Ok((user, scope)) = shared.access(token) else {
        return invalid_credentials();
    };
    let mut body = json!({"sub": user.sub});
    profile_claims(&mut body, &user, &scope);
    if has(&scope, "profile") {
        body["locale"] = Value::from("en");
    }
    json_resp(StatusCode::OK, &body)
}

/// `POST /revoke` with `token` in the form (or, as Google's own curl example does, in the
/// query string). Revokes the whole grant and forgets the user's consent.
fn revoke(shared: &Shared, req: &Req) -> Resp {
    if !req.body.is_empty() && !req.is_form() {
        shared.violation(format!(
            "revoke: Content-Type must be application/x-www-form-urlencoded, got {:?}",
            req.header(http::header::CONTENT_TYPE)
        ));
    }
    let token = req
        .form_nonempty("token")
        .or_else(|| req.query_nonempty("token"));
    let Some(token) = token else {
        shared.violation("revoke: missing token");
        return error(StatusCode::BAD_REQUEST, "invalid_request", "Bad Request");
    };
    match shared.revoke_grant(token) {
        Some((user, client_id)) => {
            shared.forget_consent(&client_id, &user.sub);
            response(StatusCode::OK, "application/json; charset=utf-8", "{}")
        }
        None => error(
            StatusCode::BAD_REQUEST,
            "invalid_token",
            "Token expired or revoked",
        ),
    }
}
