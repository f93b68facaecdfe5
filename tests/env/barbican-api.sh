#!/bin/bash
# tests/env/barbican-api.sh -- the REAL barbican-api (Debian 12, 15.0.1) under
# uwsgi on 127.0.0.1, against the private PostgreSQL of tests/env/pg.sh.
#
#   barbican-api.sh start DIR    start (idempotent), wait for /healthcheck, verify
#   barbican-api.sh stop DIR     stop it (SIGTERM to the uwsgi master); idempotent
#   barbican-api.sh env DIR      print BS_API_* shell assignments (fails if not running)
#   barbican-api.sh status DIR   exit 0 if running and answering /healthcheck
#
# What runs: /usr/bin/uwsgi_python3 as user barbican with a private copy of
# Debian's /etc/barbican/barbican-api-uwsgi.ini in DIR/api/uwsgi.ini. Kept from
# Debian's ini: everything that shapes the HTTP answers (rem-header =
# Content-Length, add-header = Connection: close, buffer-size, die-on-term,
# lazy-apps, master, ...). Changed: http-socket 127.0.0.1:PORT, processes and
# threads, logto/chdir into DIR/api, and the app is loaded from a private copy
# of the paste ini (DIR/api/barbican-api-paste.ini) whose only change is
# disable_by_file_path = DIR/api/healthcheck_disable (touch that file to drain
# this API: /healthcheck answers 503 "DISABLED BY FILE"), plus, with
# BS_TESTENV_API_V1=noauth, "/v1: barbican_api" (no Keystone; send
# X-Project-Id). Files under /etc/barbican are only read, never changed
# (/etc/barbican/barbican.conf is still read by Barbican's config loader).
# The database URL reaches the API through OS_DEFAULT__SQL_CONNECTION; its
# database (default barbican_api) is created from tmpl_15x when missing.
#
# Knobs (inputs):
#   BS_TESTENV_API_NAME       instance name, default "api" (files in DIR/NAME,
#                             assignments in DIR/NAME.env); several instances
#                             may share one database, as in a real deployment
#   BS_TESTENV_API_DB         database name (default barbican_api)
#   BS_TESTENV_API_BACKEND    pg (default: the private PostgreSQL of pg.sh) or
#                             mariadb (the private MariaDB of mariadb.sh, URL
#                             mysql+pymysql://...; the database is made from
#                             its tmpl_15x dump when missing)
#   BS_TESTENV_API_PORT       fixed port (default: previous one if free, else a free one)
#   BS_TESTENV_API_PROCESSES  uwsgi processes (default 2; Debian says 8)
#   BS_TESTENV_API_THREADS    threads per process (default 4; Debian says 32)
#   BS_TESTENV_API_V1         keystone (default, as Debian ships) | noauth
#   BS_TESTENV_API_TIMEOUT    seconds to wait for /healthcheck (default 60)
set -euo pipefail
BS_SCRIPT=barbican-api.sh
# shellcheck source=tests/env/lib.sh
. "$(dirname "$(readlink -f "$0")")/lib.sh"

usage() { echo "usage: $0 start|stop|env|status DIR" >&2; exit 2; }

[ $# -eq 2 ] || usage
SUB=$1
DIR=$(norm_dir "$2")
INST=${BS_TESTENV_API_NAME:-api}
[[ $INST =~ ^[a-z][a-z0-9_-]{0,30}$ ]] || die "BS_TESTENV_API_NAME must match [a-z][a-z0-9_-]*"
ADIR=$DIR/$INST
INI=$ADIR/uwsgi.ini
PIDF=$ADIR/uwsgi.pid
ALOG=$ADIR/barbican-api.log
STATE=$DIR/$INST.env
PGSH=$BS_ENV_LIBDIR/pg.sh
MYSH=$BS_ENV_LIBDIR/mariadb.sh
BACKEND=${BS_TESTENV_API_BACKEND:-pg}
case "$BACKEND" in pg|mariadb) ;; *) die "BS_TESTENV_API_BACKEND must be pg or mariadb, not '$BACKEND'" ;; esac
TMPLSH=$BS_ENV_LIBDIR/templates.sh
DEB_INI=/etc/barbican/barbican-api-uwsgi.ini
DEB_PASTE=/etc/barbican/barbican-api-paste.ini
CURL=(curl -sS --noproxy '*' --max-time 5)

