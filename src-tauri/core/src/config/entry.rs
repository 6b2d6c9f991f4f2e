//! One `[[providers]]` entry: the keys every kind shares, and the kind's own keys read as its type.

use std::ops::Deref;

use serde::Deserialize;

use crate::endpoint::check_endpoint;
use crate::provider::spec::{Entry, ProviderKind, RedirectMode, BROWSER_KEYS};
use crate::provider::KindConfig;

/// One `[[providers]]` entry, as written in the file: the shared part ([`Entry`], which it
/// dereferences to) and the kind's own keys.
#[derive(Debug, Clone)]
pub struct ProviderConfig {
    pub entry: Entry,
    pub keys: KindConfig,
}

impl Deref for ProviderConfig {
    type Target = Entry;
    fn deref(&self) -> &Entry {
        &self.entry
    }
}

/// What is wrong with an entry: its name (when it has one), the key at fault (empty for the
/// entry as a whole) and one sentence.
pub(super) struct EntryError {
    pub name: Option<String>,
    pub key: String,
    pub why: String,
}

/// Keys whose value is an address Signet sends requests to, whichever kind takes them.
const ENDPOINT_KEYS: [&str; 9] = [
    "issuer",
    "base_url",
    "authorize_url",
    "token_url",
    "userinfo_url",
    "revoke_url",
    "topup_url",
    "api_base",
    "accounts_base",
];

/// The client keys every kind takes.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Client {
    #[serde(default)]
    client_id: String,
    #[serde(default)]
    client_secret_env: Option<String>,
}

/// The keys every browser sign-in takes.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Browser {
    #[serde(default)]
    scopes: Option<Vec<String>>,
    #[serde(default)]
    redirect: Option<RedirectMode>,
    #[serde(default)]
    redirect_port: Option<u16>,
}

/// Moves `keys` out of `table` into a table of their own, read as `T`.
fn take<T: serde::de::DeserializeOwned>(
    table: &mut toml::Table,
    keys: &[&str],
) -> Result<T, (String, String)> {
    let part: toml::Table = keys
        .iter()
        .filter_map(|k| table.remove(*k).map(|v| ((*k).to_owned(), v)))
        .collect();
    serde_path_to_error::deserialize(toml::Value::Table(part)).map_err(|e| {
        (
            e.path().to_string(),
            e.into_inner().message().trim_end().to_owned(),
        )
    })
}

impl ProviderConfig {
    /// Reads one entry and checks it: each key applies to its kind and has a valid value, the
    /// kind's required keys are there, and the kind's own checks pass.
    pub(super) fn read(mut table: toml::Table) -> Result<ProviderConfig, EntryError> {
        let fail = |name: Option<&str>, key: &str, why: String| EntryError {
            name: name.map(str::to_owned),
            key: key.to_owned(),
            why,
        };
        let name = match table.remove("name") {
            Some(toml::Value::String(n)) => n,
            Some(_) => return Err(fail(None, "name", "must be a string.".into())),
            None => {
                return Err(fail(
                    None,
                    "name",
                    "is missing; give the provider a name of letters, digits, '-' or '_'.".into(),
                ))
            }
        };
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(fail(
                None,
                "name",
                format!("\"{name}\" must be letters, digits, '-' or '_' (it becomes part of the redirect URI)."),
            ));
        }
        let named = Some(name.as_str());
        let known = || {
            ProviderKind::all()
                .map(ProviderKind::as_str)
                .collect::<Vec<_>>()
                .join(", ")
        };
        let kind = match table.remove("kind") {
            Some(toml::Value::String(k)) => ProviderKind::parse(&k).ok_or_else(|| {
                fail(
                    named,
                    "kind",
                    format!("unknown kind \"{k}\"; Signet knows {}.", known()),
                )
            })?,
            _ => {
                return Err(fail(
                    named,
                    "kind",
                    format!("is missing; it is one of {}.", known()),
                ))
            }
        };
        let spec = kind.spec();
        let client: Client = take(&mut table, &["client_id", "client_secret_env"])
            .map_err(|(k, why)| fail(named, &k, why))?;
        let browser: Browser = if kind.uses_browser() {
            take(&mut table, &BROWSER_KEYS).map_err(|(k, why)| fail(named, &k, why))?
        } else {
            Browser {
                scopes: None,
                redirect: None,
                redirect_port: None,
            }
        };
        // Said in a sentence before the type refuses them: which kinds a key applies to, what
        // a missing key needs, which addresses are allowed.
        for key in table.keys() {
            if !kind.takes(key) {
                return Err(fail(named, key, not_taken(kind, key)));
            }
        }
        for required in spec.required {
            if !table.contains_key(required.key) {
                return Err(fail(
                    named,
                    required.key,
                    format!("is missing; {}.", required.hint),
                ));
            }
        }
        for key in ENDPOINT_KEYS {
            if let Some(toml::Value::String(v)) = table.get(key) {
                check_endpoint(v).map_err(|why| fail(named, key, why))?;
            }
        }
        let keys = KindConfig::read(spec, table).map_err(|(k, why)| fail(named, &k, why))?;
        keys.check()
            .map_err(|(k, why)| fail(named, k, why.to_owned()))?;
        if client.client_id.trim().is_empty() && spec.client_id_required {
            return Err(fail(
                named,
                "client_id",
                "is empty; paste the client id from the provider's developer console.".into(),
            ));
        }
        let entry = Entry {
            name,
            spec,
            client_id: client.client_id,
            client_secret_env: client.client_secret_env,
            scopes: browser.scopes,
            redirect: browser.redirect,
            redirect_port: browser.redirect_port,
        };
        if let (Some(why), RedirectMode::DeepLink) = (spec.no_deep_link, entry.redirect_mode()) {
            return Err(fail(Some(&entry.name), "redirect", format!("{why}.")));
        }
        if entry.redirect_mode() == RedirectMode::DeepLink && entry.redirect_port.is_some() {
            return Err(fail(
                Some(&entry.name),
                "redirect_port",
                "only applies to redirect = \"loopback\".".into(),
            ));
        }
        Ok(ProviderConfig { entry, keys })
    }
}

/// Why `key` is refused for an entry of `kind`.
fn not_taken(kind: ProviderKind, key: &str) -> String {
    let takers: Vec<&str> = ProviderKind::all()
        .filter(|k| k.takes(key))
        .map(ProviderKind::as_str)
        .collect();
    match (key, takers.is_empty()) {
        ("client_secret", _) => "a client secret is never written in this file; name an environment variable in client_secret_env, or store it with `signetctl secret-set` (or in Settings).".into(),
        (_, true) => "is not a key Signet knows; remove it (docs/configuration.md lists the keys).".into(),
        (_, false) => format!(
            "does not apply to kind = \"{}\" (only to {}); remove it.",
            kind.as_str(),
            takers.join(", ")
        ),
    }
}
