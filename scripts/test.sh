#!/usr/bin/env bash
# The whole test run: lint, types, then pytest with a throw-away PostgreSQL server for the storage
# tests. Called by `make test` (and so by .ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${VENV:-.venv}/bin

"$BIN/ruff" check newsdesk crawlers pipeline notifications press web tests benchmarks
"$BIN/mypy"

# feedparser's own test corpus (from its sdist on PyPI) for the feed robustness test.
PYTHON="$BIN/python" sh tests/fixtures/crawlers/fetch_feed_corpus.sh var >/dev/null \
  || echo "could not fetch feedparser's test corpus: the feed corpus test will be skipped" >&2

# Debian's chromium and fonts-noto-cjk for the dashboard's browser tests (installed when root and missing).
bash scripts/browser.sh

pg_url=""
if pg_url=$(scripts/postgres.sh start); then
  trap 'scripts/postgres.sh stop' EXIT
  export NEWSDESK_TEST_POSTGRES_URL="$pg_url"
elif [ "${CI:-}" = "true" ]; then
  echo "CI needs PostgreSQL for the storage tests and it could not be started" >&2
  exit 1
else
  echo "PostgreSQL not available: its storage tests will be skipped" >&2
fi

"$BIN/python" -m pytest -p no:cacheprovider "$@"
