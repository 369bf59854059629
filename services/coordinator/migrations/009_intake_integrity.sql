-- Dead letters are relayed from the rejections table (services/coordinator/dead_letters.py):
-- a row is sent once it is stored, off the intake path, whole or as a reference.
ALTER TABLE rejections ADD COLUMN dead_lettered_at timestamptz, ADD COLUMN dead_letter_form text;
UPDATE rejections SET dead_lettered_at = rejected_at, dead_letter_form = 'whole';  -- sent before they were stored
CREATE INDEX rejections_unsent ON rejections (id) WHERE dead_lettered_at IS NULL;
GRANT UPDATE (dead_lettered_at, dead_letter_form) ON rejections TO los_app;

-- A correction names the event it corrects; kept as a column so that a correction which
-- arrived before another agency's event can be flagged when that event arrives.
ALTER TABLE events ADD COLUMN supersedes uuid;
UPDATE events SET supersedes = (fact->>'supersedes')::uuid WHERE fact->>'supersedes' IS NOT NULL;
CREATE INDEX events_supersedes ON events (supersedes) WHERE supersedes IS NOT NULL;
