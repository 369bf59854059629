"""A project-local PostgreSQL cluster from Debian's `postgresql` package.

initdb into the state folder, own port and socket folder, loopback only, password auth.
Login roles (made on every start, so an older cluster gains new ones): `los_owner` owns the
schema and runs migrations; each service logs in as its own role (`deploy/services.yaml`),
which has only what the migrations grant it (docs/security.md). `los_app`, the one role all
services used to share, stays as a role without login so older migrations' grants still apply.

PostgreSQL refuses to run as root, so a root runner starts it as the `postgres` system user.
When that user cannot reach the state folder (a clone in root's home, a `mktemp -d` folder),
the cluster's files live in a folder of their own, `/var/lib/los/postgres/<digest of the state
folder's path>` (owned by `postgres`, mode 0700); the runner's own file `server.json` stays in
the state folder, and `down --purge` deletes both.

TCP connections are TLS only: the server runs with `ssl=on` and a certificate for 127.0.0.1
and localhost issued by the state folder's CA (deploy/tls.py), and pg_hba.conf has `hostssl`
lines alone, so a client that does not ask for TLS is refused. Every URL made here asks for
`sslmode=verify-full` with that CA as `sslrootcert`. A server running with another certificate
(or without TLS: an older runner) is restarted with the current one.
"""

from __future__ import annotations

import hashlib
import json
import os
import pwd
import secrets
import shutil
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import quote

from deploy.local.processes import (
    LocalRunnerError,
    free_port,
    pid_alive,
    port_is_free,
    wait_until,
)
from deploy.services import database_roles
from deploy.tls import LocalAuthority

