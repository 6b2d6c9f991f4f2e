//! The token agent's policy per account and the decisions remembered for programs (`agent_grants`).

use serde::Serialize;
use sqlx::FromRow;

use crate::clock::Millis;
use crate::error::Result;
use crate::store::Store;

/// A decision remembered for a program: `allow` or `deny`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, FromRow)]
pub struct GrantRow {
    pub account_id: i64,
    pub program: String,
    pub decision: String,
    pub decided_at: Millis,
}

impl Store {
    pub async fn agent_policy(&self, id: i64) -> Result<String> {
        Ok(
            sqlx::query_scalar("SELECT agent_policy FROM accounts WHERE id = ?")
                .bind(id)
                .fetch_one(&self.pool)
                .await?,
        )
    }

    pub async fn set_agent_policy(&self, id: i64, policy: &str) -> Result<()> {
        sqlx::query("UPDATE accounts SET agent_policy = ? WHERE id = ?")
            .bind(policy)
            .bind(id)
            .execute(self.writer())
            .await?;
        Ok(())
    }

    /// The decision remembered for `program` on account `id`, if any.
    pub async fn grant(&self, id: i64, program: &str) -> Result<Option<String>> {
        Ok(sqlx::query_scalar(
            "SELECT decision FROM agent_grants WHERE account_id = ? AND program = ?",
        )
        .bind(id)
        .bind(program)
        .fetch_optional(&self.pool)
        .await?)
    }

    pub async fn set_grant(
        &self,
        id: i64,
        program: &str,
        decision: &str,
        now: Millis,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO agent_grants (account_id, program, decision, decided_at) VALUES (?, ?, ?, ?)
             ON CONFLICT (account_id, program) DO UPDATE SET decision = excluded.decision,
             decided_at = excluded.decided_at",
        )
        .bind(id)
        .bind(program)
        .bind(decision)
        .bind(now)
        .execute(self.writer())
        .await?;
        Ok(())
    }

    /// Forgets the decision for `program`; whether there was one.
    pub async fn revoke_grant(&self, id: i64, program: &str) -> Result<bool> {
        let done = sqlx::query("DELETE FROM agent_grants WHERE account_id = ? AND program = ?")
            .bind(id)
            .bind(program)
            .execute(self.writer())
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Every remembered decision (of one account, or all), newest first.
    pub async fn grants(&self, id: Option<i64>) -> Result<Vec<GrantRow>> {
        Ok(sqlx::query_as(
            "SELECT account_id, program, decision, decided_at FROM agent_grants
             WHERE ?1 IS NULL OR account_id = ?1 ORDER BY decided_at DESC, program",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?)
    }
}
