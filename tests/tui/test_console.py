#!/usr/bin/python3
"""`barbican-status console` end to end, in a private tmux server, against a
real deployment (tests/integration/harness.py: a PostgreSQL database cloned
from the real 14.x schema, the node simulator serving the demo fleet). What
is checked is what tui/README.md specifies: keys, layout at 80x24 and
120x40, the footer of a dialog, the filter and sort labels, the Next box and
the Log; and what an operator relies on: a hung node never holds up the keys
or the other nodes, node text never reaches the terminal as control
sequences, the terminal is restored after q and after SIGTERM.

Needs BS_TESTENV (tests/env/testenv.sh up DIR) and tmux; fails, never
skips, without them. Prints (does not assert) the key latency with a hung
node."""
import json
import os
import signal
import subprocess
import statistics
import time
import unittest

import consolekit as ck
import harness as h

# Non-default terminal settings set before the console starts: a console
# that restored "sane" defaults instead of what it found would change them.
STTY_BEFORE = "stty -ixon erase ^H kill ^X"


def log_rows(screen):
    """The Log's rows: between the "├ Log" separator and the bottom border."""
    rows = screen.split("\n")
    for i, r in enumerate(rows):
        if r.startswith("├ Log "):
            out = []
            for r2 in rows[i + 1:]:
                if r2.startswith("└"):
                    break
                out.append(r2)
            return out
    return []


def next_rows(screen):
    rows = screen.split("\n")
    for i, r in enumerate(rows):
        if r.startswith("┌ Next "):
            return rows[i + 1:i + 3]
    return []


class ConsoleCase(unittest.TestCase):
    fleet_changes = {}     # {NAME: {key: value}} merged into demo-14.json
    node_timeouts = None
    steps = None
    size = (80, 24)
    args = ("--interval", "0.5")

    def setUp(self):
        fleet = ck.load_fleet("demo-14.json")
        for name, change in self.fleet_changes.items():
            ck.fleet_node(fleet, name).update(change)
        self.d = ck.Deployment(fleet, steps=self.steps, node_timeouts=self.node_timeouts)
        self.addCleanup(self.d.close)
        self.t = ck.Tmux(*self.size)
        self.addCleanup(self.t.close)
        self.title0 = self.t.title()

    def start(self, args=None, stty_before=STTY_BEFORE):
        self.c = ck.Console(self.t, self.d, args=args or self.args, stty_before=stty_before)
        self.addCleanup(self.c.close)
        return self.c

    def quit(self):
        self.t.keys("q")
        rc = self.c.wait_exit(10)
        self.assertEqual(rc, 0, self.t.capture())
        return rc


