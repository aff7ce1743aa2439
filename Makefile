# Roster — the two commands a newcomer needs are `make run` and `make test` (see README.md).
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help run test test-services services worker lint check fuzz

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-15s %s\n", $$1, $$2}'

$(STAMP): requirements.txt requirements-dev.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	@touch $(STAMP)

.env:
	@$(PY) -c "import secrets; from cryptography.fernet import Fernet; print('# Development settings written by make run; see .env.example.'); print('DEBUG=true'); print('SECRET_KEY=' + secrets.token_urlsafe(40)); print('FIELD_ENCRYPTION_KEY=' + Fernet.generate_key().decode())" > .env
	@echo "Wrote .env with a new development encryption key."

run: $(STAMP) .env ## Run the app on http://127.0.0.1:8000 (SQLite; Celery in-process unless REDIS_URL is set)
	$(PY) manage.py migrate --noinput
	$(PY) manage.py bootstrap_demo
	@if [ -n "$$REDIS_URL" ]; then \
	  echo "REDIS_URL is set: starting a Celery worker with beat beside the web server."; \
	  $(VENV)/bin/celery -A config worker -B --loglevel=info & trap "kill $$!" EXIT; \
	  $(PY) manage.py runserver 127.0.0.1:8000; \
	else \
	  $(PY) manage.py runserver 127.0.0.1:8000; \
	fi

test: $(STAMP) ## Run the test suite (SQLite, in-process Celery, browser tests in Debian's chromium)
	$(VENV)/bin/pytest -m "not services" $(PYTEST_ARGS)

services: ## Start the local PostgreSQL and Redis if they are not running
	@bin/ensure-services

test-services: $(STAMP) services ## Run the whole suite against real PostgreSQL, Redis and a Celery worker
	DATABASE_URL=$${SERVICES_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres} \
	REDIS_URL=$${SERVICES_REDIS_URL:-redis://127.0.0.1:6379/15} \
	$(VENV)/bin/pytest $(PYTEST_ARGS)

worker: $(STAMP) ## Run a Celery worker with beat (needs REDIS_URL)
	$(VENV)/bin/celery -A config worker -B --loglevel=info

fuzz: $(STAMP) ## Fuzz the JSON API with Schemathesis against a live app (own SQLite database; about a minute)
	$(PY) bin/fuzz-api $(FUZZ_ARGS)

lint: $(STAMP) ## ruff (checks and formatting), and no model change without its migration
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	DJANGO_SETTINGS_MODULE=config.settings.test $(PY) manage.py makemigrations --check --dry-run
