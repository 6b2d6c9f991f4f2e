//! `signetctl add-easemob`: an Easemob IM account from its app's details and the user's password (no browser).

use std::io::BufRead;

use signet_core::views::EasemobAccount;
use signet_core::{Engine, Error};

/// What `add-easemob` was given on its command line.
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
pub async fn add(engine: &Engine, a: EasemobArgs, json: bool) -> Result<(), Error> {
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
