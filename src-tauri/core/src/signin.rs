//! Adding an account: starting a sign-in, receiving its callback, exchanging the code, storing the account.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{oneshot, Notify};
use url::Url;

use crate::accounts::account_view;
use crate::activity::{ActivityKind, ActivityOutcome};
use crate::base::Base;
use crate::clock::Millis;
use crate::config::RedirectMode;
use crate::error::{Error, ErrorCode, Result};
use crate::flow::{self, Callback, Flows, PendingFlow};
use crate::lock::AccountLocks;
use crate::profiles::{add_balance, profile_fields};
use crate::provider::{AuthRequest, DirectSignIn, Grant, Profile, ProfileCtx, Provider};
use crate::secret::Secret;
use crate::store::Status;
use crate::views::{AccountView, EngineEvent};

/// A sign-in that was started: open `browser_url` in the system browser, then wait.
pub struct SignInStart {
    pub provider: String,
    /// The provider's authorize URL, with `state`: to show or copy, never to put on a command line.
    pub authorize_url: Url,
    /// The one-time local address that redirects to `authorize_url`: what a browser is started with.
    pub browser_url: Url,
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

/// Sign-ins: the ones waiting for their callback, their loopback listeners and waiters, and
/// storing the account a finished one brings.
pub struct SignIns {
    base: Base,
    /// Notified when an account is added: the scheduler then looks at its due time.
    wake: Arc<Notify>,
    /// An account signed in again is changed under its locks, like a refresh.
    locks: Arc<AccountLocks>,
    flows: Flows,
    waiters: Mutex<HashMap<String, oneshot::Sender<Result<AccountView>>>>,
    /// Closes the loopback listener of each provider's sign-in in progress.
    listeners: Mutex<HashMap<String, Arc<Notify>>>,
}

impl SignIns {
    pub fn new(base: Base, wake: Arc<Notify>, locks: Arc<AccountLocks>) -> Self {
        SignIns {
            base,
            wake,
            locks,
            flows: Flows::default(),
            waiters: Mutex::new(HashMap::new()),
            listeners: Mutex::new(HashMap::new()),
        }
    }

