//! Reading and managing accounts: views for the UI and CLI, lookup, removal, top-up.

use std::sync::Arc;

use url::Url;

use crate::activity::{ActivityKind, ActivityOutcome};
use crate::avatars::Avatars;
use crate::base::Base;
use crate::error::{Error, Result};
use crate::http::Http;
use crate::lock::AccountLocks;
use crate::refresh::Refresher;
use crate::store::{AccountRow, Store};
use crate::views::{AccountView, BalanceView, EngineEvent, Revocation};

/// The accounts as the window and the CLI see them: views, lookup, removal, top-up, pictures.
pub struct Accounts {
    base: Base,
    /// A fresh access token for the top-up page.
    refresher: Arc<Refresher>,
    /// A removal waits for a refresh of the account under way (here or in another process).
    locks: Arc<AccountLocks>,
    http: Http,
    /// Account pictures fetched for the window (never by the webview itself).
    avatars: Avatars,
}

impl Accounts {
    pub fn new(
        base: Base,
        refresher: Arc<Refresher>,
        locks: Arc<AccountLocks>,
        http: Http,
    ) -> Self {
        Accounts {
            base,
            refresher,
            locks,
            http,
            avatars: Avatars::default(),
        }
    }

    /// The account's picture as a `data:` URL (fetched once by Signet, checked to be an image),
    /// or `None` when it has none that can be shown.
    pub async fn avatar(&self, id: i64) -> Result<Option<String>> {
        let row = self.base.store.require(id).await?;
        let Some(url) = row.avatar_url.filter(|u| !u.is_empty()) else {
            return Ok(None);
        };
        Ok(self
            .avatars
            .get(&self.http, &url)
            .await
            .map(|d| d.to_string()))
    }

    /// Every account, with its latest balance. Two queries whatever the number of accounts:
    /// the UI calls this on every change.
    pub async fn list(&self) -> Result<Vec<AccountView>> {
        let rows = self.base.store.list().await?;
        let mut balances = self.base.store.latest_balances().await?;
        Ok(rows
            .into_iter()
            .map(|r| {
                let balance = balances.remove(&r.id);
                view(r, balance)
            })
            .collect())
    }

    pub async fn account(&self, id: i64) -> Result<AccountView> {
        account_view(&self.base.store, id).await
    }

