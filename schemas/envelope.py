"""The CloudEvents 1.0 envelope of every LOS event, and its Kafka binding.

Kafka binding: *structured content mode*. The record value is the whole event as JSON
(`content-type: application/cloudevents+json; charset=utf-8` header); the record key is
`partition_key` (the operation, else a digest of the business), so one operation's events
usually share a partition. Consumers must not rely on order across partitions: the
coordinator's records do not depend on arrival order. The W3C `traceparent` travels both as a CloudEvents
extension (signed, end to end) and as a Kafka header (for tracing middleware).

Extensions (lower-case, as CloudEvents requires): `losagency` the publishing agency,
`loskeyid` the signing key, `lossignedat` when it signed (the key must be valid
then), `lossignature` the Ed25519 signature over the canonical form of
the event without `lossignature` (see `schemas.signing`), `traceparent`.
"""

from __future__ import annotations

import hashlib
import uuid
from typing import Annotated, Any, ClassVar, Literal, Self

from pydantic import AwareDatetime, Field, StringConstraints, model_validator

from schemas.agencies import AgencyCode
from schemas.base import Contract

CONTENT_TYPE = "application/cloudevents+json; charset=utf-8"
EVENT_ID_NAMESPACE = uuid.UUID("6f1f3c3e-2b7a-5d5e-9a51-4c4f53000001")

KeyId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.:-]{1,64}$")]
Signature = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{86}$")]
TraceParent = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$")]


def event_id_for(agency: str, record_kind: str, record_ref: str, version: str = "1") -> uuid.UUID:
    """A deterministic event id for an agency record: the same record exported twice gets
    the same id, so a re-run or replay can never publish it twice under different ids."""
    return uuid.uuid5(EVENT_ID_NAMESPACE, f"{agency}\x1f{record_kind}\x1f{record_ref}\x1f{version}")


class Envelope(Contract):
    """Fields every event has. Concrete events fix `type` and `data` (see `schemas.events`)."""

    TYPE: ClassVar[str]
    specversion: Literal["1.0"] = "1.0"
    id: uuid.UUID
    source: Annotated[str, StringConstraints(pattern=r"^urn:los:agency:[A-Z][A-Z0-9_]{1,31}(/[A-Za-z0-9_.-]{1,64})?$")]
    type: str
    time: AwareDatetime
    subject: Annotated[str, StringConstraints(pattern=r"^[A-Z0-9][A-Z0-9-]{2,39}$")] | None = Field(
        default=None, description="The operation id the event concerns, if any; never personal data.")
    dataschema: str
    datacontenttype: Literal["application/json"] = "application/json"
    losagency: AgencyCode
    loskeyid: KeyId | None = None
    lossignedat: AwareDatetime | None = Field(default=None, description="When the adapter signed the event.")
    lossignature: Signature | None = None
    traceparent: TraceParent | None = None
    data: Any = Field(description="The event's payload; its model depends on `type`.")

    @model_validator(mode="after")
    def _names_the_schema_of_its_type(self) -> Self:
        """`dataschema` is the schema of `type` (`dataschema_for`), not free text riding along."""
        if self.dataschema != dataschema_for(self.type):
            raise ValueError(f"dataschema must be {dataschema_for(self.type)} for {self.type}")
        return self

    @property
    def partition_key(self) -> bytes:
        data = self.data
        for attr in ("operation_id",):
            value = getattr(data, attr, None)
            if value:
                return f"op:{value}".encode()
        business = getattr(data, "business", None)
        if business is not None:  # digested: a sole trader's pseudonym stays out of the key
            identity = str(business.orgnr or business.sole_trader)
            return b"biz:" + hashlib.sha256(identity.encode()).hexdigest()[:16].encode()
        return f"ev:{self.id}".encode()


def source_for(agency: str, system: str | None = None) -> str:
    return f"urn:los:agency:{agency}" + (f"/{system}" if system else "")


def dataschema_for(event_type: str) -> str:
    family, _, version = event_type.removeprefix("se.los.").rpartition(".")
    return f"urn:los:schema:{family}:{version}"
