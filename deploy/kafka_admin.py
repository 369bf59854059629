"""Kafka administration through confluent-kafka's `AdminClient`: SCRAM logins (KIP-554) and
ACLs. Used by the local runner and by compose's init container (`python -m deploy.local access`).

The calls block (librdkafka answers with futures), so async callers run them in a thread.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from confluent_kafka import KafkaException

# confluent_kafka.admin names these without re-exporting them explicitly
from confluent_kafka.admin import AclBinding as _Binding  # type: ignore[attr-defined]
from confluent_kafka.admin import (  # type: ignore[attr-defined]
    AclBindingFilter,
    AclOperation,
    AclPermissionType,
    AdminClient,
    ResourcePatternType,
    ResourceType,
    ScramCredentialInfo,
    ScramMechanism,
    UserScramCredentialUpsertion,
)

from services.common.kafka_security import KafkaLogin, librdkafka_config

SCRAM_ITERATIONS = 8192
TIMEOUT = 30.0  # seconds for each administrative request


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

    def to_client(self) -> _Binding:
        return _Binding(ResourceType[self.resource], self.name, ResourcePatternType[self.pattern], self.principal,
                        "*", AclOperation[self.operation], AclPermissionType.ALLOW)

    def to_filter(self) -> AclBindingFilter:
        return AclBindingFilter(ResourceType[self.resource], self.name, ResourcePatternType[self.pattern],
                                self.principal, "*", AclOperation[self.operation], AclPermissionType.ALLOW)

    @classmethod
    def from_client(cls, binding: Any) -> AclBinding:
        return cls(binding.principal, binding.restype.name, binding.name, binding.resource_pattern_type.name,
                   binding.operation.name)


def admin_client(bootstrap: str, login: KafkaLogin | None) -> AdminClient:
    return AdminClient({"bootstrap.servers": bootstrap, **librdkafka_config(login)})


def _result(future: Any, what: str) -> Any:
    try:
        return future.result(timeout=TIMEOUT)
    except KafkaException as error:
        raise KafkaAdminError(f"{what}: {error.args[0].str() if error.args else error}") from error


def upsert_scram_users(admin: AdminClient, users: dict[str, str]) -> None:
    """Create or update SCRAM-SHA-512 credentials (a new salt every time)."""
    if not users:
        return
    info = ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, SCRAM_ITERATIONS)
    futures = admin.alter_user_scram_credentials([
        UserScramCredentialUpsertion(name, info, password.encode(), secrets.token_bytes(32))
        for name, password in sorted(users.items())])
    failed = []
    for name, future in sorted(futures.items()):
        try:
            _result(future, name)
        except KafkaAdminError as error:
            failed.append(str(error))
    if failed:
        raise KafkaAdminError("SCRAM credentials were refused: " + "; ".join(failed))


def scram_users(admin: AdminClient) -> set[str]:
    """Every principal that has a SCRAM login."""
    return set(_result(admin.describe_user_scram_credentials(), "listing SCRAM logins failed"))


def describe_acls(admin: AdminClient) -> set[AclBinding]:
    """Every ALLOW rule the cluster holds (DENY rules are not used here)."""
    everything = AclBindingFilter(ResourceType.ANY, None, ResourcePatternType.ANY, None, None,  # type: ignore[arg-type]  # None: any
                                  AclOperation.ANY, AclPermissionType.ALLOW)
    return {AclBinding.from_client(b) for b in _result(admin.describe_acls(everything), "listing ACLs failed")}


def create_acls(admin: AdminClient, bindings: Iterable[AclBinding]) -> None:
    wanted = sorted(bindings)
    if wanted:
        futures = admin.create_acls([b.to_client() for b in wanted], request_timeout=TIMEOUT)
        for binding, future in futures.items():
            _result(future, f"creating ACL {AclBinding.from_client(binding)} failed")


def delete_acls(admin: AdminClient, bindings: Iterable[AclBinding]) -> None:
    doomed = sorted(bindings)
    if doomed:
        futures = admin.delete_acls([b.to_filter() for b in doomed], request_timeout=TIMEOUT)
        for binding, future in futures.items():
            _result(future, f"deleting ACL {AclBinding.from_client(binding)} failed")


def sync_acls(admin: AdminClient, desired: set[AclBinding],
              managed: set[str]) -> tuple[set[AclBinding], set[AclBinding]]:
    """Make the rules of the `managed` principals exactly `desired`; return (created, deleted).

    Rules of other principals (added by hand, say) are left alone."""
    present = describe_acls(admin)
    missing = desired - present
    extra = {b for b in present - desired if b.principal in managed}
    create_acls(admin, missing)
    delete_acls(admin, extra)
    return missing, extra
