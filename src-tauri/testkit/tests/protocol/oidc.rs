//! Oidc dialect: discovery, the full flow, rotation and reuse detection, PKCE, client auth, revoke.

use reqwest::StatusCode;
use serde_json::Value;
use signet_testkit::{verify_jwt_hs256, OAuthServer, ServerConfig, TokenState, User};

use crate::common::*;

#[tokio::test]
async fn discovery_document_shape() {
    let server = OAuthServer::start(ServerConfig::oidc()).await;
    let url = server.discovery_url().expect("oidc has discovery");
    let doc: Value = client()
        .get(&url)
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    let base = server.base_url();
    assert_eq!(doc["issuer"], base.as_str());
    assert_eq!(server.issuer(), base);
    assert!(!base.ends_with('/'));
    assert_eq!(doc["authorization_endpoint"], format!("{base}/authorize"));
    assert_eq!(doc["token_endpoint"], format!("{base}/token"));
    assert_eq!(doc["userinfo_endpoint"], format!("{base}/userinfo"));
    assert_eq!(doc["revocation_endpoint"], format!("{base}/revoke"));
    assert_eq!(doc["jwks_uri"], format!("{base}/jwks"));
    assert_eq!(doc["response_types_supported"], serde_json::json!(["code"]));
    assert_eq!(
        doc["code_challenge_methods_supported"],
        serde_json::json!(["S256"])
    );
    assert_eq!(
        doc["token_endpoint_auth_methods_supported"],
        serde_json::json!(["client_secret_post"])
    );
    assert_eq!(doc["authorization_response_iss_parameter_supported"], true);
    let grants = doc["grant_types_supported"].as_array().expect("grants");
    assert!(
        grants.contains(&"authorization_code".into()) && grants.contains(&"refresh_token".into())
    );
    assert!(doc["scopes_supported"]
        .as_array()
        .expect("scopes")
        .contains(&"openid".into()));
    let jwks: Value = client()
        .get(format!("{base}/jwks"))
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert_eq!(jwks, serde_json::json!({"keys": []}));
    server.assert_no_violations();
}

