#!/usr/bin/python3
"""The hostile-node suite (issue 12, item 6): misbehaving HTTP nodes and
hostile configuration files against `barbican-status nodes`.

Every HTTP case is one raw-socket server on its own port of 127.0.0.1 (no
HTTP library between the bytes and the socket), configured as one node beside
a healthy node (a second raw server answering a valid version report). For
each case `nodes --json` and `nodes` run, and each must show:

  - exit status 0 (`nodes`: 0 whenever the state was shown, whatever it is);
  - the hostile node in the state DESIGN.md's table gives (answered wrongly:
    error; no answer, timed out: down), with a non-empty error;
  - the healthy node up (the other nodes unaffected);
  - the process alive: not killed by a signal, no sanitizer report;
  - wall time under the node timeout + slack (BS_HOSTILE_SLACK, default 4 s);
  - peak RSS under BS_HOSTILE_RSS_MIB (default 64 MiB; the asan test setup
    raises it, ASan's shadow memory is not ours);
  - no terminal control byte in what reaches the terminal (stdout and
    stderr): no byte < 0x20 but \\n and \\t, no 0x7f, no ESC, valid UTF-8,
    no C1 character (U+0080..U+009F).

Every configuration case runs the same two commands with a hostile
configuration file (and a healthy node where the file can hold one): exit 0
with the healthy node up, or exit 255 with a `barbican-status: ` message, the
same process, memory and terminal checks.

KNOWN lists the cases that fail today because of a defect of the product,
each with the defect. They are reported as "xfail" and do not fail the test;
one that passes is reported as "XPASS" (remove it from KNOWN).

    hostile.py [--list] [--only NAME[,NAME...]] [--jobs N] [--verbose]

BS_BUILD_ROOT names the build directory whose barbican-status runs (meson
test sets it), so the sanitized build (build-asan) runs there.
"""
import concurrent.futures
import gzip
import json
import os
import random
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import zlib

BUILD = os.environ.get("BS_BUILD_ROOT", os.path.join(os.path.dirname(__file__), "../../build"))
BIN = os.path.join(BUILD, "cli", "barbican-status")
NODE_TIMEOUT = 2.0
SLACK = float(os.environ.get("BS_HOSTILE_SLACK", "4"))
RSS_MIB = float(os.environ.get("BS_HOSTILE_RSS_MIB", "64"))
TIME = "/usr/bin/time"

# case name -> the defect it shows (another engineer fixes it; see README)
KNOWN = {
}

# more, only in a sanitized build (BS_HOSTILE_SANITIZED=1: meson test --setup asan)
KNOWN_SANITIZED = {
}
if os.environ.get("BS_HOSTILE_SANITIZED") == "1":
    KNOWN.update(KNOWN_SANITIZED)

W = "barbican-worker"
ESCAPES = "\x1b[2J\x1b]0;pwned\x07\x9b31m\x85\r\b\x7f\x1bP+q\x1b\\"


def report(**over):
    r = {"schema": "barbican-version-report/1", "service": W, "host": "hostile",
         "release": "15.0.1", "rpc": {"version": "1.1", "cap": None},
         "objects": {"Secret": "1.0", "Container": "1.0"}, "state": "up",
         "started_at": "2026-11-25T18:00:00Z", "data_migrations_remaining": 0}
    for k, v in over.items():
        if v is DROP:
            r.pop(k, None)
        else:
            r[k] = v
    return json.dumps(r).encode()


DROP = object()
REPORT = report()
DISCOVERY = json.dumps({"versions": {"values": [{"id": "v1", "status": "stable", "links": [
    {"rel": "self", "href": "http://127.0.0.1/v1/"}], "media-types": [
    {"base": "application/json", "type": "application/vnd.openstack.key-manager-v1+json"}]}]}}).encode()


def http(status=b"200 OK", body=b"", headers=None, length=True, version=b"HTTP/1.1"):
    h = [version + b" " + status]
    h += [b"Content-Type: application/json"] if headers is None else headers
    if length:
        h.append(b"Content-Length: %d" % len(body))
    h.append(b"Connection: close")
    return b"\r\n".join(h) + b"\r\n\r\n" + body


# --- the raw server ----------------------------------------------------------

class Conn:
    def __init__(self, sock, stop):
        self.sock = sock
        self.stop = stop
        self.path = None

    def read_request(self):
        buf = b""
        self.sock.settimeout(10)
        while b"\r\n\r\n" not in buf and len(buf) < 65536:
            d = self.sock.recv(4096)
            if not d:
                break
            buf += d
        line = buf.split(b"\r\n", 1)[0].split(b" ")
        self.path = line[1].decode("latin-1") if len(line) > 1 else "/"
        return self.path

    def send(self, data):
        self.sock.sendall(data)

    def endless(self, chunk, pause=0.0, limit=60.0):
        """send chunk again and again until the client goes or limit s pass"""
        end = time.monotonic() + limit
        while not self.stop.is_set() and time.monotonic() < end:
            self.sock.sendall(chunk)
            if pause:
                time.sleep(pause)

    def drip(self, data, every):
        for i in range(len(data)):
            if self.stop.is_set():
                return
            self.sock.sendall(data[i:i + 1])
            time.sleep(every)

    def hold(self, limit=30.0):
        """keep the connection open, sending nothing, until the client closes"""
        self.sock.settimeout(0.2)
        end = time.monotonic() + limit
        while not self.stop.is_set() and time.monotonic() < end:
            try:
                if self.sock.recv(4096) == b"":
                    return
            except socket.timeout:
                pass

    def reset(self):
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.sock.close()


