//! The vault: secrets in the OS keyring — encoded, split into chunks, namespaced, under a timeout, fail closed.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::clock::Millis;
use crate::error::{Error, ErrorCode, Result};
use crate::keyring_health::{CallState, KeyringHealth};
use crate::secret::Secret;

/// Environment variable that picks a separate keyring namespace (tests, side-by-side installs).
pub const NAMESPACE_ENV: &str = "SIGNET_KEYRING_NAMESPACE";

/// Largest piece stored in one keyring entry, in (ASCII) characters. Windows caps a credential
/// at 2,560 bytes of UTF-16 (1,280 characters); using one size everywhere means the chunking
/// path that Windows needs is the one every platform (and every test) runs.
pub const CHUNK_CHARS: usize = 1000;

/// Default time allowed for one keyring call. A hung Secret Service must not hang Signet.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// What can go wrong talking to a keyring backend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BackendError {
    Unavailable(String),
    Locked,
    /// The keyring service took the call and never answered.
    NoReply,
    Other(String),
}

/// A raw keyring: one string value per key. Calls block; the vault runs them off the async runtime.
pub trait SecretBackend: Send + Sync + 'static {
    fn get(&self, key: &str) -> std::result::Result<Option<String>, BackendError>;
    fn set(&self, key: &str, value: &str) -> std::result::Result<(), BackendError>;
    /// Deleting a missing entry is not an error.
    fn delete(&self, key: &str) -> std::result::Result<(), BackendError>;
}

/// The OS keyring via the `keyring` crate (Secret Service, macOS Keychain, Windows Credential Manager).
pub struct KeyringBackend {
    service: String,
}

impl KeyringBackend {
    /// `namespace` keeps builds apart: release builds use "release", debug builds "debug",
    /// and `$SIGNET_KEYRING_NAMESPACE` overrides both.
    pub fn new(namespace: &str) -> Self {
        KeyringBackend {
            service: format!("app.signet.desktop/{namespace}"),
        }
    }

    /// The namespace for this build: `$SIGNET_KEYRING_NAMESPACE`, else "release" or "debug".
    pub fn default_namespace() -> String {
        std::env::var(NAMESPACE_ENV).unwrap_or_else(|_| {
            if cfg!(debug_assertions) {
                "debug".into()
            } else {
                "release".into()
            }
        })
    }

    fn entry(&self, key: &str) -> std::result::Result<keyring::Entry, BackendError> {
        keyring::Entry::new(&self.service, key).map_err(classify_keyring)
    }
}

fn classify_keyring(e: keyring::Error) -> BackendError {
    let text = e.to_string();
    let lower = text.to_lowercase();
    // The Secret Service reports a locked collection either directly or as the unlock prompt
    // it could not show ("unlock prompt was dismissed"). Whole words only: D-Bus's "no reply"
    // message speaks of a policy that "blocked the reply".
    let words: Vec<&str> = lower.split(|c: char| !c.is_alphanumeric()).collect();
    if words
        .iter()
        .any(|w| matches!(*w, "locked" | "islocked" | "unlock"))
    {
        return BackendError::Locked;
    }
    // libdbus gave up waiting (25 s): a Secret Service that takes calls and never answers.
    if lower.contains("did not receive a reply") || lower.contains("noreply") {
        return BackendError::NoReply;
    }
    match e {
        keyring::Error::NoStorageAccess(_) | keyring::Error::PlatformFailure(_) => {
            BackendError::Unavailable(text)
        }
        _ => BackendError::Other(text),
    }
}

impl SecretBackend for KeyringBackend {
    fn get(&self, key: &str) -> std::result::Result<Option<String>, BackendError> {
        match self.entry(key)?.get_password() {
            Ok(v) => Ok(Some(v)),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(classify_keyring(e)),
        }
    }
    fn set(&self, key: &str, value: &str) -> std::result::Result<(), BackendError> {
        self.entry(key)?
            .set_password(value)
            .map_err(classify_keyring)
    }
    fn delete(&self, key: &str) -> std::result::Result<(), BackendError> {
        match self.entry(key)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(classify_keyring(e)),
        }
    }
}

/// An in-memory keyring for fast unit tests. Never used by the app or the CLI.
#[derive(Default, Clone)]
pub struct MemoryBackend {
    entries: Arc<Mutex<HashMap<String, String>>>,
}

