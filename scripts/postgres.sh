#!/usr/bin/env bash
# Start a throw-away PostgreSQL server on 127.0.0.1 for the storage tests, or stop it.
#   scripts/postgres.sh start   -> prints the SQLAlchemy URL on stdout
#   scripts/postgres.sh stop
# Installs Debian's postgresql package when no server binaries are found and we are root.
set -euo pipefail
DIR=${NEWSDESK_PG_DIR:-/tmp/newsdesk-pg}
PORT=${NEWSDESK_PG_PORT:-54329}

find_bin() {
  local b
  for b in /usr/lib/postgresql/*/bin; do [ -x "$b/initdb" ] && { echo "$b"; return 0; }; done
  command -v initdb >/dev/null 2>&1 && { dirname "$(command -v initdb)"; return 0; }
  return 1
}

as_pg() {  # initdb and postgres refuse to run as root
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "${1:-}" in
start)
  if ! BIN=$(find_bin); then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      echo "installing PostgreSQL from Debian's packages..." >&2
      (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql) >&2
      BIN=$(find_bin)
    else
      echo "no PostgreSQL server found (install Debian's postgresql package)" >&2; exit 1
    fi
  fi
  if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then useradd -r -m postgres; fi
  as_pg "$BIN/pg_ctl" -D "$DIR/data" stop -m immediate >/dev/null 2>&1 || true
  rm -rf "$DIR"; mkdir -p "$DIR"
  [ "$(id -u)" = 0 ] && chown postgres "$DIR"
  as_pg "$BIN/initdb" -D "$DIR/data" -U newsdesk --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
  as_pg "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/log" -w -o "-h 127.0.0.1 -p $PORT -k $DIR" start >/dev/null
  echo "postgresql+psycopg://newsdesk@127.0.0.1:$PORT/postgres"
  ;;
stop)
  BIN=$(find_bin) || exit 0
  as_pg "$BIN/pg_ctl" -D "$DIR/data" stop -m fast >/dev/null 2>&1 || true
  ;;
*) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
