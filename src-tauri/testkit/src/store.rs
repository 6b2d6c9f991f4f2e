//! Resource data the chat APIs act on: Google Chat spaces, Feishu chats, Easemob users,
//! idempotency keys and every message sent.

use std::collections::HashMap;
use std::time::Instant;

use serde_json::Value;

use crate::tokens::{random_alnum, random_hex, random_uuid, rfc3339_now, unix_now_ms};
use crate::types::SentMessage;

/// A Google Chat named space.
#[derive(Clone, Debug)]
pub(crate) struct Space {
    /// `spaces/AAAA…`
    pub name: String,
    pub display_name: String,
    pub create_time: String,
}

impl Space {
    pub fn new(display_name: &str) -> Self {
        Space {
            name: format!("spaces/AAAA{}", random_alnum(7)),
            display_name: display_name.to_owned(),
            create_time: rfc3339_now(),
        }
    }
}

/// A Feishu group chat.
#[derive(Clone, Debug)]
pub(crate) struct Chat {
    /// `oc_…`
    pub chat_id: String,
    pub name: String,
    pub owner_id: String,
}

impl Chat {
    pub fn new(name: &str, owner_open_id: &str) -> Self {
        Chat {
            chat_id: format!("oc_{}", random_hex(32)),
            name: name.to_owned(),
            owner_id: owner_open_id.to_owned(),
        }
    }
}

/// An Easemob user (`entities[0]` of the user API, `user` of the token response).
#[derive(Clone, Debug)]
pub(crate) struct EasemobUser {
    pub uuid: String,
    /// Always lower case: Easemob user IDs are case-insensitive (the seed asks for `C`
    /// and gets `c` back).
    pub username: String,
    pub password: Option<String>,
    pub nickname: Option<String>,
    pub created: u64,
    pub modified: u64,
    pub activated: bool,
}

impl EasemobUser {
    pub fn new(username: &str, password: Option<&str>, nickname: Option<&str>) -> Self {
        let now = unix_now_ms();
        EasemobUser {
            uuid: random_uuid(),
            username: username.to_lowercase(),
            password: password.map(str::to_owned),
            nickname: nickname.map(str::to_owned),
            created: now,
            modified: now,
            activated: true,
        }
    }

    /// The seed's example user `c` / `1` (uuid and timestamps from the example).
    fn seed_default() -> Self {
        EasemobUser {
            uuid: "aa471ee0-4cfc-11ec-ace5-f90ff121234e".to_owned(),
            username: "c".to_owned(),
            password: Some("1".to_owned()),
            nickname: Some("Cici".to_owned()),
            created: 1_637_740_861_395,
            modified: 1_637_740_861_395,
            activated: true,
        }
    }
}

pub(crate) struct Store {
    /// Every message a chat API accepted, in order.
    pub sent: Vec<SentMessage>,
    pub spaces: Vec<Space>,
    /// Google `requestId` of spaces.create → index into `spaces`.
    pub space_requests: HashMap<String, usize>,
    /// Google `(space, requestId)` of messages.create → the message resource.
    pub message_requests: HashMap<(String, String), Value>,
    pub chats: Vec<Chat>,
    /// Feishu `uuid` → (when, the message `data`), deduplicated for an hour.
    pub im_uuids: HashMap<String, (Instant, Value)>,
    pub easemob_users: Vec<EasemobUser>,
    /// The Easemob application's UUID (`application` in answers).
    pub easemob_application: String,
}

impl Store {
    pub fn new() -> Self {
        Store {
            sent: Vec::new(),
            spaces: Vec::new(),
            space_requests: HashMap::new(),
            message_requests: HashMap::new(),
            chats: Vec::new(),
            im_uuids: HashMap::new(),
            easemob_users: vec![EasemobUser::seed_default()],
            easemob_application: random_uuid(),
        }
    }

    pub fn easemob_user(&self, username: &str) -> Option<&EasemobUser> {
        let wanted = username.to_lowercase();
        self.easemob_users.iter().find(|u| u.username == wanted)
    }

    /// Adds or replaces the user with that (case-insensitive) username.
    pub fn put_easemob_user(&mut self, user: EasemobUser) {
        self.easemob_users.retain(|u| u.username != user.username);
        self.easemob_users.push(user);
    }
}
