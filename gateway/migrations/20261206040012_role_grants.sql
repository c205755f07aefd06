-- Who granted each role (null for grants made before this migration), shown on the mission page.
ALTER TABLE participants ADD COLUMN granted_by TEXT;
