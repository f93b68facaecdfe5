#!/bin/bash
# tests/env/barbican-services.sh -- the REAL barbican-worker and
# barbican-keystone-listener (Debian 12, 15.0.1) connected to the private
# RabbitMQ of rabbitmq.sh and the API's database on the private PostgreSQL.
#
#   barbican-services.sh start DIR            start worker + listener (idempotent), verify
#   barbican-services.sh stop DIR             stop them and every extra worker
#   barbican-services.sh env DIR              print BS_WORKER_*, BS_LISTENER_*, BS_SERVICES_* (fails unless both run)
#   barbican-services.sh status DIR           exit 0 if both run and are connected to RabbitMQ
#   barbican-services.sh start-one DIR NAME   start one instance: worker, listener, or an extra worker NAME
#   barbican-services.sh stop-one DIR NAME    stop one instance (SIGTERM, SIGKILL after 30 s)
#   barbican-services.sh start-extra DIR NAME / stop-extra DIR NAME
#                                             the same for an extra barbican-worker (NAME not worker/listener)
#
# Each instance runs /usr/bin/barbican-worker or /usr/bin/barbican-keystone-listener
# as user barbican (setsid setpriv, clean environment), exactly as Debian's init
# scripts do: --config-file=CONF --log-file=DIR/services/NAME.log; pidfile
# DIR/services/NAME.pid. CONF is DIR/services/home/.barbican/barbican.conf
# and HOME is DIR/services/home: barbican.common.config parses the default
# config files once at import time, before main() parses --config-file, and
# oslo.config's search finds ~/.barbican/barbican.conf before
# /etc/barbican/barbican.conf, so /etc/barbican/barbican.conf is never read.
# The config: [DEFAULT] transport_url (rabbit://barbican:PW@127.0.0.1:PORT/),
# sql_connection (the API's database, BS_API_DB of DIR/api.env, default
# barbican_api, on pg.sh's PostgreSQL), host_href, graceful_shutdown_timeout
# = 10; [queue] enable = True; [keystone_notifications] enable = True (as
# Debian ships it).
# A start is verified in RabbitMQ's management API: a connection whose
# client_properties.connection_name is "<program>:<pid>:<uuid>" with the
# instance's real pid, from 127.0.0.1, user barbican.
set -euo pipefail
BS_SCRIPT=barbican-services.sh
# shellcheck source=tests/env/lib.sh
. "$(dirname "$(readlink -f "$0")")/lib.sh"

usage() { echo "usage: $0 start|stop|env|status DIR | start-one|stop-one|start-extra|stop-extra DIR NAME" >&2; exit 2; }
[ $# -ge 2 ] || usage
SUB=$1
DIR=$(norm_dir "$2")
NAME_ARG=${3:-}
SDIR=$DIR/services
SHOME=$SDIR/home
CONF=$SHOME/.barbican/barbican.conf
STATE=$DIR/services.env
RMQ_STATE=$DIR/rabbitmq.env
TIMEOUT=${BS_TESTENV_SERVICES_TIMEOUT:-60}

prog_of() {  # NAME -> program
    case "$1" in
        listener) echo barbican-keystone-listener ;;
        *)        echo barbican-worker ;;
    esac
}
check_name() {
    [[ $1 =~ ^[a-z][a-z0-9_-]{0,30}$ ]] || die "instance name '$1' must match [a-z][a-z0-9_-]*"
}

