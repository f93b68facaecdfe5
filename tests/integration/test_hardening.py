#!/usr/bin/python3
"""The configuration and what nodes send are input like any other (issue 12):
bounded reading, range-checked options, configured and reported strings
escaped before they reach a terminal, passwords in URLs masked, malformed
answers told from no answer, TLS verified against the configured CA."""
import json
import os
import resource
import socket
import ssl
import subprocess
import tempfile
import threading
import time
import unittest

import harness as h


def run_limited(argv, limit_bytes=1 << 30, timeout=60):
    """barbican-status under an address-space limit (so that reading without
    bound fails in seconds, not after the machine's memory)."""
    def limit():
        # ASan reserves terabytes of address space for its shadow: under it
        # the 16 MiB cap alone bounds the read (and the timeout the test)
        if "ASAN_OPTIONS" not in os.environ:
            resource.setrlimit(resource.RLIMIT_AS, (limit_bytes, limit_bytes))
    home = tempfile.mkdtemp(prefix="bs-home-")
    e = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": home, "LANG": "C.UTF-8",
         "BARBICAN_STATUS_SITE_DIRS": "/nonexistent"}
    e.update({k: v for k, v in os.environ.items()
              if k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS")})
    p = subprocess.run([h.BIN] + argv, capture_output=True, env=e, timeout=timeout,
                       cwd=home, preexec_fn=limit)
    os.rmdir(home)
    return p.returncode, p.stdout, p.stderr.decode("utf-8", "replace")


class ConfigFileSize(unittest.TestCase):
    def test_an_endless_config_file_is_an_error_exit_255_not_all_memory(self):
        for cmd in (["nodes"], ["nodes", "--json"], ["upgrade", "check"]):
            rc, out, err = run_limited(["--config-file", "/dev/zero"] + cmd)
            self.assertEqual(rc, 255, (cmd, err))
            self.assertIn("/dev/zero", err)
            self.assertIn("larger than 16 MiB", err)
            self.assertEqual(out, b"")

    def test_a_config_file_just_under_16_mib_is_read(self):
        # a comment line of 16 MiB - 1 KiB: large, but not over the cap
        fd, path = tempfile.mkstemp(suffix=".conf")
        with os.fdopen(fd, "w") as f:
            f.write("[upgrade]\ntarget_release = 15.0.1\n#" + "x" * ((16 << 20) - 1024) + "\n")
        try:
            rc, out, err = run_limited(["--config-file", path, "nodes", "--json"])
        finally:
            os.unlink(path)
        self.assertNotIn("larger than", err)
        self.assertIn(rc, (0, 1, 2), err)


def make_ca(dirname, name):
    """A private CA and a server certificate for 127.0.0.1 signed by it,
    made with openssl now: (ca.pem, cert.pem, key.pem)."""
    ca_key, ca = os.path.join(dirname, name + "-ca.key"), os.path.join(dirname, name + "-ca.pem")
    key, csr = os.path.join(dirname, name + ".key"), os.path.join(dirname, name + ".csr")
    cert, ext = os.path.join(dirname, name + ".pem"), os.path.join(dirname, name + ".ext")
    def ossl(*args):
        subprocess.run(["openssl"] + list(args), check=True, capture_output=True)
    ossl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", ca_key, "-out", ca,
         "-days", "2", "-subj", "/CN=%s test CA" % name)
    ossl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", csr,
         "-subj", "/CN=127.0.0.1")
    with open(ext, "w") as f:
        f.write("subjectAltName = IP:127.0.0.1\n")
    ossl("x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key, "-CAcreateserial",
         "-out", cert, "-days", "2", "-extfile", ext)
    return ca, cert, key


BUILD_ANSWER = b'{"build": "15.0.1"}'