class Keys(ConsoleCase):
    """q, ?, Esc, /, s and S as tui/README.md's Keys say."""

    def test_q_quits_with_status_0_and_the_terminal_as_it_was(self):
        self.start()
        self.c.wait_ready()
        self.quit()
        before, after = self.c.stty()
        self.assertEqual(before, after)
        # the shell has the terminal back, its prompt on the screen
        self.t.wait(lambda s: s.rstrip()[-1:] in ("$", "#"), 5, "the shell prompt")
        # --dump: written on exit too: H lines of at most W characters
        dump = self.c.read_dump().decode("utf-8")
        lines = dump.split("\n")
        self.assertEqual(lines[-1], "")
        self.assertEqual(len(lines) - 1, 24)
        self.assertTrue(all(len(x) <= 80 and x == x.rstrip(" ") for x in lines))
        self.assertTrue(lines[0].startswith("barbican-status  "))
        self.assertTrue(lines[23].startswith(" q quit  ? help  n next  / filter  s sort"))

    def test_sigterm_restores_the_terminal(self):
        self.start()
        self.c.wait_ready()
        self.c.kill(signal.SIGTERM)
        rc = self.c.wait_exit(10)
        print("exit status after SIGTERM: %d" % rc)
        before, after = self.c.stty()
        self.assertEqual(before, after)
        self.t.wait(lambda s: s.rstrip()[-1:] in ("$", "#"), 5, "the shell prompt")

    def test_help_opens_with_question_mark_and_closes_with_esc_or_question_mark(self):
        self.start()
        self.c.wait_ready()
        self.t.keys("?")
        s = self.t.wait(ck.in_dialog, 5, "a dialog (footer: Esc close)")
        self.assertEqual(ck.footer(s).strip(), "Esc close")
        self.t.keys("Escape")
        self.t.wait(ck.main_footer, 5, "the main footer again")
        self.t.keys("?")
        self.t.wait(ck.in_dialog, 5, "the help again")
        self.t.keys("?")
        self.t.wait(ck.main_footer, 5, "the main footer after ? closed the help")
        self.quit()

    def test_c_without_a_step_says_so_and_the_next_key_works(self):
        self.start()
        self.c.wait_ready()
        self.t.keys("c")
        s = self.t.wait(lambda s: "no step is running" in ck.footer(s), 5, "the footer's notice")
        self.assertFalse(ck.in_dialog(s), s)
        self.t.keys("?")
        s = self.t.wait(ck.in_dialog, 5, "the help, at once")
        self.assertIn("┌ Help ", s)
        self.t.keys("Escape")
        self.quit()

    def test_q_in_the_help_does_not_quit(self):
        self.start()
        self.c.wait_ready()
        self.t.keys("?")
        self.t.wait(ck.in_dialog, 5, "the help")
        self.t.keys("q")
        time.sleep(1.0)  # a negative: give a wrong exit the time to happen
        self.assertFalse(self.c.exited(), "q in the help quit the console")
        self.t.keys("Escape")
        self.t.wait(ck.main_footer, 5, "the main footer")
        self.quit()

    def test_filter_keeps_with_enter_and_clears_with_esc(self):
        self.start()
        s = self.c.wait_ready()
        self.assertIn(" filter: - ", ck.nodes_top(s))
        self.assertIn("Nodes (7)", ck.nodes_top(s))
        self.t.keys("/")
        self.t.wait(lambda s: ck.footer(s).strip().startswith("filter: _"), 5,
                    "the filter line in the footer")
        self.t.text("wrk")
        s = self.t.wait(lambda s: ck.footer(s).strip() == "filter: wrk_  (Enter keep, Esc clear)",
                        5, "the typed filter in the footer")
        self.t.keys("Enter")
        s = self.t.wait(lambda s: "Nodes (3)" in (ck.nodes_top(s) or "") and ck.main_footer(s),
                        5, "Nodes (3) after Enter")
        self.assertIn(" filter: wrk ", ck.nodes_top(s))
        for name in ("ctl1-wrk", "ctl2-wrk", "ctl3-wrk"):
            self.assertIsNotNone(ck.node_row(s, name), name)
        for name in ("ctl1-api", "ctl2-api", "ctl1-ksl", "ctl1-retry"):
            self.assertIsNone(ck.node_row(s, name), name)
        # a substring of the service: the keystone listener only
        self.t.keys("/")
        self.t.wait(lambda s: ck.footer(s).strip().startswith("filter: "), 5, "the filter line")
        self.t.keys("Escape")
        s = self.t.wait(lambda s: "Nodes (7)" in (ck.nodes_top(s) or "") and ck.main_footer(s),
                        5, "Nodes (7) after Esc cleared the filter")
        self.assertIn(" filter: - ", ck.nodes_top(s))
        self.t.keys("/")
        self.t.wait(lambda s: ck.footer(s).strip().startswith("filter: "), 5, "the filter line")
        self.t.text("listener")
        self.t.keys("Enter")
        s = self.t.wait(lambda s: "Nodes (1)" in (ck.nodes_top(s) or ""), 5, "Nodes (1)")
        self.assertIsNotNone(ck.node_row(s, "ctl1-ksl"))
        self.quit()

    def test_s_takes_the_next_sort_column_and_S_reverses(self):
        self.start()
        s = self.c.wait_ready()
        self.assertIn(" sort: config ", ck.nodes_top(s))
        seen = []
        for _ in range(12):
            self.t.keys("s")
            prev = ck.nodes_top(s)
            s = self.t.wait(lambda x: ck.nodes_top(x) != prev, 5, "another sort column")
            label = ck.nodes_top(s).split(" sort: ", 1)[1].split(" filter:")[0].strip()
            seen.append(label)
            if label == "name":
                break
        self.assertIn("name", seen, "s never reached the name column: %s" % seen)

        def names(x):
            return [r.split()[1] for r in x.split("\n") if r.startswith("│ ctl")]
        # the rows, once drawn (the header is drawn before them: a capture
        # in between shows the new label over the old order)
        s = self.t.wait(lambda x: names(x) == sorted(names(x)), 5, "the rows sorted by name")
        self.assertEqual(len(names(s)), len(set(names(s))), s)
        self.t.keys("S")
        s = self.t.wait(lambda x: " sort: name desc " in (ck.nodes_top(x) or "") and
                        names(x) == sorted(names(x), reverse=True), 5,
                        "sort: name desc, the rows in reverse order")
        self.assertEqual(len(names(s)), len(set(names(s))), s)
        self.quit()

    def test_readonly_shows_it_and_n_runs_nothing(self):
        self.start(args=("--interval", "0.5", "--readonly"))
        s = self.c.wait_ready()
        self.assertIn("  read-only  ", ck.footer(s))
        self.assertTrue(next_rows(s)[0].rstrip(" │").endswith("[n] read-only"), next_rows(s))
        self.t.keys("n")
        time.sleep(1.0)
        self.t.keys("y")
        time.sleep(1.0)
        self.assertFalse(os.path.exists(self.d.journal), "a step ran in --readonly")
        self.t.keys("Escape")
        self.t.wait(ck.main_footer, 5, "the main footer")
        self.quit()


