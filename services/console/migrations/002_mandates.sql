-- Mandates (uppdrag, services/console/mandates.py): which person of an authority works on which
-- operation (or on standing work: results reporting, audit, a subject access request), for
-- which purpose, in which of the authority's cases, until when. The console reads personal
-- data only under a mandate in force, and names it in every read's audit entry. A coordinator
-- of the authority records and revokes them; each act is an audit entry. Rows are never deleted.
CREATE TABLE console_mandates (
    id             text PRIMARY KEY,
    authority      text NOT NULL,
    holder         text NOT NULL,     -- the person's stable sign-in id
    holder_name    text NOT NULL,
    purpose        text NOT NULL,
    case_reference text NOT NULL,     -- the authority's own diarienummer
    operation_id   text,              -- NULL: standing work
    valid_until    date NOT NULL,
    assigned_by    text NOT NULL,
    assigned_at    timestamptz NOT NULL,
    revoked_at     timestamptz,
    revoked_by     text
);
CREATE INDEX console_mandates_holder ON console_mandates (authority, holder);
REVOKE ALL ON console_mandates FROM PUBLIC;
GRANT SELECT, INSERT, UPDATE (revoked_at, revoked_by) ON console_mandates TO los_console;
