//! Signet's engine: providers, sign-in flows, token vault, account store and refresh scheduler — no GUI.

pub mod accounts;
pub mod actions;
pub mod avatars;
pub mod batch;
pub mod browser;
pub mod clock;
pub mod config;
pub mod credentials;
pub mod engine;
pub mod error;
pub mod flow;
#[doc(hidden)]
pub mod fuzzing;
pub mod http;
pub mod keyring_health;
pub mod lock;
pub mod loopback;
pub mod manage;
pub mod printable;
pub mod private_fs;
pub mod provider;
pub mod rate;
pub mod refresh;
pub mod secret;
pub mod signin;
pub mod store;
pub mod vault;
pub mod views;
pub mod watch;

pub use clock::{Clock, ManualClock, Millis, SystemClock};
pub use config::{Config, ProviderConfig, ProviderKind, RedirectMode};
pub use engine::{Engine, EngineOptions};
pub use error::{Error, ErrorCode, Result};
pub use refresh::RefreshOutcome;
pub use secret::Secret;
pub use signin::{SignInStart, SignInWaiter};
pub use store::Status;
pub use store::Status as AccountStatus;
pub use vault::Vault;
pub use views::{AccountView, BalanceView, EngineEvent};
