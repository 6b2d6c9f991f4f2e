//! Shared set-up for the engine's integration tests: a protocol server, a real SQLite file, a vault, a manual clock.
#![allow(dead_code)]

use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use signet_core::vault::{MemoryBackend, SecretBackend};
use signet_core::{AccountView, Config, Engine, EngineOptions, ManualClock, Secret, Vault};
use signet_testkit::{Dialect, OAuthServer, ServerConfig};

/// Every log line written in this test binary (Signet at TRACE, other crates at DEBUG), for secret scans.
pub fn captured_logs() -> String {
    let buf = log_buffer();
    let b = buf.lock().expect("log buffer");
    String::from_utf8_lossy(&b).into_owned()
}

fn log_buffer() -> Arc<Mutex<Vec<u8>>> {
    static BUF: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    BUF.get_or_init(|| {
        let buf = Arc::new(Mutex::new(Vec::new()));
        let writer = buf.clone();
        let _ = tracing_subscriber::fmt()
            // Everything Signet logs, at every level; other crates at debug (their trace output
            // is wire-level chatter that only slows the tests down).
            .with_env_filter(tracing_subscriber::EnvFilter::new(
                "debug,signet_core=trace",
            ))
            .with_ansi(false)
            .with_writer(move || LogWriter(writer.clone()))
            .try_init();
        buf
    })
    .clone()
}

struct LogWriter(Arc<Mutex<Vec<u8>>>);
impl Write for LogWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut b) = self.0.lock() {
            b.extend_from_slice(data);
        }
        Ok(data.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

pub struct Harness {
    pub engine: Engine,
    pub server: OAuthServer,
    pub clock: ManualClock,
    pub dir: tempfile::TempDir,
    pub memory: Option<MemoryBackend>,
    pub provider: String,
}

pub struct Setup {
    pub server: ServerConfig,
    pub redirect: &'static str,
    pub http_timeout: Duration,
    pub vault: Option<Vault>,
}

impl Setup {
    pub fn oidc() -> Self {
        Setup {
            server: ServerConfig::oidc(),
            redirect: "loopback",
            http_timeout: Duration::from_secs(10),
            vault: None,
        }
    }
    pub fn aihubmix() -> Self {
        Setup {
            server: ServerConfig::aihubmix(),
            redirect: "deep-link",
            http_timeout: Duration::from_secs(10),
            vault: None,
        }
    }
    pub fn google() -> Self {
        Setup {
            server: ServerConfig::google(),
            redirect: "loopback",
            http_timeout: Duration::from_secs(10),
            vault: None,
        }
    }
    pub fn feishu() -> Self {
        Setup {
            server: ServerConfig::feishu(),
            redirect: "loopback",
            http_timeout: Duration::from_secs(10),
            vault: None,
        }
    }
    pub fn easemob() -> Self {
        Setup {
            server: ServerConfig::easemob(),
            redirect: "deep-link",
            http_timeout: Duration::from_secs(10),
            vault: None,
        }
    }
    pub fn redirect(mut self, r: &'static str) -> Self {
        self.redirect = r;
        self
    }
    pub fn rotating(mut self, rotate: bool) -> Self {
        self.server.rotate_refresh_tokens = rotate;
        self
    }
    pub fn timeout(mut self, t: Duration) -> Self {
        self.http_timeout = t;
        self
    }
    pub fn vault(mut self, v: Vault) -> Self {
        self.vault = Some(v);
        self
    }
}

pub fn config_text(server: &OAuthServer, name: &str, redirect: &str) -> String {
    let entry = server.provider_toml(name);
    match server.dialect() {
        // Google's redirect is always the loopback one; Easemob signs in with no redirect at all.
        Dialect::Google | Dialect::Easemob => entry,
        // A fixed loopback port as Feishu requires (a free one, so tests can run in parallel).
        Dialect::Feishu if redirect == "loopback" => entry
            .set("redirect", "loopback")
            .set("redirect_port", free_port()),
        _ => entry.set("redirect", redirect),
    }
    .to_string()
}

/// A port free right now on 127.0.0.1.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port()
}

/// The provider name a harness gives each dialect.
pub fn provider_name(d: Dialect) -> &'static str {
    match d {
        Dialect::Oidc => "corp",
        Dialect::AiHubMix => "aihubmix",
        Dialect::Google => "google",
        Dialect::Feishu => "feishu",
        Dialect::Easemob => "im",
    }
}

pub async fn harness(setup: Setup) -> Harness {
    harness_inner(setup, None).await
}

/// Like [`harness`], with the client secret read from the environment variable `var`.
pub async fn harness_env_secret(setup: Setup, var: &str) -> Harness {
    harness_inner(setup, Some(var)).await
}

