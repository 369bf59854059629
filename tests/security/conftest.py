"""The console on PostgreSQL with a simulated campaign (`live`), for the security tests too."""

from tests.integration.console.conftest import live  # noqa: F401  (a fixture)
