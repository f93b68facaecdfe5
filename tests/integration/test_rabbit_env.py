#!/usr/bin/python3
"""The RabbitMQ part of the test environment (tests/env/rabbitmq.sh,
barbican-services.sh and sshd.sh, started by testenv.sh up): the private
broker and its users, the real barbican-worker and barbican-keystone-listener
seen in RabbitMQ's management API with their real pids, an extra worker
coming and going, and the loopback sshd. Fails, never skips, when the
environment is not up. Driven by Debian's /usr/bin/python3 (python3-amqp)."""
import base64
import json
import os
import pwd
import subprocess
import time
import unittest
import urllib.error
import urllib.request

import amqp

import harness as h


def rmq():
    return h.env()["rabbitmq"]


def svc():
    return h.env()["services"]


def api(path, user=None, password=None, method="GET", body=None):
    """(status, parsed body or text) of a management API request."""
    e = rmq()
    user = user or e["monitor_user"]
    password = e["monitor_password"] if password is None else password
    req = urllib.request.Request(e["mgmt_url"] + path, method=method, data=body)
    tok = base64.b64encode(("%s:%s" % (user, password)).encode()).decode()
    req.add_header("Authorization", "Basic " + tok)
    if body is not None:
        req.add_header("Content-Type", "application/json")
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(req, timeout=10) as r:
            data = r.read()
            st = r.status
    except urllib.error.HTTPError as ex:
        data = ex.read()
        st = ex.code
    try:
        return st, json.loads(data) if data else None
    except ValueError:
        return st, data.decode(errors="replace")


def barbican_conns():
    """[(program, pid, connection) ...] of every connection whose name looks
    like oslo.messaging's <program>:<pid>:<uuid>."""
    st, conns = api("/api/connections")
    if st != 200:
        raise AssertionError("GET /api/connections as bs_monitor: %s %s" % (st, conns))
    out = []
    for c in conns:
        name = (c.get("client_properties") or {}).get("connection_name") or ""
        parts = name.split(":")
        if len(parts) == 3 and parts[0].startswith("barbican-") and parts[1].isdigit():
            out.append((parts[0], int(parts[1]), c))
    return out


def read_pid(pidfile):
    with open(pidfile) as f:
        return int(f.read().strip())


def cmdline(pid):
    with open("/proc/%d/cmdline" % pid, "rb") as f:
        return f.read().split(b"\0")[:-1]


