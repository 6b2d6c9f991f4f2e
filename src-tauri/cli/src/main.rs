//! `signetctl`: Signet for scripts — providers, sign-in, list, token, refresh, remove — on the same engine as the app.

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;

/// `println!` with control characters replaced (names come from providers and other people:
/// an escape sequence in a chat's name must not reach the terminal).
macro_rules! say {
    () => { println!() };
    ($($arg:tt)*) => { println!("{}", signet_core::printable::clean(&format!($($arg)*))) };
}

/// `eprintln!`, cleaned like [`say!`].
macro_rules! esay {
    () => { eprintln!() };
    ($($arg:tt)*) => { eprintln!("{}", signet_core::printable::clean(&format!($($arg)*))) };
}

mod actions;

use clap::{Parser, Subcommand};
use signet_core::{Config, Engine, EngineOptions, Error, ErrorCode, Revocation, Secret, Vault};

#[derive(Parser)]
#[command(name = "signetctl", version, about = "Signet from the command line: sign in, list accounts, print fresh access tokens.", long_about = None)]
struct Cli {
    /// Configuration file (default: $SIGNET_CONFIG or <config dir>/signet/config.toml).
    #[arg(long, global = true, env = "SIGNET_CONFIG")]
    config: Option<std::path::PathBuf>,
    /// Print JSON instead of text (list, providers, add).
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// List the configured providers.
    Providers,
    /// Add a generic OpenID Connect provider to the configuration file by its issuer URL.
    AddOidc {
        /// Name for the provider (letters, digits, '-', '_').
        name: String,
        /// Issuer URL; endpoints come from <issuer>/.well-known/openid-configuration.
        #[arg(long)]
        issuer: String,
        #[arg(long)]
        client_id: String,
        /// Scopes (default: openid email profile, plus offline_access where offered).
        #[arg(long, value_delimiter = ' ')]
        scopes: Option<Vec<String>>,
        /// Fixed loopback port for the redirect URI (default: any free port).
        #[arg(long)]
        port: Option<u16>,
    },
    /// Add a provider of any kind to the configuration file.
    AddProvider {
        /// google | feishu | aihubmix | easemob | oidc
        kind: String,
        /// Name for the provider (letters, digits, '-', '_').
        name: String,
        #[arg(long, default_value = "")]
        client_id: String,
        /// OpenID Connect issuer URL (kind oidc).
        #[arg(long)]
        issuer: Option<String>,
        /// Feishu: feishu (default) or lark.
        #[arg(long)]
        brand: Option<String>,
        /// Feishu: v2 (default) or v3 token endpoint.
        #[arg(long)]
        token_version: Option<String>,
        /// AIHubMix / Easemob base URL.
        #[arg(long)]
        base_url: Option<String>,
        /// Space-separated scopes (default: the provider's own list).
        #[arg(long, value_delimiter = ' ')]
        scopes: Option<Vec<String>>,
        /// loopback | deep-link
        #[arg(long)]
        redirect: Option<String>,
        /// Fixed loopback port for the redirect URI.
        #[arg(long)]
        port: Option<u16>,
        #[command(flatten)]
        endpoints: Box<Endpoints>,
    },
    /// Add an Easemob IM account (no browser). Secrets are read from standard input.
    AddEasemob {
        /// REST host from the console, e.g. a1.easemob.com.
        #[arg(long)]
        host: String,
        #[arg(long)]
        org: String,
        #[arg(long)]
        app: String,
        /// The user ID.
        #[arg(long)]
        user: String,
        /// Read the user's password from standard input (the `password` grant).
        #[arg(long)]
        password_stdin: bool,
        /// The app's Client ID (for the `inherit` grant, the users API and sending messages).
        #[arg(long)]
        client_id: Option<String>,
        /// Read the app's Client Secret from standard input (after the password, if both).
        #[arg(long)]
        client_secret_stdin: bool,
        /// Token lifetime in seconds; 0 = never expires.
        #[arg(long)]
        ttl: Option<u64>,
        /// The app is on a VIP5 cluster (lifetimes in milliseconds).
        #[arg(long)]
        vip5: bool,
    },
    /// Store a provider's client secret in the system keyring (read from standard input).
    SecretSet { provider: String },
    /// Sign in to a provider and add the account (opens the browser; waits for the callback).
    Add {
        provider: String,
        /// Do not open a browser; only print the URL.
        #[arg(long)]
        no_browser: bool,
        /// Re-authenticate this existing account instead of adding one.
        #[arg(long)]
        account: Option<String>,
        /// For providers that come back by a signet:// link: print the address and read the
        /// link you paste (the browser would otherwise hand the link to the app).
        #[arg(long)]
        paste: bool,
    },
    /// List accounts with their status, access-token expiry and next refresh.
    List,
    /// Print a valid access token for an account, refreshing first if it is due.
    Token { account: String },
    /// Refresh one account now, or all of them.
    Refresh {
        account: Option<String>,
        #[arg(long, conflicts_with = "account")]
        all: bool,
    },
    /// Remove an account: revoke at the provider where possible, delete its keyring entries and data.
    Remove { account: String },
    /// Fetch an account's profile and balance again and print them.
    Profile { account: String },
    /// Open the provider's top-up page for an account (AIHubMix), or print it.
    Topup {
        account: String,
        #[arg(long)]
        no_browser: bool,
    },
    /// Chat actions: list spaces or chats, create a space, send a message.
    #[command(subcommand)]
    Chat(actions::Chat),
}

