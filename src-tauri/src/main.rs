//! Entry point of the `signet` desktop binary.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    signet_app::run()
}
