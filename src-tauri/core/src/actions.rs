//! Calls made with an account's access token: profile and balance sync, and the chat actions (list, create a space, send) — each retried once after a refresh when the token is refused.

use std::future::Future;
use std::sync::Arc;

use crate::accounts::account_view;
use crate::activity::{ActivityKind, ActivityOutcome};
use crate::base::Base;
use crate::clock::Millis;
use crate::error::{Error, ErrorCode, Result};
use crate::provider::{AccountCtx, Balance, Profile, ProfileCtx, ProviderError};
use crate::refresh::Refresher;
use crate::secret::Secret;
use crate::store::{AccountRow, BalanceSample, ProfileFields};
use crate::views::{AccountView, ChatSent, ChatTarget, EngineEvent, Recipient};

/// Profile and balance sync and the chat actions of an account.
pub struct Actions {
    base: Base,
    /// Gives the access tokens, and refreshes once when a provider refuses one.
    refresher: Arc<Refresher>,
}

impl Actions {
    pub fn new(base: Base, refresher: Arc<Refresher>) -> Self {
        Actions { base, refresher }
    }

    /// Runs `call` with a valid access token. If the provider refuses the token (HTTP 401 or
    /// its equivalent), the account is refreshed once and `call` retried once.
    async fn with_access<T, F, Fut>(&self, id: i64, call: F) -> Result<T>
    where
        F: Fn(Secret) -> Fut,
        Fut: Future<Output = std::result::Result<T, ProviderError>>,
    {
        let access = self.refresher.access_token(id).await?;
        match call(access).await {
            Err(pe) if pe.is_access_rejected() => {
                tracing::info!(
                    account = id,
                    "access token refused; refreshing once and retrying"
                );
                self.refresher.refresh(id, true).await?;
                let access = self.refresher.access_token(id).await?;
                call(access).await.map_err(|pe| {
                    if pe.is_access_rejected() {
                        Error::new(
                            ErrorCode::ReauthRequired,
                            "The provider refused this account's access even with a newly issued token. Sign in again.",
                        )
                    } else {
                        pe.to_error()
                    }
                })
            }
            Err(pe) => Err(pe.to_error()),
            Ok(v) => Ok(v),
        }
    }

    /// Fetches the profile (and balance, where there is one) again and stores it; a balance
    /// becomes a new sample in the account's history.
    pub async fn sync_profile(&self, id: i64) -> Result<AccountView> {
        let row = self.base.store.require(id).await?;
        let p = self.base.provider(&row.provider).await?;
        let subject = row.subject.clone();
        let result = self
            .with_access(id, |access| {
                let p = p.clone();
                let subject = subject.clone();
                async move {
                    p.profile(
                        &access,
                        ProfileCtx {
                            grant: None,
                            nonce: None,
                            subject: Some(&subject),
                        },
                    )
                    .await
                }
            })
            .await;
        match result {
            Ok(profile) if profile.subject != row.subject => Err(Error::new(
                ErrorCode::SubjectMismatch,
                format!("{} now answers with a different user ({}) for {}. Nothing was changed; sign in again.", row.provider, profile.display_name, row.label()),
            )),
            Ok(profile) => {
                store_profile(&self.base, id, &profile).await?;
                self.base.emit(EngineEvent::AccountChanged { account_id: id });
                account_view(&self.base.store, id).await
            }
            // Nothing to fetch for this provider (Easemob without app credentials).
            Err(e) if e.code == ErrorCode::ActionRefused => account_view(&self.base.store, id).await,
            Err(e) => Err(e),
        }
    }

    /// Spaces (Google Chat) or group chats (Feishu) the account can post to.
    pub async fn chat_list(&self, id: i64) -> Result<Vec<ChatTarget>> {
        let row = self.base.store.require(id).await?;
        let p = self.base.provider(&row.provider).await?;
        let (subject, scopes) = (row.subject.clone(), row.scopes.clone());
        self.with_access(id, |access| {
            let (p, subject, scopes) = (p.clone(), subject.clone(), scopes.clone());
            async move {
                let ctx = AccountCtx {
                    subject: &subject,
                    scopes: scopes.as_deref(),
                };
                p.chat_list(&access, ctx).await
            }
        })
        .await
    }

