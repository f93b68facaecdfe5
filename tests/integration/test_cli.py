#!/usr/bin/python3
"""The command line as a user meets it: help for every command, the man
pages agreeing with it, usage errors, configuration errors, exit codes."""
import os
import re
import subprocess
import unittest

import harness as h

COMMANDS = [["console"], ["upgrade", "check"], ["nodes"], ["migrations"], ["upgrade", "plan"],
            ["upgrade", "gate"], ["upgrade", "next"], ["upgrade", "run"], ["journal"], ["report"], ["vouch"]]


def man_synopsis(page):
    """The synopsis lines of a scdoc man page, markup removed."""
    with open(os.path.join(h.SOURCE, "man", page + ".scd")) as f:
        text = f.read()
    block = text.split("# SYNOPSIS", 1)[1].split("\n# ", 1)[0]
    return [re.sub(r"[*_]", "", l).strip() for l in block.splitlines() if l.strip()]


class Help(unittest.TestCase):
    def test_every_command_has_help_on_stdout_with_exit_0(self):
        for cmd in COMMANDS:
            rc, out, err = h.run(cmd + ["--help"])
            self.assertEqual(rc, 0, cmd)
            self.assertTrue(out.startswith("usage: barbican-status " + " ".join(cmd)), out)
            self.assertEqual(err, "")

    def test_man_page_synopsis_and_help_usage_lines_agree(self):
        synopsis = man_synopsis("barbican-status.1")
        rc, out, err = h.run(["--help"])
        self.assertEqual(out.splitlines()[0], "usage: " + synopsis[0])
        usages = []
        for cmd in COMMANDS:
            rc, out, err = h.run(cmd + ["--help"])
            usages.append(out.splitlines()[0][len("usage: "):])
        self.assertEqual(usages, synopsis[1:])

    def test_main_help_lists_every_command_of_the_man_page(self):
        rc, out, err = h.run(["--help"])
        for line in man_synopsis("barbican-status.1")[1:]:
            self.assertIn(line[len("barbican-status "):], out)

    def test_a_command_of_the_man_pages_continued_on_a_second_line_ends_in_a_backslash(self):
        # as man(1) shows the pages (scdoc eats a lone backslash)
        for page in ("barbican-status.1", "barbican-status.conf.5", "barbican-status-upgrade.7"):
            p = subprocess.run(["man", "-l", os.path.join(h.BUILD, "man", page)],
                               capture_output=True, text=True,
                               env={"PATH": "/usr/bin:/bin", "MANWIDTH": "200", "LANG": "C.UTF-8"})
            self.assertEqual(p.returncode, 0, p.stderr)
            lines = p.stdout.splitlines()
            commands = 0
            for i, line in enumerate(lines[:-1]):
                if not re.match(r"\s*(\$ )?barbican-status ", line):
                    continue
                commands += 1
                nxt = lines[i + 1]
                indent = lambda l: len(l) - len(l.lstrip())
                if nxt.strip() and indent(nxt) > indent(line):
                    self.assertTrue(line.endswith("\\"), (page, line, nxt))
            if page == "barbican-status.1":
                self.assertGreater(commands, 2)

    def test_version(self):
        rc, out, err = h.run(["--version"])
        self.assertEqual(rc, 0)
        self.assertRegex(out, r"^barbican-status \d+\.\d+\.\d+\n$")


