"""A project-local PostgreSQL cluster from Debian's `postgresql` package.

initdb into the state folder, own port and socket folder, loopback only, password auth.
Two login roles are created: `los_owner` owns the schema and runs migrations; `los_app` is
what services connect as and gets only the grants the migrations give it (so, for example,
it can never UPDATE the audit log).
"""

from __future__ import annotations

import json
import os
import pwd
import secrets
import shutil
import subprocess
from pathlib import Path
from typing import Any

from deploy.local.processes import (
    LocalRunnerError,
    free_port,
    pid_alive,
    port_is_free,
    wait_until,
)

DATABASE = "los"
OWNER = "los_owner"
APP = "los_app"


def find_bin_dir() -> Path | None:
    roots = sorted(Path("/usr/lib/postgresql").glob("*/bin/postgres"),
                   key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0)
    return roots[-1].parent if roots else None


def ensure_installed() -> Path:
    """Find the server binaries, installing Debian's package when they are missing."""
    bin_dir = find_bin_dir()
    if bin_dir is not None:
        return bin_dir
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise LocalRunnerError(
            "PostgreSQL server binaries are missing: install them with "
            "`sudo apt-get install -y postgresql` and run this again"
        )
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for argv in (["apt-get", "update", "-q"],
                 ["apt-get", "install", "-y", "-q", "--no-install-recommends", "postgresql"]):
        result = subprocess.run(argv, capture_output=True, text=True, env=env)
        if result.returncode != 0:
            raise LocalRunnerError(f"`{' '.join(argv)}` failed:\n{result.stderr[-2000:]}")
    bin_dir = find_bin_dir()
    if bin_dir is None:
        raise LocalRunnerError("installed postgresql but found no server in /usr/lib/postgresql")
    return bin_dir


