#!/bin/sh
# with-pg.sh CMD [ARGS...] - run CMD with a throwaway PostgreSQL cluster (scripts/pg-lib.sh):
# PARLEY_PG_URI names its empty database "parley", PARLEY_PG_DIR its directory (under
# $PARLEY_BUILD/pg-tmp, else under /tmp). The cluster is stopped and removed afterwards.
# Exit 77 (skipped, loudly) only when PostgreSQL is not installed; with PARLEY_PG_OPTIONAL=1,
# CMD then runs without PARLEY_PG_URI instead (make bench).
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/pg-lib.sh"
if ! pg_find; then
	if [ "${PARLEY_PG_OPTIONAL:-}" = 1 ]; then
		echo "with-pg: PostgreSQL is not installed: running without it" >&2
		exec "$@"
	fi
	echo "SKIPPED: PostgreSQL is not installed (scripts/deps.sh installs it as root): the" >&2
	echo "SKIPPED: PostgreSQL store and relay tests did NOT run" >&2
	exit 77
fi
root=${PARLEY_BUILD:-/tmp}/pg-tmp
mkdir -p "$root" && chmod 755 "$root"
PARLEY_PG_DIR=$(mktemp -d "$root/pg.XXXXXX") || exit 1
chmod 755 "$PARLEY_PG_DIR"
export PARLEY_PG_DIR PG_BIN
trap 'pg_stop "$PARLEY_PG_DIR" immediate; rm -rf "$PARLEY_PG_DIR"' EXIT
trap 'exit 1' INT TERM
pg_start "$PARLEY_PG_DIR" || { echo "with-pg: cannot start PostgreSQL in $PARLEY_PG_DIR" >&2; exit 1; }
"$@"
