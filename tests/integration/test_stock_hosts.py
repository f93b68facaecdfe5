#!/usr/bin/python3
"""Every process of a stock Barbican deployment visible: the real Debian
barbican-worker and barbican-keystone-listener, connected to a private
RabbitMQ, found through its management API; version reports from the host
by `barbican-status report`, run through a real ssh to 127.0.0.1 as a
report_command; report commands that hang, flood or fail. Real servers and
services from tests/env (rabbitmq.sh, barbican-services.sh, sshd.sh): fails,
never skips, without them."""
import json
import os
import shlex
import socket
import subprocess
import time
import unittest

import harness as h

REPORT = [h.BIN, "report"]


def rmq():
    return h.env()["rabbitmq"]


def services():
    return h.env()["services"]


def ssh_argv():
    return " ".join(shlex.quote(a) for a in h.env()["ssh"]["argv"])


def pid_of(which):
    with open(services()[which]["pidfile"]) as f:
        return int(f.read().strip())


def ctl(*args):
    p = subprocess.run([services()["ctl"]] + list(args), capture_output=True, text=True,
                       timeout=120)
    if p.returncode != 0:
        raise AssertionError("%s %s: exit %d: %s" % (services()["ctl"], args, p.returncode,
                                                     p.stderr[-2000:]))


def env_dir():
    return os.path.dirname(h.env()["services"]["dir"])


def conf(nodes, rabbit=None, extra=""):
    """A config: [rabbitmq] (rabbit: a dict of its options, None for the
    monitor user's) and [node:NAME] sections (NAME: {option: value})."""
    if rabbit is None:
        rabbit = {"management_url": rmq()["mgmt_url"], "username": rmq()["monitor_user"],
                  "password": rmq()["monitor_password"]}
    lines = ["[DEFAULT]", "sql_connection = sqlite:///nowhere", "[upgrade]",
             "target_release = 15.0.1", "[probes]", "timeout = 3"]
    if rabbit:
        lines.append("[rabbitmq]")
        lines += ["%s = %s" % kv for kv in rabbit.items()]
    for name, opts in nodes.items():
        lines.append("[node:%s]" % name)
        lines += ["%s = %s" % kv for kv in opts.items()]
    return "\n".join(lines) + "\n" + extra


HERE = socket.gethostname()
WORKER_HERE = {"service": "barbican-worker", "host": HERE}
LISTENER_HERE = {"service": "barbican-keystone-listener", "host": HERE}


def nodes_json(text):
    rc, out, err = h.run(["nodes", "--json"], text)
    if rc != 0:
        raise AssertionError("nodes --json: exit %d: %s" % (rc, err))
    doc = json.loads(out)
    return doc, {n["name"]: n for n in doc["nodes"]}


