#!/usr/bin/python3
"""MySQL/MariaDB and Galera end to end: the same observations as on
PostgreSQL, the upgrade lock across a two-node Galera cluster (two operators
at the same moment through two nodes, a holder killed with SIGKILL and taken
over), the shared record (a vouch seen by another operator), the real
barbican-manage expand on MariaDB, and Barbican's own tools unbothered by our
tables. Real servers from tests/env (mariadb.sh): fails, never skips, without
them."""
import json
import os
import signal
import socket
import subprocess
import threading
import time
import unittest

import harness as h


def upgrade_check(conf_text):
    rc, out, err = h.run(["upgrade", "check", "--json"], conf_text)
    return rc, json.loads(out), err


def conf_for(url, target="15.0.1", extra=""):
    return ("[DEFAULT]\nsql_connection = %s\n[upgrade]\ntarget_release = %s\n"
            "[probes]\ntimeout = 2\n%s" % (url, target, extra))


NO_NODES = {"nodes": []}
# a lone stock worker: nothing to ask, so its roll is vouched for
ONE_WORKER = {"nodes": [{"name": "w1", "kind": "none", "release": "14.0.2",
                         "service": "barbican-worker"}]}


class Observations(unittest.TestCase):
    """What `migrations` and `upgrade check` say of a MariaDB database."""

    def setUp(self):
        self.dbs = []

    def tearDown(self):
        for d in self.dbs:
            h.my_dropdb(d)

    def newdb(self, kind):
        name = h.my_newdb(kind)
        self.dbs.append(name)
        return name

    def migrations(self, url):
        rc, out, err = h.run(["migrations", "--json"], conf_for(url))
        self.assertEqual(rc, 0, err)
        return json.loads(out)

    def test_14x_and_15x_revisions_as_barbican_manage_left_them(self):
        for kind, rev, verdict in (("14x", "0f8c192a061f", "pending"),
                                   ("15x", "8c74e2d7f1ff", "up to date")):
            db = self.newdb(kind)
            m = self.migrations(h.my_url(db))
            self.assertTrue(m["database"]["reachable"], m)
            self.assertEqual(m["database"]["scheme"], "mysql+pymysql")
            self.assertEqual(m["current"], [rev])
            self.assertEqual(m["verdict"], verdict)
            self.assertNotIn(h.my_env()["password"], json.dumps(m))

    def test_a_single_server_is_not_a_cluster(self):
        db = self.newdb("15x")
        rc, doc, err = upgrade_check(conf_for(h.my_url(db)))
        c = h.check(doc, "db-cluster")
        self.assertEqual((c["result"], c["details"]), (0, "The MySQL database is not a cluster."))
        self.assertIsNone(self.migrations(h.my_url(db))["database"]["cluster"])

    def test_every_url_form_barbican_reads(self):
        db = self.newdb("15x")
        e = h.my_env()
        for driver in ("mysql+pymysql", "mysql", "mysql+mysqldb", "mariadb+pymysql",
                       "mariadb"):
            m = self.migrations(h.my_url(db, driver=driver))
            self.assertEqual(m["current"], ["8c74e2d7f1ff"], driver)
        # the unix socket (PyMySQL's query option; root, by MariaDB's
        # unix_socket authentication: the tests run as root), charset and
        # connect_timeout
        url = "mysql+pymysql://root@localhost/%s?unix_socket=%s&charset=utf8mb4&" \
              "connect_timeout=3" % (db, e["socket"])
        self.assertEqual(self.migrations(url)["current"], ["8c74e2d7f1ff"])

    def test_no_version_control(self):
        db = self.newdb("empty")
        rc, doc, err = upgrade_check(conf_for(h.my_url(db)))
        c = h.check(doc, "db-revision")
        self.assertIn("alembic_version", c["details"])
        m = self.migrations(h.my_url(db))
        self.assertTrue(m["database"]["reachable"])
        self.assertFalse(m["database"]["versioned"])

    def test_wrong_password_is_a_failure_without_the_password(self):
        db = self.newdb("15x")
        wrong = "Not-The-Pw-4711"
        rc, doc, err = upgrade_check(conf_for(h.my_url(db, password=wrong)))
        c = h.check(doc, "db-revision")
        self.assertEqual(c["result"], 2)
        self.assertIn("Access denied", c["details"])
        self.assertNotIn(wrong, json.dumps(doc) + err)
        self.assertEqual(rc, 2)

    def test_no_permission_on_alembic_version(self):
        db = self.newdb("15x")
        user, pw = "np_%d" % os.getpid(), "np-pw-%d" % os.getpid()
        admin = h.my_env()["admin_argv"]
        sql = ("CREATE USER '%s'@'127.0.0.1' IDENTIFIED BY '%s'; "
               "GRANT SELECT ON `%s`.secrets TO '%s'@'127.0.0.1';" % (user, pw, db, user))
        subprocess.run(admin, input=sql, text=True, check=True, timeout=30)
        try:
            rc, doc, err = upgrade_check(conf_for(h.my_url(db, user=user, password=pw)))
            c = h.check(doc, "db-revision")
            self.assertEqual(c["result"], 2)
            self.assertIn("no permission to read alembic_version", c["details"])
        finally:
            subprocess.run(admin, input="DROP USER '%s'@'127.0.0.1';" % user, text=True,
                           timeout=30)

    def test_unreachable_and_silent_servers_are_bounded_failures(self):
        # nothing listens
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        url = "mysql+pymysql://u:pw@127.0.0.1:%d/barbican" % port
        rc, doc, err = upgrade_check(conf_for(url))
        c = h.check(doc, "db-revision")
        self.assertEqual(c["result"], 2)
        self.assertIn("Can't connect", c["details"])
        # accepts and never answers: our timeout (2 s), not the driver's
        s.listen(8)
        t0 = time.monotonic()
        rc, doc, err = upgrade_check(conf_for(url))
        took = time.monotonic() - t0
        s.close()
        c = h.check(doc, "db-revision")
        self.assertEqual(c["result"], 2)
        self.assertIn("no answer from the database within 2.0 s", c["details"])
        self.assertLess(took, 6)

    def test_read_only_commands_create_nothing(self):
        db = self.newdb("14x")
        before = {r[0] for r in h.my_query(db, "SHOW TABLES")}
        text = conf_for(h.my_url(db), extra="[upgrade]\nallow_api_outage = true\n")
        for args in (["upgrade", "check"], ["migrations"], ["nodes"], ["upgrade", "plan"],
                     ["upgrade", "gate", "--before", "expand"], ["journal"]):
            h.run(args, text)
        self.assertEqual({r[0] for r in h.my_query(db, "SHOW TABLES")}, before)


