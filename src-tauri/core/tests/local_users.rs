//! Other users and programs on the same machine: callbacks from another uid, the one-time launch
//! address, error callbacks that carry someone else's words, forged-callback floods, ID tokens
//! with missing or ambiguous claims, and the modes of every file Signet writes.
//! Acting as another user needs root (`setpriv`), as `scripts/test.sh` runs.

mod common;

use std::process::Command;

use common::{harness, param, Setup};
use signet_core::ErrorCode;

/// Runs `args` as uid/gid 65534 (nobody), the way another local user's program would.
fn as_nobody(args: &[&str]) -> std::process::Output {
    let mut cmd = if rustix_euid() == 0 {
        Command::new("setpriv")
    } else {
        let mut c = Command::new("sudo");
        c.arg("-n").arg("setpriv");
        c
    };
    cmd.args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
        .args(args);
    let out = cmd.output().expect("setpriv (util-linux) runs");
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("setpriv:"),
        "acting as another user needs root or passwordless sudo: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn rustix_euid() -> u32 {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self")
        .map(|m| m.uid())
        .unwrap_or(0)
}

/// `curl` as nobody; returns the HTTP status it got (0: no answer).
fn curl_as_nobody(url: &str) -> u16 {
    let out = as_nobody(&[
        "curl",
        "-s",
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        "--max-time",
        "10",
        url,
    ]);
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .unwrap_or(0)
}

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_users_callback_is_refused_and_the_real_sign_in_completes() {
    let h = harness(Setup::oidc()).await;
    let start = h.engine.begin_sign_in("corp", None).await.expect("begin");
    let state = param(start.authorize_url.as_str(), "state").expect("state");
    assert!(
        !start.browser_url.as_str().contains(&state),
        "the address a browser is started with carries no state"
    );

    // Another user saw the state (say, on a command line) and tries to abort or inject.
    let abort = format!(
        "{}?state={state}&error=server_error&error_description=aborted+by+another+user",
        start.redirect_uri
    );
    assert_eq!(curl_as_nobody(&abort), 403, "another uid is refused");
    let inject = format!("{}?state={state}&code=attackers-code", start.redirect_uri);
    assert_eq!(curl_as_nobody(&inject), 403);
    assert_eq!(
        curl_as_nobody(start.browser_url.as_str()),
        403,
        "nor may it open the launch address"
    );
    assert_eq!(h.server.token_requests(), 0, "nothing was exchanged");

    // The person's own browser: the launch address sends it to the provider, once.
    let r = no_redirects()
        .get(start.browser_url.as_str())
        .send()
        .await
        .expect("launch");
    assert_eq!(r.status().as_u16(), 302);
    assert_eq!(
        r.headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default(),
        start.authorize_url.as_str()
    );
    let (status, account) = h.finish(start).await;
    assert_eq!(status, Some(200));
    let account = account.expect("the real sign-in completes");
    assert_eq!(account.display_name, "alice");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_launch_address_opened_twice_cancels_the_sign_in() {
    let h = harness(Setup::oidc()).await;
    let start = h.engine.begin_sign_in("corp", None).await.expect("begin");
    let client = no_redirects();
    let first = client.get(start.browser_url.as_str()).send().await;
    assert_eq!(first.expect("first").status().as_u16(), 302);
    let second = client
        .get(start.browser_url.as_str())
        .send()
        .await
        .expect("second");
    assert_eq!(second.status().as_u16(), 410);
    assert!(second
        .text()
        .await
        .unwrap_or_default()
        .contains("opened twice"));
    let e = start.waiter.wait().await.expect_err("cancelled");
    assert_eq!(e.code, ErrorCode::SignInCancelled);
    // A wrong token is nobody's: not found, and nothing else happens.
    let port = start.browser_url.port().expect("port");
    let wrong = client
        .get(format!("http://127.0.0.1:{port}/start/nope"))
        .send()
        .await;
    assert!(wrong.is_err() || wrong.is_ok_and(|r| r.status().as_u16() == 404));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_foreign_host_header_is_refused() {
    let h = harness(Setup::oidc()).await;
    let start = h.engine.begin_sign_in("corp", None).await.expect("begin");
    let r = no_redirects()
        .get(start.browser_url.as_str())
        .header("Host", "evil.example:80")
        .send()
        .await
        .expect("answer");
    assert_eq!(r.status().as_u16(), 421, "DNS-rebound page refused");
    // The launch address was not used up by the refused request.
    let r = no_redirects()
        .get(start.browser_url.as_str())
        .send()
        .await
        .expect("answer");
    assert_eq!(r.status().as_u16(), 302);
    h.engine.cancel_sign_in("corp");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_error_callback_shows_signets_sentence_never_the_callers_text() {
    let h = harness(Setup::oidc()).await;
    let start = h.engine.begin_sign_in("corp", None).await.expect("begin");
    let state = param(start.authorize_url.as_str(), "state").expect("state");
    let cb = format!(
        "{}?state={state}&error=server_error&error_description=Call+0800-PHISH+now&iss={}",
        start.redirect_uri,
        h.server.issuer()
    );
    let (_, page) = h.deliver(&cb).await.expect("page");
    let e = start.waiter.wait().await.expect_err("failed");
    assert!(e.message.contains("server_error"), "{}", e.message);
    assert!(!e.message.contains("PHISH") && !page.contains("PHISH"));
    assert_eq!(e.code, ErrorCode::Temporary);

    // A code no standard defines is not repeated either.
    let start = h.engine.begin_sign_in("corp", None).await.expect("begin");
    let state = param(start.authorize_url.as_str(), "state").expect("state");
    let cb = format!(
        "{}?state={state}&error=visit_evil.example&iss={}",
        start.redirect_uri,
        h.server.issuer()
    );
    h.deliver(&cb).await;
    let e = start.waiter.wait().await.expect_err("failed");
    assert!(!e.message.contains("evil"), "{}", e.message);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_thousand_forged_callbacks_add_a_handful_of_activity_lines() {
    let h = harness(Setup::oidc()).await;
    let start = h.engine.begin_sign_in("corp", None).await.expect("begin");
    let client = reqwest::Client::new();
    for i in 0..2000 {
        let url = format!("{}?state=forged-{i}&code=x", start.redirect_uri);
        let r = client.get(&url).send().await.expect("answer");
        assert_eq!(r.status().as_u16(), 400);
    }
    let rows = h.engine.store().activity(10_000).await.expect("activity");
    assert!(rows.len() <= 3, "{} activity lines", rows.len());
    let total: i64 = rows.iter().map(|r| r.count).sum();
    assert_eq!(total, 2000, "every refusal is still counted");
    h.engine.cancel_sign_in("corp");
}

async fn sign_in_with_id_token(overrides: serde_json::Value) -> signet_core::Error {
    let mut setup = Setup::oidc();
    if let serde_json::Value::Object(m) = overrides {
        setup.server.id_token_overrides = m;
    }
    let h = harness(setup).await;
    let e = h.try_sign_in(None).await.expect_err("refused");
    assert!(
        h.engine.list().await.expect("list").is_empty(),
        "no account stored"
    );
    e
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn id_tokens_without_exp_or_with_two_audiences_and_no_azp_are_refused() {
    let e = sign_in_with_id_token(serde_json::json!({"exp": null})).await;
    assert!(e.message.contains("no expiry (exp)"), "{}", e.message);
    let e = sign_in_with_id_token(
        serde_json::json!({"aud": ["signet-test-client", "other-client"], "azp": null}),
    )
    .await;
    assert!(e.message.contains("no authorized party"), "{}", e.message);
    let e = sign_in_with_id_token(serde_json::json!({"azp": "other-client"})).await;
    assert!(e.message.contains("another client (azp)"), "{}", e.message);
    let e = sign_in_with_id_token(serde_json::json!({"iat": null})).await;
    assert!(e.message.contains("(iat)"), "{}", e.message);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn everything_signet_writes_is_private_and_foreign_folders_are_refused() {
    use std::os::unix::fs::PermissionsExt;
    let h = harness(Setup::oidc()).await;
    h.sign_in().await;
    let data = h.dir.path().join("data");
    let mut seen = 0;
    let mut stack = vec![data.clone()];
    while let Some(d) = stack.pop() {
        let mode = std::fs::metadata(&d).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode, 0o700, "{}", d.display());
        for e in std::fs::read_dir(&d).expect("read").flatten() {
            let mode = e.metadata().expect("meta").permissions().mode() & 0o777;
            if e.file_type().expect("type").is_dir() {
                stack.push(e.path());
            } else {
                assert_eq!(mode, 0o600, "{}", e.path().display());
                seen += 1;
            }
        }
    }
    assert!(
        seen >= 2,
        "the database and its lock files checked ({seen})"
    );

    // Another user cannot open a lock file, so cannot hold it to stall a refresh.
    let lock = data.join("signet.sqlite3.upgrade.lock");
    let out = as_nobody(&["flock", "-n", &lock.to_string_lossy(), "true"]);
    assert!(!out.status.success(), "nobody could open the lock file");

    // An existing install with loose modes is tightened at the next start.
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let db = data.join("signet.sqlite3");
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    // The first engine is gone before the next opens the same folder, as between two starts
    // of the app (its connections closed, not left to close on their own while it opens).
    h.engine.store().close().await;
    drop(h);
    let config = signet_core::Config::load(&h_config(&data)).unwrap_or_default();
    let opts = |dir: &std::path::Path| {
        signet_core::EngineOptions::new(
            config.clone(),
            dir.to_path_buf(),
            signet_core::Vault::new(std::sync::Arc::new(
                signet_core::vault::MemoryBackend::default(),
            )),
        )
    };
    signet_core::Engine::open(opts(&data))
        .await
        .expect("reopen");
    let mode = |p: &std::path::Path| std::fs::metadata(p).expect("m").permissions().mode() & 0o777;
    assert_eq!((mode(&data), mode(&db)), (0o700, 0o600));

    // The default configuration folder (…/signet/) of an older install is tightened too.
    let config_dir = h_config(&data).with_file_name("signet");
    std::fs::create_dir(&config_dir).expect("mkdir");
    std::fs::set_permissions(&config_dir, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    std::fs::write(config_dir.join("config.toml"), "").expect("config");
    let mut with_config = config.clone();
    with_config.path = config_dir.join("config.toml");
    signet_core::Engine::open(signet_core::EngineOptions::new(
        with_config,
        data.clone(),
        signet_core::Vault::new(std::sync::Arc::new(
            signet_core::vault::MemoryBackend::default(),
        )),
    ))
    .await
    .expect("reopen");
    assert_eq!(
        (mode(&config_dir), mode(&config_dir.join("config.toml"))),
        (0o700, 0o600)
    );

    // A data folder others may write to, or of another user, is refused with a reason.
    let open_dir = data.with_file_name("shared");
    std::fs::create_dir(&open_dir).expect("mkdir");
    std::fs::set_permissions(&open_dir, std::fs::Permissions::from_mode(0o777)).expect("chmod");
    let Err(e) = signet_core::Engine::open(opts(&open_dir)).await else {
        panic!("a folder anyone may write to was used");
    };
    assert!(
        e.message.contains("other users may write to it"),
        "{}",
        e.message
    );
    let foreign = data.with_file_name("foreign");
    std::fs::create_dir(&foreign).expect("mkdir");
    std::os::unix::fs::chown(&foreign, Some(65534), Some(65534)).expect("chown (root)");
    let Err(e) = signet_core::Engine::open(opts(&foreign)).await else {
        panic!("a folder of another user was used");
    };
    assert!(
        e.message.contains("belongs to another user"),
        "{}",
        e.message
    );
}

fn h_config(data: &std::path::Path) -> std::path::PathBuf {
    data.with_file_name("config.toml")
}

/// Serves `body` with `content_type` for every request on a loopback port; returns the base URL.
fn serve_bytes(body: &'static [u8], content_type: &'static str) -> String {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut s = stream;
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf);
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = s.write_all(head.as_bytes());
            let _ = s.write_all(body);
        }
    });
    format!("http://127.0.0.1:{port}")
}

async fn avatar_of(picture: String) -> Option<String> {
    let h = harness(Setup::oidc()).await;
    let mut user = h.server.user();
    user.picture = Some(picture);
    h.server.set_user(user);
    let account = h.sign_in().await;
    h.engine.avatar(account.id).await.expect("avatar")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pictures_reach_the_window_as_checked_data_urls_only() {
    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
    let png = serve_bytes(PNG, "image/png");
    let got = avatar_of(format!("{png}/alice.png"))
        .await
        .expect("a picture");
    assert!(got.starts_with("data:image/png;base64,"), "{got}");

    // An HTML page (or SVG with script) labelled as an image is not a picture.
    let html = serve_bytes(b"<svg onload=alert(1)></svg>", "image/png");
    assert_eq!(avatar_of(format!("{html}/x.png")).await, None);

    // Too big: over the cap, nothing is shown.
    static BIG: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    let big = BIG.get_or_init(|| {
        let mut v = PNG.to_vec();
        v.resize(signet_core::avatars::MAX_AVATAR_BYTES + 1, 0);
        v
    });
    let big = serve_bytes(big.as_slice(), "image/png");
    assert_eq!(avatar_of(format!("{big}/big.png")).await, None);

    // A look-alike of a loopback address is not one: never stored, never fetched.
    let h = harness(Setup::oidc()).await;
    let mut user = h.server.user();
    user.picture = Some("http://127.0.0.1.evil.example/p.png".into());
    h.server.set_user(user);
    let account = h.sign_in().await;
    assert_eq!(account.avatar_url, None);
    assert_eq!(h.engine.avatar(account.id).await.expect("avatar"), None);
}
