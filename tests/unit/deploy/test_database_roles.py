"""One PostgreSQL login role per service, made alike by the local runner and compose's init
script, and named alike in deploy/services.yaml, docker-compose.yml and the migrations.
What each role may do is proven on the real server in tests/security/test_database_roles.py."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

from deploy.local.postgres import LEGACY_APP, OUTSIDE, OWNER, PostgresServer, role_statements
from deploy.local.stack import REPO, LocalStack, database_url_variable, load_services
from deploy.schema import COMPONENTS
from deploy.services import database_roles

COMPOSE = yaml.safe_load((REPO / "docker-compose.yml").read_text())
INIT_DB = (REPO / "deploy" / "docker" / "init-db.sh").read_text()
ROLES = database_roles()


def test_every_service_that_uses_the_database_has_a_role_of_its_own() -> None:
    users = {s.name for s in load_services() if "LOS_DATABASE_URL" in s.env}
    assert set(ROLES) == users == {"coordinator", "disclosure", "console", "audit", "pseudonyms"}
    assert len(set(ROLES.values())) == len(ROLES), "two services share a role"
    assert not {OWNER, LEGACY_APP} & set(ROLES.values())


def test_no_service_is_given_the_owners_login() -> None:
    for spec in load_services():
        assert "LOS_DATABASE_OWNER_URL" not in spec.env, spec.name
        assert "LOS_DATABASE_OWNER_URL" not in COMPOSE["services"][spec.name]["environment"], spec.name


def test_the_runner_makes_every_role_idempotently_and_los_app_without_login() -> None:
    sql = role_statements({OWNER: "o", **{role: f"pw-{role}" for role in ROLES.values()}})
    for role in [OWNER, *ROLES.values(), LEGACY_APP]:
        assert f"IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{role}') THEN CREATE ROLE {role};" in sql
    for role in ROLES.values():
        assert f"ALTER ROLE {role} LOGIN PASSWORD 'pw-{role}';" in sql
    assert f"ALTER ROLE {OWNER} LOGIN CREATEDB PASSWORD 'o';" in sql
    assert f"ALTER ROLE {LEGACY_APP} NOLOGIN;" in sql
    assert "WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'los')\\gexec" in sql


def test_compose_makes_the_same_roles_and_gives_each_service_its_own() -> None:
    postgres_env = COMPOSE["services"]["postgres"]["environment"]
    makefile = (REPO / "Makefile").read_text()
    for service, role in ROLES.items():
        password = f"LOS_{service.upper()}_DB_PASSWORD"
        url = COMPOSE["services"][service]["environment"]["LOS_DATABASE_URL"]
        assert url == (f"postgresql://{role}:${{{password}}}@postgres:5432/los"
                       "?sslmode=verify-full&sslrootcert=/run/secrets/tls-ca"), service
        assert postgres_env[password] == f"${{{password}}}"
        assert password in makefile, f"make up does not generate {password}"
        assert f"IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{role}') THEN CREATE ROLE {role};" in INIT_DB
        assert f"ALTER ROLE {role} LOGIN PASSWORD '${{{password}}}';" in INIT_DB
    assert f"ALTER ROLE {LEGACY_APP} NOLOGIN;" in INIT_DB
    assert "LOS_APP_DB_PASSWORD" not in (REPO / "docker-compose.yml").read_text() + INIT_DB + makefile


def test_compose_migrates_as_the_owner_before_any_service_starts() -> None:
    migrate = COMPOSE["services"]["migrate"]
    assert migrate["command"] == ["python", "-m", "deploy.local", "migrate"]
    assert migrate["environment"]["LOS_DATABASE_OWNER_URL"].startswith(f"postgresql://{OWNER}:")
    for spec in load_services():
        depends = COMPOSE["services"][spec.name]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully", spec.name


def test_a_service_process_gets_its_own_login_and_none_of_the_stacks_others(tmp_path: Path) -> None:
    stack = LocalStack(tmp_path)
    stack.postgres.root.mkdir(parents=True)
    passwords = {"postgres": "SUPER-SECRET", OWNER: "OWNER-SECRET", **{role: f"pw-{role}" for role in ROLES.values()}}
    stack.postgres.meta_file.write_text(json.dumps({"port": 5999, "passwords": passwords, "ready": True}))
    base = {"LOS_DATABASE_URL": stack.postgres.url(OWNER), "LOS_DATABASE_OWNER_URL": stack.postgres.url(OWNER),
            "LOS_POSTGRES_SUPERUSER_URL": stack.postgres.superuser_url, "LOS_KEYS_DIR": "keys",
            **{database_url_variable(s): stack.postgres.url(r) for s, r in ROLES.items()}}
    for spec in load_services():
        env = stack.process_env(spec, base)
        assert env["LOS_KEYS_DIR"] == "keys"
        secrets = ("OWNER-SECRET", "SUPER-SECRET")
        assert not any(password in value for value in env.values() for password in secrets), spec.name
        role = ROLES.get(spec.name)
        tls = f"?sslmode=verify-full&sslrootcert={tmp_path.resolve() / 'tls' / 'ca.crt'}"
        assert env.get("LOS_DATABASE_URL") == (f"postgresql://{role}:pw-{role}@127.0.0.1:5999/los{tls}"
                                               if role else None)
        others = {f"pw-{r}" for r in ROLES.values() if r != role}
        assert not any(password in value for value in env.values() for password in others), spec.name


def test_migrations_grant_only_to_roles_that_exist() -> None:
    known = {OWNER, LEGACY_APP, *ROLES.values()}
    granted: set[str] = set()
    for component in COMPONENTS:
        for path in sorted(component.folder.glob("*.sql")):
            named = set(re.findall(r"\blos_[a-z_]+\b", path.read_text()))
            assert named <= known, f"{path.name} names unknown roles {named - known}"
            granted |= named
    assert set(ROLES.values()) <= granted, "a service role is granted nothing"


def test_the_schema_lists_every_component_with_migrations_after_those_it_builds_on() -> None:
    from services.console.__main__ import REQUIRES

    folders = {p.parent for p in (REPO / "services").glob("*/migrations/*.sql")}
    assert {c.folder for c in COMPONENTS} == folders
    order = [c.name for c in COMPONENTS]
    assert all(order.index(r) < order.index(c.name) for c in COMPONENTS for r in c.requires)
    assert next(c for c in COMPONENTS if c.name == "console").requires == REQUIRES


def test_each_service_applies_only_its_own_migrations() -> None:
    """Given the owner's login, a service migrates its own component, never another's."""
    for service in ("coordinator", "disclosure", "console", "audit", "pseudonyms"):
        for path in (REPO / "services" / service).rglob("*.py"):
            for call in re.findall(r"migrate\([^)]*component=\"(\w+)\"", path.read_text()):
                assert call == service, f"{path.relative_to(REPO)} applies {call}'s migrations"


def test_a_state_folder_has_one_place_outside_for_its_cluster(tmp_path: Path) -> None:
    a, b = PostgresServer(tmp_path / "a"), PostgresServer(tmp_path / "b")
    assert a.outside.parent == b.outside.parent == OUTSIDE
    assert a.outside != b.outside
    assert PostgresServer(tmp_path / "x" / ".." / "a").outside == a.outside  # the resolved path counts
    assert LocalStack(tmp_path / "a").postgres.outside == a.outside
    assert a.meta_file.parent == tmp_path / "a" / "postgres"  # the runner's own file stays in the state folder