#[tokio::test]
async fn full_round_trip() {
    let server = OAuthServer::start(ServerConfig::oidc()).await;
    let flow = oidc_authorize_url(&server);
    let callback = server.authorize(&flow.url).await.expect("authorize");
    assert!(callback.starts_with(REDIRECT), "{callback}");
    assert_eq!(
        param(&callback, "state").as_deref(),
        Some(flow.state.as_str())
    );
    assert_eq!(param(&callback, "iss"), Some(server.issuer()));
    let code = param(&callback, "code").expect("code");

    let (status, tok) = post_form(
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
    assert_eq!(status, StatusCode::OK, "{tok}");
    assert_eq!(tok["token_type"], "Bearer");
    assert_eq!(tok["expires_in"], 3600);
    assert_eq!(tok["scope"], "openid email profile");
    let access = s(&tok, "access_token");
    let refresh = s(&tok, "refresh_token");
    assert!(access.len() >= 40 && refresh.len() >= 40 && access != refresh);

    let claims = verify_jwt_hs256(&s(&tok, "id_token"), server.client_secret().as_bytes())
        .expect("id_token signed with the client secret");
    assert_eq!(claims["iss"], server.issuer().as_str());
    assert_eq!(claims["aud"], server.client_id().as_str());
    assert_eq!(claims["sub"], "user-1");
    assert_eq!(claims["nonce"], flow.nonce.as_str());
    assert_eq!(claims["email"], "alice@example.com");
    assert_eq!(claims["name"], "alice");
    assert!(claims["exp"].as_u64() > claims["iat"].as_u64());

    let info: Value = get_bearer(&server.userinfo_endpoint(), &access)
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(info["sub"], "user-1");
    assert_eq!(info["email_verified"], true);

    let (status, refreshed) = oidc_refresh(&server, &refresh).await;
    assert_eq!(status, StatusCode::OK, "{refreshed}");
    let refresh2 = s(&refreshed, "refresh_token");
    assert_ne!(refresh2, refresh, "rotation issues a new refresh token");
    assert_eq!(server.token_state(&refresh), Some(TokenState::Consumed));
    let access2 = s(&refreshed, "access_token");
    let resp = get_bearer(&server.userinfo_endpoint(), &access2).await;
    assert_eq!(resp.status(), StatusCode::OK);

    assert_eq!(server.token_requests(), 2);
    assert_eq!(server.refresh_requests(), 1);
    let secrets = server.issued_secrets();
    for t in [
        &code,
        &access,
        &refresh,
        &access2,
        &refresh2,
        &server.client_secret(),
    ] {
        assert!(secrets.contains(t), "{t} not listed as issued");
    }
    let token_req = &server.requests_to("/token")[0];
    assert_eq!(token_req.method, "POST");
    assert_eq!(
        token_req.content_type.as_deref(),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(token_req.authorization, None);
    assert_eq!(token_req.form_value("code"), Some(code.as_str()));
    server.assert_no_violations();
}

#[tokio::test]
async fn set_user_changes_who_signs_in() {
    let server = OAuthServer::start(ServerConfig::oidc()).await;
    let mut bob = User::new("user-2", "bob", "bob@example.com");
    bob.picture = Some("https://example.com/bob.png".into());
    server.set_user(bob);
    let tok = oidc_login(&server).await;
    let info: Value = get_bearer(&server.userinfo_endpoint(), &s(&tok, "access_token"))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(info["sub"], "user-2");
    assert_eq!(info["picture"], "https://example.com/bob.png");
}

#[tokio::test]
async fn rotation_and_reuse_detection() {
    let server = OAuthServer::start(ServerConfig::oidc()).await;
    let tok = oidc_login(&server).await;
    let rt1 = s(&tok, "refresh_token");
    let (_, r2) = oidc_refresh(&server, &rt1).await;
    let rt2 = s(&r2, "refresh_token");
    let at2 = s(&r2, "access_token");

    // Reusing the consumed token is refused and revokes the whole family.
    let (status, err) = oidc_refresh(&server, &rt1).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(err["error"], "invalid_grant");
    assert!(err["error_description"].is_string());
    let (status, err) = oidc_refresh(&server, &rt2).await;
    assert_eq!(
        (status, err["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant"))
    );
    let resp = get_bearer(&server.userinfo_endpoint(), &at2).await;
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    let challenge = resp.headers()["www-authenticate"]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert!(
        challenge.starts_with("Bearer error=\"invalid_token\""),
        "{challenge}"
    );
    // Token-state refusals are not protocol violations.
    server.assert_no_violations();
}

#[tokio::test]
async fn without_rotation_the_refresh_token_is_kept() {
    let config = ServerConfig {
        rotate_refresh_tokens: false,
        ..ServerConfig::oidc()
    };
    let server = OAuthServer::start(config).await;
    let tok = oidc_login(&server).await;
    let rt = s(&tok, "refresh_token");
    for _ in 0..2 {
        let (status, body) = oidc_refresh(&server, &rt).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(body.get("refresh_token").is_none(), "{body}");
    }
    assert_eq!(server.token_state(&rt), Some(TokenState::Live));
    server.assert_no_violations();
}

#[tokio::test]
async fn pkce_mismatch_is_invalid_grant() {
    let server = OAuthServer::start(ServerConfig::oidc()).await;
    let flow = oidc_authorize_url(&server);
    let callback = server.authorize(&flow.url).await.expect("authorize");
    let code = param(&callback, "code").expect("code");
    let (other_verifier, _) = signet_testkit::pkce_pair();
    let (status, err) = post_form(
        &server.token_endpoint(),
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("client_id", &server.client_id()),
            ("client_secret", &server.client_secret()),
            ("code_verifier", &other_verifier),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(err["error"], "invalid_grant");
    assert!(
        server
            .violations()
            .iter()
            .any(|v| v.contains("code_verifier")),
        "{:?}",
        server.violations()
    );
}

#[tokio::test]
async fn authorize_requires_pkce_s256_and_state() {
    let server = OAuthServer::start(ServerConfig::oidc()).await;
    let flow = oidc_authorize_url(&server);
    let without_pkce: String = flow
        .url
        .split('&')
        .filter(|p| !p.starts_with("code_challenge"))
        .collect::<Vec<_>>()
        .join("&");
    let cb = server
        .authorize(&without_pkce)
        .await
        .expect("redirects with an error");
    assert_eq!(param(&cb, "error").as_deref(), Some("invalid_request"));
    assert_eq!(param(&cb, "state").as_deref(), Some("st-123"));
    assert_eq!(param(&cb, "code"), None);

    let plain = flow
        .url
        .replace("code_challenge_method=S256", "code_challenge_method=plain");
    let cb = server.authorize(&plain).await.expect("redirect");
    assert_eq!(param(&cb, "error").as_deref(), Some("invalid_request"));
    assert_eq!(server.violations().len(), 2);

    let no_state = flow.url.replace("state=st-123&", "");
    let cb = server.authorize(&no_state).await.expect("redirect");
    assert_eq!(param(&cb, "error").as_deref(), Some("invalid_request"));

    let bad_client = flow
        .url
        .replace("client_id=signet-test-client", "client_id=nope");
    assert!(
        server.authorize(&bad_client).await.is_err(),
        "no redirect for an unknown client"
    );
    assert!(server
        .authorize("http://127.0.0.1:1/authorize?x=1")
        .await
        .is_err());
    assert_eq!(server.violations().len(), 4);
}

#[tokio::test]
async fn deny_returns_access_denied() {
    let server = OAuthServer::start(ServerConfig::oidc()).await;
    server.set_deny(true);
    let flow = oidc_authorize_url(&server);
    let cb = server.authorize(&flow.url).await.expect("redirect");
    assert_eq!(param(&cb, "error").as_deref(), Some("access_denied"));
    assert_eq!(param(&cb, "state").as_deref(), Some("st-123"));
    assert_eq!(param(&cb, "iss"), Some(server.issuer()));
    server.assert_no_violations();
}

#[tokio::test]
async fn code_is_single_use_and_bound_to_redirect_uri() {
    let server = OAuthServer::start(ServerConfig::oidc()).await;
    let flow = oidc_authorize_url(&server);
    let code = param(
        &server.authorize(&flow.url).await.expect("authorize"),
        "code",
    )
    .expect("code");
    let exchange = |redirect: &'static str| {
        let (code, verifier, server) = (code.clone(), flow.verifier.clone(), server.clone());
        async move {
            post_form(
                &server.token_endpoint(),
                &[
                    ("grant_type", "authorization_code"),
                    ("code", &code),
                    ("redirect_uri", redirect),
                    ("client_id", &server.client_id()),
                    ("client_secret", &server.client_secret()),
                    ("code_verifier", &verifier),
                ],
            )
            .await
        }
    };
    let (status, err) = exchange("http://127.0.0.1:9/other").await;
    assert_eq!(
        (status, err["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant"))
    );
    assert_eq!(server.violations().len(), 1);

    let (status, tok) = exchange(REDIRECT).await;
    assert_eq!(status, StatusCode::OK);
    let (status, err) = exchange(REDIRECT).await;
    assert_eq!(
        (status, err["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant"))
    );
    // RFC 6749 §4.1.2: tokens issued from a replayed code are revoked.
    assert_eq!(
        server.token_state(&s(&tok, "refresh_token")),
        Some(TokenState::Revoked)
    );
}

#[tokio::test]
async fn client_authentication_rules() {
    let server = OAuthServer::start(ServerConfig::oidc()).await;
    let tok = oidc_login(&server).await;
    let rt = s(&tok, "refresh_token");
    let id = server.client_id();
    let url = server.token_endpoint();

    let wrong = [
        ("grant_type", "refresh_token"),
        ("refresh_token", &rt),
        ("client_id", &id),
        ("client_secret", "nope"),
    ];
    let (status, err) = post_form(&url, &wrong).await;
    assert_eq!(
        (status, err["error"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_client"))
    );

    let secret = server.client_secret();
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", rt.as_str()),
        ("client_id", &id),
        ("client_secret", &secret),
    ];
    let resp = client()
        .post(&url)
        .basic_auth(&id, Some(&secret))
        .form(&form)
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        resp.json::<Value>().await.expect("json")["error"],
        "invalid_request"
    );

    let json_body = serde_json::json!({"grant_type": "refresh_token", "refresh_token": rt, "client_id": id, "client_secret": secret});
    let resp = client()
        .post(&url)
        .json(&json_body)
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);

    let (status, err) = post_form(
        &url,
        &[
            ("grant_type", "password"),
            ("client_id", &id),
            ("client_secret", &secret),
        ],
    )
    .await;
    assert_eq!(
        (status, err["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("unsupported_grant_type"))
    );
    assert_eq!(server.violations().len(), 4, "{:?}", server.violations());
    assert_eq!(server.token_requests(), 5);
    // None of the refused requests consumed the refresh token.
    assert_eq!(server.token_state(&rt), Some(TokenState::Live));
}

#[tokio::test]
async fn revocation_endpoint_and_revoke_all() {
    let server = OAuthServer::start(ServerConfig::oidc()).await;
    let tok = oidc_login(&server).await;
    let (rt, at) = (s(&tok, "refresh_token"), s(&tok, "access_token"));
    let revoke = server.revocation_endpoint().expect("oidc revokes");
    let (status, _) = post_form(
        &revoke,
        &[
            ("token", &rt),
            ("client_id", &server.client_id()),
            ("client_secret", &server.client_secret()),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(server.revoked_tokens(), vec![rt.clone()]);
    let (_, err) = oidc_refresh(&server, &rt).await;
    assert_eq!(err["error"], "invalid_grant");
    assert_eq!(
        get_bearer(&server.userinfo_endpoint(), &at).await.status(),
        StatusCode::UNAUTHORIZED
    );

    let tok = oidc_login(&server).await;
    server.revoke_all();
    let (_, err) = oidc_refresh(&server, &s(&tok, "refresh_token")).await;
    assert_eq!(err["error"], "invalid_grant");
    let status = get_bearer(&server.userinfo_endpoint(), &s(&tok, "access_token"))
        .await
        .status();
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    server.assert_no_violations();
}

#[tokio::test]
async fn expired_access_token_then_refresh() {
    let server = OAuthServer::start(ServerConfig::oidc()).await;
    let tok = oidc_login(&server).await;
    server.expire_access_tokens();
    let at = s(&tok, "access_token");
    assert_eq!(server.token_state(&at), Some(TokenState::Expired));
    assert_eq!(
        get_bearer(&server.userinfo_endpoint(), &at).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let (status, body) = oidc_refresh(&server, &s(&tok, "refresh_token")).await;
    assert_eq!(status, StatusCode::OK);
    let ok = get_bearer(&server.userinfo_endpoint(), &s(&body, "access_token"))
        .await
        .status();
    assert_eq!(ok, StatusCode::OK);
    // A missing Authorization header is a client bug.
    let resp = client()
        .get(server.userinfo_endpoint())
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(server.violations().len(), 1);
}

#[tokio::test]
async fn minted_tokens_work_and_unknown_paths_are_violations() {
    let server = OAuthServer::start(ServerConfig::oidc()).await;
    let minted = server.mint_tokens(&server.user());
    let (status, _) = oidc_refresh(&server, &minted.refresh_token).await;
    assert_eq!(status, StatusCode::OK);
    let status = client()
        .get(format!("{}/nope", server.base_url()))
        .send()
        .await
        .expect("send")
        .status();
    assert_eq!(status, StatusCode::NOT_FOUND);
    let status = client()
        .get(server.token_endpoint())
        .send()
        .await
        .expect("send")
        .status();
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(server.violations().len(), 2);
    assert_eq!(
        server.token_requests(),
        1,
        "GET /token is not a token request"
    );
}
