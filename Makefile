# Roster — the two commands a newcomer needs are `make run` and `make test` (see README.md).
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PORT ?= 8000

.DEFAULT_GOAL := help
.PHONY: help run test test-services services worker lint check fuzz lock audit screenshots

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-15s %s\n", $$1, $$2}'

# requirements-dev.txt is the whole locked set (runtime + tools), every package pinned with its hashes:
# pip installs exactly what CI tested or refuses.
$(STAMP): requirements.txt requirements-dev.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --require-hashes -r requirements-dev.txt
	@touch $(STAMP)

LOCK := $(VENV)/bin/pip-compile --quiet --generate-hashes --strip-extras --allow-unsafe --no-emit-index-url --no-emit-find-links
lock: $(STAMP) ## Re-pin requirements.txt and requirements-dev.txt from the .in files (after editing them)
	$(LOCK) --output-file=requirements.txt requirements.in
	$(LOCK) --output-file=requirements-dev.txt requirements-dev.in

audit: $(STAMP) ## pip-audit over the locked set: a known vulnerability with a fix fails
	$(PY) bin/audit-deps requirements-dev.txt

run: $(STAMP) ## Run the whole product on http://127.0.0.1:8000 (PORT=...; SQLite, web server, Celery worker and beat)
	@PORT=$(PORT) bin/run

# The suite is hermetic: the test settings, whatever the shell says, and no DATABASE_URL or REDIS_URL
# but those test-services passes (config/env.py reads no .env under the test settings).
TEST_ENV := env -u DATABASE_URL -u REDIS_URL DJANGO_SETTINGS_MODULE=config.settings.test

test: $(STAMP) ## Run the test suite (SQLite, in-process Celery, browser tests in Debian's chromium)
	$(TEST_ENV) $(VENV)/bin/pytest -m "not services" $(PYTEST_ARGS)

services: ## Start the local PostgreSQL and Redis if they are not running
	@bin/ensure-services

test-services: $(STAMP) services ## Run the whole suite against real PostgreSQL, Redis and a Celery worker
	$(TEST_ENV) DATABASE_URL=$${SERVICES_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres} \
	REDIS_URL=$${SERVICES_REDIS_URL:-redis://127.0.0.1:6379/15} \
	$(VENV)/bin/pytest $(PYTEST_ARGS)

worker: $(STAMP) ## Run a Celery worker with beat alone (make run starts one already)
	@mkdir -p var && bin/worker --schedule=var/celerybeat-schedule

fuzz: $(STAMP) ## Fuzz the JSON API with Schemathesis against a live app (own SQLite database; about a minute)
	$(PY) bin/fuzz-api $(FUZZ_ARGS)

screenshots: $(STAMP) ## PNGs of every page at 1280 and 390 px into test-artifacts/screenshots/ (seeded test app, fake PagerDuty)
	$(TEST_ENV) ROSTER_REQUIRE_BROWSER=1 $(VENV)/bin/pytest -q -s -p no:randomly tests/browser/screenshots.py

lint: $(STAMP) ## ruff (checks, formatting), mypy, import layers, no model change without its migration, alert rules (promtool)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(TEST_ENV) $(VENV)/bin/mypy accounts config integrations rotations webhooks notifications outgoing ops
	$(VENV)/bin/lint-imports
	$(TEST_ENV) $(PY) manage.py makemigrations --check --dry-run
	@command -v promtool >/dev/null || { echo "promtool is missing: apt-get install prometheus (Debian's package)" >&2; exit 1; }
	promtool check rules docs/alerts.yml
