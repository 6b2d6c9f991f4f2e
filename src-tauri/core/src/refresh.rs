//! Keeping tokens fresh: due times, single-flight refresh (in and across processes), error handling, crash repair of an account's tokens.

use std::time::Duration;

use backon::BackoffBuilder;
use rand::Rng;

use crate::clock::Millis;
use crate::engine::Engine;
use crate::error::{Error, ErrorCode, Result};
use crate::provider::{FailureClass, Grant, ProviderError};
use crate::secret::Secret;
use crate::store::{AccountRow, Status, TokenTiming};
use crate::vault::Tokens;
use crate::views::EngineEvent;

pub use crate::scheduler::{next_wait, SAFETY_POLL, TICK};
/// How soon a refresh whose answer may have been lost is tried again.
pub const IN_DOUBT_RETRY: Duration = Duration::from_secs(15);
/// A transient failure streak is only announced after this long.
pub const ALERT_GRACE_MS: Millis = 30 * 60 * 1000;
/// Access lifetime assumed when a provider states none.
pub const DEFAULT_ACCESS_LIFETIME_MS: Millis = 3600 * 1000;
const MIN_MARGIN_MS: Millis = 5 * 60 * 1000;
/// Warn this long before a refresh token that cannot be extended runs out.
pub const EXPIRY_WARNING_MS: Millis = 3 * 24 * 3600 * 1000;

/// What a refresh call did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefreshOutcome {
    /// New tokens are stored.
    Refreshed,
    /// Another caller (this process or another) refreshed it meanwhile; nothing was sent.
    AlreadyRefreshed,
    /// Not due yet; nothing was sent.
    NotDue,
}

/// When to refresh: `expiry − margin − jitter`, margin = max(5 min, 10 % of the lifetime)
/// but at most half the lifetime; earlier if the refresh token would otherwise run out.
/// `jitter` in [0, 1) spreads accounts over up to a fifth of the margin.
pub fn due_at(
    access_expires_at: Millis,
    lifetime_ms: Millis,
    refresh_expires_at: Option<Millis>,
    refresh_lifetime_ms: Option<Millis>,
    jitter: f64,
) -> Millis {
    let margin = MIN_MARGIN_MS.max(lifetime_ms / 10).min(lifetime_ms / 2);
    let spread = (margin as f64 / 5.0 * jitter.clamp(0.0, 1.0)) as Millis;
    let mut due = access_expires_at - margin - spread;
    if let Some(rt) = refresh_expires_at {
        let rt_margin = refresh_lifetime_ms.map_or(3_600_000, |l| (l / 10).max(3_600_000));
        due = due.min(rt - rt_margin);
    }
    due
}

pub(crate) fn tokens_from_grant(
    grant: &Grant,
    previous: Option<&Tokens>,
    default_refresh_lifetime: Option<Duration>,
    now: Millis,
) -> Tokens {
    let lifetime = grant
        .expires_in
        .map_or(DEFAULT_ACCESS_LIFETIME_MS, |d| d.as_millis() as Millis);
    let refresh_expires_at = match (&grant.refresh, grant.refresh_expires_in) {
        (_, Some(d)) => Some(now + d.as_millis() as Millis),
        // A new refresh token with the provider's documented lifetime.
        (Some(_), None) => default_refresh_lifetime.map(|d| now + d.as_millis() as Millis),
        // No new refresh token: the old one keeps its expiry.
        (None, None) => previous.and_then(|p| p.refresh_expires_at),
    };
    Tokens {
        access: grant.access.clone(),
        // A response without refresh_token keeps the stored one (Google does not rotate).
        refresh: grant
            .refresh
            .clone()
            .or_else(|| previous.and_then(|p| p.refresh.clone())),
        // Easemob `ttl` 0: the token never expires and no refresh is ever due.
        access_expires_at: (!grant.never_expires).then_some(now + lifetime),
        refresh_expires_at,
        scope: grant
            .scope
            .clone()
            .or_else(|| previous.and_then(|p| p.scope.clone())),
    }
}

