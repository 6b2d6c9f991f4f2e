//! The window's first frame as markup, made in the shell from the first screen: the account list exactly as the page's `drawFirstFrame` draws it, in the window's language.
//!
//! Sent inside the page's HTML (first_page.rs), it is painted before any of the page's script
//! is fetched (BENCHMARKS.md, idle). The page's own drawing (`ui/src/lib/firstframe.ts`) stays
//! for every other start (a reload, a first screen not read in time) and is what this is held
//! to: `cargo test` writes this markup for a set of screens to
//! `ui/src/lib/bindings/first-frame.json`, and `firstframe.test.ts` checks the page draws the
//! same for each (the page's drawing is held to the Svelte app's own in the same file).

use signet_core::views::{AccountView, FirstScreen};
use signet_core::Status;

use crate::words::{grouped, Words};

/// Every row of the account list is this tall (px): `ROW_HEIGHT` in `ui/src/lib/virtual.ts`.
const ROW_HEIGHT: usize = 72;
/// The rows drawn before the list's viewport is measured: `FALLBACK_HEIGHT / ROW_HEIGHT`.
const FIRST_ROWS: usize = 720 / ROW_HEIGHT;

/// The first frame's markup and the style rules it needs (the list's sizes, the desktop's
/// font), for a screen that opens on the account list; none when the window opens on the
/// first-run guide (no provider configured), which the page draws itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FirstMarkup {
    /// The page's language tag (`en`, `zh-CN`): the words the markup is in.
    pub lang: &'static str,
    pub markup: String,
    pub style: String,
}

/// The first frame for `screen` at `now` (ms since the Unix epoch).
pub(crate) fn first_markup(screen: &FirstScreen, now: i64) -> Option<FirstMarkup> {
    if screen.providers == 0 {
        return None;
    }
    let words = Words::for_setting(&screen.settings.language);
    let total = screen.accounts.len() * ROW_HEIGHT;
    let mut style = format!(
        "[data-first-frame] .viewport{{--row-h:{ROW_HEIGHT}px}}\
         [data-first-frame] .track{{--total:{total}px}}\
         [data-first-frame] .window{{--offset:0px}}"
    );
    if let Some(font) = screen.desktop_font.as_deref().and_then(css_font_name) {
        style.push_str(&format!(":root{{--desktop-font:{font}}}"));
    }
    Some(FirstMarkup {
        lang: lang_tag(words),
        markup: markup(&screen.accounts, words, now),
        style,
    })
}

fn lang_tag(words: Words) -> &'static str {
    match words {
        Words::En => "en",
        Words::Zh => "zh-CN",
    }
}

/// The desktop font as a CSS string (`applyDesktopFont` in `firstscreen.ts`): no control
/// characters, quotes and backslashes escaped, and nothing that could end the style block.
fn css_font_name(family: &str) -> Option<String> {
    let clean: String = family.chars().filter(|c| !c.is_control()).collect();
    let clean = clean.trim();
    if clean.is_empty() || clean.contains('<') {
        return None;
    }
    let mut quoted = String::from("\"");
    for c in clean.chars() {
        if c == '"' || c == '\\' {
            quoted.push('\\');
        }
        quoted.push(c);
    }
    quoted.push('"');
    Some(quoted)
}

