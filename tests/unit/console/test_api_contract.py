"""The JSON API against its own OpenAPI description: generated requests (schemathesis) never
make the console fail with a server error, whatever a signed-in coordinator sends."""

from __future__ import annotations

import tempfile
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings

from services.console.app import create_app
from services.console.memory import MemorySource
from services.disclosure.policy import Role
from tests.unit.console.conftest import DIGESTS, EGRESS, PLANTED, FakePublisher, operations, with_console_keys
from tests.unit.console.conftest import settings as console_settings


def _app():  # type: ignore[no-untyped-def]
    source = MemorySource()
    for record in operations():
        source.put_record(record)

    async def refuse() -> list[object]:
        raise ConnectionError("no broker in unit tests")

    async def publisher() -> FakePublisher:
        return FakePublisher()

    keys = with_console_keys(Path(tempfile.mkdtemp(prefix="console-contract-")))
    return create_app(console_settings(keys, console_sse_max_seconds=0.05), source=source,
                      make_publisher=publisher, read_checkpoints=refuse, pseudonyms=EGRESS, digests=DIGESTS)


APP = _app()
TOKEN = APP.state.console.dev_idp.issue(agency="FIRE_RTOG", role=Role.COORDINATOR, name="Schema Testsson")
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@schema.exclude(path_regex="^/dev-idp/").parametrize()
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_request_the_api_describes_makes_it_fail(case: schemathesis.Case) -> None:
    response = case.call(headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code < 500, response.text[:500]
    assert PLANTED not in response.text