class SharedRecord(unittest.TestCase):
    """The record in the database: steps and vouches seen by every operator."""

    def test_the_real_expand_on_mariadb_is_run_verified_and_recorded(self):
        d = h.Deployment(NO_NODES, "tmpl_14x", backend="mariadb",
                         extra="[upgrade]\nallow_api_outage = true\n")
        try:
            rc, out, err = d.run("upgrade", "next", "--yes", timeout=300)
            self.assertEqual(rc, 0, out + err)
            self.assertEqual(h.my_query(d.db, "SELECT version_num FROM alembic_version"),
                             (("8c74e2d7f1ff",),))
            rows = h.my_query(d.db, "SELECT step, outcome, argv FROM barbican_status_record")
            self.assertEqual(len(rows), 1)
            self.assertEqual(rows[0][:2], ("expand", "verified"))
            self.assertEqual(json.loads(rows[0][2]),
                             ["barbican-manage", "db", "upgrade", "-v", "8c74e2d7f1ff"])
            self.assertEqual(h.my_query(d.db, "SELECT count(*) FROM barbican_status_lock"),
                             ((0,),))
            # Barbican's own tools do not notice our tables
            env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": d.dir,
                   "OS_DEFAULT__SQL_CONNECTION": d.url}
            p = subprocess.run(["barbican-manage", "db", "upgrade"], env=env, cwd=d.dir,
                               capture_output=True, text=True, timeout=300)
            self.assertEqual(p.returncode, 0, p.stderr)
            p = subprocess.run(["barbican-manage", "db", "current"], env=env, cwd=d.dir,
                               capture_output=True, text=True, timeout=300)
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertIn("8c74e2d7f1ff", p.stdout + p.stderr)
        finally:
            d.close()

    def test_barbican_manage_upgrades_a_14x_database_with_our_tables_in_it(self):
        d = h.Deployment(NO_NODES, "tmpl_14x", backend="mariadb",
                         extra="[upgrade]\nallow_api_outage = true\n[steps]\nexpand = false\n")
        try:
            rc, out, err = d.run("upgrade", "next", "--yes")
            self.assertEqual(rc, 3, out + err)  # the step failed, but our tables exist now
            tables = {r[0] for r in h.my_query(d.db, "SHOW TABLES")}
            self.assertLessEqual({"barbican_status_record", "barbican_status_lock"}, tables)
            env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": d.dir,
                   "OS_DEFAULT__SQL_CONNECTION": d.url}
            p = subprocess.run(["barbican-manage", "db", "upgrade"], env=env, cwd=d.dir,
                               capture_output=True, text=True, timeout=300)
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertEqual(h.my_query(d.db, "SELECT version_num FROM alembic_version"),
                             (("8c74e2d7f1ff",),))
            # and Barbican's own upgrade check, with that database configured
            conf = os.path.join(d.dir, "barbican.conf")
            with open(conf, "w") as f:
                f.write("[DEFAULT]\nsql_connection = %s\n" % d.url)
            p = subprocess.run([os.path.join(h.SOURCE, "tests/real/real-barbican-status.sh"),
                                "--config-file", conf, "upgrade", "check"],
                               capture_output=True, text=True, timeout=120)
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        finally:
            d.close()

    def test_without_create_an_acting_command_refuses_and_runs_nothing(self):
        d = h.Deployment(NO_NODES, "tmpl_14x", backend="mariadb",
                         extra="[upgrade]\nallow_api_outage = true\n[steps]\nexpand = "
                               "touch /tmp/bs-must-not-run-%d\n" % os.getpid())
        try:
            e = h.my_env()
            ro = d.operator("ro", url=h.my_url(d.db, user=e["ro_user"], password=e["ro_password"]))
            rc, out, err = h.run(["upgrade", "next", "--yes"], config_files=[ro])
            self.assertEqual(rc, 255, out + err)
            self.assertIn("cannot create the shared record's tables", err)
            self.assertIn("[record] backend = file", err)
            self.assertFalse(os.path.exists("/tmp/bs-must-not-run-%d" % os.getpid()))
            # the same user, reading only: every observing command works
            rc, out, err = h.run(["upgrade", "plan", "--json"], config_files=[ro])
            self.assertEqual(json.loads(out)["database"]["current"], ["0f8c192a061f"])
        finally:
            d.close()

    def test_a_vouch_by_one_operator_is_seen_by_another(self):
        d = h.Deployment(ONE_WORKER, "tmpl_15x", backend="mariadb",
                         steps={"upgrade_node": "true", "settle_timeout": "1"},
                         extra="[upgrade]\nallow_api_outage = true\n")
        try:
            other = d.operator("bob")
            rc, out, err = h.run(["upgrade", "plan", "--json"], config_files=[other])
            node = [n for n in json.loads(out)["nodes"] if n["name"] == "w1"][0]
            self.assertFalse(node["vouched"])
            rc, out, err = d.run("upgrade", "next", "--yes", "--confirm-unobservable")
            self.assertEqual(rc, 0, out + err)
            # bob: another journal file, another HOME (h.run makes one)
            rc, out, err = h.run(["upgrade", "plan", "--json"], config_files=[other])
            node = [n for n in json.loads(out)["nodes"] if n["name"] == "w1"][0]
            self.assertTrue(node["vouched"], out)
            rc, out, err = h.run(["journal", "--json"], config_files=[other])
            outcomes = [r["outcome"] for r in json.loads(out)["records"]]
            self.assertIn("vouched", outcomes)
        finally:
            d.close()


