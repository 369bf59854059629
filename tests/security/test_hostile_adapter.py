"""Authenticated but hostile adapters, on the real broker and database.

Each agency's adapter logs in as itself and signs with its own key, so everything below
passes the ACLs and the signature check. A simulated spring campaign is stored first; then
every other agency tries, for every kind of event, to change what the police or another
agency owns, and messages of every size class arrive, compressed and not. Each is accepted
or rejected exactly as the ownership rules say (docs/security.md), every rejection reaches
the dead-letter topic once (whole, or as a reference when too large for it), the events
produced afterwards on every partition are stored within a bounded time, the records
still equal the simulator's ground truth, and each sender's own receipts tell it why, and
nothing of the authority whose plan or event it tried to change."""

from __future__ import annotations

import dataclasses
import datetime
import re
import uuid
from collections import Counter
from pathlib import Path

import asyncpg
import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.errors import MessageSizeTooLargeError, RecordTooLargeError

from deploy.local.harness import kafka_options, service_env
from deploy.topics import load_topics
from schemas.agencies import load_agencies
from schemas.categories import Category
from schemas.events import (
    AnyEvent,
    DecisionTakenV1,
    EventRetractedV1,
    InspectionConductedV1,
    NotificationSentV1,
    OperationPlannedV1,
    OperationUpdatedV1,
    new_event,
)
from schemas.inspection import InspectionConducted
from schemas.notification import EventRetracted
from schemas.operation import OperationPlan, OperationStatus
from schemas.receipts import Receipt
from schemas.subjects import Premises
from schemas.topics import DEAD_LETTER, events_topic
from services.adapters.sdk.receipts import read_receipts
from services.adapters.simulator import ScenarioConfig, generate_campaign
from services.common.kafka_security import adapter_principal
from services.common.keys import ensure_agency_key
from services.coordinator.dead_letters import ENVELOPE_BYTES
from tests.conftest import Database, Infra
from tests.support import (
    KEYS_CREATED,
    all_event_topics,
    end_offsets,
    produce,
    read_from,
    signed_bytes,
    spawn_service,
    start_from_now,
    stop_processes,
    wait_for,
)
from tests.truth import mismatches

pytestmark = pytest.mark.integration

AGENCIES = sorted(load_agencies())
PARTITIONS = {t.name: t.partitions for t in load_topics()}
COORDINATOR_LIMIT = 256 * 1024  # LOS_COORDINATOR_MAX_EVENT_BYTES, its default
BROKER_LIMIT = 1_048_588  # message.max.bytes, Kafka's default and the local runner's
T = datetime.datetime(2026, 5, 20, 9, 0, tzinfo=datetime.UTC)
STORED_WITHIN = 90.0  # seconds: the bound for events produced after the hostile ones


@dataclasses.dataclass(frozen=True)
class Case:
    name: str
    agency: str  # whose adapter sends it, logged in as that agency, signed with its key
    value: bytes
    expected: str | None  # the rejection reason, or None: accepted
    compressed: bool = False
    event_id: str | None = None


CAMPAIGN = generate_campaign(23, pseudonym_key=b"h" * 32, config=ScenarioConfig(springs=1))


def first(kind: type, agency: str | None = None) -> AnyEvent:
    """The campaign's first event of `kind` from `agency` (a participant, or any of a function's)."""
    found = [e for e in CAMPAIGN.events if isinstance(e, kind)
             and (agency is None or e.losagency == agency or e.losagency.startswith(f"{agency}_"))]
    assert found, f"the campaign has no {kind.TYPE} of {agency or 'any agency'}"
    return found[0]


def stray_inspection(agency: str, n: int) -> InspectionConductedV1:
    """An inspection at premises no operation targets, naming no operation: it is stored
    and correlates with nothing, so the campaign's truth does not move."""
    data = InspectionConducted(
        inspection_ref=f"STRAY-{agency}-{n}-{uuid.uuid4().hex[:6]}", conducted_at=T, municipality="Umeå",
        premises=Premises(address=f"Obefintliga vägen {n + 1}, 901 00 Umeå"))
    return new_event(InspectionConductedV1, data, agency=agency, event_id=uuid.uuid4(), time=T)  # type: ignore[return-value]


def padded(value: bytes, size: int) -> bytes:
    """The same JSON grown to exactly `size` bytes with whitespace: the signature, made over
    the canonical form, still holds."""
    assert len(value) <= size
    return value[:1] + b" " * (size - len(value)) + value[1:]


