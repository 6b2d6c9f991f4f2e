//! The agent's client: how `signetctl` and other Rust programs ask a running agent for a token.

use std::path::Path;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, ReadHalf, WriteHalf};

use super::protocol::{AccountRef, AgentInfo, Answer, Op, Request, WireToken, MAX_LINE, VERSION};
use super::transport::ClientStream;
use crate::error::{Error, ErrorCode, Result};
use crate::refresh::FreshToken;
use crate::secret::Secret;

/// Longest wait for one answer: a token request may wait for a refresh (and the provider).
const ANSWER_WITHIN: Duration = Duration::from_secs(120);

/// A connection to the running agent.
pub struct AgentClient {
    reader: BufReader<ReadHalf<ClientStream>>,
    writer: WriteHalf<ClientStream>,
}

impl AgentClient {
    /// Connects to the agent of `data_dir`; `None` when no agent serves it.
    pub async fn connect(data_dir: &Path) -> Option<AgentClient> {
        let stream = super::transport::connect(data_dir).await?;
        let (reader, writer) = tokio::io::split(stream);
        Some(AgentClient {
            reader: BufReader::new(reader),
            writer,
        })
    }

    /// Sends one request and reads its answer; an answer with `ok: false` is its error.
    pub async fn call(&mut self, op: Op) -> Result<Answer> {
        let mut line = serde_json::to_vec(&Request { v: VERSION, op })
            .map_err(|e| Error::internal(format!("request not written ({e})")))?;
        line.push(b'\n');
        let lost = |e: std::io::Error| {
            Error::new(
                ErrorCode::Temporary,
                format!("Signet's token agent stopped answering ({e})."),
            )
        };
        self.writer.write_all(&line).await.map_err(lost)?;
        let answer = self.next().await?;
        match answer.error {
            Some(e) if !answer.ok => Err(e),
            _ => Ok(answer),
        }
    }

    /// The next answer line (also each line of a `subscribe` stream).
    pub async fn next(&mut self) -> Result<Answer> {
        let mut buf = Vec::new();
        let read = tokio::time::timeout(ANSWER_WITHIN, self.reader.read_until(b'\n', &mut buf))
            .await
            .map_err(|_| {
                Error::new(
                    ErrorCode::Temporary,
                    "Signet's token agent did not answer within two minutes.",
                )
            })?;
        match read {
            Ok(0) => Err(Error::new(
                ErrorCode::Temporary,
                "Signet's token agent closed the connection.",
            )),
            Ok(_) if buf.len() > MAX_LINE * 16 => Err(Error::new(
                ErrorCode::Protocol,
                "Signet's token agent sent an answer too long to be one.",
            )),
            Ok(_) => serde_json::from_slice(&buf).map_err(|e| {
                Error::new(
                    ErrorCode::Protocol,
                    format!("Signet's token agent sent an answer this program does not understand ({e})."),
                )
            }),
            Err(e) => Err(Error::new(
                ErrorCode::Temporary,
                format!("Signet's token agent stopped answering ({e})."),
            )),
        }
    }

    pub async fn hello(&mut self) -> Result<AgentInfo> {
        self.call(Op::Hello)
            .await?
            .agent
            .ok_or_else(|| missing("who serves"))
    }

    /// A fresh access token for `account` with at least `min_ttl_secs` left.
    pub async fn token(&mut self, account: &str, min_ttl_secs: u64) -> Result<FreshToken> {
        let op = Op::Token {
            account: account.to_owned(),
            min_ttl_secs,
        };
        fresh(self.call(op).await?)
    }

    /// Reports that a server refused `token`; answers with the token to use now.
    pub async fn rejected(&mut self, account: &str, token: &Secret) -> Result<FreshToken> {
        let op = Op::Rejected {
            account: account.to_owned(),
            token: WireToken(token.expose().to_owned()),
        };
        fresh(self.call(op).await?)
    }

    pub async fn accounts(&mut self) -> Result<Vec<AccountRef>> {
        self.call(Op::Accounts)
            .await?
            .accounts
            .ok_or_else(|| missing("the accounts"))
    }
}

fn fresh(answer: Answer) -> Result<FreshToken> {
    let token = answer.token.ok_or_else(|| missing("a token"))?;
    Ok(FreshToken {
        access: Secret::new(token.0),
        expires_at: answer.expires_at,
    })
}

fn missing(what: &str) -> Error {
    Error::new(
        ErrorCode::Protocol,
        format!("Signet's token agent answered without {what}."),
    )
}
