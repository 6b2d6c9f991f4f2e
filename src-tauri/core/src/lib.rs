//! Signet's engine: providers, sign-in flows, token vault, account store and refresh scheduler — no GUI.
//!
//! # Layout
//!
//! Services with one owner each. Each gets its collaborators when it is made, in
//! [`Engine::open`], and none sees the [`Engine`]: that is only the composition root and the one
//! API the shell, the CLI and the tests call, handing each call to the service that owns it.
//!
//! | service | owns | collaborators |
//! |---|---|---|
//! | [`base::Base`] | nothing: the handles every service is given (database, credentials, providers, clock, [`base::Events`], [`base::QuitGate`]) | — |
//! | [`credentials::Credentials`] | the token-generation protocol (commit, crash repair, forget), the token cache by generation, client secrets until they change | [`vault::Vault`], [`store::Store`] |
//! | [`vault::Vault`] | keyring calls: one queue, honest time limits, encoding, [`keyring_health`] | a [`vault::SecretBackend`] |
//! | [`store::Store`] | SQLite: accounts, balances, activity, settings, migrations; the refresh path's writes committed in groups by one task (`store/group.rs`) | the database file |
//! | [`registry::Registry`] | the configuration as last read; providers built with their client secrets | [`Config`], [`credentials::Credentials`], [`http::Http`] |
//! | [`signin::SignIns`] | sign-ins in progress ([`flow`]), their listeners and waiters, storing the account they bring | `Base`, the scheduler's wake-up |
//! | [`loopback`] | a sign-in's local listener; hands callbacks over a channel, never holds a service | the sign-in that started it |
//! | [`refresh::Refresher`] | refreshing one account: its locks ([`lock::AccountLocks`]), the concurrency permits, [`rate::RateLimits`], failures and alerts, the balance sample after it; due times in [`due`] | `Base`, the account locks |
//! | [`scheduler::Scheduler`] | when accounts are refreshed: a tick, Refresh all, the loop | `Base`, the refresher, a wake-up |
//! | [`accounts::Accounts`] | accounts as the window and CLI see them: views, lookup, removal, top-up, low-balance alerts ([`billing`]), [`avatars`] | `Base`, the refresher, [`http::Http`] |
//! | [`actions::Actions`] | profile and balance sync, chat actions | `Base`, the refresher |
//! | [`profiles`] | nothing: keeping what a provider said (profile fields, balance samples) after a sign-in, a sync or a refresh | `Base` |
//! | [`manage::Setup`] | providers and preferences (Settings) | `Base`, the sign-ins (an Easemob form signs in) |
//! | [`watch::DatabaseWatch`] | other processes' commits → [`EngineEvent::ExternalChange`] | `Base`, the data folder |
//! | [`keyring_watch::KeyringWatch`] | the keyring's state → [`EngineEvent::KeyringChanged`] | `Base`, the scheduler's wake-up |
//! | [`batch::Batcher`] | engine events → batches for the window, the tray and notifications | an event subscription |
//! | [`agent::Agent`] | the token agent's socket: programs ask it for tokens (docs/agent-protocol.md) | the [`Engine`] it answers with |
//! | [`hooks::Hooks`] | the configuration's `[hooks]` commands, run on account events (also those of other processes) | the [`Engine`]'s events |
//! | [`background::Background`] | the scheduler's loop and the two watches as tasks; dropping it stops them | those three services |

pub mod accounts;
pub mod actions;
pub mod activity;
pub mod agent;
pub mod avatars;
pub mod background;
pub mod base;
pub mod batch;
pub mod billing;
pub mod browser;
pub mod child_env;
pub mod clock;
pub mod config;
pub mod credentials;
pub mod due;
pub mod endpoint;
pub mod engine;
pub mod error;
pub mod flow;
#[doc(hidden)]
pub mod fuzzing;
pub mod hooks;
pub mod http;
pub mod keyring_health;
pub mod keyring_watch;
pub mod lock;
pub mod loopback;
pub mod manage;
pub mod printable;
pub mod private_fs;
pub mod profiles;
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
pub use refresh::{FreshToken, RefreshOutcome};
pub use secret::Secret;
pub use signin::{SignInStart, SignInWaiter};
pub use store::Status;
pub use store::Status as AccountStatus;
pub use vault::Vault;
pub use views::{AccountView, BalanceView, EngineEvent, Revocation};
