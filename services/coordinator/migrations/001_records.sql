-- Operation records, the facts they are built from, rejections and the consumer offsets
-- stored in the same transaction as the state they produced (exactly-once effect).

CREATE TABLE IF NOT EXISTS consumer_offsets (
    group_id     text    NOT NULL,
    topic        text    NOT NULL,
    partition    integer NOT NULL,
    next_offset  bigint  NOT NULL,
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (group_id, topic, partition)
);

-- One row per accepted event; `fact` is its compact form (domain.facts.fact_to_json).
CREATE TABLE events (
    event_id            uuid PRIMARY KEY,
    agency              text NOT NULL,
    type                text NOT NULL,
    kind                text NOT NULL,
    occurred_at         timestamptz NOT NULL,
    received_at         timestamptz NOT NULL DEFAULT now(),
    topic               text NOT NULL,
    partition           integer NOT NULL,
    "offset"            bigint NOT NULL,
    key_id              text NOT NULL,
    explicit_operation  text,
    operation_id        text,           -- explicit or inferred; NULL while parked
    premises            text[] NOT NULL DEFAULT '{}',
    business            text,
    persons             text[] NOT NULL DEFAULT '{}',
    retracts            uuid,
    fact                jsonb NOT NULL,
    event               jsonb NOT NULL  -- the signed event as received
);
CREATE INDEX events_operation ON events (operation_id);
CREATE INDEX events_explicit_operation ON events (explicit_operation) WHERE kind = 'plan';
CREATE INDEX events_retracts ON events (retracts) WHERE retracts IS NOT NULL;
CREATE INDEX events_premises ON events USING gin (premises);
CREATE INDEX events_business ON events (business) WHERE business IS NOT NULL;
CREATE INDEX events_persons ON events USING gin (persons);
CREATE INDEX events_parked ON events (received_at) WHERE operation_id IS NULL AND kind <> 'plan';

CREATE TABLE operations (
    operation_id  text PRIMARY KEY,
    revision      integer NOT NULL,
    municipality  text NOT NULL,
    planned_date  date NOT NULL,
    status        text NOT NULL,
    lead_agency   text NOT NULL,
    participants  text[] NOT NULL,
    target_keys   text[] NOT NULL,
    record        jsonb,
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX operations_targets ON operations USING gin (target_keys);
CREATE INDEX operations_period ON operations (municipality, planned_date);

CREATE TABLE rejections (
    id           bigserial PRIMARY KEY,
    topic        text NOT NULL,
    partition    integer NOT NULL,
    "offset"     bigint NOT NULL,
    agency       text,
    reason       text NOT NULL,
    detail       text NOT NULL,
    raw          bytea,
    rejected_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (topic, partition, "offset")
);

-- Transactional outbox of record changes, relayed to Kafka (los.records.changes).
CREATE TABLE record_changes (
    seq           bigserial PRIMARY KEY,
    operation_id  text NOT NULL,
    change        jsonb NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    published_at  timestamptz
);
CREATE INDEX record_changes_unpublished ON record_changes (seq) WHERE published_at IS NULL;

CREATE TABLE signals (
    subject     text PRIMARY KEY,
    agencies    text[] NOT NULL,
    first_date  date NOT NULL,
    last_date   date NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- Things a person should look at: parked too long, noisy keys, foreign corrections.
CREATE TABLE review_items (
    id          bigserial PRIMARY KEY,
    kind        text NOT NULL,
    key         text NOT NULL,
    detail      text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    resolved_at timestamptz,
    UNIQUE (kind, key)
);

GRANT SELECT, INSERT, UPDATE ON consumer_offsets, events, operations, record_changes, signals,
    review_items TO los_app;
GRANT SELECT, INSERT ON rejections TO los_app;
GRANT DELETE ON signals TO los_app;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO los_app;
