//! How the agent's connections travel: a private Unix socket, or a per-user named pipe on Windows; and who is on the other end.

#[cfg(unix)]
mod unix;
#[cfg(windows)]
mod windows;

#[cfg(unix)]
pub(super) use unix::{connect, ClientStream, Listener, ServerStream};
#[cfg(windows)]
pub(super) use windows::{connect, ClientStream, Listener, ServerStream};

/// The program on the other end of a connection, as the operating system says.
pub(super) struct Peer {
    /// Whether it runs as the user the agent runs as (`SO_PEERCRED` on Unix; the client
    /// process's token on Windows, whose pipe only this user can open anyway).
    pub same_user: bool,
    /// Its user, for the log line of a refusal (a uid on Unix).
    pub user: String,
    pub pid: Option<u32>,
    /// Its executable (`None` where it cannot be read).
    pub program: Option<String>,
}

impl Peer {
    /// `/usr/bin/git (pid 1234)`: what the activity log names.
    pub fn describe(&self) -> String {
        match (&self.program, self.pid) {
            (Some(exe), Some(pid)) => format!("{exe} (pid {pid})"),
            (None, Some(pid)) => format!("a program (pid {pid})"),
            _ => "a program".to_owned(),
        }
    }
}
