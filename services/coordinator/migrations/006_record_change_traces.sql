-- The W3C trace context of the coordinator span that queued a record change (set only when
-- tracing is on, see services/coordinator/tracing.py): the relay publishes the change within
-- that trace and the console's live view continues it (docs/observability.md).
ALTER TABLE record_changes ADD COLUMN traceparent text;
-- The console looks up an operation's latest traced change; untraced rows are not indexed.
CREATE INDEX record_changes_traced ON record_changes (operation_id, seq) WHERE traceparent IS NOT NULL;
