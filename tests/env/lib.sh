# shellcheck shell=bash disable=SC2034
# (SC2034: the constants here are used by the scripts that source this file)
# tests/env/lib.sh -- helpers shared by the test-environment scripts
# (pg.sh, templates.sh, barbican-api.sh, testenv.sh). Sourced, never run.
#
# The caller sets BS_SCRIPT (its name, for the log prefix) before sourcing.

# Barbican's tools are /usr/bin/python3 code; never pick up a pyenv/virtualenv
# python3 from the caller's PATH.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
export LC_ALL=C.UTF-8
umask 022
# libpq variables of the caller (a shell that eval'ed some BS_PG_* env and set
# PGUSER, say) must not redirect our own psql calls.
for _v in $(compgen -e); do
    case "$_v" in PG*) unset "$_v" 2>/dev/null || true ;; esac
done
unset _v

BS_SCRIPT=${BS_SCRIPT:-$(basename "$0")}
BS_ENV_LIBDIR=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
BS_T0=${EPOCHREALTIME/./}

PG_BIN=/usr/lib/postgresql/15/bin
# alembic heads made by the real barbican-manage (DESIGN.md)
BS_REV_14X=0f8c192a061f
BS_REV_15X=8c74e2d7f1ff

# microseconds since the epoch
now_us() { echo "${EPOCHREALTIME/./}"; }
# elapsed seconds (3 decimals) since the microsecond stamp $1
since() {
    local d=$(( $(now_us) - $1 ))
    printf '%d.%03d' $(( d / 1000000 )) $(( (d / 1000) % 1000 ))
}
log()  { printf '[%s %7ss] %s\n' "$BS_SCRIPT" "$(since "$BS_T0")" "$*" >&2; }
warn() { log "WARNING: $*"; }
die()  { log "ERROR: $*"; exit 1; }

need_root() {
    [ "$(id -u)" = 0 ] || die "must run as root (it starts services as the users postgres and barbican)"
}

# need_cmd PATH PACKAGE: fail clearly when an installed program is missing.
need_cmd() {
    [ -x "$1" ] || die "$1 not found (package $2); run scripts/install-deps.sh --test"
}

need_user() {
    id -u "$1" >/dev/null 2>&1 || die "system user '$1' does not exist (package $2 creates it); run scripts/install-deps.sh --test"
}