impl MemoryBackend {
    pub fn keys(&self) -> Vec<String> {
        let mut k: Vec<String> = self
            .entries
            .lock()
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default();
        k.sort();
        k
    }
}

impl SecretBackend for MemoryBackend {
    fn get(&self, key: &str) -> std::result::Result<Option<String>, BackendError> {
        let m = self
            .entries
            .lock()
            .map_err(|_| BackendError::Other("poisoned".into()))?;
        Ok(m.get(key).cloned())
    }
    fn set(&self, key: &str, value: &str) -> std::result::Result<(), BackendError> {
        let mut m = self
            .entries
            .lock()
            .map_err(|_| BackendError::Other("poisoned".into()))?;
        m.insert(key.to_owned(), value.to_owned());
        Ok(())
    }
    fn delete(&self, key: &str) -> std::result::Result<(), BackendError> {
        let mut m = self
            .entries
            .lock()
            .map_err(|_| BackendError::Other("poisoned".into()))?;
        m.remove(key);
        Ok(())
    }
}

/// An account's tokens as kept in the keyring.
#[derive(Clone, PartialEq, Eq)]
pub struct Tokens {
    pub access: Secret,
    pub refresh: Option<Secret>,
    pub access_expires_at: Option<Millis>,
    pub refresh_expires_at: Option<Millis>,
    pub scope: Option<String>,
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tokens")
            .field("access", &self.access)
            .field("refresh", &self.refresh.as_ref().map(|_| "[redacted]"))
            .field("access_expires_at", &self.access_expires_at)
            .field("refresh_expires_at", &self.refresh_expires_at)
            .finish()
    }
}

/// The JSON form inside the keyring entry. Private: only the vault sees raw strings.
#[derive(Serialize, Deserialize)]
struct TokenRecord {
    access_token: String,
    #[serde(default)]
    refresh_token: Option<String>,
    #[serde(default)]
    access_expires_at: Option<i64>,
    #[serde(default)]
    refresh_expires_at: Option<i64>,
    #[serde(default)]
    scope: Option<String>,
}

/// Signet's secrets over a [`SecretBackend`].
///
/// Values are base64url-encoded (any bytes survive, no newlines), split into chunks of
/// [`CHUNK_CHARS`], and the head entry — written last — carries the chunk count and a checksum,
/// so a write cut short is detected on read instead of yielding a corrupted token.
#[derive(Clone)]
pub struct Vault {
    backend: Arc<dyn SecretBackend>,
    timeout: Duration,
    health: Arc<KeyringHealth>,
}

impl Vault {
    pub fn new(backend: Arc<dyn SecretBackend>) -> Self {
        Vault {
            backend,
            timeout: DEFAULT_TIMEOUT,
            health: Arc::new(KeyringHealth::default()),
        }
    }

    /// The keyring as last seen, and its changes (the window's keyring banner).
    pub fn health(&self) -> &KeyringHealth {
        &self.health
    }

    /// Reads `key` (or, with none, an entry that never exists) only to see whether the keyring
    /// answers, so a keyring in trouble shows up at start-up rather than at the first refresh.
    /// Reading a real entry is what makes a locked collection say so.
    pub async fn probe(&self, key: Option<String>) -> Result<()> {
        let key = key.unwrap_or_else(|| "probe/never-stored".to_owned());
        self.call(move |b| b.get(&key).map(|_| ())).await
    }

    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The OS keyring in this build's namespace.
    pub fn system() -> Self {
        Vault::new(Arc::new(KeyringBackend::new(
            &KeyringBackend::default_namespace(),
        )))
    }

