#!/usr/bin/python3
"""Ten thousand nodes, the same answers: `nodes --json` for a fleet of
10,000 workers, each with its own version report (varied releases, states,
RPC versions and caps, objects, data migrations, pids, restart_needed, and a
few wrong answers: a missing state, a release that is not a version, another
service, a bad RPC version, HTTP 500, a body that is not JSON) served over
HTTP/1.1 keep-alive by a real server on 127.0.0.1, compared field by field
with what an independent reader of the same reports (this file, from the
version report protocol) expects. Latencies and ages are left out. The
bounded pool of connections and handles (probes/http.c) must change nothing
about the answers at any size: [probes] concurrency is 7 here, so that each
handle serves over a thousand nodes."""
import json
import os
import random
import shutil
import tempfile
import threading
import unittest
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import harness as h

N = 10000
SCHEMA = "barbican-version-report/1"
RELEASES = ["14.0.2", "15.0.0", "15.0.1"]
OBJECTS = ["Secret", "Order", "Container", "SecretStore", "TransportKey"]


def make_reports(seed=1):
    """name -> (HTTP status, body bytes, expected fields or None for error)."""
    rnd = random.Random(seed)
    out = {}
    for i in range(N):
        name = "wrk-%05d" % i
        rep = {"schema": SCHEMA, "service": "barbican-worker", "host": "ctl-%d" % (i % 97),
               "release": rnd.choice(RELEASES),
               "state": rnd.choice(["up", "up", "up", "draining", "stopping", "stopped"])}
        if rnd.random() < 0.8:
            rep["rpc"] = {"version": "1.%d" % rnd.randint(0, 3),
                          "cap": rnd.choice([None, "1.0", "1.1"])}
        if rnd.random() < 0.8:
            rep["objects"] = {o: "%d.%d" % (rnd.randint(1, 2), rnd.randint(0, 4))
                              for o in rnd.sample(OBJECTS, rnd.randint(0, len(OBJECTS)))}
        if rnd.random() < 0.3:
            rep["data_migrations_remaining"] = rnd.randint(0, 10 ** 6)
        if rnd.random() < 0.2:
            rep["restart_needed"] = True
        if rnd.random() < 0.5:
            rep["pids"] = [rnd.randint(2, 4 * 10 ** 6) for _ in range(rnd.randint(1, 4))]
        status = 200
        wrong = rnd.random()
        if wrong < 0.004:
            del rep["state"]
        elif wrong < 0.008:
            rep["release"] = "15.0.1; rm -rf /"
        elif wrong < 0.012:
            rep["service"] = "barbican-api"
        elif wrong < 0.016:
            rep["rpc"] = {"version": "one.two", "cap": None}
        elif wrong < 0.020:
            status = 500
        body = json.dumps(rep).encode()
        if 0.020 <= wrong < 0.024:
            body = b"<html>not json</html>"
        out[name] = (status, body, None if wrong < 0.024 else expected(rep))
    return out


def manifest():
    """release -> (RPC version, {object: version}) from data/releases.tsv, read
    here without the C manifest: what a node's release implies when its
    report leaves RPC or objects out (DESIGN.md: derived values)."""
    path = os.path.join(os.environ.get("BS_SOURCE_ROOT", os.path.join(os.path.dirname(__file__),
                                                                      "../..")),
                        "data", "releases.tsv")
    with open(path) as f:
        head = f.readline().rstrip("\n").split("\t")
        rows = [dict(zip(head, line.rstrip("\n").split("\t"))) for line in f if line.strip()]
    return {r["release"]: (r["rpc_queue_version"],
                           {o: r["object_versions"] for o in r["objects"].split(",")})
            for r in rows}


MANIFEST = manifest()


def expected(rep):
    """What a node with this (valid) report is, by the protocol."""
    state = {"up": "up", "draining": "drained", "stopping": "drained", "stopped": "down"}
    rpc = rep.get("rpc")
    rpc_v, objs = MANIFEST[rep["release"]]
    if rpc is None:
        rpc = {"version": rpc_v, "cap": None, "source": "derived"}
    else:
        rpc = {"version": rpc["version"], "cap": rpc["cap"], "source": "report"}
    return {
        "state": state[rep["state"]],
        "release": rep["release"],
        "report_release": rep["release"],
        "report_state": rep["state"],
        "host": rep["host"],
        "rpc": rpc,
        "objects": rep["objects"] if "objects" in rep else objs,
        "data_migrations_remaining": rep.get("data_migrations_remaining"),
        "restart_needed": rep.get("restart_needed", False),
        "pids": rep.get("pids", []),
        # a node that says no process runs is down, and says why
        "error": "report: stopped" if rep["state"] == "stopped" else None,
    }


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"   # keep-alive, as a fleet's servers would

    def do_GET(self):
        name = self.path.rsplit("/", 1)[-1]
        status, body, _ = self.server.reports.get(name, (404, b"{}", None))
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class TenThousandNodes(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.reports = make_reports()
        cls.srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        cls.srv.daemon_threads = True
        cls.srv.reports = cls.reports
        cls.thread = threading.Thread(target=cls.srv.serve_forever, daemon=True)
        cls.thread.start()
        cls.dir = tempfile.mkdtemp(prefix="bs-scale-")

    @classmethod
    def tearDownClass(cls):
        cls.srv.shutdown()
        cls.srv.server_close()
        shutil.rmtree(cls.dir, ignore_errors=True)

    def conf(self, concurrency):
        port = self.srv.server_address[1]
        path = os.path.join(self.dir, "c%d.conf" % concurrency)
        with open(path, "w") as f:
            # a node's timeout runs from when the poll asks for it: with 7
            # connections to this (slow, Python) server the last nodes are
            # asked a minute in
            f.write("[upgrade]\ntarget_release = 15.0.1\n[probes]\ntimeout = 600\n"
                    "concurrency = %d\n" % concurrency)
            for name in self.reports:
                f.write("[node:%s]\nservice = barbican-worker\n"
                        "report_url = http://127.0.0.1:%d/r/%s\n" % (name, port, name))
        return path

    def check(self, concurrency):
        rc, out, err = h.run(["nodes", "--json"], config_files=[self.conf(concurrency)],
                             timeout=600)
        self.assertEqual(rc, 0, err[-2000:])
        nodes = json.loads(out)["nodes"]
        self.assertEqual([n["name"] for n in nodes], list(self.reports))
        wrong = 0
        for n in nodes:
            status, body, want = self.reports[n["name"]]
            if want is None:
                wrong += 1
                self.assertEqual(n["state"], "error", n)
                self.assertTrue(n["error"], n)
                self.assertIsNone(n["release"], n)
                continue
            got = {k: n[k] for k in want}
            self.assertEqual(got, want, n["name"])
        self.assertGreater(wrong, 100)   # the wrong answers were there, and seen as such

    def test_nodes_json_matches_an_independent_reader_with_handles_reused(self):
        self.check(7)


if __name__ == "__main__":
    unittest.main()
