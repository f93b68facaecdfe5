#!/usr/bin/python3
"""The HTTP probes end to end: `barbican-status nodes` against the node
simulator (a real HTTP server on loopback), healthy, hung and broken nodes.
The expected states are DESIGN.md's node states table."""
import json
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import unittest

import harness as h

W = "barbican-worker"

FLEET = [
    # name, simulator description, configured service, (url?, report?), expected state
    ("api-15", {"kind": "api", "release": "15.0.1"}, "barbican-api", "url", "up"),
    ("api-14", {"kind": "api", "release": "14.0.2"}, "barbican-api", "url", "up"),
    ("api-11", {"kind": "api", "release": "11.0.0"}, "barbican-api", "url", "up"),  # no /healthcheck
    ("wrk-rep", {"kind": "report", "release": "15.0.1", "service": W,
                 "rpc": {"version": "1.1", "cap": "1.1"}, "objects": {"Secret": "1.0", "Order": "1.1"},
                 "data_migrations_remaining": 7}, W, "report", "up"),
    ("both", {"kind": "api+report", "release": "15.0.1", "service": "barbican-api",
              "report_extra": {"release": "14.0.2"}}, "barbican-api", "both", "up"),
    ("drained", {"kind": "api", "release": "15.0.1", "health": 503}, "barbican-api", "url", "drained"),
    ("rep-draining", {"kind": "report", "release": "15.0.1", "service": W, "state": "draining"},
     W, "report", "drained"),
    ("hang", {"kind": "api", "release": "15.0.1", "faults": {"*": {"hang": True}}},
     "barbican-api", "url", "down"),
    ("hang-health", {"kind": "api", "release": "15.0.1", "faults": {"/healthcheck": {"hang": True}}},
     "barbican-api", "url", "down"),
    ("slow", {"kind": "api", "release": "15.0.1", "faults": {"*": {"slow_ms": 4000}}},
     "barbican-api", "url", "down"),
    ("refuse", {"kind": "api", "release": "15.0.1", "faults": {"*": {"refuse": True}}},
     "barbican-api", "url", "down"),
    ("close-early", {"kind": "api", "release": "15.0.1", "faults": {"*": {"close_early": True}}},
     "barbican-api", "url", "down"),
    ("status-500", {"kind": "api", "release": "15.0.1", "faults": {"*": {"status": 500}}},
     "barbican-api", "url", "error"),
    ("build-invalid", {"kind": "api", "release": "15.0.1", "faults": {"/?build": {"invalid_json": True}}},
     "barbican-api", "url", "error"),
    ("oversized", {"kind": "api", "release": "15.0.1", "faults": {"*": {"oversized": 3 * 1024 * 1024}}},
     "barbican-api", "url", "error"),
    ("redirect", {"kind": "api", "release": "15.0.1", "faults": {"*": {"redirect": "http://127.0.0.2:9/"}}},
     "barbican-api", "url", "error"),
    ("rep-invalid", {"kind": "report", "release": "15.0.1", "service": W,
                     "report_raw": "{\"schema\": \"barbican-version-report/1\", "}, W, "report", "error"),
    ("rep-array", {"kind": "report", "release": "15.0.1", "service": W, "report_raw": "[1, 2]"},
     W, "report", "error"),
    ("rep-no-state", {"kind": "report", "release": "15.0.1", "service": W, "state": None},
     W, "report", "error"),
    ("rep-bad-state", {"kind": "report", "release": "15.0.1", "service": W, "state": "exploded"},
     W, "report", "error"),
    ("rep-wrong-service", {"kind": "report", "release": "15.0.1", "service": "barbican-retry"},
     W, "report", "error"),
    ("rep-500", {"kind": "report", "release": "15.0.1", "service": W,
                 "faults": {"/version-report": {"status": 500}}}, W, "report", "error"),
    # a release that is not a version (escapes, junk after X.Y.Z): the node
    # answered, but wrongly (issue 12)
    ("escape", {"kind": "report", "release": "15.0.1\u001b[31mRED\u001b]0;pwned\u0007", "service": W},
     W, "report", "error"),
    ("rep-junk", {"kind": "report", "release": "15.0.1; rm -rf /", "service": W}, W, "report", "error"),
    ("rep-newline", {"kind": "report", "release": "15.0.1\n", "service": W}, W, "report", "error"),
    ("rep-zwsp", {"kind": "report", "release": "15.0.1\u200b", "service": W}, W, "report", "error"),
    ("api-junk", {"kind": "api", "release": "15.0.1-custom"}, "barbican-api", "url", "error"),
    ("rep-dev", {"kind": "report", "release": "16.1.0.dev12", "service": W}, W, "report", "up"),
]


