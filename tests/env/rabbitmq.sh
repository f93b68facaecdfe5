#!/bin/bash
# tests/env/rabbitmq.sh -- a private RabbitMQ 3.10 (Debian 12) on 127.0.0.1,
# with the management plugin, everything under DIR/rabbitmq.
#
#   rabbitmq.sh start DIR    start (idempotent), create the users, verify
#   rabbitmq.sh stop DIR     stop it (SIGTERM to beam.smp: RabbitMQ's clean shutdown)
#   rabbitmq.sh env DIR      print BS_RMQ_* shell assignments (fails if not running)
#   rabbitmq.sh status DIR   exit 0 if running and its management API answers
#
# What runs: /usr/lib/rabbitmq/bin/rabbitmq-server as user rabbitmq (setsid
# setpriv, clean environment), RUNNING_UNDER_SYSTEMD=true so that the script
# execs erl in place: the pid started is beam.smp's. Node name
# bs-<sha1(DIR)[0:10]>@localhost (never clashes with another DIR or with a
# system rabbit@HOST), HOME DIR/rabbitmq/home (its own .erlang.cookie),
# RABBITMQ_CONF_ENV_FILE DIR/rabbitmq/rabbitmq-env.conf (empty: nothing of
# /etc/rabbitmq is read), RABBITMQ_CONFIG_FILE DIR/rabbitmq/rabbitmq.conf,
# RABBITMQ_ENABLED_PLUGINS_FILE ([rabbitmq_management]), RABBITMQ_MNESIA_BASE,
# RABBITMQ_LOG_BASE, RABBITMQ_PID_FILE in DIR/rabbitmq. AMQP, management and
# Erlang distribution listen on 127.0.0.1 (free ports; the distribution port
# through RABBITMQ_DIST_PORT, i.e. inet_dist_listen_min = max, and
# -kernel inet_dist_use_interface {127,0,0,1}).
#
# epmd (port 4369) is shared by every Erlang node of the host, by design: the
# first node starts it (ERL_EPMD_ADDRESS=127.0.0.1: loopback only) and node
# names keep the environments apart. `stop` ends epmd only when no node is
# registered with it any more (and it runs as user rabbitmq), under the lock
# /run/lock/barbican-status-testenv-epmd.lock that `start` holds until its
# node has registered: two DIRs can start and stop at once.
#
# No rabbitmqctl: the CLI is an Erlang node itself whose distribution port
# would listen on 0.0.0.0. Users are made through the management API with the
# admin that rabbitmq.conf defines (default_user; there is no guest):
#   bs_admin     administrator (for the environment's own calls)
#   barbican     no tags, vhost / with configure/write/read .* (the services)
#   bs_monitor   tag monitoring only (read-only management API; barbican-status)
# Passwords: BS_TESTENV_RMQ_PASSWORD / _MONITOR_PASSWORD / _ADMIN_PASSWORD,
# else the DIR's previous ones, else random; never on a command line (curl
# reads its credentials from a 0600 config file, bodies from stdin).
# Ports: BS_TESTENV_RMQ_PORT / _MGMT_PORT / _DIST_PORT, else previous if free,
# else free ones; a start that fails to bind retries with new ports (3 times).
set -euo pipefail
BS_SCRIPT=rabbitmq.sh
# shellcheck source=tests/env/lib.sh
. "$(dirname "$(readlink -f "$0")")/lib.sh"

