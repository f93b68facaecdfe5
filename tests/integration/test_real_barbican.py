#!/usr/bin/python3
"""What barbican-status claims about Barbican, checked against the real
Barbican 15.0.1 of Debian 12: its barbican-api under uwsgi (started by the
test environment) and its own /usr/bin/barbican-status. These tests fail,
never skip, when the real thing is not there."""
import json
import os
import shutil
import subprocess
import tempfile
import unittest

import harness as h

REAL_STATUS = os.path.join(h.SOURCE, "tests", "real", "real-barbican-status.sh")

POLICY_YAML = '"secret:get": "rule:secret_non_private_read"\n"secrets:get": "rule:all_but_audit"\n'
POLICY_JSON = '{\n  "secret:get": "rule:secret_non_private_read",\n  "secrets:get": "rule:all_but_audit"\n}\n'


def real(args):
    p = subprocess.run([REAL_STATUS] + args, capture_output=True, text=True, timeout=120)
    return p.returncode, p.stdout, p.stderr


def first_cell(table):
    """The lines of the first cell of an oslo table, without borders and padding."""
    lines = table.splitlines()
    rules = [i for i, l in enumerate(lines) if l.startswith("+")]
    cell = lines[rules[1] + 1:rules[2]]
    return [l[2:-2].rstrip() for l in cell]


class RealApi(unittest.TestCase):
    def conf(self):
        return ("[upgrade]\ntarget_release = 15.0.1\n[node:real-api]\nservice = barbican-api\n"
                "url = %s\n" % h.env()["api"]["url"])

    def test_nodes_shows_the_real_api_release_and_microversions(self):
        rc, out, err = h.run(["nodes", "--json"], self.conf())
        self.assertEqual(rc, 0, err)
        n = json.loads(out)["nodes"][0]
        self.assertEqual(n["state"], "up", n["error"])
        self.assertEqual(n["release"], "15.0.1")
        self.assertEqual(n["release_source"], "build")
        self.assertEqual(n["api_microversions"], {"min": "1.0", "max": "1.1"})
        self.assertEqual(n["healthcheck_status"], 200)
        self.assertEqual(n["skew"], "same")

    def test_the_drain_file_makes_the_real_api_drained(self):
        disable = h.env()["api"]["disable_file"]
        with open(disable, "w"):
            pass
        try:
            rc, out, err = h.run(["nodes", "--json"], self.conf())
            n = json.loads(out)["nodes"][0]
            self.assertEqual(n["state"], "drained")
            self.assertEqual(n["healthcheck_status"], 503)
        finally:
            os.unlink(disable)
        rc, out, err = h.run(["nodes", "--json"], self.conf())
        self.assertEqual(json.loads(out)["nodes"][0]["state"], "up")


class PolicyCheckAgainstBarbicansOwn(unittest.TestCase):
    """The "Policy File JSON to YAML Migration" entry of our upgrade check
    (JSON and table cell) equals Barbican's own, on the same config."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="bs-policy-")
        os.chmod(self.dir, 0o755)

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def write(self, name, text):
        p = os.path.join(self.dir, name)
        with open(p, "w") as f:
            f.write(text)
        os.chmod(p, 0o644)
        return p

    def compare(self, conf_text, want_result):
        conf = self.write("barbican.conf", conf_text + "[upgrade]\ntarget_release = 15.0.1\n")
        rrc, rout, rerr = real(["--config-file", conf, "upgrade", "check", "--json"])
        orc, oout, oerr = h.run(["upgrade", "check", "--json"], config_files=[conf])
        self.assertIn(rrc, (0, 2), rerr)
        theirs = json.loads(rout)
        ours = json.loads(oout)
        self.assertEqual(ours["name"], theirs["name"])
        mine = ours["checks"][0]
        self.assertEqual({k: mine[k] for k in ("check", "result", "details")}, theirs["checks"][0])
        self.assertEqual(mine["result"], want_result)
        # the table cell, borders and padding aside
        rrc2, rtab, _ = real(["--config-file", conf, "upgrade", "check"])
        orc2, otab, _ = h.run(["upgrade", "check"], config_files=[conf])
        self.assertEqual(first_cell(otab), first_cell(rtab))
        self.assertEqual(otab.splitlines()[1][2:-2].rstrip(), rtab.splitlines()[1][2:-2].rstrip())
        self.assertEqual(orc2, orc)

    def test_yaml_policy_file(self):
        p = self.write("policy.yaml", POLICY_YAML)
        self.compare("[oslo_policy]\npolicy_file = %s\n" % p, 0)

    def test_json_policy_file(self):
        p = self.write("policy.json", POLICY_JSON)
        self.compare("[oslo_policy]\npolicy_file = %s\n" % p, 2)

    def test_policy_file_unset_and_none_found(self):
        self.compare("[DEFAULT]\n", 0)

    def test_policy_file_unset_finds_policy_json_next_to_the_config(self):
        self.write("policy.json", POLICY_JSON)
        self.compare("[DEFAULT]\n", 2)

    def test_relative_policy_file_is_searched_like_oslo(self):
        self.write("custom-policy.json", "[]")
        self.compare("[oslo_policy]\npolicy_file = custom-policy.json\n", 2)

    def test_yaml_that_is_also_json_counts_as_json(self):
        p = self.write("policy.yaml", '{"secret:get": "rule:admin"}\n')
        self.compare("[oslo_policy]\npolicy_file = %s\n" % p, 2)

    def test_json_with_nan_counts_as_json_as_python_reads_it(self):
        p = self.write("policy.yaml", "NaN\n")
        self.compare("[oslo_policy]\npolicy_file = %s\n" % p, 2)

    def test_a_directory_as_policy_file_cannot_be_checked_by_either(self):
        d = os.path.join(self.dir, "policydir.json")
        os.mkdir(d)
        conf = self.write("barbican.conf", "[oslo_policy]\npolicy_file = %s\n" % d)
        rrc, _, _ = real(["--config-file", conf, "upgrade", "check"])
        orc, oout, oerr = h.run(["upgrade", "check"], config_files=[conf])
        self.assertEqual(rrc, 255)
        self.assertEqual(orc, 255)
        self.assertIn("is a directory", oerr)


if __name__ == "__main__":
    h.main()
