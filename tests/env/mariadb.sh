#!/bin/bash
# tests/env/mariadb.sh -- a private MariaDB (Debian 12: mariadb-server 10.11) and a
# private two-node Galera cluster (galera-4) for the test suite, with template
# databases holding the REAL Barbican schema (made by Debian's barbican-manage
# 15.0.1 through PyMySQL). Everything on 127.0.0.1, everything under DIR.
#
#   mariadb.sh start DIR            standalone server: initialise (first time), start,
#                                   users, templates; idempotent
#   mariadb.sh stop DIR             stop it; idempotent, kills nothing else
#   mariadb.sh env DIR              print the BS_MY_* assignments (fails if not running)
#   mariadb.sh status DIR           exit 0 if running
#   mariadb.sh sql DIR [ARGS]       the mariadb client as root (unix socket), e.g. -e 'select 1'
#   mariadb.sh galera-start DIR     two-node Galera cluster (needs the standalone's
#                                   DIR/my.env for the users' passwords); idempotent
#   mariadb.sh galera-stop DIR      stop both nodes (node 2 first); idempotent
#   mariadb.sh galera-env DIR       print the BS_GALERA* assignments
#   mariadb.sh galera-status DIR    exit 0 if both nodes run and are Synced in a cluster of 2
#   mariadb.sh galera-sql DIR 1|2 [ARGS]   the mariadb client as root on node 1 or 2
#   mariadb.sh newdb DIR NAME 14x|15x|empty [galera]   a new database NAME, a copy of
#                                   tmpl_14x / tmpl_15x, or empty (on Galera: on node 1)
#   mariadb.sh dropdb DIR NAME [galera]                drop it (if it exists)
#
# Layout (per server: my = standalone, galera1, galera2): DIR/S/ (owned by mysql,
# 0711) with data/ (datadir), run/ (socket mysqld.sock, pid file mysqld.pid),
# mariadb.err (error log), my.cnf (written on every start; mariadbd reads it
# with --defaults-file, so nothing of /etc/mysql applies). State: DIR/my.env,
# DIR/galera.env (mode 0600, `export K='v'` lines).
#
# mariadbd runs as the user mysql (setsid setpriv: no root at any point),
# bind-address = 127.0.0.1, skip-name-resolve, on a free port (retried when the
# bind fails). Root logs in through the unix socket only (unix_socket auth, as
# mariadb-install-db makes it). Users (TCP from 127.0.0.1, mysql_native_password,
# random passwords, the SQL through stdin, never argv):
#   barbican@127.0.0.1  ALL PRIVILEGES ON `%`.* (every database, including
#                       CREATE/DROP; no global privileges, no GRANT OPTION)
#   bs_ro@127.0.0.1     SELECT ON `%`.* only
# The Galera cluster has the same users with the same passwords.
#
# Templates: MariaDB has no template databases. tmpl_14x (barbican-manage db
# upgrade -v 0f8c192a061f) and tmpl_15x (db upgrade, head 8c74e2d7f1ff) are made
# by the real barbican-manage on the standalone, verified (alembic_version), and
# dumped with mariadb-dump into DIR/my/tmpl_*.sql; on Galera (node 1; replicated)
# those dumps are replayed (BS_TESTENV_GALERA_MANAGE=1: barbican-manage runs
# against node 1 itself, ~6 s more). `newdb` replays a dump into a new database
# (one client call, ~0.1 s; CREATE TABLE ... LIKE would lose the foreign keys).
#
# Knobs: BS_TESTENV_MY_PORT (fixed port of the standalone), BS_TESTENV_MY_PASSWORD,
# BS_TESTENV_MY_RO_PASSWORD (default: random, kept across restarts of DIR),
# BS_TESTENV_GALERA_MANAGE=1 (see Templates). See tests/env/README.md.
set -euo pipefail
BS_SCRIPT=mariadb.sh
# shellcheck source=tests/env/lib.sh
. "$(dirname "$(readlink -f "$0")")/lib.sh"

MARIADBD=/usr/sbin/mariadbd
INSTALL_DB=/usr/bin/mariadb-install-db
CLIENT=/usr/bin/mariadb
DUMP=/usr/bin/mariadb-dump
GALERA_LIB=/usr/lib/galera/libgalera_smm.so
MANAGE=/usr/bin/barbican-manage