uwsgi_bin() {
    local b
    # uwsgi-plugin-python3 ships /usr/bin/uwsgi_python311 and registers the
    # alternative /usr/bin/uwsgi_python3 (what Debian's init script runs).
    for b in /usr/bin/uwsgi_python3 /usr/bin/uwsgi_python311 /usr/bin/uwsgi_python3[0-9]*; do
        [ -x "$b" ] && { echo "$b"; return 0; }
    done
    die "no /usr/bin/uwsgi_python3* (packages uwsgi-core, uwsgi-plugin-python3); run scripts/install-deps.sh --test"
}

master_pid() {
    local pid
    [ -s "$PIDF" ] || return 1
    pid=$(cat "$PIDF")
    pid_matches "$pid" "$INI" || return 1
    echo "$pid"
}

healthy() {  # URL
    "${CURL[@]}" -f -o /dev/null "$1/healthcheck" 2>/dev/null
}

installed_release() {
    dpkg-query -W -f='${Version}' python3-barbican 2>/dev/null | sed 's/^[0-9]*://; s/-[^-]*$//'
}

# write_config PORT: private uwsgi ini, paste ini and wsgi script in ADIR.
write_config() {
    local port=$1 procs=${BS_TESTENV_API_PROCESSES:-2} threads=${BS_TESTENV_API_THREADS:-4}
    local v1=${BS_TESTENV_API_V1:-keystone} key
    [[ $procs =~ ^[1-9][0-9]?$ ]] || die "BS_TESTENV_API_PROCESSES: not a number: $procs"
    [[ $threads =~ ^[1-9][0-9]?$ ]] || die "BS_TESTENV_API_THREADS: not a number: $threads"

    sed -e "s|^disable_by_file_path = .*|disable_by_file_path = $ADIR/healthcheck_disable|" \
        "$DEB_PASTE" > "$ADIR/barbican-api-paste.ini"
    case "$v1" in
        keystone) ;;
        noauth) sed -i 's|^/v1: barbican-api-keystone$|/v1: barbican_api|' "$ADIR/barbican-api-paste.ini"
                grep -q '^/v1: barbican_api$' "$ADIR/barbican-api-paste.ini" ||
                    die "could not switch /v1 to the barbican_api pipeline in the paste ini copy" ;;
        *) die "BS_TESTENV_API_V1 must be keystone or noauth, not '$v1'" ;;
    esac
    grep -q "^disable_by_file_path = $ADIR/healthcheck_disable\$" "$ADIR/barbican-api-paste.ini" ||
        die "$DEB_PASTE has no disable_by_file_path line to redirect"

    # /usr/bin/barbican-wsgi-api hard-codes /etc/barbican/barbican-api-paste.ini;
    # this is its application part with the private paste ini.
    cat > "$ADIR/barbican-wsgi-api.py" <<EOF
# written by tests/env/barbican-api.sh: the WSGI part of /usr/bin/barbican-wsgi-api,
# loading the private copy of the paste ini.
import threading

from paste import deploy

import barbican.api.app  # noqa: F401  (same imports as barbican-wsgi-api)

application = None
app_lock = threading.Lock()

with app_lock:
    if application is None:
        application = deploy.loadapp('config:$ADIR/barbican-api-paste.ini')
