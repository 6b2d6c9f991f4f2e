//! The engine: owns the store, vault, providers and sign-ins; adds, lists and removes accounts.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{broadcast, oneshot, watch, Semaphore};

use crate::clock::{Clock, Millis, SystemClock};
use crate::config::Config;
use crate::error::Result;
use crate::flow::Flows;
use crate::http::Http;
use crate::keyring_health::KeyringStatus;
use crate::provider::Provider;
use crate::secret::Secret;
use crate::store::Store;
use crate::vault::Vault;
use crate::views::{AccountView, EngineEvent};

/// Everything the engine needs from outside.
pub struct EngineOptions {
    pub config: Config,
    /// Folder for the database and lock files.
    pub data_dir: PathBuf,
    pub vault: Vault,
    pub clock: Arc<dyn Clock>,
    /// Time limit of one HTTP exchange with a provider.
    pub http_timeout: Duration,
}

impl EngineOptions {
    pub fn new(config: Config, data_dir: PathBuf, vault: Vault) -> Self {
        EngineOptions {
            config,
            data_dir,
            vault,
            clock: Arc::new(SystemClock),
            http_timeout: Duration::from_secs(30),
        }
    }
}

/// How many refreshes of one storm (a scheduler tick, Refresh all) are under way at once,
/// waiting for their locks or their turn included.
const STORM_SLOTS: usize = 64;

/// What quitting did with the refreshes it found under way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuitReport {
    /// Refreshes sent and not yet stored when quitting began.
    pub in_flight: usize,
    /// Of those, how many still had no answer when the wait ended (their accounts stay "in
    /// doubt": nobody re-sends their refresh token before the grace has passed).
    pub still_waiting: usize,
    /// Accounts whose new tokens the keyring refused and that exist only in memory: they are
    /// lost with this process, and those accounts will ask to be signed in again.
    pub unsaved: usize,
}

impl QuitReport {
    /// One truthful log line's worth.
    pub fn log(&self) {
        if self.still_waiting == 0 && self.unsaved == 0 {
            tracing::info!(
                stored = self.in_flight,
                "quit: every refresh under way was answered and stored"
            );
        } else {
            tracing::warn!(
                in_flight = self.in_flight,
                still_waiting = self.still_waiting,
                unsaved = self.unsaved,
                "quit before every refresh was settled: accounts without an answer stay in doubt, tokens the keyring refused are lost"
            );
        }
    }
}

/// Where Signet keeps its database: `$SIGNET_DATA_DIR`, else the platform data dir.
pub fn default_data_dir() -> PathBuf {
    if let Some(p) = std::env::var_os("SIGNET_DATA_DIR") {
        return PathBuf::from(p);
    }
    let base = dirs::data_dir().unwrap_or_else(|| PathBuf::from("."));
    if cfg!(debug_assertions) {
        base.join("signet-debug")
    } else {
        base.join("signet")
    }
}

pub(crate) struct Inner {
    /// The configuration and the providers built from it.
    pub(crate) registry: crate::registry::Registry,
    pub(crate) store: Store,
    /// Tokens and client secrets: the keyring, the generation protocol and their caches.
    pub(crate) credentials: Arc<crate::credentials::Credentials>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) http: Http,
    pub(crate) data_dir: PathBuf,
    pub(crate) flows: Flows,
    pub(crate) waiters: Mutex<HashMap<String, oneshot::Sender<Result<AccountView>>>>,
    pub(crate) account_locks: Mutex<HashMap<i64, Arc<tokio::sync::Mutex<()>>>>,
    pub(crate) permits: Semaphore,
    /// Refreshes of a storm that may wait for their account's locks at once: each holds a lock
    /// file open while it waits, and 1,000 at once would pass a desktop's usual limit of 1,024
    /// open files.
    pub(crate) storm_slots: Arc<Semaphore>,
    pub(crate) rates: crate::rate::RateLimits,
    /// Closes the loopback listener of each provider's sign-in in progress.
    pub(crate) listeners: Mutex<HashMap<String, Arc<tokio::sync::Notify>>>,
    /// Providers whose next sign-in must ask for consent again (no refresh token last time).
    pub(crate) consent_next: Mutex<std::collections::HashSet<String>>,
    pub(crate) events: broadcast::Sender<EngineEvent>,
    pub(crate) wake: tokio::sync::Notify,
    /// Refreshes between "request sent" and "result stored"; quitting waits for this to reach 0.
    pub(crate) in_flight: tokio::sync::watch::Sender<usize>,
    /// Turned on by [`Engine::quit`]; no refresh request is sent afterwards.
    pub(crate) quitting: tokio::sync::watch::Sender<bool>,
    /// Account pictures fetched for the window (never by the webview itself).
    pub(crate) avatars: crate::avatars::Avatars,
}

/// The engine. Cheap to clone; all clones share one state.
#[derive(Clone)]
pub struct Engine {
    pub(crate) inner: Arc<Inner>,
}

