//! HTTP wire format: the received request, what a handler answers, and response helpers.

use bytes::Bytes;
use http::header::{HeaderValue, CACHE_CONTROL, CONTENT_TYPE, LOCATION, PRAGMA};
use http::{HeaderMap, Method, Response, StatusCode};
use http_body_util::Full;

use crate::state::Shared;
use crate::types::{find, RecordedRequest};

pub(crate) type Resp = Response<Full<Bytes>>;

/// What a handler wants done with the connection.
pub(crate) enum Outcome {
    Respond(Resp),
    /// Close the connection without writing any response.
    Kill,
}

/// A fully received request.
pub(crate) struct Req {
    pub method: Method,
    pub path: String,
    pub query: Vec<(String, String)>,
    pub headers: HeaderMap,
    pub form: Vec<(String, String)>,
    pub json: Option<serde_json::Value>,
    /// The raw body.
    pub body: Bytes,
}

impl Req {
    pub fn query_value(&self, key: &str) -> Option<&str> {
        find(&self.query, key)
    }

    pub fn form_value(&self, key: &str) -> Option<&str> {
        find(&self.form, key)
    }

    pub fn header(&self, name: http::header::HeaderName) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The media type without parameters, lower-cased.
    pub fn media_type(&self) -> Option<String> {
        self.header(CONTENT_TYPE).map(|ct| {
            ct.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
    }

    pub fn is_form(&self) -> bool {
        self.media_type().as_deref() == Some("application/x-www-form-urlencoded")
    }

    /// `grant_type` from the form, or from a JSON body (for counting only).
    pub fn grant_type(&self) -> Option<&str> {
        self.form_value("grant_type").or_else(|| {
            self.json
                .as_ref()
                .and_then(|j| j.get("grant_type"))
                .and_then(|g| g.as_str())
        })
    }

    /// Form field names outside `allowed`, in order of appearance.
    pub fn unexpected_form_fields(&self, allowed: &[&str]) -> Vec<String> {
        self.form
            .iter()
            .filter(|(k, _)| !allowed.contains(&k.as_str()))
            .map(|(k, _)| k.clone())
            .collect()
    }

    /// A non-empty form value (RFC 6749 §3.1: empty parameters count as omitted).
    pub fn form_nonempty(&self, key: &str) -> Option<&str> {
        self.form_value(key).filter(|v| !v.is_empty())
    }

    /// A non-empty query value.
    pub fn query_nonempty(&self, key: &str) -> Option<&str> {
        self.query_value(key).filter(|v| !v.is_empty())
    }

    /// Keys that appear more than once in `pairs` (RFC 6749 §3.1 forbids repeats).
    pub fn repeated(pairs: &[(String, String)]) -> Vec<String> {
        let mut seen: Vec<&str> = Vec::new();
        let mut repeated = Vec::new();
        for (k, _) in pairs {
            if seen.contains(&k.as_str()) {
                if !repeated.contains(k) {
                    repeated.push(k.clone());
                }
            } else {
                seen.push(k);
            }
        }
        repeated
    }

    /// The token of an `Authorization: Bearer <token>` header (scheme is case-insensitive).
    pub fn bearer(&self) -> Result<&str, &'static str> {
        let Some(auth) = self.header(http::header::AUTHORIZATION) else {
            return Err("no Authorization header");
        };
        match auth.split_once(' ') {
            Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") && !token.is_empty() => {
                Ok(token.trim())
            }
            _ => Err("Authorization header is not `Bearer <token>`"),
        }
    }

    /// The body parsed as JSON regardless of the Content-Type (`None` if it does not parse).
    pub fn body_json(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(&self.body).ok()
    }

    /// Whether the `Accept` header admits `application/json` explicitly.
    pub fn accepts_json(&self) -> bool {
        self.header(http::header::ACCEPT).is_some_and(|a| {
            a.split(',').any(|part| {
                part.split(';')
                    .next()
                    .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
            })
        })
    }

    /// Whether an `Authorization: Basic …` header is present.
    pub fn has_basic_auth(&self) -> bool {
        self.header(http::header::AUTHORIZATION)
            .is_some_and(|a| a.len() >= 6 && a[..6].eq_ignore_ascii_case("basic "))
    }
}

