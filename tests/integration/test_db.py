#!/usr/bin/python3
"""The database probe and the database checks against a real PostgreSQL
(private server of the test environment, scram-sha-256 passwords), with
schemas made by the real barbican-manage (templates tmpl_14x, tmpl_15x)."""
import json
import unittest

import harness as h


def conf(url, target="15.0.1", extra=""):
    t = "[upgrade]\ntarget_release = %s\n" % target if target else ""
    return "[DEFAULT]\nsql_connection = %s\n%s%s" % (url, t, extra)


class DatabaseStates(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dbs = []

    @classmethod
    def tearDownClass(cls):
        for d in cls.dbs:
            h.drop_db(d)

    def db(self, template=None):
        name = h.create_db(template)
        self.dbs.append(name)
        return name

    def migrations(self, url, target="15.0.1", extra=""):
        rc, out, err = h.run(["migrations", "--json"], conf(url, target, extra))
        self.assertEqual(rc, 0, err)
        return json.loads(out)

    def upgrade_check(self, url, target="15.0.1", extra=""):
        rc, out, err = h.run(["upgrade", "check", "--json"], conf(url, target, extra))
        self.assertIn(rc, (0, 1, 2), err)
        return rc, json.loads(out)

    def test_14x_schema_made_by_barbican_manage_has_one_expand_pending_for_15(self):
        url = h.sql_url(self.db("tmpl_14x"))
        doc = self.migrations(url)
        self.assertEqual(doc["current"], ["0f8c192a061f"])
        self.assertEqual(doc["verdict"], "pending")
        self.assertEqual([p["revision"] for p in doc["pending"]], ["8c74e2d7f1ff"])
        self.assertEqual(doc["pending"][0]["class"], "expand")
        self.assertEqual(doc["target"]["heads"], ["8c74e2d7f1ff"])
        rc, chk = self.upgrade_check(url)
        self.assertEqual(h.check(chk, "db-revision")["result"], 0)
        pending = h.check(chk, "db-pending")
        self.assertEqual(pending["result"], 0)
        self.assertIn("barbican-manage db upgrade", pending["remediation"])

    def test_15x_head_is_up_to_date_for_every_release_from_15_to_22(self):
        url = h.sql_url(self.db("tmpl_15x"))
        for target in ("15.0.1", "16.0.2", "18.0.0", "20.0.0", "22.0.0"):
            doc = self.migrations(url, target)
            self.assertEqual(doc["verdict"], "up to date", target)
            self.assertEqual(doc["pending"], [])

    def test_15x_head_is_ahead_of_a_14x_target(self):
        url = h.sql_url(self.db("tmpl_15x"))
        doc = self.migrations(url, "14.0.2")
        self.assertEqual(doc["verdict"], "ahead")
        rc, chk = self.upgrade_check(url, "14.0.2")
        self.assertEqual(rc, 2)
        self.assertIn("ahead", h.check(chk, "db-revision")["details"])

    def test_cold_revision_is_a_failure_that_names_10_0_0(self):
        name = self.db("tmpl_14x")
        h.db_exec(name, "UPDATE alembic_version SET version_num = '1bece815014f'")
        url = h.sql_url(name)
        self.assertEqual(self.migrations(url)["verdict"], "cold")
        rc, chk = self.upgrade_check(url)
        self.assertEqual(rc, 2)
        c = h.check(chk, "db-revision")
        self.assertEqual(c["result"], 2)
        self.assertIn("0f8c192a061f", c["remediation"])
        self.assertIn("10.0.0", c["remediation"])

    def test_empty_database_is_not_under_version_control(self):
        url = h.sql_url(self.db(None))
        doc = self.migrations(url)
        self.assertFalse(doc["database"]["versioned"])
        self.assertTrue(doc["database"]["reachable"])
        self.assertEqual(doc["verdict"], "unknown")
        rc, chk = self.upgrade_check(url)
        self.assertEqual(rc, 2)
        self.assertIn("not under version control", h.check(chk, "db-revision")["details"])

    def test_two_rows_in_alembic_version_are_two_heads(self):
        name = self.db("tmpl_14x")
        h.db_exec(name, "INSERT INTO alembic_version VALUES ('deadbeef0001')")
        doc = self.migrations(h.sql_url(name))
        self.assertEqual(sorted(doc["current"]), ["0f8c192a061f", "deadbeef0001"])
        self.assertEqual(doc["verdict"], "unknown")
        self.assertEqual(doc["reason"], "deadbeef0001")

    def test_unreachable_database_is_a_failure_of_the_checks_not_an_error(self):
        url = h.sql_url("barbican", port=1)
        rc, chk = self.upgrade_check(url)
        self.assertEqual(rc, 2)
        c = h.check(chk, "db-revision")
        self.assertEqual(c["result"], 2)
        self.assertIn("Connection refused", c["details"])
        doc = self.migrations(url)
        self.assertFalse(doc["database"]["reachable"])
        self.assertEqual(doc["verdict"], "unknown")

    def test_wrong_password_fails_and_is_never_printed(self):
        secret = "Wr0ng-s3cret-%40-pw"
        url = h.sql_url(self.db("tmpl_14x"), password=secret)
        for args in (["upgrade", "check"], ["upgrade", "check", "--json"], ["migrations"],
                     ["migrations", "--json"]):
            rc, out, err = h.run(args, conf(url))
            self.assertNotIn("Wr0ng-s3cret", out + err, args)
            self.assertIn("password authentication failed", out + err, args)

    def test_right_password_is_never_printed_either(self):
        password = h.env()["pg"]["password"]
        url = h.sql_url(self.db("tmpl_14x"))
        for args in (["upgrade", "check"], ["upgrade", "check", "--json"], ["migrations"],
                     ["migrations", "--json"]):
            rc, out, err = h.run(args, conf(url))
            self.assertNotIn(password, out + err, args)
            if args[0] == "migrations":
                self.assertIn(":***@", out, args)

    def test_url_from_the_environment_wins_over_the_file_as_in_oslo_config(self):
        good = h.sql_url(self.db("tmpl_14x"))
        bad = h.sql_url("barbican", port=1)
        rc, out, err = h.run(["migrations", "--json"], conf(bad),
                             env_extra={"OS_DEFAULT__SQL_CONNECTION": good})
        self.assertEqual(json.loads(out)["current"], ["0f8c192a061f"])

    def test_release_19_reads_database_connection_and_says_when_both_differ(self):
        good = h.sql_url(self.db("tmpl_15x"))
        bad = h.sql_url("barbican", port=1)
        text = "[DEFAULT]\nsql_connection = %s\n[database]\nconnection = %s\n" % (bad, good)
        rc, out, err = h.run(["upgrade", "check", "--json"],
                             text + "[upgrade]\ntarget_release = 19.0.0\n")
        doc = json.loads(out)
        c = h.check(doc, "db-revision")
        self.assertIn("both set and differ", c["details"])
        self.assertIn("8c74e2d7f1ff", c["details"])  # it read [database] connection
        rc, out, err = h.run(["migrations", "--json"], text + "[upgrade]\ntarget_release = 18.0.0\n")
        self.assertFalse(json.loads(out)["database"]["reachable"])  # 18.0.0 reads sql_connection

    def test_sqlite_and_oracle_urls_are_a_warning_naming_the_scheme(self):
        for url, scheme in (("sqlite:///barbican.sqlite", "sqlite"),
                            ("oracle://u:p@127.0.0.1/barbican", "oracle")):
            rc, chk = self.upgrade_check(url)
            c = h.check(chk, "db-revision")
            self.assertEqual(c["result"], 1, url)
            self.assertIn("uses %s" % scheme, c["details"])

    def test_a_mysql_url_is_read_not_a_warning(self):
        # nothing listens on port 1: a Failure of the database checks with the cause
        rc, chk = self.upgrade_check("mysql+pymysql://u:p@127.0.0.1:1/barbican")
        c = h.check(chk, "db-revision")
        self.assertEqual(c["result"], 2)
        self.assertNotIn("uses mysql", c["details"])

    def test_unset_sql_connection_is_barbicans_sqlite_default(self):
        rc, out, err = h.run(["upgrade", "check", "--json"], "[upgrade]\ntarget_release = 15.0.1\n")
        c = h.check(json.loads(out), "db-revision")
        self.assertEqual(c["result"], 1)
        self.assertIn("sqlite", c["details"])

    def test_text_output_of_migrations_names_the_pending_migration(self):
        url = h.sql_url(self.db("tmpl_14x"))
        rc, out, err = h.run(["migrations"], conf(url))
        self.assertEqual(rc, 0)
        self.assertIn("verdict:   pending", out)
        self.assertIn("8c74e2d7f1ff  expand", out)


class AdvisoryLockHolder(unittest.TestCase):
    """On PostgreSQL the upgrade lock is an advisory lock, per database. The
    probe first asks pg_locks alone whether anyone holds the key anywhere on
    the server (cheap for a new session), then, only if so, who holds it in
    this database (pg_stat_activity): both answers are checked here."""
    KEY = 7094142963671000165  # probes/lockobs.h BS_LOCK_KEY

    @classmethod
    def setUpClass(cls):
        cls.db = h.create_db("tmpl_14x")
        cls.other = h.create_db("tmpl_14x")

    @classmethod
    def tearDownClass(cls):
        h.drop_db(cls.db)
        h.drop_db(cls.other)

    def lock_blockers(self):
        rc, out, err = h.run(["upgrade", "plan", "--json"], conf(h.sql_url(self.db)))
        self.assertIn(rc, (0, 1, 2), err)
        return [b["text"] for b in json.loads(out)["blockers"] if b["code"] == "lock-held"]

    def hold(self, dbname, name):
        c = h.pg_connect(dbname)
        cur = c.cursor()
        cur.execute("SET application_name = %s", (name,))
        cur.execute("SELECT pg_advisory_lock(%s)", (self.KEY,))
        return c

    def test_nobody_holds_it(self):
        self.assertEqual(self.lock_blockers(), [])

    def test_a_holder_in_another_database_is_not_this_deployments(self):
        c = self.hold(self.other, "it: elsewhere")
        try:
            self.assertEqual(self.lock_blockers(), [])
        finally:
            c.close()

    def test_a_holder_in_this_database_is_named(self):
        elsewhere = self.hold(self.other, "it: elsewhere")
        here = self.hold(self.db, "it: here")
        try:
            self.assertEqual(self.lock_blockers(), ["lock held by it: here"])
        finally:
            here.close()
            elsewhere.close()
        self.assertEqual(self.lock_blockers(), [])


if __name__ == "__main__":
    h.main()
