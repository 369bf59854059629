"""Swedish labels for the codes the platform uses; the interface never shows a bare code
where a person needs a word."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from schemas.agencies import Agency
from schemas.vocabulary import load_vocabulary
from services.disclosure.policy import Purpose, Role

PURPOSES: dict[Purpose, str] = {
    Purpose.JOINT_OPERATION: "Gemensam insats (planering, genomförande och uppföljning)",
    Purpose.ORGANISED_CRIME: "Samverkan mot organiserad brottslighet (lag 2016:774)",
    Purpose.WRONGFUL_PAYMENTS: "Felaktiga utbetalningar (lag 2008:206)",
    Purpose.CRIME_PREVENTION: "Förebygga eller upptäcka brott",
    Purpose.RESULTS_REPORTING: "Resultatredovisning",
    Purpose.AUDIT: "Granskning av utlämnanden",
    Purpose.SUBJECT_ACCESS: "Registerutdrag till den registrerade (GDPR art. 15)",
}

ROLES: dict[Role, str] = {
    Role.COORDINATOR: "Samordnare",
    Role.OFFICER: "Handläggare",
    Role.AUDITOR: "Granskare",
}

class _Registered(Mapping[str, str]):
    """The names of a registered vocabulary (schemas/vocabulary.yaml), read when asked: a
    category or decision kind a participant registered shows by its name too."""

    def __init__(self, section: str) -> None:
        self.section = section

    def _names(self) -> Mapping[str, str]:
        vocabulary = load_vocabulary()
        return vocabulary.categories if self.section == "categories" else vocabulary.decision_kinds

    def __getitem__(self, code: str) -> str:
        return self._names()[code]

    def __iter__(self) -> Iterator[str]:
        return iter(self._names())

    def __len__(self) -> int:
        return len(self._names())


CATEGORIES = _Registered("categories")
DECISION_KINDS = _Registered("decision_kinds")

STATUSES: dict[str, str] = {
    "planned": "Planerad",
    "executed": "Genomförd",
    "closed": "Avslutad",
    "cancelled": "Inställd",
}

ENTRY_KINDS: dict[str, str] = {
    "inspection": "Kontroll",
    "decision": "Beslut",
    "notification": "Underrättelse",
}

AMOUNT_KINDS: dict[str, str] = {
    "imposed": "Påfört",
    "recovered": "Återkrävt eller indrivet",
    "stopped": "Stoppade utbetalningar",
}

APPEALS: dict[str, str] = {
    "not_appealed": "ej överklagat",
    "appealed": "överklagat",
    "upheld": "fastställt",
    "overturned": "upphävt",
    "final": "lagakraftvunnet",
}

REQUEST_STATUSES: dict[str, str] = {
    "pending": "Väntar på beslut",
    "approved": "Beviljad",
    "refused": "Avslagen",
}

SUBJECT_KINDS: dict[str, str] = {
    "business": "Företag",
    "premises": "Lokal",
    "person": "Person",
}


def agency_name(agencies: dict[str, Agency], code: str) -> str:
    agency = agencies.get(code)
    return agency.name if agency else code


def sek(amount: int | None) -> str:
    """Whole kronor the Swedish way: 12 500 kr (narrow no-break space between thousands)."""
    if amount is None:
        return ""
    return f"{amount:,}".replace(",", "\u202f") + " kr"


def label(table: Mapping[str, str], code: str | None) -> str:
    if code is None:
        return ""
    return table.get(code, code)
