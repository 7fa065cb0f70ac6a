#!/usr/bin/env bash
# The whole test run: lint, types, then pytest with a throw-away PostgreSQL server (storage, outbox,
# publishing, lease tests) and a throw-away Redis server (the Celery system test), each installed
# from Debian's packages when missing and run as root. Called by `make test` (and so by .ci/run).
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

stop_services() { scripts/postgres.sh stop; scripts/redis.sh stop; }
trap stop_services EXIT

# Redis: the Celery broker of the scale-out system test.
if redis_url=$(scripts/redis.sh start); then
  export NEWSDESK_TEST_REDIS_URL="$redis_url"
elif [ "${CI:-}" = "true" ]; then
  echo "CI needs redis-server for the Celery tests and it could not be started" >&2
  exit 1
else
  echo "Redis not available: the Celery system test will be skipped" >&2
fi

pg_url=""
if pg_url=$(scripts/postgres.sh start); then
  export NEWSDESK_TEST_POSTGRES_URL="$pg_url"
elif [ "${CI:-}" = "true" ]; then
  echo "CI needs PostgreSQL for the storage tests and it could not be started" >&2
  exit 1
else
  echo "PostgreSQL not available: its storage tests will be skipped" >&2
fi

"$BIN/python" -m pytest -p no:cacheprovider "$@"
