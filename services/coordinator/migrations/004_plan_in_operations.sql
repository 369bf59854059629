-- The latest plan of each operation, kept with it, so inference and record rebuilding
-- never re-read every revision.
ALTER TABLE operations ADD COLUMN plan jsonb;
ALTER TABLE operations ADD COLUMN plan_event uuid;
