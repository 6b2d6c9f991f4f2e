//! `OAuthServer` methods for seeding and inspecting the Google, Feishu and Easemob dialects:
//! codes, consent, registered clients, expiry, counters, spaces, chats, messages, Easemob users.

use crate::state::CodeGrant;
use crate::store::{Chat, EasemobUser, Space};
use crate::types::SentMessage;
use crate::OAuthServer;

impl OAuthServer {
    /// `"oidc"`, `"aihubmix"`, `"google"`, `"feishu"`, `"lark"` or `"easemob"`.
    pub fn brand(&self) -> &'static str {
        self.protocol.brand(self.config())
    }

    /// Issues an authorization code for the current user and [`OAuthServer::default_scope`]
    /// without the authorize request, bound to `redirect_uri` and (if given) an S256
    /// `code_challenge`. Panics for Easemob, which has no codes.
    pub fn issue_code(&self, redirect_uri: &str, code_challenge: Option<&str>) -> String {
        assert!(
            self.protocol.signs_in_with_browser(),
            "testkit: {} has no authorization codes (use mint_tokens or the token API)",
            self.brand()
        );
        self.shared.issue_code(CodeGrant {
            client_id: self.client_id(),
            redirect_uri: redirect_uri.to_owned(),
            user: self.user(),
            scope: self.default_scope().to_owned(),
            nonce: None,
            code_challenge: code_challenge.map(str::to_owned),
            omit_refresh: false,
        })
    }

    /// Google and Feishu: what the "user" agrees to on the consent screen. `None` (default)
    /// grants everything requested; `Some(list)` grants only the requested scopes in `list`
    /// (Google: plus the sign-in scopes `openid`, `email`, `profile`, which have no
    /// checkbox).
    pub fn set_granted_scopes(&self, scopes: Option<Vec<String>>) {
        self.shared.set_granted_override(scopes);
    }

    /// Every scope `sub` granted this server's client so far (Google's memory for
    /// `include_granted_scopes`, Feishu's accumulated grant); empty if none.
    pub fn consented_scopes(&self, sub: &str) -> Vec<String> {
        self.shared
            .consented(&self.client_id(), sub)
            .unwrap_or_default()
    }

    /// Feishu: replaces the scopes enabled for the app (权限管理); authorize refuses others.
    pub fn set_enabled_scopes(&self, scopes: Vec<String>) {
        self.shared.set_enabled_scopes(scopes);
    }

    /// Google and Feishu: registers another client (e.g. to exercise Feishu 20024, a code
    /// of one app redeemed by another).
    pub fn add_client(&self, client_id: &str, client_secret: &str) {
        self.shared.add_client(client_id, client_secret);
    }

    /// Every outstanding authorization code is expired (Google invalid_grant, Feishu 20004).
    pub fn expire_codes(&self) {
        self.shared.expire_codes();
    }

    /// Every refresh token is expired (Feishu 20037, Google invalid_grant).
    pub fn expire_refresh_tokens(&self) {
        self.shared.expire_refresh_tokens();
    }

    /// Token-endpoint requests with that `grant_type` (refused ones included; `""` counts
    /// requests without one).
    pub fn grant_requests(&self, grant_type: &str) -> usize {
        self.shared.grant_requests(grant_type)
    }

    /// Easemob app-token requests (`grant_type=client_credentials`).
    pub fn app_token_requests(&self) -> usize {
        self.grant_requests("client_credentials")
    }

    /// Every message a chat API accepted (Google Chat, Feishu IM, Easemob), in order.
    pub fn sent_messages(&self) -> Vec<SentMessage> {
        self.shared.store().sent.clone()
    }

    // ---- Google Chat --------------------------------------------------------------------

    /// Adds a named space the user is a member of; returns its name `spaces/AAAA…`.
    pub fn add_space(&self, display_name: &str) -> String {
        let space = Space::new(display_name);
        let name = space.name.clone();
        self.shared.store().spaces.push(space);
        name
    }

    /// (name, displayName) of every space, in creation order.
    pub fn spaces(&self) -> Vec<(String, String)> {
        self.shared
            .store()
            .spaces
            .iter()
            .map(|s| (s.name.clone(), s.display_name.clone()))
            .collect()
    }

    // ---- Feishu IM ----------------------------------------------------------------------

    /// Adds a group chat the user is in (owned by the current user); returns its `oc_…` id.
    pub fn add_chat(&self, name: &str) -> String {
        let chat = Chat::new(name, &self.user().sub);
        let id = chat.chat_id.clone();
        self.shared.store().chats.push(chat);
        id
    }

    /// (chat_id, name) of every chat, in creation order.
    pub fn chats(&self) -> Vec<(String, String)> {
        self.shared
            .store()
            .chats
            .iter()
            .map(|c| (c.chat_id.clone(), c.name.clone()))
            .collect()
    }

    // ---- Easemob ------------------------------------------------------------------------

    /// The Easemob org name (first path segment, `ServerConfig::easemob_org`).
    pub fn easemob_org(&self) -> String {
        self.config().easemob_org.clone()
    }

    /// The Easemob app name (second path segment, `ServerConfig::easemob_app`).
    pub fn easemob_app(&self) -> String {
        self.config().easemob_app.clone()
    }

    /// The Easemob application UUID (`application` in the answers).
    pub fn easemob_application(&self) -> String {
        self.shared.store().easemob_application.clone()
    }

    /// Registers (or replaces) an Easemob user. Usernames are case-insensitive.
    pub fn add_easemob_user(&self, username: &str, password: &str, nickname: &str) {
        if password.len() >= 6 {
            self.shared.note_issued(password);
        }
        self.shared.store().put_easemob_user(EasemobUser::new(
            username,
            Some(password),
            Some(nickname),
        ));
    }

    /// Bans (`false`) or re-activates an Easemob user, as the console's 用户管理 does; the
    /// token and users APIs then report `"activated": false`.
    pub fn set_easemob_user_activated(&self, username: &str, activated: bool) {
        let mut store = self.shared.store();
        if let Some(mut user) = store.easemob_user(username).cloned() {
            user.activated = activated;
            store.put_easemob_user(user);
        }
    }

    /// Whether an Easemob user with that (case-insensitive) username exists.
    pub fn easemob_user_exists(&self, username: &str) -> bool {
        self.shared.store().easemob_user(username).is_some()
    }
}
