//! Easemob's error answers: `{"error","exception","timestamp","duration","error_description"}`
//! at the status its REST API uses, and the canned [`Fault`] of that shape.

use http::StatusCode;
use serde_json::{json, Value};

use crate::http::{json as json_resp, token_json, with_header, Resp};
use crate::state::Shared;
use crate::tokens::unix_now_ms;
use crate::types::Fault;

/// `{"error","exception","timestamp","duration":0,"error_description"}`.
pub(super) fn error_body(error: &str, exception: &str, description: &str) -> Value {
    json!({
        "error": error,
        "exception": exception,
        "timestamp": unix_now_ms(),
        "duration": 0,
        "error_description": description,
    })
}

pub(super) fn error(status: StatusCode, error: &str, exception: &str, description: &str) -> Resp {
    json_resp(status, &error_body(error, exception, description))
}

impl Fault {
    /// A canned Easemob error in its shape, e.g. `Fault::easemob_error(403, "forbidden_op",
    /// "message send reach limit")`, `(429, "resource_limited", …)` or
    /// `(401, "auth_bad_access_token", …)`.
    pub fn easemob_error(status: u16, error: &str, description: &str) -> Fault {
        Fault::Respond {
            status,
            body: error_body(error, "EasemobException", description).to_string(),
            content_type: "application/json".to_owned(),
        }
    }
}

pub(super) fn illegal_argument(shared: &Shared, endpoint: &str, description: &str) -> Resp {
    shared.violation(format!("{endpoint}: {description}"));
    error(
        StatusCode::BAD_REQUEST,
        "illegal_argument",
        "IllegalArgumentException",
        description,
    )
}

pub(super) fn unauthorized() -> Resp {
    error(
        StatusCode::UNAUTHORIZED,
        "unauthorized",
        "UnauthorizedException",
        "Unable to authenticate due to expired access token",
    )
}

pub(super) fn invalid_grant(description: &str) -> Resp {
    token_json(
        StatusCode::BAD_REQUEST,
        &error_body("invalid_grant", "UnauthorizedException", description),
    )
}

pub(super) fn user_not_found(username: &str) -> Resp {
    error(
        StatusCode::NOT_FOUND,
        "service_resource_not_found",
        "ServiceResourceNotFoundException",
        &format!("Service resource not found: user {username:?} does not exist"),
    )
}

/// 429 reach_limit with `Retry-After`.
pub(super) fn rate_limited(retry_after_secs: u64) -> Resp {
    let resp = error(
        StatusCode::TOO_MANY_REQUESTS,
        "reach_limit",
        "ReachLimitException",
        "This request has reached api limit",
    );
    with_header(
        resp,
        http::header::RETRY_AFTER,
        &retry_after_secs.to_string(),
    )
}
