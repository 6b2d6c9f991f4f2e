//! The one trait every dialect implements: its rules, its URLs, seeding, and serving a request.

use std::future::Future;
use std::pin::Pin;

use crate::http::{Outcome, Req};
use crate::rules::Rules;
use crate::state::Shared;
use crate::types::{MintedTokens, ServerConfig, User};

/// The future [`Protocol::route`] returns.
pub(crate) type Routed<'a> = Pin<Box<dyn Future<Output = Outcome> + Send + 'a>>;

/// Where a dialect serves each part of its protocol on one server.
#[derive(Clone, Debug)]
pub(crate) struct Endpoints {
    /// `http://127.0.0.1:PORT`, no trailing slash.
    pub base_url: String,
    /// The `iss` of its id_tokens (the base URL unless the dialect names its own).
    pub issuer: String,
    pub authorization: String,
    pub token: String,
    pub token_v3: Option<String>,
    pub userinfo: String,
    pub revocation: Option<String>,
    pub discovery: Option<String>,
    pub topup: Option<String>,
}

impl Endpoints {
    /// Every URL on `base_url` at the given paths; issuer = base URL; no optional endpoint.
    pub fn at(base_url: &str, authorization: &str, token: &str, userinfo: &str) -> Endpoints {
        Endpoints {
            base_url: base_url.to_owned(),
            issuer: base_url.to_owned(),
            authorization: format!("{base_url}{authorization}"),
            token: format!("{base_url}{token}"),
            token_v3: None,
            userinfo: format!("{base_url}{userinfo}"),
            revocation: None,
            discovery: None,
            topup: None,
        }
    }

    /// `base_url` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }
}

/// A provider's protocol as the testkit serves it. Each dialect module implements it once;
/// the registry (`dialects`) maps a [`crate::Dialect`] to its implementation, and nothing
/// else in the server asks which dialect it serves.
pub(crate) trait Protocol: Sync {
    /// The `kind` Signet's configuration names this protocol with.
    fn kind(&self) -> &'static str;

    /// The brand shown to people (`"lark"` for Feishu under the Lark brand).
    fn brand(&self, _config: &ServerConfig) -> &'static str {
        self.kind()
    }

    /// Token formats, code lifetime and grant policy for the shared state.
    fn rules(&self) -> Rules;

    /// Who signs in until a test says otherwise.
    fn default_user(&self) -> User;

    /// The scope the provider's client normally asks for.
    fn default_scope(&self) -> &'static str;

    /// Every URL of the protocol on a server at `base_url`.
    fn endpoints(&self, base_url: &str, config: &ServerConfig) -> Endpoints;

    /// The provider-entry keys that point Signet at this server (besides name, kind, client_id).
    fn provider_keys(&self, at: &Endpoints, config: &ServerConfig) -> Vec<(&'static str, String)>;

    /// Whether people sign in through a browser (authorize and codes); Easemob has no such flow.
    fn signs_in_with_browser(&self) -> bool {
        true
    }

    /// Panics when `user` cannot sign in with this protocol (AIHubMix: `sub` must be numeric).
    fn check_user(&self, _user: &User) {}

    /// Live tokens for `user` without the authorize flow.
    fn mint(&self, shared: &Shared, user: &User) -> MintedTokens {
        shared.mint(user, self.default_scope())
    }

    /// One line telling a person how to point Signet at this server by hand.
    fn how_to_try(&self, at: &Endpoints) -> String {
        let _ = at;
        "In Signet's config file: the endpoint keys of docs/configuration.md pointed at the URLs above.".to_owned()
    }

    /// Answers one request.
    fn route<'a>(&'a self, shared: &'a Shared, req: &'a Req) -> Routed<'a>;
}
