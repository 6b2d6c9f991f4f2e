//! The desktop shell: Tauri builder, plugins, tray, deep links, window lifecycle. Wiring only.

mod commands;
mod events;

use signet_core::{Config, Engine, EngineOptions, Vault};
use tauri::menu::{Menu, MenuItem};
use tauri::tray::{MouseButton, MouseButtonState, TrayIconBuilder, TrayIconEvent};
use tauri::{AppHandle, Manager, RunEvent, WindowEvent};
use tauri_plugin_deep_link::DeepLinkExt;

/// Tray menu entries.
#[derive(Debug, Clone, Copy)]
enum TrayItem {
    RefreshAll,
    Open,
    Quit,
}

impl TrayItem {
    fn id(self) -> &'static str {
        match self {
            TrayItem::RefreshAll => "refresh-all",
            TrayItem::Open => "open",
            TrayItem::Quit => "quit",
        }
    }
    fn from_id(id: &str) -> Option<TrayItem> {
        [TrayItem::RefreshAll, TrayItem::Open, TrayItem::Quit]
            .into_iter()
            .find(|t| t.id() == id)
    }
}

struct Shutdown(tokio::sync::watch::Sender<bool>);

pub fn run() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .try_init();

    let app = tauri::Builder::default()
        // Registered first: a second `signet` process hands its arguments (a deep link) to
        // this one and exits; the deep-link feature forwards them to on_open_url.
        .plugin(tauri_plugin_single_instance::init(|app, _argv, _cwd| {
            show_window(app);
        }))
        .plugin(tauri_plugin_deep_link::init())
        .plugin(tauri_plugin_opener::init())
        .invoke_handler(tauri::generate_handler![
            commands::list_accounts,
            commands::refresh_account
        ])
        .setup(|app| {
            let config = match Config::load(&signet_core::config::default_path()) {
                Ok(c) => c,
                Err(e) => {
                    tracing::error!(error = %e, "configuration not loaded");
                    Config::default()
                }
            };
            let options = EngineOptions::new(
                config,
                signet_core::engine::default_data_dir(),
                Vault::system(),
            );
            let engine = tauri::async_runtime::block_on(Engine::open(options))?;
            app.manage(engine.clone());

            // Engine events → the webview, from one place.
            let handle = app.handle().clone();
            let mut rx = engine.subscribe();
            tauri::async_runtime::spawn(async move {
                while let Ok(ev) = rx.recv().await {
                    events::emit(&handle, &ev);
                }
            });

            // The scheduler, owned here and stopped on quit.
            let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
            app.manage(Shutdown(stop_tx));
            let scheduler = engine.clone();
            tauri::async_runtime::spawn(async move { scheduler.run(stop_rx).await });

            // Deep links: at run time (second launch) and the one that started us (cold start).
            #[cfg(any(target_os = "linux", all(debug_assertions, windows)))]
            if let Err(e) = app.deep_link().register_all() {
                tracing::warn!(error = %e, "could not register the signet:// scheme");
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

            build_tray(app.handle())?;
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
            let Some(shutdown) = app.try_state::<Shutdown>() else {
                return;
            };
            if shutdown.0.send_replace(true) {
                return;
            }
            api.prevent_exit();
            let engine = app.state::<Engine>().inner().clone();
            let app = app.clone();
            tauri::async_runtime::spawn(async move {
                if !engine.drain(std::time::Duration::from_secs(15)).await {
                    tracing::warn!("quit while a refresh was still in flight");
                }
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
            Ok(view) => {
                tracing::info!(account = view.id, "signed in through a deep link");
                show_window(&app);
            }
            Err(e) => {
                events::notice(&app, e.code.as_str(), &e.message);
                show_window(&app);
            }
        }
    });
}

fn show_window(app: &AppHandle) {
    if let Some(w) = app.get_webview_window("main") {
        let _ = w.show();
        let _ = w.unminimize();
        let _ = w.set_focus();
    }
}

fn build_tray(app: &AppHandle) -> tauri::Result<()> {
    let refresh = MenuItem::with_id(
        app,
        TrayItem::RefreshAll.id(),
        "Refresh all",
        true,
        None::<&str>,
    )?;
    let open = MenuItem::with_id(app, TrayItem::Open.id(), "Open Signet", true, None::<&str>)?;
    let quit = MenuItem::with_id(app, TrayItem::Quit.id(), "Quit", true, None::<&str>)?;
    let menu = Menu::with_items(app, &[&refresh, &open, &quit])?;
    let mut tray = TrayIconBuilder::with_id("signet")
        .tooltip("Signet")
        .menu(&menu)
        .show_menu_on_left_click(false)
        .on_menu_event(|app, event| match TrayItem::from_id(event.id().as_ref()) {
            Some(TrayItem::RefreshAll) => {
                let engine = app.state::<Engine>().inner().clone();
                tauri::async_runtime::spawn(async move {
                    if let Err(e) = engine.refresh_all().await {
                        tracing::warn!(code = e.code.as_str(), "refresh all failed");
                    }
                });
            }
            Some(TrayItem::Open) => show_window(app),
            Some(TrayItem::Quit) => app.exit(0),
            None => {}
        })
        .on_tray_icon_event(|tray, event| {
            if let TrayIconEvent::Click {
                button: MouseButton::Left,
                button_state: MouseButtonState::Up,
                ..
            } = event
            {
                show_window(tray.app_handle());
            }
        });
    if let Some(icon) = app.default_window_icon() {
        tray = tray.icon(icon.clone());
    }
    tray.build(app)?;
    Ok(())
}
