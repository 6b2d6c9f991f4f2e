//! `SignetExt`: the app's services on Tauri's handle (the engine, the counters), one line at each use.

use std::sync::atomic::AtomicU64;

use signet_core::Engine;
use tauri::{Manager, Runtime};

/// The engine and the shell's counters from anything that reaches the app (app, handle, window).
pub(crate) trait SignetExt<R: Runtime>: Manager<R> {
    /// The engine (a cheap handle: clones share it).
    fn engine(&self) -> Engine {
        self.state::<Engine>().inner().clone()
    }
    /// What the shell did since start (none before set-up).
    fn counters(&self) -> Option<&Counters> {
        self.try_state::<Counters>().map(|s| s.inner())
    }
}

impl<R: Runtime, T: Manager<R>> SignetExt<R> for T {}

/// What the shell did since start, logged at quit (the storm benchmark reads it).
#[derive(Default)]
pub(crate) struct Counters {
    /// Batches that told the window (and the tray) to reload the account list; also the
    /// count the page compares its first screen against (`FirstScreen::changes`).
    pub(crate) window_reloads: AtomicU64,
    pub(crate) tray_rebuilds: AtomicU64,
}
