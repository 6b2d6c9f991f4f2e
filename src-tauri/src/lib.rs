//! The desktop shell: Tauri builder, plugins, deep links, notifications, window lifecycle. Wiring only.

include!("command_list.rs");

/// The handlers of every command in the list.
macro_rules! handlers {
    ($($command:ident),*) => {
        tauri::generate_handler![$(commands::$command),*]
    };
}

/// The names of every command in the list.
#[cfg(test)]
macro_rules! command_names {
    ($($command:ident),*) => {
        &[$(stringify!($command)),*]
    };
}

mod commands;
mod display;
mod events;
mod logging;
mod scheme;
mod tray;
mod words;

use signet_core::views::{RefreshAllResult, Settings, SignInStarted};
use std::sync::atomic::{AtomicU64, Ordering};

use signet_core::{Config, Engine, EngineOptions, Error, Vault};
use tauri::{AppHandle, Manager, RunEvent, WindowEvent};
use tauri_plugin_autostart::ManagerExt as _;
use tauri_plugin_deep_link::DeepLinkExt;
use tauri_plugin_notification::NotificationExt;

/// Exit code when no graphical session can be used (documented in the README).
const EXIT_NO_DISPLAY: i32 = 3;

/// When `run` began: start-up phases are logged against it.
static STARTED: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();

/// Milliseconds since `run` began (for the start-up log lines).
pub(crate) fn since_start_ms() -> u128 {
    STARTED.get().map_or(0, |t| t.elapsed().as_millis())
}

