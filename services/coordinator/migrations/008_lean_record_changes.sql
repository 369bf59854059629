-- A record change no longer carries the record: the relay reads the current record when it
-- publishes. The stored record is compared by digest instead of being read back whole.
ALTER TABLE operations ADD COLUMN record_digest bytea;
-- lz4 compresses these large JSON values several times faster than the default pglz
ALTER TABLE operations ALTER COLUMN record SET COMPRESSION lz4;
ALTER TABLE record_changes ALTER COLUMN change SET COMPRESSION lz4;
ALTER TABLE events ALTER COLUMN event SET COMPRESSION lz4;
ALTER TABLE events ALTER COLUMN fact SET COMPRESSION lz4;
-- A change announced together with a later change of the same operation names that one.
ALTER TABLE record_changes ADD COLUMN carried_by bigint;
