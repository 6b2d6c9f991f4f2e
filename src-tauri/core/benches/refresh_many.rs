//! Benchmark: the engine refreshing 1,000 due accounts vs a bare reqwest loop making the same
//! token requests at the same concurrency, against one local protocol server, in one run. A third
//! loop, the floor, is the bare loop plus the SQLite statements crash safety needs per refresh
//! (read the row under the lock, mark it sent before the request, point at the new tokens and
//! log the line after it), through the engine's own `Store` on a database of its own.
//!
//! Run: `cargo bench -p signet-core --bench refresh_many` (add `-- --accounts N --rounds R
//! --latency-ms L`; 25 rounds by default). The figure reported is the median of the rounds' own
//! engine ÷ bare ratios: a round's loops run back to back on the same machine state, in an order
//! that alternates between rounds. With
//! `--latency-ms`, the server holds every token answer that long (both loops alike), as a real
//! provider across the internet does. `--engine-only 1` skips the other two loops, for
//! profiling the engine alone (`perf record … -- --engine-only 1 --rounds 40`).

use std::sync::Arc;
use std::time::{Duration, Instant};

use signet_core::store::{ProfileFields, TokenTiming};
use signet_core::vault::{MemoryBackend, Tokens};
use signet_core::{Config, Engine, EngineOptions, ManualClock, Secret, Vault};
use signet_testkit::{OAuthServer, ServerConfig, User};

