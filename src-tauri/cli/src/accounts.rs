//! `signetctl`'s account commands: add (sign in), list, token, refresh, remove.

use std::io::BufRead;

use signet_core::{Engine, Error, ErrorCode, Revocation};

/// `signetctl add PROVIDER`: signs in through the browser (or a pasted `signet://` link) and
/// adds the account, or signs in again to `account`.
pub async fn add(
    engine: &Engine,
    provider: &str,
    account: Option<String>,
    no_browser: bool,
    paste: bool,
    json: bool,
) -> Result<(), Error> {
    let reauth = match account {
        Some(a) => Some(engine.resolve(&a).await?.id),
        None => None,
    };
    let deep_link = engine
        .config()
        .provider(provider)
        .is_some_and(|p| p.redirect_mode() == signet_core::RedirectMode::DeepLink);
    if deep_link && !paste {
        return Err(Error::config(format!(
            "{provider} sends the sign-in back to the Signet app (a signet:// link), so add {provider} accounts in the app. \
             To do it here anyway, use `signetctl add {provider} --paste` and paste the signet:// link the browser shows."
        )));
    }
    let start = engine.begin_sign_in(provider, reauth).await?;
    esay!(
        "Open this address to sign in to {provider}:\n\n  {}\n",
        start.authorize_url
    );
    if !no_browser && !deep_link {
        open_browser(engine, start.browser_url.as_str());
    }
    let view = if start.redirect_uri.starts_with("http://127.0.0.1") {
        esay!(
            "Waiting for the browser to come back to {} …",
            start.redirect_uri
        );
        start.waiter.wait().await?
    } else {
        esay!("After signing in, the browser offers to open a signet:// link: copy that link (do not open it) and paste it here:");
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|e| Error::internal(e.to_string()))?;
        engine.handle_deep_link(line.trim()).await?
    };
    if json {
        say!(
            "{}",
            serde_json::to_string_pretty(&view).unwrap_or_default()
        );
    } else {
        say!(
            "Signed in: {} — {} ({}), account {}",
            view.display_name,
            view.email.as_deref().unwrap_or("-"),
            view.provider,
            view.id
        );
    }
    Ok(())
}

/// `signetctl list`: the accounts as a table (or JSON).
pub async fn list(engine: &Engine, json: bool) -> Result<(), Error> {
    let accounts = engine.list().await?;
    if json {
        say!(
            "{}",
            serde_json::to_string_pretty(&accounts).unwrap_or_default()
        );
        return Ok(());
    }
    for line in table(&accounts, engine.now()) {
        say!("{line}");
    }
    Ok(())
}

/// `signetctl refresh [ACCOUNT] [--all]`.
pub async fn refresh(engine: &Engine, account: Option<String>, all: bool) -> Result<(), Error> {
    let outcomes = if all || account.is_none() {
        // Refresh all sends nothing for accounts that need the person: their refresh
        // token is dead (sign in again) or the provider's set-up is wrong.
        for a in engine.list().await? {
            if !a.status.is_active() {
                esay!(
                    "account {}: skipped — {}",
                    a.id,
                    match a.status {
                        signet_core::Status::Reauth => "it needs signing in again",
                        _ => "its provider's set-up needs fixing",
                    }
                );
            }
        }
        // All at once, as the app's Refresh all: the engine's concurrency and the
        // providers' rate limits pace them. Ctrl+C or SIGTERM quits as the app does:
        // nothing new is sent, and every answer already on its way is stored.
        let storm = engine.clone();
        let mut all = tokio::spawn(async move { storm.refresh_all().await });
        tokio::select! {
            done = &mut all => done.map_err(|e| Error::internal(e.to_string()))??,
            () = interrupted() => {
                esay!("signetctl: stopping — refreshes already sent are being stored…");
                let report = engine.quit().await;
                report.log();
                esay!("signetctl: {}", report.sentence());
                all.await.map_err(|e| Error::internal(e.to_string()))??
            }
        }
    } else {
        let id = engine
            .resolve(account.as_deref().unwrap_or_default())
            .await?
            .id;
        vec![(id, engine.refresh(id, true).await)]
    };
    report_refreshes(engine, outcomes, !(all || account.is_none()))
}

/// `signetctl remove ACCOUNT`: revokes where it can, removes, and says what happened there.
pub async fn remove(engine: &Engine, account: &str) -> Result<(), Error> {
    let row = engine.resolve(account).await?;
    match engine.remove(row.id).await? {
        Revocation::Revoked => {
            esay!(
                "Removed {} and revoked its access at {}.",
                row.label(),
                row.provider
            );
            Ok(())
        }
        Revocation::NotOffered => {
            esay!("Removed {}.", row.label());
            Ok(())
        }
        // Removed here, but still usable there: the script must not take it for done.
        Revocation::Failed(e) => Err(Error::new(
            ErrorCode::Internal,
            format!(
                "Removed {} from Signet, but {} did not confirm the revocation ({}): the tokens Signet had may keep working there until they expire. To be sure, remove Signet's access in your {} account's security settings.",
                row.label(),
                row.provider,
                e.message.trim_end_matches('.'),
                row.provider
            ),
        )),
    }
}

