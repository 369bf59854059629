-- Subject dossiers: which operations each business, premises and person appears in
-- (rebuilt with the operation's record), and results per month and municipality.
CREATE TABLE subject_operations (
    subject_kind  text NOT NULL,   -- business | premises | person
    subject       text NOT NULL,
    operation_id  text NOT NULL,
    PRIMARY KEY (subject_kind, subject, operation_id)
);
CREATE INDEX subject_operations_operation ON subject_operations (operation_id);

CREATE VIEW results_by_month AS
SELECT municipality,
       to_char(planned_date, 'YYYY-MM')                              AS period,
       count(*)                                                      AS operations,
       sum(jsonb_array_length(record -> 'premises_visited'))::bigint AS premises_visited,
       sum((record ->> 'visits')::int)::bigint                       AS visits,
       sum((record ->> 'sanctions')::int)::bigint                    AS sanctions,
       sum((record -> 'amounts_sek' ->> 'imposed')::bigint)::bigint  AS imposed_sek,
       sum((record -> 'amounts_sek' ->> 'recovered')::bigint)::bigint AS recovered_sek,
       sum((record -> 'amounts_sek' ->> 'stopped')::bigint)::bigint  AS stopped_sek
FROM operations
WHERE record IS NOT NULL
GROUP BY municipality, to_char(planned_date, 'YYYY-MM');

GRANT SELECT, INSERT, DELETE ON subject_operations TO los_app;
GRANT SELECT ON results_by_month TO los_app;
