//! Google dialect: discovery, the installed-app flow, redirect and authorize rules, granted
//! scopes, no rotation, repeat consent, token-endpoint errors, userinfo and revocation.

use reqwest::StatusCode;
use serde_json::Value;
use signet_testkit::{verify_jwt_hs256, Fault, OAuthServer, ServerConfig, TokenState};

use crate::common::*;

#[tokio::test]
async fn discovery_and_endpoint_getters() {
    let server = OAuthServer::start(ServerConfig::google()).await;
    let base = server.base_url();
    assert_eq!(
        server.authorization_endpoint(),
        format!("{base}/o/oauth2/v2/auth")
    );
    assert_eq!(server.token_endpoint(), format!("{base}/token"));
    assert_eq!(server.userinfo_endpoint(), format!("{base}/v1/userinfo"));
    assert_eq!(server.revocation_endpoint(), Some(format!("{base}/revoke")));
    assert_eq!(server.api_base(), base);
    assert_eq!(server.issuer(), "https://accounts.google.com");
    assert_eq!(server.token_endpoint_v3(), None);
    assert_eq!(server.brand(), "google");
    assert!(server.client_id().ends_with(".apps.googleusercontent.com"));
    assert!(server.client_secret().starts_with("GOCSPX-"));
    let url = server.discovery_url().expect("discovery");
    let doc: Value = client()
        .get(&url)
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert_eq!(doc["issuer"], "https://accounts.google.com");
    assert_eq!(
        doc["authorization_endpoint"],
        server.authorization_endpoint()
    );
    assert_eq!(doc["token_endpoint"], server.token_endpoint());
    assert_eq!(doc["userinfo_endpoint"], server.userinfo_endpoint());
    assert_eq!(doc["revocation_endpoint"], format!("{base}/revoke"));
    let jwks: Value = client()
        .get(doc["jwks_uri"].as_str().expect("jwks_uri"))
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
async fn installed_app_round_trip() {
    let server = OAuthServer::start(ServerConfig::google()).await;
    let extra = [
        ("nonce", "n-1"),
        ("login_hint", "alice@example.com"),
        ("include_granted_scopes", "true"),
    ];
    let (callback, tok) = google_login_with(&server, server.default_scope(), &extra).await;
    assert!(callback.starts_with(GOOGLE_REDIRECT), "{callback}");
    assert_eq!(param(&callback, "state").as_deref(), Some("g-state"));
    assert_eq!(param(&callback, "authuser").as_deref(), Some("0"));
    assert_eq!(param(&callback, "hd").as_deref(), Some("example.com"));
    assert_eq!(param(&callback, "prompt").as_deref(), Some("consent"));
    assert_eq!(
        param(&callback, "scope").as_deref(),
        Some(server.default_scope())
    );
    let authorize = &server.requests_to("/o/oauth2/v2/auth")[0];
    assert_eq!(authorize.query_value("access_type"), Some("offline"));
    assert_eq!(
        authorize.query_value("login_hint"),
        Some("alice@example.com")
    );
    assert_eq!(
        authorize.query_value("include_granted_scopes"),
        Some("true")
    );

    assert_eq!(tok["token_type"], "Bearer");
    assert_eq!(tok["expires_in"], 3599);
    assert_eq!(tok["scope"], server.default_scope());
    let access = s(&tok, "access_token");
    let refresh = s(&tok, "refresh_token");
    assert!(access.starts_with("ya29.") && refresh.starts_with("1//"));
    let claims = verify_jwt_hs256(&s(&tok, "id_token"), server.client_secret().as_bytes())
        .expect("id_token signed with the client secret");
    assert_eq!(claims["iss"], "https://accounts.google.com");
    assert_eq!(claims["aud"], server.client_id().as_str());
    assert_eq!(claims["azp"], server.client_id().as_str());
    assert_eq!(claims["sub"], "110248495921238986420");
    assert_eq!(claims["email"], "alice@example.com");
    assert_eq!(claims["email_verified"], true);
    assert_eq!(claims["name"], "Alice Example");
    assert_eq!(claims["given_name"], "Alice");
    assert_eq!(claims["family_name"], "Example");
    assert_eq!(
        claims["picture"],
        "https://lh3.googleusercontent.com/a/alice"
    );
    assert_eq!(claims["hd"], "example.com");
    assert_eq!(claims["nonce"], "n-1");
    assert!(claims["exp"].as_u64() > claims["iat"].as_u64());

    let (status, info) = status_json(get_bearer(&server.userinfo_endpoint(), &access).await).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        info,
        serde_json::json!({
            "sub": "110248495921238986420", "name": "Alice Example", "given_name": "Alice",
            "family_name": "Example", "picture": "https://lh3.googleusercontent.com/a/alice",
            "email": "alice@example.com", "email_verified": true, "locale": "en",
            "hd": "example.com",
        })
    );

    // No rotation: the refresh answer has no refresh_token and the old one stays live.
    for _ in 0..2 {
        let (status, body) = google_refresh(&server, &refresh).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(body.get("refresh_token").is_none(), "{body}");
        assert_eq!(body["expires_in"], 3599);
        assert_eq!(body["scope"], server.default_scope());
        assert!(body["id_token"].is_string());
    }
    assert_eq!(server.token_state(&refresh), Some(TokenState::Live));
    assert_eq!(server.grant_requests("authorization_code"), 1);
    assert_eq!(server.grant_requests("refresh_token"), 2);
    let secrets = server.issued_secrets();
    for t in [&access, &refresh, &server.client_secret()] {
        assert!(secrets.contains(t), "{t} not listed as issued");
    }
    server.assert_no_violations();
}

