# Payjaro — two commands: `make run` (demo server on the embedded default) and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: run test install lint migrate seed clean bench bench-oscar

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/activate requirements.txt requirements-dev.txt
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

migrate: install
	$(BIN)/python manage.py migrate --noinput

seed: migrate
	$(BIN)/python manage.py seed_demo

# The server and the periodic jobs (manage.py run_scheduler, the embedded default's beat) run side by side;
# Ctrl-C (or the server exiting) stops both.
run: seed
	@$(BIN)/python manage.py run_scheduler & scheduler=$$!; \
	trap 'kill $$scheduler 2>/dev/null; wait $$scheduler 2>/dev/null' EXIT INT TERM; \
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

lint: install
	$(BIN)/ruff check .
	$(BIN)/lint-imports

test: install
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	DJANGO_ENVIRONMENT=test $(BIN)/python manage.py makemigrations --check --dry-run
	DJANGO_ENVIRONMENT=test $(BIN)/pytest $(PYTEST_ARGS)

# Benchmark (not a test; not run by CI): needs PostgreSQL and Redis on loopback; installs Debian's wrk if missing.
# BENCH_ARGS=--small for a quick run, --update-readme to record the table in bench/README.md.
BENCH_ARGS ?=
bench: install
	command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	$(BIN)/python bench/run.py $(BENCH_ARGS)

# Payjaro vs django-oscar + django-oscar-api, interleaved A/B (bench/oscar_ab.py; Oscar in its own virtualenv).
OSCAR_AB_ARGS ?=
bench-oscar: install
	command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	$(BIN)/python bench/oscar_ab.py $(OSCAR_AB_ARGS)

clean:
	rm -rf $(VENV) db.sqlite3 media staticfiles
