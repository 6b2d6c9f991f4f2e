//! A bare Tauri v2 window (no plugins, no tray, one command): the baseline Signet's idle
//! start-up time and memory are compared against, built with the same toolchain in the same run.

use std::io::Write;

/// Marks the first paint, which is also when the window answers input: appends `frame <ms>` and
/// `interactive <ms>` (ms since the Unix epoch) to `$BENCH_READY_FILE`, as Signet does.
#[tauri::command]
fn ready() {
    eprintln!(
        "start-up: ready ms={}",
        STARTED.get().map_or(0, |t| t.elapsed().as_millis())
    );
    if let Some(path) = std::env::var_os("BENCH_READY_FILE") {
        if let Ok(mut f) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
        {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_millis())
                .unwrap_or(0);
            let _ = writeln!(f, "frame {now}\ninteractive {now}");
        }
    }
}

/// When `main` began: the same start-up log lines as Signet's, for comparing phases.
static STARTED: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();

fn main() {
    STARTED.get_or_init(std::time::Instant::now);
    let result = tauri::Builder::default()
        .setup(|_| {
            eprintln!(
                "start-up: event loop ready ms={}",
                STARTED.get().map_or(0, |t| t.elapsed().as_millis())
            );
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![ready])
        .run(tauri::generate_context!());
    if let Err(e) = result {
        eprintln!("bare window failed: {e}");
        std::process::exit(1);
    }
}
