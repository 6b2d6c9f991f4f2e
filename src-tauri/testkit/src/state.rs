//! Shared server state: codes, token families, request log, violations, fault queues, holds, counters.
//!
//! The strict grants of the Google and Feishu dialects, consent memory and registered
//! clients live in the child module `grants`; access checks, revocation and expiry in
//! `lifecycle`; chat data and Easemob users in `crate::store`.

mod grants;
mod lifecycle;

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tokio::sync::watch;

use crate::rules::Rules;
use crate::store::Store;
use crate::tokens::{self, pkce_s256};
use crate::types::{Fault, MintedTokens, RecordedRequest, ServerConfig, User};

pub(crate) use grants::{AccessError, CodeExchange, GrantError};

/// AiHubMix userinfo balance fields.
#[derive(Clone, Debug)]
pub(crate) struct Balance {
    pub quota: i64,
    pub used_quota: i64,
    pub formatted: String,
}

/// What authorize recorded for a code.
pub(crate) struct CodeGrant {
    pub client_id: String,
    pub redirect_uri: String,
    pub user: User,
    pub scope: String,
    pub nonce: Option<String>,
    /// Oidc: only stored when the dialect enforces PKCE. Google, Feishu: whenever sent.
    pub code_challenge: Option<String>,
    /// Google: the exchange returns no refresh token (repeat consent without
    /// `prompt=consent`, see `ServerConfig::omit_refresh_token_on_repeat_consent`).
    pub omit_refresh: bool,
}

struct StoredCode {
    grant: CodeGrant,
    expires_at: Instant,
    /// Set once redeemed; a second redemption revokes this family (RFC 6749 §4.1.2).
    redeemed_family: Option<u64>,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Access,
    Refresh,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Status {
    Live,
    Consumed,
    Revoked,
}

struct TokenRecord {
    kind: Kind,
    user: User,
    family: u64,
    status: Status,
    expires_at: Option<Instant>,
    scope: String,
    /// The client the token was issued to.
    client_id: String,
    /// Everything the user granted for this family (Feishu narrows from it, never
    /// cumulatively).
    grant_scope: String,
}

/// What a newly issued token pair carries besides the user and family.
struct Minting<'a> {
    scope: &'a str,
    grant_scope: &'a str,
    client_id: &'a str,
    with_refresh: bool,
}

/// A successful grant.
pub(crate) struct Issued {
    pub access_token: String,
    /// The refresh token the client should hold after this response.
    pub refresh_token: String,
    /// Whether `refresh_token` was newly issued by this grant.
    pub new_refresh: bool,
    pub scope: String,
    pub user: User,
    pub nonce: Option<String>,
    /// `refresh_token_expires_in` when a new refresh token with an expiry was issued.
    pub refresh_expires_in: Option<u64>,
}

/// A refused grant: an OAuth error code and a human description.
#[derive(Debug)]
pub(crate) struct Rejection {
    pub error: &'static str,
    pub description: String,
}

fn reject(error: &'static str, description: impl Into<String>) -> Rejection {
    Rejection {
        error,
        description: description.into(),
    }
}

struct Inner {
    user: User,
    deny: bool,
    balance: Balance,
    requests: Vec<RecordedRequest>,
    violations: Vec<String>,
    faults: VecDeque<Fault>,
    api_faults: VecDeque<Fault>,
    token_requests: usize,
    refresh_requests: usize,
    codes: HashMap<String, StoredCode>,
    tokens: HashMap<String, TokenRecord>,
    issued: Vec<String>,
    revoked_posted: Vec<String>,
    next_family: u64,
    /// Registered (client_id, client_secret) pairs; the configured client first.
    clients: Vec<(String, String)>,
    /// Token-endpoint requests per `grant_type` (missing grant_type counts as "").
    grant_counts: HashMap<String, usize>,
    /// Scopes each user granted each client so far: (client_id, sub) → scopes.
    consents: HashMap<(String, String), Vec<String>>,
    /// What the "user" ticks on the consent screen (`None` = everything requested).
    granted_override: Option<Vec<String>>,
    /// Feishu: the scopes enabled in the developer console.
    enabled_scopes: Vec<String>,
}

impl Inner {
    fn revoke_family(&mut self, family: u64) {
        for rec in self.tokens.values_mut() {
            if rec.family == family {
                rec.status = Status::Revoked;
            }
        }
    }

    fn new_family(&mut self) -> u64 {
        self.next_family += 1;
        self.next_family
    }

