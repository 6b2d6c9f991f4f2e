//! Thin IPC commands: unpack arguments, call one engine function, record the reply, map the error.

use serde::Serialize;
use signet_core::agent::Policy as AgentPolicy;
use signet_core::provider::kinds::KindView;
use signet_core::views::KeyringStatus;
use signet_core::views::{
    AccountDetail, ActivityView, ChatSent, ChatTarget, EasemobAccount, FirstScreen, NewProvider,
    ProviderRemoved, ProviderView, Recipient, RefreshAllResult, RemoveResult, Settings,
    SignInStarted,
};
use signet_core::{AccountView, Engine, Error, Secret};
use tauri::{AppHandle, Manager, State};

type Reply<T> = Result<T, Error>;

/// Every command result passes through here: recorded for the IPC capture, then returned.
/// Errors cross the boundary as `signet_core::Error` — `{code, message}` with a closed set of codes.
fn reply<T: Serialize>(app: &AppHandle, command: &str, result: Reply<T>) -> Reply<T> {
    crate::events::capture(app, command, &result);
    if let Err(e) = &result {
        tracing::info!(command, code = e.code.as_str(), "command failed");
    }
    result
}

/// Every account, as the list shows it (no token or secret).
#[tauri::command]
pub async fn list_accounts(app: AppHandle, engine: State<'_, Engine>) -> Reply<Vec<AccountView>> {
    reply(&app, "list_accounts", engine.list().await)
}

/// The window's first screen in one answer: the accounts, the preferences (its language) and
/// the desktop's font, so the page draws it once, in the right language and font.
#[tauri::command]
pub async fn first_screen(app: AppHandle) -> Reply<FirstScreen> {
    let result = crate::services::first_screen(&app).await;
    reply(&app, "first_screen", result)
}

/// How many batches of account changes the window has been told of since start: a page that
/// subscribed after its first screen was read compares it with `FirstScreen::changes`.
#[tauri::command]
pub async fn account_changes(app: AppHandle) -> Reply<u64> {
    let changes = crate::services::account_changes(&app);
    reply(&app, "account_changes", Ok(changes))
}

/// One account in full: profile, balance and its history, forecast, chat support.
#[tauri::command]
pub async fn get_account(
    app: AppHandle,
    engine: State<'_, Engine>,
    id: i64,
) -> Reply<AccountDetail> {
    reply(&app, "get_account", engine.detail(id).await)
}

/// Sets the account's low-balance alert (money as the balance is shown), or removes it (`null`).
#[tauri::command]
pub async fn set_low_balance(
    app: AppHandle,
    engine: State<'_, Engine>,
    id: i64,
    amount: Option<f64>,
) -> Reply<AccountView> {
    reply(
        &app,
        "set_low_balance",
        engine.set_low_balance(id, amount).await,
    )
}

/// Whether programs may get the account's token from the token agent: `allow`, `ask`, `deny`.
#[tauri::command]
pub async fn set_agent_policy(
    app: AppHandle,
    engine: State<'_, Engine>,
    id: i64,
    policy: AgentPolicy,
) -> Reply<AccountDetail> {
    let result = match engine.set_agent_policy(id, policy).await {
        Ok(()) => engine.detail(id).await,
        Err(e) => Err(e),
    };
    reply(&app, "set_agent_policy", result)
}

/// Forgets what the person decided for a program: under `ask` it is asked about again.
#[tauri::command]
pub async fn revoke_agent_grant(
    app: AppHandle,
    engine: State<'_, Engine>,
    id: i64,
    program: String,
) -> Reply<AccountDetail> {
    let result = match engine.revoke_agent_grant(id, &program).await {
        Ok(_) => engine.detail(id).await,
        Err(e) => Err(e),
    };
    reply(&app, "revoke_agent_grant", result)
}

/// The account's picture as a `data:` URL, fetched by the engine (the window loads no remote image).
#[tauri::command]
pub async fn get_avatar(
    app: AppHandle,
    engine: State<'_, Engine>,
    id: i64,
) -> Reply<Option<String>> {
    reply(&app, "get_avatar", engine.avatar(id).await)
}

