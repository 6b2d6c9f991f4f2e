//! The Feishu / Lark dialect: routing, authorize, revoke and user_info. The token endpoints
//! (v2 and v3) live in `token`, IM in `im`.

mod common;
mod im;
mod token;

use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use http::{Method, StatusCode};
use serde_json::{json, Value};

use crate::faults::{self, Answers};
use crate::http::{
    callback_url, html, is_loopback, json as json_resp, not_found, redirect, wrong_method, Outcome,
    Req, Resp,
};
use crate::protocol::{Endpoints, Protocol, Routed};
use crate::rules::Rules;
use crate::state::{CodeGrant, Shared};
use crate::tokens::{is_valid_s256_challenge, pkce_s256, random_alnum, random_b64url};
use crate::types::{MintedTokens, ServerConfig, User};
use common::{api_caller, invalid_access_token, rate_limited};
use token::{refuse, Version};

/// Feishu (飞书) and Lark: one protocol, two brands (`ServerConfig::lark`).
pub(crate) struct Feishu;

const AUTHORIZE_PATH: &str = "/open-apis/authen/v1/authorize";
const TOKEN_V2_PATH: &str = "/open-apis/authen/v2/oauth/token";
const TOKEN_V3_PATH: &str = "/oauth/v3/token";
const REVOKE_PATH: &str = "/oauth/v1/revoke";
const USER_INFO_PATH: &str = "/open-apis/authen/v1/user_info";

/// Every default-enabled scope (`FEISHU_DEFAULT_SCOPES`), space-separated.
const DEFAULT_SCOPE: &str = "offline_access im:message im:message.send_as_user \
    im:chat:readonly contact:user.email:readonly auth:user.id:read user_profile";

const REVOKE_FIELDS: &[&str] = &["client_id", "client_secret", "token", "token_type_hint"];

impl Feishu {
    async fn serve(&self, shared: &Shared, req: &Req) -> Outcome {
        let get = req.method == Method::GET;
        let post = req.method == Method::POST;
        let token_answers = || Answers {
            rejection: token::token_error(if req.grant_type() == Some("refresh_token") {
                20026
            } else {
                20003
            }),
            rate_limited,
        };
        let api_answers = || Answers {
            rejection: invalid_access_token(),
            rate_limited,
        };
        match req.path.as_str() {
            AUTHORIZE_PATH if get => Outcome::Respond(authorize(shared, req)),
            TOKEN_V2_PATH if post => {
                let process = || token::token(shared, req, Version::V2);
                faults::token_request_with(shared, req, token_answers(), process).await
            }
            TOKEN_V3_PATH if post => {
                let process = || token::token(shared, req, Version::V3);
                faults::token_request_with(shared, req, token_answers(), process).await
            }
            REVOKE_PATH if post => Outcome::Respond(revoke(shared, req)),
            USER_INFO_PATH if get => {
                faults::api_request_with(shared, api_answers(), || user_info(shared, req)).await
            }
            p if im::serves(p) => im::route(shared, req).await,
            AUTHORIZE_PATH | USER_INFO_PATH => wrong_method(shared, req, "GET"),
            TOKEN_V2_PATH | TOKEN_V3_PATH | REVOKE_PATH => wrong_method(shared, req, "POST"),
            _ => not_found(shared, req),
        }
    }
}

// ---- authorize -----------------------------------------------------------------------

/// Feishu's authorization error page (no redirect).
fn error_page(shared: &Shared, code: u32, detail: &str) -> Resp {
    shared.violation(format!("authorize: {detail} (错误码 {code})"));
    let brand = if shared.config.lark { "Lark" } else { "飞书" };
    html(
        StatusCode::BAD_REQUEST,
        &format!("{brand} 授权失败"),
        &format!("错误码: {code} {detail}"),
    )
}

/// The registered redirect URI when configured; otherwise any loopback or `signet://` URL.
fn redirect_allowed(shared: &Shared, redirect_uri: &str) -> bool {
    match &shared.config.redirect_uri {
        Some(registered) => registered == redirect_uri,
        None => url::Url::parse(redirect_uri)
            .is_ok_and(|u| is_loopback(&u) || (u.scheme() == "signet" && u.fragment().is_none())),
    }
}

