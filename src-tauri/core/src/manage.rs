//! Providers and preferences: what Settings shows and changes.

use crate::config::{self, RedirectMode};
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::secret::Secret;
use crate::views::{NewProvider, ProviderView, Settings};

impl Engine {
    /// The configured providers, with whether a client secret is available (never the secret).
    pub async fn providers(&self) -> Result<Vec<ProviderView>> {
        let config = self.config();
        let mut out = Vec::new();
        for p in &config.providers {
            let has_secret = match &p.client_secret_env {
                Some(var) => std::env::var(var).is_ok_and(|v| !v.is_empty()),
                None => self.inner.vault.get_client_secret(&p.name).await?.is_some(),
            };
            let redirect_uri = match p.redirect_mode() {
                RedirectMode::DeepLink => {
                    format!("{}://oauth/callback/{}", crate::flow::SCHEME, p.name)
                }
                RedirectMode::Loopback => match p.redirect_port {
                    Some(port) if port != 0 => {
                        format!("http://127.0.0.1:{port}/callback/{}", p.name)
                    }
                    _ => format!("http://127.0.0.1:*/callback/{}", p.name),
                },
            };
            out.push(ProviderView {
                name: p.name.clone(),
                kind: p.kind.as_str().to_owned(),
                client_id: p.client_id.clone(),
                has_secret,
                secret_env: p.client_secret_env.clone(),
                redirect_uri,
                issuer: p.issuer.clone(),
                base_url: p.base_url.clone(),
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
            self.inner
                .vault
                .put_client_secret(&p.name, &Secret::new(secret))
                .await?;
        }
        config::write(&path, &text)?;
        if let Ok(mut c) = self.inner.config.write() {
            *c = config;
        }
        self.providers()
            .await?
            .into_iter()
            .find(|v| v.name == p.name)
            .ok_or_else(|| Error::internal("provider vanished after being added"))
    }

    pub async fn settings(&self) -> Result<Settings> {
        Ok(match self.inner.store.setting("preferences").await? {
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
        self.inner.store.set_setting("preferences", &json).await?;
        Ok(s.clone())
    }
}