class DatabaseDown(ConsoleCase):
    """The database cannot be reached: its pane says so, with the cause, and
    that it is tried again after a delay that grows (tui/README.md: the
    Database box; man page: retried with a growing delay); the nodes are
    still shown and keys still answer."""

    def test_the_pane_says_so_and_retries_with_a_growing_delay(self):
        with open(self.d.conf, "a") as f:
            f.write("[DEFAULT]\nsql_connection = %s\n" % h.sql_url("barbican", port=1))
        self.start()
        s = self.c.wait_screen(lambda s: "unknown: unreachable:" in s, 10,
                               "the Database pane saying it is unreachable")
        # the whole cause: in the details of the Database Revision check
        self.t.keys("Tab")
        self.t.keys("j")
        self.t.keys("Enter")
        d = self.t.wait(lambda s: "Connection refused" in s, 5,
                        "the check's details with PostgreSQL's message")
        self.assertIn("db-revision", d)
        self.t.keys("Escape")
        self.t.wait(ck.main_footer, 5, "the main screen again")
        self.assertNotIn(h.env()["pg"]["password"], s)
        delays = []
        deadline = time.monotonic() + 12
        while time.monotonic() < deadline:
            for row in self.t.rows():
                if "retrying in " in row:
                    d = int(row.split("retrying in ", 1)[1].split("s", 1)[0])
                    if not delays or d > delays[-1] + 0:
                        delays.append(d)
            time.sleep(0.2)
        # the first wait is 2 s, the next ones longer
        self.assertTrue(delays and max(delays) > 2, "no growing delay seen: %s" % delays)
        self.assertIsNotNone(ck.node_row(self.t.capture(), "ctl1-wrk"))
        self.t.keys("?")
        self.t.wait(ck.in_dialog, 3, "the help while the database is down")
        self.t.keys("Escape")
        self.quit()


class HungNode(ConsoleCase):
    """ctl3-wrk reads every request and never answers; its probe may take
    30 s ([node:ctl3-wrk] timeout = 30). The console must not wait for it:
    keys answer at once, the other nodes keep updating."""
    fleet_changes = {"ctl3-wrk": {"faults": {"*": {"hang": True}}}}
    node_timeouts = {"ctl3-wrk": 30}

    def test_keys_and_other_nodes_are_not_held_up(self):
        t0 = time.monotonic()
        self.start()
        s = self.c.wait_screen(lambda s: (ck.node_row(s, "ctl1-wrk") or "").split()[3:4] == ["14.0.2"],
                               10, "ctl1-wrk at 14.0.2")
        # help within a generous bound, and closed again
        self.t.keys("?")
        self.t.wait(ck.in_dialog, 3, "the help, while ctl3-wrk hangs")
        self.t.keys("Escape")
        self.t.wait(ck.main_footer, 3, "the main screen, while ctl3-wrk hangs")
        # the key latency (printed, not asserted)
        lat = ck.measure_help_latency(self.t, 10)
        print("help latency with a hung node over %d tries: min %.1f ms, median %.1f ms, "
              "max %.1f ms (%.1f s after start)" % (
                  len(lat), min(lat) * 1e3, statistics.median(lat) * 1e3, max(lat) * 1e3,
                  time.monotonic() - t0))
        # another node's change shows within a few seconds (tui/README.md
        # and DESIGN.md: a refresh probes again every node whose previous
        # probe has finished; a node in flight keeps its last result)
        with self.subTest("another node updates while ctl3-wrk hangs"):
            self.d.set_node("ctl1-wrk", {"release": "15.0.1"})
            s = self.t.wait(lambda s: (ck.node_row(s, "ctl1-wrk") or "").split()[3:4] == ["15.0.1"],
                            5, "ctl1-wrk at 15.0.1 within 5 s")
            elapsed = time.monotonic() - t0
            self.assertLess(elapsed, 25, "too slow to tell: ctl3-wrk's probe may have ended")
            # ctl3-wrk is still in flight: never answered, so unknown
            row = ck.node_row(s, "ctl3-wrk")
            self.assertIsNotNone(row, s)
            self.assertIn(" unknown ", row)
        # q quits at once, though a probe is still in flight
        with self.subTest("q with a probe in flight"):
            q0 = time.monotonic()
            self.assertLess(q0 - t0, 28, "ctl3-wrk's probe may have ended")
            self.quit()
            print("q to exit with a probe in flight: %.0f ms" % ((time.monotonic() - q0) * 1e3))
            self.assertLess(time.monotonic() - q0, 5)


