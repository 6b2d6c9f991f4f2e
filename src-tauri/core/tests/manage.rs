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
