//! `signetctl chat`: list spaces or group chats, create a space, send a message.

use std::io::BufRead;

use clap::Subcommand;
use signet_core::views::Recipient;
use signet_core::{Engine, Error};

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

pub async fn run(engine: &Engine, cmd: Chat, json: bool) -> Result<(), Error> {
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
