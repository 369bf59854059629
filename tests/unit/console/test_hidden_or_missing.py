"""An operation the viewer may not see and one that does not exist answer alike: the same
status, body and headers, after the same reads and writes in the same order, so neither the
answer nor the work behind it tells the viewer that the hidden one exists."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest

from services.console.memory import MemoryUnit
from services.disclosure.policy import Role
from tests.unit.console.conftest import Console

HIDDEN = "LKPG-2026-04"  # ENFORCEMENT takes no part in it
MISSING = "LKPG-2026-77"  # same length: nothing in the answer may differ by the id itself
ROUTES: list[tuple[str, str, Callable[[str], dict[str, Any] | None]]] = [
    ("GET", "/api/operations/{op}?purpose=joint_operation", lambda op: None),
    ("GET", "/operationer/{op}?purpose=joint_operation", lambda op: None),
    ("GET", "/operationer/{op}/tidslinje?purpose=joint_operation", lambda op: None),
    ("GET", "/api/operations/{op}/events?purpose=joint_operation", lambda op: None),
    ("POST", "/api/requests", lambda op: {"operation_id": op, "owner": "TAX", "categories": ["tax"],
                                          "purpose": "joint_operation", "basis": "osl-10-27",
                                          "reason": "Behövs för nästa insats i samma lokal."}),
]


class Counted:
    """The calls one request makes on the source: method names and the size of what it wrote."""

    def __init__(self, console: Console) -> None:
        self.calls: list[str] = []
        source, counted = console.source, self
        self._unit, self._changed_at = source.unit, source.changed_at

        class Spy:
            def __init__(self, unit: MemoryUnit) -> None:
                self._unit = unit

            def __getattr__(self, name: str) -> Any:
                method = getattr(self._unit, name)

                async def call(*args: Any, **kwargs: Any) -> Any:
                    written = f"({len(args[0])})" if name == "append_audit" else ""
                    counted.calls.append(name + written)
                    return await method(*args, **kwargs)

                return call

        @asynccontextmanager
        async def unit() -> AsyncIterator[Spy]:
            async with counted._unit() as inner:
                yield Spy(inner)

        async def changed_at(op: str) -> Any:
            counted.calls.append("changed_at")
            return await counted._changed_at(op)

        source.unit = unit  # type: ignore[method-assign]
        source.changed_at = changed_at  # type: ignore[method-assign]


async def answer(console: Console, method: str, path: str, body: dict[str, Any] | None,
                 role: Role) -> tuple[int, str, dict[str, str], list[str]]:
    counted = Counted(console)
    async with console.client("ENFORCEMENT", role) as client:
        response = await client.request(method, path, json=body, headers={"Origin": "http://testserver"})
    headers = {k: v for k, v in response.headers.items() if k not in ("date", "content-length")}
    return response.status_code, response.text, headers, counted.calls


@pytest.mark.parametrize(("method", "path", "body"), ROUTES, ids=[f"{m} {p}" for m, p, _ in ROUTES])
@pytest.mark.parametrize("role", [Role.OFFICER, Role.COORDINATOR])
async def test_a_hidden_operation_answers_like_a_missing_one(make_console: Callable[..., Console], method: str,
                                                             path: str, body: Callable[[str], Any],
                                                             role: Role) -> None:
    hidden = await answer(make_console(), method, path.format(op=HIDDEN), body(HIDDEN), role)
    missing = await answer(make_console(), method, path.format(op=MISSING), body(MISSING), role)
    assert hidden[0] == 404
    assert hidden[:3] == missing[:3], "the answers differ"
    assert hidden[3] == missing[3], f"the work differs: {hidden[3]} against {missing[3]}"
    assert HIDDEN not in hidden[1]


async def test_a_visible_operation_is_still_shown(console: Console) -> None:
    async with console.client("FIRE_RTOG") as client:
        response = await client.get(f"/api/operations/{HIDDEN}?purpose=joint_operation")
    assert response.status_code == 200 and response.json()["operation_id"] == HIDDEN
