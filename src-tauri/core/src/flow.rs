//! Sign-in flows in progress: CSPRNG state, PKCE verifier, nonce, expiry, single use, and callback validation.

use std::sync::Mutex;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use url::Url;

use crate::clock::Millis;
use crate::error::{Error, ErrorCode, Result};
use crate::secret::Secret;

/// How long a sign-in may take from "Add account" to the callback.
pub const FLOW_LIFETIME_MS: Millis = 10 * 60 * 1000;
/// Scheme of deep links; a callback is `signet://oauth/callback/<provider>?…`.
pub const SCHEME: &str = "signet";
/// Callbacks longer than this are refused unread (no real callback comes close).
pub const MAX_CALLBACK_LEN: usize = 8 * 1024;

/// 32 bytes from the OS-seeded CSPRNG, base64url: for `state`, PKCE verifiers and nonces.
pub fn random_token() -> Secret {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    Secret::new(URL_SAFE_NO_PAD.encode(bytes))
}

/// A sign-in waiting for its callback. Lives in memory only.
#[derive(Debug)]
pub struct PendingFlow {
    pub state: Secret,
    pub provider: String,
    pub redirect_uri: String,
    pub pkce_verifier: Option<Secret>,
    pub nonce: Option<Secret>,
    pub expected_issuer: Option<String>,
    /// Re-authentication of this account, if the sign-in was started for one.
    pub reauth_account: Option<i64>,
    pub expires_at: Millis,
}

/// A callback as it arrived, before validation.
#[derive(Debug, Clone)]
pub struct Callback {
    pub provider: String,
    pub state: Option<Secret>,
    pub code: Option<Secret>,
    pub error: Option<String>,
    pub error_description: Option<String>,
    pub iss: Option<String>,
}

impl Callback {
    fn from_query(provider: &str, query: Option<&str>) -> Callback {
        let mut cb = Callback {
            provider: provider.to_owned(),
            state: None,
            code: None,
            error: None,
            error_description: None,
            iss: None,
        };
        for (k, v) in url::form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
            match k.as_ref() {
                "state" => cb.state = Some(Secret::new(v.into_owned())),
                "code" => cb.code = Some(Secret::new(v.into_owned())),
                "error" => cb.error = Some(short(&v)),
                "error_description" => cb.error_description = Some(short(&v)),
                "iss" => cb.iss = Some(v.into_owned()),
                _ => {}
            }
        }
        cb
    }

    /// Parses `signet://oauth/callback/<provider>?code=…&state=…`.
    pub fn from_deep_link(link: &str) -> Result<Callback> {
        if link.len() > MAX_CALLBACK_LEN {
            return Err(bad_callback("it is far too long"));
        }
        let url = Url::parse(link).map_err(|_| bad_callback("it is not a URL"))?;
        if url.scheme() != SCHEME || url.host_str() != Some("oauth") {
            return Err(bad_callback("it is not a signet://oauth/… link"));
        }
        let provider = provider_from_path(url.path())?;
        Ok(Callback::from_query(&provider, url.query()))
    }

    /// Parses the request target of a loopback callback: `/callback/<provider>?…`.
    pub fn from_loopback(path: &str, query: Option<&str>) -> Result<Callback> {
        if path.len() + query.map_or(0, str::len) > MAX_CALLBACK_LEN {
            return Err(bad_callback("it is far too long"));
        }
        let provider = provider_from_path(&format!("/oauth{path}"))?;
        Ok(Callback::from_query(&provider, query))
    }
}

fn short(s: &str) -> String {
    s.chars().take(200).collect()
}

fn provider_from_path(path: &str) -> Result<String> {
    let rest = path
        .strip_prefix("/callback/")
        .or_else(|| path.strip_prefix("/oauth/callback/"))
        .ok_or_else(|| bad_callback("its path is not /callback/<provider>"))?;
    let name = rest.trim_end_matches('/');
    if name.is_empty()
        || name.len() > 64
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(bad_callback("it names no valid provider"));
    }
    Ok(name.to_owned())
}