pub fn run() {
    STARTED.get_or_init(std::time::Instant::now);
    if let Err(sentence) = display::require_graphical_session() {
        eprintln!("{sentence}");
        std::process::exit(EXIT_NO_DISPLAY);
    }
    let app = tauri::Builder::default()
        // Registered first: a second `signet` process hands its arguments (a deep link) to
        // this one and exits; the deep-link feature forwards them to on_open_url.
        .plugin(tauri_plugin_single_instance::init(|app, argv, _cwd| {
            // `signet --quit` from a script or a session manager: quit the running instance
            // the same way the tray's Quit does (refreshes in flight are stored first).
            if argv.iter().any(|a| a == "--quit") {
                app.exit(0);
            } else {
                show_window(app);
            }
        }))
        .plugin(tauri_plugin_deep_link::init())
        .plugin(tauri_plugin_opener::init())
        .plugin(tauri_plugin_notification::init())
        .plugin(tauri_plugin_window_state::Builder::default().build())
        .plugin(tauri_plugin_autostart::init(
            tauri_plugin_autostart::MacosLauncher::LaunchAgent,
            None,
        ))
        .manage(events::IpcCapture::from_env())
        .invoke_handler(with_commands!(handlers))
        .setup(|app| {
            logging::init(app.handle());
            tracing::info!(ms = since_start_ms(), "start-up: plugins and event loop ready");
            let config = match Config::load(&signet_core::config::default_path()) {
                Ok(c) => c,
                Err(e) => {
                    tracing::error!(error = %e, "configuration not loaded; starting without providers");
                    Config {
                        path: signet_core::config::default_path(),
                        ..Config::default()
                    }
                }
            };
            let options = EngineOptions::new(
                config,
                signet_core::engine::default_data_dir(),
                Vault::system(),
            );
            let engine = tauri::async_runtime::block_on(Engine::open(options))?;
            tracing::info!(ms = since_start_ms(), "start-up: database open");
            app.manage(engine.clone());
            app.manage(Counters::default());

            // Engine events → the webview, the tray and notifications, in batches of about
            // 100 ms: a storm of 1,000 refreshes is a handful of list reloads and tray
            // rebuilds, and its alerts one notification per kind.
            let handle = app.handle().clone();
            let mut batches = signet_core::batch::Batcher::new(engine.subscribe());
            let (alerts_tx, alerts_rx) = tokio::sync::mpsc::unbounded_channel();
            tauri::async_runtime::spawn(async move {
                while let Some(batch) = batches.next().await {
                    if batch.lost > 0 {
                        // More events than the channel holds arrived at once: the skipped ones
                        // are not replayed; the window and the tray reload everything.
                        tracing::info!(lost = batch.lost, "engine events overflowed: window told to reload");
                    }
                    events::emit_batch(&handle, &batch);
                    if batch.touches_accounts() {
                        handle.state::<Counters>().window_reloads.fetch_add(1, Ordering::Relaxed);
                        tray::update(&handle).await;
                    }
                    if !batch.alerts.is_empty() {
                        let _ = alerts_tx.send(batch.alerts);
                    }
                }
            });
            let handle = app.handle().clone();
            tauri::async_runtime::spawn(notifications(handle, alerts_rx));

            // The scheduler, the watch on signetctl's (or another Signet's) changes — shown
            // within two seconds — and the keyring watch: one handle, stopped on quit.
            app.manage(signet_core::background::Background::start(
                &engine,
                tauri::async_runtime::handle().inner(),
                std::time::Duration::from_secs(2),
            ));

            // Deep links: at run time (second launch) and the one that started us (cold start).
            // An installed package (.deb: /usr/bin/signet) registers the scheme through its
            // desktop entry. Any other build registers itself only when asked to
            // (`signet --register-scheme`), so a build that is deleted later leaves no handler
            // pointing at its path; `--unregister-scheme` removes it again.
            #[cfg(any(target_os = "linux", all(debug_assertions, windows)))]
            {
                let args: Vec<String> = std::env::args().collect();
                if args.iter().any(|a| a == "--unregister-scheme") {
                    if let Err(e) = app.deep_link().unregister("signet") {
                        eprintln!("Signet could not remove its signet:// registration: {e}");
                        std::process::exit(1);
                    }
                    eprintln!("signet:// no longer opens this build.");
                    std::process::exit(0);
                }
                if args.iter().any(|a| a == "--register-scheme") {
                    let handle = app.handle().clone();
                    std::thread::spawn(move || scheme::ensure_registered(&handle));
                }
            }
            let handle = app.handle().clone();
            app.deep_link().on_open_url(move |event| {
                for url in event.urls() {
                    handle_link(&handle, url.to_string());
                }
            });
            if let Ok(Some(urls)) = app.deep_link().get_current() {
                for url in urls {
                    handle_link(app.handle(), url.to_string());
                }
            }

            // Reaching here with --quit means no other instance was running: nothing to quit.
            if std::env::args().any(|a| a == "--quit") {
                eprintln!("Signet is not running.");
                std::process::exit(0);
            }
            // SIGTERM (logout, `kill`, systemd) quits like Quit: refreshes in flight are stored.
            #[cfg(unix)]
            {
                let handle = app.handle().clone();
                tauri::async_runtime::spawn(async move {
                    use tokio::signal::unix::{signal, SignalKind};
                    if let Ok(mut term) = signal(SignalKind::terminate()) {
                        if term.recv().await.is_some() {
                            tracing::info!("SIGTERM: quitting");
                            handle.exit(0);
                        }
                    }
                });
            }

            tray::build(app.handle())?;
            tracing::info!(ms = since_start_ms(), "start-up: tray built, setup done");
            let handle = app.handle().clone();
            tauri::async_runtime::spawn(async move { tray::update(&handle).await });
            Ok(())
        })
        .on_window_event(|window, event| {
            // Closing the window keeps Signet running in the tray.
            if let WindowEvent::CloseRequested { api, .. } = event {
                api.prevent_close();
                let _ = window.hide();
            }
        })
        .build(tauri::generate_context!());

    let app = match app {
        Ok(app) => app,
        Err(e) => {
            eprintln!("Signet could not start: {e}");
            std::process::exit(1);
        }
    };
    app.run(|app, event| {
        if let RunEvent::ExitRequested { api, .. } = event {
            // Quit: stop the scheduler, wait (briefly) for refreshes in flight to be stored,
            // then exit for real. The second request, from the task below, goes through.
            let Some(background) = app.try_state::<signet_core::background::Background>() else {
                return;
            };
            if !background.stop() {
                return;
            }
            api.prevent_exit();
            let engine = app.state::<Engine>().inner().clone();
            let app = app.clone();
            tauri::async_runtime::spawn(async move {
                engine.quit().await.log();
                let counters = app.state::<Counters>();
                tracing::info!(
                    keyring_calls = engine.vault().calls(),
                    window_reloads = counters.window_reloads.load(Ordering::Relaxed),
                    tray_rebuilds = counters.tray_rebuilds.load(Ordering::Relaxed),
                    "quit: counts since start"
                );
                app.exit(0);
            });
        }
    });
}

