//! Fault injection: the token-request pipeline (count → fault → hold → process) and fault responses.

use bytes::Bytes;
use http::StatusCode;
use http_body_util::Full;

use crate::http::{json, response, with_header, Outcome, Req, Resp};
use crate::state::Shared;
use crate::types::Fault;

/// The dialect's answers for faults that stand in for a provider error.
pub(crate) struct Answers {
    /// [`Fault::InvalidGrant`]: the token endpoint's invalid_grant, or the resource
    /// endpoint's invalid-token answer.
    pub rejection: Resp,
    /// [`Fault::TooManyRequests`]: the dialect's 429 for `Retry-After: secs`.
    pub rate_limited: fn(u64) -> Resp,
}

impl Answers {
    /// `rejection` plus the generic `{"error":"rate_limit_exceeded"}` 429.
    pub fn generic(rejection: Resp) -> Self {
        Answers {
            rejection,
            rate_limited: generic_rate_limited,
        }
    }
}

/// Runs one token-endpoint POST: counts it, takes the next queued fault, waits while a
/// [`crate::Hold`] is alive, then applies the fault around `process`.
/// `invalid_grant` is the dialect's error response used by [`Fault::InvalidGrant`].
pub(crate) async fn token_request(
    shared: &Shared,
    req: &Req,
    invalid_grant: Resp,
    process: impl FnOnce() -> Resp,
) -> Outcome {
    token_request_with(shared, req, Answers::generic(invalid_grant), process).await
}

/// [`token_request`] with the dialect's own fault answers.
pub(crate) async fn token_request_with(
    shared: &Shared,
    req: &Req,
    answers: Answers,
    process: impl FnOnce() -> Resp,
) -> Outcome {
    let fault = shared.begin_token_request(req.grant_type());
    shared.wait_released().await;
    shared.wait_refresh_released(req.grant_type()).await;
    apply(fault, answers, process).await
}

/// Runs a resource request (userinfo, top-up) with the next queued API fault, if any.
pub(crate) async fn api_request(
    shared: &Shared,
    unauthorized: Resp,
    process: impl FnOnce() -> Resp,
) -> Outcome {
    api_request_with(shared, Answers::generic(unauthorized), process).await
}

/// [`api_request`] with the dialect's own fault answers.
pub(crate) async fn api_request_with(
    shared: &Shared,
    answers: Answers,
    process: impl FnOnce() -> Resp,
) -> Outcome {
    apply(shared.take_api_fault(), answers, process).await
}

fn generic_rate_limited(retry_after_secs: u64) -> Resp {
    let resp = json(
        StatusCode::TOO_MANY_REQUESTS,
        &serde_json::json!({"error": "rate_limit_exceeded"}),
    );
    with_header(
        resp,
        http::header::RETRY_AFTER,
        &retry_after_secs.to_string(),
    )
}

async fn apply(fault: Option<Fault>, answers: Answers, process: impl FnOnce() -> Resp) -> Outcome {
    let Some(fault) = fault else {
        return Outcome::Respond(process());
    };
    match fault {
        Fault::Status503 => Outcome::Respond(json(
            StatusCode::SERVICE_UNAVAILABLE,
            &serde_json::json!({"error": "temporarily_unavailable"}),
        )),
        Fault::HtmlError(status) => Outcome::Respond(html_error(status)),
        Fault::TooManyRequests { retry_after_secs } => {
            Outcome::Respond((answers.rate_limited)(retry_after_secs))
        }
        Fault::ResetConnection => Outcome::Kill,
        Fault::Delay(delay) => {
            let resp = process();
            tokio::time::sleep(delay).await;
            Outcome::Respond(resp)
        }
        Fault::DropAfterProcessing => {
            let _ = process();
            Outcome::Kill
        }
        Fault::TruncatedJson => Outcome::Respond(truncated(process())),
        Fault::HugeBody(size) => Outcome::Respond(huge_body(size)),
        Fault::InvalidGrant => Outcome::Respond(answers.rejection),
        Fault::Respond {
            status,
            body,
            content_type,
        } => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            Outcome::Respond(response(status, &content_type, body))
        }
    }
}

fn reason(status: StatusCode) -> &'static str {
    status.canonical_reason().unwrap_or("Error")
}

/// An nginx-style error page.
fn html_error(status: u16) -> Resp {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let title = format!("{} {}", status.as_u16(), reason(status));
    let body = format!(
        "<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n<center><h1>{title}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
    );
    response(status, "text/html", body)
}

/// The processed response's body cut in half, served as a complete 200 response.
fn truncated(resp: Resp) -> Resp {
    let (_, body) = resp.into_parts();
    let bytes = full_bytes(body);
    let cut = bytes.slice(..bytes.len() / 2);
    crate::http::token_json_bytes(StatusCode::OK, cut)
}

fn full_bytes(body: Full<Bytes>) -> Bytes {
    use hyper::body::Body as _;
    use std::pin::pin;
    use std::task::{Context, Poll, Waker};
    // `Full` yields its single data frame immediately; no runtime interaction needed.
    let mut body = pin!(body);
    let mut cx = Context::from_waker(Waker::noop());
    match body.as_mut().poll_frame(&mut cx) {
        Poll::Ready(Some(Ok(frame))) => frame.into_data().unwrap_or_default(),
        _ => Bytes::new(),
    }
}

/// `{"padding":"xxxx…"}` of exactly `size` bytes (plain `x`s if `size` is tiny).
fn huge_body(size: usize) -> Resp {
    const PREFIX: &[u8] = b"{\"padding\":\"";
    const SUFFIX: &[u8] = b"\"}";
    let mut body = Vec::with_capacity(size);
    if size >= PREFIX.len() + SUFFIX.len() {
        body.extend_from_slice(PREFIX);
        body.resize(size - SUFFIX.len(), b'x');
        body.extend_from_slice(SUFFIX);
    } else {
        body.resize(size, b'x');
    }
    response(StatusCode::OK, "application/json", body)
}
