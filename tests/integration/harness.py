"""Shared pieces of the integration tests (run with Debian's /usr/bin/python3).

- Env: the running test environment (tests/env/testenv.sh up DIR): a private
  PostgreSQL on 127.0.0.1 and the real barbican-api. Found through
  $BS_TESTENV (DIR or DIR/env.json). Missing: the test FAILS, it never skips.
- Sim: the node simulator (bs-nodesim) with a fleet, on loopback ports.
- Deployment: a database from a template, a Sim with a fleet (load_fleet:
  tests/sim/fleets/NAME) and the config an operator would write for them.
- run(): barbican-status with a config written for the test, a throw-away
  HOME and a clean environment, so that nothing of the machine leaks in.
"""
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import unittest

BUILD = os.environ.get("BS_BUILD_ROOT", os.path.join(os.path.dirname(__file__), "../../build"))
SOURCE = os.environ.get("BS_SOURCE_ROOT", os.path.join(os.path.dirname(__file__), "../.."))
BIN = os.path.join(BUILD, "cli", "barbican-status")
NODESIM = os.path.join(BUILD, "tests", "sim", "bs-nodesim")
FLEETS = os.path.join(SOURCE, "tests", "sim", "fleets")


class EnvMissing(AssertionError):
    pass


_env = None


def env():
    """The test environment description (env.json); raises if not running."""
    global _env
    if _env is not None:
        return _env
    where = os.environ.get("BS_TESTENV")
    if not where:
        raise EnvMissing("BS_TESTENV is not set: start the test environment with "
                         "tests/env/testenv.sh up DIR and export BS_TESTENV=DIR "
                         "(scripts/test.sh does both)")
    path = where if where.endswith(".json") else os.path.join(where, "env.json")
    if not os.path.exists(path):
        raise EnvMissing("%s does not exist: the test environment is not up" % path)
    with open(path) as f:
        _env = json.load(f)
    return _env


def pg_connect(dbname="postgres"):
    import psycopg2
    e = env()["pg"]
    conn = psycopg2.connect(host=e["host"], port=e["port"], user=e["user"],
                            password=e["password"], dbname=dbname)
    conn.autocommit = True
    return conn


def sql_url(dbname, password=None, port=None, driver="postgresql+psycopg2"):
    e = env()["pg"]
    from urllib.parse import quote
    pw = e["password"] if password is None else password
    return "%s://%s:%s@%s:%s/%s" % (driver, quote(e["user"], safe=""), quote(pw, safe=""),
                                    e["host"], port or e["port"], dbname)


_db_counter = [0]


def create_db(template=None, name=None):
    """A new database, from a template ("tmpl_14x", "tmpl_15x") or empty."""
    _db_counter[0] += 1
    name = name or "it_%d_%d" % (os.getpid(), _db_counter[0])
    conn = pg_connect()
    with conn.cursor() as cur:
        cur.execute('DROP DATABASE IF EXISTS "%s"' % name)
        if template:
            cur.execute('CREATE DATABASE "%s" TEMPLATE "%s"' % (name, template))
        else:
            cur.execute('CREATE DATABASE "%s"' % name)
    conn.close()
    return name


