//! Feishu / Lark dialect: the seed's v2 exchange, single-use refresh tokens, offline_access,
//! authorize rules, every error code of the seed's table, v3, revoke and user_info.

use reqwest::StatusCode;
use serde_json::{json, Value};
use signet_testkit::{Fault, OAuthServer, ServerConfig, TokenState};

use crate::common::*;

const SEED_SCOPE: &str = "auth:user.id:read offline_access user_profile";

/// Asserts a token-endpoint error: HTTP status, `code`, `error` and the table's wording.
fn assert_code(status: StatusCode, body: &Value, http: u16, code: u32, error: &str) {
    assert_eq!(status.as_u16(), http, "{body}");
    assert_eq!(body["code"], code, "{body}");
    assert_eq!(body["error"], error, "{body}");
    assert!(
        body["error_description"]
            .as_str()
            .is_some_and(|d| d.ends_with('.')),
        "{body}"
    );
}

/// A fresh code (with PKCE) and its verifier.
async fn code(server: &OAuthServer, scope: &str) -> (String, String) {
    let (url, verifier) = feishu_authorize_url(server, scope);
    let cb = server.authorize(&url).await.expect("authorize");
    (param(&cb, "code").expect("code"), verifier)
}

#[tokio::test]
async fn seed_exchange_user_info_and_single_use_refresh() {
    let server = OAuthServer::start(ServerConfig::feishu()).await;
    let base = server.base_url();
    assert_eq!(
        server.authorization_endpoint(),
        format!("{base}/open-apis/authen/v1/authorize")
    );
    assert_eq!(
        server.token_endpoint(),
        format!("{base}/open-apis/authen/v2/oauth/token")
    );
    assert_eq!(
        server.token_endpoint_v3(),
        Some(format!("{base}/oauth/v3/token"))
    );
    assert_eq!(
        server.revocation_endpoint(),
        Some(format!("{base}/oauth/v1/revoke"))
    );
    assert_eq!(
        server.userinfo_endpoint(),
        format!("{base}/open-apis/authen/v1/user_info")
    );
    assert_eq!(server.client_id(), "cli_a5ca35a685b0x26e");
    assert_eq!(server.brand(), "feishu");

    let (url, verifier) = feishu_authorize_url(&server, SEED_SCOPE);
    let cb = server.authorize(&url).await.expect("authorize");
    assert!(cb.starts_with(FEISHU_REDIRECT), "{cb}");
    let pairs = query(&cb);
    let keys: Vec<&str> = pairs.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(keys, ["code", "state"]);
    assert_eq!(param(&cb, "state").as_deref(), Some("f-state"));
    let code = param(&cb, "code").expect("code");
    let (status, tok) = post_json(
        &server.token_endpoint(),
        &feishu_code_body(&server, &code, &verifier),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{tok}");
    let mut keys: Vec<&String> = tok.as_object().expect("object").keys().collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "access_token",
            "code",
            "expires_in",
            "refresh_token",
            "refresh_token_expires_in",
            "scope",
            "token_type"
        ]
    );
    assert_eq!(tok["code"], 0);
    assert_eq!(tok["expires_in"], 7200);
    assert_eq!(tok["refresh_token_expires_in"], 604_800);
    assert_eq!(tok["token_type"], "Bearer");
    assert_eq!(tok["scope"], SEED_SCOPE);
    let at = s(&tok, "access_token");
    assert!(at.starts_with("eyJhbGciOiJFUzI1NiIs"), "{at}");
    let token_req = &server.requests_to("/open-apis/authen/v2/oauth/token")[0];
    assert!(token_req
        .content_type
        .as_deref()
        .is_some_and(|c| c.starts_with("application/json")));

    let (status, info) = status_json(get_bearer(&server.userinfo_endpoint(), &at).await).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (info["code"].as_i64(), info["msg"].as_str()),
        (Some(0), Some("success"))
    );
    let d = &info["data"];
    assert_eq!(d["name"], "张三");
    assert_eq!(d["en_name"], "Zhang San");
    assert_eq!(d["open_id"], "ou_7d8a6e6df7621556ce0d21922b676706ccs");
    assert_eq!(d["union_id"], "on_8ed6aa67826108097d9ee143816345");
    assert_eq!(d["tenant_key"], "736588c9260f175d");
    for k in ["avatar_url", "avatar_thumb", "avatar_middle", "avatar_big"] {
        assert!(s(d, k).starts_with("https://"), "{k}");
    }
    assert!(
        d.get("email").is_none(),
        "no contact:user.email:readonly: {d}"
    );

    // Single use: the refresh rotates, the old token answers 20073.
    let rt = s(&tok, "refresh_token");
    let (status, r2) = feishu_refresh(&server, &rt).await;
    assert_eq!(status, StatusCode::OK, "{r2}");
    assert_eq!(r2["refresh_token_expires_in"], 604_800);
    let rt2 = s(&r2, "refresh_token");
    assert_ne!(rt2, rt);
    assert_eq!(server.token_state(&rt), Some(TokenState::Consumed));
    let (status, err) = feishu_refresh(&server, &rt).await;
    assert_code(status, &err, 400, 20073, "invalid_grant");
    assert_eq!(
        server.token_state(&rt2),
        Some(TokenState::Live),
        "reuse does not kill the family"
    );
    assert_eq!(server.refresh_requests(), 2);
    server.assert_no_violations();
}

