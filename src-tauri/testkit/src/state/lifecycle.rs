//! Token lifecycle: access checks (generic dialects), revocation, forced expiry and token state.

use std::time::Instant;

use super::{reject, Kind, Rejection, Shared, Status};
use crate::types::{TokenState, User};

impl Shared {
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

    /// Every outstanding authorization code is past its lifetime.
    pub fn expire_codes(&self) {
        let now = Instant::now();
        for stored in self.lock().codes.values_mut() {
            stored.expires_at = now;
        }
    }

    /// Every refresh token is past its lifetime (Feishu 20037).
    pub fn expire_refresh_tokens(&self) {
        let now = Instant::now();
        for rec in self.lock().tokens.values_mut() {
            if rec.kind == Kind::Refresh {
                rec.expires_at = Some(now);
            }
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
}