fn authorize(shared: &Shared, req: &Req) -> Resp {
    let repeated = Req::repeated(&req.query);
    if !repeated.is_empty() {
        return error_page(shared, 20063, &format!("repeated parameters {repeated:?}"));
    }
    let client_id = req
        .query_nonempty("client_id")
        .or_else(|| req.query_nonempty("app_id"));
    let Some(client_id) = client_id else {
        return error_page(shared, 20001, "missing client_id");
    };
    if shared.client_secret_of(client_id).is_none() {
        return error_page(shared, 20048, &format!("app {client_id:?} does not exist"));
    }
    let Some(redirect_uri) = req.query_nonempty("redirect_uri") else {
        return error_page(shared, 20001, "missing redirect_uri");
    };
    if !redirect_allowed(shared, redirect_uri) {
        let detail =
            format!("redirect_uri 请求不合法: {redirect_uri:?} is not a registered redirect URL");
        return error_page(shared, 20029, &detail);
    }
    if let Some(rt) = req.query_value("response_type") {
        if rt != "code" {
            return error_page(
                shared,
                20063,
                &format!("response_type must be code, got {rt:?}"),
            );
        }
    }
    let requested: Vec<&str> = req
        .query_value("scope")
        .unwrap_or("")
        .split(' ')
        .filter(|s| !s.is_empty())
        .collect();
    let enabled = shared.enabled_scopes();
    if let Some(bad) = requested.iter().find(|s| !enabled.iter().any(|e| e == *s)) {
        let detail = format!("当前应用未申请相关权限 (scope {bad:?} is not enabled for the app)");
        return error_page(shared, 20027, &detail);
    }
    let challenge = match (
        req.query_nonempty("code_challenge"),
        req.query_value("code_challenge_method"),
    ) {
        (None, Some(_)) => {
            return error_page(
                shared,
                20063,
                "code_challenge_method without code_challenge",
            )
        }
        (None, None) if shared.config.require_pkce => {
            return error_page(shared, 20063, "missing code_challenge (PKCE is required)")
        }
        (None, None) => None,
        (Some(_), m) if m != Some("S256") => {
            return error_page(shared, 20063, "code_challenge_method must be S256")
        }
        (Some(c), _) if !is_valid_s256_challenge(c) => {
            return error_page(
                shared,
                20063,
                "code_challenge must be 43 base64url characters",
            )
        }
        (Some(c), _) => Some(c.to_owned()),
    };
    let state = req.query_nonempty("state");
    if state.is_none() {
        shared.violation("authorize: no state (the client's CSRF protection)");
    }
    let finish = |first: (&str, &str)| {
        let mut params = vec![first];
        if let Some(s) = state {
            params.push(("state", s));
        }
        redirect(&callback_url(redirect_uri, &params))
    };
    if shared.deny() {
        return finish(("error", "access_denied"));
    }
    let user = shared.user();
    // Grants accumulate: the new code carries every scope the user ever granted the app.
    let ticked = shared.granted_override();
    let now: Vec<String> = requested
        .iter()
        .filter(|s| ticked.as_ref().is_none_or(|t| t.iter().any(|t| t == *s)))
        .map(|s| (*s).to_owned())
        .collect();
    shared.record_consent(client_id, &user.sub, &now);
    let granted = shared.consented(client_id, &user.sub).unwrap_or_default();
    let code = shared.issue_code(CodeGrant {
        client_id: client_id.to_owned(),
        redirect_uri: redirect_uri.to_owned(),
        user,
        scope: granted.join(" "),
        nonce: None,
        code_challenge: challenge,
        omit_refresh: false,
    });
    finish(("code", &code))
}

// ---- revoke and user_info -----------------------------------------------------------

/// Form `client_id, client_secret, token, token_type_hint` → `{"code":0,"msg":"success"}`;
/// revokes the token's whole family (an unknown token is accepted, as in RFC 7009).
fn revoke(shared: &Shared, req: &Req) -> Resp {
    const EP: &str = "revoke";
    if !req.is_form() {
        let what = format!(
            "the body must be a form, got {:?}",
            req.header(http::header::CONTENT_TYPE)
        );
        return refuse(shared, EP, 20063, &what);
    }
    let get = |k| req.form_nonempty(k);
    if req.has_basic_auth() && get("client_secret").is_some() {
        return refuse(
            shared,
            EP,
            20070,
            "both HTTP Basic and client_secret in the body",
        );
    }
    let missing: Vec<&str> = ["client_id", "client_secret", "token"]
        .into_iter()
        .filter(|f| get(f).is_none())
        .collect();
    if !missing.is_empty() {
        return refuse(shared, EP, 20001, &format!("missing {missing:?}"));
    }
    let extra = req.unexpected_form_fields(REVOKE_FIELDS);
    if !extra.is_empty() {
        shared.violation(format!("{EP}: unexpected fields {extra:?}"));
    }
    let client_id = get("client_id").unwrap_or_default();
    let Some(secret) = shared.client_secret_of(client_id) else {
        return refuse(
            shared,
            EP,
            20048,
            &format!("unknown client_id {client_id:?}"),
        );
    };
    if get("client_secret") != Some(secret.as_str()) {
        return refuse(shared, EP, 20002, "wrong client_secret");
    }
    if let Some(hint) = get("token_type_hint") {
        if hint != "access_token" && hint != "refresh_token" {
            shared.violation(format!("{EP}: unknown token_type_hint {hint:?}"));
        }
    }
    let _ = shared.revoke_grant(get("token").unwrap_or_default());
    json_resp(StatusCode::OK, &json!({"code": 0, "msg": "success"}))
}