class Misbehaving:
    """A loopback HTTP server that answers wrongly on purpose (mode), or,
    with tls, a correct barbican-api answer over TLS (Python's ssl)."""

    def __init__(self, mode, tls=None):
        self.mode = mode
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.ctx = None
        if tls:
            self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self.ctx.load_cert_chain(tls[0], tls[1])
        threading.Thread(target=self.loop, daemon=True).start()

    def loop(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self.one, args=(c,), daemon=True).start()

    def one(self, c):
        try:
            if self.ctx:
                c.settimeout(5)
                c = self.ctx.wrap_socket(c, server_side=True)
            req = c.recv(65536)
            m = self.mode
            if m == "badchunk":
                c.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n")
            elif m == "endless-headers":
                c.sendall(b"HTTP/1.1 200 OK\r\n")
                for _ in range(100000):
                    c.sendall(b"X-More: " + b"a" * 1000 + b"\r\n")
            elif m == "tls-alert":
                # what a TLS server that sends an alert gives a plain HTTP request
                c.sendall(b"\x15\x03\x01\x00\x02\x02\x46")
            elif m == "reset":
                c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            elif m == "trailer-flood":
                # a good answer, chunked, then trailers for ever
                c.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                          b"%x\r\n%s\r\n0\r\n" % (len(BUILD_ANSWER), BUILD_ANSWER))
                for _ in range(100000):
                    c.sendall(b"X-Trailer: " + b"t" * 1000 + b"\r\n")
            elif m in ("ok",) or m.startswith("cl-") or m == "headers-60k":
                path = req.split(b" ")[1] if b" " in req else b"/"
                if path.startswith(b"/?build"):
                    body, status = BUILD_ANSWER, b"200 OK"
                elif path.startswith(b"/healthcheck"):
                    body, status = b"OK", b"200 OK"
                else:
                    body, status = (b'{"versions": {"values": [{"id": "v1", "status": "stable"}]}}',
                                    b"300 Multiple Choices")
                n = len(body)
                length = {
                    # two lines, or one line listing two values (RFC 9110 8.6)
                    "cl-conflict": b"Content-Length: 2\r\nContent-Length: %d\r\n" % n,
                    "cl-conflict-list": b"Content-Length: %d, %d\r\n" % (n, n + 1),
                    "cl-equal": b"Content-Length: %d\r\ncontent-length:  %d \r\n" % (n, n),
                    "cl-equal-list": b"Content-Length: %d,%d , %d\r\n" % (n, n, n),
                    # after a 100 Continue, a new answer with its own length
                    "cl-after-100": b"Content-Length: %d\r\n" % n,
                    "headers-60k": b"Content-Length: %d\r\n" % n
                                   + b"".join(b"X-Pad-%d: %s\r\n" % (i, b"p" * 1000) for i in range(60)),
                }.get(m, b"Content-Length: %d\r\n" % n)
                pre = b""
                if m == "cl-after-100":
                    pre = b"HTTP/1.1 100 Continue\r\nContent-Length: 7\r\n\r\n"
                c.sendall(pre + b"HTTP/1.1 " + status + b"\r\nContent-Type: application/json\r\n"
                          + length + b"Connection: close\r\n\r\n" + body)
        except (OSError, ssl.SSLError):
            pass
        finally:
            try:
                c.close()
            except OSError:
                pass

    def url(self, scheme="http"):
        return "%s://127.0.0.1:%d" % (scheme, self.port)

    def close(self):
        self.sock.close()


def unused_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def nodes_json(conf):
    rc, out, err = h.run(["nodes", "--json"], conf)
    assert rc in (0, 1, 2), (rc, err)
    return {n["name"]: n for n in json.loads(out)["nodes"]}, out, err


class MalformedIsErrorUnreachableIsDown(unittest.TestCase):
    """DESIGN.md's node states: down is no answer, error is an answer gone
    wrong. A misbehaving server answers; a refused connection, and one reset
    before a byte of an answer came (a crashing process), do not. (A TLS
    server that closes or resets a plain request without sending anything,
    as OpenSSL's s_server and Python's ssl do, cannot be told from a crash
    and is down.)"""

    def test_malformed_answers_are_error_and_no_answer_is_down(self):
        servers = {"badchunk": Misbehaving("badchunk"),
                   "endless-headers": Misbehaving("endless-headers"),
                   "tls-on-http": Misbehaving("tls-alert"),
                   "reset": Misbehaving("reset")}
        try:
            lines = ["[upgrade]", "target_release = 15.0.1", "[probes]", "timeout = 3"]
            for name, srv in servers.items():
                lines += ["[node:%s]" % name, "service = barbican-api", "url = %s" % srv.url()]
            lines += ["[node:refused]", "service = barbican-api",
                      "url = http://127.0.0.1:%d" % unused_port()]
            by, out, err = nodes_json("\n".join(lines) + "\n")
        finally:
            for srv in servers.values():
                srv.close()
        want = {"badchunk": "error", "endless-headers": "error", "tls-on-http": "error",
                "reset": "down", "refused": "down"}
        got = {name: by[name]["state"] for name in want}
        self.assertEqual(got, want, json.dumps(by, indent=1))
        self.assertIn("chunk", by["badchunk"]["error"])
        self.assertIn("header", by["endless-headers"]["error"])


def raw_controls(text):
    """Characters that must never reach a terminal raw: C0 (but newline),
    DEL, C1, and the format characters of issue 12."""
    return [c for c in text if (ord(c) < 0x20 and c != "\n") or 0x7f <= ord(c) < 0xa0
            or c in "\u200b\u200d\ufeff\u202e"]


