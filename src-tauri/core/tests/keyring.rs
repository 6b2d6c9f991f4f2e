//! The vault on a real Secret Service (GNOME Keyring on a private D-Bus session; run via scripts/with-keyring.sh).

mod common;

use std::sync::Arc;

use common::{harness, Setup};
use signet_core::vault::KeyringBackend;
use signet_core::Vault;

fn real_vault() -> Vault {
    assert!(
        std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some(),
        "these tests need a Secret Service: run them through scripts/with-keyring.sh (the README's test command does)"
    );
    let ns = format!("test-{}-{}", std::process::id(), common::now_ms());
    Vault::new(Arc::new(KeyringBackend::new(&ns)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_8_kib_secret_round_trips_through_the_secret_service() {
    let vault = real_vault();
    let value: Vec<u8> = (0..8192u32).map(|i| (i * 7 % 256) as u8).collect();
    vault
        .put_bytes("big", &value)
        .await
        .expect("stored in the Secret Service");
    assert_eq!(vault.get_bytes("big").await.expect("read"), Some(value));
    vault.delete("big").await.expect("delete");
    assert_eq!(vault.get_bytes("big").await.expect("read"), None);
    // Newlines, NULs and non-UTF-8 bytes survive too.
    vault
        .put_bytes("odd", b"a\nb\0c\xff")
        .await
        .expect("stored");
    assert_eq!(
        vault.get_bytes("odd").await.expect("read").as_deref(),
        Some(&b"a\nb\0c\xff"[..])
    );
    vault.delete("odd").await.expect("delete");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_and_refresh_keep_tokens_in_the_secret_service_only() {
    let h = harness(Setup::aihubmix().vault(real_vault())).await;
    let a = h.sign_in().await;
    for _ in 0..5 {
        h.engine.refresh(a.id, true).await.expect("refresh");
    }
    assert!(
        h.engine
            .access_token(a.id)
            .await
            .expect("token")
            .expose()
            .len()
            > 20
    );
    h.assert_no_secret_leaked();
    h.engine.remove(a.id).await.expect("remove");
    let row_gen_tokens = h.engine.vault().get_tokens(a.id, 5).await.expect("read");
    assert!(
        row_gen_tokens.is_none(),
        "keyring entries deleted with the account"
    );
}
