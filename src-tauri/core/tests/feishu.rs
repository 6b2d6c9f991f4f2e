//! Feishu / Lark against a server speaking the token document's protocol: JSON token API (v2, v3), single-use refresh tokens, every error code, profile, IM messages and chats.

mod common;

use common::{harness, Setup};
use signet_core::views::Recipient;
use signet_core::{ErrorCode, Status};
use signet_testkit::{Dialect, Fault, User};

const TOKEN_V2: &str = "/open-apis/authen/v2/oauth/token";

fn to(kind: &str, id: &str) -> Recipient {
    Recipient {
        kind: kind.into(),
        id: id.into(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_follows_the_document_field_by_field() {
    let h = harness(Setup::feishu()).await;
    let a = h.sign_in().await;

    let auth = h
        .server
        .requests_to("/open-apis/authen/v1/authorize")
        .pop()
        .expect("authorize");
    assert_eq!(
        auth.query_value("client_id"),
        Some(h.server.client_id().as_str())
    );
    assert_eq!(auth.query_value("response_type"), Some("code"));
    let redirect = auth.query_value("redirect_uri").expect("redirect_uri");
    assert!(redirect.starts_with("http://127.0.0.1:") && redirect.ends_with("/callback/feishu"));
    let scope: Vec<&str> = auth
        .query_value("scope")
        .expect("scope")
        .split(' ')
        .collect();
    for s in [
        "offline_access",
        "im:message",
        "im:message.send_as_user",
        "im:chat:readonly",
    ] {
        assert!(scope.contains(&s), "{s} in {scope:?}");
    }
    assert_eq!(auth.query_value("code_challenge_method"), Some("S256"));
    assert!(auth.query_value("state").is_some_and(|s| s.len() >= 32));

    let t = h.server.requests_to(TOKEN_V2).pop().expect("token request");
    assert_eq!(t.method, "POST");
    assert_eq!(
        t.header("content-type"),
        Some("application/json; charset=utf-8"),
        "the document's fixed Content-Type"
    );
    assert_eq!(
        t.authorization, None,
        "secret in the body only (20070 otherwise)"
    );
    let body = t.json.clone().expect("JSON body");
    let mut keys: Vec<&str> = body
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "client_id",
            "client_secret",
            "code",
            "code_verifier",
            "grant_type",
            "redirect_uri"
        ]
    );
    assert_eq!(body["grant_type"], "authorization_code");
    assert_eq!(body["client_id"], h.server.client_id());
    assert_eq!(body["client_secret"], h.server.client_secret());
    assert_eq!(body["redirect_uri"], redirect);
    let verifier = body["code_verifier"].as_str().expect("verifier");
    assert!((43..=128).contains(&verifier.len()));
    assert!(verifier
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "-._~".contains(c)));

    let info = h
        .server
        .requests_to("/open-apis/authen/v1/user_info")
        .pop()
        .expect("user_info");
    assert!(info
        .authorization
        .as_deref()
        .is_some_and(|v| v.starts_with("Bearer ")));

    let user = User::default_for(Dialect::Feishu);
    assert_eq!(a.display_name, "张三");
    assert_eq!(a.profile["enName"], "Zhang San");
    assert_eq!(a.profile["openId"], user.sub.as_str());
    assert_eq!(
        a.profile["unionId"],
        user.union_id.clone().expect("union_id").as_str()
    );
    assert_eq!(
        a.profile["tenantKey"],
        user.tenant_key.clone().expect("tenant").as_str()
    );
    assert_eq!(a.profile["brand"], "feishu");
    // 7-day refresh token: the account is refreshed well before it runs out.
    let now = h.engine.now();
    let rt_ends = a.refresh_expires_at.expect("refresh expiry");
    assert!((rt_ends - now - 604_800_000).abs() < 5_000);
    assert!(a.next_refresh_at.expect("due") < rt_ends);
    h.server.assert_no_violations();
    h.assert_no_secret_leaked();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_v3_token_endpoint_is_one_setting_away() {
    let h = harness(Setup::feishu()).await;
    let path = h.dir.path().join("config.toml");
    let text = std::fs::read_to_string(&path).expect("config");
    let text = text.replace(
        "kind = \"feishu\"",
        "kind = \"feishu\"\ntoken_version = \"v3\"",
    );
    std::fs::write(&path, &text).expect("write");
    let config = signet_core::Config::load(&path).expect("config");
    let opts = signet_core::EngineOptions::new(
        config,
        h.dir.path().join("data3"),
        signet_core::Vault::new(std::sync::Arc::new(
            signet_core::vault::MemoryBackend::default(),
        )),
    );
    let engine = signet_core::Engine::open(opts).await.expect("engine");
    engine
        .set_client_secret(
            "feishu",
            &signet_core::Secret::new(h.server.client_secret()),
        )
        .await
        .expect("secret");
    let start = engine.begin_sign_in("feishu", None).await.expect("begin");
    let cb = h
        .server
        .authorize(start.authorize_url.as_str())
        .await
        .expect("authorize");
    reqwest::get(&cb).await.expect("loopback");
    let a = start.waiter.wait().await.expect("signed in through v3");
    assert_eq!(h.server.requests_to("/oauth/v3/token").len(), 1);
    assert!(h.server.requests_to(TOKEN_V2).is_empty());
    engine
        .refresh(a.id, true)
        .await
        .expect("refresh through v3");
    assert_eq!(h.server.requests_to("/oauth/v3/token").len(), 2);
    h.server.assert_no_violations();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lark_is_one_setting_away() {
    let text = "[[providers]]\nname = \"lark\"\nkind = \"feishu\"\nbrand = \"lark\"\nclient_id = \"cli_a5ca35a685b0x26e\"\nredirect = \"deep-link\"\n";
    let config = signet_core::Config::parse(text, std::path::Path::new("c.toml")).expect("valid");
    let dir = tempfile::tempdir().expect("dir");
    let engine = signet_core::Engine::open(signet_core::EngineOptions::new(
        config,
        dir.path().to_owned(),
        signet_core::Vault::new(std::sync::Arc::new(
            signet_core::vault::MemoryBackend::default(),
        )),
    ))
    .await
    .expect("engine");
    engine
        .set_client_secret("lark", &signet_core::Secret::new("s3cret-lark"))
        .await
        .expect("secret");
    let start = engine.begin_sign_in("lark", None).await.expect("begin");
    assert!(
        start
            .authorize_url
            .as_str()
            .starts_with("https://accounts.larksuite.com/open-apis/authen/v1/authorize?"),
        "{}",
        start.authorize_url
    );
    assert_eq!(start.redirect_uri, "signet://oauth/callback/lark");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn single_use_refresh_tokens_rotate_and_are_never_reused() {
    let h = harness(Setup::feishu()).await;
    let a = h.sign_in().await;
    let mut seen = std::collections::HashSet::new();
    for _ in 0..5 {
        h.engine.refresh(a.id, true).await.expect("refresh");
    }
    let refreshes: Vec<_> = h
        .server
        .requests_to(TOKEN_V2)
        .into_iter()
        .filter(|r| {
            r.json
                .as_ref()
                .is_some_and(|j| j["grant_type"] == "refresh_token")
        })
        .collect();
    assert_eq!(refreshes.len(), 5);
    for r in &refreshes {
        let j = r.json.clone().expect("json");
        let mut keys: Vec<&str> = j
            .as_object()
            .expect("obj")
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            ["client_id", "client_secret", "grant_type", "refresh_token"]
        );
        assert!(
            seen.insert(j["refresh_token"].as_str().expect("rt").to_owned()),
            "a refresh token was sent twice"
        );
    }
    assert_eq!(
        h.engine.account(a.id).await.expect("account").status,
        Status::Fresh
    );
    h.server.assert_no_violations();
}

/// Every code of the token document's table, answered to a refresh with the document's status.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_documented_error_code_drives_the_right_status_and_sentence() {
    let table: &[(u16, i64, &str, Status)] = &[
        (400, 20001, "invalid_request", Status::Setup),
        (400, 20002, "invalid_client", Status::Setup),
        (400, 20003, "invalid_grant", Status::Reauth),
        (400, 20004, "invalid_grant", Status::Reauth),
        (400, 20008, "invalid_grant", Status::Reauth),
        (400, 20009, "invalid_client", Status::Setup),
        (400, 20010, "invalid_grant", Status::Reauth),
        (400, 20024, "invalid_grant", Status::Setup),
        (400, 20036, "unsupported_grant_type", Status::Setup),
        (400, 20048, "invalid_client", Status::Setup),
        (400, 20049, "invalid_grant", Status::Reauth),
        (500, 20050, "server_error", Status::Retrying),
        (400, 20063, "invalid_request", Status::Setup),
        (400, 20065, "invalid_grant", Status::Reauth),
        (400, 20066, "invalid_grant", Status::Reauth),
        (400, 20067, "invalid_scope", Status::Setup),
        (400, 20068, "invalid_scope", Status::Reauth),
        (400, 20069, "invalid_client", Status::Setup),
        (400, 20070, "invalid_client", Status::Setup),
        (400, 20071, "invalid_grant", Status::Setup),
        (503, 20072, "temporarily_unavailable", Status::Retrying),
        // Refresh-token codes (not in the table, returned by the same endpoint).
        (400, 20026, "invalid_grant", Status::Reauth),
        (400, 20037, "invalid_grant", Status::Reauth),
        (400, 20064, "invalid_grant", Status::Reauth),
        (400, 20073, "invalid_grant", Status::Reauth),
    ];
    let h = harness(Setup::feishu()).await;
    let a = h.sign_in().await;
    for (status, code, error, expect) in table {
        // Put the account back to fresh by a good refresh, then answer the next with the code.
        h.engine.refresh(a.id, true).await.expect("good refresh");
        h.server.push_fault(Fault::Respond {
            status: *status,
            content_type: "application/json; charset=utf-8".into(),
            body:
                serde_json::json!({"code": code, "error": error, "error_description": "documented"})
                    .to_string(),
        });
        let e = h.engine.refresh(a.id, true).await.expect_err("error code");
        let v = h.engine.account(a.id).await.expect("account");
        assert_eq!(v.status, *expect, "code {code}: {}", e.message);
        assert_eq!(
            v.status_code.as_deref(),
            Some(format!("feishu_{code}").as_str())
        );
        assert!(
            e.message.contains(&code.to_string()),
            "{code}: {}",
            e.message
        );
        if *expect == Status::Reauth || *expect == Status::Setup {
            // Put it back in service for the next row (a person would sign in / fix settings).
            h.engine
                .store()
                .set_status(a.id, Status::Fresh, h.engine.now())
                .await
                .expect("reset");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn natural_errors_from_the_server_are_named() {
    let h = harness(Setup::feishu()).await;
    h.engine
        .set_client_secret("feishu", &signet_core::Secret::new("wrong-app-secret"))
        .await
        .expect("set");
    let e = h.try_sign_in(None).await.expect_err("20002");
    assert_eq!(e.code, ErrorCode::SetupProblem);
    assert!(
        e.message.contains("20002") && e.message.contains("App Secret"),
        "{}",
        e.message
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_go_out_as_the_user_by_every_recipient_kind() {
    let h = harness(Setup::feishu()).await;
    let a = h.sign_in().await;
    let chat = h.server.add_chat("Project room");
    let chats = h.engine.chat_list(a.id).await.expect("list chats");
    assert!(chats
        .iter()
        .any(|c| c.id == chat && c.name == "Project room" && c.recipient_kind == "chat_id"));
    let list_req = h
        .server
        .requests_to("/open-apis/im/v1/chats")
        .pop()
        .expect("list request");
    assert_eq!(list_req.query_value("user_id_type"), Some("open_id"));

    let user = User::default_for(Dialect::Feishu);
    for (kind, id) in [
        ("open_id", user.sub.clone()),
        ("email", "zhangsan@example.com".to_owned()),
        ("chat_id", chat.clone()),
    ] {
        let sent = h
            .engine
            .chat_send(a.id, &to(kind, &id), "你好 from Signet")
            .await
            .unwrap_or_else(|e| panic!("{kind}: {}", e.message));
        assert!(sent.message_id.starts_with("om_"), "{}", sent.message_id);
        let r = h
            .server
            .requests_to("/open-apis/im/v1/messages")
            .pop()
            .expect("request");
        assert_eq!(r.query_value("receive_id_type"), Some(kind));
        let body = r.json.expect("json body");
        assert_eq!(body["receive_id"], id.as_str());
        assert_eq!(body["msg_type"], "text");
        // content is a JSON-encoded string, not an object.
        let content = body["content"].as_str().expect("content is a string");
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(content).expect("json in string"),
            serde_json::json!({"text": "你好 from Signet"})
        );
    }
    let e = h
        .engine
        .chat_send(a.id, &to("phone", "1"), "x")
        .await
        .expect_err("bad kind");
    assert_eq!(e.code, ErrorCode::ActionRefused);
    let e = h
        .engine
        .chat_send(a.id, &to("chat_id", "oc_notamember"), "x")
        .await
        .expect_err("not in chat");
    assert_eq!(e.code, ErrorCode::ActionRefused);
    assert!(e.message.contains("230002"), "{}", e.message);
    h.server.assert_no_violations();
    h.assert_no_secret_leaked();
}

/// Without `offline_access` enabled for the app, Feishu issues no refresh token (the seed, 002).
/// Signing in again never helps: the app's owner must enable it, and Signet says where.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_refresh_token_without_offline_access_is_a_setup_problem_naming_the_console() {
    let h = harness(Setup::feishu()).await;
    h.server
        .set_granted_scopes(Some(vec!["im:chat:readonly".into()]));
    let e = h.try_sign_in(None).await.expect_err("no refresh token");
    assert_eq!(e.code, ErrorCode::SetupProblem, "{}", e.message);
    assert!(
        e.message.contains("offline_access") && e.message.contains("开发者后台"),
        "{}",
        e.message
    );
    assert!(
        h.engine.list().await.expect("list").is_empty(),
        "nothing added"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_im_permission_asks_for_consent_instead_of_failing() {
    let h = harness(Setup::feishu()).await;
    h.server.set_granted_scopes(Some(vec![
        "offline_access".into(),
        "im:chat:readonly".into(),
    ]));
    let a = h.sign_in().await;
    let d = h.engine.detail(a.id).await.expect("detail");
    assert_eq!(d.missing_scopes, ["im:message", "im:message.send_as_user"]);
    let e = h
        .engine
        .chat_send(a.id, &to("open_id", "ou_x"), "hi")
        .await
        .expect_err("missing scope");
    assert_eq!(e.code, ErrorCode::ScopeMissing);
    // The server's own answer for a missing permission (99991679) means the same.
    h.server.push_api_fault(Fault::Respond {
        status: 400,
        content_type: "application/json".into(),
        body: serde_json::json!({"code": 99991679, "msg": "Unauthorized. required one of these privileges under the user identity: [im:chat:readonly]"}).to_string(),
    });
    let e = h.engine.chat_list(a.id).await.expect_err("99991679");
    assert_eq!(e.code, ErrorCode::ScopeMissing);
    // Real Feishu sends the same error with an empty `data` too: the code still decides, on
    // every API call (the chat list and the profile read the envelope alike).
    for _ in 0..2 {
        h.server.push_api_fault(Fault::Respond {
            status: 400,
            content_type: "application/json".into(),
            body: serde_json::json!({"code": 99991679, "msg": "Unauthorized.", "data": {}})
                .to_string(),
        });
    }
    let e = h
        .engine
        .chat_list(a.id)
        .await
        .expect_err("99991679 with data");
    assert_eq!(e.code, ErrorCode::ScopeMissing, "{}", e.message);
    let e = h
        .engine
        .sync_profile(a.id)
        .await
        .expect_err("99991679 with data on user_info");
    assert_eq!(e.code, ErrorCode::ScopeMissing, "{}", e.message);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_access_token_on_user_info_is_refreshed_once() {
    let h = harness(Setup::feishu()).await;
    let a = h.sign_in().await;
    h.server.expire_access_tokens();
    let before = h.server.refresh_requests();
    let v = h
        .engine
        .sync_profile(a.id)
        .await
        .expect("profile after one refresh");
    assert_eq!(v.display_name, "张三");
    assert_eq!(h.server.refresh_requests(), before + 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_in_again_as_another_feishu_user_is_refused_naming_both() {
    let h = harness(Setup::feishu()).await;
    let a = h.sign_in().await;
    let mut li = User::new(
        "ou_84aad35d084aa403a838cf73ee18467",
        "李四",
        "lisi@example.com",
    );
    li.tenant_key = User::default_for(Dialect::Feishu).tenant_key;
    h.server.set_user(li);
    let e = h.try_sign_in(Some(a.id)).await.expect_err("different user");
    assert_eq!(e.code, ErrorCode::SubjectMismatch);
    assert!(
        e.message.contains("李四") && e.message.contains("张三"),
        "{}",
        e.message
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn removing_revokes_at_the_accounts_domain() {
    let h = harness(Setup::feishu()).await;
    let a = h.sign_in().await;
    assert!(h.engine.remove(a.id).await.expect("remove").revoked());
    let r = h
        .server
        .requests_to("/oauth/v1/revoke")
        .pop()
        .expect("revoke");
    assert_eq!(
        r.form_value("client_id"),
        Some(h.server.client_id().as_str())
    );
    assert_eq!(r.form_value("token_type_hint"), Some("refresh_token"));
    assert!(r.form_value("client_secret").is_some() && r.form_value("token").is_some());
}
