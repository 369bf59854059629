"""The generated contract artefacts (schemas/generated/) are what the models produce, and they
say what agency developers need: a JSON Schema per type, an AsyncAPI document of every topic,
and a catalogue that gives every field an information category."""

from __future__ import annotations

import datetime
import json
import re
import types
import typing
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import BaseModel
from typer.testing import CliRunner

from deploy import contracts as generate
from deploy.topics import load_topics
from schemas import topics
from schemas.agencies import load_agencies
from schemas.categories import Category
from schemas.envelope import CONTENT_TYPE, Envelope, dataschema_for
from schemas.events import EVENT_TYPES, InspectionConductedV1, event_json, new_event
from schemas.inspection import InspectionConducted


def test_generated_files_are_up_to_date() -> None:
    stale = generate.stale_files()
    assert not stale, (
        "schemas/generated/ is out of date with the models or deploy/topics.yaml:\n  "
        + "\n  ".join(stale) + f"\nFix: {generate.FIX_HINT}."
    )


def test_check_command_passes_on_the_committed_files() -> None:
    result = CliRunner().invoke(generate.app, ["--check"])
    assert result.exit_code == 0, result.output


def test_stale_missing_and_orphan_files_are_reported(tmp_path: Path) -> None:
    generated = tmp_path / "generated"
    (generated / "jsonschema").mkdir(parents=True)
    (generated / "jsonschema" / "se.los.gone.v1.json").write_text("{}\n")
    stale = generate.stale_files(generated)
    assert len(stale) == len(generate.generated_files()) + 1
    assert any("se.los.gone.v1.json" in name and "no such event type" in name for name in stale)


def test_writing_never_overwrites_a_published_snapshot(tmp_path: Path) -> None:
    published = tmp_path / "published"
    published.mkdir()
    frozen = published / f"{EVENT_TYPES[0].TYPE}.json"
    frozen.write_text('{"frozen": true}\n')
    generate.write_artefacts(tmp_path / "generated", published, echo=lambda _: None)
    assert frozen.read_text() == '{"frozen": true}\n'
    for event_type in EVENT_TYPES[1:]:
        assert (published / f"{event_type.TYPE}.json").read_text() == generate.published_snapshot(event_type)
    assert generate.stale_files(tmp_path / "generated") == []


# --- JSON Schema -------------------------------------------------------------------------------

@pytest.mark.parametrize("event_type", EVENT_TYPES, ids=lambda t: t.TYPE)
def test_json_schema_names_its_dialect_and_dataschema(event_type: type[Envelope]) -> None:
    schema = generate.event_json_schema(event_type)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == dataschema_for(event_type.TYPE)
    assert schema["properties"]["type"]["const"] == event_type.TYPE
    text = generate.dump_json(schema)
    assert text.endswith("}\n") and json.loads(text) == schema


def _inspection_event() -> dict[str, Any]:
    data = InspectionConducted.model_validate({
        "inspection_ref": "SKV-2026-0042",
        "conducted_at": "2026-03-14T09:30:00+01:00",
        "municipality": "Norrköping",
        "premises": {"address": "Sandgatan 14 B, 602 22 Norrköping", "industry": "restaurant"},
        "business": {"orgnr": "556036-0793", "name": "Sandgatans Pizzeria AB"},
    })
    event = new_event(InspectionConductedV1, data, agency="TAX", event_id=uuid.uuid4(),
                      time=datetime.datetime(2026, 3, 14, 12, 0, tzinfo=datetime.UTC))
    return event_json(event)


def _assert_validates_only_real_events(schema: dict[str, Any]) -> None:
    jsonschema_rs = pytest.importorskip("jsonschema_rs")
    validator = jsonschema_rs.validator_for(schema)
    instance = _inspection_event()
    assert validator.is_valid(instance), [e.message for e in validator.iter_errors(instance)]
    assert not validator.is_valid({**instance, "smuggled": 1})
    assert not validator.is_valid({**instance, "data": {**instance["data"], "premises": {"industry": "x"}}})


def test_json_schema_accepts_a_real_event_and_rejects_a_broken_one() -> None:
    _assert_validates_only_real_events(generate.event_json_schema(InspectionConductedV1))