    async fn call<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&dyn SecretBackend) -> std::result::Result<T, BackendError> + Send + 'static,
    {
        if let Some(e) = self.health.refuse_while_hung() {
            return Err(e);
        }
        let backend = self.backend.clone();
        let health = self.health.clone();
        let call = Arc::new(Mutex::new(CallState::default()));
        let shared = call.clone();
        let task = tokio::task::spawn_blocking(move || {
            let out = f(backend.as_ref());
            health.finished(&shared, out.is_ok());
            out
        });
        let out = match tokio::time::timeout(self.timeout, task).await {
            Err(_) => {
                let e = Error::new(
                    ErrorCode::KeyringTimeout,
                    format!(
                        "Your system keyring did not answer within {} seconds. Nothing was saved. \
                         Check that the keyring service is running and not waiting for a password prompt, then try again.",
                        self.timeout.as_secs()
                    ),
                );
                self.health.abandon(&call, &e);
                return Err(e);
            }
            Ok(Err(join)) => Err(Error::internal(format!("A keyring call failed: {join}"))),
            Ok(Ok(Err(e))) => Err(backend_error(e)),
            Ok(Ok(Ok(v))) => Ok(v),
        };
        self.health.record(out.as_ref().err());
        out
    }

    /// Stores `value` (any bytes) under `key`.
    pub async fn put_bytes(&self, key: &str, value: &[u8]) -> Result<()> {
        let encoded = URL_SAFE_NO_PAD.encode(value);
        let chunks: Vec<String> = encoded
            .as_bytes()
            .chunks(CHUNK_CHARS)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect();
        let chunks = if chunks.is_empty() {
            vec![String::new()]
        } else {
            chunks
        };
        let head = format!("s1:{}:{}:{}", chunks.len(), checksum(&encoded), chunks[0]);
        let key = key.to_owned();
        self.call(move |b| {
            for (i, c) in chunks.iter().enumerate().skip(1) {
                b.set(&format!("{key}#{i}"), c)?;
            }
            b.set(&key, &head)
        })
        .await
    }

    /// Reads the value under `key`; `None` if absent or if a write to it was cut short.
    pub async fn get_bytes(&self, key: &str) -> Result<Option<Vec<u8>>> {
        let key = key.to_owned();
        self.call(move |b| {
            let Some(head) = b.get(&key)? else {
                return Ok(None);
            };
            let mut parts = head.splitn(4, ':');
            let (Some("s1"), Some(n), Some(sum), Some(first)) =
                (parts.next(), parts.next(), parts.next(), parts.next())
            else {
                return Ok(None);
            };
            let n: usize = n.parse().unwrap_or(0);
            let mut encoded = first.to_owned();
            for i in 1..n {
                match b.get(&format!("{key}#{i}"))? {
                    Some(c) => encoded.push_str(&c),
                    None => return Ok(None),
                }
            }
            if checksum(&encoded) != sum {
                return Ok(None);
            }
            Ok(URL_SAFE_NO_PAD.decode(encoded.as_bytes()).ok())
        })
        .await
    }

    pub async fn delete(&self, key: &str) -> Result<()> {
        let key = key.to_owned();
        self.call(move |b| {
            let n = b
                .get(&key)?
                .and_then(|h| h.split(':').nth(1).and_then(|n| n.parse::<usize>().ok()))
                .unwrap_or(1);
            for i in 1..n {
                b.delete(&format!("{key}#{i}"))?;
            }
            b.delete(&key)
        })
        .await
    }

    pub async fn put_secret(&self, key: &str, value: &Secret) -> Result<()> {
        self.put_bytes(key, value.expose().as_bytes()).await
    }

    pub async fn get_secret(&self, key: &str) -> Result<Option<Secret>> {
        Ok(self
            .get_bytes(key)
            .await?
            .and_then(|b| String::from_utf8(b).ok())
            .map(Secret::new))
    }

    pub async fn put_tokens(&self, account: i64, generation: i64, t: &Tokens) -> Result<()> {
        let record = TokenRecord {
            access_token: t.access.expose().to_owned(),
            refresh_token: t.refresh.as_ref().map(|s| s.expose().to_owned()),
            access_expires_at: t.access_expires_at,
            refresh_expires_at: t.refresh_expires_at,
            scope: t.scope.clone(),
        };
        let bytes = serde_json::to_vec(&record)
            .map_err(|e| Error::internal(format!("cannot encode tokens: {e}")))?;
        self.put_bytes(&tokens_key(account, generation), &bytes)
            .await
    }

    pub async fn get_tokens(&self, account: i64, generation: i64) -> Result<Option<Tokens>> {
        let Some(bytes) = self.get_bytes(&tokens_key(account, generation)).await? else {
            return Ok(None);
        };
        let Ok(r) = serde_json::from_slice::<TokenRecord>(&bytes) else {
            return Ok(None);
        };
        Ok(Some(Tokens {
            access: Secret::new(r.access_token),
            refresh: r.refresh_token.map(Secret::new),
            access_expires_at: r.access_expires_at,
            refresh_expires_at: r.refresh_expires_at,
            scope: r.scope,
        }))
    }

    pub async fn delete_tokens(&self, account: i64, generation: i64) -> Result<()> {
        self.delete(&tokens_key(account, generation)).await
    }

    pub async fn put_client_secret(&self, provider: &str, secret: &Secret) -> Result<()> {
        self.put_secret(&client_secret_key(provider), secret).await
    }

    pub async fn get_client_secret(&self, provider: &str) -> Result<Option<Secret>> {
        self.get_secret(&client_secret_key(provider)).await
    }

    pub async fn delete_client_secret(&self, provider: &str) -> Result<()> {
        self.delete(&client_secret_key(provider)).await
    }
}

