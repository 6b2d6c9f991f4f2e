//! Calls made with an account's access token: profile and balance sync, and the chat actions (list, create a space, send) — each retried once after a refresh when the token is refused.

use std::future::Future;
use std::sync::Arc;

use crate::accounts::account_view;
use crate::activity::{ActivityKind, ActivityOutcome};
use crate::base::Base;
use crate::error::{Error, ErrorCode, Result};
use crate::profiles::store_profile;
use crate::provider::{AccountCtx, ProfileCtx, ProviderError};
use crate::refresh::Refresher;
use crate::secret::Secret;
use crate::store::AccountRow;
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
