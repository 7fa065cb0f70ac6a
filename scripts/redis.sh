#!/usr/bin/env bash
# Start a throw-away Redis server on 127.0.0.1 for the Celery tests, or stop it.
#   scripts/redis.sh start   -> prints the redis:// URL on stdout
#   scripts/redis.sh stop
# Installs Debian's redis-server package when none is found and we are root (like scripts/postgres.sh).
set -euo pipefail
DIR=${NEWSDESK_REDIS_DIR:-/tmp/newsdesk-redis}
PORT=${NEWSDESK_REDIS_PORT:-63799}

case "${1:-}" in
start)
  if ! command -v redis-server >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      echo "installing Redis from Debian's packages..." >&2
      (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server) >&2
    else
      echo "no redis-server found (install Debian's redis-server package)" >&2; exit 1
    fi
  fi
  if [ -f "$DIR/redis.pid" ]; then kill "$(cat "$DIR/redis.pid")" 2>/dev/null || true; sleep 0.2; fi
  rm -rf "$DIR"; mkdir -p "$DIR"
  # No persistence: a test broker starts empty every time.
  redis-server --bind 127.0.0.1 --port "$PORT" --dir "$DIR" --pidfile "$DIR/redis.pid" --logfile "$DIR/log" \
    --save '' --appendonly no --daemonize yes >&2
  for _ in $(seq 50); do
    redis-cli -p "$PORT" ping >/dev/null 2>&1 && { echo "redis://127.0.0.1:$PORT/0"; exit 0; }
    sleep 0.1
  done
  echo "redis-server did not answer on port $PORT (see $DIR/log)" >&2; exit 1
  ;;
stop)
  [ -f "$DIR/redis.pid" ] && kill "$(cat "$DIR/redis.pid")" 2>/dev/null || true
  ;;
*) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
