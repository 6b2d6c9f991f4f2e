//! Credentials: the one home of the token-generation protocol (keyring item per generation, the database's pointer, crash repair, orphan cleanup) and of the caches that spare the keyring.
//!
//! An account's tokens live in the keyring under `account/{id}/tokens/{generation}`; the
//! database's `accounts.token_gen` says which generation is current. A commit:
//!
//! 1. lists the generation it will write and the one it replaces in `token_generations`;
//! 2. writes the new generation to the keyring (one call);
//! 3. lets the caller point the database at it (with whatever else the caller records);
//! 4. deletes the old generation (one call) and both lines.
//!
//! A crash anywhere leaves lines naming exactly the items to look at; [`Credentials::repair`]
//! (at the next commit of that account, and at start) adopts a newer generation — it may hold
//! the only refresh token the provider still accepts — and deletes older ones.
//!
//! Items never change once written, so tokens read or written by this process are cached by
//! generation: a refresh of an account this process already holds reads nothing. Client
//! secrets are read once per process and read again only when some process says one changed
//! (a counter in the database).

use std::collections::HashMap;
use std::future::Future;
use std::sync::Mutex;

use crate::error::Result;
use crate::secret::Secret;
use crate::store::{AccountRow, Store};
use crate::vault::{Tokens, Vault};

/// The settings key counting client-secret changes (any process bumps it).
const SECRETS_CHANGED: &str = "client_secrets_changed";

pub struct Credentials {
    vault: Vault,
    store: Store,
    /// account → (generation, tokens) of the current generation, as last read or written here.
    cache: Mutex<HashMap<i64, (i64, Tokens)>>,
    /// Tokens a provider issued that the keyring refused to store: held until it takes them.
    unsaved: Mutex<HashMap<i64, Tokens>>,
    /// provider → secret, valid while the change counter is the one recorded with it.
    secrets: Mutex<HashMap<String, (String, Secret)>>,
    /// One keyring read of a client secret at a time: a storm's first refreshes share it.
    secret_reads: tokio::sync::Mutex<()>,
}

impl Credentials {
    pub fn new(vault: Vault, store: Store) -> Self {
        Credentials {
            vault,
            store,
            cache: Mutex::new(HashMap::new()),
            unsaved: Mutex::new(HashMap::new()),
            secrets: Mutex::new(HashMap::new()),
            secret_reads: tokio::sync::Mutex::new(()),
        }
    }

    pub fn vault(&self) -> &Vault {
        &self.vault
    }

    /// The account's current tokens: held unsaved ones first, then this process's cache, then
    /// one keyring read. `None` when the keyring has no usable item for the current generation.
    pub async fn load(&self, row: &AccountRow) -> Result<Option<Tokens>> {
        if let Some(t) = lock(&self.unsaved).get(&row.id) {
            return Ok(Some(t.clone()));
        }
        if let Some((g, t)) = lock(&self.cache).get(&row.id) {
            if *g == row.token_gen {
                return Ok(Some(t.clone()));
            }
        }
        let t = self.vault.get_tokens(row.id, row.token_gen).await?;
        if let Some(t) = &t {
            lock(&self.cache).insert(row.id, (row.token_gen, t.clone()));
        }
        Ok(t)
    }

    /// Holds tokens the keyring refused, so a rotated refresh token is never dropped: they are
    /// what [`Credentials::load`] returns until a commit stores them.
    pub fn hold(&self, id: i64, tokens: &Tokens) {
        lock(&self.unsaved).insert(id, tokens.clone());
    }

    /// Whether this process holds tokens for `id` that the keyring has not taken yet.
    pub fn holds_unsaved(&self, id: i64) -> bool {
        lock(&self.unsaved).contains_key(&id)
    }

    /// How many accounts' tokens are held unsaved (quitting now would lose them).
    pub fn unsaved_count(&self) -> usize {
        lock(&self.unsaved).len()
    }

    /// Stores `tokens` as the generation after `from` (the first generation, 0, when `from` is
    /// `None`), then calls `point(new_generation)` to make the database point at it, then
    /// deletes the replaced generation. The caller holds the account's locks.
    ///
    /// If the keyring refuses the write, nothing changes and the error is returned (a refresh
    /// then [holds](Credentials::hold) the tokens).
    pub async fn commit<F, Fut>(
        &self,
        id: i64,
        from: Option<i64>,
        tokens: &Tokens,
        point: F,
    ) -> Result<i64>
    where
        F: FnOnce(i64) -> Fut,
        Fut: Future<Output = Result<()>>,
    {
        let new_gen = from.map_or(0, |g| g + 1);
        self.list_generations(id, &[Some(new_gen), from]).await?;
        self.vault.put_tokens(id, new_gen, tokens).await?;
        lock(&self.unsaved).remove(&id);
        point(new_gen).await?;
        lock(&self.cache).insert(id, (new_gen, tokens.clone()));
        if let Some(old) = from {
            self.drop_generation(id, old).await;
        }
        self.unlist(id, new_gen).await?;
        Ok(new_gen)
    }

