//! The token agent as other programs meet it: twenty `signetctl token` callers and one refresh,
//! `exec`, `header` and `kube-credential`, a private socket that refuses other users, the
//! activity log naming each client. Needs scripts/with-keyring.sh (the agent and the test
//! share the Secret Service).

mod app;

use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use app::agent::{client, one_account, start_agent, stop, text};
use app::{World, Xvfb};
use signet_testkit::TokenState;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_callers_get_one_refresh_from_the_agent_and_the_log_names_them() {
    let world = World::start("agent-twenty").await;
    one_account(&world, true).await;
    let agent = start_agent(&world);
    let before = world.server.refresh_requests();

    let token = one_refresh_one_token(&world, twenty_callers(&world), before);

    // Not due any more: the next caller gets the same token, and nothing is sent.
    let out = client(&world, &["token", "crash0@example.com", "--min-ttl", "5m"])
        .output()
        .expect("token");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout).trim(), token);
    assert_eq!(world.server.refresh_requests() - before, 1);

    assert!(agent.stop().success(), "the agent exits cleanly on SIGTERM");

    let engine = world.engine().await;
    let lines: Vec<_> = engine
        .activity(200)
        .await
        .expect("activity")
        .into_iter()
        .filter(|l| l.kind == "agent_request")
        .collect();
    let served: i64 = lines.iter().map(|l| l.count).sum();
    assert_eq!(served, 21, "one line per request: {lines:#?}");
    for line in &lines {
        let message = line.message.as_deref().unwrap_or("");
        assert!(
            message.starts_with("token for ") && message.contains("signetctl (pid "),
            "{message}"
        );
    }
    world.assert_no_token_anywhere();
}

/// Starts twenty `signetctl token` processes for the account at once.
fn twenty_callers(world: &World) -> Vec<Child> {
    (0..20)
        .map(|_| {
            client(world, &["token", "crash0@example.com"])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("signetctl token")
        })
        .collect()
}

/// What the callers printed, once all have ended; asserts one token request since `before`,
/// and that all of them printed the same live token.
fn one_refresh_one_token(world: &World, callers: Vec<Child>, before: usize) -> String {
    let tokens: Vec<String> = callers
        .into_iter()
        .map(|c| {
            let o = c.wait_with_output().expect("wait");
            assert!(o.status.success(), "{}", text(&o.stderr));
            text(&o.stdout).trim().to_owned()
        })
        .collect();
    assert_eq!(
        world.server.refresh_requests() - before,
        1,
        "twenty callers, one token request"
    );
    assert!(
        tokens.iter().all(|t| t == &tokens[0]),
        "all print the same token"
    );
    assert_eq!(world.server.token_state(&tokens[0]), Some(TokenState::Live));
    tokens[0].clone()
}

