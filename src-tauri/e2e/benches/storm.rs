//! Benchmark: a refresh storm — N accounts due at once (as after a long sleep) at a local OpenID Connect provider with single-use refresh tokens, on GNOME Keyring, refreshed by the running desktop app, then by `signetctl refresh --all`.
//!
//! Reports seconds until every account is fresh, keyring calls per refresh, window list reloads
//! and tray rebuilds, keyring alarms, accounts left retrying, and how long a `signetctl remove`
//! made during the storm took to show in the window. The baseline, measured in the same run on
//! the same keyring: writing each account's tokens once (one keyring call each, one after the
//! other) — the keyring's own write time, the floor under any storm.
//!
//! Run: `ACCOUNTS="100 1000" ./scripts/bench-storm.sh` (builds the release app with its test
//! hooks, then runs this under Xvfb and a private GNOME Keyring).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use signet_core::store::{ProfileFields, TokenTiming};
use signet_core::vault::{KeyringBackend, Tokens};
use signet_core::{Config, Engine, EngineOptions, Secret, Status, Vault};
use signet_testkit::{OAuthServer, ServerConfig, User};

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn binary(name: &str) -> PathBuf {
    let dir = std::env::var("STORM_BIN_DIR").unwrap_or_else(|_| "target/release".into());
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(dir)
        .join(name);
    assert!(
        p.exists(),
        "{} is missing: run scripts/bench-storm.sh",
        p.display()
    );
    p
}

struct Run {
    dir: tempfile::TempDir,
    namespace: String,
}

impl Run {
    fn env(&self, cmd: &mut Command) {
        cmd.env("SIGNET_CONFIG", self.dir.path().join("config.toml"))
            .env("SIGNET_DATA_DIR", self.dir.path().join("data"))
            .env("SIGNET_KEYRING_NAMESPACE", &self.namespace);
    }
    async fn engine(&self) -> Engine {
        let config = Config::load(&self.dir.path().join("config.toml")).expect("config");
        let vault = Vault::new(Arc::new(KeyringBackend::new(&self.namespace)));
        Engine::open(EngineOptions::new(
            config,
            self.dir.path().join("data"),
            vault,
        ))
        .await
        .expect("engine")
    }
    /// Accounts whose replaced generation is still in the keyring.
    async fn stale(&self, engine: &Engine) -> i64 {
        sqlx::query_scalar("SELECT COUNT(*) FROM accounts WHERE stale_gen IS NOT NULL")
            .fetch_one(engine.store().pool())
            .await
            .expect("count")
    }

    async fn fresh(&self, engine: &Engine, at_least_gen: i64) -> (usize, usize) {
        let rows = engine.store().list().await.expect("rows");
        let fresh = rows
            .iter()
            .filter(|r| r.status() == Status::Fresh && r.token_gen >= at_least_gen)
            .count();
        let retrying = rows
            .iter()
            .filter(|r| r.status() == Status::Retrying)
            .count();
        (fresh, retrying)
    }
}

/// Seeds `n` accounts with tokens the server issued; returns the seconds the keyring writes
/// took (one call each, one after the other).
async fn seed(engine: &Engine, server: &OAuthServer, n: usize) -> f64 {
    let now = engine.now();
    let mut keyring = Duration::ZERO;
    for i in 0..n {
        let user = User::new(
            &format!("storm-{i}"),
            &format!("Storm {i}"),
            &format!("storm{i}@example.com"),
        );
        let minted = server.mint_tokens(&user);
        let fields = ProfileFields {
            display_name: user.name.clone(),
            email: Some(user.email.clone()),
            avatar_url: None,
            profile_json: "{}".into(),
        };
        let (id, _) = engine
            .store()
            .upsert_account("corp", "oidc", &user.sub, &fields, None, now)
            .await
            .expect("row");
        let tokens = Tokens {
            access: Secret::new(minted.access_token),
            refresh: Some(Secret::new(minted.refresh_token)),
            access_expires_at: Some(now + 3_600_000),
            refresh_expires_at: None,
            scope: Some(minted.scope),
        };
        let t = Instant::now();
        engine
            .vault()
            .put_tokens(id, 0, &tokens)
            .await
            .expect("keyring");
        keyring += t.elapsed();
        let timing = TokenTiming {
            token_gen: 0,
            access_expires_at: tokens.access_expires_at,
            refresh_expires_at: None,
            access_lifetime_ms: Some(3_600_000),
            next_refresh_at: Some(now + 3_000_000),
        };
        engine
            .store()
            .record_tokens(id, &timing, now)
            .await
            .expect("timing");
    }
    keyring.as_secs_f64()
}

