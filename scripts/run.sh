#!/usr/bin/env bash
# `make run`: monitoring (`newsdesk run`) and the dashboard (`newsdesk web`) together; Ctrl-C stops both.
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.venv/bin}
"$BIN/newsdesk" web &
web=$!
trap 'kill "$web" 2>/dev/null; wait "$web" 2>/dev/null' EXIT
echo "newsdesk: dashboard http://${NEWSDESK_WEB_HOST:-127.0.0.1}:${NEWSDESK_WEB_PORT:-8000}/ — add an account first:" \
     "$BIN/newsdesk users add NAME --role admin --password-stdin"
"$BIN/newsdesk" run
