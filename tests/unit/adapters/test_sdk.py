"""The adapter SDK: an accepted event is on disk once, in order, and bad records wait in
quarantine with their reason while the good ones go on."""

from __future__ import annotations

import datetime
import json
import uuid
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from schemas.envelope import event_id_for
from schemas.events import AnyEvent, EventRetractedV1, InspectionConductedV1, new_event
from schemas.inspection import InspectionConducted
from schemas.notification import EventRetracted
from schemas.signing import KeyRegistry, PublicKey, verify
from schemas.subjects import Person, PersonRole, Premises
from services.adapters.sdk.drop import file_away
from services.adapters.sdk.mapping import Mapped, MappingContext, MappingResult, RecordError
from services.adapters.sdk.native import FieldError, map_records, read_csv
from services.adapters.sdk.outbox import Outbox
from services.adapters.sdk.pipeline import PlaceholderPseudonym, Signer, WrongAgency, ingest_file
from services.adapters.sdk.pseudonyms import PLACEHOLDER, Placeholders
from services.common.pseudonyms import LocalPseudonymiser

T = datetime.datetime(2026, 5, 2, 10, 0, tzinfo=datetime.UTC)
CTX = MappingContext(pseudonyms=LocalPseudonymiser(b"k" * 32), today=datetime.date(2026, 6, 1))
KEY = Ed25519PrivateKey.generate()


class Withdrawals:
    """A tiny native format for these tests: `ref;retracts;reason` rows."""

    name, agency, suffix, description = "test-withdrawals", "FIRE_RTOG", ".csv", "test format"

    def read(self, path: Path, ctx: MappingContext) -> Iterator[MappingResult]:
        def build(row: dict[str, str]) -> AnyEvent:
            try:
                target = uuid.UUID(row["retracts"])
            except ValueError as error:
                raise FieldError("retracts", f"{row['retracts']!r} is not an event id") from error
            return new_event(EventRetractedV1, EventRetracted(retracts=target, reason=row["reason"]),
                             agency="FIRE_RTOG", event_id=event_id_for("FIRE_RTOG", "withdrawal", row["ref"]), time=T)

        return map_records(path, read_csv(path), build)

    def write(self, events: Sequence[AnyEvent], path: Path, ctx: MappingContext,
              clear_ids: Mapping[str, str]) -> None:
        raise NotImplementedError


