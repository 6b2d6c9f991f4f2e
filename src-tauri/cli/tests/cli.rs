//! `signetctl` as a script uses it: configure, sign in through $BROWSER, list, token, refresh racing the app, remove.
//! Needs a Secret Service shared by both processes: run through scripts/with-keyring.sh.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Arc;

use signet_core::vault::KeyringBackend;
use signet_core::{Config, Engine, EngineOptions, RefreshOutcome, Vault};
use signet_testkit::{OAuthServer, ServerConfig, TokenState};

struct Env {
    dir: tempfile::TempDir,
    namespace: String,
}

static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

impl Env {
    fn new() -> Env {
        assert!(
            std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some(),
            "run through scripts/with-keyring.sh: signetctl and the engine share the Secret Service"
        );
        Env {
            dir: tempfile::tempdir().expect("tempdir"),
            // One namespace per test: tests run in parallel and each starts at account 1.
            namespace: format!(
                "cli-test-{}-{}",
                std::process::id(),
                NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            ),
        }
    }
    fn config(&self) -> PathBuf {
        self.dir.path().join("config.toml")
    }
    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }
    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_signetctl"));
        c.args(args)
            .env("SIGNET_CONFIG", self.config())
            .env("SIGNET_DATA_DIR", self.data())
            .env("SIGNET_KEYRING_NAMESPACE", &self.namespace)
            .env_remove("SIGNET_LOG");
        c
    }
    fn run(&self, args: &[&str]) -> Output {
        self.cmd(args).output().expect("signetctl runs")
    }
    async fn engine(&self) -> Engine {
        let config = Config::load(&self.config()).expect("config");
        let vault = Vault::new(Arc::new(KeyringBackend::new(&self.namespace)));
        Engine::open(EngineOptions::new(config, self.data(), vault))
            .await
            .expect("engine")
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A stand-in for the person's browser: follows the provider's redirect back to Signet's loopback listener.
fn fake_browser(dir: &Path) -> PathBuf {
    let path = dir.join("browser.sh");
    std::fs::write(&path, "#!/bin/sh\nexec curl -sfL -o /dev/null \"$1\"\n").expect("write");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_script_signs_in_gets_tokens_and_races_the_app_safely() {
    let env = Env::new();
    let server = OAuthServer::start(ServerConfig::oidc()).await;

    // Configure a generic OIDC provider by issuer URL.
    let out = env.run(&[
        "add-oidc",
        "corp",
        "--issuer",
        &server.issuer(),
        "--client-id",
        &server.client_id(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = env.run(&["providers"]);
    assert!(text(&out.stdout).contains("corp") && text(&out.stdout).contains("oidc"));
    let out = secret_stdin(
        &env,
        &["secret-set", "corp"],
        &format!("{}\n", server.client_secret()),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));

    // Sign in: the browser opens (here: $BROWSER), comes back to the loopback listener.
    let browser = fake_browser(env.dir.path());
    let out = env
        .cmd(&["add", "corp"])
        .env("BROWSER", &browser)
        .output()
        .expect("add");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("Signed in: alice — alice@example.com (corp), account 1"),
        "{}",
        text(&out.stdout)
    );
    assert!(text(&out.stderr).contains(&format!("{}/authorize?", server.issuer())));

    let out = env.run(&["list"]);
    let list = text(&out.stdout);
    assert!(
        list.contains("alice@example.com") && list.contains("fresh"),
        "{list}"
    );

    let out = env.run(&["token", "alice@example.com"]);
    assert!(out.status.success());
    let token = text(&out.stdout).trim().to_owned();
    assert_eq!(
        server.token_state(&token),
        Some(TokenState::Live),
        "prints a live access token"
    );

    // The app's engine and signetctl race on one account: exactly one token request.
    let engine = env.engine().await;
    let before = server.refresh_requests();
    let hold = server.hold_token_responses();
    let app = {
        let engine = engine.clone();
        tokio::spawn(async move { engine.refresh(1, true).await })
    };
    server
        .wait_token_requests(server.token_requests() + 1)
        .await; // the app's refresh is in flight
    let mut cli = env
        .cmd(&["refresh", "1"])
        .env("SIGNET_LOG", "info")
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn refresh");
    let mut stderr = BufReader::new(cli.stderr.take().expect("stderr"));
    let mut seen = String::new();
    let waiting = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        while stderr.read_line(&mut line).unwrap_or(0) > 0 {
            seen.push_str(&line);
            if line.contains("another Signet process is refreshing this account") {
                return (true, seen, stderr);
            }
            line.clear();
        }
        (false, seen, stderr)
    })
    .await
    .expect("read");
    assert!(
        waiting.0,
        "signetctl waits for the app's refresh: {}",
        waiting.1
    );
    hold.release();
    assert_eq!(
        app.await.expect("join").expect("app refresh"),
        RefreshOutcome::Refreshed
    );
    let mut rest = String::new();
    let mut stderr = waiting.2;
    std::io::Read::read_to_string(&mut stderr, &mut rest).expect("rest");
    assert!(cli.wait().expect("wait").success());
    assert!(
        rest.contains("refreshed (by another Signet process)"),
        "{rest}"
    );
    assert_eq!(server.refresh_requests() - before, 1);

    // Errors for scripts: clear message, distinct exit code.
    let out = env.run(&["token", "nobody@example.com"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("No account matches"));
    server.revoke_all();
    let out = env.run(&["refresh", "1"]);
    assert_eq!(
        out.status.code(),
        Some(3),
        "3 = sign in again: {}",
        text(&out.stderr)
    );
    let out = env.run(&["token", "1"]);
    assert_eq!(out.status.code(), Some(3));

    let out = env.run(&["remove", "1"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = env.run(&["list", "--json"]);
    assert_eq!(text(&out.stdout).trim(), "[]");

    // Nothing the server issued is in Signet's files.
    let mut disk = Vec::new();
    for e in std::fs::read_dir(env.data()).expect("data").flatten() {
        if e.path().is_file() {
            disk.extend(std::fs::read(e.path()).expect("read"));
        }
    }
    for s in server.issued_secrets() {
        assert!(
            !disk.windows(s.len()).any(|w| w == s.as_bytes()),
            "secret on disk"
        );
    }
    server.assert_no_violations();
}

#[test]
fn bad_configuration_names_the_file_and_key_with_exit_code_5() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("config.toml");
    std::fs::write(&path, "[[providers]]\nname = \"corp\"\nkind = \"oidc\"\nclient_id = \"x\"\nissuer = \"http://idp.example.com\"\n").expect("write");
    let out = Command::new(env!("CARGO_BIN_EXE_signetctl"))
        .args(["list"])
        .env("SIGNET_CONFIG", &path)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(5));
    let err = text(&out.stderr);
    assert!(
        err.contains("config.toml")
            && err.contains("providers[0] (corp).issuer")
            && err.contains("plain http"),
        "{err}"
    );
}

#[test]
fn every_command_has_help() {
    for cmd in [
        "providers",
        "add-oidc",
        "secret-set",
        "add",
        "list",
        "token",
        "refresh",
        "remove",
        "add-provider",
        "add-easemob",
        "profile",
        "low-balance",
        "edit-provider",
        "remove-provider",
        "topup",
        "chat",
        "chat list",
        "chat create-space",
        "chat send",
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_signetctl"))
            .args(cmd.split(' ').chain(["--help"]))
            .output()
            .expect("run");
        assert!(out.status.success(), "{cmd}");
        assert!(text(&out.stdout).contains("Usage: signetctl"), "{cmd}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_script_sets_a_low_balance_alert_and_reads_the_forecast() {
    let env = Env::new();
    let server = OAuthServer::start(ServerConfig::aihubmix()).await;
    std::fs::write(
        env.config(),
        server
            .provider_toml("aihubmix")
            .set("redirect", "loopback")
            .to_string(),
    )
    .expect("config");
    let out = secret_stdin(
        &env,
        &["secret-set", "aihubmix"],
        &format!("{}\n", server.client_secret()),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    server.set_balance(6_500_000, 100, "13.00");
    let out = env
        .cmd(&["add", "aihubmix"])
        .env("BROWSER", fake_browser(env.dir.path()))
        .output()
        .expect("add");
    assert!(out.status.success(), "{}", text(&out.stderr));

    let out = env.run(&["low-balance", "1", "15"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("when the balance falls below 15.00"),
        "{}",
        text(&out.stdout)
    );
    let out = env.run(&["profile", "1"]);
    let shown = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(shown.contains("balance  13.00"), "{shown}");
    assert!(shown.contains("alert    when below 15.00"), "{shown}");
    assert!(shown.contains("forecast not enough history yet"), "{shown}");

    let out = env.run(&["profile", "1", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["lowBalanceBelow"], 15.0);
    assert!(v["forecast"].is_null());

    let out = env.run(&["low-balance", "1", "lots"]);
    assert_eq!(out.status.code(), Some(5));
    assert_eq!(
        one_sentence(&out),
        "signetctl: \"lots\" is not an amount: give one such as 5 or 12.50, or off."
    );
    let out = env.run(&["low-balance", "1", "off"]);
    assert!(text(&out.stdout).contains("no low-balance alert"));
    assert!(!text(&env.run(&["profile", "1"]).stdout).contains("alert    when below"));
}

fn secret_stdin(env: &Env, args: &[&str], lines: &str) -> Output {
    piped(env.cmd(args), lines)
}

/// Runs `cmd` with `lines` on its standard input (how a script hands over a secret).
fn piped(mut cmd: Command, lines: &str) -> Output {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(lines.as_bytes())
        .expect("write");
    child.wait_with_output().expect("wait")
}

/// A `google` provider pointing at `server`'s endpoints, with its client secret stored.
fn write_google_config(env: &Env, server: &OAuthServer) {
    std::fs::write(env.config(), server.provider_toml("google").to_string()).expect("config");
    let out = secret_stdin(
        env,
        &["secret-set", "google"],
        &format!("{}\n", server.client_secret()),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_script_uses_google_chat() {
    let env = Env::new();
    let server = OAuthServer::start(ServerConfig::google()).await;
    write_google_config(&env, &server);
    let out = env
        .cmd(&["add", "google"])
        .env("BROWSER", fake_browser(env.dir.path()))
        .output()
        .expect("add");
    assert!(out.status.success(), "{}", text(&out.stderr));

    let out = env.run(&["chat", "create-space", "alice@example.com", "Release train"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let line = text(&out.stdout);
    assert!(
        line.starts_with("space:spaces/") && line.contains("Release train"),
        "{line}"
    );
    let space = line.split('\t').next().expect("id").trim().to_owned();

    let out = env.run(&["chat", "list", "alice@example.com"]);
    assert!(text(&out.stdout).contains(&space), "{}", text(&out.stdout));

    let out = secret_stdin(
        &env,
        &["chat", "send", "alice@example.com", "--to", &space],
        "line one\nline two\n",
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).starts_with("Sent to spaces/"),
        "{}",
        text(&out.stdout)
    );
    assert_eq!(server.sent_messages()[0].text, "line one\nline two");

    let out = env.run(&[
        "chat",
        "send",
        "alice@example.com",
        "--to",
        "nonsense",
        "hi",
    ]);
    assert_eq!(
        out.status.code(),
        Some(5),
        "a malformed recipient is a usage problem"
    );
    let out = env.run(&["profile", "alice@example.com"]);
    assert!(
        text(&out.stdout).contains("example.com"),
        "{}",
        text(&out.stdout)
    );
    server.assert_no_violations();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_script_adds_an_easemob_account_and_sends_a_message() {
    let env = Env::new();
    let server = OAuthServer::start(ServerConfig::easemob()).await;
    server.add_easemob_user("user2", "pw-222222", "Bob");
    let out = secret_stdin(
        &env,
        &[
            "add-easemob",
            "--host",
            &server.base_url(),
            "--org",
            &server.easemob_org(),
            "--app",
            &server.easemob_app(),
            "--user",
            "c",
            "--password-stdin",
            "--client-id",
            &server.client_id(),
            "--client-secret-stdin",
            "--ttl",
            "0",
        ],
        &format!("1\n{}\n", server.client_secret()),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("Added: Cici"),
        "{}",
        text(&out.stdout)
    );
    let config = std::fs::read_to_string(env.config()).expect("config written");
    assert!(config.contains("kind = \"easemob\"") && !config.contains(&server.client_secret()));

    let out = env.run(&["chat", "send", "c", "--to", "user:user2", "hello"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(server.sent_messages()[0].to, "user2");
    let out = env.run(&["list"]);
    assert!(text(&out.stdout).contains("fresh"), "{}", text(&out.stdout));
    let out = env.run(&["token", "c"]);
    assert!(out.status.success());
    server.assert_no_violations();
}

/// A browser stand-in that records the command line it was started with, then follows the redirects.
fn recording_browser(dir: &Path) -> (PathBuf, PathBuf) {
    let path = dir.join("browser-recording.sh");
    let record = dir.join("browser-cmdline");
    std::fs::write(
        &path,
        format!(
            "#!/bin/sh\ntr '\\0' ' ' < /proc/$$/cmdline > '{}'\nexec curl -sfL -o /dev/null \"$1\"\n",
            record.display()
        ),
    )
    .expect("write");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    (path, record)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_names_print_clean_state_stays_off_command_lines_and_files_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let env = Env::new();
    let server = OAuthServer::start(ServerConfig::google()).await;
    let mut user = server.user();
    user.name = "Mallory\u{1b}]0;pwned\u{7}\u{1b}[31m".to_owned();
    server.set_user(user);
    write_google_config(&env, &server);

    // Signed in with umask 022, the way a login shell starts programs.
    let (browser, record) = recording_browser(env.dir.path());
    let under_umask_022 = |args: &[&str]| {
        let mut c = Command::new("sh");
        c.args([
            "-c",
            "umask 022; exec \"$0\" \"$@\"",
            env!("CARGO_BIN_EXE_signetctl"),
        ])
        .args(args)
        .env("BROWSER", &browser);
        for (k, v) in env.cmd(&[]).get_envs() {
            match v {
                Some(v) => c.env(k, v),
                None => c.env_remove(k),
            };
        }
        c.output().expect("signetctl runs")
    };
    let out = under_umask_022(&["add", "google"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = under_umask_022(&["list"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = under_umask_022(&["profile", "1"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let listed = text(&out.stdout);
    assert!(listed.contains("Mallory"), "{listed}");
    for bad in ['\u{1b}', '\u{7}'] {
        assert!(
            !listed.contains(bad),
            "control character in `profile`: {listed:?}"
        );
    }
    let cmdline = std::fs::read_to_string(&record).expect("the browser was started");
    assert!(cmdline.contains("http://127.0.0.1:") && cmdline.contains("/start/"));
    assert!(
        !cmdline.contains("state=") && !cmdline.contains("code_challenge"),
        "the browser's command line carries no state: {cmdline}"
    );

    // A space named by someone else, with escape codes in its name.
    let out = env.run(&["chat", "create-space", "1", "Team\u{1b}[2J\u{7} room"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = env.run(&["chat", "list", "1"]);
    let listed = text(&out.stdout);
    assert!(
        listed.contains("Team") && listed.contains("room"),
        "{listed}"
    );
    assert!(
        !listed.contains('\u{1b}') && !listed.contains('\u{7}'),
        "{listed:?}"
    );

    // Every folder Signet made is 0700 and every file 0600, under umask 022.
    let mut stack = vec![env.data()];
    let mut files = 0;
    while let Some(d) = stack.pop() {
        let mode = std::fs::metadata(&d).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode, 0o700, "{}", d.display());
        for e in std::fs::read_dir(&d).expect("dir").flatten() {
            if e.file_type().expect("type").is_dir() {
                stack.push(e.path());
            } else {
                let mode = e.metadata().expect("meta").permissions().mode() & 0o777;
                assert_eq!(mode, 0o600, "{}", e.path().display());
                files += 1;
            }
        }
    }
    // The database and its upgrade lock at least (the WAL exists only while a connection is open).
    assert!(files >= 2, "{files} files checked");
    assert!(env.data().join("signet.sqlite3").is_file());
    let config_mode = std::fs::metadata(env.config())
        .expect("config")
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(config_mode, 0o600, "the configuration file is made private");
}

/// Adds an OpenID Connect provider named `name` for `server`, stores its secret, and signs in
/// as the server's user through the fake browser.
fn sign_in_oidc(env: &Env, server: &OAuthServer, name: &str) {
    let out = env.run(&[
        "add-oidc",
        name,
        "--issuer",
        &server.issuer(),
        "--client-id",
        &server.client_id(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = secret_stdin(
        env,
        &["secret-set", name],
        &format!("{}\n", server.client_secret()),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = env
        .cmd(&["add", name])
        .env("BROWSER", fake_browser(env.dir.path()))
        .output()
        .expect("add");
    assert!(out.status.success(), "{}", text(&out.stderr));
}

/// A script changes a provider's scopes (its account stays), is told that removing a provider
/// with an account needs --yes, and removes it with --yes: the account is revoked and gone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_script_edits_and_removes_a_provider_with_its_account() {
    let env = Env::new();
    let server = OAuthServer::start(ServerConfig::oidc()).await;
    sign_in_oidc(&env, &server, "corp");

    let out = env.run(&["edit-provider", "corp", "--scopes", "openid email"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("Its account stays signed in."));
    let file = std::fs::read_to_string(env.config()).expect("config");
    assert!(file.contains("scopes = [\"openid\", \"email\"]"), "{file}");
    let out = env.run(&[
        "edit-provider",
        "corp",
        "--issuer",
        "http://idp.example.com",
    ]);
    assert_eq!(out.status.code(), Some(5));
    assert!(one_sentence(&out).contains("plain http"));
    assert_eq!(std::fs::read_to_string(env.config()).expect("config"), file);

    let out = env.run(&["remove-provider", "corp"]);
    assert_eq!(out.status.code(), Some(5));
    let said = one_sentence(&out);
    assert!(
        said.contains("removes its account from Signet too") && said.contains("--yes"),
        "{said}"
    );
    assert!(text(&env.run(&["list"]).stdout).contains("corp"));

    let out = env.run(&["remove-provider", "corp", "--yes"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stderr).trim(), "Removed corp and its account.");
    assert_eq!(server.revoked_tokens().len(), 1, "revoked at the provider");
    assert!(!text(&env.run(&["list"]).stdout).contains("corp"));
    assert!(!std::fs::read_to_string(env.config())
        .expect("config")
        .contains("[[providers]]"));
    server.assert_no_violations();
}

/// Exactly one line on stderr, free of colour codes: what a script logs and a person reads.
fn one_sentence(out: &Output) -> String {
    let err = text(&out.stderr);
    assert_eq!(err.trim_end().lines().count(), 1, "one line:\n{err}");
    assert!(
        !err.contains('\u{1b}'),
        "no colour codes in a pipe: {err:?}"
    );
    err.trim_end().to_owned()
}

/// What a script's author meets: one sentence per error (no log lines, no colour codes in a
/// pipe), what to do after a temporary failure (signetctl does not retry by itself), a removal
/// whose revocation failed named as such (not "Removed." and exit 0), and `list` columns that
/// stay aligned with a long provider name.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_script_reads_one_sentence_per_error_and_aligned_columns() {
    let env = Env::new();
    let server = OAuthServer::start(ServerConfig::oidc()).await;
    let name = "corporate-identity-provider-east";
    sign_in_oidc(&env, &server, name);

    let out = env.run(&["list"]);
    let list = text(&out.stdout);
    let lines: Vec<&str> = list.lines().collect();
    assert_eq!(lines.len(), 2, "{list}");
    assert_eq!(
        lines[0].find("STATUS"),
        lines[1].find("fresh"),
        "columns aligned:\n{list}"
    );
    assert!(lines[1].contains(name), "{list}");

    // A temporary failure: what happened, and what to do about it.
    server.push_fault(signet_testkit::Fault::Status503);
    let out = env.run(&["refresh", "1"]);
    assert_eq!(out.status.code(), Some(6), "{}", text(&out.stderr));
    let said = one_sentence(&out);
    assert!(
        said.contains("Run the command again") && !said.contains("will retry"),
        "{said}"
    );

    // Signing in again needed: said once, not three times.
    server.revoke_all();
    let out = env.run(&["refresh", "1"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    one_sentence(&out);

    // The provider cannot be reached to revoke: removed here, and the script is told plainly.
    let issuer = server.issuer();
    drop(server);
    let out = env.run(&["remove", "1"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let said = one_sentence(&out);
    assert!(
        said.contains("did not confirm the revocation") && said.contains("may keep working"),
        "{said}"
    );
    let out = env.run(&["list", "--json"]);
    assert_eq!(text(&out.stdout).trim(), "[]", "removed locally ({issuer})");
}

/// A provider whose hosts differ from the documented ones is added with flags, not by editing
/// the file; a flag that does not apply to the kind is refused and nothing is written.
#[test]
fn add_provider_takes_endpoint_overrides() {
    let env = Env::new();
    let out = env.run(&[
        "add-provider",
        "google",
        "work",
        "--client-id",
        "id-1",
        "--authorize-url",
        "https://proxy.example.com/o/oauth2/v2/auth",
        "--token-url",
        "https://proxy.example.com/token",
        "--userinfo-url",
        "https://proxy.example.com/userinfo",
        "--revoke-url",
        "https://proxy.example.com/revoke",
        "--api-base",
        "https://chat-proxy.example.com",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let config = signet_core::Config::load(&env.config()).expect("config");
    let signet_core::config::KindConfig::Google(p) = &config.provider("work").expect("added").keys
    else {
        panic!("a google entry has Google's keys");
    };
    assert_eq!(
        p.token_url.as_deref(),
        Some("https://proxy.example.com/token")
    );
    assert_eq!(
        p.authorize_url.as_deref(),
        Some("https://proxy.example.com/o/oauth2/v2/auth")
    );
    assert_eq!(
        p.userinfo_url.as_deref(),
        Some("https://proxy.example.com/userinfo")
    );
    assert_eq!(
        p.revoke_url.as_deref(),
        Some("https://proxy.example.com/revoke")
    );
    assert_eq!(
        p.api_base.as_deref(),
        Some("https://chat-proxy.example.com")
    );

    let before = std::fs::read_to_string(env.config()).expect("config");
    let out = env.run(&[
        "add-provider",
        "aihubmix",
        "hub",
        "--client-id",
        "id-2",
        "--accounts-base",
        "https://accounts.example.com",
    ]);
    assert_eq!(out.status.code(), Some(5), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("accounts_base"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(env.config()).expect("config"),
        before
    );
}

/// The example provider (`core/src/provider/example.rs`: one file plus its registry line) is a
/// kind like the others: `signetctl kinds` lists it, a configuration entry of that kind is
/// accepted and listed by `signetctl providers`, and an account signs in and refreshes through
/// it. Test-only kinds are listed only while SIGNET_TEST_KINDS=1.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provider_added_as_one_file_is_listed_and_signs_in() {
    let env = Env::new();
    let out = env.run(&["kinds"]);
    assert!(!text(&out.stdout).contains("example"), "hidden by default");

    let server = OAuthServer::start(ServerConfig::oidc()).await;
    std::fs::write(
        env.config(),
        format!(
            "[[providers]]\nname = \"demo\"\nkind = \"example\"\nclient_id = \"{}\"\nauthorize_url = \"{}\"\ntoken_url = \"{}\"\nuserinfo_url = \"{}\"\nscopes = [\"openid\", \"email\", \"profile\"]\n",
            server.client_id(),
            server.authorization_endpoint(),
            server.token_endpoint(),
            server.userinfo_endpoint(),
        ),
    )
    .expect("config");
    let with_kinds = |args: &[&str]| {
        env.cmd(args)
            .env("SIGNET_TEST_KINDS", "1")
            .output()
            .expect("signetctl")
    };
    let out = with_kinds(&["kinds"]);
    assert!(
        text(&out.stdout).contains("example    Example OAuth"),
        "{}",
        text(&out.stdout)
    );
    let out = with_kinds(&["providers"]);
    assert!(
        text(&out.stdout).contains("demo") && text(&out.stdout).contains("example"),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );

    let mut secret_set = env.cmd(&["secret-set", "demo"]);
    secret_set.env("SIGNET_TEST_KINDS", "1");
    let out = piped(secret_set, &format!("{}\n", server.client_secret()));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = env
        .cmd(&["add", "demo"])
        .env("SIGNET_TEST_KINDS", "1")
        .env("BROWSER", fake_browser(env.dir.path()))
        .output()
        .expect("add");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("Signed in: alice — alice@example.com (demo)"),
        "{}",
        text(&out.stdout)
    );
    let out = with_kinds(&["refresh", "alice@example.com"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = with_kinds(&["token", "alice@example.com"]);
    let token = text(&out.stdout).trim().to_owned();
    assert_eq!(server.token_state(&token), Some(TokenState::Live));

    // Without the variable, the kind is unknown and the file is refused, saying so.
    let out = env.run(&["providers"]);
    assert_eq!(out.status.code(), Some(5), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("unknown kind \"example\""),
        "{}",
        text(&out.stderr)
    );
}