def drop_db(name):
    """Drop it, whoever is connected (an autovacuum worker, which FORCE may not
    end at once, makes it try again for a few seconds)."""
    import psycopg2
    conn = pg_connect()
    try:
        for attempt in range(20):
            try:
                with conn.cursor() as cur:
                    cur.execute('DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % name)
                return
            except psycopg2.Error:
                if attempt == 19:
                    raise
                time.sleep(0.25)
    finally:
        conn.close()


def db_exec(dbname, sql, params=None):
    conn = pg_connect(dbname)
    with conn.cursor() as cur:
        cur.execute(sql, params)
    conn.close()


# --- MariaDB and Galera (tests/env/mariadb.sh) -------------------------------

def my_env():
    return env()["mariadb"]


def my_port(node=None):
    """The standalone MariaDB's port, or Galera node 1 or 2's."""
    return my_env()["port"] if node is None else env()["galera"]["nodes"][node - 1]["port"]


def my_url(dbname, node=None, password=None, user=None, driver="mysql+pymysql"):
    from urllib.parse import quote
    e = my_env()
    pw = e["password"] if password is None else password
    return "%s://%s:%s@%s:%s/%s" % (driver, quote(user or e["user"], safe=""),
                                    quote(pw, safe=""), e["host"], my_port(node), dbname)


def my_connect(dbname=None, node=None, user=None, password=None):
    import pymysql
    e = my_env()
    return pymysql.connect(host=e["host"], port=my_port(node), user=user or e["user"],
                           password=e["password"] if password is None else password,
                           database=dbname, autocommit=True, connect_timeout=5)


def my_query(dbname, sql, args=None, node=None):
    """Run sql in dbname; on a Galera node, after every write the cluster
    committed before it (wsrep_sync_wait: a database just made on the other
    node exists here too)."""
    conn = my_connect(None if node else dbname, node)
    try:
        with conn.cursor() as cur:
            if node:
                cur.execute("SET SESSION wsrep_sync_wait = 15")
                cur.execute("USE `%s`" % dbname)
            cur.execute(sql, args)
            return cur.fetchall()
    finally:
        conn.close()


def my_newdb(kind, galera=False):
    """A fresh MariaDB database: "14x", "15x" (copies of what barbican-manage
    made) or "empty"; on Galera node 1 when galera."""
    _db_counter[0] += 1
    name = "it_%d_%d" % (os.getpid(), _db_counter[0])
    argv = my_env()["newdb_argv"] + [name, kind] + (["galera"] if galera else [])
    p = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    if p.returncode != 0:
        raise AssertionError("%s: exit %d: %s" % (argv, p.returncode, p.stderr))
    return name


def my_dropdb(name, galera=False):
    a = my_env()["newdb_argv"]
    subprocess.run([a[0], "dropdb", a[2], name] + (["galera"] if galera else []),
                   capture_output=True, text=True, timeout=120)


class Sim:
    """bs-nodesim serving a fleet; .port(name) and .url(name)."""

    def __init__(self, fleet):
        self.dir = tempfile.mkdtemp(prefix="bs-sim-")
        self.fleet_path = os.path.join(self.dir, "fleet.json")
        self.ports_path = os.path.join(self.dir, "ports.json")
        with open(self.fleet_path, "w") as f:
            json.dump(fleet, f)
        self.log = open(os.path.join(self.dir, "sim.log"), "w")
        self.proc = subprocess.Popen([NODESIM, "--fleet", self.fleet_path, "--ports-file",
                                      self.ports_path], stdout=self.log, stderr=self.log)
        deadline = time.monotonic() + 10
        while not os.path.exists(self.ports_path):
            if self.proc.poll() is not None:
                raise AssertionError("bs-nodesim exited with %s: %s" % (
                    self.proc.returncode, open(os.path.join(self.dir, "sim.log")).read()))
            if time.monotonic() > deadline:
                raise AssertionError("bs-nodesim did not write its ports file in 10 s")
            time.sleep(0.02)
        with open(self.ports_path) as f:
            self.ports = json.load(f)

    def port(self, name):
        return self.ports["nodes"][name]

    def url(self, name, path=""):
        return "http://127.0.0.1:%d%s" % (self.port(name), path)

    def control(self):
        return "http://127.0.0.1:%d" % self.ports["control"]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def load_fleet(name="demo-14.json"):
    with open(os.path.join(FLEETS, name)) as f:
        return json.load(f)


def fleet_node(fleet, name):
    for n in fleet["nodes"]:
        if n["name"] == name:
            return n
    raise KeyError(name)


class Deployment:
    """A database from a template, a simulated fleet, and the config an
    operator would write for them ([node:NAME] with url/report_url, [steps],
    [journal] in a temporary directory).
    steps: {OPTION: command} for [steps], or a function from the simulator's
    control command (`bs-nodesim ctl --ports-file ...`) to that dict, for
    steps that drive the simulator.
    node_timeouts: {NAME: seconds} for [node:NAME] timeout (a node that
    hangs is then in flight that long)."""

    def __init__(self, fleet, template="tmpl_14x", target="15.0.1", steps=None,
                 node_timeouts=None, extra="", backend="postgresql"):
        """backend: "postgresql", "mariadb" (the standalone server) or
        "galera" (the database on the cluster, the URL to node 1)."""
        self.fleet = fleet
        self.backend = backend
        if backend == "postgresql":
            self.db = create_db(template)
            self.url = sql_url(self.db)
        else:
            kind = {"tmpl_14x": "14x", "tmpl_15x": "15x", None: "empty"}[template]
            self.db = my_newdb(kind, galera=backend == "galera")
            self.url = my_url(self.db, node=1 if backend == "galera" else None)
        self.sim = None
        self.dir = tempfile.mkdtemp(prefix="bs-dep-")
        try:
            self.sim = Sim(fleet)
            self.ctl_command = "%s ctl --ports-file %s" % (NODESIM, self.sim.ports_path)
            if callable(steps):
                steps = steps(self.ctl_command)
            self.journal = os.path.join(self.dir, "journal.jsonl")
            lines = ["[DEFAULT]", "sql_connection = %s" % self.url,
                     "[upgrade]", "target_release = %s" % target,
                     "[probes]", "timeout = 2",
                     "[journal]", "path = %s" % self.journal]
            if steps:
                lines.append("[steps]")
                lines += ["%s = %s" % kv for kv in steps.items()]
            for n in fleet["nodes"]:
                svc = n.get("service", "barbican-api")
                lines += ["[node:%s]" % n["name"], "service = %s" % svc]
                kind = n.get("kind", "api")
                if kind in ("api", "api+report"):
                    lines.append("url = %s" % self.sim.url(n["name"]))
                if kind in ("report", "api+report"):
                    lines.append("report_url = %s" % self.sim.url(n["name"], "/version-report"))
                if node_timeouts and n["name"] in node_timeouts:
                    lines.append("timeout = %s" % node_timeouts[n["name"]])
            self.conf = os.path.join(self.dir, "barbican-status.conf")
            self.text = "\n".join(lines) + "\n" + extra
            with open(self.conf, "w") as f:
                f.write(self.text)
        except BaseException:
            self.close()
            raise

    def run(self, *args, timeout=120):
        """barbican-status with this deployment's config."""
        return run(list(args), config_files=[self.conf], timeout=timeout)

    def ctl(self, *args):
        """bs-nodesim ctl against this fleet; returns its stdout."""
        p = subprocess.run([NODESIM, "ctl", "--ports-file", self.sim.ports_path] + list(args),
                           capture_output=True, text=True, timeout=60)
        if p.returncode != 0:
            raise AssertionError("bs-nodesim ctl %s: exit %d: %s" % (args, p.returncode, p.stderr))
        return p.stdout

    def set_node(self, name, obj):
        return self.ctl("set", name, json.dumps(obj))

    def operator(self, name, url=None, extra=""):
        """The config of another operator of the same deployment: its own
        journal, and (url) its own way to the database, e.g. another Galera
        node. Returns the config's path."""
        text = self.text.replace("path = %s" % self.journal,
                                 "path = %s" % os.path.join(self.dir, name + ".jsonl"))
        if url:
            text = text.replace("sql_connection = %s" % self.url, "sql_connection = %s" % url)
        path = os.path.join(self.dir, name + ".conf")
        with open(path, "w") as f:
            f.write(text + extra)
        return path

    def close(self):
        if self.sim:
            self.sim.stop()
        if self.backend == "postgresql":
            drop_db(self.db)
        else:
            my_dropdb(self.db, galera=self.backend == "galera")
        shutil.rmtree(self.dir, ignore_errors=True)


def sanitizer_env():
    """The sanitizers' options of `meson test --setup asan` (build-asan), passed
    on through the clean environments the tests make (without them ASan and
    UBSan still stop at the first report, -fno-sanitize-recover=all, but exit 1)."""
    return {k: v for k, v in os.environ.items()
            if k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS")}


def write_conf(text):
    fd, path = tempfile.mkstemp(prefix="bs-it-", suffix=".conf")
    with os.fdopen(fd, "w") as f:
        f.write(text)
    return path


def run(args, conf_text=None, env_extra=None, timeout=60, config_files=None):
    """Run barbican-status; returns (exit code, stdout, stderr)."""
    home = tempfile.mkdtemp(prefix="bs-home-")
    paths = []
    try:
        argv = [BIN]
        if conf_text is not None:
            p = write_conf(conf_text)
            paths.append(p)
            argv += ["--config-file", p]
        for c in config_files or []:
            argv += ["--config-file", c]
        argv += args
        e = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": home, "LANG": "C.UTF-8",
             # no Barbican installed here as far as the target is concerned
             "BARBICAN_STATUS_SITE_DIRS": "/nonexistent"}
        e.update(sanitizer_env())
        e.update(env_extra or {})
        p = subprocess.run(argv, capture_output=True, text=True, env=e, timeout=timeout,
                           cwd=home)
        return p.returncode, p.stdout, p.stderr
    finally:
        for p in paths:
            os.unlink(p)
        shutil.rmtree(home, ignore_errors=True)


def check(doc, check_id):
    for c in doc["checks"]:
        if c["id"] == check_id:
            return c
    raise AssertionError("no check %s in %s" % (check_id, doc))


def main():
    unittest.main(verbosity=2)
