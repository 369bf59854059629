-- Indexes the console's read side walks (services/console/queries.py): the operations list
-- newest first by keyset, and plans by participating agency.
CREATE INDEX IF NOT EXISTS console_operations_recent ON operations (planned_date DESC, operation_id DESC)
    WHERE record IS NOT NULL;
CREATE INDEX IF NOT EXISTS console_operations_participants ON operations USING gin (participants);