fn pairs(s: &[u8]) -> Vec<(String, String)> {
    url::form_urlencoded::parse(s)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

pub(crate) fn build(parts: http::request::Parts, body: Bytes) -> (Req, RecordedRequest) {
    let query = parts
        .uri
        .query()
        .map(|q| pairs(q.as_bytes()))
        .unwrap_or_default();
    let header_str = |name| {
        parts
            .headers
            .get(name)
            .map(|v: &HeaderValue| String::from_utf8_lossy(v.as_bytes()).into_owned())
    };
    let content_type = header_str(CONTENT_TYPE);
    let media = content_type.as_deref().map(|ct| {
        ct.split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase()
    });
    let form = if media.as_deref() == Some("application/x-www-form-urlencoded") {
        pairs(&body)
    } else {
        Vec::new()
    };
    let json = if media.as_deref().is_some_and(|m| m.contains("json")) {
        serde_json::from_slice(&body).ok()
    } else {
        None
    };
    let recorded = RecordedRequest {
        method: parts.method.to_string(),
        path: parts.uri.path().to_owned(),
        query: query.clone(),
        content_type,
        authorization: header_str(http::header::AUTHORIZATION),
        form: form.clone(),
        json: json.clone(),
        headers: parts
            .headers
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_owned(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body: String::from_utf8_lossy(&body).into_owned(),
    };
    let req = Req {
        method: parts.method,
        path: parts.uri.path().to_owned(),
        query,
        headers: parts.headers,
        form,
        json,
        body,
    };
    (req, recorded)
}

// ---- response helpers ---------------------------------------------------------------

pub(crate) fn response(status: StatusCode, content_type: &str, body: impl Into<Bytes>) -> Resp {
    let mut resp = Response::new(Full::new(body.into()));
    *resp.status_mut() = status;
    if let Ok(ct) = HeaderValue::from_str(content_type) {
        resp.headers_mut().insert(CONTENT_TYPE, ct);
    }
    resp
}

pub(crate) fn json(status: StatusCode, value: &serde_json::Value) -> Resp {
    response(status, "application/json", value.to_string())
}

/// A token-endpoint response: JSON plus `Cache-Control: no-store` (RFC 6749 §5.1).
pub(crate) fn token_json(status: StatusCode, value: &serde_json::Value) -> Resp {
    token_json_bytes(status, Bytes::from(value.to_string()))
}

/// Like [`token_json`] for a pre-serialized (possibly deliberately broken) body.
pub(crate) fn token_json_bytes(status: StatusCode, body: Bytes) -> Resp {
    let mut resp = response(status, "application/json", body);
    resp.headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp.headers_mut()
        .insert(PRAGMA, HeaderValue::from_static("no-cache"));
    resp
}

pub(crate) fn html(status: StatusCode, title: &str, text: &str) -> Resp {
    let body = format!(
        "<!DOCTYPE html><html><head><title>{title}</title></head><body><h1>{title}</h1><p>{text}</p></body></html>"
    );
    response(status, "text/html; charset=utf-8", body)
}

pub(crate) fn redirect(location: &str) -> Resp {
    let mut resp = response(StatusCode::FOUND, "text/html; charset=utf-8", "");
    if let Ok(loc) = HeaderValue::from_str(location) {
        resp.headers_mut().insert(LOCATION, loc);
    }
    resp
}

pub(crate) fn with_header(mut resp: Resp, name: http::header::HeaderName, value: &str) -> Resp {
    if let Ok(v) = HeaderValue::from_str(value) {
        resp.headers_mut().insert(name, v);
    }
    resp
}

/// 404 for a path the dialect does not serve; recorded as a violation.
pub(crate) fn not_found(shared: &Shared, req: &Req) -> Outcome {
    shared.violation(format!(
        "request to unknown endpoint {} {}",
        req.method, req.path
    ));
    Outcome::Respond(json(
        StatusCode::NOT_FOUND,
        &serde_json::json!({"error": "not_found"}),
    ))
}

/// 405 for a known path with the wrong method; recorded as a violation.
pub(crate) fn wrong_method(shared: &Shared, req: &Req, allowed: &str) -> Outcome {
    shared.violation(format!(
        "{} {} (the endpoint expects {allowed})",
        req.method, req.path
    ));
    let resp = json(
        StatusCode::METHOD_NOT_ALLOWED,
        &serde_json::json!({"error": "method_not_allowed"}),
    );
    Outcome::Respond(with_header(resp, http::header::ALLOW, allowed))
}

/// Appends query parameters to a redirect URI (keeping any query it already has).
pub(crate) fn callback_url(redirect_uri: &str, params: &[(&str, &str)]) -> String {
    match url::Url::parse(redirect_uri) {
        Ok(mut url) => {
            {
                let mut q = url.query_pairs_mut();
                for (k, v) in params {
                    q.append_pair(k, v);
                }
            }
            url.to_string()
        }
        Err(_) => redirect_uri.to_owned(),
    }
}

/// Whether `url` is a loopback redirect a desktop client may use: `http://127.0.0.1`,
/// `http://[::1]` or `http://localhost`, any port, no fragment.
pub(crate) fn is_loopback(url: &url::Url) -> bool {
    url.scheme() == "http"
        && matches!(
            url.host_str(),
            Some("127.0.0.1") | Some("[::1]") | Some("localhost")
        )
        && url.fragment().is_none()
}
