//! Each Fault does what it says; holds, request counting and server shutdown.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;
use signet_testkit::{Fault, OAuthServer, ServerConfig, TokenState};

use crate::common::*;

async fn logged_in() -> (OAuthServer, String) {
    let server = OAuthServer::start(ServerConfig::oidc()).await;
    let tok = oidc_login(&server).await;
    (server, s(&tok, "refresh_token"))
}

fn refresh_form<'a>(
    server: &'a OAuthServer,
    rt: &'a str,
    id: &'a str,
    secret: &'a str,
) -> [(&'a str, &'a str); 4] {
    let _ = server;
    [
        ("grant_type", "refresh_token"),
        ("refresh_token", rt),
        ("client_id", id),
        ("client_secret", secret),
    ]
}

/// Sends a refresh and returns the raw outcome (errors included).
async fn raw_refresh(
    server: &OAuthServer,
    rt: &str,
    c: &reqwest::Client,
) -> reqwest::Result<reqwest::Response> {
    let (id, secret) = (server.client_id(), server.client_secret());
    c.post(server.token_endpoint())
        .form(&refresh_form(server, rt, &id, &secret))
        .send()
        .await
}

#[tokio::test]
async fn status_503_then_normal_fifo() {
    let (server, rt) = logged_in().await;
    server.push_fault(Fault::Status503);
    server.push_fault(Fault::HtmlError(502));
    let (status, body) = oidc_refresh(&server, &rt).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(body.is_object(), "a small JSON body: {body}");
    let resp = raw_refresh(&server, &rt, &client())
        .await
        .expect("response");
    assert_eq!(resp.status(), StatusCode::BAD_GATEWAY);
    assert!(resp.headers()["content-type"]
        .to_str()
        .expect("ascii")
        .starts_with("text/html"));
    assert!(resp.text().await.expect("text").contains("<html>"));
    assert_eq!(
        server.token_state(&rt),
        Some(TokenState::Live),
        "faulted requests are not processed"
    );
    let (status, _) = oidc_refresh(&server, &rt).await;
    assert_eq!(status, StatusCode::OK, "queue drained");
    assert_eq!(server.refresh_requests(), 3);
    server.assert_no_violations();
}

#[tokio::test]
async fn too_many_requests_carries_retry_after() {
    let (server, rt) = logged_in().await;
    server.push_fault(Fault::TooManyRequests {
        retry_after_secs: 7,
    });
    let resp = raw_refresh(&server, &rt, &client())
        .await
        .expect("response");
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(resp.headers()["retry-after"], "7");
}

#[tokio::test]
async fn reset_connection_is_a_transport_error_and_not_processed() {
    let (server, rt) = logged_in().await;
    let c = client();
    // Warm a keep-alive connection first so the reset hits a reused connection too.
    let resp = c
        .get(server.discovery_url().expect("discovery"))
        .send()
        .await
        .expect("get");
    assert_eq!(resp.status(), StatusCode::OK);
    server.push_fault(Fault::ResetConnection);
    let err = raw_refresh(&server, &rt, &c)
        .await
        .expect_err("no HTTP response");
    assert!(!err.is_status() && !err.is_timeout(), "{err:?}");
    assert_eq!(
        server.token_requests(),
        2,
        "received exactly once (no silent client retry)"
    );
    assert_eq!(server.token_state(&rt), Some(TokenState::Live));
    let resp = raw_refresh(&server, &rt, &c)
        .await
        .expect("next request works");
    assert_eq!(resp.status(), StatusCode::OK);
}

#[tokio::test]
async fn drop_after_processing_consumes_the_token() {
    let (server, rt) = logged_in().await;
    server.push_fault(Fault::DropAfterProcessing);
    let err = raw_refresh(&server, &rt, &client())
        .await
        .expect_err("no HTTP response");
    assert!(!err.is_status() && !err.is_timeout(), "{err:?}");
    assert_eq!(server.token_state(&rt), Some(TokenState::Consumed));
    let (status, err) = oidc_refresh(&server, &rt).await;
    assert_eq!(
        (status, err["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant"))
    );
    // New tokens were issued (and listed for leak scans) even though nobody saw them.
    assert!(server.issued_secrets().len() >= 8);
}

#[tokio::test]
async fn delay_processes_then_answers_late() {
    let (server, rt) = logged_in().await;
    server.push_fault(Fault::Delay(Duration::from_millis(400)));
    let impatient = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_millis(100))
        .build()
        .expect("client");
    let err = raw_refresh(&server, &rt, &impatient)
        .await
        .expect_err("times out");
    assert!(err.is_timeout(), "{err:?}");
    assert_eq!(server.token_state(&rt), Some(TokenState::Consumed));

    let tok = oidc_login(&server).await;
    server.push_fault(Fault::Delay(Duration::from_millis(50)));
    let (status, _) = oidc_refresh(&server, &s(&tok, "refresh_token")).await;
    assert_eq!(status, StatusCode::OK, "a patient client gets the answer");
}

#[tokio::test]
async fn truncated_json_after_processing() {
    let (server, rt) = logged_in().await;
    server.push_fault(Fault::TruncatedJson);
    let resp = raw_refresh(&server, &rt, &client())
        .await
        .expect("response");
    assert_eq!(resp.status(), StatusCode::OK);
    let body = resp.text().await.expect("complete body");
    assert!(body.starts_with("{\""), "{body}");
    assert!(
        serde_json::from_str::<Value>(&body).is_err(),
        "cut in the middle: {body}"
    );
    assert_eq!(server.token_state(&rt), Some(TokenState::Consumed));
}

