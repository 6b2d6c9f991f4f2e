//! `seed-accounts N`: adds N signed-in-looking accounts (tokens in the keyring, rows in the
//! database) to `$SIGNET_DATA_DIR` / `$SIGNET_KEYRING_NAMESPACE`, for the idle benchmark.

use signet_core::store::{BalanceSample, ProfileFields, TokenTiming};
use signet_core::vault::Tokens;
use signet_core::{Config, Engine, EngineOptions, Secret, Vault};

#[tokio::main]
async fn main() {
    let n: i64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100);
    let config = Config::load(&signet_core::config::default_path()).unwrap_or_default();
    let engine = match Engine::open(EngineOptions::new(
        config,
        signet_core::engine::default_data_dir(),
        Vault::system(),
    ))
    .await
    {
        Ok(e) => e,
        Err(e) => {
            eprintln!("seed-accounts: {e}");
            std::process::exit(1);
        }
    };
    let now = engine.now();
    for i in 0..n {
        let fields = ProfileFields {
            display_name: format!("user{i:03}"),
            email: Some(format!("user{i:03}@example.com")),
            avatar_url: None,
            profile_json: "{}".into(),
        };
        let result = async {
            let (id, _) = engine
                .store()
                .upsert_account(
                    "aihubmix",
                    "aihubmix",
                    &format!("{}", 10_000 + i),
                    &fields,
                    None,
                    now,
                )
                .await?;
            let tokens = Tokens {
                access: Secret::new(format!("seed-access-{i}")),
                refresh: Some(Secret::new(format!("seed-refresh-{i}"))),
                access_expires_at: Some(now + 7_200_000),
                refresh_expires_at: Some(now + 30 * 86_400_000),
                scope: None,
            };
            engine.vault().put_tokens(id, 0, &tokens).await?;
            let timing = TokenTiming {
                token_gen: 0,
                access_expires_at: tokens.access_expires_at,
                refresh_expires_at: tokens.refresh_expires_at,
                access_lifetime_ms: Some(7_200_000),
                next_refresh_at: Some(now + 6_500_000),
            };
            engine.store().record_tokens(id, &timing, now).await?;
            let sample = BalanceSample {
                sampled_at: now,
                quota: Some(1_000_000 + i),
                used_quota: Some(250_000),
                formatted: Some(format!("{}.00", 750 + i)),
            };
            engine.store().add_balance(id, &sample).await
        }
        .await;
        if let Err(e) = result {
            eprintln!("seed-accounts: {e}");
            std::process::exit(1);
        }
    }
    println!("seeded {n} accounts");
}
