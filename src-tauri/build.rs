//! Build script: Tauri's code generation, with the app's own commands declared so that each one
//! needs an explicit permission in capabilities/ (least privilege for the webview).

fn main() {
    let commands: &[&str] = &[
        "list_accounts",
        "get_account",
        "get_avatar",
        "refresh_account",
        "refresh_all",
        "list_providers",
        "add_provider",
        "update_provider",
        "remove_provider",
        "set_client_secret",
        "begin_sign_in",
        "cancel_sign_in",
        "remove_account",
        "open_topup",
        "set_low_balance",
        "add_easemob_account",
        "chat_list",
        "chat_create_space",
        "chat_send",
        "list_activity",
        "get_settings",
        "set_settings",
        "keyring_status",
        "window_ready",
    ];
    let manifest = tauri_build::AppManifest::new().commands(commands);
    if let Err(e) = tauri_build::try_build(tauri_build::Attributes::new().app_manifest(manifest)) {
        panic!("tauri build step failed: {e:#}");
    }
}
