//! With no Secret Service on the bus, Signet says so in words and stores no secret anywhere else.

mod common;

use common::Setup;
use signet_core::{ErrorCode, Secret, Vault};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_service_fails_closed_with_a_clear_message() {
    // This test binary runs alone in its process: point it at a bus that does not exist.
    std::env::set_var(
        "DBUS_SESSION_BUS_ADDRESS",
        "unix:path=/nonexistent/signet-test-bus",
    );
    std::env::remove_var("DISPLAY");
    std::env::set_var(signet_core::vault::NAMESPACE_ENV, "test-missing");
    let vault = Vault::system();
    let e = vault
        .put_secret("probe", &Secret::new("s3cr3t-value-never-written"))
        .await
        .expect_err("no keyring");
    assert_eq!(e.code, ErrorCode::KeyringUnavailable, "{}", e.message);
    assert!(
        e.message.contains("cannot reach your system keyring"),
        "{}",
        e.message
    );
    assert!(e.message.contains("nothing was saved"), "{}", e.message);

    // The whole sign-in fails closed: no account, nothing on disk. The client secret comes from
    // the environment here, since the keyring cannot hold it.
    let mut setup = Setup::aihubmix().vault(Vault::system());
    setup.server.client_secret = "test_secret_no_keyring".into();
    std::env::set_var("SIGNET_TEST_AIHUBMIX_SECRET", &setup.server.client_secret);
    let h = harness_with_env_secret(setup).await;
    let start = h
        .engine
        .begin_sign_in("aihubmix", None)
        .await
        .expect("begin works without keyring");
    let callback = h
        .server
        .authorize(start.authorize_url.as_str())
        .await
        .expect("authorize");
    let e = h
        .engine
        .handle_deep_link(&callback)
        .await
        .expect_err("cannot store");
    assert_eq!(e.code, ErrorCode::KeyringUnavailable);
    assert!(
        h.engine.list().await.expect("list").is_empty(),
        "no account without its secrets"
    );
    h.assert_no_secret_leaked();
}

async fn harness_with_env_secret(setup: Setup) -> common::Harness {
    common::harness_env_secret(setup, "SIGNET_TEST_AIHUBMIX_SECRET").await
}
