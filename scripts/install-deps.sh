#!/bin/bash
# scripts/install-deps.sh -- install the Debian 12 packages barbican-status needs.
#
#   scripts/install-deps.sh           build dependencies
#   scripts/install-deps.sh --test    build + run/test dependencies: PostgreSQL,
#                                     the real Barbican 15.0.1 (API under uwsgi),
#                                     the Python oracles, curl, jq, tmux, valgrind
#   scripts/install-deps.sh --bench   build + test + the benchmarks' peers: nginx-light
#                                     (a fleet's reports served by a real web server;
#                                     its own nginx kept stopped) and wrk (bench/fleet.sh)
#   options: --check  only report what is missing (exit 1 if anything is; no root needed)
#            --list   print the package list and exit
#
# Idempotent. Packages already installed are skipped; when nothing is missing it
# runs no apt-get at all (not even `apt-get update`). Runs as root, with apt's
# own lock waited for (and concurrent runs of this script serialised).
#
# Nothing may start on a public address while packages are configured: debconf
# is preseeded so that barbican-* configure no database, RabbitMQ or Keystone,
# and if this host has no /usr/sbin/policy-rc.d, a temporary one (exit 101)
# keeps the maintainer scripts from starting any service (PostgreSQL's main
# cluster, barbican-api on 0.0.0.0:9311, RabbitMQ on 0.0.0.0:5672, the
# worker and listener, sshd on port 22); it is removed afterwards, also on
# failure or interrupt. The test environment (tests/env/) starts its own
# private PostgreSQL and barbican-api on 127.0.0.1.
set -euo pipefail

export PATH=/usr/sbin:/usr/bin:/sbin:/bin
export DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8
ME=install-deps.sh
T0=${EPOCHREALTIME/./}
elapsed() {
    local d=$(( ${EPOCHREALTIME/./} - ${1:-$T0} ))
    printf '%d.%01ds' $(( d / 1000000 )) $(( (d / 100000) % 10 ))
}
log() { printf '[%s %6s] %s\n' "$ME" "$(elapsed)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# Build: compiler, meson/ninja, the libraries through pkg-config, cmocka for
# the unit tests, scdoc for the man pages.
BUILD_PKGS=(gcc meson ninja-build pkg-config
            libcurl4-openssl-dev libjansson-dev libpq-dev libmariadb-dev
            libcmocka-dev libncurses-dev scdoc)
# Run/test: PostgreSQL 15 (private test clusters), the real Barbican 15.0.1
# (barbican-manage makes the schema, barbican-api runs under uwsgi: Debian's
# barbican-api does not depend on uwsgi), Barbican's DB driver, the Python
# oracles (SQLAlchemy's make_url, oslo.config), curl and jq for the HTTP
# checks, tmux for the console tests, valgrind, iproute2 for `ss`; MariaDB and
# galera-4 (a private server and a two-node cluster; rsync is Galera's state
# transfer), PyMySQL (Barbican's MySQL driver and the URL oracle); RabbitMQ
# 3.10 (a private broker with the management plugin, which it ships), the real
# barbican-worker and barbican-keystone-listener (their postinst only
# registers and starts their init script: policy-rc.d below keeps them
# stopped; they configure no broker or database), python3-amqp (oslo.messaging's
# AMQP client, named for the tests' own AMQP check), openssh-server and
# openssh-client (a private sshd on 127.0.0.1 for the remote-command tests;
# the package's own sshd on port 22 is kept stopped by policy-rc.d too).
TEST_PKGS=(postgresql curl tmux valgrind jq iproute2
           python3-sqlalchemy python3-oslo.config
           barbican-api barbican-common python3-barbican python3-psycopg2
           uwsgi-core uwsgi-plugin-python3
           mariadb-server galera-4 rsync python3-pymysql
           rabbitmq-server barbican-worker barbican-keystone-listener python3-amqp
           openssh-server openssh-client)
# Benchmarks (bench/fleet.sh): nginx serves a fleet's version reports; wrk is
# the request rate we are compared with.
BENCH_PKGS=(nginx-light wrk)

WANT_TEST=0 WANT_BENCH=0 CHECK_ONLY=0 LIST_ONLY=0
for a in "$@"; do
    case "$a" in
        --test)  WANT_TEST=1 ;;
        --bench) WANT_TEST=1 WANT_BENCH=1 ;;
        --check) CHECK_ONLY=1 ;;
        --list)  LIST_ONLY=1 ;;
        -h|--help) sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "usage: $0 [--test|--bench] [--check] [--list]" >&2; exit 2 ;;
    esac
done
PKGS=("${BUILD_PKGS[@]}")
[ "$WANT_TEST" = 1 ] && PKGS+=("${TEST_PKGS[@]}")
[ "$WANT_BENCH" = 1 ] && PKGS+=("${BENCH_PKGS[@]}")
if [ "$LIST_ONLY" = 1 ]; then printf '%s\n' "${PKGS[@]}"; exit 0; fi

