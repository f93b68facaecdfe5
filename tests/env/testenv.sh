#!/bin/bash
# tests/env/testenv.sh -- the whole test environment in one go: a private
# PostgreSQL 15, a private MariaDB 10.11 and a two-node Galera cluster
# (mariadb.sh), template databases with the real Barbican schema, and the real
# barbican-api 15.0.1 under uwsgi (one on PostgreSQL, one on MariaDB), all on
# 127.0.0.1, all under DIR.
#
#   testenv.sh up DIR      install missing packages (scripts/install-deps.sh --test),
#                          start everything, verify it, write DIR/env.sh and DIR/env.json
#   testenv.sh down DIR    stop everything `up` started (pidfiles checked against
#                          /proc/PID/cmdline); safe to call twice, or after a failed up
#   testenv.sh env DIR     print DIR/env.sh (fails unless everything runs)
#   testenv.sh status DIR  exit 0 if PostgreSQL, MariaDB, Galera and both APIs run and answer
#
# `up` never skips: if a package cannot be installed or a service cannot be
# started or verified, it stops what it started, names what failed, exits 1.
# Knobs: BS_TESTENV_NO_INSTALL=1 (do not run apt-get: only check the packages),
# BS_TESTENV_KEEP=1 (on a failed `up`, leave things running for a post-mortem),
# and those of pg.sh and barbican-api.sh (BS_TESTENV_PG_*, BS_TESTENV_API_*).
# See tests/env/README.md for the variables and the env.json format.
set -euo pipefail
BS_SCRIPT=testenv.sh
# shellcheck source=tests/env/lib.sh
. "$(dirname "$(readlink -f "$0")")/lib.sh"

