# A throwaway PostgreSQL cluster for one end-to-end test: sourced after
# lib.sh, not run.
#
#   pg_start        initdb + start a cluster of our own, with role `shop`
#                   (md5 password) and database `shop`; sets PG_PORT,
#                   PG_SHOP_PASSWORD, PG_DIR
#   psql_shop SQL   run SQL as role shop over TCP (md5, as p1_pgsql logs
#                   in), print unaligned tuples-only rows; exit status psql's
#   psql_admin SQL  the same as the superuser, over the unix socket
#   pg_reset_db     drop and recreate database shop (empty again)
#
# The cluster listens on 127.0.0.1 only, on a port of its own, with its
# unix socket in its own directory.  The cleanup hook stops it with
# `pg_ctl stop -m immediate` by its own data directory and removes the
# directory, on success, failure or interrupt; no other cluster is ever
# touched.

: "${T:?source lib.sh before pg.sh}"

# The newest installed server (Debian: /usr/lib/postgresql/<major>/bin).
if [ -z "${PG_BIN:-}" ]; then
	PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
fi
PG_DIR=""
PG_DATA=""
PG_PORT=""
PG_SHOP_PASSWORD="shop-pw-$$"
PG_USER=postgres

# pg_as_postgres CMD ARGS…: a command as the postgres user, from the
# cluster's directory (postgres cannot enter the test's 0700 directory),
# with a clean environment.
pg_as_postgres() {
	# runuser is in /usr/sbin, which a minimal PATH may lack
	(cd "$PG_DIR" && PATH="$PATH:/usr/sbin:/sbin" runuser -u "$PG_USER" -- env -i PATH=/usr/bin:/bin \
		HOME="$PG_DIR" LC_ALL=C "$@")
}

# Is something listening on TCP port $1 (IPv4 or IPv6, any address)?
pg_port_in_use() {
	hex=$(printf '%04X' "$1")
	# local_address is field 2 (ADDR:PORT), st is field 4; 0A is LISTEN
	cat /proc/net/tcp /proc/net/tcp6 2>/dev/null |
		awk -v p=":$hex" 'substr($2, length($2) - 4) == p && $4 == "0A" { f = 1 } END { exit !f }'
}

