//! Easemob dialect: the seed's password and inherit requests, app tokens, ttl (0, strings,
//! VIP5 milliseconds), headers, user lookup, messages, error shape and faults.

use reqwest::StatusCode;
use serde_json::{json, Value};
use signet_testkit::{Fault, OAuthServer, ServerConfig, TokenState};

use crate::common::*;

fn assert_easemob_error(status: StatusCode, body: &Value, http: u16, error: &str) {
    assert_eq!(status.as_u16(), http, "{body}");
    assert_eq!(body["error"], error, "{body}");
    assert!(body["exception"].is_string(), "{body}");
    assert!(
        body["timestamp"]
            .as_u64()
            .is_some_and(|t| t > 1_600_000_000_000),
        "{body}"
    );
    assert_eq!(body["duration"], 0, "{body}");
    assert!(body["error_description"].is_string(), "{body}");
}

fn users_url(server: &OAuthServer, username: &str) -> String {
    format!("{}/{username}", server.userinfo_endpoint())
}

fn messages_url(server: &OAuthServer) -> String {
    format!(
        "{}/{}/{}/messages/users",
        server.api_base(),
        server.easemob_org(),
        server.easemob_app()
    )
}

#[tokio::test]
async fn seed_password_request() {
    let server = OAuthServer::start(ServerConfig::easemob()).await;
    let base = server.base_url();
    assert_eq!(
        server.token_endpoint(),
        format!("{base}/1112220415115349/demo/token")
    );
    assert_eq!(
        server.userinfo_endpoint(),
        format!("{base}/1112220415115349/demo/users")
    );
    assert_eq!(server.revocation_endpoint(), None);
    assert!(server.client_id().starts_with("YXA6") && server.client_secret().starts_with("YXA6"));
    assert!(server
        .authorize(&server.authorization_endpoint())
        .await
        .is_err());
    // Exactly the seed's curl: ttl as a string, username "C".
    let seed =
        json!({"grant_type": "password", "username": "C", "password": "1", "ttl": "1024000"});
    let (status, tok) = easemob_post(&server.token_endpoint(), &seed, None).await;
    assert_eq!(status, StatusCode::OK, "{tok}");
    assert_eq!(tok["expires_in"], 1_024_000);
    let at = s(&tok, "access_token");
    assert!(at.starts_with("YWMt"), "{at}");
    assert_eq!(
        tok["user"],
        json!({"uuid": "aa471ee0-4cfc-11ec-ace5-f90ff121234e", "type": "user",
               "created": 1_637_740_861_395u64, "modified": 1_637_740_861_395u64,
               "username": "c", "activated": true})
    );
    assert_eq!(server.token_state(&at), Some(TokenState::Live));
    let req = &server.requests_to("/1112220415115349/demo/token")[0];
    assert_eq!(req.header("accept"), Some("application/json"));
    let (status, err) = easemob_post(
        &server.token_endpoint(),
        &json!({"grant_type": "password", "username": "c", "password": "2"}),
        None,
    )
    .await;
    assert_easemob_error(status, &err, 400, "invalid_grant");
    assert_eq!(err["error_description"], "invalid username or password");
    assert_eq!(server.grant_requests("password"), 2);
    server.assert_no_violations();
    // No refresh tokens: the refresh grant does not exist.
    let (status, err) = easemob_post(
        &server.token_endpoint(),
        &json!({"grant_type": "refresh_token", "refresh_token": at}),
        None,
    )
    .await;
    assert_easemob_error(status, &err, 400, "unsupported_grant_type");
    assert_eq!(server.violations().len(), 1);
}

