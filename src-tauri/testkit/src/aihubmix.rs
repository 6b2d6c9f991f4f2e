//! The AIHubMix dialect exactly as its OAuth2 document (seed S1) specifies `/api/oauth2/*`.

use http::{Method, StatusCode};
use serde_json::json;

use crate::faults;
use crate::http::{
    callback_url, html, json as json_resp, not_found, redirect, token_json, wrong_method, Outcome,
    Req, Resp,
};
use crate::protocol::{Endpoints, Protocol, Routed};
use crate::rules::Rules;
use crate::state::{CodeGrant, Shared};
use crate::tokens::{jwt_hs256, random_alnum, unix_now};
use crate::types::{ServerConfig, User};

const AUTHORIZE_PATH: &str = "/api/oauth2/authorize";
const TOKEN_PATH: &str = "/api/oauth2/token";
const USERINFO_PATH: &str = "/api/oauth2/userinfo";
const TOPUP_API_PATH: &str = "/api/oauth2/topup";
const TOPUP_PAGE_PATH: &str = "/topup";

/// The document's default scope and the only two scopes it defines.
const DEFAULT_SCOPE: &str = "profile balance";
const KNOWN_SCOPES: &[&str] = &["profile", "balance"];

/// 授权码模式参数 — all required; a `code_verifier` is tolerated and ignored.
const CODE_FIELDS: &[&str] = &[
    "grant_type",
    "code",
    "redirect_uri",
    "client_id",
    "client_secret",
];
/// 刷新令牌参数 — all required.
const REFRESH_FIELDS: &[&str] = &["grant_type", "refresh_token", "client_id", "client_secret"];

/// The document's fixed `created_time` example.
const CREATED_TIME: i64 = 1_640_995_200;

async fn route(shared: &Shared, req: &Req) -> Outcome {
    let get = req.method == Method::GET;
    match req.path.as_str() {
        AUTHORIZE_PATH if get => Outcome::Respond(authorize(shared, req)),
        TOKEN_PATH if req.method == Method::POST => {
            let invalid_grant = error("invalid_grant");
            faults::token_request(shared, req, invalid_grant, || token(shared, req)).await
        }
        USERINFO_PATH if get => {
            faults::api_request(shared, unauthorized(), || userinfo(shared, req)).await
        }
        TOPUP_API_PATH if get => {
            faults::api_request(shared, unauthorized(), || topup(shared, req)).await
        }
        TOPUP_PAGE_PATH if get => Outcome::Respond(html(
            StatusCode::OK,
            "账户充值",
            &format!(
                "top-up page for user {}",
                req.query_value("user").unwrap_or("?")
            ),
        )),
        TOKEN_PATH => wrong_method(shared, req, "POST"),
        AUTHORIZE_PATH | USERINFO_PATH | TOPUP_API_PATH | TOPUP_PAGE_PATH => {
            wrong_method(shared, req, "GET")
        }
        _ => not_found(shared, req),
    }
}

/// The document's error shape: a non-2xx status with `{"error": "..."}`.
fn error(code: &str) -> Resp {
    token_json(StatusCode::BAD_REQUEST, &json!({"error": code}))
}

fn refuse(shared: &Shared, code: &str, what: &str) -> Resp {
    shared.violation(format!("token: {what}"));
    error(code)
}

fn unauthorized() -> Resp {
    json_resp(StatusCode::UNAUTHORIZED, &json!({"error": "invalid_token"}))
}

/// The numeric AIHubMix user id (`User::sub`).
pub(crate) fn user_id(user: &User) -> i64 {
    user.sub.parse().unwrap_or_default()
}

