-- Content checks: identifier scan of deposits (quarantine), disclosure check of results.

-- Deposits: clean, quarantined or confirmed. Results: passed, failed or overridden (once checked).
ALTER TABLE files ADD COLUMN check_status TEXT;
-- The findings (deposits) or violations (results), as JSON.
ALTER TABLE files ADD COLUMN check_report TEXT;
-- Who confirmed a quarantined deposit or overrode a failed check, when, and why (JSON).
ALTER TABLE files ADD COLUMN check_decision TEXT;
