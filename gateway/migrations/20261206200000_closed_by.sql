-- Who closed a mission before its end date (null when it ended at its date, or was closed
-- before this migration); the destruction certificate names them.
ALTER TABLE missions ADD COLUMN closed_by TEXT;