class PostgresServer:
    """One local cluster under `<state>/postgres`, started with pg_ctl."""

    def __init__(self, state_dir: Path) -> None:
        self.root = state_dir / "postgres"
        self.data = self.root / "data"
        self.sockets = self.root / "run"
        self.log_file = self.root / "postgres.log"
        self.meta_file = self.root / "server.json"

    def _meta(self) -> dict[str, Any]:
        try:
            return dict(json.loads(self.meta_file.read_text()))
        except (OSError, ValueError):
            return {}

    @property
    def port(self) -> int:
        return int(self._meta()["port"])

    def _password(self, role: str) -> str:
        return str(self._meta()["passwords"][role])

    def url(self, role: str = APP, database: str = DATABASE) -> str:
        return f"postgresql://{role}:{self._password(role)}@127.0.0.1:{self.port}/{database}"

    @property
    def superuser_url(self) -> str:
        return self.url("postgres", "postgres")

    def _run_as_owner(self, argv: list[str]) -> subprocess.CompletedProcess[str]:
        """Postgres refuses to run as root; drop to the `postgres` system user when we are root."""
        if os.geteuid() == 0:
            argv = ["runuser", "-u", "postgres", "--", *argv]
        return subprocess.run(argv, capture_output=True, text=True)

    def _chown(self, path: Path) -> None:
        if os.geteuid() == 0:
            user = pwd.getpwnam("postgres")
            for p in [path, *path.rglob("*")]:
                os.chown(p, user.pw_uid, user.pw_gid)

    def running_pid(self) -> int | None:
        pid_file = self.data / "postmaster.pid"
        try:
            pid = int(pid_file.read_text().splitlines()[0])
        except (OSError, ValueError, IndexError):
            return None
        return pid if pid_alive(pid) else None

    def start(self) -> str:
        """Start (initialising on first use) and return the application's connection URL."""
        bin_dir = ensure_installed()
        if os.geteuid() == 0:
            _ensure_system_user()
        meta = self._meta()
        if not (self.data / "PG_VERSION").exists() or not meta.get("ready"):
            # first use, or an earlier initialisation that did not finish: start afresh
            self._init(bin_dir)
            meta = self._meta()
        if self.running_pid() is None:
            # A crashed postmaster leaves its lock file; a zombie pid in it would still
            # look alive to the server's own check, so remove it and the socket's lock.
            (self.data / "postmaster.pid").unlink(missing_ok=True)
            for stale in self.sockets.glob(".s.PGSQL.*"):
                stale.unlink(missing_ok=True)
            port = int(meta["port"])
            if not port_is_free(port):
                port = free_port()
                self.meta_file.write_text(json.dumps({**meta, "port": port}))
            self.sockets.mkdir(parents=True, exist_ok=True)
            self._chown(self.sockets)
            self.log_file.touch()
            self._chown(self.log_file)
            result = self._run_as_owner([
                str(bin_dir / "pg_ctl"), "-D", str(self.data), "-l", str(self.log_file), "-w",
                "-t", "60", "-o", f"-p {port} -k {self.sockets} -c listen_addresses=127.0.0.1",
                "start",
            ])
            if result.returncode != 0:
                raise LocalRunnerError(
                    f"PostgreSQL did not start: {result.stdout}{result.stderr}\n"
                    + self.log_file.read_text(errors="replace")[-2000:]
                )
        wait_until(lambda: self._ready(bin_dir), timeout=60, what="PostgreSQL",
                   log_file=self.log_file)
        return self.url()

    def _ready(self, bin_dir: Path) -> bool:
        result = subprocess.run(
            [str(bin_dir / "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port), "-q"],
            capture_output=True,
        )
        return result.returncode == 0

    def _init(self, bin_dir: Path) -> None:
        shutil.rmtree(self.root, ignore_errors=True)
        self.root.mkdir(parents=True)
        self._chown(self.root)
        self._check_reachable()
        passwords = {r: secrets.token_urlsafe(18) for r in ("postgres", OWNER, APP)}
        pwfile = self.root / "pwfile"
        pwfile.write_text(passwords["postgres"] + "\n")
        self._chown(self.root)
        result = self._run_as_owner([
            str(bin_dir / "initdb"), "-D", str(self.data), "-U", "postgres", "-E", "UTF8",
            "--locale=C.UTF-8", "--auth-local=scram-sha-256", "--auth-host=scram-sha-256",
            f"--pwfile={pwfile}",
        ])
        pwfile.unlink()
        if result.returncode != 0:
            raise LocalRunnerError(f"initdb failed:\n{result.stdout}{result.stderr}")
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write("\n# los local runner\nmax_connections = 200\nshared_buffers = 256MB\n"
                       "fsync = on\nsynchronous_commit = on\n")
        self.meta_file.write_text(json.dumps({"port": free_port(), "passwords": passwords}))
        os.chmod(self.meta_file, 0o600)
        self._create_roles(bin_dir, passwords)
        self.meta_file.write_text(json.dumps({**self._meta(), "ready": True}))

    def _create_roles(self, bin_dir: Path, passwords: dict[str, str]) -> None:
        """Start once to create the database and roles, then stop again."""
        port = self.port
        self.sockets.mkdir(parents=True, exist_ok=True)
        self._chown(self.sockets)
        self.log_file.touch()
        self._chown(self.log_file)
        opts = f"-p {port} -k {self.sockets} -c listen_addresses=127.0.0.1"
        started = self._run_as_owner([str(bin_dir / "pg_ctl"), "-D", str(self.data), "-l",
                                      str(self.log_file), "-w", "-o", opts, "start"])
        if started.returncode != 0:
            raise LocalRunnerError(f"PostgreSQL did not start: {started.stderr}")
        statements = [
            f"CREATE ROLE {OWNER} LOGIN CREATEDB PASSWORD '{passwords[OWNER]}'",
            f"CREATE ROLE {APP} LOGIN PASSWORD '{passwords[APP]}'",
            f"CREATE DATABASE {DATABASE} OWNER {OWNER}",
        ]
        env = {**os.environ, "PGPASSWORD": passwords["postgres"]}
        result = subprocess.run(
            [str(bin_dir / "psql"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres",
             "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-q",
             *[arg for sql in statements for arg in ("-c", sql)]],
            capture_output=True, text=True, env=env,
        )
        self._run_as_owner([str(bin_dir / "pg_ctl"), "-D", str(self.data), "-w", "stop"])
        if result.returncode != 0:
            raise LocalRunnerError(f"creating roles failed:\n{result.stderr}")

    def _check_reachable(self) -> None:
        if os.geteuid() != 0:
            return
        probe = self._run_as_owner(["test", "-w", str(self.root)])
        if probe.returncode != 0:
            raise LocalRunnerError(
                f"the postgres system user cannot reach {self.root}; set LOS_STATE_DIR to a "
                "folder every user can traverse (e.g. /var/tmp/los)"
            )

    def stop(self) -> None:
        bin_dir = find_bin_dir()
        if bin_dir is None or self.running_pid() is None:
            return
        result = self._run_as_owner(
            [str(bin_dir / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "-t", "60", "stop"]
        )
        if result.returncode != 0 and self.running_pid() is not None:
            raise LocalRunnerError(f"PostgreSQL did not stop: {result.stderr}")

    def restart(self) -> None:
        """Fast stop and start again (fault tests)."""
        self.stop()
        self.start()

    def destroy(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)


def _ensure_system_user() -> None:
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        subprocess.run(["useradd", "--system", "--home-dir", "/var/lib/postgresql",
                        "--shell", "/bin/bash", "postgres"], check=True)
