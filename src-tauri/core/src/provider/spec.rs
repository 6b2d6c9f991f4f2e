//! What a kind of provider is, declared once by the provider itself: how its accounts sign in, its defaults, the configuration keys it takes and what it can do.
//!
//! The registry ([`SPECS`]) is the one list of kinds. The configuration file's `kind`, its
//! checks, the defaults, `signetctl providers` and the window's provider form all read the
//! specs; nothing else lists the kinds. A new provider is one module that declares its
//! `SPEC` and implements [`Provider`], plus its line in [`SPECS`] (docs/adding-a-provider.md).

use std::sync::Arc;

use serde::Serialize;
use ts_rs::TS;

use super::{aihubmix, easemob, feishu, google, oidc, Capabilities, Provider, Stash};
use crate::config::{ProviderConfig, RedirectMode};
use crate::http::Http;
use crate::secret::Secret;

/// Every kind of provider Signet knows, in the order the window offers them.
pub static SPECS: &[&ProviderSpec] = &[
    &google::SPEC,
    &feishu::SPEC,
    &aihubmix::SPEC,
    &easemob::SPEC,
    &oidc::SPEC,
    #[cfg(any(test, debug_assertions))]
    &super::example::SPEC,
];

/// A kind of provider: the name of one entry of [`SPECS`] (`kind = "…"` in the configuration).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ProviderKind(&'static str);

impl ProviderKind {
    /// The kind named `name` (for a provider module's own `SPEC`).
    pub const fn new(name: &'static str) -> Self {
        ProviderKind(name)
    }

    pub fn as_str(self) -> &'static str {
        self.0
    }

    /// The registered kind spelled `s`.
    pub fn parse(s: &str) -> Option<ProviderKind> {
        ProviderKind::all().find(|k| k.0 == s)
    }

    /// Every registered kind, in the registry's order.
    pub fn all() -> impl Iterator<Item = ProviderKind> {
        listed().map(|spec| spec.kind)
    }

    /// What this kind is. Every `ProviderKind` outside a provider module comes from [`parse`].
    pub fn spec(self) -> &'static ProviderSpec {
        SPECS
            .iter()
            .find(|spec| spec.kind == self)
            .copied()
            .unwrap_or(&oidc::SPEC)
    }

    /// Whether accounts are added through a browser sign-in (rather than a form).
    pub fn uses_browser(self) -> bool {
        self.spec().sign_in == SignInStyle::Browser
    }
}

impl<'de> serde::Deserialize<'de> for ProviderKind {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        ProviderKind::parse(&s).ok_or_else(|| {
            let known: Vec<&str> = ProviderKind::all().map(ProviderKind::as_str).collect();
            serde::de::Error::custom(format!(
                "unknown kind \"{s}\"; Signet knows {}",
                known.join(", ")
            ))
        })
    }
}

/// How a person adds an account of this kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub enum SignInStyle {
    /// In the system browser, back through the redirect.
    Browser,
    /// With a form in the window (credentials, no browser).
    Form,
}

/// Whether a provider of this kind needs a client secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub enum SecretNeed {
    /// Signing in and refreshing need one.
    Required,
    /// It may work without (a public OpenID Connect client; Easemob's app credentials).
    Optional,
}

/// A configuration key a kind takes, beyond `name`, `kind`, `client_id` and `client_secret_env`
/// (which every kind takes) and, for browser sign-in, `scopes`, `redirect` and `redirect_port`.
#[derive(Debug, Clone, Copy, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct KeySpec {
    pub key: &'static str,
    /// The entry is refused without it.
    pub required: bool,
    /// What to put there, in the error that asks for it.
    pub hint: &'static str,
}

impl KeySpec {
    pub const fn optional(key: &'static str) -> Self {
        KeySpec {
            key,
            required: false,
            hint: "",
        }
    }
    pub const fn required(key: &'static str, hint: &'static str) -> Self {
        KeySpec {
            key,
            required: true,
            hint,
        }
    }
}

/// Makes the provider for one configuration entry of this kind.
pub type Build = fn(ProviderConfig, Option<Secret>, Http, Arc<dyn Stash>) -> Arc<dyn Provider>;

/// One kind of provider, as it declares itself.
pub struct ProviderSpec {
    pub kind: ProviderKind,
    /// What a person calls it (the window has its own words for the kinds it knows).
    pub label: &'static str,
    pub sign_in: SignInStyle,
    /// PKCE (RFC 7636) on the browser sign-in.
    pub pkce: bool,
    /// An OpenID Connect `nonce` on the browser sign-in.
    pub nonce: bool,
    /// The redirect when the entry names none.
    pub redirect: RedirectMode,
    /// The loopback port when the entry names none (`None`: any free port). A provider that
    /// checks the redirect URI exactly (Feishu) needs a fixed one.
    pub fixed_port: Option<u16>,
    /// Why a `signet://` redirect is refused for this kind, when it is.
    pub no_deep_link: Option<&'static str>,
    pub secret: SecretNeed,
    /// Whether the entry needs a `client_id`.
    pub client_id_required: bool,
    /// `base_url` when the entry names none.
    pub default_base_url: Option<&'static str>,
    /// The scopes asked for when the entry names none.
    pub default_scopes: fn() -> Vec<String>,
    /// The keys this kind takes beyond the ones every kind takes.
    pub keys: &'static [KeySpec],
    pub capabilities: Capabilities,
    /// Listed only while `SIGNET_TEST_KINDS=1` (the example provider of the tests).
    pub test_only: bool,
    pub build: Build,
    /// The kind's own checks of an entry, after its keys are known to apply and the required
    /// ones to be there: the key at fault and what is wrong with it.
    pub check: fn(&ProviderConfig) -> Result<(), (&'static str, &'static str)>,
}