impl Engine {
    /// Opens the database (creating or migrating it) and prepares the engine. Touches no
    /// keyring entry and no network: those happen on demand.
    pub async fn open(opts: EngineOptions) -> Result<Engine> {
        // An install made before files were private is closed first; a folder of another user,
        // or one others may write to, is refused (private_fs says why).
        crate::private_fs::tighten(&opts.data_dir)?;
        crate::private_fs::create_dir(&opts.data_dir)?;
        crate::private_fs::tighten_file(&opts.config.path);
        crate::private_fs::tighten_config_folder(&opts.config.path);
        let store = Store::open(&opts.data_dir.join("signet.sqlite3")).await?;
        let http = Http::new(opts.http_timeout)?;
        let credentials = Arc::new(crate::credentials::Credentials::new(
            opts.vault,
            store.clone(),
        ));
        let (events, _) = broadcast::channel(256);
        Ok(Engine {
            inner: Arc::new(Inner {
                permits: Semaphore::new(opts.config.refresh.max_concurrent),
                storm_slots: Arc::new(Semaphore::new(STORM_SLOTS)),
                registry: crate::registry::Registry::new(
                    opts.config,
                    credentials.clone(),
                    http.clone(),
                ),
                credentials,
                store,
                clock: opts.clock.clone(),
                http,
                data_dir: opts.data_dir,
                flows: Flows::default(),
                waiters: Mutex::new(HashMap::new()),
                account_locks: Mutex::new(HashMap::new()),
                rates: crate::rate::RateLimits::new(opts.clock.clone()),
                consent_next: Mutex::new(std::collections::HashSet::new()),
                listeners: Mutex::new(HashMap::new()),
                events,
                wake: tokio::sync::Notify::new(),
                in_flight: tokio::sync::watch::channel(0).0,
                quitting: tokio::sync::watch::channel(false).0,
                avatars: crate::avatars::Avatars::default(),
            }),
        })
    }

    /// The current configuration (a snapshot: providers can be added while running).
    pub fn config(&self) -> Config {
        self.inner.registry.config()
    }
    pub fn store(&self) -> &Store {
        &self.inner.store
    }
    pub fn vault(&self) -> &Vault {
        self.inner.credentials.vault()
    }
    pub fn now(&self) -> Millis {
        self.inner.clock.now_ms()
    }
    pub fn subscribe(&self) -> broadcast::Receiver<EngineEvent> {
        self.inner.events.subscribe()
    }
    pub(crate) fn emit(&self, e: EngineEvent) {
        let _ = self.inner.events.send(e);
    }

    /// Waits until no refresh is between "sent" and "stored" (at most `limit`), so quitting never
    /// drops a rotated refresh token on the floor. Returns whether everything was stored.
    pub async fn drain(&self, limit: Duration) -> bool {
        let mut rx = self.inner.in_flight.subscribe();
        let done = tokio::time::timeout(limit, rx.wait_for(|n| *n == 0)).await;
        matches!(done, Ok(Ok(_)))
    }

    /// Quitting: from now on no refresh request is sent (by anyone in this process), and every
    /// one already sent is waited for until its answer is stored or the account is marked in
    /// doubt — at most one HTTP time limit plus two keyring calls, since each ends by itself
    /// within that. The report says truthfully what happened.
    pub async fn quit(&self) -> QuitReport {
        self.inner.quitting.send_replace(true);
        let in_flight = *self.inner.in_flight.borrow();
        let limit = self.inner.http.timeout() + 2 * crate::vault::DEFAULT_TIMEOUT;
        let settled = self.drain(limit).await;
        self.flush_credentials().await;
        QuitReport {
            in_flight,
            still_waiting: if settled {
                0
            } else {
                *self.inner.in_flight.borrow()
            },
            unsaved: self.inner.credentials.unsaved_count(),
        }
    }

    /// Whether [`Engine::quit`] was called: nothing new is sent.
    pub fn quitting(&self) -> bool {
        *self.inner.quitting.borrow()
    }

    /// The provider named `name`, built with its client secret (see [`crate::registry::Registry`]).
    pub async fn provider(&self, name: &str) -> Result<Arc<dyn Provider>> {
        self.inner.registry.provider(name).await
    }

    /// Stores a provider's client secret in the keyring.
    pub async fn set_client_secret(&self, provider: &str, secret: &Secret) -> Result<()> {
        self.inner
            .registry
            .set_client_secret(provider, secret)
            .await
    }

    /// Probes the keyring at start, then turns its changes into [`EngineEvent::KeyringChanged`]
    /// until `stop`. While it does not answer or is missing, it is asked again every `retry`, so
    /// the window's warning clears, and refreshes resume, as soon as it is back. (A locked one is
    /// not asked again: that would put an unlock prompt on screen every `retry`.)
    pub async fn watch_keyring(&self, retry: Duration, mut stop: watch::Receiver<bool>) {
        let vault = self.inner.credentials.vault();
        let mut changes = vault.health().subscribe();
        // A real entry, if there is one: a locked collection only says so when one is read.
        let probe_key = match self.inner.store.some_account_tokens().await {
            Ok(found) => found.map(|(id, generation)| crate::vault::tokens_key(id, generation)),
            Err(_) => None,
        };
        let _ = vault.probe(probe_key).await;
        let mut shown = KeyringStatus::Unknown;
        loop {
            let now = changes.borrow_and_update().clone();
            if now != shown {
                if matches!(shown, KeyringStatus::Trouble { .. }) && now == KeyringStatus::Ok {
                    tracing::info!("the keyring answers again");
                    self.inner.wake.notify_one();
                } else if let KeyringStatus::Trouble { error } = &now {
                    tracing::warn!(code = error.code.as_str(), "keyring trouble");
                }
                self.emit(EngineEvent::KeyringChanged {
                    status: now.clone(),
                });
                shown = now;
            }
            if *stop.borrow() {
                return;
            }
            let ask_again = matches!(&shown, KeyringStatus::Trouble { error }
                if error.code != crate::ErrorCode::KeyringLocked);
            tokio::select! {
                _ = changes.changed() => {}
                _ = tokio::time::sleep(retry), if ask_again => {
                    let _ = vault.probe(None).await;
                }
                _ = stop.changed() => {}
            }
        }
    }

    pub(crate) async fn log(
        &self,
        account_id: Option<i64>,
        label: Option<&str>,
        kind: &str,
        outcome: &str,
        code: Option<&str>,
        message: Option<&str>,
    ) -> Result<()> {
        self.inner
            .store
            .log(self.now(), account_id, label, kind, outcome, code, message)
            .await
    }
}
