//! Google's token endpoint (`POST /token`): client_secret in the form body only, the
//! authorization_code grant with PKCE S256, the non-rotating refresh grant, and id_tokens.

use http::StatusCode;
use serde_json::{json, Value};

use super::common::{error, has, profile_claims, OIDC};
use crate::http::{token_json, Req, Resp};
use crate::oidc::{CODE_FIELDS, REFRESH_FIELDS};
use crate::state::{CodeExchange, GrantError, Issued, Shared};

/// Records a violation (`what`) and answers with Google's error.
fn refuse(shared: &Shared, status: StatusCode, code: &str, description: &str, what: &str) -> Resp {
    shared.violation(format!("token: {what}"));
    error(status, code, description)
}

// ---- token ---------------------------------------------------------------------------

/// Form body, client_id known, client_secret in the body (only there) and correct.
fn authenticate(shared: &Shared, req: &Req) -> Result<String, Box<Resp>> {
    let bad = StatusCode::BAD_REQUEST;
    let fail = |status, code, description: &str, what: &str| {
        Err(Box::new(refuse(shared, status, code, description, what)))
    };
    if !req.is_form() {
        let what = format!(
            "Content-Type must be application/x-www-form-urlencoded, got {:?}",
            req.header(http::header::CONTENT_TYPE)
        );
        return fail(bad, "invalid_request", "Invalid content type.", &what);
    }
    let repeated = Req::repeated(&req.form);
    if !repeated.is_empty() {
        let what = format!("repeated parameters {repeated:?}");
        return fail(bad, "invalid_request", "Bad Request", &what);
    }
    if !req.query.is_empty() {
        shared.violation("token: parameters sent in the query string");
    }
    let secret = req.form_value("client_secret");
    if req.has_basic_auth() && secret.is_some() {
        let what = "client authenticated both with HTTP Basic and client_secret in the body";
        return fail(
            bad,
            "invalid_request",
            "Client authentication must use one method.",
            what,
        );
    }
    let Some(client_id) = req.form_nonempty("client_id") else {
        let what = "missing client_id";
        return fail(
            bad,
            "invalid_request",
            "Could not determine client ID from request.",
            what,
        );
    };
    let Some(registered) = shared.client_secret_of(client_id) else {
        let what = format!("unknown client_id {client_id:?}");
        return fail(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "The OAuth client was not found.",
            &what,
        );
    };
    match req.form_nonempty("client_secret") {
        None => {
            let what = if req.has_basic_auth() {
                "client_secret sent with HTTP Basic; Google needs it in the body"
            } else {
                "client_secret missing (required for Desktop clients even with PKCE)"
            };
            fail(bad, "invalid_request", "client_secret is missing.", what)
        }
        Some(s) if s != registered => fail(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "Unauthorized",
            "wrong client_secret",
        ),
        Some(_) => Ok(client_id.to_owned()),
    }
}

pub(super) fn token(shared: &Shared, req: &Req) -> Resp {
    let client_id = match authenticate(shared, req) {
        Ok(id) => id,
        Err(resp) => return *resp,
    };
    let bad = StatusCode::BAD_REQUEST;
    let note_unexpected = |allowed: &[&str]| {
        let extra = req.unexpected_form_fields(allowed);
        if !extra.is_empty() {
            shared.violation(format!("token: unexpected fields {extra:?}"));
        }
    };
    let result = match req.form_nonempty("grant_type") {
        Some("authorization_code") => {
            note_unexpected(CODE_FIELDS);
            let Some(code) = req.form_nonempty("code") else {
                let d = "Missing required parameter: code";
                return refuse(shared, bad, "invalid_request", d, "missing code");
            };
            let Some(redirect_uri) = req.form_nonempty("redirect_uri") else {
                let d = "Missing parameter: redirect_uri";
                return refuse(shared, bad, "invalid_request", d, "missing redirect_uri");
            };
            shared.redeem_code_strict(&CodeExchange {
                code,
                client_id: &client_id,
                redirect_uri,
                verifier: req.form_nonempty("code_verifier"),
                scope: None,
                strict_verifier: true,
            })
        }
        Some("refresh_token") => {
            note_unexpected(REFRESH_FIELDS);
            let Some(refresh_token) = req.form_nonempty("refresh_token") else {
                let d = "Missing required parameter: refresh_token";
                return refuse(shared, bad, "invalid_request", d, "missing refresh_token");
            };
            shared.refresh_strict(refresh_token, &client_id, req.form_nonempty("scope"))
        }
        other => {
            let g = other.unwrap_or("");
            let what = format!("unsupported grant_type {g:?}");
            let d = format!("Invalid grant_type: {g}");
            return refuse(shared, bad, "unsupported_grant_type", &d, &what);
        }
    };
    match result {
        Ok(issued) => success(shared, &client_id, &issued),
        Err(e) => grant_error(shared, &e),
    }
}

