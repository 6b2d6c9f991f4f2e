//! The configuration file: which providers exist, their client ids, endpoints, redirects and scopes.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use url::Url;

use crate::error::{Error, Result};

/// Environment variable that overrides the configuration file's path.
pub const CONFIG_ENV: &str = "SIGNET_CONFIG";

pub use crate::provider::spec::ProviderKind;
pub use edit::{
    append_provider, remove_provider, set_provider_value, with_provider, with_provider_changed,
    write,
};

mod edit;

/// Feishu (China) or Lark (international): which domains a `feishu` provider talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Brand {
    #[default]
    Feishu,
    Lark,
}

/// Which Feishu token endpoint to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenVersion {
    /// `open-apis/authen/v2/oauth/token`, JSON body (the source document).
    #[default]
    V2,
    /// `oauth/v3/token` on the accounts domain (Feishu's newer endpoint).
    V3,
}

/// The fixed loopback port a Feishu app registers (`http://127.0.0.1:53682/callback/<name>`).
pub const FEISHU_LOOPBACK_PORT: u16 = 53682;

/// How the provider sends the browser back to Signet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RedirectMode {
    /// `http://127.0.0.1:<port>/callback/<provider>`; port 0 or absent = any free port.
    Loopback,
    /// `signet://oauth/callback/<provider>`, delivered to the running app by the OS.
    DeepLink,
}

/// How a client proves itself at the token and revocation endpoints (RFC 6749 §2.3.1, OpenID
/// Connect Core §9): the client secret in an HTTP Basic header, in the form body, or not at all
/// (a public client: PKCE only, RFC 8252 §8.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenAuth {
    Basic,
    Post,
    None,
}

/// One `[[providers]]` entry, as written in the file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderConfig {
    /// Your label for it; used in commands and in the redirect URI path. Letters, digits, `-`, `_`.
    pub name: String,
    pub kind: ProviderKind,
    /// Required by every kind but those whose spec says otherwise (Easemob).
    #[serde(default)]
    pub client_id: String,
    /// Name of an environment variable holding the client secret. Without it, the secret is read
    /// from the keyring (`signetctl secret-set <name>`).
    #[serde(default)]
    pub client_secret_env: Option<String>,
    /// OIDC: the issuer URL; endpoints come from `<issuer>/.well-known/openid-configuration`.
    #[serde(default)]
    pub issuer: Option<String>,
    /// AIHubMix: base URL of the OAuth endpoints (default `https://aihubmix.com`).
    #[serde(default)]
    pub base_url: Option<String>,
    #[serde(default)]
    pub scopes: Option<Vec<String>>,
    #[serde(default)]
    pub redirect: Option<RedirectMode>,
    #[serde(default)]
    pub redirect_port: Option<u16>,
    /// OpenID Connect: how Signet authenticates at the token and revocation endpoints
    /// (`basic`, `post` or `none`); unset: chosen from discovery.
    #[serde(default)]
    pub token_auth: Option<TokenAuth>,
    /// Endpoint overrides, for hosts that differ from the documented defaults.
    #[serde(default)]
    pub authorize_url: Option<String>,
    #[serde(default)]
    pub token_url: Option<String>,
    #[serde(default)]
    pub userinfo_url: Option<String>,
    #[serde(default)]
    pub revoke_url: Option<String>,
    #[serde(default)]
    pub topup_url: Option<String>,
    /// Base of the provider's API (Google Chat `https://chat.googleapis.com`, Feishu
    /// `https://open.feishu.cn`); for tests and proxies.
    #[serde(default)]
    pub api_base: Option<String>,
    /// Feishu: base of the accounts domain (`https://accounts.feishu.cn`).
    #[serde(default)]
    pub accounts_base: Option<String>,
    /// Feishu: `feishu` (default) or `lark` — picks the documented domains.
    #[serde(default)]
    pub brand: Option<Brand>,
    /// Feishu: `v2` (default, the source document) or `v3`.
    #[serde(default)]
    pub token_version: Option<TokenVersion>,
    /// Easemob: the organization name (`org_name` in the console).
    #[serde(default)]
    pub org_name: Option<String>,
    /// Easemob: the app name (`app_name`).
    #[serde(default)]
    pub app_name: Option<String>,
    /// Easemob: token lifetime to ask for, in seconds; 0 = a token that never expires.
    /// Absent: the console's setting (60 days by default).
    #[serde(default)]
    pub ttl: Option<u64>,
    /// Easemob VIP5 clusters state `ttl` and `expires_in` in milliseconds.
    #[serde(default)]
    pub vip5: Option<bool>,
}

