# LOS: `make up` runs the whole system, `make test` runs the tests. Every target installs
# what it needs on first use (virtual environment, Kafka jars, PostgreSQL, Chromium).
SHELL := /bin/bash
.DEFAULT_GOAL := help
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DOCKER_OK := $(shell docker info >/dev/null 2>&1 && echo yes)
# compose's PostgreSQL passwords (.env, made once; a password missing there is added)
DB_PASSWORDS := LOS_POSTGRES_PASSWORD LOS_OWNER_DB_PASSWORD LOS_COORDINATOR_DB_PASSWORD \
	LOS_DISCLOSURE_DB_PASSWORD LOS_CONSOLE_DB_PASSWORD LOS_AUDIT_DB_PASSWORD LOS_PSEUDONYMS_DB_PASSWORD

.PHONY: help up down status test test-unit lint bench venv clean schemas chart

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): requirements.txt pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	$(PY) -m pip install -q --no-deps -e .
	@touch $(STAMP)

venv: $(STAMP) ## Create the virtual environment with pinned dependencies

up: $(STAMP) ## Start Kafka, PostgreSQL and every service (docker compose if a Docker engine answers)
ifeq ($(DOCKER_OK),yes)
	@touch .env; for v in $(DB_PASSWORDS); do grep -q "^$$v=" .env || \
		echo "$$v=$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(18))')" >> .env; done
	$(PY) -m deploy.local compose-secrets
	docker compose up -d --build
else
	$(PY) -m deploy.local up
endif

down: ## Stop everything that `make up` started
ifeq ($(DOCKER_OK),yes)
	docker compose down
else
	@if [ -x $(PY) ]; then $(PY) -m deploy.local down; fi
endif

status: $(STAMP) ## Show what runs locally
	$(PY) -m deploy.local status

test: $(STAMP) ## Run every test tier (starts a private Kafka + PostgreSQL under .state/test)
	@bash deploy/local/ensure-chromium.sh
	@bash deploy/local/ensure-kcat.sh
	$(PY) -m deploy.helm tools >/dev/null
	$(PY) -m pytest

test-unit: $(STAMP) ## Run the unit tests only (no network)
	$(PY) -m pytest tests/unit

lint: $(STAMP) ## ruff, mypy and the layering contracts (import-linter, pyproject.toml)
	$(PY) -m ruff check .
	$(PY) -m mypy
	$(VENV)/bin/lint-imports

bench: $(STAMP) ## Benchmarks against this machine's raw limits (table + bench-results/results.json)
	$(PY) -m bench
	$(PY) -m deploy.local up --infra-only --no-demo --state-dir .state/bench
	set -a; . .state/bench/stack.env; set +a; $(PY) -m bench.console --events 1000000; \
		rc=$$?; $(PY) -m deploy.local down --state-dir .state/bench; exit $$rc

chart: $(STAMP) ## Regenerate the Helm chart's values, lint, render and validate it (deploy/helm)
	$(PY) -m deploy.helm generate
	$(PY) -m deploy.helm check

schemas: $(STAMP) ## Regenerate JSON Schemas, AsyncAPI and the event catalogue
	$(PY) -m deploy.contracts

clean: down ## Stop everything and delete local data and caches
	@if [ -x $(PY) ]; then for d in .state/*/; do if [ -f "$$d/postgres/server.json" ]; then \
		$(PY) -m deploy.local down --purge --state-dir "$$d" || exit 1; fi; done; fi
	rm -rf .state .cache
