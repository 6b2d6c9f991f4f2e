//! Which URLs Signet sends a request to: `https`, or plain `http` to the loopback address only.

use url::Url;

/// An endpoint must be `https`, except plain `http` to 127.0.0.1 / ::1 (local test servers).
pub fn check_endpoint(value: &str) -> Result<Url, String> {
    let url = Url::parse(value).map_err(|e| format!("\"{value}\" is not a URL ({e})."))?;
    match url.scheme() {
        "https" => Ok(url),
        "http" if is_loopback(&url) => Ok(url),
        "http" => Err(format!(
            "\"{value}\" uses plain http; only https is allowed (plain http only for 127.0.0.1 or [::1])."
        )),
        other => Err(format!("\"{value}\": the scheme \"{other}\" is not allowed; use https.")),
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_is_refused_except_loopback() {
        assert!(check_endpoint("http://127.0.0.1:8080/x").is_ok());
        assert!(check_endpoint("http://[::1]:8080/x").is_ok());
        assert!(check_endpoint("https://example.com").is_ok());
        let err = check_endpoint("http://example.com").expect_err("refused");
        assert!(err.contains("plain http"), "{err}");
        assert!(check_endpoint("http://localhost.evil.com").is_err());
        assert!(check_endpoint("ftp://example.com").is_err());
    }
}
