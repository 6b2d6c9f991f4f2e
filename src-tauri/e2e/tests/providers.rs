//! All four providers in the real app window, each against a server speaking its documented protocol:
//! Google and Feishu through the browser and the loopback listener, AIHubMix through a deep link,
//! Easemob through its form; each account view with its profile, balance and chat actions.

mod common;

use std::process::Command;

use common::{app_binary, Driver};
use signet_testkit::files::read_tree;
use signet_testkit::{OAuthServer, ServerConfig};

/// The "browser": asks the provider's authorize page and follows its redirect the way a real
/// browser does — to Signet's loopback listener, or (a signet:// link) to a second app launch.
fn browser_script(dir: &std::path::Path) -> std::path::PathBuf {
    let path = dir.join("browser.sh");
    std::fs::write(
        &path,
        format!(
            "#!/bin/sh\nauth=$(curl -s -o /dev/null -w '%{{redirect_url}}' \"$1\")\nloc=$(curl -s -o /dev/null -w '%{{redirect_url}}' \"$auth\")\ncase \"$loc\" in\n  http://*) exec curl -s -o /dev/null \"$loc\" ;;\n  *) exec \"{}\" \"$loc\" ;;\nesac\n",
            app_binary().display()
        ),
    )
    .expect("browser script");
    Command::new("chmod")
        .arg("+x")
        .arg(&path)
        .status()
        .expect("chmod");
    path
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_provider_signs_in_and_shows_its_account_view() {
    let google = OAuthServer::start(ServerConfig::google()).await;
    let feishu = OAuthServer::start(ServerConfig::feishu()).await;
    let aihubmix = OAuthServer::start(ServerConfig::aihubmix()).await;
    let easemob = OAuthServer::start(ServerConfig::easemob()).await;
    easemob.add_easemob_user("user2", "pw-user2", "Bob");
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        [
            google
                .provider_toml("google")
                .set("client_secret_env", "E2E_GOOGLE_SECRET"),
            feishu
                .provider_toml("feishu")
                .set("client_secret_env", "E2E_FEISHU_SECRET")
                .set("redirect_port", free_port()),
            aihubmix
                .provider_toml("aihubmix")
                .set("client_secret_env", "E2E_AIHUBMIX_SECRET"),
            easemob
                .provider_toml("im")
                .set("client_secret_env", "E2E_EASEMOB_SECRET"),
        ]
        .map(|p| p.to_string())
        .join("\n"),
    )
    .expect("config");
    let capture = dir.path().join("ipc.jsonl");
    let env = vec![
        ("SIGNET_CONFIG", config.display().to_string()),
        (
            "SIGNET_DATA_DIR",
            dir.path().join("data").display().to_string(),
        ),
        (
            "SIGNET_KEYRING_NAMESPACE",
            format!("e2e-providers-{}", std::process::id()),
        ),
        ("SIGNET_IPC_CAPTURE", capture.display().to_string()),
        ("E2E_GOOGLE_SECRET", google.client_secret()),
        ("E2E_FEISHU_SECRET", feishu.client_secret()),
        ("E2E_AIHUBMIX_SECRET", aihubmix.client_secret()),
        ("E2E_EASEMOB_SECRET", easemob.client_secret()),
        ("BROWSER", browser_script(dir.path()).display().to_string()),
        ("RUST_LOG", "info".into()),
    ];
    for (k, v) in &env {
        std::env::set_var(k, v); // the second launch started by the browser script inherits these
    }
    let app = Driver::start(&env).await;
    // Room for the whole account view in the README's screenshots.
    let _ = app.client.set_window_size(1200, 1000).await;

    // Three browser sign-ins: Google and Feishu come back to the loopback listener, AIHubMix as
    // a signet:// link handed to a second launch.
    for (n, provider) in ["google", "feishu", "aihubmix"].into_iter().enumerate() {
        app.click("[data-testid=btn-add-account]").await;
        app.click(&format!(
            "[data-testid=add-provider-option][data-provider={provider}]"
        ))
        .await;
        app.wait_count("[data-testid=account-row]", n + 1, provider)
            .await;
    }
    // Easemob: no browser, a form (host, org and app come from the configured provider).
    app.click("[data-testid=btn-add-account]").await;
    app.click("[data-testid=add-provider-option][data-provider=im]")
        .await;
    app.find("[data-testid=easemob-form]").await;
    app.fill("[data-testid=easemob-user]", "c").await;
    app.fill("[data-testid=easemob-password]", "1").await;
    app.click("[data-testid=easemob-submit]").await;
    app.wait_count("[data-testid=account-row]", 4, "easemob")
        .await;

    // Google: profile with the Workspace domain; create a space and post to it.
    app.click_text("[data-testid=account-row]", "Alice Example")
        .await;
    app.wait_text(
        "[data-testid=profile-field-domain]",
        "Workspace domain",
        |t| t.contains("example.com"),
    )
    .await;
    app.fill("[data-testid=chat-new-space-name]", "Signet launch")
        .await;
    app.click_enabled("[data-testid=chat-create-space]").await;
    app.wait_text("[data-testid=chat-panel]", "new space listed", |t| {
        t.contains("Signet launch")
    })
    .await;
    app.fill("[data-testid=chat-text]", "Hello from Signet")
        .await;
    app.click_enabled("[data-testid=chat-send]").await;
    app.wait_text("[data-testid=chat-result]", "sent", |t| {
        t.contains("spaces/")
    })
    .await;
    assert_eq!(google.spaces().len(), 1);
    assert_eq!(google.sent_messages()[0].text, "Hello from Signet");
    app.screenshot("provider-google").await;

    // Feishu: profile fields, a message to a colleague by e-mail, as the user.
    app.click_text("[data-testid=account-row]", "张三").await;
    app.wait_text("[data-testid=profile-field-enName]", "English name", |t| {
        t.contains("Zhang San")
    })
    .await;
    app.find("[data-testid=chat-recipient-kind]")
        .await
        .select_by_value("email")
        .await
        .expect("recipient kind");
    app.fill("[data-testid=chat-recipient]", "lisi@example.com")
        .await;
    app.fill("[data-testid=chat-text]", "你好，来自 Signet")
        .await;
    app.click_enabled("[data-testid=chat-send]").await;
    app.wait_text("[data-testid=chat-result]", "sent", |t| {
        t.contains("lisi@example.com")
    })
    .await;
    assert_eq!(feishu.sent_messages()[0].text, "你好，来自 Signet");
    app.screenshot("provider-feishu").await;

    // AIHubMix: balance as returned, and its history.
    app.click_text("[data-testid=account-row]", "user123").await;
    app.wait_text("[data-testid=account-balance]", "balance", |t| {
        t.contains("750.00")
    })
    .await;
    app.wait_text("[data-testid=profile-field-username]", "username", |t| {
        t.contains("user123")
    })
    .await;
    app.screenshot("provider-aihubmix").await;

    // Easemob: App Key and user; a text message with the app token.
    app.click_text("[data-testid=account-row]", "Cici").await;
    app.wait_text("[data-testid=profile-field-appKey]", "App Key", |t| {
        t.contains(&easemob.easemob_app())
    })
    .await;
    app.fill("[data-testid=chat-recipient]", "user2").await;
    app.fill("[data-testid=chat-text]", "hello user2").await;
    app.click_enabled("[data-testid=chat-send]").await;
    app.wait_text("[data-testid=chat-result]", "sent", |t| t.contains("user2"))
        .await;
    assert_eq!(easemob.sent_messages()[0].to, "user2");
    app.screenshot("provider-easemob").await;
    app.stop().await;

    // Nothing any server issued — token, code, password, client secret — is in what went to
    // the webview, in the database, or in the app's logs.
    let ipc = std::fs::read_to_string(&capture).expect("IPC capture");
    let mut disk = Vec::new();
    disk.extend(read_tree(&dir.path().join("data"), None));
    let log_dir = std::path::PathBuf::from(std::env::var("XDG_DATA_HOME").expect("XDG_DATA_HOME"))
        .join("app.signet.desktop")
        .join("logs");
    let mut logs = Vec::new();
    logs.extend(read_tree(&log_dir, None));
    assert!(!logs.is_empty(), "the app wrote its log");
    let disk = String::from_utf8_lossy(&disk);
    let logs = String::from_utf8_lossy(&logs);
    let mut scanned = 0;
    for server in [&google, &feishu, &aihubmix, &easemob] {
        for secret in server.issued_secrets() {
            scanned += 1;
            assert!(
                !ipc.contains(&secret),
                "a token or secret was sent to the webview"
            );
            assert!(
                !disk.contains(&secret),
                "a token or secret is in the data folder"
            );
            assert!(
                !logs.contains(&secret),
                "a token or secret is in the app's log"
            );
        }
        server.assert_no_violations();
    }
    println!(
        "secret scan: {scanned} issued secrets, 0 hits in IPC payloads, the database and the logs"
    );
}
