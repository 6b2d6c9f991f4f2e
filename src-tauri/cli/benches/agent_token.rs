//! Benchmark: `signetctl token` answered by a running token agent (from its cache) against
//! `signetctl token` with no agent (the process opens the database and reads the keyring
//! itself), alternated in one run; plus one request on an open connection to the agent, what
//! a program that speaks the protocol pays.
//!
//! Run: `./scripts/with-keyring.sh cargo bench -p signetctl --bench agent_token`
//! (add `-- --rounds R --calls N`). Needs a Secret Service: the CLI without an agent reads the
//! real keyring, as it would on a desktop.

use std::path::Path;
use std::process::{Child, Command};
use std::sync::Arc;
use std::time::{Duration, Instant};

use signet_core::agent::{socket_path, AgentClient};
use signet_core::vault::KeyringBackend;
use signet_core::{Config, Engine, EngineOptions, Vault};
use signet_testkit::{OAuthServer, ServerConfig, User};

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn signetctl(dir: &Path, namespace: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_signetctl"));
    cmd.env("SIGNET_CONFIG", dir.join("config.toml"))
        .env("SIGNET_DATA_DIR", dir.join("data"))
        .env("SIGNET_KEYRING_NAMESPACE", namespace)
        .env_remove("SIGNET_LOG");
    cmd
}

/// Times `calls` runs of `signetctl token alice@example.com`.
fn token_calls(dir: &Path, namespace: &str, calls: usize, expect: &str) -> Vec<Duration> {
    (0..calls)
        .map(|_| {
            let started = Instant::now();
            let out = signetctl(dir, namespace)
                .args(["token", "alice@example.com"])
                .output()
                .expect("signetctl token");
            let took = started.elapsed();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), expect);
            took
        })
        .collect()
}

fn start_agent(dir: &Path, namespace: &str) -> Child {
    let child = signetctl(dir, namespace)
        .arg("agent")
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("signetctl agent");
    let socket = socket_path(&dir.join("data"));
    let started = Instant::now();
    while !socket.exists() {
        assert!(started.elapsed() < Duration::from_secs(30), "no agent");
        std::thread::sleep(Duration::from_millis(10));
    }
    child
}

fn stop(mut agent: Child) {
    let _ = Command::new("kill")
        .args(["-TERM", &agent.id().to_string()])
        .status();
    let _ = agent.wait();
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    assert!(
        std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some(),
        "run through scripts/with-keyring.sh"
    );
    let rounds = arg("--rounds", 5);
    let calls = arg("--calls", 10);
    let server = OAuthServer::start(ServerConfig::oidc()).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let namespace = format!("bench-agent-{}", std::process::id());
    std::env::set_var("SIGNET_BENCH_SECRET", server.client_secret());
    std::fs::write(
        dir.path().join("config.toml"),
        server
            .provider_toml("corp")
            .set("redirect", "deep-link")
            .set("client_secret_env", "SIGNET_BENCH_SECRET")
            .to_string(),
    )
    .expect("config");

    // One account, signed in the way the app does it.
    let config = Config::load(&dir.path().join("config.toml")).expect("config");
    let vault = Vault::new(Arc::new(KeyringBackend::new(&namespace)));
    let engine = Engine::open(EngineOptions::new(config, dir.path().join("data"), vault))
        .await
        .expect("engine");
    server.set_user(User::new("user-1", "alice", "alice@example.com"));
    let start = engine.begin_sign_in("corp", None).await.expect("begin");
    let callback = server
        .authorize(start.authorize_url.as_str())
        .await
        .expect("authorize");
    engine.handle_deep_link(&callback).await.expect("callback");
    start.waiter.wait().await.expect("signed in");
    let id = engine.list().await.expect("list")[0].id;
    let token = engine.access_token(id).await.expect("token");
    let expect = token.expose().to_owned();
    engine.store().close().await;
    drop(engine);

    let (mut without, mut with, mut connection) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..rounds {
        let alone = token_calls(dir.path(), &namespace, calls, &expect);
        let agent = start_agent(dir.path(), &namespace);
        let served = token_calls(dir.path(), &namespace, calls, &expect);
        let mut client = AgentClient::connect(&dir.path().join("data"))
            .await
            .expect("connect");
        let mut open = Vec::new();
        for _ in 0..calls {
            let started = Instant::now();
            let fresh = client.token("alice@example.com", 0).await.expect("token");
            open.push(started.elapsed());
            assert_eq!(fresh.access.expose(), expect);
        }
        drop(client);
        stop(agent);
        println!(
            "round {round}: without an agent {:.1} ms, through the agent {:.1} ms, on an open connection {:.2} ms (medians of {calls})",
            median(alone.clone()).as_secs_f64() * 1e3,
            median(served.clone()).as_secs_f64() * 1e3,
            median(open.clone()).as_secs_f64() * 1e3,
        );
        without.extend(alone);
        with.extend(served);
        connection.extend(open);
    }
    let (a, b, c) = (median(without), median(with), median(connection));
    println!();
    println!(
        "| `signetctl token` | median of {} | ratio |",
        rounds * calls
    );
    println!("|---|---:|---:|");
    println!(
        "| without an agent (opens the database, reads the keyring) | {:.1} ms | 1.00× |",
        a.as_secs_f64() * 1e3
    );
    println!(
        "| through the agent (a new process asks the socket) | {:.1} ms | {:.2}× |",
        b.as_secs_f64() * 1e3,
        b.as_secs_f64() / a.as_secs_f64()
    );
    println!(
        "| one request on an open connection to the agent | {:.2} ms | {:.3}× |",
        c.as_secs_f64() * 1e3,
        c.as_secs_f64() / a.as_secs_f64()
    );
    assert_eq!(server.refresh_requests(), 0, "no refresh was needed");
}
