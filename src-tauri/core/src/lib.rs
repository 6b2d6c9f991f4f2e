//! Signet's engine: providers, sign-in flows, token vault, account store and refresh scheduler — no GUI.
//!
//! # Layout
//!
//! Services with one owner each; each gets its collaborators when it is made:
//!
//! | service | owns | collaborators |
//! |---|---|---|
//! | [`credentials::Credentials`] | the token-generation protocol (commit, crash repair, forget), the token cache by generation, client secrets until they change | [`vault::Vault`], [`store::Store`] |
//! | [`vault::Vault`] | keyring calls: one queue, honest time limits, encoding, [`keyring_health`] | a [`vault::SecretBackend`] |
//! | [`store::Store`] | SQLite: accounts, balances, activity, settings, migrations | the database file |
//! | [`registry::Registry`] | the configuration as last read; providers built with their client secrets | [`Config`], [`credentials::Credentials`], [`http::Http`] |
//! | [`rate::RateLimits`] | token requests per second to each provider | the engine's [`Clock`] |
//! | [`loopback`] | a sign-in's local listener; hands callbacks over a channel, never holds the engine | the sign-in that started it |
//! | [`batch::Batcher`] | engine events → batches for the window, the tray and notifications | an event subscription |
//! | [`background::Background`] | the scheduler, the watch on other processes, the keyring watch; dropping it stops them | the [`Engine`] |
//!
//! [`Engine`] composes them (`engine.rs`) and still carries, as methods, what has not moved out
//! yet: provider and preference management (`manage.rs`), sign-ins (`signin.rs`, over
//! [`flow`]), the refresher (`refresh.rs`) and the scheduler (`scheduler.rs`), accounts (`accounts.rs`) and
//! actions (`actions.rs`).

pub mod accounts;
pub mod actions;
pub mod avatars;
pub mod background;
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
pub mod registry;
pub mod scheduler;
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