#[tokio::test]
async fn desktop_clients_redirect_to_loopback_only() {
    let server = OAuthServer::start(ServerConfig::google()).await;
    let scope = server.default_scope();
    for ok in [
        "http://[::1]:5000/cb",
        "http://localhost:3000",
        "http://127.0.0.1:1/x",
    ] {
        let (url, _) = google_authorize_url(&server, scope, &[]);
        let url = url.replace(
            &format!("redirect_uri={}", urlencode(GOOGLE_REDIRECT)),
            &format!("redirect_uri={}", urlencode(ok)),
        );
        let cb = server.authorize(&url).await.expect("loopback accepted");
        assert!(cb.starts_with(ok.trim_end_matches('/')), "{cb}");
    }
    server.assert_no_violations();
    for bad in ["signet://oauth/callback", "https://example.com/cb"] {
        let (url, _) = google_authorize_url(&server, scope, &[]);
        let url = url.replace(
            &format!("redirect_uri={}", urlencode(GOOGLE_REDIRECT)),
            &format!("redirect_uri={}", urlencode(bad)),
        );
        let err = server.authorize(&url).await.expect_err("no redirect");
        assert!(err.contains("400"), "{err}");
        assert!(err.contains("Error 400: invalid_request"), "{err}");
        assert!(err.contains("Custom scheme URIs are not allowed"), "{err}");
    }
    assert_eq!(server.violations().len(), 2, "{:?}", server.violations());
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[tokio::test]
async fn authorize_refusals_are_error_pages() {
    let server = OAuthServer::start(ServerConfig::google()).await;
    let (url, _) = google_authorize_url(&server, "email profile", &[]);
    let err = server.authorize(&url).await.expect_err("openid required");
    assert!(err.contains("invalid_request"), "{err}");
    let (url, _) = google_authorize_url(&server, "openid chat.spaces", &[]);
    let err = server.authorize(&url).await.expect_err("invalid scope");
    assert!(err.contains("invalid_scope"), "{err}");
    let (url, _) = google_authorize_url(&server, "openid", &[]);
    let no_pkce: String = url
        .split('&')
        .filter(|p| !p.starts_with("code_challenge"))
        .collect::<Vec<_>>()
        .join("&");
    let err = server.authorize(&no_pkce).await.expect_err("PKCE required");
    assert!(err.contains("code_challenge"), "{err}");
    let plain = url.replace("code_challenge_method=S256", "code_challenge_method=plain");
    assert!(server.authorize(&plain).await.is_err());
    let unknown = url.replace(&urlencode(&server.client_id()), "nope");
    let err = server
        .authorize(&unknown)
        .await
        .expect_err("unknown client");
    assert!(
        err.contains("401") && err.contains("invalid_client"),
        "{err}"
    );
    let (url, _) = google_authorize_url(&server, "openid", &[("prompt", "sometimes")]);
    assert!(server.authorize(&url).await.is_err());
    let no_type = url.replace("response_type=code&", "");
    assert!(server.authorize(&no_type).await.is_err());
    assert_eq!(server.violations().len(), 7, "{:?}", server.violations());
}

#[tokio::test]
async fn deny_and_prompt_none() {
    let server = OAuthServer::start(ServerConfig::google()).await;
    let (url, _) = google_authorize_url(&server, "openid", &[("prompt", "none")]);
    let cb = server.authorize(&url).await.expect("redirect");
    assert_eq!(param(&cb, "error").as_deref(), Some("consent_required"));
    server.set_deny(true);
    let (url, _) = google_authorize_url(&server, "openid", &[]);
    let cb = server.authorize(&url).await.expect("redirect");
    assert_eq!(param(&cb, "error").as_deref(), Some("access_denied"));
    assert_eq!(param(&cb, "state").as_deref(), Some("g-state"));
    assert_eq!(param(&cb, "code"), None);
    server.assert_no_violations();
}

#[tokio::test]
async fn unticked_scopes_and_incremental_consent() {
    let server = OAuthServer::start(ServerConfig::google()).await;
    server.set_granted_scopes(Some(vec![CHAT_READONLY.into()]));
    let (cb, tok) = google_login_with(&server, server.default_scope(), &[]).await;
    let granted = format!("openid email profile {CHAT_READONLY}");
    assert_eq!(param(&cb, "scope"), Some(granted.clone()));
    assert_eq!(tok["scope"], granted.as_str());
    assert!(
        tok["id_token"].is_string(),
        "sign-in scopes have no checkbox"
    );

    // Incremental: ask only for the missing scope, union with the earlier grant.
    server.set_granted_scopes(None);
    let scope = format!("openid {CHAT_MESSAGES}");
    let extra = [("include_granted_scopes", "true")];
    let (cb, tok) = google_login_with(&server, &scope, &extra).await;
    assert_eq!(
        param(&cb, "prompt").as_deref(),
        Some("none"),
        "repeat consent"
    );
    let scopes: Vec<&str> = tok["scope"].as_str().expect("scope").split(' ').collect();
    for s in ["openid", "email", "profile", CHAT_READONLY, CHAT_MESSAGES] {
        assert!(scopes.contains(&s), "{s} missing from {scopes:?}");
    }
    assert!(!scopes.contains(&CHAT_CREATE));
    assert_eq!(server.consented_scopes("110248495921238986420").len(), 5);
    // Without include_granted_scopes only what was asked for.
    let (_, tok) = google_login_with(&server, &scope, &[]).await;
    assert_eq!(tok["scope"], scope.as_str());
    // userinfo follows the token's scope: no email/profile claims without those scopes.
    let (_, info) =
        status_json(get_bearer(&server.userinfo_endpoint(), &s(&tok, "access_token")).await).await;
    assert_eq!(
        info,
        serde_json::json!({"sub": "110248495921238986420", "hd": "example.com"})
    );
    server.assert_no_violations();
}

#[tokio::test]
async fn repeat_consent_may_omit_the_refresh_token() {
    let config = ServerConfig {
        omit_refresh_token_on_repeat_consent: true,
        ..ServerConfig::google()
    };
    let server = OAuthServer::start(config).await;
    let first = google_login(&server).await;
    assert!(first["refresh_token"].is_string(), "{first}");
    let again = google_login(&server).await;
    assert!(again.get("refresh_token").is_none(), "{again}");
    assert!(again["access_token"].is_string());
    let (_, forced) =
        google_login_with(&server, server.default_scope(), &[("prompt", "consent")]).await;
    assert!(forced["refresh_token"].is_string(), "{forced}");
    server.assert_no_violations();
}

#[tokio::test]
async fn token_endpoint_client_authentication() {
    let server = OAuthServer::start(ServerConfig::google()).await;
    let (url, verifier) = google_authorize_url(&server, "openid", &[]);
    let code = param(&server.authorize(&url).await.expect("cb"), "code").expect("code");
    let (id, secret) = (server.client_id(), server.client_secret());
    let token_url = server.token_endpoint();
    let base = [
        ("code", code.as_str()),
        ("code_verifier", verifier.as_str()),
        ("grant_type", "authorization_code"),
        ("redirect_uri", GOOGLE_REDIRECT),
        ("client_id", id.as_str()),
    ];

    let (status, err) = post_form(&token_url, &base).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        err,
        serde_json::json!({"error": "invalid_request", "error_description": "client_secret is missing."})
    );
    // Basic only: still "missing" (Google wants it in the body).
    let resp = client()
        .post(&token_url)
        .basic_auth(&id, Some(&secret))
        .form(&base)
        .send()
        .await
        .expect("send");
    let (status, err) = status_json(resp).await;
    assert_eq!(
        (status, err["error_description"].as_str()),
        (StatusCode::BAD_REQUEST, Some("client_secret is missing."))
    );
    let mut with_secret = base.to_vec();
    with_secret.push(("client_secret", &secret));
    let resp = client()
        .post(&token_url)
        .basic_auth(&id, Some(&secret))
        .form(&with_secret)
        .send()
        .await
        .expect("send");
    let (status, err) = status_json(resp).await;
    assert_eq!(
        (status, err["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_request"))
    );
    let mut wrong = base.to_vec();
    wrong.push(("client_secret", "GOCSPX-wrong"));
    let (status, err) = post_form(&token_url, &wrong).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        err,
        serde_json::json!({"error": "invalid_client", "error_description": "Unauthorized"})
    );
    let json_body: serde_json::Map<String, Value> = with_secret
        .iter()
        .map(|(k, v)| ((*k).to_owned(), Value::from(*v)))
        .collect();
    let (status, err) = post_json(&token_url, &Value::Object(json_body)).await;
    assert_eq!(
        (status, err["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_request"))
    );
    assert_eq!(server.violations().len(), 5, "{:?}", server.violations());
    // None of that consumed the code.
    let (status, body) = google_exchange(&server, &code, &verifier).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn code_exchange_errors() {
    let server = OAuthServer::start(ServerConfig::google()).await;
    let (url, verifier) = google_authorize_url(&server, "openid", &[]);
    let code = param(&server.authorize(&url).await.expect("cb"), "code").expect("code");
    let (other, _) = signet_testkit::pkce_pair();
    let (status, err) = google_exchange(&server, &code, &other).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        err,
        serde_json::json!({"error": "invalid_grant", "error_description": "Invalid code verifier."})
    );
    let (status, err) = post_form(
        &server.token_endpoint(),
        &[
            ("client_id", &server.client_id()),
            ("client_secret", &server.client_secret()),
            ("code", &code),
            ("code_verifier", &verifier),
            ("grant_type", "authorization_code"),
            ("redirect_uri", "http://127.0.0.1:9/other"),
        ],
    )
    .await;
    assert_eq!(
        (status, err["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("redirect_uri_mismatch"))
    );
    assert_eq!(server.violations().len(), 2);
    let (status, tok) = google_exchange(&server, &code, &verifier).await;
    assert_eq!(status, StatusCode::OK, "{tok}");
    let (status, err) = google_exchange(&server, &code, &verifier).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        err,
        serde_json::json!({"error": "invalid_grant", "error_description": "Bad Request"})
    );
    // Unlike the Oidc dialect, a replayed code does not revoke what it issued.
    assert_eq!(
        server.token_state(&s(&tok, "refresh_token")),
        Some(TokenState::Live)
    );
    let code2 = server.issue_code(GOOGLE_REDIRECT, None);
    server.expire_codes();
    let (status, err) = google_exchange(&server, &code2, &verifier).await;
    assert_eq!(
        (status, err["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant"))
    );
    let (status, err) = google_refresh(&server, "1//unknown").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        err,
        serde_json::json!({"error": "invalid_grant", "error_description": "Token has been expired or revoked."})
    );
    let (status, err) = post_form(
        &server.token_endpoint(),
        &[
            ("client_id", &server.client_id()),
            ("client_secret", &server.client_secret()),
            ("grant_type", "password"),
        ],
    )
    .await;
    assert_eq!(
        (status, err["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("unsupported_grant_type"))
    );
    assert_eq!(server.violations().len(), 3, "{:?}", server.violations());
}

#[tokio::test]
async fn userinfo_rejects_bad_tokens() {
    let server = OAuthServer::start(ServerConfig::google()).await;
    let tok = google_login(&server).await;
    let at = s(&tok, "access_token");
    for token in ["ya29.nope", at.as_str()] {
        if token == at {
            server.expire_access_tokens();
        }
        let resp = get_bearer(&server.userinfo_endpoint(), token).await;
        assert_eq!(
            resp.headers()["www-authenticate"],
            "Bearer error=\"invalid_token\""
        );
        let (status, body) = status_json(resp).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(
            body,
            serde_json::json!({"error": "invalid_request", "error_description": "Invalid Credentials"})
        );
    }
    server.assert_no_violations();
}

#[tokio::test]
async fn revoking_any_token_revokes_the_grant() {
    let server = OAuthServer::start(ServerConfig::google()).await;
    let tok = google_login(&server).await;
    let (at, rt) = (s(&tok, "access_token"), s(&tok, "refresh_token"));
    let revoke = server.revocation_endpoint().expect("revoke");
    let (status, body) = post_form(&revoke, &[("token", &at)]).await;
    assert_eq!((status, body), (StatusCode::OK, serde_json::json!({})));
    assert_eq!(server.revoked_tokens(), vec![at.clone()]);
    assert_eq!(server.token_state(&rt), Some(TokenState::Revoked));
    let (status, err) = google_refresh(&server, &rt).await;
    assert_eq!(
        (status, err["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant"))
    );
    let (status, err) = post_form(&revoke, &[("token", &rt)]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        err,
        serde_json::json!({"error": "invalid_token", "error_description": "Token expired or revoked"})
    );
    // Revocation removed the consent: the next sign-in shows the consent screen again.
    assert!(server.consented_scopes("110248495921238986420").is_empty());
    let (cb, tok) = google_login_with(&server, server.default_scope(), &[]).await;
    assert_eq!(param(&cb, "prompt").as_deref(), Some("consent"));
    // Google's own example puts the token in the query string.
    let rt = s(&tok, "refresh_token");
    let resp = client()
        .post(format!("{revoke}?token={rt}"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), StatusCode::OK);
    server.assert_no_violations();
}

#[tokio::test]
async fn seeding_and_canned_faults() {
    let server = OAuthServer::start(ServerConfig::google()).await;
    let minted = server.mint_tokens(&server.user());
    assert_eq!(minted.scope, server.default_scope());
    let resp = get_bearer(&server.userinfo_endpoint(), &minted.access_token).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let (status, body) = google_refresh(&server, &minted.refresh_token).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    server.push_fault(Fault::Respond {
        status: 400,
        body: r#"{"error":"invalid_grant","error_description":"Bad Request","error_subtype":"invalid_rapt"}"#.into(),
        content_type: "application/json; charset=utf-8".into(),
    });
    let (status, body) = google_refresh(&server, &minted.refresh_token).await;
    assert_eq!(
        (status, body["error_subtype"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_rapt"))
    );
    server.push_fault(Fault::InvalidGrant);
    let (_, body) = google_refresh(&server, &minted.refresh_token).await;
    assert_eq!(
        body["error_description"],
        "Token has been expired or revoked."
    );
    assert_eq!(
        server.token_state(&minted.refresh_token),
        Some(TokenState::Live)
    );
    server.assert_no_violations();
}
