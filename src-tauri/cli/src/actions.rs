//! `signetctl` subcommands that act through an account or add one without a browser: profile, top-up, chat, Easemob, provider entries.

use std::io::{BufRead, IsTerminal};

use clap::Subcommand;
use signet_core::views::{EasemobAccount, NewProvider, Recipient};
use signet_core::{Engine, Error, Secret};

#[derive(Subcommand)]
pub enum Chat {
    /// List the spaces (Google Chat) or group chats (Feishu) the account can post to.
    List { account: String },
    /// Create a named Google Chat space.
    CreateSpace { account: String, name: String },
    /// Send a text message. The text comes from the argument, or standard input when omitted.
    Send {
        account: String,
        /// Recipient as kind:id — space:spaces/AAAA (Google), open_id:ou_…, user_id:…,
        /// union_id:…, email:…, chat_id:oc_… (Feishu), user:alice (Easemob).
        #[arg(long)]
        to: String,
        text: Option<String>,
    },
}

pub async fn chat(engine: &Engine, cmd: Chat, json: bool) -> Result<(), Error> {
    match cmd {
        Chat::List { account } => {
            let row = engine.resolve(&account).await?;
            let targets = engine.chat_list(row.id).await?;
            if json {
                say!(
                    "{}",
                    serde_json::to_string_pretty(&targets).unwrap_or_default()
                );
            } else if targets.is_empty() {
                esay!("No spaces or group chats.");
            } else {
                for t in targets {
                    say!("{}:{}\t{}", t.recipient_kind, t.id, t.name);
                }
            }
        }
        Chat::CreateSpace { account, name } => {
            let row = engine.resolve(&account).await?;
            let t = engine.chat_create_space(row.id, &name).await?;
            if json {
                say!("{}", serde_json::to_string_pretty(&t).unwrap_or_default());
            } else {
                say!("{}:{}\t{}", t.recipient_kind, t.id, t.name);
            }
        }
        Chat::Send { account, to, text } => {
            let row = engine.resolve(&account).await?;
            let Some((kind, id)) = to.split_once(':') else {
                return Err(Error::config(format!(
                    "--to \"{to}\": write the recipient as kind:id, e.g. space:spaces/AAAA or email:someone@example.com."
                )));
            };
            let text = match text {
                Some(t) => t,
                None => {
                    let mut all = String::new();
                    for line in std::io::stdin().lock().lines() {
                        let line = line.map_err(|e| Error::internal(e.to_string()))?;
                        if !all.is_empty() {
                            all.push('\n');
                        }
                        all.push_str(&line);
                    }
                    all
                }
            };
            let recipient = Recipient {
                kind: kind.to_owned(),
                id: id.to_owned(),
            };
            let sent = engine.chat_send(row.id, &recipient, &text).await?;
            if json {
                say!(
                    "{}",
                    serde_json::to_string_pretty(&sent).unwrap_or_default()
                );
            } else {
                say!("Sent to {} (message {}).", sent.to, sent.message_id);
            }
        }
    }
    Ok(())
}

