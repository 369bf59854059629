-- GIN's pending list makes inserts cheaper but every search scans the whole list; under a
-- steady stream that list is always long, and inference searches premises on every batch.
ALTER INDEX events_premises SET (fastupdate = off);
ALTER INDEX events_persons SET (fastupdate = off);
ALTER INDEX operations_targets SET (fastupdate = off);
SELECT gin_clean_pending_list('events_premises'::regclass);
SELECT gin_clean_pending_list('events_persons'::regclass);
SELECT gin_clean_pending_list('operations_targets'::regclass);