async fn make_all_due(engine: &Engine) {
    sqlx::query("UPDATE accounts SET next_refresh_at = 0")
        .execute(engine.store().pool())
        .await
        .expect("all due");
}

/// The `list_accounts` answers the window got after byte `from` of the capture, with the
/// time each was read; `true` when one no longer lists `id`.
fn window_dropped(capture: &Path, from: u64, id: i64) -> bool {
    let Ok(f) = std::fs::File::open(capture) else {
        return false;
    };
    let mut r = BufReader::new(f);
    let _ = std::io::Seek::seek(&mut r, std::io::SeekFrom::Start(from));
    for line in r.lines().map_while(Result::ok) {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(&line) else {
            continue;
        };
        if v["channel"] != "list_accounts" {
            continue;
        }
        if let Some(list) = v["payload"]["Ok"].as_array() {
            if !list.iter().any(|a| a["id"].as_i64() == Some(id)) {
                return true;
            }
        }
    }
    false
}

fn field(log: &str, line_has: &str, key: &str) -> Option<u64> {
    // Colour codes, should a logger add them anyway, go first.
    let plain: String = {
        let mut out = String::new();
        let mut chars = log.chars();
        while let Some(c) = chars.next() {
            if c == '\u{1b}' {
                for d in chars.by_ref() {
                    if d.is_ascii_alphabetic() {
                        break;
                    }
                }
            } else {
                out.push(c);
            }
        }
        out
    };
    let line = plain.lines().rev().find(|l| l.contains(line_has))?;
    let at = line.find(&format!("{key}="))? + key.len() + 1;
    line[at..]
        .split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()
}

struct Figures {
    fresh_s: Option<f64>,
    /// When the last replaced generation had been deleted too.
    clean_s: Option<f64>,
    retrying: usize,
    keyring_calls: Option<u64>,
    reloads: Option<u64>,
    tray: Option<u64>,
    alarms: usize,
    removal_shown_s: Option<f64>,
}

async fn app_storm(run: &Run, server: &OAuthServer, n: usize) -> Figures {
    let engine = run.engine().await;
    make_all_due(&engine).await;
    let capture = run.dir.path().join("ipc.jsonl");
    let log = run.dir.path().join("app.log");
    let mut cmd = Command::new(binary("signet"));
    run.env(&mut cmd);
    {
        use std::os::unix::process::CommandExt;
        cmd.process_group(0);
    }
    cmd.env("SIGNET_IPC_CAPTURE", &capture)
        .env("RUST_LOG", "info")
        .env("NO_COLOR", "1")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).expect("log"));
    let started = Instant::now();
    let mut app: Child = cmd.spawn().expect("start the app");
    let removed_id = engine.store().list().await.expect("rows")[0].id;
    let (mut removal, mut removal_shown) = (None::<(Instant, u64)>, None);
    let (mut fresh_at, mut clean_at) = (None, None);
    let mut retrying = 0;
    let before = server.refresh_requests();
    while started.elapsed() < Duration::from_secs(400) {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let (fresh, r) = run.fresh(&engine, 1).await;
        retrying = r;
        // Half-way, another process removes an account.
        if removal.is_none() && server.refresh_requests() - before >= n / 2 {
            let mut rm = Command::new(binary("signetctl"));
            run.env(&mut rm);
            let from = std::fs::metadata(&capture).map(|m| m.len()).unwrap_or(0);
            let out = rm
                .args(["remove", &removed_id.to_string()])
                .output()
                .expect("signetctl remove");
            assert!(out.status.success(), "signetctl remove failed");
            removal = Some((Instant::now(), from));
        }
        if let (Some((at, from)), None) = (removal, removal_shown) {
            if window_dropped(&capture, from, removed_id) {
                removal_shown = Some(at.elapsed().as_secs_f64());
            }
        }
        if fresh + 1 >= n && removal.is_some() && fresh_at.is_none() {
            fresh_at = Some(started.elapsed().as_secs_f64());
        }
        if fresh_at.is_some() && clean_at.is_none() && run.stale(&engine).await == 0 {
            clean_at = Some(started.elapsed().as_secs_f64());
        }
        if clean_at.is_some() && removal_shown.is_some() {
            break;
        }
    }
    let _ = Command::new("kill")
        .args(["-TERM", &app.id().to_string()])
        .status();
    let _ = app.wait();
    let _ = Command::new("kill")
        .args(["-KILL", "--", &format!("-{}", app.id())])
        .status();
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    let alarms = text.matches("keyring trouble").count();
    Figures {
        fresh_s: fresh_at,
        clean_s: clean_at,
        retrying,
        keyring_calls: field(&text, "quit: counts since start", "keyring_calls"),
        reloads: field(&text, "quit: counts since start", "window_reloads"),
        tray: field(&text, "quit: counts since start", "tray_rebuilds"),
        alarms,
        removal_shown_s: removal_shown,
    }
}

