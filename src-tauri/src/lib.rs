//! Signet desktop shell.
pub fn run() {}
