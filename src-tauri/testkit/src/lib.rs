//! Fake OAuth providers on 127.0.0.1 that speak each documented protocol exactly, for tests.
//!
//! Dialects: generic [`Dialect::Oidc`], [`Dialect::AiHubMix`], [`Dialect::Google`] (installed-app
//! OAuth, userinfo, revocation, Chat), [`Dialect::Feishu`] (also as Lark: token v2/v3,
//! user_info, IM) and [`Dialect::Easemob`] (app/user tokens, users, messages). Every path of a
//! dialect is served on the one base URL `http://127.0.0.1:PORT`.
//!
//! Each dialect implements one trait (`protocol::Protocol`: its rules, URLs, seeding and
//! routing); `dialects.rs` maps a [`Dialect`] to its implementation, and the server's core
//! (accept loop, state, faults) never asks which dialect it serves. Google is built on the
//! OpenID Connect site of `oidc/site.rs`, as Google builds on OpenID Connect.
//!
//! [`OAuthServer::start`] binds `127.0.0.1:0` and serves one [`Dialect`] until dropped. Every
//! request is recorded ([`OAuthServer::requests`]) and checked field by field; a request that
//! breaks the protocol gets the provider's error *and* a line in [`OAuthServer::violations`],
//! which the engine's tests assert is empty. Token-endpoint faults are queued with
//! [`OAuthServer::push_fault`]; responses can be held back with [`OAuthServer::hold_token_responses`].
//!
//! ```no_run
//! # async fn demo() {
//! use signet_testkit::{OAuthServer, ServerConfig};
//! let server = OAuthServer::start(ServerConfig::oidc()).await;
//! // … point the engine at server.issuer() / server.client_id() / server.client_secret(),
//! // and when it opens the browser at `url`:
//! # let url = String::new();
//! let callback = server.authorize(&url).await.expect("authorize");
//! // … deliver `callback` to the engine's redirect listener, then:
//! server.assert_no_violations();
//! # }
//! ```

mod aihubmix;
mod dialects;
mod easemob;
mod faults;
mod feishu;
pub mod files;
mod google;
mod helpers;
mod http;
mod oidc;
mod protocol;
mod provider_toml;
mod rules;
mod server;
pub mod session_bus;
mod state;
mod store;
mod tokens;
mod types;

use std::sync::Arc;

use tokio::sync::watch;

use crate::protocol::{Endpoints, Protocol};
use crate::state::{Balance, Shared};

pub use crate::provider_toml::{ProviderToml, TomlValue};
pub use crate::tokens::{decode_jwt_claims, pkce_pair, pkce_s256, verify_jwt_hs256};
pub use crate::types::{
    ClientAuth, Dialect, Fault, MintedTokens, RecordedRequest, SentMessage, ServerConfig,
    TokenState, User, FEISHU_DEFAULT_SCOPES,
};

/// A running fake provider. Cheap to clone; the server stops when the last clone is dropped.
#[derive(Clone)]
pub struct OAuthServer {
    shared: Arc<Shared>,
    protocol: &'static dyn Protocol,
    endpoints: Arc<Endpoints>,
    _lifetime: Arc<Lifetime>,
}