usage() { echo "usage: $0 start|stop|env|status DIR" >&2; exit 2; }
[ $# -eq 2 ] || usage
SUB=$1
DIR=$(norm_dir "$2")
RDIR=$DIR/rabbitmq
STATE=$DIR/rabbitmq.env
PIDF=$RDIR/beam.pid
CONF=$RDIR/rabbitmq.conf
CURLRC=$RDIR/admin.curlrc
LOGD=$RDIR/log
RMQ_SERVER=/usr/lib/rabbitmq/bin/rabbitmq-server
EPMD_LOCK=/run/lock/barbican-status-testenv-epmd.lock
NODE=bs-$(printf '%s' "$DIR" | sha1sum | cut -c1-10)@localhost

rand_hex() { od -An -N16 -tx1 /dev/urandom | tr -d ' \n'; }

beam_pid() {
    local pid
    [ -s "$PIDF" ] || return 1
    pid=$(cat "$PIDF")
    pid_matches "$pid" "-home $RDIR/home " || return 1
    echo "$pid"
}

# mgmt METHOD PATH [curl args...]: the management API as bs_admin; prints the
# body, then a line with the HTTP status
mgmt() {
    local m=$1 p=$2
    shift 2
    curl -sS --noproxy '*' --max-time 10 -K "$CURLRC" -X "$m" -w '\n%{http_code}' "$@" \
        "http://127.0.0.1:$MGMT_PORT$p"
}

# http_status USER PASSWORD PATH: HTTP status of a GET (credentials through stdin)
http_status() {
    printf 'user = "%s:%s"\n' "$1" "$2" |
        curl -s --noproxy '*' --max-time 10 -K - -o /dev/null -w '%{http_code}' \
            "http://127.0.0.1:$MGMT_PORT$3" || true
}

load_state() {
    [ -s "$STATE" ] || return 1
    AMQP_PORT=$(read_kv "$STATE" BS_RMQ_PORT)
    MGMT_PORT=$(read_kv "$STATE" BS_RMQ_MGMT_PORT)
    DIST_PORT=$(read_kv "$STATE" BS_RMQ_DIST_PORT)
    PW=$(read_kv "$STATE" BS_RMQ_PASSWORD)
    MON_PW=$(read_kv "$STATE" BS_RMQ_MONITOR_PASSWORD)
    ADMIN_PW=$(read_kv "$STATE" BS_RMQ_ADMIN_PASSWORD)
}

write_state() {
    local tmp
    tmp=$(mktemp "$DIR/.rabbitmq.env.XXXXXX")
    chmod 0600 "$tmp"
    cat > "$tmp" <<EOF
export BS_RMQ_HOST='127.0.0.1'
export BS_RMQ_PORT='$AMQP_PORT'
export BS_RMQ_MGMT_PORT='$MGMT_PORT'
export BS_RMQ_MGMT_URL='http://127.0.0.1:$MGMT_PORT'
export BS_RMQ_DIST_PORT='$DIST_PORT'
export BS_RMQ_NODE='$NODE'
export BS_RMQ_USER='barbican'
export BS_RMQ_PASSWORD='$PW'
export BS_RMQ_VHOST='/'
export BS_RMQ_TRANSPORT_URL='rabbit://barbican:$PW@127.0.0.1:$AMQP_PORT/'
export BS_RMQ_MONITOR_USER='bs_monitor'
export BS_RMQ_MONITOR_PASSWORD='$MON_PW'
export BS_RMQ_ADMIN_USER='bs_admin'
export BS_RMQ_ADMIN_PASSWORD='$ADMIN_PW'
export BS_RMQ_PID='${BEAM:-}'
export BS_RMQ_PIDFILE='$PIDF'
export BS_RMQ_DIR='$RDIR'
export BS_RMQ_LOG='$LOGD/rabbit.log'
EOF
    mv -f "$tmp" "$STATE"
}

write_files() {
    install -d -m 0700 -o rabbitmq -g rabbitmq "$RDIR" "$RDIR/home" "$RDIR/mnesia" "$LOGD"
    : > "$RDIR/rabbitmq-env.conf"
    echo '[rabbitmq_management].' > "$RDIR/enabled_plugins"
    if [ ! -s "$RDIR/home/.erlang.cookie" ]; then
        ( umask 077; od -An -N20 -tx1 /dev/urandom | tr -d ' \n' | tr a-f A-F > "$RDIR/home/.erlang.cookie" )
    fi
    chmod 0400 "$RDIR/home/.erlang.cookie"
    ( umask 077
      cat > "$CONF" <<EOF
# written by tests/env/rabbitmq.sh for $DIR (node $NODE)
listeners.tcp.1 = 127.0.0.1:$AMQP_PORT
listeners.ssl = none
management.tcp.ip = 127.0.0.1
management.tcp.port = $MGMT_PORT
default_user = bs_admin
default_pass = $ADMIN_PW
default_user_tags.administrator = true
default_permissions.configure = .*
default_permissions.read = .*
default_permissions.write = .*
loopback_users = none
log.console = false
log.file = rabbit.log
log.file.level = info
disk_free_limit.absolute = 50MB
EOF
      printf 'user = "bs_admin:%s"\n' "$ADMIN_PW" > "$CURLRC"
    )
    chown rabbitmq:rabbitmq "$CONF" "$RDIR/home/.erlang.cookie" "$RDIR/rabbitmq-env.conf" "$RDIR/enabled_plugins"
    chmod 0600 "$CONF"
}

pick_port() {  # KNOB PREVIOUS
    if [ -n "$1" ]; then echo "$1"; return; fi
    if [ -n "$2" ] && ! port_listening "$2"; then echo "$2"; return; fi
    free_port
}

# launch: start beam.smp; LAUNCH_RC=0 up, 3 bind failure (retry with new ports)
launch() {
    local pid deadline off=0 st
    [ -f "$LOGD/rabbit.log" ] && off=$(stat -c %s "$LOGD/rabbit.log")
    : > "$RDIR/server.out"
    chown rabbitmq:rabbitmq "$RDIR/server.out"
    (
        close_fds
        # epmd's lock stays with the shell that waits for registration, not with beam
        clean_env
        export HOME=$RDIR/home
        export RUNNING_UNDER_SYSTEMD=true
        export RABBITMQ_NODENAME=$NODE
        export RABBITMQ_CONF_ENV_FILE=$RDIR/rabbitmq-env.conf
        export RABBITMQ_CONFIG_FILE=$CONF
        export RABBITMQ_ADVANCED_CONFIG_FILE=$RDIR/advanced.config
        export RABBITMQ_ENABLED_PLUGINS_FILE=$RDIR/enabled_plugins
        export RABBITMQ_MNESIA_BASE=$RDIR/mnesia
        export RABBITMQ_LOG_BASE=$LOGD
        export RABBITMQ_PID_FILE=$RDIR/rabbitmq.pid
        export RABBITMQ_NODE_IP_ADDRESS=127.0.0.1
        export RABBITMQ_NODE_PORT=$AMQP_PORT
        export RABBITMQ_DIST_PORT=$DIST_PORT
        export RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS='-kernel inet_dist_use_interface {127,0,0,1}'
        export ERL_EPMD_ADDRESS=127.0.0.1
        cd "$RDIR/home"
        # not a process-group leader here, so setsid execs in place: $! is beam.smp's
        exec setsid setpriv --reuid=rabbitmq --regid=rabbitmq --init-groups -- "$RMQ_SERVER"
    ) < /dev/null >> "$RDIR/server.out" 2>&1 &
    pid=$!
    echo "$pid" > "$PIDF"
    BEAM=$pid
    deadline=$(( $(now_us) + ${BS_TESTENV_RMQ_TIMEOUT:-90} * 1000000 ))
    while :; do
        if ! kill -0 "$pid" 2>/dev/null; then
            wait "$pid" 2>/dev/null || true
            rm -f "$PIDF"
            if cat "$RDIR/server.out" <(tail -c +"$((off + 1))" "$LOGD/rabbit.log" 2>/dev/null) |
                grep -q -i -E 'eaddrinuse|address already in use|listen_error'; then
                LAUNCH_RC=3
                return 0
            fi
            tail_log "$LOGD/rabbit.log" 40
            tail_log "$RDIR/server.out" 20
            die "RabbitMQ exited during start-up (log $LOGD/rabbit.log)"
        fi
        # the epmd lock only until this node has registered with epmd
        if [ "$EPMD_LOCKED" = 1 ] && ERL_EPMD_ADDRESS=127.0.0.1 epmd -names 2>/dev/null |
                grep -q "^name ${NODE%@*} at port "; then
            exec 7>&-
            EPMD_LOCKED=0
        fi
        st=$(mgmt GET /api/overview -o /dev/null 2>/dev/null | tail -n1) || true
        [ "$st" = 200 ] && break
        if [ "$(now_us)" -gt "$deadline" ]; then
            tail_log "$LOGD/rabbit.log" 40
            stop_beam
            die "RabbitMQ's management API did not answer on 127.0.0.1:$MGMT_PORT within ${BS_TESTENV_RMQ_TIMEOUT:-90}s"
        fi
        sleep 0.3
    done
    LAUNCH_RC=0
}

put_json() {  # PATH JSON(stdin): PUT as admin, expect 201/204
    local out st
    out=$(mgmt PUT "$1" -H 'content-type: application/json' --data-binary @-) || die "PUT $1 failed"
    st=${out##*$'\n'}
    case "$st" in 201|204) ;; *) die "PUT $1 answered $st: ${out%$'\n'*}" ;; esac
}

