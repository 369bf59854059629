"""Generated contract artefacts, derived from the pydantic models and the topic list.

`python -m deploy.contracts` (or `make schemas`) writes, under `schemas/`:

- `generated/jsonschema/<type>.json`: the JSON Schema (draft 2020-12) of every event type, and
  `generated/jsonschema/operation.view.json` that of the message on each agency's feed;
- `generated/asyncapi.yaml`: an AsyncAPI 3.0.0 document of every Kafka topic;
- `generated/CATALOGUE.md`: the event catalogue for agency developers;
- `published/<type>.json`: the frozen, normalised schema of each published type version.
  A snapshot is written once, when a type version first appears, and never overwritten: a
  published version never changes shape (`compatibility_problems` explains a difference).

`python -m deploy.contracts --check` writes nothing and exits 1 when a file is stale or missing.
Every function here is pure except `write_artefacts` and the CLI.
"""

from __future__ import annotations

import json
import sys
import tomllib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cache
from inspect import cleandoc
from pathlib import Path
from typing import Any

import typer
import yaml
from pydantic import TypeAdapter

from deploy.topics import TopicSpec, load_topics
from schemas import envelope as envelope_module
from schemas import feeds as feeds_module
from schemas import signing as signing_module
from schemas import topics
from schemas.agencies import AgencyCode, load_agencies
from schemas.categories import CATEGORY_KEY, Category
from schemas.envelope import CONTENT_TYPE, Envelope, TraceParent, dataschema_for
from schemas.events import EVENT_TYPES
from schemas.feeds import FEED_CONTENT_TYPE, FEED_SCHEMA_ID, OperationViewMessage
from schemas.operation import OperationId, OperationStatus
from schemas.receipts import Receipt
from schemas.subjects import Pseudonym
from schemas.vocabulary import load_vocabulary

SCHEMAS_DIR = Path(__file__).resolve().parents[1] / "schemas"
REPO_DIR = SCHEMAS_DIR.parent
GENERATED_DIR = SCHEMAS_DIR / "generated"
JSONSCHEMA_DIR = GENERATED_DIR / "jsonschema"
PUBLISHED_DIR = SCHEMAS_DIR / "published"
ASYNCAPI_FILE = GENERATED_DIR / "asyncapi.yaml"
CATALOGUE_FILE = GENERATED_DIR / "CATALOGUE.md"

JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
FIX_COMMAND = "make schemas"
FIX_HINT = f"run `{FIX_COMMAND}` (or `.venv/bin/python -m deploy.contracts`) and commit the result"
PER_ITEM_CATEGORY = "per item: see `category`"
MISSING_CATEGORY = "**MISSING**"
KAFKA_BINDING_VERSION = "0.5.0"

JsonObject = dict[str, Any]


# --- serialisation ----------------------------------------------------------------------------

def dump_json(value: Any) -> str:
    """Stable JSON text: sorted keys, indent 2, UTF-8 characters kept, trailing newline."""
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


class _NoAliasDumper(yaml.SafeDumper):
    """Writes a value shared by several places in full each time, never as a YAML alias."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def dump_yaml(value: Any) -> str:
    return yaml.dump(value, Dumper=_NoAliasDumper, sort_keys=False, allow_unicode=True, width=100,
                     default_flow_style=False)


def relative(path: Path) -> str:
    """`path` as the repository-relative POSIX path the messages and the tests use."""
    try:
        return path.resolve().relative_to(REPO_DIR).as_posix()
    except ValueError:
        return path.as_posix()


# --- JSON Schema ------------------------------------------------------------------------------

def event_json_schema(event_type: type[Envelope]) -> JsonObject:
    """The JSON Schema of one event type, with `$schema` and `$id` (its `dataschema` URN)."""
    schema = event_type.model_json_schema()
    return {"$schema": JSON_SCHEMA_DIALECT, "$id": dataschema_for(event_type.TYPE), **schema}


def feed_json_schema() -> JsonObject:
    """The JSON Schema of the message on every agency's feed, with `$schema` and `$id`."""
    return {"$schema": JSON_SCHEMA_DIALECT, "$id": FEED_SCHEMA_ID, **OperationViewMessage.model_json_schema()}


FEED_SCHEMA_FILE = JSONSCHEMA_DIR / f"{OperationViewMessage.TYPE}.json"


def json_schema_files() -> dict[Path, str]:
    return {**{JSONSCHEMA_DIR / f"{t.TYPE}.json": dump_json(event_json_schema(t)) for t in EVENT_TYPES},
            FEED_SCHEMA_FILE: dump_json(feed_json_schema())}


_ANNOTATIONS = frozenset({"description", "title", "examples"})
_SCHEMA_MAPS = frozenset({"properties", "$defs", "definitions", "patternProperties", "dependentSchemas"})
_VALUE_KEYWORDS = frozenset({"default", "const", "enum", "examples"})


