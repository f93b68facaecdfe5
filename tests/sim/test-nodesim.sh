#!/bin/bash
# test-nodesim.sh BS-NODESIM: start the simulator with a fleet that has every
# behaviour and check every endpoint and fault with curl(1): exact headers
# and bodies of the API (as captured from the real 15.0.1 under uwsgi),
# faults, robustness, the control endpoint and its upgrade sequence with
# timing, concurrent clients, 500 nodes, the example fleets as the upgrade
# runner drives them (kind "none", set-all, upgrade --set), and a clean exit
# on SIGTERM.
#
# BS_NODESIM_WRAPPER, if set, runs the simulator under a wrapper, e.g.
#   BS_NODESIM_WRAPPER='valgrind -q --leak-check=full --error-exitcode=99'
set -u

SIM=${1:?usage: test-nodesim.sh PATH/TO/bs-nodesim}
PY=${BS_PYTHON:-python3}
read -r -a WRAP <<<"${BS_NODESIM_WRAPPER:-}"
SLOW=1
[ ${#WRAP[@]} -gt 0 ] && SLOW=5   # timing slack under valgrind

T=$(mktemp -d "${TMPDIR:-/tmp}/nodesim-test.XXXXXX")
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do
		kill "$p" 2>/dev/null
	done
	wait 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

npass=0
nfail=0
ok() {
	npass=$((npass + 1))
	echo "ok $((npass + nfail)) - $1"
}
not_ok() {
	nfail=$((nfail + 1))
	echo "not ok $((npass + nfail)) - $1"
}
check() { # NAME EXPECTED ACTUAL
	if [ "$2" = "$3" ]; then
		ok "$1"
	else
		not_ok "$1"
		printf '#   expected: %s\n#   got:      %s\n' "$2" "$3"
	fi
}
check_true() { # NAME COMMAND...
	local name=$1
	shift
	if "$@"; then ok "$name"; else not_ok "$name"; fi
}

# start FLEET PORTSFILE: start a simulator, wait until it is ready
start_sim() {
	local fleet=$1 ports=$2
	"${WRAP[@]}" "$SIM" --fleet "$fleet" --ports-file "$ports" --pidfile "$ports.pid" 2>>"$T/sim.log" &
	PIDS+=($!)
	local i
	for ((i = 0; i < 100 * SLOW; i++)); do
		[ -s "$ports" ] && return 0
		sleep 0.05
	done
	echo "Bail out! the simulator did not write $ports"
	cat "$T/sim.log"
	exit 1
}

# load_ports PORTSFILE: PORTS[name]=port for every node, CONTROL
declare -A PORTS
load_ports() {
	local name p
	PORTS=()
	while read -r name p; do
		PORTS[$name]=$p
	done < <(tr ',{}' '\n\n\n' <"$1" | sed -n 's/^ *"\([^"]*\)": \([0-9]*\)$/\1 \2/p')
	CONTROL=${PORTS[control]}
}

now_ms() {
	date +%s%3N
}

# ---------------------------------------------------------------------------
cat >"$T/fleet.json" <<'EOF'
{"nodes": [
  {"name": "api15", "kind": "api", "release": "15.0.1", "host_href": "http://127.0.0.1:9311"},
  {"name": "api14", "kind": "api", "release": "14.0.2", "host_href": "http://127.0.0.1:9311"},
  {"name": "fromhost", "kind": "api", "release": "15.0.1", "host_href": ""},
  {"name": "api11", "kind": "api", "release": "11.0.0"},
  {"name": "drained", "kind": "api", "release": "15.0.1", "health": 503},
  {"name": "nomv", "kind": "api", "release": "16.0.0", "api_versions": null},
  {"name": "cl", "kind": "api", "release": "15.0.1", "content_length": true},
  {"name": "both", "kind": "api+report", "release": "15.0.1", "report_path": "/report"},
  {"name": "wrk", "kind": "report", "release": "15.0.1", "service": "barbican-worker",
   "host": "ctl-1", "rpc": {"version": "1.1", "cap": "1.0"}, "objects": {"Secret": "1.0"},
   "started_at": "2026-11-25T18:00:00Z", "data_migrations_remaining": 3},
  {"name": "raw", "kind": "report", "release": "15.0.1", "report_raw": "{\"schema\": 1"},
  {"name": "extra", "kind": "report", "release": "15.0.1", "service": null,
   "report_extra": {"state": "sideways", "x": 1}},
  {"name": "hang", "kind": "api", "release": "15.0.1", "faults": {"*": {"hang": true}}},
  {"name": "hangpath", "kind": "api", "release": "15.0.1", "faults": {"/healthcheck": {"hang": true}}},
  {"name": "slow", "kind": "api", "release": "15.0.1", "faults": {"*": {"slow_ms": 700}}},
  {"name": "e500", "kind": "api", "release": "15.0.1", "faults": {"*": {"status": 500}}},
  {"name": "badjson", "kind": "api", "release": "15.0.1", "faults": {"/?build": {"invalid_json": true}}},
  {"name": "big", "kind": "api", "release": "15.0.1", "faults": {"*": {"oversized": 2000000}}},
  {"name": "drip", "kind": "api", "release": "15.0.1", "faults": {"/?build": {"drip_ms": 50}}},
  {"name": "redir", "kind": "api", "release": "15.0.1", "faults": {"*": {"redirect": "http://127.0.0.1:1/"}}},
  {"name": "early", "kind": "api", "release": "15.0.1", "faults": {"*": {"close_early": true}}},
  {"name": "refuse", "kind": "api", "release": "15.0.1", "faults": {"*": {"refuse": true}}},
  {"name": "upg", "kind": "api", "release": "14.0.2"},
  {"name": "wupg", "kind": "report", "release": "14.0.2", "service": "barbican-worker"}
]}
EOF
PF=$T/ports.json
start_sim "$T/fleet.json" "$PF"
load_ports "$PF"
P() { echo "${PORTS[$1]}"; }
URL() { echo "http://127.0.0.1:${PORTS[$1]}$2"; }
check "ports file lists every node" 23 "$("$PY" -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["nodes"]))' "$PF")"
check_true "pidfile written" test "$(cat "$PF.pid")" = "${PIDS[0]}"

# expect_http NAME CURL-ARGS... <<EXPECTED: header lines, a blank line, then
# the body (its last newline is not part of it). Headers get CRLF.
expect_http() {
	local name=$1
	shift
	{
		local line body
		while IFS= read -r line; do
			if [ -z "$line" ]; then
				printf '\r\n'
				break
			fi
			printf '%s\r\n' "$line"
		done
		body=$(cat)
		printf '%s' "$body"
	} >"$T/exp"
	curl -sS -i "$@" >"$T/got" 2>"$T/err"
	if cmp -s "$T/exp" "$T/got"; then
		ok "$name"
	else
		not_ok "$name"
		diff <(cat -A "$T/exp") <(cat -A "$T/got") | sed 's/^/#   /' | head -20
	fi
}

# --- barbican-api 15.0.1: the captured responses ([DEFAULT] host_href as in
# the capture: "host_href": "http://127.0.0.1:9311") ---
expect_http "15.0.1 GET /" "$(URL api15 /)" <<'EOF'
HTTP/1.1 300 Multiple Choices
Content-Type: application/json
openstack-api-version: key-manager 1.0
vary: openstack-api-version
Connection: close

{"versions": {"values": [{"id": "v1", "status": "stable", "links": [{"rel": "self", "href": "http://127.0.0.1:9311/v1/"}, {"rel": "describedby", "type": "text/html", "href": "https://docs.openstack.org/"}], "media-types": [{"base": "application/json", "type": "application/vnd.openstack.key-manager-v1+json"}]}]}}
EOF
for v in latest 1.1; do
	expect_http "15.0.1 GET / with key-manager $v" -H "OpenStack-API-Version: key-manager $v" "$(URL api15 /)" <<'EOF'
HTTP/1.1 300 Multiple Choices
Content-Type: application/json
openstack-api-version: key-manager 1.1
vary: openstack-api-version
Connection: close

{"versions": [{"id": "v1", "status": "CURRENT", "min_version": "1.0", "max_version": "1.1", "links": [{"rel": "self", "href": "http://127.0.0.1:9311/v1/"}, {"rel": "describedby", "type": "text/html", "href": "https://docs.openstack.org/"}]}]}
EOF
done
expect_http "15.0.1 GET / with key-manager 1.2: 406" -H 'OpenStack-API-Version: key-manager 1.2' "$(URL api15 /)" <<'EOF'
HTTP/1.1 406 Not Acceptable
Content-Type: text/html; charset=UTF-8
Connection: close

<html>
 <head>
  <title>406 Not Acceptable</title>
 </head>
 <body>
  <h1>406 Not Acceptable</h1>
  The resource could not be generated that was acceptable to your browser
(content of type */*. <br /><br />
Invalid microversion: Unacceptable version header: 1.2
 </body>
</html>
EOF
expect_http "15.0.1 GET / with key-manager foo: 400 (webob)" -H 'OpenStack-API-Version: key-manager foo' "$(URL api15 /)" <<'EOF'
HTTP/1.1 400 Bad Request
Content-Type: text/html; charset=UTF-8
Connection: close

<html>
 <head>
  <title>400 Bad Request</title>
 </head>
 <body>
  <h1>400 Bad Request</h1>
  The server could not comply with the request since it is either malformed or otherwise incorrect.<br /><br />
Invalid microversion: invalid version string: foo; invalid literal for int() with base 10: &#x27;foo&#x27;


 </body>
</html>
EOF
expect_http "15.0.1 406 as JSON with Accept: application/json" -H 'Accept: application/json' -H 'OpenStack-API-Version: compute 2.1, key-manager 2.0' "$(URL api15 /)" <<'EOF'
HTTP/1.1 406 Not Acceptable
Content-Type: application/json
Connection: close

{"message": "The resource could not be generated that was acceptable to your browser\n(content of type application/json. <br /><br />\nInvalid microversion: Unacceptable version header: 2.0", "code": "406 Not Acceptable", "title": "Not Acceptable"}
EOF
expect_http "15.0.1 GET /?build" "$(URL api15 '/?build')" <<'EOF'
HTTP/1.1 200 OK
Content-Type: application/json
openstack-api-version: key-manager 1.0
vary: openstack-api-version
Connection: close

{"build": "15.0.1"}
EOF
expect_http "15.0.1 GET /?build with key-manager latest" -H 'OpenStack-API-Version: key-manager latest' "$(URL api15 '/?build')" <<'EOF'
HTTP/1.1 200 OK
Content-Type: application/json
openstack-api-version: key-manager 1.1
vary: openstack-api-version
Connection: close

{"build": "15.0.1"}
EOF
for q in '' '?detailed=true'; do
	expect_http "15.0.1 GET /healthcheck$q" "$(URL api15 "/healthcheck$q")" <<'EOF'
HTTP/1.1 200 OK
Content-Type: text/plain; charset=UTF-8
Connection: close

OK
EOF
done
expect_http "15.0.1 GET /healthcheck as JSON" -H 'Accept: application/json' "$(URL api15 /healthcheck)" <<'EOF'
HTTP/1.1 200 OK
Content-Type: application/json
Connection: close

{
    "detailed": false,
    "reasons": [
        "OK"
    ]
}
EOF
expect_http "15.0.1 HEAD /healthcheck: 204" -I "$(URL api15 /healthcheck)" <<'EOF'
HTTP/1.1 204 No Content
Connection: close

EOF
expect_http "drained GET /healthcheck: 503 DISABLED BY FILE" "$(URL drained /healthcheck)" <<'EOF'
HTTP/1.1 503 Service Unavailable
Content-Type: text/plain; charset=UTF-8
Connection: close

DISABLED BY FILE
EOF
expect_http "drained GET /healthcheck as JSON" -H 'Accept: application/json' "$(URL drained /healthcheck)" <<'EOF'
HTTP/1.1 503 Service Unavailable
Content-Type: application/json
Connection: close

{
    "detailed": false,
    "reasons": [
        "DISABLED BY FILE"
    ]
}
EOF
check "drained HEAD /healthcheck: 503" 503 "$(curl -s -o /dev/null -w '%{http_code}' -I "$(URL drained /healthcheck)")"
expect_http "15.0.1 GET /v1 without a token: 401 (Keystone pipeline)" "$(URL api15 /v1)" <<'EOF'
HTTP/1.1 401 Unauthorized
Content-Type: application/json
WWW-Authenticate: Keystone uri="http://localhost:5000"
Connection: close

{"error": {"code": 401, "title": "Unauthorized", "message": "The request you have made requires authentication."}}
EOF
expect_http "15.0.1 unknown path: pecan 404" "$(URL api15 /nothing)" <<'EOF'
HTTP/1.1 404 Not Found
Content-Type: text/html; charset=UTF-8
openstack-api-version: key-manager 1.0
vary: openstack-api-version
Connection: close

<html>
 <head>
  <title>404 Not Found</title>
 </head>
 <body>
  <h1>404 Not Found</h1>
  The resource could not be found.<br /><br />



 </body>
</html>
EOF
check "15.0.1 no Content-Length anywhere" 0 "$(curl -sS -i "$(URL api15 /)" "$(URL api15 '/?build')" "$(URL api15 /healthcheck)" | grep -ci '^content-length')"

# --- older releases ---
expect_http "14.0.2 GET / (no microversions, \"updated\")" -H 'OpenStack-API-Version: key-manager latest' "$(URL api14 /)" <<'EOF'
HTTP/1.1 300 Multiple Choices
Content-Type: application/json
Connection: close

{"versions": {"values": [{"id": "v1", "status": "stable", "updated": "2015-04-28T00:00:00Z", "links": [{"rel": "self", "href": "http://127.0.0.1:9311/v1/"}, {"rel": "describedby", "type": "text/html", "href": "https://docs.openstack.org/"}], "media-types": [{"base": "application/json", "type": "application/vnd.openstack.key-manager-v1+json"}]}]}}
EOF
expect_http "14.0.2 GET /?build" "$(URL api14 '/?build')" <<'EOF'
HTTP/1.1 200 OK
Content-Type: application/json
Connection: close

{"build": "14.0.2"}
EOF
check "href: the node's own address by default" '"href": "http://127.0.0.1:'"$(P cl)"'/v1/"' \
	"$(curl -sS "$(URL cl /)" | grep -o '"href": "http://127[^"]*"')"
check "href: from the Host header when host_href is blank" '"href": "http://example.test:1234/v1/"' \
	"$(curl -sS -H 'Host: example.test:1234' "$(URL fromhost /)" | grep -o '"href": "http://ex[^"]*"')"
check "api_versions null: no microversion header" "" "$(curl -sS -i "$(URL nomv '/?build')" | grep -i openstack-api-version)"
check "11.0.0 GET /healthcheck: 404 (not in the pipeline)" 404 "$(curl -s -o /dev/null -w '%{http_code}' "$(URL api11 /healthcheck)")"
check "11.0.0 GET /?build" '{"build": "11.0.0"}' "$(curl -sS "$(URL api11 '/?build')")"

# --- content_length ---
expect_http "content_length: true sends Content-Length, still closes" "$(URL cl '/?build')" <<'EOF'
HTTP/1.1 200 OK
Content-Type: application/json
openstack-api-version: key-manager 1.0
vary: openstack-api-version
Content-Length: 19
Connection: close

{"build": "15.0.1"}
EOF

# --- version reports ---
expect_http "version report" "$(URL wrk /version-report)" <<'EOF'
HTTP/1.1 200 OK
Content-Type: application/json
Connection: close

{"schema": "barbican-version-report/1", "service": "barbican-worker", "host": "ctl-1", "release": "15.0.1", "rpc": {"version": "1.1", "cap": "1.0"}, "objects": {"Secret": "1.0"}, "state": "up", "started_at": "2026-11-25T18:00:00Z", "data_migrations_remaining": 3}
EOF
check "report_raw is sent verbatim" '{"schema": 1' "$(curl -sS "$(URL raw /version-report)")"
body=$(curl -sS "$(URL extra /version-report)")
check_true "report: null leaves a field out, report_extra merges" \
	"$PY" -c 'import json,sys; d=json.loads(sys.argv[1]); assert "service" not in d and d["x"] == 1 and d["state"] == "sideways" and d["schema"] == "barbican-version-report/1" and d["host"] == "extra" and len(d["objects"]) == 22' "$body"
check "api+report: the report at report_path" 200 "$(curl -s -o /dev/null -w '%{http_code}' "$(URL both /report)")"
check "api+report: the API too" '{"build": "15.0.1"}' "$(curl -sS "$(URL both '/?build')")"
check "report node: no API" 404 "$(curl -s -o /dev/null -w '%{http_code}' "$(URL wrk /)")"
check "api node: no report" 404 "$(curl -s -o /dev/null -w '%{http_code}' "$(URL api15 /version-report)")"

# --- faults ---
t0=$(now_ms)
curl -sS --max-time 1 "$(URL hang /)" >/dev/null 2>&1 &
hang_pid=$!
curl -sS --max-time 1 "$(URL hangpath /healthcheck)" >/dev/null 2>&1 &
hang2_pid=$!
curl -sS --max-time 2 "$(URL slow '/?build')" >"$T/slow" 2>&1 &
slow_pid=$!
curl -sS --max-time 3 "$(URL drip '/?build')" >"$T/drip" 2>&1 &
drip_pid=$!
sleep 0.1
t=$(curl -sS -o /dev/null -w '%{time_total}' "$(URL api15 '/?build')")
check_true "another node answers at once while hang, slow and drip are pending ($t s)" \
	awk -v t="$t" "BEGIN { exit !(t < 0.3 * $SLOW) }"
check "hangpath: the other paths answer" '{"build": "15.0.1"}' "$(curl -sS --max-time 1 "$(URL hangpath '/?build')")"
wait $hang_pid
check "hang: curl --max-time 1 times out (28)" 28 $?
wait $hang2_pid
check "hang on one path: times out (28)" 28 $?
wait $slow_pid
check "slow_ms: answers" '{"build": "15.0.1"}' "$(cat "$T/slow")"
wait $drip_pid
check "drip_ms: the whole body arrives" '{"build": "15.0.1"}' "$(cat "$T/drip")"
elapsed=$(($(now_ms) - t0))
check_true "slow_ms and drip_ms take their time (${elapsed} ms >= 900)" test "$elapsed" -ge 900
t=$(curl -sS -o /dev/null -w '%{time_total}' "$(URL slow /healthcheck)")
check_true "slow_ms 700: took $t s" awk -v t="$t" 'BEGIN { exit !(t >= 0.65) }'

expect_http "status 500: webob's HTML page" "$(URL e500 '/?build')" <<'EOF'
HTTP/1.1 500 Internal Server Error
Content-Type: text/html; charset=UTF-8
Connection: close

<html>
 <head>
  <title>500 Internal Server Error</title>
 </head>
 <body>
  <h1>500 Internal Server Error</h1>
  The server has either erred or is incapable of performing the requested operation.<br /><br />



 </body>
</html>
EOF
check "invalid_json: 200" 200 "$(curl -s -o "$T/bad" -w '%{http_code}' "$(URL badjson '/?build')")"
if "$PY" -c 'import json,sys; json.load(open(sys.argv[1]))' "$T/bad" 2>/dev/null; then
	not_ok "invalid_json: the body does not parse"
else
	ok "invalid_json: the body does not parse"
fi
check "invalid_json: only on its path" 300 "$(curl -s -o /dev/null -w '%{http_code}' "$(URL badjson /)")"
check "oversized: 2000000 bytes" 2000000 "$(curl -sS "$(URL big '/?build')" | wc -c | tr -d ' ')"
check_true "oversized: still valid JSON with the real fields" \
	"$PY" -c 'import json,sys; d=json.load(sys.stdin); assert d["build"] == "15.0.1" and len(d["padding"]) > 1999000' < <(curl -sS "$(URL big '/?build')")
check "oversized: no Content-Length" 0 "$(curl -sS -i "$(URL big /)" | grep -ci '^content-length')"
# a slow reader of the big body does not hold up anyone else
curl -sS --max-time 2 --limit-rate 100K "$(URL big /)" -o /dev/null 2>/dev/null &
big_pid=$!
sleep 0.2
t=$(curl -sS -o /dev/null -w '%{time_total}' "$(URL api15 /)")
check_true "a node answers at once while a big body streams ($t s)" awk -v t="$t" "BEGIN { exit !(t < 0.3 * $SLOW) }"
check "redirect: 302" "302 http://127.0.0.1:1/" "$(curl -s -o /dev/null -w '%{http_code} %{redirect_url}' "$(URL redir /)")"
curl -sS "$(URL early /)" >/dev/null 2>&1
check "close_early: empty reply (52)" 52 $?
curl -sS "$(URL refuse /)" >/dev/null 2>&1
check "refuse: connection refused (7)" 7 $?
wait $big_pid 2>/dev/null

# --- robustness ---
long=$(head -c 17000 /dev/zero | tr '\0' a)
check "headers over 16 KiB: 431" 431 "$(curl -s -o /dev/null -w '%{http_code}' -H "X-Long: $long" "$(URL api15 /)")"
raw_request() { # PORT DATA: send DATA, print the status line
	exec 3<>"/dev/tcp/127.0.0.1/$1" || return
	printf '%b' "$2" >&3
	head -n 1 <&3 | tr -d '\r'
	exec 3<&-
}
check "garbage request: 400" "HTTP/1.1 400 Bad Request" "$(raw_request "$(P api15)" 'GARBAGE\r\n\r\n')"
check "HTTP/1.0 request" "HTTP/1.0 300 Multiple Choices" "$(raw_request "$(P api15)" 'GET / HTTP/1.0\r\n\r\n')"
check "bare LF line ends" "HTTP/1.1 200 OK" "$(raw_request "$(P api15)" 'GET /?build HTTP/1.1\nHost: x\n\n')"
check "a request with a body" "HTTP/1.1 200 OK" "$(raw_request "$(P api15)" 'POST /healthcheck HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello')"
# half a request, then the client goes; a client that leaves mid-response
exec 3<>"/dev/tcp/127.0.0.1/$(P api15)"
printf 'GET / HTTP/1.1\r\nHo' >&3
exec 3<&-
curl -sS --max-time 0.3 --limit-rate 20K "$(URL big /)" -o /dev/null 2>/dev/null
check "still serving after partial requests and aborted clients" '{"build": "15.0.1"}' "$(curl -sS "$(URL api15 '/?build')")"

# --- control endpoint ---
CTL=("$SIM" ctl --ports-file "$PF")
check "GET /fleet lists the nodes" 23 "$(curl -sS "http://127.0.0.1:$CONTROL/fleet" | "$PY" -c 'import json,sys; print(len(json.load(sys.stdin)["nodes"]))')"
check "GET /nodes/NAME" '15.0.1 200 True' "$(curl -sS "http://127.0.0.1:$CONTROL/nodes/api15" | "$PY" -c 'import json,sys; d=json.load(sys.stdin); print(d["release"], d["health"], d["listening"])')"
"${CTL[@]}" set api15 '{"health": 503, "faults": {"/?build": {"status": 502}}}' >/dev/null
check "ctl set: health 503" 503 "$(curl -s -o /dev/null -w '%{http_code}' "$(URL api15 /healthcheck)")"
check "ctl set: a fault" 502 "$(curl -s -o /dev/null -w '%{http_code}' "$(URL api15 '/?build')")"
"${CTL[@]}" set api15 '{"health": 200, "faults": null}' >/dev/null
check "ctl set: back to normal" "200 200" "$(curl -s -w '%{http_code} ' -o /dev/null "$(URL api15 /healthcheck)" -o /dev/null "$(URL api15 '/?build')" | sed 's/ $//')"
"${CTL[@]}" set api15 '{"faults": {"*": {"refuse": true}}}' >/dev/null
curl -sS "$(URL api15 /)" >/dev/null 2>&1
check "ctl set: refuse closes the port" 7 $?
"${CTL[@]}" set api15 '{"faults": {}}' >/dev/null
check "ctl set: and reopens it" 300 "$(curl -s -o /dev/null -w '%{http_code}' "$(URL api15 /)")"
"${CTL[@]}" set api15 '{"health": 201}' >/dev/null 2>"$T/err"
check "ctl set: an invalid node is refused (exit 1)" 1 $?
check "ctl set: with the reason" 1 "$(grep -c 'health: not 200, 503 or 404' "$T/err")"
"${CTL[@]}" get nosuch >/dev/null 2>&1
check "ctl get: unknown node (exit 1)" 1 $?
check "POST /nodes/NAME with broken JSON: 400" 400 "$(curl -s -o /dev/null -w '%{http_code}' -d '{' "http://127.0.0.1:$CONTROL/nodes/api15")"
check "POST /nodes/NAME changing the port: 400" 400 "$(curl -s -o /dev/null -w '%{http_code}' -d '{"port": 1}' "http://127.0.0.1:$CONTROL/nodes/api15")"
"$SIM" ctl upgrade api15 1.0 >/dev/null 2>&1
check "ctl without a ports file: usage (2)" 2 $?

# --- upgrade: drained -> refused -> up at the new release, same port ---
up_port=$(P upg)
t0=$(now_ms)
check "ctl upgrade: accepted" "upg: upgrading to 15.0.1" "$("${CTL[@]}" upgrade upg 15.0.1 --drain-ms 600 --down-ms 600)"
seq=""
last=""
first_refused=0
first_up=0
while :; do
	code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "http://127.0.0.1:$up_port/healthcheck")
	rc=$?
	t=$(($(now_ms) - t0)) # after the answer: never earlier than the state seen
	if [ $rc -eq 7 ]; then
		state=refused
		[ $first_refused -eq 0 ] && first_refused=$t
	elif [ $rc -eq 52 ] || [ $rc -eq 56 ]; then
		state=$last # connected just as the node went down: cut
	elif [ "$code" = 503 ]; then
		state=drained
	elif [ "$code" = 200 ]; then
		state=up
		first_up=$t
	else
		state="other($rc/$code)"
	fi
	[ "$state" != "$last" ] && seq="$seq${seq:+ }$state"
	last=$state
	[ "$state" = up ] && break
	[ "$t" -gt $((5000 * SLOW)) ] && break
	sleep 0.04
done
check "upgrade sequence" "drained refused up" "$seq"
check_true "refused after drain_ms (at $first_refused ms)" test "$first_refused" -ge 550
check_true "up after drain_ms + down_ms (at $first_up ms)" test "$first_up" -ge 1150 -a "$first_up" -le $((3000 * SLOW))
check "up at the new release" '{"build": "15.0.1"}' "$(curl -sS "http://127.0.0.1:$up_port/?build")"
check "with the new release's microversions" "openstack-api-version: key-manager 1.1" \
	"$(curl -sS -i -H 'OpenStack-API-Version: key-manager latest' "http://127.0.0.1:$up_port/" | grep -i '^openstack-api-version' | tr -d '\r')"
check "on the same port" "$up_port" "$(curl -sS "http://127.0.0.1:$CONTROL/nodes/upg" | "$PY" -c 'import json,sys; d=json.load(sys.stdin); print(d["port"]) if d["upgrade"]["phase"] == "up" else print("phase", d["upgrade"])')"
"${CTL[@]}" upgrade wupg 15.0.1 --drain-ms 1000 --down-ms 100 >/dev/null
check "report while draining" "draining 14.0.2" "$(curl -sS "$(URL wupg /version-report)" | "$PY" -c 'import json,sys; d=json.load(sys.stdin); print(d["state"], d["release"])')"
check "a second upgrade while one runs: 409" 409 "$(curl -s -o /dev/null -w '%{http_code}' -d '{"release": "16.0.0"}' "http://127.0.0.1:$CONTROL/nodes/wupg/upgrade")"
"${CTL[@]}" upgrade api11 12.0.0 --drain-ms 100 --down-ms 100 --wait >"$T/wait" 2>&1
check "ctl upgrade --wait: exit 0 when up" 0 $?
check "ctl upgrade --wait: says so" "api11: up at 12.0.0 on port $(P api11)" "$(cat "$T/wait")"
check "12.0.0 has a healthcheck" 200 "$(curl -s -o /dev/null -w '%{http_code}' "$(URL api11 /healthcheck)")"
for ((i = 0; i < 100 * SLOW; i++)); do
	[ "$(curl -sS "http://127.0.0.1:$CONTROL/nodes/wupg" | grep -o '"phase": "up"')" ] && break
	sleep 0.05
done
check "report after the upgrade" "15.0.1 up" "$(curl -sS "$(URL wupg /version-report)" | "$PY" -c 'import json,sys; d=json.load(sys.stdin); print(d["release"], d["state"])')"
"${CTL[@]}" upgrade nosuch 15.0.1 --wait >/dev/null 2>&1
check "ctl upgrade: unknown node (exit 1)" 1 $?

# --- concurrent clients ---
urls=()
for n in api15 api14 cl both drained nomv; do
	for i in $(seq 1 40); do
		urls+=(-o /dev/null "http://127.0.0.1:${PORTS[$n]}/?build")
	done
done
codes=$(curl -sS --no-progress-meter --parallel --parallel-max 120 -w '%{http_code}\n' "${urls[@]}" | sort | uniq -c | tr -s ' ' | sed 's/^ //')
check "240 concurrent requests to 6 nodes" "240 200" "$codes"

# --- 500 nodes ---
{
	printf '{"nodes": [\n'
	for i in $(seq 1 500); do
		[ $i -gt 1 ] && printf ',\n'
		if [ $((i % 5)) -eq 0 ]; then
			printf '{"name": "n%d", "kind": "report", "release": "15.0.1"}' $i
		else
			printf '{"name": "n%d", "kind": "api", "release": "15.0.1"}' $i
		fi
	done
	printf '\n]}\n'
} >"$T/fleet500.json"
PF5=$T/ports500.json
start_sim "$T/fleet500.json" "$PF5"
load_ports "$PF5"
urls=()
for i in $(seq 1 500); do
	if [ $((i % 5)) -eq 0 ]; then
		urls+=(-o /dev/null "http://127.0.0.1:${PORTS[n$i]}/version-report")
	else
		urls+=(-o /dev/null "http://127.0.0.1:${PORTS[n$i]}/healthcheck")
	fi
done
codes=$(curl -sS --no-progress-meter --parallel --parallel-max 250 -w '%{http_code}\n' "${urls[@]}" | sort | uniq -c | tr -s ' ' | sed 's/^ //')
check "500 nodes answer" "500 200" "$codes"
check "500 nodes: 500 distinct ports" 500 "$(for i in $(seq 1 500); do echo "${PORTS[n$i]}"; done | sort -u | grep -c .)"

# --- kind "none", set-all, upgrade --set: what the upgrade runner drives,
# on the example fleets ---
FLEETS=${BS_SOURCE_ROOT:-$(dirname "$0")/../..}/tests/sim/fleets
PFD=$T/ports-demo14.json
start_sim "$FLEETS/demo-14.json" "$PFD"
DEMO_PID=${PIDS[-1]}
load_ports "$PFD"
CTLD=("$SIM" ctl --ports-file "$PFD")
# sockets of the simulator: the control endpoint and one per node with a port
check "kind none: no socket at all (control + 6 nodes)" 7 "$(ls -l "/proc/$DEMO_PID/fd" | grep -c 'socket:')"
check "kind none: listed under \"unobservable\", not in \"nodes\"" "6 ['ctl1-retry']" \
	"$("$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(len(d["nodes"]), d["unobservable"])' "$PFD")"
check "ports file: \"unobservable\" is [] without such nodes" "[]" \
	"$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["unobservable"])' "$PF5" 2>/dev/null || echo gone)"
node_field() { # PORTSFILE NAME PYTHON-EXPR-OF-d
	"$SIM" ctl --ports-file "$1" get "$2" | "$PY" -c 'import json,sys; d=json.load(sys.stdin); print('"$3"')'
}
check "kind none: GET /nodes/NAME" "none None False 14.0.2 barbican-retry None" \
	"$(node_field "$PFD" ctl1-retry 'd["kind"], d["port"], d["listening"], d["release"], d["service"], d["upgrade"]')"
check "kind none: in GET /fleet" "7 none" \
	"$("${CTLD[@]}" fleet | "$PY" -c 'import json,sys; n=json.load(sys.stdin)["nodes"]; print(len(n), n[-1]["kind"])')"
# its upgrade walks through the phases on no port
check "kind none: ctl upgrade accepted" "ctl1-retry: upgrading to 15.0.1" \
	"$("${CTLD[@]}" upgrade ctl1-retry 15.0.1 --drain-ms 300 --down-ms 300)"
seq=""
last=""
for ((i = 0; i < 200 * SLOW; i++)); do
	state=$(node_field "$PFD" ctl1-retry 'd["upgrade"]["phase"], d.get("state", "-"), d["release"], d["listening"]' | tr ' ' /)
	[ "$state" != "$last" ] && seq="$seq${seq:+ }$state"
	last=$state
	case $state in up/*|failed/*) break ;; esac
	sleep 0.02
done
check "kind none: draining -> down -> up at the new release" \
	"draining/draining/14.0.2/False down/draining/14.0.2/False up/-/15.0.1/False" "$seq"
check "kind none: still no socket after the upgrade" 7 "$(ls -l "/proc/$DEMO_PID/fd" | grep -c 'socket:')"
"${CTLD[@]}" upgrade ctl1-retry 16.0.0 --drain-ms 50 --down-ms 50 --wait >"$T/wait" 2>&1
check "kind none: ctl upgrade --wait: exit 0 once up" 0 $?
check "kind none: ctl upgrade --wait: says so" "ctl1-retry: up at 16.0.0 (no port)" "$(cat "$T/wait")"
"${CTLD[@]}" set ctl1-retry '{"state": "stopped", "port": null}' >/dev/null
check "kind none: ctl set (its GET output may be posted back: port null)" "stopped None" \
	"$(node_field "$PFD" ctl1-retry 'd["state"], d["port"]')"
"${CTLD[@]}" set ctl1-retry '{"kind": "api"}' >/dev/null 2>"$T/err"
check "kind none: cannot become a kind with a port (exit 1)" "1 1" "$? $(grep -c 'kind cannot change to or from "none"' "$T/err")"
"${CTLD[@]}" set ctl1-wrk '{"kind": "none"}' >/dev/null 2>"$T/err"
check "kind none: a node with a port cannot become one (exit 1)" "1 1" "$? $(grep -c 'kind cannot change to or from "none"' "$T/err")"
"${CTLD[@]}" set ctl1-retry '{"port": 9}' >/dev/null 2>&1
check "kind none: no port can be set (exit 1)" 1 $?
printf '{"nodes": [{"name": "x", "kind": "none", "release": "14.0.2", "port": 9311}]}' >"$T/none-port.json"
"$SIM" --fleet "$T/none-port.json" >/dev/null 2>"$T/err"
check "kind none with a port in the fleet file: exit 1" "1 1" "$? $(grep -c 'port: a node of kind "none" listens on no port' "$T/err")"

# set-all: one request, every node of a kind, all or nothing
check "set-all: report nodes by default" "4 of 4 nodes changed (kind report)" \
	"$("${CTLD[@]}" set-all '{"data_migrations_remaining": 5}')"
check "set-all: the reports show it" "5 5 5 5" \
	"$(for n in ctl1-wrk ctl2-wrk ctl3-wrk ctl1-ksl; do curl -sS "$(URL "$n" /version-report)" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["data_migrations_remaining"])'; done | tr '\n' ' ' | sed 's/ $//')"
check "set-all: the APIs are left alone" "False False" \
	"$(for n in ctl1-api ctl2-api; do node_field "$PFD" "$n" '"data_migrations_remaining" in d'; done | tr '\n' ' ' | sed 's/ $//')"
check "set-all: nodes already so do not count" "0 of 4 nodes changed (kind report)" \
	"$("${CTLD[@]}" set-all '{"data_migrations_remaining": 5}')"
check "set-all --kind api" "2 of 2 nodes changed (kind api)" \
	"$("${CTLD[@]}" set-all '{"data_migrations_remaining": 5}' --kind api)"
check "set-all --kind none" "1 of 1 nodes changed (kind none)" \
	"$("${CTLD[@]}" set-all '{"data_migrations_remaining": 5}' --kind none)"
check "set-all --kind all" "7 of 7 nodes changed (kind all)" \
	"$("${CTLD[@]}" set-all '{"data_migrations_remaining": 0}' --kind all)"
check "set-all: the answer of POST /nodes" '{"kind": "report", "matched": 4, "changed": 4, "nodes": ["ctl1-wrk", "ctl2-wrk", "ctl3-wrk", "ctl1-ksl"]}' \
	"$(curl -sS -d '{"state": "up"}' "http://127.0.0.1:$CONTROL/nodes?kind=report")"
fleet_now() {
	"${CTLD[@]}" fleet | "$PY" -c 'import json,sys; n=json.load(sys.stdin)["nodes"]; [d.pop("requests") for d in n]; print(json.dumps(n, sort_keys=True))'
}
before=$(fleet_now)
# valid for the six nodes with a port, invalid for the last one (kind none)
"${CTLD[@]}" set-all '{"kind": "api", "state": "broken"}' --kind all >"$T/out" 2>"$T/err"
check "set-all: one node would become invalid: exit 1" "1 1" "$? $(grep -c 'ctl1-retry: kind cannot change' "$T/err")"
check "set-all: ... and nothing changed" "$before" "$(fleet_now)"
check "set-all: ... not even on the nodes before it" "report up" "$(node_field "$PFD" ctl1-wrk 'd["kind"], d["state"]')"
"${CTLD[@]}" set-all '{"health": 201}' --kind api >/dev/null 2>"$T/err"
check "set-all: an invalid value (exit 1, the reason)" "1 1" "$? $(grep -c 'health: not 200, 503 or 404' "$T/err")"
"${CTLD[@]}" set-all '{"port": 1}' >/dev/null 2>&1
check "set-all: port is a node's own (exit 1)" 1 $?
"${CTLD[@]}" set-all '{' >/dev/null 2>&1
check "set-all: broken JSON (exit 1)" 1 $?
check "set-all: nothing changed by the failures" "$before" "$(fleet_now)"
"${CTLD[@]}" set-all '{}' --kind bogus >/dev/null 2>&1
check "set-all --kind bogus: usage (2)" 2 $?
check "POST /nodes?kind=bogus: 400" 400 "$(curl -s -o /dev/null -w '%{http_code}' -d '{}' "http://127.0.0.1:$CONTROL/nodes?kind=bogus")"
check "GET /nodes: 405" 405 "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$CONTROL/nodes")"
"${CTLD[@]}" set-all '{"faults": {"*": {"refuse": true}}}' --kind api >/dev/null
check "set-all: refuse closes the ports at once (the reports still answer)" "7 7 200" \
	"$(for n in ctl1-api ctl2-api; do curl -s -o /dev/null "$(URL "$n" /)"; echo -n "$? "; done; curl -s -o /dev/null -w '%{http_code}' "$(URL ctl1-wrk /version-report)")"
"${CTLD[@]}" set-all '{"faults": null}' --kind api >/dev/null
check "set-all: and reopens them" "300 300" \
	"$(for n in ctl1-api ctl2-api; do curl -s -o /dev/null -w '%{http_code} ' "$(URL "$n" /)"; done | sed 's/ $//')"

# demo-pinned.json: upgraded with --set, the nodes come up pinned with data
# migrations left; set-all unpins and finishes them (README.md)
PFP=$T/ports-pinned.json
start_sim "$FLEETS/demo-pinned.json" "$PFP"
load_ports "$PFP"
CTLP=("$SIM" ctl --ports-file "$PFP")
reports() { # release cap data_migrations_remaining of each report node
	local n
	for n in ctl1-wrk ctl2-wrk ctl3-wrk ctl1-ksl; do
		curl -sS "$(URL "$n" /version-report)" | "$PY" -c 'import json,sys; d=json.load(sys.stdin); print("%s/%s/%s" % (d["release"], d["rpc"]["cap"], d["data_migrations_remaining"]))'
	done | tr '\n' ' ' | sed 's/ $//'
}
check "demo-pinned: 6 nodes at 15.0.1, no cap" "15.0.1/None/0 15.0.1/None/0 15.0.1/None/0 15.0.1/None/0" "$(reports)"
PIN='{"rpc": {"version": "1.1", "cap": "1.1"}, "data_migrations_remaining": 12}'
"${CTLP[@]}" upgrade ctl1-wrk 16.0.0 --set '{"health": 201}' >/dev/null 2>"$T/err"
check "upgrade --set: an invalid node is refused (exit 1)" "1 1" "$? $(grep -c 'health: not 200, 503 or 404' "$T/err")"
check "upgrade --set: ... and the node is not upgraded" "15.0.1 None" "$(node_field "$PFP" ctl1-wrk 'd["release"], d["upgrade"]')"
"${CTLP[@]}" upgrade ctl1-wrk 16.0.0 --set '{"release": "17.0.0"}' >/dev/null 2>&1
check "upgrade --set with \"release\": usage (2)" 2 $?
"${CTLP[@]}" upgrade ctl1-wrk 16.0.0 --set '[1]' >/dev/null 2>&1
check "upgrade --set not an object: usage (2)" 2 $?
"${CTLP[@]}" set ctl1-wrk '{}' --set '{}' >/dev/null 2>&1
check "--set is for upgrade only: usage (2)" 2 $?
upids=()
for n in ctl1-api ctl2-api ctl1-wrk ctl2-wrk ctl3-wrk ctl1-ksl; do
	"${CTLP[@]}" upgrade "$n" 16.0.0 --drain-ms 100 --down-ms 100 --set "$PIN" --wait >"$T/up-$n" 2>&1 &
	upids+=($!)
done
rcs=""
for p in "${upids[@]}"; do
	wait "$p"
	rcs="$rcs$?"
done
check "upgrade --set --wait: the 6 nodes (exit 0 each)" 000000 "$rcs"
check "upgrade --set: pinned with data migrations left" "16.0.0/1.1/12 16.0.0/1.1/12 16.0.0/1.1/12 16.0.0/1.1/12" "$(reports)"
check "upgrade --set: the APIs at the new release" '{"build": "16.0.0"} {"build": "16.0.0"}' \
	"$(curl -sS "$(URL ctl1-api '/?build')"; echo -n ' '; curl -sS "$(URL ctl2-api '/?build')")"
check "unpin: set-all rpc cap null" "4 of 4 nodes changed (kind report)" \
	"$("${CTLP[@]}" set-all '{"rpc": {"version": "1.1", "cap": null}}')"
check "unpin: no cap left" "16.0.0/None/12 16.0.0/None/12 16.0.0/None/12 16.0.0/None/12" "$(reports)"
check "data migrations: set-all data_migrations_remaining 0" "4 of 4 nodes changed (kind report)" \
	"$("${CTLP[@]}" set-all '{"data_migrations_remaining": 0}')"
check "data migrations: none left" "16.0.0/None/0 16.0.0/None/0 16.0.0/None/0 16.0.0/None/0" "$(reports)"

# --- SIGTERM ---
for i in "${!PIDS[@]}"; do
	kill -TERM "${PIDS[$i]}"
	wait "${PIDS[$i]}"
	check "SIGTERM: exit 0 (simulator $i)" 0 $?
done
PIDS=()
check_true "SIGTERM: pidfile and ports files removed" test ! -e "$PF.pid" -a ! -e "$PF" -a ! -e "$PF5" -a ! -e "$PFD" -a ! -e "$PFP"
check "nothing on stderr (no errors, no valgrind reports)" "" "$(head -5 "$T/sim.log")"

# --- the example fleets load ---
for f in "${BS_SOURCE_ROOT:-$(dirname "$0")/../..}"/tests/sim/fleets/*.json; do
	"$SIM" --fleet "$f" --ports-file "$T/ex.json" &
	pid=$!
	for ((i = 0; i < 100; i++)); do
		[ -s "$T/ex.json" ] && break
		sleep 0.02
	done
	check_true "example fleet $(basename "$f") loads" test -s "$T/ex.json"
	kill "$pid"
	wait "$pid"
	rm -f "$T/ex.json"
done

echo "1..$((npass + nfail))"
echo "# $npass passed, $nfail failed"
[ "$nfail" -eq 0 ]
