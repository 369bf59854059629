"""The adapter SDK: mapping contract, building blocks of the native formats, durable outbox, signing
publisher and CLI."""
