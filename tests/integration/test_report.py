#!/usr/bin/python3
"""barbican-status report against the real /proc of this machine, with
processes this test starts: a Python script at a path ending in
barbican-worker, run as "/usr/bin/python3 .../barbican-worker" (how Debian
starts the worker). The installed code is a tree under --root whose ctime
the test controls (a file copied over: new inode, new ctime). Other Barbican
processes may run on the machine (the test environment's), so the checks
look for this test's pids; the exact checks (one process, stopped) run in a
PID namespace of their own (unshare --pid --mount-proc, as root) where only
the test's processes exist. Against the real / the release is the installed
python3-barbican's, 15.0.1."""
import calendar
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

import harness as h

SCRIPT = "import time\nwhile True:\n    time.sleep(1)\n"


def iso_to_epoch(s):
    return calendar.timegm(time.strptime(s, "%Y-%m-%dT%H:%M:%SZ"))


def report(*args):
    p = subprocess.run([h.BIN, "report"] + list(args), capture_output=True, text=True,
                       env={"PATH": "/usr/bin:/bin", "HOME": "/nonexistent", "LANG": "C.UTF-8"})
    return p.returncode, p.stdout, p.stderr


def can_unshare():
    try:
        return subprocess.run(["unshare", "-fp", "--mount-proc", "true"],
                              capture_output=True).returncode == 0
    except FileNotFoundError:
        return False