# norm_dir DIR: print DIR as an absolute path. The paths end up in shell
# assignments, libpq connection strings and the uwsgi ini, so only a safe
# character set is accepted (what mktemp -d produces is fine).
norm_dir() {
    local d=$1
    [ -n "$d" ] || die "missing DIR argument"
    case "$d" in /*) ;; *) d=$PWD/$d ;; esac
    d=$(realpath -m -- "$d")
    [[ $d =~ ^[A-Za-z0-9._/+-]+$ ]] || die "DIR '$d' has characters outside [A-Za-z0-9._/+-]; use e.g. \$(mktemp -d)"
    [ "$d" != / ] || die "DIR must not be /"
    echo "$d"
}

# prepare_dir DIR USER...: create it if needed and make it traversable (not readable)
# by the unprivileged users that run PostgreSQL and barbican-api.
prepare_dir() {
    local d=$1 u
    shift
    if [ ! -d "$d" ]; then
        mkdir -p -- "$d" || die "cannot create $d"
    fi
    # mktemp -d gives 0700; the services need to pass through it.
    chmod go+x -- "$d"
    for u in "$@"; do
        runuser -u "$u" -- test -x "$d" ||
            die "user $u cannot reach $d (a parent directory is not traversable); use a DIR under /tmp"
    done
}

# pid_matches PID SUBSTRING: the process exists and its command line contains
# SUBSTRING (guards against a recycled PID from a stale pidfile).
pid_matches() {
    local pid=$1 want=$2 cmd
    [[ $pid =~ ^[0-9]+$ ]] || return 1
    [ -r "/proc/$pid/cmdline" ] || return 1
    cmd=$(tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null) || return 1
    [[ $cmd == *"$want"* ]]
}

# children PID: direct child PIDs of PID
children() {
    local parent=$1 p stat ppid
    for p in /proc/[0-9]*; do
        stat=$(cat "$p/stat" 2>/dev/null) || continue
        # fields after "(comm) ": state ppid ...
        read -r _ ppid _ <<< "${stat##*) }"
        if [ "$ppid" = "$parent" ]; then echo "${p#/proc/}"; fi
    done
    return 0
}

# port_listening PORT: something listens on PORT (any address, TCP).
port_listening() {
    local out
    out=$(ss -Htln "sport = :$1" 2>/dev/null) || return 1
    [ -n "$out" ]
}

# free_port: a TCP port below the ephemeral range that nothing listens on,
# and that no free_port of this host handed out in the last 10 minutes: the
# steps of one environment start at once (galera, rabbitmq, sshd and the
# API), each picks its ports long before its server binds them, and two of
# them once took the same one (RabbitMQ's management port, bound seconds
# later by the API's uwsgi). The ports handed out are kept, with the time,
# in BS_TESTENV_PORTS (/tmp/bs-testenv-ports), under flock. A collision
# with anything else between this check and the bind is still possible;
# the callers retry with another port.
BS_TESTENV_PORTS=${BS_TESTENV_PORTS:-/tmp/bs-testenv-ports}
free_port() {
    local lo=20000 hi range p i now fd recent
    range=$(cat /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo '32768 60999')
    hi=${range%%[[:space:]]*}
    [ "$hi" -gt $(( lo + 1000 )) ] || hi=$(( lo + 10000 ))
    exec {fd}>>"$BS_TESTENV_PORTS.lock"
    flock "$fd"
    now=$(date +%s)
    recent=$(awk -v now="$now" '$2 + 600 > now' "$BS_TESTENV_PORTS" 2>/dev/null || true)
    for i in $(seq 1 100); do
        p=$(( lo + (RANDOM * 32768 + RANDOM) % (hi - lo) ))
        awk -v p="$p" '$1 == p { found = 1 } END { exit !found }' <<<"$recent" && continue
        port_listening "$p" && continue
        printf '%s%s %s\n' "$recent" "${recent:+$'\n'}$p" "$now" > "$BS_TESTENV_PORTS.new"
        mv -f "$BS_TESTENV_PORTS.new" "$BS_TESTENV_PORTS"
        exec {fd}>&-
        echo "$p"
        return 0
    done
    exec {fd}>&-
    die "no free TCP port found in $lo-$hi after $i tries"
}

# tail_log FILE [N]: the end of a log file, indented, for error messages.
tail_log() {
    local f=$1 n=${2:-30}
    if [ -r "$f" ]; then
        printf '%s\n' "----- last $n lines of $f -----" >&2
        tail -n "$n" -- "$f" | sed 's/^/    /' >&2
        printf '%s\n' "----- end of $f -----" >&2
    else
        printf '%s\n' "(no log at $f)" >&2
    fi
}

# clean_env: (in a subshell, before exec'ing a Barbican program) drop the
# caller's environment but for PATH, LC_ALL and TZ: no pyenv/PYTHON* variables,
# no stray OS_* (oslo.config reads those) and no proxies may reach Barbican.
clean_env() {
    local v
    for v in $(compgen -e); do
        case "$v" in PATH|LC_ALL|TZ) ;; *) unset "$v" 2>/dev/null || true ;; esac
    done
    export LANG=C.UTF-8
}

# close_fds: (in a subshell, before starting a daemon) close every file
# descriptor above 2, so that the daemon holds no pipe of the caller (a reader
# waiting for EOF would hang) and no lock (testenv.sh's per-DIR lock).
close_fds() {
    local fd
    for fd in /proc/"$BASHPID"/fd/*; do
        fd=${fd##*/}
        if [[ $fd =~ ^[0-9]+$ ]] && [ "$fd" -gt 2 ]; then
            eval "exec $fd>&-" 2>/dev/null || true
        fi
    done
}

# sq VALUE: VALUE as a single-quoted shell word (values never hold a quote).
sq() {
    [[ $1 != *"'"* ]] || die "internal: value with a single quote: $1"
    printf "'%s'" "$1"
}

# read_kv FILE KEY: value of "export KEY='value'" in a file we wrote.
read_kv() {
    local line
    line=$(grep -m1 -E "^export $2=" -- "$1" 2>/dev/null) || return 1
    line=${line#export "$2"=}
    line=${line#\'}
    line=${line%\'}
    printf '%s\n' "$line"
}