pub(crate) fn timing(t: &Tokens, generation: i64, now: Millis, account: i64) -> TokenTiming {
    let Some(expires) = t.access_expires_at else {
        // A token that never expires: nothing to schedule.
        return TokenTiming {
            token_gen: generation,
            access_expires_at: None,
            refresh_expires_at: t.refresh_expires_at,
            access_lifetime_ms: None,
            next_refresh_at: None,
        };
    };
    let lifetime = (expires - now).max(1000);
    let jitter = jitter_for(account, generation);
    TokenTiming {
        token_gen: generation,
        access_expires_at: Some(expires),
        refresh_expires_at: t.refresh_expires_at,
        access_lifetime_ms: Some(lifetime),
        next_refresh_at: Some(due_at(
            expires,
            lifetime,
            t.refresh_expires_at,
            t.refresh_expires_at.map(|r| r - now),
            jitter,
        )),
    }
}

fn jitter_for(_account: i64, _generation: i64) -> f64 {
    rand::rng().random::<f64>()
}

/// When an account's last refresh may have been processed without its answer arriving: the
/// moment before which nobody may send its refresh token again.
fn in_doubt_until(row: &AccountRow, now: Millis) -> Option<Millis> {
    (row.refresh_in_doubt != 0 && row.status() == Status::Retrying)
        .then_some(row.next_refresh_at)
        .flatten()
        .filter(|until| *until > now)
}

fn backoff(streak: i64) -> Duration {
    backon::ExponentialBuilder::default()
        .with_min_delay(Duration::from_secs(15))
        .with_max_delay(Duration::from_secs(30 * 60))
        .with_factor(2.0)
        .with_jitter()
        .without_max_times()
        .build()
        .nth(streak.clamp(0, 30) as usize)
        .unwrap_or(Duration::from_secs(30 * 60))
}

impl Engine {
    /// The account's current tokens (see [`crate::credentials::Credentials::load`]).
    pub(crate) async fn load_tokens(&self, row: &AccountRow) -> Result<Option<Tokens>> {
        self.inner.credentials.load(row).await
    }

    /// Settles what an interrupted refresh of this account left in the keyring (the caller
    /// holds the account's locks): tokens stored but never pointed at are adopted, leftover
    /// generations deleted. Returns the account as it is afterwards.
    pub(crate) async fn repair_tokens(&self, row: AccountRow) -> Result<AccountRow> {
        let store = &self.inner.store;
        let now = self.now();
        let id = row.id;
        let adopted = self
            .inner
            .credentials
            .repair(&row, |generation, tokens| async move {
                let t = timing(&tokens, generation, now, id);
                store.record_tokens(id, &t, now).await
            })
            .await?;
        match adopted {
            Some(_) => store.require(id).await,
            None => Ok(row),
        }
    }

    /// Repairs every account a crash may have left leftovers for, each under its locks (start-up).
    pub async fn repair_all(&self) -> Result<usize> {
        let ids = self.inner.credentials.accounts_to_repair().await?;
        let mut repaired = 0;
        for id in ids {
            let Some(_locks) = self.account_locks(id).await.ok() else {
                continue;
            };
            let Some(row) = self.inner.store.get(id).await? else {
                continue;
            };
            if let Err(e) = self.repair_tokens(row).await {
                tracing::warn!(
                    account = id,
                    code = e.code.as_str(),
                    "leftover token generations not settled yet"
                );
                continue;
            }
            repaired += 1;
        }
        Ok(repaired)
    }

    /// A valid access token for `id`, refreshing first if it is due (for scripts).
    pub async fn access_token(&self, id: i64) -> Result<Secret> {
        let row = self.inner.store.require(id).await?;
        match row.status() {
            Status::Reauth | Status::Setup => {
                return Err(Error::new(
                    if row.status() == Status::Reauth {
                        ErrorCode::ReauthRequired
                    } else {
                        ErrorCode::SetupProblem
                    },
                    row.status_message
                        .unwrap_or_else(|| "This account needs attention.".into()),
                ))
            }
            _ => {}
        }
        let now = self.now();
        let never_expires = row.access_expires_at.is_none() && row.next_refresh_at.is_none();
        if !never_expires
            && (row.next_refresh_at.is_none_or(|due| due <= now)
                || row.access_expires_at.is_none_or(|e| e <= now))
        {
            self.refresh(id, false).await?;
        }
        let row = self.inner.store.require(id).await?;
        if row.access_expires_at.is_some_and(|e| e <= self.now()) {
            return Err(Error::new(
                ErrorCode::Temporary,
                row.status_message.unwrap_or_else(|| {
                    "The access token expired and could not be renewed yet.".into()
                }),
            ));
        }
        self.load_tokens(&row)
            .await?
            .map(|t| t.access)
            .ok_or_else(|| missing_tokens(&row))
    }

