# bench/fleet-server.sh: the fleet of the scale issue's benches, sourced by
# fleet.sh and poll-parts.sh (bash, from the source root).
#
#   fleet_begin NAME         nginx and wrk are here (else exit 1); D, a new
#                            directory /tmp/bs-bench-NAME.*, removed at exit
#                            with the server (an EXIT trap)
#   fleet_server_start DIR   nginx (one worker process) on a free 127.0.0.1
#                            port, its files in DIR: a 250-byte version report
#                            at every /r/NAME; sets PORT and NGINX_PID (the
#                            caller kills it)
#   fleet N FILE [DBURL [CONSOLE_RATE]]
#                            a barbican-status.conf of N workers wrk-0 ..,
#                            each with a report_url on that server
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

fleet_begin() {  # NAME
    local p
    for p in nginx wrk; do
        command -v "$p" >/dev/null || [ -x "/usr/sbin/$p" ] ||
            { echo "bench: $p missing (scripts/install-deps.sh --bench)" >&2; exit 1; }
    done
    D=$(mktemp -d "/tmp/bs-bench-$1.XXXXXX")
    chmod 755 "$D"
    NGINX_PID=
    trap fleet_end EXIT
}

fleet_end() {
    [ -n "$NGINX_PID" ] && kill "$NGINX_PID" 2>/dev/null && wait "$NGINX_PID" 2>/dev/null
    rm -rf "$D"
}

fleet_server_start() {  # DIR
    local D=$1
    PORT=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    mkdir -p "$D/www" "$D/tmp"
    printf '{"schema": "barbican-version-report/1", "service": "barbican-worker", "host": "ctl", "release": "15.0.1", "state": "up", "rpc": {"version": "1.1", "cap": null}, "objects": {"Secret": "1.0", "Order": "1.0"}, "pid": 4242}\n' > "$D/www/report.json"
    chmod -R a+rX "$D/www"
    cat > "$D/nginx.conf" <<EOF
worker_processes 1;
daemon off;
pid $D/nginx.pid;
error_log $D/error.log;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $D/tmp; proxy_temp_path $D/tmp; fastcgi_temp_path $D/tmp;
  uwsgi_temp_path $D/tmp; scgi_temp_path $D/tmp;
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:$PORT;
    root $D/www;
    location /r/ { default_type application/json; try_files /report.json =404; }
  }
}
EOF
    "$NGINX" -c "$D/nginx.conf" -e "$D/error.log" &
    NGINX_PID=$!
    for _ in $(seq 50); do
        curl -fs "http://127.0.0.1:$PORT/r/x" >/dev/null 2>&1 && break
        sleep 0.1
    done
    curl -fs "http://127.0.0.1:$PORT/r/x" >/dev/null || { echo "bench: nginx did not start" >&2; exit 1; }
}

fleet() {  # N FILE [DBURL [CONSOLE_RATE]]
    /usr/bin/python3 - "$1" "$2" "$PORT" "${3:-}" "${4:-}" <<'EOF'
import sys
n, path, port, db, rate = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
with open(path, "w") as f:
    if db:
        f.write("[DEFAULT]\nsql_connection = %s\n" % db)
    f.write("[upgrade]\ntarget_release = 15.0.1\n")
    if rate:
        f.write("[probes]\nconsole_rate = %s\n" % rate)
    for i in range(n):
        f.write("[node:wrk-%d]\nservice = barbican-worker\nhost = ctl-%d\n"
                "report_url = http://127.0.0.1:%s/r/wrk-%d\n" % (i, i, port, i))
EOF
}
