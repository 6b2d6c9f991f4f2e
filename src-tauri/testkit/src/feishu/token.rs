//! Feishu's token endpoints: v2 (seed S2: JSON only, every error code of its table) and v3
//! (JSON or form, strict PKCE), for the authorization_code and single-use refresh grants.

use http::StatusCode;
use serde_json::{json, Value};

use crate::http::{token_json, Req, Resp};
use crate::state::{CodeExchange, GrantError, Issued, Shared};
use crate::types::{find, Fault};

/// (code, HTTP status, OAuth error, description): the seed's table plus the refresh-token
/// codes the official CLI handles (20026, 20037, 20064, 20073).
const TOKEN_ERRORS: &[(u32, u16, &str, &str)] = &[
    (20001, 400, "invalid_request", "The request is missing a required parameter."),
    (20002, 400, "invalid_client", "The client secret is invalid."),
    (20003, 400, "invalid_grant", "The authorization code is not found. Please note that an authorization code can only be used once."),
    (20004, 400, "invalid_grant", "The authorization code has expired."),
    (20008, 400, "invalid_grant", "The user does not exist."),
    (20009, 400, "unauthorized_client", "The specified app is not installed."),
    (20010, 400, "invalid_grant", "The user does not have permission to use this app."),
    (20024, 400, "invalid_grant", "The provided authorization code or refresh token does not match the provided client ID."),
    (20026, 400, "invalid_grant", "The refresh token passed is invalid. Please check the value."),
    (20036, 400, "unsupported_grant_type", "The specified grant_type is not supported."),
    (20037, 400, "invalid_grant", "The refresh token passed has expired. Please generate a new one."),
    (20048, 400, "invalid_client", "The specified app does not exist."),
    (20049, 400, "invalid_grant", "PKCE code challenge failed."),
    (20050, 500, "server_error", "An unexpected server error occurred. Please retry your request."),
    (20063, 400, "invalid_request", "The request is malformed. Please check your request."),
    (20064, 400, "invalid_grant", "The refresh token has been revoked. Please note that a refresh token can only be used once."),
    (20065, 400, "invalid_grant", "The authorization code has been used. Please note that an authorization code can only be used once."),
    (20066, 400, "invalid_grant", "The user status is invalid."),
    (20067, 400, "invalid_scope", "The provided scope list contains duplicate scopes. Please ensure all scopes are unique."),
    (20068, 400, "invalid_scope", "The provided scope list contains scopes that are not permitted. Please ensure all scopes are allowed."),
    (20069, 400, "unauthorized_client", "The specified app is not enabled."),
    (20070, 400, "invalid_client", "Multiple authentication methods were provided. Please only use one to proceed."),
    (20071, 400, "invalid_grant", "The provided redirect URI does not match the one used during authorization."),
    (20072, 503, "temporarily_unavailable", "The server is temporarily unavailable. Please retry your request."),
    (20073, 400, "invalid_grant", "The refresh token has been used. Please note that a refresh token can only be used once."),
];

const CODE_REQUIRED: &[&str] = &[
    "grant_type",
    "client_id",
    "client_secret",
    "code",
    "redirect_uri",
];
const CODE_OPTIONAL: &[&str] = &["code_verifier", "scope"];
const REFRESH_REQUIRED: &[&str] = &["grant_type", "client_id", "client_secret", "refresh_token"];
const REFRESH_OPTIONAL: &[&str] = &["scope"];
/// The token endpoint's status and body for `code` (from the seed's table).
fn token_error_parts(code: u32) -> (StatusCode, Value) {
    let (status, error, description) = TOKEN_ERRORS
        .iter()
        .find(|(c, ..)| *c == code)
        .map(|(_, s, e, d)| (*s, *e, *d))
        .unwrap_or((400, "invalid_request", "Unknown error."));
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
    (
        status,
        json!({"code": code, "error": error, "error_description": description}),
    )
}

pub(super) fn token_error(code: u32) -> Resp {
    let (status, body) = token_error_parts(code);
    token_json(status, &body)
}

impl Fault {
    /// A canned Feishu token-endpoint error with the seed's HTTP status and wording, e.g.
    /// `Fault::feishu_token_error(20050)` (HTTP 500) or `20072` (HTTP 503).
    pub fn feishu_token_error(code: u32) -> Fault {
        let (status, body) = token_error_parts(code);
        Fault::Respond {
            status: status.as_u16(),
            body: body.to_string(),
            content_type: "application/json; charset=utf-8".to_owned(),
        }
    }
}

/// Records `what` and answers with the token error `code`.
pub(super) fn refuse(shared: &Shared, endpoint: &str, code: u32, what: &str) -> Resp {
    shared.violation(format!("{endpoint}: {what} (→ {code})"));
    token_error(code)
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Version {
    V2,
    V3,
}

impl Version {
    fn endpoint(self) -> &'static str {
        match self {
            Version::V2 => "token v2",
            Version::V3 => "token v3",
        }
    }
}

/// The body's fields as strings: JSON (both versions) or a form (v3 only).
fn params(shared: &Shared, req: &Req, v: Version) -> Result<Vec<(String, String)>, Box<Resp>> {
    let ep = v.endpoint();
    let fail = |what: &str| Err(Box::new(refuse(shared, ep, 20063, what)));
    if req.media_type().as_deref() == Some("application/json") {
        let Some(Value::Object(map)) = req.body_json() else {
            return fail("the body is not a JSON object");
        };
        let mut out = Vec::new();
        for (k, val) in map {
            match val {
                Value::String(s) => out.push((k, s)),
                Value::Null => {}
                other => return fail(&format!("field {k:?} must be a string, got {other}")),
            }
        }
        return Ok(out);
    }
    if v == Version::V3 && req.is_form() {
        let repeated = Req::repeated(&req.form);
        if !repeated.is_empty() {
            return fail(&format!("repeated fields {repeated:?}"));
        }
        return Ok(req.form.clone());
    }
    fail(&format!(
        "the body must be JSON (Content-Type: application/json; charset=utf-8){}, got {:?}",
        if v == Version::V3 { " or a form" } else { "" },
        req.header(http::header::CONTENT_TYPE)
    ))
}