/// Refreshes the account now (even if not due), then reads its profile and balance again.
#[tauri::command]
pub async fn refresh_account(
    app: AppHandle,
    engine: State<'_, Engine>,
    id: i64,
) -> Reply<AccountView> {
    // The person asked for fresh data: new tokens, then the profile and balance again.
    let result = match engine.refresh(id, true).await {
        Ok(_) => engine.sync_profile(id).await,
        Err(e) => Err(e),
    };
    reply(&app, "refresh_account", result)
}

/// Refresh all (the window's button and the tray's item): every account that is not waiting for its person.
#[tauri::command]
pub async fn refresh_all(app: AppHandle) -> Reply<RefreshAllResult> {
    let result = crate::tray::refresh_all(&app).await;
    reply(&app, "refresh_all", result)
}

/// Every kind of provider Signet knows (from the engine's registry), with the keys each takes:
/// the provider form offers these.
#[tauri::command]
pub async fn provider_kinds(app: AppHandle) -> Reply<Vec<KindView>> {
    reply(
        &app,
        "provider_kinds",
        Ok(signet_core::provider::kinds::kinds()),
    )
}

/// The configured providers, with what each can do and how many accounts it has.
#[tauri::command]
pub async fn list_providers(app: AppHandle, engine: State<'_, Engine>) -> Reply<Vec<ProviderView>> {
    reply(&app, "list_providers", engine.providers().await)
}

/// Adds a provider to the configuration (its secret, if given, goes to the keyring).
#[tauri::command]
pub async fn add_provider(
    app: AppHandle,
    engine: State<'_, Engine>,
    provider: NewProvider,
) -> Reply<ProviderView> {
    reply(&app, "add_provider", engine.add_provider(&provider).await)
}

/// Changes a provider's entry: values given change, empty ones are removed, absent ones kept.
#[tauri::command]
pub async fn update_provider(
    app: AppHandle,
    engine: State<'_, Engine>,
    name: String,
    provider: NewProvider,
) -> Reply<ProviderView> {
    reply(
        &app,
        "update_provider",
        engine.update_provider(&name, &provider).await,
    )
}

/// Removes a provider with its accounts (revoked where the provider can) and its secrets.
#[tauri::command]
pub async fn remove_provider(
    app: AppHandle,
    engine: State<'_, Engine>,
    name: String,
) -> Reply<ProviderRemoved> {
    reply(&app, "remove_provider", engine.remove_provider(&name).await)
}

/// Write-only: the engine stores it in the keyring and never hands it back.
#[tauri::command]
pub async fn set_client_secret(
    app: AppHandle,
    engine: State<'_, Engine>,
    provider: String,
    secret: String,
) -> Reply<()> {
    let result = engine
        .set_client_secret(&provider, &Secret::new(secret))
        .await;
    reply(&app, "set_client_secret", result)
}

/// Starts a sign-in in the system browser; `account` non-null signs that account in again. The shell opens the browser itself.
#[tauri::command]
pub async fn begin_sign_in(
    app: AppHandle,
    provider: String,
    account: Option<i64>,
) -> Reply<SignInStarted> {
    let result = crate::services::begin_sign_in(&app, &provider, account).await;
    reply(&app, "begin_sign_in", result)
}

/// Stops waiting for the provider's sign-in started from the window.
#[tauri::command]
pub async fn cancel_sign_in(
    app: AppHandle,
    engine: State<'_, Engine>,
    provider: String,
) -> Reply<()> {
    engine.cancel_sign_in(&provider);
    reply(&app, "cancel_sign_in", Ok(()))
}

/// Removes the account and its tokens (revoked first where the provider can).
#[tauri::command]
pub async fn remove_account(
    app: AppHandle,
    engine: State<'_, Engine>,
    id: i64,
) -> Reply<RemoveResult> {
    let result = engine.remove(id).await.map(|r| RemoveResult {
        revoked: r.revoked(),
    });
    reply(&app, "remove_account", result)
}

/// Opens the account's top-up page in the system browser.
#[tauri::command]
pub async fn open_topup(app: AppHandle, engine: State<'_, Engine>, id: i64) -> Reply<()> {
    let result = match engine.topup_url(id).await {
        Ok(url) => crate::services::open_browser(&app, url.as_str()),
        Err(e) => Err(e),
    };
    reply(&app, "open_topup", result)
}

/// Adds (or signs in again) an Easemob account from the form: no browser. Secrets go to the keyring.
#[tauri::command]
pub async fn add_easemob_account(
    app: AppHandle,
    engine: State<'_, Engine>,
    account: EasemobAccount,
) -> Reply<AccountView> {
    reply(
        &app,
        "add_easemob_account",
        engine.add_easemob_account(&account).await,
    )
}