const CONCURRENCY: usize = 8;

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let accounts = arg("--accounts", 1000);
    let rounds = arg("--rounds", 25);
    let latency = Duration::from_millis(arg("--latency-ms", 0) as u64);
    let engine_only = arg("--engine-only", 0) != 0;
    // Rotating, reuse-detecting refresh tokens; no balance to fetch after a refresh.
    let server = OAuthServer::start(ServerConfig::oidc()).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let config_text = format!(
        "{}\n[refresh]\nmax_concurrent = {CONCURRENCY}\nper_provider_per_second = 1000000\n",
        server.provider_toml("corp")
    );
    let config = Config::parse(&config_text, &dir.path().join("config.toml")).expect("config");
    let clock = ManualClock::new(1_900_000_000_000);
    let mut opts = EngineOptions::new(
        config,
        dir.path().join("data"),
        Vault::new(Arc::new(MemoryBackend::default())),
    );
    opts.clock = Arc::new(clock.clone());
    let engine = Engine::open(opts).await.expect("engine");
    engine
        .set_client_secret("corp", &Secret::new(server.client_secret()))
        .await
        .expect("secret");

    // Seed the accounts with tokens minted by the server (no browser needed).
    let store = engine.store();
    let mut ids = Vec::new();
    for i in 0..accounts {
        let user = User::new(
            &format!("{}", 100_000 + i),
            &format!("user{i}"),
            &format!("user{i}@example.com"),
        );
        let minted = server.mint_tokens(&user);
        let fields = ProfileFields {
            display_name: user.name.clone(),
            email: Some(user.email.clone()),
            avatar_url: None,
            profile_json: "{}".into(),
        };
        let (id, _) = store
            .upsert_account("corp", "oidc", &user.sub, &fields, None, 0)
            .await
            .expect("insert");
        let tokens = Tokens {
            access: Secret::new(minted.access_token),
            refresh: Some(Secret::new(minted.refresh_token)),
            access_expires_at: Some(0),
            refresh_expires_at: None,
            scope: None,
        };
        engine
            .vault()
            .put_tokens(id, 0, &tokens)
            .await
            .expect("vault");
        let timing = TokenTiming {
            token_gen: 0,
            access_expires_at: Some(0),
            refresh_expires_at: None,
            access_lifetime_ms: Some(7_200_000),
            next_refresh_at: Some(0),
        };
        store.record_tokens(id, &timing, 0).await.expect("timing");
        ids.push(id);
    }
    // Baseline tokens: a separate set, so both loops send live refresh tokens every round.
    let mut bare_tokens: Vec<String> = (0..accounts)
        .map(|i| {
            server
                .mint_tokens(&User::new(
                    &format!("{}", 500_000 + i),
                    "b",
                    "b@example.com",
                ))
                .refresh_token
        })
        .collect();
    // The floor's own database and tokens.
    let floor_store = signet_core::store::Store::open(&dir.path().join("floor.sqlite3"))
        .await
        .expect("floor store");
    let mut floor: Vec<(i64, String)> = Vec::new();
    for i in 0..accounts {
        let user = User::new(&format!("{}", 900_000 + i), "f", "f@example.com");
        let fields = ProfileFields {
            display_name: user.name.clone(),
            email: None,
            avatar_url: None,
            profile_json: "{}".into(),
        };
        let (id, _) = floor_store
            .upsert_account("corp", "oidc", &user.sub, &fields, None, 0)
            .await
            .expect("insert");
        floor.push((id, server.mint_tokens(&user).refresh_token));
    }
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let token_url = server.token_endpoint();

    let mut engine_times = Vec::new();
    let mut bare_times = Vec::new();
    let mut floor_times = Vec::new();
    for round in 0..rounds {
        // The loops' order alternates between rounds, so neither always runs first (or right
        // after the other's checkpoint).
        let order: [Loop; 3] = if round % 2 == 0 {
            [Loop::Engine, Loop::Bare, Loop::Floor]
        } else {
            [Loop::Bare, Loop::Floor, Loop::Engine]
        };
        let (mut engine_time, mut bare_time, mut floor_time) = Default::default();
        for step in order {
            if engine_only && step != Loop::Engine {
                continue;
            }
            push_latency(&server, latency, accounts);
            match step {
                // Engine: every account due; one scheduler tick refreshes them all.
                Loop::Engine => {
                    clock.advance_secs(3 * 3600);
                    let before = server.refresh_requests();
                    let t = Instant::now();
                    let n = engine.tick().await.expect("tick");
                    engine_time = t.elapsed();
                    // The checkpoint the storm started finishes before the next loop is timed
                    // (it would slow that loop, not the engine's).
                    settle(store).await;
                    assert_eq!(n, accounts);
                    assert_eq!(
                        server.refresh_requests() - before,
                        accounts,
                        "one request per account"
                    );
                }
                // Bare loop: the same requests with reqwest at the same concurrency, parsing
                // the JSON.
                Loop::Bare => {
                    let t = Instant::now();
                    bare_tokens = bare_round(&client, &token_url, &server, bare_tokens).await;
                    bare_time = t.elapsed();
                }
                // Floor: the bare loop plus the statements each refresh must write.
                Loop::Floor => {
                    let t = Instant::now();
                    floor = floor_round(&client, &token_url, &server, &floor_store, floor).await;
                    floor_time = t.elapsed();
                    settle(&floor_store).await;
                }
            }
        }
        if engine_only {
            println!("round {round}: engine {:.3} s", engine_time.as_secs_f64());
            continue;
        }
        println!(
            "round {round}: engine {:.3} s, bare reqwest {:.3} s, floor {:.3} s",
            engine_time.as_secs_f64(),
            bare_time.as_secs_f64(),
            floor_time.as_secs_f64()
        );
        engine_times.push(engine_time);
        bare_times.push(bare_time);
        floor_times.push(floor_time);
    }
    if engine_only {
        return;
    }
    // Each round's loops run back to back, so a round's ratio compares the engine with the bare
    // loop on the same machine state; the median of those ratios is the figure reported (the
    // medians of the times are shown too, but their ratio mixes rounds of a busier and a
    // quieter machine).
    let mut per_round: Vec<f64> = engine_times
        .iter()
        .zip(&bare_times)
        .map(|(e, b)| e.as_secs_f64() / b.as_secs_f64())
        .collect();
    per_round.sort_by(f64::total_cmp);
    let paired = per_round[per_round.len() / 2];
    let e = median(&mut engine_times);
    let b = median(&mut bare_times);
    let f = median(&mut floor_times);
    println!();
    println!(
        "| accounts | concurrency | provider latency | engine (median of {rounds}) | bare reqwest loop | floor (bare + SQLite) | engine ÷ bare, per round | engine ÷ bare | floor ÷ bare | engine ÷ floor |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    println!(
        "| {accounts} | {CONCURRENCY} | {} ms | {:.3} s | {:.3} s | {:.3} s | **{paired:.2}×** | {:.2}× | {:.2}× | {:.2}× |",
        latency.as_millis(),
        e.as_secs_f64(),
        b.as_secs_f64(),
        f.as_secs_f64(),
        e.as_secs_f64() / b.as_secs_f64(),
        f.as_secs_f64() / b.as_secs_f64(),
        e.as_secs_f64() / f.as_secs_f64()
    );
    let lost = engine
        .list()
        .await
        .expect("list")
        .iter()
        .filter(|a| a.status != signet_core::Status::Fresh)
        .count();
    let (transactions, writes) = engine.store().grouped_counts();
    println!(
        "\nengine: {writes} grouped writes in {transactions} transactions ({:.1} per transaction)",
        writes as f64 / transactions.max(1) as f64
    );
    println!("accounts not fresh after the run: {lost}");
    assert_eq!(lost, 0);
}