    /// Refreshes one account. Single flight: concurrent calls — from this process or another —
    /// share one token request. `force` refreshes even if not due.
    pub async fn refresh(&self, id: i64, force: bool) -> Result<RefreshOutcome> {
        let outcome = self.refresh_unflushed(id, force).await;
        self.flush_credentials().await;
        outcome
    }

    /// [`Engine::refresh`] leaving the clean-up statement to the caller (a storm flushes once).
    pub(crate) async fn refresh_unflushed(&self, id: i64, force: bool) -> Result<RefreshOutcome> {
        let seen = self.inner.store.require(id).await?.refresh_gen;
        self.refresh_seen(id, seen, force).await
    }

    /// Writes what the credentials service gathered (see [`crate::credentials::Credentials::flush`]).
    pub(crate) async fn flush_credentials(&self) {
        let engine = self.clone();
        let go_on = move || !engine.quitting();
        if let Err(e) = self.inner.credentials.flush(&go_on).await {
            tracing::warn!(code = e.code.as_str(), "stale generations not cleared yet");
        }
    }

    /// [`Engine::refresh`] for a caller that has just read the account (the scheduler): `seen`
    /// is the `refresh_gen` it read; if it changed by the time the locks are held, somebody
    /// else refreshed and nothing is sent.
    pub(crate) async fn refresh_seen(
        &self,
        id: i64,
        seen: i64,
        force: bool,
    ) -> Result<RefreshOutcome> {
        let _locks = self.account_locks(id).await?;
        let row = self.inner.store.require(id).await?;
        if row.refresh_gen != seen {
            return Ok(RefreshOutcome::AlreadyRefreshed);
        }
        let now = self.now();
        if !force && row.next_refresh_at.is_some_and(|d| d > now) {
            return Ok(RefreshOutcome::NotDue);
        }
        self.refresh_locked(row).await
    }

    /// Takes the account's lock in this process, then the one shared with other processes.
    pub(crate) async fn account_locks(&self, id: i64) -> Result<AccountLocks> {
        let local = {
            let mut locks = self
                .inner
                .account_locks
                .lock()
                .map_err(|_| Error::internal("lock table poisoned"))?;
            locks.entry(id).or_default().clone()
        };
        let local = local.lock_owned().await;
        let cross = crate::lock::lock_account(
            &self.inner.data_dir.join("locks"),
            id,
            Duration::from_secs(120),
        )
        .await?;
        Ok(AccountLocks {
            _cross: cross,
            _local: local,
        })
    }

    /// Marks the account "retrying" with the keyring's error, and hands that error back.
    async fn keyring_trouble(&self, row: &AccountRow, e: Error) -> Result<Error> {
        let pe = ProviderError::new(FailureClass::Transient, e.code.as_str(), e.message.clone());
        self.fail(
            row,
            FailureClass::Transient,
            e.code.as_str(),
            &e.message,
            Some(&pe),
        )
        .await?;
        Ok(e)
    }

    /// After [`Engine::quit`], nothing new is started.
    fn refuse_if_quitting(&self) -> Result<()> {
        if self.quitting() {
            return Err(Error::new(
                ErrorCode::Temporary,
                "Signet is quitting, so this account was not refreshed now; it will be at the next start.",
            ));
        }
        Ok(())
    }

