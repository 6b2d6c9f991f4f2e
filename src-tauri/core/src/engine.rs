//! The engine: owns the store, vault, providers and sign-ins; adds, lists and removes accounts.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;
use tokio::sync::{broadcast, oneshot, Semaphore};
use url::Url;

use crate::clock::{Clock, Millis, SystemClock};
use crate::config::{Config, RedirectMode};
use crate::error::{Error, ErrorCode, Result};
use crate::flow::{self, Callback, Flows, PendingFlow};
use crate::http::Http;
use crate::provider::{self, AuthRequest, Provider};
use crate::secret::Secret;
use crate::store::{AccountRow, BalanceSample, ProfileFields, Status, Store};
use crate::vault::{Tokens, Vault};

/// Everything the engine needs from outside.
pub struct EngineOptions {
    pub config: Config,
    /// Folder for the database and lock files.
    pub data_dir: PathBuf,
    pub vault: Vault,
    pub clock: Arc<dyn Clock>,
    /// Time limit of one HTTP exchange with a provider.
    pub http_timeout: Duration,
}

impl EngineOptions {
    pub fn new(config: Config, data_dir: PathBuf, vault: Vault) -> Self {
        EngineOptions {
            config,
            data_dir,
            vault,
            clock: Arc::new(SystemClock),
            http_timeout: Duration::from_secs(30),
        }
    }
}

/// Where Signet keeps its database: `$SIGNET_DATA_DIR`, else the platform data dir.
pub fn default_data_dir() -> PathBuf {
    if let Some(p) = std::env::var_os("SIGNET_DATA_DIR") {
        return PathBuf::from(p);
    }
    let base = dirs::data_dir().unwrap_or_else(|| PathBuf::from("."));
    if cfg!(debug_assertions) {
        base.join("signet-debug")
    } else {
        base.join("signet")
    }
}

/// What the engine tells its listeners (the desktop shell forwards these to the UI).
/// Never carries a token or secret.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum EngineEvent {
    /// An account was added, changed or removed.
    #[serde(rename_all = "camelCase")]
    AccountChanged { account_id: i64 },
    #[serde(rename_all = "camelCase")]
    AccountRemoved { account_id: i64 },
    /// Something the person should be told outside the window (a notification).
    #[serde(rename_all = "camelCase")]
    Alert {
        account_id: i64,
        title: String,
        message: String,
    },
    #[serde(rename_all = "camelCase")]
    SignInFinished {
        provider: String,
        account_id: Option<i64>,
        error: Option<Error>,
    },
}

/// An account as the UI and the CLI show it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountView {
    pub id: i64,
    pub provider: String,
    pub provider_kind: String,
    pub display_name: String,
    pub email: Option<String>,
    pub avatar_url: Option<String>,
    pub status: Status,
    pub status_code: Option<String>,
    pub status_message: Option<String>,
    pub access_expires_at: Option<Millis>,
    pub refresh_expires_at: Option<Millis>,
    pub next_refresh_at: Option<Millis>,
    pub last_refresh_at: Option<Millis>,
    pub balance: Option<BalanceView>,
    pub profile: serde_json::Value,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BalanceView {
    pub formatted: String,
    pub quota: Option<i64>,
    pub used_quota: Option<i64>,
    pub sampled_at: Millis,
}

/// A sign-in that was started: open `authorize_url` in the system browser, then wait.
pub struct SignInStart {
    pub provider: String,
    pub authorize_url: Url,
    pub redirect_uri: String,
    pub expires_at: Millis,
    pub waiter: SignInWaiter,
}

/// Resolves when the sign-in finishes (callback handled), fails, or is replaced/cancelled.
pub struct SignInWaiter(oneshot::Receiver<Result<AccountView>>);

impl SignInWaiter {
    pub async fn wait(self) -> Result<AccountView> {
        self.0.await.unwrap_or_else(|_| {
            Err(Error::new(
                ErrorCode::SignInCancelled,
                "The sign-in was cancelled. Nothing was changed.",
            ))
        })
    }
}

