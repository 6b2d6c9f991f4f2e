//! Providers and preferences: what Settings shows and changes.

use std::sync::Arc;

use crate::accounts::Accounts;
use crate::activity::{ActivityKind, ActivityOutcome};
use crate::base::Base;
use crate::config::{self, Config, KindConfig};
use crate::error::{Error, Result};
use crate::provider::DirectSignIn;
use crate::secret::Secret;
use crate::signin::SignIns;
use crate::views::{
    AccountView, EasemobAccount, NewProvider, ProviderRemoved, ProviderView, Revocation, Settings,
};

/// The providers and preferences Settings shows and changes.
pub struct Setup {
    base: Base,
    /// Adding an Easemob account from its form ends with a direct sign-in.
    sign_ins: Arc<SignIns>,
    /// Removing a provider removes its accounts (revoking them where the provider can).
    accounts: Arc<Accounts>,
}

impl Setup {
    pub fn new(base: Base, sign_ins: Arc<SignIns>, accounts: Arc<Accounts>) -> Self {
        Setup {
            base,
            sign_ins,
            accounts,
        }
    }

    fn config(&self) -> Config {
        self.base.registry.config()
    }

    /// The configured providers, with whether a client secret is available (never the secret).
    pub async fn providers(&self) -> Result<Vec<ProviderView>> {
        let config = self.config();
        let counts = self.base.store.count_by_provider().await?;
        let mut out = Vec::new();
        for p in &config.providers {
            // A keyring in trouble does not hide the providers: each says it could not check
            // (and after one call that never answers, the rest are refused at once).
            let (has_secret, secret_error) = match &p.client_secret_env {
                Some(var) => (std::env::var(var).is_ok_and(|v| !v.is_empty()), None),
                None => match self.base.credentials.client_secret(&p.name).await {
                    Ok(secret) => (secret.is_some(), None),
                    Err(e) if crate::keyring_health::is_keyring_trouble(e.code) => {
                        (false, Some(e.code))
                    }
                    Err(e) => return Err(e),
                },
            };
            let redirect_uri = if p.kind().uses_browser() {
                p.redirect_uri()
            } else {
                String::new()
            };
            let values = p.keys.values();
            out.push(ProviderView {
                name: p.name.clone(),
                kind: p.kind().as_str().to_owned(),
                client_id: p.client_id.clone(),
                has_secret,
                secret_error,
                secret_env: p.client_secret_env.clone(),
                redirect_uri,
                issuer: text(&values, "issuer"),
                base_url: text(&values, "base_url"),
                brand: match &p.keys {
                    KindConfig::Feishu(k) => Some(brand_name(k.brand()).to_owned()),
                    _ => None,
                },
                // A form sign-in (Easemob) takes its app's credentials in the form.
                requires_secret: p.kind().uses_browser(),
                direct: !p.kind().uses_browser(),
                app_key: match &p.keys {
                    KindConfig::Easemob(k) => Some(format!("{}#{}", k.org_name, k.app_name)),
                    _ => None,
                },
                accounts: counts.get(&p.name).copied().unwrap_or(0),
                entry: entry(p),
            });
        }
        Ok(out)
    }

    /// Adds a provider: the secret (if given) to the keyring first, then the entry to the
    /// configuration file, which is re-read. Nothing is written if the entry is invalid.
    pub async fn add_provider(&self, p: &NewProvider) -> Result<ProviderView> {
        let path = self.config().path.clone();
        if self.config().provider(&p.name).is_some() {
            return Err(Error::config(format!(
                "A provider named \"{}\" already exists.",
                p.name
            )));
        }
        // Check the entry first, store the secret, then write the file: nothing is half-added.
        let (text, config) = config::with_provider(&path, p)?;
        if let Some(secret) = p.client_secret.as_deref().filter(|s| !s.is_empty()) {
            self.base
                .credentials
                .set_client_secret(&p.name, &Secret::new(secret))
                .await?;
        }
        config::write(&path, &text)?;
        self.base.registry.replace(config, None);
        self.providers()
            .await?
            .into_iter()
            .find(|v| v.name == p.name)
            .ok_or_else(|| Error::internal("provider vanished after being added"))
    }