def _sort_key(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def normalised_schema(schema: Mapping[str, Any]) -> JsonObject:
    """The schema without annotations ("description", "title", "examples", removed wherever
    they are keywords, never a property that happens to be called so), with `required` and
    `enum` sorted: what a published type version freezes. Idempotent."""

    def walk(node: Any) -> Any:
        if isinstance(node, list):
            return [walk(item) for item in node]
        if not isinstance(node, Mapping):
            return node
        out: JsonObject = {}
        for key, value in node.items():
            if key in _ANNOTATIONS:
                continue
            if key in _SCHEMA_MAPS and isinstance(value, Mapping):
                out[key] = {name: walk(sub) for name, sub in value.items()}
            elif key == "required" and isinstance(value, list):
                out[key] = sorted(value)
            elif key == "enum" and isinstance(value, list):
                out[key] = sorted(value, key=_sort_key)
            elif key in _VALUE_KEYWORDS:
                out[key] = value
            else:
                out[key] = walk(value)
        return out

    result = walk(schema)
    assert isinstance(result, dict)
    return result


def published_snapshot(event_type: type[Envelope]) -> str:
    return dump_json(normalised_schema(event_json_schema(event_type)))


def published_file(event_type: type[Envelope], directory: Path = PUBLISHED_DIR) -> Path:
    return directory / f"{event_type.TYPE}.json"


# --- compatibility ----------------------------------------------------------------------------

_OUTER = ("x-los-category", "default", "deprecated", "readOnly", "writeOnly")
_TIGHTER_WHEN_HIGHER = ("minimum", "exclusiveMinimum", "minLength", "minItems", "minProperties")
_TIGHTER_WHEN_LOWER = ("maximum", "exclusiveMaximum", "maxLength", "maxItems", "maxProperties")
_HANDLED = frozenset({
    "$ref", "$defs", "definitions", "anyOf", "oneOf", "type", "const", "enum", "pattern", "format",
    "properties", "required", "additionalProperties", "items", "multipleOf", "uniqueItems",
    *_OUTER, *_TIGHTER_WHEN_HIGHER, *_TIGHTER_WHEN_LOWER,
})


def _show(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _where(path: str) -> str:
    return f"`{path}`" if path else "the event"


def _pointer(root: Mapping[str, Any], ref: str) -> JsonObject:
    if not ref.startswith("#"):
        raise ValueError(f"only local references are supported, not {ref!r}")
    node: Any = root
    for part in ref.lstrip("#").split("/")[1:]:
        node = node[part.replace("~1", "/").replace("~0", "~")]
    if not isinstance(node, dict):
        raise ValueError(f"{ref!r} does not point to a schema")
    return node


def _resolve(schema: Mapping[str, Any], root: Mapping[str, Any]) -> tuple[JsonObject, str | None]:
    """The schema with its `$ref` followed (sibling keywords kept), and the reference followed."""
    ref = schema.get("$ref")
    if not isinstance(ref, str):
        return dict(schema), None
    seen = {ref}
    target = _pointer(root, ref)
    while isinstance(target.get("$ref"), str) and target["$ref"] not in seen:
        seen.add(target["$ref"])
        target = {**_pointer(root, target["$ref"]), **{k: v for k, v in target.items() if k != "$ref"}}
    return {**target, **{k: v for k, v in schema.items() if k != "$ref"}}, ref


@dataclass(frozen=True)
class _Shape:
    """A property schema split into its outer keywords, nullability and non-null alternatives."""

    outer: JsonObject
    nullable: bool
    alternatives: list[JsonObject]


def _is_null(schema: Mapping[str, Any]) -> bool:
    return schema.get("type") == "null" and len(schema) == 1


def _shape(schema: Mapping[str, Any], root: Mapping[str, Any]) -> _Shape:
    resolved, _ = _resolve(schema, root)
    outer = {k: resolved[k] for k in _OUTER if k in resolved}
    rest = {k: v for k, v in resolved.items() if k not in _OUTER}
    union = rest.get("anyOf", rest.get("oneOf"))
    if isinstance(union, list):
        nullable = any(_is_null(m) for m in union)
        return _Shape(outer, nullable, [m for m in union if not _is_null(m)])
    types = rest.get("type")
    if isinstance(types, list) and "null" in types:
        kept = [t for t in types if t != "null"]
        return _Shape(outer, True, [{**rest, "type": kept[0] if len(kept) == 1 else kept}] if kept else [])
    if _is_null(rest):
        return _Shape(outer, True, [])
    return _Shape(outer, False, [rest])


class _Comparison:
    def __init__(self, published: Mapping[str, Any], current: Mapping[str, Any]) -> None:
        self.published_root = published
        self.current_root = current
        self.problems: list[str] = []

    def say(self, text: str) -> None:
        self.problems.append(text)

    def field(self, path: str, old: Mapping[str, Any], new: Mapping[str, Any],
              visiting: frozenset[tuple[str, str]]) -> None:
        where = _where(path)
        old_shape, new_shape = _shape(old, self.published_root), _shape(new, self.current_root)
        old_cat, new_cat = old_shape.outer.get(CATEGORY_KEY), new_shape.outer.get(CATEGORY_KEY)
        if old_cat != new_cat:
            self.say(f"{where}: information category changed from {old_cat or 'none'} to "
                     f"{new_cat or 'none'} (the disclosure rules act on it)")
        for key in _OUTER[1:]:
            if old_shape.outer.get(key) != new_shape.outer.get(key):
                self.say(f"{where}: `{key}` changed from {_show(old_shape.outer.get(key))} "
                         f"to {_show(new_shape.outer.get(key))}")
        if old_shape.nullable and not new_shape.nullable:
            self.say(f"{where} no longer accepts null")
        elif new_shape.nullable and not old_shape.nullable:
            self.say(f"{where} now also accepts null (consumers of the published schema reject it)")
        olds, news = old_shape.alternatives, new_shape.alternatives
        if len(olds) != len(news):
            self.say(f"{where}: its alternatives changed from {len(olds)} to {len(news)} "
                     f"(was {_show(olds)}, now {_show(news)})")
            return
        for old_alt, new_alt in zip(olds, news, strict=True):
            self.single(path, old_alt, new_alt, visiting)

    def single(self, path: str, old: Mapping[str, Any], new: Mapping[str, Any],
               visiting: frozenset[tuple[str, str]]) -> None:
        where = _where(path)
        old_r, old_ref = _resolve(old, self.published_root)
        new_r, new_ref = _resolve(new, self.current_root)
        if old_ref is not None and new_ref is not None:
            if (old_ref, new_ref) in visiting:
                return
            visiting = visiting | {(old_ref, new_ref)}
        if old_r.get("type") != new_r.get("type"):
            self.say(f"{where}: type changed from {_show(old_r.get('type'))} to {_show(new_r.get('type'))}")
        if old_r.get("const") != new_r.get("const"):
            self.say(f"{where}: fixed value (const) changed from {_show(old_r.get('const'))} "
                     f"to {_show(new_r.get('const'))}")
        self.enum(where, old_r, new_r)
        for key in ("pattern", "format"):
            if old_r.get(key) != new_r.get(key):
                if key not in new_r:
                    self.say(f"{where}: {key} {_show(old_r[key])} was dropped")
                elif key not in old_r:
                    self.say(f"{where}: new {key} {_show(new_r[key])}")
                else:
                    self.say(f"{where}: {key} changed from {_show(old_r[key])} to {_show(new_r[key])}")
        self.constraints(where, old_r, new_r)
        self.object(path, old_r, new_r, visiting)
        if "items" in old_r and "items" in new_r:
            self.field(f"{path}[]", old_r["items"], new_r["items"], visiting)
        elif ("items" in old_r) != ("items" in new_r):
            self.say(f"{where}: item schema changed from {_show(old_r.get('items'))} "
                     f"to {_show(new_r.get('items'))}")
        for key in sorted((set(old_r) | set(new_r)) - _HANDLED):
            if key not in _ANNOTATIONS and old_r.get(key) != new_r.get(key):
                self.say(f"{where}: `{key}` changed from {_show(old_r.get(key))} to {_show(new_r.get(key))}")

    def enum(self, where: str, old: Mapping[str, Any], new: Mapping[str, Any]) -> None:
        old_enum, new_enum = old.get("enum"), new.get("enum")
        if old_enum == new_enum:
            return
        if new_enum is None:
            self.say(f"{where} is no longer restricted to the values {_show(old_enum)}")
            return
        if old_enum is None:
            self.say(f"{where} is now restricted to the values {_show(new_enum)}")
            return
        removed = [v for v in old_enum if v not in new_enum]
        added = [v for v in new_enum if v not in old_enum]
        if removed:
            self.say(f"{where}: allowed value(s) {_show(removed)} removed from the enum "
                     f"(published events may carry them)")
        if added:
            self.say(f"{where}: allowed value(s) {_show(added)} added to the enum "
                     f"(consumers of the published schema reject them)")

    def constraints(self, where: str, old: Mapping[str, Any], new: Mapping[str, Any]) -> None:
        for key in (*_TIGHTER_WHEN_HIGHER, *_TIGHTER_WHEN_LOWER, "multipleOf", "uniqueItems"):
            before, after = old.get(key), new.get(key)
            if before == after:
                continue
            if after is None:
                self.say(f"{where}: constraint {key}={_show(before)} was dropped (loosened)")
            elif before is None:
                self.say(f"{where}: new constraint {key}={_show(after)} (tightened)")
            else:
                direction = ""
                if key in _TIGHTER_WHEN_HIGHER:
                    direction = " (tightened)" if after > before else " (loosened)"
                elif key in _TIGHTER_WHEN_LOWER:
                    direction = " (tightened)" if after < before else " (loosened)"
                self.say(f"{where}: constraint {key} changed from {_show(before)} to {_show(after)}"
                         + direction)

    def object(self, path: str, old: Mapping[str, Any], new: Mapping[str, Any],
               visiting: frozenset[tuple[str, str]]) -> None:
        where = _where(path)
        old_extra, new_extra = old.get("additionalProperties"), new.get("additionalProperties")
        if old_extra is False and new_extra is not False and (old.get("type") == "object"):
            self.say(f"{where} now allows fields it does not declare")
        elif new_extra is False and old_extra is not False and new.get("type") == "object":
            self.say(f"{where} no longer allows fields it does not declare")
        elif isinstance(old_extra, dict) and isinstance(new_extra, dict):
            self.field(f"{path}.*" if path else "*", old_extra, new_extra, visiting)
        old_props: Mapping[str, Any] = old.get("properties", {})
        new_props: Mapping[str, Any] = new.get("properties", {})
        old_req, new_req = set(old.get("required", [])), set(new.get("required", []))
        closed = old_extra is False
        for name in old_props:
            sub = f"{path}.{name}" if path else name
            if name not in new_props:
                self.say(f"field `{sub}` was removed (published events carry it and consumers may"
                         " rely on it)")
                continue
            if name in new_req and name not in old_req:
                self.say(f"field `{sub}` became required (published events may lack it)")
            elif name in old_req and name not in new_req:
                self.say(f"field `{sub}` is no longer required (consumers of the published schema "
                         f"expect it in every event)")
            self.field(sub, old_props[name], new_props[name], visiting)
        for name in new_props:
            if name in old_props:
                continue
            sub = f"{path}.{name}" if path else name
            if name in new_req:
                self.say(f"new required field `{sub}` (events valid under the published schema lack it)")
            elif closed:
                self.say(f"new optional field `{sub}` (the published schema forbids undeclared fields, "
                         f"so its consumers reject events that carry it)")
            else:
                self.say(f"new optional field `{sub}`")


def dereferenced(schema: Mapping[str, Any]) -> JsonObject:
    """The schema with every local `$ref` replaced by what it points to (a recursive model keeps
    its reference) and without `$defs`: the same shape whatever its models are called."""

    def walk(node: Any, seen: frozenset[str]) -> Any:
        if isinstance(node, list):
            return [walk(item, seen) for item in node]
        if not isinstance(node, Mapping):
            return node
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#") and ref not in seen:
            siblings = {k: walk(v, seen) for k, v in node.items() if k != "$ref"}
            return {**walk(_pointer(schema, ref), seen | {ref}), **siblings}
        return {k: v if k in _VALUE_KEYWORDS else walk(v, seen)
                for k, v in node.items() if k not in ("$defs", "definitions")}

    result = walk(schema, frozenset())
    assert isinstance(result, dict)
    return result


def compatibility_problems(published: Mapping[str, Any], current: Mapping[str, Any]) -> list[str]:
    """Every difference between a published schema and the current one, in words (removed
    field, new required field, changed type, enum, pattern, constraint, category...). Both are
    normalised first, so descriptions, titles and the names of models never count. Empty
    exactly when the normalised schemas, with their references followed, agree."""
    old, new = normalised_schema(published), normalised_schema(current)
    if old == new or dereferenced(old) == dereferenced(new):
        return []
    comparison = _Comparison(old, new)
    comparison.field("", old, new, frozenset())
    if not comparison.problems:
        comparison.say("the schemas differ in a way not explained above: published "
                       f"{_show(dereferenced(old))}, current {_show(dereferenced(new))}")
    return comparison.problems


# --- field walk (catalogue) -------------------------------------------------------------------

@dataclass(frozen=True)
class FieldInfo:
    """One row of the catalogue: a field at a dotted path (`[]` marks list items)."""

    path: str
    type: str
    required: str
    category: str
    description: str
    leaf: bool


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _type_text(schema: Mapping[str, Any], root: Mapping[str, Any]) -> str:
    resolved, _ = _resolve(schema, root)
    if "const" in resolved:
        return f"`{_show(resolved['const'])}`"
    if "enum" in resolved:
        return "one of " + ", ".join(f"`{v}`" for v in resolved["enum"])
    kind = resolved.get("type")
    if "properties" in resolved:
        return f"object `{resolved.get('title', 'object')}`"
    if kind == "array":
        items = resolved.get("items", {})
        bounds = _bounds(resolved, "minItems", "maxItems", "items")
        return f"list of {_shape_text(items, root)}" + (f" ({bounds})" if bounds else "")
    if kind == "string":
        parts = ["string"]
        if "format" in resolved:
            parts.append(f"({resolved['format']})")
        bounds = _bounds(resolved, "minLength", "maxLength", "chars")
        if bounds:
            parts.append(f"({bounds})")
        if "pattern" in resolved:
            parts.append(f"matching `{resolved['pattern']}`")
        return " ".join(parts)
    if kind in ("integer", "number"):
        low, high = resolved.get("minimum"), resolved.get("maximum")
        if low is not None or high is not None:
            return f"{kind} {'' if low is None else low}…{'' if high is None else high}"
        return str(kind)
    if kind is None:
        return "any JSON value"
    return str(kind)


def _bounds(schema: Mapping[str, Any], low_key: str, high_key: str, unit: str) -> str:
    low, high = schema.get(low_key), schema.get(high_key)
    if low is not None and high is not None:
        return f"{low}–{high} {unit}"
    if high is not None:
        return f"at most {high} {unit}"
    if low is not None:
        return f"at least {low} {unit}"
    return ""


def _shape_text(schema: Mapping[str, Any], root: Mapping[str, Any]) -> str:
    shape = _shape(schema, root)
    texts = [_type_text(alt, root) for alt in shape.alternatives] or ["null"]
    if shape.nullable and shape.alternatives:
        texts.append("null")
    return " or ".join(texts)


def _description(schema: Mapping[str, Any], root: Mapping[str, Any]) -> str:
    if isinstance(schema.get("description"), str):
        return _one_line(schema["description"])
    shape = _shape(schema, root)
    for alt in shape.alternatives:
        resolved, _ = _resolve(alt, root)
        if isinstance(resolved.get("description"), str):
            return _one_line(resolved["description"])
        if resolved.get("type") == "array":
            item, _ = _resolve(resolved.get("items", {}), root)
            if isinstance(item.get("description"), str):
                return _one_line(item["description"])
    return ""


def _object_of(schema: Mapping[str, Any], root: Mapping[str, Any]) -> tuple[JsonObject | None, bool]:
    """The object schema a field holds (directly or as list items), and whether it is a list."""
    shape = _shape(schema, root)
    if len(shape.alternatives) != 1:
        return None, False
    resolved, _ = _resolve(shape.alternatives[0], root)
    if "properties" in resolved:
        return resolved, False
    if resolved.get("type") == "array":
        items = _shape(resolved.get("items", {}), root)
        if len(items.alternatives) == 1:
            item, _ = _resolve(items.alternatives[0], root)
            if "properties" in item:
                return item, True
    return None, False


def _mentions_category(description: str) -> bool:
    return "`category`" in description.lower()


def walk_fields(schema: Mapping[str, Any], root: Mapping[str, Any], prefix: str = "",
                enclosing: tuple[str, ...] = ()) -> list[FieldInfo]:
    """Every field of an object schema, depth first, nested models as dotted paths."""
    rows: list[FieldInfo] = []
    obj, _ = _resolve(schema, root)
    required = set(obj.get("required", []))
    properties: Mapping[str, Any] = obj.get("properties", {})
    for name, prop in properties.items():
        path = f"{prefix}.{name}" if prefix else name
        shape = _shape(prop, root)
        child, is_list = _object_of(prop, root)
        description = _description(prop, root)
        own = shape.outer.get(CATEGORY_KEY)
        if own is not None:
            category = f"`{own}`"
            others = sorted({c for c in enclosing if c != own})
            if others:
                category += " (enclosing field: " + ", ".join(f"`{c}`" for c in others) + ")"
        elif child is not None:
            category = "— (see the nested fields)"
        elif _mentions_category(description) and "category" in properties:
            category = PER_ITEM_CATEGORY
        else:
            category = MISSING_CATEGORY
        if name in required:
            required_text = "yes"
        elif shape.outer.get("default") not in (None, [], {}):
            required_text = f"no (default `{_show(shape.outer['default'])}`)"
        else:
            required_text = "no"
        rows.append(FieldInfo(path, _shape_text(prop, root), required_text, category, description,
                              leaf=child is None))
        if child is not None:
            rows.extend(walk_fields(child, root, path + ("[]" if is_list else ""),
                                    enclosing + ((own,) if own else ())))
    return rows


def event_fields(event_type: type[Envelope]) -> list[FieldInfo]:
    """The catalogue rows of an event type's payload: `data` and every field under it."""
    schema = event_type.model_json_schema()
    data = {"type": "object", "properties": {"data": schema["properties"]["data"]}, "required": ["data"]}
    return walk_fields(data, schema)


# What the envelope attributes mean, for the catalogue (the model declares no descriptions).
_ENVELOPE_NOTES = {
    "specversion": "CloudEvents version.",
    "id": "The event id. `schemas.envelope.event_id_for` derives it from the agency's record, so"
          " exporting the same record again gives the same id.",
    "source": "`urn:los:agency:<AGENCY>`, optionally `/<system>`: who published the event.",
    "type": "The event type with its version, e.g. `se.los.inspection.conducted.v1`; fixed per type.",
    "time": "When it happened, with a UTC offset (RFC 3339).",
    "subject": "CloudEvents `subject`.",
    "dataschema": "The type's schema URN `urn:los:schema:<family>:<version>`, the `$id` of its JSON Schema.",
    "datacontenttype": "The payload is JSON.",
    "losagency": "The publishing agency's code (`schemas/agencies.yaml`); the signing key must belong to it.",
    "loskeyid": "The signing key's id in the key registry; `schemas.signing.verify` rejects an event"
                " without it as `unsigned`.",
    "lossignature": "Ed25519 signature, base64url without padding; see Signing below.",
    "traceparent": "W3C trace context, signed with the event; also sent as a Kafka header.",
}


def envelope_fields() -> list[FieldInfo]:
    schema = Envelope.model_json_schema()
    properties = {k: v for k, v in schema["properties"].items() if k != "data"}
    return [replace(f, description=f.description or _ENVELOPE_NOTES.get(f.path, ""))
            for f in walk_fields({**schema, "properties": properties}, schema)]


# --- catalogue --------------------------------------------------------------------------------

def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return lines


def _docstring(obj: object) -> str:
    return cleandoc(obj.__doc__ or "")


def _paragraphs(text: str) -> list[str]:
    """A docstring as Markdown paragraphs (lines of one paragraph joined)."""
    return [_one_line(p) for p in text.split("\n\n") if p.strip()]


def _topic_family(spec: TopicSpec) -> str:
    if spec.agency and spec.name.endswith("." + spec.agency.lower()):
        return spec.name[: -len(spec.agency) - 1] + ".<agency>"
    return spec.name


def _retention(ms: int) -> str:
    if ms < 0:
        return "forever"
    days, rest = divmod(ms, 86_400_000)
    return f"{days} days" if not rest else f"{ms} ms"


def catalogue_markdown(specs: Sequence[TopicSpec] | None = None) -> str:
    specs = load_topics() if specs is None else specs
    agencies = load_agencies()
    example = next(iter(agencies), "TAX")
    out: list[str] = [
        "# LOS event catalogue",
        "",
        "<!-- Generated by `python -m deploy.contracts` from `schemas/`; edit the models, not this"
        f" file. `{FIX_COMMAND}` regenerates it. -->",
        "",
        "Every event an agency publishes is a signed CloudEvents 1.0 envelope whose `data` is one of"
        " the payloads below. Each type name carries its version; a published version never changes"
        " shape (a breaking change is a new type version). Machine-readable forms: the JSON Schemas in"
        " `jsonschema/` and the AsyncAPI document `asyncapi.yaml` next to this file. What an agency"
        f" receives on its own feed is the message [`{OperationViewMessage.TYPE}`]"
        f"(#feed-message-{OperationViewMessage.TYPE.replace('.', '')}) at the end.",
        "",
        "## Event types",
        "",
    ]
    out += _table(
        ["type", "purpose", "topic", "JSON Schema"],
        [[f"[`{t.TYPE}`](#{t.TYPE.replace('.', '')})", _one_line(_docstring(t)),
          f"`{topics.events_topic('<agency>').lower()}`", f"`jsonschema/{t.TYPE}.json`"]
         for t in EVENT_TYPES],
    )
    out += [
        "",
        "## Envelope and Kafka binding",
        "",
        *[p + "\n" for p in _paragraphs(_docstring(envelope_module))],
        "Envelope attributes (the same in every event type; `type` is fixed per type, `data` is the"
        " payload described per type below):",
        "",
    ]
    out += _table(["attribute", "type", "required", "category", "description"],
                  [[f"`{f.path}`", f.type, f.required,
                    f.category if f.category != MISSING_CATEGORY else "— (not tagged)", f.description]
                   for f in envelope_fields()])
    out += [
        "",
        f"Kafka record: value = the event as JSON; key = the partition key: `op:<operation_id>` when"
        f" the payload names an operation, else `biz:<orgnr or sole_trader>` when it names a business,"
        f" else `ev:<event id>`; headers `content-type: {CONTENT_TYPE}` and `traceparent`.",
        "",
        "## Signing",
        "",
        *[p + "\n" for p in _paragraphs(_docstring(signing_module))],
        "## Information categories",
        "",
        *[p + "\n" for p in _paragraphs(_docstring(sys.modules[Category.__module__]))],
        "Categories: " + ", ".join(f"`{c.value}`" for c in Category) + ".",
        "",
        f"In the field tables, *category* is the field's own `{CATEGORY_KEY}`; *{PER_ITEM_CATEGORY}*"
        " means the value belongs to the category the item itself carries in its `category` field;"
        " *enclosing field* names a different category declared on a field that contains this one."
        " *Required* is relative to the enclosing object; `[]` marks the items of a list.",
        "",
        "## Topics",
        "",
    ]
    families: dict[str, TopicSpec] = {}
    for spec in specs:
        families.setdefault(_topic_family(spec), spec)
    out += _table(["topic", "partitions", "retention", "description"],
                  [[f"`{name}`", str(s.partitions), _retention(s.retention_ms), s.description]
                   for name, s in families.items()])
    out += ["", "`<agency>` is the agency code in lower case, one topic per agency in"
            " `schemas/agencies.yaml`: " + ", ".join(f"`{code.lower()}`" for code in agencies) + ".", ""]
    for event_type in EVENT_TYPES:
        schema = event_type.model_json_schema()
        data_schema, _ = _resolve(schema["properties"]["data"], schema)
        out += [
            f"## {event_type.TYPE}",
            "",
            *[p + "\n" for p in _paragraphs(_docstring(event_type))],
            f"- Topic: `{topics.events_topic('<agency>').lower()}`, the publishing agency's own events"
            f" topic (e.g. `{topics.events_topic(example)}`); the coordinator reads it and sends what it"
            f" rejects to `{topics.DEAD_LETTER}`.",
            f"- `type`: `{event_type.TYPE}`; `dataschema`: `{dataschema_for(event_type.TYPE)}`;"
            f" JSON Schema: `jsonschema/{event_type.TYPE}.json`.",
            f"- Payload `data`: `{data_schema.get('title', '')}`."
            + (f" {_one_line(data_schema['description'])}" if data_schema.get("description") else ""),
            "",
        ]
        out += _table(["field", "type", "required", "category", "description"],
                      [[f"`{f.path}`", f.type, f.required, f.category, f.description]
                       for f in event_fields(event_type)])
        out.append("")
    out += _feed_section(example)
    return "\n".join(out).rstrip("\n") + "\n"


def feed_fields() -> list[FieldInfo]:
    """The catalogue rows of the feed message: every field, the view's nested ones included."""
    schema = OperationViewMessage.model_json_schema()
    return walk_fields(schema, schema)


def _feed_section(example: str) -> list[str]:
    name = OperationViewMessage.TYPE
    out = [
        f"## Feed message: {name}",
        "",
        *[p + "\n" for p in _paragraphs(_docstring(feeds_module))],
        f"- Topic: `{topics.feed_topic('<agency>').lower()}`, the agency's own feed (e.g."
        f" `{topics.feed_topic(example)}`); only that agency's principal may read it, and"
        " `python -m services.adapters feed` reads it for the agency.",
        f"- `type`: `{name}`; JSON Schema: `jsonschema/{name}.json` (`$id` `{FEED_SCHEMA_ID}`).",
        "",
        "Every item carries its own information category (`category` of a finding or detail, and"
        " the categories of the event's fields above): the disclosure rules decided each, so the"
        " table has no category column.",
        "",
    ]
    out += _table(["field", "type", "required", "description"],
                  [[f"`{f.path}`", f.type, f.required, f.description] for f in feed_fields()])
    out.append("")
    return out


# --- AsyncAPI ---------------------------------------------------------------------------------

def _rewrite_refs(node: Any, prefix: str) -> Any:
    if isinstance(node, list):
        return [_rewrite_refs(item, prefix) for item in node]
    if not isinstance(node, dict):
        return node
    return {k: (prefix + v.removeprefix("#/$defs/") if k == "$ref" and isinstance(v, str)
                else _rewrite_refs(v, prefix)) for k, v in node.items()}


def asyncapi_schemas() -> dict[str, JsonObject]:
    """The event and feed message schemas and their shared definitions, as AsyncAPI component schemas."""
    prefix = "#/components/schemas/"
    schemas: dict[str, JsonObject] = {}
    contracts = [(t.TYPE, t.model_json_schema()) for t in EVENT_TYPES]
    contracts.append((OperationViewMessage.TYPE, OperationViewMessage.model_json_schema()))
    for contract, schema in contracts:
        for name, definition in schema.pop("$defs", {}).items():
            rewritten = _rewrite_refs(definition, prefix)
            if schemas.setdefault(name, rewritten) != rewritten:
                raise ValueError(f"two different models are both called {name!r}")
        schemas[contract] = _rewrite_refs(schema, prefix)
    return schemas


def _pattern(adapter_type: Any) -> str:
    pattern = TypeAdapter(adapter_type).json_schema().get("pattern")
    assert isinstance(pattern, str)
    return pattern.removeprefix("^").removesuffix("$")


def _partition_key_schema() -> JsonObject:
    return {
        "type": "string",
        "description": (
            "The record key is the event's partition key (`Envelope.partition_key`), so one operation's"
            " events stay in order on one partition: `op:<operation_id>` when the payload names an"
            " operation, else `biz:<orgnr or sole_trader pseudonym>` when it names a business, else"
            " `ev:<event id>`."
        ),
        "pattern": (f"^(op:{_pattern(OperationId)}|biz:([0-9]{{6}}-[0-9]{{4}}|{_pattern(Pseudonym)})"
                    "|ev:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$"),
        "examples": ["op:NKPG-2026-07", "biz:556036-0793"],
    }


def _event_headers_schema() -> JsonObject:
    return {
        "type": "object",
        "required": ["content-type"],
        "properties": {
            "content-type": {"type": "string", "const": CONTENT_TYPE,
                             "description": "CloudEvents structured content mode."},
            "traceparent": {
                "type": "string", "pattern": TypeAdapter(TraceParent).json_schema()["pattern"],
                "description": "W3C trace context for tracing middleware; the same value as the signed"
                               " `traceparent` extension of the event.",
            },
        },
    }


def _other_messages() -> dict[str, JsonObject]:
    trace = {"type": "string", "description": "W3C trace context, when the producer traced the work."}
    provisional = ("Not yet a published contract (no pydantic model in `schemas/` yet); consumers must"
                   " treat the shape as provisional.")
    from_code = ("Not yet a published contract (no pydantic model in `schemas/` yet): described here as"
                 " `services.coordinator` writes it today.")
    agency_pattern = TypeAdapter(AgencyCode).json_schema()["pattern"]
    operation_pattern = TypeAdapter(OperationId).json_schema()["pattern"]
    return {
        "los.dead-letter": {
            "name": "los.dead-letter",
            "title": "Rejected record",
            "summary": "A record the coordinator rejected, kept byte for byte for review.",
            "description": "The record key is the rejected record's key, unchanged (it may be absent).",
            "contentType": "application/octet-stream",
            "headers": {
                "type": "object",
                "required": ["los-reason", "los-detail", "los-source-topic", "los-source-partition",
                             "los-source-offset"],
                "properties": {
                    "los-reason": {"type": "string",
                                   "examples": ["invalid_schema", "bad_signature", "wrong_topic"],
                                   "description": "Short machine-readable reason, one of"
                                                  " `services.coordinator.domain.intake.REASONS`."},
                    "los-detail": {"type": "string", "maxLength": 1000,
                                   "description": "Human-readable explanation."},
                    "los-source-topic": {"type": "string", "description": "Topic the record was read from."},
                    "los-source-partition": {"type": "string", "pattern": "^[0-9]+$",
                                             "description": "Its partition (decimal)."},
                    "los-source-offset": {"type": "string", "pattern": "^[0-9]+$",
                                          "description": "Its offset (decimal)."},
                    "los-agency": {"type": "string", "pattern": f"^$|{agency_pattern}",
                                   "description": "The agency the event claims (`losagency`), when it"
                                                  " could be read; empty otherwise."},
                },
            },
            "payload": {"type": "string", "format": "binary",
                        "description": "The rejected record's value: raw bytes exactly as received (empty"
                                       " for a tombstone; it may be no valid JSON at all)."},
        },
        "los.record-change": {
            "name": "los.record-change",
            "title": "Record change",
            "summary": "An operation record changed; written by the coordinator (transactional outbox).",
            "description": "Input of the disclosure egress, which decides what each agency's feed gets."
                           " The record key is the operation id (without the `op:` prefix). " + from_code,
            "contentType": "application/json",
            "headers": {"type": "object", "properties": {
                "content-type": {"type": "string", "const": "application/json"}, "traceparent": trace}},
            "payload": {
                "type": "object",
                "x-los-status": "provisional",
                "description": "One changed operation record. " + from_code,
                "required": ["type", "operation_id", "revision", "status", "at", "agencies_reporting", "seq"],
                "properties": {
                    "type": {"type": "string", "const": "operation.record.changed"},
                    "operation_id": {"type": "string", "pattern": operation_pattern},
                    "revision": {"type": "integer", "minimum": 1,
                                 "description": "The plan revision the record reflects."},
                    "status": {"type": "string", "enum": [s.value for s in OperationStatus]},
                    "at": {"type": "string", "format": "date-time",
                           "description": "When the record changed."},
                    "agencies_reporting": {"type": "array",
                                           "items": {"type": "string", "pattern": agency_pattern},
                                           "description": "Agencies whose events the record holds."},
                    "seq": {"type": "integer", "minimum": 1,
                            "description": "Position in the coordinator's outbox; increases with every"
                                           " change."},
                },
            },
        },
        OperationViewMessage.TYPE: {
            "name": OperationViewMessage.TYPE,
            "title": "Operation view",
            "summary": _one_line(_docstring(OperationViewMessage).split("\n\n")[0]),
            "description": "Only the agency the feed belongs to may read it; every item passed the"
                           " disclosure rules and is recorded in the audit log. JSON Schema in"
                           f" `jsonschema/{OperationViewMessage.TYPE}.json`; `python -m services.adapters feed`"
                           " reads, checks and de-duplicates it for the agency.",
            "contentType": FEED_CONTENT_TYPE,
            "headers": {"type": "object", "properties": {
                "content-type": {"type": "string", "const": FEED_CONTENT_TYPE}, "traceparent": trace}},
            "payload": {"$ref": f"#/components/schemas/{OperationViewMessage.TYPE}"},
            "bindings": {"kafka": {"key": {
                "type": "string", "pattern": operation_pattern,
                "description": "The operation id: one operation's views arrive in order on one partition."},
                "bindingVersion": KAFKA_BINDING_VERSION}},
        },
        "los.receipt": {
            "name": "los.receipt",
            "title": "Receipt",
            "summary": "What the coordinator made of one record an agency sent.",
            "description": "One receipt per record consumed from the agency's events topic (no record"
                           " key; the topic has one partition); `status` is"
                           " `accepted`, `parked`, `duplicate`, `rejected` (with `reason` and `detail`) or,"
                           " later, `joined`. An operation is named only when the agency takes part in it"
                           " (`schemas/receipts.py`). At least once: `seq` tells a repeat, and an event's"
                           " latest receipt its current state.",
            "contentType": "application/json",
            "headers": {"type": "object", "properties": {
                "content-type": {"type": "string", "const": "application/json"}}},
            "payload": Receipt.model_json_schema(),
        },
        "los.audit-checkpoint": {
            "name": "los.audit-checkpoint",
            "title": "Audit checkpoint",
            "summary": "A signed head of the audit hash chain.",
            "description": "Every agency keeps copies outside the database, so a rewritten chain shows. "
                           + provisional,
            "contentType": "application/json",
            "payload": {"type": "object", "x-los-status": "provisional",
                        "description": "A signed audit chain head. " + provisional},
        },
    }


def _event_messages() -> dict[str, JsonObject]:
    messages: dict[str, JsonObject] = {}
    key_schema = _partition_key_schema()
    for event_type in EVENT_TYPES:
        doc = _docstring(event_type)
        messages[event_type.TYPE] = {
            "name": event_type.TYPE,
            "title": event_type.__name__,
            "summary": _one_line(doc.split("\n\n")[0]),
            "description": (f"CloudEvents `type` `{event_type.TYPE}`, `dataschema`"
                            f" `{dataschema_for(event_type.TYPE)}`; JSON Schema in"
                            f" `jsonschema/{event_type.TYPE}.json`. Signed by the publishing agency"
                            " (`loskeyid`, `lossignature`)."),
            "contentType": CONTENT_TYPE,
            "headers": {"$ref": "#/components/schemas/KafkaEventHeaders"},
            "payload": {"$ref": f"#/components/schemas/{event_type.TYPE}"},
            # inline: a bare {"$ref"} matches both alternatives of the binding's `key` oneOf
            "bindings": {"kafka": {"key": key_schema, "bindingVersion": KAFKA_BINDING_VERSION}},
        }
    return messages


def _channel_binding(spec: TopicSpec) -> JsonObject:
    return {"kafka": {
        "topic": spec.name,
        "partitions": spec.partitions,
        "replicas": spec.replication_factor,
        "topicConfiguration": {
            "cleanup.policy": [p.strip() for p in spec.cleanup_policy.split(",")],
            "retention.ms": spec.retention_ms,
        },
        "bindingVersion": KAFKA_BINDING_VERSION,
    }}


def _ref(*parts: str) -> JsonObject:
    return {"$ref": "#/" + "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)}


def asyncapi_document(specs: Sequence[TopicSpec] | None = None) -> JsonObject:
    """The AsyncAPI 3.0.0 document of every topic of `deploy/topics.yaml`."""
    specs = load_topics() if specs is None else specs
    agencies = load_agencies()
    event_messages = _event_messages()
    other_messages = _other_messages()
    channels: dict[str, JsonObject] = {}
    operations: dict[str, JsonObject] = {}

    def operation(op_id: str, action: str, channel: str, actor: str, summary: str,
                  message_ids: Iterable[str]) -> None:
        operations[op_id] = {
            "action": action,
            "channel": _ref("channels", channel),
            "summary": summary,
            "messages": [_ref("channels", channel, "messages", m) for m in message_ids],
            "x-los-actor": actor,
        }

    for spec in specs:
        name = spec.name
        agency = spec.agency
        agency_text = f" Agency: {agency} ({agencies[agency].name})." if agency in agencies else ""
        channel: JsonObject = {"address": name, "title": name,
                               "description": spec.description + agency_text
                               + f" Kafka min.insync.replicas: {spec.min_insync_replicas}."}
        message_ids: list[str] = []
        if agency and name == topics.events_topic(agency):
            message_ids = list(event_messages)
            channel["description"] += (f" Every event here has `losagency` {agency} and is signed with a"
                                       f" key the key registry assigns to {agency}.")
            operation(f"publish.{name}", "send", name, f"adapter {agency}",
                      f"{agency}'s system adapter publishes its signed events.", message_ids)
            operation(f"receive.{name}", "receive", name, "coordinator",
                      "The coordinator verifies signature, owner and schema, correlates the event into"
                      f" operation records, and sends what it rejects to {topics.DEAD_LETTER}.",
                      message_ids)
        elif agency and name == topics.feed_topic(agency):
            message_ids = [OperationViewMessage.TYPE]
            operation(f"send.{name}", "send", name, "disclosure egress",
                      f"The disclosure egress publishes what the rules let {agency} see.", message_ids)
            operation(f"receive.{name}", "receive", name, f"agency {agency}",
                      f"{agency} reads its feed (and only {agency} may).", message_ids)
        elif agency and name == topics.receipts_topic(agency):
            message_ids = ["los.receipt"]
            operation(f"send.{name}", "send", name, "coordinator",
                      f"The coordinator tells {agency} what became of each record on its events topic.",
                      message_ids)
            operation(f"receive.{name}", "receive", name, f"agency {agency}",
                      f"{agency}'s adapter reads its receipts (and only {agency}'s may).", message_ids)
        elif name == topics.DEAD_LETTER:
            message_ids = ["los.dead-letter"]
            operation(f"send.{name}", "send", name, "coordinator",
                      "The coordinator parks every record it rejects, with the reason in headers.",
                      message_ids)
        elif name == topics.RECORD_CHANGES:
            message_ids = ["los.record-change"]
            operation(f"send.{name}", "send", name, "coordinator",
                      "The coordinator announces every change to operation records and dossiers.",
                      message_ids)
            operation(f"receive.{name}", "receive", name, "disclosure egress",
                      "The disclosure egress applies the disclosure rules to each change.", message_ids)
        elif name == topics.AUDIT_CHECKPOINTS:
            message_ids = ["los.audit-checkpoint"]
            operation(f"send.{name}", "send", name, "audit",
                      "The audit log publishes signed heads of its hash chain.", message_ids)
            operation(f"receive.{name}", "receive", name, "every agency",
                      "Agencies copy the checkpoints outside the database.", message_ids)
        if message_ids:
            channel["messages"] = {m: _ref("components", "messages", m) for m in message_ids}
        channel["bindings"] = _channel_binding(spec)
        channels[name] = channel

    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "LOS samverkan: event streams",
            "version": _project_version(),
            "description": "\n\n".join([
                "Every Kafka topic of LOS samverkan, generated from `schemas/` and `deploy/topics.yaml`"
                f" by `python -m deploy.contracts` (`{FIX_COMMAND}`); do not edit by hand. Operations"
                " describe the whole system; `x-los-actor` names the process that performs each.",
                *_paragraphs(_docstring(envelope_module)),
            ]),
            "license": {"name": "EUPL-1.2", "url": "https://interoperable-europe.ec.europa.eu/collection/eupl"},
        },
        "defaultContentType": CONTENT_TYPE,
        "servers": {
            "kafka": {
                "host": "{bootstrap}",
                "protocol": "kafka",
                "description": "The LOS Kafka cluster; `LOS_KAFKA_BOOTSTRAP_SERVERS` names its brokers.",
                "variables": {"bootstrap": {"description": "host:port of a bootstrap broker"}},
            },
        },
        "channels": channels,
        "operations": operations,
        "components": {
            "schemas": {
                "KafkaEventHeaders": _event_headers_schema(),
                **asyncapi_schemas(),
            },
            "messages": {**event_messages, **other_messages},
        },
    }


@cache
def _project_version() -> str:
    with (REPO_DIR / "pyproject.toml").open("rb") as handle:
        return str(tomllib.load(handle)["project"]["version"])


# --- the artefacts together -------------------------------------------------------------------

def generated_files() -> dict[Path, str]:
    """Every file under `schemas/generated/`, as it should be, by absolute path."""
    specs = load_topics()
    return {
        **json_schema_files(),
        ASYNCAPI_FILE: dump_yaml(asyncapi_document(specs)),
        CATALOGUE_FILE: catalogue_markdown(specs),
    }


def stale_files(generated_dir: Path = GENERATED_DIR) -> list[str]:
    """Generated files that differ from what the models produce, are missing, or should not exist."""
    expected = {generated_dir / p.relative_to(GENERATED_DIR): text for p, text in generated_files().items()}
    stale = [relative(path) for path, text in expected.items()
             if not path.is_file() or path.read_text(encoding="utf-8") != text]
    jsonschema_dir = generated_dir / JSONSCHEMA_DIR.relative_to(GENERATED_DIR)
    if jsonschema_dir.is_dir():
        stale += [relative(p) + " (no such event type any more)"
                  for p in sorted(jsonschema_dir.glob("*.json")) if p not in expected]
    return stale


def missing_snapshots(published_dir: Path = PUBLISHED_DIR) -> list[str]:
    return [relative(published_file(t, published_dir)) for t in EVENT_TYPES
            if not published_file(t, published_dir).is_file()]


def changed_published_types(published_dir: Path = PUBLISHED_DIR) -> dict[str, list[str]]:
    """Published type versions whose current schema differs from the snapshot, with the problems."""
    changed: dict[str, list[str]] = {}
    for event_type in EVENT_TYPES:
        path = published_file(event_type, published_dir)
        if path.is_file():
            problems = compatibility_problems(json.loads(path.read_text(encoding="utf-8")),
                                              event_json_schema(event_type))
            if problems:
                changed[event_type.TYPE] = problems
    return changed


def write_artefacts(generated_dir: Path = GENERATED_DIR, published_dir: Path = PUBLISHED_DIR,
                    echo: Callable[[str], None] = print) -> None:
    """Write every generated file that changed, and a snapshot for each type that has none."""
    expected = {generated_dir / p.relative_to(GENERATED_DIR): text for p, text in generated_files().items()}
    for path, text in expected.items():
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8", newline="\n")
            echo(f"wrote {relative(path)}")
    jsonschema_dir = generated_dir / JSONSCHEMA_DIR.relative_to(GENERATED_DIR)
    for orphan in sorted(jsonschema_dir.glob("*.json")):
        if orphan not in expected:
            orphan.unlink()
            echo(f"removed {relative(orphan)} (no such event type any more)")
    for event_type in EVENT_TYPES:
        path = published_file(event_type, published_dir)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(published_snapshot(event_type), encoding="utf-8", newline="\n")
            echo(f"froze {relative(path)} (first publication of {event_type.TYPE})")
    added = publish_vocabulary(published_dir)
    if added:
        echo(f"published {', '.join(added)} in {relative(published_dir / VOCABULARY_SNAPSHOT)}")


VOCABULARY_SNAPSHOT = "vocabulary.json"


def published_vocabulary(published_dir: Path = PUBLISHED_DIR) -> dict[str, list[str]]:
    path = published_dir / VOCABULARY_SNAPSHOT
    if not path.is_file():
        return {"categories": [], "decision_kinds": []}
    found: dict[str, list[str]] = json.loads(path.read_text(encoding="utf-8"))
    return found


def publish_vocabulary(published_dir: Path = PUBLISHED_DIR) -> list[str]:
    """Add the newly registered codes to the published vocabulary (never remove one: a code
    once published stays valid, which `tests/unit/schemas/test_vocabulary.py` holds)."""
    vocabulary = load_vocabulary()
    published = published_vocabulary(published_dir)
    current = {"categories": list(vocabulary.categories), "decision_kinds": list(vocabulary.decision_kinds)}
    added = [f"{section}.{code}" for section, codes in current.items() for code in codes
             if code not in published[section]]
    if added:
        merged = {section: sorted(set(published[section]) | set(codes)) for section, codes in current.items()}
        path = published_dir / VOCABULARY_SNAPSHOT
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(merged, ensure_ascii=False, indent=2) + "\n", encoding="utf-8", newline="\n")
    return added


