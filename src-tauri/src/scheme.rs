//! The signet:// registration for builds not installed by a package: made when missing or stale, skipped when current.

use tauri::AppHandle;
use tauri_plugin_deep_link::DeepLinkExt;

/// Registers the scheme unless this build's registration is already in place. Registering runs
/// `update-desktop-database` and `xdg-mime` (shell scripts that compete with the window for the
/// CPU at start-up), so it happens only when something would change. Call off the main thread.
pub fn ensure_registered(app: &AppHandle) {
    #[cfg(target_os = "linux")]
    if registration_is_current(app) {
        tracing::debug!("signet:// is registered to this build already");
        return;
    }
    if let Err(e) = app.deep_link().register_all() {
        tracing::warn!(error = %e, "could not register the signet:// scheme");
    }
}

/// What the deep-link plugin writes, checked without running anything: its handler desktop file
/// with this executable and the scheme, and the default in `mimeapps.list`.
#[cfg(target_os = "linux")]
fn registration_is_current(app: &AppHandle) -> bool {
    use tauri::Manager;
    let Ok(exe) = tauri::utils::platform::current_exe() else {
        return false;
    };
    let Some(name) = exe.file_name() else {
        return false;
    };
    let handler = format!("{}-handler.desktop", name.to_string_lossy());
    let target = app.env().appimage.unwrap_or_else(|| exe.into_os_string());
    let exec = format!("Exec=\"{}\" %u", target.to_string_lossy());
    let mime = "x-scheme-handler/signet";
    let desktop = app
        .path()
        .data_dir()
        .ok()
        .and_then(|d| std::fs::read_to_string(d.join("applications").join(&handler)).ok());
    let mimeapps = app
        .path()
        .config_dir()
        .ok()
        .and_then(|d| std::fs::read_to_string(d.join("mimeapps.list")).ok());
    let (Some(desktop), Some(mimeapps)) = (desktop, mimeapps) else {
        return false;
    };
    let desktop_ok = desktop.lines().any(|l| l.trim() == exec)
        && desktop
            .lines()
            .any(|l| l.starts_with("MimeType=") && l.contains(mime));
    let default_ok = mimeapps.lines().any(|l| {
        l.split_once('=').is_some_and(|(k, v)| {
            k.trim() == mime && v.split(';').next().map(str::trim) == Some(handler.as_str())
        })
    });
    desktop_ok && default_ok
}
