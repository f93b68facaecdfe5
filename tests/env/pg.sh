#!/bin/bash
# tests/env/pg.sh -- a private PostgreSQL 15 for the test suite and the demo.
#
#   pg.sh start DIR        initdb (first time) and start; idempotent
#   pg.sh stop DIR         stop it (fast shutdown); idempotent, kills nothing else
#   pg.sh env DIR          print the BS_PG_* shell assignments (fails if not running)
#   pg.sh status DIR       exit 0 if running, 1 if not
#   pg.sh psql DIR [ARGS]  psql as the superuser, through the unix socket
#
# Layout: DIR/pg/data (cluster, owned by postgres), DIR/pg/run (unix socket),
# DIR/pg/postgres.log, DIR/pg.env (the assignments, root only, mode 0600).
# The server listens on 127.0.0.1 only, on a free port (retried on collision);
# TCP logins need a password (scram-sha-256); the superuser `postgres` has no
# password and logs in only through the socket (peer). Role `barbican` has
# LOGIN CREATEDB and nothing more. fsync is off: test data only.
#
# Knobs (inputs; deliberately not the BS_PG_* names that `env` prints, so that a
# shell which has eval'ed one environment can start another):
#   BS_TESTENV_PG_PORT      fixed port (default: the port of the previous start
#                           of this DIR if it is free, else a free one)
#   BS_TESTENV_PG_PASSWORD  password of role barbican (default: random, kept
#                           across restarts of the same DIR)
# Runs as root (initdb and the server run as the user postgres).
set -euo pipefail
BS_SCRIPT=pg.sh
# shellcheck source=tests/env/lib.sh
. "$(dirname "$(readlink -f "$0")")/lib.sh"

usage() { echo "usage: $0 start|stop|env|status DIR | psql DIR [psql args]" >&2; exit 2; }

pg_paths() {
    DIR=$(norm_dir "$1")
    PGD=$DIR/pg
    DATA=$PGD/data
    SOCK=$PGD/run
    PGLOG=$PGD/postgres.log
    STATE=$DIR/pg.env
}

# running: the postmaster of DATA is alive (checked through its command line).
running() {
    local pid
    [ -r "$DATA/postmaster.pid" ] || return 1
    pid=$(head -n1 "$DATA/postmaster.pid" 2>/dev/null) || return 1
    pid_matches "$pid" "$DATA"
}

as_pg() { ( cd "$PGD" && runuser -u postgres -- "$@" ); }

admin_psql() {
    local port
    port=$(read_kv "$STATE" BS_PG_PORT) || die "no port recorded in $STATE"
    PGOPTIONS='-c client_min_messages=warning' as_pg "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$SOCK" -p "$port" -d postgres "$@"
}

write_state() {  # port password
    local port=$1 pw=$2 tmp
    tmp=$(mktemp "$DIR/.pg.env.XXXXXX")
    chmod 0600 "$tmp"
    {
        echo "# written by tests/env/pg.sh; private PostgreSQL 15 in $PGD"
        echo "export BS_PG_HOST=$(sq 127.0.0.1)"
        echo "export BS_PG_PORT=$(sq "$port")"
        echo "export BS_PG_USER=$(sq barbican)"
        echo "export BS_PG_PASSWORD=$(sq "$pw")"
        echo "export BS_PG_ADMIN=$(sq "runuser -u postgres -- $PG_BIN/psql -X -h $SOCK -p $port -d postgres")"
        echo "export BS_PG_DIR=$(sq "$PGD")"
        echo "export BS_PG_SOCKDIR=$(sq "$SOCK")"
        echo "export BS_PG_LOG=$(sq "$PGLOG")"
        echo "export BS_PG_BIN=$(sq "$PG_BIN")"
    } > "$tmp"
    mv -f -- "$tmp" "$STATE"
}

