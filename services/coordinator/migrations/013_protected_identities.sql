-- The platform-wide register of protected identities (sekretessmarkering), by the platform's
-- internal pseudonym: a person registered here never enters a record, a dossier, a feed or the
-- console, whichever event names them and whether it flagged them or not; a sole trader whose
-- owner is registered loses the business identity too (services/coordinator/domain/protected.py).
-- Kept by an administrative act (`python -m services.coordinator.protected`) or by the first
-- event that flagged the person, each with an audit entry.
CREATE TABLE protected_identities (
    pseudonym      text PRIMARY KEY,         -- psn:o1:... (or psn:k1:... of older events)
    source         text NOT NULL CHECK (source IN ('register', 'event')),
    registered_at  timestamptz NOT NULL,
    registered_by  text NOT NULL,            -- the operator, or the agency whose event flagged them
    event_id       uuid                      -- the flagging event (source 'event')
);
REVOKE ALL ON protected_identities FROM PUBLIC;
-- The coordinator reads the register whenever it builds records and adds the persons events
-- flag; lifting a protection is the operator's act (the schema owner), never a service's.
GRANT SELECT, INSERT ON protected_identities TO los_coordinator;
