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
