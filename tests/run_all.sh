#!/usr/bin/env bash
# The whole test suite. Database-facing tests run on SQLite and PostgreSQL (the
# db_url fixture); servers are started by the tests themselves.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/.venv/bin:/usr/lib/postgresql/15/bin:$PATH"
export ODR_ENVIRONMENT=test
if [ -x frontend/build.sh ]; then
  echo "== frontend: install, unit tests, build"
  bash frontend/build.sh
fi
echo "== python: lint and types"
ruff check odr mediators agreements signaling media tests bench
mypy
echo "== python: unit, integration, e2e, bench smoke"
pytest -p no:cacheprovider --durations=30 -q "$@"
