//! Sign-in end to end against protocol servers: loopback and deep link, OIDC and AIHubMix, and every refusal.

mod common;

use common::{harness, param, Setup};
use signet_core::{ErrorCode, Status};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidc_loopback_sign_in_sends_exactly_the_documented_requests() {
    let h = harness(Setup::oidc()).await;
    let start = h.engine.begin_sign_in("corp", None).await.expect("begin");
    let url = start.authorize_url.to_string();
    assert!(
        url.starts_with(&format!("{}/authorize?", h.server.issuer())),
        "{url}"
    );
    assert_eq!(param(&url, "response_type").as_deref(), Some("code"));
    assert_eq!(param(&url, "client_id"), Some(h.server.client_id()));
    assert_eq!(
        param(&url, "code_challenge_method").as_deref(),
        Some("S256")
    );
    assert_eq!(param(&url, "code_challenge").map(|c| c.len()), Some(43));
    assert_eq!(param(&url, "state").map(|s| s.len()), Some(43));
    assert!(param(&url, "nonce").is_some());
    assert_eq!(
        param(&url, "scope").as_deref(),
        Some("openid email profile offline_access")
    );
    let redirect = param(&url, "redirect_uri").expect("redirect_uri");
    assert!(
        redirect.starts_with("http://127.0.0.1:") && redirect.ends_with("/callback/corp"),
        "{redirect}"
    );
    assert_eq!(redirect, start.redirect_uri);

    let callback = h.server.authorize(&url).await.expect("authorize");
    let (status, page) = h.deliver(&callback).await.expect("loopback page");
    assert_eq!(status, 200);
    assert!(page.contains("You can close this tab"), "{page}");
    let view = start.waiter.wait().await.expect("signed in");
    assert_eq!(view.email.as_deref(), Some("alice@example.com"));
    assert_eq!(view.status, Status::Fresh);

    let token = h.server.requests_to("/token");
    assert_eq!(token.len(), 1);
    let t = &token[0];
    assert_eq!(t.method, "POST");
    assert!(t
        .content_type
        .as_deref()
        .unwrap_or("")
        .starts_with("application/x-www-form-urlencoded"));
    assert_eq!(t.authorization, None, "client_secret_post: no Basic header");
    assert_eq!(t.form_value("grant_type"), Some("authorization_code"));
    assert_eq!(
        t.form_value("client_id"),
        Some(h.server.client_id().as_str())
    );
    assert_eq!(
        t.form_value("client_secret"),
        Some(h.server.client_secret().as_str())
    );
    assert_eq!(t.form_value("redirect_uri"), Some(redirect.as_str()));
    assert_eq!(t.form_value("code_verifier").map(str::len), Some(43));
    h.server.assert_no_violations();

    // The listener closed after the sign-in: the port no longer answers.
    assert!(
        reqwest::get(&callback).await.is_err(),
        "listener must close after use"
    );
    assert_eq!(h.engine.list().await.expect("list").len(), 1);
    h.assert_no_secret_leaked();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidc_deep_link_sign_in() {
    let h = harness(Setup::oidc().redirect("deep-link")).await;
    let view = h.sign_in().await;
    assert_eq!(view.display_name, "alice");
    let token = &h.server.requests_to("/token")[0];
    assert_eq!(
        token.form_value("redirect_uri"),
        Some("signet://oauth/callback/corp")
    );
    h.server.assert_no_violations();
    h.assert_no_secret_leaked();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aihubmix_deep_link_sign_in_shows_profile_and_balance() {
    let h = harness(Setup::aihubmix()).await;
    let start = h
        .engine
        .begin_sign_in("aihubmix", None)
        .await
        .expect("begin");
    let url = start.authorize_url.to_string();
    assert!(
        url.starts_with(&format!("{}/api/oauth2/authorize?", h.server.base_url())),
        "{url}"
    );
    assert_eq!(param(&url, "auto_authorize").as_deref(), Some("true"));
    assert_eq!(param(&url, "scope").as_deref(), Some("profile balance"));
    assert_eq!(
        param(&url, "redirect_uri").as_deref(),
        Some("signet://oauth/callback/aihubmix")
    );
    assert_eq!(
        param(&url, "code_challenge"),
        None,
        "AIHubMix documents no PKCE"
    );
    let callback = h.server.authorize(&url).await.expect("authorize");
    assert!(callback.starts_with("signet://oauth/callback/aihubmix?"));
    let view = h
        .engine
        .handle_deep_link(&callback)
        .await
        .expect("signed in");
    assert_eq!(start.waiter.wait().await.expect("waiter").id, view.id);
    // The document's example userinfo.
    assert_eq!(view.display_name, "user123");
    assert_eq!(view.email.as_deref(), Some("user@example.com"));
    let b = view.balance.expect("balance");
    assert_eq!(b.formatted, "750.00");
    assert_eq!((b.quota, b.used_quota), (Some(1_000_000), Some(250_000)));
    let t = &h.server.requests_to("/api/oauth2/token")[0];
    let mut fields: Vec<&str> = t.form.iter().map(|(k, _)| k.as_str()).collect();
    fields.sort();
    assert_eq!(
        fields,
        [
            "client_id",
            "client_secret",
            "code",
            "grant_type",
            "redirect_uri"
        ]
    );
    assert!(t
        .content_type
        .as_deref()
        .unwrap_or("")
        .starts_with("application/x-www-form-urlencoded"));
    h.server.assert_no_violations();
    h.assert_no_secret_leaked();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aihubmix_loopback_sign_in() {
    let h = harness(Setup::aihubmix().redirect("loopback")).await;
    let view = h.sign_in().await;
    assert_eq!(view.balance.map(|b| b.formatted).as_deref(), Some("750.00"));
    h.server.assert_no_violations();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_replayed_mixed_up_expired_and_denied_callbacks_change_nothing() {
    let h = harness(Setup::aihubmix()).await;
    let start = h
        .engine
        .begin_sign_in("aihubmix", None)
        .await
        .expect("begin");
    let callback = h
        .server
        .authorize(start.authorize_url.as_str())
        .await
        .expect("authorize");
    let state = param(&callback.replace("signet://", "http://x/"), "state").expect("state");
    let code = param(&callback.replace("signet://", "http://x/"), "code").expect("code");

    let forged = format!("signet://oauth/callback/aihubmix?code={code}&state=forged-state");
    assert_eq!(
        h.engine
            .handle_deep_link(&forged)
            .await
            .expect_err("forged")
            .code,
        ErrorCode::UnknownSignIn
    );
    let mixed = format!("signet://oauth/callback/corp?code={code}&state={state}");
    assert_eq!(
        h.engine
            .handle_deep_link(&mixed)
            .await
            .expect_err("mix-up")
            .code,
        ErrorCode::ProviderMismatch
    );
    assert!(h.engine.list().await.expect("list").is_empty());
    assert_eq!(
        h.server.token_requests(),
        0,
        "refused callbacks never reach the provider"
    );

    h.engine
        .handle_deep_link(&callback)
        .await
        .expect("the real one still works");
    let replay = h
        .engine
        .handle_deep_link(&callback)
        .await
        .expect_err("replay");
    assert_eq!(replay.code, ErrorCode::UnknownSignIn);
    assert!(replay.message.contains("already used"));
    assert_eq!(h.server.token_requests(), 1);
    assert_eq!(h.engine.list().await.expect("list").len(), 1);

    // Expired: the browser comes back after 10 minutes.
    let start = h
        .engine
        .begin_sign_in("aihubmix", None)
        .await
        .expect("begin");
    let callback = h
        .server
        .authorize(start.authorize_url.as_str())
        .await
        .expect("authorize");
    h.clock.advance_secs(10 * 60 + 1);
    assert_eq!(
        h.engine
            .handle_deep_link(&callback)
            .await
            .expect_err("expired")
            .code,
        ErrorCode::SignInExpired
    );
    assert_eq!(
        start.waiter.wait().await.expect_err("waiter told").code,
        ErrorCode::SignInExpired
    );

    // Denied at the provider.
    h.server.set_deny(true);
    let start = h
        .engine
        .begin_sign_in("aihubmix", None)
        .await
        .expect("begin");
    let callback = h
        .server
        .authorize(start.authorize_url.as_str())
        .await
        .expect("authorize");
    assert!(callback.contains("error=access_denied"));
    let e = h
        .engine
        .handle_deep_link(&callback)
        .await
        .expect_err("denied");
    assert_eq!(e.code, ErrorCode::SignInCancelled);
    assert!(e.message.contains("cancelled"), "{}", e.message);
    assert_eq!(h.server.token_requests(), 1);
    assert_eq!(h.engine.list().await.expect("list").len(), 1);

    // Malformed links.
    for bad in [
        "signet://oauth/callback/aihubmix",
        "signet://elsewhere",
        "%%%",
    ] {
        assert!(h.engine.handle_deep_link(bad).await.is_err(), "{bad}");
    }
    h.server.assert_no_violations();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn loopback_ignores_stray_requests_and_still_completes() {
    let h = harness(Setup::oidc()).await;
    let start = h.engine.begin_sign_in("corp", None).await.expect("begin");
    let base = start.redirect_uri.clone();
    // A forged callback and junk requests: refused, listener stays open.
    let r = reqwest::get(format!("{base}?code=x&state=forged"))
        .await
        .expect("answer");
    assert_eq!(r.status().as_u16(), 400);
    let r = reqwest::get(base.replace("/callback/corp", "/favicon.ico"))
        .await
        .expect("answer");
    assert_eq!(r.status().as_u16(), 404);
    let callback = h
        .server
        .authorize(start.authorize_url.as_str())
        .await
        .expect("authorize");
    let (status, _) = h.deliver(&callback).await.expect("page");
    assert_eq!(status, 200);
    start.waiter.wait().await.expect("signed in");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_in_again_as_someone_else_is_refused_naming_both() {
    let h = harness(Setup::oidc().redirect("deep-link")).await;
    let alice = h.sign_in().await;
    h.server.set_user(signet_testkit::User::new(
        "user-2",
        "Bob",
        "bob@example.com",
    ));
    let start = h
        .engine
        .begin_sign_in("corp", Some(alice.id))
        .await
        .expect("begin");
    let callback = h
        .server
        .authorize(start.authorize_url.as_str())
        .await
        .expect("authorize");
    let e = h
        .engine
        .handle_deep_link(&callback)
        .await
        .expect_err("other user");
    assert_eq!(e.code, ErrorCode::SubjectMismatch);
    assert!(
        e.message.contains("bob@example.com") && e.message.contains("alice@example.com"),
        "{}",
        e.message
    );
    let list = h.engine.list().await.expect("list");
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].email.as_deref(), Some("alice@example.com"));

    // Adding the same person again updates the account instead of duplicating it.
    h.server.set_user(signet_testkit::User::new(
        "user-1",
        "Alice A.",
        "alice@example.com",
    ));
    let again = h.sign_in().await;
    assert_eq!(again.id, alice.id);
    assert_eq!(h.engine.list().await.expect("list").len(), 1);
}

/// The leak scan itself must be able to fail: plant one issued token in the data folder.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[should_panic(expected = "is on disk")]
async fn the_secret_scan_finds_a_planted_token() {
    let h = harness(Setup::aihubmix()).await;
    h.sign_in().await;
    let planted = h.server.issued_secrets().pop().expect("a secret");
    std::fs::write(
        h.dir.path().join("data").join("planted.txt"),
        format!("x{planted}y"),
    )
    .expect("plant");
    h.assert_no_secret_leaked();
}

/// OpenID Connect Core §11: a server ignores `offline_access` unless consent is asked for, and
/// then issues no refresh token. Every OpenID Connect sign-in that asks for it asks for consent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_openid_connect_sign_in_asking_for_offline_access_asks_for_consent() {
    let h = harness(Setup::oidc()).await;
    let start = h
        .engine
        .begin_sign_in(&h.provider, None)
        .await
        .expect("begin");
    let query: Vec<(String, String)> = start
        .authorize_url
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let value = |k: &str| query.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    assert!(
        value("scope").is_some_and(|s| s.split(' ').any(|s| s == "offline_access")),
        "{query:?}"
    );
    assert_eq!(value("prompt"), Some("consent"), "{query:?}");
    let (_, done) = h.finish(start).await;
    assert!(done.is_ok(), "{done:?}");
}

/// A provider without its client secret could never finish a sign-in: that is said before the
/// browser opens (with how to add the secret), not after the person has signed in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_client_secret_is_found_before_the_browser_opens() {
    for setup in [
        Setup::oidc(),
        Setup::google(),
        Setup::feishu(),
        Setup::aihubmix(),
    ] {
        let h = common::harness_env_secret(setup, "SIGNET_TEST_SECRET_NEVER_SET").await;
        let e = h
            .engine
            .begin_sign_in(&h.provider, None)
            .await
            .err()
            .unwrap_or_else(|| panic!("{}: sign-in started without a client secret", h.provider));
        assert_eq!(e.code, ErrorCode::SetupProblem, "{}", e.message);
        assert!(
            e.message.contains("no client secret")
                && e.message.contains("SIGNET_TEST_SECRET_NEVER_SET"),
            "{}",
            e.message
        );
        assert!(
            h.server.requests_to("/authorize").is_empty() && h.server.token_requests() == 0,
            "{}: nothing was sent",
            h.provider
        );
    }
}

/// OpenID Connect with three client registrations — `client_secret_post`, `client_secret_basic`
/// and a public client (PKCE only, no secret) — each on a server that refuses any other client
/// authentication: sign-in, a refresh with rotation, and revocation, the method chosen from the
/// server's discovery document.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openid_connect_signs_in_refreshes_and_revokes_as_post_basic_and_public_clients() {
    use signet_testkit::{ClientAuth, ServerConfig};
    for auth in [ClientAuth::Post, ClientAuth::Basic, ClientAuth::None] {
        let setup = Setup {
            server: ServerConfig {
                client_auth: auth,
                ..ServerConfig::oidc()
            },
            ..Setup::oidc()
        };
        let h = if auth == ClientAuth::None {
            common::harness_env_secret(setup, "SIGNET_TEST_PUBLIC_CLIENT_HAS_NO_SECRET").await
        } else {
            harness(setup).await
        };
        let a = h
            .try_sign_in(None)
            .await
            .unwrap_or_else(|e| panic!("{auth:?}: sign-in: {}", e.message));
        h.engine
            .refresh(a.id, true)
            .await
            .unwrap_or_else(|e| panic!("{auth:?}: refresh: {}", e.message));
        assert_eq!(h.server.refresh_requests(), 1, "{auth:?}");
        let revocation = h.engine.remove(a.id).await.expect("remove");
        assert!(revocation.revoked(), "{auth:?}: {revocation:?}");
        for r in h
            .server
            .requests_to("/token")
            .iter()
            .chain(h.server.requests_to("/revoke").iter())
        {
            let basic = r
                .authorization
                .as_deref()
                .is_some_and(|a| a.starts_with("Basic "));
            let in_body = r.form_value("client_secret").is_some();
            match auth {
                ClientAuth::Post => assert!(!basic && in_body, "{auth:?}: {}", r.path),
                ClientAuth::Basic => assert!(basic && !in_body, "{auth:?}: {}", r.path),
                ClientAuth::None => assert!(
                    r.authorization.is_none() && !in_body,
                    "{auth:?}: {}",
                    r.path
                ),
            }
        }
        h.server.assert_no_violations();
        h.assert_no_secret_leaked();
    }
}
