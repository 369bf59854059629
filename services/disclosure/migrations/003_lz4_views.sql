-- Views are large JSON values rewritten often; lz4 compresses them several times faster.
ALTER TABLE feed_views ALTER COLUMN view SET COMPRESSION lz4;