def config(sim, timeout=1.0):
    lines = ["[upgrade]", "target_release = 15.0.1", "[probes]", "timeout = %s" % timeout]
    for name, desc, service, how, _ in FLEET:
        lines += ["[node:%s]" % name, "service = %s" % service]
        if how in ("url", "both"):
            lines.append("url = %s" % sim.url(name))
        if how in ("report", "both"):
            lines.append("report_url = %s" % sim.url(name, "/version-report"))
    lines += ["[node:stock-worker]", "service = barbican-worker", "host = ctl9"]
    return "\n".join(lines) + "\n"


class Nodes(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        nodes = []
        for name, desc, _, _, _ in FLEET:
            d = dict(desc)
            d["name"] = name
            d["port"] = 0
            nodes.append(d)
        cls.sim = h.Sim({"nodes": nodes})
        cls.conf = config(cls.sim)
        t0 = time.monotonic()
        rc, out, err = h.run(["nodes", "--json"], cls.conf)
        cls.elapsed = time.monotonic() - t0
        assert rc == 0, err
        cls.doc = json.loads(out)
        cls.by = {n["name"]: n for n in cls.doc["nodes"]}

    @classmethod
    def tearDownClass(cls):
        cls.sim.stop()

    def test_every_node_has_its_state_and_none_is_dropped(self):
        self.assertEqual(self.doc["schema"], "barbican-status/nodes/1")
        self.assertEqual(len(self.doc["nodes"]), len(FLEET) + 1)
        for name, _, _, _, want in FLEET:
            self.assertEqual(self.by[name]["state"], want, (name, self.by[name]["error"]))

    def test_nodes_without_url_are_unknown(self):
        n = self.by["stock-worker"]
        self.assertEqual(n["state"], "unknown")
        self.assertIsNone(n["release"])
        self.assertEqual(n["host"], "ctl9")

    def test_stock_api_gives_release_from_build_and_versions_from_the_manifest(self):
        n = self.by["api-15"]
        self.assertEqual(n["release"], "15.0.1")
        self.assertEqual(n["release_source"], "build")
        self.assertEqual(n["api_microversions"], {"min": "1.0", "max": "1.1"})
        self.assertEqual(n["rpc"], {"version": "1.1", "cap": None, "source": "derived"})
        self.assertEqual(n["objects_source"], "derived")
        self.assertEqual(n["objects"]["Secret"], "1.0")
        self.assertEqual(n["skew"], "same")
        self.assertEqual(n["healthcheck_status"], 200)

    def test_api_before_15_has_no_microversions_and_is_n_minus_1(self):
        n = self.by["api-14"]
        self.assertIsNone(n["api_microversions"])
        self.assertEqual(n["skew"], "n-1")

    def test_missing_healthcheck_before_12_says_nothing_about_health(self):
        n = self.by["api-11"]
        self.assertEqual(n["state"], "up")
        self.assertEqual(n["healthcheck_status"], 404)
        self.assertEqual(n["skew"], "older")

    def test_version_report_fields_are_shown_as_reported(self):
        n = self.by["wrk-rep"]
        self.assertEqual(n["release_source"], "report")
        self.assertEqual(n["rpc"], {"version": "1.1", "cap": "1.1", "source": "report"})
        self.assertEqual(n["objects"], {"Secret": "1.0", "Order": "1.1"})
        self.assertEqual(n["data_migrations_remaining"], 7)
        self.assertEqual(n["report_state"], "up")

    def test_report_and_build_that_disagree_are_flagged(self):
        n = self.by["both"]
        self.assertTrue(n["release_conflict"])
        self.assertEqual(n["build_release"], "15.0.1")
        self.assertEqual(n["report_release"], "14.0.2")

    def test_errors_name_what_failed(self):
        want = {
            "status-500": "HTTP 500",
            "build-invalid": "GET /?build: invalid JSON",
            "oversized": "larger than 1048576 bytes",
            "redirect": "redirected to another host",
            "rep-invalid": "invalid version report",
            "rep-array": "not an object",
            "rep-no-state": "\"state\" is missing",
            "rep-bad-state": "exploded",
            "rep-wrong-service": "reports service barbican-retry but is configured as barbican-worker",
            "rep-500": "HTTP 500",
            "refuse": "GET /",
            "hang": "timed out",
            "hang-health": "GET /healthcheck",
            "rep-junk": "\"release\" is not a version: '15.0.1; rm -rf /'",
            "rep-newline": "\"release\" is not a version",
            "rep-zwsp": "\"release\" is not a version",
            "api-junk": "not a version: '15.0.1-custom'",
        }
        for name, text in want.items():
            self.assertIn(text, self.by[name]["error"] or "", name)

    def test_hung_nodes_cost_one_timeout_not_one_each(self):
        # four nodes hang or crawl with a 1 s timeout each; probed concurrently
        # the whole command ends after about one timeout (generous bound)
        self.assertLess(self.elapsed, 10.0)

    def test_text_output_has_no_terminal_escapes(self):
        rc, out, err = h.run(["nodes"], self.conf)
        self.assertEqual(rc, 0, err)
        for ch in out:
            self.assertFalse(ord(ch) < 0x20 and ch != "\n", repr(ch))
            self.assertNotEqual(ord(ch), 0x7f)
        self.assertIn("\\x1b[31mRED", out)
        self.assertIn("escape", out)

    def test_text_output_marks_derived_versions(self):
        rc, out, err = h.run(["nodes"], self.conf)
        line = [l for l in out.splitlines() if l.startswith("api-15 ")][0]
        self.assertIn("1.1/-*", line)
        self.assertIn("from the release manifest", out)

    def test_max_body_option_is_the_cap(self):
        conf = self.conf.replace("[probes]\n", "[probes]\nmax_body = 5000000\n")
        rc, out, err = h.run(["nodes", "--json"], conf)
        by = {n["name"]: n for n in json.loads(out)["nodes"]}
        self.assertNotIn("larger than", by["oversized"]["error"] or "")


class NoNodes(unittest.TestCase):
    def test_no_nodes_configured_is_said(self):
        rc, out, err = h.run(["nodes"], "[upgrade]\ntarget_release = 15.0.1\n")
        self.assertEqual(rc, 0)
        self.assertIn("no nodes configured", out)
        rc, out, err = h.run(["nodes", "--json"], "")
        self.assertEqual(json.loads(out)["nodes"], [])


class WithoutLibcurl(unittest.TestCase):
    """libcurl is opened when a node is first asked (probes/libcurl.h), not
    linked: a libcurl.so.4 that cannot be loaded (an empty file first on
    LD_LIBRARY_PATH) stops nothing that asks no node, and what would ask one
    says why it did not."""

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="bs-nolibcurl-")
        open(os.path.join(cls.dir, "libcurl.so.4"), "w").close()
        cls.env = {"LD_LIBRARY_PATH": cls.dir}
        cls.db = h.create_db("tmpl_14x")

    @classmethod
    def tearDownClass(cls):
        h.drop_db(cls.db)
        shutil.rmtree(cls.dir)

    def test_commands_that_ask_no_node_run_as_ever(self):
        conf = "[DEFAULT]\nsql_connection = %s\n[upgrade]\ntarget_release = 15.0.1\n" % \
            h.sql_url(self.db)
        rc, out, err = h.run(["upgrade", "check", "--json"], conf, env_extra=self.env)
        self.assertEqual(rc, 1, err)  # a warning: no node is configured
        doc = json.loads(out)
        self.assertEqual(h.check(doc, "db-revision")["result"], 0)
        self.assertIn("1 migration pending", h.check(doc, "db-pending")["details"])
        rc, out, err = h.run(["migrations", "--json"], conf, env_extra=self.env)
        self.assertEqual(rc, 0, err)
        self.assertEqual(json.loads(out)["current"], ["0f8c192a061f"])
        self.assertNotIn("libcurl", err)

    def test_a_node_that_would_be_asked_is_an_error_saying_why(self):
        conf = ("[upgrade]\ntarget_release = 15.0.1\n"
                "[node:wrk]\nservice = barbican-worker\nreport_url = http://127.0.0.1:9/r\n"
                "[node:quiet]\nservice = barbican-worker\n")
        rc, out, err = h.run(["nodes", "--json"], conf, env_extra=self.env)
        self.assertEqual(rc, 0, err)
        by = {n["name"]: n for n in json.loads(out)["nodes"]}
        self.assertEqual(by["wrk"]["state"], "error")
        self.assertRegex(by["wrk"]["error"],
                         r"^not asked: libcurl cannot be loaded \(.*libcurl\.so\.4: .*\): "
                         r"install Debian's libcurl4$")
        self.assertEqual(by["quiet"]["state"], "unknown")  # nothing to ask: as ever
        self.assertIsNone(by["quiet"]["error"])

    def test_a_libcurl_without_a_function_needed_is_named(self):
        # a shared library by that name that has curl_global_init only
        d = tempfile.mkdtemp(prefix="bs-oldlibcurl-")
        try:
            src = os.path.join(d, "c.c")
            with open(src, "w") as f:
                f.write("int curl_global_init(long flags) { return 0; }\n")
            subprocess.run(["cc", "-shared", "-fPIC", "-o", os.path.join(d, "libcurl.so.4"), src],
                           check=True)
            conf = ("[upgrade]\ntarget_release = 15.0.1\n"
                    "[node:wrk]\nservice = barbican-worker\nreport_url = http://127.0.0.1:9/r\n")
            rc, out, err = h.run(["nodes", "--json"], conf, env_extra={"LD_LIBRARY_PATH": d})
            self.assertEqual(rc, 0, err)
            self.assertEqual(json.loads(out)["nodes"][0]["error"],
                             "not asked: libcurl cannot be loaded: libcurl.so.4 has no "
                             "curl_global_cleanup (libcurl 7.66 or later is needed)")
        finally:
            shutil.rmtree(d)

    def test_the_console_stops_at_start_naming_it(self):
        rc, out, err = h.run(["console", "--batch", "-n", "1"], "[upgrade]\n",
                             env_extra=self.env)
        self.assertEqual(rc, 255)
        self.assertRegex(err, r"libcurl cannot be loaded \(.*libcurl\.so\.4")
        self.assertEqual(out, "")


