//! AIHubMix: OAuth 2.0 with one-click authorization, profile with balance, and the top-up page (seed 001).

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use url::Url;

use super::oauth::OAuthEndpoints;
use super::spec::{
    Capabilities, Entry, KindKeys, Parts, ProviderKind, ProviderSpec, RedirectMode, SecretNeed,
    SignInStyle,
};
use super::{get_json, AuthRequest, Balance, Grant, Profile, ProfileCtx, Provider, ProviderError};
use crate::error::Result;
use crate::http::Http;
use crate::secret::Secret;

pub const DEFAULT_BASE: &str = "https://aihubmix.com";
/// The document: "刷新令牌:30天有效期".
pub const REFRESH_LIFETIME: Duration = Duration::from_secs(30 * 24 * 3600);
/// `quota / 500000` = US dollars (AIHubMix's account API documentation).
pub const QUOTA_PER_UNIT: f64 = 500_000.0;

/// AIHubMix, as it declares itself (seed 001).
pub static SPEC: ProviderSpec = ProviderSpec {
    kind: ProviderKind::new("aihubmix"),
    label: "AIHubMix",
    sign_in: SignInStyle::Browser,
    // The document (seed 001) names no PKCE parameters, and Signet sends only what it names.
    pkce: false,
    nonce: false,
    redirect: RedirectMode::DeepLink,
    fixed_port: None,
    no_deep_link: None,
    secret: SecretNeed::Required,
    client_id_required: true,
    default_base_url: Some(DEFAULT_BASE),
    default_scopes,
    required: &[],
    test_only: false,
    capabilities: Capabilities {
        balance: true,
        top_up: true,
        ..Capabilities::NONE
    },
};

/// `profile balance`.
fn default_scopes() -> Vec<String> {
    vec!["profile".into(), "balance".into()]
}

/// An AIHubMix entry's own keys: every one optional.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Keys {
    /// Base URL of the OAuth endpoints (default `https://aihubmix.com`).
    #[serde(default)]
    pub base_url: Option<String>,
    /// Endpoint overrides, for hosts that differ from the documented paths.
    #[serde(default)]
    pub authorize_url: Option<String>,
    #[serde(default)]
    pub token_url: Option<String>,
    #[serde(default)]
    pub userinfo_url: Option<String>,
    #[serde(default)]
    pub topup_url: Option<String>,
}

impl KindKeys for Keys {
    const SPEC: &'static ProviderSpec = &SPEC;
    fn build(self, p: Parts) -> Arc<dyn Provider> {
        Arc::new(AiHubMix::new(p.entry, self, p.client_secret, p.http))
    }
}

pub struct AiHubMix {
    entry: Entry,
    keys: Keys,
    client_secret: Option<Secret>,
    http: Http,
}

/// `GET /api/oauth2/userinfo`, exactly the document's fields.
#[derive(Debug, Deserialize)]
pub(crate) struct UserInfo {
    id: serde_json::Value,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    quota: Option<i64>,
    #[serde(default)]
    used_quota: Option<i64>,
    #[serde(default)]
    balance_formatted: Option<String>,
    #[serde(default)]
    created_time: Option<i64>,
    #[serde(default)]
    status: Option<i64>,
}

#[derive(Debug, Deserialize)]
struct Topup {
    topup_url: String,
}

impl AiHubMix {
    pub fn new(entry: Entry, keys: Keys, client_secret: Option<Secret>, http: Http) -> Self {
        AiHubMix {
            entry,
            keys,
            client_secret,
            http,
        }
    }

    fn endpoint(&self, explicit: &Option<String>, path: &str) -> Result<Url> {
        let value = match explicit {
            Some(v) => v.clone(),
            None => format!(
                "{}{path}",
                self.keys
                    .base_url
                    .as_deref()
                    .unwrap_or(DEFAULT_BASE)
                    .trim_end_matches('/')
            ),
        };
        super::parse_url(&value, path, &self.entry.name)
    }

    fn endpoints(&self) -> Result<OAuthEndpoints> {
        Ok(OAuthEndpoints {
            provider: self.entry.name.clone(),
            authorize: self.endpoint(&self.keys.authorize_url, "/api/oauth2/authorize")?,
            token: self.endpoint(&self.keys.token_url, "/api/oauth2/token")?,
            client_id: self.entry.client_id.clone(),
            client_secret: self.client_secret.clone(),
            auth: super::oauth::TokenAuth::Post,
        })
    }

