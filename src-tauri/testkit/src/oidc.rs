//! The generic OAuth 2.0 / OpenID Connect dialect: discovery, authorize, token, userinfo, revoke, jwks.

use http::header::WWW_AUTHENTICATE;
use http::{Method, StatusCode};
use serde_json::{json, Value};

use crate::faults;
use crate::http::{
    callback_url, html, json as json_resp, not_found, redirect, response, token_json, with_header,
    wrong_method, Outcome, Req, Resp,
};
use crate::state::{CodeGrant, Issued, Shared};
use crate::tokens::{is_valid_s256_challenge, jwt_hs256, unix_now};
use crate::types::ClientAuth;

pub(crate) const AUTHORIZE_PATH: &str = "/authorize";
pub(crate) const TOKEN_PATH: &str = "/token";
pub(crate) const USERINFO_PATH: &str = "/userinfo";
pub(crate) const REVOKE_PATH: &str = "/revoke";
pub(crate) const JWKS_PATH: &str = "/jwks";
pub(crate) const DISCOVERY_PATH: &str = "/.well-known/openid-configuration";

const CODE_FIELDS: &[&str] = &[
    "grant_type",
    "code",
    "redirect_uri",
    "client_id",
    "client_secret",
    "code_verifier",
];
const REFRESH_FIELDS: &[&str] = &[
    "grant_type",
    "refresh_token",
    "client_id",
    "client_secret",
    "scope",
];
const REVOKE_FIELDS: &[&str] = &["token", "token_type_hint", "client_id", "client_secret"];

pub(crate) async fn route(shared: &Shared, req: &Req) -> Outcome {
    let get = req.method == Method::GET;
    let post = req.method == Method::POST;
    match req.path.as_str() {
        DISCOVERY_PATH if get => Outcome::Respond(discovery(shared)),
        AUTHORIZE_PATH if get => Outcome::Respond(authorize(shared, req)),
        TOKEN_PATH if post => {
            let invalid_grant = error(
                StatusCode::BAD_REQUEST,
                "invalid_grant",
                "Token has been expired or revoked.",
            );
            faults::token_request(shared, req, invalid_grant, || token(shared, req)).await
        }
        USERINFO_PATH if get || post => {
            let unauthorized = invalid_token("The access token is invalid.");
            faults::api_request(shared, unauthorized, || userinfo(shared, req)).await
        }
        REVOKE_PATH if post => Outcome::Respond(revoke(shared, req)),
        JWKS_PATH if get => Outcome::Respond(json_resp(StatusCode::OK, &json!({"keys": []}))),
        DISCOVERY_PATH | AUTHORIZE_PATH | JWKS_PATH => wrong_method(shared, req, "GET"),
        TOKEN_PATH | REVOKE_PATH => wrong_method(shared, req, "POST"),
        USERINFO_PATH => wrong_method(shared, req, "GET, POST"),
        _ => not_found(shared, req),
    }
}

fn discovery(shared: &Shared) -> Resp {
    let base = &shared.base_url;
    json_resp(
        StatusCode::OK,
        &json!({
            "issuer": base,
            "authorization_endpoint": format!("{base}{AUTHORIZE_PATH}"),
            "token_endpoint": format!("{base}{TOKEN_PATH}"),
            "userinfo_endpoint": format!("{base}{USERINFO_PATH}"),
            "revocation_endpoint": format!("{base}{REVOKE_PATH}"),
            "jwks_uri": format!("{base}{JWKS_PATH}"),
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": ["authorization_code", "refresh_token"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["HS256"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": [shared.config.client_auth.method()],
            "revocation_endpoint_auth_methods_supported": [shared.config.client_auth.method()],
            "scopes_supported": ["openid", "email", "profile", "offline_access"],
            "claims_supported": ["iss", "sub", "aud", "exp", "iat", "nonce", "email",
                                 "email_verified", "name", "picture"],
            "authorization_response_iss_parameter_supported": true,
        }),
    )
}

