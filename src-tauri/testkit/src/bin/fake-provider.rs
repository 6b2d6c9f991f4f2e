//! `fake-provider`: runs one protocol test server on 127.0.0.1 until Ctrl-C, for trying Signet without a real account.

use signet_testkit::{OAuthServer, ServerConfig};

const KINDS: &str = "`oidc`, `aihubmix`, `google`, `feishu`, `lark` or `easemob`";

#[tokio::main]
async fn main() {
    let kind = std::env::args().nth(1).unwrap_or_else(|| "oidc".into());
    if kind == "--help" || kind == "-h" {
        println!(
            "Usage: fake-provider [KIND]\n\nRuns a local server on 127.0.0.1 that speaks one provider's protocol and signs\n\
             everyone in without asking, until Ctrl-C; it prints what to enter in Signet.\n\
             KIND: {KINDS} (default oidc). Each run gets a new port and a new client secret."
        );
        return;
    }
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
    if let Some(v3) = server.token_endpoint_v3() {
        println!("token v3      = {v3}");
    }
    if server.brand() == "easemob" {
        println!("org           = {}", server.easemob_org());
        println!("app           = {}", server.easemob_app());
    } else {
        println!("authorize     = {}", server.authorization_endpoint());
    }
    println!("token         = {}", server.token_endpoint());
    println!("userinfo      = {}", server.userinfo_endpoint());
    if let Some(revoke) = server.revocation_endpoint() {
        println!("revoke        = {revoke}");
    }
    println!("{}", server.how_to_try());
    let user = server.user();
    let who = if user.email.is_empty() {
        format!("user `{}`", user.sub)
    } else {
        user.email
    };
    println!("(signs everyone in as {who} without asking; keep this running while you try; Ctrl-C to stop)");
    let _ = tokio::signal::ctrl_c().await;
}
