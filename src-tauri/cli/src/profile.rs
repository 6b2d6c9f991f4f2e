//! `signetctl profile`, `low-balance` and `topup`: an account's profile and balance, its forecast and alert, and its top-up page.

use signet_core::{Engine, Error};

/// Fetches the profile and balance again and prints them.
pub async fn show(engine: &Engine, account: &str, json: bool) -> Result<(), Error> {
    let row = engine.resolve(account).await?;
    let v = engine.sync_profile(row.id).await?;
    let forecast = match v.balance {
        Some(_) => engine.detail(row.id).await?.forecast,
        None => None,
    };
    if json {
        let mut out = serde_json::to_value(&v).unwrap_or_default();
        if let Some(obj) = out.as_object_mut() {
            obj.insert(
                "forecast".into(),
                serde_json::to_value(&forecast).unwrap_or_default(),
            );
        }
        say!("{}", serde_json::to_string_pretty(&out).unwrap_or_default());
        return Ok(());
    }
    say!("{} ({})", v.display_name, v.provider);
    if let Some(e) = &v.email {
        say!("  e-mail   {e}");
    }
    if let Some(obj) = v.profile.as_object() {
        for (k, val) in obj {
            let shown = match (k.as_str(), val) {
                (_, serde_json::Value::Null) => continue,
                ("createdTime" | "created" | "modified", serde_json::Value::Number(n)) => {
                    n.as_i64().map_or_else(|| n.to_string(), utc_date)
                }
                ("status", serde_json::Value::Number(n)) if v.provider_kind == "aihubmix" => {
                    match n.as_i64() {
                        Some(1) => "active".to_owned(),
                        Some(2) => "disabled".to_owned(),
                        _ => n.to_string(),
                    }
                }
                ("activated", serde_json::Value::Bool(b)) => {
                    (if *b { "active" } else { "banned" }).to_owned()
                }
                (_, serde_json::Value::String(s)) => s.clone(),
                (_, other) => other.to_string(),
            };
            say!("  {k:<16} {shown}");
        }
    }
    if let Some(b) = &v.balance {
        say!("  balance  {}", b.formatted);
        if let (Some(q), Some(u)) = (b.quota, b.used_quota) {
            say!("  quota    {q} (used {u})");
        }
        say!("  forecast {}", forecast_line(forecast.as_ref()));
        if let Some(t) = v.low_balance_below {
            say!("  alert    when below {t:.2}");
        }
    }
    Ok(())
}

/// "about 12 days left at the last 7 days' rate (1.20 a day)", in words for the terminal.
fn forecast_line(f: Option<&signet_core::views::BalanceForecast>) -> String {
    let Some(f) = f else {
        return "not enough history yet (a forecast needs an hour of balance samples)".into();
    };
    let basis = if f.basis_days >= 1.0 {
        format!("the last {:.0} days", f.basis_days.round())
    } else {
        format!("the last {:.0} hours", (f.basis_days * 24.0).round())
    };
    match f.days_left {
        Some(d) => format!(
            "about {d:.0} days left at the rate of {basis} ({:.2} a day)",
            f.spent_per_day
        ),
        None => format!("nothing spent in {basis}"),
    }
}

/// Sets or removes an account's low-balance alert.
pub async fn low_balance(engine: &Engine, account: &str, amount: &str) -> Result<(), Error> {
    let row = engine.resolve(account).await?;
    let amount = match amount.trim() {
        "off" | "none" => None,
        text => Some(text.parse::<f64>().map_err(|_| {
            Error::config(format!(
                "\"{text}\" is not an amount: give one such as 5 or 12.50, or off."
            ))
        })?),
    };
    let v = engine.set_low_balance(row.id, amount).await?;
    match v.low_balance_below {
        Some(t) => say!(
            "{} ({}): Signet will notify you when the balance falls below {t:.2}.",
            v.display_name,
            v.provider
        ),
        None => say!("{} ({}): no low-balance alert.", v.display_name, v.provider),
    }
    Ok(())
}

/// `signetctl topup ACCOUNT`: the provider's top-up page, printed and opened.
pub async fn topup(engine: &Engine, account: &str, no_browser: bool) -> Result<(), Error> {
    let row = engine.resolve(account).await?;
    let url = engine.topup_url(row.id).await?;
    say!("{url}");
    if !no_browser {
        crate::accounts::open_browser(engine, url.as_str());
    }
    Ok(())
}

/// Unix seconds or milliseconds (anything this large is milliseconds) as `YYYY-MM-DD HH:MM UTC`.
fn utc_date(t: i64) -> String {
    let secs = if t > 100_000_000_000 { t / 1000 } else { t };
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02} UTC",
        rem / 3600,
        (rem % 3600) / 60
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn dates_read_as_dates() {
        assert_eq!(super::utc_date(1_640_995_200), "2022-01-01 00:00 UTC");
        assert_eq!(super::utc_date(1_637_740_861_395), "2021-11-24 08:01 UTC");
        assert_eq!(super::utc_date(0), "1970-01-01 00:00 UTC");
    }
}
