//! What providers say about an account, kept: its profile fields and balance samples (each
//! checked against the low-balance threshold), after a sign-in, a sync or a refresh.

use crate::base::Base;
use crate::clock::Millis;
use crate::error::{Error, ErrorCode, Result};
use crate::provider::{Balance, Profile};
use crate::secret::Secret;
use crate::store::{AccountRow, BalanceSample, ProfileFields};

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
