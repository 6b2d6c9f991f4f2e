//! The engine: makes the services, hands each its collaborators, and is the one API the shell, the CLI and the tests call.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{broadcast, Notify};
use url::Url;

use crate::accounts::Accounts;
use crate::actions::Actions;
use crate::base::{Base, Events, QuitGate};
use crate::clock::{Clock, Millis, SystemClock};
use crate::config::Config;
use crate::credentials::Credentials;
use crate::error::{Error, Result};
use crate::flow::Callback;
use crate::http::Http;
use crate::keyring_watch::KeyringWatch;
use crate::lock::AccountLocks;
use crate::manage::Setup;
use crate::provider::{DirectSignIn, Provider};
use crate::refresh::{FreshToken, RefreshOutcome, Refresher};
use crate::registry::Registry;
use crate::scheduler::Scheduler;
use crate::secret::Secret;
use crate::signin::{SignInStart, SignIns};
use crate::store::{AccountRow, Store};
use crate::vault::Vault;
use crate::views::{
    AccountDetail, AccountView, ActivityView, ChatSent, ChatTarget, EasemobAccount, EngineEvent,
    NewProvider, ProviderRemoved, ProviderView, Recipient, Revocation, Settings,
};
use crate::watch::DatabaseWatch;

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
    /// The same, in one sentence for a person.
    pub fn sentence(&self) -> String {
        if self.still_waiting == 0 && self.unsaved == 0 {
            return format!(
                "Stopped: every refresh already sent ({}) was answered and stored.",
                self.in_flight
            );
        }
        format!(
            "Stopped before every refresh was settled: {} had no answer yet (those accounts wait before their next try, so no refresh token is sent twice), and {} had new tokens the keyring refused (those accounts will ask to be signed in again).",
            self.still_waiting, self.unsaved
        )
    }

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

/// The services, made once in [`Engine::open`].
pub(crate) struct Inner {
    pub(crate) base: Base,
    pub(crate) refresher: Arc<Refresher>,
    pub(crate) scheduler: Arc<Scheduler>,
    pub(crate) sign_ins: Arc<SignIns>,
    pub(crate) accounts: Arc<Accounts>,
    pub(crate) actions: Arc<Actions>,
    pub(crate) setup: Setup,
    pub(crate) database_watch: Arc<DatabaseWatch>,
    pub(crate) keyring_watch: Arc<KeyringWatch>,
    /// Time limit of one HTTP exchange (quitting waits that long for answers under way).
    http_timeout: Duration,
}

/// The engine. Cheap to clone; all clones share one set of services.
#[derive(Clone)]
pub struct Engine {
    pub(crate) inner: Arc<Inner>,
}

impl Engine {
    /// Opens the database (creating or migrating it) and makes the services. Touches no keyring
    /// entry and no network: those happen on demand.
    pub async fn open(opts: EngineOptions) -> Result<Engine> {
        // An install made before files were private is closed first; a folder of another user,
        // or one others may write to, is refused (private_fs says why).
        crate::private_fs::tighten(&opts.data_dir)?;
        crate::private_fs::create_dir(&opts.data_dir)?;
        crate::private_fs::tighten_file(&opts.config.path);
        crate::private_fs::tighten_config_folder(&opts.config.path);
        let store = Store::open(&opts.data_dir.join("signet.sqlite3")).await?;
        let http = Http::new(opts.http_timeout)?;
        let credentials = Arc::new(Credentials::new(opts.vault, store.clone()));
        let max_concurrent = opts.config.refresh.max_concurrent;
        let base = Base {
            registry: Arc::new(Registry::new(
                opts.config,
                credentials.clone(),
                http.clone(),
            )),
            store,
            credentials,
            clock: opts.clock,
            events: Events::new(256),
            gate: Arc::new(QuitGate::default()),
        };
        // Notified when the schedule may have changed: an account added, the keyring back.
        let wake = Arc::new(Notify::new());
        let locks = Arc::new(AccountLocks::new(opts.data_dir.join("locks")));
        let refresher = Arc::new(Refresher::new(base.clone(), locks.clone(), max_concurrent));
        let actions = Arc::new(Actions::new(base.clone(), refresher.clone()));
        let sign_ins = Arc::new(SignIns::new(base.clone(), wake.clone(), locks.clone()));
        let accounts = Arc::new(Accounts::new(base.clone(), refresher.clone(), locks, http));
        Ok(Engine {
            inner: Arc::new(Inner {
                scheduler: Arc::new(Scheduler::new(
                    base.clone(),
                    refresher.clone(),
                    wake.clone(),
                )),
                accounts: accounts.clone(),
                setup: Setup::new(base.clone(), sign_ins.clone(), accounts),
                database_watch: Arc::new(DatabaseWatch::new(base.clone(), opts.data_dir)),
                keyring_watch: Arc::new(KeyringWatch::new(base.clone(), wake)),
                refresher,
                actions,
                sign_ins,
                base,
                http_timeout: opts.http_timeout,
            }),
        })
    }

