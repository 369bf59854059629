"""Event contracts shared by every service: envelope, events, identifiers, topics."""
