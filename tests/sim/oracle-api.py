#!/usr/bin/python3
"""oracle-api.py BS-NODESIM [--full]: compare bs-nodesim's barbican-api with
the real one.

Loads Barbican's own paste pipeline for /, /?build and /healthcheck (the
version app behind the microversion middleware, oslo.middleware's
healthcheck) in this process, starts BS-NODESIM with two 15.0.1 nodes
(healthy, and drained: health 503), sends the same requests to both, and
compares status, headers and body byte for byte. The real API runs under
uwsgi, whose Debian configuration removes Content-Length and adds
"Connection: close"; the expected responses are adjusted the same way.

The request matrix (methods x paths x OpenStack-API-Version x Accept) has
10920 requests; by default every 17th is sent (--full: all).

Needs python3-barbican (15.0.1) and its dependencies; fails (it never skips) without
them. Prints TAP and exits 1 on a mismatch.
"""
import http.client
import itertools
import logging
import json
import os
import subprocess
import sys
import tempfile
import time
import warnings

try:
    import barbican.common.config
    import webob
    from paste.deploy import loadapp
except ImportError as e:
    print("FAIL: the reference (python3-barbican 15.0.1) cannot be loaded: %s; "
          "install it with scripts/install-deps.sh --test" % e)
    sys.exit(1)

logging.disable(logging.CRITICAL)
warnings.simplefilter("ignore")

PASTE = """
[composite:main]
use = egg:Paste#urlmap
/: barbican_version
/healthcheck: healthcheck

[pipeline:barbican_version]
pipeline = cors http_proxy_to_wsgi microversion versionapp

[app:versionapp]
paste.app_factory = barbican.api.app:create_version_app

[filter:microversion]
paste.filter_factory = barbican.api.middleware.microversion:MicroversionMiddleware.factory

[filter:cors]
paste.filter_factory = oslo_middleware.cors:filter_factory
oslo_config_project = barbican

[filter:http_proxy_to_wsgi]
paste.filter_factory = oslo_middleware:HTTPProxyToWSGI.factory

[app:healthcheck]
paste.app_factory = oslo_middleware:Healthcheck.app_factory
backends = disable_by_file
disable_by_file_path = %s
"""

HOST = "127.0.0.1:9311"
# the simulated nodes have "host_href": "http://127.0.0.1:9311"
HOST_HREF = "http://" + HOST

METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE"]
PATHS = ["/", "/?build", "/?build=1&x=2", "/?other", "/index", "/nothing",
         "/healthcheck", "/healthcheck?detailed=true", "/healthcheck/x", "/healthcheckx"]
VERSIONS = [None, "key-manager 1.0", "key-manager latest", "key-manager 1.1",
            "key-manager 1.2", "key-manager 2.0", "key-manager foo", "key-manager 1",
            "compute 2.1, key-manager 1.1", "KEY-MANAGER 1.01", "compute 9.9",
            "key-manager 1.\u00e9<&'\"", "key-manager \u00a0.1\x7f"]
ACCEPTS = [None, "*/*", "application/json", "text/html", "text/plain",
           "application/json-home", "text/html,application/xhtml+xml,*/*;q=0.8",
           "application/json;q=0.5, text/html", "image/png", "*/*;q=0",
           "text/*", "application/*"]


def real(app, method, path, headers):
    req = webob.Request.blank(path, method=method, headers=headers)
    req.environ["SERVER_PORT"] = "9311"
    resp = req.get_response(app)
    hdrs = [(k, v) for k, v in resp.headerlist if k.lower() != "content-length"]
    hdrs.append(("Connection", "close"))
    return resp.status_int, hdrs, b"" if method == "HEAD" else resp.body


def sim(port, method, path, headers):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    c.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
    for k, v in headers.items():
        c.putheader(k, v)
    c.endheaders()
    r = c.getresponse()
    r.will_close = True
    if method == "HEAD":
        r.length = 0
    body = r.read()
    c.close()
    return r.status, r.getheaders(), body


def start_sim(sim, tmp):
    fleet = os.path.join(tmp, "fleet.json")
    ports = os.path.join(tmp, "ports.json")
    node = {"kind": "api", "release": barbican.version.__version__, "host_href": HOST_HREF}
    with open(fleet, "w") as f:
        json.dump({"nodes": [dict(node, name="up"), dict(node, name="drained", health=503)]}, f)
    proc = subprocess.Popen([sim, "--fleet", fleet, "--ports-file", ports])
    for _ in range(200):
        if os.path.exists(ports):
            with open(ports) as f:
                return proc, json.load(f)["nodes"]
        time.sleep(0.025)
    proc.kill()
    sys.exit("Bail out! %s did not start" % sim)


def main():
    sim = sys.argv[1]
    stride = 1 if "--full" in sys.argv[2:] else 17
    if barbican.version.__version__ != "15.0.1":
        print("FAIL: python3-barbican is %s, not the 15.0.1 this oracle was written for"
              % barbican.version.__version__)
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        proc, ports = start_sim(sim, tmp)
        try:
            return compare(tmp, ports["up"], ports["drained"], stride)
        finally:
            proc.terminate()
            proc.wait()


def compare(tmp, port, port_drained, stride):
    disable = os.path.join(tmp, "healthcheck_disable")
    ini = os.path.join(tmp, "paste.ini")
    with open(ini, "w") as f:
        f.write(PASTE % disable)
    app = loadapp("config:" + ini)
    barbican.common.config.CONF.set_override("host_href", HOST_HREF)
    ntest = 0
    failed = 0
    for drained in (False, True):
        if drained:
            open(disable, "w").close()
        p = port_drained if drained else port
        for method in METHODS:
            n = bad = 0
            first = None
            paths = PATHS if not drained else [x for x in PATHS if "health" in x]
            matrix = list(itertools.product(paths, VERSIONS, ACCEPTS))
            for path, mv, acc in matrix[ntest % stride::stride]:
                headers = {"Host": HOST}
                if mv is not None:
                    headers["OpenStack-API-Version"] = mv
                if acc is not None:
                    headers["Accept"] = acc
                exp = real(app, method, path, headers)
                got = sim(p, method, path, headers)
                n += 1
                if exp != got:
                    bad += 1
                    if first is None:
                        first = (path, headers, exp, got)
            ntest += 1
            name = "%s %s requests%s match the real 15.0.1 API" % (
                n, method, " (drained)" if drained else "")
            if bad:
                failed += 1
                print("not ok %d - %s: %d differ" % (ntest, name, bad))
                path, headers, exp, got = first
                print("#   %s %s %s" % (method, path, headers))
                print("#   real: %r" % (exp,))
                print("#   sim:  %r" % (got,))
            else:
                print("ok %d - %s" % (ntest, name))
    print("1..%d" % ntest)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
