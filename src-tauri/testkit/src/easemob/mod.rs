//! The Easemob (环信) IM REST dialect under `/{org}/{app}`: app and user tokens (seed S3;
//! `ttl` in seconds, or milliseconds on VIP5), user lookup and text messages.

use std::time::Duration;

use http::{Method, StatusCode};
use serde_json::{json, Map, Value};

mod errors;

use crate::faults::{self, Answers};
use crate::http::{json as json_resp, not_found, token_json, wrong_method, Outcome, Req, Resp};
use crate::protocol::{Endpoints, Protocol, Routed};
use crate::rules::Rules;
use crate::state::Shared;
use crate::store::EasemobUser;
use crate::tokens::{random_alnum, random_b64url, random_digits, unix_now_ms};
use crate::types::{MintedTokens, SentMessage, ServerConfig, User};
use errors::{error, illegal_argument, invalid_grant, rate_limited, unauthorized, user_not_found};

/// The `scope` recorded on app (admin) tokens and on user tokens.
const APP: &str = "app";
const USER: &str = "user";
const MAX_RECIPIENTS: usize = 600;
const MAX_BODY_BYTES: usize = 5 * 1024;

const CLIENT_FIELDS: &[&str] = &["grant_type", "client_id", "client_secret", "ttl"];
const PASSWORD_FIELDS: &[&str] = &["grant_type", "username", "password", "ttl"];
const INHERIT_FIELDS: &[&str] = &["grant_type", "username", "autoCreateUser", "ttl"];
const MESSAGE_FIELDS: &[&str] = &[
    "from",
    "to",
    "type",
    "body",
    "sync_device",
    "routetype",
    "ext",
];
const MESSAGE_TYPES: &[&str] = &[
    "txt", "img", "audio", "video", "file", "loc", "cmd", "custom",
];

/// `/{org}/{app}`.
fn app_root(config: &ServerConfig) -> String {
    format!("/{}/{}", config.easemob_org, config.easemob_app)
}

async fn route(shared: &Shared, req: &Req) -> Outcome {
    let cfg = &shared.config;
    let segments: Vec<&str> = req.path.trim_start_matches('/').split('/').collect();
    if segments.len() < 3 {
        return not_found(shared, req);
    }
    if segments[0] != cfg.easemob_org || segments[1] != cfg.easemob_app {
        shared.violation(format!(
            "{} {}: unknown org/app (this app is {})",
            req.method,
            req.path,
            app_root(cfg)
        ));
        return Outcome::Respond(error(
            StatusCode::NOT_FOUND,
            "organization_application_not_found",
            "OrganizationApplicationNotFoundException",
            &format!(
                "Could not find application for {}/{} from URI: {}",
                segments[0], segments[1], req.path
            ),
        ));
    }
    let api = || Answers {
        rejection: unauthorized(),
        rate_limited,
    };
    let post = req.method == Method::POST;
    match &segments[2..] {
        ["token"] if post => {
            let rejection = invalid_grant(if req.grant_type() == Some("client_credentials") {
                "client_id does not match"
            } else {
                "invalid username or password"
            });
            let answers = Answers {
                rejection,
                rate_limited,
            };
            faults::token_request_with(shared, req, answers, || token(shared, req)).await
        }
        ["users", username] if req.method == Method::GET => {
            let username = (*username).to_owned();
            faults::api_request_with(shared, api(), || get_user(shared, req, &username)).await
        }
        ["messages", "users"] if post => {
            faults::api_request_with(shared, api(), || send(shared, req)).await
        }
        ["token"] | ["messages", "users"] => wrong_method(shared, req, "POST"),
        ["users", _] => wrong_method(shared, req, "GET"),
        _ => not_found(shared, req),
    }
}

/// Content-Type JSON (else 415), `Accept: application/json` (else a violation), and a JSON
/// object body (else 400 json_parse).
fn json_request(
    shared: &Shared,
    req: &Req,
    endpoint: &str,
) -> Result<Map<String, Value>, Box<Resp>> {
    if req.media_type().as_deref() != Some("application/json") {
        shared.violation(format!(
            "{endpoint}: Content-Type must be application/json, got {:?}",
            req.header(http::header::CONTENT_TYPE)
        ));
        return Err(Box::new(error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "UnsupportedMediaTypeException",
            "HTTP 415 Unsupported Media Type",
        )));
    }
    if !req.accepts_json() {
        shared.violation(format!(
            "{endpoint}: Accept must be application/json, got {:?}",
            req.header(http::header::ACCEPT)
        ));
    }
    match req.body_json() {
        Some(Value::Object(map)) => Ok(map),
        _ => {
            shared.violation(format!("{endpoint}: the body is not a JSON object"));
            Err(Box::new(error(
                StatusCode::BAD_REQUEST,
                "json_parse",
                "JsonParseException",
                "Unexpected character: the request body is not valid JSON",
            )))
        }
    }
}