    /// Changes a provider's entry as `p` says (an absent value is kept, an empty one removed:
    /// see `config::with_provider_changed`); a new client secret, if given, is stored first.
    /// Nothing is written if the changed entry is invalid. Its accounts stay.
    pub async fn update_provider(&self, name: &str, p: &NewProvider) -> Result<ProviderView> {
        let path = self.config().path.clone();
        let (text, config) = config::with_provider_changed(&path, name, p)?;
        if let Some(secret) = p.client_secret.as_deref().filter(|s| !s.is_empty()) {
            self.base
                .credentials
                .set_client_secret(name, &Secret::new(secret))
                .await?;
        }
        config::write(&path, &text)?;
        self.base.registry.replace(config, Some(name));
        self.providers()
            .await?
            .into_iter()
            .find(|v| v.name == name)
            .ok_or_else(|| Error::internal("provider vanished after being changed"))
    }

    /// Removes a provider: first its accounts (each revoked at the provider where it can be, then
    /// deleted from this computer), then its entry, its client secret and anything it kept.
    pub async fn remove_provider(&self, name: &str) -> Result<ProviderRemoved> {
        if self.config().provider(name).is_none() {
            return Err(Error::not_found(format!(
                "There is no provider named \"{name}\"."
            )));
        }
        let mut removed = ProviderRemoved {
            accounts: 0,
            not_revoked: 0,
        };
        for row in self.base.store.list().await? {
            if row.provider != name {
                continue;
            }
            if let Revocation::Failed(_) = self.accounts.remove(row.id).await? {
                removed.not_revoked += 1;
            }
            removed.accounts += 1;
        }
        let path = self.config().path.clone();
        let config = config::remove_provider(&path, name)?;
        self.base.registry.replace(config, Some(name));
        self.forget_secrets(name).await;
        let _ = self
            .base
            .log(
                None,
                Some(name),
                ActivityKind::RemoveProvider,
                ActivityOutcome::Ok,
                None,
                None,
            )
            .await;
        Ok(removed)
    }

    /// Adds an Easemob account from the form: the provider entry for its app is created (or
    /// reused when one has the same host, org and app), the app secret goes to the keyring,
    /// then the account signs in with the password or the app credentials.
    pub async fn add_easemob_account(&self, form: &EasemobAccount) -> Result<AccountView> {
        let host = form.host.trim().trim_end_matches('/');
        let base = if host.contains("://") {
            host.to_owned()
        } else {
            format!("https://{host}")
        };
        crate::endpoint::check_endpoint(&base)
            .map_err(|why| Error::config(format!("REST host: {why}")))?;
        let (org, app) = (form.org_name.trim(), form.app_name.trim());
        let existing = self
            .config()
            .providers
            .iter()
            .find(|p| {
                matches!(&p.keys, KindConfig::Easemob(k)
                    if k.base_url.trim_end_matches('/') == base
                        && k.org_name == org
                        && k.app_name == app)
            })
            .map(|p| p.name.clone());
        let client_id = form.client_id.as_deref().map(str::trim).unwrap_or("");
        let client_secret = form
            .client_secret
            .as_deref()
            .filter(|s| !s.is_empty())
            .map(Secret::new);
        let created = existing.is_none();
        let name = match existing {
            Some(name) => {
                if let Some(s) = &client_secret {
                    self.base.registry.set_client_secret(&name, s).await?;
                }
                let current = match self.config().provider(&name).map(|p| &p.keys) {
                    Some(KindConfig::Easemob(k)) => k.vip5,
                    _ => None,
                };
                if let Some(v) = form.vip5.filter(|v| Some(*v) != current) {
                    // The cluster kind belongs to the app: the checkbox updates the entry.
                    self.set_provider_value(&name, "vip5", toml_edit::value(v))?;
                }
                if !client_id.is_empty()
                    && self.config().provider(&name).map(|p| p.client_id.as_str())
                        != Some(client_id)
                {
                    self.set_provider_value(&name, "client_id", toml_edit::value(client_id))?;
                }
                name
            }
            None => {
                let name = self.free_name(&format!("easemob-{app}"));
                self.add_provider(&NewProvider {
                    name: name.clone(),
                    kind: "easemob".into(),
                    client_id: client_id.to_owned(),
                    client_secret: client_secret.as_ref().map(|s| s.expose().to_owned()),
                    base_url: Some(base),
                    org_name: Some(org.to_owned()),
                    app_name: Some(app.to_owned()),
                    // The token lifetime belongs to this account (its stored credential keeps
                    // it for re-issues), not to the app: later accounts choose their own.
                    vip5: form.vip5,
                    ..NewProvider::default()
                })
                .await?;
                name
            }
        };
        let direct = DirectSignIn {
            username: form.username.trim().to_owned(),
            password: form
                .password
                .as_deref()
                .filter(|p| !p.is_empty())
                .map(Secret::new),
            ttl: form.ttl,
        };
        let reauth = self
            .base
            .store
            .find_subject(&name, &direct.username)
            .await?
            .map(|r| r.id);
        let added = self.sign_ins.sign_in_direct(&name, &direct, reauth).await;
        if added.is_err() && created {
            // A wrong host, org, app or first password adds nothing, the app's entry included.
            self.forget_provider(&name).await;
        }
        added
    }