impl ProviderConfig {
    /// The redirect: the entry's, or its kind's default.
    pub fn redirect_mode(&self) -> RedirectMode {
        self.redirect.unwrap_or(self.kind.spec().redirect)
    }

    /// The loopback port to listen on (0 = any free port): the entry's, or its kind's fixed one.
    pub fn loopback_port(&self) -> u16 {
        self.redirect_port
            .or(self.kind.spec().fixed_port)
            .unwrap_or(0)
    }

    /// The optional keys this entry sets (for the check that each applies to its kind).
    fn keys_set(&self) -> Vec<&'static str> {
        let set = [
            ("client_secret_env", self.client_secret_env.is_some()),
            ("issuer", self.issuer.is_some()),
            ("base_url", self.base_url.is_some()),
            ("scopes", self.scopes.is_some()),
            ("redirect", self.redirect.is_some()),
            ("redirect_port", self.redirect_port.is_some()),
            ("token_auth", self.token_auth.is_some()),
            ("authorize_url", self.authorize_url.is_some()),
            ("token_url", self.token_url.is_some()),
            ("userinfo_url", self.userinfo_url.is_some()),
            ("revoke_url", self.revoke_url.is_some()),
            ("topup_url", self.topup_url.is_some()),
            ("api_base", self.api_base.is_some()),
            ("accounts_base", self.accounts_base.is_some()),
            ("brand", self.brand.is_some()),
            ("token_version", self.token_version.is_some()),
            ("org_name", self.org_name.is_some()),
            ("app_name", self.app_name.is_some()),
            ("ttl", self.ttl.is_some()),
            ("vip5", self.vip5.is_some()),
        ];
        set.into_iter()
            .filter(|(_, on)| *on)
            .map(|(k, _)| k)
            .collect()
    }

    /// The redirect URI this provider's console must list (`*` = any port).
    pub fn redirect_uri(&self) -> String {
        match self.redirect_mode() {
            RedirectMode::DeepLink => {
                format!("{}://oauth/callback/{}", crate::flow::SCHEME, self.name)
            }
            RedirectMode::Loopback => match self.loopback_port() {
                0 => format!("http://127.0.0.1:*/callback/{}", self.name),
                port => format!("http://127.0.0.1:{port}/callback/{}", self.name),
            },
        }
    }

    pub fn brand(&self) -> Brand {
        self.brand.unwrap_or_default()
    }
}

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

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub providers: Vec<ProviderConfig>,
    #[serde(default)]
    pub refresh: RefreshConfig,
    #[serde(default)]
    pub hooks: HooksConfig,
    /// Where the file was read from (not part of the file).
    #[serde(skip)]
    pub path: PathBuf,
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
        let mut config: Config = toml::from_str(text).map_err(|e| {
            let at = e
                .span()
                .map(|s| {
                    let line = text[..s.start.min(text.len())].matches('\n').count() + 1;
                    format!(" (line {line})")
                })
                .unwrap_or_default();
            Error::config(format!(
                "{}{at}: {}",
                path.display(),
                e.message().trim_end()
            ))
        })?;
        config.path = path.to_owned();
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<()> {
        let file = self.path.display();
        let mut seen = std::collections::HashSet::new();
        for (i, p) in self.providers.iter().enumerate() {
            let key = |k: &str| format!("{file}: providers[{i}] ({}).{k}", p.name);
            if p.name.is_empty()
                || !p
                    .name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                return Err(Error::config(format!(
                    "{file}: providers[{i}].name: \"{}\" must be letters, digits, '-' or '_' (it becomes part of the redirect URI).",
                    p.name
                )));
            }
            if !seen.insert(p.name.as_str()) {
                return Err(Error::config(format!(
                    "{}: the name \"{}\" is used twice; each provider needs its own name.",
                    key("name"),
                    p.name
                )));
            }
            let spec = p.kind.spec();
            if p.client_id.trim().is_empty() && spec.client_id_required {
                return Err(Error::config(format!(
                    "{}: is empty; paste the client id from the provider's developer console.",
                    key("client_id")
                )));
            }
            for k in p.keys_set() {
                if !spec.takes(k) {
                    let takers: Vec<&str> = ProviderKind::all()
                        .filter(|kind| kind.spec().takes(k))
                        .map(ProviderKind::as_str)
                        .collect();
                    return Err(Error::config(format!(
                        "{}: does not apply to kind = \"{}\" (only to {}); remove it.",
                        key(k),
                        spec.kind.as_str(),
                        takers.join(", ")
                    )));
                }
            }
            for required in spec.keys.iter().filter(|k| k.required) {
                if !p.keys_set().contains(&required.key) {
                    return Err(Error::config(format!(
                        "{}: is missing; {}.",
                        key(required.key),
                        required.hint
                    )));
                }
            }
            (spec.check)(p).map_err(|(k, why)| Error::config(format!("{}: {why}", key(k))))?;
            for (k, v) in [
                ("issuer", &p.issuer),
                ("base_url", &p.base_url),
                ("authorize_url", &p.authorize_url),
                ("token_url", &p.token_url),
                ("userinfo_url", &p.userinfo_url),
                ("revoke_url", &p.revoke_url),
                ("topup_url", &p.topup_url),
                ("api_base", &p.api_base),
                ("accounts_base", &p.accounts_base),
            ] {
                if let Some(v) = v {
                    check_endpoint(v).map_err(|why| Error::config(format!("{}: {why}", key(k))))?;
                }
            }
            if let (Some(why), RedirectMode::DeepLink) = (spec.no_deep_link, p.redirect_mode()) {
                return Err(Error::config(format!("{}: {why}.", key("redirect"))));
            }
            if p.redirect_mode() == RedirectMode::DeepLink && p.redirect_port.is_some() {
                return Err(Error::config(format!(
                    "{}: only applies to redirect = \"loopback\".",
                    key("redirect_port")
                )));
            }
        }
        if self.refresh.max_concurrent == 0 || self.refresh.per_provider_per_second == 0 {
            return Err(Error::config(format!(
                "{file}: refresh: max_concurrent and per_provider_per_second must be at least 1."
            )));
        }
        Ok(())
    }

    pub fn provider(&self, name: &str) -> Option<&ProviderConfig> {
        self.providers.iter().find(|p| p.name == name)
    }
}