/// Text and attribute values, escaped for markup (as `esc` in `firstframe.ts`).
fn esc(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '&' | '<' | '>' | '"' | '\'' => out.push_str(&format!("&#{};", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// A component's scoped class (svelte.config.js names them `s-<Component>`).
fn s(component: &str, classes: &[&str]) -> String {
    let mut all: Vec<&str> = classes.to_vec();
    let scoped = format!("s-{component}");
    all.push(&scoped);
    all.join(" ")
}

/// The window as the page first draws it on the account list (`markup` in `firstframe.ts`).
fn markup(accounts: &[AccountView], words: Words, now: i64) -> String {
    let hint = if accounts.is_empty() {
        String::new()
    } else {
        format!(
            r#"<p class="{}">{}</p>"#,
            s("AccountsScreen", &["placeholder", "muted"]),
            esc(text(words, Text::SelectHint))
        )
    };
    format!(
        concat!(
            r#"<div class="{app}" data-first-frame inert aria-hidden="true">"#,
            r#"<header class="{app_scope}"><h1 class="{app_scope}">{title}</h1> {nav}</header> "#,
            r#"<div class="{banners}"> <div class="{status}" role="status"></div></div> "#,
            r#"<main class="{app_scope}"><div class="{screen}">{toolbar} "#,
            r#"<div class="{panes}"><div class="{list_pane}">{list}</div> "#,
            r#"<div class="{detail_pane}">{hint}</div>"#,
            r#"</div></div></main></div>"#
        ),
        app = s("App", &["app"]),
        app_scope = s("App", &[]),
        title = esc(text(words, Text::Title)),
        nav = nav(words),
        banners = s("App", &["banners"]),
        status = s("StatusLine", &["status"]),
        screen = s("AccountsScreen", &["screen"]),
        toolbar = toolbar(words, accounts.len()),
        panes = s("AccountsScreen", &["panes"]),
        list_pane = s("AccountsScreen", &["list-pane"]),
        list = list(accounts, words, now),
        detail_pane = s("AccountsScreen", &["detail-pane"]),
        hint = hint,
    )
}

fn nav(words: Words) -> String {
    let item = |label: Text, current: bool| {
        let (attr, class) = match current {
            true => (r#" aria-current="page""#, s("Nav", &["current"])),
            false => ("", s("Nav", &[])),
        };
        format!(
            r#"<button type="button"{attr} class="{class}">{}</button>"#,
            esc(text(words, label))
        )
    };
    format!(
        r#"<nav class="{}" aria-label="{}">{}{}{}</nav>"#,
        s("Nav", &[]),
        esc(text(words, Text::NavLabel)),
        item(Text::NavAccounts, true),
        item(Text::NavActivity, false),
        item(Text::NavSettings, false)
    )
}

fn toolbar(words: Words, count: usize) -> String {
    format!(
        concat!(
            r#"<div class="{bar}" role="toolbar" aria-label="{label}">"#,
            r#"<button type="button" class="btn btn-primary"><span aria-hidden="true">+</span> {add}</button> "#,
            r#"<button type="button" class="btn" aria-busy="false"> {refresh}</button> "#,
            r#"<span class="{result}" role="status"></span> "#,
            r#"<span class="{count_class}">{count}</span></div>"#
        ),
        bar = s("Toolbar", &["toolbar"]),
        label = esc(text(words, Text::Toolbar)),
        add = esc(text(words, Text::Add)),
        refresh = esc(text(words, Text::RefreshAll)),
        result = s("Toolbar", &["result"]),
        count_class = s("Toolbar", &["count", "muted"]),
        count = esc(&account_count(words, count)),
    )
}

/// The list as the page first draws it: the rows in view, or the empty list's words.
fn list(accounts: &[AccountView], words: Words, now: i64) -> String {
    if accounts.is_empty() {
        return format!(
            r#"<div class="{}"><p class="{}">{}</p> <p class="{}">{}</p></div>"#,
            s("AccountList", &["empty"]),
            s("AccountList", &["title"]),
            esc(text(words, Text::Empty)),
            s("AccountList", &[]),
            esc(text(words, Text::EmptyHint))
        );
    }
    let rows: String = accounts
        .iter()
        .take(FIRST_ROWS)
        .enumerate()
        .map(|(i, a)| row(a, words, now, i + 1, accounts.len()))
        .collect();
    format!(
        r#"<div class="{}" role="listbox" tabindex="0" aria-label="{}"><div class="{}"><div class="{}">{rows}</div></div></div>"#,
        s("AccountList", &["viewport"]),
        esc(text(words, Text::ListLabel)),
        s("AccountList", &["track"]),
        s("AccountList", &["window"]),
    )
}

fn row(account: &AccountView, words: Words, now: i64, position: usize, total: usize) -> String {
    let email = account.email.as_deref().filter(|e| !e.is_empty());
    let name = match account.display_name.as_str() {
        "" => email.unwrap_or(""),
        name => name,
    };
    let email = email.map_or(String::new(), |e| {
        format!(
            r#"<span class="{}">{}</span>"#,
            s("AccountRow", &["email"]),
            esc(e)
        )
    });
    let expiry = account
        .access_expires_at
        .map_or(String::new(), |at| esc(&expiry_text(words, at, now)));
    let balance = account.balance.as_ref().map_or(String::new(), |b| {
        format!(
            r#"<span class="{}">{}</span>"#,
            s("AccountRow", &["balance"]),
            esc(&b.formatted)
        )
    });
    let hue = format!("hue-{}", account.id.unsigned_abs() % 6);
    format!(
        concat!(
            r#"<div class="{row}" role="option" aria-selected="false" aria-posinset="{position}" aria-setsize="{total}">"#,
            r#"<span class="{avatar}" aria-hidden="true">{initial}</span> "#,
            r#"<div class="{lines}">"#,
            r#"<div class="{line}"><span class="{name_class}">{name}</span> "#,
            r#"<span class="{pill}">{status}</span></div> "#,
            r#"<div class="{sub}">{email} <span class="{provider_class}">{provider}</span></div> "#,
            r#"<div class="{sub}"><span class="{expiry_class}">{expiry}</span> {balance}</div>"#,
            r#"</div></div>"#
        ),
        row = s("AccountRow", &["row"]),
        position = position,
        total = total,
        avatar = s("Avatar", &["avatar", "badge", "md", &hue]),
        initial = esc(&initial(name)),
        lines = s("AccountRow", &["lines"]),
        line = s("AccountRow", &["line"]),
        name_class = s("AccountRow", &["name"]),
        name = esc(&account.display_name),
        pill = s(
            "StatusPill",
            &["pill", &format!("status-{}", account.status.as_str())]
        ),
        status = esc(status_label(words, account.status)),
        sub = s("AccountRow", &["line", "sub"]),
        email = email,
        provider_class = s("AccountRow", &["provider"]),
        provider = esc(&account.provider),
        expiry_class = s("AccountRow", &["expiry"]),
        expiry = expiry,
        balance = balance,
    )
}

/// The first letter of a name, upper-cased, for the avatar badge (`initial` in `format.ts`).
fn initial(name: &str) -> String {
    // JavaScript's `trim` also takes the byte-order mark, which is not Unicode white space.
    let trimmed = name.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
    trimmed
        .chars()
        .next()
        .map_or_else(|| "?".to_owned(), |c| c.to_uppercase().collect())
}

/// The words the first frame shows (keys of `ui/src/lib/locales/*.ts`).
#[derive(Clone, Copy)]
enum Text {
    Title,
    NavLabel,
    NavAccounts,
    NavActivity,
    NavSettings,
    Toolbar,
    Add,
    RefreshAll,
    ListLabel,
    SelectHint,
    Empty,
    EmptyHint,
}

fn text(words: Words, key: Text) -> &'static str {
    use Text::*;
    match (words, key) {
        (_, Title) => "Signet",
        (Words::En, NavLabel) => "Main",
        (Words::Zh, NavLabel) => "主导航",
        (Words::En, NavAccounts) => "Accounts",
        (Words::Zh, NavAccounts) => "账户",
        (Words::En, NavActivity) => "Activity",
        (Words::Zh, NavActivity) => "活动",
        (Words::En, NavSettings) => "Settings",
        (Words::Zh, NavSettings) => "设置",
        (Words::En, Toolbar) => "Account actions",
        (Words::Zh, Toolbar) => "账户操作",
        (Words::En, Add) => "Add account",
        (Words::Zh, Add) => "添加账户",
        (Words::En, RefreshAll) => "Refresh all",
        (Words::Zh, RefreshAll) => "全部刷新",
        (Words::En, ListLabel) => "Accounts",
        (Words::Zh, ListLabel) => "账户",
        (Words::En, SelectHint) => "Select an account to see its details.",
        (Words::Zh, SelectHint) => "选择一个账户以查看详情。",
        (Words::En, Empty) => "No accounts added yet.",
        (Words::Zh, Empty) => "还没有添加任何账户。",
        (Words::En, EmptyHint) => "Choose “Add account” to sign in to one in your browser.",
        (Words::Zh, EmptyHint) => "点击“添加账户”，在浏览器中登录即可添加。",
    }
}

fn status_label(words: Words, status: Status) -> &'static str {
    match (words, status) {
        (Words::En, Status::Fresh) => "Fresh",
        (Words::Zh, Status::Fresh) => "有效",
        (Words::En, Status::Refreshing) => "Refreshing…",
        (Words::Zh, Status::Refreshing) => "正在刷新…",
        (Words::En, Status::Retrying) => "Retrying",
        (Words::Zh, Status::Retrying) => "正在重试",
        (Words::En, Status::Reauth) => "Sign in again",
        (Words::Zh, Status::Reauth) => "需要重新登录",
        (Words::En, Status::Setup) => "Setup problem",
        (Words::Zh, Status::Setup) => "配置有误",
    }
}

/// "3 accounts" / "3 个账户" (`accounts.one` / `accounts.other`; the count unformatted, as `t`
/// fills it in).
fn account_count(words: Words, n: usize) -> String {
    match (words, n) {
        (Words::En, 1) => "1 account".to_owned(),
        (Words::En, n) => format!("{n} accounts"),
        (Words::Zh, n) => format!("{n} 个账户"),
    }
}

/// "expires in 5 minutes" / "5分钟后过期" (`expiryText` in `format.ts`).
fn expiry_text(words: Words, at: i64, now: i64) -> String {
    let future = at >= now;
    let time = relative_time(words, at, now);
    match (words, future) {
        (Words::En, true) => format!("expires {time}"),
        (Words::En, false) => format!("expired {time}"),
        (Words::Zh, true) => format!("{time}过期"),
        (Words::Zh, false) => format!("已于 {time}过期"),
    }
}

/// `at` relative to `now` in its largest sensible unit, rounding as it goes, worded as
/// ICU's long relative-time format words it (`relativeTime` in `format.ts`, which uses
/// `Intl.RelativeTimeFormat` with `numeric: "always"`).
fn relative_time(words: Words, at: i64, now: i64) -> String {
    let future = at >= now;
    // Math.round of a non-negative number: halves go up.
    let round = |n: u64, d: u64| (n + d / 2) / d;
    let seconds = round(at.abs_diff(now), 1000);
    let (n, unit) = if seconds < 60 {
        (seconds, 0)
    } else {
        let minutes = round(seconds, 60);
        if minutes < 60 {
            (minutes, 1)
        } else {
            let hours = round(minutes, 60);
            if hours < 24 {
                (hours, 2)
            } else {
                (round(hours, 24), 3)
            }
        }
    };
    // Both languages group thousands with commas ("1,234"), as the tray does.
    let count = grouped(usize::try_from(n).unwrap_or(usize::MAX));
    match words {
        Words::En => {
            let unit = ["second", "minute", "hour", "day"][unit];
            let plural = if n == 1 { "" } else { "s" };
            match future {
                true => format!("in {count} {unit}{plural}"),
                false => format!("{count} {unit}{plural} ago"),
            }
        }
        Words::Zh => {
            let unit = ["秒钟", "分钟", "小时", "天"][unit];
            let side = if future { "后" } else { "前" };
            format!("{count}{unit}{side}")
        }
    }
}

#[cfg(test)]
mod tests;