#[tokio::test]
async fn refresh_token_only_with_offline_access() {
    let server = OAuthServer::start(ServerConfig::feishu()).await;
    let tok = feishu_login(&server, "auth:user.id:read contact:user.email:readonly").await;
    assert!(tok.get("refresh_token").is_none(), "{tok}");
    assert!(tok.get("refresh_token_expires_in").is_none(), "{tok}");
    let (_, info) =
        status_json(get_bearer(&server.userinfo_endpoint(), &s(&tok, "access_token")).await).await;
    assert_eq!(info["data"]["email"], "zhangsan@example.com");
    assert_eq!(info["data"]["enterprise_email"], "zhangsan@example.com");
    // Grants accumulate: a later sign-in for offline_access carries the earlier scopes too.
    let tok = feishu_login(&server, "offline_access").await;
    assert_eq!(
        tok["scope"],
        "auth:user.id:read contact:user.email:readonly offline_access"
    );
    assert!(tok["refresh_token"].is_string());
    server.assert_no_violations();
}

#[tokio::test]
async fn authorize_rules() {
    let server = OAuthServer::start(ServerConfig::feishu()).await;
    let (url, _) = feishu_authorize_url(&server, "offline_access");
    let legacy = url.replace("client_id=", "app_id=");
    assert!(server.authorize(&legacy).await.is_ok(), "legacy app_id");
    let deep = url.replace(
        "redirect_uri=http%3A%2F%2Flocalhost%3A8080%2Fcallback",
        "redirect_uri=signet%3A%2F%2Foauth%2Ffeishu",
    );
    let cb = server.authorize(&deep).await.expect("signet:// accepted");
    assert!(cb.starts_with("signet://oauth/feishu?code="), "{cb}");
    let no_pkce: String = url
        .split('&')
        .filter(|p| !p.starts_with("code_challenge"))
        .collect::<Vec<_>>()
        .join("&");
    assert!(server.authorize(&no_pkce).await.is_ok(), "PKCE is optional");
    server.assert_no_violations();

    let (bad_scope, _) =
        feishu_authorize_url(&server, "offline_access contact:user.phone:readonly");
    let err = server.authorize(&bad_scope).await.expect_err("not enabled");
    assert!(err.contains("20027"), "{err}");
    let https = url.replace(
        "redirect_uri=http%3A%2F%2Flocalhost%3A8080%2Fcallback",
        "redirect_uri=https%3A%2F%2Fevil.example%2Fcb",
    );
    let err = server.authorize(&https).await.expect_err("not registered");
    assert!(err.contains("redirect_uri"), "{err}");
    let unknown = url.replace("cli_a5ca35a685b0x26e", "cli_unknown");
    assert!(server.authorize(&unknown).await.is_err());
    assert_eq!(server.violations().len(), 3);

    server.set_enabled_scopes(vec![
        "offline_access".into(),
        "contact:user.phone:readonly".into(),
    ]);
    assert!(server.authorize(&bad_scope).await.is_ok(), "now enabled");
    server.set_deny(true);
    let cb = server.authorize(&url).await.expect("redirect");
    assert_eq!(param(&cb, "error").as_deref(), Some("access_denied"));
    assert_eq!(param(&cb, "state").as_deref(), Some("f-state"));

    let exact = OAuthServer::start(ServerConfig {
        redirect_uri: Some(FEISHU_REDIRECT.into()),
        ..ServerConfig::lark()
    })
    .await;
    assert_eq!(exact.brand(), "lark");
    let (url, _) = feishu_authorize_url(&exact, "offline_access");
    assert!(exact.authorize(&url).await.is_ok());
    assert!(exact
        .authorize(&deep.replace(&server.base_url(), &exact.base_url()))
        .await
        .is_err());
}

