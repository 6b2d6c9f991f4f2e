//! What a kind of provider is, declared once by the provider itself: how its accounts sign in, its defaults, its configuration keys and what it can do; and the part of an entry every kind shares.
//!
//! A provider module declares its `SPEC` and the type of its own configuration keys, which
//! implements [`KindKeys`]; its line in the registry (`provider/kinds.rs`) makes it a kind.
//! Nothing else lists the kinds (docs/adding-a-provider.md).

use std::sync::Arc;

use serde::{de::DeserializeOwned, Deserialize, Serialize};
use ts_rs::TS;

use super::{Provider, Stash};
use crate::http::Http;
use crate::secret::Secret;

/// A kind of provider: the name of one registered kind (`kind = "…"` in the configuration).
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

/// How the provider sends the browser back to Signet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RedirectMode {
    /// `http://127.0.0.1:<port>/callback/<provider>`; port 0 or absent = any free port.
    Loopback,
    /// `signet://oauth/callback/<provider>`, delivered to the running app by the OS.
    DeepLink,
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

/// What a provider offers beyond signing in and refreshing. The engine and the window ask for
/// these instead of matching on kinds, so a new provider says what it can do in one place.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Capabilities {
    /// Signet's access can be revoked at the provider when an account is removed.
    pub revoke: bool,
    /// The profile carries a balance, sampled after every refresh (low-balance alerts, forecast).
    pub balance: bool,
    /// A top-up page can be opened for an account.
    pub top_up: bool,
    /// Accounts are added with a form (credentials) instead of a browser sign-in.
    pub form_sign_in: bool,
}

impl Capabilities {
    /// Signing in and refreshing, nothing more (what a spec starts from).
    pub const NONE: Capabilities = Capabilities {
        revoke: false,
        balance: false,
        top_up: false,
        form_sign_in: false,
    };
}

/// One kind of provider, as it declares itself.
#[derive(Debug)]
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
    /// What to put in each key the kind's [`KindKeys`] type requires, for the error that asks
    /// for it and the window's form. Every other key of that type is optional.
    pub required: &'static [KeySpec],
    pub capabilities: Capabilities,
    /// Listed only while `SIGNET_TEST_KINDS=1` (the example provider of the tests).
    pub test_only: bool,
}

/// Keys every kind takes.
pub const COMMON_KEYS: [&str; 4] = ["name", "kind", "client_id", "client_secret_env"];
/// Keys every kind with a browser sign-in takes.
pub const BROWSER_KEYS: [&str; 3] = ["scopes", "redirect", "redirect_port"];

/// The part of a `[[providers]]` entry every kind shares: its name, its client, and for a
/// browser sign-in the scopes and redirect. The kind's own keys are its [`KindKeys`] type.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Your label for it; used in commands and in the redirect URI path. Letters, digits, `-`, `_`.
    pub name: String,
    /// What kind it is.
    pub spec: &'static ProviderSpec,
    /// Required by every kind but those whose spec says otherwise (Easemob).
    pub client_id: String,
    /// Name of an environment variable holding the client secret. Without it, the secret is read
    /// from the keyring (`signetctl secret-set <name>`).
    pub client_secret_env: Option<String>,
    /// Browser sign-in only: the scopes to ask for (absent: the kind's default).
    pub scopes: Option<Vec<String>>,
    /// Browser sign-in only: how the browser comes back (absent: the kind's default).
    pub redirect: Option<RedirectMode>,
    /// Browser sign-in only: the loopback port (absent: the kind's fixed one, or any).
    pub redirect_port: Option<u16>,
}

impl Entry {
    pub fn kind(&self) -> ProviderKind {
        self.spec.kind
    }

    /// Whether accounts are added through a browser sign-in (rather than a form).
    pub fn uses_browser(&self) -> bool {
        self.spec.sign_in == SignInStyle::Browser
    }

    /// The redirect: the entry's, or its kind's default.
    pub fn redirect_mode(&self) -> RedirectMode {
        self.redirect.unwrap_or(self.spec.redirect)
    }

    /// The loopback port to listen on (0 = any free port): the entry's, or its kind's fixed one.
    pub fn loopback_port(&self) -> u16 {
        self.redirect_port.or(self.spec.fixed_port).unwrap_or(0)
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
}

/// A kind's own configuration keys, as one type: a key the type has no field for is refused
/// when the file is read (`#[serde(deny_unknown_fields)]`), and a key it needs is a field
/// without a default. The provider module implements this for its type and lists it in the
/// registry.
pub trait KindKeys:
    DeserializeOwned + Serialize + Clone + std::fmt::Debug + Send + Sync + 'static
{
    /// The kind these keys belong to.
    const SPEC: &'static ProviderSpec;

    /// The kind's own checks beyond what the type says: the key at fault and what is wrong.
    fn check(&self) -> Result<(), (&'static str, &'static str)> {
        Ok(())
    }

    /// Makes the provider for an entry of this kind from its keys and the shared [`Parts`].
    fn build(self, parts: Parts) -> Arc<dyn Provider>;
}

/// What every kind's provider is made from besides its own keys.
pub struct Parts {
    /// The entry's shared part (name, client, scopes, redirect).
    pub entry: Entry,
    /// From the keyring or the environment; without it, sign-in and refresh report a set-up
    /// problem saying how to add it.
    pub client_secret: Option<Secret>,
    pub http: Http,
    /// Where a provider keeps what it learns between calls (Easemob's user tokens).
    pub stash: Arc<dyn Stash>,
}

/// The names of a configuration type's keys, as its `Deserialize` implementation declares them.
pub fn fields_of<T: DeserializeOwned>() -> &'static [&'static str] {
    #[derive(Debug)]
    struct Found(Option<&'static [&'static str]>);
    impl std::fmt::Display for Found {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("fields")
        }
    }
    impl std::error::Error for Found {}
    impl serde::de::Error for Found {
        fn custom<M: std::fmt::Display>(_: M) -> Self {
            Found(None)
        }
    }
    struct Probe;
    impl<'de> serde::Deserializer<'de> for Probe {
        type Error = Found;
        fn deserialize_any<V: serde::de::Visitor<'de>>(self, _: V) -> Result<V::Value, Found> {
            Err(Found(None))
        }
        fn deserialize_struct<V: serde::de::Visitor<'de>>(
            self,
            _: &'static str,
            fields: &'static [&'static str],
            _: V,
        ) -> Result<V::Value, Found> {
            Err(Found(Some(fields)))
        }
        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
            option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
            ignored_any
        }
    }
    match T::deserialize(Probe) {
        Err(Found(Some(fields))) => fields,
        _ => &[],
    }
}

/// No scopes of its own (the provider asks for none, or decides them elsewhere).
pub fn no_scopes() -> Vec<String> {
    Vec::new()
}
