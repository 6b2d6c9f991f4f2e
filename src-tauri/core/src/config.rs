//! The configuration file: which providers exist, their client ids, endpoints, redirects and scopes.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::{Error, Result};

/// Environment variable that overrides the configuration file's path.
pub const CONFIG_ENV: &str = "SIGNET_CONFIG";

pub use crate::provider::spec::{Entry, ProviderKind, RedirectMode};
pub use crate::provider::KindConfig;
pub use edit::{
    append_provider, remove_provider, set_provider_value, with_provider, with_provider_changed,
    write,
};
pub use entry::ProviderConfig;

mod edit;
mod entry;

/// `[refresh]`: limits for the background refresher.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RefreshConfig {
    /// Refreshes in flight at once, across all providers.
    #[serde(default = "default_concurrency")]
    pub max_concurrent: usize,
    /// Token requests per second to any one provider.
    #[serde(default = "default_rate")]
    pub per_provider_per_second: u32,
}

fn default_concurrency() -> usize {
    8
}
fn default_rate() -> u32 {
    10
}

impl Default for RefreshConfig {
    fn default() -> Self {
        RefreshConfig {
            max_concurrent: default_concurrency(),
            per_provider_per_second: default_rate(),
        }
    }
}

/// `[hooks]`: commands the process serving the token agent (the app, or `signetctl agent`) runs
/// with `sh -c` on account events. The account is in `SIGNET_ACCOUNT`, `SIGNET_ACCOUNT_ID`,
/// `SIGNET_PROVIDER` and `SIGNET_EVENT`; never a token.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HooksConfig {
    /// After a refresh stored new tokens.
    pub refreshed: Option<String>,
    /// When an account needs signing in again.
    pub sign_in_needed: Option<String>,
    /// After an account was removed.
    pub removed: Option<String>,
}

/// The configuration: its providers, the refresher's limits and the hooks.
#[derive(Debug, Clone, Default)]
pub struct Config {
    pub providers: Vec<ProviderConfig>,
    pub refresh: RefreshConfig,
    pub hooks: HooksConfig,
    /// Where the file was read from (not part of the file).
    pub path: PathBuf,
}

/// The file as TOML reads it; each provider entry is then read as its kind's type.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    providers: Vec<toml::Spanned<toml::Table>>,
    #[serde(default)]
    refresh: RefreshConfig,
    #[serde(default)]
    hooks: HooksConfig,
}

/// The line (1-based) where `key` is set within `span` of `text`, when it is written there as
/// `key = …`.
fn key_line(text: &str, span: std::ops::Range<usize>, key: &str) -> Option<usize> {
    let top = key.split(['.', '[']).next().filter(|k| !k.is_empty())?;
    let body = text.get(span.start..span.end.min(text.len()))?;
    let at = body.lines().position(|l| {
        l.trim_start()
            .strip_prefix(top)
            .is_some_and(|rest| rest.trim_start().starts_with('='))
    })?;
    Some(text[..span.start].matches('\n').count() + at + 1)
}

/// The configuration file's default location: `<config dir>/signet/config.toml`, or `$SIGNET_CONFIG`.
pub fn default_path() -> PathBuf {
    if let Some(p) = std::env::var_os(CONFIG_ENV) {
        return PathBuf::from(p);
    }
    dirs::config_dir()
        .unwrap_or_else(|| PathBuf::from("."))
        .join("signet")
        .join("config.toml")
}

impl Config {
    /// Names of the environment variables that hold client secrets: never passed on to the
    /// programs Signet starts (the browser and whatever it starts).
    pub fn secret_env_names(&self) -> Vec<String> {
        self.providers
            .iter()
            .filter_map(|p| p.client_secret_env.clone())
            .collect()
    }

