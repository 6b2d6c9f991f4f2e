//! Build script: Tauri's code generation, with the app's own commands (the list in
//! `src/command_list.rs`) declared so that each one needs an explicit permission in capabilities/
//! (least privilege for the webview).

include!("src/command_list.rs");

macro_rules! names {
    ($($command:ident),*) => {
        &[$(stringify!($command)),*]
    };
}

fn main() {
    println!("cargo:rerun-if-changed=src/command_list.rs");
    let commands: &[&str] = with_commands!(names);
    let manifest = tauri_build::AppManifest::new().commands(commands);
    if let Err(e) = tauri_build::try_build(tauri_build::Attributes::new().app_manifest(manifest)) {
        panic!("tauri build step failed: {e:#}");
    }
}