fn handle_link(app: &AppHandle, link: String) {
    let engine = app.state::<Engine>().inner().clone();
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        match engine.handle_deep_link(&link).await {
            Ok(view) => tracing::info!(account = view.id, "signed in through a deep link"),
            Err(e) => events::notice(&app, e.code.as_str(), &e.message),
        }
        show_window(&app);
    });
}

pub(crate) fn show_window(app: &AppHandle) {
    if let Some(w) = app.get_webview_window("main") {
        let _ = w.show();
        let _ = w.unminimize();
        let _ = w.set_focus();
    }
}

pub(crate) fn toggle_window(app: &AppHandle) {
    match app.get_webview_window("main") {
        Some(w) if w.is_visible().unwrap_or(false) => {
            let _ = w.hide();
        }
        _ => show_window(app),
    }
}

/// Opens `url` in the person's browser: `$BROWSER` if set, else the system opener (the
/// engine's, shared with `signetctl`).
pub(crate) fn open_browser(app: &AppHandle, url: &str) -> Result<(), Error> {
    let engine = app.state::<Engine>();
    signet_core::browser::open(url, &engine.config().secret_env_names())
        .map_err(|e| Error::new(e.code, format!("{} The address: {url}", e.message)))
}

/// Starts a sign-in and opens the browser; the result arrives as a `sign-in-finished` event.
pub(crate) async fn begin_sign_in(
    app: &AppHandle,
    provider: &str,
    account: Option<i64>,
) -> Result<SignInStarted, Error> {
    let engine = app.state::<Engine>().inner().clone();
    let start = engine.begin_sign_in(provider, account).await?;
    let started = SignInStarted {
        provider: start.provider.clone(),
        authorize_url: start.authorize_url.to_string(),
        redirect_uri: start.redirect_uri.clone(),
        expires_at: start.expires_at,
    };
    if let Err(e) = open_browser(app, start.browser_url.as_str()) {
        engine.cancel_sign_in(provider);
        return Err(e);
    }
    // The engine announces the outcome (SignInFinished); nobody needs to wait here.
    drop(start.waiter);
    Ok(started)
}

/// "Refresh all" (tray and window): refreshes every active account; the outcome is shown.
pub(crate) async fn refresh_all(app: &AppHandle) -> Result<RefreshAllResult, Error> {
    let engine = app.state::<Engine>().inner().clone();
    let results = engine.refresh_all().await?;
    let failed = results.iter().filter(|(_, r)| r.is_err()).count() as u32;
    let outcome = RefreshAllResult {
        refreshed: results.len() as u32 - failed,
        failed,
    };
    tracing::info!(
        refreshed = outcome.refreshed,
        failed = outcome.failed,
        "refresh all"
    );
    tray::update(app).await;
    tray::show_outcome(app, &outcome).await;
    Ok(outcome)
}