    fn scopes(&self) -> Vec<String> {
        self.entry.scopes.clone().unwrap_or_else(default_scopes)
    }
}

/// What an AIHubMix account's profile shows beyond name and e-mail (the window labels each field).
#[derive(Debug, serde::Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct AihubmixProfile {
    pub username: Option<String>,
    /// one-api's user status: 1 enabled, 2 disabled.
    pub status: Option<i64>,
    /// Unix seconds.
    pub created_time: Option<i64>,
}

/// The userinfo answer → the profile and balance Signet shows. Pure, and fuzzed.
pub(crate) fn profile_of(name: &str, u: UserInfo) -> Result<Profile, ProviderError> {
    let subject = match &u.id {
        serde_json::Value::Number(n) => n.to_string(),
        serde_json::Value::String(s) if !s.is_empty() => s.clone(),
        _ => {
            return Err(ProviderError::new(
                super::FailureClass::Transient,
                "unreadable_answer",
                format!("{} sent a profile without a user id.", name),
            ))
        }
    };
    let formatted = u
        .balance_formatted
        .clone()
        .or_else(|| u.quota.map(|q| format!("{:.2}", q as f64 / QUOTA_PER_UNIT)));
    Ok(Profile {
        display_name: u
            .username
            .clone()
            .or_else(|| u.email.clone())
            .unwrap_or_else(|| subject.clone()),
        subject,
        email: u.email.clone(),
        avatar_url: None,
        extra: super::profile_json(&AihubmixProfile {
            username: u.username.clone(),
            status: u.status,
            created_time: u.created_time,
        }),
        balance: Some(Balance {
            formatted,
            quota: u.quota,
            used_quota: u.used_quota,
        }),
    })
}

fn setup(e: crate::Error) -> ProviderError {
    ProviderError::new(super::FailureClass::Setup, "config", e.message)
}

#[async_trait]
impl Provider for AiHubMix {
    fn name(&self) -> &str {
        &self.entry.name
    }
    fn spec(&self) -> &'static ProviderSpec {
        &SPEC
    }
    fn entry(&self) -> &Entry {
        &self.entry
    }
    fn default_refresh_lifetime(&self) -> Option<Duration> {
        Some(REFRESH_LIFETIME)
    }

    async fn authorize_url(&self, r: &AuthRequest) -> Result<Url> {
        self.endpoints()?
            .authorize_url(
                &r.state,
                &r.redirect_uri,
                &self.scopes(),
                None,
                &[("auto_authorize", "true")],
            )
            .map_err(|e| e.to_error())
    }

    async fn exchange_code(&self, code: &Secret, r: &AuthRequest) -> Result<Grant, ProviderError> {
        self.endpoints()
            .map_err(setup)?
            .exchange_code(&self.http, code, &r.redirect_uri, None)
            .await
    }

    async fn refresh(&self, refresh_token: &Secret) -> Result<Grant, ProviderError> {
        self.endpoints()
            .map_err(setup)?
            .refresh(&self.http, refresh_token)
            .await
    }

    async fn profile(
        &self,
        access: &Secret,
        _ctx: ProfileCtx<'_>,
    ) -> Result<Profile, ProviderError> {
        let url = self
            .endpoint(&self.keys.userinfo_url, "/api/oauth2/userinfo")
            .map_err(setup)?;
        let u: UserInfo = get_json(&self.http, &self.entry.name, &url, access).await?;
        profile_of(&self.entry.name, u)
    }

    async fn topup_url(&self, access: &Secret) -> Result<Option<Url>, ProviderError> {
        let url = self
            .endpoint(&self.keys.topup_url, "/api/oauth2/topup")
            .map_err(setup)?;
        let t: Topup = get_json(&self.http, &self.entry.name, &url, access).await?;
        let parsed = crate::endpoint::check_endpoint(&t.topup_url).map_err(|why| {
            ProviderError::new(
                super::FailureClass::Transient,
                "bad_topup_url",
                format!(
                    "{} sent a top-up link Signet will not open: {why}",
                    self.entry.name
                ),
            )
        })?;
        Ok(Some(parsed))
    }
}
