//! Shared server state: codes, token families, request log, violations, fault queues, holds, counters.

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tokio::sync::watch;

use crate::tokens::{self, pkce_s256};
use crate::types::{Dialect, Fault, MintedTokens, RecordedRequest, ServerConfig, TokenState, User};

const CODE_TTL: Duration = Duration::from_secs(600);

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
    /// Only stored when the dialect enforces PKCE.
    pub code_challenge: Option<String>,
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
    inner: Mutex<Inner>,
    token_count: watch::Sender<usize>,
    holds: watch::Sender<usize>,
}

impl Shared {
    pub fn new(config: ServerConfig, base_url: String) -> Self {
        let inner = Inner {
            user: User::default_for(config.dialect),
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
        };
        Shared {
            config,
            base_url,
            inner: Mutex::new(inner),
            token_count: watch::Sender::new(0),
            holds: watch::Sender::new(0),
        }
    }

    /// A panicking test must not wedge the server: ignore poisoning.
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
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

    /// Counts a token POST, takes its fault and wakes `wait_token_requests` waiters.
    pub fn begin_token_request(&self, is_refresh: bool) -> Option<Fault> {
        let (count, fault) = {
            let mut inner = self.lock();
            inner.token_requests += 1;
            if is_refresh {
                inner.refresh_requests += 1;
            }
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

    // ---- grants ---------------------------------------------------------------------

    fn new_tokens(
        &self,
        inner: &mut Inner,
        user: &User,
        family: u64,
        scope: &str,
    ) -> (String, String) {
        let dialect = self.config.dialect;
        let access = tokens::new_access_token(dialect, &user.sub, self.config.access_ttl_secs);
        let refresh = tokens::new_refresh_token(dialect);
        let ttl = Duration::from_secs(self.config.access_ttl_secs);
        inner.insert_token(
            &access,
            TokenRecord {
                kind: Kind::Access,
                user: user.clone(),
                family,
                status: Status::Live,
                expires_at: Some(Instant::now() + ttl),
                scope: scope.to_owned(),
            },
        );
        inner.insert_token(
            &refresh,
            TokenRecord {
                kind: Kind::Refresh,
                user: user.clone(),
                family,
                status: Status::Live,
                expires_at: None,
                scope: scope.to_owned(),
            },
        );
        (access, refresh)
    }

    pub fn issue_code(&self, grant: CodeGrant) -> String {
        let code = tokens::new_code(self.config.dialect);
        let mut inner = self.lock();
        inner.issued.push(code.clone());
        inner.codes.insert(
            code.clone(),
            StoredCode {
                grant,
                expires_at: Instant::now() + CODE_TTL,
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

    /// The user and scope behind a live, unexpired access token.
    pub fn check_access(&self, token: &str) -> Result<(User, String), Rejection> {
        let inner = self.lock();
        let Some(rec) = inner.tokens.get(token) else {
            return Err(reject("invalid_token", "Unknown access token."));
        };
        if rec.kind != Kind::Access {
            return Err(reject("invalid_token", "Not an access token."));
        }
        if rec.status != Status::Live {
            return Err(reject(
                "invalid_token",
                "The access token has been revoked.",
            ));
        }
        if rec.expires_at.is_some_and(|t| t <= Instant::now()) {
            return Err(reject("invalid_token", "The access token expired."));
        }
        Ok((rec.user.clone(), rec.scope.clone()))
    }

    /// RFC 7009: a refresh token takes its whole family with it; an access token only itself.
    pub fn revoke_posted(&self, token: &str) {
        let mut inner = self.lock();
        inner.revoked_posted.push(token.to_owned());
        let Some(rec) = inner.tokens.get_mut(token) else {
            return;
        };
        match rec.kind {
            Kind::Access => rec.status = Status::Revoked,
            Kind::Refresh => {
                let family = rec.family;
                inner.revoke_family(family);
            }
        }
    }

    pub fn revoke_all(&self) {
        for rec in self.lock().tokens.values_mut() {
            rec.status = Status::Revoked;
        }
    }

    pub fn expire_access_tokens(&self) {
        let now = Instant::now();
        for rec in self.lock().tokens.values_mut() {
            if rec.kind == Kind::Access {
                rec.expires_at = Some(now);
            }
        }
    }

    pub fn token_state(&self, token: &str) -> Option<TokenState> {
        let inner = self.lock();
        let rec = inner.tokens.get(token)?;
        Some(match rec.status {
            Status::Revoked => TokenState::Revoked,
            Status::Consumed => TokenState::Consumed,
            Status::Live if rec.expires_at.is_some_and(|t| t <= Instant::now()) => {
                TokenState::Expired
            }
            Status::Live => TokenState::Live,
        })
    }

    pub fn dialect(&self) -> Dialect {
        self.config.dialect
    }
}
