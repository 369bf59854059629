"""Settings of the key administration CLI (environment `LOS_*`)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from schemas.signing import ADAPTER, CONSOLE
from services.common.keys import adapter_holder
from services.common.settings import LosSettings
from services.keys.registration import Holder


class KeysSettings(LosSettings):
    database_url: str = Field(default="postgresql://los_app@127.0.0.1:5432/los",
                              description="PostgreSQL, where the audit log is.")
    database_owner_url: str = Field(default="postgresql://los_owner@127.0.0.1:5432/los",
                                    description="PostgreSQL as the schema owner (the runner's audit migrations).")
    console_keys_dir: Path = Field(default=Path(".state/local/keys/console"),
                                   description="The console's own folder of private keys.")
    adapter_keys_dir: Path = Field(default=Path(".state/local/keys/adapters"),
                                   description="Adapters' folders of private keys, one per agency.")
    audit_keys_dir: Path = Field(default=Path(".state/local/keys/audit"),
                                 description="The audit server's own folder of private keys.")

    def holder(self, agency: str, kind: str, folder: Path | None = None) -> Holder:
        """The holder of a key of `kind` for `agency`, in `folder` or the kind's usual folder."""
        if folder is None:
            folder = (self.console_keys_dir if kind == CONSOLE
                      else adapter_holder(self.adapter_keys_dir, agency) if kind == ADAPTER
                      else self.audit_keys_dir)
        return Holder(agency, kind, folder)
