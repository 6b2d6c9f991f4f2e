//! `signetctl agent` as a headless service: no display, an account kept fresh across its
//! token's expiry on schedule with the `refreshed` hook run each time (and `removed` for a
//! removal by another process), and SIGTERM during a refresh storing it before the exit. Needs
//! scripts/with-keyring.sh.

mod app;

use std::process::Command;
use std::time::{Duration, Instant};

use app::agent::{client, one_account, start_agent_with, text};
use app::World;
use signet_core::Status;
use signet_testkit::{Fault, ServerConfig, TokenState};

/// `signetctl agent` with no display at all, as under systemd on a server.
fn headless_agent(world: &World) -> app::agent::AgentProcess {
    start_agent_with(world, |cmd| {
        cmd.env_remove("DISPLAY").env_remove("WAYLAND_DISPLAY");
    })
}

async fn wait_for_refreshes(world: &World, n: usize, within: Duration) {
    let started = Instant::now();
    while world.server.refresh_requests() < n {
        assert!(
            started.elapsed() < within,
            "{} refreshes after {within:?}, wanted {n}",
            world.server.refresh_requests()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_headless_agent_keeps_an_account_fresh_across_its_expiry() {
    // Access tokens of 8 seconds: due at half their life, so two refreshes within ~10 s.
    let server = ServerConfig {
        access_ttl_secs: 8,
        ..ServerConfig::oidc()
    };
    let world = World::start_with("headless-fresh", server).await;
    one_account(&world, false).await;
    // Hooks: each writes the environment it was given.
    let hooks = world.dir.path().join("hooks");
    std::fs::create_dir_all(&hooks).expect("hooks folder");
    let mut config = std::fs::read_to_string(world.config()).expect("config");
    config.push_str(&format!(
        "\n[hooks]\nrefreshed = \"env > '{0}'/refreshed-$(date +%s%N)\"\nremoved = \"env > '{0}/removed'\"\n",
        hooks.display()
    ));
    std::fs::write(world.config(), config).expect("config");
    let before = world.server.refresh_requests();
    let agent = headless_agent(&world);
    wait_for_refreshes(&world, before + 2, Duration::from_secs(40)).await;
    let out = client(&world, &["token", "crash0@example.com"])
        .output()
        .expect("token");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        world.server.token_state(text(&out.stdout).trim()),
        Some(TokenState::Live),
        "the agent holds the live token"
    );

    // Another process removes the account: the agent's hook runs for it too.
    let out = Command::new(env!("CARGO_BIN_EXE_signetctl"))
        .args(["remove", "crash0@example.com"])
        .env("SIGNET_CONFIG", world.config())
        .env("SIGNET_DATA_DIR", world.data())
        .env("SIGNET_KEYRING_NAMESPACE", &world.namespace)
        .output()
        .expect("remove");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let started = Instant::now();
    while !hooks.join("removed").exists() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no removed hook"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(agent.stop().success(), "the agent exits cleanly on SIGTERM");

    let ran: Vec<String> = std::fs::read_dir(&hooks)
        .expect("hooks")
        .map(|e| std::fs::read_to_string(e.expect("entry").path()).expect("hook output"))
        .collect();
    let refreshed = ran
        .iter()
        .filter(|env| env.contains("SIGNET_EVENT=refreshed"))
        .count();
    assert!(refreshed >= 2, "a hook per refresh: {ran:#?}");
    for env in &ran {
        assert!(env.contains("SIGNET_ACCOUNT=crash0@example.com"), "{env}");
        assert!(env.contains("SIGNET_PROVIDER=corp"), "{env}");
        for secret in world.server.issued_secrets() {
            assert!(
                !env.contains(&secret),
                "a token or the client secret reached a hook"
            );
        }
    }
    assert!(ran.iter().any(|env| env.contains("SIGNET_EVENT=removed")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_during_a_refresh_stores_it_before_the_agent_exits() {
    let world = World::start("headless-term").await;
    one_account(&world, true).await;
    // The provider spends the old refresh token at once and answers 1.5 s later.
    world
        .server
        .push_fault(Fault::Delay(Duration::from_millis(1500)));
    let before = world.server.refresh_requests();
    let agent = headless_agent(&world);
    wait_for_refreshes(&world, before + 1, Duration::from_secs(30)).await;
    let status = agent.stop();
    assert!(status.success(), "the agent exits cleanly: {status:?}");
    let output = std::fs::read(world.dir.path().join("crash-output.log")).unwrap_or_default();
    assert!(
        text(&output).contains("the agent stopped;")
            && text(&output).contains("0 without an answer"),
        "{}",
        text(&output)
    );

    let engine = world.engine().await;
    let account = &engine.list().await.expect("list")[0];
    assert_eq!(account.status, Status::Fresh, "nothing left refreshing");
    let row = engine.store().require(account.id).await.expect("row");
    assert_eq!(row.refresh_in_doubt, 0);
    // The refresh token Signet holds is the one the provider now considers live: a refresh
    // with it works.
    let before = world.server.refresh_requests();
    engine
        .refresh(account.id, true)
        .await
        .expect("refresh with the stored token");
    assert_eq!(world.server.refresh_requests(), before + 1);
}
