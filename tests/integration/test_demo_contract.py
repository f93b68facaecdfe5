#!/usr/bin/python3
"""The demo's contract rehearsal (scripts/demo.sh --contract): the demo fleet
on the real 14.x schema, upgrading to 15.99.0, the synthetic release of the
demo manifest ([upgrade] manifest = demo) whose contract migration
c0a7ac7de300 comes after 8c74e2d7f1ff. Driven by `upgrade next` to the
contract step: --yes does not take it, a wrong word typed does not, the
step's name typed on a terminal does (tests/sim/synthetic-migrate.py moves
alembic_version), and the upgrade is then complete."""
import json
import os
import pty
import select
import shutil
import subprocess
import tempfile
import time
import unittest

import harness as h

SYNTHETIC = os.path.join(h.SOURCE, "tests", "sim", "synthetic-migrate.py")


def steps(ctl):
    return {"upgrade_node": ctl + " upgrade {node} {release} --drain-ms 200 --down-ms 300 --wait",
            "contract": "/usr/bin/python3 %s {revision}" % SYNTHETIC,
            "settle_timeout": "20"}


def run_on_terminal(conf, args, answer, timeout=120):
    """barbican-status on a pseudo-terminal: answer is typed once it asks
    (after "to go on: "). Returns (exit code, everything it printed)."""
    home = tempfile.mkdtemp(prefix="bs-home-")
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": home, "LANG": "C.UTF-8",
           "TERM": "dumb", "BARBICAN_STATUS_SITE_DIRS": "/nonexistent"}
    env.update(h.sanitizer_env())
    master, slave = pty.openpty()
    try:
        p = subprocess.Popen([h.BIN, "--config-file", conf] + args, stdin=slave, stdout=slave,
                             stderr=slave, env=env, cwd=home, close_fds=True)
        os.close(slave)
        slave = -1
        out = b""
        typed = False
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            r, _, _ = select.select([master], [], [], 0.2)
            if r:
                try:
                    chunk = os.read(master, 4096)
                except OSError:  # EIO: the other side closed
                    chunk = b""
                if not chunk:
                    break
                out += chunk
            if not typed and b"to go on: " in out:
                os.write(master, answer.encode() + b"\n")
                typed = True
            if p.poll() is not None and not r:
                break
        p.wait(timeout=max(1, deadline - time.monotonic()))
        return p.returncode, out.decode("utf-8", "replace").replace("\r\n", "\n")
    finally:
        if slave >= 0:
            os.close(slave)
        os.close(master)
        shutil.rmtree(home, ignore_errors=True)


class ContractRehearsal(unittest.TestCase):

    def setUp(self):
        self.d = h.Deployment(h.load_fleet("demo-14.json"), "tmpl_14x", "15.99.0", steps=steps,
                              extra="[upgrade]\nmanifest = demo\n")

    def tearDown(self):
        self.d.close()

    def plan(self):
        rc, out, err = self.d.run("upgrade", "plan", "--json")
        self.assertEqual(rc, 0, out + err)
        return json.loads(out)

    def revision(self):
        conn = h.pg_connect(self.d.db)
        with conn.cursor() as cur:
            cur.execute("SELECT version_num FROM alembic_version")
            rows = [r[0] for r in cur.fetchall()]
        conn.close()
        return rows

    def records(self):
        rc, out, err = self.d.run("journal", "--json")
        self.assertEqual(rc, 0, err)
        return json.loads(out)["records"]

    def test_the_contract_step_wants_its_name_typed(self):
        p = self.plan()
        self.assertEqual([(m["revision"], m["class"]) for m in p["database"]["pending"]],
                         [("8c74e2d7f1ff", "expand"), ("c0a7ac7de300", "contract")])
        # the expand (the real barbican-manage), then the roll
        for _ in range(10):
            if self.plan()["next"]["step"] == "contract":
                break
            rc, out, err = self.d.run("upgrade", "next", "--yes", "--confirm-unobservable")
            self.assertEqual(rc, 0, out + err)
        p = self.plan()
        self.assertEqual(p["phase"], "contract")
        self.assertEqual(p["next"]["step"], "contract")
        self.assertTrue(p["next"]["ready"])
        self.assertEqual(self.revision(), ["8c74e2d7f1ff"])
        rc, out, err = self.d.run("upgrade", "gate", "--before", "contract")
        self.assertEqual(rc, 0, out + err)
        before = len(self.records())

        # --yes does not answer for an irreversible step
        rc, out, err = self.d.run("upgrade", "next", "--yes")
        self.assertEqual(rc, 2, out + err)
        self.assertIn("--yes does not take it", err)
        self.assertIn("--confirm-step contract", err)
        # nor does --confirm-step naming another step
        rc, out, err = self.d.run("upgrade", "next", "--yes", "--confirm-step", "offline")
        self.assertEqual(rc, 2, out + err)
        self.assertIn("does not name the next step, contract", err)
        rc, out, err = self.d.run("upgrade", "next", "--confirm-step", "contarct")
        self.assertEqual(rc, 64, out + err)
        # on a terminal, with --yes, a wrong word typed
        rc, out = run_on_terminal(self.d.conf, ["upgrade", "next", "--yes"], "yes")
        self.assertEqual(rc, 2, out)
        self.assertIn('There is no way back from contract. Type "contract" to go on:', out)
        self.assertIn("Not confirmed: nothing ran.", out)
        self.assertEqual(self.revision(), ["8c74e2d7f1ff"])
        self.assertEqual(len(self.records()), before)

        # the step's name typed: it runs, is verified and recorded
        rc, out = run_on_terminal(self.d.conf, ["upgrade", "next"], "contract")
        self.assertEqual(rc, 0, out)
        self.assertIn("contract the schema to c0a7ac7de300", out)
        self.assertIn("Running upgrade 8c74e2d7f1ff -> c0a7ac7de300", out)
        self.assertEqual(self.revision(), ["c0a7ac7de300"])
        last = self.records()[-1]
        self.assertEqual((last["step"], last["outcome"], last["exit"]), ("contract", "verified", 0))
        self.assertEqual(last["argv"], ["/usr/bin/python3", SYNTHETIC, "c0a7ac7de300"])
        self.assertEqual(self.plan()["phase"], "done")
        rc, out, err = self.d.run("upgrade", "next", "--yes")
        self.assertEqual(rc, 4, out + err)


if __name__ == "__main__":
    h.main()