fn authorize(shared: &Shared, req: &Req) -> Resp {
    let cfg = &shared.config;
    let page_error = |what: &str| {
        shared.violation(format!("authorize: {what}"));
        html(StatusCode::BAD_REQUEST, "授权失败", what)
    };
    let repeated = Req::repeated(&req.query);
    if !repeated.is_empty() {
        return page_error(&format!("repeated parameters {repeated:?}"));
    }
    match req.query_nonempty("client_id") {
        None => return page_error("missing client_id"),
        Some(id) if id != cfg.client_id => return page_error(&format!("unknown client_id {id:?}")),
        Some(_) => {}
    }
    let Some(redirect_uri) = req.query_nonempty("redirect_uri") else {
        return page_error("missing redirect_uri");
    };
    if url::Url::parse(redirect_uri).is_err() {
        return page_error("redirect_uri is not an absolute URL");
    }
    if cfg
        .redirect_uri
        .as_deref()
        .is_some_and(|r| r != redirect_uri)
    {
        return page_error(&format!(
            "redirect_uri {redirect_uri:?} does not match the registered one exactly"
        ));
    }
    // `state` is 必填 (required); without it there is nothing safe to redirect with.
    let Some(state) = req.query_nonempty("state") else {
        return page_error("missing state (required)");
    };
    let fail = |code: &str, what: &str| {
        shared.violation(format!("authorize: {what}"));
        redirect(&callback_url(
            redirect_uri,
            &[("error", code), ("state", state)],
        ))
    };
    if req.query_value("response_type") != Some("code") {
        return fail("unsupported_response_type", "response_type must be code");
    }
    let scope = req.query_nonempty("scope").unwrap_or(DEFAULT_SCOPE);
    if let Some(unknown) = scope.split(' ').find(|s| !KNOWN_SCOPES.contains(s)) {
        return fail("invalid_scope", &format!("unknown scope {unknown:?}"));
    }
    if req.query_value("auto_authorize") != Some("true") {
        // The simulated user clicks "authorize" anyway, but the one-click flow was expected.
        shared.violation("authorize: auto_authorize=true expected (one-click login)");
    }
    if shared.deny() {
        return redirect(&callback_url(
            redirect_uri,
            &[("error", "access_denied"), ("state", state)],
        ));
    }
    // A code_challenge, if any, is accepted and ignored: the document has no PKCE.
    let code = shared.issue_code(CodeGrant {
        client_id: cfg.client_id.clone(),
        redirect_uri: redirect_uri.to_owned(),
        user: shared.user(),
        scope: scope.to_owned(),
        nonce: None,
        code_challenge: None,
        omit_refresh: false,
    });
    redirect(&callback_url(
        redirect_uri,
        &[("code", &code), ("state", state)],
    ))
}

fn token(shared: &Shared, req: &Req) -> Resp {
    let cfg = &shared.config;
    if !req.is_form() {
        let what = format!(
            "Content-Type must be application/x-www-form-urlencoded, got {:?}",
            req.header(http::header::CONTENT_TYPE)
        );
        return refuse(shared, "invalid_request", &what);
    }
    let repeated = Req::repeated(&req.form);
    if !repeated.is_empty() {
        return refuse(
            shared,
            "invalid_request",
            &format!("repeated fields {repeated:?}"),
        );
    }
    if !req.query.is_empty() {
        shared.violation("token: parameters sent in the query string");
    }
    if req.has_basic_auth() {
        return refuse(
            shared,
            "invalid_request",
            "Basic client authentication; the document sends client_secret in the body",
        );
    }
    if req.header(http::header::AUTHORIZATION).is_some() {
        shared.violation("token: unexpected Authorization header");
    }
    let (fields, tolerated): (&[&str], &[&str]) = match req.form_nonempty("grant_type") {
        Some("authorization_code") => (CODE_FIELDS, &["code_verifier"]),
        Some("refresh_token") => (REFRESH_FIELDS, &[]),
        None => return refuse(shared, "invalid_request", "missing grant_type"),
        Some(other) => {
            let what = format!("unsupported grant_type {other:?}");
            return refuse(shared, "unsupported_grant_type", &what);
        }
    };
    let missing: Vec<&str> = fields
        .iter()
        .copied()
        .filter(|f| req.form_nonempty(f).is_none())
        .collect();
    if !missing.is_empty() {
        return refuse(
            shared,
            "invalid_request",
            &format!("missing fields {missing:?}"),
        );
    }
    let allowed: Vec<&str> = fields.iter().chain(tolerated).copied().collect();
    let extra = req.unexpected_form_fields(&allowed);
    if !extra.is_empty() {
        shared.violation(format!("token: fields not in the document {extra:?}"));
    }
    if req.form_value("client_id") != Some(cfg.client_id.as_str()) {
        return refuse(shared, "invalid_client", "unknown client_id");
    }
    if req.form_value("client_secret") != Some(cfg.client_secret.as_str()) {
        return refuse(shared, "invalid_client", "wrong client_secret");
    }
    let field = |k: &str| req.form_value(k).unwrap_or_default();
    let result = if field("grant_type") == "authorization_code" {
        shared.redeem_code(
            field("code"),
            &cfg.client_id,
            field("redirect_uri"),
            None,
            false,
        )
    } else {
        shared.refresh(field("refresh_token"), None)
    };
    match result {
        // Always carries refresh_token: the document's SDK overwrites its stored one with it.
        Ok(issued) => token_json(
            StatusCode::OK,
            &json!({
                "access_token": issued.access_token,
                "token_type": "Bearer",
                "expires_in": cfg.access_ttl_secs,
                "refresh_token": issued.refresh_token,
                "scope": issued.scope,
            }),
        ),
        Err(r) => error(r.error),
    }
}

