//! The vault: secrets in the OS keyring — encoded, namespaced, split only where the platform needs it, one queue, under a timeout, fail closed.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
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

/// Largest piece stored in one keyring entry where values are split, in (ASCII) characters:
/// Windows caps a credential at 2,560 bytes of UTF-16 (1,280 characters).
pub const CHUNK_CHARS: usize = 1000;

/// Whether values are split into [`CHUNK_CHARS`] pieces. Only Windows needs it; elsewhere a
/// value is one item, because every piece is one more keyring call (and the Secret Service
/// answers one call at a time). Reading always understands split values (older installs).
pub const SPLIT_VALUES: bool = cfg!(windows);

/// How many keyring calls Signet lets run at once. On Linux, one: the Secret Service
/// (gnome-keyring) answers one call at a time anyway, and each call of the `keyring` crate
/// negotiates an encrypted session of its own; gnome-keyring aborts when two negotiations race
/// (gnome-keyring issues 195, 196 and 199: "gkd_secret_service_get_pkcs11_session: assertion
/// 'client' failed"), comes back locked, and every account then waits for the person. Seen here
/// under refresh storms with two at once. Elsewhere two, so one call's set-up overlaps another.
pub const KEYRING_CONCURRENCY: usize = if cfg!(target_os = "linux") { 1 } else { 2 };

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
    /// True for a backend that never blocks (in memory): it is called on the asking task, since
    /// a hand-over to a blocking thread would be all its cost. A real keyring blocks on D-Bus or
    /// the OS and is called on a blocking thread, under the vault's timeout.
    fn answers_at_once(&self) -> bool {
        false
    }
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

/// A backend that counts the calls reaching it.
struct Counted {
    inner: Arc<dyn SecretBackend>,
    calls: Arc<AtomicU64>,
}

