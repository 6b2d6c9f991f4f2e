//! Secret Services for keyring tests, on a private D-Bus session: GNOME Keyring, one that never answers, none.

use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A private D-Bus session daemon, killed on drop.
pub struct Bus {
    daemon: Child,
    pub address: String,
}

impl Drop for Bus {
    fn drop(&mut self) {
        let _ = self.daemon.kill();
        let _ = self.daemon.wait();
    }
}

/// Starts a D-Bus session daemon of its own (no service on it yet).
pub fn start_bus() -> Bus {
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

/// One D-Bus method call through `dbus-send --print-reply`: `dest`'s object `path`, `method`
/// (interface-qualified), and its arguments in `dbus-send`'s `type:value` form.
pub fn dbus_call(address: &str, dest: &str, path: &str, method: &str, args: &[&str]) -> Output {
    Command::new("dbus-send")
        .arg(format!("--bus={address}"))
        .arg("--print-reply")
        .arg(format!("--dest={dest}"))
        .args([path, method])
        .args(args)
        .output()
        .expect("dbus-send")
}

pub fn name_has_owner(address: &str) -> bool {
    let out = dbus_call(
        address,
        "org.freedesktop.DBus",
        "/org/freedesktop/DBus",
        "org.freedesktop.DBus.NameHasOwner",
        &["string:org.freedesktop.secrets"],
    );
    String::from_utf8_lossy(&out.stdout).contains("boolean true")
}

/// Waits until `org.freedesktop.secrets` has an owner on the bus (or has none, for `present` false).
pub fn wait_for_owner(address: &str, present: bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while name_has_owner(address) != present {
        assert!(
            Instant::now() < deadline,
            "secret service owner never became {present}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Owns `org.freedesktop.secrets` and swallows every call without answering. With
/// `SIGNET_TEST_BUS_TRACE` set, prints each call it swallows and the command line of the process
/// that made it (how the GTK start-up stall behind xdg-desktop-portal was found).
pub fn silent_secret_service(address: &str) -> (Arc<AtomicBool>, std::thread::JoinHandle<()>) {
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
            while let Some(m) = conn.channel().pop_message() {
                if std::env::var_os("SIGNET_TEST_BUS_TRACE").is_some() {
                    let pid: Option<u32> = m.sender().and_then(|s| {
                        conn.with_proxy(
                            "org.freedesktop.DBus",
                            "/org/freedesktop/DBus",
                            Duration::from_secs(1),
                        )
                        .method_call(
                            "org.freedesktop.DBus",
                            "GetConnectionUnixProcessID",
                            (s.to_string(),),
                        )
                        .ok()
                        .map(|(p,): (u32,)| p)
                    });
                    let comm = pid
                        .and_then(|p| std::fs::read_to_string(format!("/proc/{p}/cmdline")).ok())
                        .unwrap_or_default();
                    eprintln!(
                        "silent secret service: {:?} {:?} {:?} {:?} from pid {pid:?} {}",
                        m.msg_type(),
                        m.interface(),
                        m.member(),
                        m.path(),
                        comm.replace('\0', " ")
                    );
                }
            }
        }
    });
    wait_for_owner(address, true);
    (stop, thread)
}

/// GNOME Keyring on `address`, its login keyring unlocked with a password, files under `home`.
pub fn gnome_keyring(address: &str, home: &std::path::Path) -> Child {
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

/// Locks GNOME Keyring's default collection (as the screen locker would).
pub fn lock_default_collection(address: &str) {
    // Locked once the daemon says so: a Lock answered before the collection settled (just
    // created by the first write) can leave it unlocked, and the test would then prove nothing.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let out = dbus_call(
            address,
            "org.freedesktop.secrets",
            "/org/freedesktop/secrets",
            "org.freedesktop.Secret.Service.Lock",
            &["array:objpath:/org/freedesktop/secrets/aliases/default"],
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        if default_collection_locked(address) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the default collection did not lock: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The default collection's `Locked` property, as the Secret Service reports it.
fn default_collection_locked(address: &str) -> bool {
    let out = dbus_call(
        address,
        "org.freedesktop.secrets",
        "/org/freedesktop/secrets/aliases/default",
        "org.freedesktop.DBus.Properties.Get",
        &["string:org.freedesktop.Secret.Collection", "string:Locked"],
    );
    out.status.success() && String::from_utf8_lossy(&out.stdout).contains("boolean true")
}
