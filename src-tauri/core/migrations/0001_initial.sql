-- Accounts and their non-secret metadata. Secrets (tokens, passwords, client secrets) live in
-- the OS keyring only; no column here ever holds one.
CREATE TABLE accounts (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    provider           TEXT    NOT NULL,             -- the provider's configured name
    provider_kind      TEXT    NOT NULL,
    subject            TEXT    NOT NULL,             -- the provider's stable user id (never the e-mail)
    display_name       TEXT    NOT NULL,
    email              TEXT,
    avatar_url         TEXT,
    profile_json       TEXT    NOT NULL DEFAULT '{}', -- extra display fields (non-secret)
    scopes             TEXT,
    status             TEXT    NOT NULL DEFAULT 'fresh',  -- fresh|refreshing|retrying|reauth|setup
    status_code        TEXT,                          -- stable reason code for the status
    status_message     TEXT,                          -- a sentence for the person
    access_expires_at  INTEGER,                       -- unix ms
    refresh_expires_at INTEGER,                       -- unix ms, when the provider states one
    access_lifetime_ms INTEGER,
    last_refresh_at    INTEGER,
    next_refresh_at    INTEGER,
    failure_streak     INTEGER NOT NULL DEFAULT 0,
    failing_since      INTEGER,
    alerted            INTEGER NOT NULL DEFAULT 0,    -- an alert for the current episode was raised
    token_gen          INTEGER NOT NULL DEFAULT 0,    -- which keyring generation holds the current tokens
    refresh_gen        INTEGER NOT NULL DEFAULT 0,    -- bumped by every completed refresh (single flight)
    refresh_in_doubt   INTEGER NOT NULL DEFAULT 0,    -- a refresh was sent and its answer never arrived
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL,
    UNIQUE (provider, subject)
);

CREATE INDEX accounts_next_refresh ON accounts (next_refresh_at);

-- Balance over time, for providers that have one (AIHubMix).
CREATE TABLE balance_samples (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id  INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    sampled_at  INTEGER NOT NULL,
    quota       INTEGER,
    used_quota  INTEGER,
    formatted   TEXT
);

CREATE INDEX balance_samples_account ON balance_samples (account_id, sampled_at);

-- What happened: sign-ins, refreshes, errors. Kept when an account is removed (account_id set NULL).
CREATE TABLE activity (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    at          INTEGER NOT NULL,
    account_id  INTEGER REFERENCES accounts (id) ON DELETE SET NULL,
    account     TEXT,                                 -- label at the time, survives removal
    kind        TEXT    NOT NULL,                     -- sign_in|refresh|remove|error|...
    outcome     TEXT    NOT NULL,                     -- ok|retrying|reauth|setup|skipped|...
    code        TEXT,
    message     TEXT
);

CREATE INDEX activity_at ON activity (at);