class Server:
    """one port on 127.0.0.1; every connection runs handler(conn) in a thread"""

    def __init__(self, handler, raw=False, accept=True):
        self.handler = handler
        self.raw = raw
        self.stop = threading.Event()
        self.ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.ls.bind(("127.0.0.1", 0))
        self.ls.listen(64)
        self.port = self.ls.getsockname()[1]
        if accept:
            self.ls.settimeout(0.2)
            threading.Thread(target=self._loop, daemon=True).start()

    def _loop(self):
        while not self.stop.is_set():
            try:
                s, _ = self.ls.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            threading.Thread(target=self._one, args=(s,), daemon=True).start()

    def _one(self, s):
        c = Conn(s, self.stop)
        try:
            if not self.raw:
                c.read_request()
            self.handler(c)
            try:
                s.shutdown(socket.SHUT_WR)
                s.settimeout(2)
                while s.recv(4096):
                    pass
            except OSError:
                pass
        except (OSError, ValueError):
            pass
        finally:
            try:
                s.close()
            except OSError:
                pass

    def close(self):
        self.stop.set()
        self.ls.close()


# --- the HTTP cases ------------------------------------------------------------
# (name, kind, handler, expected states, what the misbehaviour is)
# kind "report": configured as a barbican-worker with report_url (one GET);
# kind "api": a barbican-api with url (GET /, /?build, /healthcheck), the
# handler misbehaving on every path unless it looks at conn.path.

HTTP_CASES = []
ERROR, DOWN = {"error"}, {"down"}
CUT = {"error", "down"}      # an answer cut off: DESIGN.md's table does not say which
SHOWN = {"up", "error"}      # a valid report with a hostile value: shown sanitized or refused


def case(name, expect, kind="report", raw=False, accept=True):
    def deco(fn):
        HTTP_CASES.append({"name": name, "kind": kind, "handler": fn, "expect": expect,
                           "raw": raw, "accept": accept, "doc": (fn.__doc__ or "").strip()})
        return fn
    return deco


def simple(name, expect, data, kind="report"):
    case(name, expect, kind)(lambda c: c.send(data))


def api(good_except, bad):
    """a correct barbican-api except on the paths in good_except's complement"""
    def h(c):
        p = c.path
        route = "build" if "build" in p else "health" if p.startswith("/healthcheck") else "root"
        if route in good_except:
            bad(c)
        elif route == "build":
            c.send(http(body=b'{"build": "15.0.1"}'))
        elif route == "health":
            c.send(http(body=b"OK", headers=[b"Content-Type: text/plain"]))
        else:
            c.send(http(b"300 Multiple Choices", DISCOVERY))
    return h


rnd = random.Random(12)

# garbage and protocol errors
simple("garbage-binary", ERROR, bytes(rnd.randrange(256) for _ in range(4096)))
simple("garbage-text-not-http", ERROR, b"hello, this is not HTTP at all\n" * 10)
simple("garbage-http09-body", ERROR, REPORT)
simple("status-line-not-a-number", ERROR, b"HTTP/1.1 abc OK\r\nContent-Length: 2\r\n\r\n{}")
simple("status-999", ERROR, http(b"999 Whatever", REPORT))
simple("status-000", ERROR, http(b"000 Zero", REPORT))
simple("status-204-no-content", ERROR, b"HTTP/1.1 204 No Content\r\n\r\n")
simple("status-200-empty-body", ERROR, http(body=b""))
simple("status-404", ERROR, http(b"404 Not Found", b"nope"))
simple("status-500-escape-reason", ERROR, http(b"500 " + ESCAPES.encode("utf-8") + b"\xff\xfe", b"x"))
simple("http-version-9", ERROR, http(body=REPORT, version=b"HTTP/9.9"))
simple("http2-preface", ERROR, bytes.fromhex("000000040000000000") + b"\x00" * 64)
simple("tls-server-hello", ERROR, bytes.fromhex("160303003d020000390303") + os.urandom(53))
simple("status-line-nul", ERROR, b"HTTP/1.1 200\x00OK\r\nContent-Length: 2\r\n\r\n{}")


@case("status-100-forever", CUT)
def _(c):
    """interim 100 Continue answers, never a final one"""
    c.endless(b"HTTP/1.1 100 Continue\r\n\r\n", pause=0.01)


