"""The XML case exports of national agencies (Polisen's case records, Försäkringskassan's checks):
one element per record whose childless children are its fields, persons as
`personer/person` and findings as `iakttagelser/iakttagelse` with the persons they concern under
`berorda/personnummer`; errors name nested elements by path (`personer/person[2]/roll`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from uuid import UUID
from xml.etree import ElementTree

from schemas.categories import Category
from schemas.events import EventRetractedV1
from schemas.inspection import Finding, InspectionConducted
from schemas.subjects import Business, Person, PersonRole, Premises
from services.adapters.sdk import national, native
from services.adapters.sdk.codes import (
    NATIONAL_INDUSTRIES,
    NATIONAL_ROLES,
    ONE_OF_TRUE_FALSE,
    YesNo,
    code_for,
)
from services.adapters.sdk.mapping import MappingContext
from services.adapters.sdk.records import each, xml_row
from services.adapters.sdk.writers import add, add_present


def persons(element: ElementTree.Element, ctx: MappingContext,
            yes_no: YesNo = ONE_OF_TRUE_FALSE) -> list[Person]:
    return each(element.iterfind("personer/person"), "personer/person[{}]/",
                lambda item: national.person(xml_row(item), ctx, yes_no), start=1)


def findings(element: ElementTree.Element, category: Category, ctx: MappingContext) -> list[Finding]:
    def finding(item: ElementTree.Element) -> Finding:
        concerned = [native.person("berorda/personnummer", (e.text or "").strip(), PersonRole.OTHER,
                                   ctx).pseudonym for e in item.iterfind("berorda/personnummer")]
        return national.finding(xml_row(item), category, concerned)

    return each(element.iterfind("iakttagelser/iakttagelse"), "iakttagelser/iakttagelse[{}]/", finding,
                start=1)


# --- writing -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Elements:
    """What differs between the XML case exports: element names, and the category every finding
    must have (with the writers' error for one that has not)."""

    tag: str  # of a record, e.g. "post"
    type: str  # the record's kind, e.g. "posttyp"
    number: str  # e.g. "referens"
    follows: str  # a decision's reference to the inspection it follows
    business_name: str
    category: Category  # of every finding
    wrong: str  # writers' error for a finding of another category


def withdrawn(event: EventRetractedV1, key: national.Key, elements: Elements) -> ElementTree.Element:
    """The record of a retraction."""
    kind, number, version = key
    record = ElementTree.Element(elements.tag)
    add_present(record, **{elements.type: kind, elements.number: number}, version=str(version),
                registrerad=event.time.isoformat(), makulerad="true", makuleringsorsak=event.data.reason)
    return record


def case(event: national.Case, key: national.Key, elements: Elements,
         clear_ids: Mapping[str, str]) -> ElementTree.Element:
    """The record of an inspection, or of a decision up to its own fields."""
    kind, number, version = key
    data, record = event.data, ElementTree.Element(elements.tag)
    add_present(record, **{elements.type: kind, elements.number: number}, version=str(version),
                registrerad=event.time.isoformat(), insatsnummer=data.operation_id)
    if isinstance(data, InspectionConducted):
        add_present(record, tidpunkt=data.conducted_at.isoformat(), kommun=data.municipality)
    else:
        add_present(record, **{elements.follows: data.inspection_ref}, tidpunkt=data.decided_at.isoformat())
    add_present(record, **premises_fields(data.premises))
    add_present(record, **business_fields(data.business, elements.business_name, clear_ids))
    add_persons(record, data.persons_present if isinstance(data, InspectionConducted) else data.persons,
                clear_ids)
    if isinstance(data, InspectionConducted):
        add_findings(record, event.id, data.findings, elements.category, clear_ids, wrong=elements.wrong)
    return record


def premises_fields(premises: Premises | None) -> dict[str, str]:
    """The premises' fields that have a value."""
    if premises is None:
        return {}
    fields = {"fastighetsbeteckning": premises.fastighetsbeteckning, "adress": premises.address,
              "verksamhetstyp": code_for(NATIONAL_INDUSTRIES, premises.industry)}
    return {k: v for k, v in fields.items() if v}


def business_fields(business: Business | None, name: str, clear_ids: Mapping[str, str]) -> dict[str, str]:
    """The business's identity number and its name under `name`."""
    if business is None:
        return {}
    return {"organisationsnummer": national.identity(business, clear_ids), name: business.name}


def add_persons(parent: ElementTree.Element, people: Sequence[Person], clear_ids: Mapping[str, str]) -> None:
    listing = add(parent, "personer") if people else parent
    for person in people:
        add_present(add(listing, "person"), personnummer=national.clear(person.pseudonym, clear_ids),
                    roll=code_for(NATIONAL_ROLES, person.role),
                    sekretessmarkering=str(person.protected_identity).lower())


def add_findings(parent: ElementTree.Element, event_id: UUID, found: Sequence[Finding], category: Category,
                 clear_ids: Mapping[str, str], *, wrong: str) -> None:
    """The findings, all of `category` (else ValueError saying `wrong`)."""
    listing = add(parent, "iakttagelser") if found else parent
    for finding in found:
        if finding.category != category:
            raise ValueError(f"event {event_id}: {wrong}")
        item = add(listing, "iakttagelse")
        add_present(item, kod=finding.code, beskrivning=finding.summary,
                    antal=None if finding.count is None else str(finding.count))
        concerned = add(item, "berorda") if finding.persons else item
        for pseudonym in finding.persons:
            add(concerned, "personnummer", national.clear(pseudonym, clear_ids))
