//! `signetctl`: Signet for scripts — providers, sign-in, list, token, refresh, remove — on the same engine as the app.

use std::io::IsTerminal;
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

mod accounts;
mod agent;
mod chat;
mod easemob;
mod profile;
mod providers;

use clap::{Parser, Subcommand};
use signet_core::{Config, Engine, EngineOptions, Error, ErrorCode, Vault};

#[derive(Parser)]
#[command(name = "signetctl", version, about = "Signet from the command line: sign in, list accounts, print fresh access tokens.", long_about = None)]
struct Cli {
    /// Configuration file (default: $SIGNET_CONFIG or <config dir>/signet/config.toml).
    #[arg(long, global = true, env = "SIGNET_CONFIG")]
    config: Option<std::path::PathBuf>,
    /// Print JSON instead of text (list, providers, add, profile).
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// List the configured providers.
    Providers,
    /// List the kinds of provider Signet knows, with the keys each takes in the configuration.
    Kinds,
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
        #[command(flatten)]
        entry: Box<EntryFlags>,
    },
    /// Change a provider's entry: only the values given change; an empty value ("") is removed,
    /// so the documented default applies again. Its accounts stay. (Secrets: `secret-set`.)
    EditProvider {
        name: String,
        #[command(flatten)]
        entry: Box<EntryFlags>,
    },
    /// Remove a provider, and with it its accounts (revoked at the provider where it can be,
    /// deleted from this computer) and its client secret. Asks first when it has accounts.
    RemoveProvider {
        name: String,
        /// Remove its accounts without asking (for scripts).
        #[arg(long)]
        yes: bool,
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
    /// Print a valid access token for an account, refreshing first if it is due (by the
    /// running Signet, when one serves the token agent).
    Token {
        account: String,
        /// Refresh first unless the token lives at least this long (90s, 5m, 1h).
        #[arg(long, value_parser = agent::parse_min_ttl)]
        min_ttl: Option<std::time::Duration>,
    },
    /// Run a command with an account's access token in an environment variable (never on a
    /// command line); its exit code is passed through.
    Exec {
        account: String,
        /// The variable that holds the token.
        #[arg(long, default_value = "SIGNET_TOKEN")]
        env: String,
        /// Refresh first unless the token lives at least this long (90s, 5m, 1h).
        #[arg(long, value_parser = agent::parse_min_ttl)]
        min_ttl: Option<std::time::Duration>,
        /// The command and its arguments, after --.
        #[arg(last = true, required = true)]
        command: Vec<String>,
    },
    /// Print `Authorization: Bearer …` for an account, for `curl -H @-`.
    Header {
        account: String,
        #[arg(long, value_parser = agent::parse_min_ttl)]
        min_ttl: Option<std::time::Duration>,
    },
    /// Print a Kubernetes ExecCredential (client.authentication.k8s.io/v1) for kubectl.
    KubeCredential {
        account: String,
        #[arg(long, value_parser = agent::parse_min_ttl)]
        min_ttl: Option<std::time::Duration>,
    },
    /// git's credential helper: `get` answers with the account's token, `store` keeps nothing,
    /// `erase` reports a refused token (one refresh).
    GitCredential {
        #[arg(long)]
        account: Option<String>,
        /// get | store | erase (git passes it).
        operation: String,
    },
    /// Whether programs may get an account's token from the token agent: allow (the default),
    /// ask (the app asks you for each program) or deny.
    Policy { account: String, policy: String },
    /// The decisions remembered for programs under `ask`: list them, or allow, deny or forget one.
    Grants {
        #[command(subcommand)]
        action: Option<agent::GrantAction>,
    },
    /// Serve the token agent with no window (SSH sessions, servers): keeps every account fresh
    /// and answers other programs, until Ctrl-C or SIGTERM.
    Agent,
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
    /// Notify when an account's balance falls below AMOUNT (AIHubMix; `off` removes the alert).
    LowBalance { account: String, amount: String },
    /// Open the provider's top-up page for an account (AIHubMix), or print it.
    Topup {
        account: String,
        #[arg(long)]
        no_browser: bool,
    },
    /// Chat actions: list spaces or chats, create a space, send a message.
    #[command(subcommand)]
    Chat(chat::Chat),
}

/// Endpoint overrides of `add-provider`, for hosts that differ from the documented defaults
/// (a proxy, a private deployment, a test server).
/// A provider entry's values, for `add-provider` and `edit-provider`.
#[derive(clap::Args)]
struct EntryFlags {
    #[arg(long)]
    client_id: Option<String>,
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
    /// Space-separated scopes ("" or absent: the provider's own list).
    #[arg(long)]
    scopes: Option<String>,
    /// loopback | deep-link
    #[arg(long)]
    redirect: Option<String>,
    /// Fixed loopback port for the redirect URI (0: any free port).
    #[arg(long)]
    port: Option<u16>,
    #[command(flatten)]
    endpoints: Endpoints,
}

