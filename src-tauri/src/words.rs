//! The tray's and the notifications' words in the app's language (Settings: English, 简体中文, or the system's).

use signet_core::batch::Alert;
use signet_core::views::AlertKind;
use signet_core::Status;

/// The languages the window speaks, for what the shell shows outside it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Words {
    En,
    Zh,
}

impl Words {
    /// The Settings choice: "en", "zh-CN", or "system" (the locale variables, as the webview
    /// reads them).
    pub fn for_setting(language: &str) -> Words {
        match language {
            "zh-CN" => Words::Zh,
            "en" => Words::En,
            _ => Words::system(),
        }
    }

    fn system() -> Words {
        for var in ["LC_ALL", "LC_MESSAGES", "LANG"] {
            if let Some(v) = std::env::var_os(var).filter(|v| !v.is_empty()) {
                return match v.to_string_lossy().to_lowercase().starts_with("zh") {
                    true => Words::Zh,
                    false => Words::En,
                };
            }
        }
        Words::En
    }

    /// The language the app is set to now.
    pub async fn of(engine: &signet_core::Engine) -> Words {
        match engine.settings().await {
            Ok(s) => Words::for_setting(&s.language),
            Err(_) => Words::system(),
        }
    }

    /// The token agent's question: may `program` use `account`?
    pub fn agent_ask(self, program: &str, account: &str) -> String {
        match self {
            Words::En => format!("Allow {program} to use {account}?\n\nIt asked Signet for this account's access token."),
            Words::Zh => format!("允许 {program} 使用 {account} 吗？\n\n它向 Signet 请求此账户的访问令牌。"),
        }
    }

    /// The question's title (distinct from the window's).
    pub fn agent_ask_title(self) -> &'static str {
        match self {
            Words::En => "Signet — allow a program?",
            Words::Zh => "Signet — 允许程序使用账户？",
        }
    }

    /// The question's buttons: once, always, deny.
    pub fn agent_answers(self) -> [&'static str; 3] {
        match self {
            Words::En => ["Once", "Always", "Deny"],
            Words::Zh => ["仅此一次", "始终允许", "拒绝"],
        }
    }

    pub fn refresh_all(self) -> &'static str {
        match self {
            Words::En => "Refresh all",
            Words::Zh => "全部刷新",
        }
    }

    pub fn open(self) -> &'static str {
        match self {
            Words::En => "Open Signet",
            Words::Zh => "打开 Signet",
        }
    }

    pub fn quit(self) -> &'static str {
        match self {
            Words::En => "Quit",
            Words::Zh => "退出",
        }
    }

    /// An account's status, as the window's status pill says it.
    pub fn status(self, status: Status) -> &'static str {
        match (self, status) {
            (Words::En, Status::Fresh) => "fresh",
            (Words::En, Status::Refreshing) => "refreshing",
            (Words::En, Status::Retrying) => "retrying",
            (Words::En, Status::Reauth) => "sign in again",
            (Words::En, Status::Setup) => "setup problem",
            (Words::Zh, Status::Fresh) => "有效",
            (Words::Zh, Status::Refreshing) => "正在刷新",
            (Words::Zh, Status::Retrying) => "正在重试",
            (Words::Zh, Status::Reauth) => "需要重新登录",
            (Words::Zh, Status::Setup) => "配置有误",
        }
    }

    /// "… and 985 more in Signet".
    pub fn more(self, n: usize) -> String {
        match self {
            Words::En => format!("… and {} more in Signet", grouped(n)),
            Words::Zh => format!("… 另有 {} 个，在 Signet 中查看", grouped(n)),
        }
    }

    /// "1,000 accounts — 3 need you, 2 retrying".
    pub fn summary(self, total: usize, need: usize, retrying: usize) -> String {
        let mut parts = Vec::new();
        match self {
            Words::En => {
                let s = if total == 1 { "" } else { "s" };
                let head = format!("{} account{s}", grouped(total));
                if need > 0 {
                    let s = if need == 1 { "s" } else { "" };
                    parts.push(format!("{} need{s} you", grouped(need)));
                }
                if retrying > 0 {
                    parts.push(format!("{} retrying", grouped(retrying)));
                }
                join(head, &parts, ", ")
            }
            Words::Zh => {
                let head = format!("{} 个账户", grouped(total));
                if need > 0 {
                    parts.push(format!("{} 个需要你处理", grouped(need)));
                }
                if retrying > 0 {
                    parts.push(format!("{} 个正在重试", grouped(retrying)));
                }
                join(head, &parts, "，")
            }
        }
    }

    /// The tooltip line after "Refresh all".
    pub fn refreshed(self, refreshed: u32, failed: u32) -> String {
        match self {
            Words::En => format!("Refresh all: {refreshed} refreshed, {failed} failed"),
            Words::Zh => format!("全部刷新：{refreshed} 个已刷新，{failed} 个失败"),
        }
    }

    /// Notifications for a set of alerts: one per kind, however many accounts it concerns. In
    /// English the engine's own sentences; in Chinese the same notifications in Chinese (an
    /// alert's details stay in the window, where the account says what happened).
    pub fn notifications(self, alerts: &[Alert]) -> Vec<(String, String)> {
        if self == Words::En {
            return signet_core::batch::group_alerts(alerts);
        }
        let mut out = Vec::new();
        for kind in AlertKind::ALL {
            let mut seen = std::collections::BTreeSet::new();
            let names: Vec<&str> = alerts
                .iter()
                .filter(|a| a.kind == kind && seen.insert(a.account_id))
                .map(|a| a.account.as_str())
                .collect();
            match names.as_slice() {
                [] => {}
                [one] => out.push((format!("{one}：{}", zh_title(kind)), zh_body(kind).into())),
                many => {
                    let n = many.len();
                    let names =
                        signet_core::batch::list_some(many, 3, "；", |_| format!(" 等 {n} 个"));
                    out.push((zh_group_title(kind, n), names));
                }
            }
        }
        out
    }
}