    async fn refresh_locked(&self, row: AccountRow) -> Result<RefreshOutcome> {
        self.refuse_if_quitting()?;
        let id = row.id;
        // The answer to the last refresh never arrived, and the provider may still be working
        // on it: whoever asks (the scheduler, Refresh now, Refresh all, signetctl, another
        // process), nothing is sent before the grace has passed. Sending the same single-use
        // refresh token again could make the provider revoke the whole sign-in, and then the
        // late answer would leave this account looking fresh with dead tokens.
        // (This process holding the answer, because the keyring refused it, is not in doubt:
        // storing it sends nothing.)
        let holds_answer = self.inner.credentials.holds_unsaved(id);
        if let Some(until) = in_doubt_until(&row, self.now()).filter(|_| !holds_answer) {
            let wait_s = ((until - self.now()) as f64 / 1000.0).ceil().max(1.0);
            return Err(Error::new(
                ErrorCode::Temporary,
                format!(
                    "The last refresh of this account reached {} but no usable answer came back. Signet waits {wait_s:.0} s before trying again, so that the same refresh token is never sent twice.",
                    row.provider
                ),
            ));
        }
        // Keyring work (client secret, current tokens) happens inside the concurrency permit:
        // a storm of due accounts must not queue all their keyring calls at once.
        let _permit = self
            .inner
            .permits
            .acquire()
            .await
            .map_err(|_| Error::internal("closed"))?;
        // The client secret and the tokens both come from the keyring. If it is locked, gone
        // or hanging, the account waits and says why; the tokens in the keyring are untouched.
        let provider = match self.provider(&row.provider).await {
            Ok(p) => p,
            Err(e) if crate::keyring_health::is_keyring_trouble(e.code) => {
                return Err(self.keyring_trouble(&row, e).await?)
            }
            Err(e) => return Err(e),
        };
        let loaded = match self.repair_tokens(row.clone()).await {
            Ok(repaired) => {
                let row = repaired;
                self.load_tokens(&row).await.map(|t| (row, t))
            }
            Err(e) => Err(e),
        };
        let (row, loaded) = match loaded {
            Ok(found) => found,
            Err(e) if crate::keyring_health::is_keyring_trouble(e.code) => {
                return Err(self.keyring_trouble(&row, e).await?)
            }
            Err(e) => return Err(e),
        };
        let Some(old) = loaded else {
            let e = missing_tokens(&row);
            self.fail(
                &row,
                FailureClass::Reauth,
                "tokens_missing",
                &e.message,
                None,
            )
            .await?;
            return Err(e);
        };
        // Tokens held because the keyring refused them: store them before anything else.
        if self.inner.credentials.holds_unsaved(id) {
            self.persist(&row, &old, "keyring_recovered", false).await?;
            return Ok(RefreshOutcome::Refreshed);
        }
        let Some(refresh_token) = old.refresh.clone() else {
            let msg = format!("{} gave Signet no refresh token for this account, so it cannot be renewed. Sign in again.", row.provider);
            self.fail(&row, FailureClass::Reauth, "no_refresh_token", &msg, None)
                .await?;
            return Err(Error::new(ErrorCode::ReauthRequired, msg));
        };
        let per_second = self.config().refresh.per_provider_per_second;
        self.inner
            .rates
            .until_ready(&row.provider, per_second)
            .await;
        self.refuse_if_quitting()?;
        let now = self.now();
        self.inner.store.begin_refresh(id, now).await?;
        self.emit(EngineEvent::AccountChanged { account_id: id });
        self.inner.in_flight.send_modify(|n| *n += 1);
        let _in_flight = InFlight(&self.inner.in_flight);
        match provider.refresh(&refresh_token).await {
            Ok(grant) => {
                let now = self.now();
                let tokens =
                    tokens_from_grant(&grant, Some(&old), provider.default_refresh_lifetime(), now);
                self.persist(&row, &tokens, "refreshed", true).await?;
                if let Some(profile) = &grant.profile {
                    self.store_profile(id, profile).await?;
                }
                Ok(RefreshOutcome::Refreshed)
            }
            Err(pe) => {
                // "In doubt" stays until a refresh succeeds: an attempt that never reached the
                // provider does not answer whether an earlier lost answer spent the token.
                if !pe.maybe_processed && row.refresh_in_doubt == 0 {
                    self.inner.store.set_in_doubt(id, false).await?;
                }
                let (code, message) = if pe.class == FailureClass::Reauth
                    && row.refresh_in_doubt != 0
                {
                    (
                        "refresh_answer_lost".to_owned(),
                        format!("An earlier refresh reached {p} but its answer was lost on the way back, and {p} has since refused the previous sign-in (its refresh tokens can be used only once). Sign in again to continue; nothing else was lost.", p = row.provider),
                    )
                } else {
                    let since = Duration::from_millis(
                        (self.now() - row.signed_in_at.unwrap_or(row.created_at)).max(0) as u64,
                    );
                    let hint = (pe.class == FailureClass::Reauth)
                        .then(|| provider.reauth_hint(&pe.code, since))
                        .flatten();
                    (pe.code.clone(), hint.unwrap_or_else(|| pe.message.clone()))
                };
                self.fail(&row, pe.class, &code, &message, Some(&pe))
                    .await?;
                Err(ProviderError {
                    code,
                    message,
                    ..pe
                }
                .to_error())
            }
        }
    }

