//! Google Chat with user auth: spaces.create (the seed's request), spaces.list paging and
//! filters, messages.create, scope checks and Google's error shape.

use reqwest::StatusCode;
use serde_json::{json, Value};
use signet_testkit::{Fault, OAuthServer, ServerConfig};

use crate::common::*;

async fn chat_server() -> (OAuthServer, String) {
    let server = OAuthServer::start(ServerConfig::google()).await;
    let at = server.mint_tokens(&server.user()).access_token;
    (server, at)
}

async fn post_chat(url: &str, token: &str, body: &Value) -> (StatusCode, Value) {
    let resp = client()
        .post(url)
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .expect("send");
    status_json(resp).await
}

fn spaces_url(server: &OAuthServer) -> String {
    format!("{}/v1/spaces", server.api_base())
}

fn messages_url(server: &OAuthServer, space: &str) -> String {
    format!("{}/v1/{space}/messages", server.api_base())
}

fn assert_google_error(body: &Value, code: u16, status: &str) {
    assert_eq!(body["error"]["code"], code, "{body}");
    assert_eq!(body["error"]["status"], status, "{body}");
    assert!(body["error"]["message"].is_string(), "{body}");
}

#[tokio::test]
async fn create_space_as_in_the_seed() {
    let (server, at) = chat_server().await;
    let seed = json!({"spaceType": "SPACE", "displayName": "API-made"});
    let (status, space) = post_chat(&spaces_url(&server), &at, &seed).await;
    assert_eq!(status, StatusCode::OK, "{space}");
    let name = s(&space, "name");
    assert!(name.starts_with("spaces/AAAA"), "{name}");
    assert_eq!(space["type"], "ROOM");
    assert_eq!(space["spaceType"], "SPACE");
    assert_eq!(space["displayName"], "API-made");
    assert_eq!(space["spaceThreadingState"], "THREADED_MESSAGES");
    assert_eq!(space["spaceHistoryState"], "HISTORY_ON");
    assert_eq!(
        space["membershipCount"],
        json!({"joinedDirectHumanUserCount": 1})
    );
    let created = s(&space, "createTime");
    assert!(
        created.starts_with("20") && created.ends_with('Z'),
        "{created}"
    );
    assert_eq!(space["lastActiveTime"], created.as_str());
    let id = name.trim_start_matches("spaces/");
    assert!(s(&space, "spaceUri").starts_with(&format!("https://chat.google.com/room/{id}")));
    assert_eq!(server.spaces(), vec![(name.clone(), "API-made".to_owned())]);

    let (status, err) = post_chat(&spaces_url(&server), &at, &seed).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_google_error(&err, 409, "ALREADY_EXISTS");
    assert_eq!(
        err["error"]["message"],
        "The display name is already in use."
    );

    // requestId makes the call idempotent.
    let url = format!("{}?requestId=r-1", spaces_url(&server));
    let body = json!({"spaceType": "SPACE", "displayName": "Once"});
    let (_, first) = post_chat(&url, &at, &body).await;
    let (status, again) = post_chat(&url, &at, &body).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(first["name"], again["name"]);
    assert_eq!(server.spaces().len(), 2);
    server.assert_no_violations();
}

#[tokio::test]
async fn create_space_refusals() {
    let (server, at) = chat_server().await;
    let url = spaces_url(&server);
    for body in [
        json!({"displayName": "No type"}),
        json!({"spaceType": "GROUP_CHAT", "displayName": "x"}),
        json!({"spaceType": "SPACE", "displayName": "  "}),
    ] {
        let (status, err) = post_chat(&url, &at, &body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_google_error(&err, 400, "INVALID_ARGUMENT");
    }
    let resp = client()
        .post(&url)
        .bearer_auth(&at)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body("spaceType=SPACE&displayName=form")
        .send()
        .await
        .expect("send");
    let (status, err) = status_json(resp).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_google_error(&err, 400, "INVALID_ARGUMENT");
    // JSON under the wrong Content-Type: processed, but a violation.
    let resp = client()
        .post(&url)
        .bearer_auth(&at)
        .header("Content-Type", "text/plain")
        .body(r#"{"spaceType":"SPACE","displayName":"plain"}"#)
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), StatusCode::OK);
    // not JSON + content type (2), three bad bodies (3), text/plain (1)
    assert_eq!(server.violations().len(), 6, "{:?}", server.violations());
}

