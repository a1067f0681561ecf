#!/usr/bin/env bash
# Install the frontend's packages, run its unit tests and build it into frontend/dist.
# Called by tests/run_all.sh (make test); `make run` needs only the build.
#   bash frontend/build.sh            # install (npm ci), test, build
#   bash frontend/build.sh --no-test  # install and build only
set -euo pipefail
cd "$(dirname "$0")"

if ! command -v npm >/dev/null 2>&1; then
  echo "frontend/build.sh: npm is not installed (Node.js 20 or newer is needed)" >&2
  exit 1
fi

# npm ci is exact and repeatable; skip it when node_modules already matches the lock.
stamp=node_modules/.package-lock.json
if [ -f package-lock.json ]; then
  if [ ! -f "$stamp" ] || ! cmp -s <(sed -n '/"packages"/,$p' package-lock.json | sha256sum) \
      <(cat node_modules/.odr-lock-hash 2>/dev/null); then
    npm ci --prefer-offline --no-audit --no-fund --loglevel=error
    sed -n '/"packages"/,$p' package-lock.json | sha256sum > node_modules/.odr-lock-hash
  fi
else
  npm install --prefer-offline --no-audit --no-fund --loglevel=error
fi

if [ "${1:-}" != "--no-test" ]; then
  npm test --silent
fi
npm run build --silent
echo "frontend built into $(pwd)/dist"