def proc_uid(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("Uid:"):
                return int(line.split()[1])
    raise AssertionError("no Uid in /proc/%d/status" % pid)


def alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def ctl(*args, timeout=120):
    p = subprocess.run([svc()["ctl"]] + list(args), capture_output=True, text=True,
                       timeout=timeout)
    if p.returncode != 0:
        raise AssertionError("%s %s: exit %d\n%s" % (svc()["ctl"], " ".join(args),
                                                     p.returncode, p.stderr))
    return p


def wait_for(pred, timeout, what):
    end = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > end:
            raise AssertionError("not within %ss: %s" % (timeout, what))
        time.sleep(0.2)


def listeners():
    """[(local address, port, process names with pids)] of every TCP listener."""
    out = subprocess.run(["ss", "-Htlnp"], capture_output=True, text=True, check=True).stdout
    rows = []
    for line in out.splitlines():
        f = line.split()
        addr, port = f[3].rsplit(":", 1)
        rows.append((addr, int(port), " ".join(f[5:])))
    return rows


class Broker(unittest.TestCase):
    def test_listens_on_loopback_only(self):
        e = rmq()
        pid = read_pid(e["pidfile"])
        self.assertTrue(alive(pid), "beam.smp %d from %s not running" % (pid, e["pidfile"]))
        self.assertIn(b"beam.smp", os.path.basename(cmdline(pid)[0]))
        self.assertEqual(proc_uid(pid), pwd.getpwnam("rabbitmq").pw_uid)
        mine = [(a, p) for a, p, who in listeners() if "pid=%d," % pid in who]
        self.assertEqual(sorted(p for _, p in mine),
                         sorted([e["port"], e["mgmt_port"], e["dist_port"]]))
        for addr, port in mine:
            self.assertEqual(addr, "127.0.0.1", "beam.smp listens on %s:%d" % (addr, port))
        epmd = [(a, p) for a, p, who in listeners() if '"epmd"' in who]
        self.assertTrue(epmd, "no epmd listening")
        for addr, port in epmd:
            self.assertEqual(port, 4369)
            self.assertIn(addr, ("127.0.0.1", "[::1]"), "epmd listens on %s" % addr)

    def test_amqp_login(self):
        e = rmq()
        c = amqp.Connection(host="127.0.0.1:%d" % e["port"], userid=e["user"],
                            password=e["password"], virtual_host=e["vhost"], connect_timeout=10)
        c.connect()
        c.channel().close()
        c.close()
        bad = amqp.Connection(host="127.0.0.1:%d" % e["port"], userid=e["user"],
                              password=e["password"] + "x", virtual_host=e["vhost"],
                              connect_timeout=10)
        with self.assertRaises(amqp.exceptions.AccessRefused):
            bad.connect()
        self.assertTrue(e["transport_url"].startswith(
            "rabbit://%s:%s@127.0.0.1:%d/" % (e["user"], e["password"], e["port"])))

    def test_monitor_reads_but_cannot_write(self):
        e = rmq()
        st, conns = api("/api/connections")
        self.assertEqual(st, 200)
        self.assertIsInstance(conns, list)
        st, who = api("/api/whoami")
        self.assertEqual(st, 200)
        self.assertEqual(who["name"], "bs_monitor")
        self.assertEqual(who["tags"], ["monitoring"])
        vhost = "it-rabbit-env-%d" % os.getpid()
        st, _ = api("/api/vhosts/" + vhost, method="PUT", body=b"{}")
        self.assertIn(st, (401, 403))
        st, _ = api("/api/vhosts/" + vhost, user=e["admin_user"], password=e["admin_password"])
        self.assertEqual(st, 404, "the monitor user created vhost %s" % vhost)
        st, _ = api("/api/overview", password="wrong-" + e["monitor_password"])
        self.assertEqual(st, 401)


class Services(unittest.TestCase):
    def check_connected(self, name, prog):
        s = svc()[name]
        self.assertEqual(s["prog"], prog)
        pid = read_pid(s["pidfile"])
        self.assertTrue(alive(pid))
        argv = cmdline(pid)
        # /usr/bin/barbican-worker is a python3 script: argv[0] is the interpreter
        self.assertIn(("/usr/bin/" + prog).encode(), argv)
        self.assertIn(("--config-file=" + svc()["conf"]).encode(), argv)
        self.assertEqual(proc_uid(pid), pwd.getpwnam("barbican").pw_uid)
        mine = [c for p, cpid, c in barbican_conns() if p == prog and cpid == pid]
        self.assertTrue(mine, "no connection %s:%d:... in %s" % (
            prog, pid, [(p, q) for p, q, _ in barbican_conns()]))
        for c in mine:
            self.assertEqual(c["peer_host"], "127.0.0.1")
            self.assertEqual(c["user"], rmq()["user"])
            self.assertEqual(c["vhost"], "/")
        return pid

    def test_worker_and_listener_carry_their_pids(self):
        w = self.check_connected("worker", "barbican-worker")
        l = self.check_connected("listener", "barbican-keystone-listener")
        self.assertNotEqual(w, l)

    def test_config_never_from_etc(self):
        # what barbican.common.config reads at import time (before main()
        # parses --config-file), with the environment the services run with
        pid = read_pid(svc()["worker"]["pidfile"])
        with open("/proc/%d/environ" % pid, "rb") as f:
            environ = dict(kv.split(b"=", 1) for kv in f.read().split(b"\0") if b"=" in kv)
        home = environ[b"HOME"].decode()
        self.assertEqual(os.path.join(home, ".barbican", "barbican.conf"), svc()["conf"])
        code = ("import sys; sys.argv = ['/usr/bin/barbican-worker']\n"
                "from barbican.common import config\n"
                "print(repr(list(config.CONF.config_file)))\n")
        p = subprocess.run(["setpriv", "--reuid=barbican", "--regid=barbican", "--init-groups",
                            "--", "/usr/bin/python3", "-c", code],
                           env={"PATH": "/usr/bin:/bin", "HOME": home, "LANG": "C.UTF-8"},
                           cwd=home, capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        files = eval(p.stdout.strip().splitlines()[-1])  # a repr of a list of str
        self.assertTrue(files)
        self.assertEqual(set(files), {svc()["conf"]})
        with open(svc()["conf"]) as f:
            text = f.read()
        self.assertIn("transport_url = " + rmq()["transport_url"], text)

    def test_extra_worker_comes_and_goes(self):
        name = "it-extra-%d" % os.getpid()
        before = {(p, q) for p, q, _ in barbican_conns()}
        self.assertEqual(len({q for _, q in before}), 2, before)
        try:
            ctl("start-extra", h.env()["dir"], name)
            pid = read_pid(os.path.join(svc()["dir"], name + ".pid"))
            self.assertTrue(alive(pid))
            self.assertIn(b"/usr/bin/barbican-worker", cmdline(pid))
            now = wait_for(lambda: {(p, q) for p, q, _ in barbican_conns()} - before, 30,
                           "a connection of the extra worker")
            self.assertEqual(now, {("barbican-worker", pid)})
            self.assertEqual(len({q for _, q in before | now}), 3)
        finally:
            t = time.monotonic()
            ctl("stop-extra", h.env()["dir"], name)
        self.assertFalse(alive(pid))
        wait_for(lambda: all(q != pid for _, q, _ in barbican_conns()), 5,
                 "the extra worker's connection gone after its stop")
        print("extra worker: stopped and its connection gone in %.2fs" % (time.monotonic() - t))
        self.assertEqual({(p, q) for p, q, _ in barbican_conns()}, before)

    def test_main_worker_down_and_up(self):
        d = h.env()["dir"]
        old = read_pid(svc()["worker"]["pidfile"])
        try:
            ctl("stop-one", d, "worker")
            self.assertFalse(alive(old))
            wait_for(lambda: all(q != old for _, q, _ in barbican_conns()), 5,
                     "the worker's connection gone after its stop")
            self.assertFalse([1 for p, _, _ in barbican_conns() if p == "barbican-worker"])
        finally:
            ctl("start-one", d, "worker")
        new = read_pid(svc()["worker"]["pidfile"])
        self.assertNotEqual(new, old)
        self.assertIn(("barbican-worker", new), {(p, q) for p, q, _ in barbican_conns()})


class Ssh(unittest.TestCase):
    def test_key_login(self):
        argv = h.env()["ssh"]["argv"]
        p = subprocess.run(argv + ["true"], stdin=subprocess.DEVNULL, capture_output=True,
                           text=True, timeout=30)
        self.assertEqual(p.returncode, 0, p.stderr)
        p = subprocess.run(argv + ["echo", "hi"], stdin=subprocess.DEVNULL,
                           capture_output=True, text=True, timeout=30)
        self.assertEqual((p.returncode, p.stdout), (0, "hi\n"), p.stderr)

    def test_no_key_no_login(self):
        e = h.env()["ssh"]
        p = subprocess.run(["ssh", "-F", "/dev/null", "-p", str(e["port"]),
                            "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes",
                            "-o", "IdentityFile=/dev/null", "-o", "StrictHostKeyChecking=no",
                            "-o", "UserKnownHostsFile=" + e["known_hosts"],
                            "root@127.0.0.1", "echo", "hi"],
                           stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=30)
        self.assertEqual(p.returncode, 255)
        self.assertEqual(p.stdout, "")
        self.assertIn("Permission denied", p.stderr)

    def test_sshd_on_loopback(self):
        e = h.env()["ssh"]
        pid = read_pid(e["pidfile"])
        mine = [(a, p) for a, p, who in listeners() if "pid=%d," % pid in who]
        self.assertEqual(mine, [("127.0.0.1", e["port"])])


if __name__ == "__main__":
    h.main()
