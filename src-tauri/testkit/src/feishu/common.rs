//! What Feishu's endpoints share: the OpenAPI error body, its 401 and 429 answers, and the
//! Bearer caller check.

use http::StatusCode;
use serde_json::json;

use crate::http::{json as json_resp, with_header, Req, Resp};
use crate::state::{AccessError, Shared};
use crate::types::User;

/// An OpenAPI answer `{"code","msg"}` (user_info, IM).
pub(super) fn api_error(status: StatusCode, code: u32, msg: &str) -> Resp {
    json_resp(status, &json!({"code": code, "msg": msg}))
}

/// HTTP 429 99991400 with `Retry-After` and `x-ogw-ratelimit-reset`.
pub(super) fn rate_limited(retry_after_secs: u64) -> Resp {
    let resp = api_error(
        StatusCode::TOO_MANY_REQUESTS,
        99_991_400,
        "request trigger frequency limit",
    );
    let secs = retry_after_secs.to_string();
    let resp = with_header(resp, http::header::RETRY_AFTER, &secs);
    with_header(
        resp,
        http::header::HeaderName::from_static("x-ogw-ratelimit-reset"),
        &secs,
    )
}

pub(super) fn invalid_access_token() -> Resp {
    api_error(
        StatusCode::UNAUTHORIZED,
        99_991_668,
        "Invalid access token for authorization. Please make a request with token attached.",
    )
}

/// The user and scope behind the Bearer user_access_token, or Feishu's 401.
pub(super) fn api_caller(
    shared: &Shared,
    req: &Req,
    endpoint: &str,
) -> Result<(User, String), Box<Resp>> {
    let token = req.bearer().map_err(|why| {
        shared.violation(format!("{endpoint}: {why}"));
        Box::new(api_error(
            StatusCode::UNAUTHORIZED,
            99_991_661,
            "Missing access token for authorization. Please make a request with token attached.",
        ))
    })?;
    shared.access(token).map_err(|e| {
        Box::new(match e {
            AccessError::Expired => api_error(
                StatusCode::UNAUTHORIZED,
                99_991_677,
                "Authentication token expired.",
            ),
            AccessError::Unknown | AccessError::NotAccess | AccessError::Revoked => {
                invalid_access_token()
            }
        })
    })
}