EOF

    sed -e "s|^logto = .*|logto = $ALOG|" \
        -e "s|^chdir = .*|chdir = $ADIR|" \
        -e "s|^wsgi-file = .*|wsgi-file = $ADIR/barbican-wsgi-api.py|" \
        -e "s|^paste = config:.*|paste = config:$ADIR/barbican-api-paste.ini|" \
        -e "s|^processes = .*|processes = $procs|" \
        -e "s|^threads = .*|threads = $threads|" \
        "$DEB_INI" > "$INI.tmp"
    {
        echo ""
        echo "# --- added by tests/env/barbican-api.sh (private test instance) ---"
        echo "http-socket = 127.0.0.1:$port"
    } >> "$INI.tmp"
    for key in "logto = $ALOG" "chdir = $ADIR" "wsgi-file = $ADIR/barbican-wsgi-api.py" \
               "paste = config:$ADIR/barbican-api-paste.ini" "processes = $procs" \
               "threads = $threads" "rem-header = Content-Length" "add-header = Connection: close" \
               "die-on-term = true" "master = true" "lazy-apps = true" "buffer-size = 65535"; do
        grep -qxF "$key" "$INI.tmp" || die "$DEB_INI changed: could not get '$key' into the private copy"
    done
    mv -f "$INI.tmp" "$INI"
    chown barbican:barbican "$INI" "$ADIR/barbican-api-paste.ini" "$ADIR/barbican-wsgi-api.py"
}

ensure_db_mariadb() {  # NAME
    local have
    have=$("$MYSH" sql "$DIR" -N -e "SELECT 1 FROM information_schema.schemata WHERE schema_name = '$1'")
    if [ "$have" = 1 ]; then
        log "database $1 exists (MariaDB)"
    else
        log "creating database $1 from MariaDB's tmpl_15x"
        "$MYSH" newdb "$DIR" "$1" 15x || die "could not create database $1 from tmpl_15x (MariaDB)"
    fi
}

ensure_db() {  # NAME
    local have
    have=$("$PGSH" psql "$DIR" -Atc "SELECT 1 FROM pg_database WHERE datname = '$1'")
    if [ "$have" = 1 ]; then
        log "database $1 exists"
    else
        log "creating database $1 from tmpl_15x"
        "$PGSH" psql "$DIR" -c "CREATE DATABASE $1 OWNER barbican TEMPLATE tmpl_15x" >/dev/null ||
            die "could not create database $1 from tmpl_15x"
    fi
}

# launch PORT URL DBURL: start uwsgi; LAUNCH_RC=0 once /healthcheck answers
# 200, LAUNCH_RC=3 when the port was taken; dies on any other failure.
# (Always returns 0: called in a || list, errexit would be off inside.)
launch() {
    local port=$1 url=$2 dburl=$3 uwsgi pid off deadline
    uwsgi=$(uwsgi_bin)
    write_config "$port"
    off=$(stat -c %s "$ALOG" 2>/dev/null || echo 0)
    log "starting $uwsgi as barbican on 127.0.0.1:$port (ini $INI)"
    (
        cd "$ADIR"
        close_fds
        clean_env
        export HOME=$ADIR/home
        export OS_DEFAULT__SQL_CONNECTION=$dburl
        # the base of the hrefs in its answers (Debian's default: localhost:9311)
        export OS_DEFAULT__HOST_HREF=$url
        # not a process-group leader here, so setsid execs in place: $! is uwsgi's master
        exec setsid setpriv --reuid=barbican --regid=barbican --init-groups -- "$uwsgi" --ini "$INI"
    ) < /dev/null >> "$ADIR/uwsgi.out" 2>&1 &
    pid=$!
    echo "$pid" > "$PIDF"
    deadline=$(( $(now_us) + ${BS_TESTENV_API_TIMEOUT:-60} * 1000000 ))
    while :; do
        if ! kill -0 "$pid" 2>/dev/null; then
            wait "$pid" 2>/dev/null || true
            rm -f "$PIDF"
            if tail -c +"$((off + 1))" "$ALOG" 2>/dev/null | grep -q 'Address already in use'; then
                LAUNCH_RC=3
                return 0
            fi
            tail_log "$ALOG" 40
            tail_log "$ADIR/uwsgi.out" 10
            die "barbican-api (uwsgi) exited during start-up (log $ALOG)"
        fi
        healthy "$url" && break
        if [ "$(now_us)" -gt "$deadline" ]; then
            tail_log "$ALOG" 40
            stop_api
            die "barbican-api did not answer $url/healthcheck within ${BS_TESTENV_API_TIMEOUT:-60}s (log $ALOG)"
        fi
        sleep 0.2
    done
    pid_matches "$pid" "$INI" || die "internal: pid $pid is not the uwsgi master of $INI"
    LAUNCH_RC=0
}