/// Fetches the profile and balance again and prints them.
pub async fn profile(engine: &Engine, account: &str, json: bool) -> Result<(), Error> {
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
fn forecast_line(f: Option<&signet_core::billing::BalanceForecast>) -> String {
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

pub struct EasemobArgs {
    pub host: String,
    pub org: String,
    pub app: String,
    pub user: String,
    pub password_stdin: bool,
    pub client_id: Option<String>,
    pub client_secret_stdin: bool,
    pub ttl: Option<u64>,
    pub vip5: bool,
}

/// Adds an Easemob account. Secrets come from standard input, one per line: the password
/// first (with --password-stdin), then the app's client secret (with --client-secret-stdin).
pub async fn add_easemob(engine: &Engine, a: EasemobArgs, json: bool) -> Result<(), Error> {
    let mut lines = std::io::stdin().lock().lines();
    let mut next = |what: &str| -> Result<String, Error> {
        match lines.next() {
            Some(Ok(l)) if !l.trim_end_matches(['\r', '\n']).is_empty() => {
                Ok(l.trim_end_matches(['\r', '\n']).to_owned())
            }
            _ => Err(Error::config(format!(
                "Expected the {what} on standard input."
            ))),
        }
    };
    let password = if a.password_stdin {
        Some(next("password")?)
    } else {
        None
    };
    let client_secret = if a.client_secret_stdin {
        Some(next("app's client secret")?)
    } else {
        None
    };
    let v = engine
        .add_easemob_account(&EasemobAccount {
            host: a.host,
            org_name: a.org,
            app_name: a.app,
            username: a.user,
            password,
            client_id: a.client_id,
            client_secret,
            ttl: a.ttl,
            vip5: a.vip5.then_some(true),
        })
        .await?;
    if json {
        say!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
    } else {
        say!(
            "Added: {} ({}), account {}",
            v.display_name,
            v.provider,
            v.id
        );
    }
    // Added, but not usable as it is (a banned user): said where the script's author looks.
    if let Some(problem) = v
        .status_message
        .as_deref()
        .filter(|_| !v.status.is_active())
    {
        esay!("Warning: {problem}");
    }
    Ok(())
}

/// Appends a provider entry to the configuration file.
pub fn add_provider(path: &std::path::Path, p: &NewProvider) -> Result<(), Error> {
    signet_core::config::append_provider(path, p)?;
    let next = if p.kind == "easemob" {
        "`signetctl add-easemob …`".to_owned()
    } else {
        format!(
            "`signetctl secret-set {n}`, then `signetctl add {n}`",
            n = p.name
        )
    };
    esay!("Added {} to {}. Next: {next}.", p.name, path.display());
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

/// `signetctl secret-set PROVIDER`: the client secret from standard input to the keyring.
pub async fn secret_set(engine: &Engine, provider: &str) -> Result<(), Error> {
    let secret = read_secret(provider)?;
    engine.set_client_secret(provider, &secret).await?;
    esay!("Stored the client secret for {provider} in the system keyring.");
    Ok(())
}

/// `signetctl providers`.
pub fn providers(config: &signet_core::Config, json: bool) -> Result<(), Error> {
    if json {
        let v: Vec<_> = config.providers.iter().map(|p| serde_json::json!({"name": p.name, "kind": p.kind.as_str(), "clientId": p.client_id})).collect();
        say!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
        return Ok(());
    }
    if config.providers.is_empty() {
        esay!(
            "No providers configured in {}. Add one with `signetctl add-provider` or edit the file.",
            config.path.display()
        );
    }
    for p in &config.providers {
        say!(
            "{:<16} {:<10} client_id={}",
            p.name,
            p.kind.as_str(),
            p.client_id
        );
    }
    Ok(())
}

/// A client secret from standard input (a prompt on a terminal).
fn read_secret(provider: &str) -> Result<Secret, Error> {
    if std::io::stdin().is_terminal() {
        eprint!("Client secret for {provider}, then Enter: ");
    }
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| Error::internal(e.to_string()))?;
    let s = line.trim_end_matches(['\r', '\n']).to_owned();
    if s.is_empty() {
        return Err(Error::config("No secret was given on standard input."));
    }
    Ok(Secret::new(s))
}

/// `signetctl add-oidc`: an OpenID Connect provider entry by its issuer.
pub fn add_oidc(
    path: &std::path::Path,
    name: &str,
    issuer: &str,
    client_id: &str,
    scopes: Option<&[String]>,
    port: Option<u16>,
) -> Result<(), Error> {
    let provider = signet_core::views::NewProvider {
        name: name.to_owned(),
        kind: "oidc".into(),
        client_id: client_id.to_owned(),
        issuer: Some(issuer.to_owned()),
        redirect: Some("loopback".into()),
        redirect_port: port,
        scopes: scopes.map(<[String]>::to_vec),
        ..Default::default()
    };
    signet_core::config::append_provider(path, &provider)?;
    esay!(
        "Added {name} to {}. Next: `signetctl secret-set {name}`, then `signetctl add {name}`.",
        path.display()
    );
    Ok(())
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
