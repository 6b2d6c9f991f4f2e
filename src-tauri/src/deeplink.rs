//! Deep links: `signet://` registration on request, links handed over by a second launch, and the one a cold start was opened with.

use tauri::AppHandle;
use tauri_plugin_deep_link::DeepLinkExt;

use crate::ext::SignetExt;

/// Hooks the app to its deep links (run from set-up).
pub(crate) fn install(app: &tauri::App) {
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
            std::thread::spawn(move || crate::scheme::ensure_registered(&handle));
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
}

fn handle_link(app: &AppHandle, link: String) {
    let engine = app.engine();
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        match engine.handle_deep_link(&link).await {
            Ok(view) => tracing::info!(account = view.id, "signed in through a deep link"),
            Err(e) => crate::events::notice(&app, e.code.as_str(), &e.message),
        }
        crate::window::show_window(&app);
    });
}