usage() { echo "usage: $0 up|down|env|status DIR" >&2; exit 2; }
[ $# -eq 2 ] || usage
SUB=$1
DIR=$(norm_dir "$2")
HERE=$BS_ENV_LIBDIR
ROOT=$(cd "$HERE/../.." && pwd)
PGSH=$HERE/pg.sh
APISH=$HERE/barbican-api.sh
TMPLSH=$HERE/templates.sh
MYSH=$HERE/mariadb.sh
RMQSH=$HERE/rabbitmq.sh
SVCSH=$HERE/barbican-services.sh
SSHSH=$HERE/sshd.sh
RMQ_BG=""
SVC_BG=""
# the barbican-api instance against MariaDB (files in DIR/api-my)
MY_API=api-my
GALERA_BG=""
ORACLE=$ROOT/tests/real/real-barbican-status.sh
INSTALL=$ROOT/scripts/install-deps.sh
# this script always uses the default API instance and database
unset BS_TESTENV_API_NAME BS_TESTENV_API_BACKEND

declare -A MS=()
STEP=""
step() {  # NAME: start timing a step
    STEP=$1
    STEP_T=$(now_us)
    log "== $1"
}
step_done() {
    MS[$STEP]=$(( ($(now_us) - STEP_T) / 1000 ))
    log "== $STEP done in $(since "$STEP_T")s"
    STEP=""
}

# stop_galera_bg: end the background `mariadb.sh galera-start` of a failed up
stop_galera_bg() {
    [ -n "$GALERA_BG" ] || return 0
    if kill -0 "$GALERA_BG" 2>/dev/null; then
        log "stopping the background Galera start (pid $GALERA_BG)"
        kill -TERM "$GALERA_BG" 2>/dev/null || true
    fi
    wait "$GALERA_BG" 2>/dev/null || true
    GALERA_BG=""
}

# stop_bg VAR NAME: end a background start of a failed up (its service is
# then stopped by cmd_down through its pidfile)
stop_bg() {
    local pid=${!1}
    [ -n "$pid" ] || return 0
    if kill -0 "$pid" 2>/dev/null; then
        log "stopping the background $2 start (pid $pid)"
        kill -TERM "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
    printf -v "$1" '%s' ""
}

# wait_bg VAR NAME LOG: wait for a background start; die with its log if it failed
wait_bg() {
    local pid=${!1}
    if ! wait "$pid"; then
        printf -v "$1" '%s' ""
        tail_log "$3" 40
        die "$2 did not start (log $3)"
    fi
    printf -v "$1" '%s' ""
    sed 's/^/    /' "$3" >&2
}

on_up_exit() {
    local rc=$?
    [ "$rc" = 0 ] && return 0
    log "FAILED in step '${STEP:-?}' (exit $rc)"
    stop_galera_bg
    stop_bg SVC_BG "barbican-worker/listener"
    stop_bg RMQ_BG RabbitMQ
    if [ "${BS_TESTENV_KEEP:-0}" = 1 ]; then
        log "BS_TESTENV_KEEP=1: leaving whatever runs in $DIR; stop it with: $0 down $DIR"
    else
        log "stopping what was started"
        cmd_down || true
    fi
    rm -f "$DIR/env.sh" "$DIR/env.json"
    return "$rc"
}

write_status_conf() {
    local d=$DIR/status
    install -d -m 0700 "$d"
    # A small config in a directory of its own (Barbican's policy check looks
    # for policy.json next to every --config-file). Barbican's own
    # barbican-status reads it (and ignores the sections it does not know);
    # it is also a ready config for this project's barbican-status.
    ( umask 077
      cat > "$d/barbican.conf" <<EOF
# written by tests/env/testenv.sh for the test environment in $DIR
[DEFAULT]
sql_connection = postgresql+psycopg2://$BS_PG_USER:$BS_PG_PASSWORD@$BS_PG_HOST:$BS_PG_PORT/$BS_API_DB

[upgrade]
target_release = $BS_API_RELEASE

[node:api-1]
service = barbican-api
host = 127.0.0.1
url = $BS_API_URL
EOF
    )
}

write_status_conf_my() {
    local d=$DIR/status-my
    install -d -m 0700 "$d"
    ( umask 077
      cat > "$d/barbican.conf" <<EOF
# written by tests/env/testenv.sh for the test environment in $DIR (MariaDB)
[DEFAULT]
sql_connection = mysql+pymysql://$BS_MY_USER:$BS_MY_PASSWORD@$BS_MY_HOST:$BS_MY_PORT/$MY_API_DB

[upgrade]
target_release = $BS_API_RELEASE

[node:api-my]
service = barbican-api
host = 127.0.0.1
url = $MY_API_URL
EOF
    )
}

# my_api_check URL: a request that goes through the database: POST a secret
# (noauth pipeline, project from X-Project-Id), list it, and find its row in MariaDB
my_api_check() {
    local url=$1 out name
    name=bs-testenv-$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')
    out=$(curl -sS --noproxy '*' --max-time 20 -H 'X-Project-Id: bs-testenv' -H 'Content-Type: application/json' \
        -X POST -d "{\"name\": \"$name\", \"payload\": \"x\", \"payload_content_type\": \"text/plain\"}" \
        "$url/v1/secrets") || die "POST $url/v1/secrets failed"
    jq -e --arg p "$url/v1/secrets/" '.secret_ref | startswith($p)' <<< "$out" >/dev/null 2>&1 ||
        die "POST $url/v1/secrets answered: $out"
    out=$(curl -sS --noproxy '*' --max-time 20 -H 'X-Project-Id: bs-testenv' "$url/v1/secrets?name=$name") ||
        die "GET $url/v1/secrets failed"
    [ "$(jq -r '.total' <<< "$out" 2>/dev/null)" = 1 ] || die "GET $url/v1/secrets?name=$name answered: $out"
    out=$("$MYSH" sql "$DIR" -N -e "SELECT p.external_id FROM $MY_API_DB.secrets s JOIN $MY_API_DB.projects p ON p.id = s.project_id WHERE s.name = '$name'")
    [ "$out" = bs-testenv ] || die "the secret $name made through $url is not in MariaDB's $MY_API_DB.secrets ($out)"
    log "barbican-api on MariaDB: POST/GET /v1/secrets work, the row is in MariaDB $MY_API_DB.secrets"
}

oracle_smoke() {  # [status dir] (default DIR/status)
    local out rc=0 name sd=${1:-$DIR/status}
    out=$("$ORACLE" --config-file "$sd/barbican.conf" upgrade check --json 2> "$sd/upgrade-check.err") || rc=$?
    printf '%s\n' "$out" > "$sd/upgrade-check.json"
    if [ "$rc" != 0 ]; then
        tail_log "$sd/upgrade-check.err" 20
        die "Barbican's own barbican-status upgrade check --json exited $rc: $out"
    fi
    name=$(jq -r '.checks[0].check + " = " + (.checks[0].result | tostring)' <<< "$out" 2>/dev/null) ||
        die "Barbican's own barbican-status printed no JSON: $out"
    log "Barbican's own barbican-status upgrade check --json ($sd/barbican.conf): $name (exit 0)"
}

write_env() {
    local tmp total=$1
    tmp=$(mktemp "$DIR/.env.sh.XXXXXX")
    chmod 0600 "$tmp"
    {
        echo "# written by tests/env/testenv.sh up $DIR -- source it, or: eval \"\$(tests/env/testenv.sh env $DIR)\""
        echo "export BS_TESTENV_DIR=$(sq "$DIR")"
        grep '^export ' "$DIR/pg.env"
        echo "export BS_TMPL_14X=$(sq tmpl_14x)"
        echo "export BS_TMPL_15X=$(sq tmpl_15x)"
        echo "export BS_REV_14X=$(sq "$BS_REV_14X")"
        echo "export BS_REV_15X=$(sq "$BS_REV_15X")"
        grep '^export ' "$DIR/api.env"
        echo "export BS_SQL_CONNECTION=$(sq "postgresql+psycopg2://$BS_PG_USER:$BS_PG_PASSWORD@$BS_PG_HOST:$BS_PG_PORT/$BS_API_DB")"
        echo "export BS_CONF=$(sq "$DIR/status/barbican.conf")"
        grep '^export ' "$DIR/my.env"
        grep '^export ' "$DIR/galera.env"
        # the barbican-api instance on MariaDB, under BS_API_MY_*
        grep '^export BS_API_' "$DIR/$MY_API.env" | sed 's/^export BS_API_/export BS_API_MY_/'
        echo "export BS_MY_SQL_CONNECTION=$(sq "mysql+pymysql://$BS_MY_USER:$BS_MY_PASSWORD@$BS_MY_HOST:$BS_MY_PORT/$MY_API_DB")"
        echo "export BS_MY_CONF=$(sq "$DIR/status-my/barbican.conf")"
        grep '^export ' "$DIR/rabbitmq.env"
        grep '^export ' "$DIR/services.env"
        grep '^export ' "$DIR/sshd.env"
    } > "$tmp"
    mv -f "$tmp" "$DIR/env.sh"

    # env.json: the same, structured, for programs (jq builds it: proper escaping)
    (
        # shellcheck disable=SC1091
        . "$DIR/env.sh"
        ms=$(for k in "${!MS[@]}"; do printf '%s\t%s\n' "$k" "${MS[$k]}"; done)
        keys=$(sed -n 's/^export \([A-Z0-9_]*\)=.*/\1/p' "$DIR/env.sh")
        jq -n --arg ms "$ms" --arg keys "$keys" --argjson total "$total" '
          def n: tonumber;
          ($keys | split("\n")) as $k
          | ($ENV | with_entries(select(.key as $x | any($k[]; . == $x)))) as $e
          | {
              schema: "barbican-status-testenv/1",
              dir: $e.BS_TESTENV_DIR,
              pg: {
                host: $e.BS_PG_HOST, port: ($e.BS_PG_PORT | n),
                user: $e.BS_PG_USER, password: $e.BS_PG_PASSWORD,
                admin: $e.BS_PG_ADMIN, admin_argv: ($e.BS_PG_ADMIN | split(" ")),
                dir: $e.BS_PG_DIR, sockdir: $e.BS_PG_SOCKDIR, log: $e.BS_PG_LOG, bin: $e.BS_PG_BIN
              },
              templates: { ($e.BS_TMPL_14X): $e.BS_REV_14X, ($e.BS_TMPL_15X): $e.BS_REV_15X },
              api: {
                url: $e.BS_API_URL, port: ($e.BS_API_PORT | n), log: $e.BS_API_LOG,
                pid: ($e.BS_API_PID | n), db: $e.BS_API_DB, release: $e.BS_API_RELEASE,
                disable_file: $e.BS_API_DISABLE_FILE, dir: $e.BS_API_DIR
              },
              sql_connection: $e.BS_SQL_CONNECTION,
              conf: $e.BS_CONF,
              mariadb: {
                host: $e.BS_MY_HOST, port: ($e.BS_MY_PORT | n),
                user: $e.BS_MY_USER, password: $e.BS_MY_PASSWORD,
                ro_user: $e.BS_MY_RO_USER, ro_password: $e.BS_MY_RO_PASSWORD,
                socket: $e.BS_MY_SOCKET, admin: $e.BS_MY_ADMIN, admin_argv: ($e.BS_MY_ADMIN | split(" ")),
                newdb: $e.BS_MY_NEWDB, newdb_argv: ($e.BS_MY_NEWDB | split(" ")),
                dir: $e.BS_MY_DIR, log: $e.BS_MY_LOG,
                templates: { tmpl_14x: $e.BS_MY_TMPL_14X_SQL, tmpl_15x: $e.BS_MY_TMPL_15X_SQL },
                sql_connection: $e.BS_MY_SQL_CONNECTION, conf: $e.BS_MY_CONF
              },
              galera: {
                host: $e.BS_GALERA_HOST, cluster_name: $e.BS_GALERA_CLUSTER_NAME,
                nodes: [
                  { port: ($e.BS_GALERA1_PORT | n), gcomm_port: ($e.BS_GALERA1_GCOMM_PORT | n),
                    socket: $e.BS_GALERA1_SOCKET, log: $e.BS_GALERA1_LOG,
                    admin: $e.BS_GALERA1_ADMIN, admin_argv: ($e.BS_GALERA1_ADMIN | split(" ")) },
                  { port: ($e.BS_GALERA2_PORT | n), gcomm_port: ($e.BS_GALERA2_GCOMM_PORT | n),
                    socket: $e.BS_GALERA2_SOCKET, log: $e.BS_GALERA2_LOG,
                    admin: $e.BS_GALERA2_ADMIN, admin_argv: ($e.BS_GALERA2_ADMIN | split(" ")) }
                ],
                templates: { tmpl_14x: $e.BS_GALERA_TMPL_14X_SQL, tmpl_15x: $e.BS_GALERA_TMPL_15X_SQL }
              },
              api_mariadb: {
                url: $e.BS_API_MY_URL, port: ($e.BS_API_MY_PORT | n), log: $e.BS_API_MY_LOG,
                pid: ($e.BS_API_MY_PID | n), db: $e.BS_API_MY_DB, release: $e.BS_API_MY_RELEASE,
                disable_file: $e.BS_API_MY_DISABLE_FILE, dir: $e.BS_API_MY_DIR, v1: "noauth"
              },
              rabbitmq: {
                host: $e.BS_RMQ_HOST, port: ($e.BS_RMQ_PORT | n), node: $e.BS_RMQ_NODE,
                mgmt_url: $e.BS_RMQ_MGMT_URL, mgmt_port: ($e.BS_RMQ_MGMT_PORT | n),
                dist_port: ($e.BS_RMQ_DIST_PORT | n),
                user: $e.BS_RMQ_USER, password: $e.BS_RMQ_PASSWORD, vhost: $e.BS_RMQ_VHOST,
                transport_url: $e.BS_RMQ_TRANSPORT_URL,
                monitor_user: $e.BS_RMQ_MONITOR_USER, monitor_password: $e.BS_RMQ_MONITOR_PASSWORD,
                admin_user: $e.BS_RMQ_ADMIN_USER, admin_password: $e.BS_RMQ_ADMIN_PASSWORD,
                pid: ($e.BS_RMQ_PID | n), pidfile: $e.BS_RMQ_PIDFILE, dir: $e.BS_RMQ_DIR, log: $e.BS_RMQ_LOG
              },
              services: {
                conf: $e.BS_SERVICES_CONF, dir: $e.BS_SERVICES_DIR,
                ctl: $e.BS_SERVICES_CTL,
                worker: { prog: $e.BS_WORKER_PROG, pid: ($e.BS_WORKER_PID | n),
                          pidfile: $e.BS_WORKER_PIDFILE, log: $e.BS_WORKER_LOG },
                listener: { prog: $e.BS_LISTENER_PROG, pid: ($e.BS_LISTENER_PID | n),
                            pidfile: $e.BS_LISTENER_PIDFILE, log: $e.BS_LISTENER_LOG }
              },
              ssh: {
                host: $e.BS_SSH_HOST, port: ($e.BS_SSH_PORT | n), user: $e.BS_SSH_USER,
                key: $e.BS_SSH_KEY, known_hosts: $e.BS_SSH_KNOWN_HOSTS,
                argv: ($e.BS_SSH_ARGV | split(" ")), pid: ($e.BS_SSH_PID | n),
                pidfile: $e.BS_SSH_PIDFILE, config: $e.BS_SSH_CONFIG, log: $e.BS_SSH_LOG
              },
              timings_ms: ( [ $ms | split("\n")[] | select(length > 0) | split("\t")
                              | {key: .[0], value: (.[1] | n)} ] | from_entries
                            + {total: $total} ),
              env: ($e | to_entries | sort_by(.key) | from_entries)
            }' > "$DIR/.env.json.tmp"
    )
    chmod 0600 "$DIR/.env.json.tmp"
    mv -f "$DIR/.env.json.tmp" "$DIR/env.json"
}

cmd_up() {
    local t0 envtxt
    t0=$(now_us)
    need_root
    trap on_up_exit EXIT
    trap 'log "interrupted"; exit 130' INT TERM HUP

    step install
    if [ "${BS_TESTENV_NO_INSTALL:-0}" = 1 ]; then
        "$INSTALL" --test --check || die "packages missing (BS_TESTENV_NO_INSTALL=1): run $INSTALL --test"
    else
        "$INSTALL" --test || die "could not install the packages (see above)"
    fi
    step_done

    step postgresql
    "$PGSH" start "$DIR"
    envtxt=$("$PGSH" env "$DIR")
    eval "$envtxt"
    step_done

    step mariadb
    "$MYSH" start "$DIR"
    envtxt=$("$MYSH" env "$DIR")
    eval "$envtxt"
    step_done

    # the Galera cluster starts in the background (its SST is mostly waiting)
    # while PostgreSQL's templates and the APIs start; waited for below
    GALERA_T=$(now_us)
    log "== galera (in the background; log $DIR/galera-start.log)"
    "$MYSH" galera-start "$DIR" > "$DIR/galera-start.log" 2>&1 &
    GALERA_BG=$!

    # RabbitMQ too (Erlang boots in ~5-10 s); waited for before the services
    RMQ_T=$(now_us)
    log "== rabbitmq (in the background; log $DIR/rabbitmq-start.log)"
    "$RMQSH" start "$DIR" > "$DIR/rabbitmq-start.log" 2>&1 &
    RMQ_BG=$!

    step sshd
    "$SSHSH" start "$DIR"
    step_done

    step templates
    "$TMPLSH" create "$DIR"
    step_done

    step barbican-api
    "$APISH" start "$DIR"
    envtxt=$("$APISH" env "$DIR")
    eval "$envtxt"
    step_done

    step barbican-api-mariadb
    BS_TESTENV_API_NAME=$MY_API BS_TESTENV_API_BACKEND=mariadb BS_TESTENV_API_V1=noauth \
        BS_TESTENV_API_DB=barbican_api "$APISH" start "$DIR"
    MY_API_URL=$(read_kv "$DIR/$MY_API.env" BS_API_URL)
    MY_API_DB=$(read_kv "$DIR/$MY_API.env" BS_API_DB)
    my_api_check "$MY_API_URL"
    step_done

    step rabbitmq
    wait_bg RMQ_BG RabbitMQ "$DIR/rabbitmq-start.log"
    "$RMQSH" status "$DIR" || die "RabbitMQ does not answer after its start"
    step_done
    MS[rabbitmq]=$(( ($(now_us) - RMQ_T) / 1000 ))

    # the worker and listener need the broker and the API's database; they
    # import Barbican for a few seconds: in the background during the oracle
    SVC_T=$(now_us)
    log "== barbican-services (in the background; log $DIR/services-start.log)"
    "$SVCSH" start "$DIR" > "$DIR/services-start.log" 2>&1 &
    SVC_BG=$!

    step oracle
    write_status_conf
    oracle_smoke
    write_status_conf_my
    oracle_smoke "$DIR/status-my"
    step_done

    step galera
    if ! wait "$GALERA_BG"; then
        GALERA_BG=""
        tail_log "$DIR/galera-start.log" 40
        die "the Galera cluster did not start (log $DIR/galera-start.log)"
    fi
    GALERA_BG=""
    sed 's/^/    /' "$DIR/galera-start.log" >&2
    "$MYSH" galera-status "$DIR" >/dev/null || die "Galera is not Synced with 2 nodes after its start"
    step_done
    MS[galera]=$(( ($(now_us) - GALERA_T) / 1000 ))

    step barbican-services
    wait_bg SVC_BG "barbican-worker/barbican-keystone-listener" "$DIR/services-start.log"
    "$SVCSH" status "$DIR" || die "barbican-worker/listener not connected to RabbitMQ after their start"
    step_done
    MS[barbican-services]=$(( ($(now_us) - SVC_T) / 1000 ))

    write_env "$(( ($(now_us) - t0) / 1000 ))"
    trap - EXIT INT TERM HUP
    log "test environment up in $(since "$t0")s:" \
        "install-check ${MS[install]}ms, postgresql ${MS[postgresql]}ms, templates ${MS[templates]}ms," \
        "mariadb ${MS[mariadb]}ms, barbican-api ${MS[barbican-api]}ms," \
        "barbican-api-mariadb ${MS[barbican-api-mariadb]}ms, oracle ${MS[oracle]}ms," \
        "galera ${MS[galera]}ms (in the background from the end of the mariadb step)," \
        "sshd ${MS[sshd]}ms, rabbitmq ${MS[rabbitmq]}ms (in the background from the end of the mariadb step)," \
        "barbican-services ${MS[barbican-services]}ms (in the background from the end of the rabbitmq step)"
    log "PostgreSQL 127.0.0.1:$BS_PG_PORT   MariaDB 127.0.0.1:$BS_MY_PORT   Galera 127.0.0.1:$(read_kv "$DIR/galera.env" BS_GALERA1_PORT),$(read_kv "$DIR/galera.env" BS_GALERA2_PORT)"
    log "barbican-api $BS_API_URL (PostgreSQL)   $MY_API_URL (MariaDB, noauth /v1)   env: $DIR/env.sh, $DIR/env.json"
    log "RabbitMQ amqp://127.0.0.1:$(read_kv "$DIR/rabbitmq.env" BS_RMQ_PORT) management $(read_kv "$DIR/rabbitmq.env" BS_RMQ_MGMT_URL)   worker pid $(read_kv "$DIR/services.env" BS_WORKER_PID), listener pid $(read_kv "$DIR/services.env" BS_LISTENER_PID)   sshd 127.0.0.1:$(read_kv "$DIR/sshd.env" BS_SSH_PORT)"
    log "use it: eval \"\$($0 env $DIR)\"    stop it: $0 down $DIR"
}

# cmd_down: returns 1 (never exits) when something could not be stopped, so
# that it can run from the EXIT trap of a failed `up`.
cmd_down() {
    local t0 rc=0
    t0=$(now_us)
    local ini name rmq_stop=""
    # the worker, listener and extra workers first (they leave the broker
    # cleanly), then RabbitMQ in the background while the rest stops
    "$SVCSH" stop "$DIR" || { rc=1; warn "barbican-worker/listener stop failed"; }
    "$RMQSH" stop "$DIR" &
    rmq_stop=$!
    "$SSHSH" stop "$DIR" || { rc=1; warn "sshd stop failed"; }
    # every barbican-api instance of DIR: the default "api" and any that a test
    # started with BS_TESTENV_API_NAME
    for ini in "$DIR"/*/uwsgi.ini; do
        [ -e "$ini" ] || continue
        name=$(basename "$(dirname "$ini")")
        BS_TESTENV_API_NAME=$name "$APISH" stop "$DIR" || { rc=1; warn "barbican-api ($name) stop failed"; }
    done
    "$MYSH" galera-stop "$DIR" || { rc=1; warn "Galera stop failed"; }
    "$MYSH" stop "$DIR" || { rc=1; warn "MariaDB stop failed"; }
    "$PGSH" stop "$DIR" || { rc=1; warn "PostgreSQL stop failed"; }
    wait "$rmq_stop" || { rc=1; warn "RabbitMQ stop failed"; }
    rm -f "$DIR/env.sh" "$DIR/env.json"
    if [ "$rc" != 0 ]; then
        log "ERROR: down did not finish cleanly (see above)"
        return 1
    fi
    log "down in $(since "$t0")s (files left in $DIR; remove it when done)"
}

cmd_env() {
    "$PGSH" status "$DIR" >/dev/null || die "PostgreSQL is not running in $DIR; run: $0 up $DIR"
    "$APISH" status "$DIR" >/dev/null || die "barbican-api is not running in $DIR; run: $0 up $DIR"
    "$MYSH" status "$DIR" >/dev/null || die "MariaDB is not running in $DIR; run: $0 up $DIR"
    "$MYSH" galera-status "$DIR" >/dev/null || die "the Galera cluster is not running (and Synced) in $DIR; run: $0 up $DIR"
    BS_TESTENV_API_NAME=$MY_API "$APISH" status "$DIR" >/dev/null ||
        die "barbican-api on MariaDB is not running in $DIR; run: $0 up $DIR"
    "$RMQSH" status "$DIR" || die "RabbitMQ is not running in $DIR; run: $0 up $DIR"
    "$SVCSH" status "$DIR" || die "barbican-worker/listener are not running (connected) in $DIR; run: $0 up $DIR"
    "$SSHSH" status "$DIR" || die "sshd is not running in $DIR; run: $0 up $DIR"
    [ -s "$DIR/env.sh" ] || die "$DIR/env.sh missing; run: $0 up $DIR"
    grep '^export ' -- "$DIR/env.sh"
}

cmd_status() {
    local rc=0
    if "$PGSH" status "$DIR" >/dev/null; then echo "postgresql: running"; else echo "postgresql: stopped"; rc=1; fi
    if "$APISH" status "$DIR" >/dev/null; then echo "barbican-api: running"; else echo "barbican-api: stopped"; rc=1; fi
    if "$MYSH" status "$DIR" >/dev/null; then echo "mariadb: running"; else echo "mariadb: stopped"; rc=1; fi
    if "$MYSH" galera-status "$DIR" >/dev/null; then echo "galera: running (2 nodes, Synced)"; else echo "galera: stopped"; rc=1; fi
    if BS_TESTENV_API_NAME=$MY_API "$APISH" status "$DIR" >/dev/null; then
        echo "barbican-api-mariadb: running"
    else
        echo "barbican-api-mariadb: stopped"; rc=1
    fi
    if "$RMQSH" status "$DIR"; then echo "rabbitmq: running"; else echo "rabbitmq: stopped"; rc=1; fi
    if "$SVCSH" status "$DIR"; then echo "barbican-worker, barbican-keystone-listener: running (connected)"; else echo "barbican-worker, barbican-keystone-listener: stopped"; rc=1; fi
    if "$SSHSH" status "$DIR"; then echo "sshd: running"; else echo "sshd: stopped"; rc=1; fi
    return "$rc"
}

# one up/down at a time per DIR
lock_dir() {
    [ -d "$DIR" ] || return 0
    exec 8> "$DIR/.testenv.lock"
    flock -w 300 8 || die "another testenv.sh up/down holds $DIR/.testenv.lock"
}

case "$SUB" in
    up)     need_root; prepare_dir "$DIR"; lock_dir; cmd_up ;;
    down)   if [ -d "$DIR" ]; then need_root; lock_dir; cmd_down || exit 1; else log "no $DIR: nothing to stop"; fi ;;
    env)    cmd_env ;;
    status) cmd_status ;;
    *)      usage ;;
esac
