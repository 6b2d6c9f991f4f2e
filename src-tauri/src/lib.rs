//! The desktop shell's builder: plugins, the command handlers, set-up, window events and the run loop. Wiring only.
//!
//! | module | owns |
//! |---|---|
//! | `setup` | set-up (engine, event forwarding, background services, SIGTERM, tray) and quit |
//! | `window` | the window's lifecycle (show, toggle, close to the tray) |
//! | `deeplink` | `signet://` registration, hand-over from a second launch, cold-start links |
//! | `services` | what commands and the tray call: browser, sign-in, Refresh all, preferences, notifications |
//! | `ext` | `SignetExt`: the engine and counters from Tauri's handle |
//! | `commands`, `command_list.rs` | the IPC commands and their one list |
//! | `ipc_bindings` (tests) | the UI's generated command and event functions (`ui/src/lib/bindings/{commands,events}.ts`) |
//! | `events`, `tray`, `words`, `logging`, `scheme`, `display` | events to the webview, the tray, its words, logs, scheme registration, the display check |
//! | `webkit`, `desktop_font` | WebKit's settings from the environment; the desktop's font for the page |
//! | `first_page` | the page's HTML with its first screen inside (read during set-up), and its first frame drawn |
//! | `first_markup` | that first frame: the account list as markup, in the window's language, held to the page's own drawing |
//! | `first_frame` | start-up work held until the window's first frame (background services, the tray's first fill) |

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

mod agent;
mod commands;
mod deeplink;
mod desktop_font;
mod display;
mod events;
mod ext;
mod first_frame;
mod first_markup;
mod first_page;
#[cfg(test)]
mod ipc_bindings;
mod logging;
mod scheme;
mod services;
mod setup;
mod tray;
mod webkit;
mod window;
mod words;

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
    webkit::configure();
    if let Err(sentence) = display::require_graphical_session() {
        eprintln!("{sentence}");
        std::process::exit(EXIT_NO_DISPLAY);
    }
    // The first screen, read during set-up, goes to the page inside its HTML (first_page.rs).
    let first_screen = first_page::FirstScreenSlot::new();
    let mut context = tauri::generate_context!();
    first_page::FirstPage::install(&mut context, first_screen.clone());
    let app = tauri::Builder::default()
        // Registered first: a second `signet` process hands its arguments (a deep link) to
        // this one and exits; the deep-link feature forwards them to on_open_url.
        .plugin(tauri_plugin_single_instance::init(|app, argv, _cwd| {
            // `signet --quit` from a script or a session manager: quit the running instance
            // the same way the tray's Quit does (refreshes in flight are stored first).
            if argv.iter().any(|a| a == "--quit") {
                app.exit(0);
            } else {
                window::show_window(app);
            }
        }))
        .plugin(tauri_plugin_deep_link::init())
        .plugin(tauri_plugin_opener::init())
        .plugin(tauri_plugin_notification::init())
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_window_state::Builder::default().build())
        .plugin(tauri_plugin_autostart::init(
            tauri_plugin_autostart::MacosLauncher::LaunchAgent,
            None,
        ))
        .manage(events::IpcCapture::from_env())
        .manage(first_screen)
        .manage(first_frame::FirstFrame::new())
        .invoke_handler(with_commands!(handlers))
        .setup(setup::setup)
        .on_window_event(window::on_event)
        .build(context);

    let app = match app {
        Ok(app) => app,
        Err(e) => {
            eprintln!("Signet could not start: {e}");
            std::process::exit(1);
        }
    };
    app.run(setup::on_run_event);
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
        // The generated functions (ipc_bindings.rs) are the only `invoke` calls in the UI.
        let generated = read("ui/src/lib/bindings/commands.ts");
        let mut invoked = BTreeSet::new();
        for (at, _) in generated.match_indices("invoke<") {
            let rest = &generated[at..];
            let Some(open) = rest.find('"') else { continue };
            let name: String = rest[open + 1..].chars().take_while(|c| *c != '"').collect();
            invoked.insert(name);
        }
        assert_eq!(invoked, listed());
        let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("ui/src");
        let mut stack = vec![src];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).expect("ui/src").flatten() {
                let path = entry.path();
                if path.is_dir() {
                    stack.push(path);
                } else if !path.ends_with("bindings/commands.ts")
                    && !path.to_string_lossy().contains("/test/")
                    && !path.to_string_lossy().ends_with(".test.ts")
                {
                    let text = std::fs::read_to_string(&path).unwrap_or_default();
                    assert!(
                        !text.contains("invoke(") && !text.contains("invoke<"),
                        "{} calls invoke itself: use the generated functions",
                        path.display()
                    );
                }
            }
        }
    }
}
