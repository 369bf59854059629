"""Security tests on the real broker and database (the `infra` stack of tests/conftest.py).

- test_kafka_access.py: SASL/SCRAM logins and the per-agency ACLs: agency A can neither
  write B's events topic nor read B's feed; wrong passwords and plain clients are refused.
- test_forgery.py: what an authenticated client can still try, forged or replayed events on
  its own topic, is stopped by the signatures in the coordinator.
- The console's roles: every route, signed out and with every role, is swept by
  tests/unit/console/test_routes.py (in memory) and tests/integration/console/
  test_sweep_on_postgres.py (PostgreSQL); both run tests/unit/console/sweep.py.
"""
