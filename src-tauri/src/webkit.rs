//! WebKit settings Signet chooses through the environment before the first web view, kept out of the programs it starts.

/// WebKit's memory-pressure monitors: one polls `/proc/meminfo` every few seconds in the app's
/// process, and each web process reads its `/proc/self/smaps` on a timer. For a page as small
/// as Signet's they cost most of an idle window's CPU (BENCHMARKS.md, idle) and have nothing
/// to free. Off unless the environment already says otherwise.
const MEMORY_PRESSURE: &str = "WEBKIT_DISABLE_MEMORY_PRESSURE_MONITOR";

/// Sets Signet's WebKit variables. Called first thing in `run`, before any other thread exists.
/// The browser and hooks Signet starts do not inherit what it set here.
pub fn configure() {
    if cfg!(target_os = "linux") && std::env::var_os(MEMORY_PRESSURE).is_none() {
        std::env::set_var(MEMORY_PRESSURE, "1");
        signet_core::child_env::keep_to_self(MEMORY_PRESSURE);
    }
}