pg_start() {
	[ -x "$PG_BIN/initdb" ] && [ -x "$PG_BIN/pg_ctl" ] ||
		fail "no PostgreSQL server found (PG_BIN=${PG_BIN:-unset}); scripts/setup.sh installs it"
	id "$PG_USER" >/dev/null 2>&1 || fail "no '$PG_USER' user (the postgresql package makes it)"
	[ "$(id -u)" -eq 0 ] || fail "pg.sh needs root (initdb runs as $PG_USER through runuser)"

	# Not under $T: that is 0700 root.  /tmp is reachable by everyone.
	PG_DIR=$(mktemp -d /tmp/relbuild-pg.XXXXXX) || fail "mktemp for the PostgreSQL cluster"
	PG_DATA="$PG_DIR/data"
	CLEANUP_HOOKS="${CLEANUP_HOOKS:-} pg_teardown"
	chown "$PG_USER:" "$PG_DIR" || fail "chown $PG_DIR"

	pg_as_postgres "$PG_BIN/initdb" -D "$PG_DATA" -U postgres -E UTF8 --no-locale \
		--auth-local=trust --auth-host=md5 >"$PG_DIR/initdb.log" 2>&1 ||
		{ cat "$PG_DIR/initdb.log" >&2; fail "initdb failed"; }

	# Only 127.0.0.1 over md5, and the socket only for our superuser.
	cat >"$PG_DATA/pg_hba.conf" <<-EOF
	local all postgres trust
	host all all 127.0.0.1/32 md5
	EOF

	# A port per test run (like lib.sh's epmd port, in another range); if
	# it is taken, or taken between the check and the bind, the next one.
	port=$((40000 + $$ % 10000))
	tries=0
	while :; do
		tries=$((tries + 1))
		[ $tries -le 20 ] || fail "no free port for PostgreSQL (last tried $port)"
		if pg_port_in_use "$port"; then
			port=$((port + 1))
			continue
		fi
		cat >"$PG_DATA/postgresql.auto.conf" <<-EOF
		listen_addresses = '127.0.0.1'
		port = $port
		unix_socket_directories = '$PG_DIR'
		password_encryption = md5
		max_connections = 20
		shared_buffers = 16MB
		fsync = off
		synchronous_commit = off
		full_page_writes = off
		logging_collector = off
		EOF
		chown "$PG_USER:" "$PG_DATA/postgresql.auto.conf" "$PG_DATA/pg_hba.conf"
		if pg_as_postgres "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_DIR/server.log" \
			-w -t 60 start >"$PG_DIR/pg_ctl.log" 2>&1; then
			break
		fi
		if grep -q "could not bind\|Address already in use" "$PG_DIR/server.log" 2>/dev/null; then
			: >"$PG_DIR/server.log"
			port=$((port + 1))
			continue
		fi
		cat "$PG_DIR/pg_ctl.log" "$PG_DIR/server.log" >&2
		fail "PostgreSQL did not start"
	done
	PG_PORT=$port

	psql_admin "CREATE ROLE shop LOGIN PASSWORD '$PG_SHOP_PASSWORD'" >/dev/null ||
		fail "cannot create role shop"
	psql_admin "CREATE DATABASE shop OWNER shop" >/dev/null ||
		fail "cannot create database shop"
	# md5, not SCRAM: p1_pgsql cannot do SCRAM
	stored=$(psql_admin "SELECT rolpassword FROM pg_authid WHERE rolname = 'shop'")
	case "$stored" in
	md5*) ;;
	*) fail "role shop's password is not stored as md5: ${stored%%\$*}" ;;
	esac
	log "PostgreSQL $("$PG_BIN/postgres" -V | awk '{print $3}') on 127.0.0.1:$PG_PORT, data in $PG_DATA"
}

psql_admin() {
	pg_as_postgres "$PG_BIN/psql" -X -q -A -t -v ON_ERROR_STOP=1 \
		-h "$PG_DIR" -p "$PG_PORT" -U postgres -d "${2:-postgres}" -c "$1"
}

psql_shop() {
	env -i PATH=/usr/bin:/bin HOME="$HOME" LC_ALL=C PGPASSWORD="$PG_SHOP_PASSWORD" \
		PGCONNECT_TIMEOUT=10 \
		"$PG_BIN/psql" -X -q -A -t -v ON_ERROR_STOP=1 \
		-h 127.0.0.1 -p "$PG_PORT" -U shop -d shop -c "$1"
}

pg_reset_db() {
	psql_admin "DROP DATABASE IF EXISTS shop WITH (FORCE)" >/dev/null &&
		psql_admin "CREATE DATABASE shop OWNER shop" >/dev/null ||
		fail "cannot recreate database shop"
}

# The cleanup hook: stop our postmaster (only ours: by its data directory,
# then by the pid in its postmaster.pid if its cwd is that directory),
# then remove the directory unless KEEP_TMP keeps a failed run's files.
pg_teardown() {
	[ -n "$PG_DIR" ] && [ -d "$PG_DIR" ] || return 0
	if [ -f "$PG_DATA/postmaster.pid" ]; then
		pg_as_postgres "$PG_BIN/pg_ctl" -D "$PG_DATA" -m immediate -w -t 30 stop \
			>/dev/null 2>&1
		pm=$(head -n 1 "$PG_DATA/postmaster.pid" 2>/dev/null)
		if [ -n "$pm" ] && [ "$(readlink "/proc/$pm/cwd" 2>/dev/null)" = "$PG_DATA" ]; then
			log "pg_ctl stop left postmaster $pm running: killing it"
			kill -9 "$pm" 2>/dev/null
		fi
	fi
	if [ "${1:-0}" -ne 0 ] && [ -n "${KEEP_TMP:-}" ]; then
		log "kept $PG_DIR"
	else
		rm -rf "$PG_DIR"
	fi
	PG_DIR=""
}
