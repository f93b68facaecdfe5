#!/bin/bash
# bench/upgrade-check-db.sh -- `upgrade check` on the same Barbican schema
# (the real 14.x, made by barbican-manage) in PostgreSQL, in one MariaDB
# server and through a Galera node, side by side with Barbican's own Python
# command: median of N (default 10) interleaved runs each, wall time and peak
# RSS. No node is configured: what is timed is the configuration, the
# database (connect with the password, alembic_version, the lock and the
# shared record, Galera's status) and the checks.
#
# First ours on PostgreSQL beside the floor (bench/floor-pg.c: a C program
# that only opens the same connection and reads alembic_version), then the
# three databases beside Barbican's own command.
#
# Starts the test environment (tests/env/testenv.sh) in a temporary
# directory and stops it afterwards; run as root on a machine set up by
# scripts/install-deps.sh --test.
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."
BIN=${BS_BIN:-build/cli/barbican-status}
[ -x "$BIN" ] || { echo "bench: $BIN not built" >&2; exit 1; }
D=$(mktemp -d /tmp/bs-bench-db.XXXXXX)
H=$(mktemp -d)
cleanup() { tests/env/testenv.sh down "$D" >/dev/null 2>&1 || true; rm -rf "$D" "$H"; }
trap cleanup EXIT
tests/env/testenv.sh up "$D" >/dev/null 2>&1 || { echo "bench: the test environment did not start" >&2; exit 1; }
# shellcheck disable=SC1091
. "$D/env.sh"
for i in $(seq 1 50); do tests/env/mariadb.sh galera-status "$D" >/dev/null 2>&1 && break; sleep 0.5; done
tests/env/pg.sh psql "$D" -q -c "CREATE DATABASE bench TEMPLATE tmpl_14x" >/dev/null
tests/env/mariadb.sh newdb "$D" bench 14x >/dev/null
tests/env/mariadb.sh newdb "$D" bench 14x galera >/dev/null
q() { /usr/bin/python3 -c 'import sys; from urllib.parse import quote; print(quote(sys.argv[1], safe=""))' "$1"; }
conf() {
    printf '[DEFAULT]\nsql_connection = %s\n[upgrade]\ntarget_release = 15.0.1\n' "$2" > "$H/$1.conf"
}
conf pg "postgresql+psycopg2://$(q "$BS_PG_USER"):$(q "$BS_PG_PASSWORD")@127.0.0.1:$BS_PG_PORT/bench"
conf mariadb "mysql+pymysql://$(q "$BS_MY_USER"):$(q "$BS_MY_PASSWORD")@127.0.0.1:$BS_MY_PORT/bench"
conf galera "mysql+pymysql://$(q "$BS_MY_USER"):$(q "$BS_MY_PASSWORD")@127.0.0.1:$BS_GALERA1_PORT/bench"
echo "ours:   $BIN ($("$BIN" --version)); peer: /usr/bin/barbican-status (Barbican $(dpkg-query -W -f='${Version}' python3-barbican 2>/dev/null), which opens no database)"
# the floor of the scale issue: only the same PostgreSQL connection (scram)
# and alembic_version, in C with libpq; ours must stay within 1.3x of it
cc -O2 -o "$H/floor-pg" bench/floor-pg.c $(pkg-config --cflags --libs libpq)
"$H/floor-pg" 127.0.0.1 "$BS_PG_PORT" "$BS_PG_USER" "$BS_PG_PASSWORD" bench >/dev/null ||
    { echo "bench: the floor program cannot read alembic_version" >&2; exit 1; }
echo "floor: $H/floor-pg (libpq: connect with the password, SELECT version_num FROM alembic_version)"
env -i PATH=/usr/bin:/bin HOME="$H" LANG=C.UTF-8 /usr/bin/python3 bench/timecmd.py -n "${N:-20}" -- \
    ours-postgresql "$PWD/$BIN" --config-file "$H/pg.conf" upgrade check --- \
    floor-postgresql "$H/floor-pg" 127.0.0.1 "$BS_PG_PORT" "$BS_PG_USER" "$BS_PG_PASSWORD" bench |
    tee "$H/floor.txt"
# the scale issue's goal: ours within 1.3x of the floor's wall time
awk '/^ours-postgresql / { o = $6 } /^floor-postgresql / { f = $6 }
     END { if (f > 0) printf "goal: ours within 1.3x of the floor: %.2fx, %s\n", o / f,
                             (o / f <= 1.3 ? "met" : "NOT met") }' "$H/floor.txt"
echo
env -i PATH=/usr/bin:/bin HOME="$H" LANG=C.UTF-8 /usr/bin/python3 bench/timecmd.py -n "${N:-10}" -- \
    ours-postgresql "$PWD/$BIN" --config-file "$H/pg.conf" upgrade check --- \
    ours-mariadb "$PWD/$BIN" --config-file "$H/mariadb.conf" upgrade check --- \
    ours-galera-node "$PWD/$BIN" --config-file "$H/galera.conf" upgrade check --- \
    barbican-python-mariadb-conf /usr/bin/barbican-status --config-file "$H/mariadb.conf" upgrade check
