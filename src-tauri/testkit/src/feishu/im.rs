//! Feishu IM v1 as the user: send a text message (`POST /open-apis/im/v1/messages`, with
//! `uuid` deduplication) and list group chats (`GET /open-apis/im/v1/chats`).

use std::time::{Duration, Instant};

use http::{Method, StatusCode};
use serde_json::{json, Value};

use super::common::{api_caller, api_error, invalid_access_token, rate_limited};
use crate::faults::{self, Answers};
use crate::http::{json as json_resp, wrong_method, Outcome, Req, Resp};
use crate::state::Shared;
use crate::store::Chat;
use crate::tokens::{pkce_s256, random_hex, unix_now_ms};
use crate::types::{SentMessage, User};

const MESSAGES_PATH: &str = "/open-apis/im/v1/messages";
const CHATS_PATH: &str = "/open-apis/im/v1/chats";
const RECEIVE_ID_TYPES: &[&str] = &["open_id", "union_id", "user_id", "email", "chat_id"];
const SEND_SCOPES: &[&str] = &["im:message", "im:message.send_as_user"];
const CHAT_LIST_SCOPES: &[&str] = &[
    "im:chat",
    "im:chat:readonly",
    "im:chat:read",
    "im:chat.group_info:readonly",
];
const DEDUP_WINDOW: Duration = Duration::from_secs(3600);
const DEFAULT_PAGE_SIZE: usize = 20;
const MAX_PAGE_SIZE: usize = 100;

pub(super) fn serves(path: &str) -> bool {
    path == MESSAGES_PATH || path == CHATS_PATH
}

pub(super) async fn route(shared: &Shared, req: &Req) -> Outcome {
    let answers = || Answers {
        rejection: invalid_access_token(),
        rate_limited,
    };
    match (req.path.as_str(), &req.method) {
        (MESSAGES_PATH, &Method::POST) => {
            faults::api_request_with(shared, answers(), || send(shared, req)).await
        }
        (CHATS_PATH, &Method::GET) => {
            faults::api_request_with(shared, answers(), || list_chats(shared, req)).await
        }
        (MESSAGES_PATH, _) => wrong_method(shared, req, "POST"),
        _ => wrong_method(shared, req, "GET"),
    }
}

/// HTTP 400 99992402 "field validation failed" naming the field; recorded.
fn field_validation(shared: &Shared, endpoint: &str, field: &str, what: &str) -> Resp {
    shared.violation(format!("{endpoint}: {field}: {what}"));
    json_resp(
        StatusCode::BAD_REQUEST,
        &json!({
            "code": 99_992_402,
            "msg": "field validation failed",
            "error": {"field_violations": [{"field": field, "description": what}]},
        }),
    )
}

/// HTTP 400 230001 (invalid message parameter); recorded.
fn invalid_param(shared: &Shared, what: &str) -> Resp {
    shared.violation(format!("im send: {what}"));
    api_error(
        StatusCode::BAD_REQUEST,
        230_001,
        &format!("Your request contains an invalid request parameter, ext={what}"),
    )
}

/// HTTP 400 99991679 listing the missing user-identity privileges.
fn missing_privileges(missing: &[&str]) -> Resp {
    api_error(
        StatusCode::BAD_REQUEST,
        99_991_679,
        &format!(
            "Unauthorized. You do not have permission to perform the requested operation on the resource. Please request user re-authorization and try again. required one of these privileges under the user identity: [{}]",
            missing.join(", ")
        ),
    )
}

/// The `text` of a `content` string; `Err` says why it is not `"{\"text\":\"…\"}"`.
fn text_of(content: &Value) -> Result<String, String> {
    let Some(s) = content.as_str() else {
        return Err(format!(
            "content must be a JSON-encoded string, got a {}",
            if content.is_object() {
                "JSON object"
            } else {
                "non-string value"
            }
        ));
    };
    let inner: Value =
        serde_json::from_str(s).map_err(|_| "content is not a JSON document".to_owned())?;
    inner
        .get("text")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| "content of a text message must be {\"text\":\"…\"}".to_owned())
}

/// Whether `receive_id` has the shape its `receive_id_type` implies.
fn id_matches(id_type: &str, id: &str) -> bool {
    match id_type {
        "open_id" => id.starts_with("ou_"),
        "union_id" => id.starts_with("on_"),
        "chat_id" => id.starts_with("oc_"),
        "email" => id.contains('@'),
        _ => true,
    }
}

