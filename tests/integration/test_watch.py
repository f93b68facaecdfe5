#!/usr/bin/python3
"""Watching without a dashboard: --watch S on nodes, migrations, upgrade plan
and journal (a refresh every S seconds; one JSON document per line; in a
terminal redrawn in place, the terminal as it was; Ctrl-C the way out), and
the console's batch mode (no terminal at all: N refreshes, the screen as
plain text at the size asked for). Against the simulated fleet and a real
PostgreSQL (BS_TESTENV)."""
import json
import os
import pty
import select
import signal
import shutil
import subprocess
import tempfile
import time
import unittest

import harness as h

WATCHED = [["nodes"], ["migrations"], ["upgrade", "plan"], ["journal"]]
HUNG = "ctl2-api"   # a barbican-api of demo-14.json that is made to hang


def environment(extra=None):
    home = tempfile.mkdtemp(prefix="bs-home-")
    e = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": home, "LANG": "C.UTF-8",
         "BARBICAN_STATUS_SITE_DIRS": "/nonexistent"}
    e.update(extra or {})
    return e, home


def start(dep, args, **kw):
    """barbican-status with dep's config, not waited for."""
    e, home = environment()
    p = subprocess.Popen([h.BIN, "--config-file", dep.conf] + args, env=e, cwd=home, **kw)
    p.home = home
    return p


def read_lines(p, n, timeout):
    """n lines of p's stdout (a pipe), each with the monotonic time it came."""
    lines, buf = [], b""
    fd = p.stdout.fileno()
    deadline = time.monotonic() + timeout
    while len(lines) < n:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            raise AssertionError("%d of %d lines in %s s: %r" % (len(lines), n, timeout, buf))
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            raise AssertionError("end of output after %d lines" % len(lines))
        buf += chunk
        while b"\n" in buf and len(lines) < n:
            line, buf = buf.split(b"\n", 1)
            lines.append((time.monotonic(), line))
    return lines, buf


def stop(p, sig=signal.SIGINT):
    """Send sig, then the rest of stdout and the exit status."""
    p.send_signal(sig)
    rest, _ = p.communicate(timeout=30)
    shutil.rmtree(p.home, ignore_errors=True)
    return p.returncode, rest