pub(crate) struct Inner {
    pub(crate) config: Config,
    pub(crate) store: Store,
    pub(crate) vault: Vault,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) http: Http,
    pub(crate) data_dir: PathBuf,
    providers: Mutex<HashMap<String, Arc<dyn Provider>>>,
    flows: Flows,
    waiters: Mutex<HashMap<String, oneshot::Sender<Result<AccountView>>>>,
    pub(crate) account_locks: Mutex<HashMap<i64, Arc<tokio::sync::Mutex<()>>>>,
    pub(crate) permits: Semaphore,
    pub(crate) limiters: Mutex<HashMap<String, Arc<governor::DefaultDirectRateLimiter>>>,
    /// Tokens a provider issued that the keyring refused to store (held until it accepts them).
    pub(crate) unsaved: Mutex<HashMap<i64, Tokens>>,
    pub(crate) events: broadcast::Sender<EngineEvent>,
    pub(crate) wake: tokio::sync::Notify,
    /// Refreshes between "request sent" and "result stored"; quitting waits for this to reach 0.
    pub(crate) in_flight: tokio::sync::watch::Sender<usize>,
}

/// The engine. Cheap to clone; all clones share one state.
#[derive(Clone)]
pub struct Engine {
    pub(crate) inner: Arc<Inner>,
}

impl Engine {
    /// Opens the database (creating or migrating it) and prepares the engine. Touches no
    /// keyring entry and no network: those happen on demand.
    pub async fn open(opts: EngineOptions) -> Result<Engine> {
        let store = Store::open(&opts.data_dir.join("signet.sqlite3")).await?;
        let (events, _) = broadcast::channel(256);
        Ok(Engine {
            inner: Arc::new(Inner {
                permits: Semaphore::new(opts.config.refresh.max_concurrent),
                config: opts.config,
                store,
                vault: opts.vault,
                clock: opts.clock,
                http: Http::new(opts.http_timeout)?,
                data_dir: opts.data_dir,
                providers: Mutex::new(HashMap::new()),
                flows: Flows::default(),
                waiters: Mutex::new(HashMap::new()),
                account_locks: Mutex::new(HashMap::new()),
                limiters: Mutex::new(HashMap::new()),
                unsaved: Mutex::new(HashMap::new()),
                events,
                wake: tokio::sync::Notify::new(),
                in_flight: tokio::sync::watch::channel(0).0,
            }),
        })
    }

    pub fn config(&self) -> &Config {
        &self.inner.config
    }
    pub fn store(&self) -> &Store {
        &self.inner.store
    }
    pub fn vault(&self) -> &Vault {
        &self.inner.vault
    }
    pub fn now(&self) -> Millis {
        self.inner.clock.now_ms()
    }
    pub fn subscribe(&self) -> broadcast::Receiver<EngineEvent> {
        self.inner.events.subscribe()
    }
    pub(crate) fn emit(&self, e: EngineEvent) {
        let _ = self.inner.events.send(e);
    }

    /// Waits until no refresh is between "sent" and "stored" (at most `limit`), so quitting never
    /// drops a rotated refresh token on the floor. Returns whether everything was stored.
    pub async fn drain(&self, limit: Duration) -> bool {
        let mut rx = self.inner.in_flight.subscribe();
        let done = tokio::time::timeout(limit, rx.wait_for(|n| *n == 0)).await;
        matches!(done, Ok(Ok(_)))
    }

    /// The provider named `name`, built with its client secret (environment or keyring).
    pub async fn provider(&self, name: &str) -> Result<Arc<dyn Provider>> {
        if let Some(p) = self
            .inner
            .providers
            .lock()
            .ok()
            .and_then(|m| m.get(name).cloned())
        {
            return Ok(p);
        }
        let cfg = self.inner.config.provider(name).ok_or_else(|| {
            Error::not_found(format!(
                "No provider named \"{name}\" is configured in {}.",
                self.inner.config.path.display()
            ))
        })?;
        let secret = match &cfg.client_secret_env {
            Some(var) => std::env::var(var)
                .ok()
                .filter(|s| !s.is_empty())
                .map(Secret::new),
            None => self.inner.vault.get_client_secret(name).await?,
        };
        let have_secret = secret.is_some();
        let p = provider::build(cfg, secret, self.inner.http.clone());
        if have_secret {
            if let Ok(mut m) = self.inner.providers.lock() {
                m.insert(name.to_owned(), p.clone());
            }
        }
        Ok(p)
    }

