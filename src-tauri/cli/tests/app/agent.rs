//! The token agent in a world: `signetctl agent` started and stopped, clients that can only get
//! a token from it, one signed-in account.

use std::process::{Child, Command};
use std::time::{Duration, Instant};

use super::{sign_in, World};

pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// `signetctl` in the world, but unable to refresh on its own: its keyring namespace holds
/// nothing and its configuration names no provider. Whatever token it prints came from the
/// agent.
pub fn client(world: &World, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_signetctl"));
    cmd.args(args)
        .env("SIGNET_CONFIG", world.dir.path().join("no-config.toml"))
        .env("SIGNET_DATA_DIR", world.data())
        .env("SIGNET_KEYRING_NAMESPACE", "agent-test-empty")
        .env_remove("SIGNET_LOG");
    cmd
}

/// A running `signetctl agent`, killed if the test ends without stopping it (a failed assertion
/// must not leave it running).
pub struct AgentProcess(Option<Child>);

impl AgentProcess {
    /// SIGTERM, then the exit status.
    pub fn stop(mut self) -> std::process::ExitStatus {
        stop(self.0.take().expect("the agent runs"))
    }
}

impl Drop for AgentProcess {
    fn drop(&mut self) {
        if let Some(mut child) = self.0.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Starts `signetctl agent` in the world and waits until it serves.
pub fn start_agent(world: &World) -> AgentProcess {
    start_agent_with(world, |_| {})
}

/// [`start_agent`] with its command changed by `adjust` first (its environment, say).
pub fn start_agent_with(world: &World, adjust: impl FnOnce(&mut Command)) -> AgentProcess {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_signetctl"));
    cmd.arg("agent").env("SIGNET_LOG", "info");
    adjust(&mut cmd);
    let child = world.with_env(cmd);
    let socket = signet_core::agent::socket_path(&world.data());
    let started = Instant::now();
    while !socket.exists() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the agent never served {}",
            socket.display()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    AgentProcess(Some(child))
}

/// SIGTERM, then the exit status.
pub fn stop(mut child: Child) -> std::process::ExitStatus {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return status;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the agent did not stop"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Signs in one account (`crash0@example.com`); `due`: its refresh is due at once.
pub async fn one_account(world: &World, due: bool) {
    let engine = world.engine().await;
    sign_in(&engine, &world.server, 0, None).await;
    if due {
        sqlx::query("UPDATE accounts SET next_refresh_at = 0")
            .execute(engine.store().pool())
            .await
            .expect("due");
    }
    engine.store().close().await;
}