/// An RFC 6749 §5.2 error body.
fn error(status: StatusCode, code: &str, description: &str) -> Resp {
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

// ---- authorize -----------------------------------------------------------------------

fn authorize(shared: &Shared, req: &Req) -> Resp {
    let cfg = &shared.config;
    let page_error = |title: &str, what: &str| {
        shared.violation(format!("authorize: {what}"));
        html(StatusCode::BAD_REQUEST, title, what)
    };
    let repeated = Req::repeated(&req.query);
    if !repeated.is_empty() {
        return page_error(
            "invalid_request",
            &format!("repeated parameters {repeated:?}"),
        );
    }
    match req.query_nonempty("client_id") {
        None => return page_error("invalid_request", "missing client_id"),
        Some(id) if id != cfg.client_id => {
            return page_error("invalid_client", &format!("unknown client_id {id:?}"))
        }
        Some(_) => {}
    }
    let Some(redirect_uri) = req.query_nonempty("redirect_uri") else {
        return page_error("invalid_request", "missing redirect_uri");
    };
    match url::Url::parse(redirect_uri) {
        Ok(u) if u.fragment().is_none() => {}
        _ => return page_error("invalid_request", "redirect_uri is not an absolute URL"),
    }
    if cfg
        .redirect_uri
        .as_deref()
        .is_some_and(|r| r != redirect_uri)
    {
        return page_error(
            "redirect_uri_mismatch",
            &format!("redirect_uri {redirect_uri:?} is not the registered one"),
        );
    }
    let state = req.query_nonempty("state");
    let issuer = shared.base_url.as_str();
    // From here on errors go back to the client (RFC 6749 §4.1.2.1), with iss (RFC 9207).
    let fail = |code: &str, what: &str| {
        shared.violation(format!("authorize: {what}"));
        let mut params = vec![("error", code), ("error_description", what)];
        if let Some(s) = state {
            params.push(("state", s));
        }
        params.push(("iss", issuer));
        redirect(&callback_url(redirect_uri, &params))
    };
    let Some(state) = state else {
        return fail("invalid_request", "missing state");
    };
    if req.query_value("response_type") != Some("code") {
        return fail("unsupported_response_type", "response_type must be code");
    }
    let Some(scope) = req.query_nonempty("scope") else {
        return fail("invalid_request", "missing scope");
    };
    let challenge = match (
        req.query_nonempty("code_challenge"),
        req.query_value("code_challenge_method"),
    ) {
        (None, Some(_)) => {
            return fail(
                "invalid_request",
                "code_challenge_method without code_challenge",
            )
        }
        (None, None) if cfg.require_pkce => {
            return fail(
                "invalid_request",
                "missing code_challenge (PKCE is required)",
            )
        }
        (None, None) => None,
        (Some(_), m) if m != Some("S256") => {
            return fail(
                "invalid_request",
                "code_challenge_method must be S256 (plain is not supported)",
            )
        }
        (Some(c), _) if !is_valid_s256_challenge(c) => {
            return fail(
                "invalid_request",
                "code_challenge must be 43 base64url characters",
            )
        }
        (Some(c), _) => Some(c.to_owned()),
    };
    if shared.deny() {
        return redirect(&callback_url(
            redirect_uri,
            &[
                ("error", "access_denied"),
                ("error_description", "The user denied access."),
                ("state", state),
                ("iss", issuer),
            ],
        ));
    }
    let code = shared.issue_code(CodeGrant {
        client_id: cfg.client_id.clone(),
        redirect_uri: redirect_uri.to_owned(),
        user: shared.user(),
        scope: scope.to_owned(),
        nonce: req.query_nonempty("nonce").map(str::to_owned),
        code_challenge: challenge,
        omit_refresh: false,
    });
    redirect(&callback_url(
        redirect_uri,
        &[("code", &code), ("state", state), ("iss", issuer)],
    ))
}

// ---- token ---------------------------------------------------------------------------

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

fn token(shared: &Shared, req: &Req) -> Resp {
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
        Ok(issued) => success(shared, &issued),
        Err(r) => error(StatusCode::BAD_REQUEST, r.error, &r.description),
    }
}

fn success(shared: &Shared, issued: &Issued) -> Resp {
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
        let id_token = id_token(shared, issued);
        shared.note_issued(&id_token);
        body["id_token"] = Value::from(id_token);
    }
    token_json(StatusCode::OK, &body)
}

/// HS256-signed with the client secret (OIDC Core §10.1 allows it for confidential clients).
fn id_token(shared: &Shared, issued: &Issued) -> String {
    let cfg = &shared.config;
    let now = unix_now();
    let user = &issued.user;
    let mut claims = json!({
        "iss": shared.base_url,
        "sub": user.sub,
        "aud": cfg.client_id,
        "azp": cfg.client_id,
        "exp": now + cfg.access_ttl_secs,
        "iat": now,
        "email": user.email,
        "email_verified": true,
        "name": user.name,
    });
    if let Some(nonce) = &issued.nonce {
        claims["nonce"] = Value::from(nonce.as_str());
    }
    if let Some(picture) = &user.picture {
        claims["picture"] = Value::from(picture.as_str());
    }
    if let Value::Object(map) = &mut claims {
        for (k, v) in &cfg.id_token_overrides {
            if v.is_null() {
                map.remove(k);
            } else {
                map.insert(k.clone(), v.clone());
            }
        }
    }
    jwt_hs256(&claims, cfg.client_secret.as_bytes())
}

// ---- userinfo and revoke -------------------------------------------------------------

fn invalid_token(description: &str) -> Resp {
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

fn userinfo(shared: &Shared, req: &Req) -> Resp {
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
fn revoke(shared: &Shared, req: &Req) -> Resp {
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
