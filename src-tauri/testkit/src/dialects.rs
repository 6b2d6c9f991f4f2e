//! The dialect registry: which [`Protocol`] serves each [`Dialect`].

use crate::aihubmix::AiHubMix;
use crate::easemob::Easemob;
use crate::feishu::Feishu;
use crate::google::Google;
use crate::oidc::GENERIC;
use crate::protocol::Protocol;
use crate::types::{Dialect, User};

impl Dialect {
    /// The implementation serving this dialect. The one place that tells dialects apart.
    pub(crate) fn protocol(self) -> &'static dyn Protocol {
        match self {
            Dialect::Oidc => &GENERIC,
            Dialect::AiHubMix => &AiHubMix,
            Dialect::Google => &Google,
            Dialect::Feishu => &Feishu,
            Dialect::Easemob => &Easemob,
        }
    }
}

impl User {
    /// The default user of a dialect: Oidc `user-1`/`alice`/`alice@example.com`;
    /// AiHubMix id 12345, `user123`, `user@example.com` (the document's example);
    /// Google `110248495921238986420` "Alice Example" in the `example.com` Workspace;
    /// Feishu 张三 (`ou_7d8a…`); Easemob username `c`, nickname `Cici` (the seed's example).
    pub fn default_for(dialect: Dialect) -> Self {
        dialect.protocol().default_user()
    }
}
