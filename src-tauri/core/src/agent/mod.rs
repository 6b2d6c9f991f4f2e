//! The token agent: programs on this machine (scripts, git, kubectl, agents) ask the running
//! Signet for a fresh token instead of refreshing on their own, so no rotating refresh token is
//! ever spent twice.
//!
//! - [`protocol`]: the wire format, one JSON request and answer per line (docs/agent-protocol.md);
//! - `server`: [`Agent`], served by the app or by `signetctl agent`, one per user and data folder;
//! - `client`: [`AgentClient`], what `signetctl` asks with;
//! - [`policy`]: who may have a token — each account's `allow`, `ask` or `deny`, the decisions
//!   remembered per program, and the [`Prompter`] that asks the person (the app's dialog).
//!
//! - `transport`: the Unix socket, or the named pipe on Windows, and who is on the other end.
//!
//! The socket is `$XDG_RUNTIME_DIR/signet/agent-<id>.sock` (without `XDG_RUNTIME_DIR`: the data
//! folder's `run/`), the folder 0700 and the socket 0600; on Windows the pipe is
//! `\\.\pipe\signet-agent-<id>`, open to this user alone. `<id>` names the data folder, so
//! tests and people with several data folders get one agent each.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

pub mod policy;
pub mod protocol;

mod client;
mod server;
mod transport;

pub use client::AgentClient;
pub use server::{Agent, Front};

pub use policy::{Decision, Policy, Prompter};

/// Sixteen hex digits naming the data folder `data_dir` (its absolute path, hashed).
fn agent_id(data_dir: &Path) -> String {
    let absolute = std::path::absolute(data_dir).unwrap_or_else(|_| data_dir.to_owned());
    let digest = Sha256::digest(absolute.as_os_str().as_encoded_bytes());
    digest[..8].iter().map(|b| format!("{b:02x}")).collect()
}

/// Where the agent of `data_dir` listens on Unix.
pub fn socket_path(data_dir: &Path) -> PathBuf {
    let id = agent_id(data_dir);
    let dir = match std::env::var_os("XDG_RUNTIME_DIR").map(PathBuf::from) {
        Some(run) if run.is_absolute() => run.join("signet"),
        _ => data_dir.join("run"),
    };
    dir.join(format!("agent-{id}.sock"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_data_folder_has_its_own_socket() {
        let a = socket_path(Path::new("/home/u/.local/share/signet"));
        let b = socket_path(Path::new("/tmp/other-signet"));
        assert_ne!(a, b);
        assert_eq!(a, socket_path(Path::new("/home/u/.local/share/signet")));
        let name = a.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        assert!(
            name.starts_with("agent-") && name.ends_with(".sock") && name.len() == 27,
            "{name}"
        );
    }
}