class Resize(ConsoleCase):
    """The layout follows the terminal's size: HOST appears at 120 columns."""

    def test_80x24_to_120x40_and_back(self):
        self.start()
        s = self.c.wait_ready()
        self.assertNotIn(" HOST ", ck.column_header(s))
        self.t.resize(120, 40)
        self.assertEqual(self.t.size(), (120, 40))
        s = self.t.wait(lambda s: " HOST " in (ck.column_header(s) or ""), 5,
                        "the HOST column at 120x40")
        rows = s.rstrip("\n").split("\n")
        self.assertEqual(len(rows), 40, s)
        self.assertTrue(ck.main_footer(s), s)
        self.assertEqual(len(ck.nodes_top(s)), 120)
        self.assertTrue(ck.nodes_top(s).endswith("┐"))
        row = ck.node_row(s, "ctl1-wrk")
        self.assertIn(" ctl-1 ", row)  # the host the report names
        self.t.resize(80, 24)
        s = self.t.wait(lambda s: ck.column_header(s) is not None and
                        " HOST " not in ck.column_header(s) and
                        len(s.rstrip("\n").split("\n")) == 24 and ck.main_footer(s), 5,
                        "the 80x24 layout again")
        self.assertEqual(len(ck.nodes_top(s)), 80)
        self.quit()

    def test_too_small_says_so(self):
        self.start()
        self.c.wait_ready()
        self.t.resize(60, 20)
        self.t.wait(lambda s: s.split("\n")[0].startswith(
            "terminal too small: 80x24 needed (60x20)"), 5, "terminal too small")
        self.t.resize(80, 24)
        self.t.wait(ck.main_footer, 5, "the main screen again")
        self.quit()


class Escapes(ConsoleCase):
    """Release strings with escape sequences (an OSC that sets the window
    title, a clear screen) are no version (the node is error) and are shown
    as text in its error, never sent to the terminal."""
    EVIL = "15.0.1\u001b]2;pwned\u0007\u001b[2J"
    # through a version report (ctl1-wrk) and through GET /?build (ctl1-api)
    fleet_changes = {"ctl1-wrk": {"release": EVIL},
                     "ctl1-api": {"release": "15.0.1\u001b]0;pwned-api\u0007\u009b2J"}}

    def test_no_effect_on_the_screen_nor_the_title(self):
        self.start()
        s = self.c.wait_ready()
        s = self.c.wait_screen(lambda s: (ck.node_row(s, "ctl1-wrk") or "").split()[3:4] != [],
                               10, "ctl1-wrk's row")
        # a few refreshes later, the whole layout is still there
        first = time.monotonic()
        while time.monotonic() - first < 2.0:
            s = self.t.capture()
            time.sleep(0.1)
        rows = s.rstrip("\n").split("\n")
        self.assertEqual(len(rows), 24, s)
        self.assertTrue(rows[0].startswith("barbican-status  "), s)
        self.assertTrue(rows[1].startswith("┌ Nodes (7) "), s)
        self.assertTrue(ck.main_footer(s), s)
        for name in ("ctl1-api", "ctl2-api", "ctl1-wrk", "ctl2-wrk", "ctl3-wrk", "ctl1-ksl"):
            self.assertIsNotNone(ck.node_row(s, name), s)
        for name in ("ctl1-wrk", "ctl1-api"):
            # not a version: the node answered wrongly (its text in the error)
            row = ck.node_row(s, name)
            self.assertIn("error", row.split(), row)
        print("shown as: %r, %r" % (ck.node_row(s, "ctl1-wrk"), ck.node_row(s, "ctl1-api")))
        self.assertNotIn("\u001b", s)
        self.assertEqual(self.t.title(), self.title0)
        self.assertNotIn("pwned", self.t.title())
        self.quit()
        dump = self.c.read_dump().decode("utf-8")
        bad = [c for c in dump if (ord(c) < 0x20 and c != "\n") or 0x7f <= ord(c) < 0xa0]
        self.assertEqual(bad, [], "control characters in the dump")
        self.assertEqual(self.t.title(), self.title0)


