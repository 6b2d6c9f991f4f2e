//! The `[[providers]]` entry that points Signet at a test server: one helper for every test's configuration file.

use crate::{Dialect, OAuthServer};

/// A provider entry for a configuration file, built from a running server and adjusted key by
/// key. `to_string()` gives the TOML text (`[[providers]]` and one `key = value` per line).
#[derive(Debug, Clone)]
pub struct ProviderToml {
    entries: Vec<(String, String)>,
}

/// A TOML value: text is quoted, numbers and booleans are written as they are.
pub trait TomlValue {
    fn toml(&self) -> String;
}

impl TomlValue for &str {
    fn toml(&self) -> String {
        let escaped = self.replace('\\', "\\\\").replace('"', "\\\"");
        format!("\"{escaped}\"")
    }
}
impl TomlValue for String {
    fn toml(&self) -> String {
        self.as_str().toml()
    }
}
impl TomlValue for u16 {
    fn toml(&self) -> String {
        self.to_string()
    }
}
impl TomlValue for u64 {
    fn toml(&self) -> String {
        self.to_string()
    }
}
impl TomlValue for bool {
    fn toml(&self) -> String {
        self.to_string()
    }
}
impl TomlValue for &[&str] {
    fn toml(&self) -> String {
        let items: Vec<String> = self.iter().map(|s| s.toml()).collect();
        format!("[{}]", items.join(", "))
    }
}

impl ProviderToml {
    /// Sets `key` (replacing it if present).
    pub fn set(mut self, key: &str, value: impl TomlValue) -> Self {
        let value = value.toml();
        match self.entries.iter_mut().find(|(k, _)| k == key) {
            Some(entry) => entry.1 = value,
            None => self.entries.push((key.to_owned(), value)),
        }
        self
    }

    /// Leaves `key` out.
    pub fn remove(mut self, key: &str) -> Self {
        self.entries.retain(|(k, _)| k != key);
        self
    }
}

impl std::fmt::Display for ProviderToml {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "[[providers]]")?;
        for (k, v) in &self.entries {
            writeln!(f, "{k} = {v}")?;
        }
        Ok(())
    }
}

impl OAuthServer {
    /// The entry for a provider named `name` of this server's kind, with every endpoint Signet
    /// reads pointed at this server (the client secret is not in it: tests store it in the
    /// keyring or name a variable).
    pub fn provider_toml(&self, name: &str) -> ProviderToml {
        let t = ProviderToml {
            entries: Vec::new(),
        }
        .set("name", name)
        .set("kind", kind(self.dialect()))
        .set("client_id", self.client_id());
        match self.dialect() {
            Dialect::Oidc => t.set("issuer", self.issuer()),
            Dialect::AiHubMix => t.set("base_url", self.base_url()),
            // Google's documented endpoints are on several hosts: each one points here.
            Dialect::Google => t
                .set("authorize_url", self.authorization_endpoint())
                .set("token_url", self.token_endpoint())
                .set("userinfo_url", self.userinfo_endpoint())
                .set("revoke_url", self.revocation_endpoint().unwrap_or_default())
                .set("api_base", self.api_base()),
            // Feishu's accounts domain and open platform both here.
            Dialect::Feishu => t
                .set("accounts_base", self.base_url())
                .set("api_base", self.base_url()),
            Dialect::Easemob => t
                .set("base_url", self.base_url())
                .set("org_name", self.easemob_org())
                .set("app_name", self.easemob_app()),
        }
    }
}

/// The `kind` Signet's configuration names this dialect with.
pub fn kind(d: Dialect) -> &'static str {
    match d {
        Dialect::Oidc => "oidc",
        Dialect::AiHubMix => "aihubmix",
        Dialect::Google => "google",
        Dialect::Feishu => "feishu",
        Dialect::Easemob => "easemob",
    }
}
