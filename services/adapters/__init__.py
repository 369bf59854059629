"""Agency system adapters: map each agency's native export to signed canonical events and
publish them, through a durable outbox, to that agency's own topic."""