    /// Stores a provider's client secret in the keyring.
    pub async fn set_client_secret(&self, provider: &str, secret: &Secret) -> Result<()> {
        if self.inner.config.provider(provider).is_none() {
            return Err(Error::not_found(format!(
                "No provider named \"{provider}\" is configured."
            )));
        }
        self.inner.vault.put_client_secret(provider, secret).await?;
        if let Ok(mut m) = self.inner.providers.lock() {
            m.remove(provider);
        }
        Ok(())
    }

    pub async fn list(&self) -> Result<Vec<AccountView>> {
        let rows = self.inner.store.list().await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            out.push(self.view(r).await?);
        }
        Ok(out)
    }

    pub async fn account(&self, id: i64) -> Result<AccountView> {
        let row = self.inner.store.require(id).await?;
        self.view(row).await
    }

    async fn view(&self, r: AccountRow) -> Result<AccountView> {
        let balance = self
            .inner
            .store
            .latest_balance(r.id)
            .await?
            .map(|b| BalanceView {
                formatted: b.formatted.unwrap_or_default(),
                quota: b.quota,
                used_quota: b.used_quota,
                sampled_at: b.sampled_at,
            });
        Ok(AccountView {
            id: r.id,
            status: r.status(),
            provider: r.provider,
            provider_kind: r.provider_kind,
            display_name: r.display_name,
            email: r.email,
            avatar_url: r.avatar_url,
            status_code: r.status_code,
            status_message: r.status_message,
            access_expires_at: r.access_expires_at,
            refresh_expires_at: r.refresh_expires_at,
            next_refresh_at: r.next_refresh_at,
            last_refresh_at: r.last_refresh_at,
            balance,
            profile: serde_json::from_str(&r.profile_json).unwrap_or(serde_json::Value::Null),
        })
    }

    /// Finds an account by id, e-mail, display name or `provider:subject` (for the CLI).
    pub async fn resolve(&self, key: &str) -> Result<AccountRow> {
        let rows = self.inner.store.list().await?;
        if let Ok(id) = key.parse::<i64>() {
            if let Some(r) = rows.iter().find(|r| r.id == id) {
                return Ok(r.clone());
            }
        }
        let hits: Vec<&AccountRow> = rows
            .iter()
            .filter(|r| {
                r.email.as_deref() == Some(key)
                    || r.display_name == key
                    || format!("{}:{}", r.provider, r.subject) == key
            })
            .collect();
        match hits.as_slice() {
            [one] => Ok((*one).clone()),
            [] => Err(Error::not_found(format!(
                "No account matches \"{key}\". `signetctl list` shows them."
            ))),
            _ => Err(Error::not_found(format!(
                "\"{key}\" matches {} accounts; use the id from `signetctl list`.",
                hits.len()
            ))),
        }
    }

    /// Starts adding an account (or signing in again to `reauth`): prepares the pending flow,
    /// opens the loopback listener where the provider redirects there, and returns the URL to
    /// open in the system browser. A previous sign-in to the same provider is replaced.
    pub async fn begin_sign_in(&self, provider: &str, reauth: Option<i64>) -> Result<SignInStart> {
        let p = self.provider(provider).await?;
        if let Some(id) = reauth {
            let row = self.inner.store.require(id).await?;
            if row.provider != provider {
                return Err(Error::config(format!(
                    "Account {id} belongs to {}, not {provider}.",
                    row.provider
                )));
            }
        }
        let cfg = p.config().clone();
        let (redirect_uri, listener) = match cfg.redirect_mode() {
            RedirectMode::DeepLink => (
                format!("{}://oauth/callback/{provider}", flow::SCHEME),
                None,
            ),
            RedirectMode::Loopback => {
                let l = crate::loopback::bind(cfg.redirect_port.unwrap_or(0)).await?;
                let port = l
                    .local_addr()
                    .map_err(|e| Error::internal(e.to_string()))?
                    .port();
                (
                    format!("http://127.0.0.1:{port}/callback/{provider}"),
                    Some(l),
                )
            }
        };
        let request = AuthRequest {
            state: flow::random_token(),
            redirect_uri: redirect_uri.clone(),
            pkce_verifier: p.uses_pkce().then(flow::random_token),
            nonce: p.uses_nonce().then(flow::random_token),
        };
        let expected_issuer = p.expected_issuer().await?;
        let authorize_url = p.authorize_url(&request).await?;
        let expires_at = self.now() + flow::FLOW_LIFETIME_MS;
        self.inner.flows.cancel(provider);
        self.inner.flows.insert(PendingFlow {
            state: request.state,
            provider: provider.to_owned(),
            redirect_uri: redirect_uri.clone(),
            pkce_verifier: request.pkce_verifier,
            nonce: request.nonce,
            expected_issuer,
            reauth_account: reauth,
            expires_at,
        });
        let (tx, rx) = oneshot::channel();
        if let Ok(mut w) = self.inner.waiters.lock() {
            w.insert(provider.to_owned(), tx);
        }
        if let Some(l) = listener {
            crate::loopback::serve(
                l,
                self.clone(),
                Duration::from_millis(flow::FLOW_LIFETIME_MS as u64),
            );
        }
        tracing::info!(provider, mode = ?cfg.redirect_mode(), "sign-in started");
        Ok(SignInStart {
            provider: provider.to_owned(),
            authorize_url,
            redirect_uri,
            expires_at,
            waiter: SignInWaiter(rx),
        })
    }

    /// Cancels the sign-in in progress for `provider`.
    pub fn cancel_sign_in(&self, provider: &str) -> bool {
        if let Ok(mut w) = self.inner.waiters.lock() {
            w.remove(provider);
        }
        self.inner.flows.cancel(provider)
    }

    /// Handles a deep link handed in by the OS (`signet://oauth/callback/<provider>?…`).
    pub async fn handle_deep_link(&self, link: &str) -> Result<AccountView> {
        let cb = Callback::from_deep_link(link).inspect_err(|e| {
            tracing::warn!(code = e.code.as_str(), "deep link refused");
        })?;
        self.complete_sign_in(cb).await
    }

    /// Validates a callback, exchanges the code, fetches the profile and stores the account.
    /// A callback that matches no sign-in in progress is refused and changes nothing.
    pub async fn complete_sign_in(&self, cb: Callback) -> Result<AccountView> {
        let provider = cb.provider.clone();
        let (flow, code) = match self.inner.flows.take(&cb, self.now()) {
            Ok(v) => v,
            Err(e) => {
                tracing::warn!(provider, code = e.code.as_str(), "sign-in callback refused");
                let _ = self
                    .log(
                        None,
                        None,
                        "sign_in",
                        "refused",
                        Some(e.code.as_str()),
                        Some(&e.message),
                    )
                    .await;
                if matches!(
                    e.code,
                    ErrorCode::SignInExpired | ErrorCode::SignInCancelled | ErrorCode::SetupProblem
                ) {
                    self.finish_waiter(&provider, Err(e.clone()));
                }
                return Err(e);
            }
        };
        let result = self.finish_sign_in(&flow, &code).await;
        match &result {
            Ok(v) => {
                let _ = self
                    .log(
                        Some(v.id),
                        Some(&format!("{} ({})", v.display_name, v.provider)),
                        "sign_in",
                        "ok",
                        None,
                        None,
                    )
                    .await;
            }
            Err(e) => {
                tracing::warn!(provider, code = e.code.as_str(), "sign-in failed");
                let _ = self
                    .log(
                        flow.reauth_account,
                        None,
                        "sign_in",
                        "failed",
                        Some(e.code.as_str()),
                        Some(&e.message),
                    )
                    .await;
            }
        }
        self.finish_waiter(&provider, result.clone());
        result
    }

    fn finish_waiter(&self, provider: &str, result: Result<AccountView>) {
        self.emit(EngineEvent::SignInFinished {
            provider: provider.to_owned(),
            account_id: result.as_ref().ok().map(|v| v.id),
            error: result.as_ref().err().cloned(),
        });
        if let Some(tx) = self
            .inner
            .waiters
            .lock()
            .ok()
            .and_then(|mut w| w.remove(provider))
        {
            let _ = tx.send(result);
        }
    }

    async fn finish_sign_in(&self, flow: &PendingFlow, code: &Secret) -> Result<AccountView> {
        let p = self.provider(&flow.provider).await?;
        let request = AuthRequest {
            state: flow.state.clone(),
            redirect_uri: flow.redirect_uri.clone(),
            pkce_verifier: flow.pkce_verifier.clone(),
            nonce: flow.nonce.clone(),
        };
        let grant = p
            .exchange_code(code, &request)
            .await
            .map_err(|e| e.to_error())?;
        let profile = p
            .profile(&grant.access, grant.id_token.as_ref(), flow.nonce.as_ref())
            .await
            .map_err(|e| e.to_error())?;
        if let Some(id) = flow.reauth_account {
            let row = self.inner.store.require(id).await?;
            if row.subject != profile.subject {
                let who = profile
                    .email
                    .clone()
                    .unwrap_or_else(|| profile.display_name.clone());
                return Err(Error::new(
                    ErrorCode::SubjectMismatch,
                    format!("You signed in as {who}, but this account is {}. Nothing was changed; sign in again as {}.", row.label(), row.email.clone().unwrap_or(row.display_name.clone())),
                ));
            }
        }
        let now = self.now();
        let fields = ProfileFields {
            display_name: profile.display_name.clone(),
            email: profile.email.clone(),
            avatar_url: profile.avatar_url.clone(),
            profile_json: profile.extra.to_string(),
        };
        let existing = self
            .inner
            .store
            .find_subject(&flow.provider, &profile.subject)
            .await?;
        let (id, created) = self
            .inner
            .store
            .upsert_account(
                &flow.provider,
                p.kind().as_str(),
                &profile.subject,
                &fields,
                grant.scope.as_deref(),
                now,
            )
            .await?;
        let old_gen = existing.as_ref().map(|r| r.token_gen);
        let new_gen = old_gen.map_or(0, |g| g + 1);
        let tokens =
            crate::refresh::tokens_from_grant(&grant, None, p.default_refresh_lifetime(), now);
        if let Err(e) = self.inner.vault.put_tokens(id, new_gen, &tokens).await {
            // Fail closed: without the keyring there is no account.
            if created {
                self.inner.store.delete(id).await?;
            }
            return Err(e);
        }
        let timing = crate::refresh::timing(&tokens, new_gen, now, id);
        self.inner.store.record_tokens(id, &timing, now).await?;
        if let Some(g) = old_gen {
            let _ = self.inner.vault.delete_tokens(id, g).await;
            let _ = self.inner.vault.delete_tokens(id, g + 1).await.ok();
        }
        if let Some(b) = &profile.balance {
            self.inner
                .store
                .add_balance(
                    id,
                    &BalanceSample {
                        sampled_at: now,
                        quota: b.quota,
                        used_quota: b.used_quota,
                        formatted: b.formatted.clone(),
                    },
                )
                .await?;
        }
        self.inner.wake.notify_one();
        self.emit(EngineEvent::AccountChanged { account_id: id });
        self.account(id).await
    }

    /// Removes an account: revokes at the provider where it can, deletes its keyring entries
    /// and its rows. Returns whether the provider confirmed the revocation.
    pub async fn remove(&self, id: i64) -> Result<bool> {
        let row = self.inner.store.require(id).await?;
        let tokens = self.load_tokens(&row).await.ok().flatten();
        let mut revoked = false;
        if let (Some(t), Ok(p)) = (&tokens, self.provider(&row.provider).await) {
            match p.revoke(t).await {
                Ok(r) => revoked = r,
                Err(e) => {
                    tracing::warn!(account = id, code = %e.code, "revocation failed; removing locally anyway")
                }
            }
        }
        for g in [row.token_gen, row.token_gen + 1] {
            self.inner.vault.delete_tokens(id, g).await?;
        }
        self.inner.store.delete(id).await?;
        let _ = self
            .log(
                None,
                Some(&row.label()),
                "remove",
                if revoked { "revoked" } else { "ok" },
                None,
                None,
            )
            .await;
        self.emit(EngineEvent::AccountRemoved { account_id: id });
        Ok(revoked)
    }

    /// The provider's top-up page for an account (AIHubMix), fetched with a fresh token.
    pub async fn topup_url(&self, id: i64) -> Result<Url> {
        let row = self.inner.store.require(id).await?;
        let p = self.provider(&row.provider).await?;
        let access = self.access_token(id).await?;
        match p.topup_url(&access).await {
            Ok(Some(u)) => Ok(u),
            Ok(None) => Err(Error::not_found(format!(
                "{} has no top-up page.",
                row.provider
            ))),
            Err(e) => Err(e.to_error()),
        }
    }

    pub(crate) async fn log(
        &self,
        account_id: Option<i64>,
        label: Option<&str>,
        kind: &str,
        outcome: &str,
        code: Option<&str>,
        message: Option<&str>,
    ) -> Result<()> {
        self.inner
            .store
            .log(self.now(), account_id, label, kind, outcome, code, message)
            .await
    }
}