class UsageErrors(unittest.TestCase):
    """A usage error exits 64 (EX_USAGE), with a usage line on stderr and
    nothing on stdout, so that a script tells it from a gate that does not
    hold (2); upgrade check keeps the 2 of argparse, as Barbican's own
    command does. A typo gets the nearest command or step."""

    def assertUsage(self, args, code=64, suggestion=None):
        rc, out, err = h.run(args)
        self.assertEqual(rc, code, (args, err))
        self.assertEqual(out, "", args)
        self.assertIn("usage:", err)
        self.assertIn("barbican-status", err)
        if suggestion:
            self.assertIn("did you mean '%s'?" % suggestion, err)
        else:
            self.assertNotIn("did you mean", err)

    def test_no_command(self):
        self.assertUsage([])

    def test_unknown_command(self):
        self.assertUsage(["frobnicate"])

    def test_a_mistyped_command_exits_64_and_gets_the_nearest(self):
        self.assertUsage(["upgarde", "plan"], suggestion="upgrade")
        self.assertUsage(["nod"], suggestion="nodes")

    def test_a_mistyped_upgrade_subcommand_exits_64_and_gets_the_nearest(self):
        self.assertUsage(["upgrade", "plna"], suggestion="plan")
        self.assertUsage(["upgrade", "gaet", "--before", "roll"], suggestion="gate")

    def test_a_mistyped_step_is_not_a_gate_that_does_not_hold(self):
        self.assertUsage(["upgrade", "gate", "--before", "contarct"], suggestion="contract")
        self.assertUsage(["upgrade", "gate", "--before", "bogus"])
        self.assertUsage(["upgrade", "gate"])

    def test_a_pipeline_waiting_on_a_mistyped_step_stops_at_once(self):
        # the loop of the issue: it must end with 64, not wait forever
        script = ('n=0; until "$0" upgrade gate --before contarct; do rc=$?; '
                  '[ $rc = 2 ] || exit $rc; n=$((n+1)); [ $n -lt 3 ] || exit 99; done')
        rc = subprocess.run(["sh", "-c", script, h.BIN], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, env={"PATH": "/usr/bin:/bin",
                            "HOME": "/nonexistent"}).returncode
        self.assertEqual(rc, 64)

    def test_json_before_the_command_is_a_usage_error_as_in_barbicans(self):
        self.assertUsage(["--json", "upgrade", "check"], code=2)

    def test_unknown_option(self):
        self.assertUsage(["upgrade", "check", "--jsn"], code=2)
        self.assertUsage(["upgrade", "--jsn", "check"], code=2)
        self.assertUsage(["nodes", "--bogus"])
        self.assertUsage(["migrations", "--bogus"])
        self.assertUsage(["journal", "--bogus"])
        self.assertUsage(["upgrade", "plan", "--bogus"])
        self.assertUsage(["upgrade", "gate", "--before", "roll", "--bogus"])
        self.assertUsage(["upgrade", "next", "--bogus"])
        self.assertUsage(["console", "--bogus"])
        self.assertUsage(["report", "--service", "barbican-worker", "--bogus"])

    def test_report_wants_a_known_service_and_names_the_nearest(self):
        self.assertUsage(["report"])
        self.assertUsage(["report", "--json"])
        self.assertUsage(["report", "--service"])
        self.assertUsage(["report", "--service", "barbican-wroker"], suggestion="barbican-worker")
        self.assertUsage(["report", "--service", "worker"], suggestion="barbican-worker")
        self.assertUsage(["report", "--service", "nova-compute"])

    def test_missing_option_value(self):
        self.assertUsage(["--config-file"])
        self.assertUsage(["upgrade", "next", "--timeout"])

    def test_unknown_upgrade_subcommand(self):
        self.assertUsage(["upgrade", "foo"])

    def test_upgrade_without_subcommand(self):
        self.assertUsage(["upgrade"])


class NextWhenComplete(unittest.TestCase):
    def test_next_exits_4_when_the_upgrade_is_complete(self):
        fleet = {"nodes": [{"name": "ctl1-api", "kind": "api", "release": "15.0.1", "port": 0},
                           {"name": "ctl2-api", "kind": "api", "release": "15.0.1", "port": 0}]}
        d = h.Deployment(fleet, "tmpl_15x", "15.0.1")
        try:
            rc, out, err = d.run("upgrade", "next", "--yes")
            self.assertEqual(rc, 4, out + err)
            self.assertIn("complete", out)
            rc, out, err = d.run("upgrade", "next", "--dry-run")
            self.assertEqual(rc, 4, out + err)
        finally:
            d.close()


