"""Duties to notify, and the bodies each lets a notice reach (`notice_duties.yaml`, data).

A notice (underrättelse) is an act of the holder of the information: under Lag (2008:206)
(FUT) the holder tells the body that decided a benefit that it may be wrongly paid. The
register names, per duty, how a notice cites it and which bodies it may be addressed to, so
that the coordinator refuses a notice citing a duty to anybody else and the disclosure
policy opens a notice only to an addressee the duty names. Entries that could not be
confirmed in primary sources say so (`verified: false`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from schemas.yaml_lines import ConfigurationError, line_of, load_with_lines

NOTICE_DUTIES_FILE = Path(__file__).with_name("notice_duties.yaml")


@dataclass(frozen=True)
class Addressee:
    body: str  # the body as the law names it
    function: str | None  # the registry's function for it, None when it is no participant
    verified: bool


@dataclass(frozen=True)
class NoticeDuty:
    id: str  # the policy's basis id for the same law
    law: str
    cited_as: tuple[str, ...]  # a notice's `legal_basis` containing one of these cites the duty
    addressees: tuple[Addressee, ...]
    verified: bool
    note: str = ""

    @property
    def functions(self) -> frozenset[str]:
        """The participants' functions a notice citing this duty may be addressed to."""
        return frozenset(a.function for a in self.addressees if a.function is not None)

    def cited_by(self, legal_basis: str | None) -> bool:
        text = (legal_basis or "").casefold()
        return any(c.casefold() in text for c in self.cited_as)


@dataclass(frozen=True, eq=False)
class NoticeDuties:
    duties: Mapping[str, NoticeDuty]
    source: str = "notice_duties.yaml"

    def cited_by(self, legal_basis: str | None) -> tuple[NoticeDuty, ...]:
        """Every duty a notice's `legal_basis` cites (usually none or one)."""
        return tuple(d for d in self.duties.values() if d.cited_by(legal_basis))

    @classmethod
    def from_document(cls, doc: Any, lines: dict[tuple[str, ...], int], source: str) -> NoticeDuties:
        def fail(at: tuple[str, ...], what: str) -> ConfigurationError:
            return ConfigurationError(f"{source}:{line_of(lines, at)}: {'.'.join(at) or 'top level'}: {what}")

        entries = doc.get("duties") if isinstance(doc, dict) else None
        if not isinstance(entries, dict):
            raise fail((), "expected `duties:` mapping a basis id to a duty")
        duties: dict[str, NoticeDuty] = {}
        for key, entry in entries.items():
            at = ("duties", str(key))
            if not isinstance(entry, dict) or not str(entry.get("law", "")).strip():
                raise fail(at, "needs `law`, `cited_as`, `verified` and `addressees`")
            cited = entry.get("cited_as")
            if not isinstance(cited, list) or not cited or not all(str(c).strip() for c in cited):
                raise fail((*at, "cited_as"), "list at least one way a notice cites the law, e.g. '2008:206'")
            if not isinstance(entry.get("verified"), bool):
                raise fail(at, "say whether the entry is verified in primary sources (verified: true/false)")
            found = entry.get("addressees")
            if not isinstance(found, list) or not found:
                raise fail((*at, "addressees"), "list the bodies a notice may reach")
            addressees = []
            for index, a in enumerate(found):
                if not isinstance(a, dict) or not str(a.get("body", "")).strip() \
                        or not isinstance(a.get("verified"), bool):
                    raise fail((*at, "addressees", str(index)), "needs `body` and `verified` (and `function`"
                                                                " when the body is a participant)")
                function = a.get("function")
                addressees.append(Addressee(str(a["body"]), str(function) if function else None, a["verified"]))
            duties[str(key)] = NoticeDuty(str(key), str(entry["law"]), tuple(str(c) for c in cited),
                                          tuple(addressees), entry["verified"], str(entry.get("note", "")).strip())
        return cls(duties, source)


def load_notice_duties(path: Path | None = None) -> NoticeDuties:
    return _load(path or NOTICE_DUTIES_FILE)


@cache
def _load(path: Path) -> NoticeDuties:
    doc, lines = load_with_lines(path)
    return NoticeDuties.from_document(doc, lines, str(path))
