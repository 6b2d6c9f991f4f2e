//! Protocol tests for the fake providers: one test binary with a module per area.

mod aihubmix;
mod common;
mod easemob;
mod faults;
mod feishu;
mod feishu_im;
mod google;
mod google_chat;
mod oidc;
