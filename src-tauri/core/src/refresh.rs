//! Keeping tokens fresh: due times, single-flight refresh (in and across processes), error handling, crash repair of an account's tokens.

use std::time::Duration;

use crate::clock::Millis;
use std::sync::Arc;

use tokio::sync::Semaphore;

use crate::activity::{ActivityKind, ActivityOutcome};
use crate::base::{Base, InFlight};
use crate::due::{backoff, timing, tokens_from_grant};
use crate::error::{Error, ErrorCode, Result};
use crate::lock::AccountLocks;
use crate::provider::{FailureClass, Grant, Provider, ProviderError};
use crate::rate::RateLimits;
use crate::secret::Secret;
use crate::store::{AccountRow, Status};
use crate::vault::Tokens;
use crate::views::EngineEvent;

/// How soon a refresh whose answer may have been lost is tried again.
pub const IN_DOUBT_RETRY: Duration = Duration::from_secs(15);
/// A transient failure streak is only announced after this long.
pub const ALERT_GRACE_MS: Millis = 30 * 60 * 1000;
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

/// When an account's last refresh may have been processed without its answer arriving: the
/// moment before which nobody may send its refresh token again.
fn in_doubt_until(row: &AccountRow, now: Millis) -> Option<Millis> {
    (row.refresh_in_doubt != 0 && row.status() == Status::Retrying)
        .then_some(row.next_refresh_at)
        .flatten()
        .filter(|until| *until > now)
}

/// Refreshes under way per request slot. Each refresh under way waits for two grouped writes
/// (the "sent" mark, then the new pointer), so this sets how many writes a group can gather:
/// with 4, a storm's transactions carry about twice as many writes as with 2, for the same
/// commit, and `refresh_many` runs about 5 % faster. Keyring calls have their own queue.
const UNDER_WAY_PER_REQUEST: usize = 4;

/// The refresher: refreshes one account at a time under its locks, within a bounded number at
/// once and each provider's rate, and records what happened (fresh, retrying, sign in again).
pub struct Refresher {
    base: Base,
    locks: Arc<AccountLocks>,
    /// Refreshes under way at once, keyring and database work included.
    permits: Semaphore,
    /// Token requests in flight at once (`refresh.max_concurrent`, all providers together):
    /// taken for the request alone, so the local work of one refresh overlaps another's request.
    requests: Semaphore,
    rates: RateLimits,
}

impl Refresher {
    /// At most `max_concurrent` token requests are in flight at once, and [`UNDER_WAY_PER_REQUEST`]
    /// times that many refreshes under way (so one's keyring and database work overlaps another's
    /// request).
    pub fn new(base: Base, locks: Arc<AccountLocks>, max_concurrent: usize) -> Self {
        Refresher {
            rates: RateLimits::new(base.clock.clone()),
            base,
            locks,
            permits: Semaphore::new(UNDER_WAY_PER_REQUEST * max_concurrent),
            requests: Semaphore::new(max_concurrent),
        }
    }

    /// The account's current tokens (see [`crate::credentials::Credentials::load`]).
    pub(crate) async fn load_tokens(&self, row: &AccountRow) -> Result<Option<Tokens>> {
        self.base.credentials.load(row).await
    }