class Step(ConsoleCase):
    """n, confirmed, runs the next step (the expand, with the real
    barbican-manage after a line of our own) and its output shows in the Log
    while it runs; then the journal record."""
    steps = {"expand": "sh -c 'echo hello-from-the-step; sleep 2; "
                       "exec barbican-manage db upgrade -v \"$0\"' {revision}",
             "settle_timeout": "20"}

    def test_n_runs_the_expand_and_the_log_shows_its_output(self):
        self.start()
        s = self.c.wait_ready()
        self.assertTrue(next_rows(s)[0].startswith("│ expand to 8c74e2d7f1ff: sh -c "), s)
        self.t.keys("n")
        s = self.t.wait(ck.in_dialog, 5, "the confirmation")
        self.assertIn("8c74e2d7f1ff", s)
        # tui/README.md does not name the key that confirms; the dialog does
        self.assertIn("[y] run", s)
        self.t.keys("y")
        s = self.t.wait(lambda s: any("hello-from-the-step" in r for r in log_rows(s)), 10,
                        "the step's output in the Log")
        with self.subTest("Next row 1 while it runs"):
            # tui/README.md: "running: DESCRIPTION (ELAPSED)", DESCRIPTION
            # being "expand to REV"
            self.assertTrue(any(r.startswith("│ running: expand to 8c74e2d7f1ff (") or
                                r.startswith("│ verifying: expand to 8c74e2d7f1ff (")
                                for r in next_rows(s)), "\n".join(next_rows(s)))
        s = self.t.wait(lambda s: any(" expand verified (sh -c " in r for r in log_rows(s)),
                        60, "the journal record in the Log")
        s = self.t.wait(lambda s: " phase roll " in ck.header(s), 10, "phase roll")
        with open(self.d.journal) as f:
            recs = [json.loads(x) for x in f if x.strip()]
        self.assertEqual([(r["step"], r["outcome"]) for r in recs], [("expand", "verified")])
        conn = h.pg_connect(self.d.db)
        with conn.cursor() as cur:
            cur.execute("SELECT version_num FROM alembic_version")
            self.assertEqual(cur.fetchall(), [("8c74e2d7f1ff",)])
        conn.close()
        self.quit()