class OptionsLikeArgparse(unittest.TestCase):
    def test_json_may_come_before_check_and_prefixes_work(self):
        conf = "[DEFAULT]\nsql_connection = sqlite:///x\n[upgrade]\ntarget_release = 15.0.1\n"
        for args in (["upgrade", "--json", "check"], ["upgrade", "check", "--js"]):
            rc, out, err = h.run(args, conf)
            self.assertTrue(out.startswith('{"schema": "barbican-status/upgrade-check/1"'), (args, out, err))

    def test_config_file_equals_form(self):
        p = h.write_conf("[upgrade]\ntarget_release = 15.0.1\n")
        try:
            rc, out, err = h.run(["--config-file=" + p, "nodes"])
            self.assertEqual(rc, 0, err)
            self.assertIn("target: 15.0.1 (zed)", out)
        finally:
            os.unlink(p)


class ConfigErrors(unittest.TestCase):
    def test_missing_config_file_exits_255_naming_it(self):
        for cmd in COMMANDS:
            if cmd == ["upgrade", "gate"]:
                cmd = cmd + ["--before", "expand"]
            if cmd == ["report"]:
                cmd = cmd + ["--service", "barbican-worker"]
            if cmd == ["vouch"]:
                cmd = cmd + ["w1", "--reason", "r"]
            rc, out, err = h.run(["--config-file", "/nonexistent/barbican.conf"] + cmd)
            self.assertEqual(rc, 255, cmd)
            self.assertIn("/nonexistent/barbican.conf", err)
            self.assertTrue(err.startswith("barbican-status: "), err)
            self.assertEqual(out, "")

    def test_syntax_error_names_file_and_line(self):
        rc, out, err = h.run(["nodes"], "[upgrade]\ntarget_release = 15.0.1\n[broken\n")
        self.assertEqual(rc, 255)
        self.assertIn("line 3", err)

    def test_bad_values_name_the_option(self):
        cases = [
            ("[probes]\ntimeout = soon\n", "[probes] timeout"),
            ("[probes]\nconcurrency = 0\n", "[probes] concurrency"),
            ("[upgrade]\nallow_api_outage = maybe\n", "[upgrade] allow_api_outage"),
            ("[upgrade]\nroll_order = barbican-api, barbican-nope\n", "roll_order"),
            ("[upgrade]\ntarget_release = zed\n", "target_release"),
            ("[node:a]\nservice = barbican-frobber\n", "[node:a] service"),
            ("[node:a]\nurl = http://x\n", "service is missing"),
            ("[node:a]\nservice = barbican-worker\nurl = http://x:9311\n", "report_url"),
            ("[node:a]\nservice = barbican-api\nurl = ftp://x\n", "[node:a] url"),
        ]
        for text, want in cases:
            rc, out, err = h.run(["nodes"], text)
            self.assertEqual(rc, 255, text)
            self.assertIn(want, err, text)

    def test_upgrade_check_without_target_or_installed_barbican_warns(self):
        db = h.create_db("tmpl_14x")
        try:
            rc, out, err = h.run(["upgrade", "check", "--json"],
                                 "[DEFAULT]\nsql_connection = %s\n" % h.sql_url(db))
        finally:
            h.drop_db(db)
        self.assertEqual(rc, 1, err)
        self.assertIn("target release is unknown", out)

    def test_installed_barbican_is_the_default_target_of_upgrade_check(self):
        site = "/usr/lib/python3/dist-packages"
        rc, out, err = h.run(["upgrade", "check", "--json"], "[DEFAULT]\nsql_connection = sqlite:///x\n",
                             env_extra={"BARBICAN_STATUS_SITE_DIRS": site})
        self.assertNotIn("target release is unknown", out)
        rc, out, err = h.run(["migrations", "--json"], "[DEFAULT]\nsql_connection = sqlite:///x\n",
                             env_extra={"BARBICAN_STATUS_SITE_DIRS": site})
        import json
        t = json.loads(out)["target"]
        self.assertEqual((t["release"], t["source"]), ("15.0.1", "installed"))


if __name__ == "__main__":
    h.main()