def test_asyncapi_payload_schema_accepts_a_real_event_and_rejects_a_broken_one() -> None:
    document = generate.asyncapi_document()
    payload = document["components"]["messages"][InspectionConductedV1.TYPE]["payload"]
    _assert_validates_only_real_events({
        "$schema": "http://json-schema.org/draft-07/schema#", **payload,
        "components": {"schemas": document["components"]["schemas"]}})


# --- AsyncAPI ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def asyncapi() -> dict[str, Any]:
    return generate.asyncapi_document()


def _follow(document: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), ref
    node: Any = document
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def test_asyncapi_is_version_3_and_the_committed_yaml_is_the_document(asyncapi: dict[str, Any]) -> None:
    assert asyncapi["asyncapi"] == "3.0.0"
    committed = yaml.safe_load(generate.ASYNCAPI_FILE.read_text(encoding="utf-8"))
    assert committed == asyncapi, f"{generate.relative(generate.ASYNCAPI_FILE)} is stale: {generate.FIX_HINT}"


def test_asyncapi_has_a_channel_for_every_topic(asyncapi: dict[str, Any]) -> None:
    specs = load_topics()
    assert {s.name for s in specs} == set(asyncapi["channels"])
    for spec in specs:
        channel = asyncapi["channels"][spec.name]
        assert channel["address"] == spec.name
        assert spec.description in channel["description"]
        kafka = channel["bindings"]["kafka"]
        assert (kafka["topic"], kafka["partitions"]) == (spec.name, spec.partitions)
        assert kafka["topicConfiguration"]["retention.ms"] == spec.retention_ms


def test_asyncapi_has_a_message_for_every_event_type(asyncapi: dict[str, Any]) -> None:
    messages = asyncapi["components"]["messages"]
    for event_type in EVENT_TYPES:
        message = messages[event_type.TYPE]
        assert message["contentType"] == CONTENT_TYPE
        assert message["contentType"].startswith("application/cloudevents+json")
        payload = _follow(asyncapi, message["payload"]["$ref"])
        assert payload["properties"]["type"]["const"] == event_type.TYPE
        headers = _follow(asyncapi, message["headers"]["$ref"])
        assert {"content-type", "traceparent"} <= set(headers["properties"])
        assert "partition" in message["bindings"]["kafka"]["key"]["description"]
    for code in load_agencies():
        channel = asyncapi["channels"][topics.events_topic(code)]
        assert set(channel["messages"]) == {t.TYPE for t in EVENT_TYPES}


def test_asyncapi_operations_publish_by_the_adapter_and_receive_by_the_coordinator(
        asyncapi: dict[str, Any]) -> None:
    operations = asyncapi["operations"]
    for code in load_agencies():
        name = topics.events_topic(code)
        publish, receive = operations[f"publish.{name}"], operations[f"receive.{name}"]
        assert publish["action"] == "send" and publish["x-los-actor"] == f"adapter {code}"
        assert receive["action"] == "receive" and receive["x-los-actor"] == "coordinator"
        for operation in (publish, receive):
            assert _follow(asyncapi, operation["channel"]["$ref"])["address"] == name
            assert len(operation["messages"]) == len(EVENT_TYPES)
    dead_letter = asyncapi["components"]["messages"]["los.dead-letter"]
    assert set(dead_letter["headers"]["required"]) == {
        "los-reason", "los-detail", "los-source-topic", "los-source-partition", "los-source-offset"}


def test_asyncapi_references_all_resolve(asyncapi: dict[str, Any]) -> None:
    for ref in set(_refs(asyncapi)):
        _follow(asyncapi, ref)
    for op_id, operation in asyncapi["operations"].items():
        channel_ref = operation["channel"]["$ref"]
        for message in operation["messages"]:
            assert message["$ref"].startswith(channel_ref + "/messages/"), op_id


# --- catalogue ---------------------------------------------------------------------------------

