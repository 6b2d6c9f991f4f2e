//! Tokens for other programs: `agent` (serve the token agent with no window), `token`, `exec`,
//! `header`, `kube-credential` and `git-credential` — each asks the running agent, and only
//! without one refreshes in this process (behind the account's lock, as before).

use std::io::{BufRead, Write};
use std::path::Path;
use std::time::{Duration, UNIX_EPOCH};

use signet_core::agent::{Agent, AgentClient, Front, Policy};
use signet_core::{Config, Engine, EngineOptions, Error, ErrorCode, FreshToken, Secret, Vault};

/// How a token is asked for: which account, and how long it must still live.
pub struct Ask<'a> {
    pub config: &'a Path,
    pub account: &'a str,
    pub min_ttl: Duration,
}

/// `--min-ttl`: `90`, `90s`, `5m`, `1h`.
pub fn parse_min_ttl(text: &str) -> Result<Duration, String> {
    if let Ok(secs) = text.parse::<u64>() {
        return Ok(Duration::from_secs(secs));
    }
    humantime::parse_duration(text)
        .map_err(|e| format!("\"{text}\" is not a duration such as 90s, 5m or 1h ({e})"))
}

/// A fresh token: from the running agent, or refreshed here when none runs.
pub async fn fresh(ask: &Ask<'_>) -> Result<FreshToken, Error> {
    let data_dir = signet_core::engine::default_data_dir();
    if let Some(mut agent) = AgentClient::connect(&data_dir).await {
        return agent.token(ask.account, ask.min_ttl.as_secs()).await;
    }
    let engine = open(ask.config).await?;
    let row = engine.resolve(ask.account).await?;
    let min_ttl = i64::try_from(ask.min_ttl.as_millis()).unwrap_or(i64::MAX);
    engine.fresh_token(row.id, min_ttl).await
}

/// A server refused `token`: the agent (or this process) refreshes once if it is current.
pub async fn rejected(ask: &Ask<'_>, token: &Secret) -> Result<FreshToken, Error> {
    let data_dir = signet_core::engine::default_data_dir();
    if let Some(mut agent) = AgentClient::connect(&data_dir).await {
        return agent.rejected(ask.account, token).await;
    }
    let engine = open(ask.config).await?;
    let row = engine.resolve(ask.account).await?;
    engine.token_rejected(row.id, token).await
}

async fn open(config: &Path) -> Result<Engine, Error> {
    let config = Config::load(config)?;
    Engine::open(EngineOptions::new(
        config,
        signet_core::engine::default_data_dir(),
        Vault::system(),
    ))
    .await
}

/// The one place tokens are printed on purpose: stdout, for the program that asked.
fn print(text: &str) -> Result<(), Error> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{text}")
        .and_then(|()| out.flush())
        .map_err(|e| Error::internal(format!("stdout: {e}")))
}

/// `signetctl token ACCOUNT [--min-ttl D]`.
pub async fn token(ask: &Ask<'_>) -> Result<(), Error> {
    print(fresh(ask).await?.access.expose())
}

/// `signetctl header ACCOUNT`: `Authorization: Bearer …`, for `curl -H @-`.
pub async fn header(ask: &Ask<'_>) -> Result<(), Error> {
    let fresh = fresh(ask).await?;
    print(&format!("Authorization: Bearer {}", fresh.access.expose()))
}

/// `signetctl kube-credential ACCOUNT`: a `client.authentication.k8s.io/v1` ExecCredential.
pub async fn kube_credential(ask: &Ask<'_>) -> Result<(), Error> {
    let fresh = fresh(ask).await?;
    let mut status = serde_json::json!({ "token": fresh.access.expose() });
    if let Some(at) = fresh.expires_at {
        let when = UNIX_EPOCH + Duration::from_millis(u64::try_from(at).unwrap_or(0));
        status["expirationTimestamp"] = humantime::format_rfc3339_seconds(when).to_string().into();
    }
    let credential = serde_json::json!({
        "apiVersion": "client.authentication.k8s.io/v1",
        "kind": "ExecCredential",
        "status": status,
    });
    print(&credential.to_string())
}