class RawServer:
    """An HTTP/1.1 server on a port of 127.0.0.1 with no HTTP library
    between the bytes and the socket: it records every request (method, path,
    header lines in order) and answers answer(path) -> (status, [header
    lines], body). With per_connection=K it answers K requests on a
    connection, kept alive, then reads the next one and closes the
    connection without a word (what a server that drops idle connections
    does at the wrong moment): the client finds out only after sending."""

    def __init__(self, answer, per_connection=None):
        self.answer, self.per = answer, per_connection
        self.requests, self.dropped = [], 0
        self.lock = threading.Lock()
        self.ls = socket.socket()
        self.ls.bind(("127.0.0.1", 0))
        self.ls.listen(64)
        self.port = self.ls.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def _accept(self):
        while True:
            try:
                c, _ = self.ls.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(c,), daemon=True).start()

    def _serve(self, c):
        buf, served = b"", 0
        with c:
            while True:
                while b"\r\n\r\n" not in buf:
                    data = c.recv(65536)
                    if not data:
                        return
                    buf += data
                head, buf = buf.split(b"\r\n\r\n", 1)
                lines = head.decode("latin-1").split("\r\n")
                method, path, _ = lines[0].split(" ", 2)
                headers = [tuple(x.strip() for x in l.split(":", 1)) for l in lines[1:]]
                with self.lock:
                    self.requests.append((method, path, headers))
                if self.per is not None and served >= self.per:
                    with self.lock:
                        self.dropped += 1
                    return
                status, extra, body = self.answer(path)
                c.sendall(b"HTTP/1.1 " + status + b"\r\n" + b"".join(x + b"\r\n" for x in extra) +
                          b"Content-Length: %d\r\n\r\n" % len(body) + body)
                served += 1

    def stop(self):
        self.ls.close()