#[tokio::test]
async fn scopes_and_credentials() {
    let server = OAuthServer::start(ServerConfig::google()).await;
    server.set_granted_scopes(Some(vec![CHAT_READONLY.into()]));
    let (_, tok) = google_login_with(&server, server.default_scope(), &[]).await;
    let at = s(&tok, "access_token");
    let body = json!({"spaceType": "SPACE", "displayName": "Nope"});
    let (status, err) = post_chat(&spaces_url(&server), &at, &body).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        err,
        json!({"error": {
            "code": 403,
            "message": "Request had insufficient authentication scopes.",
            "status": "PERMISSION_DENIED",
            "details": [{
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": "ACCESS_TOKEN_SCOPE_INSUFFICIENT",
                "domain": "googleapis.com",
                "metadata": {"service": "chat.googleapis.com",
                             "method": "google.chat.v1.ChatService.CreateSpace"},
            }],
        }})
    );
    // The readonly scope lists.
    let (status, _) = status_json(get_bearer(&spaces_url(&server), &at).await).await;
    assert_eq!(status, StatusCode::OK);
    let space = server.add_space("Team");
    let (status, err) =
        post_chat(&messages_url(&server, &space), &at, &json!({"text": "hi"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        err["error"]["details"][0]["metadata"]["method"],
        "google.chat.v1.ChatService.CreateMessage"
    );
    server.assert_no_violations();

    let resp = get_bearer(&spaces_url(&server), "ya29.bogus").await;
    assert!(resp.headers()["www-authenticate"]
        .to_str()
        .expect("ascii")
        .contains("invalid_token"));
    let (status, err) = status_json(resp).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_google_error(&err, 401, "UNAUTHENTICATED");
    let (status, _) = status_json(
        client()
            .get(spaces_url(&server))
            .send()
            .await
            .expect("send"),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(server.violations().len(), 1, "no Authorization header");
}

#[tokio::test]
async fn list_spaces_pages_and_filters() {
    let (server, at) = chat_server().await;
    let (status, body) = status_json(get_bearer(&spaces_url(&server), &at).await).await;
    assert_eq!((status, body), (StatusCode::OK, json!({})));
    let names: Vec<String> = (0..5)
        .map(|i| server.add_space(&format!("Room {i}")))
        .collect();
    let mut seen = Vec::new();
    let mut url = format!(
        "{}?pageSize=2&filter=spaceType%20%3D%20%22SPACE%22",
        spaces_url(&server)
    );
    let mut pages = 0;
    loop {
        let (status, body) = status_json(get_bearer(&url, &at).await).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        pages += 1;
        for space in body["spaces"].as_array().expect("spaces") {
            assert_eq!(space["spaceType"], "SPACE");
            seen.push(s(space, "name"));
        }
        match body.get("nextPageToken").and_then(Value::as_str) {
            Some(t) => url = format!("{}?pageSize=2&pageToken={t}", spaces_url(&server)),
            None => break,
        }
    }
    assert_eq!((pages, seen), (3, names.clone()));
    let (_, body) =
        status_json(get_bearer(&format!("{}?pageSize=5000", spaces_url(&server)), &at).await).await;
    assert_eq!(body["spaces"].as_array().map(Vec::len), Some(5));
    assert!(body.get("nextPageToken").is_none());
    let dm_only = format!(
        "{}?filter=spaceType%20%3D%20%22DIRECT_MESSAGE%22",
        spaces_url(&server)
    );
    let (_, body) = status_json(get_bearer(&dm_only, &at).await).await;
    assert_eq!(body, json!({}));
    server.assert_no_violations();
    for bad in [
        "?filter=displayName%3D%22x%22",
        "?pageToken=garbage",
        "?pageSize=-1",
    ] {
        let (status, err) =
            status_json(get_bearer(&format!("{}{bad}", spaces_url(&server)), &at).await).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
        assert_google_error(&err, 400, "INVALID_ARGUMENT");
    }
    assert_eq!(server.violations().len(), 3);
}

#[tokio::test]
async fn send_message_to_a_space() {
    let (server, at) = chat_server().await;
    let space = server.add_space("Team");
    let (status, msg) = post_chat(
        &messages_url(&server, &space),
        &at,
        &json!({"text": "Hello"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{msg}");
    let name = s(&msg, "name");
    assert!(name.starts_with(&format!("{space}/messages/")), "{name}");
    assert_eq!(
        msg["sender"],
        json!({"name": "users/110248495921238986420", "type": "HUMAN"})
    );
    assert_eq!(msg["text"], "Hello");
    assert_eq!(msg["argumentText"], "Hello");
    assert_eq!(msg["space"], json!({"name": space}));
    assert!(s(&msg["thread"], "name").starts_with(&format!("{space}/threads/")));
    assert!(s(&msg, "createTime").ends_with('Z'));
    let sent = server.sent_messages();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].id, name);
    assert_eq!(sent[0].to, space);
    assert_eq!(sent[0].text, "Hello");
    assert_eq!(sent[0].from.as_deref(), Some("users/110248495921238986420"));
    assert_eq!(sent[0].body, json!({"text": "Hello"}));

    // requestId: the same message again, not a second one.
    let url = format!(
        "{}?requestId=m-1&messageId=client-greeting",
        messages_url(&server, &space)
    );
    let (_, first) = post_chat(&url, &at, &json!({"text": "Once"})).await;
    assert_eq!(first["name"], format!("{space}/messages/client-greeting"));
    let (_, again) = post_chat(&url, &at, &json!({"text": "Once"})).await;
    assert_eq!(first, again);
    assert_eq!(server.sent_messages().len(), 2);

    let (status, err) = post_chat(
        &messages_url(&server, "spaces/AAAAmissing"),
        &at,
        &json!({"text": "x"}),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_google_error(&err, 404, "NOT_FOUND");
    let long = "x".repeat(32_001);
    let (status, err) =
        post_chat(&messages_url(&server, &space), &at, &json!({"text": long})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_google_error(&err, 400, "INVALID_ARGUMENT");
    let (status, _) = post_chat(
        &messages_url(&server, &space),
        &at,
        &json!({"text": "x".repeat(32_000)}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "exactly 32000 bytes is allowed");
    server.assert_no_violations();

    let card = json!({"text": "hi", "cardsV2": [{"cardId": "c", "card": {}}]});
    let (status, err) = post_chat(&messages_url(&server, &space), &at, &card).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_google_error(&err, 400, "INVALID_ARGUMENT");
    let (status, _) = post_chat(&messages_url(&server, &space), &at, &json!({})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(server.violations().len(), 2, "{:?}", server.violations());
    assert_eq!(server.sent_messages().len(), 3);
}

#[tokio::test]
async fn chat_faults() {
    let (server, at) = chat_server().await;
    server.push_api_fault(Fault::TooManyRequests {
        retry_after_secs: 3,
    });
    let resp = get_bearer(&spaces_url(&server), &at).await;
    assert_eq!(resp.headers()["retry-after"], "3");
    let (status, err) = status_json(resp).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_google_error(&err, 429, "RESOURCE_EXHAUSTED");
    server.push_api_fault(Fault::InvalidGrant);
    let (status, err) = status_json(get_bearer(&spaces_url(&server), &at).await).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_google_error(&err, 401, "UNAUTHENTICATED");
    server.push_api_fault(Fault::Respond {
        status: 503,
        body: r#"{"error":{"code":503,"message":"The service is currently unavailable.","status":"UNAVAILABLE"}}"#.into(),
        content_type: "application/json".into(),
    });
    let (status, err) = status_json(get_bearer(&spaces_url(&server), &at).await).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_google_error(&err, 503, "UNAVAILABLE");
    let (status, _) = status_json(get_bearer(&spaces_url(&server), &at).await).await;
    assert_eq!(status, StatusCode::OK);
    server.assert_no_violations();
}