    /// Starts adding an account (or signing in again to `reauth`): prepares the pending flow,
    /// opens the loopback listener where the provider redirects there, and returns the URL to
    /// open in the system browser. A previous sign-in to the same provider is replaced.
    pub async fn begin_sign_in(
        self: &Arc<Self>,
        provider: &str,
        reauth: Option<i64>,
    ) -> Result<SignInStart> {
        let p = self.base.registry.provider_for_sign_in(provider).await?;
        if !p.kind().uses_browser() {
            return Err(Error::config(format!(
                "{provider} accounts are added with a form (user ID and password or app credentials), not in the browser."
            )));
        }
        let login_hint = self.login_hint(provider, reauth).await?;
        // Kept in the database: the next sign-in asks for consent from the app and from
        // signetctl alike, whichever process was refused.
        let force_consent = self
            .base
            .store
            .setting(&consent_key(provider))
            .await?
            .is_some();
        let cfg = p.entry().clone();
        // A sign-in already waiting for this provider is replaced: its listener goes first
        // (a fixed port can only be bound once).
        self.close_listener(provider);
        // Every sign-in has a local listener: it serves the one-time launch address, and in
        // loopback mode also receives the provider's redirect.
        let loopback = cfg.redirect_mode() == RedirectMode::Loopback;
        let listener =
            crate::loopback::bind(if loopback { cfg.loopback_port() } else { 0 }).await?;
        let port = listener
            .local_addr()
            .map_err(|e| Error::internal(e.to_string()))?
            .port();
        let redirect_uri = if loopback {
            format!("http://127.0.0.1:{port}/callback/{provider}")
        } else {
            format!("{}://oauth/callback/{provider}", flow::SCHEME)
        };
        let launch_token = flow::random_token();
        let browser_url = Url::parse(&format!(
            "http://127.0.0.1:{port}/start/{}",
            launch_token.expose()
        ))
        .map_err(|e| Error::internal(e.to_string()))?;
        let request = AuthRequest {
            state: flow::random_token(),
            redirect_uri: redirect_uri.clone(),
            pkce_verifier: p.uses_pkce().then(flow::random_token),
            nonce: p.uses_nonce().then(flow::random_token),
            login_hint,
            force_consent,
        };
        let expected_issuer = p.expected_issuer().await?;
        let authorize_url = p.authorize_url(&request).await?;
        let expires_at = self.base.now() + flow::FLOW_LIFETIME_MS;
        self.flows.cancel(provider);
        self.flows.insert(PendingFlow {
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
        if let Ok(mut w) = self.waiters.lock() {
            w.insert(provider.to_owned(), tx);
        }
        let closed = Arc::new(Notify::new());
        if let Ok(mut m) = self.listeners.lock() {
            m.insert(provider.to_owned(), closed.clone());
        }
        crate::loopback::serve(
            listener,
            self.take_requests(),
            Duration::from_millis(flow::FLOW_LIFETIME_MS as u64),
            closed,
            crate::loopback::Launch {
                token: launch_token,
                target: authorize_url.clone(),
                provider: provider.to_owned(),
            },
            loopback,
        );
        tracing::info!(provider, mode = ?cfg.redirect_mode(), force_consent, "sign-in started");
        Ok(SignInStart {
            provider: provider.to_owned(),
            authorize_url,
            browser_url,
            redirect_uri,
            expires_at,
            waiter: SignInWaiter(rx),
        })
    }

    /// For signing in again to account `reauth` of `provider`: its e-mail, so the provider's
    /// page offers the right person.
    async fn login_hint(&self, provider: &str, reauth: Option<i64>) -> Result<Option<String>> {
        let Some(id) = reauth else {
            return Ok(None);
        };
        let row = self.base.store.require(id).await?;
        if row.provider != provider {
            return Err(Error::config(format!(
                "Account {id} belongs to {}, not {provider}.",
                row.provider
            )));
        }
        Ok(row.email.filter(|e| !e.is_empty()))
    }

    /// Where a loopback listener hands callbacks (and "cancel") over. The task completing them
    /// lives as long as the listener: it ends when the listener drops its sender.
    fn take_requests(self: &Arc<Self>) -> tokio::sync::mpsc::Sender<crate::loopback::Request> {
        let (requests, mut handed) = tokio::sync::mpsc::channel(8);
        let sign_ins = self.clone();
        tokio::spawn(async move {
            use crate::loopback::Request;
            while let Some(request) = handed.recv().await {
                match request {
                    Request::Callback { callback, reply } => {
                        let _ = reply.send(sign_ins.complete_sign_in(callback).await);
                    }
                    Request::Cancel { provider } => {
                        sign_ins.cancel_sign_in(&provider);
                    }
                }
            }
        });
        requests
    }

    /// Cancels the sign-in in progress for `provider` (and closes its loopback listener).
    pub fn cancel_sign_in(&self, provider: &str) -> bool {
        if let Ok(mut w) = self.waiters.lock() {
            w.remove(provider);
        }
        self.close_listener(provider);
        self.flows.cancel(provider)
    }

    /// Closes the loopback listener of `provider`'s sign-in, if one is open.
    fn close_listener(&self, provider: &str) {
        if let Some(n) = self
            .listeners
            .lock()
            .ok()
            .and_then(|mut m| m.remove(provider))
        {
            n.notify_one();
        }
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
        let (flow, code) = match self.flows.take(&cb, self.base.now()) {
            Ok(v) => v,
            Err(e) => {
                tracing::warn!(provider, code = e.code.as_str(), "sign-in callback refused");
                // Repeats within 10 minutes are one line with a count: a flood of forged
                // callbacks must not grow the activity table.
                let _ = self
                    .base
                    .store
                    .log_repeated(
                        self.base.now(),
                        ActivityKind::SignIn.as_str(),
                        ActivityOutcome::Refused.as_str(),
                        e.code.as_str(),
                        &e.message,
                        10 * 60 * 1000,
                    )
                    .await;
                if matches!(
                    e.code,
                    ErrorCode::SignInExpired
                        | ErrorCode::SignInCancelled
                        | ErrorCode::SetupProblem
                        | ErrorCode::Temporary
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
                    .base
                    .log(
                        Some(v.id),
                        Some(&format!("{} ({})", v.display_name, v.provider)),
                        ActivityKind::SignIn,
                        ActivityOutcome::Ok,
                        None,
                        None,
                    )
                    .await;
            }
            Err(e) => {
                tracing::warn!(provider, code = e.code.as_str(), "sign-in failed");
                let _ = self
                    .base
                    .log(
                        flow.reauth_account,
                        None,
                        ActivityKind::SignIn,
                        ActivityOutcome::Failed,
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
        self.close_listener(provider);
        self.base.emit(EngineEvent::SignInFinished {
            provider: provider.to_owned(),
            account_id: result.as_ref().ok().map(|v| v.id),
            error: result.as_ref().err().cloned(),
        });
        if let Some(tx) = self
            .waiters
            .lock()
            .ok()
            .and_then(|mut w| w.remove(provider))
        {
            let _ = tx.send(result);
        }
    }

    async fn finish_sign_in(&self, flow: &PendingFlow, code: &Secret) -> Result<AccountView> {
        let p = self.base.provider(&flow.provider).await?;
        let request = AuthRequest {
            state: flow.state.clone(),
            redirect_uri: flow.redirect_uri.clone(),
            pkce_verifier: flow.pkce_verifier.clone(),
            nonce: flow.nonce.clone(),
            login_hint: None,
            force_consent: false,
        };
        let grant = p
            .exchange_code(code, &request)
            .await
            .map_err(|e| e.to_error())?;
        let profile = p
            .profile(
                &grant.access,
                ProfileCtx {
                    grant: Some(&grant),
                    nonce: flow.nonce.as_ref(),
                    subject: None,
                },
            )
            .await
            .map_err(|e| e.to_error())?;
        self.store_sign_in(&*p, grant, profile, flow.reauth_account)
            .await
    }

    /// Adds an account without a browser (Easemob): the provider checks the credentials and
    /// returns the first token; the account is stored like any sign-in.
    pub async fn sign_in_direct(
        &self,
        provider: &str,
        form: &DirectSignIn,
        reauth: Option<i64>,
    ) -> Result<AccountView> {
        let p = self.base.provider(provider).await?;
        let result = match p.sign_in_direct(form).await {
            Ok((grant, profile)) => self.store_sign_in(&*p, grant, profile, reauth).await,
            Err(e) => Err(e.to_error()),
        };
        let (outcome, code, message) = match &result {
            Ok(_) => (ActivityOutcome::Ok, None, None),
            Err(e) => (
                ActivityOutcome::Failed,
                Some(e.code.as_str()),
                Some(e.message.as_str()),
            ),
        };
        let label = result
            .as_ref()
            .ok()
            .map(|v| format!("{} ({})", v.display_name, v.provider));
        let _ = self
            .base
            .log(
                result.as_ref().ok().map(|v| v.id).or(reauth),
                label.as_deref(),
                ActivityKind::SignIn,
                outcome,
                code,
                message,
            )
            .await;
        result
    }

    /// Signing in again to account `reauth` as somebody else is refused: nothing changes.
    async fn refuse_another_person(&self, reauth: Option<i64>, profile: &Profile) -> Result<()> {
        let Some(id) = reauth else {
            return Ok(());
        };
        let row = self.base.store.require(id).await?;
        if row.subject == profile.subject {
            return Ok(());
        }
        let who = match &profile.email {
            Some(e) if *e != profile.display_name => format!("{} <{e}>", profile.display_name),
            _ => profile.display_name.clone(),
        };
        let expected = row
            .email
            .clone()
            .unwrap_or_else(|| row.display_name.clone());
        Err(Error::new(
            ErrorCode::SubjectMismatch,
            format!("You signed in as {who}, but this account is {}. Nothing was changed; sign in again as {expected}.", row.label()),
        ))
    }

    /// Stores a completed sign-in: refuses a different user than the account being signed in
    /// again, writes the tokens to the keyring (a new generation), then the account row.
    async fn store_sign_in(
        &self,
        p: &dyn Provider,
        grant: Grant,
        profile: Profile,
        reauth: Option<i64>,
    ) -> Result<AccountView> {
        let provider = p.name().to_owned();
        self.refuse_another_person(reauth, &profile).await?;
        let now = self.base.now();
        let found = self
            .base
            .store
            .find_subject(&provider, &profile.subject)
            .await?;
        // An account signed in again is changed under its locks: a refresh under way is stored
        // first, and this sign-in's tokens then replace the generation it left, read afresh.
        let _locks = match &found {
            Some(row) => Some(self.locks.lock(row.id).await?),
            None => None,
        };
        let existing = match found {
            Some(row) => Some(self.base.store.require(row.id).await?),
            None => None,
        };
        let previous = match &existing {
            Some(row) => self.base.credentials.load(row).await.ok().flatten(),
            None => None,
        };
        let tokens = crate::due::tokens_from_grant(
            &grant,
            previous.as_ref(),
            p.default_refresh_lifetime(),
            now,
        );
        if tokens.refresh.is_none() && !grant.never_expires {
            if let Some(reason) = p.no_refresh_token_reason() {
                return Err(Error::new(ErrorCode::SetupProblem, reason));
            }
            // Google sends a refresh token only with consent; ask for it next time.
            self.base
                .store
                .set_setting(&consent_key(&provider), "1")
                .await?;
            return Err(Error::new(
                ErrorCode::ReauthRequired,
                format!("{provider} did not give Signet a refresh token, so it could not keep this account signed in. Nothing was added. Sign in again: Signet will ask {provider} to show its consent screen, which issues one."),
            ));
        }
        self.base
            .store
            .delete_setting(&consent_key(&provider))
            .await?;
        let fields = profile_fields(&profile);
        let (id, created) = self
            .base
            .store
            .upsert_account(
                &provider,
                p.kind().as_str(),
                &profile.subject,
                &fields,
                tokens.scope.as_deref(),
                now,
            )
            .await?;
        let old_gen = existing.as_ref().map(|r| r.token_gen);
        let store = &self.base.store;
        let issued = &tokens;
        let committed = self
            .base
            .credentials
            .commit(id, old_gen, &tokens, false, |new_gen| async move {
                let timing = crate::due::timing(issued, new_gen, now, id);
                store.record_tokens(id, &timing, now).await
            })
            .await;
        self.base.flush_credentials().await;
        if let Err(e) = committed {
            // Fail closed: without the keyring there is no account.
            if created {
                self.base.store.delete(id).await?;
            }
            return Err(e);
        }
        if let Some(b) = &profile.balance {
            add_balance(&self.base, id, b, now).await?;
        }
        if let Some(problem) = p.account_problem(&profile) {
            self.base
                .store
                .record_failure(id, Status::Setup, "account_problem", &problem, None, now)
                .await?;
        }
        self.wake.notify_one();
        self.base
            .emit(EngineEvent::AccountChanged { account_id: id });
        account_view(&self.base.store, id).await
    }
}

/// The setting that makes `provider`'s next sign-in ask for consent (its last one brought no
/// refresh token).
fn consent_key(provider: &str) -> String {
    format!("consent_next:{provider}")
}
