//! Strict grants for the Google and Feishu dialects (structured refusals each dialect maps to
//! its documented error), registered clients, consent memory and whole-grant revocation.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use super::{Inner, Issued, Kind, Minting, Shared, Status};
use crate::tokens::{self, pkce_s256};
use crate::types::{MintedTokens, User};

/// Why a strict grant was refused; the dialect picks the status, code and wording.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum GrantError {
    /// The code was never issued by this server.
    UnknownCode,
    /// The code was already redeemed.
    CodeUsed,
    /// The code outlived its lifetime.
    CodeExpired,
    /// The code or refresh token belongs to another registered client.
    ClientMismatch,
    /// `redirect_uri` differs from (or lacks) the one given at authorize.
    RedirectMismatch {
        expected: String,
    },
    /// A challenge was sent at authorize but no `code_verifier` now.
    VerifierMissing,
    /// The verifier is not 43–128 unreserved characters.
    VerifierMalformed,
    /// S256(verifier) differs from the challenge.
    VerifierMismatch,
    /// A verifier without a challenge at authorize (refused only when strict).
    VerifierWithoutChallenge,
    /// The same scope twice in the `scope` parameter.
    DuplicateScope(String),
    /// A scope in the `scope` parameter that the user did not grant.
    ScopeNotGranted(String),
    /// The refresh token is unknown.
    UnknownRefresh,
    /// An access token was sent as the refresh token.
    NotRefresh,
    RefreshRevoked,
    RefreshExpired,
    /// A single-use refresh token presented a second time.
    RefreshUsed,
}

/// An authorization-code exchange.
pub(crate) struct CodeExchange<'a> {
    pub code: &'a str,
    pub client_id: &'a str,
    pub redirect_uri: &'a str,
    pub verifier: Option<&'a str>,
    /// Narrows the token's scope (Feishu); `None` = everything granted.
    pub scope: Option<&'a str>,
    /// Refuse a verifier when no challenge was sent (Feishu v3, Google).
    pub strict_verifier: bool,
}

/// Why an access token was refused at a resource endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AccessError {
    Unknown,
    /// A refresh token (or another non-access token) was presented.
    NotAccess,
    Revoked,
    Expired,
}

/// Splits a space-separated scope list, refusing duplicates and anything outside `granted`.
fn narrow(granted: &str, requested: &str) -> Result<String, GrantError> {
    let have: Vec<&str> = granted.split_whitespace().collect();
    let mut seen = HashSet::new();
    for s in requested.split_whitespace() {
        if !seen.insert(s) {
            return Err(GrantError::DuplicateScope(s.to_owned()));
        }
        if !have.contains(&s) {
            return Err(GrantError::ScopeNotGranted(s.to_owned()));
        }
    }
    Ok(requested.split_whitespace().collect::<Vec<_>>().join(" "))
}

fn has_scope(scope: &str, wanted: &str) -> bool {
    scope.split_whitespace().any(|s| s == wanted)
}

impl Shared {
    // ---- clients ------------------------------------------------------------------------

    /// Registers another client (Google and Feishu accept it at authorize and token).
    pub fn add_client(&self, client_id: &str, client_secret: &str) {
        let mut inner = self.lock();
        inner.issued.push(client_secret.to_owned());
        inner
            .clients
            .push((client_id.to_owned(), client_secret.to_owned()));
    }

    /// The registered secret of `client_id`, `None` if the client is unknown.
    pub fn client_secret_of(&self, client_id: &str) -> Option<String> {
        self.lock()
            .clients
            .iter()
            .find(|(id, _)| id == client_id)
            .map(|(_, secret)| secret.clone())
    }

    // ---- consent ----------------------------------------------------------------------

    pub fn set_granted_override(&self, scopes: Option<Vec<String>>) {
        self.lock().granted_override = scopes;
    }

    pub fn granted_override(&self) -> Option<Vec<String>> {
        self.lock().granted_override.clone()
    }

    pub fn set_enabled_scopes(&self, scopes: Vec<String>) {
        self.lock().enabled_scopes = scopes;
    }

    pub fn enabled_scopes(&self) -> Vec<String> {
        self.lock().enabled_scopes.clone()
    }

    /// What `sub` granted `client_id` before, `None` if the user never consented.
    pub fn consented(&self, client_id: &str, sub: &str) -> Option<Vec<String>> {
        self.lock()
            .consents
            .get(&(client_id.to_owned(), sub.to_owned()))
            .cloned()
    }