class Headers(unittest.TestCase):
    """What probes/http.c checks in the headers itself (libcurl 7.88 does
    not): an answer's Content-Length given twice with different values is an
    error (RFC 9112 6.3), the same value twice is not; all the header and
    trailer lines of an answer take at most 64 KiB (an endless trailer is an
    error at once, not memory until the timeout)."""

    def test_content_length_and_the_header_cap(self):
        modes = ["cl-conflict", "cl-conflict-list", "cl-equal", "cl-equal-list", "cl-after-100",
                 "headers-60k", "trailer-flood", "ok"]
        servers = {m: Misbehaving(m) for m in modes}
        try:
            lines = ["[upgrade]", "target_release = 15.0.1", "[probes]", "timeout = 3"]
            for name, srv in servers.items():
                lines += ["[node:%s]" % name, "service = barbican-api", "url = %s" % srv.url()]
            by, out, err = nodes_json("\n".join(lines) + "\n")
        finally:
            for srv in servers.values():
                srv.close()
        want = {"cl-conflict": "error", "cl-conflict-list": "error", "cl-equal": "up",
                "cl-equal-list": "up", "cl-after-100": "up", "headers-60k": "up",
                "trailer-flood": "error", "ok": "up"}
        got = {name: by[name]["state"] for name in want}
        self.assertEqual(got, want, json.dumps(by, indent=1))
        self.assertIn("Content-Length given twice with different values (2 and ",
                      by["cl-conflict"]["error"])
        self.assertIn("Content-Length given twice with different values", by["cl-conflict-list"]["error"])
        self.assertIn("headers and trailers over 64 KiB", by["trailer-flood"]["error"])
        self.assertEqual(by["headers-60k"]["release"], "15.0.1")


class ConfiguredStrings(unittest.TestCase):
    """Strings from the configuration (a node's name and host, a step
    template's words) are escaped before they reach a terminal, as strings
    from nodes are."""

    def test_control_and_format_characters_of_the_configuration_are_escaped(self):
        srv = Misbehaving("ok")
        try:
            conf = ("[upgrade]\ntarget_release = 15.0.1\n"
                    "[DEFAULT]\nsql_connection = sqlite:///x\a\x1b[2J\n"
                    "[steps]\nupgrade_node = echo {host} \a\x1b[2J {node}\n"
                    "[node:ctl\a1\u200b]\nservice = barbican-api\nhost = h\a\x1b]0;t\a\ufeff\n"
                    "url = http://127.0.0.1:%d\n"
                    "[node:w\u202e1]\nservice = barbican-worker\nhost = w\x07\n" % srv.port)
            for cmd in (["nodes"], ["migrations"], ["upgrade", "plan"], ["upgrade", "check"],
                        ["upgrade", "gate", "--before", "roll"], ["upgrade", "next", "--dry-run"]):
                rc, out, err = h.run(cmd, conf)
                self.assertNotIn(rc, (255, 64), (cmd, err))
                self.assertEqual(raw_controls(out), [], (cmd, out))
                self.assertEqual(raw_controls(err), [], (cmd, err))
            rc, out, err = h.run(["nodes"], conf)
            self.assertIn("ctl\\x071\\u200b", out)
            rc, out, err = h.run(["migrations"], conf)
            self.assertIn("database:  sqlite:///x\\x07\\x1b[2J\n", out)
        finally:
            srv.close()

    def test_a_bad_value_with_control_characters_is_shown_escaped(self):
        rc, out, err = h.run(["nodes"], "[upgrade]\ntarget_release = 15.0.1\a\x1b[2J\n")
        self.assertEqual(rc, 255)
        self.assertIn("15.0.1\\x07\\x1b[2J", err)
        self.assertEqual(raw_controls(err), [])


