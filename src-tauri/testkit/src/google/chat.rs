//! Google Chat API v1 with user auth: `spaces.create`, `spaces.list` and
//! `spaces.messages.create`, with Google's error shape and scope checks.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use http::header::WWW_AUTHENTICATE;
use http::{Method, StatusCode};
use serde_json::{json, Value};

use super::common::SCOPE_PREFIX;
use crate::faults::{self, Answers};
use crate::http::{json as json_resp, not_found, with_header, wrong_method, Outcome, Req, Resp};
use crate::state::Shared;
use crate::store::Space;
use crate::tokens::{random_alnum, rfc3339_now};
use crate::types::{SentMessage, User};

const SPACES_PATH: &str = "/v1/spaces";
const MAX_TEXT_BYTES: usize = 32_000;
const DEFAULT_PAGE_SIZE: usize = 100;
const MAX_PAGE_SIZE: usize = 1000;

/// Whether `path` is a Chat API path.
pub(super) fn serves(path: &str) -> bool {
    path == SPACES_PATH || path.starts_with("/v1/spaces/")
}

pub(super) async fn route(shared: &Shared, req: &Req) -> Outcome {
    let answers = || Answers {
        rejection: unauthenticated(),
        rate_limited,
    };
    if req.path == SPACES_PATH {
        return match req.method {
            Method::POST => {
                faults::api_request_with(shared, answers(), || create_space(shared, req)).await
            }
            Method::GET => {
                faults::api_request_with(shared, answers(), || list_spaces(shared, req)).await
            }
            _ => wrong_method(shared, req, "GET, POST"),
        };
    }
    let space_id = req
        .path
        .strip_prefix("/v1/spaces/")
        .and_then(|rest| rest.strip_suffix("/messages"))
        .filter(|id| !id.is_empty() && !id.contains('/'));
    match space_id {
        Some(id) if req.method == Method::POST => {
            let id = id.to_owned();
            faults::api_request_with(shared, answers(), || send_message(shared, req, &id)).await
        }
        Some(_) => wrong_method(shared, req, "POST"),
        None => not_found(shared, req),
    }
}

/// `{"error":{"code","message","status"}}`.
fn error(status: StatusCode, message: &str, code: &str) -> Resp {
    json_resp(
        status,
        &json!({"error": {"code": status.as_u16(), "message": message, "status": code}}),
    )
}

fn invalid_argument(message: &str) -> Resp {
    error(StatusCode::BAD_REQUEST, message, "INVALID_ARGUMENT")
}

/// Records `what` and answers 400 INVALID_ARGUMENT with `message`.
fn refuse(shared: &Shared, endpoint: &str, message: &str, what: &str) -> Resp {
    shared.violation(format!("chat {endpoint}: {what}"));
    invalid_argument(message)
}

fn unauthenticated() -> Resp {
    let resp = error(
        StatusCode::UNAUTHORIZED,
        "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.",
        "UNAUTHENTICATED",
    );
    with_header(
        resp,
        WWW_AUTHENTICATE,
        "Bearer realm=\"https://accounts.google.com/\", error=\"invalid_token\"",
    )
}

/// 429 RESOURCE_EXHAUSTED (Chat's per-minute quotas), with `Retry-After`.
pub(super) fn rate_limited(retry_after_secs: u64) -> Resp {
    let resp = error(
        StatusCode::TOO_MANY_REQUESTS,
        "Quota exceeded for quota metric 'Write requests' and limit 'Write requests per minute' of service 'chat.googleapis.com'.",
        "RESOURCE_EXHAUSTED",
    );
    with_header(
        resp,
        http::header::RETRY_AFTER,
        &retry_after_secs.to_string(),
    )
}

fn insufficient_scopes(method: &str) -> Resp {
    json_resp(
        StatusCode::FORBIDDEN,
        &json!({"error": {
            "code": 403,
            "message": "Request had insufficient authentication scopes.",
            "status": "PERMISSION_DENIED",
            "details": [{
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": "ACCESS_TOKEN_SCOPE_INSUFFICIENT",
                "domain": "googleapis.com",
                "metadata": {"service": "chat.googleapis.com", "method": method},
            }],
        }}),
    )
}