    /// Adds `scopes` to what `sub` granted `client_id`.
    pub fn record_consent(&self, client_id: &str, sub: &str, scopes: &[String]) {
        let mut inner = self.lock();
        let entry = inner
            .consents
            .entry((client_id.to_owned(), sub.to_owned()))
            .or_default();
        for s in scopes {
            if !entry.contains(s) {
                entry.push(s.clone());
            }
        }
    }

    // ---- strict grants ------------------------------------------------------------------

    /// Whether a grant with effective scope `scope` gets a refresh token.
    fn wants_refresh(&self, scope: &str, omit: bool) -> bool {
        match self.rules.refresh_scope {
            Some(needed) => has_scope(scope, needed),
            None => !omit,
        }
    }

    fn issued(&self, inner: &mut Inner, user: User, family: u64, m: &Minting<'_>) -> Issued {
        let (access_token, refresh) = self.mint_pair(inner, &user, family, m);
        Issued {
            access_token,
            new_refresh: refresh.is_some(),
            refresh_expires_in: refresh.as_ref().and(self.config.refresh_ttl_secs),
            refresh_token: refresh.unwrap_or_default(),
            scope: m.scope.to_owned(),
            user,
            nonce: None,
        }
    }

    /// authorization_code grant with structured refusals. A replayed code is refused
    /// without revoking what it issued (neither Google nor Feishu documents revocation).
    pub fn redeem_code_strict(&self, x: &CodeExchange<'_>) -> Result<Issued, GrantError> {
        let mut inner = self.lock();
        let stored = inner.codes.get(x.code).ok_or(GrantError::UnknownCode)?;
        if stored.redeemed_family.is_some() {
            return Err(GrantError::CodeUsed);
        }
        if stored.expires_at <= Instant::now() {
            return Err(GrantError::CodeExpired);
        }
        let grant = &stored.grant;
        if grant.client_id != x.client_id {
            return Err(GrantError::ClientMismatch);
        }
        if grant.redirect_uri != x.redirect_uri {
            return Err(GrantError::RedirectMismatch {
                expected: grant.redirect_uri.clone(),
            });
        }
        match (&grant.code_challenge, x.verifier) {
            (Some(_), None) => return Err(GrantError::VerifierMissing),
            (Some(_), Some(v)) if !tokens::is_valid_verifier(v) => {
                return Err(GrantError::VerifierMalformed)
            }
            (Some(challenge), Some(v)) if pkce_s256(v) != *challenge => {
                return Err(GrantError::VerifierMismatch)
            }
            (None, Some(_)) if x.strict_verifier => {
                return Err(GrantError::VerifierWithoutChallenge)
            }
            _ => {}
        }
        let scope = match x.scope {
            Some(requested) => narrow(&grant.scope, requested)?,
            None => grant.scope.clone(),
        };
        let user = grant.user.clone();
        let nonce = grant.nonce.clone();
        let grant_scope = grant.scope.clone();
        let with_refresh = self.wants_refresh(&scope, grant.omit_refresh);
        let family = inner.new_family();
        if let Some(stored) = inner.codes.get_mut(x.code) {
            stored.redeemed_family = Some(family);
        }
        let minting = Minting {
            scope: &scope,
            grant_scope: &grant_scope,
            client_id: x.client_id,
            with_refresh,
        };
        let mut issued = self.issued(&mut inner, user, family, &minting);
        issued.nonce = nonce;
        Ok(issued)
    }

    /// refresh_token grant with structured refusals. `scope` narrows from everything the
    /// user granted (not cumulatively). Rotation follows `rotate_refresh_tokens`; a rotated
    /// token presented again is `RefreshUsed` (the family stays live).
    pub fn refresh_strict(
        &self,
        token: &str,
        client_id: &str,
        scope: Option<&str>,
    ) -> Result<Issued, GrantError> {
        let mut inner = self.lock();
        let rec = inner.tokens.get(token).ok_or(GrantError::UnknownRefresh)?;
        if rec.kind != Kind::Refresh {
            return Err(GrantError::NotRefresh);
        }
        if rec.client_id != client_id {
            return Err(GrantError::ClientMismatch);
        }
        match rec.status {
            Status::Revoked => return Err(GrantError::RefreshRevoked),
            Status::Consumed => return Err(GrantError::RefreshUsed),
            Status::Live => {}
        }
        if rec.expires_at.is_some_and(|t| t <= Instant::now()) {
            return Err(GrantError::RefreshExpired);
        }
        let granted = if self.rules.narrow_from_grant {
            rec.grant_scope.clone()
        } else {
            rec.scope.clone()
        };
        let scope = match scope {
            Some(requested) => narrow(&granted, requested)?,
            None => granted,
        };
        let (user, family, grant_scope) = (rec.user.clone(), rec.family, rec.grant_scope.clone());
        let rotate = self.config.rotate_refresh_tokens;
        let minting = Minting {
            scope: &scope,
            grant_scope: &grant_scope,
            client_id,
            with_refresh: rotate && self.wants_refresh(&scope, false),
        };
        let mut issued = self.issued(&mut inner, user, family, &minting);
        if rotate {
            if let Some(old) = inner.tokens.get_mut(token) {
                old.status = Status::Consumed;
            }
        } else {
            issued.refresh_token = token.to_owned();
        }
        Ok(issued)
    }

