#!/bin/bash
# scripts/demo.sh -- a demo deployment to look at with barbican-status.
#
#   scripts/demo.sh [start]   install what is needed, build, start the demo
#                             deployment and show its state (README command 1)
#   scripts/demo.sh --db galera [start]
#                             the same deployment with its database on a
#                             two-node MariaDB Galera cluster (the URL names
#                             node 1, as HAProxy would send it there)
#   scripts/demo.sh --db mariadb [start]   ... on one MariaDB server
#   scripts/demo.sh --contract [start]
#                             the same deployment upgrading to 15.99.0, a
#                             synthetic zed release of the demo manifest
#                             ([upgrade] manifest = demo, data/demo/) with a
#                             contract migration: the roll ends in a contract
#                             step whose name must be typed (rehearse it);
#                             combines with --db
#   scripts/demo.sh stop      stop it (whichever database it runs on)
#   scripts/demo.sh env       print the config path (to run commands yourself)
#
# The deployment: a stock Barbican 14.0.2 (yoga) fleet about to be upgraded to
# 15.0.1 (zed):
#   - a private PostgreSQL on 127.0.0.1 holding the real 14.x schema, made by
#     Debian's own `barbican-manage db upgrade -v 0f8c192a061f`;
#   - the node simulator (tests/sim, a real HTTP server) serving two
#     barbican-api nodes (version discovery, ?build, /healthcheck) and three
#     workers and a keystone listener that publish version reports;
#   - a barbican-retry with no URL (a stock process: nothing to ask).
# Everything lives in /var/tmp/barbican-status-demo and listens on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."
ROOT=$PWD
DEMO=${BS_DEMO_DIR:-/var/tmp/barbican-status-demo}
BUILD=${BS_BUILD_DIR:-build}
CONF=$DEMO/barbican-status.conf
DB=postgresql
CONTRACT=0
while [ $# -gt 0 ]; do
    case "$1" in
    --db)
        DB=${2:-}
        shift 2 || true
        case "$DB" in
        postgresql|mariadb|galera) ;;
        *) echo "demo.sh: --db takes postgresql, mariadb or galera, not '$DB'" >&2; exit 64 ;;
        esac
        ;;
    --contract) CONTRACT=1; shift ;;
    *) break ;;
    esac
done
TARGET=15.0.1
[ "$CONTRACT" = 1 ] && TARGET=15.99.0

pyquote() { /usr/bin/python3 -c 'import sys; from urllib.parse import quote; print(quote(sys.argv[1], safe=""))' "$1"; }
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

stop() {
    if [ -s "$DEMO/nodesim.pid" ]; then
        pid=$(cat "$DEMO/nodesim.pid")
        if tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -q bs-nodesim; then
            kill -TERM "$pid" 2>/dev/null || true
        fi
        rm -f "$DEMO/nodesim.pid"
    fi
    [ -d "$DEMO" ] && tests/env/pg.sh stop "$DEMO" >/dev/null 2>&1 || true
    [ -d "$DEMO" ] && tests/env/mariadb.sh galera-stop "$DEMO" >/dev/null 2>&1 || true
    [ -d "$DEMO" ] && tests/env/mariadb.sh stop "$DEMO" >/dev/null 2>&1 || true
    echo "demo stopped (files kept in $DEMO; remove them with: rm -rf $DEMO)"
}