    /// Reads and checks the file. A missing file is an empty configuration (no providers yet).
    pub fn load(path: &Path) -> Result<Config> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Config {
                    path: path.to_owned(),
                    ..Config::default()
                })
            }
            Err(e) => {
                return Err(Error::config(format!(
                    "{}: cannot be read ({e}).",
                    path.display()
                )))
            }
        };
        Config::parse(&text, path)
    }

    pub fn parse(text: &str, path: &Path) -> Result<Config> {
        let file = path.display();
        let line_of = |at: usize| text[..at.min(text.len())].matches('\n').count() + 1;
        let raw: File = toml::from_str(text).map_err(|e| {
            let at = e
                .span()
                .map(|s| format!(" (line {})", line_of(s.start)))
                .unwrap_or_default();
            Error::config(format!("{file}{at}: {}", e.message().trim_end()))
        })?;
        let mut providers: Vec<ProviderConfig> = Vec::with_capacity(raw.providers.len());
        for (i, spanned) in raw.providers.into_iter().enumerate() {
            let span = spanned.span();
            let line = line_of(span.start);
            let p = ProviderConfig::read(spanned.into_inner()).map_err(|e| {
                let line = key_line(text, span.clone(), &e.key).unwrap_or(line);
                let entry = match &e.name {
                    Some(name) => format!("providers[{i}] ({name})"),
                    None => format!("providers[{i}]"),
                };
                let key = if e.key.is_empty() {
                    String::new()
                } else {
                    format!(".{}", e.key)
                };
                Error::config(format!("{file} (line {line}): {entry}{key}: {}", e.why))
            })?;
            if providers.iter().any(|q| q.name == p.name) {
                return Err(Error::config(format!(
                    "{file} (line {line}): providers[{i}] ({}).name: the name \"{}\" is used twice; each provider needs its own name.",
                    p.name, p.name
                )));
            }
            providers.push(p);
        }
        if raw.refresh.max_concurrent == 0 || raw.refresh.per_provider_per_second == 0 {
            return Err(Error::config(format!(
                "{file}: refresh: max_concurrent and per_provider_per_second must be at least 1."
            )));
        }
        Ok(Config {
            providers,
            refresh: raw.refresh,
            hooks: raw.hooks,
            path: path.to_owned(),
        })
    }

    pub fn provider(&self, name: &str) -> Option<&ProviderConfig> {
        self.providers.iter().find(|p| p.name == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config> {
        Config::parse(text, Path::new("/home/u/.config/signet/config.toml"))
    }

    #[test]
    fn a_complete_file_parses_with_defaults() {
        let c = parse(
            r#"
            [[providers]]
            name = "aihubmix"
            kind = "aihubmix"
            client_id = "client_abc"
            client_secret_env = "AIHUBMIX_SECRET"

            [[providers]]
            name = "corp"
            kind = "oidc"
            client_id = "x"
            issuer = "https://login.example.com"
            redirect = "loopback"
            redirect_port = 53682
            "#,
        )
        .expect("valid");
        assert_eq!(c.providers.len(), 2);
        assert_eq!(c.providers[0].redirect_mode(), RedirectMode::DeepLink);
        assert_eq!(c.providers[1].redirect_port, Some(53682));
        assert_eq!(c.refresh.max_concurrent, 8);
    }

    #[test]
    fn errors_name_the_file_the_key_and_what_is_wrong() {
        let e = parse(
            r#"
            [[providers]]
            name = "corp"
            kind = "oidc"
            client_id = "x"
            issuer = "http://idp.example.com"
            "#,
        )
        .expect_err("http issuer");
        assert!(e.message.contains("config.toml"), "{}", e.message);
        assert!(
            e.message.contains("providers[0] (corp).issuer"),
            "{}",
            e.message
        );
        assert!(e.message.contains("plain http"), "{}", e.message);

        let e = parse("[[providers]]\nname = \"a\"\nkind = \"nope\"\nclient_id = \"x\"\n")
            .expect_err("bad kind");
        assert!(e.message.contains("config.toml (line 3)"), "{}", e.message);
        assert!(e.message.contains("nope"), "{}", e.message);

        let e = parse("[[providers]]\nname = \"a\"\nkind = \"oidc\"\nclient_id = \"x\"\nclient_secret = \"s\"\nissuer=\"https://a\"\n")
            .expect_err("secret inline refused");
        assert!(e.message.contains("client_secret"), "{}", e.message);

        let e = parse("[[providers]]\nname = \"a b\"\nkind = \"oidc\"\nclient_id = \"x\"\nissuer=\"https://a\"\n")
            .expect_err("bad name");
        assert!(e.message.contains("providers[0].name"), "{}", e.message);
    }

    #[test]
    fn a_missing_file_is_an_empty_configuration() {
        let c = Config::load(Path::new("/nonexistent/signet/config.toml")).expect("empty");
        assert!(c.providers.is_empty());
    }

    #[test]
    fn a_key_that_does_not_apply_to_the_kind_is_refused_and_named() {
        let e = parse("[[providers]]\nname = \"g\"\nkind = \"google\"\nclient_id = \"x\"\norg_name = \"corp\"\n")
            .expect_err("org_name on google");
        assert!(
            e.message.contains("providers[0] (g).org_name"),
            "{}",
            e.message
        );
        assert!(
            e.message
                .contains("does not apply to kind = \"google\" (only to easemob)"),
            "{}",
            e.message
        );

        let e = parse("[[providers]]\nname = \"e\"\nkind = \"easemob\"\nbase_url = \"https://a1.easemob.com\"\norg_name = \"o\"\napp_name = \"a\"\nscopes = [\"x\"]\n")
            .expect_err("scopes on a form sign-in");
        assert!(
            e.message.contains("(e).scopes: does not apply"),
            "{}",
            e.message
        );

        let e = parse("[[providers]]\nname = \"e\"\nkind = \"easemob\"\nbase_url = \"https://a1.easemob.com\"\norg_name = \"o\"\n")
            .expect_err("app_name missing");
        assert!(
            e.message.contains("(e).app_name: is missing; copy it"),
            "{}",
            e.message
        );

        let e = parse("[[providers]]\nname = \"g\"\nkind = \"google\"\nclient_id = \"x\"\nredirect = \"deep-link\"\n")
            .expect_err("google refuses deep links");
        assert!(
            e.message.contains("(g).redirect: Google refuses"),
            "{}",
            e.message
        );
    }

    /// What a person reads for a value of the wrong type, a secret written inline and a key no
    /// kind takes: the line and the key, and what to do.
    #[test]
    fn a_wrong_value_names_its_line_and_key() {
        let e = parse("[[providers]]\nname = \"e\"\nkind = \"easemob\"\nbase_url = \"https://a1.easemob.com\"\norg_name = \"o\"\napp_name = \"a\"\nttl = \"one day\"\n")
            .expect_err("ttl as text");
        assert!(
            e.message.contains("config.toml (line 7): providers[0] (e).ttl: invalid type: string \"one day\", expected u64"),
            "{}",
            e.message
        );

        let e = parse("[[providers]]\nname = \"a\"\nkind = \"oidc\"\nclient_id = \"x\"\nissuer = \"https://a\"\nclient_secret = \"s\"\n")
            .expect_err("secret inline");
        assert!(e.message.contains("(line 6): providers[0] (a).client_secret: a client secret is never written in this file"), "{}", e.message);

        let e = parse("[[providers]]\nname = \"g\"\nkind = \"google\"\nclient_id = \"x\"\n\n[[providers]]\nname = \"a\"\nkind = \"aihubmix\"\nclient_id = \"y\"\nbase_uri = \"https://a\"\n")
            .expect_err("a typo");
        assert!(
            e.message
                .contains("(line 10): providers[1] (a).base_uri: is not a key Signet knows"),
            "{}",
            e.message
        );

        let e = parse("[[providers]]\nname = \"g\"\nkind = \"google\"\nclient_id = \"x\"\nredirect_port = 70000\n")
            .expect_err("a port out of range");
        assert!(
            e.message
                .contains("(line 5): providers[0] (g).redirect_port:"),
            "{}",
            e.message
        );
    }

    #[test]
    fn defaults_come_from_the_kind() {
        let c = parse("[[providers]]\nname = \"lark\"\nkind = \"feishu\"\nclient_id = \"x\"\n\n[[providers]]\nname = \"a\"\nkind = \"aihubmix\"\nclient_id = \"y\"\n")
            .expect("valid");
        assert_eq!(
            c.providers[0].redirect_uri(),
            "http://127.0.0.1:53682/callback/lark"
        );
        assert_eq!(c.providers[1].redirect_uri(), "signet://oauth/callback/a");
    }

    #[test]
    fn the_tests_own_kind_is_listed_only_when_asked_for() {
        // Other tests in this process never set the variable; this one only reads the registry.
        let listed: Vec<&str> = ProviderKind::all().map(ProviderKind::as_str).collect();
        assert_eq!(listed, ["google", "feishu", "aihubmix", "easemob", "oidc"]);
        assert!(crate::provider::SPECS
            .iter()
            .any(|s| s.kind.as_str() == "example" && s.test_only));
    }
}