#[tokio::test]
async fn app_token_and_inherit() {
    let server = OAuthServer::start(ServerConfig::easemob()).await;
    let (status, app) = easemob_post(
        &server.token_endpoint(),
        &json!({"grant_type": "client_credentials", "client_id": server.client_id(),
                "client_secret": server.client_secret()}),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{app}");
    assert_eq!(app["expires_in"], 5_184_000, "60 days by default");
    assert_eq!(app["application"], server.easemob_application().as_str());
    let app_token = s(&app, "access_token");
    assert_eq!(server.app_token_requests(), 1);

    // The seed's inherit request, creating the user.
    let inherit = json!({"username": "test2333", "grant_type": "inherit", "autoCreateUser": true, "ttl": 1_024_000});
    let (status, tok) = easemob_post(&server.token_endpoint(), &inherit, Some(&app_token)).await;
    assert_eq!(status, StatusCode::OK, "{tok}");
    assert_eq!(tok["expires_in"], 1_024_000);
    assert_eq!(tok["user"]["username"], "test2333");
    assert_eq!(tok["user"]["activated"], true);
    assert_eq!(s(&tok["user"], "uuid").len(), 36);
    assert!(server.easemob_user_exists("test2333"));
    let user_token = s(&tok, "access_token");
    let unknown = json!({"username": "ghost", "grant_type": "inherit"});
    let (status, err) = easemob_post(&server.token_endpoint(), &unknown, Some(&app_token)).await;
    assert_easemob_error(status, &err, 404, "service_resource_not_found");
    server.expire_access_tokens();
    let (status, err) = easemob_post(&server.token_endpoint(), &unknown, Some(&app_token)).await;
    assert_easemob_error(status, &err, 401, "unauthorized");
    assert_eq!(
        err["error_description"],
        "Unable to authenticate due to expired access token"
    );
    server.assert_no_violations();
    let (status, err) = easemob_post(&server.token_endpoint(), &unknown, None).await;
    assert_easemob_error(status, &err, 401, "unauthorized");
    let (status, err) = easemob_post(&server.token_endpoint(), &unknown, Some(&user_token)).await;
    assert_easemob_error(status, &err, 401, "unauthorized");
    assert_eq!(
        server.violations().len(),
        1,
        "missing header; the user token had expired"
    );
    let (status, err) = easemob_post(
        &server.token_endpoint(),
        &json!({"grant_type": "client_credentials", "client_id": server.client_id(), "client_secret": "YXA6wrong"}),
        None,
    )
    .await;
    assert_easemob_error(status, &err, 400, "invalid_grant");
    assert_eq!(err["error_description"], "client_id does not match");
    assert_eq!(server.app_token_requests(), 2);
}

#[tokio::test]
async fn user_tokens_are_refused_where_the_app_token_is_required() {
    let server = OAuthServer::start(ServerConfig::easemob()).await;
    let user_token = server.mint_tokens(&server.user()).access_token;
    let (status, err) = easemob_post(
        &server.token_endpoint(),
        &json!({"grant_type": "inherit", "username": "c"}),
        Some(&user_token),
    )
    .await;
    assert_easemob_error(status, &err, 401, "unauthorized");
    let (status, err) = status_json(get_bearer(&users_url(&server, "c"), &user_token).await).await;
    assert_easemob_error(status, &err, 401, "unauthorized");
    assert_eq!(server.violations().len(), 2);
}

#[tokio::test]
async fn ttl_rules() {
    let server = OAuthServer::start(ServerConfig::easemob()).await;
    let password = |ttl: Value| json!({"grant_type": "password", "username": "c", "password": "1", "ttl": ttl});
    let (_, tok) = easemob_post(&server.token_endpoint(), &password(json!(0)), None).await;
    assert_eq!(tok["expires_in"], 0, "permanent");
    let permanent = s(&tok, "access_token");
    let (_, tok) = easemob_post(&server.token_endpoint(), &password(Value::Null), None).await;
    assert_eq!(tok["expires_in"], 5_184_000);
    let (_, tok) = easemob_post(&server.token_endpoint(), &password(json!(1)), None).await;
    assert_eq!(tok["expires_in"], 1);
    let short = s(&tok, "access_token");
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_eq!(server.token_state(&short), Some(TokenState::Expired));
    assert_eq!(server.token_state(&permanent), Some(TokenState::Live));
    server.assert_no_violations();
    for bad in [json!(-5), json!("soon"), json!(true)] {
        let (status, err) = easemob_post(&server.token_endpoint(), &password(bad), None).await;
        assert_easemob_error(status, &err, 400, "illegal_argument");
    }
    assert_eq!(server.violations().len(), 3);

    let vip5 = OAuthServer::start(ServerConfig {
        vip5_milliseconds: true,
        ..ServerConfig::easemob()
    })
    .await;
    let (_, tok) = easemob_post(&vip5.token_endpoint(), &password(Value::Null), None).await;
    assert_eq!(tok["expires_in"], 5_184_000_000u64, "milliseconds on VIP5");
    let (_, tok) = easemob_post(&vip5.token_endpoint(), &password(json!("1500")), None).await;
    assert_eq!(tok["expires_in"], 1500);
    let ms = s(&tok, "access_token");
    assert_eq!(vip5.token_state(&ms), Some(TokenState::Live));
    tokio::time::sleep(std::time::Duration::from_millis(1600)).await;
    assert_eq!(
        vip5.token_state(&ms),
        Some(TokenState::Expired),
        "1500 ms, not 1500 s"
    );
    vip5.assert_no_violations();
}

#[tokio::test]
async fn headers_and_app_path() {
    let server = OAuthServer::start(ServerConfig::easemob()).await;
    let seed = json!({"grant_type": "password", "username": "c", "password": "1"});
    let resp = client()
        .post(server.token_endpoint())
        .json(&seed)
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), StatusCode::OK, "processed without Accept");
    assert_eq!(
        server.violations().len(),
        1,
        "but Accept: application/json is required"
    );
    let resp = client()
        .post(server.token_endpoint())
        .header("Accept", "application/json")
        .form(&[
            ("grant_type", "password"),
            ("username", "c"),
            ("password", "1"),
        ])
        .send()
        .await
        .expect("send");
    let (status, err) = status_json(resp).await;
    assert_easemob_error(status, &err, 415, "unsupported_media_type");
    let wrong_app = format!("{}/1112220415115349/other/token", server.base_url());
    let (status, err) = easemob_post(&wrong_app, &seed, None).await;
    assert_easemob_error(status, &err, 404, "organization_application_not_found");
    let (status, err) = easemob_post(
        &server.token_endpoint(),
        &json!({"grant_type": "password", "username": "c", "password": "1", "client_id": "x"}),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{err}");
    assert_eq!(server.violations().len(), 4, "{:?}", server.violations());
}