fn text<'a>(body: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    body.get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

/// `ttl` as a number or a numeric string (the seed sends `"1024000"`); default
/// `access_ttl_secs` (×1000 on VIP5). Returns (expires_in, lifetime; `None` = permanent).
fn ttl(shared: &Shared, body: &Map<String, Value>) -> Result<(u64, Option<Duration>), String> {
    let ms = shared.config.vip5_milliseconds;
    let value = match body.get("ttl") {
        None | Some(Value::Null) => {
            let secs = shared.config.access_ttl_secs;
            if ms {
                secs.saturating_mul(1000)
            } else {
                secs
            }
        }
        Some(Value::Number(n)) => n
            .as_u64()
            .ok_or_else(|| format!("ttl {n} is not a non-negative integer"))?,
        Some(Value::String(s)) => s
            .trim()
            .parse()
            .map_err(|_| format!("ttl {s:?} is not a non-negative integer"))?,
        Some(other) => return Err(format!("ttl must be a number, got {other}")),
    };
    let lifetime = match (value, ms) {
        (0, _) => None,
        (v, true) => Some(Duration::from_millis(v)),
        (v, false) => Some(Duration::from_secs(v)),
    };
    Ok((value, lifetime))
}

fn user_json(u: &EasemobUser) -> Value {
    json!({
        "uuid": u.uuid,
        "type": "user",
        "created": u.created,
        "modified": u.modified,
        "username": u.username,
        "activated": u.activated,
    })
}

fn as_user(u: &EasemobUser) -> User {
    User::new(&u.username, u.nickname.as_deref().unwrap_or(""), "")
}

fn token(shared: &Shared, req: &Req) -> Resp {
    const EP: &str = "token";
    let body = match json_request(shared, req, EP) {
        Ok(b) => b,
        Err(resp) => return *resp,
    };
    let (fields, grant) = match text(&body, "grant_type") {
        Some(g @ "client_credentials") => (CLIENT_FIELDS, g),
        Some(g @ "password") => (PASSWORD_FIELDS, g),
        Some(g @ "inherit") => (INHERIT_FIELDS, g),
        None => return illegal_argument(shared, EP, "grant_type is required"),
        Some(other) => {
            shared.violation(format!("{EP}: unsupported grant_type {other:?}"));
            return error(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                "UnsupportedGrantTypeException",
                &format!("unsupported grant type: {other}"),
            );
        }
    };
    let extra: Vec<&String> = body
        .keys()
        .filter(|k| !fields.contains(&k.as_str()))
        .collect();
    if !extra.is_empty() {
        shared.violation(format!(
            "{EP}: fields not used by grant_type {grant}: {extra:?}"
        ));
    }
    let (expires_in, lifetime) = match ttl(shared, &body) {
        Ok(t) => t,
        Err(what) => return illegal_argument(shared, EP, &what),
    };
    match grant {
        "client_credentials" => {
            let cfg = &shared.config;
            if text(&body, "client_id") != Some(cfg.client_id.as_str())
                || text(&body, "client_secret") != Some(cfg.client_secret.as_str())
            {
                shared.violation(format!("{EP}: wrong client_id or client_secret"));
                return invalid_grant("client_id does not match");
            }
            let admin = User::new(
                &format!("{}#{}", cfg.easemob_org, cfg.easemob_app),
                "admin",
                "",
            );
            let access_token = shared.insert_access_token(&admin, APP, lifetime);
            let application = shared.store().easemob_application.clone();
            token_json(
                StatusCode::OK,
                &json!({"access_token": access_token, "expires_in": expires_in, "application": application}),
            )
        }
        "password" => {
            let (Some(username), Some(password)) =
                (text(&body, "username"), text(&body, "password"))
            else {
                return illegal_argument(shared, EP, "username and password are required");
            };
            let user = shared.store().easemob_user(username).cloned();
            match user {
                Some(u) if u.password.as_deref() == Some(password) => {
                    user_token(shared, &u, expires_in, lifetime)
                }
                _ => invalid_grant("invalid username or password"),
            }
        }
        _ => inherit(shared, req, &body, expires_in, lifetime),
    }
}

