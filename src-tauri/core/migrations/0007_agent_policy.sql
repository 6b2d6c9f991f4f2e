-- The token agent's policy for each account (allow, ask or deny), and what the person decided
-- for a program under `ask` ("Always" → allow, "Deny" → deny), by its executable's path.
ALTER TABLE accounts ADD COLUMN agent_policy TEXT NOT NULL DEFAULT 'allow';
CREATE TABLE agent_grants (
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    program    TEXT NOT NULL,
    decision   TEXT NOT NULL,
    decided_at INTEGER NOT NULL,
    PRIMARY KEY (account_id, program)
);
