"""The adapter SDK: mapping contract, durable outbox, signing publisher and CLI."""
