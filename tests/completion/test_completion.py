#!/usr/bin/python3
"""The bash completion (completion/barbican-status.bash), sourced in bash
and asked, as bash asks it, for the words that complete partial command
lines; its options checked against the man page's SYNOPSIS."""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

SOURCE = os.environ.get("BS_SOURCE_ROOT", os.path.join(os.path.dirname(__file__), "../.."))
SCRIPT = os.path.join(SOURCE, "completion", "barbican-status.bash")

DRIVER = r'''
set -u
. "$1"
shift
COMP_WORDS=("$@")
COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
COMP_LINE="${COMP_WORDS[*]}"
COMP_POINT=${#COMP_LINE}
COMPREPLY=()
_barbican_status barbican-status "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
printf '%s\n' "${COMPREPLY[@]}"
'''


def complete(*words):
    """The completions bash would offer for COMP_WORDS = words (the last is
    the word being completed), sorted."""
    p = subprocess.run(["bash", "-c", DRIVER, "driver", SCRIPT] + list(words),
                       capture_output=True, text=True, env={"PATH": "/usr/bin:/bin"})
    if p.returncode != 0 or p.stderr:
        raise AssertionError("bash: exit %d: %s" % (p.returncode, p.stderr))
    return sorted(w for w in p.stdout.split("\n") if w)


class Completion(unittest.TestCase):
    def test_the_step_of_gate_before(self):
        self.assertEqual(complete("barbican-status", "upgrade", "gate", "--before", "c"), ["contract"])
        self.assertEqual(complete("barbican-status", "upgrade", "gate", "--before", "m"), ["migrate-data"])
        self.assertEqual(complete("barbican-status", "upgrade", "gate", "--before", ""),
                         sorted(["expand", "roll", "unpin", "migrate-data", "contract", "offline",
                                 "done"]))
        # --before=STEP, split by bash at '='
        self.assertEqual(complete("barbican-status", "upgrade", "gate", "--before", "=", "o"),
                         ["offline"])
        self.assertEqual(complete("barbican-status", "upgrade", "--json", "gate", "--before", "r"),
                         ["roll"])

    def test_commands_and_upgrade_subcommands(self):
        self.assertEqual(complete("barbican-status", "up"), ["upgrade"])
        self.assertEqual(complete("barbican-status", ""),
                         ["console", "journal", "migrations", "nodes", "report", "upgrade", "vouch"])
        self.assertEqual(complete("barbican-status", "upgrade", ""), ["check", "gate", "next", "plan", "run"])
        self.assertEqual(complete("barbican-status", "upgrade", "n"), ["next"])
        # a global option's value is not the command
        self.assertEqual(complete("barbican-status", "--config-file", "/etc/barbican/barbican.conf",
                                  "m"), ["migrations"])
        self.assertEqual(complete("barbican-status", "--config-dir", "/etc", "upgrade", "c"), ["check"])

    def test_the_service_of_report(self):
        services = ["barbican-api", "barbican-keystone-listener", "barbican-retry", "barbican-worker"]
        self.assertEqual(complete("barbican-status", "report", "--service", ""), services)
        self.assertEqual(complete("barbican-status", "report", "--service", "barbican-w"),
                         ["barbican-worker"])
        self.assertEqual(complete("barbican-status", "report", "--service", "=", "barbican-r"),
                         ["barbican-retry"])
        # the service given, the options are offered again
        self.assertEqual(complete("barbican-status", "report", "--service", "barbican-api", "--j"),
                         ["--json"])

    def test_options_of_a_command(self):
        self.assertEqual(complete("barbican-status", "upgrade", "next", "--d"), ["--dry-run"])
        self.assertEqual(complete("barbican-status", "upgrade", "gate", "--b"), ["--before"])
        self.assertEqual(complete("barbican-status", "--config-"), ["--config-dir", "--config-file"])
        self.assertEqual(complete("barbican-status", "nodes", "--"), ["--help", "--json", "--watch"])
        # upgrade check is Barbican's drop-in: no --watch there
        self.assertEqual(complete("barbican-status", "upgrade", "check", "--"), ["--help", "--json"])
        self.assertEqual(complete("barbican-status", "console", "--b"), ["--batch"])
        # the seconds of --watch and the size of --size are typed, not completed
        self.assertEqual(complete("barbican-status", "nodes", "--watch", ""), [])
        self.assertEqual(complete("barbican-status", "console", "--batch", "--size", ""), [])
        # a value after --watch is not taken for a command's word
        self.assertEqual(complete("barbican-status", "journal", "--watch", "2", "--j"), ["--json"])
        # no command takes a word that is not an option
        self.assertEqual(complete("barbican-status", "nodes", "x"), [])
        self.assertEqual(complete("barbican-status", "upgrade", "next", "--timeout", ""), [])

    def test_config_files_and_directories(self):
        d = tempfile.mkdtemp(prefix="bs-compl-")
        try:
            open(os.path.join(d, "barbican.conf"), "w").close()
            os.mkdir(os.path.join(d, "barbican.conf.d"))
            self.assertEqual(complete("barbican-status", "--config-file", d + "/barbican.c"),
                             [d + "/barbican.conf", d + "/barbican.conf.d"])
            self.assertEqual(complete("barbican-status", "--config-dir", d + "/barbican.c"),
                             [d + "/barbican.conf.d"])
        finally:
            shutil.rmtree(d)

    def test_every_option_of_the_man_page_synopsis_is_offered(self):
        with open(os.path.join(SOURCE, "man", "barbican-status.1.scd")) as f:
            block = f.read().split("# SYNOPSIS", 1)[1].split("\n# ", 1)[0]
        lines = [re.sub(r"[*_]", "", l).strip() for l in block.splitlines() if l.strip()]
        self.assertGreater(len(lines), 5)
        for line in lines:
            words = line.split()[1:]
            cmd = []
            for w in words:
                if not re.match(r"^[a-z]+$", w):
                    break
                cmd.append(w)
            opts = set(re.findall(r"(--[a-z][a-z-]*)", line))
            if cmd == ["COMMAND"] or not cmd:
                cmd = []
            offered = complete("barbican-status", *cmd, "--")
            for o in opts:
                self.assertIn(o, offered, line)
            if cmd:
                self.assertIn("--help", offered, line)


if __name__ == "__main__":
    unittest.main(verbosity=2)