    fn base(&self) -> &Base {
        &self.inner.base
    }

    /// The current configuration (a snapshot: providers can be added while running).
    pub fn config(&self) -> Config {
        self.base().registry.config()
    }
    pub fn store(&self) -> &Store {
        &self.base().store
    }
    pub fn vault(&self) -> &Vault {
        self.base().credentials.vault()
    }
    pub fn now(&self) -> Millis {
        self.base().now()
    }
    pub fn subscribe(&self) -> broadcast::Receiver<EngineEvent> {
        self.base().events.subscribe()
    }

    /// Waits until no refresh is between "sent" and "stored" (at most `limit`), so quitting never
    /// drops a rotated refresh token on the floor. Returns whether everything was stored.
    pub async fn drain(&self, limit: Duration) -> bool {
        self.base().gate.drain(limit).await
    }

    /// Quitting: from now on no refresh request is sent (by anyone in this process), and every
    /// one already sent is waited for until its answer is stored or the account is marked in
    /// doubt — at most one HTTP time limit plus two keyring calls, since each ends by itself
    /// within that. The report says truthfully what happened.
    pub async fn quit(&self) -> QuitReport {
        let base = self.base();
        base.gate.close();
        let in_flight = base.gate.in_flight();
        let limit = self.inner.http_timeout + 2 * crate::vault::DEFAULT_TIMEOUT;
        let settled = self.drain(limit).await;
        base.flush_credentials().await;
        QuitReport {
            in_flight,
            still_waiting: if settled { 0 } else { base.gate.in_flight() },
            unsaved: base.credentials.unsaved_count(),
        }
    }

    /// Announces other processes' commits until `stop` (see [`DatabaseWatch::run`]; the app
    /// runs it through [`crate::background::Background`]).
    pub async fn watch_external_changes(
        &self,
        every: Duration,
        stop: tokio::sync::watch::Receiver<bool>,
    ) {
        self.inner.database_watch.run(every, stop).await
    }

    /// Starts the scheduler, the watch on other processes' changes (looking at least every
    /// `watch_every` where files cannot be watched) and the keyring watch on `runtime`, owned by
    /// the handle returned: dropping it stops them.
    pub fn start_background(
        &self,
        runtime: &tokio::runtime::Handle,
        watch_every: Duration,
    ) -> crate::background::Background {
        let services = crate::background::Services {
            scheduler: self.inner.scheduler.clone(),
            database_watch: self.inner.database_watch.clone(),
            keyring_watch: self.inner.keyring_watch.clone(),
        };
        crate::background::Background::start(services, runtime, watch_every)
    }

    /// Whether [`Engine::quit`] was called: nothing new is sent.
    pub fn quitting(&self) -> bool {
        self.base().gate.quitting()
    }

