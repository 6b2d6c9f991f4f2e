//! The provider registry: the configuration as last read, and each provider built with its client secret (from the environment or the credentials service), kept while that secret stays the same.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};

use crate::config::Config;
use crate::credentials::Credentials;
use crate::error::{Error, Result};
use crate::http::Http;
use crate::provider::{self, Provider};
use crate::secret::Secret;

/// A provider as built, with the client secret it was built with.
type Built = (Option<Secret>, Arc<dyn Provider>);

pub struct Registry {
    config: RwLock<Config>,
    built: Mutex<HashMap<String, Built>>,
    credentials: Arc<Credentials>,
    http: Http,
}

impl Registry {
    pub fn new(config: Config, credentials: Arc<Credentials>, http: Http) -> Self {
        Registry {
            config: RwLock::new(config),
            built: Mutex::new(HashMap::new()),
            credentials,
            http,
        }
    }

    /// The current configuration (a snapshot: providers can be added while running).
    pub fn config(&self) -> Config {
        match self.config.read() {
            Ok(c) => c.clone(),
            Err(p) => p.into_inner().clone(),
        }
    }

    /// The configuration file was rewritten: use `config` from now on, and build `changed`
    /// again at its next use.
    pub fn replace(&self, config: Config, changed: Option<&str>) {
        match self.config.write() {
            Ok(mut c) => *c = config,
            Err(p) => *p.into_inner() = config,
        }
        if let Some(name) = changed {
            self.built_map().remove(name);
        }
    }

    /// The provider named `name`, built with its client secret. Built once and kept while its
    /// secret stays the same (a change by another process included).
    pub async fn provider(&self, name: &str) -> Result<Arc<dyn Provider>> {
        self.provider_checked(name, false).await
    }

    /// [`Registry::provider`] for a sign-in about to open the browser: a provider that needs a
    /// client secret and has none is refused now, not after the person has signed in.
    pub async fn provider_for_sign_in(&self, name: &str) -> Result<Arc<dyn Provider>> {
        self.provider_checked(name, true).await
    }

    async fn provider_checked(&self, name: &str, need_secret: bool) -> Result<Arc<dyn Provider>> {
        let config = self.config();
        let cfg = config.provider(name).ok_or_else(|| {
            Error::not_found(format!(
                "No provider named \"{name}\" is configured in {}.",
                config.path.display()
            ))
        })?;
        let secret = match &cfg.client_secret_env {
            Some(var) => std::env::var(var)
                .ok()
                .filter(|s| !s.is_empty())
                .map(Secret::new),
            None => self.credentials.client_secret(name).await?,
        };
        // Easemob's form sign-in takes its app credentials from the form, when at all; an
        // OpenID Connect client may be public (the provider checks after discovery).
        let required = cfg.kind().spec().secret == provider::spec::SecretNeed::Required;
        if need_secret && secret.is_none() && required {
            return Err(provider::missing_secret(cfg).to_error());
        }
        if let Some((_, p)) = self
            .built_map()
            .get(name)
            .filter(|(used, _)| *used == secret)
        {
            return Ok(p.clone());
        }
        let stash = Arc::new(self.credentials.vault().clone());
        let p = cfg.keys.build(crate::provider::spec::Parts {
            entry: cfg.entry.clone(),
            client_secret: secret.clone(),
            http: self.http.clone(),
            stash,
        });
        self.built_map()
            .insert(name.to_owned(), (secret, p.clone()));
        Ok(p)
    }

    /// Stores a provider's client secret (every process sees the change).
    pub async fn set_client_secret(&self, provider: &str, secret: &Secret) -> Result<()> {
        if self.config().provider(provider).is_none() {
            return Err(Error::not_found(format!(
                "No provider named \"{provider}\" is configured."
            )));
        }
        self.credentials.set_client_secret(provider, secret).await?;
        self.built_map().remove(provider);
        Ok(())
    }

    fn built_map(&self) -> std::sync::MutexGuard<'_, HashMap<String, Built>> {
        match self.built.lock() {
            Ok(m) => m,
            Err(p) => p.into_inner(),
        }
    }
}
