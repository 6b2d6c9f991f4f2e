//! Account pictures, fetched by Signet and never by the window: size-capped, images only, handed over as `data:` URLs.
//!
//! A picture URL comes from the provider; if the webview loaded it, every redraw of the list
//! would tell that host the person is looking at Signet (a tracking pixel), and the CSP would have
//! to allow any `https:` image. Here each URL is fetched once per process with the engine's
//! client (no redirects), checked to be a PNG, JPEG, GIF or WebP by its first bytes, and kept in
//! memory. The window's CSP allows `img-src 'self' data:` only.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use base64::Engine as _;

use crate::http::Http;

/// Largest picture accepted. Profile pictures are a few KiB to about 100 KiB.
pub const MAX_AVATAR_BYTES: usize = 256 * 1024;
/// Pictures kept in memory (each at most [`MAX_AVATAR_BYTES`], most far smaller).
const CACHE_ENTRIES: usize = 2_000;

/// The pictures fetched so far (and the URLs that gave none, so they are not asked again).
#[derive(Default)]
pub struct Avatars {
    cache: Mutex<HashMap<String, Option<Arc<str>>>>,
}

impl Avatars {
    /// The picture at `url` as a `data:` URL, or `None` when it is not a safe URL, not an
    /// image, too big, or cannot be fetched.
    pub async fn get(&self, http: &Http, url: &str) -> Option<Arc<str>> {
        if let Some(hit) = self.cache.lock().ok().and_then(|c| c.get(url).cloned()) {
            return hit;
        }
        let fetched = fetch(http, url).await.map(Arc::<str>::from);
        if let Ok(mut c) = self.cache.lock() {
            if c.len() >= CACHE_ENTRIES {
                c.clear();
            }
            c.insert(url.to_owned(), fetched.clone());
        }
        fetched
    }
}

async fn fetch(http: &Http, url: &str) -> Option<String> {
    let url = safe_url(url)?;
    let (status, _, body) = match http.send(http.reqwest().get(url.as_str())).await {
        Ok(answer) => answer,
        Err(e) => {
            tracing::debug!(error = %e, "avatar not fetched");
            return None;
        }
    };
    if status != 200 || body.len() > MAX_AVATAR_BYTES {
        return None;
    }
    let mime = image_type(&body)?;
    Some(format!(
        "data:{mime};base64,{}",
        base64::engine::general_purpose::STANDARD.encode(&body)
    ))
}

/// `https`, or plain `http` to a loopback address only (the local test servers). Parsed, not
/// matched by prefix: `http://127.0.0.1.evil.example/` is not a loopback address.
pub fn safe_url(url: &str) -> Option<url::Url> {
    crate::endpoint::check_endpoint(url).ok()
}

/// The image type of `bytes` from its signature, for the four types browsers show safely.
pub fn image_type(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some("image/gif")
    } else if bytes.len() > 12 && bytes.starts_with(b"RIFF") && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_https_or_real_loopback_urls_are_fetched() {
        assert!(safe_url("https://cdn.example/a.png").is_some());
        assert!(safe_url("http://127.0.0.1:8080/a.png").is_some());
        assert!(safe_url("http://127.0.0.1.evil.example/a.png").is_none());
        assert!(safe_url("http://cdn.example/a.png").is_none());
        assert!(safe_url("file:///etc/passwd").is_none());
        assert!(safe_url("javascript:alert(1)").is_none());
    }

    #[test]
    fn only_images_are_accepted_by_their_first_bytes() {
        assert_eq!(image_type(b"\x89PNG\r\n\x1a\n...."), Some("image/png"));
        assert_eq!(image_type(&[0xFF, 0xD8, 0xFF, 0xE0]), Some("image/jpeg"));
        assert_eq!(image_type(b"GIF89a...."), Some("image/gif"));
        assert_eq!(image_type(b"RIFF\0\0\0\0WEBPVP8 "), Some("image/webp"));
        assert_eq!(image_type(b"<svg onload=alert(1)>"), None);
        assert_eq!(image_type(b"<!doctype html>"), None);
    }
}