/// The app is one instance per user (a second one hands its arguments over and exits): the
/// tests that start it take turns.
static ONE_APP: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The desktop app serves the agent: its own start-up refresh of a due account is held at the
/// provider while twenty `signetctl token` processes ask for the same account; when the answer
/// comes, all twenty print the token it brought, and the provider saw one token request.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_app_serves_the_agent_and_twenty_callers_share_its_refresh() {
    let _one_app = ONE_APP.lock().await;
    let xvfb = Xvfb::start();
    let world = World::start("agent-app").await;
    one_account(&world, true).await;
    let before = world.server.refresh_requests();
    let hold = world.server.hold_token_responses();
    let app = world.app(&xvfb);
    let socket = signet_core::agent::socket_path(&world.data());
    let started = std::time::Instant::now();
    while !socket.exists() || world.server.refresh_requests() == before {
        assert!(
            started.elapsed() < Duration::from_secs(90),
            "the app never served the agent and refreshed"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let callers = twenty_callers(&world);
    // Every caller is waiting for the account's refresh before the answer is let through.
    tokio::time::sleep(Duration::from_millis(500)).await;
    hold.release();
    one_refresh_one_token(&world, callers, before);
    let status = stop(app);
    assert!(status.success() || status.code().is_none(), "{status:?}");
    let payloads = std::fs::read_to_string(world.ipc_capture()).unwrap_or_default();
    assert!(
        payloads.contains("\"channel\":\"accounts-changed\""),
        "the window was told about the refresh: {payloads}"
    );
    world.assert_no_token_anywhere();
}

/// One agent per data folder, handed over: the app started while `signetctl agent` serves says
/// so in its log, and serves as soon as the headless agent stops.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_app_takes_the_agent_over_when_the_headless_one_stops() {
    let _one_app = ONE_APP.lock().await;
    let xvfb = Xvfb::start();
    let world = World::start("agent-handover").await;
    one_account(&world, false).await;
    let headless = start_agent(&world);
    let app = world.app(&xvfb);
    let log = world.dir.path().join("crash-output.log");
    let started = std::time::Instant::now();
    while !std::fs::read_to_string(&log)
        .unwrap_or_default()
        .contains("already served by the headless agent")
    {
        assert!(
            started.elapsed() < Duration::from_secs(90),
            "the app never said who serves: {}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let socket = signet_core::agent::socket_path(&world.data());
    let front = |answer: String| -> String {
        serde_json::from_str::<serde_json::Value>(&answer)
            .ok()
            .and_then(|v| v["agent"]["front"].as_str().map(str::to_owned))
            .unwrap_or_default()
    };
    assert_eq!(
        front(raw(&socket, r#"{"v":1,"op":"hello"}"#, None)),
        "headless"
    );
    assert!(headless.stop().success());
    let stopped = std::time::Instant::now();
    while front(raw(&socket, r#"{"v":1,"op":"hello"}"#, None)) != "app" {
        assert!(
            stopped.elapsed() < Duration::from_secs(30),
            "the app did not take the agent over"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let out = client(&world, &["token", "crash0@example.com"])
        .output()
        .expect("token");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let _ = stop(app);
}

/// `signetctl` with the world's own keyring and configuration (to change policies).
fn owner(world: &World, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_signetctl"))
        .args(args)
        .env("SIGNET_CONFIG", world.config())
        .env("SIGNET_DATA_DIR", world.data())
        .env("SIGNET_KEYRING_NAMESPACE", &world.namespace)
        .output()
        .expect("signetctl")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn policies_and_remembered_decisions_decide_which_programs_get_the_token() {
    let world = World::start("agent-policy").await;
    one_account(&world, false).await;
    let agent = start_agent(&world);
    let me = std::fs::canonicalize(env!("CARGO_BIN_EXE_signetctl")).expect("path");
    let me = me.to_str().expect("utf-8");
    let token = |world: &World| {
        client(world, &["token", "crash0@example.com"])
            .output()
            .expect("token")
    };
    let refused = |out: &std::process::Output, words: &str| {
        assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
        assert!(out.stdout.is_empty(), "no token printed");
        let said = text(&out.stderr);
        assert!(said.contains(words), "{said}");
    };

    let out = owner(&world, &["policy", "crash0@example.com", "deny"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    refused(&token(&world), "policy is deny");

    // Under `ask` a headless agent has nobody to ask: it refuses and says how to allow.
    assert!(owner(&world, &["policy", "crash0@example.com", "ask"])
        .status
        .success());
    refused(&token(&world), "no window to ask in");
    let out = owner(&world, &["grants", "allow", "crash0@example.com", me]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = token(&world);
    assert!(out.status.success(), "allowed: {}", text(&out.stderr));
    let out = owner(&world, &["grants"]);
    assert!(
        text(&out.stdout).contains(&format!("crash0@example.com\tallow\t{me}")),
        "{}",
        text(&out.stdout)
    );

    assert!(owner(&world, &["grants", "deny", "crash0@example.com", me])
        .status
        .success());
    refused(&token(&world), "You refused");
    assert!(
        owner(&world, &["grants", "revoke", "crash0@example.com", me])
            .status
            .success()
    );
    refused(&token(&world), "no window to ask in");
    let out = owner(&world, &["grants", "allow", "crash0@example.com", "git"]);
    assert_eq!(
        out.status.code(),
        Some(5),
        "a program is named by its full path"
    );

    assert!(owner(&world, &["policy", "crash0@example.com", "allow"])
        .status
        .success());
    assert!(token(&world).status.success());
    assert!(agent.stop().success());

    let engine = world.engine().await;
    let denied = engine
        .activity(50)
        .await
        .expect("activity")
        .into_iter()
        .filter(|l| l.kind == "agent_request" && l.code.as_deref() == Some("denied"))
        .map(|l| l.count)
        .sum::<i64>();
    assert_eq!(denied, 4, "each refusal is in the Activity log");
}

/// Under `ask`, the app asks in a dialog; Escape is its "Deny" (the dialog's cancel button):
/// the program reads one sentence saying so, and the refusal is remembered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_ask_the_app_asks_and_a_refusal_reaches_the_program() {
    let _one_app = ONE_APP.lock().await;
    let xvfb = Xvfb::start();
    let world = World::start("agent-ask").await;
    one_account(&world, false).await;
    assert!(owner(&world, &["policy", "crash0@example.com", "ask"])
        .status
        .success());
    let app = world.app(&xvfb);
    let socket = signet_core::agent::socket_path(&world.data());
    let started = std::time::Instant::now();
    while !socket.exists() {
        assert!(
            started.elapsed() < Duration::from_secs(90),
            "the app never served"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let caller = client(&world, &["token", "crash0@example.com"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("token");
    let xdotool = |args: &[&str]| {
        Command::new("xdotool")
            .args(args)
            .env("DISPLAY", &xvfb.display)
            .output()
            .expect("xdotool")
    };
    let dialog = loop {
        let found = xdotool(&["search", "--name", "allow a program"]);
        let id = text(&found.stdout)
            .lines()
            .next()
            .unwrap_or("")
            .trim()
            .to_owned();
        if !id.is_empty() {
            break id;
        }
        assert!(
            started.elapsed() < Duration::from_secs(90),
            "no question was shown"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    xdotool(&["windowfocus", "--sync", &dialog]);
    xdotool(&["key", "--clearmodifiers", "Escape"]);
    let out = caller.wait_with_output().expect("wait");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(out.stdout.is_empty(), "no token printed");
    let said = text(&out.stderr);
    assert!(
        said.contains("You refused") && said.contains("signetctl"),
        "{said}"
    );
    let grants = owner(&world, &["grants", "list", "crash0@example.com"]);
    assert!(
        text(&grants.stdout).contains("\tdeny\t"),
        "{}",
        text(&grants.stdout)
    );
    let _ = stop(app);
    world.assert_no_token_anywhere();
}

/// The token written by a child's shell from its environment: `printf` is a builtin, so the
/// token is in no process's arguments.
const SHOW_TOKEN: &str = r#"printf %s "$TOK" > "$OUT"; for f in /proc/[0-9]*/cmdline; do tr '\0' ' ' < "$f"; echo; done > "$OUT.cmdlines"; exit 7"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exec_header_and_kube_credential_hand_the_token_over_without_a_command_line() {
    let world = World::start("agent-adapters").await;
    one_account(&world, false).await;
    let agent = start_agent(&world);
    let out_file = world.dir.path().join("child-token");

    let out = client(
        &world,
        &[
            "exec",
            "crash0@example.com",
            "--env",
            "TOK",
            "--",
            "sh",
            "-c",
            SHOW_TOKEN,
        ],
    )
    .env("OUT", &out_file)
    .output()
    .expect("exec");
    assert_eq!(
        out.status.code(),
        Some(7),
        "the command's exit code passes through: {}",
        text(&out.stderr)
    );
    let token = std::fs::read_to_string(&out_file).expect("the child wrote its token");
    assert_eq!(world.server.token_state(&token), Some(TokenState::Live));
    let cmdlines = std::fs::read_to_string(out_file.with_extension("cmdlines")).expect("cmdlines");
    assert!(
        cmdlines.contains("signetctl exec"),
        "the scan saw the processes"
    );
    assert!(!cmdlines.contains(&token), "a token is on a command line");

    let out = client(&world, &["header", "crash0@example.com"])
        .output()
        .expect("header");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout).trim(),
        format!("Authorization: Bearer {token}")
    );

    let out = client(&world, &["kube-credential", "crash0@example.com"])
        .output()
        .expect("kube-credential");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let cred: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(cred["apiVersion"], "client.authentication.k8s.io/v1");
    assert_eq!(cred["kind"], "ExecCredential");
    assert_eq!(cred["status"]["token"], token.as_str());
    let at = cred["status"]["expirationTimestamp"]
        .as_str()
        .expect("expiry");
    assert!(
        at.len() == 20 && at.as_bytes()[10] == b'T' && at.ends_with('Z'),
        "RFC 3339 in UTC: {at}"
    );

    // A second agent for the same data folder says who serves.
    let out = Command::new(env!("CARGO_BIN_EXE_signetctl"))
        .arg("agent")
        .env("SIGNET_CONFIG", world.config())
        .env("SIGNET_DATA_DIR", world.data())
        .env("SIGNET_KEYRING_NAMESPACE", &world.namespace)
        .output()
        .expect("second agent");
    assert_eq!(out.status.code(), Some(5));
    let said = text(&out.stderr);
    assert!(
        said.contains("already served by the headless agent") && said.contains("pid"),
        "{said}"
    );

    // Unknown accounts and broken requests get one clear sentence.
    let out = client(&world, &["token", "nobody@example.com"])
        .output()
        .expect("token");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).starts_with("signetctl: "),
        "{}",
        text(&out.stderr)
    );
    assert!(agent.stop().success());
}

/// Sends one raw line to the socket, as `uid` when given, and returns the answer line.
fn raw(socket: &Path, line: &str, uid: Option<u32>) -> String {
    let script = format!(
        "import socket,sys\ns=socket.socket(socket.AF_UNIX)\ns.connect({socket:?})\ntry:\n    s.sendall({line:?}.encode()+b'\\n')\nexcept BrokenPipeError:\n    pass\nsys.stdout.write(s.makefile().readline())\n",
        socket = socket.display().to_string(),
    );
    let mut cmd = match uid {
        Some(uid) => {
            let mut c = Command::new("setpriv");
            c.args([
                &format!("--reuid={uid}"),
                &format!("--regid={uid}"),
                "--clear-groups",
                "/usr/bin/python3",
                "-c",
                &script,
            ]);
            c
        }
        None => {
            let mut c = Command::new("/usr/bin/python3");
            c.args(["-c", &script]);
            c
        }
    };
    let out = cmd.output().expect("python3");
    if !out.status.success() {
        eprintln!("python3: {}", text(&out.stderr));
    }
    text(&out.stdout)
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .expect("metadata")
        .permissions()
        .mode()
        & 0o777
}

fn loosen(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_socket_is_private_and_refuses_other_users_and_bad_requests() {
    let world = World::start("agent-socket").await;
    one_account(&world, false).await;
    let agent = start_agent(&world);
    let socket = signet_core::agent::socket_path(&world.data());
    let folder: PathBuf = socket.parent().expect("folder").to_owned();
    assert_eq!(mode(&socket), 0o600, "the socket is the user's alone");
    assert_eq!(mode(&folder), 0o700, "its folder too");

    let hello = raw(&socket, r#"{"v":1,"op":"hello"}"#, None);
    let hello: serde_json::Value = serde_json::from_str(&hello).expect("hello answer");
    assert_eq!(hello["ok"], true);
    assert_eq!(hello["agent"]["front"], "headless");

    for (line, code) in [
        ("not json", "bad_request"),
        (r#"{"v":2,"op":"hello"}"#, "bad_request"),
        (r#"{"v":1,"op":"launch"}"#, "bad_request"),
        (r#"{"v":1,"op":"token","account":"nobody"}"#, "not_found"),
    ] {
        let answer: serde_json::Value =
            serde_json::from_str(&raw(&socket, line, None)).expect("an answer");
        assert_eq!(answer["ok"], false, "{line}");
        assert_eq!(answer["error"]["code"], code, "{line}");
    }

    // Only the permissions keep another user out today; open them up and the agent itself
    // still refuses a peer of another uid.
    let mut dir = Some(folder.as_path());
    while let Some(d) = dir {
        if d == Path::new("/") || d == Path::new("/tmp") {
            break;
        }
        loosen(d, 0o711);
        dir = d.parent();
    }
    loosen(&socket, 0o666);
    let refused = raw(&socket, r#"{"v":1,"op":"accounts"}"#, Some(65534));
    let refused: serde_json::Value = serde_json::from_str(&refused)
        .unwrap_or_else(|_| panic!("an answer for another user: {refused:?}"));
    assert_eq!(refused["ok"], false);
    assert_eq!(refused["error"]["code"], "denied");
    assert!(refused.get("accounts").is_none());

    // Subscribe: a status change arrives as a line, without a token.
    let mut stream = std::os::unix::net::UnixStream::connect(&socket).expect("connect");
    stream
        .write_all(b"{\"v\":1,\"op\":\"subscribe\"}\n")
        .expect("subscribe");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    let mut lines = BufReader::new(stream.try_clone().expect("clone")).lines();
    let first = lines.next().expect("a line").expect("read");
    assert!(first.contains("\"ok\":true"), "{first}");
    let out = client(
        &world,
        &["token", "crash0@example.com", "--min-ttl", "100d"],
    )
    .output()
    .expect("token");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let token = text(&out.stdout).trim().to_owned();
    // The change arrives as `changed`, or as `reload` ("list the accounts again"), which the
    // protocol allows and which a run of the whole suite has sent here; the list then has it.
    let changed = lines.next().expect("an event").expect("read");
    if changed.contains("\"kind\":\"reload\"") {
        let listed = raw(&socket, r#"{"v":1,"op":"accounts"}"#, None);
        assert!(listed.contains("crash0@example.com"), "{listed}");
        assert!(!listed.contains(&token), "a token in the account list");
    } else {
        assert!(changed.contains("\"kind\":\"changed\""), "{changed}");
    }
    assert!(!changed.contains(&token), "a token in a status event");
    drop(lines);
    drop(stream);
    assert!(agent.stop().success());
}
