-- What each agency's feed has already been shown or refused, so that re-sending an
-- unchanged item in a later view of the operation is not recorded as a new disclosure.
CREATE TABLE feed_disclosures (
    recipient     text NOT NULL,
    operation_id  text NOT NULL,
    item          text NOT NULL,     -- event id, or '' for the plan
    category      text NOT NULL,
    digest        text NOT NULL,
    kind          text NOT NULL,     -- disclosure | denial
    PRIMARY KEY (recipient, operation_id, item, category, digest, kind)
);
GRANT SELECT, INSERT ON feed_disclosures TO los_app;
