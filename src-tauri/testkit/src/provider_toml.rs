//! The `[[providers]]` entry that points Signet at a test server: one helper for every test's configuration file.

use crate::OAuthServer;

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
        .set("kind", self.protocol.kind())
        .set("client_id", self.client_id());
        let keys = self.protocol.provider_keys(&self.endpoints, self.config());
        keys.into_iter()
            .fold(t, |t, (key, value)| t.set(key, value))
    }
}