class Vouch(ConsoleCase):
    """v on a node with nothing to ask (ctl1-retry: the demo's barbican-retry,
    no url nor report_url) asks for the release (the target to begin with)
    and the reason (required), then records the vouch as `barbican-status
    vouch` does: in the journal with who, node, release and reason; the Log
    shows it and the node shows vouched. On a node that can be observed, v
    records nothing and says why."""
    size = (120, 40)

    def records(self):
        rc, out, err = self.d.run("journal", "--json")
        self.assertEqual(rc, 0, err)
        return json.loads(out)["records"]

    def test_v_vouches_for_a_node_with_nothing_to_ask(self):
        self.start()
        s = self.c.wait_ready()
        self.assertNotIn("vouched", ck.node_row(s, "ctl1-retry"))
        # the first node, ctl1-api, answers for itself
        self.t.keys("v")
        s = self.t.wait(ck.in_dialog, 5, "the refusal")
        self.assertIn("can be observed", s)
        self.t.keys("Escape")
        self.t.wait(ck.main_footer, 5, "the main footer")
        self.t.keys("/")
        self.t.text("retry")
        self.t.keys("Enter")
        s = self.t.wait(lambda s: "Nodes (1)" in (ck.nodes_top(s) or "") and ck.main_footer(s),
                        5, "ctl1-retry alone")
        self.assertIn("  v vouch  ", ck.footer(s))
        self.t.keys("v")
        s = self.t.wait(lambda s: "┌ Vouch " in s, 5, "the vouch dialog")
        self.assertIn("release: 15.0.1", s)
        self.assertIn("reason:  _", s)
        # without a reason nothing is recorded and the dialog stays
        self.t.keys("Enter")
        s = self.t.wait(lambda s: "a reason is required" in s, 5, "a reason is required")
        self.assertIn("┌ Vouch ", s)
        self.t.text("restarted by hand on ctl-1")
        self.t.keys("Enter")
        s = self.t.wait(lambda s: any(" ctl1-retry vouched" in r for r in log_rows(s)), 15,
                        "the vouch in the Log")
        s = self.t.wait(lambda s: " vouched " in (ck.node_row(s, "ctl1-retry") or ""), 10,
                        "ctl1-retry shown vouched")
        self.assertIn(" 15.0.1 ", ck.node_row(s, "ctl1-retry"))
        recs = self.records()
        self.assertEqual(len(recs), 1, recs)
        r = recs[0]
        self.assertEqual((r["step"], r["node"], r["release"], r["outcome"], r["argv"]),
                         ("upgrade_node", "ctl1-retry", "15.0.1", "vouched", None))
        self.assertTrue(r["user"] and r["host"], r)
        self.assertEqual(r["detail"], "%s@%s vouched that ctl1-retry runs 15.0.1: restarted by "
                         "hand on ctl-1" % (r["user"], r["host"]))
        # the plan counts it done: the roll no longer waits for a vouch there
        rc, out, err = self.d.run("upgrade", "plan", "--json")
        node = [n for n in json.loads(out)["nodes"] if n["name"] == "ctl1-retry"][0]
        self.assertTrue(node.get("vouched"), node)
        self.quit()


class KeptOutput(ConsoleCase):
    """A step's streamed output stays once it ends: the journal view (L)
    shows it under its record, without its escape sequences."""
    size = (120, 40)
    steps = {"expand": "sh -c 'echo hello-kept; printf \"\\033[01;32mgreen\\033[00m\\n\"'",
             "settle_timeout": "1"}

    def test_the_journal_view_shows_the_output_of_a_step_that_ended(self):
        self.start()
        self.c.wait_ready()
        self.t.keys("n")
        self.t.wait(ck.in_dialog, 5, "the confirmation")
        self.t.keys("y")
        s = self.t.wait(lambda s: any(" expand not-verified (sh -c " in r for r in log_rows(s)),
                        30, "the journal record in the Log")
        self.t.keys("L")
        s = self.t.wait(ck.in_dialog, 5, "the journal view")
        self.assertIn("| hello-kept", s)
        self.assertIn("| green", s)
        self.assertNotIn("\\x1b", s)
        self.t.keys("Escape")
        self.t.wait(ck.main_footer, 5, "the main screen")
        # the focus the step took to the Log is given back: Enter on a node
        # shows its details
        self.t.keys("Enter")
        s = self.t.wait(ck.in_dialog, 5, "the node's details after the step")
        self.assertIn("┌ Node ", s)
        self.t.keys("Escape")
        self.quit()


class TakeOver(ConsoleCase):
    """A holder killed mid-step (its session gone, its record running): the
    header says the lock's holder vanished, n asks for the typed word
    "take-over" (another word runs nothing), and the word takes the lock and
    runs the step; the record shows the vanished step abandoned."""
    size = (120, 40)
    steps = {"expand": "true", "settle_timeout": "2"}

    def kill_a_holder(self):
        slow = self.d.operator("killed", extra="[steps]\nexpand = sleep 60\n")
        p = subprocess.Popen([h.BIN, "--config-file", slow, "upgrade", "next", "--yes"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             start_new_session=True)
        self.addCleanup(lambda: p.poll() is None and os.killpg(p.pid, signal.SIGKILL))
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.records():
                break
            time.sleep(0.1)
        os.killpg(p.pid, signal.SIGKILL)
        p.wait()

    def records(self):
        conn = h.pg_connect(self.d.db)
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT outcome, detail FROM barbican_status.record "
                            "ORDER BY start_at, id")
                return cur.fetchall()
        except Exception:
            return []
        finally:
            conn.close()

    def test_the_typed_word_takes_the_lock_over(self):
        self.kill_a_holder()
        self.start()
        s = self.t.wait(lambda s: "lock: vanished: expand by " in ck.header(s), 15,
                        "the vanished holder in the header")
        self.t.keys("n")
        s = self.t.wait(ck.in_dialog, 5, "the confirmation")
        self.assertIn('type "take-over" and Enter', s.replace("\n", " "))
        self.assertIn("may still be running", s)
        self.t.text("yes")
        self.t.keys("Enter")
        s = self.t.wait(lambda s: "not confirmed" in s, 5, "a wrong word refused")
        self.assertEqual([r[0] for r in self.records()], ["running"])
        self.t.keys("Escape")
        self.t.keys("n")
        self.t.wait(ck.in_dialog, 5, "the confirmation again")
        self.t.text("take-over")
        self.t.keys("Enter")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            recs = self.records()
            if len(recs) == 2 and recs[1][0] not in ("running",):
                break
            time.sleep(0.2)
        recs = self.records()
        self.assertEqual(recs[0][0], "abandoned", recs)
        self.assertIn("taken over by", recs[0][1])
        self.assertIn("took over from expand by", recs[1][1])
        self.quit()