fn grant_error(shared: &Shared, e: &GrantError) -> Resp {
    let bad = StatusCode::BAD_REQUEST;
    let expired = "Token has been expired or revoked.";
    match e {
        GrantError::CodeUsed | GrantError::CodeExpired => {
            error(bad, "invalid_grant", "Bad Request")
        }
        GrantError::UnknownRefresh
        | GrantError::RefreshRevoked
        | GrantError::RefreshExpired
        | GrantError::RefreshUsed => error(bad, "invalid_grant", expired),
        GrantError::NotRefresh => refuse(
            shared,
            bad,
            "invalid_grant",
            expired,
            "an access token was sent as refresh_token",
        ),
        GrantError::UnknownCode => refuse(
            shared,
            bad,
            "invalid_grant",
            "Malformed auth code.",
            "authorization code was never issued by this server",
        ),
        GrantError::ClientMismatch => refuse(
            shared,
            bad,
            "invalid_grant",
            "Bad Request",
            "code or refresh token belongs to another client",
        ),
        GrantError::RedirectMismatch { expected } => refuse(
            shared,
            bad,
            "redirect_uri_mismatch",
            "Bad Request",
            &format!("redirect_uri differs from the one given at authorize ({expected:?})"),
        ),
        GrantError::VerifierMissing => refuse(
            shared,
            bad,
            "invalid_grant",
            "Missing code verifier.",
            "code_verifier missing (PKCE was used)",
        ),
        GrantError::VerifierMalformed | GrantError::VerifierMismatch => refuse(
            shared,
            bad,
            "invalid_grant",
            "Invalid code verifier.",
            "code_verifier does not match the S256 code_challenge",
        ),
        GrantError::VerifierWithoutChallenge => refuse(
            shared,
            bad,
            "invalid_request",
            "code_verifier or verifier is not needed.",
            "code_verifier sent but no code_challenge was given at authorize",
        ),
        GrantError::DuplicateScope(s) | GrantError::ScopeNotGranted(s) => refuse(
            shared,
            bad,
            "invalid_scope",
            &format!("Some requested scopes were invalid. {{invalid=[{s}]}}"),
            &format!("refresh asked for scope {s:?} that was not granted"),
        ),
    }
}

fn success(shared: &Shared, client_id: &str, issued: &Issued) -> Resp {
    let mut body = json!({
        "access_token": issued.access_token,
        "expires_in": shared.config.access_ttl_secs,
        "scope": issued.scope,
        "token_type": "Bearer",
    });
    if issued.new_refresh {
        body["refresh_token"] = Value::from(issued.refresh_token.as_str());
    }
    if has(&issued.scope, "openid") {
        let id_token = id_token(shared, client_id, issued);
        shared.note_issued(&id_token);
        body["id_token"] = Value::from(id_token);
    }
    token_json(StatusCode::OK, &body)
}

/// Google's profile claims over the OpenID Connect ones, valid one hour.
fn id_token(shared: &Shared, client_id: &str, issued: &Issued) -> String {
    let secret = shared.client_secret_of(client_id).unwrap_or_default();
    let (user, scope) = (&issued.user, issued.scope.as_str());
    OIDC.id_token(shared, client_id, issued, 3600, &secret, |claims| {
        profile_claims(claims, user, scope)
    })
}
