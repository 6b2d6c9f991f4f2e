//! The tray: Refresh all, one line per account with its status, Open Signet, Quit; the tooltip summary.

use signet_core::{AccountView, Engine, Status};
use tauri::menu::{Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::{MouseButton, MouseButtonState, TrayIconBuilder, TrayIconEvent};
use tauri::{AppHandle, Manager};

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

fn status_text(status: Status) -> &'static str {
    match status {
        Status::Fresh => "fresh",
        Status::Refreshing => "refreshing",
        Status::Retrying => "retrying",
        Status::Reauth => "sign in again",
        Status::Setup => "setup problem",
    }
}

/// "5 accounts, 1 needs sign-in".
pub fn summary(accounts: &[AccountView]) -> String {
    let n = accounts.len();
    let reauth = accounts
        .iter()
        .filter(|a| a.status == Status::Reauth)
        .count();
    let setup = accounts
        .iter()
        .filter(|a| a.status == Status::Setup)
        .count();
    let mut s = format!("Signet — {n} account{}", if n == 1 { "" } else { "s" });
    if reauth > 0 {
        s.push_str(&format!(
            ", {reauth} need{} sign-in",
            if reauth == 1 { "s" } else { "" }
        ));
    }
    if setup > 0 {
        s.push_str(&format!(", {setup} with a setup problem"));
    }
    s
}

fn menu(app: &AppHandle, accounts: &[AccountView]) -> tauri::Result<Menu<tauri::Wry>> {
    let menu = Menu::new(app)?;
    menu.append(&MenuItem::with_id(
        app,
        TrayItem::RefreshAll.id(),
        "Refresh all",
        true,
        None::<&str>,
    )?)?;
    menu.append(&PredefinedMenuItem::separator(app)?)?;
    for a in accounts.iter().take(30) {
        let who = a.email.as_deref().unwrap_or(&a.display_name);
        let label = signet_core::printable::one_line(&format!(
            "{} {} ({}) — {}",
            mark(a.status),
            who,
            a.provider,
            status_text(a.status)
        ));
        menu.append(&MenuItem::with_id(
            app,
            TrayItem::Account(a.id).id(),
            label,
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
        "Open Signet",
        true,
        None::<&str>,
    )?)?;
    menu.append(&MenuItem::with_id(
        app,
        TrayItem::Quit.id(),
        "Quit",
        true,
        None::<&str>,
    )?)?;
    Ok(menu)
}

pub fn build(app: &AppHandle) -> tauri::Result<()> {
    let mut tray = TrayIconBuilder::with_id(TRAY_ID)
        .tooltip("Signet")
        .menu(&menu(app, &[])?)
        .show_menu_on_left_click(false)
        .on_menu_event(|app, event| match TrayItem::parse(event.id().as_ref()) {
            Some(TrayItem::RefreshAll) => {
                let app = app.clone();
                tauri::async_runtime::spawn(async move {
                    let _ = crate::refresh_all(&app).await;
                });
            }
            Some(TrayItem::Account(_)) | Some(TrayItem::Open) => crate::show_window(app),
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
                crate::toggle_window(tray.app_handle());
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
    let engine = app.state::<Engine>().inner().clone();
    let Ok(accounts) = engine.list().await else {
        return;
    };
    let Some(tray) = app.tray_by_id(TRAY_ID) else {
        return;
    };
    if let Ok(m) = menu(app, &accounts) {
        let _ = tray.set_menu(Some(m));
    }
    let _ = tray.set_tooltip(Some(summary(&accounts)));
}

/// Shows the outcome of "Refresh all" in the tooltip (the tray has no other place for text).
pub async fn show_outcome(app: &AppHandle, outcome: &signet_core::views::RefreshAllResult) {
    let engine = app.state::<Engine>().inner().clone();
    let Ok(accounts) = engine.list().await else {
        return;
    };
    if let Some(tray) = app.tray_by_id(TRAY_ID) {
        let text = format!(
            "{}\nRefresh all: {} refreshed, {} failed",
            summary(&accounts),
            outcome.refreshed,
            outcome.failed
        );
        let _ = tray.set_tooltip(Some(text));
    }
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
}
