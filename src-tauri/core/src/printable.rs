//! Text from providers and other people made safe to print on a terminal, in the tray or a notification.

use std::borrow::Cow;

/// Replaces control characters (C0 but line feed and tab, DEL, C1) with U+FFFD. Names of
/// accounts, chats and spaces are set by providers and by *other people* (a Feishu group's
/// name): printed raw, an escape sequence could retitle the terminal, recolour it, or hide text.
pub fn clean(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_unsafe) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(
        s.chars()
            .map(|c| if is_unsafe(c) { '\u{FFFD}' } else { c })
            .collect(),
    )
}

/// As [`clean`], on one line: line breaks become spaces too (menu items, titles).
pub fn one_line(s: &str) -> String {
    clean(s).replace(['\n', '\t'], " ")
}

fn is_unsafe(c: char) -> bool {
    c.is_control() && c != '\n' && c != '\t'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_sequences_and_bells_are_replaced_text_is_kept() {
        let hostile = "Alice\u{1b}]0;pwned\u{7}\u{1b}[31m red\u{9b}2J 张三";
        let out = clean(hostile);
        assert!(!out.contains('\u{1b}') && !out.contains('\u{7}') && !out.contains('\u{9b}'));
        assert!(out.contains("Alice") && out.contains("张三") && out.contains("red"));
        assert!(matches!(clean("plain 名字\nline two"), Cow::Borrowed(_)));
        assert_eq!(one_line("a\nb\u{1b}"), "a b\u{FFFD}");
    }
}