/// The sentence for an `error` callback. Only the error *code* is taken from the callback, and
/// only when it is one the standards define: the callback may come from anyone, so its
/// `error_description` (free text) is never shown.
fn provider_error(provider: &str, code: &str) -> Error {
    let (class, sentence) = match code {
        "access_denied" => (
            ErrorCode::SignInCancelled,
            format!("Sign-in was cancelled at {provider}. Nothing was changed."),
        ),
        "server_error" | "temporarily_unavailable" => (
            ErrorCode::Temporary,
            format!("{provider} could not complete the sign-in just now ({code}). Nothing was changed. Try again in a few minutes."),
        ),
        "login_required" | "interaction_required" | "consent_required"
        | "account_selection_required" => (
            ErrorCode::SignInCancelled,
            format!("{provider} needs you to finish signing in in the browser ({code}). Nothing was changed. Start the sign-in again."),
        ),
        "invalid_scope" => (
            ErrorCode::SetupProblem,
            format!("{provider} refused the permissions Signet asked for ({code}). Check the provider's scopes in Signet's settings."),
        ),
        "unauthorized_client" => (
            ErrorCode::SetupProblem,
            format!("{provider} does not let this client ID sign in this way ({code}). Check the client ID and the app's settings at {provider}."),
        ),
        "invalid_request" | "unsupported_response_type" | "invalid_request_uri"
        | "invalid_request_object" | "request_not_supported" | "request_uri_not_supported"
        | "registration_not_supported" => (
            ErrorCode::SetupProblem,
            format!("{provider} refused Signet's sign-in request ({code}). Check the provider's settings in Signet (client ID, redirect URI)."),
        ),
        _ => (
            ErrorCode::SetupProblem,
            format!("{provider} ended the sign-in with an error Signet does not know. Nothing was changed. Start it again; if it keeps happening, check the provider's settings."),
        ),
    };
    Error::new(class, sentence)
}

fn bad_callback(why: &str) -> Error {
    Error::new(
        ErrorCode::BadCallback,
        format!("Signet ignored a sign-in link because {why}. Nothing was changed."),
    )
}

/// All sign-ins in progress, plus fingerprints of recently finished ones (to say "already used").
#[derive(Default)]
pub struct Flows {
    pending: Mutex<Vec<PendingFlow>>,
    used: Mutex<Vec<([u8; 32], Millis)>>,
}

fn fingerprint(s: &Secret) -> [u8; 32] {
    Sha256::digest(s.expose().as_bytes()).into()
}

impl Flows {
    pub fn insert(&self, flow: PendingFlow) {
        if let Ok(mut p) = self.pending.lock() {
            p.push(flow);
        }
    }