def export(tmp_path: Path, rows: list[str], name: str = "export.csv") -> Path:
    path = tmp_path / name
    path.write_text("ref;retracts;reason\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_a_bad_record_is_quarantined_with_file_line_and_field_and_the_rest_flow(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "outbox.db")
    path = export(tmp_path, [f"A1;{uuid.uuid4()};Fel", "A2;inte-ett-id;Fel", f"A3;{uuid.uuid4()};Fel"])
    result = ingest_file(path, Withdrawals(), CTX, Signer("FIRE_RTOG", "FIRE-1", KEY), outbox)
    assert (result.events, result.new, result.errors) == (2, 2, 1)
    [bad] = outbox.quarantined()
    assert (bad.file, bad.line, bad.field) == ("export.csv", 3, "retracts")
    assert "is not an event id" in bad.message and "inte-ett-id" in bad.raw


def test_reading_the_same_export_twice_queues_nothing_twice(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "outbox.db")
    path = export(tmp_path, [f"A{i};{uuid.uuid4()};Fel" for i in range(5)])
    signer = Signer("FIRE_RTOG", "FIRE-1", KEY)
    assert ingest_file(path, Withdrawals(), CTX, signer, outbox).new == 5
    assert ingest_file(path, Withdrawals(), CTX, signer, outbox).skipped
    assert ingest_file(path, Withdrawals(), CTX, signer, outbox, force=True).new == 0
    assert outbox.counts()["accepted"] == 5


def test_events_leave_in_the_order_they_were_accepted_and_only_acks_mark_them_sent(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "outbox.db")
    outbox.accept([(f"id{i}", "los.events.fire_rtog", b"k", b"v%d" % i, []) for i in range(10)])
    first = outbox.unsent(limit=4)
    assert [e.event_id for e in first] == ["id0", "id1", "id2", "id3"]
    outbox.mark_sent([(first[0].seq, 0, 10), (first[1].seq, 0, 11)])
    assert [e.event_id for e in outbox.unsent(limit=3)] == ["id2", "id3", "id4"]
    outbox.close()
    reopened = Outbox(tmp_path / "outbox.db")  # after a crash: nothing lost, nothing resent twice
    assert reopened.counts() == {"accepted": 10, "unsent": 8, "sent": 2, "quarantined": 0, "files": 0}
    assert reopened.mark_unsent() == 2  # replay


def test_signed_rows_verify_against_the_registry(tmp_path: Path) -> None:
    from cryptography.hazmat.primitives import serialization

    raw = KEY.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    registry = KeyRegistry([PublicKey("FIRE-1", "FIRE_RTOG", raw, T - datetime.timedelta(days=1))])
    event = new_event(EventRetractedV1, EventRetracted(retracts=uuid.uuid4(), reason="x"), agency="FIRE_RTOG",
                      event_id=uuid.uuid4(), time=T)
    event_id, topic, _key, value, headers = Signer("FIRE_RTOG", "FIRE-1", KEY).wire(event)
    assert topic == "los.events.fire_rtog" and event_id == str(event.id)
    assert verify(json.loads(value), registry).key_id == "FIRE-1"
    assert ("content-type", b"application/cloudevents+json; charset=utf-8") in headers


def test_an_adapter_cannot_publish_for_another_agency(tmp_path: Path) -> None:
    event = new_event(EventRetractedV1, EventRetracted(retracts=uuid.uuid4(), reason="x"), agency="TAX",
                      event_id=uuid.uuid4(), time=T)
    with pytest.raises(WrongAgency):
        Signer("FIRE_RTOG", "FIRE-1", KEY).wire(event)
    with pytest.raises(WrongAgency):
        ingest_file(export(tmp_path, []), Withdrawals(), CTX, Signer("TAX", "TAX-1", KEY),
                    Outbox(tmp_path / "o.db"))


def test_an_unreadable_file_is_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.csv"
    path.write_bytes(b"\xff\xfe\x00garbage")
    results = list(Withdrawals().read(path, CTX))
    assert len(results) == 1 and isinstance(results[0], RecordError)
    assert not any(isinstance(r, Mapped) for r in results)


class Required(Withdrawals):
    """The same format, its header checked for its columns before any row."""

    def read(self, path: Path, ctx: MappingContext) -> Iterator[MappingResult]:
        return required_read(path)


def required_read(path: Path) -> Iterator[MappingResult]:
    def build(row: dict[str, str]) -> AnyEvent:
        return new_event(EventRetractedV1, EventRetracted(retracts=uuid.UUID(row["retracts"]), reason=row["reason"]),
                         agency="FIRE_RTOG", event_id=event_id_for("FIRE_RTOG", "withdrawal", row["ref"]), time=T)
    return map_records(path, read_csv(path, required=("ref", "retracts", "reason")), build)


def test_a_header_without_a_required_column_is_one_error_before_any_row(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text(f"ref;retracts\nA1;{uuid.uuid4()}\nA2;{uuid.uuid4()}\n", encoding="utf-8")
    [error] = list(required_read(path))
    assert isinstance(error, RecordError)
    assert (error.line, error.field, error.whole_file) == (1, "reason", True)
    assert error.message.startswith("the header has no column reason; the header found is 'ref;retracts'")


def test_a_file_with_a_header_error_is_held_back_whole_and_not_marked_done(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "outbox.db")
    path = tmp_path / "export.csv"
    path.write_text(f"ref;retracts\nA1;{uuid.uuid4()}\n", encoding="utf-8")
    result = ingest_file(path, Required(), CTX, Signer("FIRE_RTOG", "FIRE-1", KEY), outbox)
    assert (result.events, result.new, result.errors, result.held_back) == (0, 0, 1, True)
    assert outbox.counts() == {"accepted": 0, "unsent": 0, "sent": 0, "quarantined": 2, "files": 0}
    header, note = outbox.quarantined()
    assert (header.line, header.field) == (1, "reason")
    assert (note.line, note.field) == (0, "-") and "held back whole" in note.message


def test_all_or_nothing_stores_nothing_of_a_file_with_a_bad_record_and_quarantines_the_reasons(
        tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "outbox.db")
    path = export(tmp_path, [f"A1;{uuid.uuid4()};Fel", "A2;inte-ett-id;Fel", f"A3;{uuid.uuid4()};Fel"])
    signer = Signer("FIRE_RTOG", "FIRE-1", KEY)
    result = ingest_file(path, Withdrawals(), CTX, signer, outbox, all_or_nothing=True)
    assert (result.events, result.new, result.errors, result.held_back) == (2, 0, 1, True)
    assert outbox.counts()["accepted"] == 0 and outbox.counts()["files"] == 0
    bad, note = outbox.quarantined()
    assert (bad.line, bad.field) == (3, "retracts")
    assert "held back whole: 1 records cannot be mapped, so none of its 2 mapped records was stored" in note.message
    again = ingest_file(path, Withdrawals(), CTX, signer, outbox)  # not done: without the option it goes out
    assert (again.new, again.errors, again.held_back) == (2, 1, False)
    assert outbox.counts()["quarantined"] == 2  # the same reasons are not quarantined twice


def test_a_file_unreadable_halfway_is_held_back_whole(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "outbox.db")
    path = export(tmp_path, [f"A{i};{uuid.uuid4()};Fel" for i in range(1000)])
    path.write_bytes(path.read_bytes() + b"A99;\xff\xfe;Fel\n")
    results = list(Withdrawals().read(path, CTX))
    assert isinstance(results[0], Mapped) and isinstance(results[-1], RecordError) and results[-1].whole_file
    result = ingest_file(path, Withdrawals(), CTX, Signer("FIRE_RTOG", "FIRE-1", KEY), outbox)
    assert result.held_back and result.new == 0 and outbox.counts()["accepted"] == 0


def test_a_placeholder_pseudonym_is_never_signed() -> None:
    placeholders = Placeholders()
    first, second = placeholders.of("198503149810"), placeholders.of("197711239835")
    assert first.startswith("psn:DRY-RUN-PLACEHOLDER:") and first.endswith("1") and second.endswith("2")
    assert placeholders.of("198503149810") == first
    person = Person(pseudonym=first, role=PersonRole.OWNER)  # the contract's pattern allows it, so the signer checks
    event = new_event(InspectionConductedV1, InspectionConducted(
        inspection_ref="K-1", conducted_at=T, municipality="Norrköping",
        premises=Premises(address="Mekanikergatan 7, 602 38 Norrköping"), persons_present=[person]),
        agency="FIRE_RTOG", event_id=uuid.uuid4(), time=T)
    with pytest.raises(PlaceholderPseudonym):
        Signer("FIRE_RTOG", "FIRE-1", KEY).wire(event)
    with pytest.raises(PlaceholderPseudonym):
        Signer("FIRE_RTOG", "FIRE-1", KEY).wire(event.model_copy(update={"data": event.data.model_copy(
            update={"persons_present": [person.model_copy(update={"pseudonym": PLACEHOLDER})]})}))


def test_a_drop_folders_file_goes_to_done_or_when_held_back_to_rejected(tmp_path: Path,
                                                                      caplog: pytest.LogCaptureFixture) -> None:
    outbox, signer = Outbox(tmp_path / "outbox.db"), Signer("FIRE_RTOG", "FIRE-1", KEY)
    drop = tmp_path / "drop"
    drop.mkdir()
    partly = export(drop, [f"A1;{uuid.uuid4()};Fel", "A2;inte-ett-id;Fel"], name="partly.csv")
    whole = export(drop, [f"A3;{uuid.uuid4()};Fel", "A4;inte-ett-id;Fel"], name="whole.csv")
    with caplog.at_level("INFO"):
        some = ingest_file(partly, Withdrawals(), CTX, signer, outbox)
        assert file_away(partly, some) == drop / "done" / "partly.csv"
        held = ingest_file(whole, Withdrawals(), CTX, signer, outbox, all_or_nothing=True)
        assert file_away(whole, held, "test-withdrawals") == drop / "rejected" / "whole.csv"
    assert [(r.levelname, r.getMessage().split(":")[0]) for r in caplog.records if r.name.endswith("drop")] == [
        ("WARNING", "partly.csv"), ("ERROR", "test-withdrawals whole.csv")]
