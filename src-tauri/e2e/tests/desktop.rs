//! The real app window, driven through WebDriver under Xvfb, against a local AIHubMix protocol server:
//! add an account by a deep link delivered as a second launch, refresh, refresh all, sign-in-again,
//! a forged link, Chinese, remove — and no secret in any IPC payload sent to the webview.

mod common;

use std::process::Command;
use std::sync::Arc;

use common::{app_binary, Driver};
use signet_core::vault::KeyringBackend;
use signet_core::Vault;
use signet_testkit::files::read_tree;
use signet_testkit::{OAuthServer, ServerConfig};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_adds_refreshes_and_removes_an_aihubmix_account() {
    let server = OAuthServer::start(ServerConfig::aihubmix()).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        server
            .provider_toml("aihubmix")
            .set("redirect", "deep-link")
            .set("client_secret_env", "SIGNET_E2E_AIHUBMIX_SECRET")
            .to_string(),
    )
    .expect("config");
    // The "browser": opens Signet's one-time launch address, follows it to the provider's
    // authorize page, and the OS hands the signet:// link that page redirects to over to a
    // second `signet` process — exactly what Linux does.
    let browser = dir.path().join("browser.sh");
    std::fs::write(
        &browser,
        format!(
            "#!/bin/sh\nauth=$(curl -s -o /dev/null -w '%{{redirect_url}}' \"$1\")\nloc=$(curl -s -o /dev/null -w '%{{redirect_url}}' \"$auth\")\n[ -n \"$loc\" ] || loc=$(curl -sI \"$auth\" | sed -n 's/^[Ll]ocation: //p' | tr -d '\\r')\nexec \"{}\" \"$loc\"\n",
            app_binary().display()
        ),
    )
    .expect("browser");
    Command::new("chmod")
        .args(["+x"])
        .arg(&browser)
        .status()
        .expect("chmod");
    let namespace = format!("e2e-{}", std::process::id());
    let capture = dir.path().join("ipc.jsonl");
    let data = dir.path().join("data");
    let env = vec![
        ("SIGNET_CONFIG", config.display().to_string()),
        ("SIGNET_DATA_DIR", data.display().to_string()),
        ("SIGNET_KEYRING_NAMESPACE", namespace.clone()),
        ("SIGNET_IPC_CAPTURE", capture.display().to_string()),
        ("SIGNET_E2E_AIHUBMIX_SECRET", server.client_secret()),
        ("BROWSER", browser.display().to_string()),
        ("RUST_LOG", "info".into()),
    ];
    for (k, v) in &env {
        std::env::set_var(k, v); // the second launch started by the browser script inherits these
    }
    let app = Driver::start(&env).await;
    app.screenshot("01-empty").await;

    // Add account: pick the provider, the browser "opens", the deep link comes back as a second launch.
    app.click("[data-testid=btn-add-account]").await;
    app.click("[data-testid=add-provider-option][data-provider=aihubmix]")
        .await;
    app.wait_count("[data-testid=account-row]", 1, "the new account appears")
        .await;
    assert_eq!(app.text("[data-testid=account-name]").await, "user123");
    assert!(app
        .text("[data-testid=account-email]")
        .await
        .contains("user@example.com"));
    app.screenshot("02-account-added").await;
    app.click("[data-testid=account-row]").await;
    app.wait_text("[data-testid=account-balance]", "balance", |t| {
        t.contains("750.00")
    })
    .await;
    app.screenshot("03-account-detail").await;

    // Refresh now: the last-refresh time changes.
    let before = app.text("[data-testid=detail-last-refresh]").await;
    let requests = server.refresh_requests();
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await; // a visibly different second
    app.click("[data-testid=btn-refresh-now]").await;
    app.wait_text(
        "[data-testid=detail-last-refresh]",
        "last refresh changes",
        |t| t != before && !t.is_empty(),
    )
    .await;
    assert_eq!(server.refresh_requests(), requests + 1);

    // Refresh all (the tray's action, also in the toolbar): every account refreshed.
    app.click("[data-testid=btn-refresh-all]").await;
    app.wait_text(
        "[data-testid=refresh-all-result]",
        "refresh-all outcome",
        |t| t.contains('1'),
    )
    .await;
    assert_eq!(server.refresh_requests(), requests + 2);

    // 简体中文: the window, the tray's menu and the notification that follows all speak it.
    app.click("[data-testid=nav-settings]").await;
    let select = app.find("[data-testid=select-language]").await;
    select
        .select_by_value("zh-CN")
        .await
        .expect("choose Chinese");
    app.wait_text("[data-testid=nav-accounts]", "navigation in Chinese", |t| {
        t.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
    })
    .await;
    app.screenshot("06-settings-zh").await;
    let tray = wait_capture(&capture, "tray-menu", "全部刷新").await;
    assert!(
        tray.contains("退出") && tray.contains("打开 Signet") && tray.contains("1 个账户"),
        "the tray's menu in Chinese: {tray}"
    );

    // Started again, the window opens on the stored list in the stored language: both came
    // inside the page, so it asked for neither.
    app.stop().await;
    let before_restart = std::fs::read_to_string(&capture)
        .expect("IPC capture")
        .len();
    let app = Driver::start(&env).await;
    app.wait_count(
        "[data-testid=account-row]",
        1,
        "the stored account, at once",
    )
    .await;
    assert!(app
        .text("[data-testid=nav-accounts]")
        .await
        .chars()
        .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)));
    wait_capture(&capture, "tray-menu", "全部刷新").await;
    let restarted =
        std::fs::read_to_string(&capture).expect("IPC capture")[before_restart..].to_owned();
    let channels: Vec<String> = restarted
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| v["channel"].as_str().map(str::to_owned))
        .collect();
    assert!(
        channels.iter().any(|c| c == "page:first_screen"),
        "{channels:?}"
    );
    for asked in ["first_screen", "get_settings"] {
        assert!(
            !channels.iter().any(|c| c == asked),
            "the page asked for {asked}: {channels:?}"
        );
    }
    // The page drew that list from the first screen before the app's code had loaded: its
    // first frame is reported as drawn before the app answers input.
    let data_home = std::env::var("XDG_DATA_HOME").expect("XDG_DATA_HOME set by with-keyring.sh");
    let logs = String::from_utf8_lossy(&read_tree(std::path::Path::new(&data_home), Some("log")))
        .into_owned();
    assert!(
        logs.lines()
            .any(|l| l.contains("first screen is painted") && l.contains("interactive=false")),
        "no first frame drawn before the app: {logs}"
    );
    // That frame came drawn inside the page (first_page.rs), and the page's script, loaded
    // after it through the nonce-carrying loader, mounted the app the rest of this test uses.
    assert!(
        logs.lines()
            .any(|l| l.contains("page served with its first screen") && l.contains("frame=true")),
        "the page was not served with its first frame: {logs}"
    );

    // The provider stops accepting the refresh token: "sign in again", and a notification.
    app.click("[data-testid=nav-accounts]").await;
    app.click("[data-testid=account-row]").await;
    server.revoke_all();
    app.click("[data-testid=btn-refresh-now]").await;
    app.wait_text(
        "[data-testid=account-status]",
        "status becomes sign in again",
        |t| t.contains("需要重新登录"),
    )
    .await;
    app.screenshot("04-sign-in-again").await;
    let log_dir = std::env::var("XDG_DATA_HOME")
        .map(std::path::PathBuf::from)
        .expect("XDG_DATA_HOME set by with-keyring.sh");
    // Alerts wait a moment for others of their kind (a storm is one notification), so the
    // notification follows the status by about two seconds; it speaks the app's language.
    let shown = wait_capture(&capture, "notification", "需要重新登录").await;
    assert!(shown.contains("user123"), "{shown}");
    let logs = String::from_utf8_lossy(&read_tree(&log_dir, Some("log"))).into_owned();
    assert!(logs.contains("notification requested"));
    app.click("[data-testid=nav-settings]").await;
    app.find("[data-testid=select-language]")
        .await
        .select_by_value("en")
        .await
        .expect("back to English");
    wait_capture(&capture, "tray-menu", "Refresh all").await;
    app.click("[data-testid=nav-accounts]").await;

    // The app's log folder is private, and so is every log file in it.
    {
        use std::os::unix::fs::PermissionsExt;
        let app_logs = log_dir.join("app.signet.desktop").join("logs");
        let mode = |p: &std::path::Path| {
            std::fs::metadata(p).expect("metadata").permissions().mode() & 0o777
        };
        assert_eq!(mode(&app_logs), 0o700, "{}", app_logs.display());
        let mut files = 0;
        for e in std::fs::read_dir(&app_logs).expect("log folder").flatten() {
            assert_eq!(mode(&e.path()), 0o600, "{}", e.path().display());
            files += 1;
        }
        assert!(files >= 1, "a log file was written");
        assert_eq!(mode(&data), 0o700, "{}", data.display());
    }

    // A forged sign-in link: a visible warning, no new account.
    let status = Command::new(app_binary())
        .arg("signet://oauth/callback/aihubmix?code=forged&state=forged")
        .status()
        .expect("second launch");
    assert!(status.success());
    app.wait_text(
        "[data-testid=notice]",
        "warning about the forged link",
        |t| !t.is_empty(),
    )
    .await;
    assert_eq!(app.count("[data-testid=account-row]").await, 1);
    app.screenshot("05-forged-link").await;

    // The activity log lists what happened.
    app.click("[data-testid=nav-activity]").await;
    app.find("[data-testid=activity-row]").await;
    assert!(
        app.count("[data-testid=activity-row]").await >= 3,
        "sign-in and refreshes are logged"
    );
    app.screenshot("05b-activity").await;

    // Remove: asks first, then the account and its keyring entries are gone.
    app.click("[data-testid=nav-accounts]").await;
    app.click("[data-testid=account-row]").await;
    let id: i64 = app
        .find("[data-testid=account-row]")
        .await
        .attr("data-account-id")
        .await
        .ok()
        .flatten()
        .and_then(|v| v.parse().ok())
        .expect("account id");
    app.click("[data-testid=btn-remove]").await;
    app.click("[data-testid=btn-confirm-remove]").await;
    app.wait_count("[data-testid=account-row]", 0, "account removed")
        .await;
    let vault = Vault::new(Arc::new(KeyringBackend::new(&namespace)));
    for generation in 0..10 {
        assert!(
            vault
                .get_tokens(id, generation)
                .await
                .expect("keyring")
                .is_none(),
            "keyring entries deleted"
        );
    }
    app.screenshot("07-removed").await;
    app.stop().await;

    // Nothing the server issued ever went to the webview.
    let ipc = std::fs::read_to_string(&capture).expect("IPC capture");
    assert!(ipc.lines().count() > 10, "the capture saw the traffic");
    for secret in server.issued_secrets() {
        assert!(
            !ipc.contains(&secret),
            "a token or secret was sent to the webview"
        );
    }
    server.assert_no_violations();
}