do_initdb() {
    local t
    t=$(now_us)
    log "initdb $DATA (as postgres)"
    as_pg "$PG_BIN/initdb" -D "$DATA" -U postgres -E UTF8 --locale=C \
        --auth-local=peer --auth-host=scram-sha-256 --no-sync \
        > "$PGD/initdb.log" 2>&1 || { tail_log "$PGD/initdb.log"; die "initdb failed"; }
    # Our settings in an include file; the port is given on the command line
    # (-p) so that a retry on another port does not rewrite the config.
    cat > "$DATA/bs-testenv.conf" <<EOF
# written by tests/env/pg.sh: a throw-away test cluster
listen_addresses = '127.0.0.1'
unix_socket_directories = '$SOCK'
password_encryption = 'scram-sha-256'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 100
log_line_prefix = '%m [%p] %q%u@%d '
EOF
    echo "include 'bs-testenv.conf'" >> "$DATA/postgresql.conf"
    cat > "$DATA/pg_hba.conf" <<'EOF'
# written by tests/env/pg.sh
# TYPE  DATABASE  USER  ADDRESS        METHOD
local   all       all                  peer
host    all       all   127.0.0.1/32   scram-sha-256
EOF
    chown postgres:postgres "$DATA/bs-testenv.conf" "$DATA/pg_hba.conf"
    log "initdb done in $(since "$t")s"
}

start_server() {  # sets PORT
    local attempt fixed=${BS_TESTENV_PG_PORT:-} prev="" off
    if [ -s "$STATE" ]; then prev=$(read_kv "$STATE" BS_PG_PORT || true); fi
    for attempt in 1 2 3 4 5 6; do
        if [ -n "$fixed" ]; then
            PORT=$fixed
            ! port_listening "$PORT" || die "port $PORT (BS_TESTENV_PG_PORT) is already in use"
        elif [ "$attempt" = 1 ] && [ -n "$prev" ] && ! port_listening "$prev"; then
            PORT=$prev
        else
            PORT=$(free_port)
        fi
        off=$(stat -c %s "$PGLOG" 2>/dev/null || echo 0)
        log "starting postgres on 127.0.0.1:$PORT (socket dir $SOCK)"
        if ( close_fds; as_pg "$PG_BIN/pg_ctl" -D "$DATA" -l "$PGLOG" -w -t 60 -s -o "-p $PORT" start ) \
            < /dev/null >> "$PGD/pg_ctl.log" 2>&1; then
            return 0
        fi
        if tail -c +"$((off + 1))" "$PGLOG" 2>/dev/null | grep -q 'Address already in use' && [ -z "$fixed" ]; then
            warn "port $PORT was taken meanwhile; retrying with another port"
            continue
        fi
        tail_log "$PGLOG"
        tail_log "$PGD/pg_ctl.log" 5
        die "PostgreSQL did not start (see $PGLOG)"
    done
    die "PostgreSQL could not bind a free port after $attempt attempts"
}

self_check() {  # port password
    local port=$1 pw=$2 out
    # a login over TCP with the password works ...
    out=$(PGPASSWORD=$pw PGCONNECT_TIMEOUT=5 "$PG_BIN/psql" -X -Atq -h 127.0.0.1 -p "$port" \
        -U barbican -d postgres -c 'select current_user' 2>&1) ||
        die "barbican cannot log in over TCP with its password: $out"
    [ "$out" = barbican ] || die "unexpected answer from the server: $out"
    # ... a wrong one fails ...
    if out=$(PGPASSWORD="wrong-$pw" PGCONNECT_TIMEOUT=5 "$PG_BIN/psql" -X -Atq -h 127.0.0.1 -p "$port" \
        -U barbican -d postgres -c 'select 1' 2>&1); then
        die "a wrong password was accepted: pg_hba.conf is not scram-sha-256"
    fi
    [[ $out == *"password authentication failed"* ]] || die "wrong password: unexpected error: $out"
    # ... and the server listens on 127.0.0.1 only.
    out=$(ss -Htln "sport = :$port" | awk '{print $4}' | sort -u)
    [ "$out" = "127.0.0.1:$port" ] || die "PostgreSQL listens on: $out (expected 127.0.0.1:$port only)"
}