#[tokio::test]
async fn get_user_with_the_app_token() {
    let server = OAuthServer::start(ServerConfig::easemob()).await;
    let app = easemob_app_token(&server).await;
    let (status, body) = status_json(get_bearer(&users_url(&server, "c"), &app).await).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["action"], "get");
    assert_eq!(body["path"], "/users");
    assert_eq!(body["uri"], users_url(&server, "c"));
    assert_eq!(body["count"], 1);
    assert_eq!(body["duration"], 0);
    assert_eq!(body["organization"], "1112220415115349");
    assert_eq!(body["applicationName"], "demo");
    assert_eq!(body["application"], server.easemob_application().as_str());
    let e = &body["entities"][0];
    assert_eq!(e["username"], "c");
    assert_eq!(e["nickname"], "Cici");
    assert_eq!(e["type"], "user");
    assert_eq!(e["activated"], true);
    assert_eq!(e["uuid"], "aa471ee0-4cfc-11ec-ace5-f90ff121234e");
    server.add_easemob_user("Dave", "dave-password", "Dave D");
    let (_, body) = status_json(get_bearer(&users_url(&server, "dave"), &app).await).await;
    assert_eq!(body["entities"][0]["nickname"], "Dave D");
    assert!(server
        .issued_secrets()
        .contains(&"dave-password".to_owned()));
    let (status, err) = status_json(get_bearer(&users_url(&server, "nobody"), &app).await).await;
    assert_easemob_error(status, &err, 404, "service_resource_not_found");
    server.assert_no_violations();
}

