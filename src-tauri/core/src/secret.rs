//! `Secret`: a string that never shows itself in `Debug`, `Display`, logs or serialized output.

use std::fmt;

/// A token, code, verifier or client secret. It deliberately implements neither `Serialize`
/// nor a revealing `Debug`, so it cannot reach the UI, a log line or an error message by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The raw value, for the one place that must send it (an HTTP request, the keyring).
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_never_show_the_value() {
        let s = Secret::new("rt_very_secret_value");
        assert!(!format!("{s:?}").contains("very_secret"));
        assert!(!format!("{s}").contains("very_secret"));
        assert_eq!(s.expose(), "rt_very_secret_value");
    }
}
