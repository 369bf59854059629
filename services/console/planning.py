"""Turning what a coordinator fills in into an `OperationPlan`, validated by the contract.

Errors come back per field in Swedish, keyed like the form's inputs, so the form can show
each next to its field; the plan itself is exactly the schema's (schemas/operation.py).
"""

from __future__ import annotations

import datetime
import secrets
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from schemas.operation import OperationPlan
from schemas.subjects import Industry

INDUSTRIES: dict[str, str] = {
    Industry.CAR_WORKSHOP: "Bilverkstad", Industry.CAR_WASH: "Biltvätt",
    Industry.TATTOO_STUDIO: "Tatueringsstudio",
    Industry.NAIL_SALON: "Nagelsalong", Industry.HAIRDRESSER: "Frisör", Industry.RESTAURANT: "Restaurang",
    Industry.KIOSK: "Kiosk eller butik", Industry.FOOD_WHOLESALE: "Livsmedelsgrossist",
    Industry.CONSTRUCTION_SITE: "Byggarbetsplats", Industry.OTHER: "Annat",
}
FIELD_NAMES = {"title": "Rubrik", "municipality": "Kommun", "planned_date": "Datum",
               "participants": "Deltagare",
               "operation_id": "Operations-id", "fastighetsbeteckning": "fastighetsbeteckning",
               "address": "adress", "orgnr": "organisationsnummer", "name": "företagsnamn",
               "note": "anteckning"}


class TargetInput(BaseModel):
    """One premises to visit, as the form or the API gives it."""

    fastighetsbeteckning: str | None = None
    address: str | None = None
    orgnr: str | None = None
    business_name: str | None = None
    industry: Industry = Industry.OTHER
    note: str | None = None

    def is_empty(self) -> bool:
        return not any((self.fastighetsbeteckning, self.address, self.orgnr, self.business_name, self.note))


class PlanInput(BaseModel):
    operation_id: str | None = Field(default=None, description="Lämnas tomt för ett föreslaget id.")
    title: str
    municipality: str
    planned_date: datetime.date | str
    participants: list[str] = Field(default_factory=list)
    targets: list[TargetInput] = Field(default_factory=list)
    case_reference: str | None = Field(default=None, description=(
        "Din myndighets diarienummer för insatsen: då får du ett uppdrag i operationen (gemensam insats)."))


@dataclass
class Checked:
    plan: OperationPlan | None
    errors: dict[str, str] = field(default_factory=dict)  # form field -> Swedish message


def suggested_id(municipality: str, day: datetime.date | None) -> str:
    """E.g. NORR-20261201-3F9A: readable, within the contract's pattern, unlikely to collide."""
    ascii_name = unicodedata.normalize("NFKD", municipality).encode("ascii", "ignore").decode().upper()
    prefix = "".join(c for c in ascii_name if c.isalnum())[:4] or "LOS"
    return f"{prefix}-{(day or datetime.date.today()):%Y%m%d}-{secrets.token_hex(2).upper()}"


def _blank(value: str | None) -> str | None:
    return value.strip() or None if value is not None else None


def _date(text: str) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(text.strip())
    except ValueError:
        return None


def _message(error: dict[str, Any]) -> str:
    kind, text = error["type"], str(error["msg"])
    if kind in ("missing", "string_too_short"):
        return "måste fyllas i"
    if kind.startswith("date"):
        return "ange ett datum (ÅÅÅÅ-MM-DD)"
    if kind == "string_pattern_mismatch":
        return "har fel format (versaler, siffror och bindestreck, 3–40 tecken)"
    if kind == "string_too_long":
        return "är för lång"
    if kind == "too_short":
        return "välj minst en"
    return "ogiltigt värde: " + text.removeprefix("Value error, ")


def _field_of(loc: tuple[Any, ...], rows: list[int]) -> tuple[str, str]:
    """(form field, Swedish label) for an error location in the plan."""
    if loc and loc[0] == "targets" and len(loc) > 1 and isinstance(loc[1], int):
        row = rows[loc[1]]
        leaf = next((str(p) for p in reversed(loc) if isinstance(p, str) and p in FIELD_NAMES), "")
        name = {"name": "business_name"}.get(leaf, leaf)
        shown = f"Mål {row + 1}: {FIELD_NAMES.get(leaf, 'mål')}"
        return (f"target_{row}_{name}" if name else f"target_{row}"), shown
    top = str(loc[0]) if loc else "plan"
    return top, FIELD_NAMES.get(top, top)


def check_plan(given: PlanInput, *, lead_agency: str, known_agencies: set[str]) -> Checked:
    errors: dict[str, str] = {}
    unknown = [a for a in given.participants if a not in known_agencies]
    if unknown:
        errors["participants"] = f"Deltagare: okända myndigheter {', '.join(unknown)}"
    others = sorted({a for a in given.participants if a != lead_agency and a not in unknown})
    participants = [lead_agency, *others]
    rows = [i for i, t in enumerate(given.targets) if not t.is_empty()]
    targets = []
    for i in rows:
        t = given.targets[i]
        if not (_blank(t.fastighetsbeteckning) or _blank(t.address)):
            errors[f"target_{i}_fastighetsbeteckning"] = f"Mål {i + 1}: ange fastighetsbeteckning eller "\
                                                         "adress"
        if _blank(t.orgnr) and not _blank(t.business_name):
            errors[f"target_{i}_business_name"] = (f"Mål {i + 1}: ange företagets namn till "
                                                   "organisationsnumret")
        business = {"orgnr": _blank(t.orgnr), "name": _blank(t.business_name)} if _blank(t.orgnr) else None
        targets.append({"premises": {"fastighetsbeteckning": _blank(t.fastighetsbeteckning),
                                     "address": _blank(t.address), "industry": t.industry.value},
                        "business": business, "note": _blank(t.note)})
    if not rows:
        errors["targets"] = "Ange minst ett mål (fastighetsbeteckning eller adress)"
    day = given.planned_date if isinstance(given.planned_date, datetime.date) else _date(given.planned_date)
    candidate = {"operation_id": _blank(given.operation_id) or suggested_id(given.municipality, day),
                 "revision": 1, "title": given.title, "municipality": given.municipality,
                 "planned_date": given.planned_date, "lead_agency": lead_agency,
                 "participants": participants, "targets": targets}
    try:
        plan = OperationPlan.model_validate(candidate)
    except ValidationError as error:
        for e in error.errors(include_url=False):
            name, shown = _field_of(tuple(e["loc"]), rows)
            errors.setdefault(name, f"{shown}: {_message(dict(e))}")
        return Checked(None, errors)
    return Checked(None if errors else plan, errors)