    /// Writes new tokens: keyring first (next generation), then the database points at them,
    /// then the old generation is deleted. If the keyring refuses, the tokens are held in
    /// memory and written on the next attempt — a rotated refresh token is never dropped.
    /// `pending_named`: the "sent" mark already named the new generation as pending.
    async fn persist(
        &self,
        row: &AccountRow,
        tokens: &Tokens,
        outcome: &str,
        pending_named: bool,
    ) -> Result<()> {
        let id = row.id;
        let now = self.now();
        let store = &self.inner.store;
        let label = row.label();
        let committed = self
            .inner
            .credentials
            .commit(
                id,
                Some(row.token_gen),
                tokens,
                pending_named,
                |generation| {
                    let label = &label;
                    async move {
                        let t = timing(tokens, generation, now, id);
                        store
                            .record_refresh(id, &t, tokens.scope.as_deref(), label, outcome, now)
                            .await
                    }
                },
            )
            .await;
        if let Err(e) = committed {
            self.inner.credentials.hold(id, tokens);
            let retry = now + backoff(row.failure_streak + 1).as_millis() as Millis;
            self.inner
                .store
                .record_failure(
                    id,
                    Status::Retrying,
                    e.code.as_str(),
                    &e.message,
                    Some(retry),
                    now,
                )
                .await?;
            self.emit(EngineEvent::AccountChanged { account_id: id });
            return Err(e);
        }
        self.warn_if_sign_in_runs_out(row, tokens, now);
        self.emit(EngineEvent::AccountChanged { account_id: id });
        Ok(())
    }

    /// A refresh that did not extend the refresh token's life, when that life ends within
    /// [`EXPIRY_WARNING_MS`]: one alert as the threshold is crossed ("sign in again before …").
    fn warn_if_sign_in_runs_out(&self, row: &AccountRow, tokens: &Tokens, now: Millis) {
        let Some(ends) = tokens.refresh_expires_at else {
            return;
        };
        let extended = row.refresh_expires_at.is_none_or(|before| ends > before);
        let was_far = row
            .last_refresh_at
            .is_none_or(|last| ends - last >= EXPIRY_WARNING_MS);
        if !extended && was_far && ends - now < EXPIRY_WARNING_MS {
            let days = ((ends - now) as f64 / 86_400_000.0).max(0.0);
            self.emit(EngineEvent::Alert {
                account_id: row.id,
                kind: crate::views::AlertKind::EndsSoon,
                account: row.label(),
                title: format!("{}: sign-in ends soon", row.label()),
                message: format!(
                    "{} will stop accepting this sign-in in {days:.1} days and Signet cannot extend it. Sign in again before then to keep the account working.",
                    row.provider
                ),
            });
        }
    }

