"""The registered vocabularies: open sets with a compatibility rule of their own (a published
code is never removed or renamed), and data files whose mistakes are named by file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from deploy.contracts import published_vocabulary
from schemas.agencies import REGISTRY_FILE, Registry, RegistryError
from schemas.categories import Category
from schemas.decision import DecisionKind
from schemas.vocabulary import Vocabulary, load_vocabulary
from schemas.yaml_lines import ConfigurationError, load_with_lines


def test_every_published_code_stays_registered() -> None:
    vocabulary, published = load_vocabulary(), published_vocabulary()
    assert set(published["categories"]) <= set(vocabulary.categories), "a published category was removed"
    assert set(published["decision_kinds"]) <= set(vocabulary.decision_kinds), "a published decision kind was removed"


def test_the_v1_enums_are_the_vocabulary_as_published_with_them() -> None:
    vocabulary = load_vocabulary()
    assert {c.value for c in Category} <= set(vocabulary.categories)
    assert {k.value for k in DecisionKind} <= set(vocabulary.decision_kinds)


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_vocabulary_mistake_names_the_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, "vocabulary.yaml", "categories:\n  tax: {name: Skatt}\n  Migration: {name: M}\n"
                                              "decision_kinds:\n  utvisning: {name: Utvisning}\n")
    doc, lines = load_with_lines(path)
    with pytest.raises(ConfigurationError, match=rf"{path}:3: categories.Migration: 'Migration' is not a code"):
        Vocabulary.from_document(doc, lines, str(path))


def test_a_registry_naming_an_unregistered_category_names_the_file_and_line(tmp_path: Path) -> None:
    joining = "  MIGRATION: {name: Migrationsverket, level: national, categories: [migration]}\n"
    text = REGISTRY_FILE.read_text(encoding="utf-8").replace("functions:\n", "functions:\n" + joining, 1)
    path = write(tmp_path, "agencies.yaml", text)
    doc, lines = load_with_lines(path)
    with pytest.raises(RegistryError, match=rf"{path}:\d+: functions.MIGRATION.categories: unknown categories"):
        Registry.from_document(doc, str(path), lines, load_vocabulary())
