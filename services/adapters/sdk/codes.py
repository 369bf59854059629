"""Native code tables: reading a code with an error that lists the allowed ones, finding the code
of a canonical value when writing, yes/no fields, and the code lists several exports share.

The national agencies' exports spell their codes in lower case (`bilverkstad`, `ej_registrerad`);
the municipal case systems (including the rescue service) in upper case (`BILVERKSTAD`,
`EJ_REDOVISAD`). Each list here is documented again in the docstring of every format that uses it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from schemas.decision import AppealStatus
from schemas.subjects import Industry, PersonRole
from services.adapters.sdk.native import FieldError, Row, optional

T = TypeVar("T")


def code(table: Mapping[str, T], row: Row, field: str, default: str = "") -> T:
    """The canonical value of a code spelt exactly as in `table` (empty: `default`)."""
    value = optional(row, field) or default
    if value not in table:
        raise FieldError(field, f"{value or 'empty'!r} is not one of {', '.join(table)}")
    return table[value]


def upper_code(table: Mapping[str, T], value: str, field: str, default: str = "") -> T:
    """The canonical value of a code of upper-case `table`, in whatever case it is given."""
    value = (value or default).upper()
    if value not in table:
        shown = f"{value!r}" if value else "empty"
        raise FieldError(field, f"code is {shown}; expected one of {', '.join(table)}")
    return table[value]


def code_for(table: Mapping[str, T], value: T) -> str:
    """The native code of a canonical value (writing); ValueError if the format has none."""
    for key, known in table.items():
        if known == value:
            return key
    raise ValueError(f"{value!r} has no code in this format (codes: {', '.join(table)})")


@dataclass(frozen=True)
class YesNo:
    """How an export spells a yes/no field: the spellings of each (compared after `fold`) and
    what an error message calls the allowed values."""

    yes: tuple[str, ...]
    no: tuple[str, ...]
    says: str
    fold: Callable[[str], str] = str

    def __call__(self, value: str, field: str) -> bool:
        folded = self.fold(value)
        if folded in self.yes:
            return True
        if folded in self.no:
            return False
        raise FieldError(field, f"{value!r} is not {self.says}")


J_OR_N = YesNo(("J", "JA"), ("", "N", "NEJ"), "J or N", str.upper)
TRUE_OR_FALSE = YesNo(("true",), ("", "false"), "true or false")
TRUE_FALSE_1_OR_0 = YesNo(("true", "1"), ("", "false", "0"), "true or false", str.lower)
# exports that report a wrong yes/no like any other code
ONE_OF_J_N = YesNo(("J",), ("", "N"), "one of J, N")
ONE_OF_TRUE_FALSE = YesNo(("true",), ("", "false"), "one of true, false")

# canonical value, national spelling, municipal spelling
_INDUSTRIES = (
    (Industry.CAR_WORKSHOP, "bilverkstad", "BILVERKSTAD"),
    (Industry.CAR_WASH, "biltvatt", "BILTVATT"),
    (Industry.TATTOO_STUDIO, "tatueringsstudio", "TATUERING"),
    (Industry.NAIL_SALON, "nagelsalong", "NAGELSALONG"),
    (Industry.HAIRDRESSER, "frisor", "FRISOR"),
    (Industry.RESTAURANT, "restaurang", "RESTAURANG"),
    (Industry.KIOSK, "kiosk", "KIOSK"),
    (Industry.FOOD_WHOLESALE, "livsmedelsgrossist", "LIVSMEDELSGROSSIST"),
    (Industry.CONSTRUCTION_SITE, "byggarbetsplats", "BYGGARBETSPLATS"),
    (Industry.OTHER, "ovrigt", "OVRIGT"),
)
_ROLES = (
    (PersonRole.OWNER, "agare", "AGARE"),
    (PersonRole.BOARD_MEMBER, "styrelseledamot", "STYRELSELEDAMOT"),
    (PersonRole.EMPLOYEE, "anstalld", "ANSTALLD"),
    (PersonRole.UNRECORDED_WORKER, "ej_registrerad", "EJ_REDOVISAD"),
    (PersonRole.OTHER, "ovrig", "OVRIG"),
)
_APPEALS = (
    (AppealStatus.NOT_APPEALED, "ej_overklagat", "EJ_OVERKLAGAT"),
    (AppealStatus.APPEALED, "overklagat", "OVERKLAGAT"),
    (AppealStatus.UPHELD, "faststallt", "FASTSTALLT"),
    (AppealStatus.OVERTURNED, "upphavt", "UPPHAVT"),
    (AppealStatus.FINAL, "laga_kraft", "LAGA_KRAFT"),
)
NATIONAL_INDUSTRIES = {national: value for value, national, _ in _INDUSTRIES}
NATIONAL_ROLES = {national: value for value, national, _ in _ROLES}
NATIONAL_APPEALS = {national: value for value, national, _ in _APPEALS}
MUNICIPAL_INDUSTRIES = {municipal: value for value, _, municipal in _INDUSTRIES}
MUNICIPAL_ROLES = {municipal: value for value, _, municipal in _ROLES}
MUNICIPAL_APPEALS = {municipal: value for value, _, municipal in _APPEALS}
