-- Keyring generations of an account's tokens that may exist besides the current one
-- (accounts.token_gen). A commit lists the generation it is about to write and the one it
-- replaces before touching the keyring, and removes both lines once the old one is deleted, so
-- a crash anywhere in between leaves a line saying exactly which keyring item to look at:
-- a newer one is adopted (it may hold the only live refresh token), an older one deleted.
CREATE TABLE token_generations (
    account_id INTEGER NOT NULL,
    generation INTEGER NOT NULL,
    PRIMARY KEY (account_id, generation)
) WITHOUT ROWID;

-- Installs from before this table probed generation n+1 on every read and may hold leftovers
-- of interrupted refreshes at n-1 and n+1: list them once, so the first start cleans them up.
INSERT INTO token_generations (account_id, generation) SELECT id, token_gen + 1 FROM accounts;
INSERT INTO token_generations (account_id, generation) SELECT id, token_gen - 1 FROM accounts WHERE token_gen > 0;
