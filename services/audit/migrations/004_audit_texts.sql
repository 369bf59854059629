-- Free text of decisions and assessments, out of the chain (services/audit/texts.py): an audit
-- entry names a text by its keyed digest; the text is erased here when its retention ends,
-- the row stays (digest, when kept, when erased), and the chain is never touched.
CREATE TABLE audit_texts (
    ref         text PRIMARY KEY,          -- the keyed digest the entry names (hm1:...)
    context     text NOT NULL,             -- the act, e.g. a disclosure request's id
    kind        text NOT NULL,             -- reason | assessment | ...
    text        text,                      -- NULL once erased
    created_at  timestamptz NOT NULL,
    erased_at   timestamptz,
    CHECK ((text IS NULL) = (erased_at IS NOT NULL))
);
CREATE INDEX audit_texts_kept ON audit_texts (created_at) WHERE erased_at IS NULL;
REVOKE ALL ON audit_texts FROM PUBLIC;

-- The console keeps the texts of the requests it files and decides; it reads none back.
GRANT INSERT ON audit_texts TO los_console;
-- The coordinator's erasure (gallring) empties texts older than the retention period and
-- reads nothing of them but their times.
GRANT SELECT (created_at, erased_at), UPDATE (text, erased_at) ON audit_texts TO los_coordinator;