/// The caller behind the Bearer token, if the token carries one of `accepted` (short names
/// under `https://www.googleapis.com/auth/`).
fn caller(
    shared: &Shared,
    req: &Req,
    endpoint: &str,
    method: &str,
    accepted: &[&str],
) -> Result<User, Box<Resp>> {
    let token = req.bearer().map_err(|why| {
        shared.violation(format!("chat {endpoint}: {why}"));
        Box::new(unauthenticated())
    })?;
    let (user, scope) = shared
        .access(token)
        .map_err(|_| Box::new(unauthenticated()))?;
    let ok = scope.split_whitespace().any(|s| {
        s.strip_prefix(SCOPE_PREFIX)
            .is_some_and(|short| accepted.contains(&short))
    });
    if ok {
        Ok(user)
    } else {
        Err(Box::new(insufficient_scopes(method)))
    }
}

/// The JSON object body; a violation if the Content-Type is not JSON or it does not parse.
fn json_body(shared: &Shared, req: &Req, endpoint: &str) -> Result<Value, Box<Resp>> {
    if req.media_type().as_deref() != Some("application/json") {
        shared.violation(format!(
            "chat {endpoint}: Content-Type must be application/json, got {:?}",
            req.header(http::header::CONTENT_TYPE)
        ));
    }
    match req.body_json() {
        Some(v) if v.is_object() => Ok(v),
        _ => Err(Box::new(refuse(
            shared,
            endpoint,
            "Invalid JSON payload received. Unknown name or unexpected token.",
            "the body is not a JSON object",
        ))),
    }
}

fn space_json(space: &Space) -> Value {
    let id = space.name.trim_start_matches("spaces/");
    json!({
        "name": space.name,
        "type": "ROOM",
        "spaceType": "SPACE",
        "displayName": space.display_name,
        "spaceThreadingState": "THREADED_MESSAGES",
        "spaceHistoryState": "HISTORY_ON",
        "createTime": space.create_time,
        "lastActiveTime": space.create_time,
        "membershipCount": {"joinedDirectHumanUserCount": 1},
        "spaceUri": format!("https://chat.google.com/room/{id}?cls=11"),
    })
}

fn create_space(shared: &Shared, req: &Req) -> Resp {
    const METHOD: &str = "google.chat.v1.ChatService.CreateSpace";
    if let Err(resp) = caller(
        shared,
        req,
        "spaces.create",
        METHOD,
        &["chat.spaces.create", "chat.spaces"],
    ) {
        return *resp;
    }
    let body = match json_body(shared, req, "spaces.create") {
        Ok(b) => b,
        Err(resp) => return *resp,
    };
    let request_id = req.query_nonempty("requestId").map(str::to_owned);
    if let Some(rid) = &request_id {
        let store = shared.store();
        if let Some(space) = store
            .space_requests
            .get(rid)
            .and_then(|i| store.spaces.get(*i))
        {
            return json_resp(StatusCode::OK, &space_json(space));
        }
    }
    match body.get("spaceType").and_then(Value::as_str) {
        Some("SPACE") => {}
        other => {
            let what = format!("spaceType must be \"SPACE\" for a named space, got {other:?}");
            return refuse(shared, "spaces.create", "Invalid space type.", &what);
        }
    }
    let name = body
        .get("displayName")
        .and_then(Value::as_str)
        .map(str::trim)
        .unwrap_or("");
    if name.is_empty() {
        let message = "Display name is required when spaceType is SPACE.";
        return refuse(
            shared,
            "spaces.create",
            message,
            "missing or empty displayName",
        );
    }
    let mut store = shared.store();
    if store.spaces.iter().any(|s| s.display_name == name) {
        return error(
            StatusCode::CONFLICT,
            "The display name is already in use.",
            "ALREADY_EXISTS",
        );
    }
    let space = Space::new(name);
    let resp = json_resp(StatusCode::OK, &space_json(&space));
    store.spaces.push(space);
    if let Some(rid) = request_id {
        let index = store.spaces.len() - 1;
        store.space_requests.insert(rid, index);
    }
    resp
}

