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
//! The socket is `$XDG_RUNTIME_DIR/signet/agent-<id>.sock` (without `XDG_RUNTIME_DIR`: the data
//! folder's `run/`), the folder 0700 and the socket 0600; `<id>` names the data folder, so tests
//! and people with several data folders get one agent each.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

pub mod policy;
pub mod protocol;

#[cfg(unix)]
mod client;
#[cfg(unix)]
mod server;

#[cfg(unix)]
pub use client::AgentClient;
#[cfg(unix)]
pub use server::{Agent, Front};

pub use policy::{Decision, Policy, Prompter};

/// Where the agent of `data_dir` listens.
pub fn socket_path(data_dir: &Path) -> PathBuf {
    let absolute = std::path::absolute(data_dir).unwrap_or_else(|_| data_dir.to_owned());
    let digest = Sha256::digest(absolute.as_os_str().as_encoded_bytes());
    let id: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
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
