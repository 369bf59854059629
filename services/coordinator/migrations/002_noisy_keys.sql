-- Which businesses were seen at which premises key, to find noisy keys (domain/noisy.py).
CREATE TABLE premises_businesses (
    premises_key  text NOT NULL,
    business      text NOT NULL,
    PRIMARY KEY (premises_key, business)
);

CREATE TABLE noisy_keys (
    key         text PRIMARY KEY,
    businesses  integer NOT NULL,
    found_at    timestamptz NOT NULL DEFAULT now()
);

GRANT SELECT, INSERT ON premises_businesses, noisy_keys TO los_app;