make_users() {
    printf '{"password": "%s", "tags": ""}' "$PW" | put_json /api/users/barbican
    printf '{"configure": ".*", "write": ".*", "read": ".*"}' | put_json /api/permissions/%2F/barbican
    printf '{"password": "%s", "tags": "monitoring"}' "$MON_PW" | put_json /api/users/bs_monitor
}

# verify: AMQP login (python3-amqp, as oslo.messaging's kombu uses it), the
# monitor user reads the API and a wrong password gets 401, loopback only
verify() {
    local st out
    out=$(printf '%s\n' "$PW" | setpriv --reuid=nobody --regid=nogroup --clear-groups -- /usr/bin/python3 -c '
import sys, amqp
pw = sys.stdin.readline().strip()
c = amqp.Connection(host="127.0.0.1:" + sys.argv[1], userid="barbican", password=pw, virtual_host="/", connect_timeout=10)
c.connect(); ch = c.channel(); ch.close(); c.close()
try:
    c = amqp.Connection(host="127.0.0.1:" + sys.argv[1], userid="barbican", password=pw + "x", virtual_host="/", connect_timeout=10)
    c.connect(); print("wrong password accepted"); sys.exit(1)
except amqp.exceptions.AccessRefused:
    pass
print("ok")' "$AMQP_PORT" 2>&1) || die "AMQP check on 127.0.0.1:$AMQP_PORT failed: $out"
    [ "$out" = ok ] || die "AMQP check: $out"
    st=$(http_status bs_monitor "$MON_PW" /api/overview)
    [ "$st" = 200 ] || die "GET /api/overview as bs_monitor answered $st (want 200)"
    st=$(http_status bs_monitor "wrong-$MON_PW" /api/overview)
    [ "$st" = 401 ] || die "GET /api/overview with a wrong password answered $st (want 401)"
    check_loopback
    log "RabbitMQ $NODE: AMQP 127.0.0.1:$AMQP_PORT (barbican logs in, a wrong password is refused), management http://127.0.0.1:$MGMT_PORT (bs_monitor 200, wrong password 401), dist 127.0.0.1:$DIST_PORT"
}

# check_loopback: every TCP listener of beam.smp and of epmd is on loopback
# (epmd with ERL_EPMD_ADDRESS=127.0.0.1 also listens on [::1]: loopback too)
check_loopback() {
    local line addr bad="" n=0 want
    while read -r line; do
        addr=$(awk '{print $4}' <<< "$line")
        if [[ $line == *"pid=$BEAM,"* ]]; then
            n=$((n + 1))
            [[ $addr == 127.0.0.1:* ]] || bad+=" beam:$addr"
        elif [[ $line == *'"epmd"'* ]]; then
            [[ $addr == 127.0.0.1:* || $addr == '[::1]:'* ]] || bad+=" epmd:$addr"
        fi
    done < <(ss -Htlnp 2>/dev/null)
    [ -z "$bad" ] || die "listening outside loopback:$bad"
    for want in "$AMQP_PORT" "$MGMT_PORT" "$DIST_PORT"; do
        ss -Htlnp "sport = :$want" | grep -q "127.0.0.1:$want .*pid=$BEAM," ||
            die "beam.smp ($BEAM) does not listen on 127.0.0.1:$want"
    done
    [ "$n" = 3 ] || die "beam.smp ($BEAM) has $n TCP listeners, expected 3 (AMQP, management, distribution)"
}

stop_beam() {
    local pid i
    pid=$(beam_pid) || {
        [ -s "$PIDF" ] && log "stale $PIDF ($(cat "$PIDF")): not our beam.smp; dropped"
        rm -f "$PIDF"
        return 0
    }
    kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 1 300); do
        kill -0 "$pid" 2>/dev/null || break
        # a zombie (PID 1 reaps late) holds nothing
        [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" = Z ] && break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null && [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" != Z ]; then
        warn "beam.smp $pid still running after 30 s; SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
        sleep 0.2
    fi
    wait "$pid" 2>/dev/null || true
    rm -f "$PIDF"
    log "RabbitMQ $NODE stopped (pid $pid)"
}

