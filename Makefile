# odr — the two commands a newcomer runs are `make run` and `make test`.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
export PATH := $(CURDIR)/$(VENV)/bin:/usr/lib/postgresql/15/bin:$(PATH)

.PHONY: run test setup system-packages venv frontend migration lint

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

lint:
	$(VENV)/bin/ruff check odr mediators agreements signaling media tests bench
