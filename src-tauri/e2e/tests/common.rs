//! Driving the real app: tauri-driver + WebKitWebDriver, a fantoccini client, polling helpers, screenshots.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};

pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn app_binary() -> PathBuf {
    let p = workspace().join("target/debug/signet");
    assert!(
        p.exists(),
        "build the app first: cargo build --workspace ({})",
        p.display()
    );
    p
}

pub fn artifacts() -> PathBuf {
    let dir = workspace().join("artifacts/e2e");
    std::fs::create_dir_all(&dir).expect("artifacts dir");
    dir
}

/// The pids of running processes of the app binary (this workspace's `target/debug/signet`).
fn app_instances() -> Vec<u32> {
    let app = std::fs::canonicalize(app_binary()).unwrap_or_else(|_| app_binary());
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| std::fs::read_link(format!("/proc/{pid}/exe")).is_ok_and(|exe| exe == app))
        .collect()
}

/// Quits every running instance of the app (SIGTERM: it stores refreshes in flight and exits),
/// waiting up to 20 s, then kills what is left.
pub fn stop_app_instances() {
    let pids = app_instances();
    for pid in &pids {
        let _ = Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status();
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    while !app_instances().is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    for pid in app_instances() {
        let _ = Command::new("kill")
            .args(["-KILL", &pid.to_string()])
            .status();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free local port")
}

pub struct Driver {
    child: Child,
    pub client: Client,
}

impl Driver {
    /// Starts tauri-driver with `env` for the app, and opens a session on the real app window.
    pub async fn start(env: &[(&str, String)]) -> Driver {
        assert!(
            std::env::var_os("DISPLAY").is_some(),
            "run under Xvfb (scripts/test.sh does)"
        );
        // Fresh ports every time: a driver left over from elsewhere must never be talked to.
        let port = free_port();
        let native_port = free_port();
        let mut cmd = Command::new("tauri-driver");
        cmd.args([
            "--port",
            &port.to_string(),
            "--native-port",
            &native_port.to_string(),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = cmd
            .spawn()
            .expect("tauri-driver on PATH (cargo install tauri-driver)");
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "tauri-driver did not start");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let mut caps = serde_json::Map::new();
        caps.insert("browserName".into(), "wry".into());
        caps.insert(
            "tauri:options".into(),
            serde_json::json!({ "application": app_binary() }),
        );
        // An instance left running would take this launch over (single instance) and the
        // session would never open: none may be left, and the wait is bounded.
        stop_app_instances();
        let mut builder = ClientBuilder::native();
        builder.capabilities(caps);
        let url = format!("http://127.0.0.1:{port}");
        let client = tokio::time::timeout(Duration::from_secs(60), builder.connect(&url))
            .await
            .expect("the app window opened within 60 s")
            .expect("WebDriver session on the app");
        Driver { child, client }
    }

    pub async fn find(&self, css: &str) -> Element {
        self.client
            .wait()
            .at_most(Duration::from_secs(20))
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("element {css} did not appear: {e}"))
    }

    /// Clicks `css` once it can be clicked: an element just added to the DOM is "not
    /// interactable" to WebDriver until WebKit has laid it out, so that answer is retried.
    pub async fn click(&self, css: &str) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            match self.find(css).await.click().await {
                Ok(_) => return,
                Err(fantoccini::error::CmdError::Standard(e))
                    if e.error == fantoccini::error::ErrorStatus::ElementNotInteractable
                        && Instant::now() < deadline =>
                {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Err(e) => panic!("click {css}: {e:?}"),
            }
        }
    }

    /// Replaces the content of an input with `text`, as typed.
    pub async fn fill(&self, css: &str, text: &str) {
        let deadline = Instant::now() + Duration::from_secs(20);
        let e = loop {
            let e = self.find(css).await;
            match e.clear().await {
                Ok(()) => break e,
                // Just added and not laid out yet (see `click`).
                Err(fantoccini::error::CmdError::Standard(err))
                    if err.error == fantoccini::error::ErrorStatus::ElementNotInteractable
                        && Instant::now() < deadline =>
                {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Err(err) => panic!("clear {css}: {err:?}"),
            }
        };
        e.send_keys(text)
            .await
            .unwrap_or_else(|err| panic!("type into {css}: {err}"));
    }

    /// The element's rendered text (read through the DOM: WebKitWebDriver's "get element text"
    /// returns "" for some visible elements).
    pub async fn text(&self, css: &str) -> String {
        self.find(css).await;
        self.dom_text(css).await
    }

    async fn dom_text(&self, css: &str) -> String {
        self.client
            .execute(
                // Text, plus the values of inputs inside (read-only fields show values, not text).
                "const e = document.querySelector(arguments[0]); if (!e) return ''; \
                 const values = [...e.querySelectorAll('input, textarea')].map(i => i.value); \
                 return [e.innerText, ...values].join('\\n');",
                vec![serde_json::Value::String(css.to_owned())],
            )
            .await
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default()
    }

    /// Waits until the element is enabled (the UI has taken the input typed before), then clicks it.
    pub async fn click_enabled(&self, css: &str) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let enabled = self
                .client
                .execute(
                    "const e = document.querySelector(arguments[0]); return !!e && !e.disabled;",
                    vec![serde_json::Value::String(css.to_owned())],
                )
                .await
                .ok()
                .and_then(|v| v.as_bool())
                .unwrap_or(false);
            if enabled {
                return self.click(css).await;
            }
            assert!(Instant::now() < deadline, "{css} stayed disabled");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Clicks the first element matching `css` whose text contains `text` (waits for it).
    pub async fn click_text(&self, css: &str, text: &str) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let clicked = self
                .client
                .execute(
                    "const e = [...document.querySelectorAll(arguments[0])].find(e => e.innerText.includes(arguments[1])); \
                     if (e) { e.click(); return true; } return false;",
                    vec![
                        serde_json::Value::String(css.to_owned()),
                        serde_json::Value::String(text.to_owned()),
                    ],
                )
                .await
                .ok()
                .and_then(|v| v.as_bool())
                .unwrap_or(false);
            if clicked {
                return;
            }
            assert!(Instant::now() < deadline, "no {css} showing {text:?}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn count(&self, css: &str) -> usize {
        self.client
            .find_all(Locator::Css(css))
            .await
            .map(|v| v.len())
            .unwrap_or(0)
    }

    /// Polls until `check` holds on the text of `css` (the UI reacting to an event), or fails.
    pub async fn wait_text(&self, css: &str, what: &str, check: impl Fn(&str) -> bool) -> String {
        self.wait_text_within(css, what, Duration::from_secs(20), check)
            .await
    }

    /// Like [`Driver::wait_text`], with its own limit (for something the app does on its own time).
    pub async fn wait_text_within(
        &self,
        css: &str,
        what: &str,
        limit: Duration,
        check: impl Fn(&str) -> bool,
    ) -> String {
        let deadline = Instant::now() + limit;
        loop {
            let t = self.dom_text(css).await;
            if check(&t) {
                return t;
            }
            assert!(Instant::now() < deadline, "{what}: {css} shows {t:?}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// An attribute of the first element matching `css` ("" if there is none).
    pub async fn attr(&self, css: &str, name: &str) -> String {
        self.client
            .execute(
                "const e = document.querySelector(arguments[0]); return e ? (e.getAttribute(arguments[1]) || '') : '';",
                vec![
                    serde_json::Value::String(css.to_owned()),
                    serde_json::Value::String(name.to_owned()),
                ],
            )
            .await
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default()
    }

    pub async fn wait_count(&self, css: &str, n: usize, what: &str) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while self.count(css).await != n {
            assert!(Instant::now() < deadline, "{what}: expected {n} × {css}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Saves a screenshot to artifacts/e2e/. WebKit paints a little after the DOM changes, so
    /// this waits two animation frames and a moment first (screenshots are artifacts, not checks).
    pub async fn screenshot(&self, name: &str) {
        let _ = self
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1]; requestAnimationFrame(() => requestAnimationFrame(() => done()));",
                vec![],
            )
            .await;
        tokio::time::sleep(Duration::from_millis(700)).await;
        if let Ok(png) = self.client.screenshot().await {
            let _ = std::fs::write(artifacts().join(format!("{name}.png")), png);
        }
    }

    /// Ends the session and stops tauri-driver with SIGTERM (SIGKILL would leave WebKitWebDriver behind).
    pub async fn stop(mut self) {
        let _ = self.client.clone().close().await;
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
        // Ending the session closes the window, and a closed window leaves Signet running in
        // the tray; whether the driver then ends the app too is a race. The app is quit here.
        stop_app_instances();
    }
}
