-- Preferences (language, notifications, launch at login). Never a secret.
CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
