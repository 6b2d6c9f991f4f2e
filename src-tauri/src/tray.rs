//! The tray: Refresh all (from the tray and the window, its outcome shown here), a summary, at most 15 account lines (those needing attention first), Open Signet, Quit; the tooltip.

use signet_core::views::RefreshAllResult;
use signet_core::{AccountView, Error, Status};
use tauri::menu::{Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::{MouseButton, MouseButtonState, TrayIconBuilder, TrayIconEvent};
use tauri::AppHandle;

use crate::ext::SignetExt;
use crate::words::Words;

pub const TRAY_ID: &str = "signet";

/// Tray menu entries (account lines carry their id).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrayItem {
    RefreshAll,
    Account(i64),
    Open,
    Quit,
}

impl TrayItem {
    pub fn id(self) -> String {
        match self {
            TrayItem::RefreshAll => "refresh-all".into(),
            TrayItem::Account(id) => format!("account:{id}"),
            TrayItem::Open => "open".into(),
            TrayItem::Quit => "quit".into(),
        }
    }

    pub fn parse(id: &str) -> Option<TrayItem> {
        match id {
            "refresh-all" => Some(TrayItem::RefreshAll),
            "open" => Some(TrayItem::Open),
            "quit" => Some(TrayItem::Quit),
            other => other
                .strip_prefix("account:")
                .and_then(|n| n.parse().ok())
                .map(TrayItem::Account),
        }
    }
}

fn mark(status: Status) -> &'static str {
    match status {
        Status::Fresh => "●",
        Status::Refreshing => "◌",
        Status::Retrying => "◐",
        Status::Reauth | Status::Setup => "⚠",
    }
}

/// Account lines the tray shows at most: a menu that fits on a screen at 1,000 accounts.
pub const MAX_LINES: usize = 15;

/// What the tray menu lists: a summary, the accounts that need attention first (at most
/// [`MAX_LINES`]), and how many are not listed.
#[derive(Debug)]
pub struct TrayLines<'a> {
    pub summary: String,
    pub shown: Vec<&'a AccountView>,
    pub more: usize,
}

fn attention(status: Status) -> u8 {
    match status {
        Status::Reauth => 0,
        Status::Setup => 1,
        Status::Retrying => 2,
        Status::Refreshing => 3,
        Status::Fresh => 4,
    }
}

pub fn lines(words: Words, accounts: &[AccountView]) -> TrayLines<'_> {
    let mut ordered: Vec<&AccountView> = accounts.iter().collect();
    // Stable: within a status, the list's own order (provider, name).
    ordered.sort_by_key(|a| attention(a.status));
    let more = ordered.len().saturating_sub(MAX_LINES);
    ordered.truncate(MAX_LINES);
    TrayLines {
        summary: summary(words, accounts),
        shown: ordered,
        more,
    }
}

/// "1,000 accounts — 3 need you, 2 retrying", in the app's language.
pub fn summary(words: Words, accounts: &[AccountView]) -> String {
    let count = |s: &[Status]| accounts.iter().filter(|a| s.contains(&a.status)).count();
    words.summary(
        accounts.len(),
        count(&[Status::Reauth, Status::Setup]),
        count(&[Status::Retrying]),
    )
}

fn menu(
    app: &AppHandle,
    words: Words,
    accounts: &[AccountView],
) -> tauri::Result<Menu<tauri::Wry>> {
    let menu = Menu::new(app)?;
    let lines = lines(words, accounts);
    if !accounts.is_empty() {
        menu.append(&MenuItem::with_id(
            app,
            "summary",
            &lines.summary,
            false,
            None::<&str>,
        )?)?;
    }
    menu.append(&MenuItem::with_id(
        app,
        TrayItem::RefreshAll.id(),
        words.refresh_all(),
        true,
        None::<&str>,
    )?)?;
    menu.append(&PredefinedMenuItem::separator(app)?)?;
    for a in &lines.shown {
        let who = a.email.as_deref().unwrap_or(&a.display_name);
        let label = signet_core::printable::one_line(&format!(
            "{} {} ({}) — {}",
            mark(a.status),
            who,
            a.provider,
            words.status(a.status)
        ));
        menu.append(&MenuItem::with_id(
            app,
            TrayItem::Account(a.id).id(),
            label,
            true,
            None::<&str>,
        )?)?;
    }
    if lines.more > 0 {
        menu.append(&MenuItem::with_id(
            app,
            TrayItem::Open.id(),
            words.more(lines.more),
            true,
            None::<&str>,
        )?)?;
    }
    if !accounts.is_empty() {
        menu.append(&PredefinedMenuItem::separator(app)?)?;
    }
    menu.append(&MenuItem::with_id(
        app,
        TrayItem::Open.id(),
        words.open(),
        true,
        None::<&str>,
    )?)?;
    menu.append(&MenuItem::with_id(
        app,
        TrayItem::Quit.id(),
        words.quit(),
        true,
        None::<&str>,
    )?)?;
    Ok(menu)
}

