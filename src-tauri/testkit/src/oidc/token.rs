//! The generic dialect's token, userinfo and revocation endpoints, with the registered
//! client's one authentication method (`client_secret_post`, `client_secret_basic` or none).

use http::header::WWW_AUTHENTICATE;
use http::StatusCode;
use serde_json::{json, Value};

use super::site::{Oidc, CODE_FIELDS, REFRESH_FIELDS};
use crate::http::{json as json_resp, response, token_json, with_header, Req, Resp};
use crate::state::{Issued, Shared};
use crate::types::ClientAuth;

const REVOKE_FIELDS: &[&str] = &["token", "token_type_hint", "client_id", "client_secret"];

/// An RFC 6749 §5.2 error body.
pub(super) fn error(status: StatusCode, code: &str, description: &str) -> Resp {
    token_json(
        status,
        &json!({"error": code, "error_description": description}),
    )
}

/// Records `what` as a violation and answers with an RFC 6749 error.
fn refuse(shared: &Shared, status: StatusCode, code: &str, what: &str) -> Resp {
    shared.violation(format!("token: {what}"));
    error(status, code, what)
}

/// The registered client's one authentication method (the discovery document's only one); any
/// other is refused.
fn authenticate(shared: &Shared, req: &Req, endpoint: &str) -> Result<(), Box<Resp>> {
    let cfg = &shared.config;
    let secret = req.form_value("client_secret");
    let fail = |status, code, what: &str| {
        shared.violation(format!("{endpoint}: {what}"));
        Err(Box::new(error(status, code, what)))
    };
    match cfg.client_auth {
        ClientAuth::Post => {}
        ClientAuth::Basic => return authenticate_basic(shared, req, endpoint),
        ClientAuth::None => {
            if req.header(http::header::AUTHORIZATION).is_some() || secret.is_some() {
                return fail(
                    StatusCode::UNAUTHORIZED,
                    "invalid_client",
                    "a public client sends no secret (token_endpoint_auth_method none)",
                );
            }
            return match req.form_nonempty("client_id") {
                Some(id) if id == cfg.client_id => Ok(()),
                Some(_) => fail(
                    StatusCode::UNAUTHORIZED,
                    "invalid_client",
                    "unknown client_id",
                ),
                None => fail(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    "missing client_id",
                ),
            };
        }
    }
    if req.has_basic_auth() {
        if secret.is_some() {
            return fail(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "client authenticated with both a Basic header and client_secret",
            );
        }
        return fail(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "client_secret_basic is not supported; send client_secret in the body",
        );
    }
    if req.header(http::header::AUTHORIZATION).is_some() {
        shared.violation(format!("{endpoint}: unexpected Authorization header"));
    }
    match req.form_nonempty("client_id") {
        None => {
            return fail(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "missing client_id",
            )
        }
        Some(id) if id != cfg.client_id => {
            return fail(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                "unknown client_id",
            )
        }
        Some(_) => {}
    }
    match req.form_nonempty("client_secret") {
        None => fail(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "client_secret is missing.",
        ),
        Some(s) if s != cfg.client_secret => fail(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "wrong client_secret",
        ),
        Some(_) => Ok(()),
    }
}

