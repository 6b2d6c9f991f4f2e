//! Example: a plain OAuth 2.0 provider written as docs/adding-a-provider.md describes — this file plus its line in the registry (`kinds!` in `provider/mod.rs`) — for the tests that prove a new provider needs nothing else.
//!
//! Compiled into debug builds and tests only, and listed only while `SIGNET_TEST_KINDS=1`
//! (`ProviderSpec::test_only`): a person never sees it.

use std::sync::Arc;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use url::Url;

use super::oauth::OAuthEndpoints;
use super::oauth::TokenAuth;
use super::spec::{
    Capabilities, Entry, KeySpec, KindKeys, Parts, ProviderKind, ProviderSpec, RedirectMode,
    SecretNeed, SignInStyle,
};
use super::{get_json, AuthRequest, Grant, Profile, ProfileCtx, Provider, ProviderError};
use crate::error::Result;
use crate::http::Http;
use crate::secret::Secret;

/// The example, as it declares itself: three endpoints, a secret, a browser sign-in.
pub static SPEC: ProviderSpec = ProviderSpec {
    kind: ProviderKind::new("example"),
    label: "Example OAuth",
    sign_in: SignInStyle::Browser,
    pkce: true,
    nonce: false,
    redirect: RedirectMode::Loopback,
    fixed_port: None,
    no_deep_link: None,
    secret: SecretNeed::Required,
    client_id_required: true,
    default_base_url: None,
    default_scopes: super::spec::no_scopes,
    required: &[
        KeySpec::required("authorize_url", "the provider's authorization endpoint"),
        KeySpec::required("token_url", "the provider's token endpoint"),
        KeySpec::required("userinfo_url", "where the provider says who signed in"),
    ],
    capabilities: Capabilities::NONE,
    test_only: true,
};

/// The example's own keys: its three endpoints, each required.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Keys {
    pub authorize_url: String,
    pub token_url: String,
    pub userinfo_url: String,
}

impl KindKeys for Keys {
    const SPEC: &'static ProviderSpec = &SPEC;
    fn build(self, p: Parts) -> Arc<dyn Provider> {
        Arc::new(Example {
            entry: p.entry,
            keys: self,
            client_secret: p.client_secret,
            http: p.http,
        })
    }
}

pub struct Example {
    entry: Entry,
    keys: Keys,
    client_secret: Option<Secret>,
    http: Http,
}

/// The userinfo answer: `sub`, and a name and e-mail when there are.
#[derive(Debug, Deserialize)]
struct UserInfo {
    sub: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    email: Option<String>,
}

impl Example {
    fn url(&self, value: &str, what: &str) -> Result<Url> {
        super::parse_url(value, what, &self.entry.name)
    }

    fn endpoints(&self) -> Result<OAuthEndpoints> {
        Ok(OAuthEndpoints {
            provider: self.entry.name.clone(),
            authorize: self.url(&self.keys.authorize_url, "authorize_url")?,
            token: self.url(&self.keys.token_url, "token_url")?,
            client_id: self.entry.client_id.clone(),
            client_secret: self.client_secret.clone(),
            auth: TokenAuth::Post,
        })
    }
}

fn setup(e: crate::Error) -> ProviderError {
    ProviderError::new(super::FailureClass::Setup, "config", e.message)
}

#[async_trait]
impl Provider for Example {
    fn name(&self) -> &str {
        &self.entry.name
    }
    fn spec(&self) -> &'static ProviderSpec {
        &SPEC
    }
    fn entry(&self) -> &Entry {
        &self.entry
    }

    async fn authorize_url(&self, r: &AuthRequest) -> Result<Url> {
        let scopes = self.entry.scopes.clone().unwrap_or_default();
        self.endpoints()?
            .authorize_url(
                &r.state,
                &r.redirect_uri,
                &scopes,
                r.pkce_verifier.as_ref(),
                &[],
            )
            .map_err(|e| e.to_error())
    }

    async fn exchange_code(&self, code: &Secret, r: &AuthRequest) -> Result<Grant, ProviderError> {
        self.endpoints()
            .map_err(setup)?
            .exchange_code(&self.http, code, &r.redirect_uri, r.pkce_verifier.as_ref())
            .await
    }

    async fn refresh(&self, refresh_token: &Secret) -> Result<Grant, ProviderError> {
        self.endpoints()
            .map_err(setup)?
            .refresh(&self.http, refresh_token)
            .await
    }

    async fn profile(&self, access: &Secret, _: ProfileCtx<'_>) -> Result<Profile, ProviderError> {
        let url = self
            .url(&self.keys.userinfo_url, "userinfo_url")
            .map_err(setup)?;
        let u: UserInfo = get_json(&self.http, &self.entry.name, &url, access).await?;
        Ok(Profile {
            display_name: u.name.clone().unwrap_or_else(|| u.sub.clone()),
            subject: u.sub,
            email: u.email,
            avatar_url: None,
            extra: serde_json::json!({}),
            balance: None,
        })
    }
}
