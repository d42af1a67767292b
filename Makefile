# The two commands: `make run` (a development Switchboard at http://127.0.0.1:$PORT) and
# `make test` (lint, checks and the whole suite). Both set up .venv from the pinned files.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
export PORT

.PHONY: run test lint checks pytest smoke chromium clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.run-deps: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev-deps: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

# Development run: DEBUG on (unless DEBUG is set), SQLite and an embedded Redis under var/
# unless DATABASE_URL / REDIS_URL say otherwise. Ctrl-C stops every process.
run: $(VENV)/.run-deps
	DEBUG=$${DEBUG:-1} $(BIN)/python manage.py migrate --noinput
	DEBUG=$${DEBUG:-1} exec $(BIN)/python manage.py serve --port $(PORT)

test: $(VENV)/.dev-deps chromium lint checks pytest

lint: $(VENV)/.dev-deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

# Production-like settings for the deployment checklist: DEBUG off, a strong secret, HTTPS.
checks: $(VENV)/.dev-deps
	DJANGO_SETTINGS_MODULE=tests.settings $(BIN)/python manage.py makemigrations --check --dry-run
	env -u HTTPS DEBUG=0 ALLOWED_HOSTS=switchboard.example.com \
	  SECRET_KEY=$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(50))') \
	  FIELD_ENCRYPTION_KEY=$$($(BIN)/python -c 'import base64, os; print(base64.urlsafe_b64encode(os.urandom(32)).decode())') \
	  $(BIN)/python manage.py check --deploy --fail-level WARNING

pytest: $(VENV)/.dev-deps chromium
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# A short subset: the worker, health and first-run journeys.
smoke: $(VENV)/.dev-deps chromium
	$(BIN)/python -m pytest -q tests/integration tests/browser/test_first_run.py tests/unit/test_access.py

# Browser tests drive Debian's Chromium; elsewhere Playwright's own build.
chromium: $(VENV)/.dev-deps
	@if [ -x /usr/bin/chromium ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else $(BIN)/playwright install chromium; fi

clean:
	rm -rf $(VENV) var/test-artifacts .pytest_cache .ruff_cache