/// Saves preferences and applies launch-at-login.
pub(crate) async fn apply_settings(
    app: &AppHandle,
    settings: &Settings,
) -> Result<Settings, Error> {
    let engine = app.state::<Engine>().inner().clone();
    let saved = engine.set_settings(settings).await?;
    // The tray speaks the app's language: a new choice shows at once.
    tray::update(app).await;
    let autostart = app.autolaunch();
    let applied = if saved.launch_at_login {
        autostart.enable()
    } else {
        autostart.disable()
    };
    if let Err(e) = applied {
        tracing::warn!(error = %e, "launch at login could not be changed");
    }
    Ok(saved)
}

/// Shows alerts as notifications, grouped: what arrives within a storm is one notification
/// per kind ("12 accounts need signing in again").
async fn notifications(
    app: AppHandle,
    mut alerts: tokio::sync::mpsc::UnboundedReceiver<Vec<signet_core::batch::Alert>>,
) {
    use signet_core::batch::{gather_alerts, ALERT_MAX_WAIT, ALERT_QUIET};
    while let Some(held) = gather_alerts(&mut alerts, ALERT_QUIET, ALERT_MAX_WAIT).await {
        let engine = app.state::<Engine>().inner().clone();
        let words = crate::words::Words::of(&engine).await;
        for (title, body) in words.notifications(&held) {
            notify(&app, &title, &body).await;
        }
    }
}

/// What the shell did since start, logged at quit (the storm benchmark reads it).
#[derive(Default)]
pub(crate) struct Counters {
    /// Batches that told the window (and the tray) to reload the account list.
    pub(crate) window_reloads: AtomicU64,
    pub(crate) tray_rebuilds: AtomicU64,
}

/// A desktop notification, if the person allows them.
async fn notify(app: &AppHandle, title: &str, body: &str) {
    let engine = app.state::<Engine>().inner().clone();
    if !engine
        .settings()
        .await
        .map(|s| s.notifications)
        .unwrap_or(true)
    {
        return;
    }
    tracing::info!(title, "notification requested");
    events::capture(
        app,
        "notification",
        &serde_json::json!({ "title": title, "body": body }),
    );
    // Names in alerts come from providers: no control characters reach the notification daemon.
    let title = signet_core::printable::one_line(title);
    let body = signet_core::printable::clean(body);
    if let Err(e) = app.notification().builder().title(title).body(body).show() {
        tracing::warn!(error = %e, "notification not shown");
    }
}

/// The command list against what names it elsewhere: the window's permissions and the UI's
/// `invoke` calls. A command missing from either side fails here, not in the running app.
#[cfg(test)]
mod command_drift {
    use std::collections::BTreeSet;

    const COMMANDS: &[&str] = with_commands!(command_names);

    fn listed() -> BTreeSet<String> {
        COMMANDS.iter().map(|c| (*c).to_owned()).collect()
    }

    fn read(path: &str) -> String {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        std::fs::read_to_string(root.join(path)).expect(path)
    }

    #[test]
    fn the_window_may_call_exactly_the_listed_commands() {
        let caps: serde_json::Value =
            serde_json::from_str(&read("capabilities/main-window.json")).expect("json");
        let allowed: BTreeSet<String> = caps["permissions"]
            .as_array()
            .expect("permissions")
            .iter()
            .filter_map(|p| p.as_str()?.strip_prefix("allow-"))
            .map(|p| p.replace('-', "_"))
            .collect();
        assert_eq!(allowed, listed());
    }

    #[test]
    fn the_ui_invokes_exactly_the_listed_commands() {
        let api = read("ui/src/lib/api.ts");
        let mut invoked = BTreeSet::new();
        for (at, _) in api.match_indices("invoke") {
            let rest = &api[at..];
            let Some(open) = rest.find('"') else { continue };
            let name: String = rest[open + 1..].chars().take_while(|c| *c != '"').collect();
            if !name.is_empty() && name.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
                invoked.insert(name);
            }
        }
        assert_eq!(invoked, listed());
    }
}
