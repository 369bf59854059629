"""A console on the in-memory source with a few operations, a planted secret and a fake
broker: what officers, coordinators and auditors of different agencies see, without I/O."""

from __future__ import annotations

import datetime
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from schemas.agencies import load_agencies
from schemas.signing import CONSOLE
from services.audit.digests import AuditDigests
from services.common.keys import create_key
from services.console.app import create_app
from services.console.memory import MemorySource
from services.console.settings import ConsoleSettings
from services.disclosure.collaboration import CollaborationDecision
from services.disclosure.delegations import Delegation, new_delegation
from services.disclosure.policy import Role
from services.disclosure.pseudonyms import RecipientPseudonyms

NOW = datetime.datetime(2026, 5, 4, 10, 0, tzinfo=datetime.UTC)
PLANTED = "PLANTED_SOCIAL_SECRET_4711"  # a social services finding code: no rule opens it to anyone else
PERSON = "psn:k1:" + "a" * 64
EGRESS = RecipientPseudonyms(b"e" * 32)  # the egress key: each agency sees its own pseudonyms
DIGESTS = AuditDigests(b"d" * 32)  # the audit digest key
TAX_FEE = 20_000


def entry(agency: str, kind: str, event_id: str, detail: dict[str, Any], *, persons: list[str] | None = None,
          at: str = "2026-04-14T08:00:00+00:00", premises: str = "fb:LINKÖPING TANNEFORS 1:4",
          business: str = "org:556036-0793") -> dict[str, Any]:
    return {"at": at, "agency": agency, "kind": kind, "event_id": event_id, "ref": f"{agency}-{event_id}",
            "premises": premises, "business": business, "persons": persons or [], "detail": detail}


def decision(kind: str, category: str, amount: int | None = None,
             amount_kind: str | None = None) -> dict[str, Any]:
    return {"decision_kind": kind, "category": category, "legal_reference": "X 1 kap. 1 §",
            "amount_sek": amount,
            "amount_kind": amount_kind, "appeal_status": "not_appealed"}