class RabbitMQ(unittest.TestCase):
    """Discovery and liveness from RabbitMQ's management API."""

    def test_the_real_worker_and_listener_are_seen_with_their_pids(self):
        doc, n = nodes_json(conf({"w": WORKER_HERE, "l": LISTENER_HERE}))
        self.assertEqual(n["w"]["state"], "up", n["w"])
        self.assertEqual(n["w"]["rabbitmq"]["pids"], [pid_of("worker")])
        self.assertEqual(n["l"]["state"], "up", n["l"])
        self.assertEqual(n["l"]["rabbitmq"]["pids"], [pid_of("listener")])
        self.assertRegex(n["w"]["rabbitmq"]["connected_since"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        self.assertEqual(doc["discovered"], [])
        rc, out, err = h.run(["nodes"], conf({"w": WORKER_HERE, "l": LISTENER_HERE}))
        self.assertIn("w: RabbitMQ: 1 connection, pid %d" % pid_of("worker"), out)

    def test_a_worker_no_node_describes_is_discovered(self):
        # only the listener is described: the worker is discovered
        text = conf({"l": LISTENER_HERE})
        doc, n = nodes_json(text)
        self.assertEqual([(d["service"], d["pid"]) for d in doc["discovered"]],
                         [("barbican-worker", pid_of("worker"))])
        rc, out, err = h.run(["upgrade", "check", "--json"], text)
        c = h.check(json.loads(out), "nodes-discovered")
        self.assertEqual(c["result"], 1)
        self.assertIn("barbican-worker on 127.0.0.1 (pid %d)" % pid_of("worker"), c["details"])

    def test_an_extra_worker_is_discovered_then_gone(self):
        ctl("start-extra", env_dir(), "it-extra")
        try:
            with open(os.path.join(services()["dir"], "it-extra.pid")) as f:
                extra = int(f.read().strip())
            doc, n = nodes_json(conf({"w": WORKER_HERE, "l": LISTENER_HERE}))
            # both workers are on this machine: both belong to w
            self.assertEqual(sorted(n["w"]["rabbitmq"]["pids"]), sorted([pid_of("worker"), extra]))
            # described only by another host's node: discovered
            doc, n = nodes_json(conf({"w": {"service": "barbican-worker",
                                            "host": "192.0.2.7"}}))
            self.assertEqual(sorted(d["pid"] for d in doc["discovered"]
                                    if d["service"] == "barbican-worker"),
                             sorted([pid_of("worker"), extra]))
            self.assertEqual(n["w"]["state"], "down")
        finally:
            ctl("stop-extra", env_dir(), "it-extra")
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            doc, n = nodes_json(conf({"w": WORKER_HERE}))
            if len(n["w"]["rabbitmq"]["pids"]) == 1:
                break
            time.sleep(0.5)
        self.assertEqual(n["w"]["rabbitmq"]["pids"], [pid_of("worker")])

    def test_a_stopped_worker_goes_down_within_one_refresh(self):
        ctl("stop-one", env_dir(), "worker")
        try:
            deadline = time.monotonic() + 15
            state = None
            while time.monotonic() < deadline:
                doc, n = nodes_json(conf({"w": WORKER_HERE}))
                state = n["w"]["state"]
                if state == "down":
                    break
                time.sleep(0.5)
            self.assertEqual(state, "down")
            self.assertIn("no RabbitMQ connection of barbican-worker", n["w"]["error"])
        finally:
            ctl("start-one", env_dir(), "worker")
        doc, n = nodes_json(conf({"w": WORKER_HERE}))
        self.assertEqual(n["w"]["state"], "up")

    def test_refused_credentials_leave_the_nodes_unknown_never_down(self):
        bad = {"management_url": rmq()["mgmt_url"], "username": rmq()["monitor_user"],
               "password": "not-the-password"}
        doc, n = nodes_json(conf({"w": WORKER_HERE}, rabbit=bad))
        self.assertEqual(n["w"]["state"], "unknown")
        self.assertIn("credentials were refused", n["w"]["error"])
        self.assertNotIn("not-the-password", json.dumps(doc))

    def test_a_management_api_that_does_not_answer_is_bounded(self):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        s.listen(4)  # accepts, never answers
        try:
            silent = {"management_url": "http://127.0.0.1:%d" % s.getsockname()[1],
                      "username": "x", "password": "y"}
            t0 = time.monotonic()
            doc, n = nodes_json(conf({"w": WORKER_HERE}, rabbit=silent))
            self.assertLess(time.monotonic() - t0, 8)  # [probes] timeout = 3
            self.assertEqual(n["w"]["state"], "unknown")
            self.assertIn("GET /api/connections", n["w"]["error"])
        finally:
            s.close()

    def test_the_transport_urls_credentials_when_none_are_given(self):
        r = rmq()
        url = "rabbit://%s:%s@127.0.0.1:%d/" % (r["monitor_user"], r["monitor_password"],
                                                r["port"])
        text = conf({"w": WORKER_HERE}, rabbit={"management_url": r["mgmt_url"]})
        text = text.replace("[DEFAULT]\n", "[DEFAULT]\ntransport_url = %s\n" % url)
        doc, n = nodes_json(text)
        self.assertEqual(n["w"]["state"], "up", n["w"])


class ReportCommand(unittest.TestCase):
    """report_command: the host's own report through ssh, and commands that
    misbehave, each a bounded, clear per-node result."""

    def test_report_through_ssh_gives_the_real_workers_release_and_pid(self):
        cmd = "%s %s report --service {service} --json" % (ssh_argv(), shlex.quote(h.BIN))
        doc, n = nodes_json(conf({"w": dict(WORKER_HERE, report_command=cmd)}))
        w = n["w"]
        self.assertEqual(w["state"], "up", w)
        self.assertEqual(w["release"], "15.0.1")
        self.assertEqual(w["release_source"], "report")
        self.assertIn(pid_of("worker"), w["pids"])
        self.assertEqual(w["rpc"]["source"], "derived")
        self.assertIsNotNone(w["report_age_s"])

    def test_misbehaving_commands_each_give_their_own_error(self):
        cmd = "%s %s report --service {service} --json" % (ssh_argv(), shlex.quote(h.BIN))
        # nodes without a command among them: each command's answer must
        # land on its own node (the prober keeps runs for commands only)
        nodes = {
            "nocmd1": dict(WORKER_HERE),
            "good": dict(WORKER_HERE, report_command=cmd),
            "nocmd2": dict(WORKER_HERE),
            "hangs": dict(WORKER_HERE, report_command="sleep 30", timeout="2"),
            "floods": dict(WORKER_HERE, report_command="head -c 100000000 /dev/zero"),
            "fails": dict(WORKER_HERE, report_command="sh -c 'echo no such host >&2; exit 1'"),
            "garbage": dict(WORKER_HERE, report_command="echo not a report"),
        }
        t0 = time.monotonic()
        rc, out, err = h.run(["nodes", "--json"], conf(nodes, rabbit={}))
        took = time.monotonic() - t0
        n = {x["name"]: x for x in json.loads(out)["nodes"]}
        self.assertLess(took, 8)  # the hang costs its timeout, once
        self.assertEqual(n["good"]["state"], "up")
        self.assertEqual((n["hangs"]["state"], n["hangs"]["error"]),
                         ("down", "report_command: no report within 2.0 s"))
        self.assertEqual(n["floods"]["state"], "error")
        self.assertIn("output larger than 1048576 bytes", n["floods"]["error"])
        self.assertEqual(n["fails"]["error"], "report_command: exit status 1: no such host")
        self.assertEqual(n["garbage"]["state"], "error")
        self.assertIn("report_command: invalid version report: invalid JSON", n["garbage"]["error"])
        for name in ("nocmd1", "nocmd2"):
            self.assertNotEqual(n[name]["state"], "up", n[name])
            self.assertNotIn("report_command", n[name]["error"] or "", n[name])
            self.assertIsNone(n[name]["report_age_s"], n[name])


class RestartNeeded(unittest.TestCase):
    """`report` on the real worker: restart needed once the installed code
    changed under it (as a package upgrade changes it: new ctime), not after
    a restart."""

    CODE = "/usr/lib/python3/dist-packages/barbican/version.py"

    def report(self):
        p = subprocess.run(REPORT + ["--service", "barbican-worker", "--json"],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        return json.loads(p.stdout)

    def test_restart_needed_after_the_code_changed_and_not_after_a_restart(self):
        r = self.report()
        self.assertIn(pid_of("worker"), r["pids"])
        self.assertEqual(r["release"], "15.0.1")
        mine = [p for p in r["processes"] if p["pid"] == pid_of("worker")][0]
        self.assertFalse(mine["restart_needed"], r)
        time.sleep(1.1)
        # what dpkg does to a replaced file, without changing its content:
        # a new ctime (chmod to the same mode changes only the ctime)
        os.chmod(self.CODE, os.stat(self.CODE).st_mode & 0o7777)
        r = self.report()
        mine = [p for p in r["processes"] if p["pid"] == pid_of("worker")][0]
        self.assertTrue(mine["restart_needed"], r)
        self.assertTrue(r["restart_needed"])
        # and barbican-status, through report_command, does not count it upgraded
        cmd = "%s report --service {service} --json" % shlex.quote(h.BIN)
        text = conf({"w": dict(WORKER_HERE, report_command=cmd)}, rabbit={})
        doc, n = nodes_json(text)
        self.assertTrue(n["w"]["restart_needed"])
        rc, out, err = h.run(["upgrade", "check", "--json"], text)
        self.assertIn("Restart needed", h.check(json.loads(out), "nodes-reachable")["details"])
        time.sleep(1.1)
        ctl("stop-one", env_dir(), "worker")
        ctl("start-one", env_dir(), "worker")
        r = self.report()
        mine = [p for p in r["processes"] if p["pid"] == pid_of("worker")][0]
        self.assertFalse(mine["restart_needed"], r)


if __name__ == "__main__":
    h.env()
    h.main()