# verify URL: the facts the test suite relies on (DESIGN.md).
verify() {
    local url=$1 want out hdr
    want=$(installed_release)
    out=$("${CURL[@]}" "$url/?build") || die "GET $url/?build failed"
    [ "$(jq -r .build <<< "$out" 2>/dev/null)" = "$want" ] ||
        die "GET /?build answered '$out', expected build $want (dpkg python3-barbican)"
    out=$("${CURL[@]}" -H 'OpenStack-API-Version: key-manager latest' "$url/") || die "GET $url/ failed"
    [ "$(jq -r '.versions[0] | .min_version + "-" + .max_version' <<< "$out" 2>/dev/null)" = "1.0-1.1" ] ||
        die "GET / (microversion latest) answered '$out', expected min 1.0 max 1.1"
    hdr=$("${CURL[@]}" -D - -o /dev/null "$url/?build" | tr -d '\r') || die "GET $url/?build (headers) failed"
    grep -qix 'connection: close' <<< "$hdr" || die "no 'Connection: close' from Debian's uwsgi ini: $hdr"
    ! grep -qi '^content-length:' <<< "$hdr" || die "a Content-Length header although Debian's ini removes it: $hdr"
    log "verified: /?build = {\"build\": \"$want\"}; microversions 1.0..1.1; Connection: close; no Content-Length"
}

write_state() {  # url port db
    local tmp
    tmp=$(mktemp "$DIR/.$INST.env.XXXXXX")
    chmod 0600 "$tmp"
    {
        echo "# written by tests/env/barbican-api.sh; real barbican-api $(installed_release) in $ADIR"
        echo "export BS_API_URL=$(sq "$1")"
        echo "export BS_API_PORT=$(sq "$2")"
        echo "export BS_API_LOG=$(sq "$ALOG")"
        echo "export BS_API_PID=$(sq "$(cat "$PIDF")")"
        echo "export BS_API_DB=$(sq "$3")"
        echo "export BS_API_DISABLE_FILE=$(sq "$ADIR/healthcheck_disable")"
        echo "export BS_API_RELEASE=$(sq "$(installed_release)")"
        echo "export BS_API_DIR=$(sq "$ADIR")"
        echo "export BS_API_BACKEND=$(sq "$BACKEND")"
    } > "$tmp"
    mv -f "$tmp" "$STATE"
}

