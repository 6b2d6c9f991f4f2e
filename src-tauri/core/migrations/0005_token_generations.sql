-- Keyring generations of an account's tokens that may exist besides the current one
-- (token_gen): `pending_gen` is being written and not pointed at yet (set before the keyring
-- write, by the same statement that marks a refresh as sent); `stale_gen` was replaced and not
-- deleted yet (set by the statement that points at the new one). A crash anywhere in between
-- leaves exactly the generation to look at: a pending one is adopted if it was stored (it may
-- hold the only live refresh token), a stale one is deleted. In the account's row, so the
-- read every refresh makes anyway brings them along.
ALTER TABLE accounts ADD COLUMN pending_gen INTEGER;
ALTER TABLE accounts ADD COLUMN stale_gen INTEGER;

-- Installs from before these columns probed generation n+1 on every read and may hold
-- leftovers of interrupted refreshes at n-1 and n+1: name them once, so the first start
-- settles them.
UPDATE accounts SET pending_gen = token_gen + 1,
                    stale_gen = CASE WHEN token_gen > 0 THEN token_gen - 1 END;
