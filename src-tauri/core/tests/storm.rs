//! Refresh storms: every account due at once — on the real Secret Service with its keyring calls counted, and on a controlled clock against the per-provider rate limit.

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use signet_core::batch::Batcher;
use signet_core::store::{ProfileFields, TokenTiming};
use signet_core::vault::{BackendError, KeyringBackend, SecretBackend, Tokens};
use signet_core::views::KeyringStatus;
use signet_core::{
    Clock, Config, Engine, EngineOptions, ManualClock, Secret, Status, SystemClock, Vault,
};
use signet_testkit::{OAuthServer, ServerConfig, TokenState, User};

/// The real keyring, with every call that reaches it counted by key.
#[derive(Clone)]
struct Counting {
    inner: Arc<dyn SecretBackend>,
    calls: Arc<Mutex<HashMap<String, usize>>>,
    reads: Arc<Mutex<HashMap<String, usize>>>,
}

impl Counting {
    fn new(inner: Arc<dyn SecretBackend>) -> Self {
        Counting {
            inner,
            calls: Arc::default(),
            reads: Arc::default(),
        }
    }
    fn reset(&self) {
        self.calls.lock().expect("counts").clear();
        self.reads.lock().expect("counts").clear();
    }
    fn total_reads(&self) -> usize {
        self.reads.lock().expect("counts").values().sum()
    }
    fn count(&self, key: &str) {
        *self
            .calls
            .lock()
            .expect("counts")
            .entry(key.to_owned())
            .or_default() += 1;
    }
    /// Calls on the keys of one account's tokens.
    fn account_calls(&self, id: i64) -> usize {
        let prefix = format!("account/{id}/");
        self.calls
            .lock()
            .expect("counts")
            .iter()
            .filter(|(k, _)| k.starts_with(&prefix))
            .map(|(_, n)| n)
            .sum()
    }
    fn calls_on(&self, key: &str) -> usize {
        self.calls
            .lock()
            .expect("counts")
            .get(key)
            .copied()
            .unwrap_or(0)
    }
    fn total(&self) -> usize {
        self.calls.lock().expect("counts").values().sum()
    }
}

impl SecretBackend for Counting {
    fn get(&self, key: &str) -> Result<Option<String>, BackendError> {
        self.count(key);
        *self
            .reads
            .lock()
            .expect("counts")
            .entry(key.to_owned())
            .or_default() += 1;
        self.inner.get(key)
    }
    fn set(&self, key: &str, value: &str) -> Result<(), BackendError> {
        self.count(key);
        self.inner.set(key, value)
    }
    fn delete(&self, key: &str) -> Result<(), BackendError> {
        self.count(key);
        self.inner.delete(key)
    }
}

struct World {
    dir: tempfile::TempDir,
    server: OAuthServer,
    config: Config,
}

impl World {
    async fn new(per_second: u32) -> World {
        let server = OAuthServer::start(ServerConfig::oidc()).await;
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("config.toml");
        let text = format!(
            "{}\n[refresh]\nper_provider_per_second = {per_second}\n",
            common::config_text(&server, "corp", "deep-link")
        );
        std::fs::write(&path, text).expect("config");
        let config = Config::load(&path).expect("config loads");
        World {
            dir,
            server,
            config,
        }
    }

    async fn engine(&self, vault: Vault, clock: Arc<dyn Clock>) -> Engine {
        let mut opts = EngineOptions::new(self.config.clone(), self.dir.path().join("data"), vault);
        opts.clock = clock;
        Engine::open(opts).await.expect("engine")
    }

    /// `n` accounts signed in at the server (tokens it issued), all due now.
    async fn seed(&self, engine: &Engine, n: usize, now: i64) -> Vec<i64> {
        let mut ids = Vec::new();
        for i in 0..n {
            let user = User::new(
                &format!("storm-{i}"),
                &format!("Storm {i}"),
                &format!("storm{i}@example.com"),
            );
            let minted = self.server.mint_tokens(&user);
            let fields = ProfileFields {
                display_name: user.name.clone(),
                email: Some(user.email.clone()),
                avatar_url: None,
                profile_json: "{}".into(),
            };
            let (id, _) = engine
                .store()
                .upsert_account("corp", "oidc", &user.sub, &fields, None, now)
                .await
                .expect("account row");
            let tokens = Tokens {
                access: Secret::new(minted.access_token),
                refresh: Some(Secret::new(minted.refresh_token)),
                access_expires_at: Some(now + 3_600_000),
                refresh_expires_at: None,
                scope: Some(minted.scope),
            };
            engine
                .vault()
                .put_tokens(id, 0, &tokens)
                .await
                .expect("tokens in the keyring");
            let timing = TokenTiming {
                token_gen: 0,
                access_expires_at: tokens.access_expires_at,
                refresh_expires_at: None,
                access_lifetime_ms: Some(3_600_000),
                next_refresh_at: Some(now - 1),
            };
            engine
                .store()
                .record_tokens(id, &timing, now)
                .await
                .expect("timing");
            ids.push(id);
        }
        ids
    }
}

