//! `fake-provider`: runs one protocol test server on 127.0.0.1 until Ctrl-C, for trying Signet without a real account.

use signet_testkit::{OAuthServer, ServerConfig};

#[tokio::main]
async fn main() {
    let kind = std::env::args().nth(1).unwrap_or_else(|| "oidc".into());
    let config = match kind.as_str() {
        "oidc" => ServerConfig::oidc(),
        "aihubmix" => ServerConfig::aihubmix(),
        other => {
            eprintln!("fake-provider: unknown kind {other:?}; use `oidc` or `aihubmix`");
            std::process::exit(2);
        }
    };
    let server = OAuthServer::start(config).await;
    println!("kind          = {kind}");
    println!("issuer        = {}", server.issuer());
    println!("base_url      = {}", server.base_url());
    println!("client_id     = {}", server.client_id());
    println!("client_secret = {}", server.client_secret());
    println!(
        "(signs everyone in as {} without asking; Ctrl-C to stop)",
        server.user().email
    );
    let _ = tokio::signal::ctrl_c().await;
}
