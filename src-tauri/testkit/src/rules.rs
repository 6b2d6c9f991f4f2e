//! What the shared server state must know of a dialect: token formats, code lifetime, grant policy.

use std::time::Duration;

/// A dialect's rules for the grants the shared state keeps. Plain data, so the state
/// never asks which dialect it serves.
#[derive(Clone, Copy)]
pub(crate) struct Rules {
    /// How long an authorization code lives.
    pub code_ttl: Duration,
    /// A new authorization code in the dialect's style.
    pub new_code: fn() -> String,
    /// A new access token for `sub` living `ttl_secs`, in the dialect's style.
    pub new_access_token: fn(sub: &str, ttl_secs: u64) -> String,
    /// A new refresh token in the dialect's style.
    pub new_refresh_token: fn() -> String,
    /// A grant gets a refresh token only when its scope holds this one (Feishu's
    /// `offline_access`); `None`: always, unless the grant says otherwise.
    pub refresh_scope: Option<&'static str>,
    /// A refresh narrows from the whole grant every time (Feishu), not from the last scope.
    pub narrow_from_grant: bool,
}

impl Rules {
    /// Ten-minute codes, refresh tokens for every grant, narrowing from the last scope.
    pub const fn standard(
        new_code: fn() -> String,
        new_access_token: fn(&str, u64) -> String,
        new_refresh_token: fn() -> String,
    ) -> Rules {
        Rules {
            code_ttl: Duration::from_secs(600),
            new_code,
            new_access_token,
            new_refresh_token,
            refresh_scope: None,
            narrow_from_grant: false,
        }
    }
}