pub fn build(app: &AppHandle) -> tauri::Result<()> {
    let mut tray = TrayIconBuilder::with_id(TRAY_ID)
        .tooltip("Signet")
        .menu(&menu(app, Words::for_setting("system"), &[])?)
        .show_menu_on_left_click(false)
        .on_menu_event(|app, event| match TrayItem::parse(event.id().as_ref()) {
            Some(TrayItem::RefreshAll) => {
                let app = app.clone();
                tauri::async_runtime::spawn(async move {
                    let _ = refresh_all(&app).await;
                });
            }
            Some(TrayItem::Account(_)) | Some(TrayItem::Open) => crate::window::show_window(app),
            Some(TrayItem::Quit) => app.exit(0),
            None => {}
        })
        .on_tray_icon_event(|tray, event| {
            if let TrayIconEvent::Click {
                button: MouseButton::Left,
                button_state: MouseButtonState::Up,
                ..
            } = event
            {
                crate::window::toggle_window(tray.app_handle());
            }
        });
    if let Some(icon) = app.default_window_icon() {
        tray = tray.icon(icon.clone());
    }
    tray.build(app)?;
    Ok(())
}

/// Rebuilds the account lines and the tooltip from the engine's current view.
pub async fn update(app: &AppHandle) {
    let engine = app.engine();
    let Ok(accounts) = engine.list().await else {
        return;
    };
    let Some(tray) = app.tray_by_id(TRAY_ID) else {
        return;
    };
    let words = Words::of(&engine).await;
    if let Ok(m) = menu(app, words, &accounts) {
        // The menu's words as the tray shows them (for the tests' IPC capture; no-op otherwise).
        if let Ok(items) = m.items() {
            let labels: Vec<String> = items
                .iter()
                .filter_map(|i| i.as_menuitem().and_then(|m| m.text().ok()))
                .collect();
            crate::events::capture(app, "tray-menu", &labels);
        }
        let _ = tray.set_menu(Some(m));
    }
    let _ = tray.set_tooltip(Some(format!("Signet — {}", summary(words, &accounts))));
    if let Some(c) = app.counters() {
        c.tray_rebuilds
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
}

/// Shows the outcome of "Refresh all" in the tooltip (the tray has no other place for text).
pub async fn show_outcome(app: &AppHandle, outcome: &RefreshAllResult) {
    let engine = app.engine();
    let Ok(accounts) = engine.list().await else {
        return;
    };
    if let Some(tray) = app.tray_by_id(TRAY_ID) {
        let words = Words::of(&engine).await;
        let text = format!(
            "Signet — {}\n{}",
            summary(words, &accounts),
            words.refreshed(outcome.refreshed, outcome.failed)
        );
        let _ = tray.set_tooltip(Some(text));
    }
}

/// "Refresh all" (tray and window): refreshes every active account; the outcome is shown.
pub(crate) async fn refresh_all(app: &AppHandle) -> Result<RefreshAllResult, Error> {
    let engine = app.engine();
    let results = engine.refresh_all().await?;
    let failed = results.iter().filter(|(_, r)| r.is_err()).count() as u32;
    let outcome = RefreshAllResult {
        refreshed: results.len() as u32 - failed,
        failed,
    };
    tracing::info!(
        refreshed = outcome.refreshed,
        failed = outcome.failed,
        "refresh all"
    );
    update(app).await;
    show_outcome(app, &outcome).await;
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn menu_ids_round_trip() {
        for item in [
            TrayItem::RefreshAll,
            TrayItem::Account(42),
            TrayItem::Open,
            TrayItem::Quit,
        ] {
            assert_eq!(TrayItem::parse(&item.id()), Some(item));
        }
        assert_eq!(TrayItem::parse("account:x"), None);
    }

    fn account(id: i64, status: Status) -> AccountView {
        AccountView {
            id,
            provider: "corp".into(),
            provider_kind: "oidc".into(),
            display_name: format!("user{id}"),
            email: None,
            avatar_url: None,
            status,
            status_code: None,
            status_message: None,
            access_expires_at: None,
            refresh_expires_at: None,
            next_refresh_at: None,
            last_refresh_at: None,
            balance: None,
            low_balance_below: None,
            profile: serde_json::Value::Null,
        }
    }

    #[test]
    fn a_thousand_accounts_fit_on_a_screen_with_those_needing_you_first() {
        let mut accounts: Vec<AccountView> = (0..1000).map(|i| account(i, Status::Fresh)).collect();
        accounts[500].status = Status::Reauth;
        accounts[900].status = Status::Setup;
        accounts[999].status = Status::Reauth;
        accounts[10].status = Status::Retrying;
        let l = lines(Words::En, &accounts);
        assert_eq!(l.summary, "1,000 accounts — 3 need you, 1 retrying");
        assert_eq!(l.shown.len(), MAX_LINES);
        assert_eq!(l.more, 985);
        let first: Vec<i64> = l.shown.iter().take(4).map(|a| a.id).collect();
        assert_eq!(first, vec![500, 999, 900, 10]);
        let few = &accounts[..3];
        assert_eq!(lines(Words::En, few).more, 0);
        assert_eq!(lines(Words::En, few).summary, "3 accounts");
        assert_eq!(summary(Words::En, &accounts[..1]), "1 account");
        let zh = lines(Words::Zh, &accounts);
        assert_eq!(zh.summary, "1,000 个账户 — 3 个需要你处理，1 个正在重试");
    }
}
