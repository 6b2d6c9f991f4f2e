//! Google's authorization endpoint for installed apps: loopback redirects only, PKCE S256,
//! consent memory (`prompt`, `include_granted_scopes`) and its "Access blocked" pages.

use http::StatusCode;

use super::common::{SCOPE_PREFIX, SIGN_IN_SCOPES};
use crate::http::{callback_url, html, is_loopback, redirect, Req, Resp};
use crate::state::{CodeGrant, Shared};
use crate::tokens::is_valid_s256_challenge;

/// Google's "Access blocked" page: `Error {status}: {error}` and the detail.
fn error_page(shared: &Shared, status: StatusCode, error: &str, detail: &str) -> Resp {
    shared.violation(format!("authorize: {error}: {detail}"));
    html(
        status,
        &format!("Error {}: {error}", status.as_u16()),
        &format!("Access blocked: Authorization Error. {detail}"),
    )
}

fn check_redirect(shared: &Shared, redirect_uri: &str) -> Result<(), (&'static str, String)> {
    if let Some(registered) = &shared.config.redirect_uri {
        if registered != redirect_uri {
            return Err((
                "redirect_uri_mismatch",
                format!("redirect_uri {redirect_uri:?} is not registered for this client"),
            ));
        }
        return Ok(());
    }
    match url::Url::parse(redirect_uri) {
        Ok(u) if is_loopback(&u) => Ok(()),
        Ok(u) if u.scheme() != "http" && u.scheme() != "https" => Err((
            "invalid_request",
            format!("Custom scheme URIs are not allowed for 'DESKTOP' client type ({redirect_uri:?}); use a loopback address http://127.0.0.1:PORT"),
        )),
        Ok(_) => Err((
            "invalid_request",
            format!("Custom scheme URIs are not allowed: a Desktop client may only redirect to a loopback address (http://127.0.0.1:PORT, http://[::1]:PORT or http://localhost:PORT), not {redirect_uri:?}"),
        )),
        Err(_) => Err(("invalid_request", format!("Invalid redirect_uri {redirect_uri:?}"))),
    }
}

/// Checks the optional parameters Google validates; `Err` is the page's detail.
fn check_options(req: &Req) -> Result<(), String> {
    if let Some(v) = req.query_value("access_type") {
        if v != "online" && v != "offline" {
            return Err(format!("Invalid access_type: {v}"));
        }
    }
    if let Some(v) = req.query_value("include_granted_scopes") {
        if v != "true" && v != "false" {
            return Err(format!("Invalid include_granted_scopes: {v}"));
        }
    }
    if let Some(prompt) = req.query_value("prompt") {
        let values: Vec<&str> = prompt.split(' ').collect();
        if let Some(bad) = values
            .iter()
            .find(|p| !matches!(**p, "none" | "consent" | "select_account"))
        {
            return Err(format!("Invalid prompt: {bad}"));
        }
        if values.contains(&"none") && values.len() > 1 {
            return Err("prompt=none must not be combined with other values".to_owned());
        }
    }
    Ok(())
}

/// The S256 challenge, or the page's detail.
fn check_pkce(shared: &Shared, req: &Req) -> Result<Option<String>, String> {
    match (
        req.query_nonempty("code_challenge"),
        req.query_value("code_challenge_method"),
    ) {
        (None, Some(_)) => Err("code_challenge_method without code_challenge".to_owned()),
        (None, None) if shared.config.require_pkce => {
            Err("Missing required parameter: code_challenge".to_owned())
        }
        (None, None) => Ok(None),
        (Some(_), m) if m != Some("S256") => Err(format!(
            "code_challenge_method must be S256, got {:?} (plain is the default when omitted)",
            m.unwrap_or("")
        )),
        (Some(c), _) if !is_valid_s256_challenge(c) => Err(format!("Invalid code_challenge {c:?}")),
        (Some(c), _) => Ok(Some(c.to_owned())),
    }
}

