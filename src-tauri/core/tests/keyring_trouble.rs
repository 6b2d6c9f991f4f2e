//! A Secret Service that never answers, then one that comes back, then a locked collection: Signet
//! says so in words, stores nothing anywhere else, keeps a rotated token in memory, and recovers
//! when the keyring is usable again. Runs on its own private D-Bus daemon (this binary only).

mod common;

use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::Setup;
use signet_core::vault::KeyringBackend;
use signet_core::{ErrorCode, RefreshOutcome, Status, Vault};
use signet_testkit::TokenState;

struct Bus {
    daemon: Child,
    address: String,
}

impl Drop for Bus {
    fn drop(&mut self) {
        let _ = self.daemon.kill();
        let _ = self.daemon.wait();
    }
}

fn start_bus() -> Bus {
    use std::io::BufRead;
    let mut daemon = Command::new("dbus-daemon")
        .args(["--session", "--nofork", "--print-address=1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("dbus-daemon");
    let mut line = String::new();
    std::io::BufReader::new(daemon.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("bus address");
    Bus {
        daemon,
        address: line.trim().to_owned(),
    }
}

fn name_has_owner(address: &str) -> bool {
    let out = Command::new("dbus-send")
        .args([
            &format!("--bus={address}"),
            "--print-reply",
            "--dest=org.freedesktop.DBus",
            "/org/freedesktop/DBus",
            "org.freedesktop.DBus.NameHasOwner",
            "string:org.freedesktop.secrets",
        ])
        .output()
        .expect("dbus-send");
    String::from_utf8_lossy(&out.stdout).contains("boolean true")
}

fn wait_for_owner(address: &str, present: bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while name_has_owner(address) != present {
        assert!(
            Instant::now() < deadline,
            "secret service owner never became {present}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Owns `org.freedesktop.secrets` and swallows every call without answering.
fn silent_secret_service(address: &str) -> (Arc<AtomicBool>, std::thread::JoinHandle<()>) {
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    let bus = address.to_owned();
    let thread = std::thread::spawn(move || {
        let mut channel = dbus::channel::Channel::open_private(&bus).expect("connect");
        channel.register().expect("hello");
        let conn = dbus::blocking::Connection::from(channel);
        conn.request_name("org.freedesktop.secrets", false, true, true)
            .expect("own the name");
        while !flag.load(Ordering::Relaxed) {
            let _ = conn.channel().read_write(Some(Duration::from_millis(50)));
            while conn.channel().pop_message().is_some() {}
        }
    });
    wait_for_owner(address, true);
    (stop, thread)
}

/// GNOME Keyring on `address`, its login keyring unlocked with a password, files under `home`.
fn gnome_keyring(address: &str, home: &std::path::Path) -> Child {
    use std::io::Write;
    let mut child = Command::new("gnome-keyring-daemon")
        .args(["--foreground", "--unlock", "--components=secrets"])
        .env("DBUS_SESSION_BUS_ADDRESS", address)
        .env("HOME", home)
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_RUNTIME_DIR", home.join("run"))
        .env_remove("DISPLAY")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("gnome-keyring-daemon");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin.write_all(b"signet-test").expect("password");
    drop(stdin);
    wait_for_owner(address, true);
    child
}

fn lock_default_collection(address: &str) {
    let out = Command::new("dbus-send")
        .args([
            &format!("--bus={address}"),
            "--print-reply",
            "--dest=org.freedesktop.secrets",
            "/org/freedesktop/secrets",
            "org.freedesktop.Secret.Service.Lock",
            "array:objpath:/org/freedesktop/secrets/aliases/default",
        ])
        .output()
        .expect("dbus-send");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keyring_that_hangs_then_returns_then_locks_loses_nothing() {
    let bus = start_bus();
    // This binary's only test: the process environment can point at the private bus.
    std::env::set_var("DBUS_SESSION_BUS_ADDRESS", &bus.address);
    std::env::remove_var("DISPLAY");
    let home = tempfile::tempdir().expect("home");
    std::fs::create_dir_all(home.path().join("run")).expect("run dir");
    let vault = Vault::new(Arc::new(KeyringBackend::new("keyring-trouble")))
        .with_timeout(Duration::from_secs(1));
    let mut setup = Setup::aihubmix().vault(vault);
    setup.server.client_secret = "secret_trouble_client_0001".into();
    std::env::set_var("SIGNET_TROUBLE_SECRET", &setup.server.client_secret);
    let h = common::harness_env_secret(setup, "SIGNET_TROUBLE_SECRET").await;

    // 1. A Secret Service that never answers: the sign-in ends with a sentence, nothing stored.
    let (stop, silent) = silent_secret_service(&bus.address);
    let start = h
        .engine
        .begin_sign_in("aihubmix", None)
        .await
        .expect("begin");
    let cb = h
        .server
        .authorize(start.authorize_url.as_str())
        .await
        .expect("authorize");
    let began = Instant::now();
    let e = h
        .engine
        .handle_deep_link(&cb)
        .await
        .expect_err("keyring hangs");
    assert_eq!(e.code, ErrorCode::KeyringTimeout, "{}", e.message);
    assert!(e.message.contains("did not answer"), "{}", e.message);
    assert!(
        began.elapsed() < Duration::from_secs(5),
        "gave up after the vault's timeout"
    );
    assert!(h.engine.list().await.expect("list").is_empty());
    h.assert_no_secret_leaked();
    stop.store(true, Ordering::Relaxed);
    silent.join().expect("silent service");
    wait_for_owner(&bus.address, false);

    // 2. The keyring comes back: signing in works, the tokens are in the Secret Service.
    let mut keyring = gnome_keyring(&bus.address, home.path());
    let a = h.sign_in().await;
    assert_eq!(a.status, Status::Fresh);

    // 3. The collection is locked while a refresh rotates the token: the new tokens cannot be
    //    stored; Signet says so, keeps them in memory and does not lose the account.
    let hold = h.server.hold_token_responses();
    let before = h.server.token_requests();
    let engine = h.engine.clone();
    let refresh = tokio::spawn(async move { engine.refresh(a.id, true).await });
    h.server.wait_token_requests(before + 1).await; // the refresh is at the provider
    lock_default_collection(&bus.address);
    drop(hold);
    let e = refresh.await.expect("task").expect_err("locked");
    assert!(
        matches!(e.code, ErrorCode::KeyringLocked | ErrorCode::KeyringTimeout),
        "{e:?}"
    );
    let v = h.engine.account(a.id).await.expect("account");
    assert_eq!(v.status, Status::Retrying, "not 'sign in again'");
    assert!(v
        .status_message
        .as_deref()
        .is_some_and(|m| m.contains("keyring")));
    assert_eq!(h.server.refresh_requests(), 1);

    // A refresh while it stays locked does not even reach the provider; the account says why.
    let e = h
        .engine
        .refresh(a.id, true)
        .await
        .expect_err("still locked");
    assert_eq!(e.code, ErrorCode::KeyringLocked);
    assert_eq!(h.server.refresh_requests(), 1);

    // 4. Unlocked again (here: the daemon restarted and unlocked with the login password):
    //    the tokens held in memory are written, no new token request, the account is fresh and
    //    holds the token the provider considers live.
    let _ = keyring.kill();
    let _ = keyring.wait();
    wait_for_owner(&bus.address, false);
    let mut keyring = gnome_keyring(&bus.address, home.path());
    assert_eq!(
        h.engine.refresh(a.id, true).await.expect("recovered"),
        RefreshOutcome::Refreshed
    );
    assert_eq!(
        h.server.refresh_requests(),
        1,
        "the held tokens were stored, not re-requested"
    );
    let token = h.engine.access_token(a.id).await.expect("token");
    assert_eq!(h.server.token_state(token.expose()), Some(TokenState::Live));
    assert_eq!(
        h.engine.account(a.id).await.expect("account").status,
        Status::Fresh
    );
    h.assert_no_secret_leaked();
    let _ = keyring.kill();
    let _ = keyring.wait();
    drop(bus);
}