# no answer at all
@case("close-without-answer", DOWN)
def _(c):
    """reads the request, closes"""


@case("reset-on-accept", DOWN, raw=True)
def _(c):
    """RST as soon as the connection is accepted"""
    c.reset()


@case("reset-after-request", DOWN)
def _(c):
    c.reset()


@case("hang-without-reading", DOWN, raw=True)
def _(c):
    c.hold()


@case("hang-after-request", DOWN)
def _(c):
    c.hold()


@case("never-accepted", DOWN, accept=False)
def _(c):
    """listens, never accepts: the kernel's backlog completes the handshake"""


@case("partial-status-line-hang", DOWN)
def _(c):
    c.send(b"HTTP/1.1 20")
    c.hold()


# cut answers
@case("reset-after-headers", CUT)
def _(c):
    c.send(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n")
    time.sleep(0.1)
    c.reset()


@case("reset-mid-body", CUT)
def _(c):
    c.send(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(REPORT) + REPORT[:20])
    time.sleep(0.1)
    c.reset()


simple("short-body-content-length", CUT, b"HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n" + REPORT)
simple("chunked-no-last-chunk", CUT,
       b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n%x\r\n" % len(REPORT) + REPORT + b"\r\n")

# endless and huge bodies
@case("endless-body-chunked", ERROR)
def _(c):
    c.send(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
    c.endless(b"4000\r\n" + b"[" * 0x4000 + b"\r\n")


@case("endless-body-no-length", ERROR)
def _(c):
    c.send(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n{\"schema\": \"")
    c.endless(b"x" * 65536)


@case("endless-body-past-content-length", ERROR)
def _(c):
    c.send(b"HTTP/1.1 200 OK\r\nContent-Length: 1000000000\r\n\r\n")
    c.endless(b" " * 65536)


simple("content-length-huge", ERROR, b"HTTP/1.1 200 OK\r\nContent-Length: 1000000000000000\r\n\r\n{}")
simple("content-length-negative", ERROR, b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n{}")
simple("content-length-overflow", ERROR,
       b"HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999999\r\n\r\n{}")
simple("content-length-conflicting", ERROR,
       b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: %d\r\n\r\n" % len(REPORT) + REPORT)
simple("chunk-size-garbage", ERROR,
       b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n" + REPORT + b"\r\n0\r\n\r\n")
simple("chunk-size-huge", ERROR,
       b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\n" + REPORT + b"\r\n0\r\n\r\n")
simple("report-padded-over-cap", ERROR,
       http(body=REPORT[:-1] + b', "padding": "' + b"x" * (2 << 20) + b'"}'))


@case("chunk-extension-flood", {"error", "down"})
def _(c):
    c.send(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1;")
    c.endless(b"a=b;" * 16384)


@case("trailer-flood", {"error", "down"})
def _(c):
    c.send(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n%x\r\n" % len(REPORT) + REPORT
           + b"\r\n0\r\n")
    c.endless(b"X-Trailer: " + b"t" * 1000 + b"\r\n")


# compression the client never asked for, and bombs
BOMB = gzip.compress(b"\0" * (200 << 20), 9)
simple("gzip-bomb", ERROR, http(body=BOMB, headers=[b"Content-Type: application/json",
                                                    b"Content-Encoding: gzip"]))
simple("deflate-bomb", ERROR, http(body=zlib.compress(b" " * (200 << 20), 9),
                                   headers=[b"Content-Encoding: deflate"]))
simple("gzip-report-not-asked-for", ERROR,
       http(body=gzip.compress(REPORT), headers=[b"Content-Encoding: gzip"]))
simple("gzip-bomb-chunked-nested", ERROR,
       http(body=gzip.compress(gzip.compress(b"[" * (50 << 20))), headers=[b"Content-Encoding: gzip, gzip"]))
simple("content-encoding-unknown", ERROR, http(body=b"\x8b\x00garbage", headers=[b"Content-Encoding: x-evil"]))

# slowloris and drips
@case("slowloris-status-line", DOWN)
def _(c):
    c.drip(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}", 0.5)


@case("slowloris-headers", DOWN)
def _(c):
    c.send(b"HTTP/1.1 200 OK\r\n")
    c.endless(b"X-A: b\r\n", pause=0.3)


@case("drip-body", DOWN)
def _(c):
    c.send(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(REPORT))
    c.drip(REPORT, 0.2)


@case("drip-body-then-valid-too-late", DOWN)
def _(c):
    c.send(b"HTTP/1.1 200 OK\r\n\r\n")
    time.sleep(NODE_TIMEOUT + 1.5)
    c.send(REPORT)


# header floods
@case("header-flood-endless", {"error", "down"})
def _(c):
    c.send(b"HTTP/1.1 200 OK\r\n")
    c.endless(b"".join(b"X-Flood-%d: %s\r\n" % (i, b"v" * 40) for i in range(1000)))


@case("header-huge-single", ERROR)
def _(c):
    c.send(b"HTTP/1.1 200 OK\r\nX-Huge: ")
    c.send(b"h" * (8 << 20))
    c.send(b"\r\nContent-Length: %d\r\n\r\n" % len(REPORT) + REPORT)


@case("header-folding-flood", {"error", "down"})
def _(c):
    c.send(b"HTTP/1.1 200 OK\r\nX-Fold: a\r\n")
    c.endless(b" continued-line-folding\r\n" * 512)


simple("header-nul-and-escapes", SHOWN | {"error"},
       http(body=REPORT, headers=[b"Content-Type: application/json\x00\x1b[2J",
                                  b"Server: " + ESCAPES.encode("utf-8"), b"X-Bad: \xff\xfe\x9b"]))
simple("header-no-colon-garbage", SHOWN | {"error"},
       http(body=REPORT, headers=[b"this is not a header", b"\x01\x02\x03"]))
simple("content-type-html", SHOWN | {"error"},
       http(body=REPORT, headers=[b"Content-Type: text/html; charset=\x1b[31m"]))

# redirects (a report answers 200; nothing is followed)
for n, loc in [("other-host", b"http://10.255.255.1/version-report"),
               ("file-scheme", b"file:///etc/shadow"),
               ("gopher-scheme", b"gopher://127.0.0.1:70/1"),
               ("ftp-scheme", b"ftp://127.0.0.1/x"),
               ("javascript-scheme", b"javascript:alert(1)"),
               ("escape-in-location", b"http://127.0.0.1/\x1b]0;pwned\x07\x9b2J"),
               ("huge-location", b"http://127.0.0.1/" + b"a" * (512 << 10)),
               ("self-loop", b"/version-report")]:
    simple("redirect-" + n, ERROR, http(b"302 Found", b"", headers=[b"Location: " + loc]))
simple("redirect-301-relative", ERROR, http(b"301 Moved Permanently", b"", headers=[b"Location: ../../x"]))
simple("redirect-307-no-location", ERROR, http(b"307 Temporary Redirect", b""))

# JSON: deep, huge, wrong
simple("json-deep-array", ERROR, http(body=b"[" * 200000 + b"]" * 200000))
simple("json-deep-object", ERROR, http(body=b'{"a":' * 100000 + b"1" + b"}" * 100000))
simple("json-deep-unclosed", ERROR, http(body=b"[" * 1000000))
simple("json-huge-release", SHOWN, http(body=report(release="1" * 900000)))
simple("json-many-keys", SHOWN, http(body=b"{" + b",".join(b'"k%d": %d' % (i, i) for i in range(60000))
                                     + b"," + REPORT[1:]))
simple("json-many-objects", SHOWN, http(body=report(objects={"O%d" % i: "1.0" for i in range(40000)})))
simple("json-duplicate-keys", SHOWN, http(body=REPORT[:-1] + b', "state": "exploded", "state": "up"}'))
simple("json-nan", ERROR, http(body=REPORT[:-1] + b', "data_migrations_remaining": NaN}'))
simple("json-integer-overflow", ERROR, http(body=REPORT.replace(b'"data_migrations_remaining": 0',
                                                                b'"data_migrations_remaining": 99999999999999999999999')))
simple("json-real-overflow", ERROR, http(body=REPORT.replace(b'"data_migrations_remaining": 0',
                                                             b'"data_migrations_remaining": 1e999')))
simple("json-negative-migrations", SHOWN, http(body=report(data_migrations_remaining=-5)))
simple("json-trailing-garbage", ERROR, http(body=REPORT + b"\x1b[2J garbage"))
simple("json-two-documents", ERROR, http(body=REPORT + REPORT))
simple("json-top-level-string", ERROR, http(body=b'"up"'))
simple("json-top-level-null", ERROR, http(body=b"null"))
simple("json-top-level-array-of-reports", ERROR, http(body=b"[" + REPORT + b"]"))
simple("json-bad-utf8", ERROR, http(body=REPORT.replace(b"15.0.1", b"15.0.\xff\xfe")))
simple("json-overlong-utf8", ERROR, http(body=REPORT.replace(b"15.0.1", b"15.0.\xc0\xaf")))
simple("json-utf16-bom", ERROR, http(body=b"\xff\xfe" + REPORT.decode().encode("utf-16-le")))
simple("json-lone-surrogate", {"up", "error"}, http(body=REPORT.replace(b"15.0.1", b"15.0.1\\ud800")))
simple("json-escaped-nul", {"up", "error"}, http(body=REPORT.replace(b"15.0.1", b"15.0\\u00001")))
simple("json-raw-control-in-string", ERROR, http(body=REPORT.replace(b"15.0.1", b"15.0.1\x1b[2J")))

# wrong types
for field, val in [("release", 15), ("state", ["up"]), ("service", None), ("schema", {"v": 1}),
                   ("rpc", "1.1"), ("objects", [1, 2]), ("data_migrations_remaining", "many"),
                   ("restart_needed", "yes"), ("started_at", 12)]:
    exp = ERROR if field in ("release", "state", "service", "schema") else SHOWN
    simple("wrong-type-" + field.replace("_", "-"), exp, http(body=report(**{field: val})))
simple("missing-every-field", ERROR, http(body=b"{}"))
simple("schema-version-2", ERROR, http(body=report(schema="barbican-version-report/2")))

# escape sequences and C1 characters in every field of an otherwise valid report
for field in ["schema", "service", "host", "release", "state", "started_at"]:
    exp = ERROR if field in ("schema", "service", "state") else SHOWN
    simple("escapes-in-" + field.replace("_", "-"), exp,
           http(body=report(**{field: "15.0.1" + ESCAPES if field == "release" else ESCAPES})))
simple("escapes-in-rpc-version", SHOWN, http(body=report(rpc={"version": ESCAPES, "cap": None})))
simple("escapes-in-rpc-cap", SHOWN, http(body=report(rpc={"version": "1.1", "cap": ESCAPES})))
simple("escapes-in-object-name", SHOWN, http(body=report(objects={ESCAPES: "1.0"})))
simple("escapes-in-object-version", SHOWN, http(body=report(objects={"Secret": ESCAPES})))
simple("escapes-in-state-c1-only", ERROR, http(body=report(state="up\u009b2J\u0085")))
simple("bidi-and-zero-width-in-host", SHOWN, http(body=report(host="ctl\u202e1-\u200bapi\ufeff")))

# barbican-api nodes
case("api-discovery-garbage", ERROR, kind="api")(api({"root"}, lambda c: c.send(http(b"300 Multiple Choices", b"\x00\xff" * 100))))
case("api-discovery-deep", ERROR, kind="api")(api({"root"}, lambda c: c.send(http(b"300 Multiple Choices", b"[" * 300000))))
case("api-build-escapes", SHOWN, kind="api")(api({"build"}, lambda c: c.send(http(body=json.dumps({"build": ESCAPES}).encode()))))
case("api-build-huge-number", ERROR, kind="api")(api({"build"}, lambda c: c.send(http(body=b'{"build": 1e99999}'))))
case("api-health-endless", {"error", "down"}, kind="api")(api({"health"}, lambda c: (c.send(b"HTTP/1.1 200 OK\r\n\r\n"), c.endless(b"OK" * 32768))))
case("api-health-hang", DOWN, kind="api")(api({"health"}, lambda c: c.hold()))
case("api-all-gzip-bomb", ERROR, kind="api")(api({"root", "build", "health"}, lambda c: c.send(http(body=BOMB, headers=[b"Content-Encoding: gzip"]))))
case("api-build-redirect-file", ERROR, kind="api")(api({"build"}, lambda c: c.send(http(b"302 Found", b"", headers=[b"Location: file:///etc/passwd"]))))


# --- the configuration cases ------------------------------------------------------
# (name, writer(dir, healthy_section) -> config path, allowed exits)

CONF_CASES = []


def conf_case(name, rcs=(0, 255)):
    def deco(fn):
        CONF_CASES.append({"name": name, "writer": fn, "rcs": set(rcs), "doc": (fn.__doc__ or "").strip()})
        return fn
    return deco


def wr(d, data, name="barbican.conf"):
    p = os.path.join(d, name)
    with open(p, "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())
    return p


@conf_case("conf-100mb-file")
def _(d, healthy):
    """a 100 MB file: a valid node and 100 MB of comment lines"""
    p = os.path.join(d, "barbican.conf")
    with open(p, "wb") as f:
        f.write(healthy.encode())
        line = b"# " + b"c" * 1021 + b"\n"
        f.write(line * (100 << 10))
    return p


@conf_case("conf-dev-zero")
def _(d, healthy):
    """/dev/zero: endless NUL bytes"""
    return "/dev/zero"


@conf_case("conf-dev-urandom")
def _(d, healthy):
    """/dev/urandom: endless binary garbage"""
    return "/dev/urandom"


@conf_case("conf-control-chars-in-node-name")
def _(d, healthy):
    return wr(d, healthy + "[node:evil\x1b[2J\x07\x9b31m\u009b\x7fname]\nservice = barbican-worker\n")


@conf_case("conf-control-chars-in-host-and-url")
def _(d, healthy):
    return wr(d, healthy + "[node:evil]\nservice = barbican-api\nhost = ctl\x1b]0;pwned\x07\u0085\nurl = http://127.0.0.1:1/\x1b[2J\n")


@conf_case("conf-control-chars-in-target-release")
def _(d, healthy):
    return wr(d, healthy.replace("15.0.1", "15.0.1\x1b[2J\u009b31m\x07"))


@conf_case("conf-control-chars-in-service")
def _(d, healthy):
    return wr(d, healthy + "[node:evil]\nservice = barbican-\x1b[31mworker\n")


@conf_case("conf-huge-value")
def _(d, healthy):
    """a 15 MiB value (a 16 MiB one is refused by the file cap before the value's)"""
    return wr(d, healthy + "[node:big]\nservice = barbican-worker\nhost = " + "h" * (15 << 20) + "\n")


@conf_case("conf-100000-sections")
def _(d, healthy):
    return wr(d, healthy + "".join("[section%d]\nkey = value\n" % i for i in range(100000)))


@conf_case("conf-20000-node-sections")
def _(d, healthy):
    """20,000 nodes without a URL (unknown), one healthy"""
    return wr(d, healthy + "".join("[node:n%d]\nservice = barbican-worker\nhost = h%d\n" % (i, i)
                                   for i in range(20000)))


@conf_case("conf-binary-garbage")
def _(d, healthy):
    r = random.Random(5)
    return wr(d, bytes(r.randrange(256) for _ in range(1 << 20)))


@conf_case("conf-a-directory", rcs=(255,))
def _(d, healthy):
    p = os.path.join(d, "conf.d")
    os.mkdir(p)
    return p


@conf_case("conf-nul-bytes")
def _(d, healthy):
    return wr(d, healthy.encode().replace(b"service", b"serv\x00ice", 1) + b"\x00" * 1000 + b"\n[node:x\x00y]\nservice = barbican-worker\n")


@conf_case("conf-not-utf8")
def _(d, healthy):
    return wr(d, healthy.encode() + b"[node:caf\xe9]\nservice = barbican-worker\nhost = \xff\xfe\x9b31m\n")


@conf_case("conf-subst-loop")
def _(d, healthy):
    """target_release = ${upgrade.roll_order}, roll_order = ${upgrade.target_release}"""
    return wr(d, healthy.replace("target_release = 15.0.1", "target_release = ${upgrade.roll_order}\n"
                                 "roll_order = ${upgrade.target_release}"))


@conf_case("conf-subst-self")
def _(d, healthy):
    return wr(d, healthy.replace("target_release = 15.0.1", "target_release = $target_release"))


@conf_case("conf-subst-billion-laughs")
def _(d, healthy):
    """six registered options, each 64 times the one before: 64^6 x 64 bytes if expanded"""
    steps = ["expand", "upgrade_node", "unpin", "data_migrations", "contract", "offline"]
    lines = ["[steps]", "expand = " + "lol" * 22]
    for prev, cur in zip(steps, steps[1:]):
        lines.append("%s = %s" % (cur, "${steps.%s}" % prev * 64))
    return wr(d, healthy.replace("target_release = 15.0.1", "target_release = ${steps.offline}")
              + "\n".join(lines) + "\n")


@conf_case("conf-100000-keys-in-one-section")
def _(d, healthy):
    return wr(d, healthy + "[upgrade]\n" + "".join("k%d = v\n" % i for i in range(100000)))


@conf_case("conf-100000-continuation-lines")
def _(d, healthy):
    return wr(d, healthy + "[node:cont]\nservice = barbican-worker\nhost = a\n" + "  b\n" * 100000)


@conf_case("conf-url-other-schemes")
def _(d, healthy):
    return wr(d, healthy + "".join("[node:s%d]\nservice = barbican-api\nurl = %s\n" % (i, u) for i, u in enumerate(
        ["file:///etc/shadow", "gopher://127.0.0.1:70/", "dict://127.0.0.1:11211/", "ftp://127.0.0.1/",
         "http://[::1", "http://127.0.0.1:99999/", "http://" + "a" * 70000 + "/", "\x1b[2J"])))


@conf_case("conf-bad-numbers")
def _(d, healthy):
    return wr(d, healthy + "[probes]\ntimeout = 1e999\nconcurrency = -99999999999999999999\nmax_body = nan\n")


@conf_case("conf-empty-journal-path-with-rabbitmq")
def _(d, healthy):
    """an empty [journal] path beside a [rabbitmq] section (an unreachable broker)"""
    return wr(d, healthy + "[rabbitmq]\nmanagement_url = http://127.0.0.1:1/api\nusername = u\n"
              "password = p\n[journal]\npath =\n")


@conf_case("conf-long-line-no-newline")
def _(d, healthy):
    return wr(d, healthy + "[node:" + "n" * (4 << 20))


# --- running -------------------------------------------------------------------------

def terminal_faults(data):
    """what in these bytes would reach a terminal as a control"""
    bad = []
    for b in set(data):
        if (b < 0x20 and b not in (0x0a, 0x09)) or b == 0x7f:
            bad.append("byte 0x%02x" % b)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        bad.append("not UTF-8 (%s)" % e.reason)
        text = data.decode("utf-8", "replace")
    c1 = sorted({"U+%04X" % ord(ch) for ch in text if 0x80 <= ord(ch) <= 0x9f})
    if c1:
        bad.append("C1 " + " ".join(c1))
    return bad


def run_bs(conf, args, limit):
    """(exit code, stdout, stderr, seconds, peak RSS MiB)"""
    home = tempfile.mkdtemp(prefix="bs-hostile-home-")
    rss_file = os.path.join(home, "rss")
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": home, "LANG": "C.UTF-8",
           "BARBICAN_STATUS_SITE_DIRS": "/nonexistent"}
    for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
        if k in os.environ:
            env[k] = os.environ[k]
    argv = [TIME, "-f", "%M", "-o", rss_file, BIN, "--config-file", conf] + args
    t0 = time.monotonic()
    try:
        p = subprocess.run(argv, capture_output=True, env=env, cwd=home, timeout=limit + 5)
        rc, out, err = p.returncode, p.stdout, p.stderr
    except subprocess.TimeoutExpired as e:
        rc, out, err = "timeout", e.stdout or b"", e.stderr or b""
    dt = time.monotonic() - t0
    rss = None
    try:
        with open(rss_file) as f:
            lines = f.read().split()
            # /usr/bin/time writes "Command exited with non-zero status N" first
            rss = int(lines[-1]) / 1024.0
    except (OSError, ValueError, IndexError):
        pass
    subprocess.run(["rm", "-rf", home])
    return rc, out, err, dt, rss


def last_line(err):
    lines = err.decode("utf-8", "replace").strip().splitlines()
    return lines[-1][:300] if lines else ""


def common_checks(what, rc, out, err, dt, rss, limit, faults):
    if rc == "timeout":
        faults.append("%s: still running after %.0f s (killed)" % (what, limit + 5))
        return
    # /usr/bin/time exits 128+N when its child is killed by signal N
    if rc in (96, 97, 98) or rc < 0 or 128 < rc < 160 or b"Sanitizer" in err or b"runtime error:" in err:
        lines = err.decode("utf-8", "replace").splitlines()
        first = [l for l in lines if "ERROR:" in l or "runtime error" in l or " in " in l and "../" in l][:6]
        faults.append("%s: died (exit %s): %s" % (what, rc, "\n          ".join(first or lines[-5:])))
    if dt > limit:
        faults.append("%s: took %.1f s (bound %.1f s)" % (what, dt, limit))
    if rss is None:
        faults.append("%s: no RSS figure" % what)
    elif rss > RSS_MIB:
        faults.append("%s: peak RSS %.1f MiB (bound %.0f MiB)" % (what, rss, RSS_MIB))
    for stream, data in (("stdout", out), ("stderr", err)):
        bad = terminal_faults(data)
        if bad:
            faults.append("%s: %s holds %s" % (what, stream, ", ".join(bad)))


def healthy_section(port):
    return ("[upgrade]\ntarget_release = 15.0.1\n[probes]\ntimeout = %g\n"
            "[node:healthy]\nservice = barbican-worker\nreport_url = http://127.0.0.1:%d/version-report\n"
            % (NODE_TIMEOUT, port))


def run_http_case(c, healthy_port, tmp):
    srv = Server(c["handler"], raw=c["raw"], accept=c["accept"])
    faults = []
    try:
        conf = healthy_section(healthy_port) + "[node:hostile]\n"
        if c["kind"] == "api":
            conf += "service = barbican-api\nurl = http://127.0.0.1:%d\n" % srv.port
        else:
            conf += "service = barbican-worker\nreport_url = http://127.0.0.1:%d/version-report\n" % srv.port
        path = os.path.join(tmp, c["name"] + ".conf")
        with open(path, "w") as f:
            f.write(conf)
        limit = NODE_TIMEOUT + SLACK
        stats = []
        for args in (["nodes", "--json"], ["nodes"]):
            what = " ".join(args)
            rc, out, err, dt, rss = run_bs(path, args, limit)
            stats.append((dt, rss))
            common_checks(what, rc, out, err, dt, rss, limit, faults)
            if rc != 0:
                faults.append("%s: exit %s, not 0: %s" % (what, rc, last_line(err)))
                continue
            if args[-1] == "--json":
                try:
                    doc = json.loads(out)
                    by = {n["name"]: n for n in doc["nodes"]}
                    h, b = by["healthy"], by["hostile"]
                except (ValueError, KeyError, TypeError) as e:
                    faults.append("nodes --json: not the nodes document (%s)" % e)
                    continue
                if h.get("state") != "up":
                    faults.append("healthy node %s (%s)" % (h.get("state"), h.get("error")))
                if b.get("state") not in c["expect"]:
                    faults.append("hostile node %s, expected %s (error: %r)"
                                  % (b.get("state"), "/".join(sorted(c["expect"])), b.get("error")))
                if b.get("state") in ("error", "down") and not (b.get("error") or "").strip():
                    faults.append("hostile node %s without an error" % b.get("state"))
            else:
                text = out.decode("utf-8", "replace")
                if "healthy" not in text or "hostile" not in text:
                    faults.append("nodes: a node is missing from the table")
    finally:
        srv.close()
    return faults, stats


def run_conf_case(c, healthy_port, tmp):
    d = tempfile.mkdtemp(prefix=c["name"] + "-", dir=tmp)
    faults = []
    stats = []
    path = c["writer"](d, healthy_section(healthy_port))
    limit = NODE_TIMEOUT + SLACK + 6
    for args in (["nodes", "--json"], ["nodes"]):
        what = " ".join(args)
        rc, out, err, dt, rss = run_bs(path, args, limit)
        stats.append((dt, rss))
        common_checks(what, rc, out, err, dt, rss, limit, faults)
        if rc not in c["rcs"]:
            faults.append("%s: exit %s, expected %s: %s" % (what, rc, "/".join(map(str, sorted(c["rcs"]))),
                                                          last_line(err)))
            continue
        if rc == 255:
            if not err.startswith(b"barbican-status: "):
                faults.append("%s: exit 255 without a `barbican-status: ` message" % what)
        elif args[-1] == "--json":
            try:
                by = {n["name"]: n for n in json.loads(out)["nodes"]}
                if by["healthy"]["state"] != "up":
                    faults.append("healthy node %s" % by["healthy"]["state"])
            except (ValueError, KeyError, TypeError) as e:
                faults.append("nodes --json: no healthy node in the document (%s)" % e)
    subprocess.run(["rm", "-rf", d])
    return faults, stats


def main():
    import argparse
    ap = argparse.ArgumentParser()
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--only")
    ap.add_argument("--jobs", type=int, default=int(os.environ.get("BS_HOSTILE_JOBS", "6")))
    ap.add_argument("--verbose", action="store_true")
    a = ap.parse_args()
    cases = [("http", c) for c in HTTP_CASES] + [("conf", c) for c in CONF_CASES]
    names = [c["name"] for _, c in cases]
    assert len(names) == len(set(names)), "duplicate case names"
    assert set(KNOWN) <= set(names), set(KNOWN) - set(names)
    if a.list:
        for kind, c in cases:
            print(kind, c["name"])
        print("%d HTTP cases, %d configuration cases" % (len(HTTP_CASES), len(CONF_CASES)))
        return 0
    if a.only:
        want = set(a.only.split(","))
        cases = [x for x in cases if x[1]["name"] in want]
    if not os.access(BIN, os.X_OK):
        print("no %s: build first" % BIN)
        return 1
    healthy = Server(lambda c: c.send(http(body=report(host="healthy"))))
    tmp = tempfile.mkdtemp(prefix="bs-hostile-")
    t0 = time.monotonic()
    results = {}
    # the long cases first, so that the parallel run ends sooner
    cases.sort(key=lambda x: x[0] != "conf")
    with concurrent.futures.ThreadPoolExecutor(max_workers=a.jobs) as ex:
        futs = {}
        for kind, c in cases:
            fn = run_conf_case if kind == "conf" else run_http_case
            futs[ex.submit(fn, c, healthy.port, tmp)] = (kind, c)
        for f in concurrent.futures.as_completed(futs):
            kind, c = futs[f]
            try:
                results[c["name"]] = f.result()
            except Exception as e:  # a bug of the suite itself
                results[c["name"]] = (["the case itself raised %r" % e], [])
    healthy.close()
    subprocess.run(["rm", "-rf", tmp])
    failed = xfailed = xpassed = 0
    max_rss = max_t = 0.0
    for kind, c in cases:
        faults, stats = results[c["name"]]
        for dt, rss in stats:
            max_t = max(max_t, dt)
            max_rss = max(max_rss, rss or 0)
        figs = " ".join("%.1fs/%.0fMiB" % (dt, rss or 0) for dt, rss in stats)
        if c["name"] in KNOWN:
            if faults:
                xfailed += 1
                print("xfail %-36s %s [known: %s]" % (c["name"], figs, KNOWN[c["name"]]))
                if a.verbose:
                    for f in faults:
                        print("        " + f)
            else:
                xpassed += 1
                print("XPASS %-36s %s (remove it from KNOWN: %s)" % (c["name"], figs, KNOWN[c["name"]]))
        elif faults:
            failed += 1
            print("FAIL  %-36s %s" % (c["name"], figs))
            for f in faults:
                print("        " + f)
        else:
            print("ok    %-36s %s" % (c["name"], figs))
    print("%d cases (%d HTTP, %d configuration): %d ok, %d known failures, %d unexpected passes, %d failed; "
          "slowest command %.1f s, peak RSS %.1f MiB (bound %.0f), %.0f s in all"
          % (len(cases), sum(k == "http" for k, _ in cases), sum(k == "conf" for k, _ in cases),
             len(cases) - failed - xfailed - xpassed, xfailed, xpassed, failed, max_t, max_rss, RSS_MIB,
             time.monotonic() - t0))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
