//! Logging: structured (tracing) to stderr and to a daily-rotated file in the app log dir.

use std::sync::OnceLock;

use tauri::{AppHandle, Manager};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::EnvFilter;

static GUARD: OnceLock<tracing_appender::non_blocking::WorkerGuard> = OnceLock::new();

/// Lines waiting for the log file's writer thread. The appender's default, 128,000, is a 4 MB
/// queue allocated and touched at start; Signet logs a few lines per refresh at most. Past the
/// limit, lines are dropped rather than holding up a refresh.
const LOG_QUEUE_LINES: usize = 8_192;

/// Starts logging. Secrets never reach a log line: the engine logs ids and codes only, and its
/// secret type redacts itself.
pub fn init(app: &AppHandle) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let stderr = tracing_subscriber::fmt::layer().with_writer(std::io::stderr);
    let file = app.path().app_log_dir().ok().and_then(|dir| {
        // Private: the log names accounts. The folder is 0700, so a file the appender opens
        // later (at the daily rotation) is unreadable to others as well.
        signet_core::private_fs::create_dir(&dir).ok()?;
        let appender = tracing_appender::rolling::Builder::new()
            .rotation(tracing_appender::rolling::Rotation::DAILY)
            .filename_prefix("signet")
            .filename_suffix("log")
            .max_log_files(7)
            .build(&dir)
            .ok()?;
        let _ = signet_core::private_fs::tighten(&dir);
        // The appender opens a new file at each daily rotation with the process's umask; the
        // folder is 0700 already, and this makes the new file 0600 within the hour too.
        let watched = dir.clone();
        let _ = std::thread::Builder::new()
            .name("log-modes".into())
            .spawn(move || loop {
                std::thread::sleep(std::time::Duration::from_secs(3600));
                let _ = signet_core::private_fs::tighten(&watched);
            });
        let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
            .buffered_lines_limit(LOG_QUEUE_LINES)
            .finish(appender);
        let _ = GUARD.set(guard);
        Some(
            tracing_subscriber::fmt::layer()
                .with_ansi(false)
                .with_writer(writer),
        )
    });
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(stderr)
        .with(file)
        .try_init();
}
