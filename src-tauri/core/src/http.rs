//! Outgoing HTTP: one client with no redirects, timeouts and a body-size cap; failures described for classification.

use std::time::Duration;

use reqwest::header::{HeaderMap, CONTENT_TYPE, RETRY_AFTER};

/// Largest response body Signet reads. Token and profile answers are a few KiB; anything
/// bigger is a misbehaving server, and reading it all would only waste memory.
pub const MAX_BODY: usize = 1024 * 1024;

/// Why an HTTP exchange did not produce a usable answer.
#[derive(Debug, Clone, thiserror::Error)]
pub enum HttpError {
    /// The request never reached the server (DNS, refused, TLS): nothing was processed.
    #[error("could not connect ({0})")]
    Connect(String),
    /// No answer in time: the server may have processed the request.
    #[error("no answer within the time limit")]
    Timeout,
    /// The connection broke after the request was sent: the server may have processed it.
    #[error("the connection was lost before the answer arrived")]
    Dropped,
    /// An error status the caller should not parse as a protocol answer (5xx, 429, 408, or a
    /// non-JSON body).
    #[error("HTTP {status}")]
    Status {
        status: u16,
        retry_after: Option<Duration>,
        content_type: Option<String>,
    },
    /// The answer was bigger than [`MAX_BODY`].
    #[error("the answer was larger than {MAX_BODY} bytes")]
    TooLarge { status: u16 },
}

impl HttpError {
    /// A non-success answer, with its `Retry-After` and content type read from `headers`.
    pub fn from_status(status: u16, headers: &HeaderMap) -> Self {
        HttpError::Status {
            status,
            retry_after: retry_after(headers),
            content_type: headers
                .get(CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
        }
    }

    /// Whether the server may have acted on the request even though no usable answer came back.
    pub fn maybe_processed(&self) -> bool {
        match self {
            HttpError::Connect(_) => false,
            HttpError::Timeout | HttpError::Dropped => true,
            HttpError::Status { .. } => false,
            HttpError::TooLarge { status } => *status < 300,
        }
    }
}

/// The HTTP client every provider uses.
#[derive(Clone, Debug)]
pub struct Http {
    client: reqwest::Client,
    timeout: Duration,
}

impl Http {
    pub fn new(timeout: Duration) -> Result<Http, crate::Error> {
        let client = reqwest::Client::builder()
            // Token and userinfo calls never follow redirects: a redirect could carry the
            // request (and its secrets) to another host.
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .timeout(timeout)
            .user_agent(concat!("Signet/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| crate::Error::internal(format!("cannot start the HTTP client: {e}")))?;
        Ok(Http { client, timeout })
    }

    /// The time limit of one exchange.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    pub fn default_client() -> Result<Http, crate::Error> {
        Http::new(Duration::from_secs(30))
    }

    pub fn reqwest(&self) -> &reqwest::Client {
        &self.client
    }

    /// Sends a request and reads at most [`MAX_BODY`] bytes of the answer.
    pub async fn send(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<(u16, HeaderMap, Vec<u8>), HttpError> {
        let mut response = request.send().await.map_err(map_send_error)?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        if response
            .content_length()
            .is_some_and(|n| n > MAX_BODY as u64)
        {
            return Err(HttpError::TooLarge { status });
        }
        let mut body = Vec::new();
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    if body.len() + chunk.len() > MAX_BODY {
                        return Err(HttpError::TooLarge { status });
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(e) if e.is_timeout() => return Err(HttpError::Timeout),
                Err(_) => return Err(HttpError::Dropped),
            }
        }
        Ok((status, headers, body))
    }

    /// Transport for the `oauth2` crate. Passes through answers `oauth2` can parse — 200 with
    /// JSON, 4xx with a JSON error — and turns everything else into an [`HttpError`] that keeps
    /// the status and `Retry-After`, which `oauth2` would otherwise lose.
    pub async fn oauth_transport(
        &self,
        request: oauth2::HttpRequest,
    ) -> Result<oauth2::HttpResponse, HttpError> {
        let (parts, body) = request.into_parts();
        let url = parts.uri.to_string();
        let builder = self
            .client
            .request(parts.method, url)
            .headers(parts.headers)
            .body(body);
        let (status, headers, body) = self.send(builder).await?;
        let content_type = headers
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let is_json = content_type.as_deref().is_some_and(|c| c.contains("json"))
            || serde_json::from_slice::<serde_json::Value>(&body).is_ok();
        let passes = (status == 200 && is_json)
            || ((400..500).contains(&status) && is_json && status != 408 && status != 429);
        if !passes {
            return Err(HttpError::Status {
                status,
                retry_after: retry_after(&headers),
                content_type,
            });
        }
        let mut response = oauth2::HttpResponse::new(body);
        *response.status_mut() =
            http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::BAD_GATEWAY);
        // oauth2 insists on a JSON content type; some providers send text/plain with JSON in it.
        response.headers_mut().insert(
            CONTENT_TYPE,
            http::HeaderValue::from_static("application/json"),
        );
        Ok(response)
    }
}

fn map_send_error(e: reqwest::Error) -> HttpError {
    if e.is_timeout() {
        HttpError::Timeout
    } else if e.is_connect() {
        HttpError::Connect(short_reason(&e))
    } else {
        HttpError::Dropped
    }
}

fn short_reason(e: &reqwest::Error) -> String {
    // The innermost source is the useful part ("Connection refused"); URLs carry no secrets
    // (tokens travel in bodies and headers, never in token-endpoint URLs).
    let mut cur: &dyn std::error::Error = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    cur.to_string()
}

/// `Retry-After` in seconds (HTTP-date values are ignored: the seconds form is what APIs send).
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    headers
        .get(RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()
        .map(|s| Duration::from_secs(s.min(24 * 3600)))
}

impl<'c> oauth2::AsyncHttpClient<'c> for Http {
    type Error = HttpError;
    type Future = std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<oauth2::HttpResponse, HttpError>> + Send + 'c>,
    >;

    fn call(&'c self, request: oauth2::HttpRequest) -> Self::Future {
        Box::pin(self.oauth_transport(request))
    }
}