    async fn fail(
        &self,
        row: &AccountRow,
        class: FailureClass,
        code: &str,
        message: &str,
        pe: Option<&ProviderError>,
    ) -> Result<()> {
        let now = self.now();
        if matches!(class, FailureClass::Transient)
            && matches!(row.status(), Status::Reauth | Status::Setup)
        {
            // A 503 or a dropped connection says nothing about the grant: an account that
            // needs the person keeps saying so (and is not put back on the retry schedule).
            self.inner
                .store
                .record_failure(
                    row.id,
                    row.status(),
                    row.status_code.as_deref().unwrap_or(code),
                    row.status_message.as_deref().unwrap_or(message),
                    None,
                    now,
                )
                .await?;
            let _ = self
                .log(
                    Some(row.id),
                    Some(&row.label()),
                    "refresh",
                    if row.status() == Status::Reauth {
                        "reauth"
                    } else {
                        "setup"
                    },
                    Some(code),
                    Some(message),
                )
                .await;
            return Ok(());
        }
        let (status, next, outcome) = match class {
            FailureClass::Transient => {
                // An answer that may have been lost is settled by the very next attempt (fresh
                // again, or "sign in again" with the reason), so it is not left to back off.
                let in_doubt = row.refresh_in_doubt != 0 || pe.is_some_and(|p| p.maybe_processed);
                let mut wait = if in_doubt {
                    IN_DOUBT_RETRY
                } else {
                    backoff(row.failure_streak)
                };
                if let Some(ra) = pe.and_then(|p| p.retry_after) {
                    wait = wait.max(ra);
                }
                (
                    Status::Retrying,
                    Some(now + wait.as_millis() as Millis),
                    "retrying",
                )
            }
            FailureClass::Reauth | FailureClass::ScopeMissing => (Status::Reauth, None, "reauth"),
            FailureClass::Setup | FailureClass::Refused => (Status::Setup, None, "setup"),
        };
        self.inner
            .store
            .record_failure(row.id, status, code, message, next, now)
            .await?;
        let _ = self
            .log(
                Some(row.id),
                Some(&row.label()),
                "refresh",
                outcome,
                Some(code),
                Some(message),
            )
            .await;
        tracing::warn!(account = row.id, provider = %row.provider, code, outcome, "refresh failed");
        let failing_since = row.failing_since.unwrap_or(now);
        let alert = match class {
            FailureClass::Transient => now - failing_since >= ALERT_GRACE_MS,
            _ => true,
        };
        if alert && self.inner.store.mark_alerted(row.id).await? {
            use crate::views::AlertKind;
            let (kind, title) = match status {
                Status::Reauth => (
                    AlertKind::SignInAgain,
                    format!("{} needs you to sign in again", row.label()),
                ),
                Status::Setup => (
                    AlertKind::SetupProblem,
                    format!("{}: provider set-up problem", row.provider),
                ),
                _ => (
                    AlertKind::CannotRefresh,
                    format!("{} cannot be refreshed", row.label()),
                ),
            };
            self.emit(EngineEvent::Alert {
                account_id: row.id,
                kind,
                account: row.label(),
                title,
                message: message.to_owned(),
            });
        }
        self.emit(EngineEvent::AccountChanged { account_id: row.id });
        Ok(())
    }
}

/// Counts a refresh in flight until dropped (also on early return or cancellation).
struct InFlight<'a>(&'a tokio::sync::watch::Sender<usize>);

/// An account's locks (this process's, then the cross-process one), released on drop.
pub(crate) struct AccountLocks {
    _cross: crate::lock::AccountLock,
    _local: tokio::sync::OwnedMutexGuard<()>,
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.send_modify(|n| *n = n.saturating_sub(1));
    }
}

fn missing_tokens(row: &AccountRow) -> Error {
    Error::new(
        ErrorCode::ReauthRequired,
        format!("Signet found no stored sign-in for {} in the keyring (it may have been deleted there). Sign in again.", row.label()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn due_time_leaves_a_margin_of_five_minutes_or_ten_percent() {
        let hour = 3_600_000;
        // 1 h token: margin 6 min (10 %) → due at 54 min, up to 72 s earlier with jitter.
        assert_eq!(due_at(hour, hour, None, None, 0.0), hour - 360_000);
        assert_eq!(
            due_at(hour, hour, None, None, 0.999),
            hour - 360_000 - 71_928
        );
        // 20 min token: margin 5 min.
        assert_eq!(due_at(1_200_000, 1_200_000, None, None, 0.0), 900_000);
        // 60 s token: margin capped at half the lifetime, never "due before issued".
        assert_eq!(due_at(60_000, 60_000, None, None, 0.0), 30_000);
    }

    #[test]
    fn a_refresh_token_about_to_run_out_pulls_the_due_time_forward() {
        let day = 86_400_000;
        // Access token valid 60 days (Easemob-like), refresh token 7 days (Feishu-like).
        let due = due_at(60 * day, 60 * day, Some(7 * day), Some(7 * day), 0.0);
        assert!(due < 7 * day && due > 6 * day, "{due}");
    }

    #[test]
    fn the_scheduler_never_sleeps_longer_than_a_tick() {
        assert_eq!(next_wait(10 * 3_600_000), TICK);
        assert_eq!(next_wait(-5), Duration::ZERO);
        assert_eq!(next_wait(1500), Duration::from_millis(1500));
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        assert!(backoff(0) <= Duration::from_secs(30));
        assert!(backoff(20) <= Duration::from_secs(60 * 60));
        assert!(backoff(20) >= Duration::from_secs(30 * 60));
    }
}