_BREAK_HINT = ("a published type version never changes shape: restore it, and publish the change as a"
               " new type version (e.g. ….v2) alongside the old one")

app = typer.Typer(add_completion=False, help=__doc__.split("\n\n")[0] if __doc__ else None)


@app.command()
def generate(
    check: bool = typer.Option(False, "--check", help="Write nothing; exit 1 if a file is stale or missing."),
) -> None:
    """Write the JSON Schemas, the AsyncAPI document, the catalogue and missing published snapshots."""
    changed = changed_published_types()
    if check:
        stale = stale_files() + [f"{p} (missing snapshot)" for p in missing_snapshots()]
        if stale:
            typer.echo("These generated files are out of date:", err=True)
            for name in stale:
                typer.echo(f"  {name}", err=True)
            typer.echo(f"Fix: {FIX_HINT}.", err=True)
    else:
        stale = []
        write_artefacts(echo=typer.echo)
    for type_name, problems in changed.items():
        typer.echo(f"{relative(PUBLISHED_DIR / (type_name + '.json'))}: {type_name} changed shape:", err=True)
        for problem in problems:
            typer.echo(f"  - {problem}", err=True)
    if changed:
        typer.echo(f"Fix: {_BREAK_HINT}.", err=True)
    if stale or changed:
        raise typer.Exit(1)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