    /// The provider named `name`, built with its client secret (see [`Registry`]).
    pub async fn provider(&self, name: &str) -> Result<Arc<dyn Provider>> {
        self.base().provider(name).await
    }

    /// Stores a provider's client secret in the keyring.
    pub async fn set_client_secret(&self, provider: &str, secret: &Secret) -> Result<()> {
        self.base()
            .registry
            .set_client_secret(provider, secret)
            .await
    }
}

/// The services' API, each call handed to the service that owns it.
impl Engine {
    // Sign-ins (`signin.rs`).
    pub async fn begin_sign_in(&self, provider: &str, reauth: Option<i64>) -> Result<SignInStart> {
        self.inner.sign_ins.begin_sign_in(provider, reauth).await
    }
    pub fn cancel_sign_in(&self, provider: &str) -> bool {
        self.inner.sign_ins.cancel_sign_in(provider)
    }
    pub async fn handle_deep_link(&self, link: &str) -> Result<AccountView> {
        self.inner.sign_ins.handle_deep_link(link).await
    }
    pub async fn complete_sign_in(&self, cb: Callback) -> Result<AccountView> {
        self.inner.sign_ins.complete_sign_in(cb).await
    }
    pub async fn sign_in_direct(
        &self,
        provider: &str,
        form: &DirectSignIn,
        reauth: Option<i64>,
    ) -> Result<AccountView> {
        self.inner
            .sign_ins
            .sign_in_direct(provider, form, reauth)
            .await
    }

    // The refresher (`refresh.rs`) and the scheduler (`scheduler.rs`).
    pub async fn refresh(&self, id: i64, force: bool) -> Result<RefreshOutcome> {
        self.inner.refresher.refresh(id, force).await
    }
    pub async fn access_token(&self, id: i64) -> Result<Secret> {
        self.inner.refresher.access_token(id).await
    }
    pub async fn fresh_token(&self, id: i64, min_ttl: Millis) -> Result<FreshToken> {
        self.inner.refresher.fresh_token(id, min_ttl).await
    }
    pub async fn token_rejected(&self, id: i64, token: &Secret) -> Result<FreshToken> {
        self.inner.refresher.token_rejected(id, token).await
    }
    /// The token agent's policy for an account: `allow`, `ask` or `deny`.
    pub async fn agent_policy(&self, id: i64) -> Result<String> {
        self.base().store.agent_policy(id).await
    }
    pub async fn set_agent_policy(&self, id: i64, policy: crate::agent::Policy) -> Result<()> {
        self.base()
            .store
            .set_agent_policy(id, policy.as_str())
            .await?;
        self.base()
            .emit(EngineEvent::AccountChanged { account_id: id });
        Ok(())
    }
    /// The decision remembered for `program` on account `id`: `allow`, `deny` or none.
    pub async fn agent_grant(&self, id: i64, program: &str) -> Result<Option<String>> {
        self.base().store.grant(id, program).await
    }
    pub async fn set_agent_grant(&self, id: i64, program: &str, allow: bool) -> Result<()> {
        let decision = if allow { "allow" } else { "deny" };
        let now = self.now();
        self.base()
            .store
            .set_grant(id, program, decision, now)
            .await
    }
    pub async fn revoke_agent_grant(&self, id: i64, program: &str) -> Result<bool> {
        self.base().store.revoke_grant(id, program).await
    }
    /// The decisions remembered for programs (of one account, or all), newest first.
    pub async fn agent_grants(&self, id: Option<i64>) -> Result<Vec<crate::store::GrantRow>> {
        self.base().store.grants(id).await
    }