#[tokio::test]
async fn huge_body_has_the_requested_size() {
    let (server, rt) = logged_in().await;
    server.push_fault(Fault::HugeBody(3_000_000));
    let resp = raw_refresh(&server, &rt, &client())
        .await
        .expect("response");
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.content_length(), Some(3_000_000));
    assert_eq!(resp.bytes().await.expect("body").len(), 3_000_000);
    assert_eq!(server.token_state(&rt), Some(TokenState::Live));
}

#[tokio::test]
async fn invalid_grant_regardless_of_token() {
    let server = OAuthServer::start(ServerConfig::aihubmix()).await;
    let tok = aihubmix_login(&server).await;
    let rt = s(&tok, "refresh_token");
    server.push_fault(Fault::InvalidGrant);
    let (status, err) = aihubmix_refresh(&server, &rt).await;
    assert_eq!(
        (status, err),
        (
            StatusCode::BAD_REQUEST,
            serde_json::json!({"error": "invalid_grant"})
        )
    );
    assert_eq!(server.token_state(&rt), Some(TokenState::Live));
    server.push_fault(Fault::ResetConnection);
    assert!(raw_aihubmix(&server, &rt).await.is_err());
    server.assert_no_violations();
}

async fn raw_aihubmix(server: &OAuthServer, rt: &str) -> reqwest::Result<reqwest::Response> {
    raw_refresh(server, rt, &client()).await
}

#[tokio::test]
async fn api_faults_hit_userinfo() {
    let server = OAuthServer::start(ServerConfig::oidc()).await;
    let tok = oidc_login(&server).await;
    let at = s(&tok, "access_token");
    server.push_api_fault(Fault::Status503);
    server.push_api_fault(Fault::InvalidGrant);
    assert_eq!(
        get_bearer(&server.userinfo_endpoint(), &at).await.status(),
        StatusCode::SERVICE_UNAVAILABLE
    );
    assert_eq!(
        get_bearer(&server.userinfo_endpoint(), &at).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        get_bearer(&server.userinfo_endpoint(), &at).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        server.token_requests(),
        1,
        "api faults leave the token queue alone"
    );
}

#[tokio::test]
async fn hold_delays_responses_until_released() {
    let (server, rt) = logged_in().await;
    let hold = server.hold_token_responses();
    let pending = {
        let (server, rt) = (server.clone(), rt.clone());
        tokio::spawn(async move { oidc_refresh(&server, &rt).await })
    };
    server.wait_token_requests(2).await;
    assert_eq!(server.refresh_requests(), 1);
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(!pending.is_finished(), "response held back");
    assert_eq!(
        server.token_state(&rt),
        Some(TokenState::Live),
        "not processed while held"
    );
    hold.release();
    let (status, body) = pending.await.expect("join");
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn wait_token_requests_wakes_without_polling() {
    let (server, rt) = logged_in().await;
    let waiter = {
        let server = server.clone();
        tokio::spawn(async move { server.wait_token_requests(3).await })
    };
    let _ = oidc_refresh(&server, &rt).await;
    assert!(!waiter.is_finished());
    let _ = oidc_refresh(&server, &rt).await;
    tokio::time::timeout(Duration::from_secs(5), waiter)
        .await
        .expect("woken")
        .expect("join");
}

#[tokio::test]
async fn dropping_the_server_stops_it() {
    let server = OAuthServer::start(ServerConfig::oidc()).await;
    let url = server.discovery_url().expect("discovery");
    let c = client();
    assert_eq!(
        c.get(&url).send().await.expect("up").status(),
        StatusCode::OK
    );
    drop(server);
    tokio::task::yield_now().await;
    assert!(
        c.get(&url).send().await.is_err(),
        "listener and keep-alive connections closed"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_faults_are_reliable_on_a_multi_thread_runtime() {
    let (server, mut rt) = logged_in().await;
    let c = client();
    for i in 0..40 {
        let fault = if i % 2 == 0 {
            Fault::ResetConnection
        } else {
            Fault::DropAfterProcessing
        };
        server.push_fault(fault.clone());
        let before = server.token_requests();
        let err = raw_refresh(&server, &rt, &c)
            .await
            .expect_err("no HTTP response");
        assert!(!err.is_status() && !err.is_timeout(), "{fault:?}: {err:?}");
        assert_eq!(
            server.token_requests(),
            before + 1,
            "{fault:?} seen exactly once"
        );
        if fault == Fault::DropAfterProcessing {
            assert_eq!(server.token_state(&rt), Some(TokenState::Consumed));
            rt = server.mint_tokens(&server.user()).refresh_token;
        } else {
            assert_eq!(server.token_state(&rt), Some(TokenState::Live));
        }
        // The client recovers on a fresh connection.
        let resp = c
            .get(server.discovery_url().expect("discovery"))
            .send()
            .await
            .expect("get");
        assert_eq!(resp.status(), StatusCode::OK);
    }
    server.assert_no_violations();
}

/// A current-thread test that blocks (as a CLI test running `Command::output()` would) must
/// not starve the server: it runs on its own thread.
#[tokio::test]
async fn server_answers_while_the_test_thread_blocks() {
    use std::io::{Read as _, Write as _};
    let server = OAuthServer::start(ServerConfig::aihubmix()).await;
    let addr = server.base_url().trim_start_matches("http://").to_owned();
    let mut stream = std::net::TcpStream::connect(&addr).expect("connect");
    write!(
        stream,
        "GET /api/oauth2/userinfo HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .expect("write");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("read");
    assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
    assert_eq!(server.violations().len(), 1, "no Authorization header");
}