/// `spaceType = "SPACE"` clauses joined by `OR` (also `space_type`); `Err` if malformed.
fn parse_filter(filter: &str) -> Result<Vec<String>, ()> {
    filter
        .split(" OR ")
        .map(|clause| {
            let (field, value) = clause.split_once('=').ok_or(())?;
            if !matches!(field.trim(), "spaceType" | "space_type") {
                return Err(());
            }
            let value = value.trim().trim_matches('"');
            match value {
                "SPACE" | "GROUP_CHAT" | "DIRECT_MESSAGE" => Ok(value.to_owned()),
                _ => Err(()),
            }
        })
        .collect()
}

fn page_token(offset: usize) -> String {
    URL_SAFE_NO_PAD.encode(format!("spaces-offset:{offset}"))
}

fn parse_page_token(token: &str) -> Option<usize> {
    let bytes = URL_SAFE_NO_PAD.decode(token).ok()?;
    String::from_utf8(bytes)
        .ok()?
        .strip_prefix("spaces-offset:")?
        .parse()
        .ok()
}

fn list_spaces(shared: &Shared, req: &Req) -> Resp {
    const METHOD: &str = "google.chat.v1.ChatService.ListSpaces";
    if let Err(resp) = caller(
        shared,
        req,
        "spaces.list",
        METHOD,
        &["chat.spaces.readonly", "chat.spaces"],
    ) {
        return *resp;
    }
    let page_size = match req.query_nonempty("pageSize").map(str::parse::<i64>) {
        None | Some(Ok(0)) => DEFAULT_PAGE_SIZE,
        Some(Ok(n)) if n > 0 => usize::try_from(n)
            .unwrap_or(MAX_PAGE_SIZE)
            .min(MAX_PAGE_SIZE),
        Some(_) => {
            let what = "pageSize must be a non-negative integer";
            return refuse(shared, "spaces.list", "Invalid page size.", what);
        }
    };
    let types = match req.query_nonempty("filter").map(parse_filter) {
        None => None,
        Some(Ok(types)) => Some(types),
        Some(Err(())) => {
            let what = format!("unsupported filter {:?}", req.query_value("filter"));
            let message =
                "Invalid filter query. Only spaceType = \"SPACE\" style filters are supported.";
            return refuse(shared, "spaces.list", message, &what);
        }
    };
    let offset = match req.query_nonempty("pageToken") {
        None => 0,
        Some(t) => match parse_page_token(t) {
            Some(offset) => offset,
            None => {
                let what = format!("pageToken {t:?} was not returned by a previous call");
                return refuse(shared, "spaces.list", "Invalid page token.", &what);
            }
        },
    };
    let store = shared.store();
    // Every stored space is a named space (spaceType SPACE).
    let matching: Vec<&Space> = store
        .spaces
        .iter()
        .filter(|_| {
            types
                .as_ref()
                .is_none_or(|t| t.iter().any(|t| t == "SPACE"))
        })
        .collect();
    let page: Vec<Value> = matching
        .iter()
        .skip(offset)
        .take(page_size)
        .map(|s| space_json(s))
        .collect();
    let mut body = json!({});
    if !page.is_empty() {
        body["spaces"] = Value::from(page);
    }
    if offset + page_size < matching.len() {
        body["nextPageToken"] = Value::from(page_token(offset + page_size));
    }
    json_resp(StatusCode::OK, &body)
}

