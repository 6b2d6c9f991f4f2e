//! Set-up and quit: the engine opened, its events carried to the window, the tray and notifications, the background services, deep links, SIGTERM, the tray; and the quit that stores refreshes in flight first.

use std::sync::atomic::Ordering;

use signet_core::{Config, Engine, EngineOptions, Vault};
use tauri::{AppHandle, Manager, RunEvent};

use crate::ext::Counters;
use crate::ext::SignetExt;
use crate::services::notifications;
use crate::{events, logging, since_start_ms, tray};

/// Tauri's set-up step for Signet.
pub(crate) fn setup(app: &mut tauri::App) -> Result<(), Box<dyn std::error::Error>> {
    logging::init(app.handle());
    tracing::info!(
        ms = since_start_ms(),
        "start-up: plugins and event loop ready"
    );
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
    app.manage(crate::desktop_font::DesktopFont::read());
    // Read while the web process starts; the page gets it inside its HTML.
    crate::first_page::prepare(app.handle());

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
                tracing::info!(
                    lost = batch.lost,
                    "engine events overflowed: window told to reload"
                );
            }
            // Counted before it is sent: a page that subscribed late sees the count move
            // (FirstScreen::changes) even when it missed the event.
            if batch.touches_accounts() {
                if let Some(c) = handle.counters() {
                    c.window_reloads.fetch_add(1, Ordering::SeqCst);
                }
            }
            events::emit_batch(&handle, &batch);
            if batch.touches_accounts() {
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
    // within two seconds — and the keyring watch: one handle, stopped on quit. Started once
    // the window has painted its first frame (first_frame.rs).
    crate::first_frame::after(app.handle(), |app| async move {
        let engine = app.engine();
        if engine.quitting() {
            return;
        }
        app.manage(engine.start_background(
            tauri::async_runtime::handle().inner(),
            std::time::Duration::from_secs(2),
        ));
        tracing::info!(
            ms = since_start_ms(),
            "start-up: background services started"
        );
    });

    // The token agent: other programs ask this Signet for tokens (docs/agent-protocol.md).
    crate::agent::serve(app.handle().clone(), engine.clone());

    crate::deeplink::install(app);

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
    // The tray's accounts, after the window's first frame (first_frame.rs).
    crate::first_frame::after(app.handle(), |app| async move { tray::update(&app).await });
    Ok(())
}

/// Quit (window, tray, `signet --quit`, SIGTERM): stop the scheduler, wait (briefly) for
/// refreshes in flight to be stored, then exit for real.
pub(crate) fn on_run_event(app: &AppHandle, event: RunEvent) {
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
        let engine = app.engine();
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
}
