#!/usr/bin/env bash
# Start every process of a Procfile by hand (no Docker, no systemd needed), each in its own process
# group with its log in $LOGS/<name>.log; Ctrl-C (or SIGTERM) stops them all cleanly (SIGINT each).
#   deploy/run-procfile.sh [Procfile] [name=count ...]    e.g.  deploy/run-procfile.sh deploy/Procfile score=2
set -euo pipefail
PROCFILE=${1:-deploy/Procfile}; shift || true
LOGS=${LOGS:-var/procfile}
mkdir -p "$LOGS"
declare -A COUNT
for spec in "$@"; do COUNT[${spec%%=*}]=${spec#*=}; done
pids=()
while IFS= read -r line; do
  [[ "$line" =~ ^[[:space:]]*(#|$) ]] && continue
  name=${line%%:*}; cmd=${line#*:}
  for i in $(seq 1 "${COUNT[$name]:-1}"); do
    setsid bash -c "exec $cmd" >"$LOGS/$name.$i.log" 2>&1 &
    pids+=("$!"); echo "started $name.$i (pid $!): $cmd"
  done
done <"$PROCFILE"
stop() { echo "stopping ${#pids[@]} processes"; kill -INT "${pids[@]}" 2>/dev/null || true; wait; }
trap stop INT TERM
wait