def lock_row(d, node=None):
    """The lock row (empty while the tables are not made yet)."""
    try:
        return h.my_query(d.db, "SELECT step, user_name, lease_until FROM barbican_status_lock",
                          node=node)
    except Exception as e:  # pymysql.err.ProgrammingError 1146: no table yet
        if "1146" not in str(e):
            raise
        return ()


class GaleraLock(unittest.TestCase):
    """The upgrade lock across a two-node Galera cluster."""

    def test_db_cluster_names_the_cluster_and_this_nodes_state(self):
        db = h.my_newdb("15x", galera=True)
        try:
            for node in (1, 2):
                url = h.my_url(db, node=node)
                rc, doc, err = upgrade_check(conf_for(url))
                c = h.check(doc, "db-cluster")
                self.assertEqual(c["result"], 0, c)
                self.assertEqual(c["details"], "Galera cluster of 2 nodes; the node "
                                 "barbican-status reads is Synced, in the Primary component.")
                rc, out, err = h.run(["migrations", "--json"], conf_for(url))
                self.assertEqual(json.loads(out)["database"]["cluster"],
                                 {"kind": "galera", "size": 2, "state": "Synced",
                                  "component": "Primary"})
        finally:
            h.my_dropdb(db, galera=True)

    def test_a_desynced_node_is_a_failure_and_no_step_starts(self):
        d = h.Deployment(NO_NODES, "tmpl_14x", backend="galera",
                         steps={"expand": "true", "settle_timeout": "1"},
                         extra="[upgrade]\nallow_api_outage = true\n")
        admin2 = h.env()["galera"]["nodes"][1]["admin_argv"]
        try:
            through2 = d.operator("bob", url=h.my_url(d.db, node=2))
            subprocess.run(admin2, input="SET GLOBAL wsrep_desync = ON;", text=True,
                           check=True, timeout=30)
            rc, out, err = h.run(["upgrade", "check", "--json"], config_files=[through2])
            c = h.check(json.loads(out), "db-cluster")
            self.assertEqual(c["result"], 2, c)
            self.assertIn("Donor/Desynced", c["details"])
            rc, out, err = h.run(["upgrade", "next", "--yes"], config_files=[through2])
            self.assertEqual(rc, 2, out + err)
            self.assertIn("Database Cluster", out + err)
            self.assertEqual(h.my_query(d.db, "SELECT version_num FROM alembic_version",
                                        node=1), (("0f8c192a061f",),))
        finally:
            subprocess.run(admin2, input="SET GLOBAL wsrep_desync = OFF;", text=True,
                           timeout=30)
            d.close()

    TRIALS = int(os.environ.get("BS_GALERA_TRIALS", "100"))

    def test_two_operators_through_two_nodes_exactly_one_step_runs(self):
        ran = os.path.join("/tmp", "bs-galera-ran-%d" % os.getpid())
        open(ran, "w").close()
        d = h.Deployment(NO_NODES, "tmpl_14x", backend="galera",
                         steps={"expand": "sh -c 'echo ran >> %s; sleep 0.2'" % ran,
                                "settle_timeout": "1"},
                         extra="[upgrade]\nallow_api_outage = true\n")
        try:
            a = d.operator("alice")
            b = d.operator("bob", url=h.my_url(d.db, node=2))
            refused_naming = races = 0
            for trial in range(self.TRIALS):
                procs = []
                for conf in (a, b):
                    procs.append(subprocess.Popen(
                        [h.BIN, "--config-file", conf, "upgrade", "next", "--yes"],
                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                        env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": d.dir,
                             "BARBICAN_STATUS_SITE_DIRS": "/nonexistent"}))
                res = [(p.wait(60), p.stdout.read() + p.stderr.read()) for p in procs]
                for p in procs:
                    p.stdout.close()
                    p.stderr.close()
                codes = sorted(r[0] for r in res)
                # the one that ran is not verified (the revision did not move)
                self.assertEqual(codes, [1, 2], "trial %d: %s" % (trial, res))
                loser = [r[1] for r in res if r[0] == 2][0]
                self.assertRegex(loser, r"held by expand by \S+@\S+ since \S+, lease until ")
                refused_naming += 1
                races += "at the same moment as ours" in loser
                with open(ran) as f:
                    self.assertEqual(len(f.read().splitlines()), trial + 1,
                                     "trial %d: not exactly one step ran" % trial)
            recs = h.my_query(d.db, "SELECT outcome, count(*) FROM barbican_status_record "
                              "GROUP BY outcome", node=2)
            self.assertEqual(dict(recs), {"not-verified": self.TRIALS})
            print("galera: %d trials, exactly one step each time, %d refusals naming the "
                  "holder, %d of them decided at commit (certification or row lock)"
                  % (self.TRIALS, refused_naming, races))
        finally:
            d.close()
            os.unlink(ran)

    def test_the_lease_is_renewed_while_a_long_step_runs(self):
        # lease 5 s, a step of 8 s: at 6.5 s the lock is still held, not vanished
        d = h.Deployment(NO_NODES, "tmpl_14x", backend="galera",
                         steps={"expand": "sleep 8", "settle_timeout": "1"},
                         extra="[upgrade]\nallow_api_outage = true\n[lock]\nlease = 5\n")
        try:
            b = d.operator("bob", url=h.my_url(d.db, node=2))
            holder = subprocess.Popen([h.BIN, "--config-file", d.conf, "upgrade", "next",
                                       "--yes"], stdout=subprocess.PIPE,
                                      stderr=subprocess.STDOUT, text=True)
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and not lock_row(d, node=2):
                time.sleep(0.1)
            t0 = time.monotonic()
            time.sleep(6.5)
            rc, out, err = h.run(["upgrade", "next", "--yes"], config_files=[b])
            self.assertEqual(rc, 2, out + err)
            self.assertIn("lock held by expand by", out + err)
            out = holder.communicate(timeout=60)[0]
            self.assertEqual(holder.returncode, 1, out)  # ran, the revision did not move
            self.assertGreater(time.monotonic() - t0, 6.5)
            recs = h.my_query(d.db, "SELECT outcome, detail FROM barbican_status_record", node=1)
            self.assertEqual(len(recs), 1)
            self.assertNotIn("took the upgrade lock over", recs[0][1])
            self.assertNotIn("could not be renewed", recs[0][1])
        finally:
            d.close()

    def test_a_holder_whose_lock_was_taken_away_says_so(self):
        # the lock row goes (as if another operator had taken it over): the
        # holder's next renewal finds it gone and its record says so
        d = h.Deployment(NO_NODES, "tmpl_14x", backend="galera",
                         steps={"expand": "sleep 5", "settle_timeout": "1"},
                         extra="[upgrade]\nallow_api_outage = true\n[lock]\nlease = 5\n")
        try:
            holder = subprocess.Popen([h.BIN, "--config-file", d.conf, "upgrade", "next",
                                       "--yes"], stdout=subprocess.PIPE,
                                      stderr=subprocess.STDOUT, text=True)
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and not lock_row(d, node=2):
                time.sleep(0.1)
            h.my_query(d.db, "DELETE FROM barbican_status_lock", node=2)
            out = holder.communicate(timeout=60)[0]
            recs = h.my_query(d.db, "SELECT outcome, detail FROM barbican_status_record", node=1)
            self.assertIn("another operator took the upgrade lock over", recs[0][1])
        finally:
            d.close()

    def test_a_killed_holder_is_taken_over_after_its_lease(self):
        d = h.Deployment(NO_NODES, "tmpl_14x", backend="galera",
                         steps={"expand": "sleep 60", "settle_timeout": "1"},
                         extra="[upgrade]\nallow_api_outage = true\n[lock]\nlease = 5\n")
        holder = None
        try:
            a = d.operator("alice")
            b = d.operator("bob", url=h.my_url(d.db, node=2),
                           extra="[steps]\nexpand = true\n")
            holder = subprocess.Popen([h.BIN, "--config-file", a, "upgrade", "next", "--yes"],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                      start_new_session=True)
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and not lock_row(d, node=2):
                time.sleep(0.1)
            self.assertTrue(lock_row(d, node=2), "the holder never took the lock")
            os.killpg(holder.pid, signal.SIGKILL)  # barbican-status and its step
            holder.wait()
            killed = time.monotonic()
            # refused while the lease runs, then told the holder vanished
            seen_live = seen_vanished = False
            while time.monotonic() - killed < 20:
                rc, out, err = h.run(["upgrade", "next", "--yes"], config_files=[b])
                self.assertEqual(rc, 2, out + err)
                if "lock held by expand by" in out + err:
                    self.assertFalse(seen_vanished)
                    seen_live = True
                elif "holder vanished" in out + err:
                    seen_vanished = True
                    self.assertIn("may still be running", out + err)
                    self.assertIn("--take-over", out + err)
                    break
                time.sleep(0.25)
            held_for = time.monotonic() - killed
            self.assertTrue(seen_live and seen_vanished, (out, err))
            self.assertGreater(held_for, 2.5)   # the lease (5 s) was not cut short
            rc, out, err = h.run(["upgrade", "next", "--yes", "--take-over"],
                                 config_files=[b])
            self.assertNotEqual(rc, 2, out + err)
            recs = h.my_query(d.db, "SELECT outcome, detail FROM barbican_status_record "
                              "ORDER BY start_at, id", node=1)
            self.assertEqual([r[0] for r in recs][0], "abandoned")
            self.assertIn("taken over by", recs[0][1])
            self.assertIn("took over from expand by", recs[1][1])
            print("galera: a killed holder kept the lock %.1f s (lease 5 s)" % held_for)
        finally:
            if holder and holder.poll() is None:
                os.killpg(holder.pid, signal.SIGKILL)
            d.close()


