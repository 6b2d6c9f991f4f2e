//! Billing beyond a balance to look at: each account's low-balance threshold, its alert, and the forecast of days left from the balance history.
//!
//! Amounts here are the provider's own quota units (AIHubMix: `quota`, where 500,000 make one
//! US dollar); the views carry them converted with [`QUOTA_PER_UNIT`], as the balance is shown.

use crate::base::Base;
use crate::clock::Millis;
use crate::error::{Error, Result};
use crate::store::{AccountRow, BalanceSample};
use crate::views::{AlertKind, BalanceForecast, EngineEvent};

/// Quota units per unit of money shown (AIHubMix's account API: "balance is quota / 500000").
pub const QUOTA_PER_UNIT: f64 = 500_000.0;

/// How far back the forecast looks.
pub const FORECAST_WINDOW_MS: Millis = 7 * 86_400_000;

/// The least history a forecast is made from: a rate read off a few minutes says little.
pub const FORECAST_MIN_SPAN_MS: Millis = 3_600_000;

/// The forecast from `samples` (any order) as of `now`: the spending (each fall of the balance;
/// a top-up is not spending) over the last [`FORECAST_WINDOW_MS`], per day, against the latest
/// balance. `None` without at least two samples spanning [`FORECAST_MIN_SPAN_MS`].
pub fn forecast(samples: &[BalanceSample], now: Millis) -> Option<BalanceForecast> {
    let mut recent: Vec<(Millis, i64)> = samples
        .iter()
        .filter(|s| s.sampled_at >= now - FORECAST_WINDOW_MS && s.sampled_at <= now)
        .filter_map(|s| s.quota.map(|q| (s.sampled_at, q)))
        .collect();
    recent.sort_by_key(|(at, _)| *at);
    let (first, last) = (recent.first()?, recent.last()?);
    let span = last.0 - first.0;
    if span < FORECAST_MIN_SPAN_MS {
        return None;
    }
    let spent: i64 = recent.windows(2).map(|w| (w[0].1 - w[1].1).max(0)).sum();
    let days = span as f64 / 86_400_000.0;
    let per_day = spent as f64 / days;
    Some(BalanceForecast {
        days_left: (per_day > 0.0).then(|| last.1.max(0) as f64 / per_day),
        spent_per_day: per_day / QUOTA_PER_UNIT,
        basis_days: days,
    })
}

/// A threshold in money as shown → quota units. Refuses a negative or absurd amount.
pub fn threshold_quota(amount: f64) -> Result<i64> {
    if !amount.is_finite() || !(0.0..=1e9).contains(&amount) {
        return Err(Error::config(
            "The low-balance alert needs an amount of zero or more, such as 5 or 12.50.",
        ));
    }
    Ok((amount * QUOTA_PER_UNIT).round() as i64)
}

/// Sets (or with `None` removes) the account's low-balance threshold, in quota units. The
/// current balance counts as already seen: the alert comes when a later sample falls below.
pub async fn set_threshold(base: &Base, id: i64, below: Option<i64>) -> Result<()> {
    let latest = base.store.latest_balance(id).await?;
    let under = matches!((below, latest.and_then(|b| b.quota)), (Some(t), Some(q)) if q < t);
    sqlx::query("UPDATE accounts SET low_balance_below = ?, low_balance_alerted = ? WHERE id = ?")
        .bind(below)
        .bind(under as i64)
        .bind(id)
        .execute(base.store.writer())
        .await?;
    base.emit(EngineEvent::AccountChanged { account_id: id });
    Ok(())
}

/// After a new balance sample: one alert when it falls below the account's threshold, and the
/// alert re-armed once the balance is back at or above it (after a top-up).
pub(crate) async fn check_sample(
    base: &Base,
    row: &AccountRow,
    sample: &BalanceSample,
) -> Result<()> {
    let (Some(threshold), Some(quota)) = (row.low_balance_below, sample.quota) else {
        return Ok(());
    };
    let under = quota < threshold;
    if under == (row.low_balance_alerted != 0) {
        return Ok(());
    }
    // Only the process that flips the flag alerts (the app and signetctl may both sample).
    let flipped = sqlx::query(
        "UPDATE accounts SET low_balance_alerted = ? WHERE id = ? AND low_balance_alerted = ?",
    )
    .bind(under as i64)
    .bind(row.id)
    .bind(!under as i64)
    .execute(base.store.writer())
    .await?
    .rows_affected()
        == 1;
    if flipped && under {
        let shown = sample
            .formatted
            .clone()
            .unwrap_or_else(|| format!("{:.2}", quota as f64 / QUOTA_PER_UNIT));
        base.emit(EngineEvent::Alert {
            account_id: row.id,
            kind: AlertKind::LowBalance,
            account: row.label(),
            title: format!("{}: balance is low", row.label()),
            message: format!(
                "The balance is {shown}, below the {:.2} you set for an alert. Top it up to keep using {}.",
                threshold as f64 / QUOTA_PER_UNIT,
                row.provider
            ),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;

    const HOUR: Millis = 3_600_000;
    const DAY: Millis = 24 * HOUR;

    fn sample(at: Millis, quota: i64) -> BalanceSample {
        BalanceSample {
            sampled_at: at,
            quota: Some(quota),
            used_quota: None,
            formatted: None,
        }
    }

    #[test]
    fn spending_over_a_week_gives_days_left_at_that_rate() {
        let now = 100 * DAY;
        // $10 spent in 5 days ($2 a day), $20 left: 10 days.
        let s: Vec<_> = (0..=5)
            .map(|d| sample(now - (5 - d) * DAY, (30 - 2 * d) * 500_000))
            .collect();
        let f = forecast(&s, now).expect("forecast");
        assert!((f.spent_per_day - 2.0).abs() < 1e-9);
        assert!((f.days_left.expect("days") - 10.0).abs() < 1e-9);
        assert!((f.basis_days - 5.0).abs() < 1e-9);
    }

    #[test]
    fn a_top_up_is_not_negative_spending_and_older_samples_are_left_out() {
        let now = 100 * DAY;
        let s = vec![
            sample(now - 30 * DAY, 900 * 500_000), // outside the 7 days
            sample(now - 6 * DAY, 10 * 500_000),
            sample(now - 4 * DAY, 4 * 500_000),  // spent 6
            sample(now - 3 * DAY, 50 * 500_000), // topped up
            sample(now, 44 * 500_000),           // spent 6
        ];
        let f = forecast(&s, now).expect("forecast");
        assert!((f.spent_per_day - 2.0).abs() < 1e-9, "{f:?}");
        assert!((f.days_left.expect("days") - 22.0).abs() < 1e-9);
    }

    #[test]
    fn no_spending_no_days_and_too_little_history_no_forecast() {
        let now = 100 * DAY;
        let flat = vec![sample(now - 2 * DAY, 5), sample(now, 5)];
        let f = forecast(&flat, now).expect("forecast");
        assert_eq!(f.days_left, None);
        assert_eq!(f.spent_per_day, 0.0);
        assert_eq!(forecast(&[sample(now, 5)], now), None);
        assert_eq!(
            forecast(&[sample(now - HOUR / 2, 9), sample(now, 5)], now),
            None
        );
    }

    #[test]
    fn thresholds_are_read_as_money() {
        assert_eq!(threshold_quota(5.0).expect("ok"), 2_500_000);
        assert_eq!(threshold_quota(0.5).expect("ok"), 250_000);
        for bad in [-1.0, f64::NAN, f64::INFINITY] {
            assert_eq!(
                threshold_quota(bad).expect_err("refused").code,
                ErrorCode::Config
            );
        }
    }
}
