//! The real window with a keyring in trouble: a Secret Service that never answers, then none at all,
//! then GNOME Keyring back. The window opens and lists the accounts without waiting for the keyring,
//! says in words what is wrong, stores nothing anywhere else, and recovers when the keyring is back.
//! Runs everything (app, WebKit, keyring) on a private D-Bus session of its own.

mod common;

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

use common::Driver;
use signet_core::vault::KeyringBackend;
use signet_core::{Config, Engine, EngineOptions, Secret, Vault};
use signet_testkit::files::read_tree;
use signet_testkit::session_bus::{
    gnome_keyring, silent_secret_service, start_bus, wait_for_owner,
};
use signet_testkit::{OAuthServer, ServerConfig, TokenState};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_keyring_in_trouble_is_explained_in_the_window_and_nothing_is_lost() {
    let bus = start_bus();
    // This binary's only test: the app, tauri-driver and WebKit all inherit the private bus.
    std::env::set_var("DBUS_SESSION_BUS_ADDRESS", &bus.address);
    let home = tempfile::tempdir().expect("home");
    std::fs::create_dir_all(home.path().join("run")).expect("run dir");
    let server = OAuthServer::start(ServerConfig::aihubmix()).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        server
            .provider_toml("aihubmix")
            .set("redirect", "deep-link")
            .to_string(),
    )
    .expect("config");
    let data = dir.path().join("data");
    let namespace = format!("e2e-keyring-{}", std::process::id());

    // A signed-in account, its tokens and the client secret in GNOME Keyring (what a person has
    // before the keyring goes wrong).
    let mut keyring = gnome_keyring(&bus.address, home.path());
    let account = {
        let engine = engine(&config, &data, &namespace).await;
        engine
            .set_client_secret("aihubmix", &Secret::new(server.client_secret()))
            .await
            .expect("client secret to the keyring");
        let start = engine.begin_sign_in("aihubmix", None).await.expect("begin");
        let callback = server
            .authorize(start.authorize_url.as_str())
            .await
            .expect("authorize");
        let account = engine.handle_deep_link(&callback).await.expect("signed in");
        engine.store().close().await;
        account
    };
    // A desktop session starts xdg-desktop-portal at login, while the keyring is fine. Started
    // later, against a Secret Service that never answers, the portal itself stalls 25 s on it,
    // and every GTK application that starts meanwhile waits for the portal (seen with gdb:
    // g_application_register → g_dbus_proxy_new_sync) — that is the portal's start, not Signet's.
    start_portal(&bus.address);
    let _ = keyring.kill();
    let _ = keyring.wait();
    wait_for_owner(&bus.address, false);

    // 1. A Secret Service that takes every call and never answers.
    let (stop_silent, silent) = silent_secret_service(&bus.address);
    let capture = dir.path().join("ipc.jsonl");
    let env = vec![
        ("SIGNET_CONFIG", config.display().to_string()),
        ("SIGNET_DATA_DIR", data.display().to_string()),
        ("SIGNET_KEYRING_NAMESPACE", namespace.clone()),
        ("SIGNET_IPC_CAPTURE", capture.display().to_string()),
        ("DBUS_SESSION_BUS_ADDRESS", bus.address.clone()),
        ("RUST_LOG", "info".into()),
    ];
    let launched = Instant::now();
    let app = Driver::start(&env).await;
    app.wait_count("[data-testid=account-row]", 1, "the account is listed")
        .await;
    let listed_after = launched.elapsed();
    // The keyring cannot have answered (it never does) and its 10 s limit has not run out yet:
    // the list came from the database alone.
    assert_eq!(
        app.count("[data-testid=keyring-banner]").await,
        0,
        "the list appeared before the keyring call timed out ({listed_after:?})"
    );
    println!("keyring that never answers: account list shown {listed_after:?} after launch");
    assert_eq!(app.text("[data-testid=account-name]").await, "user123");

    // Then the window says what is wrong, in words.
    let banner = app
        .wait_text_within(
            "[data-testid=keyring-banner]",
            "keyring warning",
            std::time::Duration::from_secs(30),
            |t| t.contains("did not answer"),
        )
        .await;
    assert!(
        banner.contains("Signet cannot use your system keyring"),
        "{banner}"
    );
    assert_eq!(
        app.attr("[data-testid=keyring-banner]", "data-code").await,
        "keyring_timeout"
    );
    app.screenshot("keyring-1-not-answering").await;

    // Settings still lists the provider; its secret "cannot be checked" (not "missing"), at once.
    app.click("[data-testid=nav-settings]").await;
    app.wait_text("[data-testid=secret-status]", "secret status", |t| {
        t.contains("cannot check")
    })
    .await;
    app.click("[data-testid=nav-accounts]").await;

    // Refresh now: no request reaches the provider (the tokens cannot be read); the account says why.
    let requests = server.refresh_requests();
    app.click("[data-testid=account-row]").await;
    app.click("[data-testid=btn-refresh-now]").await;
    app.wait_text("[data-testid=account-status]", "status explains", |t| {
        t.to_lowercase().contains("retrying")
    })
    .await;
    assert_eq!(server.refresh_requests(), requests);

    // 2. No Secret Service at all. The next attempt says so.
    stop_silent.store(true, Ordering::Relaxed);
    silent.join().expect("silent service");
    wait_for_owner(&bus.address, false);
    let mut attempts = 0;
    loop {
        app.click("[data-testid=btn-refresh-now]").await;
        attempts += 1;
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        if app.attr("[data-testid=keyring-banner]", "data-code").await == "keyring_unavailable" {
            break;
        }
        assert!(attempts < 60, "the warning never changed to 'unavailable'");
    }
    app.screenshot("keyring-2-missing").await;
    assert_eq!(server.refresh_requests(), requests);

    // 3. GNOME Keyring is back (its files kept the tokens): refreshing works, the warning goes.
    let mut keyring = gnome_keyring(&bus.address, home.path());
    app.click("[data-testid=btn-refresh-now]").await;
    app.wait_count("[data-testid=keyring-banner]", 0, "the warning goes away")
        .await;
    app.wait_text("[data-testid=account-status]", "fresh again", |t| {
        t.to_lowercase().contains("fresh")
    })
    .await;
    assert_eq!(server.refresh_requests(), requests + 1);
    app.screenshot("keyring-3-back").await;
    app.stop().await;

    // The refreshed token is the one the provider considers live, and it is in the keyring.
    let engine = engine(&config, &data, &namespace).await;
    let token = engine.access_token(account.id).await.expect("token");
    assert_eq!(server.token_state(token.expose()), Some(TokenState::Live));
    engine.store().close().await;

    // Nothing went anywhere but the keyring: not the database, the logs or the webview.
    let mut bytes = read_tree(dir.path(), None);
    if let Ok(logs) = std::env::var("XDG_DATA_HOME") {
        bytes.extend(read_tree(std::path::Path::new(&logs), None));
    }
    let haystack = String::from_utf8_lossy(&bytes);
    assert!(haystack.contains("keyring"), "the scan read the files");
    for secret in server.issued_secrets() {
        assert!(
            !haystack.contains(&secret),
            "a token or secret left the keyring"
        );
    }
    server.assert_no_violations();
    let _ = keyring.kill();
    let _ = keyring.wait();
    drop(bus);
}

/// Signet's engine on the test's configuration, data and keyring namespace (as `signetctl` would).
async fn engine(config: &std::path::Path, data: &std::path::Path, namespace: &str) -> Engine {
    let vault = Vault::new(Arc::new(KeyringBackend::new(namespace)));
    Engine::open(EngineOptions::new(
        Config::load(config).expect("config"),
        data.to_path_buf(),
        vault,
    ))
    .await
    .expect("engine")
}

/// Starts xdg-desktop-portal on the bus (by D-Bus activation) and waits until it answers.
fn start_portal(address: &str) {
    let out = std::process::Command::new("dbus-send")
        .args([
            &format!("--bus={address}"),
            "--print-reply",
            "--reply-timeout=30000",
            "--dest=org.freedesktop.portal.Desktop",
            "/org/freedesktop/portal/desktop",
            "org.freedesktop.DBus.Peer.Ping",
        ])
        .output()
        .expect("dbus-send");
    assert!(
        out.status.success(),
        "xdg-desktop-portal did not start: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}