/// `signetctl exec ACCOUNT [--env NAME] -- COMMAND…`: the command runs with the token in its
/// environment (never on a command line); its exit code is this one's.
pub async fn exec(ask: &Ask<'_>, env: &str, command: &[String]) -> Result<u8, Error> {
    let Some((program, args)) = command.split_first() else {
        return Err(Error::new(
            ErrorCode::Config,
            "Name the command to run after --, for example: signetctl exec ACCOUNT -- curl …",
        ));
    };
    let fresh = fresh(ask).await?;
    let status = std::process::Command::new(program)
        .args(args)
        .env(env, fresh.access.expose())
        .status()
        .map_err(|e| {
            Error::new(
                ErrorCode::Config,
                format!("{program} could not be started ({e})."),
            )
        })?;
    Ok(exit_status(status))
}

/// The child's exit code; killed by a signal: 128 + the signal, as shells report it.
fn exit_status(status: std::process::ExitStatus) -> u8 {
    if let Some(code) = status.code() {
        return u8::try_from(code).unwrap_or(1);
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(signal) = status.signal() {
            return u8::try_from(128 + signal).unwrap_or(1);
        }
    }
    1
}

/// `signetctl git-credential --account ACCOUNT get|store|erase`: git's credential helper
/// protocol. `get` answers with the token as the password and its `password_expiry_utc`;
/// `store` keeps nothing; `erase` reports the refused token, which refreshes it once.
pub async fn git_credential(
    config: &Path,
    account: Option<&str>,
    operation: &str,
) -> Result<(), Error> {
    let given = read_git_attributes(std::io::stdin().lock());
    let Some(account) = account else {
        return Err(Error::new(
            ErrorCode::Config,
            "Name the account in the helper: git config credential.https://HOST.helper '!signetctl git-credential --account ACCOUNT'.",
        ));
    };
    let ask = Ask {
        config,
        account,
        min_ttl: Duration::from_secs(60),
    };
    match operation {
        "get" => {
            let fresh = fresh(&ask).await?;
            let username = attribute(&given, "username").unwrap_or("oauth2");
            let mut answer = format!("username={username}\npassword={}\n", fresh.access.expose());
            if let Some(at) = fresh.expires_at {
                answer.push_str(&format!("password_expiry_utc={}\n", at / 1000));
            }
            print(answer.trim_end())
        }
        "erase" => {
            if let Some(token) = attribute(&given, "password") {
                rejected(&ask, &Secret::new(token.to_owned())).await?;
            }
            Ok(())
        }
        // git offers every credential it used; Signet already holds the token.
        "store" => Ok(()),
        other => Err(Error::new(
            ErrorCode::Config,
            format!("git asked for \"{other}\"; a credential helper answers get, store and erase."),
        )),
    }
}

/// `key=value` lines up to a blank line or the end of input.
fn read_git_attributes(input: impl BufRead) -> Vec<(String, String)> {
    input
        .lines()
        .map_while(Result::ok)
        .take_while(|line| !line.is_empty())
        .filter_map(|line| {
            line.split_once('=')
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
        })
        .collect()
}

fn attribute<'a>(given: &'a [(String, String)], key: &str) -> Option<&'a str> {
    given
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// `signetctl agent`: serves the token agent with no window and keeps every account fresh,
/// until Ctrl-C or SIGTERM; refreshes in flight are stored before it exits.
pub async fn serve(config: &Path) -> Result<(), Error> {
    let data_dir = signet_core::engine::default_data_dir();
    let engine = open(config).await?;
    let agent = Agent::start(engine.clone(), &data_dir, Front::Headless, None).await?;
    let hooks = signet_core::hooks::Hooks::start(engine.clone());
    let background =
        engine.start_background(&tokio::runtime::Handle::current(), Duration::from_secs(2));
    esay!(
        "signetctl: Signet's token agent serves on {} (Ctrl-C or SIGTERM stops it).",
        agent.address()
    );
    crate::accounts::interrupted().await;
    drop(agent);
    drop(hooks);
    background.join().await;
    let report = engine.quit().await;
    engine.store().close().await;
    esay!(
        "signetctl: the agent stopped; {} refreshes were in flight, {} without an answer yet.",
        report.in_flight,
        report.still_waiting
    );
    Ok(())
}

