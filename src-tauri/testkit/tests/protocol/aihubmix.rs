//! AiHubMix dialect: the document's authorize/token/userinfo/topup shapes and its field rules.

use reqwest::StatusCode;
use serde_json::{json, Value};
use signet_testkit::{OAuthServer, ServerConfig, TokenState, User};

use crate::common::*;

#[tokio::test]
async fn full_round_trip_matches_the_document() {
    let server = OAuthServer::start(ServerConfig::aihubmix()).await;
    assert!(server.client_secret().starts_with("secret_"));
    let callback = server
        .authorize(&aihubmix_authorize_url(&server, "csrf-1"))
        .await
        .expect("authorize");
    assert!(callback.starts_with(REDIRECT));
    assert_eq!(param(&callback, "state").as_deref(), Some("csrf-1"));
    assert_eq!(param(&callback, "iss"), None, "AIHubMix does not send iss");
    let code = param(&callback, "code").expect("code");

    let (status, tok) = post_form(
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
    assert_eq!(status, StatusCode::OK, "{tok}");
    let mut keys: Vec<&str> = tok
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "access_token",
            "expires_in",
            "refresh_token",
            "scope",
            "token_type"
        ]
    );
    assert_eq!(tok["token_type"], "Bearer");
    assert_eq!(tok["expires_in"], 7200);
    assert_eq!(tok["scope"], "profile balance");
    let at = s(&tok, "access_token");
    assert!(
        at.starts_with("eyJ") && at.split('.').count() == 3 && at.len() >= 40,
        "{at}"
    );
    assert!(s(&tok, "refresh_token").starts_with("refresh_"));

    let info: Value = get_bearer(&server.userinfo_endpoint(), &at)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(
        info,
        json!({"id": 12345, "username": "user123", "email": "user@example.com", "quota": 1000000,
               "used_quota": 250000, "balance_formatted": "750.00", "created_time": 1640995200,
               "status": 1})
    );
    server.set_balance(42, 7, "0.01");
    let info: Value = get_bearer(&server.userinfo_endpoint(), &at)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(
        (info["quota"].as_i64(), info["used_quota"].as_i64()),
        (Some(42), Some(7))
    );
    assert_eq!(info["balance_formatted"], "0.01");

    let topup_api = server.topup_endpoint().expect("aihubmix has top-up");
    let topup: Value = get_bearer(&topup_api, &at)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(
        topup,
        json!({"topup_url": format!("{}/topup?user=12345", server.base_url())})
    );
    let page = client()
        .get(s(&topup, "topup_url"))
        .send()
        .await
        .expect("send");
    assert_eq!(page.status(), StatusCode::OK);

    let rt1 = s(&tok, "refresh_token");
    let (status, r2) = aihubmix_refresh(&server, &rt1).await;
    assert_eq!(status, StatusCode::OK, "{r2}");
    assert_ne!(s(&r2, "refresh_token"), rt1);
    assert_eq!(r2["expires_in"], 7200);
    let (status, err) = aihubmix_refresh(&server, &rt1).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        err,
        json!({"error": "invalid_grant"}),
        "the document's error shape"
    );
    // Reuse revoked the family: the rotated token is dead too.
    let (_, err) = aihubmix_refresh(&server, &s(&r2, "refresh_token")).await;
    assert_eq!(err, json!({"error": "invalid_grant"}));
    assert_eq!(server.token_requests(), 4);
    assert_eq!(server.refresh_requests(), 3);
    server.assert_no_violations();
}

#[tokio::test]
async fn custom_user_and_invalid_token() {
    let server = OAuthServer::start(ServerConfig::aihubmix()).await;
    server.set_user(User::new("777", "carol", "carol@example.com"));
    let tok = aihubmix_login(&server).await;
    let info: Value = get_bearer(&server.userinfo_endpoint(), &s(&tok, "access_token"))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(
        (info["id"].as_i64(), info["username"].as_str()),
        (Some(777), Some("carol"))
    );

    let resp = get_bearer(&server.userinfo_endpoint(), "eyJ.bogus.token").await;
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert!(resp.json::<Value>().await.expect("json")["error"].is_string());
    server.expire_access_tokens();
    let resp = get_bearer(&server.userinfo_endpoint(), &s(&tok, "access_token")).await;
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    server.assert_no_violations();
}

#[tokio::test]
async fn without_rotation_the_same_refresh_token_comes_back() {
    let config = ServerConfig {
        rotate_refresh_tokens: false,
        ..ServerConfig::aihubmix()
    };
    let server = OAuthServer::start(config).await;
    let tok = aihubmix_login(&server).await;
    let rt = s(&tok, "refresh_token");
    let (_, r2) = aihubmix_refresh(&server, &rt).await;
    assert_eq!(s(&r2, "refresh_token"), rt);
    assert_eq!(server.token_state(&rt), Some(TokenState::Live));
}

#[tokio::test]
async fn pkce_is_accepted_and_ignored() {
    let server = OAuthServer::start(ServerConfig::aihubmix()).await;
    let (verifier, challenge) = signet_testkit::pkce_pair();
    let url = format!(
        "{}&code_challenge={challenge}&code_challenge_method=S256",
        aihubmix_authorize_url(&server, "s")
    );
    let code = param(&server.authorize(&url).await.expect("authorize"), "code").expect("code");
    let (status, _) = post_form(
        &server.token_endpoint(),
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("client_id", &server.client_id()),
            ("client_secret", &server.client_secret()),
            ("code_verifier", &verifier),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    server.assert_no_violations();
}

#[tokio::test]
async fn field_rules_are_enforced() {
    let server = OAuthServer::start(ServerConfig::aihubmix()).await;
    // state is required: an error page, not a redirect.
    let no_state = aihubmix_authorize_url(&server, "x").replace("state=x&", "");
    assert!(server.authorize(&no_state).await.is_err());
    // auto_authorize=true is expected.
    let no_auto = aihubmix_authorize_url(&server, "x").replace("&auto_authorize=true", "");
    assert!(param(&server.authorize(&no_auto).await.expect("redirect"), "code").is_some());
    assert_eq!(server.violations().len(), 2, "{:?}", server.violations());

    let tok = aihubmix_login(&server).await;
    let rt = s(&tok, "refresh_token");
    let (id, secret) = (server.client_id(), server.client_secret());
    let url = server.token_endpoint();
    // An extra field is a violation but still processed.
    let (status, body) = post_form(
        &url,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &rt),
            ("client_id", &id),
            ("client_secret", &secret),
            ("scope", "profile"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(server.violations().len(), 3);
    let rt = s(&body, "refresh_token");
    // JSON instead of a form.
    let resp = client()
        .post(&url)
        .json(&json!({"grant_type": "refresh_token", "refresh_token": rt, "client_id": id, "client_secret": secret}))
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        resp.json::<Value>().await.expect("json"),
        json!({"error": "invalid_request"})
    );
    // Missing client_secret, wrong client_secret.
    let (_, err) = post_form(
        &url,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &rt),
            ("client_id", &id),
        ],
    )
    .await;
    assert_eq!(err, json!({"error": "invalid_request"}));
    let (status, err) = post_form(
        &url,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &rt),
            ("client_id", &id),
            ("client_secret", "x"),
        ],
    )
    .await;
    assert_eq!(
        (status, err),
        (StatusCode::BAD_REQUEST, json!({"error": "invalid_client"}))
    );
    assert_eq!(server.violations().len(), 6, "{:?}", server.violations());
    assert_eq!(server.token_state(&rt), Some(TokenState::Live));
}