/// `client_secret_basic`: `Authorization: Basic base64(urlencode(id) ":" urlencode(secret))`,
/// and no secret in the body (a client_id there must match).
fn authenticate_basic(shared: &Shared, req: &Req, endpoint: &str) -> Result<(), Box<Resp>> {
    use base64::Engine as _;
    let cfg = &shared.config;
    let fail = |status, code, what: &str| {
        shared.violation(format!("{endpoint}: {what}"));
        Err(Box::new(error(status, code, what)))
    };
    if req.form_value("client_secret").is_some() {
        return fail(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "client_secret_post is not supported; use HTTP Basic",
        );
    }
    let decoded = req
        .header(http::header::AUTHORIZATION)
        .filter(|_| req.has_basic_auth())
        .and_then(|h| {
            base64::engine::general_purpose::STANDARD
                .decode(h[6..].trim())
                .ok()
        })
        .and_then(|b| String::from_utf8(b).ok());
    let Some((id, secret)) = decoded.as_deref().and_then(|d| d.split_once(':')) else {
        return fail(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "client authentication failed: HTTP Basic required",
        );
    };
    let decode = |s: &str| {
        url::form_urlencoded::parse(format!("x={s}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    };
    if decode(id) != cfg.client_id || decode(secret) != cfg.client_secret {
        return fail(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "wrong client credentials",
        );
    }
    match req.form_nonempty("client_id") {
        Some(body_id) if body_id != cfg.client_id => fail(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "client_id in the body differs from the Basic header",
        ),
        _ => Ok(()),
    }
}

/// Checks the transport-level rules shared by /token and /revoke.
fn check_form(shared: &Shared, req: &Req, endpoint: &str) -> Result<(), Box<Resp>> {
    if !req.is_form() {
        let what = format!(
            "Content-Type must be application/x-www-form-urlencoded, got {:?}",
            req.header(http::header::CONTENT_TYPE)
        );
        shared.violation(format!("{endpoint}: {what}"));
        return Err(Box::new(error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            &what,
        )));
    }
    let repeated = Req::repeated(&req.form);
    if !repeated.is_empty() {
        let what = format!("repeated parameters {repeated:?}");
        shared.violation(format!("{endpoint}: {what}"));
        return Err(Box::new(error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            &what,
        )));
    }
    if !req.query.is_empty() {
        shared.violation(format!("{endpoint}: parameters sent in the query string"));
    }
    authenticate(shared, req, endpoint)
}

fn note_unexpected(shared: &Shared, req: &Req, endpoint: &str, allowed: &[&str]) {
    let extra = req.unexpected_form_fields(allowed);
    if !extra.is_empty() {
        shared.violation(format!("{endpoint}: unexpected fields {extra:?}"));
    }
}

/// `POST` token: the authorization_code and refresh_token grants.
pub(super) fn token(oidc: &Oidc, shared: &Shared, req: &Req) -> Resp {
    if let Err(resp) = check_form(shared, req, "token") {
        return *resp;
    }
    let client_id = shared.config.client_id.as_str();
    let result = match req.form_nonempty("grant_type") {
        None => {
            return refuse(
                shared,
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "missing grant_type",
            )
        }
        Some("authorization_code") => {
            note_unexpected(shared, req, "token", CODE_FIELDS);
            let Some(code) = req.form_nonempty("code") else {
                return refuse(
                    shared,
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    "missing code",
                );
            };
            let Some(redirect_uri) = req.form_nonempty("redirect_uri") else {
                let what = "missing redirect_uri";
                return refuse(shared, StatusCode::BAD_REQUEST, "invalid_request", what);
            };
            let verifier = req.form_nonempty("code_verifier");
            shared.redeem_code(code, client_id, redirect_uri, verifier, true)
        }
        Some("refresh_token") => {
            note_unexpected(shared, req, "token", REFRESH_FIELDS);
            let Some(refresh_token) = req.form_nonempty("refresh_token") else {
                let what = "missing refresh_token";
                return refuse(shared, StatusCode::BAD_REQUEST, "invalid_request", what);
            };
            shared.refresh(refresh_token, req.form_nonempty("scope"))
        }
        Some(other) => {
            let what = format!("unsupported grant_type {other:?}");
            return refuse(
                shared,
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                &what,
            );
        }
    };
    match result {
        Ok(issued) => success(oidc, shared, &issued),
        Err(r) => error(StatusCode::BAD_REQUEST, r.error, &r.description),
    }
}

fn success(oidc: &Oidc, shared: &Shared, issued: &Issued) -> Resp {
    let mut body = json!({
        "access_token": issued.access_token,
        "token_type": "Bearer",
        "expires_in": shared.config.access_ttl_secs,
        "scope": issued.scope,
    });
    if issued.new_refresh {
        body["refresh_token"] = Value::from(issued.refresh_token.as_str());
    }
    if issued.scope.split_whitespace().any(|s| s == "openid") {
        let id_token = id_token(oidc, shared, issued);
        shared.note_issued(&id_token);
        body["id_token"] = Value::from(id_token);
    }
    token_json(StatusCode::OK, &body)
}

/// The generic claims over the common ones, then the test's overrides (`null` removes one).
fn id_token(oidc: &Oidc, shared: &Shared, issued: &Issued) -> String {
    let cfg = &shared.config;
    let user = &issued.user;
    let lifetime = cfg.access_ttl_secs;
    oidc.id_token(
        shared,
        &cfg.client_id,
        issued,
        lifetime,
        &cfg.client_secret,
        |claims| {
            claims["email"] = Value::from(user.email.as_str());
            claims["email_verified"] = Value::from(true);
            claims["name"] = Value::from(user.name.as_str());
            if let Some(picture) = &user.picture {
                claims["picture"] = Value::from(picture.as_str());
            }
            if let Value::Object(map) = claims {
                for (k, v) in &cfg.id_token_overrides {
                    if v.is_null() {
                        map.remove(k);
                    } else {
                        map.insert(k.clone(), v.clone());
                    }
                }
            }
        },
    )
}

pub(super) fn invalid_token(description: &str) -> Resp {
    let resp = json_resp(
        StatusCode::UNAUTHORIZED,
        &json!({"error": "invalid_token", "error_description": description}),
    );
    let challenge = format!(
        "Bearer error=\"invalid_token\", error_description=\"{}\"",
        description.replace('"', "'")
    );
    with_header(resp, WWW_AUTHENTICATE, &challenge)
}

pub(super) fn userinfo(shared: &Shared, req: &Req) -> Resp {
    if req.query_value("access_token").is_some() || req.form_value("access_token").is_some() {
        shared.violation("userinfo: access token sent outside the Authorization header");
    }
    let token = match req.bearer() {
        Ok(token) => token,
        Err(why) => {
            shared.violation(format!("userinfo: {why}"));
            let resp = response(StatusCode::UNAUTHORIZED, "application/json", "{}");
            let realm = format!("Bearer realm=\"{}\"", shared.base_url);
            return with_header(resp, WWW_AUTHENTICATE, &realm);
        }
    };
    match shared.check_access(token) {
        Err(r) => invalid_token(&r.description),
        Ok((user, _scope)) => {
            let mut body = json!({
                "sub": user.sub,
                "name": user.name,
                "email": user.email,
                "email_verified": true,
            });
            if let Some(picture) = &user.picture {
                body["picture"] = Value::from(picture.as_str());
            }
            json_resp(StatusCode::OK, &body)
        }
    }
}

/// RFC 7009: 200 for any token, known or not.
pub(super) fn revoke(shared: &Shared, req: &Req) -> Resp {
    if let Err(resp) = check_form(shared, req, "revoke") {
        return *resp;
    }
    note_unexpected(shared, req, "revoke", REVOKE_FIELDS);
    // RFC 7009 §2.1: the client authenticates as at the token endpoint.
    if let Err(resp) = authenticate(shared, req, "revoke") {
        return *resp;
    }
    let Some(token) = req.form_nonempty("token") else {
        shared.violation("revoke: missing token");
        return error(StatusCode::BAD_REQUEST, "invalid_request", "missing token");
    };
    shared.revoke_posted(token);
    response(StatusCode::OK, "application/json", "{}")
}