def revised(event: AnyEvent, agency: str, kind: type, **changes: object) -> AnyEvent:
    """`event` as `agency` would send it: its items in a category `agency` does originate, so
    that only the ownership rule under test can refuse it."""
    data = event.data.model_copy(update=changes)
    own = Category(load_agencies()[agency].category)
    if hasattr(data, "findings"):
        data = data.model_copy(update={"findings": [f.model_copy(update={"category": own}) for f in data.findings]})
    if hasattr(data, "category"):
        data = data.model_copy(update={"category": own})
    return new_event(kind, data, agency=agency, event_id=uuid.uuid4(), time=T)


def hostile_cases(keys: Path) -> list[Case]:
    plan = first(OperationPlannedV1, "POLICE")
    op = plan.data.operation_id
    victims = {  # another agency's event of each kind, to correct and to retract
        "inspection": first(InspectionConductedV1, "MUNI_SOCIAL"),
        "decision": first(DecisionTakenV1),
        "notification": first(NotificationSentV1),
    }
    cases: list[Case] = []

    def add(name: str, event: AnyEvent, expected: str | None) -> None:
        cases.append(Case(name, event.losagency, signed_bytes(event, keys), expected, event_id=str(event.id)))

    for agency in AGENCIES:
        if agency != "POLICE":
            add(f"{agency} updates the police plan", revised(
                plan, agency, OperationUpdatedV1, revision=50,
                participants=[*plan.data.participants, agency] if agency not in plan.data.participants
                else plan.data.participants), "not_plan_owner")
            add(f"{agency} takes the lead", revised(plan, agency, OperationUpdatedV1, revision=51,
                                                    lead_agency=agency), "not_plan_owner")
            add(f"{agency} cancels", revised(plan, agency, OperationUpdatedV1, revision=52,
                                             status=OperationStatus.CANCELLED), "not_plan_owner")
            add(f"{agency} re-plans the police operation as its own", revised(
                plan, agency, OperationPlannedV1, lead_agency=agency,
                participants=[agency]), "not_plan_owner")
            new_op = OperationPlan.model_validate(
                {**plan.data.model_dump(), "operation_id": f"X-{agency.replace('_', '')[:8]}-{op}"[:40]})
            add(f"{agency} plans in the police's name", new_event(
                OperationPlannedV1, new_op, agency=agency, event_id=uuid.uuid4(), time=T), "not_plan_owner")
        for kind, victim in victims.items():
            if agency == victim.losagency:
                continue
            type_ = type(victim)
            ref_field = {"inspection": "inspection_ref", "decision": "decision_ref",
                         "notification": "notification_ref"}[kind]
            changes: dict[str, object] = {"supersedes": victim.id, ref_field: f"H-{agency}-{kind}"}
            if kind == "notification" and victim.data.to_agency == agency:
                changes["to_agency"] = victim.losagency
            add(f"{agency} corrects {victim.losagency}'s {kind}", revised(victim, agency, type_, **changes),
                "foreign_correction")
            add(f"{agency} retracts {victim.losagency}'s {kind}", new_event(
                EventRetractedV1, EventRetracted(retracts=victim.id, reason="Fel"), agency=agency,
                event_id=uuid.uuid4(), time=T), "foreign_retraction")
        add(f"{agency} retracts the police plan", new_event(
            EventRetractedV1, EventRetracted(retracts=plan.id, reason="Fel"), agency=agency,
            event_id=uuid.uuid4(), time=T), "not_retractable")
        notice = victims["notification"]
        add(f"{agency} notifies itself", revised(notice, agency, NotificationSentV1, to_agency=agency,
                                                  notification_ref=f"S-{agency}"), "notice_to_self")
        add(f"{agency} notifies an agency nobody registered", revised(
            notice, agency, NotificationSentV1, to_agency="PENSIONS", notification_ref=f"P-{agency}"),
            "unknown_recipient")
        if load_agencies()[agency].category != notice.data.category.value:
            add(f"{agency} sends a notice in another's category", new_event(
                NotificationSentV1, notice.data.model_copy(update={"notification_ref": f"C-{agency}",
                                                                   "to_agency": "POLICE" if agency != "POLICE"
                                                                   else "TAX"}),
                agency=agency, event_id=uuid.uuid4(), time=T), "category_not_owned")
    # an id already taken by another agency's event, re-used by TAX
    taken = first(InspectionConductedV1, "WORK_ENV")
    squatter = new_event(InspectionConductedV1, stray_inspection("TAX", 99).data, agency="TAX",
                         event_id=taken.id, time=T)
    cases.append(Case("TAX re-uses WORK_ENV's event id", "TAX", signed_bytes(squatter, keys), "conflicting_id"))

    # every size class, compressed and not: the coordinator's limit is on the bytes it reads
    for compressed in (False, True):
        how = "compressed" if compressed else "plain"
        for n, (size, expected) in enumerate([(COORDINATOR_LIMIT, None), (COORDINATOR_LIMIT + 1, "oversized"),
                                              (BROKER_LIMIT - 200, "oversized")]):
            event = stray_inspection("FIRE_RTOG", n + (10 if compressed else 0))
            cases.append(Case(f"{how} {size} bytes", "FIRE_RTOG", padded(signed_bytes(event, keys), size), expected,
                              compressed, str(event.id)))
    big = stray_inspection("FIRE_RTOG", 30)  # 4 MiB that gzip makes small: the broker takes it, the coordinator not
    cases.append(Case("compressed 4 MiB", "FIRE_RTOG", padded(signed_bytes(big, keys), 4 * 1024 * 1024), "oversized",
                      True, str(big.id)))
    return cases