    fn insert_token(&mut self, token: &str, rec: TokenRecord) {
        self.issued.push(token.to_owned());
        self.tokens.insert(token.to_owned(), rec);
    }
}

pub(crate) struct Shared {
    pub config: ServerConfig,
    pub base_url: String,
    /// The dialect's token formats and grant policy.
    pub rules: Rules,
    inner: Mutex<Inner>,
    /// Chat spaces, chats, sent messages and Easemob users.
    store: Mutex<Store>,
    token_count: watch::Sender<usize>,
    holds: watch::Sender<usize>,
    /// Holds on refresh-token requests only (code exchanges pass).
    refresh_holds: watch::Sender<usize>,
}

impl Shared {
    /// The state of a server at `base_url` following `rules`; `user` signs in until a test
    /// names another.
    pub fn new(config: ServerConfig, base_url: String, rules: Rules, user: User) -> Self {
        let inner = Inner {
            user,
            deny: false,
            balance: Balance {
                quota: 1_000_000,
                used_quota: 250_000,
                formatted: "750.00".to_owned(),
            },
            requests: Vec::new(),
            violations: Vec::new(),
            faults: VecDeque::new(),
            api_faults: VecDeque::new(),
            token_requests: 0,
            refresh_requests: 0,
            codes: HashMap::new(),
            tokens: HashMap::new(),
            issued: vec![config.client_secret.clone()],
            revoked_posted: Vec::new(),
            next_family: 0,
            clients: vec![(config.client_id.clone(), config.client_secret.clone())],
            grant_counts: HashMap::new(),
            consents: HashMap::new(),
            granted_override: None,
            enabled_scopes: config.enabled_scopes.clone(),
        };
        let store = Store::new();
        Shared {
            config,
            base_url,
            rules,
            inner: Mutex::new(inner),
            store: Mutex::new(store),
            token_count: watch::Sender::new(0),
            holds: watch::Sender::new(0),
            refresh_holds: watch::Sender::new(0),
        }
    }

