//! Helpers that play the client (the engine) against the fake servers.

use reqwest::StatusCode;
use serde_json::Value;
use signet_testkit::{pkce_pair, OAuthServer};
use url::Url;

pub const REDIRECT: &str = "http://127.0.0.1:45123/callback";

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

pub async fn post_form(url: &str, form: &[(&str, &str)]) -> (StatusCode, Value) {
    let resp = client().post(url).form(form).send().await.expect("send");
    let status = resp.status();
    let body = resp.text().await.expect("body");
    (
        status,
        serde_json::from_str(&body).unwrap_or(Value::String(body)),
    )
}

pub async fn get_bearer(url: &str, token: &str) -> reqwest::Response {
    client()
        .get(url)
        .bearer_auth(token)
        .send()
        .await
        .expect("send")
}

pub fn query(url: &str) -> Vec<(String, String)> {
    Url::parse(url)
        .expect("url")
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

pub fn param(url: &str, key: &str) -> Option<String> {
    query(url)
        .into_iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v)
}

/// What the client keeps between authorize and token.
pub struct OidcFlow {
    pub url: String,
    pub verifier: String,
    pub state: String,
    pub nonce: String,
}

pub fn oidc_authorize_url(server: &OAuthServer) -> OidcFlow {
    let (verifier, challenge) = pkce_pair();
    let state = "st-123".to_owned();
    let nonce = "n-456".to_owned();
    let mut url = Url::parse(&server.authorization_endpoint()).expect("url");
    url.query_pairs_mut()
        .append_pair("client_id", &server.client_id())
        .append_pair("redirect_uri", REDIRECT)
        .append_pair("response_type", "code")
        .append_pair("scope", "openid email profile")
        .append_pair("state", &state)
        .append_pair("nonce", &nonce)
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256");
    OidcFlow {
        url: url.to_string(),
        verifier,
        state,
        nonce,
    }
}