fn user_token(
    shared: &Shared,
    u: &EasemobUser,
    expires_in: u64,
    lifetime: Option<Duration>,
) -> Resp {
    let access_token = shared.insert_access_token(&as_user(u), USER, lifetime);
    token_json(
        StatusCode::OK,
        &json!({"access_token": access_token, "expires_in": expires_in, "user": user_json(u)}),
    )
}

fn inherit(
    shared: &Shared,
    req: &Req,
    body: &Map<String, Value>,
    expires_in: u64,
    lifetime: Option<Duration>,
) -> Resp {
    const EP: &str = "token inherit";
    if let Err(resp) = app_caller(shared, req, EP) {
        return *resp;
    }
    let Some(username) = text(body, "username") else {
        return illegal_argument(shared, EP, "username is required");
    };
    let auto_create = match body.get("autoCreateUser") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(other) => {
            return illegal_argument(
                shared,
                EP,
                &format!("autoCreateUser must be a boolean, got {other}"),
            )
        }
    };
    let existing = shared.store().easemob_user(username).cloned();
    let user = match existing {
        Some(u) => u,
        None if auto_create => {
            let u = EasemobUser::new(username, None, None);
            shared.store().put_easemob_user(u.clone());
            u
        }
        None => return user_not_found(username),
    };
    user_token(shared, &user, expires_in, lifetime)
}

/// Requires `Authorization: Bearer <app token>`; a user token is refused (and recorded).
fn app_caller(shared: &Shared, req: &Req, endpoint: &str) -> Result<(), Box<Resp>> {
    let token = req.bearer().map_err(|why| {
        shared.violation(format!("{endpoint}: {why} (an app token is required)"));
        Box::new(unauthorized())
    })?;
    let (_, scope) = shared.access(token).map_err(|_| Box::new(unauthorized()))?;
    if scope != APP {
        shared.violation(format!(
            "{endpoint}: a user token was used where the app token is required"
        ));
        return Err(Box::new(unauthorized()));
    }
    Ok(())
}

/// The common envelope of Easemob REST answers.
fn envelope(shared: &Shared, req: &Req, action: &str, path: &str) -> Value {
    let cfg = &shared.config;
    json!({
        "action": action,
        "path": path,
        "uri": format!("{}{}", shared.base_url, req.path),
        "timestamp": unix_now_ms(),
        "duration": 0,
        "organization": cfg.easemob_org,
        "application": shared.store().easemob_application.clone(),
        "applicationName": cfg.easemob_app,
    })
}

fn get_user(shared: &Shared, req: &Req, username: &str) -> Resp {
    if let Err(resp) = app_caller(shared, req, "get user") {
        return *resp;
    }
    let Some(user) = shared.store().easemob_user(username).cloned() else {
        return user_not_found(username);
    };
    let mut entity = user_json(&user);
    if let Some(nick) = &user.nickname {
        entity["nickname"] = Value::from(nick.as_str());
    }
    let mut body = envelope(shared, req, "get", "/users");
    body["entities"] = json!([entity]);
    body["count"] = Value::from(1);
    json_resp(StatusCode::OK, &body)
}

