"""JSON and XML records as rows of text, so that one set of field parsers (`native.required`,
`native.parse_int`, `codes.code` ...) serves CSV, JSON and XML exports alike; and errors that name
the native field, also inside nested elements (`personer[1].roll`, `objekt/adress`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, TypeVar
from xml.etree import ElementTree

from pydantic import BaseModel, ValidationError

from services.adapters.sdk.native import FieldError

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")
R = TypeVar("R")


def json_row(record: object, what: str = "") -> dict[str, str]:
    """The scalar members of a JSON object as text (booleans `true`/`false`, null empty);
    its lists and objects are read apart. `what` names the record in the error."""
    if not isinstance(record, dict):
        raise FieldError("-", f"{what} must be a JSON object".lstrip())
    return {k: "" if v is None else str(v).lower() if isinstance(v, bool) else str(v)
            for k, v in record.items() if not isinstance(v, list | dict)}


def json_paths(record: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    """Scalars of a JSON object and of the objects in it as 'path.key' -> stripped text
    (booleans `true`/`false`; null left out); lists are read apart."""
    texts: dict[str, str] = {}
    for key, value in record.items():
        if isinstance(value, dict):
            texts.update(json_paths(value, f"{prefix}{key}."))
        elif isinstance(value, bool):
            texts[prefix + key] = "true" if value else "false"
        elif value is not None and not isinstance(value, list):
            texts[prefix + key] = str(value).strip()
    return texts


def json_list(record: Mapping[str, Any], field: str) -> list[Any]:
    """A JSON list member; absent or null is empty."""
    value = record.get(field) or []
    if not isinstance(value, list):
        raise FieldError(field, "must be a JSON list")
    return value


def json_items(record: Mapping[str, Any], field: str) -> list[Any]:
    """A list of JSON objects or strings; absent or null is empty."""
    value = record.get(field) or []
    if not isinstance(value, list) or not all(isinstance(item, dict | str) for item in value):
        raise FieldError(field, "must be a list")
    return value


def xml_row(element: ElementTree.Element) -> dict[str, str]:
    """The element's childless children as tag -> stripped text."""
    return {child.tag: (child.text or "").strip() for child in element if len(child) == 0}


def xml_paths(element: ElementTree.Element, prefix: str = "", *,
              apart: tuple[str, ...] = ()) -> dict[str, str]:
    """Leaf descendants as 'path/tag' -> stripped text; the children named in `apart` (lists of
    sub-records) are read apart."""
    texts: dict[str, str] = {}
    for child in element:
        if child.tag in apart:
            continue
        if len(child):
            texts.update(xml_paths(child, f"{prefix}{child.tag}/", apart=apart))
        else:
            texts[prefix + child.tag] = (child.text or "").strip()
    return texts


@contextmanager
def within(prefix: str) -> Iterator[None]:
    """Errors inside name their field as `prefix` + field, e.g. 'personer[2].' + 'roll'."""
    try:
        yield
    except FieldError as error:
        raise FieldError(prefix + error.field, error.message) from None


def each(items: Iterable[T], prefix: str, read: Callable[[T], R], *, start: int = 0) -> list[R]:
    """`read` of every item of a nested list; errors name the item, `prefix` formatted with its
    index (counted from `start`), e.g. 'personer[{}].'."""
    results = []
    for index, item in enumerate(items, start):
        with within(prefix.format(index)):
            results.append(read(item))
    return results


def build(model: type[M], names: Mapping[str, str], **values: Any) -> M:
    """A contract model; its first validation error names the native field (`names` maps the
    model's field names to the native ones)."""
    try:
        return model(**values)
    except ValidationError as error:
        first = error.errors(include_input=False, include_url=False)[0]
        key = str(first["loc"][0]) if first["loc"] else "-"
        raise FieldError(names.get(key, key), first["msg"]) from None