class Adapters:
    """One idempotent producer per agency, each logged in as that agency's adapter."""

    def __init__(self, bootstrap: str) -> None:
        self.bootstrap = bootstrap
        self.producers: dict[tuple[str, bool], AIOKafkaProducer] = {}

    async def producer(self, agency: str, compressed: bool) -> AIOKafkaProducer:
        if (agency, compressed) not in self.producers:
            producer = AIOKafkaProducer(
                bootstrap_servers=self.bootstrap, enable_idempotence=True, linger_ms=0,
                max_request_size=8 * 1024 * 1024,  # the broker, not this client, judges the size
                compression_type="gzip" if compressed else None,
                **kafka_options(self.bootstrap, adapter_principal(agency)))
            await producer.start()
            self.producers[(agency, compressed)] = producer
        return self.producers[(agency, compressed)]

    async def send(self, agency: str, value: bytes, *, compressed: bool = False,
                   partition: int | None = None) -> tuple[str, int, int]:
        producer = await self.producer(agency, compressed)
        meta = await producer.send_and_wait(events_topic(agency), value, key=b"h", partition=partition)
        return meta.topic, meta.partition, meta.offset

    async def close(self) -> None:
        for producer in self.producers.values():
            await producer.stop()


async def receipts_of(infra: Infra, sent: dict[tuple[str, int, int], Case],
                      since: datetime.datetime) -> dict[tuple[str, int, int], Receipt]:
    """The receipt of every record sent, each read from its sender's topic as its sender (empty
    until all are there)."""
    found: dict[tuple[str, int, int], Receipt] = {}
    for agency in sorted({case.agency for case in sent.values()}):
        options = kafka_options(infra.bootstrap_servers, adapter_principal(agency))
        found |= {(r.topic, r.partition, r.offset): r
                  for r in await read_receipts(infra.bootstrap_servers, options, agency, since=since)}
    return {position: found[position] for position in sent} if set(sent) <= set(found) else {}