/// Endpoint overrides of `add-provider`, for hosts that differ from the documented defaults
/// (a proxy, a private deployment, a test server).
#[derive(clap::Args)]
struct Endpoints {
    /// The authorization endpoint (the browser's sign-in page).
    #[arg(long)]
    authorize_url: Option<String>,
    /// The token endpoint.
    #[arg(long)]
    token_url: Option<String>,
    /// The user-info (profile) endpoint.
    #[arg(long)]
    userinfo_url: Option<String>,
    /// The revocation endpoint.
    #[arg(long)]
    revoke_url: Option<String>,
    /// The base of the provider's API (Google Chat, Feishu open platform).
    #[arg(long)]
    api_base: Option<String>,
    /// Feishu: the base of the accounts domain (its sign-in page).
    #[arg(long)]
    accounts_base: Option<String>,
}

/// Exit codes, for scripts: 0 ok, 1 error, 2 usage, 3 sign in again (or grant access), 4 keyring,
/// 5 configuration, 6 temporary.
fn exit_code(e: &Error) -> u8 {
    match e.code {
        ErrorCode::ReauthRequired | ErrorCode::SubjectMismatch | ErrorCode::ScopeMissing => 3,
        ErrorCode::KeyringUnavailable | ErrorCode::KeyringLocked | ErrorCode::KeyringTimeout => 4,
        ErrorCode::Config | ErrorCode::SetupProblem => 5,
        ErrorCode::Temporary => 6,
        ErrorCode::NotFound => 1,
        _ => 1,
    }
}

/// Ctrl+C, or SIGTERM where there is one.
async fn interrupted() {
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
    let _ = tokio::signal::ctrl_c().await;
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    // A script reads one sentence per error on stderr: log lines only when asked for with
    // SIGNET_LOG, and colour codes only on a terminal.
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("SIGNET_LOG")
                .unwrap_or_else(|_| "off".into()),
        )
        .try_init();
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            esay!("signetctl: {}", sentence(&e));
            ExitCode::from(exit_code(&e))
        }
    }
}

/// An error as a script's author reads it: what happened, and for a temporary failure what to
/// do, since `signetctl` itself does not try again (the app's scheduler does).
fn sentence(e: &Error) -> String {
    if e.code == ErrorCode::Temporary {
        format!(
            "{} Run the command again in a moment (a running Signet app retries on its own).",
            e.message
        )
    } else {
        e.message.clone()
    }
}