/// The user behind the request's Bearer token, or the 401 to send.
fn bearer_user(shared: &Shared, req: &Req, endpoint: &str) -> Result<User, Box<Resp>> {
    let token = req.bearer().map_err(|why| {
        shared.violation(format!("{endpoint}: {why}"));
        Box::new(unauthorized())
    })?;
    shared
        .check_access(token)
        .map(|(user, _scope)| user)
        .map_err(|_| Box::new(unauthorized()))
}

fn userinfo(shared: &Shared, req: &Req) -> Resp {
    let user = match bearer_user(shared, req, "userinfo") {
        Ok(user) => user,
        Err(resp) => return *resp,
    };
    let balance = shared.balance();
    json_resp(
        StatusCode::OK,
        &json!({
            "id": user_id(&user),
            "username": user.name,
            "email": user.email,
            "quota": balance.quota,
            "used_quota": balance.used_quota,
            "balance_formatted": balance.formatted,
            "created_time": CREATED_TIME,
            "status": 1,
        }),
    )
}

fn topup(shared: &Shared, req: &Req) -> Resp {
    match bearer_user(shared, req, "topup") {
        Ok(user) => json_resp(
            StatusCode::OK,
            &json!({
                "topup_url": format!("{}{TOPUP_PAGE_PATH}?user={}", shared.base_url, user_id(&user)),
            }),
        ),
        Err(resp) => *resp,
    }
}

/// AIHubMix as its OAuth2 document specifies it.
pub(crate) struct AiHubMix;

/// A JWT-looking access token, as in the document's example.
fn new_access_token(sub: &str, ttl_secs: u64) -> String {
    let now = unix_now();
    let claims = json!({"sub": sub, "jti": random_alnum(16), "iat": now, "exp": now + ttl_secs});
    jwt_hs256(&claims, random_alnum(32).as_bytes())
}

impl Protocol for AiHubMix {
    fn kind(&self) -> &'static str {
        "aihubmix"
    }

    fn rules(&self) -> Rules {
        Rules::standard(
            || random_alnum(32),
            new_access_token,
            || format!("refresh_{}", random_alnum(40)),
        )
    }

    /// The document's example user: id 12345, `user123`.
    fn default_user(&self) -> User {
        User::new("12345", "user123", "user@example.com")
    }

    fn default_scope(&self) -> &'static str {
        DEFAULT_SCOPE
    }

    fn endpoints(&self, base_url: &str, _config: &ServerConfig) -> Endpoints {
        let mut at = Endpoints::at(base_url, AUTHORIZE_PATH, TOKEN_PATH, USERINFO_PATH);
        at.topup = Some(at.url(TOPUP_API_PATH));
        at
    }

    fn provider_keys(&self, at: &Endpoints, _config: &ServerConfig) -> Vec<(&'static str, String)> {
        vec![("base_url", at.base_url.clone())]
    }

    fn check_user(&self, user: &User) {
        assert!(
            user.sub.parse::<i64>().is_ok(),
            "testkit: an AiHubMix user's sub must be the numeric id, got {:?}",
            user.sub
        );
    }

    fn how_to_try(&self, at: &Endpoints) -> String {
        format!(
            "In Signet: Settings → Add provider → AIHubMix, Base URL {}, and the client id and secret above.",
            at.base_url
        )
    }

    fn route<'a>(&'a self, shared: &'a Shared, req: &'a Req) -> Routed<'a> {
        Box::pin(route(shared, req))
    }
}
