//! The shell's first frame: its words and times, and the screens `firstframe.test.ts` holds it to the page's drawing with.

use super::*;
use signet_core::views::{BalanceView, Settings};

const NOW: i64 = 1_796_442_289_301;
const SECOND: i64 = 1000;
const MINUTE: i64 = 60 * SECOND;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;

fn account(id: i64, name: &str) -> AccountView {
    AccountView {
        id,
        provider: "aihubmix".into(),
        provider_kind: "aihubmix".into(),
        display_name: name.into(),
        email: Some(format!("{}@example.com", name.trim().to_lowercase())),
        avatar_url: None,
        status: Status::Fresh,
        status_code: None,
        status_message: None,
        access_expires_at: Some(NOW + 2 * HOUR),
        refresh_expires_at: None,
        next_refresh_at: None,
        last_refresh_at: None,
        balance: Some(BalanceView {
            formatted: "750.00".into(),
            quota: Some(1_000_000),
            used_quota: Some(250_000),
            sampled_at: NOW,
        }),
        low_balance_below: None,
        profile: serde_json::json!({}),
    }
}

fn screen(language: &str, accounts: Vec<AccountView>) -> FirstScreen {
    FirstScreen {
        accounts,
        settings: Settings {
            language: language.into(),
            ..Settings::default()
        },
        desktop_font: None,
        changes: 0,
        providers: 1,
    }
}

/// Rows that between them take every path of the row's markup.
fn varied() -> Vec<AccountView> {
    let statuses = [
        Status::Fresh,
        Status::Refreshing,
        Status::Retrying,
        Status::Reauth,
        Status::Setup,
    ];
    let expiries = [
        Some(NOW + 30 * SECOND),
        Some(NOW + 29_499),
        Some(NOW - 400),
        Some(NOW + MINUTE + 29 * SECOND),
        Some(NOW - MINUTE),
        Some(NOW + 89 * MINUTE + 30 * SECOND),
        Some(NOW - 36 * HOUR),
        Some(NOW + 1500 * DAY),
        None,
        Some(NOW),
        Some(NOW + 59 * MINUTE + 40 * SECOND),
        Some(NOW + 23 * HOUR + 31 * MINUTE),
    ];
    let names = [
        "user000",
        "",
        "  élodie",
        "<b>Tom & \"Jerry\"</b>",
        "ßtraße",
        "😀 smile",
        "李雷",
        "no email",
        "no balance",
        "O'Brien",
        "user010",
        "user011",
    ];
    names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let mut a = account(i as i64 - 3, name);
            a.status = statuses[i % statuses.len()];
            a.access_expires_at = expiries[i];
            if name.is_empty() {
                a.email = Some("only-email@example.com".into());
            }
            if *name == "no email" {
                a.email = None;
            }
            if *name == "no balance" {
                a.balance = None;
            }
            a
        })
        .collect()
}

#[test]
fn relative_times_are_worded_as_icu_words_them() {
    let en = |at| relative_time(Words::En, at, NOW);
    let zh = |at| relative_time(Words::Zh, at, NOW);
    assert_eq!(en(NOW), "in 0 seconds");
    assert_eq!(
        en(NOW - 400),
        "0 seconds ago",
        "past, though it rounds to nothing"
    );
    assert_eq!(en(NOW + 1500), "in 2 seconds", "halves round up");
    assert_eq!(en(NOW + SECOND), "in 1 second");
    assert_eq!(en(NOW + 59_499), "in 59 seconds");
    assert_eq!(en(NOW + 59_500), "in 1 minute");
    assert_eq!(en(NOW - 89 * MINUTE - 30 * SECOND), "2 hours ago");
    assert_eq!(en(NOW + 23 * HOUR + 30 * MINUTE), "in 1 day");
    assert_eq!(en(NOW + 1234 * DAY), "in 1,234 days");
    assert_eq!(zh(NOW + 5 * MINUTE), "5分钟后");
    assert_eq!(zh(NOW - 3 * HOUR), "3小时前");
    assert_eq!(zh(NOW + 10 * SECOND), "10秒钟后");
    assert_eq!(zh(NOW + 1234 * DAY), "1,234天后");
    assert_eq!(expiry_text(Words::Zh, NOW - DAY, NOW), "已于 1天前过期");
    assert_eq!(expiry_text(Words::En, NOW + DAY, NOW), "expires in 1 day");
}

#[test]
fn names_are_escaped_and_the_badge_takes_the_first_letter() {
    assert_eq!(esc(r#"<b>&"'"#), "&#60;b&#62;&#38;&#34;&#39;");
    assert_eq!(initial("  élodie"), "É");
    assert_eq!(initial("\u{feff}x"), "X");
    assert_eq!(initial("ßtraße"), "SS");
    assert_eq!(initial("😀 smile"), "😀");
    assert_eq!(initial("   "), "?");
}

#[test]
fn no_frame_without_a_provider_and_the_font_cannot_end_the_style() {
    let mut none = screen("en", vec![account(1, "a")]);
    none.providers = 0;
    assert_eq!(
        first_markup(&none, NOW),
        None,
        "the first-run guide is the page's"
    );

    let mut font = screen("zh-CN", vec![account(1, "a")]);
    font.desktop_font = Some("Noto \"Sans\"\\ CJK\u{7}".into());
    let frame = first_markup(&font, NOW).expect("frame");
    assert_eq!(frame.lang, "zh-CN");
    assert!(
        frame
            .style
            .contains(r#":root{--desktop-font:"Noto \"Sans\"\\ CJK"}"#),
        "{}",
        frame.style
    );
    assert!(frame.style.contains("--total:72px"));
    font.desktop_font = Some("x</style><script>".into());
    let frame = first_markup(&font, NOW).expect("frame");
    assert!(!frame.style.contains("desktop-font"), "{}", frame.style);
}

#[test]
fn only_the_rows_in_view_are_drawn() {
    let many: Vec<_> = (0..100)
        .map(|i| account(i, &format!("user{i:03}")))
        .collect();
    let frame = first_markup(&screen("en", many), NOW).expect("frame");
    assert_eq!(frame.markup.matches(r#"role="option""#).count(), FIRST_ROWS);
    assert!(frame.markup.contains(r#"aria-setsize="100""#));
    assert!(frame.markup.contains("100 accounts"));
    assert!(frame.style.contains("--total:7200px"));
}

/// The screens `ui/src/lib/firstframe.test.ts` draws with the page's code and compares with
/// this markup. Written like the bindings: `scripts/test.sh` fails when it changed.
#[test]
fn writes_the_screens_the_page_is_held_to() {
    let cases = [
        ("english, more rows than fit", screen("en", varied())),
        ("chinese, more rows than fit", screen("zh-CN", varied())),
        ("one account", screen("en", vec![account(7, "solo")])),
        (
            "one account in chinese",
            screen("zh-CN", vec![account(7, "solo")]),
        ),
        ("no accounts yet", screen("en", Vec::new())),
        ("no accounts yet in chinese", screen("zh-CN", Vec::new())),
    ];
    let fixtures: Vec<_> = cases
        .iter()
        .map(|(name, screen)| {
            let frame = first_markup(screen, NOW).expect("a provider is configured");
            serde_json::json!({
                "name": name,
                "now": NOW,
                "screen": screen,
                "lang": frame.lang,
                "markup": frame.markup,
                "style": frame.style,
            })
        })
        .collect();
    let text = serde_json::to_string_pretty(&fixtures).expect("json") + "\n";
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("ui/src/lib/bindings/first-frame.json");
    if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
        std::fs::write(&path, text).expect("write first-frame.json");
    }
}