# stop_epmd_if_unused: epmd is shared by all Erlang nodes of the host; end it
# only when no node is registered any more and it runs as rabbitmq
stop_epmd_if_unused() {
    local p names
    exec 7> "$EPMD_LOCK"
    flock -w 120 7 || { warn "cannot take $EPMD_LOCK; epmd left running"; return 0; }
    for p in /proc/[0-9]*; do
        [ "$(cat "$p/comm" 2>/dev/null)" = epmd ] || continue
        [ "$(stat -c %U "$p")" = rabbitmq ] || continue
        names=$(ERL_EPMD_ADDRESS=127.0.0.1 epmd -names 2>/dev/null | grep -c '^name ' || true)
        if [ "$names" = 0 ]; then
            kill -TERM "${p#/proc/}" 2>/dev/null && log "epmd (pid ${p#/proc/}) had no node registered any more: stopped"
        else
            log "epmd (pid ${p#/proc/}) still serves $names other node(s): left running"
        fi
    done
    exec 7>&-
}

cmd_start() {
    local tries
    need_root
    need_cmd "$RMQ_SERVER" rabbitmq-server
    need_user rabbitmq rabbitmq-server
    prepare_dir "$DIR" rabbitmq
    load_state || true
    PW=${BS_TESTENV_RMQ_PASSWORD:-${PW:-$(rand_hex)}}
    MON_PW=${BS_TESTENV_RMQ_MONITOR_PASSWORD:-${MON_PW:-$(rand_hex)}}
    ADMIN_PW=${BS_TESTENV_RMQ_ADMIN_PASSWORD:-${ADMIN_PW:-$(rand_hex)}}
    if BEAM=$(beam_pid); then
        log "RabbitMQ $NODE already running (pid $BEAM); re-checking"
        verify
        return 0
    fi
    rm -f "$PIDF"
    for tries in 1 2 3; do
        AMQP_PORT=$(pick_port "${BS_TESTENV_RMQ_PORT:-}" "${AMQP_PORT:-}")
        MGMT_PORT=$(pick_port "${BS_TESTENV_RMQ_MGMT_PORT:-}" "${MGMT_PORT:-}")
        DIST_PORT=$(pick_port "${BS_TESTENV_RMQ_DIST_PORT:-}" "${DIST_PORT:-}")
        [ "$AMQP_PORT" != "$MGMT_PORT" ] && [ "$AMQP_PORT" != "$DIST_PORT" ] && [ "$MGMT_PORT" != "$DIST_PORT" ] ||
            { AMQP_PORT=""; MGMT_PORT=""; DIST_PORT=""; continue; }
        write_files
        log "starting RabbitMQ $NODE: AMQP 127.0.0.1:$AMQP_PORT, management 127.0.0.1:$MGMT_PORT, dist 127.0.0.1:$DIST_PORT"
        # hold the epmd lock until our node is registered (a concurrent stop
        # must not end the epmd this node is registering with)
        exec 7> "$EPMD_LOCK"
        flock -w 120 7 || die "cannot take $EPMD_LOCK"
        EPMD_LOCKED=1
        launch
        [ "$EPMD_LOCKED" = 0 ] || exec 7>&-
        EPMD_LOCKED=0
        [ "$LAUNCH_RC" = 0 ] && break
        warn "a port was taken meanwhile; retrying with new ones"
        AMQP_PORT=""; MGMT_PORT=""; DIST_PORT=""
    done
    [ "$LAUNCH_RC" = 0 ] || die "RabbitMQ could not bind its ports after 3 tries"
    make_users
    write_state
    verify
}

cmd_env() {
    load_state || die "RabbitMQ was never started in $DIR"
    BEAM=$(beam_pid) || die "RabbitMQ is not running in $DIR"
    [ "$(mgmt GET /api/overview -o /dev/null | tail -n1)" = 200 ] || die "RabbitMQ's management API does not answer"
    write_state
    grep '^export ' "$STATE"
}

case "$SUB" in
    start)  cmd_start ;;
    stop)   need_root; stop_beam; stop_epmd_if_unused ;;
    env)    cmd_env ;;
    status) load_state && BEAM=$(beam_pid) && [ "$(mgmt GET /api/overview -o /dev/null 2>/dev/null | tail -n1)" = 200 ] ;;
    *)      usage ;;
esac
