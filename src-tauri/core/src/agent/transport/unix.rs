//! The agent on Unix: a socket in a folder only this user can enter (0700; the socket 0600), and each peer's uid checked with `SO_PEERCRED`.

use std::path::{Path, PathBuf};

use tokio::net::{UnixListener, UnixStream};

use super::Peer;
use crate::error::{Error, ErrorCode, Result};

pub type ServerStream = UnixStream;
pub type ClientStream = UnixStream;

/// The agent's listening socket. Its file is removed by [`Listener::remove`] (when the agent
/// stops), not when the listener is dropped: a later agent may be serving on the same path.
pub struct Listener {
    inner: UnixListener,
    path: PathBuf,
    uid: u32,
}

impl Listener {
    /// Listens on [`crate::agent::socket_path`] of `data_dir`. The caller holds the agent lock,
    /// so a socket file already there was left by an agent that crashed.
    pub fn bind(data_dir: &Path) -> Result<Listener> {
        let path = crate::agent::socket_path(data_dir);
        let dir = path
            .parent()
            .ok_or_else(|| Error::internal("the agent's socket has no folder"))?;
        crate::private_fs::create_dir(dir)?;
        set_mode(dir, 0o700)?;
        let _ = std::fs::remove_file(&path);
        let inner = UnixListener::bind(&path).map_err(|e| {
            Error::new(
                ErrorCode::Storage,
                format!(
                    "Signet cannot open its agent socket {} ({e}).",
                    path.display()
                ),
            )
        })?;
        set_mode(&path, 0o600)?;
        Ok(Listener {
            inner,
            path,
            uid: rustix::process::geteuid().as_raw(),
        })
    }

    /// Where it listens, as people and logs see it.
    pub fn address(&self) -> String {
        self.path.display().to_string()
    }

    /// Removes the socket file at `address` (the agent has stopped).
    pub fn remove(address: &str) {
        let _ = std::fs::remove_file(address);
    }

    /// The next connection and who made it.
    pub async fn accept(&mut self) -> std::io::Result<(ServerStream, Peer)> {
        let (stream, _) = self.inner.accept().await?;
        let cred = stream.peer_cred()?;
        let pid = cred.pid().and_then(|p| u32::try_from(p).ok());
        let program = pid.and_then(|pid| {
            std::fs::read_link(format!("/proc/{pid}/exe"))
                .ok()
                .map(|p| p.display().to_string())
        });
        let peer = Peer {
            same_user: cred.uid() == self.uid,
            user: format!("uid {}", cred.uid()),
            pid,
            program,
        };
        Ok((stream, peer))
    }
}

/// Connects to the agent of `data_dir`; `None` when none serves it.
pub async fn connect(data_dir: &Path) -> Option<ClientStream> {
    UnixStream::connect(crate::agent::socket_path(data_dir))
        .await
        .ok()
}

fn set_mode(path: &Path, mode: u32) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).map_err(|e| {
        Error::new(
            ErrorCode::Storage,
            format!("Signet cannot make {} private ({e}).", path.display()),
        )
    })
}
