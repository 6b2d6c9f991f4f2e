//! Protocol tests for the fake providers: one test binary with a module per area.

mod aihubmix;
mod common;
mod faults;
mod oidc;
