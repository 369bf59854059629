"""Did it arrive? On the real broker and database, with a coordinator running as its own
principal: what TAX's adapter sends gets one receipt each on `los.receipts.tax`, accepted with
the operation TAX takes part in, parked when it names none (also when it joined an operation
TAX does not take part in), duplicate, or rejected with the reason; a refusal resting on the
police's plan says nothing of it; a parked event that a later plan takes in gets `joined`; the
police's receipts topic carries none of TAX's; and `python -m services.adapters receipts`,
logged in as `adapter-tax` only, shows each event of the outbox with its state."""

from __future__ import annotations

import datetime
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Awaitable
from pathlib import Path

import pytest

from deploy.local.harness import kafka_login, kafka_options, service_env
from schemas.canonical import canonical_json
from schemas.categories import Category
from schemas.envelope import CONTENT_TYPE
from schemas.events import InspectionConductedV1, OperationPlannedV1, OperationUpdatedV1, event_json, new_event
from schemas.inspection import Finding, InspectionConducted
from schemas.operation import OperationPlan, Target
from schemas.receipts import Receipt
from schemas.subjects import Premises
from schemas.topics import events_topic
from services.adapters.sdk.outbox import Outbox
from services.adapters.sdk.publisher import Publisher
from services.adapters.sdk.receipts import read_receipts
from services.common.kafka_security import adapter_principal
from tests.conftest import Database, Infra
from tests.support import (
    NOW,
    all_event_topics,
    produce,
    signed_bytes,
    spawn_service,
    start_from_now,
    stop_processes,
    wait_for,
)

pytestmark = pytest.mark.integration
T = datetime.datetime(2026, 3, 12, 9, 30, tzinfo=datetime.UTC)
REPO = Path(__file__).parents[3]


def premises(n: int) -> Premises:
    return Premises(address=f"Kvittogatan {n}, 602 22 Norrköping")


def plan(op: str, where: Premises, participants: list[str]) -> OperationPlannedV1:
    data = OperationPlan(operation_id=op, revision=1, title="Tillslag", municipality="Norrköping",
                         planned_date=T.date(), lead_agency="POLICE", participants=participants,
                         targets=[Target(premises=where)])
    return new_event(OperationPlannedV1, data, agency="POLICE", event_id=uuid.uuid4(), time=NOW)  # type: ignore[return-value]


def inspection(op: str | None, where: Premises) -> InspectionConductedV1:
    data = InspectionConducted(
        inspection_ref=f"SKV-{uuid.uuid4().hex[:8]}", operation_id=op, conducted_at=T, municipality="Norrköping",
        premises=where, findings=[Finding(code="PERSONALLIGGARE_SAKNAS", category=Category.TAX,
                                          summary="Personalliggare saknas", count=1)])
    return new_event(InspectionConductedV1, data, agency="TAX", event_id=uuid.uuid4(), time=T)  # type: ignore[return-value]


def adapter_env(infra: Infra, spool: Path, **extra: str) -> dict[str, str]:
    """An agency's adapter host: its own login only, no credentials file, no admin."""
    login = kafka_login(infra.bootstrap_servers, adapter_principal("TAX"))
    assert login is not None
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOS_")}
    return {**env, "LOS_KAFKA_BOOTSTRAP_SERVERS": infra.bootstrap_servers, "LOS_KAFKA_USERNAME": login.username,
            "LOS_KAFKA_PASSWORD": login.password, "LOS_KAFKA_CA_FILE": str(login.ca_file),
            "LOS_ADAPTER_SPOOL_DIR": str(spool), **extra}


def adapters_cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "services.adapters", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=120)