fn send(shared: &Shared, req: &Req) -> Resp {
    const EP: &str = "messages/users";
    if let Err(resp) = app_caller(shared, req, EP) {
        return *resp;
    }
    if req.body.len() > MAX_BODY_BYTES {
        return error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "request_entity_too_large",
            "RequestEntityTooLargeException",
            "The request body (message body plus ext) exceeds 5 KB",
        );
    }
    let body = match json_request(shared, req, EP) {
        Ok(b) => b,
        Err(resp) => return *resp,
    };
    let extra: Vec<&String> = body
        .keys()
        .filter(|k| !MESSAGE_FIELDS.contains(&k.as_str()))
        .collect();
    if !extra.is_empty() {
        shared.violation(format!("{EP}: unknown fields {extra:?}"));
    }
    let from = match body.get("from") {
        None | Some(Value::Null) => "admin".to_owned(),
        Some(Value::String(s)) if !s.is_empty() => s.clone(),
        Some(_) => return illegal_argument(shared, EP, "from must be a non-empty string"),
    };
    let Some(to) = body.get("to").and_then(Value::as_array) else {
        return illegal_argument(shared, EP, "to must be an array of usernames");
    };
    let to: Vec<&str> = to
        .iter()
        .filter_map(Value::as_str)
        .filter(|s| !s.is_empty())
        .collect();
    if to.is_empty() {
        return illegal_argument(shared, EP, "to must name at least one user");
    }
    if to.len() > MAX_RECIPIENTS {
        return illegal_argument(shared, EP, "param to exceed limit");
    }
    let msg_type = text(&body, "type").unwrap_or("");
    if !MESSAGE_TYPES.contains(&msg_type) {
        return illegal_argument(shared, EP, &format!("unknown message type {msg_type:?}"));
    }
    let msg = body
        .get("body")
        .and_then(|b| b.get("msg"))
        .and_then(Value::as_str);
    let msg_text = match (msg_type, msg) {
        ("txt", Some(m)) => m.to_owned(),
        ("txt", None) => return illegal_argument(shared, EP, "a txt message needs body.msg"),
        _ => String::new(),
    };
    if body.get("sync_device").is_some_and(|v| !v.is_boolean()) {
        return illegal_argument(shared, EP, "sync_device must be a boolean");
    }
    if let Some(route) = body.get("routetype") {
        if route.as_str() != Some("ROUTE_ONLINE") {
            return illegal_argument(shared, EP, "routetype must be \"ROUTE_ONLINE\"");
        }
    }
    let raw = Value::Object(body.clone());
    let mut data = Map::new();
    {
        let mut store = shared.store();
        for recipient in &to {
            let id = random_digits(19);
            data.insert((*recipient).to_owned(), Value::from(id.as_str()));
            store.sent.push(SentMessage {
                id,
                to: (*recipient).to_owned(),
                text: msg_text.clone(),
                from: Some(from.clone()),
                body: raw.clone(),
            });
        }
    }
    let mut answer = envelope(shared, req, "post", "/messages/users");
    answer["data"] = Value::Object(data);
    json_resp(StatusCode::OK, &answer)
}

/// `mint_tokens` for Easemob: a user token (default lifetime) for username `user.sub`,
/// creating the user (nickname `user.name`) if needed.
fn mint_user_token(shared: &Shared, user: &User) -> String {
    let existing = shared.store().easemob_user(&user.sub).cloned();
    let u = existing.unwrap_or_else(|| {
        let u = EasemobUser::new(&user.sub, None, Some(&user.name));
        shared.store().put_easemob_user(u.clone());
        u
    });
    let lifetime = Duration::from_secs(shared.config.access_ttl_secs);
    shared.insert_access_token(&as_user(&u), USER, Some(lifetime))
}

/// Easemob (环信) IM: REST under `/{org}/{app}`, no browser sign-in.
pub(crate) struct Easemob;

impl Protocol for Easemob {
    fn kind(&self) -> &'static str {
        "easemob"
    }

    /// Easemob has no codes or refresh tokens; the state gets them in its style for its
    /// bookkeeping only.
    fn rules(&self) -> Rules {
        Rules::standard(
            || random_alnum(32).to_ascii_lowercase(),
            |_, _| format!("YWMt{}", random_b64url(96)),
            || format!("YWMt{}", random_b64url(64)),
        )
    }

    /// The seed's example: username `c`, nickname `Cici`.
    fn default_user(&self) -> User {
        User::new("c", "Cici", "")
    }

    fn default_scope(&self) -> &'static str {
        ""
    }

    /// The app's REST root stands for the authorization endpoint; token and users under it.
    fn endpoints(&self, base_url: &str, config: &ServerConfig) -> Endpoints {
        let root = app_root(config);
        Endpoints::at(
            base_url,
            &root,
            &format!("{root}/token"),
            &format!("{root}/users"),
        )
    }

    fn provider_keys(&self, at: &Endpoints, config: &ServerConfig) -> Vec<(&'static str, String)> {
        vec![
            ("base_url", at.base_url.clone()),
            ("org_name", config.easemob_org.clone()),
            ("app_name", config.easemob_app.clone()),
        ]
    }

    fn signs_in_with_browser(&self) -> bool {
        false
    }

    /// A user token for the username `user.sub`; no refresh token.
    fn mint(&self, shared: &Shared, user: &User) -> MintedTokens {
        MintedTokens {
            access_token: mint_user_token(shared, user),
            refresh_token: String::new(),
            scope: String::new(),
        }
    }

    fn how_to_try(&self, at: &Endpoints) -> String {
        format!(
            "In Signet: Add account → Easemob IM, REST host {}, org and app from {}, user c, password 1 (the seed's example).",
            at.base_url, at.authorization
        )
    }

    fn route<'a>(&'a self, shared: &'a Shared, req: &'a Req) -> Routed<'a> {
        Box::pin(route(shared, req))
    }
}
