-- Each account's low-balance threshold, in the provider's quota units (NULL: no alert), and
-- whether the balance is below it already (the alert is shown once per fall, and re-armed when
-- the balance is back at or above the threshold).
ALTER TABLE accounts ADD COLUMN low_balance_below INTEGER;
ALTER TABLE accounts ADD COLUMN low_balance_alerted INTEGER NOT NULL DEFAULT 0;