start() {
    [ "$(id -u)" = 0 ] || { echo "demo.sh: run as root (it installs packages and starts PostgreSQL as user postgres)" >&2; exit 1; }
    say "installing what is needed"
    scripts/install-deps.sh --test

    say "building"
    if [ -f "$BUILD/build.ninja" ]; then meson setup --reconfigure "$BUILD" >/dev/null; else meson setup "$BUILD" >/dev/null; fi
    ninja -C "$BUILD" cli/barbican-status tests/sim/bs-nodesim >/dev/null
    BIN=$ROOT/$BUILD/cli/barbican-status
    SIM=$ROOT/$BUILD/tests/sim/bs-nodesim

    say "starting the demo deployment in $DEMO"
    mkdir -p "$DEMO"
    chmod 0755 "$DEMO"
    stop >/dev/null 2>&1 || true
    case "$DB" in
    postgresql)
        tests/env/pg.sh start "$DEMO"
        tests/env/templates.sh create "$DEMO"
        # shellcheck disable=SC1091
        . <(tests/env/pg.sh env "$DEMO")
        tests/env/pg.sh psql "$DEMO" -c "DROP DATABASE IF EXISTS barbican WITH (FORCE)" \
            -c "CREATE DATABASE barbican OWNER $BS_PG_USER TEMPLATE tmpl_14x"
        URL="postgresql+psycopg2://$(pyquote "$BS_PG_USER"):$(pyquote "$BS_PG_PASSWORD")@127.0.0.1:$BS_PG_PORT/barbican"
        ;;
    mariadb|galera)
        # the real 14.x schema, made by barbican-manage through PyMySQL
        tests/env/mariadb.sh start "$DEMO"
        # shellcheck disable=SC1091
        . <(tests/env/mariadb.sh env "$DEMO")
        port=$BS_MY_PORT on=""
        if [ "$DB" = galera ]; then
            tests/env/mariadb.sh galera-start "$DEMO"
            # shellcheck disable=SC1091
            . <(tests/env/mariadb.sh galera-env "$DEMO")
            port=$BS_GALERA1_PORT on=galera
        fi
        tests/env/mariadb.sh dropdb "$DEMO" barbican $on
        tests/env/mariadb.sh newdb "$DEMO" barbican 14x $on
        URL="mysql+pymysql://$(pyquote "$BS_MY_USER"):$(pyquote "$BS_MY_PASSWORD")@127.0.0.1:$port/barbican"
        ;;
    esac

    rm -f "$DEMO/ports.json" "$DEMO/journal.jsonl"
    # the demo fleet, plus what a stock deployment shows besides its nodes:
    # RabbitMQ's management API (simulated here: a fixed GET /api/connections
    # listing the workers, the listener, barbican-retry and one worker on
    # ctl-4 that no node describes) and ctl3-wrk's report saying a restart is
    # needed (its package was upgraded under it; the roll's restart clears it)
    /usr/bin/python3 - tests/sim/fleets/demo-14.json "$DEMO/fleet.json" <<'PY'
import json, sys
fleet = json.load(open(sys.argv[1]))
conns = []
for i, (prog, host) in enumerate([("barbican-worker", "ctl-1"), ("barbican-worker", "ctl-2"),
                                  ("barbican-worker", "ctl-3"),
                                  ("barbican-keystone-listener", "ctl-1"),
                                  ("barbican-retry", "ctl-1"), ("barbican-worker", "ctl-4")]):
    conns.append({"client_properties": {"connection_name": "%s:%d:demo-%d" % (prog, 2101 + i, i)},
                  "peer_host": host, "connected_at": 1796500000000 + i * 1000,
                  "user": "barbican", "vhost": "/"})
for n in fleet["nodes"]:
    if n["name"] == "ctl3-wrk":
        n["report_extra"] = {"restart_needed": True}
fleet["nodes"].append({"name": "rabbitmq-mgmt", "kind": "report", "release": "14.0.2",
                       "report_path": "/api/connections", "report_raw": json.dumps(conns),
                       "content_length": True})
json.dump(fleet, open(sys.argv[2], "w"), indent=1)
PY
    "$SIM" --fleet "$DEMO/fleet.json" --ports-file "$DEMO/ports.json" \
        --pidfile "$DEMO/nodesim.pid" >"$DEMO/nodesim.log" 2>&1 &
    for _ in $(seq 1 100); do [ -s "$DEMO/ports.json" ] && break; sleep 0.05; done
    [ -s "$DEMO/ports.json" ] || { echo "demo.sh: the node simulator did not start; see $DEMO/nodesim.log" >&2; exit 1; }

    # the configuration an operator would write for this deployment
    /usr/bin/python3 - "$DEMO/ports.json" "$CONF" "$URL" "$SIM" "$DEMO" "$DB" "$TARGET" "$ROOT" <<'PY'
import json, os, sys
ports, conf, url, sim, demo, db, target, root = sys.argv[1:]
p = json.load(open(ports))["nodes"]
contract = target != "15.0.1"
out = ["# barbican-status demo: a 14.0.2 fleet, upgrading to %s (database: %s)" % (target, db),
       "[DEFAULT]",
       "sql_connection = %s" % url,
       "", "[upgrade]", "target_release = %s" % target]