cmd_start() {
    local t pw
    t=$(now_us)
    need_root
    need_cmd "$PG_BIN/initdb" postgresql-15
    need_cmd "$PG_BIN/psql" postgresql-client-15
    need_user postgres postgresql-common
    prepare_dir "$DIR" postgres
    install -d -o postgres -g postgres -m 0711 "$PGD"
    install -d -o postgres -g postgres -m 0755 "$SOCK"
    # libpq's limit for a unix socket path is 107 bytes
    [ ${#SOCK} -le 85 ] || die "DIR is too long for a unix socket path ($SOCK); use a shorter one"

    if running; then
        [ -s "$STATE" ] || die "PostgreSQL runs in $DATA but $STATE is missing; stop it first: $0 stop $DIR"
        log "already running (pid $(head -n1 "$DATA/postmaster.pid"), port $(read_kv "$STATE" BS_PG_PORT))"
        return 0
    fi
    if [ ! -e "$PGD/initdb.done" ]; then
        # no cluster yet, or the remains of an initdb that did not finish
        [ -e "$DATA" ] && { warn "removing the unfinished cluster in $DATA"; rm -rf -- "$DATA"; }
        do_initdb
        touch "$PGD/initdb.done"
    fi
    pw=${BS_TESTENV_PG_PASSWORD:-}
    if [ -z "$pw" ] && [ -s "$STATE" ]; then pw=$(read_kv "$STATE" BS_PG_PASSWORD || true); fi
    [ -n "$pw" ] || pw=$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
    [[ $pw =~ ^[A-Za-z0-9._~-]+$ ]] || die "BS_TESTENV_PG_PASSWORD may hold only [A-Za-z0-9._~-] (it goes into URLs unescaped)"

    start_server
    write_state "$PORT" "$pw"
    # The password goes through stdin, never the command line.
    admin_psql <<EOF || die "could not create the role barbican"
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'barbican') THEN
    CREATE ROLE barbican LOGIN CREATEDB NOSUPERUSER NOCREATEROLE PASSWORD '$pw';
  ELSE
    ALTER ROLE barbican LOGIN CREATEDB NOSUPERUSER NOCREATEROLE PASSWORD '$pw';
  END IF;
END \$\$;
EOF
    self_check "$PORT" "$pw"
    log "PostgreSQL up on 127.0.0.1:$PORT (pid $(head -n1 "$DATA/postmaster.pid")) in $(since "$t")s"
}

cmd_stop() {
    local pid t
    t=$(now_us)
    if [ ! -e "$DATA/postmaster.pid" ]; then
        log "not running ($DATA)"
        return 0
    fi
    need_root
    pid=$(head -n1 "$DATA/postmaster.pid" 2>/dev/null || true)
    if ! pid_matches "$pid" "$DATA"; then
        log "stale $DATA/postmaster.pid (pid '$pid' is not this cluster's postmaster); nothing to stop"
        return 0
    fi
    log "stopping postgres pid $pid (fast shutdown)"
    if ! as_pg "$PG_BIN/pg_ctl" -D "$DATA" -m fast -w -t 30 -s stop >> "$PGD/pg_ctl.log" 2>&1; then
        if pid_matches "$pid" "$DATA"; then
            warn "fast shutdown did not finish in 30s; immediate shutdown"
            as_pg "$PG_BIN/pg_ctl" -D "$DATA" -m immediate -w -t 30 -s stop >> "$PGD/pg_ctl.log" 2>&1 ||
                die "could not stop postgres pid $pid (see $PGD/pg_ctl.log)"
        fi
    fi
    log "stopped in $(since "$t")s"
}

cmd_env() {
    running || die "not running in $DATA; start it: $0 start $DIR"
    [ -s "$STATE" ] || die "$STATE missing"
    grep '^export ' -- "$STATE"
}

[ $# -ge 2 ] || usage
sub=$1
pg_paths "$2"
shift 2
case "$sub" in
    start)  [ $# -eq 0 ] || usage; cmd_start ;;
    stop)   [ $# -eq 0 ] || usage; cmd_stop ;;
    env)    [ $# -eq 0 ] || usage; cmd_env ;;
    status) [ $# -eq 0 ] || usage; if running; then echo running; else echo stopped; exit 1; fi ;;
    psql)   running || die "not running in $DATA"; admin_psql "$@" ;;
    *)      usage ;;
esac