async fn cli_storm(run: &Run) -> Figures {
    let engine = run.engine().await;
    make_all_due(&engine).await;
    let gen_before = engine
        .store()
        .list()
        .await
        .expect("rows")
        .iter()
        .map(|r| r.token_gen)
        .min()
        .unwrap_or(0);
    let mut cmd = Command::new(binary("signetctl"));
    run.env(&mut cmd);
    let started = Instant::now();
    let out = cmd
        .args(["refresh", "--all"])
        .env("SIGNET_LOG", "info")
        .env("NO_COLOR", "1")
        .output()
        .expect("signetctl refresh --all");
    let took = started.elapsed().as_secs_f64();
    let text = String::from_utf8_lossy(&out.stderr).into_owned();
    let (_, retrying) = run.fresh(&engine, gen_before + 1).await;
    Figures {
        fresh_s: out.status.success().then_some(took),
        clean_s: (run.stale(&engine).await == 0).then_some(took),
        retrying,
        keyring_calls: field(&text, "refresh: keyring calls", "keyring_calls"),
        reloads: None,
        tray: None,
        // The CLI has no banner: a keyring alarm is an account that failed on the keyring.
        alarms: text
            .lines()
            .filter(|l| l.starts_with("account ") && l.contains("keyring"))
            .count(),
        removal_shown_s: None,
    }
}

fn show(v: Option<f64>) -> String {
    v.map_or("—".into(), |s| format!("{s:.1} s"))
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let n = arg("--accounts", 100);
    let rate = arg("--rate", 1000);
    assert!(
        std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some(),
        "run through scripts/bench-storm.sh"
    );
    let server = OAuthServer::start(ServerConfig::oidc()).await;
    let run = Run {
        dir: tempfile::tempdir().expect("tempdir"),
        namespace: format!("storm-bench-{}", std::process::id()),
    };
    std::fs::write(
        run.dir.path().join("config.toml"),
        format!(
            "{}\n[refresh]\nper_provider_per_second = {rate}\n",
            server.provider_toml("corp").set("redirect", "deep-link")
        ),
    )
    .expect("config");
    let floor = {
        let engine = run.engine().await;
        engine
            .set_client_secret("corp", &Secret::new(server.client_secret()))
            .await
            .expect("client secret");
        let floor = seed(&engine, &server, n).await;
        engine.store().close().await;
        floor
    };
    let app = app_storm(&run, &server, n).await;
    let live = n - 1; // one removed during the app's storm
    let cli = cli_storm(&run).await;
    let per = |calls: Option<u64>, refreshes: usize| {
        calls.map_or("—".into(), |c| {
            format!("{:.2}", c as f64 / refreshes as f64)
        })
    };
    let ratio = |v: Option<f64>| v.map_or("—".into(), |s| format!("{:.2}×", s / floor));
    println!(
        "\nstorm: {n} accounts due at once, one provider (single-use refresh tokens, {rate} requests/s allowed), GNOME Keyring"
    );
    println!(
        "keyring floor (baseline, same run): {n} writes one after the other = {floor:.1} s ({:.1} ms each)\n",
        floor * 1000.0 / n as f64
    );
    println!("| who | all fresh after | vs floor | old generations deleted after | keyring calls / refresh | list reloads | tray rebuilds | keyring alarms | left retrying | a signetctl change shown in the window after |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    println!(
        "| app (scheduler) | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
        show(app.fresh_s),
        ratio(app.fresh_s),
        show(app.clean_s),
        per(app.keyring_calls, n),
        app.reloads.map_or("—".into(), |v| v.to_string()),
        app.tray.map_or("—".into(), |v| v.to_string()),
        app.alarms,
        app.retrying,
        show(app.removal_shown_s)
    );
    println!(
        "| `signetctl refresh --all` (exits when done) | {} | {} | {} | {} | — | — | {} | {} | — |",
        show(cli.fresh_s),
        ratio(cli.fresh_s),
        show(cli.clean_s),
        per(cli.keyring_calls, live),
        cli.alarms,
        cli.retrying
    );
    println!(
        "\n(both started with nothing cached: a refresh reads the current generation, writes the next and deletes the old; the app's count includes its start — keyring probe, client secret)"
    );
}
