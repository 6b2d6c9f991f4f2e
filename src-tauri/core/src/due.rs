//! When an account's refresh is due: the margin before expiry, jitter, the timing of tokens a provider issued, and the back-off after failures.

use std::time::Duration;

use backon::BackoffBuilder;
use rand::Rng;

use crate::clock::Millis;
use crate::provider::Grant;
use crate::store::TokenTiming;
use crate::vault::Tokens;

/// Access lifetime assumed when a provider states none.
pub const DEFAULT_ACCESS_LIFETIME_MS: Millis = 3600 * 1000;
const MIN_MARGIN_MS: Millis = 5 * 60 * 1000;
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

pub(crate) fn backoff(streak: i64) -> Duration {
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
    fn backoff_grows_and_is_capped() {
        assert!(backoff(0) <= Duration::from_secs(30));
        assert!(backoff(20) <= Duration::from_secs(60 * 60));
        assert!(backoff(20) >= Duration::from_secs(30 * 60));
    }
}
