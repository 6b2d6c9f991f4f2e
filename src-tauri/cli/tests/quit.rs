//! Quitting during a refresh storm: SIGTERM to the desktop app while 200 due accounts refresh against a provider with single-use refresh tokens loses no token and leaves no account "refreshing". Needs scripts/with-keyring.sh, Xvfb (started here) and the app built.

mod app;

use std::time::{Duration, Instant};

use app::{sign_in, World, Xvfb};
use signet_core::Status;
use signet_testkit::{Fault, TokenState};

const ACCOUNTS: usize = 200;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_during_a_storm_of_200_loses_no_refresh_token() {
    assert!(
        std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some(),
        "run through scripts/with-keyring.sh"
    );
    let xvfb = Xvfb::start();
    let world = World::start("quit-test").await;
    {
        let engine = world.engine().await;
        for i in 0..ACCOUNTS {
            sign_in(&engine, &world.server, i, None).await;
        }
        sqlx::query("UPDATE accounts SET next_refresh_at = 0")
            .execute(engine.store().pool())
            .await
            .expect("every account due");
        engine.store().close().await;
    }
    // Every refresh is processed at once (the old refresh token is spent) and answered 1.5 s
    // later: whenever the quit comes, some answers are still on their way.
    for _ in 0..ACCOUNTS {
        world
            .server
            .push_fault(Fault::Delay(Duration::from_millis(1500)));
    }
    let before = world.server.refresh_requests();
    let mut app = world.app(&xvfb);
    let started = Instant::now();
    while world.server.refresh_requests() < before + 20 {
        assert!(
            started.elapsed() < Duration::from_secs(90),
            "the app never started refreshing"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let sent_at_quit = world.server.refresh_requests() - before;
    let quit_at = Instant::now();
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &app.id().to_string()])
        .status();
    let status = loop {
        if let Some(status) = app.try_wait().expect("wait") {
            break status;
        }
        assert!(
            quit_at.elapsed() < Duration::from_secs(90),
            "the app did not quit"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let quit_took = quit_at.elapsed();
    // Its WebKit helpers go with it.
    let _ = std::process::Command::new("kill")
        .args(["-KILL", "--", &format!("-{}", app.id())])
        .status();
    assert!(status.success(), "quit cleanly: {status:?}");
    let sent = world.server.refresh_requests() - before;
    assert!(
        sent < ACCOUNTS,
        "the quit came before the storm ended ({sent} of {ACCOUNTS} sent)"
    );
    assert!(
        sent <= sent_at_quit + 8,
        "nothing new is started after the quit: {sent_at_quit} sent when it came, {sent} in all"
    );

    let engine = world.engine().await;
    let (mut refreshed, mut untouched) = (0, 0);
    for row in engine.store().list().await.expect("rows") {
        assert_ne!(
            row.status(),
            Status::Refreshing,
            "{} left refreshing",
            row.display_name
        );
        assert_eq!(
            row.refresh_in_doubt, 0,
            "{} left in doubt",
            row.display_name
        );
        assert_eq!(
            row.status(),
            Status::Fresh,
            "{} is not fresh",
            row.display_name
        );
        let tokens = engine
            .vault()
            .get_tokens(row.id, row.token_gen)
            .await
            .expect("keyring")
            .expect("tokens stored");
        let refresh = tokens.refresh.expect("a refresh token");
        assert_eq!(
            world.server.token_state(refresh.expose()),
            Some(TokenState::Live),
            "{}: the stored refresh token is not the one the provider considers live",
            row.display_name
        );
        if row.token_gen > 0 {
            refreshed += 1;
        } else {
            untouched += 1;
        }
    }
    assert_eq!(refreshed, sent, "every refresh sent was stored");
    let output =
        std::fs::read_to_string(world.dir.path().join("crash-output.log")).unwrap_or_default();
    assert!(
        output.contains("quit: every refresh under way was answered and stored"),
        "the log says what quitting did"
    );
    world.server.assert_no_violations();
    println!(
        "quit during a storm: SIGTERM after {sent_at_quit} of {ACCOUNTS} refreshes had been sent (each answered 1.5 s after processing); \
         the app exited in {:.1} s; {sent} sent in all, {refreshed} stored, {untouched} untouched; 0 refreshing, 0 in doubt, \
         every stored refresh token live at the provider",
        quit_took.as_secs_f64()
    );
}

/// The same for `signetctl refresh --all`: SIGTERM (or Ctrl+C) stops it sending, and every
/// answer already on its way is stored before it exits.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_to_signetctl_refresh_all_loses_no_refresh_token() {
    assert!(
        std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some(),
        "run through scripts/with-keyring.sh"
    );
    const N: usize = 40;
    let world = World::start("quit-cli-test").await;
    {
        let engine = world.engine().await;
        for i in 0..N {
            sign_in(&engine, &world.server, i, None).await;
        }
        engine.store().close().await;
    }
    for _ in 0..N {
        world
            .server
            .push_fault(Fault::Delay(Duration::from_millis(1500)));
    }
    let before = world.server.refresh_requests();
    let mut cli = world.storm();
    let started = Instant::now();
    while world.server.refresh_requests() < before + 4 {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "no refresh sent"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &cli.id().to_string()])
        .status();
    let status = cli.wait().expect("signetctl exits");
    let sent = world.server.refresh_requests() - before;
    assert!(sent < N, "stopped before the end ({sent} of {N} sent)");
    let engine = world.engine().await;
    let mut refreshed = 0;
    for row in engine.store().list().await.expect("rows") {
        assert_eq!(
            row.status(),
            Status::Fresh,
            "{} is {:?}",
            row.display_name,
            row.status()
        );
        assert_eq!(
            row.refresh_in_doubt, 0,
            "{} left in doubt",
            row.display_name
        );
        let tokens = engine
            .vault()
            .get_tokens(row.id, row.token_gen)
            .await
            .expect("keyring")
            .expect("tokens stored");
        assert_eq!(
            world
                .server
                .token_state(tokens.refresh.expect("refresh token").expose()),
            Some(TokenState::Live),
            "{}: the stored refresh token is dead",
            row.display_name
        );
        if row.token_gen > 0 {
            refreshed += 1;
        }
    }
    assert_eq!(refreshed, sent, "every refresh sent was stored");
    world.server.assert_no_violations();
    println!(
        "signetctl refresh --all stopped by SIGTERM: {sent} of {N} sent, {refreshed} stored, exit {status:?}; 0 refreshing, 0 in doubt, every stored refresh token live"
    );
}
