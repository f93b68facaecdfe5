#!/usr/bin/python3
"""The planner and the runner end to end: `upgrade plan`, `gate`, `next` and
`journal` on a real PostgreSQL (schemas made by the real barbican-manage)
with simulated fleets, and the real barbican-manage running the expand."""
import json
import os
import re
import select
import shutil
import signal
import subprocess
import tempfile
import time
import unittest

import harness as h

load_fleet = h.load_fleet


def roll_steps(ctl):
    """[steps] upgrade_node driving the simulator: drain, restart, wait."""
    return {"upgrade_node": ctl + " upgrade {node} {release} --drain-ms 200 --down-ms 300 --wait",
            "settle_timeout": "20"}


class Deployment(h.Deployment):
    """h.Deployment with the simulator's rolling restart as upgrade_node,
    and its plan and journal as JSON."""

    def __init__(self, fleet, template, target, extra=""):
        super().__init__(fleet, template, target, steps=roll_steps, extra=extra)

    def plan(self):
        rc, out, err = self.run("upgrade", "plan", "--json")
        assert rc == 0, err
        return json.loads(out)

    def records(self):
        rc, out, err = self.run("journal", "--json")
        assert rc == 0, err
        return json.loads(out)["records"]


class DemoUpgrade(unittest.TestCase):
    """The demo deployment: a 14.0.2 fleet (tests/sim/fleets/demo-14.json),
    the real 14.x schema, target 15.0.1."""

    def setUp(self):
        self.d = Deployment(load_fleet("demo-14.json"), "tmpl_14x", "15.0.1")

    def tearDown(self):
        self.d.close()

    def test_plan_says_expand_first_with_the_exact_argv(self):
        p = self.d.plan()
        self.assertEqual(p["schema"], "barbican-status/plan/1")
        self.assertEqual(p["phase"], "expand")
        self.assertEqual(p["database"]["current"], ["0f8c192a061f"])
        self.assertEqual([m["revision"] for m in p["database"]["pending"]], ["8c74e2d7f1ff"])
        self.assertEqual(p["next"]["step"], "expand")
        self.assertEqual(p["next"]["argv"], ["barbican-manage", "db", "upgrade", "-v", "8c74e2d7f1ff"])
        self.assertTrue(p["next"]["ready"])
        phases = {ph["name"]: ph for ph in p["phases"]}
        self.assertEqual(phases["unpin"]["state"], "skipped")
        self.assertEqual(phases["migrate-data"]["state"], "skipped")
        # workers first, the stock retry, the APIs last
        self.assertEqual(p["roll_order"], ["ctl1-wrk", "ctl2-wrk", "ctl3-wrk", "ctl1-ksl",
                                           "ctl1-retry", "ctl1-api", "ctl2-api"])

    def test_gates_before_and_after_expand(self):
        rc, out, err = self.d.run("upgrade", "gate", "--before", "expand")
        self.assertEqual(rc, 0, out + err)
        rc, out, err = self.d.run("upgrade", "gate", "--before", "roll", "--json")
        self.assertEqual(rc, 2)
        g = json.loads(out)
        self.assertEqual(g["verdict"], "does not hold")
        self.assertEqual([b["code"] for b in g["blockers"]], ["expand-pending"])
        rc, out, err = self.d.run("upgrade", "gate", "--before", "contract")
        self.assertEqual(rc, 2)
        self.assertIn("ctl1-wrk (barbican-worker) still runs 14.0.2", out)

    def test_repeating_next_completes_the_whole_upgrade(self):
        steps = []
        for _ in range(12):
            rc, out, err = self.d.run("upgrade", "next", "--yes", "--confirm-unobservable")
            if rc == 4 and "complete" in out:
                break
            self.assertEqual(rc, 0, out + err)
            steps.append(out.splitlines()[0])
        self.assertEqual(steps[0], "Next step: expand the schema to 8c74e2d7f1ff")
        self.assertEqual(len(steps), 8)
        self.assertIn("ctl1-wrk", steps[1])
        self.assertIn("ctl2-api", steps[7])
        # the real barbican-manage did the expand
        conn = h.pg_connect(self.d.db)
        with conn.cursor() as cur:
            cur.execute("SELECT version_num FROM alembic_version")
            self.assertEqual(cur.fetchall(), [("8c74e2d7f1ff",)])
        conn.close()
        p = self.d.plan()
        self.assertEqual(p["phase"], "done")
        rc, out, err = self.d.run("upgrade", "gate", "--before", "done")
        self.assertEqual(rc, 0, out)
        recs = self.d.records()
        self.assertEqual([r["step"] for r in recs], ["expand"] + ["upgrade_node"] * 7)
        self.assertEqual([r["outcome"] for r in recs].count("verified"), 7)
        vouched = [r for r in recs if r["outcome"] == "vouched"]
        self.assertEqual([r["node"] for r in vouched], ["ctl1-retry"])
        self.assertEqual(recs[0]["argv"], ["barbican-manage", "db", "upgrade", "-v", "8c74e2d7f1ff"])
        self.assertEqual(recs[0]["exit"], 0)
        for r in recs:
            self.assertEqual(set(r), {"id", "user", "host", "step", "node", "argv", "start", "end",
                                      "exit", "signal", "outcome", "detail", "release", "revision"})

    def test_the_database_password_is_not_in_the_journal_nor_the_argv(self):
        rc, out, err = self.d.run("upgrade", "next", "--yes")
        self.assertEqual(rc, 0, out + err)
        password = h.env()["pg"]["password"]
        with open(self.d.journal) as f:
            text = f.read()
        self.assertNotIn(password, text)
        self.assertNotIn(password, out + err)
        self.assertEqual(os.stat(self.d.journal).st_mode & 0o777, 0o600)

    def test_dry_run_runs_nothing(self):
        rc, out, err = self.d.run("upgrade", "next", "--dry-run")
        self.assertEqual(rc, 0)
        self.assertIn("barbican-manage db upgrade -v 8c74e2d7f1ff", out)
        self.assertIn("OS_DEFAULT__SQL_CONNECTION", out)
        self.assertNotIn(h.env()["pg"]["password"], out)
        self.assertEqual(self.d.plan()["phase"], "expand")
        self.assertFalse(os.path.exists(self.d.journal))

    def test_without_a_terminal_next_needs_yes(self):
        rc, out, err = self.d.run("upgrade", "next")
        self.assertEqual(rc, 2)
        self.assertIn("--yes", err)
        self.assertEqual(self.d.plan()["phase"], "expand")

    def test_an_unwritable_journal_stops_the_step_before_it_starts(self):
        with open(self.d.conf, "a") as f:
            f.write("[journal]\npath = /proc/barbican-status-journal\n")
        rc, out, err = self.d.run("upgrade", "next", "--yes")
        self.assertEqual(rc, 255)
        self.assertIn("journal", err)
        self.assertEqual(self.d.plan()["phase"], "expand")

    def test_a_second_next_fails_at_once_naming_the_holder(self):
        # a slow expand: the real barbican-manage after a pause
        with open(self.d.conf, "a") as f:
            f.write("[steps]\nexpand = sh -c 'sleep 4; exec barbican-manage db upgrade -v \"$0\"' "
                    "{revision}\n")
        home = tempfile.mkdtemp()
        first = subprocess.Popen([h.BIN, "--config-file", self.d.conf, "upgrade", "next", "--yes"],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                 env={"PATH": "/usr/bin:/bin", "HOME": home,
                                      "BARBICAN_STATUS_SITE_DIRS": "/nonexistent"})
        try:
            deadline = time.monotonic() + 10
            held = False
            while time.monotonic() < deadline and not held:
                held = "lock held by" in json.dumps(self.d.plan()["blockers"])
                time.sleep(0.2)
            self.assertTrue(held, "the first step never showed as holding the lock")
            t0 = time.monotonic()
            rc, out, err = self.d.run("upgrade", "next", "--yes")
            self.assertEqual(rc, 2)
            # the whole holder, from the shared record's lock row: step, user@host, since
            self.assertRegex(out + err, r"lock held by expand by [^@\s]+@\S+ since "
                                        r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
            self.assertLess(time.monotonic() - t0, 10)  # at once, not after the first one
            rc, out, err = self.d.run("upgrade", "gate", "--before", "expand")
            self.assertEqual(rc, 2)
            self.assertIn("lock held by expand by ", out)
        finally:
            fout, ferr = first.communicate(timeout=60)
            shutil.rmtree(home, ignore_errors=True)
        self.assertEqual(first.returncode, 0, fout + ferr)
        self.assertEqual([r["outcome"] for r in self.d.records()], ["verified"])

    def test_a_step_that_times_out_is_failed_and_journaled(self):
        with open(self.d.conf, "a") as f:
            f.write("[steps]\nexpand = sleep 30\n")
        t0 = time.monotonic()
        rc, out, err = self.d.run("upgrade", "next", "--yes", "--timeout", "1")
        self.assertEqual(rc, 3, out + err)
        self.assertLess(time.monotonic() - t0, 20)
        r = self.d.records()[-1]
        self.assertEqual(r["outcome"], "failed")
        self.assertEqual(r["signal"], 15)
        self.assertIn("timed out", r["detail"])

    def test_a_failed_steps_output_keeps_its_text_without_escapes_and_says_its_exit_status(self):
        # barbican-manage ends its lines in a colour reset (ESC [00m)
        with open(self.d.conf, "a") as f:
            f.write("[steps]\nexpand = sh -c 'printf \"\\033[01;31mRunning upgrade\\033[00m\\n"
                    "second line\\n\"; exit 3'\n")
        rc, out, err = self.d.run("upgrade", "next", "--yes")
        self.assertEqual(rc, 3, out + err)
        self.assertIn("  | Running upgrade\n  | second line\n", out)
        self.assertNotIn("\\x1b", out)
        self.assertIn("The step failed (exit 3) after ", out)
        r = self.d.records()[-1]
        self.assertEqual((r["outcome"], r["exit"]), ("failed", 3))
        self.assertTrue(r["detail"].endswith(":\nRunning upgrade\nsecond line"), r["detail"])
        rc, out, err = self.d.run("journal")
        self.assertEqual(rc, 0, err)
        self.assertIn("\n    Running upgrade\n    second line\n", out)
        self.assertNotIn("\\x0a", out)
        self.assertNotIn("\\x1b", out)


class NodeUrlPassword(unittest.TestCase):
    """{url} in a step's argv has no user nor password (an argv is seen by
    every user in ps, and journaled); the step gets the whole URL in its
    environment as BARBICAN_STATUS_NODE_URL."""

    def test_url_in_the_argv_without_its_password_which_is_in_the_environment(self):
        d = Deployment(load_fleet(), "tmpl_15x", "15.0.1")
        try:
            seen = os.path.join(d.dir, "seen")
            script = os.path.join(d.dir, "step.sh")
            with open(script, "w") as f:
                f.write("#!/bin/sh\nprintf 'argv=%%s\\nenv=%%s\\n' \"$*\" \"$BARBICAN_STATUS_NODE_URL\" "
                        "> %s\nexec %s upgrade \"$2\" \"$3\" --drain-ms 100 --down-ms 100 --wait\n"
                        % (seen, d.ctl_command))
            os.chmod(script, 0o755)
            text = d.text.replace("http://127.0.0.1", "http://admin:s3cret@127.0.0.1")
            text = re.sub(r"upgrade_node = .*", "upgrade_node = %s {url} {node} {release}"
                          % script, text)
            with open(d.conf, "w") as f:
                f.write(text)
            rc, out, err = d.run("upgrade", "next", "--yes")
            self.assertEqual(rc, 0, out + err)
            with open(seen) as f:
                argv_line, env_line = f.read().splitlines()
            m = re.match(r"argv=(http://127\.0\.0\.1:\d+\S*) (\S+) 15\.0\.1$", argv_line)
            self.assertTrue(m, argv_line)                     # no user, no password
            self.assertEqual(env_line, "env=" + m.group(1).replace("http://", "http://admin:s3cret@"))
            rc, journal, err = d.run("journal", "--json")
            self.assertEqual(rc, 0, err)
            self.assertNotIn("s3cret", journal)
            self.assertIn(m.group(1), journal)                # the argv, as it ran
            self.assertNotIn("s3cret", out + err)
        finally:
            d.close()


class Vouched(unittest.TestCase):
    """A stock worker (nothing to ask it) vouched for by its operator."""

    def stock_worker(self):
        fleet = {"nodes": [{"name": "w1", "kind": "none", "release": "14.0.2",
                            "service": "barbican-worker"}]}
        d = Deployment(fleet, "tmpl_15x", "15.0.1")
        self.addCleanup(d.close)
        with open(d.conf, "a") as f:
            f.write("[steps]\nupgrade_node = true\n[upgrade]\nallow_api_outage = true\n")
        return d

    def test_plan_shows_a_vouched_node_in_its_columns(self):
        d = self.stock_worker()
        rc, out, err = d.run("upgrade", "next", "--yes", "--confirm-unobservable")
        self.assertEqual(rc, 0, out + err)
        rc, out, err = d.run("upgrade", "plan")
        self.assertEqual(rc, 0, err)
        rows = out.split("\n")
        head = [r for r in rows if r.startswith("COMPONENT ")][0]
        w1 = [r for r in rows if r.startswith("w1 ")][0]
        # every column starts where its title does
        for title, want in (("CURRENT", "15.0.1 "), ("TARGET", "15.0.1 "),
                            ("STATE", "vouched, done")):
            col = head.index(title)
            self.assertTrue(w1[col:].startswith(want), "%r under %r:\n%s\n%s" % (want, title, head, w1))

    def test_vouch_records_who_which_node_release_and_why_in_the_shared_record(self):
        fleet = {"nodes": [{"name": "w1", "kind": "none", "release": "14.0.2",
                            "service": "barbican-worker"},
                           {"name": "a1", "release": "15.0.1"}]}
        d = Deployment(fleet, "tmpl_15x", "15.0.1")
        self.addCleanup(d.close)
        rc, out, err = d.run("vouch", "a1", "--reason", "x", "--yes")
        self.assertEqual(rc, 2, out + err)
        self.assertIn("can be observed", err)
        rc, out, err = d.run("vouch", "w1", "--yes")
        self.assertEqual(rc, 64, out + err)
        rc, out, err = d.run("vouch", "w1", "--reason", "dpkg -l on ctl-1 says 15.0.1", "--yes")
        self.assertEqual(rc, 0, out + err)
        node = [n for n in d.plan()["nodes"] if n["name"] == "w1"][0]
        self.assertTrue(node["vouched"], node)
        r = d.records()[-1]
        self.assertEqual((r["outcome"], r["node"], r["release"], r["argv"]),
                         ("vouched", "w1", "15.0.1", None))
        self.assertIn("dpkg -l on ctl-1 says 15.0.1", r["detail"])
        self.assertIn("@", r["detail"])
        conn = h.pg_connect(d.db)
        with conn.cursor() as cur:
            cur.execute("SELECT outcome, node FROM barbican_status.record")
            self.assertEqual(cur.fetchall(), [("vouched", "w1")])
        conn.close()

    def test_a_vouch_after_a_step_records_the_reason_given(self):
        d = self.stock_worker()
        rc, out, err = d.run("upgrade", "next", "--yes", "--confirm-unobservable",
                             "--reason", "apt says 15.0.1 on ctl-1")
        self.assertEqual(rc, 0, out + err)
        r = d.records()[-1]
        self.assertEqual((r["outcome"], r["node"]), ("vouched", "w1"))
        self.assertRegex(r["detail"], r"^\S+@\S+ vouched that w1 runs 15\.0\.1: apt says 15\.0\.1 on ctl-1$")

    def test_a_vouch_without_a_reason_says_so(self):
        d = self.stock_worker()
        rc, out, err = d.run("upgrade", "next", "--yes", "--confirm-unobservable")
        self.assertEqual(rc, 0, out + err)
        self.assertTrue(d.records()[-1]["detail"].endswith(
            ": --confirm-unobservable, no reason given"), d.records()[-1])

    def on_a_terminal(self, d, argv, answers):
        """barbican-status ARGV in a pty, answering each (prompt, reply) in
        turn (None: nothing to type); its output and exit status."""
        import pty
        pid, fd = pty.fork()
        if pid == 0:
            os.environ.update({"HOME": d.dir, "BARBICAN_STATUS_SITE_DIRS": "/nonexistent"})
            os.execv(h.BIN, [h.BIN, "--config-file", d.conf] + argv)
        out = b""
        deadline = time.monotonic() + 60
        try:
            while time.monotonic() < deadline:
                if not select.select([fd], [], [], 0.5)[0]:
                    continue
                try:
                    chunk = os.read(fd, 4096)
                except OSError:
                    break
                if not chunk:
                    break
                out += chunk
                while answers and answers[0][0] in out:
                    want, reply = answers.pop(0)
                    out = out.replace(want, b"<" + want + b">", 1)
                    if reply:
                        os.write(fd, reply)
        finally:
            # a command still waiting for an answer is killed, not waited for
            end = time.monotonic() + 5
            done, status = os.waitpid(pid, os.WNOHANG)
            while not done and time.monotonic() < end:
                time.sleep(0.05)
                done, status = os.waitpid(pid, os.WNOHANG)
            if not done:
                os.kill(pid, signal.SIGKILL)
                _, status = os.waitpid(pid, 0)
            os.close(fd)
        self.assertEqual(answers, [], out.decode(errors="replace"))
        return out.decode(errors="replace"), os.waitstatus_to_exitcode(status)

    def test_asked_on_a_terminal_the_vouch_wants_a_reason(self):
        d = self.stock_worker()
        out, rc = self.on_a_terminal(d, ["upgrade", "next", "--yes"], [
            (b"Does it run 15.0.1 now? [y/N]", b"y\n"),
            (b"Why do you know?", b"\n"),            # empty: asked again
            (b"A reason is required", None),
            (b"Why do you know?", b"checked the package on ctl-1\n")])
        self.assertEqual(rc, 0, out)
        r = d.records()[-1]
        self.assertEqual(r["outcome"], "vouched")
        self.assertTrue(r["detail"].endswith(": checked the package on ctl-1"), r)

    def test_on_a_terminal_a_reason_given_is_not_asked_again(self):
        d = self.stock_worker()
        out, rc = self.on_a_terminal(d, ["upgrade", "next", "--yes", "--reason", "seen in ps"], [
            (b"Does it run 15.0.1 now? [y/N]", b"y\n")])
        self.assertEqual(rc, 0, out)
        self.assertNotIn("Why do you know?", out)
        self.assertTrue(d.records()[-1]["detail"].endswith(": seen in ps"), d.records()[-1])


class PinnedUpgrade(unittest.TestCase):
    """A fleet whose upgraded nodes pin their RPC version and report data
    migrations (the phases stock Barbican lacks): unpin and migrate-data
    appear, and the steps driving the simulator clear them."""

    def test_roll_then_unpin_then_data_migrations_then_done(self):
        d = Deployment(load_fleet("demo-pinned.json"), "tmpl_15x", "16.0.0")
        try:
            ctl = d.ctl_command
            with open(d.conf, "a") as f:
                f.write("[steps]\n"
                        "upgrade_node = " + ctl + " upgrade {node} {release} --drain-ms 100 "
                        "--down-ms 200 --wait --set '{{\"rpc\": {{\"version\": \"1.1\", "
                        "\"cap\": \"1.1\"}}, \"data_migrations_remaining\": 12}}'\n"
                        "unpin = " + ctl + " set-all '{{\"rpc\": {{\"version\": \"1.1\", "
                        "\"cap\": null}}}}'\n"
                        "data_migrations = " + ctl + " set-all "
                        "'{{\"data_migrations_remaining\": 0}}'\n")
            self.assertEqual(d.plan()["phase"], "roll")
            seen = []
            for _ in range(12):
                p = d.plan()
                if p["phase"] == "done":
                    break
                seen.append(p["next"]["step"])
                if p["phase"] == "contract":
                    rc, out, err = d.run("upgrade", "gate", "--before", "contract")
                    self.assertEqual(rc, 0)
                rc, out, err = d.run("upgrade", "next", "--yes")
                self.assertEqual(rc, 0, out + err)
            self.assertEqual(seen, ["upgrade_node"] * 6 + ["unpin", "data_migrations"])
            recs = d.records()
            self.assertEqual([r["outcome"] for r in recs], ["verified"] * 8)
            self.assertEqual(d.plan()["phase"], "done")
        finally:
            d.close()


class DataMigrationRate(unittest.TestCase):
    """The rows of data migration left, their rate and the time left: from
    [data_migrations] count_command in `upgrade plan --watch` (JSON and text)
    and in the console (which runs count_command in its own loop, like the
    CLI). The command is a script that prints a count and lowers it by 100
    each time it runs, as a data migration in progress would."""

    def setUp(self):
        fleet = load_fleet("demo-pinned.json")
        for n in fleet["nodes"]:
            n["release"] = "16.0.0"
        self.dir = tempfile.mkdtemp(prefix="bs-rate-")
        self.count = os.path.join(self.dir, "rows")
        with open(self.count, "w") as f:
            f.write("1000\n")
        script = os.path.join(self.dir, "count.sh")
        with open(script, "w") as f:
            # the new count replaces the old at once (rename): a console
            # that exits while the command runs ends it, and a kill between
            # a truncation and its write would leave the file empty
            f.write("#!/bin/sh\nn=$(cat %s)\necho $n\necho $((n - 100)) > %s.new\n"
                    "mv %s.new %s\n" % (self.count, self.count, self.count, self.count))
        os.chmod(script, 0o755)
        self.d = Deployment(fleet, "tmpl_15x", "16.0.0",
                            extra="[data_migrations]\ncount_command = %s\n" % script)

    def tearDown(self):
        self.d.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def watch(self, args, docs):
        """The first `docs` lines of `upgrade plan --watch 1 ARGS`, then Ctrl-C."""
        p = subprocess.Popen([h.BIN, "--config-file", self.d.conf, "upgrade", "plan",
                              "--watch", "1"] + args,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            out = [p.stdout.readline() for _ in range(docs)]
        finally:
            p.send_signal(signal.SIGINT)
            p.communicate(timeout=30)
        return out

    def test_plan_watch_json_measures_the_rate_from_the_second_count(self):
        docs = [json.loads(line) for line in self.watch(["--json"], 3)]
        self.assertEqual([d["phase"] for d in docs], ["migrate-data"] * 3)
        left = [d["progress"]["data_migrations_left"] for d in docs]
        self.assertEqual(left, [1000, 900, 800])
        first = docs[0]["progress"]
        self.assertIsNone(first["data_migrations_rate"])   # one count: no rate yet
        self.assertIsNone(first["data_migrations_left_s"])
        last = docs[2]["progress"]
        window = last["data_migrations_rate_window_s"]
        self.assertGreaterEqual(window, 1.0)
        # 200 rows over the window between the first and the third count
        self.assertAlmostEqual(last["data_migrations_rate"], 200 / window, places=3)
        self.assertAlmostEqual(last["data_migrations_left_s"], 800 / (200 / window), places=1)

    def test_a_single_plan_says_the_rate_needs_two_counts(self):
        rc, out, err = self.d.run("upgrade", "plan")
        self.assertEqual(rc, 0, err)
        self.assertIn("Data migrations: 1000 rows left; the rate needs two counts", out)

    def test_the_console_runs_count_command_and_shows_rows_and_rate_in_its_header(self):
        rc, out, err = h.run(["console", "--batch", "-n", "4", "--interval", "1",
                              "--size", "140x30"], config_files=[self.d.conf], timeout=60)
        self.assertEqual(rc, 0, err)
        text = out  # every refresh's screen, one after another
        self.assertIn("phase migrate-data", text)
        # the count came from count_command (nothing else reports rows here)
        self.assertRegex(text, r"phase migrate-data \d+ rows")
        # from the second count on, a rate and the time left
        self.assertRegex(text, r"phase migrate-data \d+ rows \d+/s ~\d+s left")
        with open(self.count) as f:
            self.assertLess(int(f.read()), 800)   # it ran, more than once


class RealBarbicanExpand(unittest.TestCase):
    """The issue's end to end: the real 14.x schema, target 15.0.1, the real
    barbican-api, and the real barbican-manage doing the expand."""

    def test_plan_next_verify_journal_on_real_barbican(self):
        db = h.create_db("tmpl_14x")
        d = tempfile.mkdtemp(prefix="bs-real-")
        try:
            conf = os.path.join(d, "barbican-status.conf")
            with open(conf, "w") as f:
                f.write("[DEFAULT]\nsql_connection = %s\n[upgrade]\ntarget_release = 15.0.1\n"
                        "[node:real-api]\nservice = barbican-api\nurl = %s\n"
                        "[journal]\npath = %s/journal.jsonl\n"
                        % (h.sql_url(db), h.env()["api"]["url"], d))
            rc, out, err = h.run(["upgrade", "plan"], config_files=[conf])
            self.assertEqual(rc, 0, err)
            self.assertIn("Phase: expand", out)
            self.assertIn("barbican-manage db upgrade -v 8c74e2d7f1ff", out)
            rc, out, err = h.run(["upgrade", "next", "--yes"], config_files=[conf])
            self.assertEqual(rc, 0, out + err)
            self.assertIn("Running upgrade 0f8c192a061f -> 8c74e2d7f1ff", out)
            self.assertIn("verified", out)
            rc, out, err = h.run(["migrations", "--json"], config_files=[conf])
            self.assertEqual(json.loads(out)["verdict"], "up to date")
            rc, out, err = h.run(["journal", "--json"], config_files=[conf])
            recs = json.loads(out)["records"]
            self.assertEqual(len(recs), 1)
            self.assertEqual((recs[0]["step"], recs[0]["outcome"], recs[0]["revision"]),
                             ("expand", "verified", "8c74e2d7f1ff"))
            # the only node already runs the target: the upgrade is done
            rc, out, err = h.run(["upgrade", "gate", "--before", "done"], config_files=[conf])
            self.assertEqual(rc, 0, out)
        finally:
            h.drop_db(db)
            shutil.rmtree(d, ignore_errors=True)


class RunAndRecords(unittest.TestCase):
    """upgrade run: the whole roll in one command; and the record of a step
    that ended early says what happened and what the deployment shows."""

    def setUp(self):
        self.d = Deployment(load_fleet("demo-14.json"), "tmpl_14x", "15.0.1")

    def tearDown(self):
        self.d.close()

    def test_one_upgrade_run_takes_the_demo_to_done(self):
        t0 = time.monotonic()
        rc, out, err = self.d.run("upgrade", "run", "--yes", "--confirm-unobservable",
                                  "--until", "done", timeout=300)
        self.assertEqual(rc, 0, out + err)
        self.assertIn("The upgrade to 15.0.1 is complete (8 steps taken by this run)", out)
        recs = self.d.records()
        self.assertEqual([r["step"] for r in recs], ["expand"] + ["upgrade_node"] * 7)
        self.assertEqual(sorted(set(r["outcome"] for r in recs)), ["verified", "vouched"])
        p = self.d.plan()
        self.assertEqual(p["phase"], "done")
        self.assertEqual((p["progress"]["done"], p["progress"]["total"]), (7, 7))
        self.assertEqual(p["progress"]["steps_timed"], 7)
        print("upgrade run: the demo to done in %.1f s" % (time.monotonic() - t0))
        # and again: nothing to do
        rc, out, err = self.d.run("upgrade", "run", "--yes")
        self.assertEqual(rc, 4, out + err)

    def test_until_stops_before_the_first_step_of_the_phase(self):
        rc, out, err = self.d.run("upgrade", "run", "--yes", "--until", "roll")
        self.assertEqual(rc, 0, out + err)
        self.assertIn("Reached phase roll, as asked (--until roll): 1 step taken.", out)
        self.assertEqual([r["step"] for r in self.d.records()], ["expand"])
        pr = self.d.plan()["progress"]
        self.assertEqual((pr["done"], pr["total"], pr["steps_timed"], pr["left_s"]), (0, 7, 0, None))
        self.assertEqual([(s["service"], s["total"]) for s in pr["services"]],
                         [("barbican-worker", 3), ("barbican-keystone-listener", 1),
                          ("barbican-retry", 1), ("barbican-api", 2)])

    def test_a_failing_node_stops_the_roll_with_the_resume_command(self):
        with open(self.d.conf, "a") as f:
            f.write("[steps]\nupgrade_node = sh -c 'test {node} != ctl2-wrk && "
                    "%s upgrade {node} {release} --drain-ms 100 --down-ms 100 --wait'\n"
                    % self.d.ctl_command)
        rc, out, err = self.d.run("upgrade", "run", "--yes", "--confirm-unobservable",
                                  timeout=300)
        self.assertEqual(rc, 3, out + err)
        self.assertIn("The run stopped: the step failed (exit status 3).", out)
        self.assertIn("Resume with: barbican-status upgrade run --until unpin --yes "
                      "--confirm-unobservable", out)
        recs = {r["node"]: r for r in self.d.records()}  # steps of one second: any order
        self.assertEqual({n: r["outcome"] for n, r in recs.items()},
                         {None: "verified", "ctl1-wrk": "verified", "ctl2-wrk": "failed"})
        self.assertIn("ctl2-wrk now reports 14.0.2 (up)", recs["ctl2-wrk"]["detail"])

    def test_sigint_while_a_node_upgrades_records_what_the_node_then_shows(self):
        rc, out, err = self.d.run("upgrade", "next", "--yes")  # the expand
        self.assertEqual(rc, 0, out + err)
        with open(self.d.conf, "a") as f:
            # the node upgrades at once, then the step lingers
            f.write("[steps]\nupgrade_node = sh -c '%s upgrade {node} {release} --drain-ms 50 "
                    "--down-ms 50 --wait; sleep 30'\n" % self.d.ctl_command)
        p = subprocess.Popen([h.BIN, "--config-file", self.d.conf, "upgrade", "next", "--yes"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": self.d.dir,
                                  "BARBICAN_STATUS_SITE_DIRS": "/nonexistent"})
        time.sleep(4)  # the node is at 15.0.1 by now; the step sleeps
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=60)
        self.assertEqual(p.returncode, 130, out + err)
        r = self.d.records()[-1]
        self.assertEqual((r["node"], r["outcome"]), ("ctl1-wrk", "cancelled"))
        self.assertIn("by SIGINT", r["detail"])
        self.assertIn("ctl1-wrk now reports 15.0.1 (up)", r["detail"])

    def test_sigterm_during_verification_records_interrupted_and_after_how_long(self):
        rc, out, err = self.d.run("upgrade", "next", "--yes")  # the expand
        self.assertEqual(rc, 0, out + err)
        with open(self.d.conf, "a") as f:
            f.write("[steps]\nupgrade_node = true\nsettle_timeout = 60\n")  # never verified
        p = subprocess.Popen([h.BIN, "--config-file", self.d.conf, "upgrade", "next", "--yes"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": self.d.dir,
                                  "BARBICAN_STATUS_SITE_DIRS": "/nonexistent"})
        time.sleep(3)
        t0 = time.monotonic()
        p.send_signal(signal.SIGTERM)
        out, err = p.communicate(timeout=30)
        self.assertLess(time.monotonic() - t0, 10)
        self.assertEqual(p.returncode, 143, out + err)
        r = self.d.records()[-1]
        self.assertEqual(r["outcome"], "not-verified")
        self.assertRegex(r["detail"], r"^verification interrupted by SIGTERM after \d+\.\d s: ")

    def test_a_database_step_is_verified_within_a_second_of_its_exit(self):
        with open(self.d.conf, "a") as f:
            f.write("[steps]\nsettle_timeout = 120\n")
        t0 = time.monotonic()
        rc, out, err = self.d.run("upgrade", "next", "--yes", timeout=200)
        took = time.monotonic() - t0
        self.assertEqual(rc, 0, out + err)
        self.assertNotIn("Verifying (up to", out)
        r = self.d.records()[-1]
        self.assertEqual((r["step"], r["outcome"]), ("expand", "verified"))
        ran = float(re.search(r"The step exited 0 after (\d+\.\d) s", out).group(1))
        # before and after the command: observe, lock, one fresh read, the record;
        # not the 120 s settle window
        self.assertLess(took - ran, 3.0, out)
        print("expand: %.1f s of barbican-manage, %.1f s in all" % (ran, took))


if __name__ == "__main__":
    h.main()
