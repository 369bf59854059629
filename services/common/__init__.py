"""The small common library every service may use: settings, keys, telemetry, Kafka, Postgres."""