impl EntryFlags {
    /// The entry (or, for an edit, the change) these flags describe.
    fn provider(self, name: &str, kind: &str) -> signet_core::views::NewProvider {
        let e = self.endpoints;
        signet_core::views::NewProvider {
            name: name.to_owned(),
            kind: kind.to_owned(),
            client_id: self.client_id.unwrap_or_default(),
            issuer: self.issuer,
            brand: self.brand,
            token_version: self.token_version,
            base_url: self.base_url,
            scopes: self
                .scopes
                .map(|s| s.split_whitespace().map(str::to_owned).collect()),
            redirect: self.redirect,
            redirect_port: self.port,
            authorize_url: e.authorize_url,
            token_url: e.token_url,
            userinfo_url: e.userinfo_url,
            revoke_url: e.revoke_url,
            api_base: e.api_base,
            accounts_base: e.accounts_base,
            ..Default::default()
        }
    }
}

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
        Ok(0) => ExitCode::SUCCESS,
        Ok(code) => ExitCode::from(code),
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

/// Runs the command; `Ok` holds the exit code (`exec` passes its command's on).
async fn run(cli: Cli) -> Result<u8, Error> {
    let path = cli
        .config
        .clone()
        .unwrap_or_else(signet_core::config::default_path);
    if let Some(done) = tokens(&path, &cli.command).await {
        return done;
    }
    run_with_engine(cli, path).await.map(|()| 0)
}

/// The commands that hand tokens to other programs: they ask the running agent first, and
/// open the engine only without one.
async fn tokens(path: &std::path::Path, command: &Command) -> Option<Result<u8, Error>> {
    let ask = |account, min_ttl: &Option<std::time::Duration>| agent::Ask {
        config: path,
        account,
        min_ttl: min_ttl.unwrap_or_default(),
    };
    let done = match command {
        Command::Token { account, min_ttl } => agent::token(&ask(account, min_ttl)).await,
        Command::Header { account, min_ttl } => agent::header(&ask(account, min_ttl)).await,
        Command::KubeCredential { account, min_ttl } => {
            agent::kube_credential(&ask(account, min_ttl)).await
        }
        Command::GitCredential { account, operation } => {
            agent::git_credential(path, account.as_deref(), operation).await
        }
        Command::Exec {
            account,
            env,
            min_ttl,
            command,
        } => return Some(agent::exec(&ask(account, min_ttl), env, command).await),
        Command::Agent => agent::serve(path).await,
        _ => return None,
    };
    Some(done.map(|()| 0))
}

async fn run_with_engine(cli: Cli, path: std::path::PathBuf) -> Result<(), Error> {
    if let Command::AddOidc {
        name,
        issuer,
        client_id,
        scopes,
        port,
    } = &cli.command
    {
        return providers::add_oidc(&path, name, issuer, client_id, scopes.as_deref(), *port);
    }
    // Entries are added to the file alone: no engine, no keyring.
    let command = match cli.command {
        Command::AddProvider { kind, name, entry } => {
            return providers::add_provider(&path, &entry.provider(&name, &kind));
        }
        other => other,
    };
    let config = Config::load(&path)?;
    if let Command::Providers = command {
        return providers::list(&config, cli.json);
    }
    if let Command::Kinds = command {
        return providers::kinds(cli.json);
    }
    let engine = Engine::open(EngineOptions::new(
        config,
        signet_core::engine::default_data_dir(),
        Vault::system(),
    ))
    .await?;
    match command {
        Command::Providers
        | Command::Kinds
        | Command::AddOidc { .. }
        | Command::AddProvider { .. } => Ok(()),
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
            let args = easemob::EasemobArgs {
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
            easemob::add(&engine, args, cli.json).await
        }
        Command::Profile { account } => profile::show(&engine, &account, cli.json).await,
        Command::LowBalance { account, amount } => {
            profile::low_balance(&engine, &account, &amount).await
        }
        Command::Topup {
            account,
            no_browser,
        } => profile::topup(&engine, &account, no_browser).await,
        Command::Chat(cmd) => chat::run(&engine, cmd, cli.json).await,
        Command::SecretSet { provider } => providers::secret_set(&engine, &provider).await,
        Command::EditProvider { name, entry } => {
            providers::edit(&engine, &name, entry.provider(&name, "")).await
        }
        Command::RemoveProvider { name, yes } => providers::remove(&engine, &name, yes).await,
        Command::Add {
            provider,
            no_browser,
            account,
            paste,
        } => accounts::add(&engine, &provider, account, no_browser, paste, cli.json).await,
        Command::List => accounts::list(&engine, cli.json).await,
        Command::Token { .. }
        | Command::Exec { .. }
        | Command::Header { .. }
        | Command::KubeCredential { .. }
        | Command::GitCredential { .. }
        | Command::Agent => Ok(()),
        Command::Refresh { account, all } => accounts::refresh(&engine, account, all).await,
        Command::Remove { account } => accounts::remove(&engine, &account).await,
        Command::Policy { account, policy } => agent::set_policy(&engine, &account, &policy).await,
        Command::Grants { action } => agent::grants(&engine, action, cli.json).await,
    }
}
