//! Google against a server speaking Google's documented protocol: loopback sign-in, refresh without rotation, the 7-day "Testing" rule, consent, Chat actions, missing scopes, revocation.

mod common;

use common::{harness, param, Harness, Setup};
use signet_core::views::Recipient;
use signet_core::{ErrorCode, Status};
use signet_testkit::{Fault, ServerConfig, User};

const CHAT_SCOPES: [&str; 3] = [
    "https://www.googleapis.com/auth/chat.spaces.create",
    "https://www.googleapis.com/auth/chat.spaces.readonly",
    "https://www.googleapis.com/auth/chat.messages.create",
];

fn space(id: &str) -> Recipient {
    Recipient {
        kind: "space".into(),
        id: id.into(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_sends_exactly_what_a_desktop_client_must() {
    let h = harness(Setup::google()).await;
    let a = h.sign_in().await;

    let auth = h.server.requests_to("/o/oauth2/v2/auth");
    assert_eq!(auth.len(), 1);
    let q = &auth[0];
    assert_eq!(q.method, "GET");
    assert_eq!(
        q.query_value("client_id"),
        Some(h.server.client_id().as_str())
    );
    assert_eq!(q.query_value("response_type"), Some("code"));
    let redirect = q.query_value("redirect_uri").expect("redirect_uri");
    assert!(
        redirect.starts_with("http://127.0.0.1:") && redirect.ends_with("/callback/google"),
        "Desktop clients redirect to a loopback IP literal: {redirect}"
    );
    let scopes: Vec<&str> = q.query_value("scope").expect("scope").split(' ').collect();
    for s in ["openid", "email", "profile"]
        .iter()
        .chain(CHAT_SCOPES.iter())
    {
        assert!(scopes.contains(s), "scope {s} requested: {scopes:?}");
    }
    assert_eq!(q.query_value("code_challenge_method"), Some("S256"));
    assert_eq!(q.query_value("code_challenge").map(str::len), Some(43));
    assert_eq!(q.query_value("access_type"), Some("offline"));
    assert_eq!(q.query_value("include_granted_scopes"), Some("true"));
    assert_eq!(
        q.query_value("prompt"),
        None,
        "no forced consent on a first sign-in"
    );
    assert!(q.query_value("state").is_some_and(|s| s.len() >= 32));
    assert!(q.query_value("nonce").is_some_and(|s| s.len() >= 32));

    let token = h.server.requests_to("/token");
    assert_eq!(token.len(), 1);
    let t = &token[0];
    assert_eq!(t.method, "POST");
    assert_eq!(
        t.content_type.as_deref(),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(
        t.authorization, None,
        "secret in the body only, never also as Basic"
    );
    assert_eq!(t.form_value("grant_type"), Some("authorization_code"));
    assert_eq!(
        t.form_value("client_id"),
        Some(h.server.client_id().as_str())
    );
    assert_eq!(
        t.form_value("client_secret"),
        Some(h.server.client_secret().as_str()),
        "Google requires the secret even with PKCE"
    );
    assert_eq!(t.form_value("redirect_uri"), Some(redirect));
    assert_eq!(t.form_value("code_verifier").map(str::len), Some(43));

    let info = h.server.requests_to("/v1/userinfo");
    assert_eq!(info.len(), 1);
    assert!(info[0]
        .authorization
        .as_deref()
        .is_some_and(|a| a.starts_with("Bearer ")));

    // What the account view shows.
    let user = User::default_for(signet_testkit::Dialect::Google);
    assert_eq!(a.display_name, user.name);
    assert_eq!(a.email.as_deref(), Some(user.email.as_str()));
    assert_eq!(a.avatar_url, user.picture);
    assert_eq!(a.profile["domain"], "example.com");
    assert_eq!(a.profile["emailVerified"], true);
    assert_eq!(a.status, Status::Fresh);
    let detail = h.engine.detail(a.id).await.expect("detail");
    assert!(detail.chat.create_space && detail.chat.send && detail.chat.list);
    assert!(detail.missing_scopes.is_empty());
    assert!(detail.can_revoke);
    h.server.assert_no_violations();
    h.assert_no_secret_leaked();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_custom_scheme_redirect_is_refused_in_the_configuration() {
    let h = harness(Setup::google()).await;
    let text = common::config_text(&h.server, "g2", "deep-link")
        .replace("api_base", "redirect = \"deep-link\"\napi_base");
    let e = signet_core::Config::parse(&text, std::path::Path::new("config.toml"))
        .expect_err("deep link refused");
    assert!(e.message.contains("custom-scheme"), "{}", e.message);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refresh_keeps_the_refresh_token_google_does_not_rotate() {
    let h = harness(Setup::google()).await;
    let a = h.sign_in().await;
    h.clock.advance_secs(3600);
    for _ in 0..3 {
        h.engine.refresh(a.id, true).await.expect("refresh");
    }
    let refreshes: Vec<_> = h
        .server
        .requests_to("/token")
        .into_iter()
        .filter(|r| r.form_value("grant_type") == Some("refresh_token"))
        .collect();
    assert_eq!(refreshes.len(), 3);
    let first_rt = refreshes[0].form_value("refresh_token").map(str::to_owned);
    for r in &refreshes {
        assert_eq!(
            r.form_value("client_id"),
            Some(h.server.client_id().as_str())
        );
        assert_eq!(
            r.form_value("client_secret"),
            Some(h.server.client_secret().as_str())
        );
        assert_eq!(
            r.form_value("refresh_token").map(str::to_owned),
            first_rt,
            "same token reused"
        );
    }
    assert_eq!(
        h.engine.account(a.id).await.expect("account").status,
        Status::Fresh
    );
    h.server.assert_no_violations();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_grant_a_week_after_consent_explains_the_testing_rule() {
    let h = harness(Setup::google()).await;
    let a = h.sign_in().await;
    h.server.revoke_all();
    h.clock.advance_secs(7 * 86_400 + 3600);
    let e = h
        .engine
        .refresh(a.id, true)
        .await
        .expect_err("invalid_grant");
    assert_eq!(e.code, ErrorCode::ReauthRequired);
    assert!(e.message.contains("Testing"), "{}", e.message);
    assert!(
        e.message.contains("Publish") || e.message.contains("Internal"),
        "{}",
        e.message
    );
    let v = h.engine.account(a.id).await.expect("account");
    assert_eq!(v.status, Status::Reauth);
    assert_eq!(v.status_message.as_deref(), Some(e.message.as_str()));

    // Two days after consent, the same error is the ordinary "expired or revoked".
    let h = harness(Setup::google()).await;
    let a = h.sign_in().await;
    h.server.revoke_all();
    h.clock.advance_secs(2 * 86_400);
    let e = h
        .engine
        .refresh(a.id, true)
        .await
        .expect_err("invalid_grant");
    assert!(!e.message.contains("Testing"), "{}", e.message);
    assert!(e.message.contains("Sign in again"), "{}", e.message);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_refresh_token_leads_to_a_consent_prompt_next_time() {
    let h = harness(Setup {
        server: ServerConfig {
            omit_refresh_token_on_repeat_consent: true,
            ..ServerConfig::google()
        },
        ..Setup::google()
    })
    .await;
    let first = h.sign_in().await;
    // Signet forgets the account (say, a new computer) while Google remembers the consent.
    h.engine
        .store()
        .delete(first.id)
        .await
        .expect("forget locally");
    // Consent was given before, so Google answers without a refresh token.
    let start = h.engine.begin_sign_in("google", None).await.expect("begin");
    let cb = h
        .server
        .authorize(start.authorize_url.as_str())
        .await
        .expect("authorize");
    h.deliver(&cb).await;
    let e = start
        .waiter
        .wait()
        .await
        .expect_err("refused without refresh token");
    assert_eq!(e.code, ErrorCode::ReauthRequired);
    assert!(e.message.contains("consent"), "{}", e.message);
    assert!(
        h.engine.list().await.expect("list").is_empty(),
        "nothing half-added"
    );

    // The next sign-in asks for consent, and gets a refresh token — also when it is made by
    // another process (signetctl), which never saw the refusal.
    let other = h.another_process().await;
    let start = other.begin_sign_in("google", None).await.expect("begin");
    let again = h.finish(start).await.1.expect("signed in with consent");
    let last = h
        .server
        .requests_to("/o/oauth2/v2/auth")
        .pop()
        .expect("authorize");
    assert_eq!(last.query_value("prompt"), Some("consent"));
    assert_eq!(again.status, Status::Fresh);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chat_create_list_and_send_send_the_documented_requests() {
    let h = harness(Setup::google()).await;
    let a = h.sign_in().await;

    let made = h
        .engine
        .chat_create_space(a.id, "API-made")
        .await
        .expect("create space");
    assert_eq!(made.name, "API-made");
    assert!(made.id.starts_with("spaces/"), "{}", made.id);
    let create = h
        .server
        .requests_to("/v1/spaces")
        .into_iter()
        .find(|r| r.method == "POST")
        .expect("create request");
    assert_eq!(
        create.json,
        Some(serde_json::json!({"spaceType": "SPACE", "displayName": "API-made"})),
        "the document's request body"
    );
    assert!(create
        .content_type
        .as_deref()
        .is_some_and(|c| c.starts_with("application/json")));
    assert!(create
        .query_value("requestId")
        .is_some_and(|r| r.len() == 36));
    assert!(create
        .authorization
        .as_deref()
        .is_some_and(|v| v.starts_with("Bearer ")));

    let list = h.engine.chat_list(a.id).await.expect("list");
    assert!(list.iter().any(|t| t.id == made.id && t.name == "API-made"));
    let get = h
        .server
        .requests_to("/v1/spaces")
        .into_iter()
        .find(|r| r.method == "GET")
        .expect("list request");
    assert_eq!(get.query_value("pageSize"), Some("100"));

    let sent = h
        .engine
        .chat_send(a.id, &space(&made.id), "Hello from Signet")
        .await
        .expect("send");
    assert!(sent
        .message_id
        .starts_with(&format!("{}/messages/", made.id)));
    assert_eq!(sent.to, made.id);
    let msgs = h.server.sent_messages();
    assert_eq!(msgs.len(), 1);
    assert_eq!(msgs[0].text, "Hello from Signet");
    let post = h
        .server
        .requests_to(&format!("/v1/{}/messages", made.id))
        .pop()
        .expect("message request");
    assert_eq!(
        post.json,
        Some(serde_json::json!({"text": "Hello from Signet"}))
    );

    // The activity log names where it went, never the text.
    let activity = h.engine.activity(20).await.expect("activity");
    assert!(activity
        .iter()
        .any(|e| e.kind == "send_message" && e.outcome == "ok"));
    assert!(!activity.iter().any(|e| e
        .message
        .as_deref()
        .is_some_and(|m| m.contains("Hello from Signet"))));
    h.server.assert_no_violations();
    h.assert_no_secret_leaked();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chat_errors_say_what_happened_and_leave_the_account_fine() {
    let h = harness(Setup::google()).await;
    let a = h.sign_in().await;
    h.engine
        .chat_create_space(a.id, "Team")
        .await
        .expect("first");
    let e = h
        .engine
        .chat_create_space(a.id, "Team")
        .await
        .expect_err("taken");
    assert_eq!(e.code, ErrorCode::ActionRefused);
    assert!(e.message.contains("already exists"), "{}", e.message);

    let e = h
        .engine
        .chat_send(a.id, &space("spaces/UNKNOWN1"), "hi")
        .await
        .expect_err("unknown space");
    assert_eq!(e.code, ErrorCode::ActionRefused);

    let e = h
        .engine
        .chat_send(a.id, &space("spaces/x"), &"a".repeat(32_001))
        .await
        .expect_err("too long");
    assert_eq!(e.code, ErrorCode::ActionRefused);
    assert!(e.message.contains("32,000"), "{}", e.message);

    h.server.push_api_fault(Fault::TooManyRequests {
        retry_after_secs: 30,
    });
    let e = h.engine.chat_list(a.id).await.expect_err("429");
    assert_eq!(e.code, ErrorCode::Temporary);

    assert_eq!(
        h.engine.account(a.id).await.expect("account").status,
        Status::Fresh
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_access_token_is_refreshed_once_and_the_action_retried() {
    let h = harness(Setup::google()).await;
    let a = h.sign_in().await;
    let space_id = h.server.add_space("Existing");
    h.server.expire_access_tokens();
    let before = h.server.refresh_requests();
    let sent = h
        .engine
        .chat_send(a.id, &space(&space_id), "after 401")
        .await
        .expect("retried after one refresh");
    assert_eq!(sent.to, space_id);
    assert_eq!(h.server.refresh_requests(), before + 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_chat_scopes_ask_for_incremental_consent() {
    let h = harness(Setup::google()).await;
    // The person unticks "send messages" and "create spaces" on the consent screen.
    h.server.set_granted_scopes(Some(vec![
        "openid".into(),
        "email".into(),
        "profile".into(),
        CHAT_SCOPES[1].into(),
    ]));
    let a = h.sign_in().await;
    let detail = h.engine.detail(a.id).await.expect("detail");
    assert_eq!(
        detail.missing_scopes,
        vec![CHAT_SCOPES[0].to_owned(), CHAT_SCOPES[2].to_owned()]
    );
    let sends_before = h.server.requests().len();
    let e = h
        .engine
        .chat_send(a.id, &space("spaces/AAAA"), "hi")
        .await
        .expect_err("missing scope");
    assert_eq!(e.code, ErrorCode::ScopeMissing);
    assert!(e.message.contains("chat.messages.create"), "{}", e.message);
    assert!(e.message.contains("Grant access"), "{}", e.message);
    assert_eq!(
        h.server.requests().len(),
        sends_before,
        "nothing sent that would fail"
    );
    assert_eq!(
        h.engine.account(a.id).await.expect("account").status,
        Status::Fresh
    );

    // "Grant access": sign in again to the same account, everything granted this time.
    h.server.set_granted_scopes(None);
    let start = h
        .engine
        .begin_sign_in("google", Some(a.id))
        .await
        .expect("begin");
    assert_eq!(
        param(start.authorize_url.as_str(), "login_hint").as_deref(),
        a.email.as_deref()
    );
    assert_eq!(
        param(start.authorize_url.as_str(), "include_granted_scopes").as_deref(),
        Some("true")
    );
    let cb = h
        .server
        .authorize(start.authorize_url.as_str())
        .await
        .expect("authorize");
    h.deliver(&cb).await;
    let again = start.waiter.wait().await.expect("re-consent");
    assert_eq!(again.id, a.id);
    assert!(h
        .engine
        .detail(a.id)
        .await
        .expect("detail")
        .missing_scopes
        .is_empty());
    let space_id = h.server.add_space("Now allowed");
    h.engine
        .chat_send(a.id, &space(&space_id), "hi")
        .await
        .expect("send after consent");

    // A 403 for insufficient scopes from the API itself is the same "Grant access" case.
    h.server.push_api_fault(Fault::Respond {
        status: 403,
        content_type: "application/json".into(),
        body: serde_json::json!({"error": {"code": 403, "message": "Request had insufficient authentication scopes.", "status": "PERMISSION_DENIED", "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "ACCESS_TOKEN_SCOPE_INSUFFICIENT"}]}}).to_string(),
    });
    let e = h.engine.chat_list(a.id).await.expect_err("403");
    assert_eq!(e.code, ErrorCode::ScopeMissing);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_in_again_as_another_google_user_is_refused_naming_both() {
    let h = harness(Setup::google()).await;
    let a = h.sign_in().await;
    let mut bob = User::new("209876543210987654321", "Bob Other", "bob@example.org");
    bob.hd = None;
    h.server.set_user(bob);
    let e = h.try_sign_in(Some(a.id)).await.expect_err("different user");
    assert_eq!(e.code, ErrorCode::SubjectMismatch);
    assert!(e.message.contains("bob@example.org"), "{}", e.message);
    assert!(e.message.contains("alice@example.com"), "{}", e.message);
    assert_eq!(h.engine.list().await.expect("list").len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn removing_revokes_the_grant_at_google() {
    let h: Harness = harness(Setup::google()).await;
    let a = h.sign_in().await;
    let revoked = h.engine.remove(a.id).await.expect("remove").revoked();
    assert!(revoked);
    let r = h
        .server
        .requests_to("/revoke")
        .pop()
        .expect("revoke request");
    assert_eq!(r.method, "POST");
    assert!(r.form_value("token").is_some());
    assert_eq!(h.server.revoked_tokens().len(), 1);
    assert!(h.engine.list().await.expect("list").is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_client_secret_is_a_setup_problem_with_the_fix() {
    let h = harness(Setup::google()).await;
    h.engine
        .set_client_secret("google", &signet_core::Secret::new("not-the-secret"))
        .await
        .expect("set");
    let e = h.try_sign_in(None).await.expect_err("invalid_client");
    assert_eq!(e.code, ErrorCode::SetupProblem);
    assert!(e.message.contains("client id or secret"), "{}", e.message);
}
