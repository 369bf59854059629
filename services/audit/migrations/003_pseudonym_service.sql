-- The pseudonym service records every batch it evaluates in the audit log, and reads it to
-- hold each participant to its daily limit (services/pseudonyms/ledger.py).
GRANT SELECT, INSERT ON audit_log TO los_pseudonyms;
