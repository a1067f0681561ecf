# odr — the two commands a newcomer runs are `make run` and `make test`.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
export PATH := $(CURDIR)/$(VENV)/bin:/usr/lib/postgresql/15/bin:$(PATH)

.PHONY: run test setup system-packages venv frontend migration migration-redo lint

run: setup frontend ## set up everything and start the platform with demo data
	$(VENV)/bin/odr db upgrade
	$(VENV)/bin/odr seed-demo
	$(VENV)/bin/odr serve --host 127.0.0.1 --port 8000

test: setup ## set up everything and run the whole test suite
	bash tests/run_all.sh

setup: system-packages venv

system-packages:
	bash .ci/install-system-packages.sh

frontend: system-packages
	bash frontend/build.sh --no-test

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $@

# A new Alembic revision from model changes: make migration m="add case deadlines"
migration:
	rm -f var/migration-autogen.sqlite3
	mkdir -p var
	ODR_DATABASE_URL=sqlite+aiosqlite:///var/migration-autogen.sqlite3 $(VENV)/bin/alembic upgrade head
	ODR_DATABASE_URL=sqlite+aiosqlite:///var/migration-autogen.sqlite3 $(VENV)/bin/alembic revision --autogenerate -m "$(m)"
	rm -f var/migration-autogen.sqlite3

# Regenerate a revision that has not landed yet from the current models, keeping its id:
# make migration-redo rev=0002 m="cases". Never use it on a landed revision.
migration-redo:
	test -n "$(rev)"
	rm -f alembic/versions/$(rev)_*.py
	db=$$(mktemp -u /tmp/odr-autogen-XXXXXX.sqlite3); \
	ODR_DATABASE_URL=sqlite+aiosqlite:///$$db $(VENV)/bin/alembic upgrade head && \
	ODR_DATABASE_URL=sqlite+aiosqlite:///$$db $(VENV)/bin/alembic revision --autogenerate --rev-id $(rev) -m "$(m)"; \
	status=$$?; rm -f $$db; exit $$status

lint:
	$(VENV)/bin/ruff check odr mediators agreements signaling media tests bench
