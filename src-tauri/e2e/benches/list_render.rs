//! Benchmark: rendering the account list with 1,000 accounts in the real app window (WebKitGTK
//! under Xvfb): from the moment the `list_accounts` answer reaches the page to the frame that
//! shows it (the page's `signet:list-render` performance measure), for the first render and for
//! five reloads caused by another process changing the database.
//!
//! Run: `cargo build --workspace && xvfb-run -a ./scripts/with-keyring.sh cargo bench -p signet-e2e --bench list_render`
//! (`-- --accounts N`). Needs tauri-driver (scripts/setup.sh installs it).

#[path = "../tests/common.rs"]
mod common;

use std::process::Command;
use std::time::Duration;

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

async fn measures(app: &common::Driver) -> Vec<f64> {
    app.client
        .execute(
            "return performance.getEntriesByName('signet:list-render').map(m => m.duration);",
            vec![],
        )
        .await
        .ok()
        .and_then(|v| v.as_array().cloned())
        .unwrap_or_default()
        .iter()
        .filter_map(|v| v.as_f64())
        .collect()
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let accounts = arg("--accounts", 1000);
    let dir = tempfile::tempdir().expect("tempdir");
    // The seeded accounts belong to an AIHubMix provider (with no providers the app shows its
    // first-run guide instead of the list).
    std::fs::write(
        dir.path().join("config.toml"),
        "[[providers]]\nname = \"aihubmix\"\nkind = \"aihubmix\"\nclient_id = \"bench\"\nbase_url = \"http://127.0.0.1:9\"\nclient_secret_env = \"BENCH_UNUSED\"\n",
    )
    .expect("config");
    let env = vec![
        (
            "SIGNET_CONFIG",
            dir.path().join("config.toml").display().to_string(),
        ),
        (
            "SIGNET_DATA_DIR",
            dir.path().join("data").display().to_string(),
        ),
        (
            "SIGNET_KEYRING_NAMESPACE",
            format!("bench-list-{}", std::process::id()),
        ),
    ];
    let seed = common::workspace().join("target/debug/seed-accounts");
    let run_seed = |n: usize| {
        let status = Command::new(&seed)
            .arg(n.to_string())
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .stdout(std::process::Stdio::null())
            .status()
            .expect("seed-accounts (cargo build --workspace)");
        assert!(status.success());
    };
    run_seed(accounts);
    let app = common::Driver::start(&env).await;
    app.find("[data-testid=account-row]").await;
    let mut seen = 1;
    for _ in 0..100 {
        if !measures(&app).await.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Five reloads: another process adds an account; the app notices within 2 s and re-renders.
    for _ in 0..5 {
        run_seed(1);
        seen += 1;
        for _ in 0..100 {
            if measures(&app).await.len() >= seen {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    let m = measures(&app).await;
    let rows = app.count("[data-testid=account-row]").await;
    app.stop().await;
    assert!(m.len() >= 2, "no render measured: {m:?}");
    let first = m[0];
    let mut reloads: Vec<f64> = m[1..].to_vec();
    reloads.sort_by(|a, b| a.total_cmp(b));
    let median = reloads[reloads.len() / 2];
    println!("list render, {accounts} accounts ({rows} rows in the DOM), data → painted frame:");
    println!("| render | time |");
    println!("|---|---:|");
    println!("| first | {first:.1} ms |");
    println!("| reload (median of {}) | {median:.1} ms |", reloads.len());
    println!(
        "| reload (max) | {:.1} ms |",
        reloads.last().copied().unwrap_or_default()
    );
    println!("target: < 100 ms");
}
