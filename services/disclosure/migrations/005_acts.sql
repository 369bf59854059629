-- Explicit acts (docs/disclosure-policy.md): a disclosure decision is bound to the rule it is
-- taken under, the items that existed then, an expiry, and the decision-maker's delegation;
-- the register of delegations says who may decide for which authority; a collaboration
-- decision under lag (2016:774) is an object of its own. An approval recorded before this
-- migration has no rule, items or expiry and opens nothing: decide it again.
ALTER TABLE disclosure_requests
    ADD COLUMN rule        text,
    ADD COLUMN items       jsonb NOT NULL DEFAULT '[]',   -- [[event_id, digest], ...]
    ADD COLUMN valid_until date,
    ADD COLUMN delegation  text,
    ADD COLUMN threshold   text;

CREATE TABLE disclosure_delegations (
    id            text PRIMARY KEY,
    authority     text NOT NULL,
    holder        text NOT NULL,     -- the person's stable sign-in id
    holder_name   text NOT NULL,
    reference     text NOT NULL,     -- the authority's delegationsordning and point
    valid_from    date NOT NULL,
    valid_until   date,
    recorded_by   text NOT NULL,
    recorded_at   timestamptz NOT NULL,
    revoked_at    timestamptz,
    revoked_by    text,
    revoke_reason text
);
CREATE INDEX disclosure_delegations_holder ON disclosure_delegations (authority, holder);

CREATE TABLE collaboration_decisions (
    id            text PRIMARY KEY,
    reference     text NOT NULL,     -- diarienummer
    basis         text NOT NULL,     -- the policy basis (lag-2016-774)
    agencies      text[] NOT NULL,   -- the designated participants
    operations    text[] NOT NULL,
    decided_by    text NOT NULL,
    decided_on    date NOT NULL,
    valid_from    date NOT NULL,
    valid_until   date NOT NULL,
    recorded_by   text NOT NULL,
    recorded_for  text NOT NULL,     -- the lead authority whose coordinator recorded it
    recorded_at   timestamptz NOT NULL
);
CREATE INDEX collaboration_decisions_operations ON collaboration_decisions USING gin (operations);

-- The feeds apply collaboration decisions; the console records them (a coordinator of the lead
-- authority) and checks a decision-maker's delegation. Delegations are recorded by an
-- administrator as the schema owner (`python -m services.disclosure.delegations`).
GRANT SELECT ON collaboration_decisions TO los_disclosure;
GRANT SELECT, INSERT ON collaboration_decisions TO los_console;
GRANT SELECT ON disclosure_delegations TO los_console;
