//! Credentials: the one home of the token-generation protocol (keyring item per generation, the database's pointer, crash repair, orphan cleanup) and of the caches that spare the keyring.
//!
//! An account's tokens live in the keyring under `account/{id}/tokens/{generation}`; the
//! account's row says which generation is current (`token_gen`). A commit:
//!
//! 1. names the generation it will write as `pending_gen` (a refresh does it in the statement
//!    that marks the refresh as sent: no extra round trip);
//! 2. writes that generation to the keyring (one call);
//! 3. lets the caller point the row at it (`Store::record_refresh` / `record_tokens`, which
//!    also turn the replaced generation into `stale_gen` and clear `pending_gen`);
//! 4. deletes the replaced generation (one call) and clears `stale_gen` — after the storm the
//!    commit belongs to ([`Credentials::flush`]), so that a storm's keyring time goes to the
//!    writes that make accounts fresh.
//!
//! A crash anywhere leaves the row naming exactly the item to look at; [`Credentials::repair`]
//! (before the next commit of that account, and at start) adopts a pending generation that was
//! stored — it may hold the only refresh token the provider still accepts — and deletes a stale
//! one.
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
    /// The change counter as last read; read again after another process wrote to the
    /// database ([`Credentials::others_wrote`]), so a refresh costs no query for it.
    secrets_seen: Mutex<Option<String>>,
    /// Replaced generations still to delete from the keyring (their rows name them as stale):
    /// deleted by [`Credentials::flush`] once a storm is over, one at a time, so that during a
    /// storm the keyring serves the writes that make accounts fresh, and afterwards the other
    /// place in its queue stays free for whatever a person does meanwhile. Lost in a crash or
    /// left at quit, they are deleted at the next start (the rows still name them).
    stale: Mutex<Vec<(i64, i64)>>,
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
            secrets_seen: Mutex::new(None),
            stale: Mutex::new(Vec::new()),
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
    /// `None`), then calls `point(new_generation)` to make the row point at it, then deletes the
    /// replaced generation. `pending_named`: the caller's own statement already named the new
    /// generation as pending (a refresh's "sent" mark). The caller holds the account's locks.
    ///
    /// If the keyring refuses the write, nothing changes and the error is returned (a refresh
    /// then [holds](Credentials::hold) the tokens).
    pub async fn commit<F, Fut>(
        &self,
        id: i64,
        from: Option<i64>,
        tokens: &Tokens,
        pending_named: bool,
        point: F,
    ) -> Result<i64>
    where
        F: FnOnce(i64) -> Fut,
        Fut: Future<Output = Result<()>>,
    {
        let new_gen = from.map_or(0, |g| g + 1);
        if !pending_named && from.is_some() {
            self.set_pending(id, Some(new_gen)).await?;
        }
        self.vault.put_tokens(id, new_gen, tokens).await?;
        lock(&self.unsaved).remove(&id);
        point(new_gen).await?;
        lock(&self.cache).insert(id, (new_gen, tokens.clone()));
        if let Some(old) = from.filter(|old| *old != new_gen) {
            lock(&self.stale).push((id, old));
        }
        Ok(new_gen)
    }

    /// Settles what an interrupted commit left for this account (the caller holds its locks):
    /// a pending generation that was stored is adopted through `adopt(generation, tokens)` —
    /// which points the row at it — and a stale one is deleted. Returns the generation adopted,
    /// if any. Nothing to do (the usual case) costs nothing: the row says so.
    pub async fn repair<F, Fut>(&self, row: &AccountRow, adopt: F) -> Result<Option<i64>>
    where
        F: FnOnce(i64, Tokens) -> Fut,
        Fut: Future<Output = Result<()>>,
    {
        let mut adopted = None;
        if let Some(pending) = row.pending_gen {
            let stored = match pending > row.token_gen {
                true => self.vault.get_tokens(row.id, pending).await?,
                false => None,
            };
            match stored {
                Some(t) => {
                    adopt(pending, t.clone()).await?;
                    lock(&self.cache).insert(row.id, (pending, t));
                    tracing::info!(
                        account = row.id,
                        "recovered tokens stored by an interrupted refresh"
                    );
                    adopted = Some(pending);
                    // The adopting statement made the old current generation stale.
                    self.drop_stale(row.id, row.token_gen).await;
                }
                None => self.set_pending(row.id, None).await?,
            }
        }
        if let Some(stale) = row.stale_gen {
            if Some(stale) != adopted && stale != row.token_gen {
                self.vault.delete_tokens(row.id, stale).await?;
            }
            self.clear_stale(row.id, stale).await?;
        }
        Ok(adopted)
    }

    /// Accounts whose row names a pending or stale generation: those a crash may have left
    /// something for.
    pub async fn accounts_to_repair(&self) -> Result<Vec<i64>> {
        Ok(sqlx::query_scalar(
            "SELECT id FROM accounts WHERE pending_gen IS NOT NULL OR stale_gen IS NOT NULL ORDER BY id",
        )
        .fetch_all(self.store.pool())
        .await?)
    }

    /// Deletes every generation of the account's tokens that may exist, and forgets it here.
    pub async fn forget(&self, row: &AccountRow) -> Result<()> {
        let mut gens = vec![row.token_gen];
        gens.extend(row.pending_gen);
        gens.extend(row.stale_gen);
        gens.sort_unstable();
        gens.dedup();
        for g in gens {
            self.vault.delete_tokens(row.id, g).await?;
        }
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

    /// Another process wrote to the database: a client secret may have changed.
    pub fn others_wrote(&self) {
        *lock(&self.secrets_seen) = None;
    }

    async fn secrets_version(&self) -> Result<String> {
        if let Some(v) = lock(&self.secrets_seen).clone() {
            return Ok(v);
        }
        let v = self
            .store
            .setting(SECRETS_CHANGED)
            .await?
            .unwrap_or_default();
        *lock(&self.secrets_seen) = Some(v.clone());
        Ok(v)
    }

    async fn bump_secrets_version(&self) -> Result<()> {
        sqlx::query(
            "INSERT INTO settings (key, value) VALUES (?, '1')
             ON CONFLICT(key) DO UPDATE SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT)",
        )
        .bind(SECRETS_CHANGED)
        .execute(self.store.writer())
        .await?;
        self.others_wrote();
        Ok(())
    }

    /// Deletes the generations replaced since the last flush, one at a time while `go_on()`
    /// (at quit the rest are left to the next start), and clears `stale_gen` of their rows, in
    /// one statement per 200.
    pub async fn flush(&self, go_on: &(dyn Fn() -> bool + Send + Sync)) -> Result<()> {
        let stale = std::mem::take(&mut *lock(&self.stale));
        let mut done = Vec::with_capacity(stale.len());
        for (id, generation) in stale {
            if !go_on() {
                break;
            }
            match self.vault.delete_tokens(id, generation).await {
                Ok(()) => done.push((id, generation)),
                Err(e) => tracing::warn!(
                    account = id,
                    code = e.code.as_str(),
                    "old token generation not deleted yet"
                ),
            }
        }
        for chunk in done.chunks(200) {
            let pairs = vec!["(?, ?)"; chunk.len()].join(", ");
            let sql = format!(
                "UPDATE accounts SET stale_gen = NULL WHERE (id, stale_gen) IN (VALUES {pairs})"
            );
            let mut q = sqlx::query(&sql);
            for (id, generation) in chunk {
                q = q.bind(id).bind(generation);
            }
            q.execute(self.store.writer()).await?;
        }
        Ok(())
    }

    /// Deletes a replaced generation's keyring item and clears `stale_gen` (repair); a failure
    /// is logged and the row keeps naming it, so the next repair deletes it.
    async fn drop_stale(&self, id: i64, generation: i64) {
        let outcome = match self.vault.delete_tokens(id, generation).await {
            Ok(()) => self.clear_stale(id, generation).await,
            Err(e) => Err(e),
        };
        if let Err(e) = outcome {
            tracing::warn!(
                account = id,
                code = e.code.as_str(),
                "old token generation not deleted yet"
            );
        }
    }

    async fn clear_stale(&self, id: i64, generation: i64) -> Result<()> {
        sqlx::query("UPDATE accounts SET stale_gen = NULL WHERE id = ? AND stale_gen = ?")
            .bind(id)
            .bind(generation)
            .execute(self.store.writer())
            .await?;
        Ok(())
    }

    async fn set_pending(&self, id: i64, generation: Option<i64>) -> Result<()> {
        sqlx::query("UPDATE accounts SET pending_gen = ? WHERE id = ?")
            .bind(generation)
            .bind(id)
            .execute(self.store.writer())
            .await?;
        Ok(())
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