pub(super) fn token(shared: &Shared, req: &Req, v: Version) -> Resp {
    let ep = v.endpoint();
    let p = match params(shared, req, v) {
        Ok(p) => p,
        Err(resp) => return *resp,
    };
    let get = |k: &str| find(&p, k).filter(|s| !s.is_empty());
    if !req.query.is_empty() {
        shared.violation(format!("{ep}: parameters sent in the query string"));
    }
    if req.has_basic_auth() && get("client_secret").is_some() {
        let what = "both HTTP Basic and client_secret in the body";
        return refuse(shared, ep, 20070, what);
    }
    let (required, optional) = match get("grant_type") {
        None => return refuse(shared, ep, 20001, "missing grant_type"),
        Some("authorization_code") => (CODE_REQUIRED, CODE_OPTIONAL),
        Some("refresh_token") => (REFRESH_REQUIRED, REFRESH_OPTIONAL),
        Some(other) => return refuse(shared, ep, 20036, &format!("grant_type {other:?}")),
    };
    let missing: Vec<&str> = required
        .iter()
        .copied()
        .filter(|f| get(f).is_none())
        .collect();
    if !missing.is_empty() {
        let basic = if req.has_basic_auth() && missing.contains(&"client_secret") {
            " (HTTP Basic is not accepted; client_secret goes in the body)"
        } else {
            ""
        };
        return refuse(shared, ep, 20001, &format!("missing {missing:?}{basic}"));
    }
    let extra: Vec<&str> = p
        .iter()
        .map(|(k, _)| k.as_str())
        .filter(|k| !required.contains(k) && !optional.contains(k))
        .collect();
    if !extra.is_empty() {
        shared.violation(format!("{ep}: unexpected fields {extra:?}"));
    }
    let field = |k: &str| get(k).unwrap_or_default();
    let client_id = field("client_id");
    let Some(secret) = shared.client_secret_of(client_id) else {
        return refuse(
            shared,
            ep,
            20048,
            &format!("unknown client_id {client_id:?}"),
        );
    };
    if field("client_secret") != secret {
        return refuse(shared, ep, 20002, "wrong client_secret");
    }
    let result = if field("grant_type") == "authorization_code" {
        shared.redeem_code_strict(&CodeExchange {
            code: field("code"),
            client_id,
            redirect_uri: field("redirect_uri"),
            verifier: get("code_verifier"),
            scope: get("scope"),
            strict_verifier: v == Version::V3,
        })
    } else {
        shared.refresh_strict(field("refresh_token"), client_id, get("scope"))
    };
    match result {
        Ok(issued) => success(shared, &issued),
        Err(e) => grant_error(shared, ep, &e),
    }
}

fn grant_error(shared: &Shared, ep: &str, e: &GrantError) -> Resp {
    match e {
        GrantError::CodeUsed => token_error(20065),
        GrantError::CodeExpired => token_error(20004),
        GrantError::UnknownRefresh => token_error(20026),
        GrantError::RefreshRevoked => token_error(20064),
        GrantError::RefreshExpired => token_error(20037),
        GrantError::RefreshUsed => token_error(20073),
        GrantError::UnknownCode => refuse(shared, ep, 20003, "code was never issued"),
        GrantError::NotRefresh => {
            refuse(shared, ep, 20026, "an access token sent as refresh_token")
        }
        GrantError::ClientMismatch => refuse(
            shared,
            ep,
            20024,
            "code or refresh token of another client_id",
        ),
        GrantError::RedirectMismatch { expected } => {
            let what = format!("redirect_uri differs from the authorize one ({expected:?})");
            refuse(shared, ep, 20071, &what)
        }
        GrantError::VerifierMissing => refuse(
            shared,
            ep,
            20049,
            "code_verifier missing (a code_challenge was sent)",
        ),
        GrantError::VerifierMalformed => refuse(
            shared,
            ep,
            20049,
            "code_verifier is not 43-128 unreserved characters",
        ),
        GrantError::VerifierMismatch => refuse(
            shared,
            ep,
            20049,
            "code_verifier does not match the S256 challenge",
        ),
        GrantError::VerifierWithoutChallenge => refuse(
            shared,
            ep,
            20049,
            "code_verifier sent but no code_challenge at authorize",
        ),
        GrantError::DuplicateScope(s) => refuse(shared, ep, 20067, &format!("scope {s:?} twice")),
        GrantError::ScopeNotGranted(s) => {
            refuse(shared, ep, 20068, &format!("scope {s:?} was not granted"))
        }
    }
}

/// The seed's success body; `refresh_token` + `refresh_token_expires_in` only with
/// `offline_access`.
fn success(shared: &Shared, issued: &Issued) -> Resp {
    let mut body = json!({
        "code": 0,
        "access_token": issued.access_token,
        "expires_in": shared.config.access_ttl_secs,
        "scope": issued.scope,
        "token_type": "Bearer",
    });
    if issued.new_refresh {
        body["refresh_token"] = Value::from(issued.refresh_token.as_str());
        if let Some(secs) = issued.refresh_expires_in {
            body["refresh_token_expires_in"] = Value::from(secs);
        }
    }
    token_json(StatusCode::OK, &body)
}
