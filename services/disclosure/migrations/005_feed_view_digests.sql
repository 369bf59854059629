-- A view goes to an agency's feed only when it differs from the last one sent there
-- (services/disclosure/feeds.py): the digest of that view, compared instead of the view.
-- Rows written before have none, so their next view is sent once more.
ALTER TABLE feed_views ADD COLUMN view_digest text;
