# The two commands of the README: `make run` and `make test`. Everything else is a helper of theirs.
SHELL := /bin/bash
# Debian's own python3.11 when the machine has it: built with profile-guided and link-time
# optimisation, it runs the portal about a fifth faster than an unoptimised build (pyenv's default).
PYTHON ?= $(firstword $(wildcard /usr/bin/python3.11) $(shell command -v python3.11 || command -v python3))
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
AXE := tests/browser/node_modules/axe-core/axe.min.js
PORT ?= 8000

.PHONY: run test bench bench-efficiency setup messages lint clean

$(INSTALLED): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "Python 3.11 is required (found %s)" % sys.version.split()[0])'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(INSTALLED)

setup: $(INSTALLED) messages

# Compiled translations (English); needs GNU gettext's msgfmt.
messages: $(INSTALLED)
	@command -v msgfmt >/dev/null || { echo "msgfmt not found: install the Debian package gettext"; exit 2; }
	$(BIN)/python manage.py compilemessages --ignore=.venv -v0

# The portal with demo data, Celery worker and beat; SQLite and a file broker unless DATABASE_URL/REDIS_URL are set.
run: setup
	DEBUG=1 $(BIN)/python manage.py migrate --noinput -v0
	DEBUG=1 $(BIN)/python manage.py load_demo
	DEBUG=1 $(BIN)/python manage.py setup_schedule
	DEBUG=1 $(BIN)/python manage.py setup_efficiency
	@echo ""
	@echo "  Portal:  http://127.0.0.1:$(PORT)/        Admin: http://127.0.0.1:$(PORT)/admin/"
	@echo "  Logins (password Demo@2026): admin_city (admin), clerk_city (window clerk), handler_city,"
	@echo "    reviewer_city, approver_city, regulator_city, enforcer_city, overseer_city (enforcement"
	@echo "    supervision), legal_city, supervisor_city; district: admin_jc, clerk_jc, supervisor_jc;"
	@echo "    applicants: citizen_zhang, enterprise_hongxin"
	@echo ""
	DEBUG=1 PORT=$(PORT) PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/honcho -f Procfile.dev start

$(AXE):
	@command -v npm >/dev/null || { echo "npm not found: install the Debian packages nodejs and npm"; exit 2; }
	npm ci --prefix tests/browser --no-audit --no-fund --silent

# The whole suite on PostgreSQL and Redis: DATABASE_URL/REDIS_URL when set, else private throwaway servers.
test: setup $(AXE)
	scripts/with-test-services $(BIN)/pytest

# Speed targets (not part of `make test`): window intake and online filing through gunicorn +
# PostgreSQL, documents, the time-limit sweep over BENCH_SWEEP_CASES (default 1,000,000) open
# applications, and the efficiency scores and dashboards over BENCH_APPLICATIONS (default 10
# million; loading them by COPY takes a quarter of an hour here).
bench: setup
	scripts/with-test-services $(BIN)/python bench/intake.py
	scripts/with-test-services $(BIN)/python bench/sweep.py
	scripts/with-test-services $(BIN)/python bench/efficiency.py

# The efficiency part alone.
bench-efficiency: setup
	scripts/with-test-services $(BIN)/python bench/efficiency.py

lint: $(INSTALLED)
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) var tests/browser/node_modules