    pub fn len(&self) -> usize {
        self.pending.lock().map(|p| p.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Drops a sign-in (Cancel). Returns whether one was pending for that provider.
    pub fn cancel(&self, provider: &str) -> bool {
        let Ok(mut p) = self.pending.lock() else {
            return false;
        };
        let before = p.len();
        p.retain(|f| f.provider != provider);
        before != p.len()
    }

    /// Validates a callback and, if it is the answer to a pending sign-in, removes that sign-in
    /// (single use) and returns it with the code. Anything else is refused and changes nothing.
    pub fn take(&self, cb: &Callback, now: Millis) -> Result<(PendingFlow, Secret)> {
        let state = cb
            .state
            .as_ref()
            .ok_or_else(|| bad_callback("it carries no state"))?;
        let mut pending = self
            .pending
            .lock()
            .map_err(|_| Error::internal("sign-in table poisoned"))?;
        pending.retain(|f| f.expires_at + FLOW_LIFETIME_MS > now); // forget long-dead flows
                                                                   // Constant-time comparison against every pending state: no timing oracle on `state`.
        let mut found = None;
        for (i, f) in pending.iter().enumerate() {
            if bool::from(f.state.expose().as_bytes().ct_eq(state.expose().as_bytes())) {
                found = Some(i);
            }
        }
        let Some(i) = found else {
            let fp = fingerprint(state);
            let used = self
                .used
                .lock()
                .map(|u| u.iter().any(|(h, _)| bool::from(h.ct_eq(&fp))))
                .unwrap_or(false);
            return Err(Error::new(
                ErrorCode::UnknownSignIn,
                if used {
                    "This sign-in link was already used. Nothing was changed; your accounts are as they were."
                } else {
                    "This sign-in link does not match any sign-in in progress: it may be old, from another session, or forged. Nothing was changed. To add an account, start again from Signet."
                },
            ));
        };
        let flow = &pending[i];
        if flow.provider != cb.provider {
            return Err(Error::new(
                ErrorCode::ProviderMismatch,
                format!(
                    "A sign-in started for {} came back through {}'s address. Signet refused it to protect you from a mix-up attack. Nothing was changed.",
                    flow.provider, cb.provider
                ),
            ));
        }
        if let Some(expected) = &flow.expected_issuer {
            if cb.iss.as_deref().map(|i| i.trim_end_matches('/')) != Some(expected.as_str()) {
                return Err(Error::new(
                    ErrorCode::IssuerMismatch,
                    format!(
                        "The sign-in answer did not come from {} (its issuer does not match). Signet refused it. Nothing was changed.",
                        flow.provider
                    ),
                ));
            }
        }
        let flow = pending.remove(i);
        drop(pending);
        self.remember_used(&flow.state, now);
        if flow.expires_at <= now {
            return Err(Error::new(
                ErrorCode::SignInExpired,
                format!(
                    "The sign-in to {} took longer than 10 minutes and expired. Nothing was changed. Start it again.",
                    flow.provider
                ),
            ));
        }
        if let Some(err) = &cb.error {
            return Err(provider_error(&flow.provider, err));
        }
        let code = cb
            .code
            .clone()
            .ok_or_else(|| bad_callback("it carries no authorization code"))?;
        Ok((flow, code))
    }

    fn remember_used(&self, state: &Secret, now: Millis) {
        if let Ok(mut u) = self.used.lock() {
            u.retain(|(_, at)| now - at < 2 * FLOW_LIFETIME_MS);
            u.push((fingerprint(state), now));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flow(provider: &str, state: &str, now: Millis) -> PendingFlow {
        PendingFlow {
            state: Secret::new(state),
            provider: provider.into(),
            redirect_uri: format!("signet://oauth/callback/{provider}"),
            pkce_verifier: None,
            nonce: None,
            expected_issuer: None,
            reauth_account: None,
            expires_at: now + FLOW_LIFETIME_MS,
        }
    }

    #[test]
    fn deep_links_parse_and_junk_is_refused() {
        let cb = Callback::from_deep_link("signet://oauth/callback/aihubmix?code=c1&state=s1")
            .expect("parses");
        assert_eq!(cb.provider, "aihubmix");
        assert_eq!(cb.code.as_ref().map(Secret::expose), Some("c1"));
        for bad in [
            "https://oauth/callback/x?code=1",
            "signet://evil/callback/x?code=1",
            "signet://oauth/other/x",
            "signet://oauth/callback/../x",
            "signet://oauth/callback/",
            "not a url",
        ] {
            let e = Callback::from_deep_link(bad).expect_err(bad);
            assert_eq!(e.code, ErrorCode::BadCallback, "{bad}");
        }
        let long = format!(
            "signet://oauth/callback/x?code={}",
            "a".repeat(MAX_CALLBACK_LEN)
        );
        assert_eq!(
            Callback::from_deep_link(&long).expect_err("long").code,
            ErrorCode::BadCallback
        );
    }

    #[test]
    fn state_is_single_use_and_replay_is_named() {
        let flows = Flows::default();
        flows.insert(flow("p", "state-1", 0));
        let cb =
            Callback::from_deep_link("signet://oauth/callback/p?code=c&state=state-1").expect("ok");
        flows.take(&cb, 1).expect("first use");
        let e = flows.take(&cb, 2).expect_err("replay");
        assert_eq!(e.code, ErrorCode::UnknownSignIn);
        assert!(e.message.contains("already used"), "{}", e.message);
    }

    #[test]
    fn forged_mixed_up_and_expired_callbacks_are_refused() {
        let flows = Flows::default();
        flows.insert(flow("p", "good", 0));
        let forged =
            Callback::from_deep_link("signet://oauth/callback/p?code=c&state=forged").expect("ok");
        assert_eq!(
            flows.take(&forged, 1).expect_err("forged").code,
            ErrorCode::UnknownSignIn
        );
        let mixed =
            Callback::from_deep_link("signet://oauth/callback/q?code=c&state=good").expect("ok");
        assert_eq!(
            flows.take(&mixed, 1).expect_err("mix-up").code,
            ErrorCode::ProviderMismatch
        );
        assert_eq!(flows.len(), 1, "refusals change nothing");
        let good =
            Callback::from_deep_link("signet://oauth/callback/p?code=c&state=good").expect("ok");
        assert_eq!(
            flows
                .take(&good, FLOW_LIFETIME_MS + 1)
                .expect_err("expired")
                .code,
            ErrorCode::SignInExpired
        );
    }

    #[test]
    fn cancelled_sign_in_says_so() {
        let flows = Flows::default();
        flows.insert(flow("p", "s", 0));
        let cb = Callback::from_deep_link("signet://oauth/callback/p?error=access_denied&state=s")
            .expect("ok");
        let e = flows.take(&cb, 1).expect_err("denied");
        assert_eq!(e.code, ErrorCode::SignInCancelled);
        assert!(e.message.contains("cancelled"));
    }

    #[test]
    fn issuer_must_match_when_expected() {
        let flows = Flows::default();
        let mut f = flow("p", "s", 0);
        f.expected_issuer = Some("https://idp.example".into());
        flows.insert(f);
        let cb = Callback::from_deep_link(
            "signet://oauth/callback/p?code=c&state=s&iss=https%3A%2F%2Fevil.example",
        )
        .expect("ok");
        assert_eq!(
            flows.take(&cb, 1).expect_err("iss").code,
            ErrorCode::IssuerMismatch
        );
        let cb = Callback::from_deep_link(
            "signet://oauth/callback/p?code=c&state=s&iss=https%3A%2F%2Fidp.example",
        )
        .expect("ok");
        flows.take(&cb, 1).expect("matches");
    }

    #[test]
    fn random_tokens_are_long_and_distinct() {
        let a = random_token();
        let b = random_token();
        assert_eq!(a.expose().len(), 43);
        assert_ne!(a, b);
    }
}
