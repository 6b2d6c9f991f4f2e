//! What the tests that run the desktop app share: an X server of its own, a world (provider, config, data folder, keyring namespace), the app and `signetctl` started in it, sign-ins.

#![allow(dead_code)]

pub mod agent;

use std::process::{Child, Command, Stdio};
use std::sync::Arc;

use signet_core::vault::KeyringBackend;
use signet_core::{Config, Engine, EngineOptions, Vault};
use signet_testkit::{OAuthServer, User};

pub struct World {
    pub dir: tempfile::TempDir,
    pub namespace: String,
    pub server: OAuthServer,
}

/// An X server of its own for the app (the rest of the test keeps no DISPLAY, so a keyring
/// prompt can never hang it).
pub struct Xvfb {
    child: Child,
    pub display: String,
}

impl Xvfb {
    pub fn start() -> Xvfb {
        use std::io::BufRead;
        let mut child = Command::new("Xvfb")
            .args([
                "-displayfd",
                "1",
                "-screen",
                "0",
                "1024x768x24",
                "-nolisten",
                "tcp",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("Xvfb (apt install xvfb)");
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("display number");
        Xvfb {
            child,
            display: format!(":{}", line.trim()),
        }
    }
}

impl Drop for Xvfb {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl World {
    /// A provider with single-use refresh tokens (reuse revokes the grant), its configuration
    /// (client secret from the environment, a generous rate limit) and an empty data folder.
    pub async fn start(name: &str) -> World {
        World::start_with(name, signet_testkit::ServerConfig::oidc()).await
    }

    /// [`World::start`] with a provider configured by `server`.
    pub async fn start_with(name: &str, server: signet_testkit::ServerConfig) -> World {
        // One variable per world: tests of one file run at once, and the environment is shared.
        let secret_var = format!(
            "SIGNET_TEST_SECRET_{}",
            name.replace('-', "_").to_uppercase()
        );
        let world = World {
            dir: tempfile::tempdir().expect("tempdir"),
            namespace: format!("{name}-{}", std::process::id()),
            server: OAuthServer::start(server).await,
        };
        std::fs::write(
            world.config(),
            format!(
                "{}\n[refresh]\nper_provider_per_second = 1000\n",
                world
                    .server
                    .provider_toml("corp")
                    .set("redirect", "deep-link")
                    .set("client_secret_env", secret_var.as_str())
            ),
        )
        .expect("config");
        std::env::set_var(&secret_var, world.server.client_secret());
        world
    }

    pub fn config(&self) -> std::path::PathBuf {
        self.dir.path().join("config.toml")
    }
    pub fn data(&self) -> std::path::PathBuf {
        self.dir.path().join("data")
    }
    pub async fn engine(&self) -> Engine {
        let config = Config::load(&self.config()).expect("config");
        let vault = Vault::new(Arc::new(KeyringBackend::new(&self.namespace)));
        Engine::open(EngineOptions::new(config, self.data(), vault))
            .await
            .expect("engine opens after a crash")
    }
    /// Where every killed process's output goes (appended), to be scanned for secrets.
    pub fn crash_output(&self) -> std::fs::File {
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.path().join("crash-output.log"))
            .expect("crash output file")
    }
    pub fn with_env(&self, mut cmd: Command) -> Child {
        cmd.env("SIGNET_CONFIG", self.config())
            .env("SIGNET_DATA_DIR", self.data())
            .env("SIGNET_KEYRING_NAMESPACE", &self.namespace)
            .stdout(self.crash_output())
            .stderr(self.crash_output())
            .spawn()
            .expect("start a Signet process")
    }
    pub fn storm(&self) -> Child {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_signetctl"));
        cmd.args(["refresh", "--all"]).env("SIGNET_LOG", "debug");
        self.with_env(cmd)
    }
    /// The desktop app, which refreshes every due account as soon as it starts. In a process
    /// group of its own, so that `kill -9` takes its WebKit helpers with it.
    pub fn app(&self, xvfb: &Xvfb) -> Child {
        use std::os::unix::process::CommandExt;
        let mut cmd = Command::new(app_binary());
        cmd.env("RUST_LOG", "debug")
            .env("DISPLAY", &xvfb.display)
            .env("SIGNET_IPC_CAPTURE", self.ipc_capture())
            .process_group(0);
        self.with_env(cmd)
    }
    /// Where the app writes every payload it sends to its window (command results, events).
    pub fn ipc_capture(&self) -> std::path::PathBuf {
        self.dir.path().join("ipc-capture.jsonl")
    }
    /// Asserts that no token the provider issued is in the database (its write-ahead log
    /// included: the Activity log is there too), in any Signet process's output (the app's log
    /// at debug level among them), or in any payload the app sent to its window.
    pub fn assert_no_token_anywhere(&self) {
        let read = |p: std::path::PathBuf| std::fs::read(p).unwrap_or_default();
        let places = [
            ("database", read(self.data().join("signet.sqlite3"))),
            ("database log", read(self.data().join("signet.sqlite3-wal"))),
            (
                "processes' output",
                read(self.dir.path().join("crash-output.log")),
            ),
            ("window's payloads", read(self.ipc_capture())),
        ];
        assert!(!places[0].1.is_empty(), "the database was read");
        let issued = self.server.issued_secrets();
        assert!(!issued.is_empty(), "tokens were issued");
        for secret in issued {
            let needle = secret.as_bytes();
            for (what, hay) in &places {
                assert!(
                    !hay.windows(needle.len()).any(|w| w == needle),
                    "an issued token is in the {what}"
                );
            }
        }
    }
}

/// The token items in the keyring under this namespace, by key (`secret-tool` lists them).
pub fn keyring_token_items(namespace: &str) -> std::collections::BTreeSet<String> {
    let out = Command::new("secret-tool")
        .args([
            "search",
            "--all",
            "service",
            &format!("app.signet.desktop/{namespace}"),
        ])
        .output()
        .expect("secret-tool runs");
    // Attributes go to stdout or stderr depending on the libsecret version: read both.
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    text.lines()
        .filter_map(|l| l.trim().strip_prefix("attribute.username = "))
        .filter(|k| k.contains("/tokens/"))
        .map(str::to_owned)
        .collect()
}

pub fn app_binary() -> std::path::PathBuf {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/debug/signet");
    assert!(
        p.exists(),
        "build the app first: cargo build --workspace ({})",
        p.display()
    );
    p
}

pub async fn sign_in(engine: &Engine, server: &OAuthServer, i: usize, reauth: Option<i64>) {
    server.set_user(User::new(
        &format!("crash-{i}"),
        &format!("Crash {i}"),
        &format!("crash{i}@example.com"),
    ));
    let start = engine.begin_sign_in("corp", reauth).await.expect("begin");
    let cb = server
        .authorize(start.authorize_url.as_str())
        .await
        .expect("authorize");
    engine.handle_deep_link(&cb).await.expect("callback");
    start.waiter.wait().await.expect("signed in");
}
