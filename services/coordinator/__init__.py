"""The coordination service: correlates agency events into shared operation records."""
