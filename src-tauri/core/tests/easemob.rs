//! Easemob IM against a server speaking its REST protocol: accounts by password or app credentials, ttl (0 = permanent, VIP5 milliseconds), re-issue before expiry, profile, messages, errors.

mod common;

use common::{harness, Harness, Setup};
use signet_core::provider::DirectSignIn;
use signet_core::views::{EasemobAccount, Recipient};
use signet_core::{ErrorCode, Secret, Status};
use signet_testkit::{Fault, ServerConfig};

fn token_path(h: &Harness) -> String {
    format!(
        "/{}/{}/token",
        h.server.easemob_org(),
        h.server.easemob_app()
    )
}

fn form(h: &Harness, user: &str) -> EasemobAccount {
    EasemobAccount {
        host: h.server.base_url(),
        org_name: h.server.easemob_org(),
        app_name: h.server.easemob_app(),
        username: user.into(),
        ..Default::default()
    }
}

/// A harness whose provider has no app credentials (password grant only).
async fn password_only() -> Harness {
    let h = harness(Setup::easemob()).await;
    h.engine
        .vault()
        .delete_client_secret("im")
        .await
        .expect("forget app secret");
    h
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_account_added_with_a_password_sends_the_documented_request() {
    let h = harness(Setup::easemob()).await;
    let a = h
        .engine
        .add_easemob_account(&EasemobAccount {
            password: Some("1".into()),
            ..form(&h, "c")
        })
        .await
        .expect("added");
    let t = h
        .server
        .requests_to(&token_path(&h))
        .into_iter()
        .find(|r| {
            r.json
                .as_ref()
                .is_some_and(|j| j["grant_type"] == "password")
        })
        .expect("password grant");
    assert_eq!(t.method, "POST");
    assert_eq!(t.header("content-type"), Some("application/json"));
    assert_eq!(t.header("accept"), Some("application/json"));
    assert_eq!(t.authorization, None);
    assert_eq!(
        t.json,
        Some(serde_json::json!({"grant_type": "password", "username": "c", "password": "1"}))
    );
    // The profile comes from the token response's `user` object (and the users API, since
    // this provider has app credentials).
    assert_eq!(a.profile["username"], "c");
    assert_eq!(a.profile["activated"], true);
    assert!(a.profile["uuid"]
        .as_str()
        .is_some_and(|u| u.starts_with("aa471ee0")));
    assert_eq!(a.display_name, "Cici", "nickname from the users API");
    assert_eq!(
        a.profile["appKey"],
        format!("{}#{}", h.server.easemob_org(), h.server.easemob_app())
    );
    // 60 days by default: due well before.
    let now = h.engine.now();
    let expires = a.access_expires_at.expect("expiry");
    assert!((expires - now - 5_184_000_000).abs() < 5_000);
    assert_eq!(a.status, Status::Fresh);
    let d = h.engine.detail(a.id).await.expect("detail");
    assert!(d.direct && d.chat.send && d.chat.unavailable.is_none());
    // A re-issue keeps the users API's profile: still "Cici", not the user ID.
    h.engine.refresh(a.id, true).await.expect("re-issue");
    let v = h.engine.account(a.id).await.expect("account");
    assert_eq!(v.display_name, "Cici", "nickname kept after a re-issue");
    assert_eq!(v.profile["nickname"], "Cici");
    h.server.assert_no_violations();
    h.assert_no_secret_leaked();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn app_credentials_alone_use_the_inherit_grant_with_the_app_token() {
    let h = harness(Setup::easemob()).await;
    let a = h
        .engine
        .add_easemob_account(&form(&h, "c"))
        .await
        .expect("added");
    let reqs = h.server.requests_to(&token_path(&h));
    let app = reqs
        .iter()
        .find(|r| {
            r.json
                .as_ref()
                .is_some_and(|j| j["grant_type"] == "client_credentials")
        })
        .expect("app token request");
    let j = app.json.clone().expect("json");
    assert_eq!(j["client_id"], h.server.client_id());
    assert_eq!(j["client_secret"], h.server.client_secret());
    let inherit = reqs
        .iter()
        .find(|r| {
            r.json
                .as_ref()
                .is_some_and(|j| j["grant_type"] == "inherit")
        })
        .expect("inherit grant");
    assert_eq!(inherit.json.clone().expect("json")["username"], "c");
    assert!(inherit
        .authorization
        .as_deref()
        .is_some_and(|v| v.starts_with("Bearer ")));
    assert_eq!(a.status, Status::Fresh);
    h.server.assert_no_violations();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ttl_zero_is_a_token_that_never_needs_renewing() {
    let h = harness(Setup::easemob()).await;
    let a = h
        .engine
        .add_easemob_account(&EasemobAccount {
            password: Some("1".into()),
            ttl: Some(0),
            ..form(&h, "c")
        })
        .await
        .expect("added");
    let sent = h.server.requests_to(&token_path(&h));
    assert!(sent
        .iter()
        .any(|r| r.json.as_ref().is_some_and(|j| j["ttl"] == 0)));
    assert_eq!(a.access_expires_at, None);
    assert_eq!(a.next_refresh_at, None);
    let before = h.server.token_requests();
    h.clock.advance_secs(400 * 86_400);
    h.engine.tick().await.expect("tick");
    h.engine
        .access_token(a.id)
        .await
        .expect("token still valid");
    assert_eq!(h.server.token_requests(), before, "nothing re-issued");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vip5_clusters_count_milliseconds() {
    let h = harness(Setup {
        server: ServerConfig {
            vip5_milliseconds: true,
            ..ServerConfig::easemob()
        },
        ..Setup::easemob()
    })
    .await;
    let a = h
        .engine
        .add_easemob_account(&EasemobAccount {
            password: Some("1".into()),
            ttl: Some(7200),
            vip5: Some(true),
            ..form(&h, "c")
        })
        .await
        .expect("added");
    let sent = h.server.requests_to(&token_path(&h));
    assert!(
        sent.iter()
            .any(|r| r.json.as_ref().is_some_and(|j| j["ttl"] == 7_200_000)),
        "ttl in milliseconds"
    );
    let lifetime = a.access_expires_at.expect("expiry") - h.engine.now();
    assert!(
        (lifetime - 7_200_000).abs() < 5_000,
        "two hours, not 83 days: {lifetime}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_token_is_reissued_before_it_expires_with_the_stored_password() {
    let h = password_only().await;
    let a = h
        .engine
        .add_easemob_account(&EasemobAccount {
            password: Some("1".into()),
            ttl: Some(3600),
            ..form(&h, "c")
        })
        .await
        .expect("added");
    let due = a.next_refresh_at.expect("due");
    assert!(due < a.access_expires_at.expect("expiry"));
    h.clock.set(due + 1);
    h.engine.tick().await.expect("tick");
    let grants: Vec<_> = h
        .server
        .requests_to(&token_path(&h))
        .into_iter()
        .filter(|r| {
            r.json
                .as_ref()
                .is_some_and(|j| j["grant_type"] == "password")
        })
        .collect();
    assert_eq!(grants.len(), 2, "signed in, then re-issued once");
    let v = h.engine.account(a.id).await.expect("account");
    assert!(v.access_expires_at.expect("expiry") > due);
    assert_eq!(v.status, Status::Fresh);
    h.assert_no_secret_leaked();
}

/// An add that fails leaves nothing behind: not the app's provider entry it created, not its
/// secret. And a later account of the same app, added without a token lifetime, does not
/// inherit the first one's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_add_leaves_no_provider_and_accounts_keep_their_own_ttl() {
    let h = harness(Setup::easemob()).await;
    let config = h.dir.path().join("config.toml");
    let before = std::fs::read_to_string(&config).expect("config");
    let e = h
        .engine
        .add_easemob_account(&EasemobAccount {
            app_name: "no-such-app".into(),
            password: Some("1".into()),
            client_id: Some("x".into()),
            client_secret: Some("y".into()),
            ..form(&h, "c")
        })
        .await
        .expect_err("unknown app");
    assert!(!e.message.is_empty());
    assert_eq!(
        std::fs::read_to_string(&config).expect("config"),
        before,
        "no provider entry left behind"
    );
    assert!(h.engine.config().provider("easemob-no-such-app").is_none());
    assert!(
        h.engine
            .vault()
            .get_client_secret("easemob-no-such-app")
            .await
            .expect("keyring")
            .is_none(),
        "no secret left behind"
    );

    // On a machine with no entry for this app yet, the first account creates it and chooses a
    // permanent token; the second says nothing and gets the console's default lifetime.
    let fresh_config = h.dir.path().join("empty.toml");
    std::fs::write(&fresh_config, "").expect("empty config");
    let engine = signet_core::Engine::open(signet_core::EngineOptions::new(
        signet_core::Config::load(&fresh_config).expect("config"),
        h.dir.path().join("data-2"),
        signet_core::Vault::new(std::sync::Arc::new(h.memory.clone().expect("memory"))),
    ))
    .await
    .expect("engine");
    let first = engine
        .add_easemob_account(&EasemobAccount {
            password: Some("1".into()),
            ttl: Some(0),
            ..form(&h, "c")
        })
        .await
        .expect("first");
    assert_eq!(first.access_expires_at, None, "permanent");
    h.server.add_easemob_user("d", "2", "Dora");
    let second = engine
        .add_easemob_account(&EasemobAccount {
            password: Some("2".into()),
            ..form(&h, "d")
        })
        .await
        .expect("second");
    assert_eq!(second.provider, first.provider, "the same app's entry");
    assert!(
        second.access_expires_at.is_some(),
        "the second account's token expires (the default 60 days)"
    );
}

/// The app (admin) token is kept in the keyring and reused by the next process until near its
/// end, and asked for with a lifetime of its own: never the accounts' `ttl`, where 0 would make
/// every admin token minted a permanent one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_app_token_is_kept_across_processes_and_never_permanent() {
    let h = harness(Setup::easemob()).await;
    let app_grants = |h: &Harness| -> Vec<serde_json::Value> {
        h.server
            .requests_to(&token_path(h))
            .into_iter()
            .filter_map(|r| r.json)
            .filter(|j| j["grant_type"] == "client_credentials")
            .collect()
    };
    // Added with the app credentials (the `inherit` grant needs the app token), ttl 0.
    h.engine
        .add_easemob_account(&EasemobAccount {
            ttl: Some(0),
            ..form(&h, "c")
        })
        .await
        .expect("first");
    assert_eq!(app_grants(&h).len(), 1);
    assert_eq!(
        app_grants(&h)[0]["ttl"],
        serde_json::json!(86_400),
        "a lifetime of its own, not the account's 0"
    );
    // Another process (signetctl) adds another user of the same app: no new admin token.
    let other = h.another_process().await;
    h.server.add_easemob_user("d", "2", "Dora");
    other
        .add_easemob_account(&form(&h, "d"))
        .await
        .expect("second, from another process");
    assert_eq!(app_grants(&h).len(), 1, "the kept app token was reused");
    h.server.assert_no_violations();
    h.assert_no_secret_leaked();
}

/// A banned user (`activated: false`) is not added silently as "fresh": the list says what is
/// wrong and what to do, and a sign-in after the re-activation clears it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_banned_user_is_flagged_where_the_list_shows_it() {
    let h = harness(Setup::easemob()).await;
    h.server.set_easemob_user_activated("c", false);
    let a = h
        .engine
        .add_easemob_account(&EasemobAccount {
            password: Some("1".into()),
            ..form(&h, "c")
        })
        .await
        .expect("added");
    assert_eq!(a.status, Status::Setup);
    let said = a.status_message.clone().unwrap_or_default();
    assert!(
        said.contains("banned") && said.contains("用户管理"),
        "{said}"
    );
    let listed = h.engine.list().await.expect("list");
    assert_eq!(listed[0].status, Status::Setup);

    h.server.set_easemob_user_activated("c", true);
    let again = h
        .engine
        .add_easemob_account(&EasemobAccount {
            password: Some("1".into()),
            ..form(&h, "c")
        })
        .await
        .expect("signed in again");
    assert_eq!(again.id, a.id);
    assert_eq!(again.status, Status::Fresh, "{:?}", again.status_message);
}

/// A password that was never accepted is a wrong password, not one the server "no longer
/// accepts"; and nothing is added.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_password_on_a_first_add_says_so() {
    let h = password_only().await;
    let e = h
        .engine
        .add_easemob_account(&EasemobAccount {
            password: Some("not-the-password".into()),
            ..form(&h, "c")
        })
        .await
        .expect_err("wrong password");
    assert!(
        e.message
            .contains("did not accept this user ID and password")
            && !e.message.contains("no longer"),
        "{}",
        e.message
    );
    assert!(h.engine.list().await.expect("list").is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_password_asks_to_sign_in_again() {
    let h = password_only().await;
    let a = h
        .engine
        .add_easemob_account(&EasemobAccount {
            password: Some("1".into()),
            ..form(&h, "c")
        })
        .await
        .expect("added");
    h.server.add_easemob_user("c", "new-password", "Cici");
    let e = h
        .engine
        .refresh(a.id, true)
        .await
        .expect_err("old password");
    assert_eq!(e.code, ErrorCode::ReauthRequired);
    assert!(e.message.contains("password"), "{}", e.message);
    assert_eq!(
        h.engine.account(a.id).await.expect("account").status,
        Status::Reauth
    );
    // Signing in again with the new password restores the same account.
    let v = h
        .engine
        .add_easemob_account(&EasemobAccount {
            password: Some("new-password".into()),
            ..form(&h, "c")
        })
        .await
        .expect("signed in again");
    assert_eq!(v.id, a.id);
    assert_eq!(v.status, Status::Fresh);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_details_get_a_sentence_that_says_what_to_fix() {
    let h = password_only().await;
    let e = h
        .engine
        .add_easemob_account(&EasemobAccount {
            password: Some("nope".into()),
            ..form(&h, "c")
        })
        .await
        .expect_err("wrong password");
    assert_eq!(e.code, ErrorCode::ReauthRequired);
    let e = h
        .engine
        .add_easemob_account(&EasemobAccount {
            password: Some("1".into()),
            app_name: "no-such-app".into(),
            ..form(&h, "c")
        })
        .await
        .expect_err("wrong app");
    assert_eq!(e.code, ErrorCode::SetupProblem);
    assert!(e.message.contains("no-such-app"), "{}", e.message);
    let e = h
        .engine
        .add_easemob_account(&form(&h, "c"))
        .await
        .expect_err("no credentials");
    assert_eq!(e.code, ErrorCode::ActionRefused);
    assert!(
        h.engine.list().await.expect("list").is_empty(),
        "nothing half-added"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_text_message_goes_out_with_the_app_token() {
    let h = harness(Setup::easemob()).await;
    h.server.add_easemob_user("user2", "pw2", "Bob");
    let a = h
        .engine
        .add_easemob_account(&EasemobAccount {
            password: Some("1".into()),
            ..form(&h, "c")
        })
        .await
        .expect("added");
    let to = Recipient {
        kind: "user".into(),
        id: "user2".into(),
    };
    let sent = h.engine.chat_send(a.id, &to, "hello").await.expect("sent");
    assert!(!sent.message_id.is_empty());
    let path = format!(
        "/{}/{}/messages/users",
        h.server.easemob_org(),
        h.server.easemob_app()
    );
    let r = h.server.requests_to(&path).pop().expect("message request");
    assert_eq!(
        r.json,
        Some(
            serde_json::json!({"from": "c", "to": ["user2"], "type": "txt", "body": {"msg": "hello"}})
        )
    );
    let msgs = h.server.sent_messages();
    assert_eq!(msgs.len(), 1);
    assert_eq!(msgs[0].from.as_deref(), Some("c"));

    h.server.push_api_fault(Fault::TooManyRequests {
        retry_after_secs: 1,
    });
    let e = h
        .engine
        .chat_send(a.id, &to, "again")
        .await
        .expect_err("429");
    assert_eq!(e.code, ErrorCode::Temporary);
    h.server.push_api_fault(Fault::Respond {
        status: 403,
        content_type: "application/json".into(),
        body: serde_json::json!({"error": "forbidden_op", "exception": "ForbiddenOpException", "timestamp": 1, "duration": 0, "error_description": "message send reach limit"}).to_string(),
    });
    let e = h
        .engine
        .chat_send(a.id, &to, "again")
        .await
        .expect_err("403 limit");
    assert_eq!(e.code, ErrorCode::Temporary);
    h.server.push_api_fault(Fault::Respond {
        status: 429,
        content_type: "application/json".into(),
        body: serde_json::json!({"error": "resource_limited", "exception": "ResourceLimitedException", "timestamp": 1, "duration": 0, "error_description": "You have exceeded the limit of the community edition"}).to_string(),
    });
    let e = h
        .engine
        .chat_send(a.id, &to, "again")
        .await
        .expect_err("plan limit");
    assert_eq!(e.code, ErrorCode::SetupProblem);
    assert_eq!(
        h.engine.account(a.id).await.expect("account").status,
        Status::Fresh
    );
    h.server.assert_no_violations();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_app_credentials_sending_says_what_is_needed() {
    let h = password_only().await;
    let a = h
        .engine
        .add_easemob_account(&EasemobAccount {
            password: Some("1".into()),
            ..form(&h, "c")
        })
        .await
        .expect("added");
    let d = h.engine.detail(a.id).await.expect("detail");
    assert!(d
        .chat
        .unavailable
        .as_deref()
        .is_some_and(|u| u.contains("Client Secret")));
    let e = h
        .engine
        .chat_send(
            a.id,
            &Recipient {
                kind: "user".into(),
                id: "user2".into(),
            },
            "hi",
        )
        .await
        .expect_err("no app credentials");
    assert_eq!(e.code, ErrorCode::SetupProblem);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_in_again_as_another_user_is_refused_naming_both() {
    let h = harness(Setup::easemob()).await;
    h.server.add_easemob_user("dave", "pw-d", "Dave");
    let a = h
        .engine
        .add_easemob_account(&EasemobAccount {
            password: Some("1".into()),
            ..form(&h, "c")
        })
        .await
        .expect("added");
    let e = h
        .engine
        .sign_in_direct(
            "im",
            &DirectSignIn {
                username: "dave".into(),
                password: Some(Secret::new("pw-d")),
                ttl: None,
            },
            Some(a.id),
        )
        .await
        .expect_err("different user");
    assert_eq!(e.code, ErrorCode::SubjectMismatch);
    assert!(
        e.message.contains("Dave") && e.message.contains("Cici"),
        "{}",
        e.message
    );
}