    /// Records in the activity log that a program (`who`: its path and pid) asked the token
    /// agent for `account_id` (`what`: the request), and how it ended. Never a token.
    pub async fn log_agent_request(
        &self,
        account_id: i64,
        who: &str,
        what: &str,
        failed: Option<&Error>,
    ) -> Result<()> {
        let base = self.base();
        let label = base.store.require(account_id).await?.label();
        let (outcome, code) = match failed {
            None => (crate::activity::ActivityOutcome::Ok, None),
            Some(e) => (
                crate::activity::ActivityOutcome::Failed,
                Some(e.code.as_str()),
            ),
        };
        let message = format!("{what} for {who}");
        base.log(
            Some(account_id),
            Some(&label),
            crate::activity::ActivityKind::AgentRequest,
            outcome,
            code,
            Some(&message),
        )
        .await
    }
    pub async fn repair_all(&self) -> Result<usize> {
        self.inner.refresher.repair_all().await
    }
    pub async fn tick(&self) -> Result<usize> {
        self.inner.scheduler.tick().await
    }
    pub async fn refresh_all(&self) -> Result<Vec<(i64, Result<RefreshOutcome>)>> {
        self.inner.scheduler.refresh_all().await
    }

    // Accounts (`accounts.rs`).
    pub async fn list(&self) -> Result<Vec<AccountView>> {
        self.inner.accounts.list().await
    }
    pub async fn account(&self, id: i64) -> Result<AccountView> {
        self.inner.accounts.account(id).await
    }
    pub async fn resolve(&self, key: &str) -> Result<AccountRow> {
        self.inner.accounts.resolve(key).await
    }
    pub async fn remove(&self, id: i64) -> Result<Revocation> {
        self.inner.accounts.remove(id).await
    }
    pub async fn detail(&self, id: i64) -> Result<AccountDetail> {
        self.inner.accounts.detail(id).await
    }
    pub async fn activity(&self, limit: i64) -> Result<Vec<ActivityView>> {
        self.inner.accounts.activity(limit).await
    }
    pub async fn avatar(&self, id: i64) -> Result<Option<String>> {
        self.inner.accounts.avatar(id).await
    }
    pub async fn set_low_balance(&self, id: i64, amount: Option<f64>) -> Result<AccountView> {
        self.inner.accounts.set_low_balance(id, amount).await
    }
    pub async fn topup_url(&self, id: i64) -> Result<Url> {
        self.inner.accounts.topup_url(id).await
    }

    // Actions (`actions.rs`).
    pub async fn sync_profile(&self, id: i64) -> Result<AccountView> {
        self.inner.actions.sync_profile(id).await
    }
    pub async fn chat_list(&self, id: i64) -> Result<Vec<ChatTarget>> {
        self.inner.actions.chat_list(id).await
    }
    pub async fn chat_create_space(&self, id: i64, display_name: &str) -> Result<ChatTarget> {
        self.inner.actions.chat_create_space(id, display_name).await
    }
    pub async fn chat_send(&self, id: i64, to: &Recipient, text: &str) -> Result<ChatSent> {
        self.inner.actions.chat_send(id, to, text).await
    }

    // Providers and preferences (`manage.rs`).
    pub async fn providers(&self) -> Result<Vec<ProviderView>> {
        self.inner.setup.providers().await
    }
    pub async fn add_provider(&self, p: &NewProvider) -> Result<ProviderView> {
        self.inner.setup.add_provider(p).await
    }
    pub async fn update_provider(&self, name: &str, p: &NewProvider) -> Result<ProviderView> {
        self.inner.setup.update_provider(name, p).await
    }
    pub async fn remove_provider(&self, name: &str) -> Result<ProviderRemoved> {
        self.inner.setup.remove_provider(name).await
    }
    pub async fn add_easemob_account(&self, form: &EasemobAccount) -> Result<AccountView> {
        self.inner.setup.add_easemob_account(form).await
    }
    pub async fn settings(&self) -> Result<Settings> {
        self.inner.setup.settings().await
    }
    pub async fn set_settings(&self, s: &Settings) -> Result<Settings> {
        self.inner.setup.set_settings(s).await
    }
}
