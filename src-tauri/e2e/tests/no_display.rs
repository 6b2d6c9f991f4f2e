//! Started without a usable display, `signet` says so in one sentence and exits non-zero.

mod common;

use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Runs the app with `display` (None: no DISPLAY and no WAYLAND_DISPLAY) in a throwaway
/// profile, and returns its output; fails if it is still running after 20 s.
fn run_app(display: Option<&str>) -> (Output, Duration) {
    let home = tempfile::tempdir().expect("home");
    let mut cmd = Command::new(common::app_binary());
    cmd.env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .env("HOME", home.path())
        .env("XDG_CONFIG_HOME", home.path().join("config"))
        .env("XDG_DATA_HOME", home.path().join("data"))
        .env("XDG_STATE_HOME", home.path().join("state"))
        .env("RUST_BACKTRACE", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(d) = display {
        cmd.env("DISPLAY", d);
    }
    let started = Instant::now();
    let mut child = cmd.spawn().expect("start signet");
    while child.try_wait().expect("wait").is_none() {
        if started.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            panic!("signet without a display was still running after 20 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let elapsed = started.elapsed();
    (child.wait_with_output().expect("output"), elapsed)
}

fn assert_one_sentence(out: &Output, expected: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "exit code; stderr: {stderr}");
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "one line on stderr, got: {stderr}");
    assert!(lines[0].contains(expected), "stderr: {stderr}");
    assert!(lines[0].contains("signetctl"), "says what to do: {stderr}");
    for noise in ["panicked", "backtrace", "BoolError", "RUST_BACKTRACE"] {
        assert!(!stderr.contains(noise), "{noise:?} in stderr: {stderr}");
    }
}

#[test]
fn without_any_display_signet_says_it_needs_a_graphical_session() {
    let (out, elapsed) = run_app(None);
    assert_one_sentence(&out, "needs a graphical session");
    assert!(elapsed < Duration::from_secs(10), "took {elapsed:?}");
}

#[test]
fn with_a_display_that_does_not_answer_signet_names_it() {
    // Nothing listens on display :87 (and TCP is never tried for a local display name).
    let (out, _) = run_app(Some(":87"));
    assert_one_sentence(&out, "could not open its window on display \":87\"");
}