/// An endpoint must be `https`, except plain `http` to 127.0.0.1 / ::1 (local test servers).
pub fn check_endpoint(value: &str) -> std::result::Result<Url, String> {
    let url = Url::parse(value).map_err(|e| format!("\"{value}\" is not a URL ({e})."))?;
    match url.scheme() {
        "https" => Ok(url),
        "http" if is_loopback(&url) => Ok(url),
        "http" => Err(format!(
            "\"{value}\" uses plain http; only https is allowed (plain http only for 127.0.0.1 or [::1])."
        )),
        other => Err(format!("\"{value}\": the scheme \"{other}\" is not allowed; use https.")),
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        _ => false,
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
    fn plain_http_is_refused_except_loopback() {
        assert!(check_endpoint("http://127.0.0.1:8080/x").is_ok());
        assert!(check_endpoint("http://[::1]:8080/x").is_ok());
        assert!(check_endpoint("https://example.com").is_ok());
        let err = check_endpoint("http://example.com").expect_err("refused");
        assert!(err.contains("plain http"), "{err}");
        assert!(check_endpoint("http://localhost.evil.com").is_err());
        assert!(check_endpoint("ftp://example.com").is_err());
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
        assert!(crate::provider::spec::SPECS
            .iter()
            .any(|s| s.kind.as_str() == "example" && s.test_only));
    }
}
