//! The registry of provider kinds: the macro that turns the one list of them into the specs and the configuration's per-kind enum, and what is asked of a kind by name.
//!
//! The list is the [`kinds!`] invocation in `provider/mod.rs`: each line declares a provider
//! module and names it as a kind, whose `Keys` type (implementing [`KindKeys`]) points at its
//! `SPEC`. From that one list come the modules, the specs ([`SPECS`]), the configuration's typed
//! per-kind enum ([`KindConfig`]), the keys each kind takes, and the provider built for an entry.

use serde::Serialize;
use ts_rs::TS;

use super::spec::{KeySpec, KindKeys, ProviderKind, ProviderSpec, SecretNeed};
use super::spec::{RedirectMode, SignInStyle, BROWSER_KEYS, COMMON_KEYS};
use super::{oidc, KindConfig, SPECS};

/// Declares the kinds, in the order the window offers them: `Variant => module` declares the
/// provider module and names its `Keys` as the kind's configuration.
macro_rules! kinds {
    ($( $(#[$cfg:meta])* $variant:ident => $module:ident ),* $(,)?) => {
        $( $(#[$cfg])* pub mod $module; )*

        kinds!(@items $( $(#[$cfg])* $variant => $module::Keys ),*);
    };
    (@items $( $(#[$cfg:meta])* $variant:ident => $keys:ty ),*) => {
        /// Every kind of provider Signet knows, in the order the window offers them.
        pub static SPECS: &[&$crate::provider::spec::ProviderSpec] = &[$( $(#[$cfg])* <$keys as $crate::provider::spec::KindKeys>::SPEC, )*];

        /// A `[[providers]]` entry's own keys, typed by its kind: a key that does not apply to
        /// the kind has no field to go to, so the entry is refused when the file is read.
        #[derive(Debug, Clone)]
        pub enum KindConfig {
            $( $(#[$cfg])* $variant($keys), )*
        }

        impl KindConfig {
            /// The kind these keys belong to.
            pub fn spec(&self) -> &'static $crate::provider::spec::ProviderSpec {
                match self {
                    $( $(#[$cfg])* KindConfig::$variant(_) => <$keys as $crate::provider::spec::KindKeys>::SPEC, )*
                }
            }

            /// Reads an entry's own keys (the shared ones taken out) as `spec`'s type. An error
            /// names the key at fault (empty when it is the entry as a whole) and what is wrong.
            pub(crate) fn read(
                spec: &$crate::provider::spec::ProviderSpec,
                table: toml::Table,
            ) -> Result<KindConfig, (String, String)> {
                fn typed<K: $crate::provider::spec::KindKeys>(table: toml::Table) -> Result<K, (String, String)> {
                    serde_path_to_error::deserialize(toml::Value::Table(table)).map_err(|e| {
                        let path = e.path().to_string();
                        let key = if path == "." { String::new() } else { path };
                        (key, e.into_inner().message().trim_end().to_owned())
                    })
                }
                match spec.kind.as_str() {
                    $( $(#[$cfg])* k if k == <$keys as $crate::provider::spec::KindKeys>::SPEC.kind.as_str() => {
                        typed::<$keys>(table).map(KindConfig::$variant)
                    } )*
                    other => Err((String::new(), format!("unknown kind \"{other}\""))),
                }
            }

            /// The keys a kind takes beyond the shared ones.
            pub(crate) fn fields(kind: $crate::provider::spec::ProviderKind) -> &'static [&'static str] {
                match kind.as_str() {
                    $( $(#[$cfg])* k if k == <$keys as $crate::provider::spec::KindKeys>::SPEC.kind.as_str() => {
                        $crate::provider::spec::fields_of::<$keys>()
                    } )*
                    _ => &[],
                }
            }

            /// The kind's own checks of the entry: the key at fault and what is wrong.
            pub fn check(&self) -> Result<(), (&'static str, &'static str)> {
                match self {
                    $( $(#[$cfg])* KindConfig::$variant(k) => $crate::provider::spec::KindKeys::check(k), )*
                }
            }

            /// Makes the provider for the entry.
            pub fn build(
                &self,
                parts: $crate::provider::spec::Parts,
            ) -> std::sync::Arc<dyn $crate::provider::Provider> {
                match self {
                    $( $(#[$cfg])* KindConfig::$variant(k) => {
                        $crate::provider::spec::KindKeys::build(k.clone(), parts)
                    } )*
                }
            }

            /// The keys as written, by name (what the window's edit form starts from).
            pub fn values(&self) -> serde_json::Map<String, serde_json::Value> {
                let value = match self {
                    $( $(#[$cfg])* KindConfig::$variant(k) => serde_json::to_value(k), )*
                };
                match value {
                    Ok(serde_json::Value::Object(map)) => {
                        map.into_iter().filter(|(_, v)| !v.is_null()).collect()
                    }
                    _ => serde_json::Map::new(),
                }
            }
        }
    };
}

impl ProviderKind {
    /// The registered kind spelled `s`.
    pub fn parse(s: &str) -> Option<ProviderKind> {
        ProviderKind::all().find(|k| k.as_str() == s)
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
            .unwrap_or(<oidc::Keys as KindKeys>::SPEC)
    }

    /// Whether accounts are added through a browser sign-in (rather than a form).
    pub fn uses_browser(self) -> bool {
        self.spec().sign_in == SignInStyle::Browser
    }

    /// Whether an entry of this kind may set `key`.
    pub fn takes(self, key: &str) -> bool {
        COMMON_KEYS.contains(&key)
            || (self.uses_browser() && BROWSER_KEYS.contains(&key))
            || KindConfig::fields(self).contains(&key)
    }

    /// The keys this kind takes beyond the shared ones, each with whether it is required.
    pub fn keys(self) -> Vec<KeySpec> {
        let required = self.spec().required;
        KindConfig::fields(self)
            .iter()
            .map(|key| {
                required
                    .iter()
                    .find(|r| r.key == *key)
                    .copied()
                    .unwrap_or(KeySpec::optional(key))
            })
            .collect()
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

/// The kind as the window and `signetctl` show it.
pub fn view(spec: &ProviderSpec) -> KindView {
    KindView {
        kind: spec.kind.as_str().to_owned(),
        label: spec.label.to_owned(),
        sign_in: spec.sign_in,
        redirect: match spec.redirect {
            RedirectMode::Loopback => "loopback".into(),
            RedirectMode::DeepLink => "deep-link".into(),
        },
        fixed_port: spec.fixed_port,
        deep_link: spec.no_deep_link.is_none(),
        secret: spec.secret,
        client_id_required: spec.client_id_required,
        default_base_url: spec.default_base_url.map(str::to_owned),
        default_scopes: (spec.default_scopes)(),
        keys: spec.kind.keys(),
        revoke: spec.capabilities.revoke,
        balance: spec.capabilities.balance,
    }
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
    listed().map(view).collect()
}

#[cfg(test)]
mod tests {
    use super::super::{easemob, google};
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
                .map(|s| view(s))
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
            assert!(spec.kind.takes("client_id") && spec.kind.takes("name"));
            for k in spec.kind.keys() {
                assert!(spec.kind.takes(k.key), "{} {}", spec.kind.as_str(), k.key);
                assert!(
                    !k.required || !k.hint.is_empty(),
                    "a required key says what to put"
                );
            }
            for r in spec.required {
                assert!(
                    KindConfig::fields(spec.kind).contains(&r.key),
                    "{}: the hint for {} names a key its type has",
                    spec.kind.as_str(),
                    r.key
                );
            }
        }
        let easemob = <easemob::Keys as KindKeys>::SPEC.kind;
        assert!(!easemob.takes("scopes"), "form sign-in has no scopes");
        assert!(<google::Keys as KindKeys>::SPEC.kind.takes("scopes"));
    }

    /// Each kind's entry with every required key set (to an address, as they all are).
    fn complete(spec: &ProviderSpec) -> toml::Table {
        spec.required
            .iter()
            .map(|r| (r.key.to_owned(), toml::Value::from("https://example.com")))
            .collect()
    }

    /// Beyond the sentence the configuration says first, the types themselves refuse: a key
    /// that only other kinds take has no field to go to in this kind's type.
    #[test]
    fn a_key_of_another_kind_has_nowhere_to_go() {
        let mut refused = 0;
        for spec in SPECS {
            let own = KindConfig::fields(spec.kind);
            let foreign = SPECS
                .iter()
                .flat_map(|other| KindConfig::fields(other.kind))
                .filter(|k| !own.contains(k));
            for key in foreign {
                let mut t = complete(spec);
                t.insert((*key).to_owned(), toml::Value::from("https://example.com"));
                let (at, why) = KindConfig::read(spec, t).expect_err(key);
                assert!(
                    why.contains("unknown field"),
                    "{}.{key}: {at} {why}",
                    spec.kind.as_str()
                );
                refused += 1;
            }
            let KindConfig::Google(_) =
                KindConfig::read(&google::SPEC, complete(&google::SPEC)).expect("a google entry")
            else {
                panic!("a google entry reads as Google's keys");
            };
        }
        assert!(refused > 20, "{refused}");
    }

    /// What the type requires is what the spec's hints say is required: each kind's entry with
    /// every hinted key is read, and without any one of them it is refused.
    #[test]
    fn the_required_keys_are_the_ones_the_type_requires() {
        for spec in SPECS {
            let full = complete(spec);
            assert!(
                KindConfig::read(spec, full.clone()).is_ok(),
                "{}",
                spec.kind.as_str()
            );
            for r in spec.required {
                let mut less = full.clone();
                less.remove(r.key);
                assert!(
                    KindConfig::read(spec, less).is_err(),
                    "{} without {}",
                    spec.kind.as_str(),
                    r.key
                );
            }
        }
    }
}