async def test_hostile_adapters_can_neither_stall_intake_nor_change_what_another_authority_owns(
        infra: Infra, database: Database, unique: str, tmp_path: Path) -> None:
    keys, group = tmp_path / "keys", f"los-coordinator-{unique}"
    began = datetime.datetime.now(datetime.UTC)
    for agency in AGENCIES:
        ensure_agency_key(keys, agency, now=KEYS_CREATED)
    await start_from_now(database.owner_url, database.app_url, group, infra.bootstrap_servers, all_event_topics())
    dlq_start = await end_offsets(infra.bootstrap_servers, [DEAD_LETTER])
    await produce(infra.bootstrap_servers, [(events_topic(e.losagency), e.partition_key, signed_bytes(e, keys))
                                            for e in CAMPAIGN.events])
    env = service_env(infra.env, database, keys, LOS_KAFKA_USERNAME="coordinator", LOS_COORDINATOR_GROUP_ID=group)
    procs = [spawn_service("services.coordinator", env, tmp_path / "coordinator.log")]
    conn = await asyncpg.connect(database.app_url)
    adapters = Adapters(infra.bootstrap_servers)
    try:
        campaign_ids = {str(e.id) for e in CAMPAIGN.events}

        async def campaign_stored() -> bool:
            return await conn.fetchval("SELECT count(*) FROM events") == len(campaign_ids)

        await wait_for(campaign_stored, timeout=120, what="the campaign stored")

        cases = hostile_cases(keys)
        sent: dict[tuple[str, int, int], Case] = {}
        for case in cases:
            sent[await adapters.send(case.agency, case.value, compressed=case.compressed)] = case
        too_large = Adapters(infra.bootstrap_servers)  # its own producer: the refusal ends its sequence
        try:  # over the broker's limit: never enters
            with pytest.raises((MessageSizeTooLargeError, RecordTooLargeError)):
                await too_large.send("FIRE_RTOG", padded(signed_bytes(stray_inspection("FIRE_RTOG", 40), keys),
                                                    BROKER_LIMIT + 200))
        finally:
            await too_large.close()
        after = {}  # then a good event on every partition of every events topic
        for agency in AGENCIES:
            for partition in range(PARTITIONS[events_topic(agency)]):
                event = stray_inspection(agency, 100 + partition)
                await adapters.send(agency, signed_bytes(event, keys), partition=partition)
                after[str(event.id)] = agency

        async def after_stored() -> bool:
            stored = await conn.fetchval("SELECT count(*) FROM events WHERE event_id = ANY($1::uuid[])", list(after))
            return stored == len(after)

        await wait_for(after_stored, timeout=STORED_WITHIN, what="the events sent after the hostile ones")
        rows = {(r["topic"], r["partition"], r["offset"]): r for r in await conn.fetch(
            'SELECT id, topic, partition, "offset", reason, detail, agency, raw FROM rejections')}
        verdicts = {name: (rows[pos]["reason"] if pos in rows else None) for pos, name in
                    ((pos, case.name) for pos, case in sent.items())}
        assert verdicts == {case.name: case.expected for case in sent.values()}
        for pos, case in sent.items():
            if case.expected:
                assert rows[pos]["raw"] == case.value, f"{case.name}: the raw bytes are kept for review"
                assert rows[pos]["agency"] == case.agency
        accepted = [c.event_id for c in cases if c.expected is None]
        assert await conn.fetchval("SELECT count(*) FROM events WHERE event_id = ANY($1::uuid[])",
                                   accepted) == len(accepted)

        async def all_dead_lettered() -> bool:
            return not await conn.fetchval("SELECT count(*) FROM rejections WHERE dead_lettered_at IS NULL")

        await wait_for(all_dead_lettered, timeout=60, what="every rejection dead-lettered")
        receipts = await wait_for(lambda: receipts_of(infra, sent, began), timeout=60,
                                  what="a receipt for every hostile record, on its sender's topic")
        forms = {r["id"]: r["dead_letter_form"]
                 for r in await conn.fetch("SELECT id, dead_letter_form FROM rejections")}
        problems = await mismatches(conn, CAMPAIGN.truth)
    finally:
        await adapters.close()
        await conn.close()
        stop_processes(procs)
    assert not problems, "\n".join(problems[:20])
    others = {a: re.compile(r"\b(" + "|".join(b for b in AGENCIES if b != a) + r")\b") for a in AGENCIES}
    for position, case in sent.items():  # each sender learns why, and nothing of another authority
        receipt = receipts[position]
        assert (receipt.participant, receipt.status, receipt.reason) == (
            case.agency, "rejected" if case.expected else "parked", case.expected), case.name
        assert not others[case.agency].search(receipt.detail or ""), (case.name, receipt.detail)
        assert receipt.operation_id is None, case.name

    dead = await read_from(infra.bootstrap_servers, dlq_start, expect=len(forms), timeout=60)
    ours = {(t, str(p), str(o)) for t, p, o in rows}
    letters = [h for h in (dict(d.headers) for d in dead)
               if (h["los-source-topic"].decode(), h["los-source-partition"].decode(),
                   h["los-source-offset"].decode()) in ours]
    ids = Counter(int(h["los-rejection-id"]) for h in letters)
    assert set(ids) == set(forms) and set(ids.values()) == {1}, "every rejection once on the dead-letter topic"
    by_form = Counter(h["los-dead-letter"].decode() for h in letters)
    large = sum(1 for c in cases if c.expected == "oversized" and len(c.value) + ENVELOPE_BYTES > BROKER_LIMIT)
    assert by_form["reference"] == large == 3, by_form
    assert by_form["whole"] == len(forms) - large
    log = (tmp_path / "coordinator.log").read_text()
    assert "retrying" not in log, "nothing was retried: no dead letter held anything back"
