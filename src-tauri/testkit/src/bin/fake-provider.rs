//! `fake-provider`: runs one protocol test server on 127.0.0.1 until Ctrl-C, for trying Signet without a real account.

use signet_testkit::{Dialect, OAuthServer, ServerConfig};

const KINDS: &str = "`oidc`, `aihubmix`, `google`, `feishu`, `lark` or `easemob`";

#[tokio::main]
async fn main() {
    let kind = std::env::args().nth(1).unwrap_or_else(|| "oidc".into());
    let config = match kind.as_str() {
        "oidc" => ServerConfig::oidc(),
        "aihubmix" => ServerConfig::aihubmix(),
        "google" => ServerConfig::google(),
        "feishu" => ServerConfig::feishu(),
        "lark" => ServerConfig::lark(),
        "easemob" => ServerConfig::easemob(),
        other => {
            eprintln!("fake-provider: unknown kind {other:?}; use {KINDS}");
            std::process::exit(2);
        }
    };
    let server = OAuthServer::start(config).await;
    println!("kind          = {kind}");
    println!("issuer        = {}", server.issuer());
    println!("base_url      = {}", server.base_url());
    println!("client_id     = {}", server.client_id());
    println!("client_secret = {}", server.client_secret());
    if server.dialect() != Dialect::Easemob {
        println!("authorize     = {}", server.authorization_endpoint());
    }
    println!("token         = {}", server.token_endpoint());
    if let Some(v3) = server.token_endpoint_v3() {
        println!("token v3      = {v3}");
    }
    println!("userinfo      = {}", server.userinfo_endpoint());
    if let Some(revoke) = server.revocation_endpoint() {
        println!("revoke        = {revoke}");
    }
    let who = match server.dialect() {
        Dialect::Easemob => {
            println!(
                "org#app       = {}#{}",
                server.easemob_org(),
                server.easemob_app()
            );
            "user `c` / password `1` (the seed's example)".to_owned()
        }
        _ => server.user().email,
    };
    println!("(signs everyone in as {who} without asking; Ctrl-C to stop)");
    let _ = tokio::signal::ctrl_c().await;
}
