#!/usr/bin/env bash
# A throwaway PostgreSQL server for the tests that need one (the payout journal on a
# server, several workers): Debian's postgresql package, a cluster in a temporary
# directory owned by an unprivileged user, listening on loopback only.
#
#   eval "$(scripts/postgres-server.sh start)"   # exports CONCIERGE_TEST_DATABASE_URL and CONCIERGE_TEST_PGDATA
#   scripts/postgres-server.sh stop "$CONCIERGE_TEST_PGDATA"
set -euo pipefail

bindir() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  [ -n "$dir" ] && [ -x "$dir/initdb" ] && echo "$dir"
}

as_owner() {
  # initdb and postgres refuse to run as root.
  if [ "$(id -u)" = 0 ]; then runuser -u "$OWNER" -- "$@"; else "$@"; fi
}

case "${1:-}" in
  start)
    if [ -z "$(bindir)" ]; then
      echo "installing Debian's postgresql package" >&2
      export DEBIAN_FRONTEND=noninteractive
      (apt-get update -qq && apt-get install -y -qq --no-install-recommends postgresql >/dev/null) >&2
    fi
    BIN=$(bindir)
    OWNER=$(id -un)
    if [ "$(id -u)" = 0 ]; then
      OWNER=concierge-pg
      id "$OWNER" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$OWNER"
    fi
    DATA=$(mktemp -d /tmp/concierge-pg.XXXXXX)
    chown "$OWNER" "$DATA"
    PORT=${CONCIERGE_TEST_PG_PORT:-$(( 20000 + RANDOM % 20000 ))}
    as_owner "$BIN/initdb" -D "$DATA/data" -U postgres --auth=trust --encoding=UTF8 --no-locale >/dev/null
    as_owner "$BIN/pg_ctl" -D "$DATA/data" -l "$DATA/server.log" -w -t 60 \
      -o "-c listen_addresses=127.0.0.1 -c port=$PORT -c unix_socket_directories=$DATA -c max_connections=200 -c fsync=off" \
      start >&2
    echo "export CONCIERGE_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:$PORT/postgres"
    echo "export CONCIERGE_TEST_PGDATA=$DATA"
    ;;
  stop)
    DATA=${2:?usage: postgres-server.sh stop DIR}
    BIN=$(bindir)
    OWNER=$(stat -c %U "$DATA")
    as_owner "$BIN/pg_ctl" -D "$DATA/data" -m fast -w stop >&2 || true
    rm -rf "$DATA"
    ;;
  *)
    echo "usage: $0 start | stop DIR" >&2
    exit 2
    ;;
esac