    /// Takes back a provider entry this call created: the entry and its stored secret.
    async fn forget_provider(&self, name: &str) {
        let path = self.config().path.clone();
        match config::remove_provider(&path, name) {
            Ok(config) => self.base.registry.replace(config, Some(name)),
            Err(e) => tracing::warn!(
                provider = name,
                code = e.code.as_str(),
                "provider entry left behind"
            ),
        }
        self.forget_secrets(name).await;
    }

    /// Deletes what the keyring holds for a provider: its client secret and the app token it
    /// may have been given (`provider/<name>/…`, see `provider::Stash`).
    async fn forget_secrets(&self, name: &str) {
        if let Err(e) = self.base.credentials.delete_client_secret(name).await {
            tracing::warn!(
                provider = name,
                code = e.code.as_str(),
                "provider secret left behind"
            );
        }
        let _ = self
            .base
            .credentials
            .vault()
            .delete(&format!("provider/{name}/app-token"))
            .await;
    }

    /// Sets one key of a provider's entry in the configuration file (keeping the rest of the
    /// file as written), re-reads it and rebuilds the provider.
    fn set_provider_value(&self, name: &str, key: &str, value: toml_edit::Item) -> Result<()> {
        let path = self.config().path.clone();
        let config = config::set_provider_value(&path, name, key, value)?;
        self.base.registry.replace(config, Some(name));
        Ok(())
    }

    /// `base`, or `base-2`, `base-3`… — a provider name not used yet.
    fn free_name(&self, base: &str) -> String {
        let clean: String = base
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                    c
                } else {
                    '-'
                }
            })
            .collect();
        let config = self.config();
        (1..)
            .map(|i| {
                if i == 1 {
                    clean.clone()
                } else {
                    format!("{clean}-{i}")
                }
            })
            .find(|n| config.provider(n).is_none())
            .unwrap_or(clean)
    }

    pub async fn settings(&self) -> Result<Settings> {
        Ok(match self.base.store.setting("preferences").await? {
            Some(json) => serde_json::from_str(&json).unwrap_or_default(),
            None => Settings::default(),
        })
    }

    pub async fn set_settings(&self, s: &Settings) -> Result<Settings> {
        if !["system", "en", "zh-CN"].contains(&s.language.as_str()) {
            return Err(Error::config(format!(
                "Unknown language \"{}\".",
                s.language
            )));
        }
        let json = serde_json::to_string(s).map_err(|e| Error::internal(e.to_string()))?;
        self.base.store.set_setting("preferences", &json).await?;
        Ok(s.clone())
    }
}

