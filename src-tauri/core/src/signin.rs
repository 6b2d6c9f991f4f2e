//! Adding an account: starting a sign-in, receiving its callback, exchanging the code, storing the account.

use std::time::Duration;

use tokio::sync::oneshot;
use url::Url;

use crate::clock::Millis;
use crate::config::RedirectMode;
use crate::engine::Engine;
use crate::error::{Error, ErrorCode, Result};
use crate::flow::{self, Callback, PendingFlow};
use crate::provider::AuthRequest;
use crate::secret::Secret;
use crate::store::{BalanceSample, ProfileFields};
use crate::views::{AccountView, EngineEvent};

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

impl Engine {
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
}