/// `GET` authorize: Google's checks, consent memory, then a redirect with a code.
pub(super) fn authorize(shared: &Shared, req: &Req) -> Resp {
    let bad = StatusCode::BAD_REQUEST;
    let repeated = Req::repeated(&req.query);
    if !repeated.is_empty() {
        let detail = format!("Parameters repeated: {repeated:?}");
        return error_page(shared, bad, "invalid_request", &detail);
    }
    let Some(client_id) = req.query_nonempty("client_id") else {
        let detail = "Missing required parameter: client_id";
        return error_page(shared, bad, "invalid_request", detail);
    };
    if shared.client_secret_of(client_id).is_none() {
        let detail = "The OAuth client was not found.";
        return error_page(shared, StatusCode::UNAUTHORIZED, "invalid_client", detail);
    }
    let Some(redirect_uri) = req.query_nonempty("redirect_uri") else {
        let detail = "Missing required parameter: redirect_uri";
        return error_page(shared, bad, "invalid_request", detail);
    };
    if let Err((error, detail)) = check_redirect(shared, redirect_uri) {
        return error_page(shared, bad, error, &detail);
    }
    match req.query_value("response_type") {
        Some("code") => {}
        None => {
            let detail = "Required parameter is missing: response_type";
            return error_page(shared, bad, "invalid_request", detail);
        }
        Some(other) => {
            let detail = format!("Invalid response_type: {other}");
            return error_page(shared, bad, "unsupported_response_type", &detail);
        }
    }
    let Some(scope) = req.query_nonempty("scope") else {
        let detail = "Missing required parameter: scope";
        return error_page(shared, bad, "invalid_request", detail);
    };
    let requested: Vec<String> = dedup(scope.split(' ').filter(|s| !s.is_empty()));
    let invalid: Vec<&String> = requested
        .iter()
        .filter(|s| !SIGN_IN_SCOPES.contains(&s.as_str()) && !s.starts_with(SCOPE_PREFIX))
        .collect();
    if !invalid.is_empty() {
        let detail = format!("Some requested scopes were invalid. {{invalid={invalid:?}}}");
        return error_page(shared, bad, "invalid_scope", &detail);
    }
    if !requested.iter().any(|s| s == "openid") {
        let detail = "scope must include openid (Signet signs in with OpenID Connect)";
        return error_page(shared, bad, "invalid_request", detail);
    }
    let challenge = match check_pkce(shared, req) {
        Ok(c) => c,
        Err(detail) => return error_page(shared, bad, "invalid_request", &detail),
    };
    if let Err(detail) = check_options(req) {
        return error_page(shared, bad, "invalid_request", &detail);
    }
    let state = req.query_nonempty("state");
    if state.is_none() {
        shared.violation("authorize: no state (the client's CSRF protection)");
    }
    let with_state = |mut params: Vec<(&'static str, String)>| {
        if let Some(s) = state {
            params.insert(0, ("state", s.to_owned()));
        }
        let refs: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
        redirect(&callback_url(redirect_uri, &refs))
    };
    if shared.deny() {
        return with_state(vec![("error", "access_denied".to_owned())]);
    }
    let user = shared.user();
    let prompt = req.query_value("prompt").unwrap_or("");
    let before = shared.consented(client_id, &user.sub);
    if prompt == "none"
        && before
            .as_ref()
            .is_none_or(|b| requested.iter().any(|s| !b.contains(s)))
    {
        return with_state(vec![("error", "consent_required".to_owned())]);
    }
    let granted = grant(shared, &requested, before.as_deref(), req);
    shared.record_consent(client_id, &user.sub, &granted);
    let omit_refresh = shared.config.omit_refresh_token_on_repeat_consent
        && before.is_some()
        && !prompt.split(' ').any(|p| p == "consent");
    let scope = granted.join(" ");
    let code = shared.issue_code(CodeGrant {
        client_id: client_id.to_owned(),
        redirect_uri: redirect_uri.to_owned(),
        user: user.clone(),
        scope: scope.clone(),
        nonce: req.query_nonempty("nonce").map(str::to_owned),
        code_challenge: challenge,
        omit_refresh,
    });
    let mut params = vec![("code", code), ("scope", scope), ("authuser", "0".into())];
    if let Some(hd) = &user.hd {
        params.push(("hd", hd.clone()));
    }
    let shown = if before.is_none() || prompt.contains("consent") {
        "consent"
    } else {
        "none"
    };
    params.push(("prompt", shown.to_owned()));
    with_state(params)
}

fn dedup<'a>(items: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for s in items {
        if !out.iter().any(|o| o == s) {
            out.push(s.to_owned());
        }
    }
    out
}

/// What the user grants: the requested scopes (only the ticked ones under
/// `set_granted_scopes`), plus earlier grants with `include_granted_scopes=true`.
fn grant(
    shared: &Shared,
    requested: &[String],
    before: Option<&[String]>,
    req: &Req,
) -> Vec<String> {
    let ticked = shared.granted_override();
    let mut granted: Vec<String> = requested
        .iter()
        .filter(|s| {
            SIGN_IN_SCOPES.contains(&s.as_str()) || ticked.as_ref().is_none_or(|t| t.contains(s))
        })
        .cloned()
        .collect();
    if req.query_value("include_granted_scopes") == Some("true") {
        for s in before.unwrap_or_default() {
            if !granted.contains(s) {
                granted.push(s.clone());
            }
        }
    }
    granted
}