async fn harness_inner(setup: Setup, secret_env: Option<&str>) -> Harness {
    let _ = log_buffer();
    let server = OAuthServer::start(setup.server).await;
    let name = provider_name(server.dialect());
    let dir = tempfile::tempdir().expect("tempdir");
    let config_path = dir.path().join("config.toml");
    // Generous limits: these tests measure behaviour, not the rate limiter.
    let mut provider = config_text(&server, name, setup.redirect);
    if let Some(var) = secret_env {
        provider.push_str(&format!("client_secret_env = \"{var}\"\n"));
    }
    let text = format!("{provider}\n[refresh]\nper_provider_per_second = 1000\n");
    std::fs::write(&config_path, &text).expect("write config");
    let config = Config::load(&config_path).expect("config");
    let (vault, memory) = match setup.vault {
        Some(v) => (v, None),
        None => {
            let m = MemoryBackend::default();
            (
                Vault::new(Arc::new(m.clone()) as Arc<dyn SecretBackend>),
                Some(m),
            )
        }
    };
    let clock = ManualClock::new(now_ms());
    let mut opts = EngineOptions::new(config, dir.path().join("data"), vault);
    opts.clock = Arc::new(clock.clone());
    opts.http_timeout = setup.http_timeout;
    let engine = Engine::open(opts).await.expect("engine");
    if secret_env.is_none() {
        engine
            .set_client_secret(name, &Secret::new(server.client_secret()))
            .await
            .expect("client secret");
    }
    Harness {
        engine,
        server,
        clock,
        dir,
        memory,
        provider: name.to_owned(),
    }
}

pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("time")
        .as_millis() as i64
}

impl Harness {
    /// Another Signet process on the same files and keyring (`signetctl` beside the app): its
    /// own engine, with nothing in memory from this one.
    pub async fn another_process(&self) -> Engine {
        let vault = Vault::new(Arc::new(self.memory.clone().expect("memory vault")));
        Engine::open(EngineOptions::new(
            Config::load(&self.dir.path().join("config.toml")).expect("config"),
            self.dir.path().join("data"),
            vault,
        ))
        .await
        .expect("another process")
    }

    /// Signs in through the browser as the server's current user, delivering the callback the
    /// way the provider is configured (loopback: the browser follows the redirect; deep link:
    /// the OS hands the URL to Signet).
    /// The refresh token the keyring holds for account `id` now.
    pub async fn refresh_token(&self, id: i64) -> String {
        let row = self.engine.store().require(id).await.expect("row");
        let t = self
            .engine
            .vault()
            .get_tokens(id, row.token_gen)
            .await
            .expect("vault")
            .expect("tokens");
        t.refresh.expect("refresh token").expose().to_owned()
    }

    pub async fn sign_in(&self) -> AccountView {
        self.try_sign_in(None).await.expect("sign-in finishes")
    }

    /// Signs in through the browser (to `reauth`: that account again) and returns how the
    /// sign-in ended, success or the error a person would be shown.
    pub async fn try_sign_in(
        &self,
        reauth: Option<i64>,
    ) -> Result<AccountView, signet_core::Error> {
        let start = self
            .engine
            .begin_sign_in(&self.provider, reauth)
            .await
            .expect("begin");
        self.finish(start).await.1
    }

    /// Completes a started sign-in as the person's browser would (the provider's page, then the
    /// callback); returns the loopback page's status, if any, and how the sign-in ended.
    pub async fn finish(
        &self,
        start: signet_core::SignInStart,
    ) -> (Option<u16>, Result<AccountView, signet_core::Error>) {
        let callback = self
            .server
            .authorize(start.authorize_url.as_str())
            .await
            .expect("authorize");
        let page = self.deliver(&callback).await.map(|(status, _)| status);
        (page, start.waiter.wait().await)
    }

    /// Delivers a callback URL the way a browser or the OS would; returns the loopback page.
    pub async fn deliver(&self, callback: &str) -> Option<(u16, String)> {
        if callback.starts_with("http://") {
            let r = reqwest::get(callback).await.expect("loopback answers");
            let status = r.status().as_u16();
            Some((status, r.text().await.unwrap_or_default()))
        } else {
            let _ = self.engine.handle_deep_link(callback).await;
            None
        }
    }

    pub fn db_path(&self) -> PathBuf {
        self.dir.path().join("data").join("signet.sqlite3")
    }

    /// Every byte Signet wrote to disk under its data dir (database, WAL, lock files).
    pub fn disk_bytes(&self) -> Vec<u8> {
        signet_testkit::files::read_tree(&self.dir.path().join("data"), None)
    }

    /// Asserts none of the secrets the server issued (and its client secret) appears on disk or in logs.
    pub fn assert_no_secret_leaked(&self) {
        let secrets = self.server.issued_secrets();
        assert!(!secrets.is_empty());
        assert!(
            secrets.iter().all(|s| s.len() >= 8),
            "secret too short to scan meaningfully"
        );
        // One pass per haystack whatever the number of secrets (a fault suite issues tens of thousands).
        let scan = aho_corasick::AhoCorasick::new(&secrets).expect("automaton");
        assert!(
            scan.find(&self.disk_bytes()).is_none(),
            "a secret issued by the server is on disk"
        );
        assert!(
            scan.find(captured_logs().as_bytes()).is_none(),
            "a secret issued by the server is in the logs"
        );
    }
}

pub fn contains(hay: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && hay.windows(needle.len()).any(|w| w == needle)
}

pub fn query(url: &str) -> Vec<(String, String)> {
    url::Url::parse(url)
        .expect("url")
        .query_pairs()
        .into_owned()
        .collect()
}

pub fn param(url: &str, key: &str) -> Option<String> {
    query(url)
        .into_iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v)
}