class SilentFleet(unittest.TestCase):
    """A fleet that accepts connections and never answers costs its timeout
    once, whatever its size: a node's timeout runs from the moment the poll
    asks for it, so the nodes still waiting for one of the [probes]
    concurrency slots when it has gone by are down, not asked, and say why
    (before: 300 nodes, 10 slots, 1 s each took 30 s)."""

    def test_a_silent_fleet_costs_its_timeout_once_not_once_per_slot(self):
        srv = socket.socket()
        srv.bind(("127.0.0.1", 0))
        srv.listen(512)
        held = []
        stop = threading.Event()

        def hold():
            srv.settimeout(0.2)
            while not stop.is_set():
                try:
                    c, _ = srv.accept()
                    held.append(c)          # read nothing, answer nothing
                except socket.timeout:
                    pass
        t = threading.Thread(target=hold, daemon=True)
        t.start()
        try:
            port = srv.getsockname()[1]
            conf = ["[upgrade]\ntarget_release = 15.0.1\n[probes]\ntimeout = 1\nconcurrency = 10\n"]
            for i in range(300):
                conf.append("[node:w%03d]\nservice = barbican-worker\n"
                            "report_url = http://127.0.0.1:%d/r/%d\n" % (i, port, i))
            t0 = time.monotonic()
            by, out, err = nodes_json("".join(conf))
            took = time.monotonic() - t0
        finally:
            stop.set()
            t.join()
            for c in held:
                c.close()
            srv.close()
        self.assertEqual(len(by), 300)
        self.assertEqual({n["state"] for n in by.values()}, {"down"})
        asked = [n for n in by.values() if not n["error"].startswith("not asked")]
        waited = [n for n in by.values() if n["error"].startswith("not asked")]
        # the first ten held every slot (ten more may be let in with the last
        # milliseconds of their budget, when a timer fires on the edge)
        self.assertLessEqual(len(asked), 20)
        self.assertGreaterEqual(len(waited), 280)
        self.assertIn("[probes] concurrency", waited[0]["error"])
        self.assertIn("timeout (1 s)", waited[0]["error"])
        # one timeout (and start-up), not 30 of them
        self.assertLess(took, 10, "a silent fleet of 300 nodes took %.1f s" % took)


class Passwords(unittest.TestCase):
    def test_a_node_urls_password_is_masked_in_nodes_text_and_json(self):
        srv = Misbehaving("ok")
        try:
            url = "http://admin:s3cret@127.0.0.1:%d" % srv.port
            conf = ("[upgrade]\ntarget_release = 15.0.1\n[node:a]\nservice = barbican-api\n"
                    "url = %s\nreport_url = %s/r\n" % (url, url))
            by, out, err = nodes_json(conf)
            rc, text, err2 = h.run(["nodes"], conf)
        finally:
            srv.close()
        masked = "http://admin:***@127.0.0.1:%d" % srv.port
        self.assertEqual((by["a"]["url"], by["a"]["report_url"]), (masked, masked + "/r"))
        for shown in (out, err, text, err2):
            self.assertNotIn("s3cret", shown)

    def test_a_bad_url_value_is_named_with_its_password_masked(self):
        rc, out, err = h.run(["nodes"], "[node:a]\nservice = barbican-api\nurl = ftp://u:s3cret@x\n")
        self.assertEqual(rc, 255)
        self.assertIn("ftp://u:***@x", err)
        self.assertNotIn("s3cret", err)


class PrivateCA(unittest.TestCase):
    """A barbican-api behind TLS with a certificate of a private CA (made
    now with openssl, served with Python's ssl on loopback): verified with
    [probes] ca_file, refused without it or with another CA, the error
    saying that the certificate could not be verified; never up unverified."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="bs-tls-")
        cls.ca, cert, key = make_ca(cls.tmp, "node")
        cls.other_ca, _, _ = make_ca(cls.tmp, "other")
        cls.srv = Misbehaving("ok", tls=(cert, key))

    @classmethod
    def tearDownClass(cls):
        cls.srv.close()
        import shutil
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def probe(self, ca_file):
        lines = ["[upgrade]", "target_release = 15.0.1", "[probes]", "timeout = 3"]
        if ca_file:
            lines.append("ca_file = %s" % ca_file)
        lines += ["[node:tls-api]", "service = barbican-api", "url = %s" % self.srv.url("https")]
        by, out, err = nodes_json("\n".join(lines) + "\n")
        return by["tls-api"]

    def test_with_the_ca_file_the_node_is_up(self):
        n = self.probe(self.ca)
        self.assertEqual((n["state"], n["release"]), ("up", "15.0.1"), n["error"])

    def test_without_the_ca_file_the_node_is_error_saying_why(self):
        n = self.probe(None)
        self.assertEqual(n["state"], "error")
        self.assertIsNone(n["release"])
        self.assertIn("certificate", n["error"])

    def test_with_another_ca_the_node_is_error_saying_why(self):
        n = self.probe(self.other_ca)
        self.assertEqual(n["state"], "error")
        self.assertIsNone(n["release"])
        self.assertIn("certificate", n["error"])

    def test_an_http_url_to_the_tls_server_says_it_may_want_https(self):
        lines = ["[upgrade]", "target_release = 15.0.1", "[probes]", "timeout = 3",
                 "[node:tls-api]", "service = barbican-api", "url = %s" % self.srv.url("http")]
        by, out, err = nodes_json("\n".join(lines) + "\n")
        n = by["tls-api"]
        # no HTTP answer came (the server resets the connection): down, as
        # DESIGN.md's table has it, but saying what the likely cause is, once
        self.assertEqual(n["state"], "down")
        self.assertIn("should the URL be https://?", n["error"])
        self.assertEqual(n["error"].count("https://"), 1, n["error"])


if __name__ == "__main__":
    h.main()