inst_pid() {  # NAME: the running pid of the instance
    local pid f=$SDIR/$1.pid
    [ -s "$f" ] || return 1
    pid=$(cat "$f")
    pid_matches "$pid" "/usr/bin/$(prog_of "$1") --config-file=$CONF --log-file=$SDIR/$1.log" || return 1
    # a zombie is not running
    [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" != Z ] || return 1
    echo "$pid"
}

rmq() { read_kv "$RMQ_STATE" "$1" || die "no $1 in $RMQ_STATE: start RabbitMQ first (tests/env/rabbitmq.sh start $DIR)"; }

# connections: "name<TAB>peer_host<TAB>user" of every connection (as bs_monitor)
connections() {
    local url
    url=$(rmq BS_RMQ_MGMT_URL)
    printf 'user = "%s:%s"\n' "$(rmq BS_RMQ_MONITOR_USER)" "$(rmq BS_RMQ_MONITOR_PASSWORD)" |
        curl -sS --noproxy '*' --max-time 10 -K - "$url/api/connections?columns=client_properties.connection_name,peer_host,user" |
        jq -r '.[] | [(.client_properties.connection_name // ""), .peer_host, .user] | @tsv'
}

connected() {  # PROG PID: RabbitMQ lists a connection PROG:PID:... from 127.0.0.1 as barbican
    connections 2>/dev/null | awk -F'\t' -v p="$1:$2:" '
        index($1, p) == 1 && $2 == "127.0.0.1" && $3 == "barbican" { found = 1 } END { exit !found }'
}

write_conf() {
    local pgenv=$DIR/pg.env apienv=$DIR/api.env db=barbican_api href=http://127.0.0.1:9311 url
    [ -s "$pgenv" ] || die "no $pgenv: start PostgreSQL first (tests/env/pg.sh start $DIR)"
    if [ -s "$apienv" ]; then
        db=$(read_kv "$apienv" BS_API_DB)
        href=$(read_kv "$apienv" BS_API_URL)
    fi
    url="postgresql+psycopg2://$(read_kv "$pgenv" BS_PG_USER):$(read_kv "$pgenv" BS_PG_PASSWORD)@$(read_kv "$pgenv" BS_PG_HOST):$(read_kv "$pgenv" BS_PG_PORT)/$db"
    install -d -m 0711 -o barbican -g barbican "$SDIR"
    install -d -m 0700 -o barbican -g barbican "$SHOME" "$SHOME/.barbican"
    ( umask 077
      cat > "$CONF.tmp" <<EOF
# written by tests/env/barbican-services.sh for $DIR: barbican-worker and
# barbican-keystone-listener read this (and not /etc/barbican/barbican.conf)
[DEFAULT]
transport_url = $(rmq BS_RMQ_TRANSPORT_URL)
sql_connection = $url
host_href = $href
graceful_shutdown_timeout = 10

[queue]
enable = True

[keystone_notifications]
enable = True
EOF
    )
    chown barbican:barbican "$CONF.tmp"
    mv -f "$CONF.tmp" "$CONF"
    SQL_DB=$db
}

start_one() {  # NAME
    local name=$1 prog pid log pidf deadline
    check_name "$name"
    prog=$(prog_of "$name")
    need_cmd "/usr/bin/$prog" "$prog"
    [ -s "$CONF" ] || write_conf
    if pid=$(inst_pid "$name"); then
        connected "$prog" "$pid" || die "$name ($prog, pid $pid) runs but RabbitMQ lists no connection $prog:$pid:..."
        log "$name ($prog) already running (pid $pid), connected"
        return 0
    fi
    log=$SDIR/$name.log
    pidf=$SDIR/$name.pid
    rm -f "$pidf"
    touch "$log" "$SDIR/$name.out"
    chown barbican:barbican "$log"
    (
        close_fds
        clean_env
        export HOME=$SHOME
        cd "$SHOME"
        # not a process-group leader here, so setsid execs in place: $! is the program's pid
        exec setsid setpriv --reuid=barbican --regid=barbican --init-groups -- \
            "/usr/bin/$prog" "--config-file=$CONF" "--log-file=$log"
    ) < /dev/null >> "$SDIR/$name.out" 2>&1 &
    pid=$!
    echo "$pid" > "$pidf"
    deadline=$(( $(now_us) + TIMEOUT * 1000000 ))
    while ! connected "$prog" "$pid"; do
        if ! kill -0 "$pid" 2>/dev/null; then
            wait "$pid" 2>/dev/null || true
            rm -f "$pidf"
            tail_log "$log" 30
            tail_log "$SDIR/$name.out" 10
            die "$name ($prog) exited during start-up (log $log)"
        fi
        if [ "$(now_us)" -gt "$deadline" ]; then
            tail_log "$log" 30
            stop_one "$name"
            die "$name ($prog, pid $pid) not connected to RabbitMQ within ${TIMEOUT}s (log $log)"
        fi
        sleep 0.3
    done
    log "$name: $prog pid $pid connected to RabbitMQ (connection $prog:$pid:..., from 127.0.0.1, user barbican); log $log"
}

stop_one() {  # NAME
    local name=$1 pid i pidf=$SDIR/$1.pid
    check_name "$name"
    pid=$(inst_pid "$name") || {
        [ -s "$pidf" ] && log "$name: stale $pidf ($(cat "$pidf")): not running; dropped"
        rm -f "$pidf"
        return 0
    }
    kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 1 300); do
        inst_pid "$name" >/dev/null || break
        sleep 0.1
    done
    if inst_pid "$name" >/dev/null; then
        warn "$name (pid $pid) still running 30 s after SIGTERM; SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
        sleep 0.2
    fi
    wait "$pid" 2>/dev/null || true
    rm -f "$pidf"
    log "$name ($(prog_of "$name")) stopped (pid $pid)"
}

