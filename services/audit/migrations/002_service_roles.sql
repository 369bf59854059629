-- Who may touch the audit log (docs/security.md): the services that disclose or erase append
-- and read it; the audit service reads it and keeps the checkpoints it signs. Nobody may
-- UPDATE, DELETE or TRUNCATE it: no such grant exists, and the triggers of 001 refuse even
-- the owner.
REVOKE ALL ON audit_log, audit_checkpoints FROM los_app;
REVOKE ALL ON audit_checkpoints FROM PUBLIC;

GRANT SELECT, INSERT ON audit_log TO los_coordinator, los_disclosure, los_console;
GRANT SELECT ON audit_log TO los_audit;
GRANT SELECT, INSERT ON audit_checkpoints TO los_audit;
