-- When the person last completed a sign-in (consent) for the account: some providers end a
-- sign-in a fixed time after consent (Google "Testing" apps: 7 days), and messages say so.
ALTER TABLE accounts ADD COLUMN signed_in_at INTEGER;
UPDATE accounts SET signed_in_at = created_at;
