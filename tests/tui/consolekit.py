"""Driving `barbican-status console` through a private tmux server, against
a real deployment (a database cloned from the test environment's templates,
the node simulator serving a fleet). Shared by tests/tui/test_console.py and
bench/console-keys.sh. Run with Debian's /usr/bin/python3; PYTHONPATH must
hold tests/integration (harness.py) and tests/tui.

- Deployment (harness.py): a database (tmpl_14x ...), a Sim with a fleet,
  and the config an operator would write for them ([node:NAME] with
  url/report_url, [steps], [journal] in a temporary directory).
- Tmux: one private server (`tmux -L bs-test-PID-N -f /dev/null`), one
  detached session of W x H running a plain shell; the console is started
  from that shell, so that its exit status and the terminal settings before
  and after can be read (`stty -g`). Nothing here sleeps for a fixed time to
  let something happen: every wait polls for what should appear.
"""
import os
import shlex
import shutil
import signal
import subprocess
import tempfile
import time

import harness as h

TMUX = shutil.which("tmux") or "/usr/bin/tmux"

# the deployment under the console is the integration tests' one
Deployment = h.Deployment
load_fleet = h.load_fleet
fleet_node = h.fleet_node


_servers = [0]


class Tmux:
    """A private tmux server with one detached session (a shell) of w x h."""

    def __init__(self, w=80, h=24):
        _servers[0] += 1
        self.socket = "bs-test-%d-%d" % (os.getpid(), _servers[0])
        self.home = tempfile.mkdtemp(prefix="bs-tui-home-")
        # the environment the tmux server (and so the pane's shell) starts with
        self.env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": self.home,
                    "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8",
                    "BARBICAN_STATUS_SITE_DIRS": "/nonexistent",
                    "PS1": "$ ", "ENV": "/dev/null"}
        self.socket_path = None
        self.run("new-session", "-d", "-x", str(w), "-y", str(h), "-s", "t", "-c", self.home,
                 "/bin/sh")
        try:
            self.socket_path = self.run("display", "-p", "#{socket_path}").strip() or None
            # no status line: the pane is the whole window, W x H
            self.run("set-option", "-g", "status", "off")
            self.run("resize-window", "-t", "t", "-x", str(w), "-y", str(h))
            self.wait(lambda s: s.rstrip()[-1:] in ("$", "#"), 10, "the shell prompt")
        except BaseException:
            self.close()
            raise

    def run(self, *args, check=True):
        p = subprocess.run([TMUX, "-L", self.socket, "-f", "/dev/null"] + list(args),
                           capture_output=True, text=True, env=self.env, timeout=30)
        if check and p.returncode != 0:
            raise AssertionError("tmux %s: exit %d: %s" % (" ".join(args), p.returncode, p.stderr))
        return p.stdout

    def capture(self):
        """The pane as text: one line per row."""
        return self.run("capture-pane", "-p", "-t", "t")

    def rows(self):
        return self.capture().split("\n")

    def size(self):
        w, hh = self.run("display", "-p", "-t", "t", "#{pane_width} #{pane_height}").split()
        return int(w), int(hh)

    def title(self):
        return self.run("display", "-p", "-t", "t", "#{pane_title}").rstrip("\n")

    def keys(self, *keys):
        """tmux key names: "q", "Escape", "Enter", "C-l", ..."""
        self.run("send-keys", "-t", "t", *keys)

    def text(self, s):
        self.run("send-keys", "-t", "t", "-l", s)

    def line(self, cmd):
        """Type a shell command line and Enter."""
        self.text(cmd)
        self.keys("Enter")

    def resize(self, w, hh):
        self.run("resize-window", "-t", "t", "-x", str(w), "-y", str(hh))

    def wait(self, pred, timeout, what, interval=0.02):
        """Poll the pane until pred(text) holds; returns the text."""
        deadline = time.monotonic() + timeout
        while True:
            s = self.capture()
            if pred(s):
                return s
            if time.monotonic() > deadline:
                raise AssertionError("after %.1f s the screen does not show %s:\n%s" %
                                     (timeout, what, s))
            time.sleep(interval)

    def close(self):
        self.run("kill-server", check=False)
        # tmux leaves its socket behind: remove it (ours only)
        if self.socket_path and os.path.basename(self.socket_path) == self.socket:
            try:
                os.unlink(self.socket_path)
            except OSError:
                pass
        shutil.rmtree(self.home, ignore_errors=True)