/// Keys every kind takes.
pub const COMMON_KEYS: [&str; 4] = ["name", "kind", "client_id", "client_secret_env"];
/// Keys every kind with a browser sign-in takes.
pub const BROWSER_KEYS: [&str; 3] = ["scopes", "redirect", "redirect_port"];

impl ProviderSpec {
    /// Whether an entry of this kind may set `key`.
    pub fn takes(&self, key: &str) -> bool {
        COMMON_KEYS.contains(&key)
            || (self.sign_in == SignInStyle::Browser && BROWSER_KEYS.contains(&key))
            || self.keys.iter().any(|k| k.key == key)
    }

    /// The kind as the window and `signetctl` show it.
    pub fn view(&self) -> KindView {
        KindView {
            kind: self.kind.as_str().to_owned(),
            label: self.label.to_owned(),
            sign_in: self.sign_in,
            redirect: match self.redirect {
                RedirectMode::Loopback => "loopback".into(),
                RedirectMode::DeepLink => "deep-link".into(),
            },
            fixed_port: self.fixed_port,
            deep_link: self.no_deep_link.is_none(),
            secret: self.secret,
            client_id_required: self.client_id_required,
            default_base_url: self.default_base_url.map(str::to_owned),
            default_scopes: (self.default_scopes)(),
            keys: self.keys.to_vec(),
            revoke: self.capabilities.revoke,
            balance: self.capabilities.balance,
        }
    }
}

/// A kind of provider as the window's provider form and `signetctl kinds` show it.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct KindView {
    pub kind: String,
    pub label: String,
    pub sign_in: SignInStyle,
    /// `loopback` or `deep-link`: the redirect when none is chosen.
    pub redirect: String,
    pub fixed_port: Option<u16>,
    /// Whether a `signet://` redirect may be chosen.
    pub deep_link: bool,
    pub secret: SecretNeed,
    pub client_id_required: bool,
    pub default_base_url: Option<String>,
    pub default_scopes: Vec<String>,
    /// The keys this kind takes beyond the common ones.
    pub keys: Vec<KeySpec>,
    pub revoke: bool,
    pub balance: bool,
}

/// The registered specs a person may use: all but the tests' own, unless `SIGNET_TEST_KINDS=1`.
fn listed() -> impl Iterator<Item = &'static ProviderSpec> {
    let tests = std::env::var_os(TEST_KINDS_ENV).is_some_and(|v| v == "1");
    SPECS.iter().copied().filter(move |s| tests || !s.test_only)
}

/// Environment variable that lists the test-only kinds (debug builds and tests only).
pub const TEST_KINDS_ENV: &str = "SIGNET_TEST_KINDS";

/// Every kind, as the window and `signetctl kinds` show them.
pub fn kinds() -> Vec<KindView> {
    listed().map(|s| s.view()).collect()
}

/// Nothing to check beyond the keys.
pub fn no_check(_: &ProviderConfig) -> Result<(), (&'static str, &'static str)> {
    Ok(())
}

/// No scopes of its own (the provider asks for none, or decides them elsewhere).
pub fn no_scopes() -> Vec<String> {
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The window's tests render the provider form from what the engine says about the kinds:
    /// `ui/src/lib/bindings/kinds.json` is that answer (the kinds a person sees, and the tests'
    /// own example apart), written here and checked for drift like the types.
    #[test]
    fn the_windows_tests_get_the_engines_kinds() {
        let views = |test_only: bool| -> Vec<KindView> {
            SPECS
                .iter()
                .filter(|s| s.test_only == test_only)
                .map(|s| s.view())
                .collect()
        };
        let json = serde_json::json!({ "kinds": views(false), "testOnly": views(true) });
        let text = format!(
            "{}\n",
            serde_json::to_string_pretty(&json).expect("kinds as JSON")
        );
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../ui/src/lib/bindings/kinds.json");
        if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
            std::fs::write(&path, text).expect("write kinds.json");
        }
    }

    #[test]
    fn every_kind_takes_the_common_keys_and_its_own() {
        for spec in SPECS {
            assert!(spec.takes("client_id") && spec.takes("name"));
            for k in spec.keys {
                assert!(spec.takes(k.key), "{} {}", spec.kind.as_str(), k.key);
                assert!(
                    !k.required || !k.hint.is_empty(),
                    "a required key says what to put"
                );
            }
        }
        assert!(!easemob::SPEC.takes("scopes"), "form sign-in has no scopes");
        assert!(google::SPEC.takes("scopes"));
    }
}
