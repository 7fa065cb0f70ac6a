#!/usr/bin/env bash
# `make run`: the dashboard (`newsdesk web`) and monitoring (`newsdesk run`) together; Ctrl-C stops both.
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.venv/bin}
port=$("$BIN/python" -c 'from pipeline.settings import load_settings as l; s = l(); print(s.web.port)' 2>/dev/null || echo 8000)
"$BIN/newsdesk" web &
web=$!
trap 'kill "$web" 2>/dev/null; wait "$web" 2>/dev/null' EXIT
# `run` starts once the dashboard listens: the two processes must not migrate a new database at once.
for _ in $(seq 120); do
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
  kill -0 "$web" 2>/dev/null || exit 1
  sleep 0.5
done
echo "newsdesk: dashboard http://127.0.0.1:$port/ (first account: $BIN/newsdesk users add NAME --role admin" \
     "--password-stdin)"
"$BIN/newsdesk" run
