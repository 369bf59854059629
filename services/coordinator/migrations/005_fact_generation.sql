-- Bumped whenever stored facts are rewritten (erasure), so every coordinator process
-- drops the facts it has cached (see services/coordinator/fact_cache.py).
CREATE TABLE fact_generation (
    only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    generation bigint NOT NULL
);
INSERT INTO fact_generation (generation) VALUES (0);
GRANT SELECT, UPDATE ON fact_generation TO los_app;
