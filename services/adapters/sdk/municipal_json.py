"""The JSON exports of the municipal case systems (alcohol licensing, social services):
`{"exportinfo": {...}, "<posts>": [...]}`, one object per post with nested objects for the
premises and the business, lists of persons and observations, and errors that name fields by
dotted path (`personer.roll`). A subclass maps what is its own: decisions and other post kinds.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any
from uuid import UUID

from schemas.decision import DecisionTaken
from schemas.events import (
    AnyEvent,
    DecisionTakenV1,
    EventRetractedV1,
    InspectionConductedV1,
    NotificationSentV1,
)
from schemas.inspection import InspectionConducted
from schemas.notification import NotificationSent
from schemas.subjects import Person, PersonRole
from services.adapters.sdk import municipal, native, writers
from services.adapters.sdk.codes import MUNICIPAL_ROLES, code_for
from services.adapters.sdk.mapping import MappingContext, MappingResult
from services.adapters.sdk.municipal import Export, Key, Post
from services.adapters.sdk.native import FieldError, Row
from services.adapters.sdk.records import json_items, json_paths

Written = InspectionConductedV1 | DecisionTakenV1 | NotificationSentV1


class PostsJson(ABC):
    """One municipal JSON export; subclasses set the class attributes and map their decisions."""

    name: str
    description: str
    suffix = ".json"
    agency: str
    export: Export
    posts: str  # the member holding the list of posts
    post: str  # what a post is called in the error for one that is not an object
    field_names: Mapping[str, str]  # canonical field -> native path, for validation errors

    def __init__(self) -> None:
        self.agency = self.export.agency

    def read(self, path: Path, ctx: MappingContext) -> Iterator[MappingResult]:
        return native.map_records(path, native.read_json_records(path, self.posts),
                                  lambda record: self._build(record, ctx), self.field_names)

    def write(self, events: Sequence[AnyEvent], path: Path, ctx: MappingContext,
              clear_ids: Mapping[str, str]) -> None:
        posts = municipal.records(events, self.export, lambda event, key: self.record(event, key, clear_ids),
                                  self._withdrawn)
        writers.write_json(path, {"exportinfo": writers.present({"system": ctx.system}),
                                  self.posts: list(posts)})

    @abstractmethod
    def decision(self, post: Post, row: Row, record: Mapping[str, Any], common: dict[str, Any],
                 ctx: MappingContext) -> AnyEvent:
        """The event of a post that is not an inspection."""

    @abstractmethod
    def decided(self, event_id: UUID, data: DecisionTaken | NotificationSent,
                record: dict[str, Any]) -> dict[str, Any]:
        """The native record of a post that is not an inspection, given the members every post has."""

    def record(self, event: Written, key: Key, clear_ids: Mapping[str, str]) -> dict[str, Any]:
        data = event.data
        if isinstance(data, InspectionConducted):
            return self._inspected(event.id, data, self.common(event, key, clear_ids), clear_ids)
        return self.decided(event.id, data, self.common(event, key, clear_ids))

    # --- reading ---------------------------------------------------------------------------------

    def _build(self, record: object, ctx: MappingContext) -> AnyEvent:
        if not isinstance(record, dict):
            raise FieldError("-", f"{self.post} must be a JSON object")
        row = json_paths(record)
        post = Post.read(row, self.export)
        if post.withdrawn:
            return post.withdrawal(row, ctx)
        common = post.common(row, ctx)
        if post.kind == self.export.inspection:
            return post.inspection(row, ctx, common, lambda: self.persons(record, ctx),
                                   lambda: self._findings(record, ctx))
        return self.decision(post, row, record, common, ctx)

    def persons(self, record: Mapping[str, Any], ctx: MappingContext) -> list[Person]:
        return [municipal.person(json_paths(item if isinstance(item, dict) else {}, "personer."),
                                 self.export, ctx, "personer.") for item in json_items(record, "personer")]

    def _findings(self, record: Mapping[str, Any], ctx: MappingContext) -> list[dict[str, Any]]:
        findings = []
        for item in json_items(record, "iakttagelser"):
            item = item if isinstance(item, dict) else {}
            row = json_paths(item, "iakttagelser.")
            code = municipal.finding_code(row.get("iakttagelser.kod", ""), "iakttagelser.kod")
            count = municipal.count(row, "iakttagelser.antal")
            concerned = [native.person("iakttagelser.personnummer", str(number), PersonRole.OTHER,
                                       ctx).pseudonym for number in json_items(item, "personnummer")]
            findings.append({"code": code, "category": self.export.category, "count": count,
                             "persons": concerned,
                             "summary": native.required(row, "iakttagelser.beskrivning")})
        return findings

    # --- writing ---------------------------------------------------------------------------------

    def _withdrawn(self, event: EventRetractedV1, key: Key) -> dict[str, Any]:
        kind, number, version = key
        return {self.export.type_field: code_for(self.export.types, kind), self.export.number_field: number,
                "version": version, "makulerad": True, "makuleringsorsak": event.data.reason,
                "registrerad": event.time.isoformat()}

    def common(self, event: Written, key: Key, clear_ids: Mapping[str, str]) -> dict[str, Any]:
        """The members every post has, from its event."""
        export, data = self.export, event.data
        kind, number, version = key
        persons = data.persons_present if isinstance(data, InspectionConducted) else data.persons
        return {
            export.type_field: code_for(export.types, kind), export.number_field: number, "version": version,
            "makulerad": False, "registrerad": event.time.isoformat(),
            export.operation_field: data.operation_id,
            export.premises.rstrip("."): None if data.premises is None else writers.present({
                "fastighetsbeteckning": data.premises.fastighetsbeteckning,
                export.address: data.premises.address,
                export.industry: code_for(export.industries, data.premises.industry)}),
            export.business.rstrip("."): None if data.business is None else {
                "organisationsnummer": municipal.identity(data.business, clear_ids),
                export.business_name: data.business.name},
            "personer": [{"personnummer": municipal.clear(p.pseudonym, clear_ids),
                          "roll": code_for(MUNICIPAL_ROLES, p.role),
                          "sekretessmarkering": p.protected_identity}
                         for p in persons],
        }

    def _inspected(self, event_id: UUID, data: InspectionConducted, record: dict[str, Any],
                   clear_ids: Mapping[str, str]) -> dict[str, Any]:
        if any(f.category != self.export.category for f in data.findings):
            raise ValueError(f"{event_id}: findings here are {self.export.category}")
        return writers.present({
            **record, "kommun": data.municipality, self.export.visited: data.conducted_at.isoformat(),
            "iakttagelser": [writers.present({
                "kod": f.code, "beskrivning": f.summary, "antal": f.count,
                "personnummer": [municipal.clear(p, clear_ids) for p in f.persons]}) for f in data.findings]})