    /// A panicking test must not wedge the server: ignore poisoning.
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The chat/user data store (poisoning ignored, as for [`Shared::lock`]).
    pub fn store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|e| e.into_inner())
    }

    // ---- log, violations, settings -------------------------------------------------

    pub fn record_request(&self, req: RecordedRequest) {
        self.lock().requests.push(req);
    }

    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.lock().requests.clone()
    }

    pub fn violation(&self, msg: impl Into<String>) {
        self.lock().violations.push(msg.into());
    }

    pub fn violations(&self) -> Vec<String> {
        self.lock().violations.clone()
    }

    pub fn user(&self) -> User {
        self.lock().user.clone()
    }

    pub fn set_user(&self, user: User) {
        self.lock().user = user;
    }

    pub fn deny(&self) -> bool {
        self.lock().deny
    }

    pub fn set_deny(&self, deny: bool) {
        self.lock().deny = deny;
    }

    pub fn balance(&self) -> Balance {
        self.lock().balance.clone()
    }

    pub fn set_balance(&self, balance: Balance) {
        self.lock().balance = balance;
    }

    pub fn issued_secrets(&self) -> Vec<String> {
        self.lock().issued.clone()
    }

    pub fn note_issued(&self, secret: &str) {
        self.lock().issued.push(secret.to_owned());
    }

    pub fn revoked_tokens(&self) -> Vec<String> {
        self.lock().revoked_posted.clone()
    }

    // ---- faults, counters, holds ------------------------------------------------

    pub fn push_fault(&self, fault: Fault) {
        self.lock().faults.push_back(fault);
    }

    pub fn push_api_fault(&self, fault: Fault) {
        self.lock().api_faults.push_back(fault);
    }

    pub fn take_api_fault(&self) -> Option<Fault> {
        self.lock().api_faults.pop_front()
    }

    /// Counts a token POST (per `grant_type` too), takes its fault and wakes
    /// `wait_token_requests` waiters.
    pub fn begin_token_request(&self, grant_type: Option<&str>) -> Option<Fault> {
        let (count, fault) = {
            let mut inner = self.lock();
            inner.token_requests += 1;
            if grant_type == Some("refresh_token") {
                inner.refresh_requests += 1;
            }
            *inner
                .grant_counts
                .entry(grant_type.unwrap_or_default().to_owned())
                .or_insert(0) += 1;
            (inner.token_requests, inner.faults.pop_front())
        };
        self.token_count.send_replace(count);
        fault
    }

    pub fn token_requests(&self) -> usize {
        self.lock().token_requests
    }

    pub fn refresh_requests(&self) -> usize {
        self.lock().refresh_requests
    }

    pub fn grant_requests(&self, grant_type: &str) -> usize {
        self.lock()
            .grant_counts
            .get(grant_type)
            .copied()
            .unwrap_or(0)
    }

    pub async fn wait_token_requests(&self, n: usize) {
        let mut rx = self.token_count.subscribe();
        // The sender lives in `self`, so this cannot fail while we borrow it.
        let _ = rx.wait_for(|count| *count >= n).await;
    }

    pub fn add_hold(&self) {
        self.holds.send_modify(|h| *h += 1);
    }

    pub fn remove_hold(&self) {
        self.holds.send_modify(|h| *h = h.saturating_sub(1));
    }

    pub async fn wait_released(&self) {
        let mut rx = self.holds.subscribe();
        let _ = rx.wait_for(|holds| *holds == 0).await;
    }

    pub fn add_refresh_hold(&self, on: bool) {
        self.refresh_holds
            .send_modify(|h| *h = if on { *h + 1 } else { h.saturating_sub(1) });
    }

    /// Waits while a hold on refresh-token requests is in place (for a request of `grant_type`).
    pub async fn wait_refresh_released(&self, grant_type: Option<&str>) {
        if grant_type != Some("refresh_token") {
            return;
        }
        let mut rx = self.refresh_holds.subscribe();
        let _ = rx.wait_for(|holds| *holds == 0).await;
    }

    // ---- grants ---------------------------------------------------------------------

    fn new_tokens(
        &self,
        inner: &mut Inner,
        user: &User,
        family: u64,
        scope: &str,
    ) -> (String, String) {
        let minting = Minting {
            scope,
            grant_scope: scope,
            client_id: &self.config.client_id,
            with_refresh: true,
        };
        let (access, refresh) = self.mint_pair(inner, user, family, &minting);
        (access, refresh.unwrap_or_default())
    }

    /// Issues an access token and (when `with_refresh`) a refresh token in `family`.
    /// Refresh tokens expire after `ServerConfig::refresh_ttl_secs` when set.
    fn mint_pair(
        &self,
        inner: &mut Inner,
        user: &User,
        family: u64,
        m: &Minting<'_>,
    ) -> (String, Option<String>) {
        let access = (self.rules.new_access_token)(&user.sub, self.config.access_ttl_secs);
        let ttl = Duration::from_secs(self.config.access_ttl_secs);
        let record = |kind, expires_at| TokenRecord {
            kind,
            user: user.clone(),
            family,
            status: Status::Live,
            expires_at,
            scope: m.scope.to_owned(),
            client_id: m.client_id.to_owned(),
            grant_scope: m.grant_scope.to_owned(),
        };
        inner.insert_token(&access, record(Kind::Access, Some(Instant::now() + ttl)));
        if !m.with_refresh {
            return (access, None);
        }
        let refresh = (self.rules.new_refresh_token)();
        let refresh_expiry = self
            .config
            .refresh_ttl_secs
            .map(|secs| Instant::now() + Duration::from_secs(secs));
        inner.insert_token(&refresh, record(Kind::Refresh, refresh_expiry));
        (access, Some(refresh))
    }

    pub fn issue_code(&self, grant: CodeGrant) -> String {
        let code = (self.rules.new_code)();
        let mut inner = self.lock();
        inner.issued.push(code.clone());
        inner.codes.insert(
            code.clone(),
            StoredCode {
                grant,
                expires_at: Instant::now() + self.rules.code_ttl,
                redeemed_family: None,
            },
        );
        code
    }

    /// authorization_code grant. `strict_pkce`: a verifier without a stored challenge is
    /// refused (RFC 9700 §2.1.1 downgrade protection); otherwise a stray verifier is ignored.
    pub fn redeem_code(
        &self,
        code: &str,
        client_id: &str,
        redirect_uri: &str,
        verifier: Option<&str>,
        strict_pkce: bool,
    ) -> Result<Issued, Rejection> {
        let mut inner = self.lock();
        let Some(stored) = inner.codes.get(code) else {
            inner
                .violations
                .push("token: authorization code was never issued by this server".into());
            return Err(reject("invalid_grant", "Malformed auth code."));
        };
        if let Some(family) = stored.redeemed_family {
            inner.revoke_family(family);
            return Err(reject(
                "invalid_grant",
                "Authorization code already used; tokens issued from it are revoked.",
            ));
        }
        if stored.expires_at <= Instant::now() {
            return Err(reject("invalid_grant", "Authorization code expired."));
        }
        let grant = &stored.grant;
        let mut problems = Vec::new();
        if grant.client_id != client_id {
            problems.push("code was issued to another client_id".to_owned());
        }
        if grant.redirect_uri != redirect_uri {
            problems.push(format!(
                "redirect_uri {redirect_uri:?} differs from the one given at authorize ({:?})",
                grant.redirect_uri
            ));
        }
        match (&grant.code_challenge, verifier) {
            (Some(_), None) => problems.push("code_verifier missing (PKCE was used)".into()),
            (Some(challenge), Some(v)) => {
                if !tokens::is_valid_verifier(v) {
                    problems.push("code_verifier is not 43-128 unreserved characters".into());
                }
                if pkce_s256(v) != *challenge {
                    problems.push("code_verifier does not match the S256 code_challenge".into());
                }
            }
            (None, Some(_)) if strict_pkce => {
                problems.push("code_verifier sent but no code_challenge was given".into())
            }
            (None, _) => {}
        }
        if !problems.is_empty() {
            let description = problems.join("; ");
            inner.violations.push(format!("token: {description}"));
            return Err(reject("invalid_grant", description));
        }
        let user = grant.user.clone();
        let scope = grant.scope.clone();
        let nonce = grant.nonce.clone();
        let family = inner.new_family();
        if let Some(stored) = inner.codes.get_mut(code) {
            stored.redeemed_family = Some(family);
        }
        let (access_token, refresh_token) = self.new_tokens(&mut inner, &user, family, &scope);
        Ok(Issued {
            access_token,
            refresh_token,
            new_refresh: true,
            scope,
            user,
            nonce,
            refresh_expires_in: None,
        })
    }

    /// refresh_token grant with optional scope narrowing (Oidc).
    pub fn refresh(&self, token: &str, scope: Option<&str>) -> Result<Issued, Rejection> {
        let mut inner = self.lock();
        let Some(rec) = inner.tokens.get(token) else {
            return Err(reject("invalid_grant", "Unknown refresh token."));
        };
        if rec.kind != Kind::Refresh {
            inner
                .violations
                .push("token: an access token was sent as refresh_token".into());
            return Err(reject("invalid_grant", "Not a refresh token."));
        }
        let family = rec.family;
        match rec.status {
            Status::Revoked => return Err(reject("invalid_grant", "Token has been revoked.")),
            Status::Consumed => {
                inner.revoke_family(family);
                return Err(reject(
                    "invalid_grant",
                    "Refresh token reuse detected; the token family is revoked.",
                ));
            }
            Status::Live => {}
        }
        let user = rec.user.clone();
        let mut granted = rec.scope.clone();
        if let Some(requested) = scope {
            let have: Vec<&str> = granted.split_whitespace().collect();
            if let Some(extra) = requested.split_whitespace().find(|s| !have.contains(s)) {
                inner.violations.push(format!(
                    "token: refresh asked for scope {extra:?} never granted"
                ));
                return Err(reject(
                    "invalid_scope",
                    format!("Scope {extra} was not granted."),
                ));
            }
            granted = requested.to_owned();
        }
        let (access_token, new_refresh_token) =
            self.new_tokens(&mut inner, &user, family, &granted);
        let refresh_token = if self.config.rotate_refresh_tokens {
            if let Some(old) = inner.tokens.get_mut(token) {
                old.status = Status::Consumed;
            }
            new_refresh_token
        } else {
            // No rotation: forget the unused new refresh token again.
            inner.tokens.remove(&new_refresh_token);
            inner.issued.retain(|t| *t != new_refresh_token);
            token.to_owned()
        };
        Ok(Issued {
            new_refresh: self.config.rotate_refresh_tokens,
            access_token,
            refresh_token,
            scope: granted,
            user,
            nonce: None,
            refresh_expires_in: None,
        })
    }

    /// Mints a live access/refresh pair for `user` without the authorize flow.
    pub fn mint(&self, user: &User, scope: &str) -> MintedTokens {
        let mut inner = self.lock();
        let family = inner.new_family();
        let (access_token, refresh_token) = self.new_tokens(&mut inner, user, family, scope);
        MintedTokens {
            access_token,
            refresh_token,
            scope: scope.to_owned(),
        }
    }
}
