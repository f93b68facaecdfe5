#!/bin/bash
# tests/env/testenv.sh -- the whole test environment in one go: a private
# PostgreSQL 15, template databases with the real Barbican schema, and the real
# barbican-api 15.0.1 under uwsgi, all on 127.0.0.1, all under DIR.
#
#   testenv.sh up DIR      install missing packages (scripts/install-deps.sh --test),
#                          start everything, verify it, write DIR/env.sh and DIR/env.json
#   testenv.sh down DIR    stop everything `up` started (pidfiles checked against
#                          /proc/PID/cmdline); safe to call twice, or after a failed up
#   testenv.sh env DIR     print DIR/env.sh (fails unless everything runs)
#   testenv.sh status DIR  exit 0 if PostgreSQL and barbican-api run and answer
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
ORACLE=$ROOT/tests/real/real-barbican-status.sh
INSTALL=$ROOT/scripts/install-deps.sh
# this script always uses the default API instance and database
unset BS_TESTENV_API_NAME

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

on_up_exit() {
    local rc=$?
    [ "$rc" = 0 ] && return 0
    log "FAILED in step '${STEP:-?}' (exit $rc)"
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

oracle_smoke() {
    local out rc=0 name
    out=$("$ORACLE" --config-file "$DIR/status/barbican.conf" upgrade check --json 2> "$DIR/status/upgrade-check.err") || rc=$?
    printf '%s\n' "$out" > "$DIR/status/upgrade-check.json"
    if [ "$rc" != 0 ]; then
        tail_log "$DIR/status/upgrade-check.err" 20
        die "Barbican's own barbican-status upgrade check --json exited $rc: $out"
    fi
    name=$(jq -r '.checks[0].check + " = " + (.checks[0].result | tostring)' <<< "$out" 2>/dev/null) ||
        die "Barbican's own barbican-status printed no JSON: $out"
    log "Barbican's own barbican-status upgrade check --json: $name (exit 0)"
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

    step templates
    "$TMPLSH" create "$DIR"
    step_done

    step barbican-api
    "$APISH" start "$DIR"
    envtxt=$("$APISH" env "$DIR")
    eval "$envtxt"
    step_done

    step oracle
    write_status_conf
    oracle_smoke
    step_done

    write_env "$(( ($(now_us) - t0) / 1000 ))"
    trap - EXIT INT TERM HUP
    log "test environment up in $(since "$t0")s:" \
        "install-check ${MS[install]}ms, postgresql ${MS[postgresql]}ms, templates ${MS[templates]}ms," \
        "barbican-api ${MS[barbican-api]}ms, oracle ${MS[oracle]}ms"
    log "PostgreSQL 127.0.0.1:$BS_PG_PORT   barbican-api $BS_API_URL   env: $DIR/env.sh, $DIR/env.json"
    log "use it: eval \"\$($0 env $DIR)\"    stop it: $0 down $DIR"
}

# cmd_down: returns 1 (never exits) when something could not be stopped, so
# that it can run from the EXIT trap of a failed `up`.
cmd_down() {
    local t0 rc=0
    t0=$(now_us)
    local ini name
    # every barbican-api instance of DIR: the default "api" and any that a test
    # started with BS_TESTENV_API_NAME
    for ini in "$DIR"/*/uwsgi.ini; do
        [ -e "$ini" ] || continue
        name=$(basename "$(dirname "$ini")")
        BS_TESTENV_API_NAME=$name "$APISH" stop "$DIR" || { rc=1; warn "barbican-api ($name) stop failed"; }
    done
    "$PGSH" stop "$DIR" || { rc=1; warn "PostgreSQL stop failed"; }
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
    [ -s "$DIR/env.sh" ] || die "$DIR/env.sh missing; run: $0 up $DIR"
    grep '^export ' -- "$DIR/env.sh"
}

cmd_status() {
    local rc=0
    if "$PGSH" status "$DIR" >/dev/null; then echo "postgresql: running"; else echo "postgresql: stopped"; rc=1; fi
    if "$APISH" status "$DIR" >/dev/null; then echo "barbican-api: running"; else echo "barbican-api: stopped"; rc=1; fi
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
