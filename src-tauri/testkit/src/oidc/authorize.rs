//! The generic dialect's authorization endpoint: strict parameter checks, PKCE S256, RFC 9207 `iss`.

use http::StatusCode;

use super::site::Oidc;
use crate::http::{callback_url, html, redirect, Req, Resp};
use crate::state::{CodeGrant, Shared};
use crate::tokens::is_valid_s256_challenge;

/// `GET` authorize: checks the request, then redirects back with a code (or an error).
pub(super) fn authorize(oidc: &Oidc, shared: &Shared, req: &Req) -> Resp {
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
    let issuer = oidc.issuer(&shared.base_url);
    let issuer = issuer.as_str();
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