#[tokio::test]
async fn every_code_exchange_error_of_the_table() {
    let server = OAuthServer::start(ServerConfig::feishu()).await;
    let url = server.token_endpoint();
    let (c, v) = code(&server, SEED_SCOPE).await;
    let good = feishu_code_body(&server, &c, &v);
    let with = |k: &str, val: Value| {
        let mut b = good.clone();
        b[k] = val;
        b
    };
    let without = |k: &str| {
        let mut b = good.clone();
        b.as_object_mut().expect("object").remove(k);
        b
    };
    let cases: Vec<(Value, u16, u32, &str)> = vec![
        (without("code"), 400, 20001, "invalid_request"),
        (without("client_secret"), 400, 20001, "invalid_request"),
        (
            with("client_secret", json!("wrong")),
            400,
            20002,
            "invalid_client",
        ),
        (
            with("code", json!("a61hb967bd094dge949h79bbexd16dfe")),
            400,
            20003,
            "invalid_grant",
        ),
        (
            with("grant_type", json!("password")),
            400,
            20036,
            "unsupported_grant_type",
        ),
        (
            with("client_id", json!("cli_nope")),
            400,
            20048,
            "invalid_client",
        ),
        (
            with(
                "code_verifier",
                json!("TxYmzM4PHLBlqm5NtnCmwxMH8mFlRWl_ipie3O0aVzo"),
            ),
            400,
            20049,
            "invalid_grant",
        ),
        (without("code_verifier"), 400, 20049, "invalid_grant"),
        (with("code", json!(42)), 400, 20063, "invalid_request"),
        (
            with("scope", json!("offline_access offline_access")),
            400,
            20067,
            "invalid_scope",
        ),
        (
            with("scope", json!("offline_access im:message")),
            400,
            20068,
            "invalid_scope",
        ),
        (
            with("redirect_uri", json!("http://localhost:8081/callback")),
            400,
            20071,
            "invalid_grant",
        ),
    ];
    for (i, (body, http, code, error)) in cases.iter().enumerate() {
        let (status, err) = post_json(&url, body).await;
        assert_code(status, &err, *http, *code, error);
        assert_eq!(server.violations().len(), i + 1, "{code} is a violation");
    }
    // A form body on v2: 20063.
    let (status, err) = post_form(
        &url,
        &[
            ("grant_type", "authorization_code"),
            ("code", &c),
            ("client_id", &server.client_id()),
        ],
    )
    .await;
    assert_code(status, &err, 400, 20063, "invalid_request");
    // Basic and client_secret together: 20070.
    let resp = client()
        .post(&url)
        .basic_auth(server.client_id(), Some(server.client_secret()))
        .json(&good)
        .send()
        .await
        .expect("send");
    let (status, err) = status_json(resp).await;
    assert_code(status, &err, 400, 20070, "invalid_client");
    assert_eq!(server.violations().len(), cases.len() + 2);

    // None of that consumed the code; now it works once, then 20065.
    let (status, tok) = post_json(&url, &good).await;
    assert_eq!(
        (status, tok["code"].as_i64()),
        (StatusCode::OK, Some(0)),
        "{tok}"
    );
    let (status, err) = post_json(&url, &good).await;
    assert_code(status, &err, 400, 20065, "invalid_grant");
    // 20004: a code past its 5 minutes.
    let (c2, v2) = code(&server, SEED_SCOPE).await;
    server.expire_codes();
    let (status, err) = post_json(&url, &feishu_code_body(&server, &c2, &v2)).await;
    assert_code(status, &err, 400, 20004, "invalid_grant");
    // 20024: another registered app redeems this app's code.
    server.add_client("cli_other0000000001", "other-secret-0123456789");
    let (c3, v3) = code(&server, SEED_SCOPE).await;
    let mut other = feishu_code_body(&server, &c3, &v3);
    other["client_id"] = json!("cli_other0000000001");
    other["client_secret"] = json!("other-secret-0123456789");
    let (status, err) = post_json(&url, &other).await;
    assert_code(status, &err, 400, 20024, "invalid_grant");
    assert_eq!(server.violations().len(), cases.len() + 3);
}

