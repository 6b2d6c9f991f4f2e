//! The agent's server: one agent per user and data folder, peers of another user refused, each request answered by the engine and recorded in the activity log.

use std::fs::File;
use std::path::Path;
use std::sync::Arc;

use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::sync::broadcast::error::RecvError;
use tokio::task::{JoinHandle, JoinSet};

use super::policy::{permit, Prompter};
use super::protocol::{AccountRef, AgentInfo, Answer, Op, Request, StatusEvent, WireToken};
use super::protocol::{MAX_LINE, VERSION};
use super::transport::{Listener, Peer, ServerStream};
use crate::engine::Engine;
use crate::error::{Error, ErrorCode, Result};
use crate::refresh::FreshToken;
use crate::secret::Secret;
use crate::views::EngineEvent;

/// How long a refused peer may take to send its request before it is answered anyway.
const REFUSE_AFTER: std::time::Duration = std::time::Duration::from_secs(5);

/// Which front end serves the agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Front {
    /// The desktop app.
    App,
    /// `signetctl agent`, with no window.
    Headless,
}

impl Front {
    pub fn as_str(self) -> &'static str {
        match self {
            Front::App => "app",
            Front::Headless => "headless",
        }
    }
}

/// The running agent. Dropping it stops serving (open connections included) and removes the
/// socket; the lock that makes it the only agent of its data folder goes with it.
pub struct Agent {
    address: String,
    task: JoinHandle<()>,
    _lock: File,
}

/// What every connection is given.
struct Ctx {
    engine: Engine,
    info: AgentInfo,
    /// Who asks the person under an `ask` policy (none for a headless agent).
    prompter: Option<Arc<dyn Prompter>>,
}

impl Agent {
    /// Serves the agent for `engine` on [`super::socket_path`] of `data_dir`, asking the person
    /// through `prompter` under an `ask` policy (none: such requests are refused). Refused,
    /// saying who serves, when another agent of this user and data folder is running.
    pub async fn start(
        engine: Engine,
        data_dir: &Path,
        front: Front,
        prompter: Option<Arc<dyn Prompter>>,
    ) -> Result<Agent> {
        let lock = crate::lock::open_lock_file(&data_dir.join("agent.lock"))?;
        if lock.try_lock().is_err() {
            return Err(already_served(data_dir).await);
        }
        let listener = Listener::bind(data_dir)?;
        let address = listener.address();
        let ctx = Arc::new(Ctx {
            engine,
            info: AgentInfo {
                pid: std::process::id(),
                front: front.as_str().to_owned(),
                version: env!("CARGO_PKG_VERSION").to_owned(),
            },
            prompter,
        });
        tracing::info!(at = %address, front = front.as_str(), "token agent serving");
        let task = tokio::spawn(accept(listener, ctx));
        Ok(Agent {
            address,
            task,
            _lock: lock,
        })
    }

    /// Where it serves: the socket's path, or the pipe's name on Windows.
    pub fn address(&self) -> &str {
        &self.address
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        self.task.abort();
        Listener::remove(&self.address);
    }
}

/// The error for a second agent: who serves already, as its `hello` says.
async fn already_served(data_dir: &Path) -> Error {
    let by = match super::client::AgentClient::connect(data_dir).await {
        Some(mut client) => match client.hello().await {
            Ok(info) => format!(
                "the {} (pid {})",
                if info.front == "app" {
                    "Signet app"
                } else {
                    "headless agent, signetctl agent,"
                },
                info.pid
            ),
            Err(_) => "another Signet process".to_owned(),
        },
        None => "another Signet process, still starting,".to_owned(),
    };
    Error::new(
        ErrorCode::Config,
        format!("Signet's token agent is already served by {by} for this data folder; programs already get their tokens there. Stop it first to serve from here."),
    )
}

