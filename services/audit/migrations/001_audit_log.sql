-- The append-only, hash-chained audit log (see services/audit/chain.py).
CREATE TABLE audit_log (
    chain      text    NOT NULL,
    seq        bigint  NOT NULL,
    at         timestamptz NOT NULL,
    kind       text    NOT NULL,
    entry      jsonb   NOT NULL,     -- hashed in its canonical form, never as jsonb text
    prev_hash  bytea   NOT NULL,
    hash       bytea   NOT NULL,
    PRIMARY KEY (chain, seq)
);
CREATE INDEX audit_log_kind_at ON audit_log (kind, at);
CREATE INDEX audit_log_recipient ON audit_log ((entry ->> 'recipient'), at);
CREATE INDEX audit_log_owner ON audit_log ((entry ->> 'owner'), at);
CREATE INDEX audit_log_subjects ON audit_log USING gin ((entry -> 'subjects'));

CREATE FUNCTION audit_log_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_is_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_is_append_only();

-- The coordinator's own copy of the checkpoints it signed (agencies keep theirs from Kafka).
CREATE TABLE audit_checkpoints (
    chain      text   NOT NULL,
    seq        bigint NOT NULL,
    checkpoint jsonb  NOT NULL,
    PRIMARY KEY (chain, seq)
);

REVOKE ALL ON audit_log FROM PUBLIC;
GRANT SELECT, INSERT ON audit_log, audit_checkpoints TO los_app;