/// Stops the server thread on drop: dropping the shutdown sender ends the accept loop and
/// every open connection, then the thread's runtime is torn down and joined.
struct Lifetime {
    shutdown: Option<watch::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Lifetime {
    fn drop(&mut self) {
        drop(self.shutdown.take());
        if let Some(thread) = self.thread.take() {
            // Quick: the runtime only has to cancel its tasks. Joining makes "dropped" mean
            // "port closed" for the caller.
            let _ = thread.join();
        }
    }
}

/// Holds refresh-token responses back while alive, see [`OAuthServer::hold_refresh_responses`].
#[must_use = "refresh responses are released as soon as the hold is dropped"]
pub struct RefreshHold {
    shared: Arc<Shared>,
}

impl RefreshHold {
    /// Lets the held refresh requests (and later ones) proceed.
    pub fn release(self) {}
}

impl Drop for RefreshHold {
    fn drop(&mut self) {
        self.shared.add_refresh_hold(false);
    }
}

/// Holds token responses back while alive, see [`OAuthServer::hold_token_responses`].
#[must_use = "token responses are released as soon as the Hold is dropped"]
pub struct Hold {
    shared: Arc<Shared>,
}

impl Hold {
    /// Lets the held token requests (and later ones) proceed.
    pub fn release(self) {}
}

impl Drop for Hold {
    fn drop(&mut self) {
        self.shared.remove_hold();
    }
}

impl OAuthServer {
    /// Binds `127.0.0.1:0` and serves `config.dialect` until the server is dropped.
    ///
    /// The server runs on its own thread with its own single-threaded Tokio runtime, so a
    /// test may block (e.g. `std::process::Command::output()` running the CLI) without
    /// starving it, and a paused test clock does not affect [`Fault::Delay`].
    pub async fn start(config: ServerConfig) -> OAuthServer {
        let listener =
            std::net::TcpListener::bind("127.0.0.1:0").expect("testkit: bind 127.0.0.1:0");
        listener
            .set_nonblocking(true)
            .expect("testkit: make the listener non-blocking");
        let addr = listener
            .local_addr()
            .expect("testkit: local address of a bound listener");
        let protocol = config.dialect.protocol();
        let base_url = format!("http://{addr}");
        let endpoints = Arc::new(protocol.endpoints(&base_url, &config));
        let (rules, user) = (protocol.rules(), protocol.default_user());
        let shared = Arc::new(Shared::new(config, base_url, rules, user));
        let (shutdown_tx, shutdown_rx) = watch::channel(());
        let thread_shared = shared.clone();
        let thread = std::thread::Builder::new()
            .name(format!("testkit-{}", addr.port()))
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("testkit: build the server runtime");
                runtime.block_on(async move {
                    let listener = tokio::net::TcpListener::from_std(listener)
                        .expect("testkit: register the listener with Tokio");
                    let mut stop = shutdown_rx.clone();
                    tokio::select! {
                        _ = server::serve(listener, thread_shared, protocol, shutdown_rx) => {}
                        _ = stop.changed() => {}
                    }
                });
                // Dropping `runtime` cancels every connection task and closes its socket.
            })
            .expect("testkit: spawn the server thread");
        OAuthServer {
            shared,
            protocol,
            endpoints,
            _lifetime: Arc::new(Lifetime {
                shutdown: Some(shutdown_tx),
                thread: Some(thread),
            }),
        }
    }

    pub fn config(&self) -> &ServerConfig {
        &self.shared.config
    }

    pub fn dialect(&self) -> Dialect {
        self.shared.config.dialect
    }

    /// `http://127.0.0.1:PORT`, no trailing slash.
    pub fn base_url(&self) -> String {
        self.shared.base_url.clone()
    }

    /// The OIDC issuer: `base_url` for Oidc (and simply the base URL for AiHubMix, Feishu
    /// and Easemob); Google `https://accounts.google.com`, the `iss` of its id_tokens.
    pub fn issuer(&self) -> String {
        self.endpoints.issuer.clone()
    }

    /// The base URL every API path of the dialect is served under (= `base_url`).
    pub fn api_base(&self) -> String {
        self.shared.base_url.clone()
    }

    pub fn client_id(&self) -> String {
        self.shared.config.client_id.clone()
    }

    pub fn client_secret(&self) -> String {
        self.shared.config.client_secret.clone()
    }

    /// Oidc `/authorize`; AiHubMix `/api/oauth2/authorize`; Google `/o/oauth2/v2/auth`;
    /// Feishu `/open-apis/authen/v1/authorize`. Easemob has no browser flow: its app's
    /// REST root `/{org}/{app}` (which [`OAuthServer::authorize`] refuses).
    pub fn authorization_endpoint(&self) -> String {
        self.endpoints.authorization.clone()
    }

    /// Oidc `/token`; AiHubMix `/api/oauth2/token`; Google `/token`; Feishu v2
    /// `/open-apis/authen/v2/oauth/token`; Easemob `/{org}/{app}/token`.
    pub fn token_endpoint(&self) -> String {
        self.endpoints.token.clone()
    }

    /// Feishu's v3 token endpoint `/oauth/v3/token`; `None` for the other dialects.
    pub fn token_endpoint_v3(&self) -> Option<String> {
        self.endpoints.token_v3.clone()
    }

    /// Oidc `/userinfo`; AiHubMix `/api/oauth2/userinfo`; Google `/v1/userinfo`; Feishu
    /// `/open-apis/authen/v1/user_info`; Easemob the users API `/{org}/{app}/users`
    /// (append `/{username}`).
    pub fn userinfo_endpoint(&self) -> String {
        self.endpoints.userinfo.clone()
    }

    /// Oidc and Google `/revoke`; Feishu `/oauth/v1/revoke`; AiHubMix and Easemob have no
    /// revocation API (`None`).
    pub fn revocation_endpoint(&self) -> Option<String> {
        self.endpoints.revocation.clone()
    }

    /// Oidc and Google `/.well-known/openid-configuration`; the others have none (`None`).
    pub fn discovery_url(&self) -> Option<String> {
        self.endpoints.discovery.clone()
    }

    /// AiHubMix `/api/oauth2/topup`; the others have none (`None`).
    pub fn topup_endpoint(&self) -> Option<String> {
        self.endpoints.topup.clone()
    }

    /// The scope the dialect's client normally asks for: Google sign-in plus the three Chat
    /// scopes; Feishu every default-enabled scope; Easemob has no scopes (`""`).
    pub fn default_scope(&self) -> &'static str {
        self.protocol.default_scope()
    }

    /// One line telling a person how to point Signet at this server by hand.
    pub fn how_to_try(&self) -> String {
        self.protocol.how_to_try(&self.endpoints)
    }

    /// Who signs in at the next authorize. For AiHubMix `sub` must be a numeric id.
    pub fn set_user(&self, user: User) {
        self.protocol.check_user(&user);
        self.shared.set_user(user);
    }

    pub fn user(&self) -> User {
        self.shared.user()
    }

    /// When true, authorize redirects with `error=access_denied&state=…`.
    pub fn set_deny(&self, deny: bool) {
        self.shared.set_deny(deny);
    }

    /// AiHubMix userinfo balance fields (default 1000000 / 250000 / "750.00").
    pub fn set_balance(&self, quota: i64, used_quota: i64, formatted: &str) {
        self.shared.set_balance(Balance {
            quota,
            used_quota,
            formatted: formatted.to_owned(),
        });
    }

    /// Acts as the browser and the user: GETs `authorize_url` without following redirects
    /// and returns the `Location` of the 302 (the callback URL, carrying `code`+`state`,
    /// Oidc also `iss`; or `error=…&state=…`). `Err` when the server answered with an error
    /// page instead of a redirect (bad client_id / redirect_uri, AiHubMix missing state) or
    /// when the URL does not point at this server's authorization endpoint.
    pub async fn authorize(&self, authorize_url: &str) -> Result<String, String> {
        if !self.protocol.signs_in_with_browser() {
            return Err(format!(
                "{} has no browser authorization flow",
                self.brand()
            ));
        }
        let expected = self.authorization_endpoint();
        let path_part = authorize_url.split(['?', '#']).next().unwrap_or_default();
        if path_part != expected {
            return Err(format!(
                "authorize URL {authorize_url:?} does not target {expected}"
            ));
        }
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .build()
            .map_err(|e| format!("building the browser client: {e}"))?;
        let resp = client
            .get(authorize_url)
            .send()
            .await
            .map_err(|e| format!("GET {authorize_url}: {e}"))?;
        let status = resp.status();
        if status.is_redirection() {
            return resp
                .headers()
                .get(reqwest::header::LOCATION)
                .and_then(|l| l.to_str().ok())
                .map(str::to_owned)
                .ok_or_else(|| format!("{status} without a Location header"));
        }
        let body = resp.text().await.unwrap_or_default();
        Err(format!("authorize answered {status}: {body}"))
    }

    /// Every request received, in order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.requests()
    }

    /// Requests whose path equals `path`.
    pub fn requests_to(&self, path: &str) -> Vec<RecordedRequest> {
        self.requests()
            .into_iter()
            .filter(|r| r.path == path)
            .collect()
    }

    /// Protocol violations seen so far (engine tests assert this is empty).
    pub fn violations(&self) -> Vec<String> {
        self.shared.violations()
    }

    /// Panics listing the violations, if any.
    #[track_caller]
    pub fn assert_no_violations(&self) {
        let v = self.violations();
        assert!(v.is_empty(), "protocol violations: {v:#?}");
    }

    /// POSTs to the token endpoint (all grants, including refused ones).
    pub fn token_requests(&self) -> usize {
        self.shared.token_requests()
    }

    /// Token POSTs with `grant_type=refresh_token`.
    pub fn refresh_requests(&self) -> usize {
        self.shared.refresh_requests()
    }

    /// Queues a fault; each token request takes the next one (FIFO).
    pub fn push_fault(&self, fault: Fault) {
        self.shared.push_fault(fault);
    }

    /// Queues a fault for the resource endpoints (userinfo, top-up), FIFO.
    /// There, [`Fault::InvalidGrant`] means a 401 invalid_token answer.
    pub fn push_api_fault(&self, fault: Fault) {
        self.shared.push_api_fault(fault);
    }

    /// Every access token, refresh token, code, id_token, Easemob app/user token and
    /// password (of 6 characters or more), and every client secret, for leak scans.
    pub fn issued_secrets(&self) -> Vec<String> {
        self.shared.issued_secrets()
    }

    /// Every refresh and access token becomes invalid (→ invalid_grant / 401).
    pub fn revoke_all(&self) {
        self.shared.revoke_all();
    }

    /// Every access token issued so far is expired (→ 401); refresh tokens stay live.
    pub fn expire_access_tokens(&self) {
        self.shared.expire_access_tokens();
    }

    /// The state of a token this server issued (`None` if unknown).
    pub fn token_state(&self, token: &str) -> Option<TokenState> {
        self.shared.token_state(token)
    }

    /// Issues a live access/refresh pair for `user` without the authorize flow (seeding),
    /// with [`OAuthServer::default_scope`]. Easemob: a user token for the username
    /// `user.sub` (created if missing, nickname `user.name`), `refresh_token` empty.
    pub fn mint_tokens(&self, user: &User) -> MintedTokens {
        self.protocol.mint(&self.shared, user)
    }

    /// While the returned [`Hold`] is alive, token requests are received and counted (and
    /// take their fault) but are not processed or answered. Drop it or call `release`.
    pub fn hold_token_responses(&self) -> Hold {
        self.shared.add_hold();
        Hold {
            shared: self.shared.clone(),
        }
    }

    /// Holds back the answers to refresh-token requests only (a sign-in's code exchange
    /// passes), until the returned guard is released or dropped.
    pub fn hold_refresh_responses(&self) -> RefreshHold {
        self.shared.add_refresh_hold(true);
        RefreshHold {
            shared: self.shared.clone(),
        }
    }

    /// Resolves once at least `n` token requests have been received.
    pub async fn wait_token_requests(&self, n: usize) {
        self.shared.wait_token_requests(n).await;
    }

    /// Tokens posted to the revocation endpoint, in order.
    pub fn revoked_tokens(&self) -> Vec<String> {
        self.shared.revoked_tokens()
    }
}