fn zh_title(kind: AlertKind) -> &'static str {
    match kind {
        AlertKind::SignInAgain => "需要重新登录",
        AlertKind::SetupProblem => "服务配置有误",
        AlertKind::CannotRefresh => "无法刷新",
        AlertKind::EndsSoon => "登录即将到期",
        AlertKind::LowBalance => "余额不足",
    }
}

fn zh_body(kind: AlertKind) -> &'static str {
    match kind {
        AlertKind::SignInAgain => "服务不再接受这次登录。请在 Signet 中重新登录此账户以继续使用。",
        AlertKind::SetupProblem => {
            "服务拒绝了 Signet 的配置。请在 Signet 的设置中检查此服务的客户端 ID、密钥和重定向 URI。"
        }
        AlertKind::CannotRefresh => {
            "Signet 多次尝试刷新此账户都没有成功，会继续重试。原因见 Signet 中的账户详情。"
        }
        AlertKind::EndsSoon => "服务即将不再接受这次登录，Signet 无法延长。请在到期前重新登录。",
        AlertKind::LowBalance => "余额已低于你设置的提醒值。请充值以继续使用。",
    }
}

fn zh_group_title(kind: AlertKind, n: usize) -> String {
    let what = match kind {
        AlertKind::SignInAgain => "需要重新登录",
        AlertKind::SetupProblem => "的服务配置有误",
        AlertKind::CannotRefresh => "无法刷新",
        AlertKind::EndsSoon => "的登录即将到期",
        AlertKind::LowBalance => "余额不足",
    };
    format!("{n} 个账户{what}")
}

fn join(head: String, parts: &[String], sep: &str) -> String {
    if parts.is_empty() {
        head
    } else {
        format!("{head} — {}", parts.join(sep))
    }
}

/// 1000 → "1,000".
pub fn grouped(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alert(id: i64, kind: AlertKind) -> Alert {
        Alert {
            account_id: id,
            kind,
            account: format!("user{id} (corp)"),
            title: format!("user{id} (corp): sign in again"),
            message: "corp no longer accepts this sign-in.".into(),
        }
    }

    #[test]
    fn the_setting_picks_the_language_and_system_follows_the_locale() {
        assert_eq!(Words::for_setting("zh-CN"), Words::Zh);
        assert_eq!(Words::for_setting("en"), Words::En);
    }

    #[test]
    fn the_tray_speaks_chinese_when_the_app_does() {
        let zh = Words::Zh;
        assert_eq!(zh.refresh_all(), "全部刷新");
        assert_eq!(zh.open(), "打开 Signet");
        assert_eq!(zh.quit(), "退出");
        assert_eq!(zh.status(Status::Reauth), "需要重新登录");
        assert_eq!(
            zh.summary(1000, 3, 2),
            "1,000 个账户 — 3 个需要你处理，2 个正在重试"
        );
        assert_eq!(zh.more(985), "… 另有 985 个，在 Signet 中查看");
        assert_eq!(Words::En.summary(1, 1, 0), "1 account — 1 needs you");
        assert_eq!(Words::En.summary(1000, 0, 0), "1,000 accounts");
    }

    #[test]
    fn notifications_are_grouped_per_kind_in_chinese_too() {
        let mut alerts: Vec<Alert> = (0..12).map(|i| alert(i, AlertKind::SignInAgain)).collect();
        alerts.push(alert(99, AlertKind::LowBalance));
        let zh = Words::Zh.notifications(&alerts);
        assert_eq!(zh.len(), 2);
        assert_eq!(zh[0].0, "12 个账户需要重新登录");
        assert_eq!(zh[0].1, "user0 (corp)；user1 (corp)；user2 (corp) 等 12 个");
        assert_eq!(zh[1].0, "user99 (corp)：余额不足");
        assert!(zh[1].1.contains("充值"));
        let en = Words::En.notifications(&alerts);
        assert_eq!(en[0].0, "12 accounts need signing in again");
    }
}
