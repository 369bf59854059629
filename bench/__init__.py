"""`make bench`: speed measured against this machine's raw limits, in one run.

Benchmarks are not tests: they print a table and write JSON (bench-results/), and CI runs
them only at a smoke size to keep them working.
"""