    /// Settles what an interrupted commit left for this account (the caller holds its locks):
    /// a newer generation is adopted through `adopt(generation, tokens)` — which points the
    /// database at it — and every other listed generation is deleted. Returns the generation
    /// adopted, if any. One SQL query when there is nothing to do.
    pub async fn repair<F, Fut>(&self, row: &AccountRow, adopt: F) -> Result<Option<i64>>
    where
        F: FnOnce(i64, Tokens) -> Fut,
        Fut: Future<Output = Result<()>>,
    {
        let listed = self.listed(row.id).await?;
        if listed.is_empty() {
            return Ok(None);
        }
        let mut current = row.token_gen;
        let mut adopted = None;
        let mut adopt = Some(adopt);
        let mut newer: Vec<i64> = listed.iter().copied().filter(|g| *g > current).collect();
        newer.sort_unstable_by(|a, b| b.cmp(a));
        for g in newer {
            if adopted.is_some() {
                break;
            }
            if let Some(t) = self.vault.get_tokens(row.id, g).await? {
                if let Some(f) = adopt.take() {
                    f(g, t.clone()).await?;
                }
                lock(&self.cache).insert(row.id, (g, t));
                tracing::info!(
                    account = row.id,
                    "recovered tokens stored by an interrupted refresh"
                );
                adopted = Some(g);
                current = g;
            }
        }
        // Everything listed but the current generation goes (the old current too, if a newer
        // one was adopted).
        let mut gone: Vec<i64> = listed.into_iter().filter(|g| *g != current).collect();
        if adopted.is_some() {
            gone.push(row.token_gen);
        }
        for g in gone {
            self.drop_generation(row.id, g).await;
        }
        self.unlist(row.id, current).await?;
        Ok(adopted)
    }

    /// Accounts with generations listed: those a crash may have left something for.
    pub async fn accounts_to_repair(&self) -> Result<Vec<i64>> {
        Ok(
            sqlx::query_scalar("SELECT DISTINCT account_id FROM token_generations ORDER BY 1")
                .fetch_all(self.store.pool())
                .await?,
        )
    }

    /// Deletes every generation of the account's tokens that may exist, and forgets it here.
    pub async fn forget(&self, row: &AccountRow) -> Result<()> {
        let mut gens = self.listed(row.id).await?;
        gens.push(row.token_gen);
        gens.sort_unstable();
        gens.dedup();
        for g in gens {
            self.vault.delete_tokens(row.id, g).await?;
        }
        sqlx::query("DELETE FROM token_generations WHERE account_id = ?")
            .bind(row.id)
            .execute(self.store.pool())
            .await?;
        lock(&self.cache).remove(&row.id);
        lock(&self.unsaved).remove(&row.id);
        Ok(())
    }

    /// A provider's client secret from the keyring: read once, then from memory until any
    /// process records a change.
    pub async fn client_secret(&self, provider: &str) -> Result<Option<Secret>> {
        let version = self.secrets_version().await?;
        let cached = || {
            lock(&self.secrets)
                .get(provider)
                .filter(|(v, _)| *v == version)
                .map(|(_, s)| s.clone())
        };
        if let Some(s) = cached() {
            return Ok(Some(s));
        }
        let _one_read = self.secret_reads.lock().await;
        if let Some(s) = cached() {
            return Ok(Some(s));
        }
        let secret = self.vault.get_client_secret(provider).await?;
        match &secret {
            Some(s) => {
                lock(&self.secrets).insert(provider.to_owned(), (version, s.clone()));
            }
            None => {
                lock(&self.secrets).remove(provider);
            }
        }
        Ok(secret)
    }

    /// Stores a provider's client secret and tells every process it changed.
    pub async fn set_client_secret(&self, provider: &str, secret: &Secret) -> Result<()> {
        self.vault.put_client_secret(provider, secret).await?;
        self.bump_secrets_version().await
    }

    /// Deletes a provider's client secret and tells every process it changed.
    pub async fn delete_client_secret(&self, provider: &str) -> Result<()> {
        self.vault.delete_client_secret(provider).await?;
        self.bump_secrets_version().await
    }

    async fn secrets_version(&self) -> Result<String> {
        Ok(self
            .store
            .setting(SECRETS_CHANGED)
            .await?
            .unwrap_or_default())
    }

    async fn bump_secrets_version(&self) -> Result<()> {
        sqlx::query(
            "INSERT INTO settings (key, value) VALUES (?, '1')
             ON CONFLICT(key) DO UPDATE SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT)",
        )
        .bind(SECRETS_CHANGED)
        .execute(self.store.pool())
        .await?;
        Ok(())
    }

    /// Deletes one generation's keyring item; a failure is logged and the line stays listed,
    /// so a later repair deletes it.
    async fn drop_generation(&self, id: i64, generation: i64) {
        match self.vault.delete_tokens(id, generation).await {
            Ok(()) => {
                let _ = sqlx::query(
                    "DELETE FROM token_generations WHERE account_id = ? AND generation = ?",
                )
                .bind(id)
                .bind(generation)
                .execute(self.store.pool())
                .await;
            }
            Err(e) => tracing::warn!(
                account = id,
                code = e.code.as_str(),
                "old token generation not deleted yet"
            ),
        }
    }

    async fn list_generations(&self, id: i64, gens: &[Option<i64>]) -> Result<()> {
        for g in gens.iter().flatten() {
            sqlx::query(
                "INSERT OR IGNORE INTO token_generations (account_id, generation) VALUES (?, ?)",
            )
            .bind(id)
            .bind(g)
            .execute(self.store.pool())
            .await?;
        }
        Ok(())
    }

    async fn unlist(&self, id: i64, generation: i64) -> Result<()> {
        sqlx::query("DELETE FROM token_generations WHERE account_id = ? AND generation = ?")
            .bind(id)
            .bind(generation)
            .execute(self.store.pool())
            .await?;
        Ok(())
    }

    async fn listed(&self, id: i64) -> Result<Vec<i64>> {
        Ok(sqlx::query_scalar(
            "SELECT generation FROM token_generations WHERE account_id = ? ORDER BY generation",
        )
        .bind(id)
        .fetch_all(self.store.pool())
        .await?)
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    match m.lock() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    }
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("cached", &lock(&self.cache).len())
            .field("unsaved", &lock(&self.unsaved).len())
            .finish()
    }
}
