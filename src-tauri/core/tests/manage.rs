//! Settings: adding providers from the UI (secret to the keyring, the rest to the file) and preferences.

mod common;

use common::{harness, Setup};
use signet_core::views::{NewProvider, Settings};
use signet_core::ErrorCode;

fn new_provider(name: &str, issuer: &str, client_id: &str, secret: &str) -> NewProvider {
    NewProvider {
        name: name.into(),
        kind: "oidc".into(),
        client_id: client_id.into(),
        client_secret: Some(secret.into()),
        issuer: Some(issuer.into()),
        redirect: Some("loopback".into()),
        ..Default::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provider_added_in_settings_is_usable_and_its_secret_stays_in_the_keyring() {
    let h = harness(Setup::oidc()).await;
    let p = new_provider(
        "second",
        &h.server.issuer(),
        &h.server.client_id(),
        &h.server.client_secret(),
    );
    let debug = format!("{p:?}");
    assert!(
        !debug.contains(&h.server.client_secret()),
        "Debug redacts the secret: {debug}"
    );
    let view = h.engine.add_provider(&p).await.expect("added");
    assert!(view.has_secret);
    assert_eq!(view.redirect_uri, "http://127.0.0.1:*/callback/second");
    let file = std::fs::read_to_string(h.dir.path().join("config.toml")).expect("config");
    assert!(
        file.contains("name = \"second\"") && file.contains("redirect = \"loopback\""),
        "{file}"
    );
    assert!(
        !file.contains(&h.server.client_secret()),
        "the secret is not in the file"
    );
    assert!(h
        .memory
        .as_ref()
        .expect("memory")
        .keys()
        .contains(&"provider/second/client_secret".to_owned()));
    let names: Vec<String> = h
        .engine
        .providers()
        .await
        .expect("providers")
        .into_iter()
        .map(|p| p.name)
        .collect();
    assert_eq!(names, ["corp", "second"]);
    let start = h
        .engine
        .begin_sign_in("second", None)
        .await
        .expect("the new provider signs in");
    let callback = h
        .server
        .authorize(start.authorize_url.as_str())
        .await
        .expect("authorize");
    h.deliver(&callback).await;
    assert_eq!(
        start.waiter.wait().await.expect("signed in").provider,
        "second"
    );

    // Refused entries change nothing: duplicate name, plain-http issuer.
    assert_eq!(
        h.engine.add_provider(&p).await.expect_err("duplicate").code,
        ErrorCode::Config
    );
    let bad = new_provider("other", "http://idp.example.com", "x", "secret_typed_other");
    let e = h.engine.add_provider(&bad).await.expect_err("http");
    assert!(e.message.contains("plain http"), "{}", e.message);
    assert!(!h
        .memory
        .as_ref()
        .expect("memory")
        .keys()
        .contains(&"provider/other/client_secret".to_owned()));
    assert_eq!(h.engine.providers().await.expect("providers").len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn preferences_persist() {
    let h = harness(Setup::aihubmix()).await;
    assert_eq!(
        h.engine.settings().await.expect("defaults"),
        Settings::default()
    );
    let s = Settings {
        language: "zh-CN".into(),
        notifications: false,
        launch_at_login: true,
    };
    h.engine.set_settings(&s).await.expect("saved");
    assert_eq!(h.engine.settings().await.expect("read"), s);
    let bad = Settings {
        language: "xx".into(),
        ..s.clone()
    };
    assert_eq!(
        h.engine.set_settings(&bad).await.expect_err("unknown").code,
        ErrorCode::Config
    );
}

/// Editing a provider changes only what was sent (absent kept, empty removed), stores a new
/// secret, refuses a new kind, a new name and an invalid entry without touching the file, and
/// keeps the accounts. Removing it removes its accounts (revoked at the provider), its entry and
/// its secret.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provider_is_edited_and_removed_with_its_accounts() {
    let h = harness(Setup::oidc()).await;
    let a = h.sign_in().await;
    let path = h.dir.path().join("config.toml");
    let view = h
        .engine
        .providers()
        .await
        .expect("providers")
        .into_iter()
        .find(|p| p.name == h.provider)
        .expect("listed");
    assert_eq!(view.accounts, 1);
    assert_eq!(view.entry.client_id, h.server.client_id());
    assert_eq!(view.entry.redirect.as_deref(), Some("loopback"));
    assert_eq!(view.entry.client_secret, None);

    let change = NewProvider {
        scopes: Some(vec!["openid".into(), "email".into()]),
        redirect: Some(String::new()),
        // The secret as rotated in the provider's console (the test server's own).
        client_secret: Some(h.server.client_secret()),
        ..Default::default()
    };
    let changed = h
        .engine
        .update_provider(&h.provider, &change)
        .await
        .expect("changed");
    assert_eq!(
        changed.entry.scopes,
        Some(vec!["openid".to_owned(), "email".to_owned()])
    );
    assert_eq!(
        changed.entry.redirect, None,
        "an empty value removes the key"
    );
    assert_eq!(
        changed.entry.issuer,
        Some(h.server.issuer()),
        "absent: kept"
    );
    assert_eq!(changed.accounts, 1);
    let file = std::fs::read_to_string(&path).expect("config");
    assert!(file.contains("scopes = [\"openid\", \"email\"]"), "{file}");
    assert!(
        !file.contains("rotated-secret"),
        "the secret is not in the file"
    );
    assert!(h
        .memory
        .as_ref()
        .expect("memory")
        .keys()
        .contains(&format!("provider/{}/client_secret", h.provider)));

    for (bad, why) in [
        (
            NewProvider {
                kind: "google".into(),
                ..Default::default()
            },
            "cannot change",
        ),
        (
            NewProvider {
                name: "renamed".into(),
                ..Default::default()
            },
            "cannot be renamed",
        ),
        (
            NewProvider {
                issuer: Some("http://idp.example.com".into()),
                ..Default::default()
            },
            "plain http",
        ),
    ] {
        let e = h
            .engine
            .update_provider(&h.provider, &bad)
            .await
            .expect_err("refused");
        assert_eq!(e.code, ErrorCode::Config);
        assert!(e.message.contains(why), "{}", e.message);
        assert_eq!(
            std::fs::read_to_string(&path).expect("config"),
            file,
            "nothing written"
        );
    }

    let refresh_token = h.refresh_token(a.id).await;
    let removed = h
        .engine
        .remove_provider(&h.provider)
        .await
        .expect("removed");
    assert_eq!((removed.accounts, removed.not_revoked), (1, 0));
    assert!(h.server.revoked_tokens().contains(&refresh_token));
    assert!(h.engine.list().await.expect("list").is_empty());
    assert!(h.engine.providers().await.expect("providers").is_empty());
    assert!(!std::fs::read_to_string(&path)
        .expect("config")
        .contains("[[providers]]"));
    assert!(!h
        .memory
        .as_ref()
        .expect("memory")
        .keys()
        .iter()
        .any(|k| k.starts_with(&format!("provider/{}/", h.provider))));
    assert_eq!(
        h.engine
            .remove_provider(&h.provider)
            .await
            .expect_err("gone")
            .code,
        ErrorCode::NotFound
    );
}
