-- Receipts: what became of each record consumed from an events topic, written in the batch's
-- transaction (exactly once per record) and relayed to the participant's `los.receipts.<code>`
-- by services/coordinator/receipts.py (at least once), off the intake path.
CREATE TABLE receipts (
    seq           bigserial PRIMARY KEY,
    participant   text NOT NULL,          -- the owner of the events topic: whose receipts topic
    topic         text NOT NULL,
    partition     integer NOT NULL,
    "offset"      bigint NOT NULL,
    event_id      uuid,                   -- when the record could be read as an event
    status        text NOT NULL CHECK (status IN ('accepted', 'parked', 'duplicate', 'rejected', 'joined')),
    reason        text,
    detail        text,
    operation_id  text,                   -- only an operation the participant takes part in
    created_at    timestamptz NOT NULL DEFAULT now(),
    published_at  timestamptz
);
-- one receipt per consumed record; `joined` receipts follow later, for a stored event
CREATE UNIQUE INDEX receipts_record ON receipts (topic, partition, "offset") WHERE status <> 'joined';
CREATE INDEX receipts_unpublished ON receipts (seq) WHERE published_at IS NULL;
CREATE INDEX receipts_event ON receipts (event_id, seq) WHERE event_id IS NOT NULL;

GRANT SELECT, INSERT ON receipts TO los_coordinator;
GRANT UPDATE (published_at) ON receipts TO los_coordinator;
GRANT USAGE ON SEQUENCE receipts_seq_seq TO los_coordinator;
