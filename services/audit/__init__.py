"""The audit log: an append-only hash chain of every disclosure, denial, read of personal
data and policy change, with signed checkpoints held outside the database."""
