//! Adding an account: starting a sign-in, receiving its callback, exchanging the code, storing the account.

use std::time::Duration;

use tokio::sync::oneshot;
use url::Url;

use crate::clock::Millis;
use crate::config::RedirectMode;
use crate::engine::Engine;
use crate::error::{Error, ErrorCode, Result};
use crate::flow::{self, Callback, PendingFlow};
use crate::provider::{AuthRequest, DirectSignIn, Grant, Profile, ProfileCtx, Provider};
use crate::secret::Secret;
use crate::store::{BalanceSample, ProfileFields};
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

impl Engine {
    /// Starts adding an account (or signing in again to `reauth`): prepares the pending flow,
    /// opens the loopback listener where the provider redirects there, and returns the URL to
    /// open in the system browser. A previous sign-in to the same provider is replaced.
    pub async fn begin_sign_in(&self, provider: &str, reauth: Option<i64>) -> Result<SignInStart> {
        let p = self.provider(provider).await?;
        if !p.kind().uses_browser() {
            return Err(Error::config(format!(
                "{provider} accounts are added with a form (user ID and password or app credentials), not in the browser."
            )));
        }
        let mut login_hint = None;
        if let Some(id) = reauth {
            let row = self.inner.store.require(id).await?;
            if row.provider != provider {
                return Err(Error::config(format!(
                    "Account {id} belongs to {}, not {provider}.",
                    row.provider
                )));
            }
            login_hint = row.email.clone().filter(|e| !e.is_empty());
        }
        let force_consent = self
            .inner
            .consent_next
            .lock()
            .is_ok_and(|c| c.contains(provider));
        let cfg = p.config().clone();
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
        let closed = std::sync::Arc::new(tokio::sync::Notify::new());
        if let Ok(mut m) = self.inner.listeners.lock() {
            m.insert(provider.to_owned(), closed.clone());
        }
        // The listener hands callbacks over; this task, owned by the listener's lifetime (it
        // ends when the listener drops its sender), completes them.
        let (requests, mut handed) = tokio::sync::mpsc::channel(8);
        let engine = self.clone();
        tokio::spawn(async move {
            use crate::loopback::Request;
            while let Some(request) = handed.recv().await {
                match request {
                    Request::Callback { callback, reply } => {
                        let _ = reply.send(engine.complete_sign_in(callback).await);
                    }
                    Request::Cancel { provider } => {
                        engine.cancel_sign_in(&provider);
                    }
                }
            }
        });
        crate::loopback::serve(
            listener,
            requests,
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

    /// Cancels the sign-in in progress for `provider` (and closes its loopback listener).
    pub fn cancel_sign_in(&self, provider: &str) -> bool {
        if let Ok(mut w) = self.inner.waiters.lock() {
            w.remove(provider);
        }
        self.close_listener(provider);
        self.inner.flows.cancel(provider)
    }

    /// Closes the loopback listener of `provider`'s sign-in, if one is open.
    fn close_listener(&self, provider: &str) {
        if let Some(n) = self
            .inner
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
        let (flow, code) = match self.inner.flows.take(&cb, self.now()) {
            Ok(v) => v,
            Err(e) => {
                tracing::warn!(provider, code = e.code.as_str(), "sign-in callback refused");
                // Repeats within 10 minutes are one line with a count: a flood of forged
                // callbacks must not grow the activity table.
                let _ = self
                    .inner
                    .store
                    .log_repeated(
                        self.now(),
                        "sign_in",
                        "refused",
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
        self.close_listener(provider);
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
        let p = self.provider(provider).await?;
        let result = match p.sign_in_direct(form).await {
            Ok((grant, profile)) => self.store_sign_in(&*p, grant, profile, reauth).await,
            Err(e) => Err(e.to_error()),
        };
        let (outcome, code, message) = match &result {
            Ok(_) => ("ok", None, None),
            Err(e) => ("failed", Some(e.code.as_str()), Some(e.message.as_str())),
        };
        let label = result
            .as_ref()
            .ok()
            .map(|v| format!("{} ({})", v.display_name, v.provider));
        let _ = self
            .log(
                result.as_ref().ok().map(|v| v.id).or(reauth),
                label.as_deref(),
                "sign_in",
                outcome,
                code,
                message,
            )
            .await;
        result
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
        if let Some(id) = reauth {
            let row = self.inner.store.require(id).await?;
            if row.subject != profile.subject {
                let who = match &profile.email {
                    Some(e) if *e != profile.display_name => {
                        format!("{} <{e}>", profile.display_name)
                    }
                    _ => profile.display_name.clone(),
                };
                let expected = row
                    .email
                    .clone()
                    .unwrap_or_else(|| row.display_name.clone());
                return Err(Error::new(
                    ErrorCode::SubjectMismatch,
                    format!("You signed in as {who}, but this account is {}. Nothing was changed; sign in again as {expected}.", row.label()),
                ));
            }
        }
        let now = self.now();
        let existing = self
            .inner
            .store
            .find_subject(&provider, &profile.subject)
            .await?;
        let previous = match &existing {
            Some(row) => self.load_tokens(row).await.ok().flatten(),
            None => None,
        };
        let tokens = crate::refresh::tokens_from_grant(
            &grant,
            previous.as_ref(),
            p.default_refresh_lifetime(),
            now,
        );
        if tokens.refresh.is_none() && !grant.never_expires {
            // Google sends a refresh token only with consent; ask for it next time.
            if let Ok(mut c) = self.inner.consent_next.lock() {
                c.insert(provider.clone());
            }
            return Err(Error::new(
                ErrorCode::ReauthRequired,
                format!("{provider} did not give Signet a refresh token, so it could not keep this account signed in. Nothing was added. Sign in again: Signet will ask {provider} to show its consent screen, which issues one."),
            ));
        }
        if let Ok(mut c) = self.inner.consent_next.lock() {
            c.remove(&provider);
        }
        let fields = ProfileFields {
            display_name: profile.display_name.clone(),
            email: profile.email.clone(),
            avatar_url: profile.avatar_url.clone(),
            profile_json: profile.extra.to_string(),
        };
        let (id, created) = self
            .inner
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
        let store = &self.inner.store;
        let issued = &tokens;
        let committed = self
            .inner
            .credentials
            .commit(id, old_gen, &tokens, false, |new_gen| async move {
                let timing = crate::refresh::timing(issued, new_gen, now, id);
                store.record_tokens(id, &timing, now).await
            })
            .await;
        self.flush_credentials().await;
        if let Err(e) = committed {
            // Fail closed: without the keyring there is no account.
            if created {
                self.inner.store.delete(id).await?;
            }
            return Err(e);
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
}