write_state() {
    local tmp n N
    tmp=$(mktemp "$DIR/.services.env.XXXXXX")
    chmod 0600 "$tmp"
    {
        echo "export BS_SERVICES_DIR='$SDIR'"
        echo "export BS_SERVICES_CONF='$CONF'"
        echo "export BS_SERVICES_CTL='$BS_ENV_LIBDIR/barbican-services.sh'"
        for n in worker listener; do
            N=${n^^}
            echo "export BS_${N}_PID='$(inst_pid "$n" || true)'"
            echo "export BS_${N}_PIDFILE='$SDIR/$n.pid'"
            echo "export BS_${N}_LOG='$SDIR/$n.log'"
            echo "export BS_${N}_PROG='$(prog_of "$n")'"
        done
    } > "$tmp"
    mv -f "$tmp" "$STATE"
}

cmd_start() {
    need_root
    need_user barbican barbican-common
    [ -s "$RMQ_STATE" ] || die "no $RMQ_STATE: start RabbitMQ first (tests/env/rabbitmq.sh start $DIR)"
    write_conf
    log "config $CONF (database $SQL_DB, broker 127.0.0.1:$(rmq BS_RMQ_PORT))"
    # both at once: each takes a few seconds to import Barbican
    start_one worker & local w=$!
    start_one listener & local l=$!
    local rc=0
    wait "$w" || rc=1
    wait "$l" || rc=1
    [ "$rc" = 0 ] || die "barbican-worker or barbican-keystone-listener did not start (see above)"
    write_state
}

cmd_stop() {
    local f n
    need_root
    for f in "$SDIR"/*.pid; do
        [ -e "$f" ] || continue
        n=$(basename "$f" .pid)
        stop_one "$n" &
    done
    wait
    [ -d "$SDIR" ] && [ -s "$CONF" ] && write_state
    return 0
}

cmd_status() {
    local n pid
    for n in worker listener; do
        pid=$(inst_pid "$n") || return 1
        connected "$(prog_of "$n")" "$pid" || return 1
    done
}

case "$SUB" in
    start)  cmd_start ;;
    stop)   if [ -d "$SDIR" ]; then cmd_stop; fi ;;
    env)    cmd_status || die "barbican-worker / barbican-keystone-listener not running (and connected) in $DIR"
            write_state; grep '^export ' "$STATE" ;;
    status) cmd_status ;;
    start-one|start-extra|stop-one|stop-extra)
            [ -n "$NAME_ARG" ] || usage
            need_root
            if [[ $SUB == *-extra ]]; then
                case "$NAME_ARG" in worker|listener) die "$SUB: '$NAME_ARG' is a main instance; use ${SUB%-extra}-one" ;; esac
            fi
            case "$SUB" in start-*) start_one "$NAME_ARG" ;; *) stop_one "$NAME_ARG" ;; esac
            [ -s "$CONF" ] && write_state ;;
    *)      usage ;;
esac