/// `signetctl policy ACCOUNT allow|ask|deny`.
pub async fn set_policy(engine: &Engine, account: &str, policy: &str) -> Result<(), Error> {
    let policy = Policy::parse(policy)?;
    let row = engine.resolve(account).await?;
    engine.set_agent_policy(row.id, policy).await?;
    let what = match policy {
        Policy::Allow => "every program of yours may get its token from Signet",
        Policy::Ask => "Signet asks you (in the app) before a program gets its token",
        Policy::Deny => "no program gets its token from Signet",
    };
    say!("{}: {what}.", row.label());
    Ok(())
}

/// What `signetctl grants` does.
#[derive(clap::Subcommand)]
pub enum GrantAction {
    /// List the decisions (of one account, or all).
    List { account: Option<String> },
    /// Let PROGRAM (its executable's full path) use ACCOUNT without asking.
    Allow { account: String, program: String },
    /// Refuse PROGRAM the use of ACCOUNT without asking.
    Deny { account: String, program: String },
    /// Forget the decision: PROGRAM is asked about again.
    Revoke { account: String, program: String },
}

/// `signetctl grants [list [ACCOUNT] | allow | deny | revoke ACCOUNT PROGRAM]`.
pub async fn grants(engine: &Engine, action: Option<GrantAction>, json: bool) -> Result<(), Error> {
    match action.unwrap_or(GrantAction::List { account: None }) {
        GrantAction::List { account } => {
            let id = match account {
                Some(a) => Some(engine.resolve(&a).await?.id),
                None => None,
            };
            let grants = engine.agent_grants(id).await?;
            if json {
                say!(
                    "{}",
                    serde_json::to_string_pretty(&grants).unwrap_or_default()
                );
                return Ok(());
            }
            if grants.is_empty() {
                say!("No decisions yet: under `ask`, the app asks for each program.");
            }
            for g in grants {
                let account = engine
                    .account(g.account_id)
                    .await
                    .map(|a| a.email.unwrap_or(a.display_name))
                    .unwrap_or_else(|_| g.account_id.to_string());
                say!("{account}\t{}\t{}", g.decision, g.program);
            }
            Ok(())
        }
        GrantAction::Allow { account, program } | GrantAction::Deny { account, program }
            if !program.starts_with('/') =>
        {
            let _ = account;
            Err(Error::config(format!(
                "\"{program}\" is not a full path; programs are known by their executable, such as /usr/bin/git."
            )))
        }
        GrantAction::Allow { account, program } => {
            let row = engine.resolve(&account).await?;
            engine.set_agent_grant(row.id, &program, true).await?;
            say!("{program} may use {} without asking.", row.label());
            Ok(())
        }
        GrantAction::Deny { account, program } => {
            let row = engine.resolve(&account).await?;
            engine.set_agent_grant(row.id, &program, false).await?;
            say!("{program} is refused {} without asking.", row.label());
            Ok(())
        }
        GrantAction::Revoke { account, program } => {
            let row = engine.resolve(&account).await?;
            if engine.revoke_agent_grant(row.id, &program).await? {
                say!(
                    "Forgot the decision for {program} on {}: it is asked about again.",
                    row.label()
                );
                Ok(())
            } else {
                Err(Error::not_found(format!(
                    "There is no decision for {program} on {}.",
                    row.label()
                )))
            }
        }
    }
}