/// 200 accounts due at once (as after a long sleep), refreshed by a newly started Signet on
/// GNOME Keyring: all fresh with the tokens the provider considers live, no keyring alarm, at
/// most 3 keyring calls per refresh and the client secret read once; a change made by another
/// process during the storm reaches the window's batches, and a listener that fell behind is
/// told to reload everything.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_storm_of_200_on_the_real_secret_service_stays_within_3_keyring_calls_a_refresh() {
    assert!(
        std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some(),
        "run through scripts/with-keyring.sh"
    );
    const N: usize = 200;
    let ns = format!("storm-{}-{}", std::process::id(), common::now_ms());
    let world = World::new(1000).await;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    {
        let seeding = world
            .engine(
                Vault::new(Arc::new(KeyringBackend::new(&ns))),
                clock.clone(),
            )
            .await;
        seeding
            .set_client_secret("corp", &Secret::new(world.server.client_secret()))
            .await
            .expect("client secret");
        world.seed(&seeding, N, clock.now_ms()).await;
        seeding.store().close().await;
    }

    // A new Signet process: nothing cached, every account due.
    let counting = Counting::new(Arc::new(KeyringBackend::new(&ns)));
    let vault = Vault::new(Arc::new(counting.clone()));
    let engine = world.engine(vault.clone(), clock.clone()).await;
    let ids: Vec<i64> = engine
        .store()
        .list()
        .await
        .expect("rows")
        .iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(ids.len(), N);

    // The keyring's status as the window's banner sees it: any "trouble" is an alarm.
    let mut health = vault.health().subscribe();
    let alarms = Arc::new(Mutex::new(Vec::<String>::new()));
    let alarm_log = alarms.clone();
    tokio::spawn(async move {
        while health.changed().await.is_ok() {
            if let KeyringStatus::Trouble { error } = health.borrow_and_update().clone() {
                alarm_log.lock().expect("alarms").push(error.message);
            }
        }
    });
    // The window's batches (with their arrival times), and a listener that never keeps up.
    let batches = Arc::new(Mutex::new(Vec::new()));
    let batch_log = batches.clone();
    let mut batcher = Batcher::new(engine.subscribe());
    tokio::spawn(async move {
        while let Some(b) = batcher.next().await {
            batch_log.lock().expect("batches").push((Instant::now(), b));
        }
    });
    let laggard = engine.subscribe();

    // The app's background work: the scheduler, the watch on other processes, the keyring watch.
    let started = Instant::now();
    let background =
        engine.start_background(&tokio::runtime::Handle::current(), Duration::from_secs(2));

    // Mid-storm, another process removes an account.
    while world.server.refresh_requests() < N / 2 {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the storm stalled"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let removed_id = ids[0];
    let other = world
        .engine(
            Vault::new(Arc::new(KeyringBackend::new(&ns))),
            clock.clone(),
        )
        .await;
    other
        .remove(removed_id)
        .await
        .expect("the other process removes");
    other.store().close().await;
    // From here on, a batch telling the window to reload (or naming the account) shows it gone.
    let removed_at = Instant::now();

    // Every other account fresh.
    let fresh = loop {
        let rows = engine.store().list().await.expect("rows");
        let fresh = rows
            .iter()
            .filter(|r| r.status() == Status::Fresh && r.token_gen == 1)
            .count();
        if fresh == N - 1 {
            break started.elapsed();
        }
        assert!(
            started.elapsed() < Duration::from_secs(180),
            "not all fresh after 180 s: {fresh} of {}",
            N - 1
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    // The removal reaches the window.
    let seen = loop {
        let seen = batches
            .lock()
            .expect("batches")
            .iter()
            .find(|(at, b)| {
                *at >= removed_at && (b.accounts.all || b.accounts.removed.contains(&removed_id))
            })
            .map(|(at, _)| at.duration_since(removed_at));
        if let Some(s) = seen {
            break s;
        }
        assert!(
            removed_at.elapsed() < Duration::from_secs(40),
            "the other process's removal never reached the window"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    background.join().await;

    // The laggard is told to reload, not left in silence.
    let first = Batcher::new(laggard).next().await.expect("a batch");
    assert!(
        first.lost > 0 && first.accounts.all,
        "a listener that fell behind gets a reload: {first:?}"
    );

    assert!(
        alarms.lock().expect("alarms").is_empty(),
        "keyring alarms during the storm: {:?}",
        alarms.lock().expect("alarms")
    );
    let per_refresh: Vec<usize> = ids[1..]
        .iter()
        .map(|id| counting.account_calls(*id))
        .collect();
    let most = per_refresh.iter().copied().max().unwrap_or(0);
    assert!(most <= 3, "a refresh made {most} keyring calls");
    assert!(
        counting.calls_on("provider/corp/client_secret") <= 1,
        "the client secret was read {} times",
        counting.calls_on("provider/corp/client_secret")
    );
    for id in &ids[1..] {
        let token = engine.access_token(*id).await.expect("a token");
        assert_eq!(
            world.server.token_state(token.expose()),
            Some(TokenState::Live),
            "account {id} holds a dead token"
        );
    }
    world.server.assert_no_violations();

    // The same accounts due again in the same process, which holds every current generation:
    // no keyring read at all, one write and one delete a refresh.
    let first_storm_total = counting.total();
    let secret_reads = counting.calls_on("provider/corp/client_secret");
    counting.reset();
    sqlx::query("UPDATE accounts SET next_refresh_at = 0")
        .execute(engine.store().pool())
        .await
        .expect("all due again");
    engine.tick().await.expect("second storm");
    let warm_most = ids[1..]
        .iter()
        .map(|id| counting.account_calls(*id))
        .max()
        .unwrap_or(0);
    assert_eq!(
        counting.total_reads(),
        0,
        "a process holding the current generations reads none"
    );
    assert!(
        warm_most <= 2,
        "a warm refresh made {warm_most} keyring calls"
    );
    let batch_count = batches.lock().expect("batches").len();
    println!(
        "storm: {} accounts due at once on GNOME Keyring, all fresh in {:.1} s; keyring calls {} in all, \
         at most {most} and {:.2} on average per refresh, client secret read {} time(s); \
         0 alarms; {batch_count} window batches; another process's removal reached the window after {:.1} s; \
         the same storm again in the same process: 0 keyring reads, at most {warm_most} calls a refresh",
        N - 1,
        fresh.as_secs_f64(),
        first_storm_total,
        per_refresh.iter().sum::<usize>() as f64 / per_refresh.len() as f64,
        secret_reads,
        seen.as_secs_f64()
    );
}

/// 40 accounts due at once, 5 requests a second allowed to the provider, the engine's clock
/// frozen and moved on by the test a second at a time: the provider never gets more than 5
/// refresh requests in one second, and all 40 are refreshed in the end.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_per_provider_rate_limit_holds_during_a_storm_on_a_controlled_clock() {
    const N: usize = 40;
    const RATE: usize = 5;
    let world = World::new(RATE as u32).await;
    let clock = ManualClock::new(common::now_ms());
    let engine = world
        .engine(
            Vault::new(Arc::new(signet_core::vault::MemoryBackend::default())),
            Arc::new(clock.clone()),
        )
        .await;
    engine
        .set_client_secret("corp", &Secret::new(world.server.client_secret()))
        .await
        .expect("client secret");
    world.seed(&engine, N, clock.now_ms()).await;

    let storm = engine.clone();
    let tick = tokio::spawn(async move { storm.tick().await });
    // Settled: no new request for longer than a waiting refresh sleeps before looking again.
    let settle = || async {
        let mut last = world.server.refresh_requests();
        loop {
            tokio::time::sleep(Duration::from_millis(1300)).await;
            let now = world.server.refresh_requests();
            if now == last {
                return now;
            }
            last = now;
        }
    };
    let mut per_second = vec![settle().await];
    while per_second.iter().sum::<usize>() < N {
        assert!(per_second.len() < 3 * N / RATE, "the storm stalled");
        clock.advance_secs(1);
        let total = settle().await;
        per_second.push(total - per_second.iter().sum::<usize>());
    }
    tick.await.expect("tick").expect("tick ran");
    assert!(
        per_second.iter().all(|n| *n <= RATE),
        "requests in each second of the engine's clock: {per_second:?}"
    );
    assert_eq!(per_second.iter().sum::<usize>(), N);
    let fresh = engine
        .list()
        .await
        .expect("list")
        .iter()
        .filter(|a| a.status == Status::Fresh)
        .count();
    assert_eq!(fresh, N);
    println!("rate limit: {N} due accounts at {RATE}/s: requests per second of the engine's clock {per_second:?}");
}