class Watch(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dep = h.Deployment(h.load_fleet())

    @classmethod
    def tearDownClass(cls):
        cls.dep.close()

    def test_json_watch_prints_one_whole_document_per_refresh_until_ctrl_c_exits_0(self):
        p = start(self.dep, ["nodes", "--json", "--watch", "0.5"], stdout=subprocess.PIPE)
        lines, partial = read_lines(p, 3, 30)
        rc, rest = stop(p)
        self.assertEqual(rc, 0)  # Ctrl-C is how a watch ends (barbican-status(1))
        for _, line in lines:
            doc = json.loads(line)
            self.assertEqual(doc["schema"], "barbican-status/nodes/1")
            self.assertEqual(len(doc["nodes"]), len(self.dep.fleet["nodes"]))
        # refreshes come every 0.5 s, not all at once
        self.assertGreater(lines[2][0] - lines[0][0], 0.7)
        # nothing half-written: whatever came after is whole lines of JSON
        tail = partial + rest
        self.assertTrue(tail == b"" or tail.endswith(b"\n"), tail[-80:])
        for line in tail.splitlines():
            json.loads(line)

    def test_each_refresh_observes_anew(self):
        p = start(self.dep, ["nodes", "--json", "--watch", "0.5"], stdout=subprocess.PIPE)
        try:
            first, _ = read_lines(p, 1, 30)
            name = "ctl1-wrk"
            before = {n["name"]: n for n in json.loads(first[0][1])["nodes"]}[name]["release"]
            self.dep.set_node(name, {"release": "15.0.1"})
            seen = None
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                more, _ = read_lines(p, 1, 20)
                doc = json.loads(more[0][1])
                seen = {n["name"]: n for n in doc["nodes"]}[name]["release"]
                if seen == "15.0.1":
                    break
        finally:
            rc, _ = stop(p)
            self.dep.set_node(name, {"release": before})
        self.assertNotEqual(before, "15.0.1")
        self.assertEqual(seen, "15.0.1")
        self.assertEqual(rc, 0)

    def test_sigterm_ends_a_watch_with_128_plus_the_signal(self):
        p = start(self.dep, ["migrations", "--json", "--watch", "0.5"], stdout=subprocess.PIPE)
        read_lines(p, 1, 30)
        rc, _ = stop(p, signal.SIGTERM)
        self.assertEqual(rc, 128 + signal.SIGTERM)

    def test_text_without_a_terminal_has_a_header_line_per_refresh_and_no_escapes(self):
        p = start(self.dep, ["journal", "--watch", "0.3"], stdout=subprocess.PIPE)
        time.sleep(1.5)
        rc, out = stop(p)
        self.assertEqual(rc, 0)
        text = out.decode()
        self.assertNotIn("\x1b", text)
        headers = [l for l in text.splitlines()
                   if l.startswith("--- barbican-status journal: refresh ")]
        self.assertGreaterEqual(len(headers), 2, text)
        self.assertTrue(headers[0].startswith("--- barbican-status journal: refresh 1 at "))
        self.assertTrue(headers[1].startswith("--- barbican-status journal: refresh 2 at "))
        self.assertTrue(text.startswith(headers[0]))

    def test_plan_in_a_terminal_redraws_in_place_and_leaves_the_terminal_as_it_was(self):
        master, slave = pty.openpty()
        try:
            def stty():
                return subprocess.run(["stty", "-g"], stdin=slave, capture_output=True,
                                      text=True, check=True).stdout
            before = stty()
            p = start(self.dep, ["upgrade", "plan", "--watch", "0.5"], stdin=slave,
                      stdout=slave, stderr=slave)
            out = b""
            deadline = time.monotonic() + 30
            while out.count(b"\x1b[H\x1b[J") < 3 and time.monotonic() < deadline:
                if select.select([master], [], [], 1)[0]:
                    out += os.read(master, 1 << 20)
            p.send_signal(signal.SIGINT)
            p.wait(30)
            shutil.rmtree(p.home, ignore_errors=True)
            after = stty()
        finally:
            os.close(master)
            os.close(slave)
        self.assertEqual(p.returncode, 0)
        self.assertGreaterEqual(out.count(b"\x1b[H\x1b[J"), 3, out[-500:])
        # every refresh starts with the screen cleared and the cursor home
        self.assertTrue(out.startswith(b"\x1b[H\x1b[J--- barbican-status upgrade plan: refresh 1 "),
                        out[:200])
        self.assertIn(b"\x1b[H\x1b[J--- barbican-status upgrade plan: refresh 2 ", out)
        self.assertEqual(before, after)

    def test_a_hung_node_holds_a_refresh_only_its_timeout(self):
        fleet = h.load_fleet()
        h.fleet_node(fleet, HUNG)["faults"] = {"*": {"hang": True}}
        dep = h.Deployment(fleet, node_timeouts={HUNG: 1})
        try:
            t0 = time.monotonic()
            p = start(dep, ["nodes", "--json", "--watch", "0.5"], stdout=subprocess.PIPE)
            lines, _ = read_lines(p, 3, 30)
            rc, _ = stop(p)
        finally:
            dep.close()
        self.assertEqual(rc, 0)
        # each refresh waits for the hung node's 1 s timeout, no longer
        self.assertLess(lines[2][0] - t0, 3 * 1.0 + 3.0)
        for _, line in lines:
            node = {n["name"]: n for n in json.loads(line)["nodes"]}[HUNG]
            self.assertEqual(node["state"], "down")
            self.assertIn("timed out", node["error"])


class UsageErrors(unittest.TestCase):
    def test_watch_wants_seconds_above_zero(self):
        for cmd in WATCHED:
            for value in ("0", "-1", "soon", "nan", "1e9"):
                rc, out, err = h.run(cmd + ["--watch", value])
                self.assertEqual(rc, 64, (cmd, value, err))
                self.assertEqual(out, "")
                self.assertIn("--watch", err)
            rc, out, err = h.run(cmd + ["--watch"])
            self.assertEqual(rc, 64, (cmd, err))

    def test_upgrade_check_has_no_watch_and_keeps_argparse_code(self):
        rc, out, err = h.run(["upgrade", "check", "--watch", "1"])
        self.assertEqual(rc, 2, err)

    def test_console_size_must_be_columns_x_rows(self):
        for value in ("80", "x24", "80x", "80X24", "0x24", "80x0", "-80x24", "8a0x24", "99999x24"):
            rc, out, err = h.run(["console", "--batch", "--size", value])
            self.assertEqual(rc, 64, (value, err))
            self.assertIn("--size", err)

    def test_console_size_belongs_to_batch_mode(self):
        rc, out, err = h.run(["console", "--size", "100x30"])
        self.assertEqual(rc, 64, err)


def screen_lines(text):
    return text.split("\n")[:-1] if text.endswith("\n") else text.split("\n")


def pg_sessions(db):
    """How many sessions PostgreSQL has counted to db (pg_stat_database,
    reported as each ends)."""
    c = h.pg_connect()
    try:
        cur = c.cursor()
        cur.execute("SELECT pg_stat_clear_snapshot()")
        cur.execute("SELECT sessions FROM pg_stat_database WHERE datname = %s", (db,))
        return cur.fetchone()[0]
    finally:
        c.close()


class DatabaseConnection(unittest.TestCase):
    """The console keeps its database connection from one refresh to the
    next (probes/db.h: dbprobe_keep), and makes a new one when the kept one
    is gone."""

    def test_one_connection_for_many_refreshes_and_a_new_one_when_it_is_killed(self):
        dep = h.Deployment(h.load_fleet())
        try:
            time.sleep(0.5)
            before = pg_sessions(dep.db)
            p = start(dep, ["console", "--batch", "-n", "12", "--interval", "0.5"],
                      stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            try:
                # the console's session, once it is there: terminated, as
                # a restart or an administrator would end it
                killed, deadline = [], time.monotonic() + 20
                c = h.pg_connect()
                c.cursor().execute("SELECT 1")
                while not killed and time.monotonic() < deadline:
                    cur = c.cursor()
                    cur.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s "
                                "AND application_name = 'barbican-status'", (dep.db,))
                    pids = [r[0] for r in cur.fetchall()]
                    if pids and time.monotonic() > deadline - 17:
                        cur.execute("SELECT pg_terminate_backend(%s)", (pids[0],))
                        killed = pids
                    time.sleep(0.1)
                c.close()
                out, err = p.communicate(timeout=60)
            finally:
                if p.poll() is None:
                    p.kill()
                shutil.rmtree(p.home, ignore_errors=True)
            self.assertEqual(p.returncode, 0, err)
            self.assertTrue(killed, "the console's session never showed in pg_stat_activity")
            frames = screen_lines(out.decode())
            self.assertEqual(len(frames), 12 * 24)
            # every refresh read the database; after the kill too: the
            # last screen shows its revision, not "unreachable"
            last = "\n".join(frames[-24:])
            self.assertNotIn("unreachable", last)
            c = h.pg_connect(dep.db)
            cur = c.cursor()
            cur.execute("SELECT version_num FROM alembic_version")
            rev = cur.fetchone()[0]
            c.close()
            self.assertIn(rev + " ->", last)
            time.sleep(1.0)
            made = pg_sessions(dep.db) - before
            # 12 refreshes: one connection, and one more after the kill
            # (each refresh connecting afresh would make 12 or more)
            self.assertGreaterEqual(made, 2, "the kill should have cost one new connection")
            self.assertLessEqual(made, 3, "%d connections for 12 refreshes" % made)
        finally:
            dep.close()

    def test_a_watch_keeps_one_connection_for_all_its_refreshes(self):
        # --watch keeps the database session from one refresh to the next
        # as the console does (cli_watch, observe's dbkeep)
        dep = h.Deployment(h.load_fleet())
        try:
            for args in (["migrations"], ["upgrade", "plan"], ["journal"]):
                time.sleep(1.0)
                before = pg_sessions(dep.db)
                p = start(dep, args + ["--json", "--watch", "0.2"], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE)
                try:
                    lines, _ = read_lines(p, 8, 60)
                finally:
                    rc, _ = stop(p)
                self.assertEqual(rc, 0, args)
                docs = [json.loads(l) for _, l in lines]
                if args == ["migrations"]:
                    # every refresh read the database
                    self.assertTrue(all(d["database"]["reachable"] for d in docs), docs[-1])
                    self.assertTrue(all(d["current"] for d in docs), docs[-1])
                time.sleep(1.0)
                made = pg_sessions(dep.db) - before
                self.assertEqual(made, 1, "%s: %d sessions for 8 refreshes" % (args, made))
        finally:
            dep.close()


class Batch(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dep = h.Deployment(h.load_fleet())

    @classmethod
    def tearDownClass(cls):
        cls.dep.close()

    def batch(self, dep, args, timeout=60):
        """The console with no terminal: stdin /dev/null, no TERM, stdout a pipe."""
        e, home = environment()
        self.assertNotIn("TERM", e)
        t0 = time.monotonic()
        try:
            p = subprocess.run([h.BIN, "--config-file", dep.conf, "console"] + args,
                               stdin=subprocess.DEVNULL, capture_output=True, env=e, cwd=home,
                               timeout=timeout)
        finally:
            shutil.rmtree(home, ignore_errors=True)
        return p.returncode, p.stdout.decode(), p.stderr.decode(), time.monotonic() - t0

    def check_screen(self, lines, w, h_):
        """The screen of tui/README.md at w x h_: h_ rows, none wider than w,
        the header on row 0, the Nodes box's top border full width on row 1,
        the footer's keys on the last row."""
        self.assertEqual(len(lines), h_)
        for l in lines:
            self.assertLessEqual(len(l), w, l)
        self.assertTrue(lines[0].startswith("barbican-status  "), lines[0])
        self.assertEqual(len(lines[1]), w)
        self.assertTrue(lines[1].startswith("┌ Nodes (%d) " % len(self.dep.fleet["nodes"])),
                        lines[1])
        self.assertTrue(lines[1].endswith("┐"))
        self.assertTrue(lines[-1].startswith(" q quit "), lines[-1])

    def test_batch_dump_needs_no_terminal_and_writes_the_screen_at_the_size_asked(self):
        d = tempfile.mkdtemp(prefix="bs-batch-")
        try:
            f = os.path.join(d, "screen.txt")
            rc, out, err, _ = self.batch(self.dep, ["--batch", "-n", "3", "--size", "100x30",
                                                    "--interval", "0.5", "--dump", f])
            self.assertEqual(rc, 0, err)
            self.assertEqual(out, "")  # nothing for a terminal: the screen went to FILE
            with open(f, encoding="utf-8") as fh:
                text = fh.read()
            self.assertTrue(text.endswith("\n"))
            self.check_screen(screen_lines(text), 100, 30)
            self.assertEqual(os.listdir(d), ["screen.txt"])  # written atomically
        finally:
            shutil.rmtree(d)

    def test_batch_without_dump_writes_each_refresh_to_stdout_at_80x24(self):
        rc, out, err, _ = self.batch(self.dep, ["--batch", "-n", "2", "--interval", "0.5"])
        self.assertEqual(rc, 0, err)
        self.assertNotIn("\x1b", out)
        lines = screen_lines(out)
        self.assertEqual(len(lines), 2 * 24)
        self.check_screen(lines[:24], 80, 24)
        self.check_screen(lines[24:], 80, 24)

    def test_n_with_dump_and_no_terminal_is_batch_mode_by_itself(self):
        d = tempfile.mkdtemp(prefix="bs-batch-")
        try:
            f = os.path.join(d, "screen.txt")
            rc, out, err, _ = self.batch(self.dep, ["-n", "1", "--dump", f])
            self.assertEqual(rc, 0, err)
            with open(f, encoding="utf-8") as fh:
                self.check_screen(screen_lines(fh.read()), 80, 24)
        finally:
            shutil.rmtree(d)

    def test_without_batch_or_dump_the_console_still_wants_a_terminal(self):
        rc, out, err, _ = self.batch(self.dep, ["-n", "1"])
        self.assertEqual(rc, 255)
        self.assertIn("terminal", err)

    def test_a_hung_node_does_not_hold_the_refreshes(self):
        fleet = h.load_fleet()
        h.fleet_node(fleet, HUNG)["faults"] = {"*": {"hang": True}}
        dep = h.Deployment(fleet, node_timeouts={HUNG: 30})
        try:
            rc, out, err, took = self.batch(dep, ["--batch", "-n", "3", "--interval", "0.5"])
        finally:
            dep.close()
        self.assertEqual(rc, 0, err)
        self.assertEqual(len(screen_lines(out)), 3 * 24)
        # about 3 intervals (1.5 s) and the start-up, nowhere near the hang's 30 s
        self.assertLess(took, 8)

    def test_a_steady_report_is_seen_anew_and_a_changed_one_is_observed(self):
        # the console parses a worker's report again only when its bytes
        # changed (probes/http.c same_report): the same bytes are the same
        # observation, seen now; other bytes are observed afresh
        name, steady = "ctl1-wrk", "ctl2-wrk"
        before = [n for n in self.dep.fleet["nodes"] if n["name"] == name][0]["release"]
        self.assertNotEqual(before, "15.0.1")
        p = start(self.dep, ["console", "--batch", "-n", "16", "--interval", "0.5"],
                  stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            time.sleep(4)  # refreshes of the same reports
            self.dep.set_node(name, {"release": "15.0.1"})
            out, err = p.communicate(timeout=60)
        finally:
            if p.poll() is None:
                p.kill()
            shutil.rmtree(p.home, ignore_errors=True)
            self.dep.set_node(name, {"release": before})
        self.assertEqual(p.returncode, 0, err)
        frames = screen_lines(out.decode())
        self.assertEqual(len(frames), 16 * 24)

        def row(frame, node):
            return [l for l in frame if l.startswith("│ %s " % node)][0].strip("│ ").split()

        first, last = frames[:24], frames[-24:]
        self.assertEqual(row(first, name)[2], before)
        self.assertEqual(row(last, name)[2], "15.0.1")
        # NAME SERVICE RELEASE RPC OBJ STATE SKEW SEEN LAT: seen at the last
        # refreshes (0s or 1s ago), 7 s after the first, not as first seen
        self.assertIn(row(last, steady)[7], ("0s", "1s"), row(last, steady))

    def test_sigterm_ends_batch_mode_with_143(self):
        e, home = environment()
        try:
            p = subprocess.Popen([h.BIN, "--config-file", self.dep.conf, "console", "--batch",
                                  "--interval", "0.3"], stdin=subprocess.DEVNULL,
                                 stdout=subprocess.PIPE, env=e, cwd=home)
            read_lines(p, 24, 30)
            p.send_signal(signal.SIGTERM)
            p.communicate(timeout=30)
        finally:
            shutil.rmtree(home, ignore_errors=True)
        self.assertEqual(p.returncode, 128 + signal.SIGTERM)


class ConsoleRate(unittest.TestCase):
    """[probes] console_rate: the console's refreshes send at most that many
    requests a second to the nodes; with more, a refresh asks a share of
    them, each in turn, and the Nodes pane says how often each is asked.
    The first refresh asks every node. The simulator counts the requests
    each node answered."""

    WORKERS = 24

    def fleet(self):
        fleet = h.load_fleet()
        api = [n for n in fleet["nodes"] if n.get("kind", "api") == "api"]
        wrk = [n for n in fleet["nodes"] if n["name"] == "ctl1-wrk"][0]
        nodes = list(api)
        for i in range(self.WORKERS):
            w = dict(wrk)
            w["name"], w["host"] = "w%02d-wrk" % i, "ctl-w%02d" % i
            nodes.append(w)
        fleet["nodes"] = nodes
        return fleet

    def run_console(self, rate, refreshes, interval):
        dep = h.Deployment(self.fleet(), extra="[probes]\nconsole_rate = %d\n" % rate)
        e, home = environment()
        try:
            p = subprocess.run([h.BIN, "--config-file", dep.conf, "console", "--batch", "-n",
                                str(refreshes), "--interval", str(interval)],
                               stdin=subprocess.DEVNULL, capture_output=True, env=e, cwd=home,
                               timeout=120)
            self.assertEqual(p.returncode, 0, p.stderr.decode())
            fleet = json.loads(dep.ctl("fleet"))
        finally:
            shutil.rmtree(home, ignore_errors=True)
            dep.close()
        # probes of each node: an api node answers 3 requests a probe
        # (discovery, ?build, healthcheck), a worker 1 (its report)
        probes = {n["name"]: n["requests"] // (3 if n["kind"] == "api" else 1)
                  for n in fleet["nodes"]}
        requests = sum(n["requests"] for n in fleet["nodes"])
        return probes, requests, screen_lines(p.stdout.decode())

    def test_a_rate_below_the_fleets_requests_asks_each_node_in_turn(self):
        # 2 api nodes (3 requests) and 24 workers (1): 30 requests for the
        # whole fleet; 20 a second at --interval 0.5 is 10 a refresh, each
        # node once every 3 refreshes (1.5 s)
        refreshes = 13
        probes, requests, frames = self.run_console(20, refreshes, 0.5)
        self.assertEqual(len(probes), 2 + self.WORKERS)
        # the first refresh asks all 30, the 12 others 10 each (at most)
        self.assertLessEqual(requests, 30 + (refreshes - 1) * 10)
        # every node in turn: the first look and 4 cycles of 3 refreshes
        for name, n in probes.items():
            self.assertIn(n, range(4, 7), (name, probes))
        first, last = frames[:24], frames[-24:]
        self.assertTrue(first[1].startswith("┌ Nodes (26, each asked every ~1.5s) "), first[1])
        self.assertTrue(last[1].startswith("┌ Nodes (26, each asked every ~1.5s) "), last[1])

    def test_the_first_refresh_asks_every_node_whatever_the_rate(self):
        probes, requests, frames = self.run_console(20, 1, 0.5)
        self.assertEqual(requests, 30)
        self.assertEqual(set(probes.values()), {1}, probes)
        rows = [l for l in frames if l.startswith("│ ") and ("-wrk " in l or "-api " in l)]
        self.assertGreater(len(rows), 0)
        self.assertEqual([r for r in rows if " unknown " in r], [], frames)

    def test_without_a_rate_or_within_it_every_refresh_asks_every_node(self):
        for rate in (0, 60):
            refreshes = 6
            probes, requests, frames = self.run_console(rate, refreshes, 0.5)
            for name, n in probes.items():
                self.assertIn(n, range(refreshes - 1, refreshes + 1), (rate, name, probes))
            self.assertTrue(frames[1].startswith("┌ Nodes (26) "), frames[1])


if __name__ == "__main__":
    h.main()
