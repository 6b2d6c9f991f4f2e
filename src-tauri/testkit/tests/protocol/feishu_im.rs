//! Feishu IM as the user: sending text (content as a JSON string, receive_id_type, scopes,
//! uuid dedup, unknown chats) and listing chats with paging.

use reqwest::StatusCode;
use serde_json::{json, Value};
use signet_testkit::{OAuthServer, ServerConfig};

use crate::common::*;

async fn im_server() -> (OAuthServer, String) {
    let server = OAuthServer::start(ServerConfig::feishu()).await;
    let at = server.mint_tokens(&server.user()).access_token;
    (server, at)
}

fn messages_url(server: &OAuthServer, id_type: &str) -> String {
    format!(
        "{}/open-apis/im/v1/messages?receive_id_type={id_type}",
        server.api_base()
    )
}

async fn send(url: &str, token: &str, body: &Value) -> (StatusCode, Value) {
    let resp = client()
        .post(url)
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .expect("send");
    status_json(resp).await
}

fn text_body(receive_id: &str, text: &str) -> Value {
    json!({
        "receive_id": receive_id,
        "msg_type": "text",
        "content": json!({"text": text}).to_string(),
    })
}

const BOB: &str = "ou_0bob0000000000000000000000000000";

#[tokio::test]
async fn send_text_as_the_user() {
    let (server, at) = im_server().await;
    let (status, body) = send(
        &messages_url(&server, "open_id"),
        &at,
        &text_body(BOB, "hello"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        (body["code"].as_i64(), body["msg"].as_str()),
        (Some(0), Some("success"))
    );
    let d = &body["data"];
    assert!(s(d, "message_id").starts_with("om_"));
    assert_eq!(d["root_id"], "");
    assert_eq!(d["parent_id"], "");
    assert_eq!(d["msg_type"], "text");
    let created = s(d, "create_time");
    assert!(
        created.len() == 13 && created.bytes().all(|b| b.is_ascii_digit()),
        "{created}"
    );
    assert_eq!(d["update_time"], created.as_str());
    assert_eq!(
        (d["deleted"].as_bool(), d["updated"].as_bool()),
        (Some(false), Some(false))
    );
    assert!(s(d, "chat_id").starts_with("oc_"));
    assert_eq!(
        d["sender"],
        json!({"id": "ou_7d8a6e6df7621556ce0d21922b676706ccs", "id_type": "open_id",
               "sender_type": "user", "tenant_key": "736588c9260f175d"})
    );
    assert_eq!(d["body"], json!({"content": "{\"text\":\"hello\"}"}));
    let sent = server.sent_messages();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].to, BOB);
    assert_eq!(sent[0].text, "hello");
    assert_eq!(
        sent[0].from.as_deref(),
        Some("ou_7d8a6e6df7621556ce0d21922b676706ccs")
    );
    assert_eq!(sent[0].id, s(d, "message_id"));
    assert_eq!(sent[0].body, text_body(BOB, "hello"));

    let chat = server.add_chat("Project room");
    let (status, body) = send(
        &messages_url(&server, "chat_id"),
        &at,
        &text_body(&chat, "hi all"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["chat_id"], chat.as_str());
    let (status, err) = send(
        &messages_url(&server, "chat_id"),
        &at,
        &text_body("oc_00000000000000000000000000000000", "x"),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        err,
        json!({"code": 230_002, "msg": "Bot/User can NOT be out of the chat."})
    );
    let (status, _) = send(
        &messages_url(&server, "email"),
        &at,
        &text_body("bob@example.com", "mail"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(server.sent_messages().len(), 3);
    server.assert_no_violations();
}

#[tokio::test]
async fn uuid_deduplicates_for_an_hour() {
    let (server, at) = im_server().await;
    let mut body = text_body(BOB, "once");
    body["uuid"] = json!("a0d69e20-1dd1-458b-k525-dfeca4015204");
    let (_, first) = send(&messages_url(&server, "open_id"), &at, &body).await;
    let (status, again) = send(&messages_url(&server, "open_id"), &at, &body).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(first["data"]["message_id"], again["data"]["message_id"]);
    assert_eq!(server.sent_messages().len(), 1);
    body["uuid"] = json!("another");
    let (_, third) = send(&messages_url(&server, "open_id"), &at, &body).await;
    assert_ne!(first["data"]["message_id"], third["data"]["message_id"]);
    assert_eq!(server.sent_messages().len(), 2);
}

#[tokio::test]
async fn send_refusals() {
    let (server, at) = im_server().await;
    // content as an object instead of a JSON-encoded string.
    let object = json!({"receive_id": BOB, "msg_type": "text", "content": {"text": "hi"}});
    let (status, err) = send(&messages_url(&server, "open_id"), &at, &object).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(err["code"], 230_001);
    let plain = json!({"receive_id": BOB, "msg_type": "text", "content": "hi"});
    let (_, err) = send(&messages_url(&server, "open_id"), &at, &plain).await;
    assert_eq!(err["code"], 230_001);
    let (_, err) = send(
        &messages_url(&server, "open_id"),
        &at,
        &text_body("on_union", "x"),
    )
    .await;
    assert_eq!(err["code"], 230_001, "an on_ id is not an open_id");
    for url in [
        format!("{}/open-apis/im/v1/messages", server.api_base()),
        messages_url(&server, "phone"),
    ] {
        let (status, err) = send(&url, &at, &text_body(BOB, "x")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(err["code"], 99_992_402);
        assert_eq!(err["msg"], "field validation failed");
        assert_eq!(
            err["error"]["field_violations"][0]["field"],
            "receive_id_type"
        );
    }
    assert_eq!(server.violations().len(), 5, "{:?}", server.violations());
    assert!(server.sent_messages().is_empty());

    // Both scopes are needed; a token without im:message.send_as_user gets 99991679.
    server.set_granted_scopes(Some(vec!["offline_access".into(), "im:message".into()]));
    let tok = feishu_login(&server, "offline_access im:message im:message.send_as_user").await;
    let (status, err) = send(
        &messages_url(&server, "open_id"),
        &s(&tok, "access_token"),
        &text_body(BOB, "x"),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        err,
        json!({"code": 99_991_679, "msg": "Unauthorized. You do not have permission to perform the requested operation on the resource. Please request user re-authorization and try again. required one of these privileges under the user identity: [im:message.send_as_user]"})
    );
    let (status, err) = send(
        &messages_url(&server, "open_id"),
        "u-bogus",
        &text_body(BOB, "x"),
    )
    .await;
    assert_eq!(
        (status, err["code"].as_i64()),
        (StatusCode::UNAUTHORIZED, Some(99_991_668))
    );
    assert_eq!(server.violations().len(), 5);
}

#[tokio::test]
async fn list_chats_with_paging() {
    let (server, at) = im_server().await;
    let ids: Vec<String> = (0..5)
        .map(|i| server.add_chat(&format!("Group {i}")))
        .collect();
    let base = format!(
        "{}/open-apis/im/v1/chats?user_id_type=open_id&page_size=2",
        server.api_base()
    );
    let mut url = base.clone();
    let mut seen = Vec::new();
    loop {
        let (status, body) = status_json(get_bearer(&url, &at).await).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(
            (body["code"].as_i64(), body["msg"].as_str()),
            (Some(0), Some("success"))
        );
        for item in body["data"]["items"].as_array().expect("items") {
            assert_eq!(item["owner_id"], "ou_7d8a6e6df7621556ce0d21922b676706ccs");
            assert_eq!(item["owner_id_type"], "open_id");
            assert_eq!(item["external"], false);
            assert_eq!(item["chat_status"], "normal");
            assert_eq!(item["tenant_key"], "736588c9260f175d");
            assert!(item["avatar"].is_string() && item["description"].is_string());
            seen.push((s(item, "chat_id"), s(item, "name")));
        }
        if body["data"]["has_more"] == true {
            url = format!("{base}&page_token={}", s(&body["data"], "page_token"));
        } else {
            assert_eq!(body["data"]["page_token"], "");
            break;
        }
    }
    assert_eq!(seen, server.chats());
    assert_eq!(
        seen.iter().map(|(id, _)| id.clone()).collect::<Vec<_>>(),
        ids
    );
    let (_, body) =
        status_json(get_bearer(&format!("{}/open-apis/im/v1/chats", server.api_base()), &at).await)
            .await;
    assert_eq!(
        body["data"]["items"].as_array().map(Vec::len),
        Some(5),
        "page_size defaults to 20"
    );
    server.assert_no_violations();
    let (status, err) = status_json(
        get_bearer(
            &format!("{}/open-apis/im/v1/chats?page_size=101", server.api_base()),
            &at,
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, err["code"].as_i64()),
        (StatusCode::BAD_REQUEST, Some(99_992_402))
    );
    assert_eq!(server.violations().len(), 1);

    server.set_granted_scopes(Some(vec!["offline_access".into()]));
    let tok = feishu_login(&server, "offline_access im:chat:readonly").await;
    let (status, err) = status_json(get_bearer(&base, &s(&tok, "access_token")).await).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(err["code"], 99_991_679);
    assert!(s(&err, "msg").contains("im:chat:readonly"), "{err}");
}
