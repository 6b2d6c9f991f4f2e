//! Security posture and hostile input: the loopback listener under a flood, oversize and forged
//! callbacks, redirects never followed, TLS required off-loopback, random values from a CSPRNG,
//! constant-time state comparison, the listener bound to 127.0.0.1 and closed after use.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::{harness, Setup};
use signet_core::{ErrorCode, Status};

fn port_of(redirect_uri: &str) -> u16 {
    url::Url::parse(redirect_uri)
        .expect("url")
        .port()
        .expect("port")
}

/// The local addresses listening on `port`, from /proc/net/tcp (IPv4) and tcp6.
fn listeners(port: u16) -> Vec<String> {
    let mut out = Vec::new();
    for file in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let text = std::fs::read_to_string(file).unwrap_or_default();
        for line in text.lines().skip(1) {
            let cols: Vec<&str> = line.split_whitespace().collect();
            // local_address, state 0A = LISTEN
            if cols.len() > 3 && cols[3] == "0A" {
                if let Some((addr, p)) = cols[1].split_once(':') {
                    if u16::from_str_radix(p, 16).ok() == Some(port) {
                        out.push(addr.to_owned());
                    }
                }
            }
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_on_the_loopback_listener_does_not_stop_the_real_callback() {
    let h = harness(Setup::oidc()).await;
    let start = h.engine.begin_sign_in("corp", None).await.expect("begin");
    let port = port_of(&start.redirect_uri);
    assert_eq!(
        listeners(port),
        ["0100007F"],
        "bound to 127.0.0.1 only, never a wildcard address"
    );
    let path = "/callback/corp".to_owned();

    // Browser pre-connects and stalled clients: 300 connections that never send a byte.
    let idle: Vec<TcpStream> = (0..300)
        .map(|_| TcpStream::connect(("127.0.0.1", port)).expect("connect"))
        .collect();
    // Garbage, oversize and forged requests, 100 of each kind, on their own connections.
    let refused = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for i in 0..300 {
        let refused = refused.clone();
        let path = path.clone();
        tasks.push(std::thread::spawn(move || {
            let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
            s.set_read_timeout(Some(Duration::from_secs(10))).ok();
            let req = match i % 3 {
                0 => b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03garbage-not-http\r\n\r\n".to_vec(),
                1 => format!(
                    "GET {path}?code=x&state={} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
                    "A".repeat(200_000)
                )
                .into_bytes(),
                _ => format!(
                    "GET {path}?code=forged-{i}&state=forged-{i} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
                )
                .into_bytes(),
            };
            let _ = s.write_all(&req);
            let mut buf = Vec::new();
            let _ = s.read_to_end(&mut buf);
            let head = String::from_utf8_lossy(&buf);
            if head.is_empty() || head.starts_with("HTTP/1.1 4") {
                refused.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    for t in tasks {
        t.join().expect("client thread");
    }
    assert_eq!(
        refused.load(Ordering::Relaxed),
        300,
        "every hostile request refused"
    );
    assert!(
        h.engine.list().await.expect("list").is_empty(),
        "no state change"
    );

    // The real callback still completes, with the idle connections still open.
    let (status, a) = h.finish(start).await;
    assert_eq!(status, Some(200));
    let a = a.expect("signed in despite the flood");
    assert_eq!(a.status, Status::Fresh);
    drop(idle);

    // Closed after use: nothing listens on the port any more.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        listeners(port).is_empty(),
        "the listener closed after the sign-in"
    );
    assert!(TcpStream::connect(("127.0.0.1", port)).is_err());
    assert_eq!(
        h.server.token_requests(),
        1,
        "forged callbacks sent no token request"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_sign_in_closes_its_listener() {
    let h = harness(Setup::oidc()).await;
    let start = h.engine.begin_sign_in("corp", None).await.expect("begin");
    let port = port_of(&start.redirect_uri);
    assert!(!listeners(port).is_empty());
    assert!(h.engine.cancel_sign_in("corp"));
    let e = start.waiter.wait().await.expect_err("cancelled");
    assert_eq!(e.code, ErrorCode::SignInCancelled);
    for _ in 0..50 {
        if listeners(port).is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(listeners(port).is_empty(), "closed after cancel");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversize_deep_link_is_refused_without_effect() {
    let h = harness(Setup::aihubmix()).await;
    let start = h
        .engine
        .begin_sign_in("aihubmix", None)
        .await
        .expect("begin");
    let link = format!(
        "signet://oauth/callback/aihubmix?code=x&state={}",
        "B".repeat(1_000_000)
    );
    let e = h.engine.handle_deep_link(&link).await.expect_err("refused");
    assert!(
        matches!(e.code, ErrorCode::BadCallback | ErrorCode::UnknownSignIn),
        "{e:?}"
    );
    assert!(e.message.len() < 500, "the message does not echo the input");
    // The sign-in in progress is untouched and still completes.
    let cb = h
        .server
        .authorize(start.authorize_url.as_str())
        .await
        .expect("authorize");
    h.deliver(&cb).await;
    start
        .waiter
        .wait()
        .await
        .expect("the real sign-in completes");
}

/// A server that answers every request with a redirect to `target`, counting requests.
fn redirecting_server(target: String) -> (u16, Arc<AtomicUsize>) {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = l.local_addr().expect("addr").port();
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    std::thread::spawn(move || {
        for s in l.incoming().flatten() {
            counter.fetch_add(1, Ordering::Relaxed);
            let mut s = s;
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf);
            let _ = write!(
                s,
                "HTTP/1.1 302 Found\r\nLocation: {target}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
        }
    });
    (port, hits)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_and_userinfo_calls_never_follow_redirects() {
    let (sink_port, sink_hits) = redirecting_server("http://127.0.0.1:9/".into());
    let (port, hits) = redirecting_server(format!("http://127.0.0.1:{sink_port}/stolen"));
    let h = harness(Setup::aihubmix()).await;
    let a = h.sign_in().await;
    // Point the token and userinfo endpoints at the redirector.
    let path = h.dir.path().join("config.toml");
    let text = std::fs::read_to_string(&path).expect("config").replace(
        "redirect = ",
        &format!(
            "token_url = \"http://127.0.0.1:{port}/api/oauth2/token\"\nuserinfo_url = \"http://127.0.0.1:{port}/api/oauth2/userinfo\"\nredirect = "
        ),
    );
    std::fs::write(&path, text).expect("write");
    let config = signet_core::Config::load(&path).expect("config");
    let mut opts = signet_core::EngineOptions::new(
        config,
        h.dir.path().join("data"),
        signet_core::Vault::new(Arc::new(h.memory.clone().expect("memory vault"))),
    );
    opts.clock = Arc::new(h.clock.clone());
    h.engine.store().close().await;
    let engine = signet_core::Engine::open(opts).await.expect("engine");
    engine
        .set_client_secret(
            "aihubmix",
            &signet_core::Secret::new(h.server.client_secret()),
        )
        .await
        .expect("secret");
    let e = engine
        .refresh(a.id, true)
        .await
        .expect_err("302 is not followed");
    assert_eq!(e.code, ErrorCode::Temporary);
    let e = engine
        .sync_profile(a.id)
        .await
        .expect_err("302 is not followed");
    assert_ne!(e.code, ErrorCode::Internal);
    assert!(hits.load(Ordering::Relaxed) >= 2);
    assert_eq!(
        sink_hits.load(Ordering::Relaxed),
        0,
        "nothing reached the redirect target"
    );
}

#[test]
fn plain_http_endpoints_are_refused_except_on_loopback() {
    for (kind, key) in [
        ("aihubmix", "base_url"),
        ("google", "token_url"),
        ("feishu", "api_base"),
        ("oidc", "issuer"),
    ] {
        let text = format!(
            "[[providers]]\nname = \"p\"\nkind = \"{kind}\"\nclient_id = \"x\"\n{}{key} = \"http://provider.example.com\"\n",
            if kind == "oidc" && key != "issuer" { "issuer = \"https://i.example.com\"\n" } else { "" }
        );
        let e = signet_core::Config::parse(&text, std::path::Path::new("c.toml"))
            .expect_err("plain http refused");
        assert!(
            e.message.contains("plain http"),
            "{kind}.{key}: {}",
            e.message
        );
    }
    assert!(signet_core::endpoint::check_endpoint("http://127.0.0.1:8080/x").is_ok());
    assert!(signet_core::endpoint::check_endpoint("http://localhost:8080/x").is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_discovery_document_naming_plain_http_endpoints_is_refused() {
    // An issuer on loopback whose discovery document points the token endpoint off-loopback
    // over plain http: the sign-in does not start.
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let issuer = format!("http://127.0.0.1:{}", l.local_addr().expect("addr").port());
    let doc = serde_json::json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/authorize"),
        "token_endpoint": "http://tokens.example.com/token",
    })
    .to_string();
    std::thread::spawn(move || {
        for s in l.incoming().flatten() {
            let mut s = s;
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf);
            let _ = write!(
                s,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{doc}",
                doc.len()
            );
        }
    });
    let text = format!("[[providers]]\nname = \"corp\"\nkind = \"oidc\"\nclient_id = \"x\"\nissuer = \"{issuer}\"\n");
    let dir = tempfile::tempdir().expect("dir");
    let engine = signet_core::Engine::open(signet_core::EngineOptions::new(
        signet_core::Config::parse(&text, &dir.path().join("c.toml")).expect("config"),
        dir.path().to_owned(),
        signet_core::Vault::new(Arc::new(signet_core::vault::MemoryBackend::default())),
    ))
    .await
    .expect("engine");
    engine
        .set_client_secret("corp", &signet_core::Secret::new("s3cret-xyz"))
        .await
        .expect("secret");
    let e = match engine.begin_sign_in("corp", None).await {
        Err(e) => e,
        Ok(_) => panic!("a plain-http token endpoint was accepted"),
    };
    assert!(e.message.contains("plain http"), "{}", e.message);
}

#[test]
fn state_verifier_and_nonce_are_256_bit_csprng_values() {
    // rand's ThreadRng: ChaCha12 reseeded from the OS, documented as a CSPRNG. Checked here:
    // length, alphabet, no repeats, and byte frequencies indistinguishable from uniform.
    use base64::Engine as _;
    let mut seen = std::collections::HashSet::new();
    let mut counts = [0u64; 256];
    let n = 10_000;
    for _ in 0..n {
        let t = signet_core::flow::random_token();
        let s = t.expose().to_owned();
        assert_eq!(s.len(), 43);
        assert!(s
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(&s)
            .expect("base64url");
        assert_eq!(bytes.len(), 32);
        for b in bytes {
            counts[b as usize] += 1;
        }
        assert!(seen.insert(s), "a random value repeated");
    }
    let expected = (n * 32) as f64 / 256.0;
    let chi2: f64 = counts
        .iter()
        .map(|c| (*c as f64 - expected).powi(2) / expected)
        .sum();
    // 255 degrees of freedom: mean 255, sd 22.6; 400 is beyond 6 sd.
    assert!(
        chi2 < 400.0,
        "byte distribution is not uniform: chi² = {chi2:.1}"
    );
}

#[test]
fn state_is_compared_in_constant_time() {
    // The comparison itself: `subtle::ConstantTimeEq` over the bytes, for every pending flow.
    let src = include_str!("../src/flow.rs");
    assert!(src.contains("use subtle::ConstantTimeEq;"));
    assert!(src.contains(".ct_eq(state.expose().as_bytes())"));
    assert!(
        !src.contains("state.expose() ==") && !src.contains("== state.expose()"),
        "no short-circuiting comparison of the state"
    );
}