# missing_pkgs: the packages of PKGS that are not fully installed ("ii").
missing_pkgs() {
    local -A ok=()
    local name st p
    while read -r name st; do
        [[ $st == ii* ]] && ok[$name]=1
    done < <(dpkg-query -W -f='${Package} ${db:Status-Abbrev}\n' "${PKGS[@]}" 2>/dev/null || true)
    for p in "${PKGS[@]}"; do
        [ -n "${ok[$p]:-}" ] || echo "$p"
    done
}

mapfile -t MISSING < <(missing_pkgs)
if [ ${#MISSING[@]} -eq 0 ]; then
    log "all ${#PKGS[@]} packages already installed$([ "$WANT_TEST" = 1 ] && echo ' (build + test)' || echo ' (build)'); nothing to do"
    exit 0
fi
if [ "$CHECK_ONLY" = 1 ]; then
    log "missing ${#MISSING[@]} of ${#PKGS[@]} packages: ${MISSING[*]}"
    log "install them with: $0$([ "$WANT_BENCH" = 1 ] && echo ' --bench' || { [ "$WANT_TEST" = 1 ] && echo ' --test'; })"
    exit 1
fi

[ "$(id -u)" = 0 ] || die "must run as root to install: ${MISSING[*]}"
grep -qs 'VERSION_CODENAME=bookworm' /etc/os-release ||
    log "WARNING: this is not Debian 12 (bookworm); the package names are Debian 12's"

# One run at a time (apt has its own lock; this one also covers policy-rc.d).
exec 9> /run/lock/barbican-status-install-deps.lock
if ! flock -n 9; then
    log "another install-deps.sh is running; waiting for it"
    flock -w 900 9 || die "timed out waiting for the other install-deps.sh"
    mapfile -t MISSING < <(missing_pkgs)
    if [ ${#MISSING[@]} -eq 0 ]; then log "all packages installed meanwhile; nothing to do"; exit 0; fi
fi
log "missing ${#MISSING[@]} of ${#PKGS[@]} packages: ${MISSING[*]}"

# Preseed: the barbican packages default to "do not configure" already; say so
# explicitly, so that no dbconfig-common, RabbitMQ or Keystone set-up runs.
log "preseeding debconf (barbican: no database, RabbitMQ or Keystone configuration)"
debconf-set-selections <<'EOF'
barbican-common barbican/configure_db boolean false
barbican-common barbican/configure_rabbit boolean false
barbican-common barbican/configure_ksat boolean false
barbican-api barbican/configure_api-endpoint boolean false
EOF

POLICY=/usr/sbin/policy-rc.d
POLICY_MARK='# temporary, created by barbican-status scripts/install-deps.sh'
OUR_POLICY=0
remove_policy() {
    if [ "$OUR_POLICY" = 1 ] && [ -f "$POLICY" ] && grep -qxF "$POLICY_MARK" "$POLICY"; then
        rm -f "$POLICY"
        log "removed the temporary $POLICY"
    fi
    OUR_POLICY=0
}
trap remove_policy EXIT
trap 'log "interrupted"; exit 130' INT TERM HUP
if [ -e "$POLICY" ]; then
    rc=0
    "$POLICY" barbican-api start >/dev/null 2>&1 || rc=$?
    if [ "$rc" = 101 ]; then
        log "$POLICY exists and denies service starts; leaving it as it is"
    else
        log "WARNING: $POLICY exists but answers $rc (not 101): package scripts may start services"
    fi
else
    printf '#!/bin/sh\n%s\n# (no service starts while packages are configured)\nexit 101\n' "$POLICY_MARK" > "$POLICY"
    chmod 0755 "$POLICY"
    OUR_POLICY=1
    log "created a temporary $POLICY (exit 101) so that no service starts during the install"
fi

APT_OPTS=(-q -o DPkg::Lock::Timeout=600 -o Acquire::Retries=3)
t=${EPOCHREALTIME/./}
log "apt-get update"
apt-get "${APT_OPTS[@]}" update || die "apt-get update failed"
log "apt-get update took $(elapsed "$t")"

t=${EPOCHREALTIME/./}
log "apt-get install -y --no-install-recommends ${MISSING[*]}"
apt-get "${APT_OPTS[@]}" install -y --no-install-recommends \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
    "${MISSING[@]}" || die "apt-get install failed for: ${MISSING[*]}"
log "apt-get install took $(elapsed "$t")"
remove_policy

mapfile -t STILL < <(missing_pkgs)
[ ${#STILL[@]} -eq 0 ] || die "still not installed after apt-get: ${STILL[*]}"
if [ "$WANT_TEST" = 1 ]; then
    ls /usr/bin/uwsgi_python3* >/dev/null 2>&1 || die "uwsgi-plugin-python3 installed but no /usr/bin/uwsgi_python3*"
    [ -x /usr/lib/postgresql/15/bin/initdb ] || die "postgresql installed but no /usr/lib/postgresql/15/bin/initdb"
    [ -x /usr/lib/rabbitmq/bin/rabbitmq-server ] || die "rabbitmq-server installed but no /usr/lib/rabbitmq/bin/rabbitmq-server"
    [ -x /usr/sbin/sshd ] || die "openssh-server installed but no /usr/sbin/sshd"
fi
log "done: installed ${#MISSING[@]} package(s) (and their dependencies) in $(elapsed)"