async fn run(cli: Cli) -> Result<(), Error> {
    let path = cli
        .config
        .clone()
        .unwrap_or_else(signet_core::config::default_path);
    if let Command::AddOidc {
        name,
        issuer,
        client_id,
        scopes,
        port,
    } = &cli.command
    {
        return add_oidc(&path, name, issuer, client_id, scopes.as_deref(), *port);
    }
    if let Command::AddProvider {
        kind,
        name,
        client_id,
        issuer,
        brand,
        token_version,
        base_url,
        scopes,
        redirect,
        port,
        endpoints,
    } = &cli.command
    {
        return actions::add_provider(
            &path,
            &signet_core::views::NewProvider {
                name: name.clone(),
                kind: kind.clone(),
                client_id: client_id.clone(),
                issuer: issuer.clone(),
                brand: brand.clone(),
                token_version: token_version.clone(),
                base_url: base_url.clone(),
                scopes: scopes.clone(),
                redirect: redirect.clone(),
                redirect_port: *port,
                authorize_url: endpoints.authorize_url.clone(),
                token_url: endpoints.token_url.clone(),
                userinfo_url: endpoints.userinfo_url.clone(),
                revoke_url: endpoints.revoke_url.clone(),
                api_base: endpoints.api_base.clone(),
                accounts_base: endpoints.accounts_base.clone(),
                ..Default::default()
            },
        );
    }
    let config = Config::load(&path)?;
    if let Command::Providers = cli.command {
        return providers(&config, cli.json);
    }
    let engine = Engine::open(EngineOptions::new(
        config,
        signet_core::engine::default_data_dir(),
        Vault::system(),
    ))
    .await?;
    match cli.command {
        Command::Providers | Command::AddOidc { .. } | Command::AddProvider { .. } => Ok(()),
        Command::AddEasemob {
            host,
            org,
            app,
            user,
            password_stdin,
            client_id,
            client_secret_stdin,
            ttl,
            vip5,
        } => {
            let args = actions::EasemobArgs {
                host,
                org,
                app,
                user,
                password_stdin,
                client_id,
                client_secret_stdin,
                ttl,
                vip5,
            };
            actions::add_easemob(&engine, args, cli.json).await
        }
        Command::Profile { account } => actions::profile(&engine, &account, cli.json).await,
        Command::Topup {
            account,
            no_browser,
        } => {
            let row = engine.resolve(&account).await?;
            let url = engine.topup_url(row.id).await?;
            say!("{url}");
            if !no_browser {
                open_browser(&engine, url.as_str());
            }
            Ok(())
        }
        Command::Chat(cmd) => actions::chat(&engine, cmd, cli.json).await,
        Command::SecretSet { provider } => {
            let secret = read_secret(&provider)?;
            engine.set_client_secret(&provider, &secret).await?;
            esay!("Stored the client secret for {provider} in the system keyring.");
            Ok(())
        }
        Command::Add {
            provider,
            no_browser,
            account,
            paste,
        } => {
            let reauth = match account {
                Some(a) => Some(engine.resolve(&a).await?.id),
                None => None,
            };
            let deep_link = engine
                .config()
                .provider(&provider)
                .is_some_and(|p| p.redirect_mode() == signet_core::RedirectMode::DeepLink);
            if deep_link && !paste {
                return Err(Error::config(format!(
                    "{provider} sends the sign-in back to the Signet app (a signet:// link), so add {provider} accounts in the app. \
                     To do it here anyway, use `signetctl add {provider} --paste` and paste the signet:// link the browser shows."
                )));
            }
            let start = engine.begin_sign_in(&provider, reauth).await?;
            esay!(
                "Open this address to sign in to {provider}:\n\n  {}\n",
                start.authorize_url
            );
            if !no_browser && !deep_link {
                open_browser(&engine, start.browser_url.as_str());
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
            if cli.json {
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
        Command::List => {
            let accounts = engine.list().await?;
            if cli.json {
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
        Command::Token { account } => {
            let row = engine.resolve(&account).await?;
            let token = engine.access_token(row.id).await?;
            // The one place a token is printed on purpose: stdout, for the calling script.
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "{}", token.expose());
            Ok(())
        }
        Command::Refresh { account, all } => {
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
            report_refreshes(&engine, outcomes, !(all || account.is_none()))
        }
        Command::Remove { account } => {
            let row = engine.resolve(&account).await?;
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

fn providers(config: &Config, json: bool) -> Result<(), Error> {
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

fn add_oidc(
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

/// Opens `url` in the browser through the engine's opener (the same as the app's).
fn open_browser(engine: &Engine, url: &str) {
    if let Err(e) = signet_core::browser::open(url, &engine.config().secret_env_names()) {
        esay!("({} Open the address above yourself.)", e.message);
    }
}
