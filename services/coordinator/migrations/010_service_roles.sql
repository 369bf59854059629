-- One login role per service (docs/security.md): the coordinator writes what it owns, the
-- console reads the records it shows, nobody logs in as the once shared `los_app` any more.
REVOKE ALL ON ALL TABLES IN SCHEMA public FROM los_app;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM los_app;
REVOKE CREATE ON SCHEMA public FROM PUBLIC;

GRANT SELECT, INSERT, UPDATE ON consumer_offsets, events, operations, record_changes TO los_coordinator;
GRANT SELECT, INSERT, UPDATE, DELETE ON signals TO los_coordinator;
GRANT SELECT, INSERT, DELETE ON subject_operations TO los_coordinator;
GRANT SELECT, INSERT ON review_items, premises_businesses, noisy_keys TO los_coordinator;
GRANT SELECT, INSERT ON rejections TO los_coordinator;
GRANT UPDATE (dead_lettered_at, dead_letter_form) ON rejections TO los_coordinator;
GRANT SELECT, UPDATE ON fact_generation TO los_coordinator;
GRANT USAGE ON SEQUENCE rejections_id_seq, record_changes_seq_seq, review_items_id_seq TO los_coordinator;

-- The console shows records, never the events they are built from, and changes nothing here:
-- the columns of its lists and pages, subjects' operations, and record changes' trace ids.
GRANT SELECT (operation_id, revision, municipality, planned_date, status, lead_agency, participants, record,
              updated_at) ON operations TO los_console;
GRANT SELECT ON subject_operations TO los_console;
GRANT SELECT (seq, operation_id, traceparent) ON record_changes TO los_console;
