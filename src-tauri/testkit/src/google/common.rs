//! What Google's endpoints share: its paths and issuer (an OpenID Connect site), scopes,
//! error body and profile claims.

use http::StatusCode;
use serde_json::{json, Value};

use crate::http::{token_json, Resp};
use crate::oidc::{Oidc, Site};
use crate::types::User;

/// Google's OpenID Connect site: its documented paths, issuer `https://accounts.google.com`.
pub(super) static OIDC: Oidc = Oidc {
    site: Site {
        issuer: Some("https://accounts.google.com"),
        authorize: AUTHORIZE_PATH,
        token: "/token",
        userinfo: USERINFO_PATH,
        revoke: "/revoke",
        jwks: "/oauth2/v3/certs",
        discovery: "/.well-known/openid-configuration",
    },
};

pub(super) const AUTHORIZE_PATH: &str = "/o/oauth2/v2/auth";
pub(super) const USERINFO_PATH: &str = "/v1/userinfo";

/// Sign-in plus the three Chat scopes Signet asks for (providers.md §1.2).
pub(super) const DEFAULT_SCOPE: &str = "openid email profile \
    https://www.googleapis.com/auth/chat.spaces.create \
    https://www.googleapis.com/auth/chat.spaces.readonly \
    https://www.googleapis.com/auth/chat.messages.create";
/// Scopes without a consent checkbox: always granted when requested.
pub(super) const SIGN_IN_SCOPES: &[&str] = &["openid", "email", "profile"];
pub(super) const SCOPE_PREFIX: &str = "https://www.googleapis.com/auth/";

/// A token-endpoint error `{"error","error_description"}`.
pub(super) fn error(status: StatusCode, code: &str, description: &str) -> Resp {
    token_json(
        status,
        &json!({"error": code, "error_description": description}),
    )
}

pub(super) fn has(scope: &str, wanted: &str) -> bool {
    scope.split_whitespace().any(|s| s == wanted)
}

/// "Alice Example" → ("Alice", "Example").
fn split_name(name: &str) -> (&str, &str) {
    name.split_once(' ').unwrap_or((name, ""))
}

/// The `email` / `profile` claims of `user`, as far as `scope` allows.
pub(super) fn profile_claims(target: &mut Value, user: &User, scope: &str) {
    if has(scope, "email") {
        target["email"] = Value::from(user.email.as_str());
        target["email_verified"] = Value::from(true);
    }
    if has(scope, "profile") {
        let (given, family) = split_name(&user.name);
        target["name"] = Value::from(user.name.as_str());
        target["given_name"] = Value::from(given);
        if !family.is_empty() {
            target["family_name"] = Value::from(family);
        }
        if let Some(picture) = &user.picture {
            target["picture"] = Value::from(picture.as_str());
        }
    }
    if let Some(hd) = &user.hd {
        target["hd"] = Value::from(hd.as_str());
    }
}