/// Key of one generation of an account's tokens. A refresh writes generation n+1 before the
/// database points at it, so the previous tokens stay readable until the new ones are safe.
pub fn tokens_key(account: i64, generation: i64) -> String {
    format!("account/{account}/tokens/{generation}")
}

pub fn client_secret_key(provider: &str) -> String {
    format!("provider/{provider}/client_secret")
}

fn checksum(encoded: &str) -> String {
    let d = Sha256::digest(encoded.as_bytes());
    d.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

fn backend_error(e: BackendError) -> Error {
    match e {
        BackendError::Locked => Error::new(
            ErrorCode::KeyringLocked,
            "Your system keyring is locked. Unlock it (for example in Passwords and Keys, or by logging in again), \
             then try again. Nothing was saved anywhere else.",
        ),
        BackendError::NoReply => Error::new(
            ErrorCode::KeyringTimeout,
            "Your system keyring took the request and never answered. Nothing was saved. \
             Check that the keyring service is running and not waiting for a password prompt, then try again.",
        ),
        BackendError::Unavailable(detail) => Error::new(
            ErrorCode::KeyringUnavailable,
            format!(
                "Signet cannot reach your system keyring ({detail}). Signet keeps secrets only there, so nothing was saved. \
                 Install or start a keyring service (GNOME Keyring, KWallet) and try again."
            ),
        ),
        BackendError::Other(detail) => Error::new(
            ErrorCode::KeyringUnavailable,
            format!("The system keyring refused the request ({detail}). Nothing was saved anywhere else."),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dismissed_unlock_prompt_is_a_locked_keyring() {
        let e = keyring::Error::PlatformFailure(
            "Secret Service: unlock prompt was dismissed"
                .to_string()
                .into(),
        );
        assert!(matches!(classify_keyring(e), BackendError::Locked));
        let e = keyring::Error::NoStorageAccess("no bus".to_string().into());
        assert!(matches!(classify_keyring(e), BackendError::Unavailable(_)));
        let e = keyring::Error::PlatformFailure(
            "Did not receive a reply. Possible causes include: the remote application did not send a reply, \
             the message bus security policy blocked the reply, the reply timeout expired, or the network connection was broken."
                .to_string()
                .into(),
        );
        assert!(
            matches!(classify_keyring(e), BackendError::NoReply),
            "'blocked' is not 'locked'"
        );
    }

    fn vault() -> (Vault, MemoryBackend) {
        let m = MemoryBackend::default();
        (Vault::new(Arc::new(m.clone())), m)
    }

    #[tokio::test]
    async fn any_bytes_round_trip_and_large_values_are_chunked() {
        let (v, m) = vault();
        let value: Vec<u8> = (0..8192u32).map(|i| (i % 256) as u8).collect();
        v.put_bytes("k", &value).await.expect("put");
        assert_eq!(v.get_bytes("k").await.expect("get"), Some(value));
        // 8 KiB → 10,923 base64 chars → 11 entries of at most 1,000 chars.
        assert_eq!(m.keys().len(), 11);
        for k in m.keys() {
            let stored = m.get(&k).expect("ok").expect("present");
            assert!(stored.len() <= CHUNK_CHARS + 40, "{k}: {}", stored.len());
            assert!(!stored.contains('\n'));
        }
        v.delete("k").await.expect("delete");
        assert!(m.keys().is_empty());
        assert_eq!(v.get_bytes("k").await.expect("get"), None);
    }

    #[tokio::test]
    async fn a_write_cut_short_reads_as_absent_not_as_garbage() {
        let (v, m) = vault();
        v.put_bytes("k", &[7u8; 3000]).await.expect("put");
        m.delete("k#2").expect("drop a chunk");
        assert_eq!(v.get_bytes("k").await.expect("get"), None);
        m.set("k#2", "AAAA").expect("tamper");
        assert_eq!(v.get_bytes("k").await.expect("get"), None);
    }

    #[tokio::test]
    async fn tokens_debug_is_redacted() {
        let t = Tokens {
            access: Secret::new("at_123456"),
            refresh: Some(Secret::new("rt_abcdef")),
            access_expires_at: Some(1),
            refresh_expires_at: None,
            scope: None,
        };
        let d = format!("{t:?}");
        assert!(!d.contains("at_123456") && !d.contains("rt_abcdef"), "{d}");
        let (v, _) = vault();
        v.put_tokens(1, 0, &t).await.expect("put");
        assert_eq!(v.get_tokens(1, 0).await.expect("get"), Some(t));
    }

    struct Hung;
    impl SecretBackend for Hung {
        fn get(&self, _: &str) -> std::result::Result<Option<String>, BackendError> {
            std::thread::sleep(Duration::from_secs(2));
            Ok(None)
        }
        fn set(&self, _: &str, _: &str) -> std::result::Result<(), BackendError> {
            self.get("").map(|_| ())
        }
        fn delete(&self, _: &str) -> std::result::Result<(), BackendError> {
            Ok(())
        }
    }

    #[tokio::test]
    async fn a_hung_keyring_times_out_with_a_clear_error() {
        let v = Vault::new(Arc::new(Hung)).with_timeout(Duration::from_millis(100));
        let e = v.get_bytes("k").await.expect_err("times out");
        assert_eq!(e.code, ErrorCode::KeyringTimeout);
        assert!(e.message.contains("did not answer"), "{}", e.message);
    }

    /// Counts calls that reach the backend; each one blocks until released.
    #[derive(Default)]
    struct Gate {
        calls: std::sync::atomic::AtomicUsize,
        open: std::sync::Mutex<bool>,
        cond: std::sync::Condvar,
    }
    impl Gate {
        fn release(&self) {
            *self.open.lock().expect("lock") = true;
            self.cond.notify_all();
        }
    }
    impl SecretBackend for Gate {
        fn get(&self, _: &str) -> std::result::Result<Option<String>, BackendError> {
            self.calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let mut open = self.open.lock().expect("lock");
            while !*open {
                open = self.cond.wait(open).expect("wait");
            }
            Ok(None)
        }
        fn set(&self, k: &str, _: &str) -> std::result::Result<(), BackendError> {
            self.get(k).map(|_| ())
        }
        fn delete(&self, k: &str) -> std::result::Result<(), BackendError> {
            self.get(k).map(|_| ())
        }
    }

    #[tokio::test]
    async fn while_a_call_hangs_the_next_ones_are_refused_at_once_and_the_answer_clears_it() {
        use crate::keyring_health::KeyringStatus;
        let gate = Arc::new(Gate::default());
        let v = Vault::new(gate.clone()).with_timeout(Duration::from_millis(100));
        assert_eq!(v.health().status(), KeyringStatus::Unknown);
        let e = v.get_bytes("a").await.expect_err("times out");
        assert_eq!(e.code, ErrorCode::KeyringTimeout);
        assert!(
            matches!(v.health().status(), KeyringStatus::Trouble { error } if error.code == ErrorCode::KeyringTimeout)
        );
        // 100 accounts asking now: no new blocked thread each, an answer at once for each.
        for i in 0..100 {
            let e = v.get_bytes(&format!("k{i}")).await.expect_err("refused");
            assert_eq!(e.code, ErrorCode::KeyringTimeout);
            assert!(e.message.contains("earlier request"), "{}", e.message);
        }
        assert_eq!(gate.calls.load(std::sync::atomic::Ordering::SeqCst), 1);
        assert_eq!(v.health().hanging(), 1);
        // The keyring answers the call it had: the vault is usable again, and says so.
        let mut changes = v.health().subscribe();
        gate.release();
        changes
            .wait_for(|s| *s == KeyringStatus::Ok)
            .await
            .expect("ok again");
        assert_eq!(v.health().hanging(), 0);
        assert_eq!(v.get_bytes("k").await.expect("answers"), None);
    }
}
