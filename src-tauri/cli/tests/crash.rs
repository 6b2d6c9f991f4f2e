//! Crash safety: 100 times, `kill -9` the refreshing processes at a random moment of a refresh
//! storm over 10 accounts with single-use refresh tokens — in even rounds two `signetctl refresh
//! --all` racing, in odd rounds the desktop app (its scheduler refreshing every account, all made
//! due) racing one `signetctl` — then check the database's integrity and that every account is
//! refreshable or flagged with the reason. Every killed process's output is kept and scanned for
//! the issued tokens at the end. `CRASH_ROUNDS=N` changes the number of rounds. Needs
//! scripts/with-keyring.sh, Xvfb (started here, for the app only) and the app built
//! (`cargo build --workspace`).

mod app;

use std::process::Command;
use std::time::Duration;

use app::{keyring_token_items, sign_in, World, Xvfb};
use rand::{Rng, SeedableRng};
use signet_core::Status;
use signet_testkit::files::read_tree;
use signet_testkit::TokenState;

const ACCOUNTS: usize = 10;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_during_refresh_storms_never_leaves_half_written_state() {
    assert!(
        std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some(),
        "run through scripts/with-keyring.sh"
    );
    let xvfb = Xvfb::start();
    let rounds: usize = std::env::var("CRASH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100);
    let world = World::start("crash-test").await;
    {
        let engine = world.engine().await;
        for i in 0..ACCOUNTS {
            sign_in(&engine, &world.server, i, None).await;
        }
    }
    let mut rng = rand::rngs::StdRng::seed_from_u64(9);
    let (mut flagged, mut refreshable_checks, mut settled) = (0usize, 0usize, 0usize);
    let mut reasons = std::collections::BTreeMap::<String, usize>::new();
    let (mut app_rounds, mut app_rounds_mid_refresh) = (0, 0);
    for round in 0..rounds {
        // Two processes racing over the same accounts; both killed at a random moment.
        let (mut a, mut b) = if round % 2 == 1 {
            // The app: every account due now, so its scheduler's first tick refreshes them all.
            let engine = world.engine().await;
            sqlx::query("UPDATE accounts SET next_refresh_at = 0")
                .execute(engine.store().pool())
                .await
                .expect("make every account due");
            engine.store().close().await;
            app_rounds += 1;
            (world.app(&xvfb), world.storm())
        } else {
            (world.storm(), world.storm())
        };
        // The app needs its start-up (window, database) before it refreshes: a later moment.
        let latest = if round % 2 == 1 { 2500 } else { 400 };
        let before = world.server.token_requests();
        tokio::time::sleep(Duration::from_millis(rng.random_range(0..latest))).await;
        if round % 2 == 1 && world.server.token_requests() > before {
            app_rounds_mid_refresh += 1;
        }
        if round % 2 == 1 {
            // The app's whole process group: the app and its WebKit processes.
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{}", a.id())])
                .status();
        }
        for child in [&mut a, &mut b] {
            let _ = child.kill(); // SIGKILL
            let _ = child.wait();
        }

        let engine = world.engine().await;
        let integrity: String = sqlx::query_scalar("PRAGMA integrity_check")
            .fetch_one(engine.store().pool())
            .await
            .expect("integrity check runs");
        assert_eq!(integrity, "ok", "round {round}: database damaged");
        let accounts = engine.list().await.expect("list");
        assert_eq!(
            accounts.len(),
            ACCOUNTS,
            "round {round}: an account vanished"
        );
        for acc in accounts {
            let row = engine.store().require(acc.id).await.expect("row");
            if row.refresh_in_doubt == 0 && acc.status == Status::Fresh {
                // Untouched by the crash, or stored completely: the token Signet holds is the
                // one the provider considers live (read through the repair path for a crash
                // between the keyring write and the database update).
                let token = engine.access_token(acc.id).await.unwrap_or_else(|e| {
                    panic!(
                        "round {round}: {} has no usable token: {e}",
                        acc.display_name
                    )
                });
                assert_eq!(
                    world.server.token_state(token.expose()),
                    Some(TokenState::Live),
                    "round {round}: {} holds a dead token",
                    acc.display_name
                );
                refreshable_checks += 1;
                continue;
            }
            // A refresh the crash interrupted is settled by the next one: new tokens, or
            // "sign in again" with the reason. Never an error about missing or broken state.
            let outcome = engine.refresh(acc.id, true).await;
            let after = engine.account(acc.id).await.expect("account");
            match (outcome, after.status) {
                (Ok(_), Status::Fresh) => {
                    engine.access_token(acc.id).await.unwrap_or_else(|e| {
                        panic!(
                            "round {round}: {} refreshed but no token: {e}",
                            acc.display_name
                        )
                    });
                    settled += 1;
                }
                (Err(e), Status::Reauth) => {
                    let reason = after.status_code.clone().unwrap_or_default();
                    assert_eq!(
                        reason, "refresh_answer_lost",
                        "round {round}: {} flagged for another reason: {}",
                        acc.display_name, e.message
                    );
                    *reasons.entry(reason).or_default() += 1;
                    flagged += 1;
                    // The person signs in again.
                    let i: usize = acc.display_name["Crash ".len()..].parse().expect("index");
                    sign_in(&engine, &world.server, i, Some(acc.id)).await;
                }
                (outcome, status) => panic!(
                    "round {round}: {} is {status:?} after {outcome:?}",
                    acc.display_name
                ),
            }
        }
        engine.store().close().await;
    }
    // No orphans: one more start settles what the rounds left, and then the keyring holds
    // exactly one generation per account, the current one.
    let engine = world.engine().await;
    let repaired = engine.repair_all().await.expect("start-up repair");
    let expected: std::collections::BTreeSet<String> = engine
        .store()
        .list()
        .await
        .expect("rows")
        .iter()
        .map(|r| signet_core::vault::tokens_key(r.id, r.token_gen))
        .collect();
    engine.store().close().await;
    let stored = keyring_token_items(&world.namespace);
    assert_eq!(
        stored, expected,
        "after the rounds and one start, only each account's current generation is in the keyring"
    );
    // The output of every killed process (the app at debug level, signetctl, both at debug level), the
    // app's log files and the database: no token or secret the provider issued.
    let mut haystack = std::fs::read(world.dir.path().join("crash-output.log")).expect("output");
    let output_bytes = haystack.len();
    let started = String::from_utf8_lossy(&haystack)
        .matches("start-up: database open")
        .count();
    assert!(
        started > 0,
        "the app's output was captured (it reached its database in {started} rounds)"
    );
    for extra in [
        world.data().join("signet.sqlite3"),
        world.data().join("signet.sqlite3-wal"),
    ] {
        haystack.extend(std::fs::read(extra).unwrap_or_default());
    }
    if let Some(logs) = std::env::var_os("XDG_DATA_HOME") {
        haystack.extend(read_tree(std::path::Path::new(&logs), Some("log")));
    }
    let secrets = world.server.issued_secrets();
    let finder = aho_corasick::AhoCorasick::new(&secrets).expect("patterns");
    let leaked: Vec<&String> = finder
        .find_iter(&haystack)
        .map(|m| &secrets[m.pattern().as_usize()])
        .collect();
    assert!(leaked.is_empty(), "{} issued secrets leaked", leaked.len());
    println!(
        "crash suite: {rounds} rounds of kill -9 during refresh storms over {ACCOUNTS} accounts \
         ({app_rounds} killing the desktop app racing one `signetctl`, {app_rounds_mid_refresh} of them after token requests had gone out; \
         the rest two racing `signetctl refresh --all`); \
         integrity_check ok {rounds}/{rounds}; {refreshable_checks} account checks holding the provider's live token, \
         {settled} interrupted refreshes settled fresh by the next refresh, {flagged} flagged sign-in-again with a reason {reasons:?}; \
         {repaired} accounts with leftovers settled at the next start, {} token items left in the keyring = one per account; \
         0 half-written; the app reached its database in {started} of its rounds; {} issued secrets searched in {} KB of crash output, the logs and the database: 0 found",
        stored.len(),
        secrets.len(),
        output_bytes / 1024
    );
    world.server.assert_no_violations();
}
