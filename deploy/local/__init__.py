"""Run Apache Kafka, PostgreSQL and the services on this machine without Docker."""
