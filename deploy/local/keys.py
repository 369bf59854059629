"""The signing keys the local system needs, registered by the operator's runner before the
services start (`python -m deploy.local up`, and `python -m deploy.local keys` for compose).

Registration goes through `services.keys.registration`, the code path of
`python -m services.keys register`, so each key has its audit entry; only holders without a
usable key get one, so a second `up` registers nothing. Each holder's private keys are in
its own folder: `<keys>/adapters/<participant>/` for every participant the adapter gateway
runs, `<keys>/console/` for the console (a key per participant, plans only) and
`<keys>/audit/` for the audit server's checkpoint key; the coordinator reads only
`<keys>/registry.json`.
"""

from __future__ import annotations

import datetime
import getpass
from collections.abc import Mapping

import asyncpg

from schemas.agencies import load_agencies
from schemas.signing import ADAPTER, CHECKPOINT, CONSOLE
from services.adapters.agencies import formats_of
from services.audit.checkpoints import SIGNER
from services.audit.server import MIGRATIONS as AUDIT_MIGRATIONS
from services.common.migrate import migrate
from services.keys.registration import Holder, Outcome, ensure
from services.keys.settings import KeysSettings


def settings_from(env: Mapping[str, str]) -> KeysSettings:
    """KeysSettings from `LOS_*` variables (the runner's environment, not this process's)."""
    given = {k.removeprefix("LOS_").lower(): v for k, v in env.items() if k.startswith("LOS_") and v}
    return KeysSettings.model_validate(given)


def local_holders(settings: KeysSettings) -> list[Holder]:
    """Every participant's adapter the gateway runs, the console for every participant, the audit server."""
    participants = list(load_agencies())
    return [*(settings.holder(code, ADAPTER) for code in participants if formats_of(code)),
            *(settings.holder(code, CONSOLE) for code in participants),
            settings.holder(SIGNER, CHECKPOINT)]


async def register_local_keys(settings: KeysSettings, *, by: str | None = None) -> Outcome:
    """Register the keys `local_holders` lack, with an audit entry each (the audit log's tables
    are made first: the services that would make them have not started yet)."""
    await migrate(settings.database_owner_url, AUDIT_MIGRATIONS, component="audit")
    conn = await asyncpg.connect(settings.database_url)
    try:
        return await ensure(conn, settings.keys_dir, local_holders(settings),
                            by=by or f"local runner ({getpass.getuser()})", now=datetime.datetime.now(datetime.UTC))
    finally:
        await conn.close()
