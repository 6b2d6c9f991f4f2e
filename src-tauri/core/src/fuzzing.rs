//! Entry points for the fuzz targets in `fuzz/`: every parser of untrusted input, called exactly as the engine calls it.
//!
//! Each function takes arbitrary bytes and must never panic, hang or allocate without bound;
//! the results are discarded. Not part of the engine's API.

use std::sync::OnceLock;
use std::time::Duration;

use crate::config::{Config, KindConfig, ProviderConfig};
use crate::flow::Callback;
use crate::http::Http;
use crate::provider::easemob::{Call, Easemob, TokenAnswer};
use crate::provider::feishu_errors::Origin;
use crate::provider::oidc::{Endpoints, Oidc};
use crate::secret::Secret;

/// Splits fuzz input into an HTTP status, a Retry-After header value and a body.
fn http_parts(data: &[u8]) -> (u16, reqwest::header::HeaderMap, &[u8]) {
    let status = match data.first() {
        Some(b) => [200, 400, 401, 403, 404, 409, 413, 429, 500, 503][usize::from(*b) % 10],
        None => 200,
    };
    let mut headers = reqwest::header::HeaderMap::new();
    let (retry, body) = match data.get(1).map(|n| usize::from(*n) % 8) {
        Some(n) if data.len() > 2 + n => (&data[2..2 + n], &data[2 + n..]),
        _ => (&data[..0], data.get(2..).unwrap_or_default()),
    };
    if let Ok(v) = reqwest::header::HeaderValue::from_bytes(retry) {
        headers.insert(reqwest::header::RETRY_AFTER, v);
    }
    (status, headers, body)
}

fn provider_config(kind: &str) -> ProviderConfig {
    static CONFIGS: OnceLock<Config> = OnceLock::new();
    let all = CONFIGS.get_or_init(|| {
        Config::parse(
            "[[providers]]\nname = \"e\"\nkind = \"easemob\"\nclient_id = \"YXA6x\"\nbase_url = \"https://a1.easemob.com\"\norg_name = \"org\"\napp_name = \"app\"\n\
             [[providers]]\nname = \"o\"\nkind = \"oidc\"\nclient_id = \"client\"\nissuer = \"https://issuer.example.com\"\n",
            std::path::Path::new("fuzz.toml"),
        )
        .unwrap_or_default()
    });
    all.providers
        .iter()
        .find(|p| p.kind().as_str() == kind)
        .cloned()
        .unwrap_or_else(|| all.providers[0].clone())
}

fn http() -> Http {
    static HTTP: OnceLock<Option<Http>> = OnceLock::new();
    HTTP.get_or_init(|| Http::new(Duration::from_secs(1)).ok())
        .clone()
        .unwrap_or_else(|| panic!("fuzzing: no HTTP client"))
}

/// Deep links and loopback requests, as the OS and the browser deliver them.
pub fn callback(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let _ = Callback::from_deep_link(&text);
    let _ = Callback::from_deep_link(&format!("signet://oauth/callback/p?{text}"));
    let (path, query) = match text.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (text.as_ref(), None),
    };
    let _ = Callback::from_loopback(path, query);
    let _ = Callback::from_loopback("/callback/corp", Some(&text));
}

/// Feishu's token answers (sign-in and refresh), OpenAPI envelopes and user_info.
pub fn feishu(data: &[u8]) {
    let (status, headers, body) = http_parts(data);
    use crate::provider::feishu as f;
    let _ = f::parse_token("feishu", status, &headers, body, Origin::SignIn);
    let _ = f::parse_token("feishu", status, &headers, body, Origin::Refresh);
    let _ = f::parse_api::<serde_json::Value>("feishu", status, &headers, body);
    let _ = f::parse_user_info("feishu", status, &headers, body);
}

/// Google Chat answers and errors, for each action.
pub fn google(data: &[u8]) {
    let (status, headers, body) = http_parts(data);
    for action in ["list", "create_space", "send"] {
        let _ = crate::provider::google::parse_api::<serde_json::Value>(
            "google", status, &headers, body, action,
        );
    }
}

/// Easemob token answers and the documented error shapes.
pub fn easemob(data: &[u8]) {
    static PROVIDER: OnceLock<Easemob> = OnceLock::new();
    let p = PROVIDER.get_or_init(|| {
        let c = provider_config("easemob");
        let KindConfig::Easemob(keys) = c.keys else {
            panic!("fuzzing: no easemob entry")
        };
        Easemob::new(c.entry, keys, None, http())
    });
    let (status, headers, body) = http_parts(data);
    for call in [Call::UserToken, Call::AppToken, Call::Api] {
        let _ = p.error(status, &headers, body, call);
    }
    if let Ok(a) = serde_json::from_slice::<TokenAnswer>(body) {
        let _ = p.lifetime(a.expires_in.as_ref());
    }
}

/// AIHubMix userinfo → profile and balance.
pub fn aihubmix(data: &[u8]) {
    if let Ok(u) = serde_json::from_slice::<crate::provider::aihubmix::UserInfo>(data) {
        let _ = crate::provider::aihubmix::profile_of("aihubmix", u);
    }
}

/// OpenID Connect: ID tokens (as text), and standard OAuth token and error answers.
pub fn oidc(data: &[u8]) {
    static PROVIDER: OnceLock<(Oidc, Endpoints)> = OnceLock::new();
    let (p, e) = PROVIDER.get_or_init(|| {
        let url = |s: &str| {
            s.parse::<url::Url>()
                .unwrap_or_else(|_| panic!("fuzzing: {s}"))
        };
        let e = Endpoints {
            issuer: "https://issuer.example.com".into(),
            alt_issuers: Vec::new(),
            authorize: url("https://issuer.example.com/authorize"),
            token: url("https://issuer.example.com/token"),
            userinfo: None,
            revoke: None,
            scopes_supported: Vec::new(),
            iss_in_callback: false,
            token_auth_methods: Vec::new(),
        };
        let c = provider_config("oidc");
        let KindConfig::Oidc(keys) = c.keys else {
            panic!("fuzzing: no oidc entry")
        };
        (
            Oidc::with_endpoints(c.entry, keys, None, http(), e.clone()),
            e,
        )
    });
    let text = String::from_utf8_lossy(data);
    let _ = p.id_claims(e, &Secret::new(text.as_ref()), None);
    let _ = p.id_claims(e, &Secret::new(text.as_ref()), Some(&Secret::new("n")));
    let _ = crate::provider::oauth::parse_token_response(data);
}
