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
# Bytecode is cached even where the shell says PYTHONDONTWRITEBYTECODE: without the cache every pytest
# process compiles the project and re-does the assertion rewriting of ~500 test modules (collection
# 10 s a process instead of 4).
TEST_ENV := env -u DATABASE_URL -u REDIS_URL -u PYTHONDONTWRITEBYTECODE DJANGO_SETTINGS_MODULE=config.settings.test

# pytest-xdist: TEST_WORKERS processes share the tests (each its own test database and Redis database,
# tests/conftest.py); a file marked xdist_group stays in one process (its module-scoped fixture).
# Three on the 2-core machine: the browser tests and the fake servers leave a core idle part of the time
# (`make test` 2,005 tests: 174 s with two, 153 s with three, 152 s with four; CONTRIBUTING → Test speed).
TEST_WORKERS ?= 3
XDIST := -n $(TEST_WORKERS) --dist loadgroup

test: $(STAMP) ## Run the test suite (SQLite, in-process Celery, browser tests in Debian's chromium; 3 processes)
	$(TEST_ENV) $(VENV)/bin/pytest $(XDIST) -m "not services" $(PYTEST_ARGS)

services: ## Start the local PostgreSQL and Redis if they are not running
	@bin/ensure-services

# What needs PostgreSQL, Redis or a real worker: the `services` tests, those that count in the cache or
# config.limits again on Redis (`redis`), and every test that uses the database again on PostgreSQL
# (`database`, set by tests/conftest.py), except the browser tests and those that start processes of
# their own (`make test` runs those once). Worker gwN uses Redis database N past SERVICES_REDIS_URL's.
SERVICES_TESTS := services or redis or (database and not browser and not subprocess)

test-services: $(STAMP) services ## Run what needs PostgreSQL, Redis or a Celery worker against real ones (3 processes)
	$(TEST_ENV) DATABASE_URL=$${SERVICES_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres} \
	REDIS_URL=$${SERVICES_REDIS_URL:-redis://127.0.0.1:6379/12} \
	$(VENV)/bin/pytest $(XDIST) -m "$(SERVICES_TESTS)" $(PYTEST_ARGS)

worker: $(STAMP) ## Run a Celery worker with beat alone (make run starts one already)
	@mkdir -p var && bin/worker --schedule=var/celerybeat-schedule

fuzz: $(STAMP) ## Fuzz the JSON API with Schemathesis (with its positive and negative data checks) against a live app (own SQLite database; about 1.5 minutes)
	$(PY) bin/fuzz-api $(FUZZ_ARGS)

screenshots: $(STAMP) ## PNGs of every page at 1280 and 390 px into test-artifacts/screenshots/ (seeded test app, fake PagerDuty)
	$(TEST_ENV) ROSTER_REQUIRE_BROWSER=1 $(VENV)/bin/pytest -q -s -p no:randomly tests/browser/screenshots.py

lint: $(STAMP) ## ruff (checks, formatting), mypy, import layers, no model change without its migration, alert rules (promtool)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(TEST_ENV) $(VENV)/bin/mypy accounts config integrations rotations webhooks covers notifications outgoing ops
	$(VENV)/bin/lint-imports
	$(TEST_ENV) $(PY) manage.py makemigrations --check --dry-run
	@command -v promtool >/dev/null || { echo "promtool is missing: apt-get install prometheus (Debian's package)" >&2; exit 1; }
	promtool check rules docs/alerts.yml