fn send(shared: &Shared, req: &Req) -> Resp {
    const EP: &str = "im send";
    let (user, scope) = match api_caller(shared, req, EP) {
        Ok(found) => found,
        Err(resp) => return *resp,
    };
    let id_type = match req.query_value("receive_id_type") {
        Some(t) if RECEIVE_ID_TYPES.contains(&t) => t,
        other => {
            let what = format!("must be one of {RECEIVE_ID_TYPES:?}, got {other:?}");
            return field_validation(shared, EP, "receive_id_type", &what);
        }
    };
    let missing: Vec<&str> = SEND_SCOPES
        .iter()
        .copied()
        .filter(|s| !scope.split_whitespace().any(|g| g == *s))
        .collect();
    if !missing.is_empty() {
        return missing_privileges(&missing);
    }
    if req.media_type().as_deref() != Some("application/json") {
        let what = format!(
            "Content-Type must be application/json, got {:?}",
            req.header(http::header::CONTENT_TYPE)
        );
        return field_validation(shared, EP, "body", &what);
    }
    let Some(body) = req.body_json().filter(Value::is_object) else {
        return field_validation(shared, EP, "body", "the body is not a JSON object");
    };
    let Some(receive_id) = body
        .get("receive_id")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
    else {
        return field_validation(shared, EP, "receive_id", "required");
    };
    match body.get("msg_type").and_then(Value::as_str) {
        Some("text") => {}
        other => {
            let what = format!("the testkit speaks msg_type \"text\", got {other:?}");
            return field_validation(shared, EP, "msg_type", &what);
        }
    }
    let text = match text_of(body.get("content").unwrap_or(&Value::Null)) {
        Ok(t) => t,
        Err(what) => return invalid_param(shared, &what),
    };
    if !id_matches(id_type, receive_id) {
        return invalid_param(
            shared,
            &format!("receive_id {receive_id:?} is not a {id_type}"),
        );
    }
    let uuid = body
        .get("uuid")
        .and_then(Value::as_str)
        .filter(|u| !u.is_empty());
    if let Some(u) = uuid {
        if u.len() > 50 {
            return field_validation(shared, EP, "uuid", "at most 50 characters");
        }
        let store = shared.store();
        if let Some((at, data)) = store.im_uuids.get(u) {
            if at.elapsed() < DEDUP_WINDOW {
                return ok(data.clone());
            }
        }
    }
    let chat_id = if id_type == "chat_id" {
        if !shared.store().chats.iter().any(|c| c.chat_id == receive_id) {
            return api_error(
                StatusCode::BAD_REQUEST,
                230_002,
                "Bot/User can NOT be out of the chat.",
            );
        }
        receive_id.to_owned()
    } else {
        // The p2p chat between the sender and the receiver.
        format!(
            "oc_{}",
            &hex_of(&format!("{}|{receive_id}", user.sub))[..32]
        )
    };
    let data = message_data(&user, &chat_id, &body);
    let mut store = shared.store();
    store.sent.push(SentMessage {
        id: data["message_id"].as_str().unwrap_or_default().to_owned(),
        to: receive_id.to_owned(),
        text,
        from: Some(user.sub.clone()),
        body: body.clone(),
    });
    if let Some(u) = uuid {
        store
            .im_uuids
            .insert(u.to_owned(), (Instant::now(), data.clone()));
    }
    ok(data)
}

fn hex_of(s: &str) -> String {
    pkce_s256(s).bytes().map(|b| format!("{b:02x}")).collect()
}

fn ok(data: Value) -> Resp {
    json_resp(
        StatusCode::OK,
        &json!({"code": 0, "msg": "success", "data": data}),
    )
}

fn message_data(user: &User, chat_id: &str, body: &Value) -> Value {
    let now = unix_now_ms().to_string();
    json!({
        "message_id": format!("om_{}", random_hex(32)),
        "root_id": "",
        "parent_id": "",
        "msg_type": "text",
        "create_time": now,
        "update_time": now,
        "deleted": false,
        "updated": false,
        "chat_id": chat_id,
        "sender": {
            "id": user.sub,
            "id_type": "open_id",
            "sender_type": "user",
            "tenant_key": user.tenant_key.clone().unwrap_or_default(),
        },
        "body": {"content": body.get("content").cloned().unwrap_or(Value::Null)},
    })
}

fn chat_json(chat: &Chat, user: &User, lark: bool) -> Value {
    let host = if lark {
        "s16-imfile-sg.larksuitecdn.com"
    } else {
        "s1-imfile.feishucdn.com"
    };
    json!({
        "chat_id": chat.chat_id,
        "avatar": format!("https://{host}/static-resource/v1/default-avatar_{}~?image_size=72x72&cut_type=&quality=&format=png&sticker_format=.webp", &chat.chat_id[3..11]),
        "name": chat.name,
        "description": "",
        "owner_id": chat.owner_id,
        "owner_id_type": "open_id",
        "external": false,
        "tenant_key": user.tenant_key.clone().unwrap_or_default(),
        "chat_status": "normal",
    })
}

fn list_chats(shared: &Shared, req: &Req) -> Resp {
    const EP: &str = "im chats";
    let (user, scope) = match api_caller(shared, req, EP) {
        Ok(found) => found,
        Err(resp) => return *resp,
    };
    if !scope
        .split_whitespace()
        .any(|s| CHAT_LIST_SCOPES.contains(&s))
    {
        return missing_privileges(CHAT_LIST_SCOPES);
    }
    if let Some(t) = req.query_value("user_id_type") {
        if !["open_id", "union_id", "user_id"].contains(&t) {
            return field_validation(
                shared,
                EP,
                "user_id_type",
                "must be open_id, union_id or user_id",
            );
        }
    }
    let page_size = match req.query_nonempty("page_size").map(str::parse::<usize>) {
        None => DEFAULT_PAGE_SIZE,
        Some(Ok(n)) if (1..=MAX_PAGE_SIZE).contains(&n) => n,
        Some(_) => return field_validation(shared, EP, "page_size", "must be 1..=100"),
    };
    let offset = match req.query_nonempty("page_token") {
        None => 0,
        Some(t) => match t.strip_prefix("pt_").and_then(|n| n.parse::<usize>().ok()) {
            Some(n) => n,
            None => {
                let what = format!("{t:?} was not returned by a previous call");
                return field_validation(shared, EP, "page_token", &what);
            }
        },
    };
    let store = shared.store();
    let items: Vec<Value> = store
        .chats
        .iter()
        .skip(offset)
        .take(page_size)
        .map(|c| chat_json(c, &user, shared.config.lark))
        .collect();
    let has_more = offset + page_size < store.chats.len();
    let page_token = if has_more {
        format!("pt_{}", offset + page_size)
    } else {
        String::new()
    };
    ok(json!({"items": items, "page_token": page_token, "has_more": has_more}))
}