class PostgreSQLTakeOver(unittest.TestCase):
    """PostgreSQL keeps its advisory lock; a holder killed mid-step leaves a
    record that needs a take-over."""

    def test_a_killed_holder_needs_a_take_over(self):
        d = h.Deployment(NO_NODES, "tmpl_14x",
                         steps={"expand": "sleep 60", "settle_timeout": "1"},
                         extra="[upgrade]\nallow_api_outage = true\n")
        holder = None
        try:
            b = d.operator("bob", extra="[steps]\nexpand = true\n")
            holder = subprocess.Popen([h.BIN, "--config-file", d.conf, "upgrade", "next",
                                       "--yes"], stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL, start_new_session=True)
            deadline = time.monotonic() + 20
            rows = []
            while time.monotonic() < deadline and not rows:
                try:
                    conn = h.pg_connect(d.db)
                    with conn.cursor() as cur:
                        cur.execute("SELECT step FROM barbican_status.lock")
                        rows = cur.fetchall()
                    conn.close()
                except Exception:
                    rows = []
                time.sleep(0.1)
            self.assertTrue(rows)
            os.killpg(holder.pid, signal.SIGKILL)
            holder.wait()
            time.sleep(0.5)
            rc, out, err = h.run(["upgrade", "next", "--yes"], config_files=[b])
            self.assertEqual(rc, 2, out + err)
            self.assertIn("holder vanished", out + err)
            rc, out, err = h.run(["upgrade", "next", "--yes", "--take-over"], config_files=[b])
            self.assertNotEqual(rc, 2, out + err)
            # the tables exist already: PostgreSQL's notice of it is not printed
            self.assertNotIn("NOTICE", out + err)
            rc, out, err = h.run(["journal", "--json"], config_files=[b])
            outcomes = [r["outcome"] for r in json.loads(out)["records"]]
            self.assertEqual(outcomes[0], "abandoned")
        finally:
            if holder and holder.poll() is None:
                os.killpg(holder.pid, signal.SIGKILL)
            d.close()


if __name__ == "__main__":
    h.main()
