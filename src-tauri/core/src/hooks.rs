//! Hooks: the configuration's `[hooks]` commands, run on account events (refreshed, sign-in needed, removed) with the account in environment variables and never a token.
//!
//! The process that serves the token agent runs them (the app, or `signetctl agent`), so each
//! event runs its hook once on the machine, whichever process caused it.

use std::collections::HashMap;
use std::time::Duration;

use tokio::sync::broadcast::error::RecvError;
use tokio::task::JoinHandle;

use crate::engine::Engine;
use crate::store::Status;
use crate::views::{AccountView, AlertKind, EngineEvent};

/// How long a hook may run before it is stopped.
pub const HOOK_LIMIT: Duration = Duration::from_secs(60);

/// Runs the hooks until dropped.
pub struct Hooks {
    task: JoinHandle<()>,
}

impl Drop for Hooks {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Which hook, and the account it is about.
struct Fired {
    event: &'static str,
    account_id: i64,
    account: String,
    provider: String,
}

impl Hooks {
    /// Listens to `engine`'s events and runs the configured command for each hook event.
    pub fn start(engine: Engine) -> Hooks {
        let task = tokio::spawn(async move { listen(engine).await });
        Hooks { task }
    }
}

/// What the hooks remember of an account: how to name it, and what would be news.
#[derive(Clone)]
struct Seen {
    account: String,
    provider: String,
    last_refresh_at: Option<crate::clock::Millis>,
    status: Status,
}

impl From<&AccountView> for Seen {
    fn from(a: &AccountView) -> Self {
        Seen {
            account: a.email.clone().unwrap_or_else(|| a.display_name.clone()),
            provider: a.provider.clone(),
            last_refresh_at: a.last_refresh_at,
            status: a.status,
        }
    }
}

async fn known(engine: &Engine) -> Option<HashMap<i64, Seen>> {
    let list = engine.list().await.ok()?;
    Some(list.iter().map(|a| (a.id, Seen::from(a))).collect())
}

/// What another process did, told only as "something changed": each account removed, refreshed
/// or now needing a sign-in since `before` fires its hook here.
fn news(before: &HashMap<i64, Seen>, now: &HashMap<i64, Seen>) -> Vec<(&'static str, i64, Seen)> {
    let mut fired = Vec::new();
    for (id, old) in before {
        match now.get(id) {
            None => fired.push(("removed", *id, old.clone())),
            Some(new) => {
                if new.last_refresh_at > old.last_refresh_at {
                    fired.push(("refreshed", *id, new.clone()));
                }
                if new.status == Status::Reauth && old.status != Status::Reauth {
                    fired.push(("sign_in_needed", *id, new.clone()));
                }
            }
        }
    }
    fired
}

async fn listen(engine: Engine) {
    let mut events = engine.subscribe();
    let mut accounts = known(&engine).await.unwrap_or_default();
    loop {
        let (event, account_id) = match events.recv().await {
            Ok(EngineEvent::AccountChanged { account_id }) => {
                if let Ok(a) = engine.account(account_id).await {
                    accounts.insert(account_id, Seen::from(&a));
                }
                continue;
            }
            Ok(EngineEvent::Refreshed { account_id }) => ("refreshed", account_id),
            Ok(EngineEvent::Alert {
                account_id,
                kind: AlertKind::SignInAgain,
                ..
            }) => ("sign_in_needed", account_id),
            Ok(EngineEvent::AccountRemoved { account_id }) => ("removed", account_id),
            Ok(EngineEvent::ExternalChange) | Err(RecvError::Lagged(_)) => {
                if let Some(now) = known(&engine).await {
                    for (event, id, seen) in news(&accounts, &now) {
                        fire(&engine, event, id, &seen);
                    }
                    accounts = now;
                }
                continue;
            }
            Ok(_) => continue,
            Err(RecvError::Closed) => return,
        };
        let seen = match event {
            "removed" => accounts.remove(&account_id),
            _ => match engine.account(account_id).await {
                Ok(a) => {
                    let seen = Seen::from(&a);
                    accounts.insert(account_id, seen.clone());
                    Some(seen)
                }
                Err(_) => accounts.get(&account_id).cloned(),
            },
        };
        if let Some(seen) = seen {
            fire(&engine, event, account_id, &seen);
        }
    }
}

/// Starts the configured command for `event`, if there is one.
fn fire(engine: &Engine, event: &'static str, account_id: i64, seen: &Seen) {
    let config = engine.config();
    let command = match event {
        "refreshed" => config.hooks.refreshed.clone(),
        "sign_in_needed" => config.hooks.sign_in_needed.clone(),
        _ => config.hooks.removed.clone(),
    };
    let Some(command) = command else {
        return;
    };
    let fired = Fired {
        event,
        account_id,
        account: seen.account.clone(),
        provider: seen.provider.clone(),
    };
    let hidden = config.secret_env_names();
    tokio::spawn(async move { run(&command, &fired, &hidden).await });
}

/// Runs one hook with `sh -c`, without the variables that hold client secrets, and logs how it
/// ended; one that runs past [`HOOK_LIMIT`] is stopped.
async fn run(command: &str, fired: &Fired, hidden: &[String]) {
    let mut cmd = tokio::process::Command::new("sh");
    cmd.arg("-c")
        .arg(command)
        .env("SIGNET_EVENT", fired.event)
        .env("SIGNET_ACCOUNT", &fired.account)
        .env("SIGNET_ACCOUNT_ID", fired.account_id.to_string())
        .env("SIGNET_PROVIDER", &fired.provider)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true);
    for name in hidden.iter().cloned().chain(crate::child_env::own()) {
        cmd.env_remove(name);
    }
    let status = match cmd.spawn() {
        Ok(mut child) => tokio::time::timeout(HOOK_LIMIT, child.wait()).await,
        Err(e) => {
            tracing::warn!(hook = fired.event, error = %e, "hook could not be started");
            return;
        }
    };
    match status {
        Ok(Ok(s)) if s.success() => {
            tracing::info!(hook = fired.event, account = fired.account_id, "hook ran")
        }
        Ok(Ok(s)) => {
            tracing::warn!(hook = fired.event, account = fired.account_id, status = %s, "hook failed")
        }
        Ok(Err(e)) => tracing::warn!(hook = fired.event, error = %e, "hook failed"),
        Err(_) => tracing::warn!(
            hook = fired.event,
            "hook ran past its time limit and was stopped"
        ),
    }
}
