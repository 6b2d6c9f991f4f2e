//! The app's services behind the commands: the first screen, the browser, sign-in, preferences, notifications.

use std::sync::atomic::Ordering;

use signet_core::views::{FirstScreen, Settings, SignInStarted};
use signet_core::Error;
use tauri::{AppHandle, Manager};
use tauri_plugin_autostart::ManagerExt as _;
use tauri_plugin_notification::NotificationExt;

use crate::ext::SignetExt;
use crate::{events, tray};

/// The window's first screen: the accounts, the preferences and the desktop's font, with the
/// count of account changes the window had been told of before they were read.
pub(crate) async fn first_screen(app: &AppHandle) -> Result<FirstScreen, Error> {
    let changes = account_changes(app);
    let engine = app.engine();
    let (accounts, settings) = tokio::try_join!(engine.list(), engine.settings())?;
    let providers = u32::try_from(engine.config().providers.len()).unwrap_or(u32::MAX);
    let desktop_font = app
        .try_state::<crate::desktop_font::DesktopFont>()
        .and_then(|f| f.0.clone());
    Ok(FirstScreen {
        accounts,
        settings,
        desktop_font,
        changes,
        providers,
    })
}

/// How many batches of account changes the window has been told of since start.
pub(crate) fn account_changes(app: &AppHandle) -> u64 {
    app.counters()
        .map_or(0, |c| c.window_reloads.load(Ordering::SeqCst))
}

/// Opens `url` in the person's browser: `$BROWSER` if set, else the system opener (the
/// engine's, shared with `signetctl`).
pub(crate) fn open_browser(app: &AppHandle, url: &str) -> Result<(), Error> {
    let engine = app.engine();
    signet_core::browser::open(url, &engine.config().secret_env_names())
        .map_err(|e| Error::new(e.code, format!("{} The address: {url}", e.message)))
}

/// Starts a sign-in and opens the browser; the result arrives as a `sign-in-finished` event.
pub(crate) async fn begin_sign_in(
    app: &AppHandle,
    provider: &str,
    account: Option<i64>,
) -> Result<SignInStarted, Error> {
    let engine = app.engine();
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

/// Saves preferences and applies launch-at-login.
pub(crate) async fn apply_settings(
    app: &AppHandle,
    settings: &Settings,
) -> Result<Settings, Error> {
    let engine = app.engine();
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
pub(crate) async fn notifications(
    app: AppHandle,
    mut alerts: tokio::sync::mpsc::UnboundedReceiver<Vec<signet_core::batch::Alert>>,
) {
    use signet_core::batch::{gather_alerts, ALERT_MAX_WAIT, ALERT_QUIET};
    while let Some(held) = gather_alerts(&mut alerts, ALERT_QUIET, ALERT_MAX_WAIT).await {
        let engine = app.engine();
        let words = crate::words::Words::of(&engine).await;
        for (title, body) in words.notifications(&held) {
            notify(&app, &title, &body).await;
        }
    }
}

/// A desktop notification, if the person allows them.
async fn notify(app: &AppHandle, title: &str, body: &str) {
    let engine = app.engine();
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
