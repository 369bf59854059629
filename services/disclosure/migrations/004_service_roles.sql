-- The feeds (docs/security.md): their positions, the views and disclosures they record, and the
-- approved requests they apply; the console files and decides disclosure requests.
REVOKE ALL ON consumer_offsets, disclosure_requests, feed_views, feed_disclosures FROM los_app;

GRANT SELECT, INSERT, UPDATE ON consumer_offsets, feed_views TO los_disclosure;
GRANT SELECT, INSERT ON feed_disclosures TO los_disclosure;
GRANT SELECT ON disclosure_requests TO los_disclosure;
GRANT SELECT, INSERT, UPDATE ON disclosure_requests TO los_console;