/// Accepts connections until the agent is dropped; dropping the set ends every connection.
async fn accept(mut listener: Listener, ctx: Arc<Ctx>) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    connections.spawn(serve(stream, peer, ctx.clone()));
                }
                Err(e) => {
                    tracing::warn!(error = %e, "agent: accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

/// One connection: peer check, then one answer per request line.
async fn serve(stream: ServerStream, peer: Peer, ctx: Arc<Ctx>) {
    let (reader, mut writer) = tokio::io::split(stream);
    let mut reader = BufReader::new(reader);
    if !peer.same_user {
        tracing::warn!(
            user = %peer.user,
            "agent: a program of another user was refused"
        );
        // Its request is read (and not looked at) first, so the answer is not lost to a
        // connection closed while the client was still writing.
        let _ = tokio::time::timeout(REFUSE_AFTER, read_line(&mut reader)).await;
        let refused = Error::new(
            ErrorCode::Denied,
            "Signet's token agent serves only the user it runs as.",
        );
        let _ = write_answer(&mut writer, &Answer::failed(refused)).await;
        return;
    }
    loop {
        let line = match read_line(&mut reader).await {
            Ok(Some(line)) => line,
            Ok(None) => return,
            Err(e) => {
                let _ = write_answer(&mut writer, &Answer::failed(e)).await;
                return;
            }
        };
        let request = match parse(&line) {
            Ok(request) => request,
            Err(e) => {
                if write_answer(&mut writer, &Answer::failed(e)).await.is_err() {
                    return;
                }
                continue;
            }
        };
        if let Op::Subscribe = request.op {
            subscribe(&ctx, &mut reader, &mut writer).await;
            return;
        }
        let answer = ctx.answer(request.op, &peer).await;
        if write_answer(&mut writer, &answer).await.is_err() {
            return;
        }
    }
}

fn parse(line: &str) -> Result<Request> {
    let request: Request = serde_json::from_str(line).map_err(|e| {
        Error::new(
            ErrorCode::BadRequest,
            format!("The request is not one Signet's agent understands ({e}); see docs/agent-protocol.md."),
        )
    })?;
    if request.v != VERSION {
        return Err(Error::new(
            ErrorCode::BadRequest,
            format!(
                "The request is written for protocol version {}; this agent speaks version {VERSION}.",
                request.v
            ),
        ));
    }
    Ok(request)
}

/// One line, without its end; `None` at the end of the stream; an error past [`MAX_LINE`].
async fn read_line(reader: &mut (impl AsyncBufRead + Unpin)) -> Result<Option<String>> {
    let mut buf = Vec::new();
    loop {
        let chunk = reader
            .fill_buf()
            .await
            .map_err(|e| Error::new(ErrorCode::BadRequest, format!("read failed ({e})")))?;
        if chunk.is_empty() {
            return Ok((!buf.is_empty()).then(|| String::from_utf8_lossy(&buf).into_owned()));
        }
        let (take, done) = match chunk.iter().position(|b| *b == b'\n') {
            Some(i) => (i + 1, true),
            None => (chunk.len(), false),
        };
        buf.extend_from_slice(&chunk[..take]);
        reader.consume(take);
        if buf.len() > MAX_LINE {
            return Err(Error::new(
                ErrorCode::BadRequest,
                format!("The request is longer than {MAX_LINE} bytes."),
            ));
        }
        if done {
            buf.pop();
            if buf.last() == Some(&b'\r') {
                buf.pop();
            }
            return Ok(Some(String::from_utf8_lossy(&buf).into_owned()));
        }
    }
}

async fn write_answer(
    writer: &mut (impl AsyncWrite + Unpin),
    answer: &Answer,
) -> std::io::Result<()> {
    let mut line = serde_json::to_vec(answer).map_err(std::io::Error::other)?;
    line.push(b'\n');
    writer.write_all(&line).await?;
    writer.flush().await
}

impl Ctx {
    async fn answer(&self, op: Op, peer: &Peer) -> Answer {
        match op {
            Op::Hello => Answer {
                agent: Some(self.info.clone()),
                ..Answer::ok()
            },
            Op::Accounts => match self.engine.list().await {
                Ok(list) => Answer {
                    accounts: Some(list.iter().map(AccountRef::from).collect()),
                    ..Answer::ok()
                },
                Err(e) => Answer::failed(e),
            },
            Op::Token {
                account,
                min_ttl_secs,
            } => {
                let min_ttl = i64::try_from(min_ttl_secs.saturating_mul(1000)).unwrap_or(i64::MAX);
                self.token(&account, peer, "token", |engine, id| async move {
                    engine.fresh_token(id, min_ttl).await
                })
                .await
            }
            Op::Rejected { account, token } => {
                let token = Secret::new(token.0);
                self.token(&account, peer, "rejected token", |engine, id| async move {
                    engine.token_rejected(id, &token).await
                })
                .await
            }
            Op::Subscribe => Answer::failed(Error::internal("subscribe is served apart")),
        }
    }

    /// Resolves `account`, gets its token with `get`, records who asked and how it ended.
    async fn token<F, Fut>(&self, account: &str, peer: &Peer, what: &str, get: F) -> Answer
    where
        F: FnOnce(Engine, i64) -> Fut,
        Fut: std::future::Future<Output = Result<FreshToken>>,
    {
        let row = match self.engine.resolve(account).await {
            Ok(row) => row,
            Err(e) => return Answer::failed(e),
        };
        let program = peer.program.clone();
        let label = row.label();
        let prompter = self.prompter.as_deref();
        let got = match permit(&self.engine, prompter, row.id, &label, program.as_deref()).await {
            Ok(()) => get(self.engine.clone(), row.id).await,
            Err(e) => Err(e),
        };
        let who = peer.describe();
        let logged = self
            .engine
            .log_agent_request(row.id, &who, what, got.as_ref().err())
            .await;
        if let Err(e) = logged {
            tracing::warn!(
                code = e.code.as_str(),
                "agent: the activity line was not written"
            );
        }
        match got {
            Ok(fresh) => Answer {
                token: Some(WireToken(fresh.access.expose().to_owned())),
                expires_at: fresh.expires_at,
                account: self
                    .engine
                    .account(row.id)
                    .await
                    .ok()
                    .as_ref()
                    .map(AccountRef::from),
                ..Answer::ok()
            },
            Err(e) => Answer::failed(e),
        }
    }
}

/// Streams status changes until the client closes its end or stops reading.
async fn subscribe(
    ctx: &Ctx,
    reader: &mut (impl AsyncBufRead + Unpin),
    writer: &mut (impl AsyncWrite + Unpin),
) {
    let mut events = ctx.engine.subscribe();
    let subscribed = Answer::ok();
    if write_answer(writer, &subscribed).await.is_err() {
        return;
    }
    let mut sink = Vec::new();
    loop {
        let event = tokio::select! {
            received = events.recv() => match received {
                Ok(EngineEvent::AccountChanged { account_id }) => {
                    match ctx.engine.account(account_id).await {
                        Ok(view) => StatusEvent::Changed { account: AccountRef::from(&view) },
                        Err(_) => continue,
                    }
                }
                Ok(EngineEvent::AccountRemoved { account_id }) => StatusEvent::Removed { account_id },
                Ok(EngineEvent::ExternalChange) | Err(RecvError::Lagged(_)) => StatusEvent::Reload,
                Ok(_) => continue,
                Err(RecvError::Closed) => return,
            },
            read = reader.read_until(b'\n', &mut sink) => {
                // The client closed its end (or wrote to a stream that only speaks): done.
                if matches!(read, Ok(0) | Err(_)) || sink.len() > MAX_LINE {
                    return;
                }
                sink.clear();
                continue;
            }
        };
        let line = Answer {
            event: Some(event),
            ..Answer::ok()
        };
        if write_answer(writer, &line).await.is_err() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn lines_are_read_whole_and_an_overlong_one_is_refused() {
        let input: &[u8] = b"{\"v\":1,\"op\":\"hello\"}\r\nsecond\nlast-without-newline";
        let mut reader = BufReader::new(input);
        assert_eq!(
            read_line(&mut reader).await.expect("read").as_deref(),
            Some("{\"v\":1,\"op\":\"hello\"}")
        );
        assert_eq!(
            read_line(&mut reader).await.expect("read").as_deref(),
            Some("second")
        );
        assert_eq!(
            read_line(&mut reader).await.expect("read").as_deref(),
            Some("last-without-newline")
        );
        assert_eq!(read_line(&mut reader).await.expect("end"), None);

        let long = vec![b'x'; MAX_LINE + 10];
        let mut reader = BufReader::new(long.as_slice());
        let e = read_line(&mut reader).await.expect_err("too long");
        assert_eq!(e.code, ErrorCode::BadRequest);
    }

    #[test]
    fn requests_name_their_version_and_an_op_this_agent_knows() {
        let ok = parse(r#"{"v":1,"op":"token","account":"a@b","min_ttl_secs":60,"extra":1}"#)
            .expect("unknown fields are ignored");
        assert!(matches!(
            ok.op,
            Op::Token {
                min_ttl_secs: 60,
                ..
            }
        ));
        for bad in [
            r#"{"op":"hello"}"#,
            r#"{"v":2,"op":"hello"}"#,
            r#"{"v":1,"op":"delete_everything"}"#,
            r#"{"v":1,"op":"token"}"#,
            "[1,2]",
        ] {
            let e = parse(bad).expect_err(bad);
            assert_eq!(e.code, ErrorCode::BadRequest, "{bad}");
        }
    }

    #[test]
    fn a_rejected_token_never_shows_in_debug_output() {
        let op = parse(r#"{"v":1,"op":"rejected","account":"a","token":"ya29.secret-value"}"#)
            .expect("parse");
        assert!(!format!("{op:?}").contains("secret-value"));
    }
}