fn send_message(shared: &Shared, req: &Req, space_id: &str) -> Resp {
    const METHOD: &str = "google.chat.v1.ChatService.CreateMessage";
    const EP: &str = "messages.create";
    let user = match caller(
        shared,
        req,
        EP,
        METHOD,
        &["chat.messages.create", "chat.messages"],
    ) {
        Ok(user) => user,
        Err(resp) => return *resp,
    };
    let body = match json_body(shared, req, EP) {
        Ok(b) => b,
        Err(resp) => return *resp,
    };
    let space_name = format!("spaces/{space_id}");
    if !shared.store().spaces.iter().any(|s| s.name == space_name) {
        return error(
            StatusCode::NOT_FOUND,
            "Requested entity was not found.",
            "NOT_FOUND",
        );
    }
    let request_id = req.query_nonempty("requestId").map(str::to_owned);
    if let Some(rid) = &request_id {
        let key = (space_name.clone(), rid.clone());
        if let Some(message) = shared.store().message_requests.get(&key) {
            return json_resp(StatusCode::OK, message);
        }
    }
    if body.get("cardsV2").is_some() || body.get("cards").is_some() {
        let message = "Message cannot have cards for requests carrying human credentials.";
        return refuse(shared, EP, message, "cards sent with user authentication");
    }
    let text = match body.get("text").and_then(Value::as_str) {
        Some(t) if !t.trim().is_empty() => t,
        _ => {
            let message = "Message cannot be empty. Discarding empty message.";
            return refuse(shared, EP, message, "missing or empty text");
        }
    };
    if text.len() > MAX_TEXT_BYTES {
        return invalid_argument("Message text is too long: the maximum is 32,000 bytes.");
    }
    let message_id = match req.query_nonempty("messageId") {
        None => {
            let id = random_alnum(11);
            format!("{id}.{id}")
        }
        Some(id) if valid_client_id(id) => id.to_owned(),
        Some(id) => {
            let what = format!("messageId {id:?} must be client- plus up to 56 [a-z0-9-]");
            return refuse(shared, EP, "Invalid message ID.", &what);
        }
    };
    let reply = req.query_value("messageReplyOption");
    if let Some(r) = reply {
        let known = [
            "MESSAGE_REPLY_OPTION_UNSPECIFIED",
            "REPLY_MESSAGE_FALLBACK_TO_NEW_THREAD",
            "REPLY_MESSAGE_OR_FAIL",
        ];
        if !known.contains(&r) {
            let what = format!("unknown messageReplyOption {r:?}");
            return refuse(shared, EP, "Invalid messageReplyOption.", &what);
        }
    }
    let thread_prefix = format!("{space_name}/threads/");
    let thread = body
        .pointer("/thread/name")
        .and_then(Value::as_str)
        .filter(|t| t.starts_with(&thread_prefix) && reply.is_some_and(|r| r.starts_with("REPLY")))
        .map(str::to_owned)
        .unwrap_or_else(|| format!("{thread_prefix}{}", random_alnum(11)));
    let now = rfc3339_now();
    let name = format!("{space_name}/messages/{message_id}");
    let message = json!({
        "name": name,
        "sender": {"name": format!("users/{}", user.sub), "type": "HUMAN"},
        "createTime": now,
        "lastUpdateTime": now,
        "text": text,
        "formattedText": text,
        "thread": {"name": thread},
        "space": {"name": space_name},
        "argumentText": text,
    });
    let mut store = shared.store();
    store.sent.push(SentMessage {
        id: name,
        to: space_name.clone(),
        text: text.to_owned(),
        from: Some(format!("users/{}", user.sub)),
        body: body.clone(),
    });
    if let Some(rid) = request_id {
        store
            .message_requests
            .insert((space_name, rid), message.clone());
    }
    json_resp(StatusCode::OK, &message)
}

/// A client-assigned message ID: `client-` then lower-case letters, digits and hyphens,
/// 63 characters at most.
fn valid_client_id(id: &str) -> bool {
    id.len() <= 63
        && id.strip_prefix("client-").is_some_and(|rest| {
            !rest.is_empty()
                && rest
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_and_page_tokens() {
        assert_eq!(
            parse_filter("spaceType = \"SPACE\""),
            Ok(vec!["SPACE".into()])
        );
        assert_eq!(
            parse_filter("space_type = \"SPACE\" OR spaceType = \"GROUP_CHAT\"").map(|v| v.len()),
            Ok(2)
        );
        assert!(parse_filter("displayName = \"x\"").is_err());
        assert_eq!(parse_page_token(&page_token(42)), Some(42));
        assert_eq!(parse_page_token("garbage"), None);
        assert!(valid_client_id("client-abc-1"));
        assert!(!valid_client_id("abc"));
    }
}