    /// Settles what an interrupted refresh of this account left in the keyring (the caller
    /// holds the account's locks): tokens stored but never pointed at are adopted, leftover
    /// generations deleted. Returns the account as it is afterwards.
    pub(crate) async fn repair_tokens(&self, row: AccountRow) -> Result<AccountRow> {
        let store = &self.base.store;
        let now = self.base.now();
        let id = row.id;
        let adopted = self
            .base
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
        let ids = self.base.credentials.accounts_to_repair().await?;
        let mut repaired = 0;
        for id in ids {
            let Some(_locks) = self.locks.lock(id).await.ok() else {
                continue;
            };
            let Some(row) = self.base.store.get(id).await? else {
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
        Ok(self.fresh_token(id, 0).await?.access)
    }

    /// A valid access token for `id` with at least `min_ttl` left, refreshing first (single
    /// flight) if it is due, expired or would not last that long. A refresh that brings a
    /// token living less than `min_ttl` still answers with it: it is the freshest there is.
    pub async fn fresh_token(&self, id: i64, min_ttl: Millis) -> Result<FreshToken> {
        let row = self.base.store.require(id).await?;
        refuse_if_needs_person(&row)?;
        let now = self.base.now();
        let never_expires = row.access_expires_at.is_none() && row.next_refresh_at.is_none();
        if !never_expires
            && (row.next_refresh_at.is_none_or(|due| due <= now)
                || row
                    .access_expires_at
                    .is_none_or(|e| e <= now.saturating_add(min_ttl)))
        {
            let force = row.next_refresh_at.is_some_and(|due| due > now);
            self.refresh(id, force).await?;
        }
        self.current_token(id).await
    }

    /// A client says a server refused `token`: if it is still this account's current access
    /// token, one refresh (single flight: of many callers reporting the same token, one
    /// refreshes and the others get its result); otherwise the current token as it is.
    pub async fn token_rejected(&self, id: i64, token: &Secret) -> Result<FreshToken> {
        let row = self.base.store.require(id).await?;
        refuse_if_needs_person(&row)?;
        let current = self.load_tokens(&row).await?;
        if current
            .as_ref()
            .is_some_and(|t| t.access.expose() == token.expose())
        {
            self.refresh_seen(id, row.refresh_gen, true).await?;
            self.base.flush_credentials().await;
        }
        self.current_token(id).await
    }

    /// The access token the account holds now, with its expiry; an expired one is an error.
    async fn current_token(&self, id: i64) -> Result<FreshToken> {
        let row = self.base.store.require(id).await?;
        if row.access_expires_at.is_some_and(|e| e <= self.base.now()) {
            return Err(Error::new(
                ErrorCode::Temporary,
                row.status_message.unwrap_or_else(|| {
                    "The access token expired and could not be renewed yet.".into()
                }),
            ));
        }
        let access = self
            .load_tokens(&row)
            .await?
            .map(|t| t.access)
            .ok_or_else(|| missing_tokens(&row))?;
        Ok(FreshToken {
            access,
            expires_at: row.access_expires_at,
        })
    }

    /// Refreshes one account. Single flight: concurrent calls — from this process or another —
    /// share one token request. `force` refreshes even if not due.
    pub async fn refresh(&self, id: i64, force: bool) -> Result<RefreshOutcome> {
        let outcome = self.refresh_unflushed(id, force).await;
        self.base.flush_credentials().await;
        outcome
    }

    /// [`Refresher::refresh`] leaving the clean-up statement to the caller (a storm flushes once).
    pub(crate) async fn refresh_unflushed(&self, id: i64, force: bool) -> Result<RefreshOutcome> {
        let seen = self.base.store.require(id).await?.refresh_gen;
        self.refresh_seen(id, seen, force).await
    }

    /// [`Refresher::refresh`] for a caller that has just read the account (the scheduler): `seen`
    /// is the `refresh_gen` it read; if it changed by the time the locks are held, somebody
    /// else refreshed and nothing is sent.
    pub(crate) async fn refresh_seen(
        &self,
        id: i64,
        seen: i64,
        force: bool,
    ) -> Result<RefreshOutcome> {
        let _locks = self.locks.lock(id).await?;
        let row = self.base.store.require(id).await?;
        if row.refresh_gen != seen {
            return Ok(RefreshOutcome::AlreadyRefreshed);
        }
        let now = self.base.now();
        if !force && row.next_refresh_at.is_some_and(|d| d > now) {
            return Ok(RefreshOutcome::NotDue);
        }
        self.refresh_locked(row).await
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

    async fn refresh_locked(&self, row: AccountRow) -> Result<RefreshOutcome> {
        self.base.gate.refuse_if_quitting()?;
        self.refuse_if_in_doubt(&row)?;
        // Keyring work (client secret, current tokens) happens inside the concurrency permit:
        // a storm of due accounts must not queue all their keyring calls at once.
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| Error::internal("closed"))?;
        let (provider, row, old) = self.prepare(row).await?;
        let id = row.id;
        // Tokens held because the keyring refused them: store them before anything else.
        if self.base.credentials.holds_unsaved(id) {
            self.persist(&row, &old, ActivityOutcome::KeyringRecovered, false)
                .await?;
            return Ok(RefreshOutcome::Refreshed);
        }
        let Some(refresh_token) = old.refresh.clone() else {
            let msg = format!("{} gave Signet no refresh token for this account, so it cannot be renewed. Sign in again.", row.provider);
            self.fail(&row, FailureClass::Reauth, "no_refresh_token", &msg, None)
                .await?;
            return Err(Error::new(ErrorCode::ReauthRequired, msg));
        };
        let (_in_flight, answer) = self.send(&row, &*provider, &refresh_token).await?;
        match answer {
            Ok(grant) => {
                let now = self.base.now();
                let tokens =
                    tokens_from_grant(&grant, Some(&old), provider.default_refresh_lifetime(), now);
                self.persist(&row, &tokens, ActivityOutcome::Refreshed, true)
                    .await?;
                self.base.emit(EngineEvent::Refreshed { account_id: id });
                if let Some(profile) = &grant.profile {
                    crate::profiles::store_profile(&self.base, id, profile).await?;
                } else if provider.capabilities().balance {
                    crate::profiles::sample_balance(&self.base, &*provider, &row, &tokens.access)
                        .await;
                }
                Ok(RefreshOutcome::Refreshed)
            }
            Err(pe) => Err(self.refused(&row, &*provider, pe).await?),
        }
    }

    /// Marks the refresh sent, then waits for a request slot and the provider's rate, and sends
    /// it. The mark is committed before the slot is taken, so a slot is held by the request
    /// alone (the provider, not the database, sets the pace); a refresh that is then not sent
    /// (Signet is quitting) takes its mark back. Counted in flight from the mark until the
    /// answer is stored, so quitting waits for it.
    async fn send(
        &self,
        row: &AccountRow,
        provider: &dyn Provider,
        refresh_token: &Secret,
    ) -> Result<(InFlight<'_>, std::result::Result<Grant, ProviderError>)> {
        let in_flight = self.base.gate.sent();
        self.base
            .store
            .begin_refresh(row.id, self.base.now())
            .await?;
        self.base
            .emit(EngineEvent::AccountChanged { account_id: row.id });
        // The request's own slot, then the provider's rate, then nothing else before it is
        // sent: what the provider sees is at most `max_concurrent` requests at its rate.
        let _request = self
            .requests
            .acquire()
            .await
            .map_err(|_| Error::internal("closed"))?;
        let per_second = self.base.registry.config().refresh.per_provider_per_second;
        self.rates.until_ready(&row.provider, per_second).await;
        if let Err(e) = self.base.gate.refuse_if_quitting() {
            self.base.store.unmark_refresh(row).await?;
            self.base
                .emit(EngineEvent::AccountChanged { account_id: row.id });
            return Err(e);
        }
        let answer = provider.refresh(refresh_token).await;
        Ok((in_flight, answer))
    }

    /// The answer to the last refresh never arrived, and the provider may still be working on
    /// it: whoever asks (the scheduler, Refresh now, Refresh all, signetctl, another process),
    /// nothing is sent before the grace has passed. Sending the same single-use refresh token
    /// again could make the provider revoke the whole sign-in, and then the late answer would
    /// leave this account looking fresh with dead tokens. (This process holding the answer,
    /// because the keyring refused it, is not in doubt: storing it sends nothing.)
    fn refuse_if_in_doubt(&self, row: &AccountRow) -> Result<()> {
        let holds_answer = self.base.credentials.holds_unsaved(row.id);
        let now = self.base.now();
        let Some(until) = in_doubt_until(row, now).filter(|_| !holds_answer) else {
            return Ok(());
        };
        let wait_s = ((until - now) as f64 / 1000.0).ceil().max(1.0);
        Err(Error::new(
            ErrorCode::Temporary,
            format!(
                "The last refresh of this account reached {} but no usable answer came back. Signet waits {wait_s:.0} s before trying again, so that the same refresh token is never sent twice.",
                row.provider
            ),
        ))
    }

    /// The provider (with its client secret) and the account's current tokens, leftovers of an
    /// interrupted refresh settled first. Both come from the keyring: if it is locked, gone or
    /// hanging, the account waits and says why, and the tokens in the keyring are untouched.
    async fn prepare(&self, row: AccountRow) -> Result<(Arc<dyn Provider>, AccountRow, Tokens)> {
        let provider = match self.base.provider(&row.provider).await {
            Ok(p) => p,
            Err(e) if crate::keyring_health::is_keyring_trouble(e.code) => {
                return Err(self.keyring_trouble(&row, e).await?)
            }
            Err(e) => return Err(e),
        };
        let loaded = match self.repair_tokens(row.clone()).await {
            Ok(repaired) => self.load_tokens(&repaired).await.map(|t| (repaired, t)),
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
        Ok((provider, row, old))
    }

    /// Records a refresh the provider refused (or whose answer never came) and returns the
    /// error to report: a refusal while an earlier answer was lost says so.
    async fn refused(
        &self,
        row: &AccountRow,
        provider: &dyn Provider,
        pe: ProviderError,
    ) -> Result<Error> {
        // "In doubt" stays until a refresh succeeds: an attempt that never reached the
        // provider does not answer whether an earlier lost answer spent the token.
        if !pe.maybe_processed && row.refresh_in_doubt == 0 {
            self.base.store.set_in_doubt(row.id, false).await?;
        }
        let (code, message) = if pe.class == FailureClass::Reauth && row.refresh_in_doubt != 0 {
            (
                "refresh_answer_lost".to_owned(),
                format!("An earlier refresh reached {p} but its answer was lost on the way back, and {p} has since refused the previous sign-in (its refresh tokens can be used only once). Sign in again to continue; nothing else was lost.", p = row.provider),
            )
        } else {
            let since = Duration::from_millis(
                (self.base.now() - row.signed_in_at.unwrap_or(row.created_at)).max(0) as u64,
            );
            let hint = (pe.class == FailureClass::Reauth)
                .then(|| provider.reauth_hint(&pe.code, since))
                .flatten();
            (pe.code.clone(), hint.unwrap_or_else(|| pe.message.clone()))
        };
        self.fail(row, pe.class, &code, &message, Some(&pe)).await?;
        Ok(ProviderError {
            code,
            message,
            ..pe
        }
        .to_error())
    }

    /// Writes new tokens: keyring first (next generation), then the database points at them,
    /// then the old generation is deleted. If the keyring refuses, the tokens are held in
    /// memory and written on the next attempt — a rotated refresh token is never dropped.
    /// `pending_named`: the "sent" mark already named the new generation as pending.
    async fn persist(
        &self,
        row: &AccountRow,
        tokens: &Tokens,
        outcome: ActivityOutcome,
        pending_named: bool,
    ) -> Result<()> {
        let id = row.id;
        let now = self.base.now();
        let store = &self.base.store;
        let label = row.label();
        let committed = self
            .base
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
                            .record_refresh(
                                id,
                                &t,
                                tokens.scope.as_deref(),
                                label,
                                outcome.as_str(),
                                now,
                            )
                            .await
                    }
                },
            )
            .await;
        if let Err(e) = committed {
            self.base.credentials.hold(id, tokens);
            let retry = now + backoff(row.failure_streak + 1).as_millis() as Millis;
            self.base
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
            self.base
                .emit(EngineEvent::AccountChanged { account_id: id });
            return Err(e);
        }
        self.warn_if_sign_in_runs_out(row, tokens, now);
        self.base
            .emit(EngineEvent::AccountChanged { account_id: id });
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
            self.base.emit(EngineEvent::Alert {
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
        let now = self.base.now();
        if matches!(class, FailureClass::Transient)
            && matches!(row.status(), Status::Reauth | Status::Setup)
        {
            // A 503 or a dropped connection says nothing about the grant: an account that
            // needs the person keeps saying so (and is not put back on the retry schedule).
            self.base
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
                .base
                .log(
                    Some(row.id),
                    Some(&row.label()),
                    ActivityKind::Refresh,
                    if row.status() == Status::Reauth {
                        ActivityOutcome::Reauth
                    } else {
                        ActivityOutcome::Setup
                    },
                    Some(code),
                    Some(message),
                )
                .await;
            return Ok(());
        }
        let (status, next, outcome) = next_state(row, class, pe, now);
        self.base
            .store
            .record_failure(row.id, status, code, message, next, now)
            .await?;
        let _ = self
            .base
            .log(
                Some(row.id),
                Some(&row.label()),
                ActivityKind::Refresh,
                outcome,
                Some(code),
                Some(message),
            )
            .await;
        tracing::warn!(account = row.id, provider = %row.provider, code, outcome = outcome.as_str(), "refresh failed");
        let failing_since = row.failing_since.unwrap_or(now);
        let alert = match class {
            FailureClass::Transient => now - failing_since >= ALERT_GRACE_MS,
            _ => true,
        };
        if alert && self.base.store.mark_alerted(row.id).await? {
            self.base.emit(alert_for(row, status, message));
        }
        self.base
            .emit(EngineEvent::AccountChanged { account_id: row.id });
        Ok(())
    }
}

/// Where a failed refresh leaves the account: its status, when it is tried again, and the
/// activity log's outcome.
fn next_state(
    row: &AccountRow,
    class: FailureClass,
    pe: Option<&ProviderError>,
    now: Millis,
) -> (Status, Option<Millis>, ActivityOutcome) {
    match class {
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
                ActivityOutcome::Retrying,
            )
        }
        FailureClass::Reauth | FailureClass::ScopeMissing => {
            (Status::Reauth, None, ActivityOutcome::Reauth)
        }
        FailureClass::Setup | FailureClass::Refused => {
            (Status::Setup, None, ActivityOutcome::Setup)
        }
    }
}