impl SecretBackend for Counted {
    fn get(&self, key: &str) -> std::result::Result<Option<String>, BackendError> {
        self.calls.fetch_add(1, Ordering::Relaxed);
        self.inner.get(key)
    }
    fn set(&self, key: &str, value: &str) -> std::result::Result<(), BackendError> {
        self.calls.fetch_add(1, Ordering::Relaxed);
        self.inner.set(key, value)
    }
    fn delete(&self, key: &str) -> std::result::Result<(), BackendError> {
        self.calls.fetch_add(1, Ordering::Relaxed);
        self.inner.delete(key)
    }
    fn answers_at_once(&self) -> bool {
        self.inner.answers_at_once()
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
    fn answers_at_once(&self) -> bool {
        true
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
    /// The one queue every keyring call of this process goes through.
    queue: Arc<tokio::sync::Semaphore>,
    /// Calls that reached the backend (gets, sets and deletes), for logs and benchmarks.
    calls: Arc<AtomicU64>,
}

impl Vault {
    pub fn new(backend: Arc<dyn SecretBackend>) -> Self {
        Vault {
            backend,
            timeout: DEFAULT_TIMEOUT,
            health: Arc::new(KeyringHealth::default()),
            queue: Arc::new(tokio::sync::Semaphore::new(KEYRING_CONCURRENCY)),
            calls: Arc::new(AtomicU64::new(0)),
        }
    }

    /// Keyring calls made so far by this process (each get, set and delete is one).
    pub fn calls(&self) -> u64 {
        self.calls.load(Ordering::Relaxed)
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

    /// Runs `f` on a blocking thread once the queue lets it. The time limit starts when the call
    /// leaves the queue: time spent behind Signet's own calls never makes the keyring look hung.
    /// A call given up on frees its place in the queue (its thread may hang on; the health
    /// refuses further calls meanwhile).
    async fn call<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&dyn SecretBackend) -> std::result::Result<T, BackendError> + Send + 'static,
    {
        if let Some(e) = self.health.refuse_while_hung() {
            return Err(e);
        }
        let _turn = self
            .queue
            .acquire()
            .await
            .map_err(|_| Error::internal("the keyring queue is closed"))?;
        if let Some(e) = self.health.refuse_while_hung() {
            return Err(e);
        }
        let backend = Counted {
            inner: self.backend.clone(),
            calls: self.calls.clone(),
        };
        let health = self.health.clone();
        if backend.answers_at_once() {
            let out = f(&backend).map_err(backend_error);
            health.record(out.as_ref().err());
            return out;
        }
        let call = Arc::new(Mutex::new(CallState::default()));
        let shared = call.clone();
        let task = tokio::task::spawn_blocking(move || {
            let out = f(&backend);
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
        let piece = if SPLIT_VALUES {
            CHUNK_CHARS
        } else {
            encoded.len().max(1)
        };
        let chunks: Vec<String> = encoded
            .as_bytes()
            .chunks(piece)
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

    /// Deletes the value under `key`: one call where values are one item; where they are
    /// split, the head is read first to find the pieces.
    pub async fn delete(&self, key: &str) -> Result<()> {
        let key = key.to_owned();
        self.call(move |b| {
            if !SPLIT_VALUES {
                return b.delete(&key);
            }
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
    async fn any_bytes_round_trip_in_one_item_each_call_counted() {
        let (v, m) = vault();
        let value: Vec<u8> = (0..8192u32).map(|i| (i % 256) as u8).collect();
        v.put_bytes("k", &value).await.expect("put");
        assert_eq!(v.get_bytes("k").await.expect("get"), Some(value));
        let expected_items = if SPLIT_VALUES { 11 } else { 1 };
        assert_eq!(m.keys().len(), expected_items);
        for k in m.keys() {
            let stored = m.get(&k).expect("ok").expect("present");
            assert!(!stored.contains('\n'));
        }
        v.delete("k").await.expect("delete");
        assert!(m.keys().is_empty());
        assert_eq!(v.get_bytes("k").await.expect("get"), None);
        if !SPLIT_VALUES {
            // put, get, delete, get: one call each.
            assert_eq!(v.calls(), 4);
        }
    }

    /// A value split by an older install (or on Windows): 8 KiB → 10,923 base64 characters →
    /// 11 items of at most 1,000; it reads back whole, and a piece missing or changed reads as
    /// absent, never as garbage.
    #[tokio::test]
    async fn split_values_read_back_and_a_write_cut_short_reads_as_absent() {
        let (v, m) = vault();
        let value: Vec<u8> = (0..8192u32).map(|i| (i % 256) as u8).collect();
        let encoded = URL_SAFE_NO_PAD.encode(&value);
        let pieces: Vec<&[u8]> = encoded.as_bytes().chunks(CHUNK_CHARS).collect();
        for (i, c) in pieces.iter().enumerate().skip(1) {
            m.set(&format!("k#{i}"), std::str::from_utf8(c).expect("ascii"))
                .expect("set");
        }
        let head = format!(
            "s1:{}:{}:{}",
            pieces.len(),
            checksum(&encoded),
            std::str::from_utf8(pieces[0]).expect("ascii")
        );
        m.set("k", &head).expect("set");
        assert_eq!(m.keys().len(), 11);
        assert_eq!(v.get_bytes("k").await.expect("get"), Some(value));
        m.delete("k#2").expect("drop a piece");
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

    /// A keyring whose every call takes 40 ms, noting how many calls are inside it at once.
    #[derive(Default)]
    struct Slow {
        inside: std::sync::atomic::AtomicUsize,
        most_inside: std::sync::atomic::AtomicUsize,
    }
    impl SecretBackend for Slow {
        fn get(&self, _: &str) -> std::result::Result<Option<String>, BackendError> {
            use std::sync::atomic::Ordering::SeqCst;
            let now = self.inside.fetch_add(1, SeqCst) + 1;
            self.most_inside.fetch_max(now, SeqCst);
            std::thread::sleep(Duration::from_millis(40));
            self.inside.fetch_sub(1, SeqCst);
            Ok(None)
        }
        fn set(&self, k: &str, _: &str) -> std::result::Result<(), BackendError> {
            self.get(k).map(|_| ())
        }
        fn delete(&self, k: &str) -> std::result::Result<(), BackendError> {
            self.get(k).map(|_| ())
        }
    }

    /// Thirty calls at once, each taking 40 ms, under a 400 ms limit: they go through the
    /// queue [`KEYRING_CONCURRENCY`] at a time, so the last one waits 0.6–1.2 s in all — yet
    /// none is declared unanswered, because the limit counts only the call's own time.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn waiting_behind_our_own_calls_never_counts_as_a_hung_keyring() {
        let slow = Arc::new(Slow::default());
        let v = Vault::new(slow.clone()).with_timeout(Duration::from_millis(400));
        let started = std::time::Instant::now();
        let mut calls = tokio::task::JoinSet::new();
        for i in 0..30 {
            let v = v.clone();
            calls.spawn(async move { v.get_bytes(&format!("k{i}")).await });
        }
        while let Some(r) = calls.join_next().await {
            assert_eq!(r.expect("joined").expect("answered in time"), None);
        }
        assert!(
            started.elapsed() > Duration::from_millis(400),
            "the queue made them wait"
        );
        assert_eq!(v.calls(), 30);
        assert_eq!(
            slow.most_inside.load(std::sync::atomic::Ordering::SeqCst),
            KEYRING_CONCURRENCY
        );
        assert_eq!(v.health().status(), crate::views::KeyringStatus::Ok);
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
        use crate::views::KeyringStatus;
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