def worker_report(n):
    """a valid version report, told apart from the others by its count of
    data migrations left"""
    return json.dumps({"schema": "barbican-version-report/1", "service": W, "host": "h%d" % n,
                       "release": "15.0.1", "state": "up", "rpc": {"version": "1.1", "cap": None},
                       "objects": {"Secret": "1.0"}, "data_migrations_remaining": n}).encode()


class WhatIsAsked(unittest.TestCase):
    """What the probes send, and that each request asks its own URL however
    libcurl gets there (a connection that died under it, a redirect)."""

    def nodes(self, server, paths, extra=""):
        conf = "[upgrade]\ntarget_release = 15.0.1\n[probes]\ntimeout = 5\n" + extra
        for i, path in enumerate(paths):
            conf += "[node:w%d]\nservice = %s\nreport_url = %s\n" % (i, W, server.url(path))
        rc, out, err = h.run(["nodes", "--json"], conf)
        self.assertEqual(rc, 0, err)
        return {n["name"]: n for n in json.loads(out)["nodes"]}

    def test_every_request_says_who_asks_once_and_discovery_asks_the_api_version(self):
        rc, out, err = h.run(["--version"])
        self.assertEqual(rc, 0, err)
        agent = out.split()[0] + "/" + out.split()[1]      # barbican-status/X.Y.Z

        def answer(path):
            if path == "/":
                return b"300 Multiple Choices", [], json.dumps({"versions": {"values": [
                    {"id": "v1", "status": "stable", "min_version": "1.0",
                     "max_version": "1.1"}]}}).encode()
            if path == "/?build":
                return b"200 OK", [], b'{"build": "15.0.1"}'
            if path == "/healthcheck":
                return b"200 OK", [], b"OK"
            return b"200 OK", [], worker_report(0)
        s = RawServer(answer)
        try:
            conf = ("[upgrade]\ntarget_release = 15.0.1\n"
                    "[node:api]\nservice = barbican-api\nurl = %s\n"
                    "[node:wrk]\nservice = %s\nreport_url = %s\n" % (s.url(""), W, s.url("/r")))
            rc, out, err = h.run(["nodes", "--json"], conf)
            self.assertEqual(rc, 0, err)
            by = {n["name"]: n for n in json.loads(out)["nodes"]}
            self.assertEqual((by["api"]["state"], by["wrk"]["state"]), ("up", "up"), out)
        finally:
            s.stop()
        self.assertEqual(sorted(r[1] for r in s.requests), ["/", "/?build", "/healthcheck", "/r"])
        for method, path, headers in s.requests:
            names = [k.lower() for k, _ in headers]
            self.assertEqual(method, "GET")
            self.assertEqual([v for k, v in headers if k.lower() == "user-agent"], [agent], path)
            self.assertEqual(len(names), len(set(names)), (path, headers))
            api = [v for k, v in headers if k.lower() == "openstack-api-version"]
            accept = [v for k, v in headers if k.lower() == "accept"]
            if path == "/":
                self.assertEqual(api, ["key-manager latest"])
                self.assertEqual(accept, ["application/json"])
            else:
                self.assertEqual(api, [], path)

    def dropping_fleet(self, n):
        """n worker nodes on one server that drops every kept-alive
        connection after its first answer, asked one transfer at a time: each
        request after the first is sent on the connection the one before
        kept alive, the server drops it, and libcurl asks again on a new
        connection. Returns the nodes by name and the server."""
        s = RawServer(lambda path: (b"200 OK", [], worker_report(int(path[3:]))), per_connection=1)
        try:
            return self.nodes(s, ["/r/%d" % i for i in range(n)], "concurrency = 1\n"), s
        finally:
            s.stop()

    def test_a_request_retried_on_a_fresh_connection_asks_its_own_url(self):
        by, s = self.dropping_fleet(4)
        paths = [r[1] for r in s.requests]
        for i in range(4):
            # asked again (after the first) for its own URL, not the one before
            self.assertEqual(paths.count("/r/%d" % i), 1 + (i > 0), paths)
            self.assertEqual(by["w%d" % i]["state"], "up", by["w%d" % i]["error"])
            self.assertEqual(by["w%d" % i]["data_migrations_remaining"], i)

    def test_retries_on_fresh_connections_never_add_up_to_a_failure(self):
        # libcurl gives up after 5 retries, and 7.88 counts them on the
        # handle, not the request: one handle asking 12 nodes in turn, each
        # request after the first retried once, failed the 7th node
        # ("Connection died, tried 5 times before giving up") before the
        # prober reset a handle whose request made a connection
        by, s = self.dropping_fleet(12)
        for i in range(12):
            self.assertEqual((by["w%d" % i]["state"], by["w%d" % i]["error"]), ("up", None))
        self.assertEqual(s.dropped, 11, s.requests)     # every retry happened

    def test_a_redirect_on_the_same_server_is_followed_to_its_target(self):
        def answer(path):
            if path.startswith("/old/"):
                return b"302 Found", [b"Location: /new/" + path[5:].encode()], b""
            return b"200 OK", [], worker_report(int(path[5:]))
        s = RawServer(answer)
        try:
            by = self.nodes(s, ["/old/%d" % i for i in range(3)], "concurrency = 1\n")
        finally:
            s.stop()
        for i in range(3):
            self.assertEqual(by["w%d" % i]["state"], "up", by["w%d" % i]["error"])
            self.assertEqual(by["w%d" % i]["data_migrations_remaining"], i)
        self.assertEqual(sorted(r[1] for r in s.requests),
                         sorted(["/old/%d" % i for i in range(3)] + ["/new/%d" % i for i in range(3)]))


if __name__ == "__main__":
    h.main()
