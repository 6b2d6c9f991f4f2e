//! Who may have an account's token: its policy (allow, ask, deny), the decisions remembered per program, and asking the person.

use std::time::Duration;

use crate::engine::Engine;
use crate::error::{Error, ErrorCode, Result};

/// How long the person has to answer; no answer is a refusal.
pub const ASK_WITHIN: Duration = Duration::from_secs(60);

/// An account's policy for programs that ask the agent for its token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, ts_rs::TS)]
#[serde(rename_all = "lowercase")]
#[ts(export, rename = "AgentPolicy")]
pub enum Policy {
    /// Every program of this user may (the default).
    Allow,
    /// The person is asked for each program not decided yet.
    Ask,
    /// No program may.
    Deny,
}

impl Policy {
    pub fn as_str(self) -> &'static str {
        match self {
            Policy::Allow => "allow",
            Policy::Ask => "ask",
            Policy::Deny => "deny",
        }
    }

    pub fn parse(text: &str) -> Result<Policy> {
        match text {
            "allow" => Ok(Policy::Allow),
            "ask" => Ok(Policy::Ask),
            "deny" => Ok(Policy::Deny),
            other => Err(Error::config(format!(
                "\"{other}\" is not a policy; use allow, ask or deny."
            ))),
        }
    }
}

/// What the person answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// This request only.
    Once,
    /// This program, from now on (remembered).
    Always,
    /// Not this program (remembered).
    Deny,
}

/// How the agent asks the person: the app shows a dialog; a headless agent has no one to ask.
#[async_trait::async_trait]
pub trait Prompter: Send + Sync {
    /// Whether `program` may use `account` (how the account is named); `None` when nobody
    /// answered within [`ASK_WITHIN`].
    async fn ask(&self, account: &str, program: &str) -> Option<Decision>;
}

/// Whether `program` (its executable's path, if known) may have account `id`'s token now.
pub(crate) async fn permit(
    engine: &Engine,
    prompter: Option<&dyn Prompter>,
    id: i64,
    account: &str,
    program: Option<&str>,
) -> Result<()> {
    let denied = |message: String| Err(Error::new(ErrorCode::Denied, message));
    match Policy::parse(&engine.agent_policy(id).await?)? {
        Policy::Allow => Ok(()),
        Policy::Deny => denied(format!(
            "{account} gives its token to no program (its policy is deny). Change it in the account's view or with `signetctl policy ACCOUNT allow`."
        )),
        Policy::Ask => {
            let Some(program) = program else {
                return denied(format!(
                    "{account} asks before a program may use it, and Signet could not tell which program this is."
                ));
            };
            match engine.agent_grant(id, program).await?.as_deref() {
                Some("allow") => return Ok(()),
                Some(_) => {
                    return denied(format!(
                        "You refused {program} the use of {account}. To be asked again: `signetctl grants revoke ACCOUNT {program}`."
                    ))
                }
                None => {}
            }
            let Some(prompter) = prompter else {
                return denied(format!(
                    "{account} asks before a program may use it, and this agent (signetctl agent) has no window to ask in. Allow it with `signetctl grants allow ACCOUNT {program}`, or run the Signet app."
                ));
            };
            match tokio::time::timeout(ASK_WITHIN, prompter.ask(account, program)).await {
                Ok(Some(Decision::Once)) => Ok(()),
                Ok(Some(Decision::Always)) => {
                    engine.set_agent_grant(id, program, true).await?;
                    Ok(())
                }
                Ok(Some(Decision::Deny)) => {
                    engine.set_agent_grant(id, program, false).await?;
                    denied(format!("You refused {program} the use of {account}."))
                }
                Ok(None) | Err(_) => denied(format!(
                    "Nobody allowed {program} to use {account} (the question was closed, or not answered within a minute), so it may not this time."
                )),
            }
        }
    }
}