if contract:
    out += ["# 15.99.0 is a synthetic release of the demo manifest (data/demo/): 15.0.1",
            "# plus one contract migration, to rehearse the typed confirmation",
            "manifest = demo"]
out += ["", "[probes]", "timeout = 2", "",
        "# expand: the default, the real barbican-manage (it gets the URL in its environment)",
        "[steps]",
        "upgrade_node = %s ctl --ports-file %s upgrade {node} {release} --drain-ms 400 --down-ms 800 --wait"
        % (sim, ports)]
if contract:
    out += ["# the synthetic contract migration, which no real barbican-manage knows",
            "contract = /usr/bin/python3 %s/tests/sim/synthetic-migrate.py {revision}" % root]
out += ["settle_timeout = 30", "", "[journal]", "path = %s/journal.jsonl" % demo, ""]
services = {"api": "barbican-api", "wrk": "barbican-worker", "ksl": "barbican-keystone-listener"}
out += ["# RabbitMQ's management API (simulated by bs-nodesim in this demo)", "[rabbitmq]",
        "management_url = http://127.0.0.1:%d" % p.pop("rabbitmq-mgmt"),
        "username = bs_monitor", "password = demo", ""]
for name, port in sorted(p.items()):
    svc = services[name.split("-")[1]]
    out += ["[node:%s]" % name, "service = %s" % svc]
    # every node names the machine it runs on: HOST is that, never the
    # address its URL happens to use (all simulated on 127.0.0.1 here)
    out.append("host = ctl-%s" % name[3])
    if svc == "barbican-api":
        out.append("url = http://127.0.0.1:%d" % port)
    else:
        out.append("report_url = http://127.0.0.1:%d/version-report" % port)
    out.append("")
out += ["[node:ctl1-retry]", "service = barbican-retry", "host = ctl-1", ""]
fd = os.open(conf, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
os.write(fd, "\n".join(out).encode())
os.close(fd)
PY

    say "barbican-status --config-file $CONF nodes"
    "$BIN" --config-file "$CONF" nodes
    say "barbican-status --config-file $CONF migrations"
    "$BIN" --config-file "$CONF" migrations
    say "barbican-status --config-file $CONF upgrade check"
    "$BIN" --config-file "$CONF" upgrade check || echo "(exit status $?)"
    say "barbican-status --config-file $CONF upgrade plan"
    "$BIN" --config-file "$CONF" upgrade plan
    ninja -C "$BUILD" >/dev/null

    if [ -t 0 ] && [ -t 1 ] && [ "${BS_DEMO_NO_CONSOLE:-0}" != 1 ]; then
        say "barbican-status --config-file $CONF console"
        echo "In the console, n takes the next step (the expand by the real barbican-manage,"
        echo "then every node, workers first; ctl1-retry has nothing to ask: vouch for it)."
        [ "$CONTRACT" = 1 ] && echo "Then the contract: type its name, contract, to take it."
        echo "? lists the keys, q quits. Starting in 3 s..."
        sleep 3
        "$BIN" --config-file "$CONF" console || true
    fi
    NOTE=
    [ "$CONTRACT" = 0 ] || NOTE=$(printf ';\nthe contract last: type its name, contract, when asked')
    cat <<EOT

The demo deployment keeps running. Open the console again with:
  $BUILD/cli/barbican-status --config-file $CONF console
or drive the upgrade one step at a time:
  $BUILD/cli/barbican-status --config-file $CONF upgrade next
(the first step is the expand, by the real barbican-manage; then every node,
workers first; ctl1-retry has nothing to ask: vouch for it when asked$NOTE), or:
  $BUILD/cli/barbican-status --config-file $CONF upgrade gate --before roll
  $BUILD/cli/barbican-status --config-file $CONF journal
Stop it with: scripts/demo.sh stop
EOT
}

case "${1:-start}" in
start) start ;;
stop) stop ;;
env) echo "$CONF" ;;
*) echo "usage: $0 [start|stop|env]" >&2; exit 2 ;;
esac