    // ---- access tokens ------------------------------------------------------------------

    /// The user and scope behind a live access token, or why it is refused.
    pub fn access(&self, token: &str) -> Result<(User, String), AccessError> {
        let inner = self.lock();
        let rec = inner.tokens.get(token).ok_or(AccessError::Unknown)?;
        if rec.kind != Kind::Access {
            return Err(AccessError::NotAccess);
        }
        if rec.status != Status::Live {
            return Err(AccessError::Revoked);
        }
        if rec.expires_at.is_some_and(|t| t <= Instant::now()) {
            return Err(AccessError::Expired);
        }
        Ok((rec.user.clone(), rec.scope.clone()))
    }

    /// Issues a standalone access token (Easemob app and user tokens); `lifetime` `None`
    /// never expires.
    pub fn insert_access_token(
        &self,
        user: &User,
        scope: &str,
        lifetime: Option<Duration>,
    ) -> String {
        let token = (self.rules.new_access_token)(&user.sub, 0);
        let mut inner = self.lock();
        let family = inner.new_family();
        inner.insert_token(
            &token,
            super::TokenRecord {
                kind: Kind::Access,
                user: user.clone(),
                family,
                status: Status::Live,
                expires_at: lifetime.map(|d| Instant::now() + d),
                scope: scope.to_owned(),
                client_id: self.config.client_id.clone(),
                grant_scope: scope.to_owned(),
            },
        );
        token
    }

    /// Mints a pair for `user` in the strict dialects' bookkeeping (no refresh token, an
    /// empty `refresh_token`, when the dialect would not issue one for `scope`).
    pub fn mint_granted(&self, user: &User, scope: &str) -> MintedTokens {
        let mut inner = self.lock();
        let family = inner.new_family();
        let minting = Minting {
            scope,
            grant_scope: scope,
            client_id: &self.config.client_id,
            with_refresh: self.wants_refresh(scope, false),
        };
        let (access_token, refresh) = self.mint_pair(&mut inner, user, family, &minting);
        MintedTokens {
            access_token,
            refresh_token: refresh.unwrap_or_default(),
            scope: scope.to_owned(),
        }
    }

    // ---- revocation ---------------------------------------------------------------------

    /// Revokes the whole grant (access and refresh tokens of the family) behind `token`,
    /// whichever kind it is. Records the token as posted. Returns the user and client of a
    /// token that was live, `None` for an unknown, revoked or expired one.
    pub fn revoke_grant(&self, token: &str) -> Option<(User, String)> {
        let mut inner = self.lock();
        inner.revoked_posted.push(token.to_owned());
        let rec = inner.tokens.get(token)?;
        let live = rec.status == Status::Live && rec.expires_at.is_none_or(|t| t > Instant::now());
        if !live {
            return None;
        }
        let (family, user, client) = (rec.family, rec.user.clone(), rec.client_id.clone());
        inner.revoke_family(family);
        Some((user, client))
    }

    /// Google: revocation "removes all OAuth 2.0 scopes previously granted", so the next
    /// authorize is a first consent again.
    pub fn forget_consent(&self, client_id: &str, sub: &str) {
        self.lock()
            .consents
            .remove(&(client_id.to_owned(), sub.to_owned()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn narrowing_refuses_duplicates_and_ungranted_scopes() {
        assert_eq!(narrow("a b c", "c a").as_deref(), Ok("c a"));
        assert_eq!(
            narrow("a b", "a a"),
            Err(GrantError::DuplicateScope("a".into()))
        );
        assert_eq!(
            narrow("a b", "a z"),
            Err(GrantError::ScopeNotGranted("z".into()))
        );
    }
}
