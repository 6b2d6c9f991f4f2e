//! The desktop's interface font family, read once at set-up and handed to the page with its first screen.
//!
//! On Linux the page names GTK's font itself instead of CSS `system-ui`: WebKitGTK resolves
//! `system-ui` through its copy of the GTK settings, which cost the page's first style
//! 12–15 ms more than a named family in a measured comparison (BENCHMARKS.md, idle), and it
//! lands on the same family. Elsewhere `system-ui` is the platform's font and stays.

/// The family read at set-up (none where the platform's `system-ui` is used).
pub(crate) struct DesktopFont(pub(crate) Option<String>);

impl DesktopFont {
    /// Reads GTK's `gtk-font-name` ("Cantarell 11", "Noto Sans 10"): its family, without the
    /// size or style. On the main thread, where GTK lives.
    #[cfg(target_os = "linux")]
    pub(crate) fn read() -> Self {
        use gtk::prelude::GtkSettingsExt;
        let family = gtk::Settings::default()
            .and_then(|s| s.gtk_font_name())
            .and_then(|name| gtk::pango::FontDescription::from_string(&name).family())
            .map(|f| f.to_string())
            .filter(|f| !f.trim().is_empty());
        DesktopFont(family)
    }

    #[cfg(not(target_os = "linux"))]
    pub(crate) fn read() -> Self {
        DesktopFont(None)
    }
}