/// Runs authorize + code exchange and returns the token response.
pub async fn oidc_login(server: &OAuthServer) -> Value {
    let flow = oidc_authorize_url(server);
    let callback = server.authorize(&flow.url).await.expect("authorize");
    let code = param(&callback, "code").expect("code");
    let (status, body) = post_form(
        &server.token_endpoint(),
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("client_id", &server.client_id()),
            ("client_secret", &server.client_secret()),
            ("code_verifier", &flow.verifier),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

pub async fn oidc_refresh(server: &OAuthServer, refresh_token: &str) -> (StatusCode, Value) {
    post_form(
        &server.token_endpoint(),
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
            ("client_id", &server.client_id()),
            ("client_secret", &server.client_secret()),
        ],
    )
    .await
}

/// The document's authorize URL (步骤 2).
pub fn aihubmix_authorize_url(server: &OAuthServer, state: &str) -> String {
    let mut url = Url::parse(&server.authorization_endpoint()).expect("url");
    url.query_pairs_mut()
        .append_pair("client_id", &server.client_id())
        .append_pair("redirect_uri", REDIRECT)
        .append_pair("response_type", "code")
        .append_pair("scope", "profile balance")
        .append_pair("state", state)
        .append_pair("auto_authorize", "true");
    url.to_string()
}

pub async fn aihubmix_login(server: &OAuthServer) -> Value {
    let callback = server
        .authorize(&aihubmix_authorize_url(server, "s1"))
        .await
        .expect("authorize");
    let code = param(&callback, "code").expect("code");
    let (status, body) = post_form(
        &server.token_endpoint(),
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("client_id", &server.client_id()),
            ("client_secret", &server.client_secret()),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

pub async fn aihubmix_refresh(server: &OAuthServer, refresh_token: &str) -> (StatusCode, Value) {
    post_form(
        &server.token_endpoint(),
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
            ("client_id", &server.client_id()),
            ("client_secret", &server.client_secret()),
        ],
    )
    .await
}

pub fn s(v: &Value, key: &str) -> String {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("{key} missing in {v}"))
        .to_owned()
}

pub async fn post_json(url: &str, body: &Value) -> (StatusCode, Value) {
    let resp = client().post(url).json(body).send().await.expect("send");
    let status = resp.status();
    let text = resp.text().await.expect("body");
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// Status and JSON (or text) body of a response.
pub async fn status_json(resp: reqwest::Response) -> (StatusCode, Value) {
    let status = resp.status();
    let text = resp.text().await.expect("body");
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

// ---- Google ------------------------------------------------------------------------------

pub const GOOGLE_REDIRECT: &str = "http://127.0.0.1:45123/";
pub const CHAT_CREATE: &str = "https://www.googleapis.com/auth/chat.spaces.create";
pub const CHAT_READONLY: &str = "https://www.googleapis.com/auth/chat.spaces.readonly";
pub const CHAT_MESSAGES: &str = "https://www.googleapis.com/auth/chat.messages.create";

/// The authorize URL an installed app builds (providers.md §1.2), plus `extra` parameters.
pub fn google_authorize_url(
    server: &OAuthServer,
    scope: &str,
    extra: &[(&str, &str)],
) -> (String, String) {
    let (verifier, challenge) = pkce_pair();
    let mut url = Url::parse(&server.authorization_endpoint()).expect("url");
    url.query_pairs_mut()
        .append_pair("client_id", &server.client_id())
        .append_pair("redirect_uri", GOOGLE_REDIRECT)
        .append_pair("response_type", "code")
        .append_pair("scope", scope)
        .append_pair("state", "g-state")
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256")
        .append_pair("access_type", "offline");
    for (k, v) in extra {
        url.query_pairs_mut().append_pair(k, v);
    }
    (url.to_string(), verifier)
}

pub async fn google_exchange(
    server: &OAuthServer,
    code: &str,
    verifier: &str,
) -> (StatusCode, Value) {
    post_form(
        &server.token_endpoint(),
        &[
            ("client_id", &server.client_id()),
            ("client_secret", &server.client_secret()),
            ("code", code),
            ("code_verifier", verifier),
            ("grant_type", "authorization_code"),
            ("redirect_uri", GOOGLE_REDIRECT),
        ],
    )
    .await
}

/// authorize (with `scope` and `extra`) + code exchange; returns the callback and the token
/// response.
pub async fn google_login_with(
    server: &OAuthServer,
    scope: &str,
    extra: &[(&str, &str)],
) -> (String, Value) {
    let (url, verifier) = google_authorize_url(server, scope, extra);
    let callback = server.authorize(&url).await.expect("authorize");
    let code = param(&callback, "code").expect("code");
    let (status, body) = google_exchange(server, &code, &verifier).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    (callback, body)
}

pub async fn google_login(server: &OAuthServer) -> Value {
    google_login_with(server, server.default_scope(), &[])
        .await
        .1
}

pub async fn google_refresh(server: &OAuthServer, refresh_token: &str) -> (StatusCode, Value) {
    post_form(
        &server.token_endpoint(),
        &[
            ("client_id", &server.client_id()),
            ("client_secret", &server.client_secret()),
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
        ],
    )
    .await
}

// ---- Feishu ------------------------------------------------------------------------------

pub const FEISHU_REDIRECT: &str = "http://localhost:8080/callback";

/// The seed's Go sample authorize URL (`AuthCodeURL(state, S256ChallengeOption)`).
pub fn feishu_authorize_url(server: &OAuthServer, scope: &str) -> (String, String) {
    let (verifier, challenge) = pkce_pair();
    let mut url = Url::parse(&server.authorization_endpoint()).expect("url");
    url.query_pairs_mut()
        .append_pair("client_id", &server.client_id())
        .append_pair("redirect_uri", FEISHU_REDIRECT)
        .append_pair("response_type", "code")
        .append_pair("scope", scope)
        .append_pair("state", "f-state")
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256");
    (url.to_string(), verifier)
}

/// The seed's request body for the authorization_code grant.
pub fn feishu_code_body(server: &OAuthServer, code: &str, verifier: &str) -> Value {
    serde_json::json!({
        "grant_type": "authorization_code",
        "client_id": server.client_id(),
        "client_secret": server.client_secret(),
        "code": code,
        "redirect_uri": FEISHU_REDIRECT,
        "code_verifier": verifier,
    })
}

/// authorize + v2 exchange; returns the token response.
pub async fn feishu_login(server: &OAuthServer, scope: &str) -> Value {
    let (url, verifier) = feishu_authorize_url(server, scope);
    let callback = server.authorize(&url).await.expect("authorize");
    let code = param(&callback, "code").expect("code");
    let (status, body) = post_json(
        &server.token_endpoint(),
        &feishu_code_body(server, &code, &verifier),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["code"], 0, "{body}");
    body
}

pub async fn feishu_refresh(server: &OAuthServer, refresh_token: &str) -> (StatusCode, Value) {
    post_json(
        &server.token_endpoint(),
        &serde_json::json!({
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
            "client_id": server.client_id(),
            "client_secret": server.client_secret(),
        }),
    )
    .await
}

// ---- Easemob -----------------------------------------------------------------------------

/// POST with the seed's headers (`Content-Type` and `Accept: application/json`) and an
/// optional Bearer token.
pub async fn easemob_post(url: &str, body: &Value, bearer: Option<&str>) -> (StatusCode, Value) {
    let mut req = client()
        .post(url)
        .header("Accept", "application/json")
        .json(body);
    if let Some(token) = bearer {
        req = req.bearer_auth(token);
    }
    status_json(req.send().await.expect("send")).await
}

/// An app (admin) token via `client_credentials`.
pub async fn easemob_app_token(server: &OAuthServer) -> String {
    let (status, body) = easemob_post(
        &server.token_endpoint(),
        &serde_json::json!({
            "grant_type": "client_credentials",
            "client_id": server.client_id(),
            "client_secret": server.client_secret(),
        }),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    s(&body, "access_token")
}
