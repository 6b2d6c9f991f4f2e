-- Repeated refusals (forged or stray sign-in callbacks) are one line with a count, not one row
-- each: a flood of requests must not grow the database.
ALTER TABLE activity ADD COLUMN count INTEGER NOT NULL DEFAULT 1;
