#!/bin/bash
# bench/rabbit-discovery.sh [N] -- how long barbican-status takes to read a
# RabbitMQ-discovered fleet: a reply of GET /api/connections holding N
# (default 1000) barbican-worker connections, in the form RabbitMQ 3.10's
# management API gives (client_properties.connection_name, peer_host,
# connected_at, user, vhost), served on loopback; `nodes --json` with N
# [node:NAME] sections (each matched to its connection) and with none (all
# discovered). Median of 10 runs, wall time and peak RSS.
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."
N=${1:-1000}
BIN=${BS_BIN:-build/cli/barbican-status}
[ -x "$BIN" ] || { echo "bench: $BIN not built" >&2; exit 1; }
D=$(mktemp -d)
trap 'kill "$SRV" 2>/dev/null || true; rm -rf "$D"' EXIT
/usr/bin/python3 - "$N" "$D" <<'PY'
import json, sys, uuid
n, d = int(sys.argv[1]), sys.argv[2]
conns = [{"client_properties": {"connection_name": "barbican-worker:%d:%s" % (10000 + i, uuid.uuid4()),
                                "product": "py-amqp", "capabilities": {}},
          "peer_host": "10.%d.%d.%d" % (1 + i // 65536, (i // 256) % 256, i % 256),
          "connected_at": 1796530000000 + i, "user": "barbican", "vhost": "/"} for i in range(n)]
with open(d + "/connections.json", "w") as f:
    json.dump(conns, f)
with open(d + "/described.conf", "w") as f:
    f.write("[DEFAULT]\nsql_connection = sqlite:///x\n[upgrade]\ntarget_release = 15.0.1\n")
    f.write("[rabbitmq]\nmanagement_url = http://127.0.0.1:PORT\nusername = u\npassword = p\n")
    for c in conns:
        f.write("[node:w%s]\nservice = barbican-worker\nhost = %s\n" % (c["peer_host"].replace(".", "-"), c["peer_host"]))
with open(d + "/none.conf", "w") as f:
    f.write("[DEFAULT]\nsql_connection = sqlite:///x\n[upgrade]\ntarget_release = 15.0.1\n")
    f.write("[rabbitmq]\nmanagement_url = http://127.0.0.1:PORT\nusername = u\npassword = p\n")
PY
/usr/bin/python3 - "$D" <<'PY' &
import http.server, sys, os
d = sys.argv[1]
body = open(d + "/connections.json", "rb").read()
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
open(d + "/port", "w").write(str(s.server_address[1]))
s.serve_forever()
PY
SRV=$!
for _ in $(seq 1 100); do [ -s "$D/port" ] && break; sleep 0.05; done
PORT=$(cat "$D/port")
sed -i "s/PORT/$PORT/" "$D/described.conf" "$D/none.conf"
echo "reply: $N connections, $(stat -c %s "$D/connections.json") bytes, served on 127.0.0.1:$PORT"
"$BIN" --config-file "$D/described.conf" nodes --json | /usr/bin/python3 -c '
import json, sys
d = json.load(sys.stdin)
up = sum(1 for n in d["nodes"] if n["state"] == "up")
print("check: %d of %d nodes up, %d discovered" % (up, len(d["nodes"]), len(d["discovered"])))'
env -i PATH=/usr/bin:/bin HOME="$D" LANG=C.UTF-8 /usr/bin/python3 bench/timecmd.py -n "${RUNS:-10}" -- \
    "nodes-json-$N-described" "$PWD/$BIN" --config-file "$D/described.conf" nodes --json --- \
    "nodes-json-$N-discovered" "$PWD/$BIN" --config-file "$D/none.conf" nodes --json