/// Prints one line per account refreshed (on stderr; stdout stays for data). A lone account's
/// error is left to `main` to print, once; with several, each failure is named on its line and
/// the error returned sums them up.
fn report_refreshes(
    engine: &Engine,
    outcomes: Vec<(i64, Result<signet_core::RefreshOutcome, Error>)>,
    lone: bool,
) -> Result<(), Error> {
    let total = outcomes.len();
    let mut failed: Vec<Error> = Vec::new();
    for (id, outcome) in outcomes {
        match outcome {
            Ok(o) => esay!(
                "account {id}: {}",
                match o {
                    signet_core::RefreshOutcome::Refreshed => "refreshed",
                    signet_core::RefreshOutcome::AlreadyRefreshed =>
                        "refreshed (by another Signet process)",
                    signet_core::RefreshOutcome::NotDue => "not due",
                }
            ),
            Err(e) => {
                if !lone {
                    esay!("account {id}: {}", e.message);
                }
                failed.push(e);
            }
        }
    }
    tracing::info!(
        keyring_calls = engine.vault().calls(),
        "refresh: keyring calls"
    );
    match failed.len() {
        0 => Ok(()),
        1 if lone => Err(failed.remove(0)),
        n => {
            // The exit code is the first failure's; the sentence counts them all.
            let code = failed[0].code;
            Err(Error::new(
                code,
                format!("{n} of {total} accounts could not be refreshed; each is named above."),
            ))
        }
    }
}

/// `list` as aligned columns, each as wide as its widest cell (in terminal columns: a Chinese
/// name is twice as wide as its characters).
fn table(accounts: &[signet_core::AccountView], now: i64) -> Vec<String> {
    let mut rows = vec![[
        "ID",
        "PROVIDER",
        "ACCOUNT",
        "STATUS",
        "EXPIRES",
        "NEXT REFRESH",
    ]
    .map(String::from)];
    let clean = signet_core::printable::clean;
    for a in accounts {
        rows.push([
            a.id.to_string(),
            clean(&a.provider).into_owned(),
            clean(a.email.as_deref().unwrap_or(&a.display_name)).into_owned(),
            a.status.as_str().to_owned(),
            relative(a.access_expires_at, now),
            relative(a.next_refresh_at, now),
        ]);
    }
    let width = |s: &str| unicode_width::UnicodeWidthStr::width(s);
    let widths: Vec<usize> = (0..6)
        .map(|c| rows.iter().map(|r| width(&r[c])).max().unwrap_or(0))
        .collect();
    rows.iter()
        .map(|r| {
            let cells: Vec<String> = r
                .iter()
                .zip(&widths)
                .map(|(cell, w)| format!("{cell}{}", " ".repeat(w - width(cell))))
                .collect();
            cells.join("  ").trim_end().to_owned()
        })
        .collect()
}

fn relative(at: Option<i64>, now: i64) -> String {
    let Some(at) = at else { return "-".into() };
    let s = (at - now) / 1000;
    let (sign, s) = if s < 0 { ("-", -s) } else { ("in ", s) };
    let body = if s >= 86_400 {
        format!("{}d", s / 86_400)
    } else if s >= 3600 {
        format!("{}h{:02}m", s / 3600, (s % 3600) / 60)
    } else {
        format!("{}m{:02}s", s / 60, s % 60)
    };
    if sign == "-" {
        format!("{body} ago")
    } else {
        format!("{sign}{body}")
    }
}

/// Ctrl+C, or SIGTERM where there is one; on Windows also Ctrl+Break, the console window
/// closing, logging off and shutting down (each gives a few seconds to finish).
pub(crate) async fn interrupted() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    #[cfg(windows)]
    {
        use tokio::signal::windows::{ctrl_break, ctrl_close, ctrl_logoff, ctrl_shutdown};
        if let (Ok(mut brk), Ok(mut close), Ok(mut logoff), Ok(mut shutdown)) =
            (ctrl_break(), ctrl_close(), ctrl_logoff(), ctrl_shutdown())
        {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = brk.recv() => {}
                _ = close.recv() => {}
                _ = logoff.recv() => {}
                _ = shutdown.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

/// Opens `url` in the browser through the engine's opener (the same as the app's).
pub(crate) fn open_browser(engine: &Engine, url: &str) {
    if let Err(e) = signet_core::browser::open(url, &engine.config().secret_env_names()) {
        esay!("({} Open the address above yourself.)", e.message);
    }
}
