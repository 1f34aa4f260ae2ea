# The two commands of the quick start: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PG_URL ?= postgres://postgres@127.0.0.1:5432/test
HOST   ?= 127.0.0.1:8000

.PHONY: demo test setup lint test-sqlite test-postgres bench messages clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

setup: $(VENV)/.installed

## Set up, migrate, load the demo district and serve it at http://$(HOST)
demo: setup
	$(PY) manage.py migrate --no-input -v0
	$(PY) manage.py load_demo --if-empty
	SHEQU_2FA=optional SHEQU_SERVE_ALSO=shequ.devices.simulator.start_in_thread $(PY) manage.py serve --noreload $(HOST)

## Set up (Python packages, Debian's chromium and Chinese fonts) and run the whole suite
test: setup
	bash scripts/ensure-browser.sh
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/ruff format --check --quiet src tests benchmarks
	$(VENV)/bin/mypy
	$(MAKE) -j2 --output-sync=target test-sqlite test-postgres

# The two passes run side by side (one per core), each with a var/ of its own; each prints when it ends.
test-sqlite:
	SHEQU_VAR_DIR=var/test-sqlite $(PY) -m pytest

# PostgreSQL when reachable; under CI=true it must be. Tests whose subject does not depend on the database engine
# (the browser and the authorization matrix: marker one_engine) ran on SQLite already.
test-postgres:
	@if $(PY) scripts/pg_ready.py "$(PG_URL)"; then \
		SHEQU_VAR_DIR=var/test-postgres DATABASE_URL="$(PG_URL)" $(PY) -m pytest -m "not one_engine"; \
	elif [ "$$CI" = "true" ]; then echo "PostgreSQL at $(PG_URL) is not reachable, and CI requires it"; exit 1; \
	else echo "SKIPPED: PostgreSQL at $(PG_URL) is not reachable; the suite ran on SQLite only"; fi

## Benchmarks (print figures and ratios against a baseline measured in the same run)
bench: setup
	$(PY) benchmarks/run.py

## Refresh and compile the gettext catalogues (needs GNU gettext)
messages: setup
	bash scripts/messages.sh

clean:
	rm -rf $(VENV) var