/// The notification for an account that now needs the person (or cannot be refreshed).
fn alert_for(row: &AccountRow, status: Status, message: &str) -> EngineEvent {
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
    EngineEvent::Alert {
        account_id: row.id,
        kind,
        account: row.label(),
        title,
        message: message.to_owned(),
    }
}

fn missing_tokens(row: &AccountRow) -> Error {
    Error::new(
        ErrorCode::ReauthRequired,
        format!("Signet found no stored sign-in for {} in the keyring (it may have been deleted there). Sign in again.", row.label()),
    )
}

/// An access token handed to a caller, with when it expires (`None`: never).
pub struct FreshToken {
    pub access: Secret,
    pub expires_at: Option<Millis>,
}

impl std::fmt::Debug for FreshToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FreshToken")
            .field("access", &"[redacted]")
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// An account that needs the person (sign in again, a setup problem) gets no token.
fn refuse_if_needs_person(row: &AccountRow) -> Result<()> {
    match row.status() {
        Status::Reauth => Err(Error::new(
            ErrorCode::ReauthRequired,
            row.status_message
                .clone()
                .unwrap_or_else(|| "This account needs attention.".into()),
        )),
        Status::Setup => Err(Error::new(
            ErrorCode::SetupProblem,
            row.status_message
                .clone()
                .unwrap_or_else(|| "This account needs attention.".into()),
        )),
        _ => Ok(()),
    }
}