def record(operation_id: str, *, lead: str, participants: list[str], status: str = "executed",
           planned: str = "2026-04-14", municipality: str = "Linköping", title: str | None = None,
           timeline: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    timeline = timeline or []
    return {
        "operation_id": operation_id, "revision": 1, "title": title or f"Tillslag {operation_id}",
        "municipality": municipality, "planned_date": planned, "status": status, "lead_agency": lead,
        "participants": sorted(participants), "targets": ["fb:LINKÖPING TANNEFORS 1:4"],
        "premises_visited": sorted({e["premises"] for e in timeline if e["kind"] == "inspection"}),
        "businesses": sorted({e["business"] for e in timeline if e.get("business")}),
        "persons": sorted({p for e in timeline for p in e.get("persons", [])}), "timeline": timeline,
    }


def spring_operation() -> dict[str, Any]:
    """A shared operation in Linköping: tax findings, a fire ban, and social services' own matter."""
    return record("LKPG-2026-04", lead="POLICE", participants=["FIRE_RTOG", "MUNI_SOCIAL_0581", "POLICE",
                                                               "SOCIAL_INSURANCE",
                                                                "TAX"], title="Vårens tillslag", timeline=[
        entry("TAX", "inspection", "e1", {"findings": [{"code": "PERSONALLIGGARE_SAKNAS", "category": "tax",
                                                        "count": 3}]}),
        entry("TAX", "decision", "e2", decision("kontrollavgift", "tax", TAX_FEE, "imposed")),
        entry("FIRE_RTOG", "inspection", "e3", {"findings": [{"code": "UTRYMNING_BLOCKERAD",
                                                         "category": "municipal_decision", "count": None}]}),
        entry("FIRE_RTOG", "decision", "e4", decision("förbud", "municipal_decision")),
        entry("MUNI_SOCIAL_0581", "inspection", "e5", {"findings": [{"code": PLANTED,
                                                                "category": "social_services",
                                                                "count": 1}]}, persons=[PERSON]),
        entry("MUNI_SOCIAL_0581", "notification", "e6", {"to_agency": "SOCIAL_INSURANCE",
                                                         "category": "social_services",
                                                         "legal_basis": "Lag (2008:206) 3 §"}),
    ])


def operations() -> list[dict[str, Any]]:
    return [
        spring_operation(),
        record("NKPG-2026-05", lead="MUNI_SECURITY_0581", participants=["MUNI_SECURITY_0581", "FIRE_RTOG", "WORK_ENV"],
               status="planned", planned="2026-05-20", municipality="Norrköping"),
        record("LKPG-2025-09", lead="POLICE", participants=["POLICE", "FIRE_RTOG"], status="closed",
               planned="2025-09-10", timeline=[entry("FIRE_RTOG", "decision", "c1", decision("förbud",
                                                                                        "municipal_decision"),
                                                     at="2025-09-10T09:00:00+00:00")]),
        record("MTLA-2026-03", lead="EMPLOYMENT", participants=["EMPLOYMENT", "POLICE"], status="executed",
               planned="2026-03-03", municipality="Motala"),
    ]


@dataclass
class FakePublisher:
    sent: list[tuple[str, bytes, bytes, list[tuple[str, bytes]]]] = field(default_factory=list)
    fail: bool = False

    async def publish(self, topic: str, key: bytes, value: bytes, headers: list[tuple[str, bytes]]) -> None:
        if self.fail:
            raise ConnectionError("broker away")
        self.sent.append((topic, key, value, headers))

    async def close(self) -> None:
        return None


@dataclass
class Console:
    app: FastAPI
    source: MemorySource
    publisher: FakePublisher
    keys_dir: Path

    def token(self, agency: str, role: Role, name: str = "Karin Testsson") -> str:
        idp = self.app.state.console.dev_idp
        return str(idp.issue(agency=agency, role=role, name=name, subject=subject(agency, role)))

    def delegate(self, agency: str, role: Role = Role.COORDINATOR) -> Delegation:
        """Record, as an administrator would, that this agency's user may decide on disclosure."""
        made = new_delegation(id=f"DEL-{agency}-{role.value}", authority=agency, holder=subject(agency, role),
                              holder_name="Karin Testsson", reference="Delegationsordning 2026:1 p. 4",
                              valid_from=datetime.date(2026, 1, 1), valid_until=None, recorded_by="admin",
                              at=NOW - datetime.timedelta(days=30), participants=load_agencies())
        self.source.state.delegations[made.id] = made
        return made

    def collaborate(self, *agencies: str, operation_id: str = "LKPG-2026-04") -> CollaborationDecision:
        """A collaboration decision under lag (2016:774), recorded for the operation."""
        made = CollaborationDecision(
            f"SAM-{len(self.source.state.collaborations) + 1}", "A-2026/117", "lag-2016-774", frozenset(agencies),
            frozenset({operation_id}), "Operativa rådet Östergötland", datetime.date(2026, 4, 1),
            datetime.date(2026, 4, 1), datetime.date(2026, 12, 31), "samordnare", "POLICE", NOW)
        self.source.state.collaborations[made.id] = made
        return made

    def client(self, agency: str | None = None, role: Role = Role.OFFICER) -> httpx.AsyncClient:
        headers = {"Authorization": f"Bearer {self.token(agency, role)}"} if agency else {}
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app), base_url="http://testserver",
                                 headers=headers)

    @property
    def audit(self) -> list[dict[str, Any]]:
        return self.source.audit


def subject(agency: str, role: Role) -> str:
    """The sign-in id of the test user of this agency and role."""
    return f"dev-{agency.lower()}-{role.value}"


def settings(keys_dir: Path, **overrides: Any) -> ConsoleSettings:
    """The registry and the console's own private keys share one folder here."""
    given: dict[str, Any] = {"console_dev_idp": True, "keys_dir": keys_dir, "console_keys_dir": keys_dir,
                             "console_sse_poll_seconds": 0.02, "console_sse_max_seconds": 1.0, **overrides}
    return ConsoleSettings(**given)


def with_console_keys(keys_dir: Path) -> Path:
    """A console key for every participant, as an administrator would register them."""
    for agency in load_agencies():
        create_key(keys_dir, agency, now=NOW, kind=CONSOLE)
    return keys_dir


@pytest.fixture(scope="session")
def console_keys(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Made once: consoles only read it."""
    return with_console_keys(tmp_path_factory.mktemp("console-keys"))


@pytest.fixture
def make_console(console_keys: Path) -> Callable[..., Console]:
    def make(records: list[dict[str, Any]] | None = None, keys_dir: Path = console_keys,
             **overrides: Any) -> Console:
        source = MemorySource()
        for r in operations() if records is None else records:
            source.put_record(r, at=NOW - datetime.timedelta(hours=1))
        publisher = FakePublisher()

        async def make_publisher() -> FakePublisher:
            return publisher

        async def no_checkpoints() -> list[Any]:
            raise ConnectionError("no broker in unit tests")

        app = create_app(settings(keys_dir, **overrides), source=source,
                         make_publisher=make_publisher,
                         read_checkpoints=no_checkpoints, clock=lambda: NOW, pseudonyms=EGRESS,
                         digests=DIGESTS)
        return Console(app, source, publisher, keys_dir)

    return make


@pytest.fixture
async def console(make_console: Callable[..., Console]) -> AsyncIterator[Console]:
    yield make_console()
