//! Environment variables a Signet process set for itself and keeps from the programs it starts (the browser, hooks).

use std::sync::Mutex;

static OWN: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Marks `name`, which this process set for itself (the app's WebKit settings), as not to be
/// passed on to the programs it starts.
pub fn keep_to_self(name: &str) {
    if let Ok(mut own) = OWN.lock() {
        if !own.iter().any(|n| n == name) {
            own.push(name.to_owned());
        }
    }
}

/// The variables marked with [`keep_to_self`].
pub fn own() -> Vec<String> {
    OWN.lock().map(|own| own.clone()).unwrap_or_default()
}

/// Removes the variables marked with [`keep_to_self`] from `cmd`'s environment.
pub fn strip(cmd: &mut std::process::Command) {
    for name in own() {
        cmd.env_remove(name);
    }
}
