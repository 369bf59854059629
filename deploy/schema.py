"""The database schema: every component's numbered migrations, applied as the schema owner
before any service starts (`python -m deploy.local migrate`, compose's `migrate` service).

Services then log in as their own roles and never hold the owner's login; the grants each
role has are part of the migrations (docs/security.md).
"""

from __future__ import annotations

from pathlib import Path

from services.common.migrate import migrate

SERVICES = Path(__file__).resolve().parents[1] / "services"
# in the order their tables depend on each other: the console's indexes and the grants on
# the coordinator's tables need those tables
COMPONENTS = (
    ("coordinator", SERVICES / "coordinator" / "migrations"),
    ("audit", SERVICES / "audit" / "migrations"),
    ("disclosure", SERVICES / "disclosure" / "migrations"),
    ("console", SERVICES / "console" / "migrations"),
)


async def migrate_all(owner_url: str) -> list[str]:
    """Apply what is not applied yet; return `component/file` of each applied migration."""
    applied = []
    for component, folder in COMPONENTS:
        applied += [f"{component}/{name}" for name in await migrate(owner_url, folder, component=component)]
    return applied
