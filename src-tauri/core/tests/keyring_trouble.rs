//! A Secret Service that never answers, then one that comes back, then a locked collection: Signet
//! says so in words, stores nothing anywhere else, keeps a rotated token in memory, and recovers
//! when the keyring is usable again. Runs on its own private D-Bus daemon (this binary only).

mod common;

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::Setup;
use signet_core::vault::KeyringBackend;
use signet_core::{ErrorCode, RefreshOutcome, Status, Vault};
use signet_testkit::session_bus::{
    gnome_keyring, lock_default_collection, silent_secret_service, start_bus, wait_for_owner,
};
use signet_testkit::TokenState;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keyring_that_hangs_then_returns_then_locks_loses_nothing() {
    let bus = start_bus();
    // This binary's only test: the process environment can point at the private bus.
    std::env::set_var("DBUS_SESSION_BUS_ADDRESS", &bus.address);
    std::env::remove_var("DISPLAY");
    let home = tempfile::tempdir().expect("home");
    std::fs::create_dir_all(home.path().join("run")).expect("run dir");
    let vault = Vault::new(Arc::new(KeyringBackend::new("keyring-trouble")))
        .with_timeout(Duration::from_secs(1));
    let mut setup = Setup::aihubmix().vault(vault);
    setup.server.client_secret = "secret_trouble_client_0001".into();
    std::env::set_var("SIGNET_TROUBLE_SECRET", &setup.server.client_secret);
    let h = common::harness_env_secret(setup, "SIGNET_TROUBLE_SECRET").await;

    // 1. A Secret Service that never answers: the sign-in ends with a sentence, nothing stored.
    let (stop, silent) = silent_secret_service(&bus.address);
    let start = h
        .engine
        .begin_sign_in("aihubmix", None)
        .await
        .expect("begin");
    let cb = h
        .server
        .authorize(start.authorize_url.as_str())
        .await
        .expect("authorize");
    let began = Instant::now();
    let e = h
        .engine
        .handle_deep_link(&cb)
        .await
        .expect_err("keyring hangs");
    assert_eq!(e.code, ErrorCode::KeyringTimeout, "{}", e.message);
    assert!(e.message.contains("did not answer"), "{}", e.message);
    assert!(
        began.elapsed() < Duration::from_secs(5),
        "gave up after the vault's timeout"
    );
    assert!(h.engine.list().await.expect("list").is_empty());
    h.assert_no_secret_leaked();
    stop.store(true, Ordering::Relaxed);
    silent.join().expect("silent service");
    wait_for_owner(&bus.address, false);

    // 2. The keyring comes back: signing in works, the tokens are in the Secret Service.
    let mut keyring = gnome_keyring(&bus.address, home.path());
    let a = h.sign_in().await;
    assert_eq!(a.status, Status::Fresh);

    // 3. The collection is locked while a refresh rotates the token: the new tokens cannot be
    //    stored; Signet says so, keeps them in memory and does not lose the account.
    let hold = h.server.hold_token_responses();
    let before = h.server.token_requests();
    let engine = h.engine.clone();
    let refresh = tokio::spawn(async move { engine.refresh(a.id, true).await });
    h.server.wait_token_requests(before + 1).await; // the refresh is at the provider
    lock_default_collection(&bus.address);
    drop(hold);
    let e = refresh.await.expect("task").expect_err("locked");
    assert!(
        matches!(e.code, ErrorCode::KeyringLocked | ErrorCode::KeyringTimeout),
        "{e:?}"
    );
    let v = h.engine.account(a.id).await.expect("account");
    assert_eq!(v.status, Status::Retrying, "not 'sign in again'");
    assert!(v
        .status_message
        .as_deref()
        .is_some_and(|m| m.contains("keyring")));
    assert_eq!(h.server.refresh_requests(), 1);

    // A refresh while it stays locked does not even reach the provider; the account says why.
    let e = h
        .engine
        .refresh(a.id, true)
        .await
        .expect_err("still locked");
    assert_eq!(e.code, ErrorCode::KeyringLocked);
    assert_eq!(h.server.refresh_requests(), 1);

    // 4. Unlocked again (here: the daemon restarted and unlocked with the login password):
    //    the tokens held in memory are written, no new token request, the account is fresh and
    //    holds the token the provider considers live.
    let _ = keyring.kill();
    let _ = keyring.wait();
    wait_for_owner(&bus.address, false);
    let mut keyring = gnome_keyring(&bus.address, home.path());
    assert_eq!(
        h.engine.refresh(a.id, true).await.expect("recovered"),
        RefreshOutcome::Refreshed
    );
    assert_eq!(
        h.server.refresh_requests(),
        1,
        "the held tokens were stored, not re-requested"
    );
    let token = h.engine.access_token(a.id).await.expect("token");
    assert_eq!(h.server.token_state(token.expose()), Some(TokenState::Live));
    assert_eq!(
        h.engine.account(a.id).await.expect("account").status,
        Status::Fresh
    );
    h.assert_no_secret_leaked();
    let _ = keyring.kill();
    let _ = keyring.wait();
    drop(bus);
}