#[tokio::test]
async fn refresh_token_errors_and_scope_narrowing() {
    let server = OAuthServer::start(ServerConfig::feishu()).await;
    let tok = feishu_login(&server, SEED_SCOPE).await;
    let rt = s(&tok, "refresh_token");
    let (status, err) = feishu_refresh(&server, "eyJhbGciOiJFUzI1NiIs.unknown").await;
    assert_code(status, &err, 400, 20026, "invalid_grant");
    assert_eq!(
        err["error_description"],
        "The refresh token passed is invalid. Please check the value."
    );

    // Narrowing is never cumulative: each refresh narrows from the whole grant.
    let narrow = |rt: &str, scope: &str| {
        json!({"grant_type": "refresh_token", "refresh_token": rt, "client_id": server.client_id(),
               "client_secret": server.client_secret(), "scope": scope})
    };
    let (status, r) = post_json(
        &server.token_endpoint(),
        &narrow(&rt, "offline_access user_profile"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(r["scope"], "offline_access user_profile");
    let (status, r) = post_json(
        &server.token_endpoint(),
        &narrow(&s(&r, "refresh_token"), "auth:user.id:read offline_access"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert_eq!(r["scope"], "auth:user.id:read offline_access");
    let rt = s(&r, "refresh_token");
    let (status, err) = post_json(&server.token_endpoint(), &narrow(&rt, "im:message")).await;
    assert_code(status, &err, 400, 20068, "invalid_scope");
    let (status, err) = post_json(
        &server.token_endpoint(),
        &narrow(&rt, "user_profile user_profile"),
    )
    .await;
    assert_code(status, &err, 400, 20067, "invalid_scope");
    // Narrowing away offline_access: the (consumed) refresh token is not replaced.
    let (status, r) = post_json(&server.token_endpoint(), &narrow(&rt, "user_profile")).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    assert!(r.get("refresh_token").is_none(), "{r}");

    let tok = feishu_login(&server, SEED_SCOPE).await;
    let rt = s(&tok, "refresh_token");
    server.expire_refresh_tokens();
    let (status, err) = feishu_refresh(&server, &rt).await;
    assert_code(status, &err, 400, 20037, "invalid_grant");

    let tok = feishu_login(&server, SEED_SCOPE).await;
    let (rt, at) = (s(&tok, "refresh_token"), s(&tok, "access_token"));
    let form = [
        ("client_id", server.client_id()),
        ("client_secret", server.client_secret()),
        ("token", rt.clone()),
        ("token_type_hint", "refresh_token".to_owned()),
    ];
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, body) = post_form(&server.revocation_endpoint().expect("revoke"), &form).await;
    assert_eq!(
        (status, body),
        (StatusCode::OK, json!({"code": 0, "msg": "success"}))
    );
    assert_eq!(server.revoked_tokens(), vec![rt.clone()]);
    let (status, err) = feishu_refresh(&server, &rt).await;
    assert_code(status, &err, 400, 20064, "invalid_grant");
    let (status, err) = status_json(get_bearer(&server.userinfo_endpoint(), &at).await).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(err["code"], 99_991_668);
    // 20024 for a refresh token of another app.
    server.add_client("cli_other0000000001", "other-secret-0123456789");
    let tok = feishu_login(&server, SEED_SCOPE).await;
    let (status, err) = post_json(
        &server.token_endpoint(),
        &json!({"grant_type": "refresh_token", "refresh_token": s(&tok, "refresh_token"),
                "client_id": "cli_other0000000001", "client_secret": "other-secret-0123456789"}),
    )
    .await;
    assert_code(status, &err, 400, 20024, "invalid_grant");
    assert_eq!(server.violations().len(), 3, "{:?}", server.violations());
}

#[tokio::test]
async fn v3_accepts_form_and_json_and_is_strict_about_pkce() {
    let server = OAuthServer::start(ServerConfig::feishu()).await;
    let v3 = server.token_endpoint_v3().expect("v3");
    let (c, v) = code(&server, SEED_SCOPE).await;
    let (status, tok) = post_form(
        &v3,
        &[
            ("grant_type", "authorization_code"),
            ("client_id", &server.client_id()),
            ("client_secret", &server.client_secret()),
            ("code", &c),
            ("redirect_uri", FEISHU_REDIRECT),
            ("code_verifier", &v),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{tok}");
    assert_eq!(tok["refresh_token_expires_in"], 604_800);
    let refresh = json!({"grant_type": "refresh_token", "refresh_token": s(&tok, "refresh_token"),
                         "client_id": server.client_id(), "client_secret": server.client_secret()});
    let (status, r) = post_json(&v3, &refresh).await;
    assert_eq!(
        (status, r["code"].as_i64()),
        (StatusCode::OK, Some(0)),
        "{r}"
    );
    server.assert_no_violations();

    // A verifier without a challenge at authorize: v3 refuses, v2 tolerates.
    let (verifier, _) = signet_testkit::pkce_pair();
    let c = server.issue_code(FEISHU_REDIRECT, None);
    let (status, err) = post_json(&v3, &feishu_code_body(&server, &c, &verifier)).await;
    assert_code(status, &err, 400, 20049, "invalid_grant");
    assert_eq!(server.violations().len(), 1);
    let (status, ok) = post_json(
        &server.token_endpoint(),
        &feishu_code_body(&server, &c, &verifier),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{ok}");
    let (status, err) = status_json(
        client()
            .post(&v3)
            .body("grant_type=x")
            .send()
            .await
            .expect("send"),
    )
    .await;
    assert_code(status, &err, 400, 20063, "invalid_request");
}

#[tokio::test]
async fn canned_codes_and_api_errors() {
    let server = OAuthServer::start(ServerConfig::feishu()).await;
    let tok = feishu_login(&server, SEED_SCOPE).await;
    let rt = s(&tok, "refresh_token");
    for (code, http, error) in [
        (20050, 500, "server_error"),
        (20072, 503, "temporarily_unavailable"),
        (20008, 400, "invalid_grant"),
        (20009, 400, "unauthorized_client"),
        (20010, 400, "invalid_grant"),
        (20066, 400, "invalid_grant"),
        (20069, 400, "unauthorized_client"),
    ] {
        server.push_fault(Fault::feishu_token_error(code));
        let (status, err) = feishu_refresh(&server, &rt).await;
        assert_code(status, &err, http, code, error);
    }
    assert_eq!(
        server.token_state(&rt),
        Some(TokenState::Live),
        "canned answers are not processed"
    );
    server.push_fault(Fault::InvalidGrant);
    let (status, err) = feishu_refresh(&server, &rt).await;
    assert_code(status, &err, 400, 20026, "invalid_grant");

    let at = s(&tok, "access_token");
    server.push_api_fault(Fault::TooManyRequests {
        retry_after_secs: 2,
    });
    let resp = get_bearer(&server.userinfo_endpoint(), &at).await;
    assert_eq!(resp.headers()["retry-after"], "2");
    assert_eq!(resp.headers()["x-ogw-ratelimit-reset"], "2");
    let (status, body) = status_json(resp).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        body,
        json!({"code": 99_991_400, "msg": "request trigger frequency limit"})
    );
    server.expire_access_tokens();
    let (status, body) = status_json(get_bearer(&server.userinfo_endpoint(), &at).await).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        body,
        json!({"code": 99_991_677, "msg": "Authentication token expired."})
    );
    let (status, body) =
        status_json(get_bearer(&server.userinfo_endpoint(), "u-bogus").await).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        body,
        json!({"code": 99_991_668, "msg": "Invalid access token for authorization. Please make a request with token attached."})
    );
    server.assert_no_violations();
    let minted = server.mint_tokens(&server.user());
    assert!(
        !minted.refresh_token.is_empty(),
        "default scopes include offline_access"
    );
    let (status, _) = feishu_refresh(&server, &minted.refresh_token).await;
    assert_eq!(status, StatusCode::OK);
}
