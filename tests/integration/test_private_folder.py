"""The local runner works from any folder: a clone in root's home or in a `mktemp -d` folder
(mode 0700) is a place the `postgres` system user, as whom a root runner starts PostgreSQL,
cannot enter. The cluster then lives in a folder of its own outside, found again from the
state folder after a crash and deleted with it."""

from __future__ import annotations

import os
import signal
import stat
import tempfile
from pathlib import Path

import asyncpg
import pytest

from deploy.local.postgres import OUTSIDE, OWNER, PostgresServer
from deploy.local.processes import pid_alive, port_answers, wait_until

pytestmark = pytest.mark.integration


async def _whoami(url: str) -> str:
    conn = await asyncpg.connect(url)
    try:
        return str(await conn.fetchval("SELECT current_user"))
    finally:
        await conn.close()


async def test_postgres_starts_for_a_state_folder_in_a_private_folder_and_is_purged_with_it() -> None:
    with tempfile.TemporaryDirectory(prefix="los-private-") as private:
        assert stat.S_IMODE(Path(private).stat().st_mode) == 0o700
        server = PostgresServer(Path(private) / "clone" / ".state" / "local")
        try:
            server.start()
            assert await _whoami(server.url(OWNER)) == OWNER
            assert await _whoami(server.url("los_console")) == "los_console"
            if os.geteuid() == 0:  # the server runs as `postgres`: its files are where it can reach them
                assert server.home == server.outside and server.outside.parent == OUTSIDE
                assert not server.data.is_relative_to(private)
                assert stat.S_IMODE(server.home.stat().st_mode) == 0o700
                assert server.home.stat().st_uid == server.data.stat().st_uid != 0
                assert (server.home / "state-folder").read_text().strip() == str(server.state_dir)
            assert server.meta_file.is_relative_to(private)  # the runner's own file stays in the state folder

            pid = server.running_pid()
            assert pid is not None
            os.kill(pid, signal.SIGKILL)
            wait_until(lambda: not pid_alive(pid), timeout=10, what="the killed server to exit")
            again = PostgresServer(server.state_dir)  # a new runner finds the cluster where it is
            again.start()
            assert again.home == server.home
            assert await _whoami(again.url(OWNER)) == OWNER
            again.stop()
            assert again.running_pid() is None and not port_answers(again.port)
        finally:
            server.destroy()
        assert not server.outside.exists() and not server.root.exists()