class Console:
    """`barbican-status console` started from the pane's shell, for one
    deployment. The shell records the terminal settings before and after
    (stty -g), the console's pid (through an exec) and its exit status."""

    def __init__(self, tmux, dep, args=("--interval", "0.5"), stty_before=None):
        self.t = tmux
        self.dep = dep
        self.dir = tempfile.mkdtemp(prefix="bs-tui-run-")
        self.dump = os.path.join(self.dir, "screen.txt")
        self.pidfile = os.path.join(self.dir, "pid")
        self.rcfile = os.path.join(self.dir, "rc")
        self.before = os.path.join(self.dir, "stty-before")
        self.after = os.path.join(self.dir, "stty-after")
        q = shlex.quote
        argv = [h.BIN, "--config-file", dep.conf, "console", "--dump", self.dump] + list(args)
        pre = (stty_before + "; ") if stty_before else ""
        # sh -c 'echo $$ > pid; exec "$@"': the console gets the pid sh had
        cmd = ("%sstty -g > %s; sh -c 'echo $$ > %s; exec \"$@\"' sh %s; echo $? > %s; "
               "stty -g > %s" % (pre, q(self.before), q(self.pidfile),
                                 " ".join(q(a) for a in argv), q(self.rcfile), q(self.after)))
        self.t.line("clear; " + cmd)
        self.pid = None
        deadline = time.monotonic() + 10
        while self.pid is None:
            try:
                with open(self.pidfile) as f:
                    self.pid = int(f.read().strip() or "0") or None
            except (OSError, ValueError):
                pass
            if time.monotonic() > deadline:
                raise AssertionError("the console did not start:\n" + self.t.capture())
            time.sleep(0.01)

    def wait_screen(self, pred, timeout=10, what="it"):
        return self.t.wait(pred, timeout, what)

    def wait_ready(self, timeout=15):
        """Until the first complete refresh shows (the header says
        "refreshed AGE ago")."""
        return self.wait_screen(lambda s: "refreshed " in s.split("\n", 1)[0] and
                                " ago" in s.split("\n", 1)[0], timeout,
                                "the header after a complete refresh")

    def exited(self):
        return os.path.exists(self.rcfile) and os.path.exists(self.after)

    def wait_exit(self, timeout=10):
        deadline = time.monotonic() + timeout
        while not self.exited():
            if time.monotonic() > deadline:
                raise AssertionError("the console did not exit in %.0f s:\n%s" %
                                     (timeout, self.t.capture()))
            time.sleep(0.02)
        time.sleep(0.05)  # the shell writes "after" after rc: let it finish
        with open(self.rcfile) as f:
            return int(f.read().strip())

    def stty(self):
        with open(self.before) as f:
            b = f.read().strip()
        with open(self.after) as f:
            a = f.read().strip()
        return b, a

    def read_dump(self):
        with open(self.dump, "rb") as f:
            return f.read()

    def kill(self, sig=signal.SIGTERM):
        os.kill(self.pid, sig)

    def close(self):
        if self.pid and not self.exited():
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        shutil.rmtree(self.dir, ignore_errors=True)


# ---- reading the screen (tui/README.md) ----

def header(screen):
    return screen.split("\n", 1)[0]


def footer(screen):
    rows = screen.rstrip("\n").split("\n")
    return rows[-1] if rows else ""


def in_dialog(screen):
    """The footer of a dialog reads "Esc close" (tui/README.md, Footer)."""
    return "Esc close" in footer(screen)


def main_footer(screen):
    return footer(screen).startswith(" q quit  ? help")


def node_row(screen, name):
    """The Nodes box row of node NAME (cut names are not found)."""
    for r in screen.split("\n"):
        if r.startswith("│ " + name + " "):
            return r
    return None


def column_header(screen):
    for r in screen.split("\n"):
        if r.startswith("│ NAME "):
            return r
    return None


def nodes_top(screen):
    for r in screen.split("\n"):
        if "Nodes (" in r:
            return r
    return None


def measure_help_latency(tmux, tries=10):
    """Seconds from send-keys '?' until the help shows (footer "Esc close"),
    over `tries` tries; Esc closes it between tries."""
    out = []
    for _ in range(tries):
        tmux.wait(main_footer, 10, "the main footer")
        t0 = time.monotonic()
        tmux.keys("?")
        tmux.wait(in_dialog, 10, "the help", interval=0.002)
        out.append(time.monotonic() - t0)
        tmux.keys("Escape")
    tmux.wait(main_footer, 10, "the main footer")
    return out