/// A provider's entry as written, in the form an edit sends back (never its secret): the
/// shared keys, then the kind's own by name.
fn entry(p: &config::ProviderConfig) -> NewProvider {
    let mut form: serde_json::Map<String, serde_json::Value> = p
        .keys
        .values()
        .into_iter()
        .map(|(k, v)| (camel_case(&k), v))
        .collect();
    form.insert("name".into(), p.name.clone().into());
    form.insert("kind".into(), p.kind().as_str().into());
    form.insert("clientId".into(), p.client_id.clone().into());
    let mut form: NewProvider = match serde_json::from_value(serde_json::Value::Object(form)) {
        Ok(form) => form,
        Err(e) => {
            tracing::warn!(provider = %p.name, "its entry does not fit the edit form: {e}");
            NewProvider {
                name: p.name.clone(),
                kind: p.kind().as_str().to_owned(),
                client_id: p.client_id.clone(),
                ..NewProvider::default()
            }
        }
    };
    form.redirect = p.redirect.map(|r| {
        match r {
            config::RedirectMode::Loopback => "loopback",
            config::RedirectMode::DeepLink => "deep-link",
        }
        .to_owned()
    });
    form.redirect_port = p.redirect_port;
    form.scopes = p.scopes.clone();
    form
}

/// `base_url` → `baseUrl`: a configuration key as the window's form names it.
fn camel_case(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    let mut upper = false;
    for c in key.chars() {
        match (c, upper) {
            ('_', _) => upper = true,
            (c, true) => {
                out.push(c.to_ascii_uppercase());
                upper = false;
            }
            (c, false) => out.push(c),
        }
    }
    out
}

/// A string value of an entry's own keys.
fn text(values: &serde_json::Map<String, serde_json::Value>, key: &str) -> Option<String> {
    values.get(key).and_then(|v| v.as_str()).map(str::to_owned)
}

fn brand_name(brand: crate::provider::feishu::Brand) -> &'static str {
    match brand {
        crate::provider::feishu::Brand::Feishu => "feishu",
        crate::provider::feishu::Brand::Lark => "lark",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The window's edit form starts from what the file says, whichever kind's keys those are.
    #[test]
    fn the_edit_form_gets_each_kinds_own_keys() {
        let c = Config::parse(
            "[[providers]]\nname = \"l\"\nkind = \"feishu\"\nclient_id = \"cli_1\"\nbrand = \"lark\"\ntoken_version = \"v3\"\naccounts_base = \"https://accounts.example.com\"\nscopes = [\"offline_access\"]\n\n\
             [[providers]]\nname = \"e\"\nkind = \"easemob\"\nbase_url = \"https://a1.easemob.com\"\norg_name = \"o\"\napp_name = \"a\"\nttl = 0\nvip5 = true\n",
            std::path::Path::new("config.toml"),
        )
        .expect("valid");
        let f = entry(&c.providers[0]);
        assert_eq!(
            (f.name.as_str(), f.kind.as_str(), f.client_id.as_str()),
            ("l", "feishu", "cli_1")
        );
        assert_eq!(f.brand.as_deref(), Some("lark"));
        assert_eq!(f.token_version.as_deref(), Some("v3"));
        assert_eq!(
            f.accounts_base.as_deref(),
            Some("https://accounts.example.com")
        );
        assert_eq!(f.scopes, Some(vec!["offline_access".to_owned()]));
        assert_eq!(f.org_name, None);
        let e = entry(&c.providers[1]);
        assert_eq!(e.base_url.as_deref(), Some("https://a1.easemob.com"));
        assert_eq!(
            (e.org_name.as_deref(), e.app_name.as_deref()),
            (Some("o"), Some("a"))
        );
        assert_eq!((e.ttl, e.vip5), (Some(0), Some(true)));
        assert_eq!(e.brand, None);
    }
}