usage() {
    sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

# inst NAME: paths of server NAME (my, galera1, galera2)
inst() {
    MYD=$DIR/$1
    DATA=$MYD/data
    RUN=$MYD/run
    SOCK=$RUN/mysqld.sock
    PIDF=$RUN/mysqld.pid
    ERRLOG=$MYD/mariadb.err
    CNF=$MYD/my.cnf
}

# server_pid NAME: pid of NAME's mariadbd (checked against its cmdline)
server_pid() {
    local pid
    inst "$1"
    [ -s "$PIDF" ] || return 1
    pid=$(cat "$PIDF" 2>/dev/null) || return 1
    pid_matches "$pid" "--defaults-file=$CNF" || return 1
    echo "$pid"
}

# sql_on NAME [ARGS]: the mariadb client as root through NAME's socket
sql_on() {
    local n=$1
    shift
    inst "$n"
    "$CLIENT" --no-defaults --protocol=socket -S "$SOCK" -u root --batch "$@"
}

gen_pw() { od -An -N12 -tx1 /dev/urandom | tr -d ' \n'; }

manage_version() {
    dpkg-query -W -f='${Version}' python3-barbican 2>/dev/null | sed 's/^[0-9]*://; s/-[^-]*$//'
}

# write_cnf NAME PORT [galera options...]: DIR/NAME/my.cnf
write_cnf() {
    local n=$1 port=$2
    shift 2
    inst "$n"
    {
        echo "# written by tests/env/mariadb.sh: throw-away test server $n in $MYD"
        echo "[mariadbd]"
        echo "user = mysql"
        echo "datadir = $DATA"
        echo "socket = $SOCK"
        echo "pid-file = $PIDF"
        echo "log-error = $ERRLOG"
        echo "port = $port"
        echo "bind-address = 127.0.0.1"
        echo "skip-name-resolve"
        echo "character-set-server = utf8mb4"
        echo "collation-server = utf8mb4_general_ci"
        echo "innodb_buffer_pool_size = 64M"
        echo "innodb_log_file_size = 32M"
        echo "innodb_flush_log_at_trx_commit = 2"
        echo "innodb_doublewrite = 0"
        # test data only: no fsync (DDL of a template copy stays fast on a busy disk)
        echo "innodb_flush_method = nosync"
        echo "max_connections = 200"
        echo "skip-log-bin"
        local o
        for o in "$@"; do echo "$o"; done
    } > "$CNF.tmp"
    chown mysql:mysql "$CNF.tmp"
    chmod 0644 "$CNF.tmp"
    mv -f "$CNF.tmp" "$CNF"
}

# init_datadir NAME: a fresh datadir, once. mariadb-install-db (as mysql) runs
# once per DIR, into DIR/my-seed (never started); each server gets a copy.
init_datadir() {
    local n=$1 t seed=$DIR/my-seed
    inst "$n"
    [ -e "$MYD/install-db.done" ] && return 0
    [ -e "$DATA" ] && { warn "removing the unfinished datadir $DATA"; rm -rf -- "$DATA"; }
    if [ ! -e "$seed/install-db.done" ]; then
        t=$(now_us)
        rm -rf -- "$seed"
        install -d -o mysql -g mysql -m 0700 "$seed"
        log "mariadb-install-db $seed/data (as mysql)"
        ( cd "$seed" && setpriv --reuid=mysql --regid=mysql --init-groups -- \
            "$INSTALL_DB" --no-defaults --datadir="$seed/data" --user=mysql --skip-test-db \
            --auth-root-authentication-method=socket --skip-name-resolve --skip-log-bin \
            --innodb-log-file-size=32M --innodb-buffer-pool-size=64M ) \
            > "$seed/install-db.log" 2>&1 || { tail_log "$seed/install-db.log"; die "mariadb-install-db failed"; }
        touch "$seed/install-db.done"
        log "mariadb-install-db done in $(since "$t")s"
    fi
    cp -a -- "$seed/data" "$DATA" || die "cannot copy $seed/data to $DATA"
    touch "$MYD/install-db.done"
}

prepare_inst() {  # NAME
    inst "$1"
    install -d -o mysql -g mysql -m 0711 "$MYD"
    install -d -o mysql -g mysql -m 0755 "$RUN"
    # the unix socket path limit is 107 bytes
    [ ${#SOCK} -le 100 ] || die "DIR is too long for a unix socket path ($SOCK); use a shorter one"
}

# launch NAME TIMEOUT [mariadbd args]: start mariadbd; LAUNCH_RC=0 once the
# socket answers, 3 when the port (or a Galera port) was taken; dies otherwise.
launch() {
    local n=$1 timeout=$2 pid off deadline
    shift 2
    inst "$n"
    off=$(stat -c %s "$ERRLOG" 2>/dev/null || echo 0)
    rm -f "$PIDF"
    log "starting mariadbd $n on 127.0.0.1 (cnf $CNF${*:+; $*})"
    (
        cd "$MYD"
        close_fds
        for v in $(compgen -e); do
            case "$v" in PATH|LC_ALL|TZ) ;; *) unset "$v" 2>/dev/null || true ;; esac
        done
        # (PATH keeps /usr/bin: Galera's rsync SST script and rsync itself)
        export HOME=$MYD
        exec setsid setpriv --reuid=mysql --regid=mysql --init-groups -- \
            "$MARIADBD" "--defaults-file=$CNF" "$@"
    ) < /dev/null >> "$MYD/mariadbd.out" 2>&1 &
    pid=$!
    LAUNCHED+=("$pid")
    deadline=$(( $(now_us) + timeout * 1000000 ))
    while :; do
        # (right after the fork the pid may still be the subshell's: only its
        # death counts here)
        if ! kill -0 "$pid" 2>/dev/null; then
            wait "$pid" 2>/dev/null || true
            if tail -c +"$((off + 1))" "$ERRLOG" 2>/dev/null |
                grep -qiE 'Address already in use|Do you already have another (mysqld|mariadbd) server running|bind.*failed|Failed to listen'; then
                LAUNCH_RC=3
                return 0
            fi
            tail_log "$ERRLOG" 40
            die "mariadbd $n exited during start-up (log $ERRLOG)"
        fi
        if [ -S "$SOCK" ] && sql_on "$n" -e 'select 1' >/dev/null 2>&1; then
            break
        fi
        if [ "$(now_us)" -gt "$deadline" ]; then
            tail_log "$ERRLOG" 40
            kill -TERM "$pid" 2>/dev/null || true
            die "mariadbd $n did not answer on $SOCK within ${timeout}s (log $ERRLOG)"
        fi
        sleep 0.1
    done
    if [ "$(cat "$PIDF" 2>/dev/null)" != "$pid" ] || ! pid_matches "$pid" "--defaults-file=$CNF"; then
        die "internal: $PIDF does not hold the pid $pid of mariadbd $n"
    fi
    LAUNCH_RC=0
}

# servers started by this run (our children: their pids cannot be recycled
# before we reap them); on SIGTERM/SIGINT (e.g. a failed testenv.sh up ends a
# background galera-start) they are stopped, so nothing is left behind, even
# one whose pid file was not written yet
LAUNCHED=()
on_signal() {
    local pid i
    trap - TERM INT HUP
    log "interrupted: stopping the servers this run started (${LAUNCHED[*]:-none})"
    # newest first (a joiner before its donor); 10 s each, then SIGKILL (a
    # Galera donor in the middle of an SST does not stop on SIGTERM)
    for (( i = ${#LAUNCHED[@]} - 1; i >= 0; i-- )); do
        pid=${LAUNCHED[$i]}
        kill -TERM "$pid" 2>/dev/null || continue
        for _ in $(seq 1 100); do
            kill -0 "$pid" 2>/dev/null || break
            # (a zombie: gone)
            [ "$(cut -d' ' -f3 "/proc/$pid/stat" 2>/dev/null)" = Z ] && break
            sleep 0.1
        done
        if kill -0 "$pid" 2>/dev/null && [ "$(cut -d' ' -f3 "/proc/$pid/stat" 2>/dev/null)" != Z ]; then
            warn "mariadbd $pid did not stop in 10 s; SIGKILL"
            kill -KILL "$pid" 2>/dev/null || true
        fi
        wait "$pid" 2>/dev/null || true
    done
    exit 143
}
trap on_signal TERM INT HUP

# stop_server NAME: SIGTERM (a clean shutdown), SIGKILL after 60 s
stop_server() {
    local n=$1 pid i t
    t=$(now_us)
    inst "$n"
    if [ ! -s "$PIDF" ]; then
        log "$n: not running"
        return 0
    fi
    if ! pid=$(server_pid "$n"); then
        log "$n: stale $PIDF (pid '$(cat "$PIDF" 2>/dev/null)' is not this server); removing it, nothing to stop"
        rm -f "$PIDF"
        return 0
    fi
    log "$n: stopping mariadbd pid $pid (SIGTERM)"
    kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 1 600); do
        pid_matches "$pid" "--defaults-file=$CNF" || break
        sleep 0.1
    done
    if pid_matches "$pid" "--defaults-file=$CNF"; then
        warn "$n: mariadbd $pid still alive after 60s; SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
        sleep 0.5
    fi
    rm -f "$PIDF"
    log "$n: stopped in $(since "$t")s"
}

# listen_check NAME PORT...: every TCP socket mariadbd of NAME listens on is
# 127.0.0.1, and each PORT is among them
listen_check() {
    local n=$1 pid out p bad
    shift
    pid=$(server_pid "$n") || die "$n is not running"
    out=$(ss -Htlnp 2>/dev/null | grep -F "pid=$pid," | awk '{print $4}' | sort -u)
    bad=$(grep -v '^127\.0\.0\.1:' <<< "$out" || true)
    [ -z "$bad" ] || die "$n (pid $pid) listens outside loopback: $(tr '\n' ' ' <<< "$bad")"
    for p in "$@"; do
        grep -qx "127.0.0.1:$p" <<< "$out" || die "$n does not listen on 127.0.0.1:$p (it listens on: $(tr '\n' ' ' <<< "$out"))"
    done
}

# ensure_users NAME USERPW ROPW: barbican and bs_ro (idempotent)
ensure_users() {
    local n=$1 pw=$2 ropw=$3
    sql_on "$n" <<EOF || die "$n: could not create the users barbican and bs_ro"
CREATE USER IF NOT EXISTS 'barbican'@'127.0.0.1' IDENTIFIED BY '$pw';
ALTER USER 'barbican'@'127.0.0.1' IDENTIFIED BY '$pw';
GRANT ALL PRIVILEGES ON \`%\`.* TO 'barbican'@'127.0.0.1';
CREATE USER IF NOT EXISTS 'bs_ro'@'127.0.0.1' IDENTIFIED BY '$ropw';
ALTER USER 'bs_ro'@'127.0.0.1' IDENTIFIED BY '$ropw';
GRANT SELECT ON \`%\`.* TO 'bs_ro'@'127.0.0.1';
EOF
}

# tcp_sql PORT USER PW [ARGS]: the client over TCP (password through the environment
# of the client only, not argv)
tcp_sql() {
    local port=$1 user=$2 pw=$3
    shift 3
    MYSQL_PWD=$pw "$CLIENT" --no-defaults --protocol=tcp -h 127.0.0.1 -P "$port" -u "$user" \
        --connect-timeout=5 --batch -N "$@"
}

# login_check NAME PORT PW ROPW: the users log in over TCP; a wrong password fails
login_check() {
    local n=$1 port=$2 pw=$3 ropw=$4 out
    out=$(tcp_sql "$port" barbican "$pw" -e 'select current_user()' 2>&1) ||
        die "$n: barbican cannot log in over TCP with its password: $out"
    [ "$out" = "barbican@127.0.0.1" ] || die "$n: unexpected current_user: $out"
    out=$(tcp_sql "$port" bs_ro "$ropw" -e 'select current_user()' 2>&1) ||
        die "$n: bs_ro cannot log in over TCP: $out"
    if out=$(tcp_sql "$port" barbican "wrong-$pw" -e 'select 1' 2>&1); then
        die "$n: a wrong password was accepted"
    fi
    [[ $out == *"Access denied"* ]] || die "$n: wrong password: unexpected error: $out"
}

# pick_port FIXED PREV: sets PORT
pick_port() {
    local fixed=$1 prev=$2 attempt=$3
    if [ -n "$fixed" ]; then
        PORT=$fixed
        ! port_listening "$PORT" || die "port $PORT is already in use"
    elif [ "$attempt" = 1 ] && [ -n "$prev" ] && ! port_listening "$prev"; then
        PORT=$prev
    else
        PORT=$(free_port)
    fi
}

# ---------------------------------------------------------------- templates

# make_templates NAME: tmpl_14x and tmpl_15x on server NAME by barbican-manage,
# verified, dumped to DIR/NAME/tmpl_*.sql; skipped when already done
make_templates() {
    local n=$1 port=$2 pw=$3 ver t t1 i name rev names=() revs=() pids=() url home
    t=$(now_us)
    inst "$n"
    ver=$(manage_version)
    [ -n "$ver" ] || die "python3-barbican is not installed"
    install -d -o root -g root -m 0711 "$MYD/templates"
    for i in 0 1; do
        if [ "$i" = 0 ]; then name=tmpl_14x; rev=$BS_REV_14X; else name=tmpl_15x; rev=$BS_REV_15X; fi
        if [ "$(cat "$MYD/$name.done" 2>/dev/null)" = "alembic $rev by barbican-manage $ver" ] &&
           [ -s "$MYD/$name.sql" ] &&
           [ "$(sql_on "$n" -N -e "SELECT version_num FROM $name.alembic_version" 2>/dev/null)" = "$rev" ]; then
            log "$n: $name already made (alembic $rev)"
            continue
        fi
        rm -f "$MYD/$name.done" "$MYD/$name.sql"
        sql_on "$n" -e "DROP DATABASE IF EXISTS $name; CREATE DATABASE $name" ||
            die "$n: could not create the empty database $name"
        names+=("$name"); revs+=("$rev")
    done
    [ ${#names[@]} -gt 0 ] || return 0
    t1=$(now_us)
    for i in "${!names[@]}"; do
        name=${names[$i]}
        home=$MYD/templates/home-$name
        install -d -o barbican -g barbican -m 0700 "$home"
        url="mysql+pymysql://barbican:$pw@127.0.0.1:$port/$name"
        local args=(db upgrade)
        [ "$name" = tmpl_14x ] && args+=(-v "${revs[$i]}")
        log "$n: barbican-manage ${args[*]} -> $name"
        (
            cd "$home"
            close_fds
            clean_env
            export HOME=$home
            export OS_DEFAULT__SQL_CONNECTION=$url
            echo "\$ barbican-manage ${args[*]}   (as barbican; URL of database $name on $n in the environment)"
            exec setpriv --reuid=barbican --regid=barbican --init-groups -- "$MANAGE" "${args[@]}"
        ) > "$MYD/templates/$name.log" 2>&1 &
        pids+=($!)
    done
    for i in "${!names[@]}"; do
        if ! wait "${pids[$i]}"; then
            tail_log "$MYD/templates/${names[$i]}.log"
            die "$n: barbican-manage db upgrade failed for ${names[$i]} (log $MYD/templates/${names[$i]}.log)"
        fi
    done
    log "$n: barbican-manage done in $(since "$t1")s"
    for i in "${!names[@]}"; do
        name=${names[$i]}; rev=${revs[$i]}
        local got
        got=$(sql_on "$n" -N -e "SELECT version_num FROM $name.alembic_version ORDER BY 1") ||
            die "$n: $name: cannot read alembic_version"
        [ "$got" = "$rev" ] || die "$n: $name: alembic_version holds '$(echo $got)', expected the single row $rev"
        # the schema and rows (alembic_version) as barbican-manage left them
        "$DUMP" --no-defaults --protocol=socket -S "$SOCK" -u root --skip-comments --skip-dump-date \
            --single-transaction --skip-add-locks --skip-lock-tables --routines --triggers \
            "$name" > "$MYD/$name.sql.tmp" || die "$n: mariadb-dump of $name failed"
        chmod 0644 "$MYD/$name.sql.tmp"
        mv -f "$MYD/$name.sql.tmp" "$MYD/$name.sql"
        echo "alembic $rev by barbican-manage $ver" > "$MYD/$name.done"
        log "$n: $name: alembic_version = $rev (verified); dumped to $MYD/$name.sql"
    done
    log "$n: templates ready in $(since "$t")s"
}

# newdb NAME KIND [galera]
cmd_newdb() {
    local name=$1 kind=$2 where=${3:-} n=my
    [[ $name =~ ^[A-Za-z][A-Za-z0-9_]{0,63}$ ]] || die "database name must match [A-Za-z][A-Za-z0-9_]*"
    case "$where" in "") ;; galera) n=galera1 ;; *) die "4th argument: 'galera' or nothing" ;; esac
    server_pid "$n" >/dev/null || die "$n is not running in $DIR"
    inst "$n"
    case "$kind" in
        14x|15x) [ -s "$MYD/tmpl_$kind.done" ] && [ -s "$MYD/tmpl_$kind.sql" ] ||
                     die "template tmpl_$kind of $n is not made; run: $0 start $DIR" ;;
        empty) ;;
        *) die "kind must be 14x, 15x or empty" ;;
    esac
    {
        echo "CREATE DATABASE \`$name\`;"
        echo "USE \`$name\`;"
        [ "$kind" = empty ] || cat "$MYD/tmpl_$kind.sql"
    } | sql_on "$n" || die "could not create database $name ($kind) on $n"
}

cmd_dropdb() {
    local name=$1 where=${2:-} n=my
    [[ $name =~ ^[A-Za-z][A-Za-z0-9_]{0,63}$ ]] || die "database name must match [A-Za-z][A-Za-z0-9_]*"
    [ "$where" = galera ] && n=galera1
    sql_on "$n" -e "DROP DATABASE IF EXISTS \`$name\`"
}

# ---------------------------------------------------------------- standalone

MY_STATE_NAME=my.env

write_my_state() {  # port pw ropw
    local tmp
    inst my
    tmp=$(mktemp "$DIR/.my.env.XXXXXX")
    chmod 0600 "$tmp"
    {
        echo "# written by tests/env/mariadb.sh; private MariaDB $(mariadb_version) in $MYD"
        echo "export BS_MY_HOST=$(sq 127.0.0.1)"
        echo "export BS_MY_PORT=$(sq "$1")"
        echo "export BS_MY_USER=$(sq barbican)"
        echo "export BS_MY_PASSWORD=$(sq "$2")"
        echo "export BS_MY_RO_USER=$(sq bs_ro)"
        echo "export BS_MY_RO_PASSWORD=$(sq "$3")"
        echo "export BS_MY_SOCKET=$(sq "$SOCK")"
        echo "export BS_MY_ADMIN=$(sq "$CLIENT --no-defaults -S $SOCK -u root")"
        echo "export BS_MY_DIR=$(sq "$MYD")"
        echo "export BS_MY_LOG=$(sq "$ERRLOG")"
        echo "export BS_MY_TMPL_14X_SQL=$(sq "$MYD/tmpl_14x.sql")"
        echo "export BS_MY_TMPL_15X_SQL=$(sq "$MYD/tmpl_15x.sql")"
        echo "export BS_MY_NEWDB=$(sq "$BS_ENV_LIBDIR/mariadb.sh newdb $DIR")"
    } > "$tmp"
    mv -f "$tmp" "$DIR/$MY_STATE_NAME"
}

mariadb_version() { "$MARIADBD" --version 2>/dev/null | sed -n 's/.*Ver \([0-9.]*\)-MariaDB.*/\1/p'; }

need_all() {
    need_root
    need_cmd "$MARIADBD" mariadb-server
    need_cmd "$INSTALL_DB" mariadb-server
    need_cmd "$CLIENT" mariadb-client
    need_cmd "$DUMP" mariadb-client
    need_cmd "$MANAGE" python3-barbican
    need_user mysql mariadb-server
    need_user barbican barbican-common
    /usr/bin/python3 -c 'import pymysql' 2>/dev/null || die "python3-pymysql missing; run scripts/install-deps.sh --test"
}

cmd_start() {
    local t pw ropw prev="" attempt state=$DIR/$MY_STATE_NAME
    t=$(now_us)
    need_all
    prepare_dir "$DIR" mysql barbican
    prepare_inst my
    if server_pid my >/dev/null; then
        [ -s "$state" ] || die "mariadbd runs in $DATA but $state is missing; stop it first: $0 stop $DIR"
        log "already running (pid $(cat "$PIDF"), port $(read_kv "$state" BS_MY_PORT))"
        PORT=$(read_kv "$state" BS_MY_PORT)
        pw=$(read_kv "$state" BS_MY_PASSWORD)
    else
        init_datadir my
        pw=${BS_TESTENV_MY_PASSWORD:-}; ropw=${BS_TESTENV_MY_RO_PASSWORD:-}
        if [ -s "$state" ]; then
            prev=$(read_kv "$state" BS_MY_PORT || true)
            [ -n "$pw" ] || pw=$(read_kv "$state" BS_MY_PASSWORD || true)
            [ -n "$ropw" ] || ropw=$(read_kv "$state" BS_MY_RO_PASSWORD || true)
        fi
        [ -n "$pw" ] || pw=$(gen_pw)
        [ -n "$ropw" ] || ropw=$(gen_pw)
        [[ $pw =~ ^[A-Za-z0-9._~-]+$ && $ropw =~ ^[A-Za-z0-9._~-]+$ ]] ||
            die "passwords may hold only [A-Za-z0-9._~-] (they go into URLs unescaped)"
        for attempt in 1 2 3 4 5 6; do
            pick_port "${BS_TESTENV_MY_PORT:-}" "$prev" "$attempt"
            write_cnf my "$PORT"
            LAUNCH_RC=1
            launch my 60
            [ "$LAUNCH_RC" = 0 ] && break
            [ -z "${BS_TESTENV_MY_PORT:-}" ] || die "port $PORT is taken"
            warn "port $PORT was taken meanwhile; retrying with another port"
        done
        [ "$LAUNCH_RC" = 0 ] || die "no free port for mariadbd after $attempt attempts"
        ensure_users my "$pw" "$ropw"
        write_my_state "$PORT" "$pw" "$ropw"
        login_check my "$PORT" "$pw" "$ropw"
        listen_check my "$PORT"
        log "MariaDB up on 127.0.0.1:$PORT (pid $(cat "$PIDF")) in $(since "$t")s"
    fi
    make_templates my "$PORT" "$pw"
}

# ---------------------------------------------------------------- Galera

GSTATE_NAME=galera.env

galera_opts() {  # NODE(1|2) SQLPORT GPORT ISTPORT SSTPORT CLUSTER_ADDR CLUSTER_NAME
    local node=$1 sport=$2 g=$3 ist=$4 sst=$5 addr=$6 cname=$7
    printf '%s\n' \
        "wsrep_on = ON" \
        "wsrep_provider = $GALERA_LIB" \
        "wsrep_provider_options = \"base_host=127.0.0.1; base_port=$g; gmcast.listen_addr=tcp://127.0.0.1:$g; ist.recv_addr=127.0.0.1:$ist; gcache.size=32M; gcache.page_size=32M\"" \
        "wsrep_cluster_name = $cname" \
        "wsrep_cluster_address = gcomm://$addr" \
        "wsrep_node_name = galera$node" \
        "wsrep_node_address = 127.0.0.1:$g" \
        "wsrep_node_incoming_address = 127.0.0.1:$sport" \
        "wsrep_sst_method = rsync" \
        "wsrep_sst_receive_address = 127.0.0.1:$sst" \
        "binlog_format = ROW" \
        "default_storage_engine = InnoDB" \
        "innodb_autoinc_lock_mode = 2"
}

gstatus() {  # NODE: "size|state" of that node
    sql_on "galera$1" -N -e "SELECT (SELECT variable_value FROM information_schema.global_status WHERE variable_name='wsrep_cluster_size'), (SELECT variable_value FROM information_schema.global_status WHERE variable_name='wsrep_local_state_comment')" 2>/dev/null | tr '\t' '|'
}

wait_synced() {  # TIMEOUT
    local deadline s1 s2
    deadline=$(( $(now_us) + $1 * 1000000 ))
    while :; do
        s1=$(gstatus 1 || true); s2=$(gstatus 2 || true)
        [ "$s1" = "2|Synced" ] && [ "$s2" = "2|Synced" ] && return 0
        [ "$(now_us)" -gt "$deadline" ] && die "Galera not synced within $1 s: node 1 '$s1', node 2 '$s2' (size|state)"
        sleep 0.2
    done
}

write_galera_state() {  # p1 p2 g1 g2 cname
    local tmp
    tmp=$(mktemp "$DIR/.galera.env.XXXXXX")
    chmod 0600 "$tmp"
    {
        echo "# written by tests/env/mariadb.sh; private two-node Galera cluster in $DIR/galera1, $DIR/galera2"
        echo "export BS_GALERA_HOST=$(sq 127.0.0.1)"
        echo "export BS_GALERA1_PORT=$(sq "$1")"
        echo "export BS_GALERA2_PORT=$(sq "$2")"
        echo "export BS_GALERA1_ADMIN=$(sq "$CLIENT --no-defaults -S $DIR/galera1/run/mysqld.sock -u root")"
        echo "export BS_GALERA2_ADMIN=$(sq "$CLIENT --no-defaults -S $DIR/galera2/run/mysqld.sock -u root")"
        echo "export BS_GALERA1_SOCKET=$(sq "$DIR/galera1/run/mysqld.sock")"
        echo "export BS_GALERA2_SOCKET=$(sq "$DIR/galera2/run/mysqld.sock")"
        echo "export BS_GALERA1_LOG=$(sq "$DIR/galera1/mariadb.err")"
        echo "export BS_GALERA2_LOG=$(sq "$DIR/galera2/mariadb.err")"
        echo "export BS_GALERA1_GCOMM_PORT=$(sq "$3")"
        echo "export BS_GALERA2_GCOMM_PORT=$(sq "$4")"
        echo "export BS_GALERA_CLUSTER_NAME=$(sq "$5")"
        echo "export BS_GALERA_TMPL_14X_SQL=$(sq "$DIR/galera1/tmpl_14x.sql")"
        echo "export BS_GALERA_TMPL_15X_SQL=$(sq "$DIR/galera1/tmpl_15x.sql")"
    } > "$tmp"
    mv -f "$tmp" "$DIR/$GSTATE_NAME"
}

cmd_galera_start() {
    local t pw ropw mystate=$DIR/$MY_STATE_NAME gstate=$DIR/$GSTATE_NAME attempt
    local p1 p2 g1 g2 i1 i2 s1 s2 cname addr out t2
    t=$(now_us)
    need_all
    [ -r "$GALERA_LIB" ] || die "$GALERA_LIB not found (package galera-4); run scripts/install-deps.sh --test"
    need_cmd /usr/bin/rsync rsync
    need_cmd /usr/bin/wsrep_sst_rsync mariadb-server
    [ -s "$mystate" ] || die "$mystate missing: start the standalone first ($0 start $DIR); Galera uses its users' passwords"
    pw=$(read_kv "$mystate" BS_MY_PASSWORD); ropw=$(read_kv "$mystate" BS_MY_RO_PASSWORD)
    prepare_dir "$DIR" mysql barbican
    prepare_inst galera1
    prepare_inst galera2

    if server_pid galera1 >/dev/null && server_pid galera2 >/dev/null && [ -s "$gstate" ] &&
       [ "$(gstatus 1)" = "2|Synced" ] && [ "$(gstatus 2)" = "2|Synced" ]; then
        log "Galera already running (ports $(read_kv "$gstate" BS_GALERA1_PORT), $(read_kv "$gstate" BS_GALERA2_PORT))"
        galera_templates "$(read_kv "$gstate" BS_GALERA1_PORT)" "$pw"
        return 0
    fi
    server_pid galera1 >/dev/null || server_pid galera2 >/dev/null &&
        die "a Galera node runs but the cluster is not complete; stop it first: $0 galera-stop $DIR"

    # node 1: a fresh datadir made by mariadb-install-db (node 2 gets its data by SST)
    init_datadir galera1
    if [ -s "$gstate" ]; then
        cname=$(read_kv "$gstate" BS_GALERA_CLUSTER_NAME)
    else
        cname=bs-testenv-$(gen_pw | cut -c1-8)
    fi
    # node 1 bootstraps the cluster: a test cluster that was stopped node 2
    # first has node 1 as its last node; make sure Galera agrees
    if [ -f "$DIR/galera1/data/grastate.dat" ]; then
        sed -i 's/^safe_to_bootstrap: 0/safe_to_bootstrap: 1/' "$DIR/galera1/data/grastate.dat"
    fi
    for attempt in 1 2 3 4; do
        p1=$(free_port); g1=$(free_port); i1=$(free_port)
        p2=$(free_port); g2=$(free_port); i2=$(free_port); s2=$(free_port); s1=$(free_port)
        [ "$(printf '%s\n' "$p1" "$g1" "$i1" "$p2" "$g2" "$i2" "$s1" "$s2" | sort -u | wc -l)" = 8 ] || continue
        addr=127.0.0.1:$g1,127.0.0.1:$g2
        mapfile -t opts < <(galera_opts 1 "$p1" "$g1" "$i1" "$s1" "$addr" "$cname")
        write_cnf galera1 "$p1" "${opts[@]}"
        LAUNCH_RC=1
        launch galera1 90 --wsrep-new-cluster
        [ "$LAUNCH_RC" = 0 ] && break
        warn "galera1: a port was taken meanwhile; retrying with other ports"
    done
    [ "$LAUNCH_RC" = 0 ] || die "galera1 could not start after $attempt attempts"
    log "galera1 bootstrapped on 127.0.0.1:$p1 (gcomm $g1) in $(since "$t")s"

    t2=$(now_us)
    for attempt in 1 2 3 4; do
        if [ "$attempt" -gt 1 ]; then p2=$(free_port); g2=$(free_port); i2=$(free_port); s2=$(free_port); fi
        addr=127.0.0.1:$g1,127.0.0.1:$g2
        mapfile -t opts < <(galera_opts 2 "$p2" "$g2" "$i2" "$s2" "$addr" "$cname")
        write_cnf galera2 "$p2" "${opts[@]}"
        # node 2 starts with an empty datadir (first time) and gets node 1's
        # by rsync SST, or catches up by IST after a restart
        install -d -o mysql -g mysql -m 0750 "$DIR/galera2/data"
        LAUNCH_RC=1
        launch galera2 120
        [ "$LAUNCH_RC" = 0 ] && break
        warn "galera2: a port was taken meanwhile; retrying with other ports"
    done
    [ "$LAUNCH_RC" = 0 ] || die "galera2 could not join after $attempt attempts"
    wait_synced 60
    log "galera2 joined (SST/IST) and both nodes are Synced in a cluster of 2 in $(since "$t2")s"

    # users: created on node 1 with node 2 in the cluster (CREATE USER/GRANT replicate)
    ensure_users galera1 "$pw" "$ropw"
    write_galera_state "$p1" "$p2" "$g1" "$g2" "$cname"
    login_check galera1 "$p1" "$pw" "$ropw"
    login_check galera2 "$p2" "$pw" "$ropw"
    listen_check galera1 "$p1" "$g1"
    listen_check galera2 "$p2" "$g2"
    # a row written on node 1 is read on node 2
    out=$(gen_pw)
    tcp_sql "$p1" barbican "$pw" -e "CREATE DATABASE IF NOT EXISTS bs_testenv_check;
        CREATE TABLE IF NOT EXISTS bs_testenv_check.t (id INT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(64));
        INSERT INTO bs_testenv_check.t (v) VALUES ('$out')" || die "cannot write a row on galera1"
    local i got=""
    for i in $(seq 1 50); do
        got=$(tcp_sql "$p2" barbican "$pw" -e "SELECT count(*) FROM bs_testenv_check.t WHERE v = '$out'" 2>/dev/null || true)
        [ "$got" = 1 ] && break
        sleep 0.1
    done
    [ "$got" = 1 ] || die "a row written on galera1 was not read on galera2 ($got)"
    tcp_sql "$p1" barbican "$pw" -e "DROP DATABASE bs_testenv_check" || true
    log "verified: size 2, Synced on both; users log in on both; a row written on node 1 read on node 2"
    log "Galera up (127.0.0.1:$p1, 127.0.0.1:$p2) in $(since "$t")s"
    galera_templates "$p1" "$pw"
}

# galera_templates PORT PW: tmpl_14x/tmpl_15x on node 1 (replicated to node 2).
# Default: the standalone's dumps of barbican-manage's schema, replayed
# (~0.5 s); BS_TESTENV_GALERA_MANAGE=1: barbican-manage itself against node 1
# (~6 s: every DDL is a cluster-wide TOI operation).
galera_templates() {
    local port=$1 pw=$2 ver name rev t
    if [ "${BS_TESTENV_GALERA_MANAGE:-0}" = 1 ]; then
        make_templates galera1 "$port" "$pw"
        return 0
    fi
    t=$(now_us)
    ver=$(manage_version)
    for name in tmpl_14x tmpl_15x; do
        if [ $name = tmpl_14x ]; then rev=$BS_REV_14X; else rev=$BS_REV_15X; fi
        inst galera1
        if [ -s "$MYD/$name.done" ] && [ -s "$MYD/$name.sql" ] &&
           [ "$(sql_on galera1 -N -e "SELECT version_num FROM $name.alembic_version" 2>/dev/null)" = "$rev" ]; then
            log "galera1: $name already made ($(cat "$MYD/$name.done"))"
            continue
        fi
        [ "$(cat "$DIR/my/$name.done" 2>/dev/null)" = "alembic $rev by barbican-manage $ver" ] ||
            die "the standalone's $name is not made (needed for Galera's); run: $0 start $DIR"
        inst galera1
        rm -f "$MYD/$name.done"
        { echo "DROP DATABASE IF EXISTS $name; CREATE DATABASE $name; USE $name;"; cat "$DIR/my/$name.sql"; } |
            sql_on galera1 || die "galera1: could not load $name"
        [ "$(sql_on galera1 -N -e "SELECT version_num FROM $name.alembic_version ORDER BY 1")" = "$rev" ] ||
            die "galera1: $name: alembic_version is not $rev after loading"
        cp -- "$DIR/my/$name.sql" "$MYD/$name.sql"
        echo "alembic $rev by barbican-manage $ver (the standalone's schema, replayed)" > "$MYD/$name.done"
        log "galera1: $name loaded from the standalone's barbican-manage dump (alembic $rev verified)"
    done
    log "galera1: templates ready in $(since "$t")s"
}

cmd_galera_stop() {
    # node 2 first: node 1 is then the last node and may bootstrap next time
    stop_server galera2
    stop_server galera1
}

galera_running() {
    server_pid galera1 >/dev/null && server_pid galera2 >/dev/null
}

[ $# -ge 2 ] || usage
SUB=$1
DIR=$(norm_dir "$2")
shift 2
case "$SUB" in
    start)   [ $# -eq 0 ] || usage; cmd_start ;;
    stop)    [ $# -eq 0 ] || usage; if [ -d "$DIR/my" ]; then need_root; stop_server my; fi ;;
    env)     server_pid my >/dev/null || die "not running in $DIR/my; start it: $0 start $DIR"
             grep '^export ' -- "$DIR/$MY_STATE_NAME" ;;
    status)  if server_pid my >/dev/null; then echo running; else echo stopped; exit 1; fi ;;
    sql)     server_pid my >/dev/null || die "not running in $DIR/my"; sql_on my "$@" ;;
    newdb)   [ $# -ge 2 ] && [ $# -le 3 ] || usage; cmd_newdb "$@" ;;
    dropdb)  [ $# -ge 1 ] && [ $# -le 2 ] || usage; cmd_dropdb "$@" ;;
    galera-start)  [ $# -eq 0 ] || usage; cmd_galera_start ;;
    galera-stop)   [ $# -eq 0 ] || usage; if [ -d "$DIR/galera1" ] || [ -d "$DIR/galera2" ]; then need_root; cmd_galera_stop; fi ;;
    galera-env)    galera_running || die "Galera is not running in $DIR"; grep '^export ' -- "$DIR/$GSTATE_NAME" ;;
    galera-status) if galera_running && [ "$(gstatus 1)" = "2|Synced" ] && [ "$(gstatus 2)" = "2|Synced" ]; then
                       echo running
                   else
                       echo stopped; exit 1
                   fi ;;
    galera-sql)    [ $# -ge 1 ] || usage
                   case "$1" in 1|2) ;; *) usage ;; esac
                   n=galera$1; shift
                   server_pid "$n" >/dev/null || die "$n not running in $DIR"; sql_on "$n" "$@" ;;
    *)       usage ;;
esac
