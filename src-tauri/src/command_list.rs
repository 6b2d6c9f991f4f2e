// The window's commands: the one list. `build.rs` declares each one (so each needs its own
// permission in capabilities/), `lib.rs` registers the handlers, and `cargo test` writes the
// UI's typed function for each from its function in commands.rs (ipc_bindings.rs:
// ui/src/lib/bindings/commands.ts). Tests check that the functions, this list, the permissions
// and the generated file agree. Adding a command is its function in commands.rs, one line
// here, and its permission line in capabilities/main-window.json.
// (Included as text by build.rs and lib.rs: a build script cannot depend on its own crate.)
macro_rules! with_commands {
    ($then:ident) => {
        $then!(
            first_screen,
            account_changes,
            list_accounts,
            get_account,
            get_avatar,
            refresh_account,
            refresh_all,
            list_providers,
            provider_kinds,
            add_provider,
            update_provider,
            remove_provider,
            set_client_secret,
            begin_sign_in,
            cancel_sign_in,
            remove_account,
            open_topup,
            set_low_balance,
            set_agent_policy,
            revoke_agent_grant,
            add_easemob_account,
            chat_list,
            chat_create_space,
            chat_send,
            list_activity,
            get_settings,
            set_settings,
            keyring_status,
            window_ready
        )
    };
}