    /// Creates a named space (Google Chat).
    pub async fn chat_create_space(&self, id: i64, display_name: &str) -> Result<ChatTarget> {
        let row = self.base.store.require(id).await?;
        let p = self.base.provider(&row.provider).await?;
        let (subject, scopes) = (row.subject.clone(), row.scopes.clone());
        let result = self
            .with_access(id, |access| {
                let (p, subject, scopes) = (p.clone(), subject.clone(), scopes.clone());
                let name = display_name.to_owned();
                async move {
                    let ctx = AccountCtx {
                        subject: &subject,
                        scopes: scopes.as_deref(),
                    };
                    p.chat_create_space(&access, ctx, &name).await
                }
            })
            .await;
        let note = match &result {
            Ok(t) => format!("Created the space \"{}\" ({})", t.name, t.id),
            Err(e) => e.message.clone(),
        };
        self.log_action(&row, ActivityKind::CreateSpace, &result, &note)
            .await;
        result
    }

    /// Sends a text message from the account.
    pub async fn chat_send(&self, id: i64, to: &Recipient, text: &str) -> Result<ChatSent> {
        let row = self.base.store.require(id).await?;
        let p = self.base.provider(&row.provider).await?;
        let (subject, scopes) = (row.subject.clone(), row.scopes.clone());
        let result = self
            .with_access(id, |access| {
                let (p, subject, scopes) = (p.clone(), subject.clone(), scopes.clone());
                let (to, text) = (to.clone(), text.to_owned());
                async move {
                    let ctx = AccountCtx {
                        subject: &subject,
                        scopes: scopes.as_deref(),
                    };
                    p.chat_send(&access, ctx, &to, &text).await
                }
            })
            .await;
        let note = match &result {
            // The text is the person's own; the log records only where it went.
            Ok(s) => format!("Message sent to {} ({})", s.to, s.message_id),
            Err(e) => e.message.clone(),
        };
        self.log_action(&row, ActivityKind::SendMessage, &result, &note)
            .await;
        result
    }

    async fn log_action<T>(
        &self,
        row: &AccountRow,
        kind: ActivityKind,
        result: &Result<T>,
        note: &str,
    ) {
        let (outcome, code) = match result {
            Ok(_) => (ActivityOutcome::Ok, None),
            Err(e) => (ActivityOutcome::Failed, Some(e.code.as_str())),
        };
        let _ = self
            .base
            .log(
                Some(row.id),
                Some(&row.label()),
                kind,
                outcome,
                code,
                Some(note),
            )
            .await;
        self.base
            .emit(EngineEvent::AccountChanged { account_id: row.id });
    }
}

/// After a refresh, a provider with a balance (AIHubMix) is asked for it again with the new
/// token, so the history gains a sample with every refresh, in whichever process refreshed.
/// A failure here never fails the refresh.
pub(crate) async fn sample_balance(
    base: &Base,
    provider: &dyn crate::provider::Provider,
    row: &AccountRow,
    access: &Secret,
) {
    let ctx = crate::provider::ProfileCtx {
        grant: None,
        nonce: None,
        subject: Some(&row.subject),
    };
    let sampled = match provider.profile(access, ctx).await {
        Ok(profile) if profile.subject == row.subject => {
            store_profile(base, row.id, &profile).await
        }
        Ok(_) => Err(Error::new(
            ErrorCode::SubjectMismatch,
            "the provider answered for another user",
        )),
        Err(pe) => Err(pe.to_error()),
    };
    if let Err(e) = sampled {
        tracing::info!(
            account = row.id,
            code = e.code.as_str(),
            "balance not sampled"
        );
    }
}

/// Writes a profile (and its balance sample) for an account.
pub(crate) async fn store_profile(base: &Base, id: i64, profile: &Profile) -> Result<()> {
    let now = base.now();
    base.store
        .update_profile(id, &profile_fields(profile), now)
        .await?;
    if let Some(b) = &profile.balance {
        add_balance(base, id, b, now).await?;
    }
    Ok(())
}

/// What the database keeps of a profile.
pub(crate) fn profile_fields(profile: &Profile) -> ProfileFields {
    ProfileFields {
        display_name: profile.display_name.clone(),
        email: profile.email.clone(),
        avatar_url: profile.avatar_url.clone(),
        profile_json: profile.extra.to_string(),
    }
}

/// A balance the provider reported, as a new sample in the account's history.
pub(crate) async fn add_balance(base: &Base, id: i64, b: &Balance, now: Millis) -> Result<()> {
    let sample = BalanceSample {
        sampled_at: now,
        quota: b.quota,
        used_quota: b.used_quota,
        formatted: b.formatted.clone(),
    };
    base.store.add_balance(id, &sample).await?;
    let row = base.store.require(id).await?;
    crate::billing::check_sample(base, &row, &sample).await
}