/// First run: no provider configured → the guided setup, not an empty list; adding a provider
/// there shows the redirect URI to register and writes the configuration (secret to the keyring).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_run_guides_through_adding_a_provider() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("config.toml");
    let namespace = format!("e2e-first-{}", std::process::id());
    let env = vec![
        ("SIGNET_CONFIG", config.display().to_string()),
        (
            "SIGNET_DATA_DIR",
            dir.path().join("data").display().to_string(),
        ),
        ("SIGNET_KEYRING_NAMESPACE", namespace.clone()),
    ];
    let app = Driver::start(&env).await;
    app.find("[data-testid=first-run]").await;
    app.screenshot("00-first-run").await;
    app.find("[data-testid=provider-kind]")
        .await
        .select_by_value("aihubmix")
        .await
        .expect("kind");
    app.fill("[data-testid=provider-name]", "aihubmix").await;
    app.fill("[data-testid=provider-client-id]", "client_abc123")
        .await;
    app.fill(
        "[data-testid=provider-client-secret]",
        "secret_typed_in_first_run",
    )
    .await;
    app.click("[data-testid=btn-add-provider]").await;
    app.wait_text(
        "[data-testid=redirect-uri]",
        "redirect URI to register",
        |t| t.contains("signet://oauth/callback/aihubmix"),
    )
    .await;
    app.screenshot("00b-first-run-added").await;
    app.stop().await;
    let file = std::fs::read_to_string(&config).expect("config written");
    assert!(file.contains("client_id = \"client_abc123\""), "{file}");
    assert!(
        !file.contains("secret_typed_in_first_run"),
        "the secret is not in the file"
    );
    let vault = Vault::new(Arc::new(KeyringBackend::new(&namespace)));
    assert_eq!(
        vault
            .get_client_secret("aihubmix")
            .await
            .expect("keyring")
            .map(|s| s.expose().to_owned())
            .as_deref(),
        Some("secret_typed_in_first_run")
    );
}

/// Waits (20 s at most) until the latest line of the IPC capture on `channel` contains `text`;
/// returns it.
async fn wait_capture(capture: &std::path::Path, channel: &str, text: &str) -> String {
    let tag = format!("\"channel\":\"{channel}\"");
    let found = async {
        loop {
            let all = std::fs::read_to_string(capture).unwrap_or_default();
            if let Some(line) = all.lines().rev().find(|l| l.contains(&tag)) {
                if line.contains(text) {
                    return line.to_owned();
                }
            }
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
    };
    tokio::time::timeout(std::time::Duration::from_secs(20), found)
        .await
        .unwrap_or_else(|_| panic!("no {channel} capture containing {text:?}"))
}
