//! The graphical-session check made before the window toolkit starts.

/// On Linux, starts GTK on the main thread before Tauri does, so that a missing or unusable
/// display is one sentence for the person instead of a panic in the event loop. Tauri's own
/// start-up then finds GTK already initialised.
#[cfg(target_os = "linux")]
pub(crate) fn require_graphical_session() -> Result<(), String> {
    if gtk::init().is_ok() {
        return Ok(());
    }
    let display = std::env::var("DISPLAY").ok().filter(|v| !v.is_empty());
    let wayland = std::env::var("WAYLAND_DISPLAY")
        .ok()
        .filter(|v| !v.is_empty());
    Err(match (display, wayland) {
        (None, None) => {
            "Signet needs a graphical session, and none was found (neither DISPLAY nor \
             WAYLAND_DISPLAY is set): start it from your desktop, or use signetctl in a terminal."
                .to_string()
        }
        (d, w) => {
            let name = w.or(d).unwrap_or_default();
            format!(
                "Signet could not open its window on display {name:?} (GTK did not start): check \
                 that the display is running and that you may use it, or use signetctl in a terminal."
            )
        }
    })
}

#[cfg(not(target_os = "linux"))]
pub(crate) fn require_graphical_session() -> Result<(), String> {
    Ok(())
}
