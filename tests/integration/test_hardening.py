#!/usr/bin/python3
"""The configuration and what nodes send are input like any other (issue 12):
bounded reading, range-checked options, configured and reported strings
escaped before they reach a terminal, passwords in URLs masked, malformed
answers told from no answer, TLS verified against the configured CA."""
import os
import resource
import subprocess
import tempfile
import unittest

import harness as h


def run_limited(argv, limit_bytes=1 << 30, timeout=60):
    """barbican-status under an address-space limit (so that reading without
    bound fails in seconds, not after the machine's memory)."""
    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (limit_bytes, limit_bytes))
    home = tempfile.mkdtemp(prefix="bs-home-")
    e = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": home, "LANG": "C.UTF-8",
         "BARBICAN_STATUS_SITE_DIRS": "/nonexistent"}
    p = subprocess.run([h.BIN] + argv, capture_output=True, env=e, timeout=timeout,
                       cwd=home, preexec_fn=limit)
    os.rmdir(home)
    return p.returncode, p.stdout, p.stderr.decode("utf-8", "replace")


class ConfigFileSize(unittest.TestCase):
    def test_an_endless_config_file_is_an_error_exit_255_not_all_memory(self):
        for cmd in (["nodes"], ["nodes", "--json"], ["upgrade", "check"]):
            rc, out, err = run_limited(["--config-file", "/dev/zero"] + cmd)
            self.assertEqual(rc, 255, (cmd, err))
            self.assertIn("/dev/zero", err)
            self.assertIn("larger than 16 MiB", err)
            self.assertEqual(out, b"")

    def test_a_config_file_just_under_16_mib_is_read(self):
        # a comment line of 16 MiB - 1 KiB: large, but not over the cap
        fd, path = tempfile.mkstemp(suffix=".conf")
        with os.fdopen(fd, "w") as f:
            f.write("[upgrade]\ntarget_release = 15.0.1\n#" + "x" * ((16 << 20) - 1024) + "\n")
        try:
            rc, out, err = run_limited(["--config-file", path, "nodes", "--json"])
        finally:
            os.unlink(path)
        self.assertNotIn("larger than", err)
        self.assertIn(rc, (0, 1, 2), err)


if __name__ == "__main__":
    h.main()