DATABASE = "los"
OWNER = "los_owner"
LEGACY_APP = "los_app"  # no login: kept so that older migrations' grants to it still apply
SUPERUSER = "postgres"
OUTSIDE = Path("/var/lib/los/postgres")  # cluster files a root runner keeps outside the state folder
# client authentication: over TCP, TLS or nothing
HBA = """\
# written by the los local runner on every start: TCP connections must use TLS
local    all all                scram-sha-256
hostnossl all all all           reject
hostssl  all all 127.0.0.1/32   scram-sha-256
hostssl  all all ::1/128        scram-sha-256
"""


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
    """One local cluster for a state folder, started with pg_ctl."""

    def __init__(self, state_dir: Path, authority: LocalAuthority | None = None) -> None:
        self.state_dir = state_dir.resolve()
        self.authority = authority or LocalAuthority(self.state_dir / "tls")
        self.root = self.state_dir / "postgres"
        self.meta_file = self.root / "server.json"
        self.outside = OUTSIDE / hashlib.sha256(str(self.state_dir).encode()).hexdigest()[:16]
        self._home: Path | None = None

    # --- where the cluster lives ----------------------------------------------------------
    @property
    def home(self) -> Path:
        """The folder holding the data directory, socket folder and log: `<state>/postgres`,
        or `self.outside` when the postgres system user cannot reach the state folder. An
        existing cluster is used where it is, so the choice never moves data."""
        if self._home is not None:
            return self._home
        for candidate in (self.root, self.outside):
            if (candidate / "data" / "PG_VERSION").exists():
                self._home = candidate
                return candidate
        return self.root if self._reachable() else self.outside

    @property
    def data(self) -> Path:
        return self.home / "data"

    @property
    def sockets(self) -> Path:
        return self.home / "run"

    @property
    def log_file(self) -> Path:
        return self.home / "postgres.log"

    def _reachable(self) -> bool:
        """Whether the user the server runs as can traverse every folder down to the state folder."""
        if os.geteuid() != 0:
            return True  # the server runs as this user
        return self._run_as_owner(["test", "-x", str(self.state_dir)]).returncode == 0

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

    @property
    def ca_file(self) -> Path:
        """The CA the server's certificate is issued by: what clients trust."""
        return self.authority.ca_cert

    def url(self, role: str, database: str = DATABASE) -> str:
        """The connection URL of a login role (`los_owner`, a service's role, `postgres`): over
        TLS, the server's certificate and host name checked against the CA."""
        return (f"postgresql://{role}:{self._password(role)}@127.0.0.1:{self.port}/{database}"
                f"?sslmode=verify-full&sslrootcert={quote(str(self.ca_file), safe='/')}")

    def _client_env(self, password: str) -> dict[str, str]:
        """libpq's environment for the server's own tools (psql, pg_isready): TLS, verified."""
        return {**os.environ, "PGPASSWORD": password, "PGSSLMODE": "verify-full",
                "PGSSLROOTCERT": str(self.ca_file)}

    @property
    def superuser_url(self) -> str:
        return self.url(SUPERUSER, "postgres")

    def service_urls(self) -> dict[str, str]:
        """Each service's URL, as its own role (deploy/services.yaml)."""
        return {service: self.url(role) for service, role in database_roles().items()}

    def _run_as_owner(self, argv: list[str]) -> subprocess.CompletedProcess[str]:
        """Postgres refuses to run as root; drop to the `postgres` system user when we are root
        (from `/`: the current folder may be one that user cannot enter)."""
        if os.geteuid() == 0:
            return subprocess.run(["runuser", "-u", "postgres", "--", *argv], capture_output=True, text=True,
                                  cwd="/")
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

    # --- lifecycle ------------------------------------------------------------------------
    def start(self) -> None:
        """Start (initialising on first use) and make the database and every login role."""
        bin_dir = ensure_installed()
        if os.geteuid() == 0:
            _ensure_system_user()
        self.state_dir.mkdir(parents=True, exist_ok=True)
        meta = self._meta()
        if not (self.data / "PG_VERSION").exists() or not meta.get("ready"):
            # first use, or an earlier initialisation that did not finish: start afresh
            self._init(bin_dir)
            meta = self._meta()
        certificate = self.authority.issue("postgres")
        if self.running_pid() is not None and meta.get("certificate") != certificate.fingerprint():
            self.stop()  # running without TLS or with an earlier certificate: start again with this one
        if self.running_pid() is None:
            self._install_tls(certificate.cert, certificate.key)
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
                "-t", "60", "-o", f"-p {port} -k {self.sockets} -c listen_addresses=127.0.0.1 -c ssl=on",
                "start",
            ])
            if result.returncode != 0:
                raise LocalRunnerError(
                    f"PostgreSQL did not start: {result.stdout}{result.stderr}\n"
                    + self.log_file.read_text(errors="replace")[-2000:]
                )
            self.meta_file.write_text(json.dumps({**self._meta(), "certificate": certificate.fingerprint()}))
        wait_until(lambda: self._ready(bin_dir), timeout=60, what="PostgreSQL",
                   log_file=self.log_file)
        self._ensure_roles(bin_dir)

    def _install_tls(self, cert: Path, key: Path) -> None:
        """The server's certificate and key where it reads them (`server.crt`, `server.key` in
        the data directory, its own and mode 0600) and the TLS-only pg_hba.conf."""
        for source, name in ((cert, "server.crt"), (key, "server.key")):
            target = self.data / name
            target.unlink(missing_ok=True)
            target.write_bytes(source.read_bytes())
            os.chmod(target, 0o600)
        (self.data / "pg_hba.conf").write_text(HBA)
        for name in ("server.crt", "server.key", "pg_hba.conf"):
            self._chown(self.data / name)

    def _ready(self, bin_dir: Path) -> bool:
        result = subprocess.run(
            [str(bin_dir / "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port), "-q"],
            capture_output=True, env=self._client_env(""),
        )
        return result.returncode == 0

    def _init(self, bin_dir: Path) -> None:
        self.stop()  # a server still running on files about to be replaced
        shutil.rmtree(self.root, ignore_errors=True)
        shutil.rmtree(self.outside, ignore_errors=True)
        self._home = self.root if self._reachable() else self.outside
        if self._home == self.outside:
            _traversable(OUTSIDE)
        self.home.mkdir(parents=True)
        self.root.mkdir(parents=True, exist_ok=True)
        if self.home == self.outside:
            (self.home / "state-folder").write_text(f"{self.state_dir}\n")  # whose cluster this is
        os.chmod(self.home, 0o700)
        passwords = {SUPERUSER: secrets.token_urlsafe(18)}
        pwfile = self.home / "pwfile"
        pwfile.write_text(passwords[SUPERUSER] + "\n")
        self._chown(self.home)
        result = self._run_as_owner([
            str(bin_dir / "initdb"), "-D", str(self.data), "-U", SUPERUSER, "-E", "UTF8",
            "--locale=C.UTF-8", "--auth-local=scram-sha-256", "--auth-host=scram-sha-256",
            f"--pwfile={pwfile}",
        ])
        pwfile.unlink()
        if result.returncode != 0:
            raise LocalRunnerError(f"initdb failed:\n{result.stdout}{result.stderr}")
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write("\n# los local runner\nmax_connections = 200\nshared_buffers = 256MB\n"
                       "fsync = on\nsynchronous_commit = on\n")
        self.meta_file.write_text(json.dumps({"port": free_port(), "passwords": passwords, "ready": True}))
        os.chmod(self.meta_file, 0o600)

    def _ensure_roles(self, bin_dir: Path) -> None:
        """The database, the owner and every service's login role, each with its password in
        `server.json` (made once); `los_app` without login. Idempotent: runs on every start."""
        meta = self._meta()
        passwords: dict[str, str] = dict(meta["passwords"])
        logins = [OWNER, *sorted(set(database_roles().values()))]
        missing = {role: secrets.token_urlsafe(18) for role in logins if role not in passwords}
        if missing:
            passwords |= missing
            self.meta_file.write_text(json.dumps({**meta, "passwords": passwords}))
        sql = role_statements({role: passwords[role] for role in logins})
        env = self._client_env(passwords[SUPERUSER])
        result = subprocess.run(
            [str(bin_dir / "psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", SUPERUSER,
             "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-q", "-f", "-"],
            input=sql, capture_output=True, text=True, env=env,
        )
        if result.returncode != 0:
            raise LocalRunnerError(f"creating the database roles failed:\n{result.stderr}")

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
        """Stop and delete the cluster, wherever its files are."""
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)
        shutil.rmtree(self.outside, ignore_errors=True)
        self._home = None


def role_statements(passwords: dict[str, str]) -> str:
    """psql input that makes each login role of `passwords` (the schema owner may also create
    databases), `los_app` without login, and the database; safe to run again."""
    lines = ["DO $$ BEGIN"]
    lines += [f"  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{name}') THEN CREATE ROLE {name}; END IF;"
              for name in [LEGACY_APP, *passwords]]
    lines += ["END $$;", f"ALTER ROLE {LEGACY_APP} NOLOGIN;"]
    lines += [f"ALTER ROLE {role} LOGIN{' CREATEDB' if role == OWNER else ''} PASSWORD '{password}';"
              for role, password in passwords.items()]
    lines.append(f"SELECT 'CREATE DATABASE {DATABASE} OWNER {OWNER}'"
                 f" WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '{DATABASE}')\\gexec")
    return "\n".join(lines) + "\n"


def _traversable(folder: Path) -> None:
    """Make `folder` (and missing parents) such that every user may pass through, not list, it."""
    for path in reversed([folder, *folder.parents]):
        if not path.exists():
            path.mkdir()
            os.chmod(path, 0o711)
    for path in (folder, folder.parent):
        os.chmod(path, path.stat().st_mode | 0o011)


def _ensure_system_user() -> None:
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        subprocess.run(["useradd", "--system", "--home-dir", "/var/lib/postgresql",
                        "--shell", "/bin/bash", "postgres"], check=True)
