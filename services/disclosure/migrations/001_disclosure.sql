-- Disclosure requests and the feed service's consumer positions.
CREATE TABLE IF NOT EXISTS consumer_offsets (
    group_id text NOT NULL, topic text NOT NULL, partition integer NOT NULL, next_offset bigint NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (group_id, topic, partition));

CREATE TABLE disclosure_requests (
    id            text PRIMARY KEY,
    requester     text NOT NULL,
    requested_by  text NOT NULL,
    owner         text NOT NULL,
    operation_id  text NOT NULL,
    categories    text[] NOT NULL,
    purpose       text NOT NULL,
    basis         text NOT NULL,
    reason        text NOT NULL,
    created_at    timestamptz NOT NULL,
    status        text NOT NULL,
    assessment    text,
    decided_by    text,
    decided_at    timestamptz
);
CREATE INDEX disclosure_requests_owner ON disclosure_requests (owner, status);
CREATE INDEX disclosure_requests_requester ON disclosure_requests (requester, status);

-- The last view of each operation sent to each agency's feed (what the console may show).
CREATE TABLE feed_views (
    agency        text NOT NULL,
    operation_id  text NOT NULL,
    change_seq    bigint NOT NULL,
    view          jsonb NOT NULL,
    PRIMARY KEY (agency, operation_id)
);

GRANT SELECT, INSERT, UPDATE ON consumer_offsets, disclosure_requests, feed_views TO los_app;