async fn bare_round(
    client: &reqwest::Client,
    url: &str,
    server: &OAuthServer,
    tokens: Vec<String>,
) -> Vec<String> {
    let sem = Arc::new(tokio::sync::Semaphore::new(CONCURRENCY));
    let mut set = tokio::task::JoinSet::new();
    for (i, rt) in tokens.into_iter().enumerate() {
        let client = client.clone();
        let url = url.to_owned();
        let sem = sem.clone();
        let id = server.client_id();
        let secret = server.client_secret();
        set.spawn(async move {
            let _p = sem.acquire().await.expect("sem");
            let form = [
                ("grant_type", "refresh_token"),
                ("refresh_token", rt.as_str()),
                ("client_id", id.as_str()),
                ("client_secret", secret.as_str()),
            ];
            let resp = client.post(&url).form(&form).send().await.expect("send");
            let v: serde_json::Value = resp.json().await.expect("json");
            (i, v["refresh_token"].as_str().expect("rotated").to_owned())
        });
    }
    let mut out = Vec::new();
    while let Some(r) = set.join_next().await {
        out.push(r.expect("task"));
    }
    out.sort_by_key(|(i, _)| *i);
    out.into_iter().map(|(_, t)| t).collect()
}

/// The bare loop plus, per refresh, what the engine must write for crash safety: the row read
/// under the lock, the "sent" mark committed before the request, and the pointer update with
/// its activity line after the answer (the engine's own statements, through its `Store`).
async fn floor_round(
    client: &reqwest::Client,
    url: &str,
    server: &OAuthServer,
    store: &signet_core::store::Store,
    accounts: Vec<(i64, String)>,
) -> Vec<(i64, String)> {
    let sem = Arc::new(tokio::sync::Semaphore::new(CONCURRENCY));
    let mut set = tokio::task::JoinSet::new();
    for (i, (id, rt)) in accounts.into_iter().enumerate() {
        let (client, url, sem, store) =
            (client.clone(), url.to_owned(), sem.clone(), store.clone());
        let (client_id, secret) = (server.client_id(), server.client_secret());
        set.spawn(async move {
            let row = store.require(id).await.expect("row");
            // The request's slot covers the "sent" mark and the request; the pointer update is
            // written after the slot is free again, as the engine does.
            let v: serde_json::Value = {
                let _p = sem.acquire().await.expect("sem");
                store.begin_refresh(id, 1).await.expect("sent mark");
                let form = [
                    ("grant_type", "refresh_token"),
                    ("refresh_token", rt.as_str()),
                    ("client_id", client_id.as_str()),
                    ("client_secret", secret.as_str()),
                ];
                let resp = client.post(&url).form(&form).send().await.expect("send");
                resp.json().await.expect("json")
            };
            let timing = TokenTiming {
                token_gen: row.token_gen + 1,
                access_expires_at: Some(3_600_000),
                refresh_expires_at: None,
                access_lifetime_ms: Some(3_600_000),
                next_refresh_at: Some(3_000_000),
            };
            store
                .record_refresh(id, &timing, None, "floor", "refreshed", 2)
                .await
                .expect("pointer");
            (
                i,
                (id, v["refresh_token"].as_str().expect("rotated").to_owned()),
            )
        });
    }
    let mut out = Vec::new();
    while let Some(r) = set.join_next().await {
        out.push(r.expect("task"));
    }
    out.sort_by_key(|(i, _)| *i);
    out.into_iter().map(|(_, t)| t).collect()
}

/// Waits for the store's background checkpoint (one at a time, on the writer connection) and
/// copies whatever is left, so the next timed loop starts on a quiet database.
async fn settle(store: &signet_core::store::Store) {
    sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
        .execute(store.writer())
        .await
        .expect("checkpoint");
}

/// Every one of the next `n` token answers is held `latency` (a provider across the internet).
fn push_latency(server: &OAuthServer, latency: Duration, n: usize) {
    if !latency.is_zero() {
        for _ in 0..n {
            server.push_fault(signet_testkit::Fault::Delay(latency));
        }
    }
}

/// The three loops a round times.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Loop {
    Engine,
    Bare,
    Floor,
}

fn median(v: &mut [Duration]) -> Duration {
    v.sort();
    v[v.len() / 2]
}
