"""A published event type version never changes shape: its current JSON Schema, normalised,
equals the snapshot frozen in schemas/published/ when it was first published (up to the names
of its models: references are followed). A breaking change is a new type version (….v2),
published alongside the old one."""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Any

import pytest
from pydantic import Field

from deploy.contracts import (
    FIX_HINT,
    compatibility_problems,
    event_json_schema,
    normalised_schema,
    published_file,
    relative,
)
from schemas.base import Contract
from schemas.categories import Category, category_field
from schemas.envelope import Envelope
from schemas.events import EVENT_TYPES


@pytest.mark.parametrize("event_type", EVENT_TYPES, ids=lambda t: t.TYPE)
def test_every_event_type_has_a_published_snapshot(event_type: type[Envelope]) -> None:
    path = published_file(event_type)
    assert path.is_file(), f"{relative(path)} is missing: {FIX_HINT} (it freezes the new type version)"


@pytest.mark.parametrize("event_type", EVENT_TYPES, ids=lambda t: t.TYPE)
def test_published_type_versions_keep_their_shape(event_type: type[Envelope]) -> None:
    path = published_file(event_type)
    if not path.is_file():
        pytest.skip(f"{relative(path)} is missing (see test_every_event_type_has_a_published_snapshot)")
    published = json.loads(path.read_text(encoding="utf-8"))
    assert published == normalised_schema(published), f"{relative(path)} is not a normalised schema"
    current = event_json_schema(event_type)
    problems = compatibility_problems(published, current)
    assert not problems, (
        f"{event_type.TYPE} was published and must not change shape, but:\n  - "
        + "\n  - ".join(problems)
        + "\nRestore the published shape and make the change a new type version alongside this one."
    )


# --- compatibility_problems on synthetic schemas -----------------------------------------------

class Colour(StrEnum):
    RED = "red"
    GREEN = "green"
    BLUE = "blue"


class ColourNow(StrEnum):
    RED = "red"
    GREEN = "green"
    YELLOW = "yellow"


class Published(Contract):
    """v1 as published."""

    name: str = category_field(Category.BUSINESS_IDENTITY, description="Removed later.")
    colour: Colour = category_field(Category.PREMISES)
    note: str | None = category_field(Category.RECORD_METADATA, default=None)
    count: int = category_field(Category.RECORD_METADATA, ge=0, le=100)
    title: str = category_field(Category.RECORD_METADATA, max_length=50)


class Current(Contract):
    """The same type edited in place, wrongly."""

    colour: ColourNow = category_field(Category.PREMISES)
    note: str = category_field(Category.RECORD_METADATA)
    count: int = category_field(Category.RECORD_METADATA, ge=1, le=100)
    title: str = category_field(Category.PREMISES, max_length=50)
    reason: str = category_field(Category.RECORD_METADATA)


def _schemas() -> tuple[dict[str, Any], dict[str, Any]]:
    return Published.model_json_schema(), Current.model_json_schema()


def _problem(problems: list[str], *words: str) -> bool:
    return any(all(w in p for w in words) for p in problems)


def test_detects_a_removed_field() -> None:
    problems = compatibility_problems(*_schemas())
    assert _problem(problems, "`name`", "removed"), problems


def test_detects_a_newly_required_field() -> None:
    problems = compatibility_problems(*_schemas())
    assert _problem(problems, "new required field `reason`"), problems
    assert _problem(problems, "`note`", "became required"), problems
    assert _problem(problems, "`note`", "no longer accepts null"), problems


def test_detects_a_changed_enum() -> None:
    problems = compatibility_problems(*_schemas())
    assert _problem(problems, "`colour`", '"blue"', "removed"), problems
    assert _problem(problems, "`colour`", '"yellow"', "added"), problems


def test_detects_changed_constraints_and_categories() -> None:
    problems = compatibility_problems(*_schemas())
    assert _problem(problems, "`count`", "minimum", "tightened"), problems
    assert _problem(problems, "`title`", "category", "record_metadata", "premises"), problems


def test_annotations_and_model_names_do_not_count() -> None:
    published, _ = _schemas()
    relabelled = json.loads(json.dumps(published).replace("Removed later.", "Reworded.")
                            .replace('"Colour"', '"Hue"').replace("#/$defs/Colour", "#/$defs/Hue"))
    relabelled["$defs"] = {"Hue" if k == "Colour" else k: v for k, v in relabelled["$defs"].items()}
    relabelled["description"] = "A new docstring."
    assert compatibility_problems(published, relabelled) == []


def test_normalising_keeps_a_field_called_title_and_is_idempotent() -> None:
    published, _ = _schemas()
    normalised = normalised_schema(published)
    assert "title" in normalised["properties"] and "title" not in normalised
    assert "description" not in json.dumps(normalised)
    assert normalised_schema(normalised) == normalised


def test_no_problems_exactly_when_the_normalised_schemas_agree() -> None:
    published, current = _schemas()
    assert compatibility_problems(published, published) == []
    widened = json.loads(json.dumps(published))
    widened["properties"]["title"]["maxLength"] = 60
    problems = compatibility_problems(published, widened)
    assert problems and _problem(problems, "`title`", "maxLength", "loosened"), problems
    assert compatibility_problems(published, current)


class Item(Contract):
    code: str = Field(pattern=r"^[A-Z]{2}$")


class Outer(Contract):
    items: list[Item] = Field(default_factory=list)


def test_detects_changes_inside_list_items() -> None:
    published = Outer.model_json_schema()
    current = json.loads(json.dumps(published))
    current["$defs"]["Item"]["properties"]["code"]["pattern"] = "^[A-Z]{3}$"
    problems = compatibility_problems(published, current)
    assert _problem(problems, "`items[].code`", "pattern"), problems