class Tree:
    """A fake installed Barbican under root, and a barbican-worker script."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="bs-report-")
        self.root = os.path.join(self.dir, "root")
        site = os.path.join(self.root, "usr/lib/python3/dist-packages")
        self.pkg_info = os.path.join(site, "barbican-15.0.1.egg-info", "PKG-INFO")
        os.makedirs(os.path.dirname(self.pkg_info))
        os.makedirs(os.path.join(site, "barbican"))
        with open(self.pkg_info, "w") as f:
            f.write("Metadata-Version: 1.2\nName: barbican\nVersion: 15.0.1\n")
        open(os.path.join(site, "barbican", "version.py"), "w").close()
        self.script = os.path.join(self.dir, "bin", "barbican-worker")
        os.makedirs(os.path.dirname(self.script))
        with open(self.script, "w") as f:
            f.write(SCRIPT)
        self.procs = []

    def start_worker(self):
        # the start is known to a clock tick (10 ms), rounded down: one
        # within a tick of the code's change counts as before it
        time.sleep(0.05)
        p = subprocess.Popen(["/usr/bin/python3", self.script])
        self.procs.append(p)
        return p

    def upgrade_code(self):
        """What dpkg does to a file: a new one renamed over the old (new
        inode, ctime now)."""
        tmp = self.pkg_info + ".dpkg-new"
        shutil.copy2(self.pkg_info, tmp)
        os.rename(tmp, self.pkg_info)

    def close(self):
        for p in self.procs:
            p.kill()
            p.wait()
        shutil.rmtree(self.dir)


class ReportOnThisMachine(unittest.TestCase):
    def setUp(self):
        self.t = Tree()

    def tearDown(self):
        self.t.close()

    def json_report(self, *args):
        rc, out, err = report("--service", "barbican-worker", "--json", "--root", self.t.root, *args)
        self.assertEqual(rc, 0, err)
        return json.loads(out)

    def proc_entry(self, rep, pid):
        for p in rep["processes"]:
            if p["pid"] == pid:
                return p
        self.fail("pid %d not in %s" % (pid, rep["pids"]))

    def test_a_started_worker_is_reported_with_its_pid_start_and_command_line(self):
        before = time.time()
        p = self.t.start_worker()
        after = time.time()
        time.sleep(0.3)
        rep = self.json_report()
        self.assertIn(p.pid, rep["pids"])
        self.assertEqual(rep["state"], "up")
        self.assertEqual(rep["schema"], "barbican-version-report/1")
        self.assertEqual(rep["service"], "barbican-worker")
        self.assertEqual(rep["release"], "15.0.1")
        e = self.proc_entry(rep, p.pid)
        self.assertEqual(e["argv"], ["/usr/bin/python3", self.t.script])
        self.assertIsNone(e["root"])
        # the start, to the second (ISO 8601 truncates)
        started = iso_to_epoch(e["started_at"])
        self.assertGreaterEqual(started, int(before) - 1)
        self.assertLessEqual(started, after + 1)
        # started_at is the oldest process's
        self.assertLessEqual(iso_to_epoch(rep["started_at"]), started)

    def test_restart_needed_after_the_code_changed_under_a_running_worker(self):
        old = self.t.start_worker()
        time.sleep(0.3)
        rep = self.json_report()
        self.assertFalse(self.proc_entry(rep, old.pid)["restart_needed"])
        time.sleep(0.2)
        self.t.upgrade_code()
        rep = self.json_report()
        self.assertTrue(self.proc_entry(rep, old.pid)["restart_needed"])
        self.assertTrue(rep["restart_needed"])
        # a worker started after the upgrade runs the new code
        time.sleep(0.2)
        new = self.t.start_worker()
        time.sleep(0.3)
        rep = self.json_report()
        self.assertFalse(self.proc_entry(rep, new.pid)["restart_needed"])
        self.assertTrue(self.proc_entry(rep, old.pid)["restart_needed"])
        self.assertTrue(rep["restart_needed"])

    def test_the_disable_file_under_the_root_makes_it_draining(self):
        p = self.t.start_worker()
        time.sleep(0.3)
        os.makedirs(os.path.join(self.t.root, "etc/barbican"))
        open(os.path.join(self.t.root, "etc/barbican/healthcheck_disable"), "w").close()
        rep = self.json_report()
        self.assertIn(p.pid, rep["pids"])
        self.assertEqual(rep["state"], "draining")

    def test_the_text_names_the_process(self):
        p = self.t.start_worker()
        time.sleep(0.3)
        rc, out, err = report("--service", "barbican-worker", "--root", self.t.root)
        self.assertEqual(rc, 0, err)
        self.assertIn("release: 15.0.1", out)
        self.assertIn("%d " % p.pid, out)
        self.assertIn(self.t.script, out)

    def test_against_the_real_root_the_release_is_debians_15_0_1(self):
        rc, out, err = report("--service", "barbican-worker", "--json")
        self.assertEqual(rc, 0, err)
        rep = json.loads(out)
        self.assertEqual(rep["release"], "15.0.1")
        self.assertEqual(rep["rpc"], {"version": "1.1", "cap": None})
        self.assertEqual(rep["derived"], ["rpc", "objects"])

    def test_barbican_not_installed_exits_255_saying_so(self):
        empty = os.path.join(self.t.dir, "empty")
        os.mkdir(empty)
        rc, out, err = report("--service", "barbican-retry", "--root", empty)
        self.assertEqual(rc, 255)
        self.assertEqual(out, "")
        self.assertIn("not installed", err)


class ReportInAPidNamespace(unittest.TestCase):
    """Only the processes started here exist: exact pids and states. Needs
    root for a PID namespace (CI runs as root): fails, never skips, without."""

    def setUp(self):
        self.assertTrue(os.geteuid() == 0 and can_unshare(),
                        "needs root and unshare(1) for a PID namespace")
        self.t = Tree()

    def tearDown(self):
        self.t.close()

    def in_namespace(self, script):
        p = subprocess.run(["unshare", "-fp", "--mount-proc", "sh", "-c", script,
                            h.BIN, self.t.root, self.t.script],
                           capture_output=True, text=True)
        return p.returncode, p.stdout, p.stderr

    def test_one_worker_gives_pid_and_pids(self):
        rc, out, err = self.in_namespace(
            '/usr/bin/python3 "$2" & w=$!; sleep 0.5; echo $w; '
            '"$0" report --service barbican-worker --json --root "$1"; rc=$?; kill $w; exit $rc')
        self.assertEqual(rc, 0, err)
        pid_line, doc = out.split("\n", 1)
        rep = json.loads(doc)
        self.assertEqual(rep["pid"], int(pid_line))
        self.assertEqual(rep["pids"], [int(pid_line)])
        self.assertEqual(rep["state"], "up")

    def test_no_process_is_stopped_with_exit_0(self):
        rc, out, err = self.in_namespace(
            '/usr/bin/python3 "$2" & w=$!; sleep 0.5; kill $w; wait $w; '
            '"$0" report --service barbican-worker --json --root "$1"')
        self.assertEqual(rc, 0, err)
        rep = json.loads(out)
        self.assertEqual(rep["state"], "stopped")
        self.assertEqual(rep["pids"], [])
        self.assertNotIn("pid", rep)
        self.assertIsNone(rep["started_at"])
        self.assertFalse(rep["restart_needed"])
        self.assertEqual(rep["release"], "15.0.1")


if __name__ == "__main__":
    unittest.main(verbosity=2)