    /// Finds an account by id, e-mail, display name, user id (subject) or `provider:subject`
    /// (for the CLI).
    pub async fn resolve(&self, key: &str) -> Result<AccountRow> {
        let rows = self.base.store.list().await?;
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
                    || r.subject == key
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

    /// Removes an account: revokes at the provider where it can, deletes its keyring entries
    /// and its rows (also when the provider could not be asked). Says what happened there.
    pub async fn remove(&self, id: i64) -> Result<Revocation> {
        // Under the account's locks: a refresh under way finishes first (its new tokens stored),
        // so nothing it writes is left behind, and the token revoked is the current one.
        let _locks = self.locks.lock(id).await?;
        let row = self.base.store.require(id).await?;
        let tokens = self.base.credentials.load(&row).await.ok().flatten();
        let revocation = match (&tokens, self.base.provider(&row.provider).await) {
            (Some(t), Ok(p)) => match p.revoke(t).await {
                Ok(true) => Revocation::Revoked,
                Ok(false) => Revocation::NotOffered,
                Err(e) => {
                    tracing::warn!(account = id, code = %e.code, "revocation failed; removing locally anyway");
                    Revocation::Failed(e.to_error())
                }
            },
            _ => Revocation::NotOffered,
        };
        self.base.credentials.forget(&row).await?;
        self.base.store.delete(id).await?;
        let (outcome, code) = match &revocation {
            Revocation::Revoked => (ActivityOutcome::Revoked, None),
            Revocation::NotOffered => (ActivityOutcome::Ok, None),
            Revocation::Failed(e) => (ActivityOutcome::NotRevoked, Some(e.code.as_str())),
        };
        let _ = self
            .base
            .log(
                None,
                Some(&row.label()),
                ActivityKind::Remove,
                outcome,
                code,
                None,
            )
            .await;
        self.base
            .emit(EngineEvent::AccountRemoved { account_id: id });
        Ok(revocation)
    }

    /// The provider's top-up page for an account (AIHubMix), fetched with a fresh token.
    pub async fn topup_url(&self, id: i64) -> Result<Url> {
        let row = self.base.store.require(id).await?;
        let p = self.base.provider(&row.provider).await?;
        let access = self.refresher.access_token(id).await?;
        match p.topup_url(&access).await {
            Ok(Some(u)) => Ok(u),
            Ok(None) => Err(Error::not_found(format!(
                "{} has no top-up page.",
                row.provider
            ))),
            Err(e) => Err(e.to_error()),
        }
    }

    /// Everything the account detail view shows.
    pub async fn detail(&self, id: i64) -> Result<crate::views::AccountDetail> {
        let account = self.account(id).await?;
        let now = self.base.now();
        let recent = self
            .base
            .store
            .balance_since(id, now - crate::billing::FORECAST_WINDOW_MS)
            .await?;
        let forecast = crate::billing::forecast(&recent, now);
        let balance_history = self
            .base
            .store
            .balance_history(id, 200)
            .await?
            .into_iter()
            .map(balance_view)
            .collect();
        let activity = self.base.store.account_activity(id, 50).await?;
        let row = self.base.store.require(id).await?;
        // A provider removed from the configuration still lets the account be shown.
        let (chat, missing_scopes, can) = match self.base.provider(&row.provider).await {
            Ok(p) => (
                p.chat_support(),
                p.missing_scopes(row.scopes.as_deref()),
                p.capabilities(),
            ),
            Err(_) => Default::default(),
        };
        let agent_policy = crate::agent::Policy::parse(&self.base.store.agent_policy(id).await?)
            .unwrap_or(crate::agent::Policy::Allow);
        let agent_grants = self
            .base
            .store
            .grants(Some(id))
            .await?
            .into_iter()
            .map(|g| crate::views::AgentGrant {
                allowed: g.decision == "allow",
                program: g.program,
                decided_at: g.decided_at,
            })
            .collect();
        Ok(crate::views::AccountDetail {
            account,
            balance_history,
            forecast,
            activity,
            can_top_up: can.top_up,
            can_revoke: can.revoke,
            chat,
            missing_scopes,
            direct: can.form_sign_in,
            agent_policy,
            agent_grants,
        })
    }

    /// Sets the account's low-balance alert at `amount` (money, as the balance is shown), or
    /// removes it with `None`. Only for an account with a balance.
    pub async fn set_low_balance(&self, id: i64, amount: Option<f64>) -> Result<AccountView> {
        let row = self.base.store.require(id).await?;
        let has_balance = self.base.store.latest_balance(id).await?.is_some()
            || match self.base.provider(&row.provider).await {
                Ok(p) => p.capabilities().balance,
                Err(_) => false,
            };
        if !has_balance {
            return Err(Error::config(format!(
                "{} shows no balance for this account, so there is nothing to alert on.",
                row.provider
            )));
        }
        let below = amount.map(crate::billing::threshold_quota).transpose()?;
        crate::billing::set_threshold(&self.base, id, below).await?;
        self.account(id).await
    }

    /// The activity log, newest first.
    pub async fn activity(&self, limit: i64) -> Result<Vec<crate::views::ActivityView>> {
        self.base.store.activity(limit).await
    }
}

/// One account's view, with its latest balance.
pub(crate) async fn account_view(store: &Store, id: i64) -> Result<AccountView> {
    let row = store.require(id).await?;
    let balance = store.latest_balance(row.id).await?;
    Ok(view(row, balance))
}

fn balance_view(b: crate::store::BalanceSample) -> BalanceView {
    BalanceView {
        formatted: b.formatted.unwrap_or_default(),
        quota: b.quota,
        used_quota: b.used_quota,
        sampled_at: b.sampled_at,
    }
}

fn view(r: AccountRow, balance: Option<crate::store::BalanceSample>) -> AccountView {
    let balance = balance.map(balance_view);
    AccountView {
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
        low_balance_below: r
            .low_balance_below
            .map(|q| q as f64 / crate::billing::QUOTA_PER_UNIT),
        profile: serde_json::from_str(&r.profile_json).unwrap_or(serde_json::Value::Null),
    }
}
