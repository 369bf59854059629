"""The database schema: every component's numbered migrations, applied as the schema owner
before any service starts (`python -m deploy.local migrate`, compose's `migrate` service, the
Helm chart's `migrate` job).

Each component owns its migrations (services/<component>/migrations) and records them under
its own name with their checksums (services/common/migrate.py); a component that builds on
another's tables names it in `requires`. Services then log in as their own roles and never hold
the owner's login; the grants each role has are part of the migrations (docs/security.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from services.common.migrate import migrate

SERVICES = Path(__file__).resolve().parents[1] / "services"


@dataclass(frozen=True)
class Component:
    name: str
    requires: tuple[str, ...] = ()

    @property
    def folder(self) -> Path:
        return SERVICES / self.name / "migrations"


# in an order that puts each component after those it requires
COMPONENTS = (
    Component("coordinator"),
    Component("audit"),
    Component("disclosure"),
    Component("console", requires=("coordinator",)),  # indexes for its read side on the coordinator's tables
)


async def migrate_all(owner_url: str) -> list[str]:
    """Apply what is not applied yet; return `component/file` of each applied migration."""
    applied = []
    for c in COMPONENTS:
        applied += [f"{c.name}/{name}" for name in await migrate(owner_url, c.folder, component=c.name,
                                                                  requires=c.requires)]
    return applied