def journal(dep):
    """The records of the deployment's local journal (ended steps)."""
    try:
        with open(dep.journal) as f:
            return [json.loads(x) for x in f if x.strip()]
    except FileNotFoundError:
        return []


class Roll(ConsoleCase):
    """R starts the roll (the steps one after another), P pauses it (the
    running step finishes, no next one starts) and resumes it, X stops it;
    the header says which; p pauses only the screen's refresh."""
    size = (120, 40)

    def setUp(self):
        super().setUp()
        with open(self.d.conf, "a") as f:
            f.write("[steps]\nupgrade_node = %s upgrade {node} {release} --drain-ms 300 "
                    "--down-ms 600 --wait\nsettle_timeout = 20\n" % self.d.ctl_command)

    def wait_records(self, n, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(journal(self.d)) >= n:
                return journal(self.d)
            time.sleep(0.1)
        self.fail("fewer than %d records after %d s: %s\n%s" % (n, timeout, journal(self.d),
                                                                  self.t.capture()))

    def stays(self, n, seconds):
        time.sleep(seconds)
        self.assertEqual(len(journal(self.d)), n, journal(self.d))

    def test_the_roll_paused_resumed_and_stopped(self):
        self.start()
        self.c.wait_ready()
        self.t.keys("R")
        s = self.t.wait(ck.in_dialog, 5, "the roll's confirmation")
        self.assertIn("[y] start the roll", s)
        self.t.keys("y")
        self.t.wait(lambda s: "roll: on" in ck.header(s), 5, "roll: on in the header")
        self.assertIn("P pause", ck.footer(self.t.capture()))
        self.wait_records(2)                 # the expand and the first node
        self.t.keys("P")
        self.t.wait(lambda s: "roll: paused" in ck.header(s), 5, "roll: paused")
        # the running step (if any) finishes, then nothing more starts
        time.sleep(4)
        n = len(journal(self.d))
        self.stays(n, 4)
        self.t.keys("R")                     # resume
        self.t.wait(lambda s: "roll: on" in ck.header(s), 5, "roll: on again")
        self.wait_records(n + 1)
        self.t.keys("X")
        self.t.wait(lambda s: "roll:" not in ck.header(s), 5, "the roll stopped")
        time.sleep(4)
        n = len(journal(self.d))
        self.stays(n, 3)
        # and to the end: R again; ctl1-retry has nothing to ask: vouch when asked
        self.t.keys("R")
        self.t.wait(ck.in_dialog, 5, "the roll's confirmation")
        self.t.keys("y")
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            s = self.t.capture()
            if "Does it run" in s:
                # yes, and why: a vouch names its reason wherever it is made
                self.t.keys("y")
                self.t.wait(lambda s: "Record your word" in s, 5, "the reason asked")
                self.t.keys("Enter")
                self.t.wait(lambda s: "a reason is required" in s, 5, "a reason required")
                self.t.text("checked by hand")
                self.t.keys("Enter")
            if " phase done " in ck.header(s) + " " and not any(
                    r["outcome"] == "running" for r in journal(self.d)):
                break
            time.sleep(0.2)
        recs = journal(self.d)
        self.assertEqual([r["step"] for r in recs], ["expand"] + ["upgrade_node"] * 7,
                         [(r["node"], r["outcome"], r["detail"]) for r in recs])
        self.assertEqual(sorted(set(r["outcome"] for r in recs)), ["verified", "vouched"])
        for r in recs:
            if r["outcome"] == "vouched":
                self.assertRegex(r["detail"], r"^\S+@\S+ vouched that \S+ runs [0-9.]+: checked by hand$")
        self.quit()

    def test_p_never_holds_a_step_that_has_the_lock(self):
        self.start()
        self.c.wait_ready()
        self.t.keys("p")
        self.t.wait(lambda s: "(paused)" in ck.header(s), 5, "paused")
        self.t.keys("n")
        self.t.wait(ck.in_dialog, 5, "the confirmation")
        self.t.keys("y")
        recs = self.wait_records(1, timeout=60)  # the expand ends though the screen is paused
        self.assertEqual((recs[0]["step"], recs[0]["outcome"]), ("expand", "verified"))
        self.quit()

    def test_ctrl_c_during_a_step_asks_first(self):
        with open(self.d.conf, "a") as f:
            f.write("[steps]\nexpand = sleep 4\n")
        self.start()
        self.c.wait_ready()
        self.t.keys("n")
        self.t.wait(ck.in_dialog, 5, "the confirmation")
        self.t.keys("y")
        self.t.wait(lambda s: "running: expand" in s, 10, "the step running")
        self.t.keys("C-c")
        self.t.wait(lambda s: "again quits and cancels" in s, 5, "Ctrl-C asks")
        self.assertFalse(self.c.exited())
        recs = self.wait_records(1, timeout=30)  # the step went on to its end
        self.assertNotEqual(recs[0]["outcome"], "cancelled")
        self.t.keys("Escape")
        self.quit()

class RateStep(ConsoleCase):
    """[probes] console_rate far below what the fleet's refreshes would ask
    (2 requests a second for 30): the others are asked in turn, about once
    in 15 s, but the node a step upgrades is asked at every refresh while
    the step runs, so that its verification does not wait for its turn.
    The simulator counts each node's requests."""
    size = (120, 40)
    EXTRA = 20

    def setUp(self):
        fleet = ck.load_fleet("demo-14.json")
        wrk = ck.fleet_node(fleet, "ctl1-wrk")
        for i in range(self.EXTRA):
            w = dict(wrk)
            w["name"], w["host"] = "x%02d-wrk" % i, "ctl-x%02d" % i
            fleet["nodes"].append(w)
        self.d = ck.Deployment(fleet)
        self.addCleanup(self.d.close)
        self.t = ck.Tmux(*self.size)
        self.addCleanup(self.t.close)
        self.title0 = self.t.title()
        with open(self.d.conf, "a") as f:
            f.write("[probes]\nconsole_rate = 2\n[steps]\nupgrade_node = %s upgrade {node} "
                    "{release} --drain-ms 300 --down-ms 600 --wait\nsettle_timeout = 30\n"
                    % self.d.ctl_command)

    def requests(self):
        return {n["name"]: n["requests"] for n in json.loads(self.d.ctl("fleet"))["nodes"]}

    def step(self, n):
        self.t.keys("n")
        self.t.wait(ck.in_dialog, 5, "the confirmation")
        self.t.keys("y")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            recs = journal(self.d)
            if len(recs) >= n and recs[n - 1]["outcome"] != "running":
                return recs[n - 1]
            time.sleep(0.1)
        self.fail("no record %d: %s\n%s" % (n, journal(self.d), self.t.capture()))

    def test_the_node_a_step_upgrades_is_asked_at_every_refresh(self):
        self.start()
        s = self.c.wait_ready()
        # 2 api nodes (3 requests a probe) and 24 workers (1): 30 requests
        # a round, 1 a refresh at --interval 0.5
        self.assertIn("Nodes (27, each asked every ~15s)", s)
        self.assertEqual(self.step(1)["step"], "expand")
        before = self.requests()
        rec = self.step(2)
        after = self.requests()
        self.assertEqual((rec["step"], rec["outcome"]), ("upgrade_node", "verified"), rec)
        node = rec["node"]
        asked = {k: after[k] - before[k] for k in after if k.endswith("-wrk")}
        # asked at each refresh of the step: answered while it drained and
        # once up again (seen at the target: verified), refused while down;
        # each other worker once at most in that time (its turn), the node
        # too without the step (its turn is 15 s apart)
        self.assertGreaterEqual(asked[node], 2, asked)
        others = [v for k, v in asked.items() if k != node]
        self.assertLessEqual(max(others), 1, asked)
        self.quit()


if __name__ == "__main__":
    h.env()  # fail at once, with the reason, when the test environment is not up
    h.main()
