"""Kafka administration aiokafka lacks: SCRAM users (KIP-554) and ACLs, spoken on the wire.

aiokafka 0.14 defines the ACL request structures but no admin method for them, and nothing
for SCRAM credentials; the requests below are sent through its admin client's connection.
Used by the local runner and by compose's init container (`python -m deploy.local access`).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import for_code
from aiokafka.protocol.admin import (
    CreateAclsRequest_v1,
    DeleteAclsRequest_v1,
    DescribeAclsRequest_v1,
)
from aiokafka.protocol.api import Request, RequestStruct, Response
from aiokafka.protocol.types import (
    CompactArray,
    CompactBytes,
    CompactString,
    Int8,
    Int16,
    Int32,
    Schema,
    TaggedFields,
)

# Kafka's wire codes (org.apache.kafka.common.resource / acl)
RESOURCE = {"ANY": 1, "TOPIC": 2, "GROUP": 3, "CLUSTER": 4, "TRANSACTIONAL_ID": 5}
PATTERN = {"ANY": 1, "LITERAL": 3, "PREFIXED": 4}
OPERATION = {"ANY": 1, "ALL": 2, "READ": 3, "WRITE": 4, "CREATE": 5, "DELETE": 6, "ALTER": 7,
             "DESCRIBE": 8, "CLUSTER_ACTION": 9, "DESCRIBE_CONFIGS": 10, "ALTER_CONFIGS": 11,
             "IDEMPOTENT_WRITE": 12}
ALLOW, ANY_PERMISSION = 3, 1
SCRAM_SHA_512 = 2
SCRAM_ITERATIONS = 8192
CLUSTER_NAME = "kafka-cluster"


class KafkaAdminError(RuntimeError):
    """The broker refused an administrative request; the message holds its reason."""


@dataclass(frozen=True, order=True)
class AclBinding:
    """One ALLOW rule: `principal` may do `operation` on the resource, from any host."""

    principal: str  # "User:<name>"
    resource: str  # TOPIC, GROUP, CLUSTER
    name: str
    pattern: str  # LITERAL or PREFIXED
    operation: str

    def __str__(self) -> str:
        kind = "" if self.pattern == "LITERAL" else f" ({self.pattern.lower()})"
        return f"{self.principal} {self.operation} {self.resource} {self.name}{kind}"


# --- AlterUserScramCredentials v0 (flexible) ---------------------------------------------
class _AlterScramResponse_v0(Response):  # type: ignore[misc]  # aiokafka is untyped
    API_KEY = 51
    API_VERSION = 0
    SCHEMA = Schema(
        ("throttle_time_ms", Int32),
        ("results", CompactArray(("user", CompactString("utf-8")), ("error_code", Int16),
                                 ("error_message", CompactString("utf-8")), ("tags", TaggedFields))),
        ("tags", TaggedFields),
    )


class _AlterScramRequest_v0(RequestStruct):  # type: ignore[misc]  # aiokafka is untyped
    FLEXIBLE_VERSION = True
    API_KEY = 51
    API_VERSION = 0
    RESPONSE_TYPE = _AlterScramResponse_v0
    SCHEMA = Schema(
        ("deletions", CompactArray(("name", CompactString("utf-8")), ("mechanism", Int8), ("tags", TaggedFields))),
        ("upsertions", CompactArray(("name", CompactString("utf-8")), ("mechanism", Int8), ("iterations", Int32),
                                    ("salt", CompactBytes), ("salted_password", CompactBytes),
                                    ("tags", TaggedFields))),
        ("tags", TaggedFields),
    )


class _AlterScram(Request[_AlterScramRequest_v0]):  # type: ignore[misc]  # aiokafka is untyped
    API_KEY = 51

    def __init__(self, upsertions: list[tuple[str, int, int, bytes, bytes, dict[int, bytes]]]) -> None:
        self.upsertions = upsertions

    def build(self, request_struct_class: type[_AlterScramRequest_v0]) -> _AlterScramRequest_v0:
        return request_struct_class([], self.upsertions, {})


class _Acls(Request[Any]):  # type: ignore[misc]  # aiokafka is untyped
    """A prepared ACL request (the broker's versions 1 to 3 all accept version 1)."""

    API_KEY = 0

    def __init__(self, struct: RequestStruct) -> None:
        self.struct = struct

    def prepare(self, versions: dict[int, tuple[int, int]]) -> Any:
        low, high = versions.get(self.struct.API_KEY, (0, -1))
        if not low <= self.struct.API_VERSION <= high:
            raise KafkaAdminError(f"the broker does not speak {type(self.struct).__name__}")
        return self.struct

    def build(self, request_struct_class: type[Any]) -> Any:
        return self.struct


def salted_password(password: str, salt: bytes, iterations: int = SCRAM_ITERATIONS) -> bytes:
    """SCRAM's Hi(): PBKDF2-HMAC-SHA-512 of the password (RFC 5802, RFC 7677)."""
    return hashlib.pbkdf2_hmac("sha512", password.encode(), salt, iterations)


async def upsert_scram_users(admin: AIOKafkaAdminClient, users: dict[str, str]) -> None:
    """Create or update SCRAM-SHA-512 credentials (a new salt every time)."""
    if not users:
        return
    upsertions: list[tuple[str, int, int, bytes, bytes, dict[int, bytes]]] = []
    for name, password in sorted(users.items()):
        salt = secrets.token_bytes(32)
        upsertions.append((name, SCRAM_SHA_512, SCRAM_ITERATIONS, salt, salted_password(password, salt), {}))
    response = await admin._send_request(_AlterScram(upsertions))  # no public API for this request
    failed = [f"{user}: {message or for_code(code).__name__}"
              for user, code, message, _ in response.results if code]
    if failed:
        raise KafkaAdminError("SCRAM credentials were refused: " + "; ".join(failed))


def _check(code: int, message: str | None, what: str) -> None:
    if code:
        raise KafkaAdminError(f"{what}: {message or for_code(code).__name__}")


async def describe_acls(admin: AIOKafkaAdminClient) -> set[AclBinding]:
    """Every ALLOW rule the cluster holds (DENY rules are not used here)."""
    names = {v: k for k, v in RESOURCE.items()}
    patterns = {v: k for k, v in PATTERN.items()}
    operations = {v: k for k, v in OPERATION.items()}
    struct = DescribeAclsRequest_v1(RESOURCE["ANY"], None, PATTERN["ANY"], None, None, OPERATION["ANY"],
                                    ANY_PERMISSION)
    response = await admin._send_request(_Acls(struct))
    _check(response.error_code, response.error_message, "listing ACLs failed")
    found = set()
    for resource_type, name, pattern, acls in response.resources:
        for principal, _host, operation, permission in acls:
            if permission == ALLOW:
                found.add(AclBinding(principal, names.get(resource_type, str(resource_type)), name,
                                     patterns.get(pattern, str(pattern)), operations.get(operation, str(operation))))
    return found


def _wire(binding: AclBinding) -> tuple[int, str, int, str, str, int, int]:
    return (RESOURCE[binding.resource], binding.name, PATTERN[binding.pattern], binding.principal, "*",
            OPERATION[binding.operation], ALLOW)


async def create_acls(admin: AIOKafkaAdminClient, bindings: Iterable[AclBinding]) -> None:
    wanted = sorted(bindings)
    if not wanted:
        return
    response = await admin._send_request(_Acls(CreateAclsRequest_v1([_wire(b) for b in wanted])))
    for binding, (code, message) in zip(wanted, response.creation_responses, strict=True):
        _check(code, message, f"creating ACL {binding} failed")


async def delete_acls(admin: AIOKafkaAdminClient, bindings: Iterable[AclBinding]) -> None:
    doomed = sorted(bindings)
    if not doomed:
        return
    response = await admin._send_request(_Acls(DeleteAclsRequest_v1([_wire(b) for b in doomed])))
    for binding, (code, message, _) in zip(doomed, response.filter_responses, strict=True):
        _check(code, message, f"deleting ACL {binding} failed")


async def sync_acls(admin: AIOKafkaAdminClient, desired: set[AclBinding],
                    managed: set[str]) -> tuple[set[AclBinding], set[AclBinding]]:
    """Make the rules of the `managed` principals exactly `desired`; return (created, deleted).

    Rules of other principals (added by hand, say) are left alone."""
    present = await describe_acls(admin)
    missing = desired - present
    extra = {b for b in present - desired if b.principal in managed}
    await create_acls(admin, missing)
    await delete_acls(admin, extra)
    return missing, extra