#[tokio::test]
async fn send_text_messages() {
    let server = OAuthServer::start(ServerConfig::easemob()).await;
    let app = easemob_app_token(&server).await;
    let body = json!({"from": "c", "to": ["user2", "user3"], "type": "txt", "body": {"msg": "hello"},
                      "sync_device": true, "routetype": "ROUTE_ONLINE", "ext": {"k": "v"}});
    let (status, answer) = easemob_post(&messages_url(&server), &body, Some(&app)).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["path"], "/messages/users");
    assert_eq!(answer["action"], "post");
    assert_eq!(answer["uri"], messages_url(&server));
    assert_eq!(answer["organization"], "1112220415115349");
    assert_eq!(answer["applicationName"], "demo");
    assert_eq!(answer["duration"], 0);
    let data = answer["data"].as_object().expect("data");
    assert_eq!(data.len(), 2);
    for to in ["user2", "user3"] {
        let id = data[to].as_str().expect("id");
        assert!(
            id.len() == 19 && id.bytes().all(|b| b.is_ascii_digit()),
            "{id}"
        );
    }
    let sent = server.sent_messages();
    assert_eq!(sent.len(), 2);
    assert_eq!(
        (sent[0].to.as_str(), sent[0].text.as_str()),
        ("user2", "hello")
    );
    assert_eq!(sent[0].from.as_deref(), Some("c"));
    assert_eq!(sent[0].body, body);
    assert_eq!(sent[1].id, data["user3"].as_str().unwrap_or_default());
    let no_from = json!({"to": ["user2"], "type": "txt", "body": {"msg": "hi"}});
    let (status, _) = easemob_post(&messages_url(&server), &no_from, Some(&app)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(server.sent_messages()[2].from.as_deref(), Some("admin"));
    server.assert_no_violations();

    let empty_from = json!({"from": "", "to": ["user2"], "type": "txt", "body": {"msg": "hi"}});
    let (status, err) = easemob_post(&messages_url(&server), &empty_from, Some(&app)).await;
    assert_easemob_error(status, &err, 400, "illegal_argument");
    let many: Vec<String> = (0..601).map(|i| format!("u{i}")).collect();
    let too_many = json!({"from": "c", "to": many, "type": "txt", "body": {"msg": "hi"}});
    let (status, err) = easemob_post(&messages_url(&server), &too_many, Some(&app)).await;
    assert_easemob_error(status, &err, 400, "illegal_argument");
    assert_eq!(err["error_description"], "param to exceed limit");
    let big =
        json!({"from": "c", "to": ["user2"], "type": "txt", "body": {"msg": "x".repeat(5200)}});
    let (status, err) = easemob_post(&messages_url(&server), &big, Some(&app)).await;
    assert_easemob_error(status, &err, 413, "request_entity_too_large");
    let user_token = server.mint_tokens(&server.user()).access_token;
    let (status, _) = easemob_post(&messages_url(&server), &no_from, Some(&user_token)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(server.sent_messages().len(), 3);
    assert_eq!(server.violations().len(), 3, "{:?}", server.violations());
}

#[tokio::test]
async fn faults_counters_and_secrets() {
    let server = OAuthServer::start(ServerConfig::easemob()).await;
    let app = easemob_app_token(&server).await;
    let msg = json!({"from": "c", "to": ["user2"], "type": "txt", "body": {"msg": "hi"}});
    server.push_api_fault(Fault::TooManyRequests {
        retry_after_secs: 1,
    });
    let (status, err) = easemob_post(&messages_url(&server), &msg, Some(&app)).await;
    assert_easemob_error(status, &err, 429, "reach_limit");
    assert_eq!(
        err["error_description"],
        "This request has reached api limit"
    );
    for (http, error, description) in [
        (403, "forbidden_op", "message send reach limit"),
        (
            429,
            "resource_limited",
            "You have exceeded the limit of the community edition",
        ),
        (
            401,
            "auth_bad_access_token",
            "Unable to authenticate due to corrupt access token",
        ),
    ] {
        server.push_api_fault(Fault::easemob_error(http, error, description));
        let (status, err) = easemob_post(&messages_url(&server), &msg, Some(&app)).await;
        assert_easemob_error(status, &err, http, error);
        assert_eq!(err["error_description"], description);
    }
    assert!(
        server.sent_messages().is_empty(),
        "canned answers are not processed"
    );
    server.push_fault(Fault::InvalidGrant);
    let seed = json!({"grant_type": "password", "username": "c", "password": "1"});
    let (status, err) = easemob_post(&server.token_endpoint(), &seed, None).await;
    assert_easemob_error(status, &err, 400, "invalid_grant");
    let (_, tok) = easemob_post(&server.token_endpoint(), &seed, None).await;
    let user_token = s(&tok, "access_token");
    assert_eq!(server.grant_requests("client_credentials"), 1);
    assert_eq!(server.grant_requests("password"), 2);
    assert_eq!(server.token_requests(), 3);
    let secrets = server.issued_secrets();
    for t in [&app, &user_token, &server.client_secret()] {
        assert!(secrets.contains(t), "{t} not listed as issued");
    }
    assert!(
        !secrets.contains(&"1".to_owned()),
        "one-character passwords are not scannable"
    );
    server.assert_no_violations();
}