async def test_each_record_an_agency_sends_gets_its_receipt_on_its_own_topic_and_in_its_command(
        infra: Infra, database: Database, unique: str, tmp_path: Path) -> None:
    keys, spool, group = tmp_path / "keys", tmp_path / "spool", f"los-coordinator-{unique}"
    start = datetime.datetime.now(datetime.UTC)
    op, foreign_op, later_op = (f"{name}-{unique[:6].upper()}" for name in ("KVT", "KVTX", "KVTL"))
    good = inspection(op, premises(1))  # TAX takes part in `op`
    nowhere = inspection(None, premises(2))  # nobody plans anything there
    elsewhere = inspection(None, premises(3))  # joins `foreign_op`, which TAX does not take part in
    waiting = inspection(None, premises(4))  # parked until `later_op` is planned there with TAX
    invalid = dict(event_json(inspection(op, premises(1))))
    invalid["data"] = {k: v for k, v in invalid["data"].items() if k != "municipality"}
    takeover = new_event(OperationUpdatedV1, plan(op, premises(1), ["POLICE", "TAX"]).data.model_copy(
        update={"revision": 2, "lead_agency": "TAX"}), agency="TAX", event_id=uuid.uuid4(), time=NOW)

    plans = [plan(op, premises(1), ["POLICE", "TAX"]), plan(foreign_op, premises(3), ["POLICE", "WORK_ENV"])]
    await start_from_now(database.owner_url, database.app_url, group, infra.bootstrap_servers, all_event_topics())
    await produce(infra.bootstrap_servers, [(events_topic("POLICE"), b"p", signed_bytes(p, keys)) for p in plans],
                  principal=adapter_principal("POLICE"))

    outbox = Outbox(spool / "tax" / "outbox.db")
    sent: list[tuple[str, bytes]] = [(str(e.id), signed_bytes(e, keys)) for e in (nowhere, elsewhere, waiting)]
    sent += [(str(invalid["id"]), canonical_json(invalid)), (str(takeover.id), signed_bytes(takeover, keys)),
             (str(good.id), signed_bytes(good, keys))]
    outbox.accept([(event_id, events_topic("TAX"), b"t", value, [("content-type", CONTENT_TYPE.encode())])
                   for event_id, value in sent])
    login = kafka_login(infra.bootstrap_servers, adapter_principal("TAX"))
    publisher = Publisher(outbox, "TAX", infra.bootstrap_servers, login=login)
    procs = [spawn_service("services.coordinator", service_env(
        infra.env, database, keys, LOS_KAFKA_USERNAME="coordinator", LOS_COORDINATOR_GROUP_ID=group),
        tmp_path / "coordinator.log")]
    try:
        async def receipts_of(agency: str, events: set[str], expected: int) -> list[Receipt]:
            found = await read_receipts(infra.bootstrap_servers, kafka_options(
                infra.bootstrap_servers, adapter_principal(agency)), agency, since=start)
            mine = [r for r in found if str(r.event_id) in events]
            return mine if len(mine) >= expected else []

        planned = await wait_for(lambda: receipts_of("POLICE", {str(p.id) for p in plans}, 2), timeout=90,
                                 what="the police's plans stored")  # before TAX sends, so the plans lead
        assert sorted((r.status, r.operation_id) for r in planned) == [("accepted", op), ("accepted", foreign_op)]
        assert await publisher.drain() == len(sent)
        good_seq = next(e.seq for e in outbox.entries(event_id=str(good.id)))
        assert outbox.mark_unsent(good_seq) == 1  # replayed: the same event again
        assert await publisher.drain() == 1

        def tax_receipts(expected: int) -> Awaitable[list[Receipt]]:
            return receipts_of("TAX", {i for i, _ in sent}, expected)

        receipts = await wait_for(lambda: tax_receipts(len(sent) + 1), timeout=90, what="a receipt per record")
        by_event: dict[str, list[Receipt]] = {}
        for r in receipts:
            by_event.setdefault(str(r.event_id), []).append(r)
        told = {event_id: [(r.status, r.operation_id, r.reason) for r in rs] for event_id, rs in by_event.items()}
        assert told == {
            str(good.id): [("accepted", op, None), ("duplicate", None, None)],
            str(nowhere.id): [("parked", None, None)],
            str(elsewhere.id): [("parked", None, None)],  # never a word of the police's other operation
            str(waiting.id): [("parked", None, None)],
            str(invalid["id"]): [("rejected", None, "invalid_schema")],
            str(takeover.id): [("rejected", None, "not_plan_owner")],
        }
        assert "municipality" in by_event[str(invalid["id"])][0].detail  # type: ignore[operator]
        refusal = by_event[str(takeover.id)][0].detail or ""
        assert "POLICE" not in refusal and op not in refusal, "the refusal tells nothing of the police's plan"
        assert all(r.participant == "TAX" and r.topic == events_topic("TAX") for r in receipts)

        # the police plan an operation where the parked event is, with TAX: it joins
        await produce(infra.bootstrap_servers, [(events_topic("POLICE"), b"p", signed_bytes(
            plan(later_op, premises(4), ["POLICE", "TAX"]), keys))], principal=adapter_principal("POLICE"))
        joined = await wait_for(lambda: tax_receipts(len(sent) + 2), timeout=60, what="the joined receipt")
        assert [(r.status, r.operation_id) for r in joined if str(r.event_id) == str(waiting.id)] == [
            ("parked", None), ("joined", later_op)]

        police = await read_receipts(infra.bootstrap_servers, kafka_options(
            infra.bootstrap_servers, adapter_principal("POLICE")), "POLICE", since=start)
        assert not [r for r in police if r.topic != events_topic("POLICE") or str(r.event_id) in by_event]

        cli_env = adapter_env(infra, spool)
        shown = adapters_cli(cli_env, "receipts", "--agency", "TAX", "--since", start.isoformat(), "--json")
        assert shown.returncode == 0, shown.stderr
        states = {e["event_id"]: e["state"] for e in json.loads(shown.stdout)["events"]}
        assert states == {str(good.id): "accepted", str(nowhere.id): "parked", str(elsewhere.id): "parked",
                          str(waiting.id): "joined", str(invalid["id"]): "rejected", str(takeover.id): "rejected"}
        table = adapters_cli(cli_env, "receipts", "--agency", "TAX", "--event", str(good.id))
        assert table.returncode == 0, table.stderr
        assert "accepted" in table.stderr and op in table.stderr and "duplicate" in table.stderr
        status = adapters_cli(cli_env, "status", "--agency", "TAX")
        assert status.returncode == 0, status.stderr
        assert "receipts: 6 events in the outbox: 6 sent, 0 not yet sent; 1 accepted, 1 joined later, 2 parked," \
               " 2 rejected" in " ".join(status.stderr.split())
        refused = adapters_cli({**cli_env, "LOS_KAFKA_PASSWORD": "wrong"}, "receipts", "--agency", "TAX")
        assert refused.returncode == 2
        assert "LOS_KAFKA_USERNAME=adapter-tax" in " ".join(refused.stderr.split())
    finally:
        await publisher.close()
        outbox.close()
        stop_processes(procs)
    log = (tmp_path / "coordinator.log").read_text()
    assert "AuthorizationFailed" not in log and "publishing receipts" not in log, log[-3000:]
