# pg-lib.sh - a throwaway PostgreSQL cluster for the tests and the bench (sourced by with-pg.sh).
# The server runs as an unprivileged user (nobody when started by root: PostgreSQL refuses root),
# listens only on a unix socket inside its directory, and trusts local connections.
# pg_find sets PG_BIN (exit status 1 when PostgreSQL is not installed); pg_start DIR creates and
# starts a cluster in DIR/data with its socket in DIR and database "parley", and sets PARLEY_PG_URI;
# pg_stop DIR [MODE] and pg_restart DIR [MODE] (fast or immediate: a crash of the server).

pg_find() {
	PG_BIN=""
	for d in ${PG_BIN_DIR:-} $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5 -n -r); do
		[ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && { PG_BIN=$d; break; }
	done
	[ -n "$PG_BIN" ] || { command -v initdb >/dev/null 2>&1 && PG_BIN=$(dirname "$(command -v initdb)"); }
	[ -n "$PG_BIN" ]
}

# pg_as CMD...: run CMD as the cluster's owner (unprivileged)
pg_as() {
	if [ "$(id -u)" = 0 ]; then
		setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$@"
	else
		"$@"
	fi
}

pg_start() {
	pgdir=$1
	mkdir -p "$pgdir" || return 1
	[ "$(id -u)" = 0 ] && chown nobody:nogroup "$pgdir"
	if [ ! -f "$pgdir/data/PG_VERSION" ]; then
		pg_as "$PG_BIN/initdb" -D "$pgdir/data" -U parley --auth=trust --no-sync --locale=C -E UTF8 \
			>"$pgdir/initdb.log" 2>&1 || { cat "$pgdir/initdb.log" >&2; return 1; }
	fi
	pg_as "$PG_BIN/pg_ctl" -D "$pgdir/data" -l "$pgdir/server.log" -w -t 120 \
		-o "-c listen_addresses= -k $pgdir -c max_connections=200 -c shared_buffers=32MB ${PG_OPTS:-}" \
		start >/dev/null || { tail -n 20 "$pgdir/server.log" >&2; return 1; }
	PARLEY_PG_URI="postgresql:///parley?host=$pgdir&user=parley"
	export PARLEY_PG_URI
	"$PG_BIN/psql" -q -d "postgresql:///postgres?host=$pgdir&user=parley" -c "CREATE DATABASE parley" \
		>/dev/null 2>&1 || true
}

# pg_newdb DIR NAME: another empty database in the cluster; prints its URI
pg_newdb() {
	"$PG_BIN/psql" -q -d "postgresql:///postgres?host=$1&user=parley" -c "CREATE DATABASE $2" >/dev/null || return 1
	echo "postgresql:///$2?host=$1&user=parley"
}

pg_stop() {
	[ -f "$1/data/postmaster.pid" ] || return 0
	pg_as "$PG_BIN/pg_ctl" -D "$1/data" -m "${2:-fast}" -w -t 60 stop >/dev/null 2>&1
}

pg_restart() {
	pg_stop "$1" "${2:-fast}"
	pg_as "$PG_BIN/pg_ctl" -D "$1/data" -l "$1/server.log" -w -t 120 \
		-o "-c listen_addresses= -k $1 -c max_connections=200 -c shared_buffers=32MB ${PG_OPTS:-}" \
		start >/dev/null || { tail -n 20 "$1/server.log" >&2; return 1; }
}