cmd_start() {
    local t envtxt db port fixed prev="" url attempt rc pid dburl
    t=$(now_us)
    need_root
    need_user barbican barbican-common
    need_cmd /usr/bin/barbican-wsgi-api barbican-api
    [ -r "$DEB_INI" ] || die "$DEB_INI missing (package barbican-api)"
    [ -r "$DEB_PASTE" ] || die "$DEB_PASTE missing (package barbican-api)"
    uwsgi_bin > /dev/null
    [ -x /usr/bin/jq ] || die "jq missing; run scripts/install-deps.sh --test"

    if pid=$(master_pid) && [ -s "$STATE" ]; then
        url=$(read_kv "$STATE" BS_API_URL)
        if healthy "$url"; then
            log "already running (pid $pid, $url)"
            return 0
        fi
        die "uwsgi pid $pid runs but $url/healthcheck does not answer; stop it first: $0 stop $DIR"
    fi

    db=${BS_TESTENV_API_DB:-barbican_api}
    [[ $db =~ ^[a-z][a-z0-9_]{0,62}$ ]] || die "BS_TESTENV_API_DB must match [a-z][a-z0-9_]*"
    if [ "$BACKEND" = mariadb ]; then
        envtxt=$("$MYSH" env "$DIR") || die "the private MariaDB is not running; start it: $MYSH start $DIR"
        eval "$envtxt"
        ensure_db_mariadb "$db"
        dburl="mysql+pymysql://$BS_MY_USER:$BS_MY_PASSWORD@$BS_MY_HOST:$BS_MY_PORT/$db"
    else
        envtxt=$("$PGSH" env "$DIR") || die "the private PostgreSQL is not running; start it: $PGSH start $DIR"
        eval "$envtxt"
        "$TMPLSH" check "$DIR" >/dev/null 2>&1 || die "template tmpl_15x is not ready; run: $TMPLSH create $DIR"
        ensure_db "$db"
        dburl="postgresql+psycopg2://$BS_PG_USER:$BS_PG_PASSWORD@$BS_PG_HOST:$BS_PG_PORT/$db"
    fi

    prepare_dir "$DIR" barbican
    install -d -o barbican -g barbican -m 0750 "$ADIR"
    install -d -o barbican -g barbican -m 0700 "$ADIR/home"
    rm -f "$ADIR/healthcheck_disable"

    fixed=${BS_TESTENV_API_PORT:-}
    if [ -s "$STATE" ]; then prev=$(read_kv "$STATE" BS_API_PORT || true); fi
    for attempt in 1 2 3 4 5 6; do
        if [ -n "$fixed" ]; then
            port=$fixed
            ! port_listening "$port" || die "port $port (BS_TESTENV_API_PORT) is already in use"
        elif [ "$attempt" = 1 ] && [ -n "$prev" ] && ! port_listening "$prev"; then
            port=$prev
        else
            port=$(free_port)
        fi
        url=http://127.0.0.1:$port
        LAUNCH_RC=1
        launch "$port" "$url" "$dburl"
        rc=$LAUNCH_RC
        [ "$rc" = 0 ] && break
        [ -z "$fixed" ] || die "port $port is taken"
        warn "port $port was taken meanwhile; retrying with another port"
    done
    [ "$rc" = 0 ] || die "no free port for barbican-api after $attempt attempts"
    log "barbican-api answers $url/healthcheck (pid $(cat "$PIDF")) after $(since "$t")s"
    verify "$url"
    write_state "$url" "$port" "$db"
    local out
    out=$(ss -Htln "sport = :$port" | awk '{print $4}' | sort -u)
    [ "$out" = "127.0.0.1:$port" ] || die "barbican-api listens on: $out (expected 127.0.0.1:$port only)"
    log "barbican-api up at $url in $(since "$t")s"
}

stop_api() {
    local pid kids=() k i left
    pid=$(master_pid) || { rm -f "$PIDF"; return 0; }
    mapfile -t kids < <(children "$pid")
    log "stopping uwsgi master pid $pid (workers: ${kids[*]:-none}) with SIGTERM"
    kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 1 150); do
        # (a zombie waiting for its reaper has an empty cmdline: gone for us)
        pid_matches "$pid" "$INI" || break
        sleep 0.1
    done
    if pid_matches "$pid" "$INI"; then
        warn "uwsgi master $pid still alive after 15s; SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
    fi
    # no-orphans makes the workers follow their master; make sure of it
    for i in $(seq 1 50); do
        left=()
        for k in "${kids[@]}"; do
            if pid_matches "$k" "$INI"; then left+=("$k"); fi
        done
        [ ${#left[@]} -eq 0 ] && break
        if [ "$i" = 25 ]; then
            warn "workers ${left[*]} still alive; SIGKILL"
            kill -KILL "${left[@]}" 2>/dev/null || true
        fi
        sleep 0.2
    done
    rm -f "$PIDF"
    return 0
}

cmd_stop() {
    local t
    t=$(now_us)
    if [ ! -s "$PIDF" ]; then
        log "not running ($ADIR)"
        return 0
    fi
    need_root
    if ! master_pid >/dev/null; then
        log "stale $PIDF (pid '$(cat "$PIDF")' is not this uwsgi); removing it, nothing to stop"
        rm -f "$PIDF"
        return 0
    fi
    stop_api
    log "stopped in $(since "$t")s"
}

cmd_env() {
    master_pid >/dev/null || die "not running ($ADIR); start it: $0 start $DIR"
    [ -s "$STATE" ] || die "$STATE missing"
    grep '^export ' -- "$STATE"
}

case "$SUB" in
    start)  cmd_start ;;
    stop)   cmd_stop ;;
    env)    cmd_env ;;
    status) if master_pid >/dev/null && [ -s "$STATE" ] && healthy "$(read_kv "$STATE" BS_API_URL)"; then
                echo running
            else
                echo stopped; exit 1
            fi ;;
    *)      usage ;;
esac
