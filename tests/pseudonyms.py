"""The pseudonym service as a real process, for the tests that need one."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

import httpx

from deploy.access import ensure_secret_key
from deploy.local.processes import free_port
from tests.conftest import Database, Infra
from tests.support import spawn_service, wait_for


@dataclass
class PseudonymService:
    process: subprocess.Popen[bytes]
    url: str
    key_file: Path
    keys: Path | None = None  # the key registry it trusts

    @property
    def seed(self) -> bytes:
        return self.key_file.read_bytes()

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=20)


async def start_pseudonym_service(infra: Infra, database: Database, keys: Path, folder: Path, *,
                                  seed: bytes | None = None, **settings: str) -> PseudonymService:
    """Started on a free port with its own OPRF key file in `folder` (holding `seed`, else random
    bytes); answers before this returns."""
    key_file = folder / "pseudonyms" / "oprf.key"
    if seed is not None:
        key_file.parent.mkdir(parents=True, exist_ok=True)
        key_file.write_bytes(seed)
    ensure_secret_key(key_file)
    port = free_port()
    env = {**infra.env, "LOS_DATABASE_URL": database.url("pseudonyms"), "LOS_DATABASE_OWNER_URL": database.owner_url,
           "LOS_KEYS_DIR": str(keys), "LOS_OPRF_KEY_FILE": str(key_file), "LOS_PSEUDONYM_HOST": "127.0.0.1",
           "LOS_PSEUDONYM_PORT": str(port), **settings}
    process = spawn_service("services.pseudonyms", env, folder / "pseudonyms.log")
    url = f"http://127.0.0.1:{port}"

    async def answers() -> bool:
        assert process.poll() is None, (folder / "pseudonyms.log").read_text()
        try:
            async with httpx.AsyncClient() as client:
                return (await client.get(f"{url}/healthz")).status_code == 200
        except httpx.HTTPError:
            return False

    await wait_for(answers, timeout=30, what="the pseudonym service")
    return PseudonymService(process, url, key_file, keys)