fn has(scope: &str, wanted: &str) -> bool {
    scope.split_whitespace().any(|s| s == wanted)
}

/// An avatar URL at `size` (Feishu serves one image at several sizes).
fn avatar(shared: &Shared, user: &User, size: &str) -> String {
    let base = user.picture.clone().unwrap_or_else(|| {
        let host = if shared.config.lark {
            "s16-imfile-sg.larksuitecdn.com"
        } else {
            "s1-imfile.feishucdn.com"
        };
        format!("https://{host}/static-resource/v1/v2_default-avatar~")
    });
    format!("{base}?image_size={size}&cut_type=&quality=&format=png&sticker_format=.webp")
}

fn user_info(shared: &Shared, req: &Req) -> Resp {
    let (user, scope) = match api_caller(shared, req, "user_info") {
        Ok(found) => found,
        Err(resp) => return *resp,
    };
    let mut data = json!({
        "name": user.name,
        "en_name": user.en_name.clone().unwrap_or_default(),
        "avatar_url": avatar(shared, &user, "noop"),
        "avatar_thumb": avatar(shared, &user, "72x72"),
        "avatar_middle": avatar(shared, &user, "240x240"),
        "avatar_big": avatar(shared, &user, "640x640"),
        "open_id": user.sub,
        "union_id": user.union_id.clone().unwrap_or_default(),
        "tenant_key": user.tenant_key.clone().unwrap_or_default(),
    });
    if has(&scope, "contact:user.email:readonly") && !user.email.is_empty() {
        data["email"] = Value::from(user.email.as_str());
        data["enterprise_email"] = Value::from(user.email.as_str());
    }
    if has(&scope, "contact:user.employee_id:readonly") {
        // A stable tenant-level user id derived from the open_id.
        data["user_id"] = Value::from(pkce_s256(&user.sub)[..8].to_ascii_lowercase());
    }
    json_resp(
        StatusCode::OK,
        &json!({"code": 0, "msg": "success", "data": data}),
    )
}

/// A token that looks like the Feishu seed's `eyJhbGciOiJFUzI1NiIs…` (an ES256 JWS); it is
/// opaque to clients, so the payload and signature are random.
fn feishu_style_token() -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"ES256","kid":"testkit","typ":"JWT"}"#);
    format!("{header}.{}.{}", random_b64url(180), random_b64url(64))
}

impl Protocol for Feishu {
    fn kind(&self) -> &'static str {
        "feishu"
    }

    fn brand(&self, config: &ServerConfig) -> &'static str {
        if config.lark {
            "lark"
        } else {
            "feishu"
        }
    }

    /// Five-minute codes (the document's), the seed's 32 lower-case alphanumerics; a refresh
    /// token only with `offline_access`; every refresh narrows from the whole grant.
    fn rules(&self) -> Rules {
        Rules {
            code_ttl: Duration::from_secs(300),
            refresh_scope: Some("offline_access"),
            narrow_from_grant: true,
            ..Rules::standard(
                || random_alnum(32).to_ascii_lowercase(),
                |_, _| feishu_style_token(),
                feishu_style_token,
            )
        }
    }

    fn default_user(&self) -> User {
        User {
            en_name: Some("Zhang San".to_owned()),
            union_id: Some("on_8ed6aa67826108097d9ee143816345".to_owned()),
            tenant_key: Some("736588c9260f175d".to_owned()),
            picture: Some(
                "https://s1-imfile.feishucdn.com/static-resource/v1/v2_b0b0d1e4-zhangsan~"
                    .to_owned(),
            ),
            ..User::new(
                "ou_7d8a6e6df7621556ce0d21922b676706ccs",
                "张三",
                "zhangsan@example.com",
            )
        }
    }

    fn default_scope(&self) -> &'static str {
        DEFAULT_SCOPE
    }

    fn endpoints(&self, base_url: &str, _config: &ServerConfig) -> Endpoints {
        let mut at = Endpoints::at(base_url, AUTHORIZE_PATH, TOKEN_V2_PATH, USER_INFO_PATH);
        at.token_v3 = Some(at.url(TOKEN_V3_PATH));
        at.revocation = Some(at.url(REVOKE_PATH));
        at
    }

    /// Feishu's accounts domain and open platform, both here.
    fn provider_keys(&self, at: &Endpoints, _config: &ServerConfig) -> Vec<(&'static str, String)> {
        vec![
            ("accounts_base", at.base_url.clone()),
            ("api_base", at.base_url.clone()),
        ]
    }

    fn mint(&self, shared: &Shared, user: &User) -> MintedTokens {
        shared.mint_granted(user, DEFAULT_SCOPE)
    }

    fn route<'a>(&'a self, shared: &'a Shared, req: &'a Req) -> Routed<'a> {
        Box::pin(self.serve(shared, req))
    }
}