def _model_in(annotation: Any) -> tuple[type[BaseModel], bool] | None:
    """The model a field holds (directly, optionally or as list items), and whether as a list."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _model_in(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        members = [a for a in typing.get_args(annotation) if a is not type(None)]
        return _model_in(members[0]) if len(members) == 1 else None
    if origin is list:
        inner = _model_in(typing.get_args(annotation)[0])
        return (inner[0], True) if inner else None
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation, False
    return None


def _leaves(model: type[BaseModel], prefix: str) -> Iterator[tuple[str, type[BaseModel]]]:
    """(dotted path, model declaring it) of every leaf field, from the models, not the schema."""
    for name, field in model.model_fields.items():
        path = f"{prefix}.{name}"
        nested = _model_in(field.annotation)
        if nested is None:
            yield path, model
        else:
            yield from _leaves(nested[0], path + ("[]" if nested[1] else ""))


def _catalogue_rows() -> dict[str, dict[str, list[str]]]:
    rows: dict[str, dict[str, list[str]]] = {}
    section = ""
    for line in generate.CATALOGUE_FILE.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            section = line[3:].strip()
            rows[section] = {}
        elif line.startswith("| `") and section:
            cells = [c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]]
            rows[section][cells[0].strip("`")] = cells
    return rows


@pytest.mark.parametrize("event_type", EVENT_TYPES, ids=lambda t: t.TYPE)
def test_catalogue_gives_every_leaf_field_a_category(event_type: type[Envelope]) -> None:
    section = _catalogue_rows().get(event_type.TYPE)
    assert section is not None, f"no section for {event_type.TYPE} in the catalogue: {generate.FIX_HINT}"
    data_model = _model_in(event_type.model_fields["data"].annotation)
    assert data_model is not None
    categories = {c.value for c in Category}
    problems = []
    for path, declaring in _leaves(data_model[0], "data"):
        row = section.get(path)
        if row is None:
            problems.append(f"{path}: not listed")
            continue
        category = row[3]
        own = re.match(r"`([a-z_]+)`", category)
        if own and own.group(1) in categories:
            continue
        if category == generate.PER_ITEM_CATEGORY and "category" in declaring.model_fields:
            continue
        problems.append(f"{path}: category {category!r}")
    assert not problems, f"{event_type.TYPE}: fields without an information category:\n  " + "\n  ".join(
        problems)


def test_catalogue_names_topic_purpose_envelope_and_signing() -> None:
    text = generate.CATALOGUE_FILE.read_text(encoding="utf-8")
    assert "## Envelope and Kafka binding" in text and "structured content mode" in text
    assert "## Signing" in text and "Ed25519" in text
    rows = _catalogue_rows()
    for event_type in EVENT_TYPES:
        purpose = " ".join((event_type.__doc__ or "").split())
        assert purpose and purpose in text
        assert f"`{topics.events_topic('<agency>').lower()}`" in text
        assert "data" in rows[event_type.TYPE]


# --- the feed message ----------------------------------------------------------------------------

def test_the_feed_schema_accepts_what_the_disclosure_service_sends_and_rejects_a_broken_message(
        asyncapi: dict[str, Any]) -> None:
    from tests.unit.schemas.test_feeds import sample_message

    jsonschema_rs = pytest.importorskip("jsonschema_rs")
    schema = generate.feed_json_schema()
    assert (schema["$schema"], schema["$id"]) == (generate.JSON_SCHEMA_DIALECT, "urn:los:schema:feed:operation.view")
    assert json.loads(generate.FEED_SCHEMA_FILE.read_text(encoding="utf-8")) == schema
    message = sample_message()
    payload = asyncapi["components"]["schemas"]["operation.view"]
    for validator in (jsonschema_rs.validator_for(schema), jsonschema_rs.validator_for({
            "$schema": "http://json-schema.org/draft-07/schema#", **payload,
            "components": {"schemas": asyncapi["components"]["schemas"]}})):
        assert validator.is_valid(message), [e.message for e in validator.iter_errors(message)]
        assert not validator.is_valid({**message, "smuggled": 1})
        assert not validator.is_valid({**message, "change_seq": 0})
        assert validator.is_valid({**message, "view": {**message["view"], "added_later": 1}})


def test_every_feed_channel_carries_the_operation_view(asyncapi: dict[str, Any]) -> None:
    message = asyncapi["components"]["messages"]["operation.view"]
    assert _follow(asyncapi, message["payload"]["$ref"])["properties"]["type"]["const"] == "operation.view"
    assert message["contentType"] == "application/json"
    for code in load_agencies():
        name = topics.feed_topic(code)
        assert set(asyncapi["channels"][name]["messages"]) == {"operation.view"}
        assert asyncapi["operations"][f"receive.{name}"]["x-los-actor"] == f"agency {code}"
    rows = _catalogue_rows()["Feed message: operation.view"]
    assert {"type", "operation_id", "change_seq", "policy", "view", "view.timeline[].event_id"} <= set(rows)
