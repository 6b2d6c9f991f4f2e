//! The engine's one error type: a stable code for programs and a sentence for people.

use std::fmt;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// Stable, closed set of error codes. The UI maps them to localized text; scripts map them to
/// exit codes. Never rename one: add a new one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum ErrorCode {
    /// No keyring (Secret Service, Keychain, Credential Manager) could be reached.
    KeyringUnavailable,
    /// The keyring is there but locked, and was not unlocked.
    KeyringLocked,
    /// The keyring did not answer in time.
    KeyringTimeout,
    /// The configuration file or a setting is wrong.
    Config,
    /// The account, provider or entry asked for does not exist.
    NotFound,
    /// A sign-in callback that matches no sign-in in progress (unknown, used or forged state).
    UnknownSignIn,
    /// The sign-in took longer than allowed.
    SignInExpired,
    /// A callback for one provider arrived carrying another provider's sign-in (mix-up defence).
    ProviderMismatch,
    /// The callback's `iss` names a different issuer than the one the sign-in started with.
    IssuerMismatch,
    /// The person cancelled or refused the sign-in at the provider.
    SignInCancelled,
    /// The callback URL is not one Signet understands.
    BadCallback,
    /// Re-authentication returned a different user than the account being re-authenticated.
    SubjectMismatch,
    /// The provider no longer accepts this account's credentials: sign in again.
    ReauthRequired,
    /// Provider set-up is wrong (client id/secret, redirect URI): fix the settings.
    SetupProblem,
    /// The provider could not be reached or answered with a temporary error; Signet retries.
    Temporary,
    /// The provider's answer could not be understood.
    Protocol,
    /// The local database failed.
    Storage,
    /// The action needs a permission the person has not granted yet; sign in again to grant it.
    ScopeMissing,
    /// The provider refused this one action (unknown recipient, name taken…); the account is fine.
    ActionRefused,
    /// The token agent refused the caller (another user, or the account's policy).
    Denied,
    /// A request to the token agent that it does not understand (malformed, unknown, too long).
    BadRequest,
    /// Anything else; a bug.
    Internal,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::KeyringUnavailable => "keyring_unavailable",
            ErrorCode::KeyringLocked => "keyring_locked",
            ErrorCode::KeyringTimeout => "keyring_timeout",
            ErrorCode::Config => "config",
            ErrorCode::NotFound => "not_found",
            ErrorCode::UnknownSignIn => "unknown_sign_in",
            ErrorCode::SignInExpired => "sign_in_expired",
            ErrorCode::ProviderMismatch => "provider_mismatch",
            ErrorCode::IssuerMismatch => "issuer_mismatch",
            ErrorCode::SignInCancelled => "sign_in_cancelled",
            ErrorCode::BadCallback => "bad_callback",
            ErrorCode::SubjectMismatch => "subject_mismatch",
            ErrorCode::ReauthRequired => "reauth_required",
            ErrorCode::SetupProblem => "setup_problem",
            ErrorCode::Temporary => "temporary",
            ErrorCode::Protocol => "protocol",
            ErrorCode::Storage => "storage",
            ErrorCode::ScopeMissing => "scope_missing",
            ErrorCode::ActionRefused => "action_refused",
            ErrorCode::Denied => "denied",
            ErrorCode::BadRequest => "bad_request",
            ErrorCode::Internal => "internal",
        }
    }
}

/// An error with a code and a message written for a person. Messages never contain a token,
/// code, verifier or secret: they are built from fixed text and non-secret identifiers only.
/// This is also the one error type at the IPC boundary: the UI maps `code` to localized text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Error {
    pub code: ErrorCode,
    pub message: String,
}

impl Error {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Error {
            code,
            message: message.into(),
        }
    }
    pub fn config(message: impl Into<String>) -> Self {
        Error::new(ErrorCode::Config, message)
    }
    pub fn not_found(message: impl Into<String>) -> Self {
        Error::new(ErrorCode::NotFound, message)
    }
    pub fn internal(message: impl Into<String>) -> Self {
        Error::new(ErrorCode::Internal, message)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

impl From<sqlx::Error> for Error {
    fn from(e: sqlx::Error) -> Self {
        // sqlx errors carry SQL and paths, never bound secret values (no secret is ever bound).
        Error::new(
            ErrorCode::Storage,
            format!("Signet's database could not be read or written ({e}). Your accounts are unchanged; try again, and if it persists see the log."),
        )
    }
}

impl From<sqlx::migrate::MigrateError> for Error {
    fn from(e: sqlx::migrate::MigrateError) -> Self {
        Error::new(
            ErrorCode::Storage,
            format!("Signet's database could not be upgraded ({e}). Nothing was changed."),
        )
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