/// The Google Chat spaces or Feishu group chats the account can post to.
#[tauri::command]
pub async fn chat_list(
    app: AppHandle,
    engine: State<'_, Engine>,
    id: i64,
) -> Reply<Vec<ChatTarget>> {
    reply(&app, "chat_list", engine.chat_list(id).await)
}

/// Creates a named Google Chat space.
#[tauri::command]
pub async fn chat_create_space(
    app: AppHandle,
    engine: State<'_, Engine>,
    id: i64,
    name: String,
) -> Reply<ChatTarget> {
    reply(
        &app,
        "chat_create_space",
        engine.chat_create_space(id, &name).await,
    )
}

/// Sends a text message as the account.
#[tauri::command]
pub async fn chat_send(
    app: AppHandle,
    engine: State<'_, Engine>,
    id: i64,
    to: Recipient,
    text: String,
) -> Reply<ChatSent> {
    reply(&app, "chat_send", engine.chat_send(id, &to, &text).await)
}

/// The newest activity lines, at most `limit`.
#[tauri::command]
pub async fn list_activity(
    app: AppHandle,
    engine: State<'_, Engine>,
    limit: i64,
) -> Reply<Vec<ActivityView>> {
    reply(
        &app,
        "list_activity",
        engine.activity(limit.clamp(1, 1000)).await,
    )
}

/// The preferences (language, start at login, notifications).
#[tauri::command]
pub async fn get_settings(app: AppHandle, engine: State<'_, Engine>) -> Reply<Settings> {
    reply(&app, "get_settings", engine.settings().await)
}

/// Saves the preferences and applies them (the tray follows a language change).
#[tauri::command]
pub async fn set_settings(app: AppHandle, settings: Settings) -> Reply<Settings> {
    let result = crate::services::apply_settings(&app, &settings).await;
    reply(&app, "set_settings", result)
}

/// The page's first screen (the account list, or the first-run guide) is on screen: drawn from
/// the first screen before the app's code loaded (`interactive` false), or by the app, which then
/// answers input (`interactive` true). Logged as the start-up times, and the idle benchmark's
/// marks; only the first call of each kind counts (the first of either is the first frame).
#[tauri::command]
pub async fn window_ready(
    app: AppHandle,
    phases: std::collections::BTreeMap<String, f64>,
    interactive: bool,
) -> Reply<()> {
    static FRAME: std::sync::Once = std::sync::Once::new();
    static INTERACTIVE: std::sync::Once = std::sync::Once::new();
    FRAME.call_once(|| {
        tracing::info!(
            ms = crate::since_start_ms(),
            interactive,
            ?phases,
            "start-up: the window's first screen is painted (page phases in ms since it began loading)"
        );
        bench_mark("frame");
        if let Some(first) = app.try_state::<crate::first_frame::FirstFrame>() {
            first.painted();
        }
    });
    if interactive {
        INTERACTIVE.call_once(|| {
            tracing::info!(
                ms = crate::since_start_ms(),
                ?phases,
                "start-up: the window answers input (page phases in ms since it began loading)"
            );
            bench_mark("interactive");
        });
    }
    reply(&app, "window_ready", Ok(()))
}

/// A benchmark hook (debug builds and builds with the `test-hooks` feature only): appends
/// `<stage> <ms since the Unix epoch>` to `$BENCH_READY_FILE`.
fn bench_mark(stage: &str) {
    #[cfg(any(debug_assertions, feature = "test-hooks"))]
    if let Some(path) = std::env::var_os("BENCH_READY_FILE") {
        use std::io::Write;
        if let Ok(mut f) = signet_core::private_fs::append_file(std::path::Path::new(&path)) {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_millis())
                .unwrap_or(0);
            let _ = writeln!(f, "{stage} {now}");
        }
    }
    #[cfg(not(any(debug_assertions, feature = "test-hooks")))]
    let _ = stage;
}

/// The keyring as last seen (the window's warning while it is locked, missing or not answering).
#[tauri::command]
pub async fn keyring_status(app: AppHandle, engine: State<'_, Engine>) -> Reply<KeyringStatus> {
    reply(&app, "keyring_status", Ok(engine.vault().health().status()))
}
