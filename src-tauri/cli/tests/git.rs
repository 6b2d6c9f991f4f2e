//! Real `git` with Signet as its credential helper: clone and fetch over HTTP from a server that
//! takes only the account's live access token, a fetch after the token rotated, and a refused
//! token that leads to exactly one refresh. Needs scripts/with-keyring.sh and git.

mod app;

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use app::agent::{client, one_account, start_agent, text};
use app::World;
use base64::Engine as _;
use signet_testkit::{OAuthServer, TokenState};

/// Git's "dumb" HTTP protocol: the bare repository's files by GET, each request authenticated
/// with HTTP Basic whose password must be a live access token of `provider`.
struct GitServer {
    url: String,
    refused: Arc<AtomicUsize>,
}

impl GitServer {
    fn start(repo: PathBuf, provider: OAuthServer) -> GitServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}/repo.git", listener.local_addr().expect("addr"));
        let refused = Arc::new(AtomicUsize::new(0));
        let counter = refused.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                answer(stream, &repo, &provider, &counter);
            }
        });
        GitServer { url, refused }
    }
}

fn answer(mut stream: TcpStream, repo: &Path, provider: &OAuthServer, refused: &AtomicUsize) {
    let mut reader = BufReader::new(stream.try_clone().expect("clone"));
    let mut request = String::new();
    if reader.read_line(&mut request).is_err() {
        return;
    }
    let mut password = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line.trim().is_empty() {
            break;
        }
        if let Some(value) = line.strip_prefix("Authorization: Basic ") {
            password = base64::engine::general_purpose::STANDARD
                .decode(value.trim())
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .and_then(|pair| pair.split_once(':').map(|(_, p)| p.to_owned()));
        }
    }
    let live = password
        .as_deref()
        .is_some_and(|p| provider.token_state(p) == Some(TokenState::Live));
    let path = request.split_whitespace().nth(1).unwrap_or("/");
    let path = path.split('?').next().unwrap_or(path);
    let file = path
        .strip_prefix("/repo.git/")
        .filter(|p| !p.contains(".."))
        .map(|p| repo.join(p));
    let response = if !live {
        if password.is_some() {
            refused.fetch_add(1, Ordering::SeqCst);
        }
        b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"git\"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_vec()
    } else {
        match file.and_then(|f| std::fs::read(f).ok()) {
            Some(body) => {
                let mut r = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                )
                .into_bytes();
                r.extend_from_slice(&body);
                r
            }
            None => {
                b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_vec()
            }
        }
    };
    let _ = stream.write_all(&response);
}

/// `git` with no configuration of the person's, Signet as the only credential helper, and no
/// prompt: without the helper's answer it fails.
fn git(world: &World, dir: &Path, args: &[&str]) -> Output {
    let helper = format!(
        "!'{}' git-credential --account crash0@example.com",
        env!("CARGO_BIN_EXE_signetctl")
    );
    let base = client(world, &[]);
    let mut cmd = Command::new("git");
    for (k, v) in base.get_envs() {
        match v {
            Some(v) => cmd.env(k, v),
            None => cmd.env_remove(k),
        };
    }
    cmd.current_dir(dir)
        .env("HOME", world.dir.path())
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_TERMINAL_PROMPT", "0")
        .env_remove("GIT_ASKPASS")
        .env_remove("SSH_ASKPASS")
        .args(["-c", "credential.helper=", "-c"])
        .arg(format!("credential.helper={helper}"))
        .args(args);
    cmd.output().expect("git runs")
}

fn plain_git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir)
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .args(args)
        .output()
        .expect("git");
    assert!(out.status.success(), "git {args:?}: {}", text(&out.stderr));
}

/// A bare repository with one commit, ready for dumb HTTP; `commit` adds another.
fn repository(root: &Path) -> PathBuf {
    let work = root.join("work");
    std::fs::create_dir_all(&work).expect("work");
    plain_git(&work, &["init", "-q", "-b", "main"]);
    std::fs::write(work.join("README"), "one\n").expect("write");
    plain_git(&work, &["add", "README"]);
    plain_git(&work, &["commit", "-q", "-m", "one"]);
    plain_git(root, &["clone", "-q", "--bare", "work", "repo.git"]);
    plain_git(&root.join("repo.git"), &["update-server-info"]);
    root.join("repo.git")
}

fn commit(root: &Path, text: &str) {
    let work = root.join("work");
    std::fs::write(work.join("README"), text).expect("write");
    plain_git(&work, &["commit", "-q", "-am", text]);
    plain_git(&work, &["push", "-q", "../repo.git", "main"]);
    plain_git(&root.join("repo.git"), &["update-server-info"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn git_clones_and_fetches_with_the_agents_token_and_a_refusal_refreshes_once() {
    let world = World::start("agent-git").await;
    one_account(&world, false).await;
    let agent = start_agent(&world);
    let root = world.dir.path().join("git");
    std::fs::create_dir_all(&root).expect("root");
    let server = GitServer::start(repository(&root), world.server.clone());

    let out = git(&world, &root, &["clone", "-q", &server.url, "clone"]);
    assert!(out.status.success(), "clone: {}", text(&out.stderr));
    let clone = root.join("clone");
    assert_eq!(
        std::fs::read_to_string(clone.join("README")).expect("cloned"),
        "one\n"
    );

    // The token rotates (another process refreshes; the old access token dies): the helper
    // hands git the new one.
    world.server.expire_access_tokens();
    let mut refresh = Command::new(env!("CARGO_BIN_EXE_signetctl"));
    refresh
        .args(["refresh", "crash0@example.com"])
        .env("SIGNET_CONFIG", world.config())
        .env("SIGNET_DATA_DIR", world.data())
        .env("SIGNET_KEYRING_NAMESPACE", &world.namespace);
    let out = refresh.output().expect("refresh");
    assert!(out.status.success(), "{}", text(&out.stderr));
    commit(&root, "two\n");
    let out = git(&world, &clone, &["fetch", "-q", "origin"]);
    assert!(
        out.status.success(),
        "fetch after rotation: {}",
        text(&out.stderr)
    );

    // The server refuses the token Signet still holds for valid: git reports it (erase), the
    // agent refreshes once, and the next fetch works with the new token.
    world.server.expire_access_tokens();
    let before = world.server.refresh_requests();
    let refused_before = server.refused.load(Ordering::SeqCst);
    let out = git(&world, &clone, &["fetch", "-q", "origin"]);
    assert!(!out.status.success(), "a refused token fails this fetch");
    assert!(server.refused.load(Ordering::SeqCst) > refused_before);
    assert_eq!(
        world.server.refresh_requests() - before,
        1,
        "one refresh for the refused token"
    );
    commit(&root, "three\n");
    let out = git(&world, &clone, &["fetch", "-q", "origin"]);
    assert!(
        out.status.success(),
        "fetch after the refresh: {}",
        text(&out.stderr)
    );
    assert_eq!(world.server.refresh_requests() - before, 1);
    let out = Command::new("git")
        .current_dir(&clone)
        .args(["log", "-1", "--format=%s", "origin/main"])
        .output()
        .expect("log");
    assert_eq!(text(&out.stdout).trim(), "three");
    assert!(agent.stop().success());
}
