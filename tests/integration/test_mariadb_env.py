#!/usr/bin/python3
"""The MariaDB part of the test environment (tests/env/mariadb.sh, started by
testenv.sh up): the private MariaDB, its users, the copies of the templates
made by the real barbican-manage, the two-node Galera cluster, and the real
barbican-api 15.0.1 running against MariaDB. Fails, never skips, when the
environment is not up. Driven by Debian's /usr/bin/python3 with PyMySQL."""
import json
import os
import subprocess
import time
import unittest
import urllib.request
import uuid

import pymysql

import harness as h


def my():
    return h.env()["mariadb"]


def connect(port=None, user=None, password=None, db=None, host=None):
    e = my()
    return pymysql.connect(host=host or e["host"], port=port or e["port"],
                           user=user or e["user"],
                           password=e["password"] if password is None else password,
                           database=db, autocommit=True, connect_timeout=5)


def query(conn, sql, args=None):
    with conn.cursor() as cur:
        cur.execute(sql, args)
        return cur.fetchall()


_n = [0]


def newdb(kind, galera=False):
    """A fresh database (copy of tmpl_14x / tmpl_15x, or empty) via mariadb.sh newdb."""
    _n[0] += 1
    name = "it_my_%d_%d" % (os.getpid(), _n[0])
    argv = my()["newdb_argv"] + [name, kind] + (["galera"] if galera else [])
    t = time.monotonic()
    p = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    took = time.monotonic() - t
    if p.returncode != 0:
        raise AssertionError("%s: exit %d: %s" % (argv, p.returncode, p.stderr))
    return name, took


def dropdb(name, galera=False):
    argv = my()["newdb_argv"][:-2] + ["dropdb", my()["newdb_argv"][-1], name] + (
        ["galera"] if galera else [])
    subprocess.run(argv, capture_output=True, text=True, timeout=60, check=True)


def listening(port):
    out = subprocess.run(["ss", "-Htln", "sport = :%d" % port], capture_output=True,
                         text=True, check=True).stdout
    return sorted({line.split()[3] for line in out.splitlines() if line.strip()})


def pg_tables(template):
    """Table names of a PostgreSQL clone of the template (made by barbican-manage too)."""
    db = h.create_db(template)
    try:
        conn = h.pg_connect(db)
        with conn.cursor() as cur:
            cur.execute("SELECT table_name FROM information_schema.tables "
                        "WHERE table_schema = 'public' AND table_type = 'BASE TABLE'")
            names = {r[0] for r in cur.fetchall()}
        conn.close()
        return names
    finally:
        h.drop_db(db)


def my_tables(conn, db):
    return {r[0] for r in query(conn, "SELECT table_name FROM information_schema.tables "
                                      "WHERE table_schema = %s AND table_type = 'BASE TABLE'", (db,))}


def fk_count(conn, db):
    return query(conn, "SELECT count(*) FROM information_schema.referential_constraints "
                       "WHERE constraint_schema = %s", (db,))[0][0]


class Standalone(unittest.TestCase):
    def test_listens_on_loopback_only(self):
        port = my()["port"]
        self.assertEqual(listening(port), ["127.0.0.1:%d" % port])
        self.assertEqual(my()["host"], "127.0.0.1")

    def test_users_log_in_over_tcp_and_a_wrong_password_fails(self):
        c = connect()
        self.assertEqual(query(c, "SELECT current_user()")[0][0], "barbican@127.0.0.1")
        c.close()
        c = connect(user=my()["ro_user"], password=my()["ro_password"])
        self.assertEqual(query(c, "SELECT current_user()")[0][0], "bs_ro@127.0.0.1")
        c.close()
        with self.assertRaises(pymysql.err.OperationalError) as cm:
            connect(password="wrong-" + my()["password"])
        self.assertEqual(cm.exception.args[0], 1045)  # access denied

    def test_admin_command_is_root_through_the_socket(self):
        p = subprocess.run(my()["admin_argv"] + ["-N", "-e", "SELECT current_user(), @@port, @@bind_address"],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout.split(), ["root@localhost", str(my()["port"]), "127.0.0.1"])

    def test_read_only_user_cannot_create_tables_but_barbican_can(self):
        db, _ = newdb("15x")
        try:
            ro = connect(user=my()["ro_user"], password=my()["ro_password"], db=db)
            self.assertEqual(query(ro, "SELECT version_num FROM alembic_version")[0][0], "8c74e2d7f1ff")
            with self.assertRaises(pymysql.err.OperationalError) as cm:
                query(ro, "CREATE TABLE bs_upgrade_lock (id INT PRIMARY KEY)")
            self.assertEqual(cm.exception.args[0], 1142, cm.exception)  # CREATE command denied
            with self.assertRaises(pymysql.err.OperationalError):
                query(ro, "INSERT INTO alembic_version VALUES ('x')")
            ro.close()
            rw = connect(db=db)
            query(rw, "CREATE TABLE bs_upgrade_lock (id INT PRIMARY KEY)")
            query(rw, "INSERT INTO bs_upgrade_lock VALUES (1)")
            self.assertEqual(query(rw, "SELECT count(*) FROM bs_upgrade_lock")[0][0], 1)
            rw.close()
        finally:
            dropdb(db)

    def check_copy(self, kind, rev, pg_template):
        db, took = newdb(kind)
        try:
            # well under a second on a quiet machine; bounded generously for a busy one
            self.assertLess(took, 10.0, "newdb %s took %.2f s" % (kind, took))
            c = connect(db=db)
            self.assertEqual([r[0] for r in query(c, "SELECT version_num FROM alembic_version")], [rev])
            tables = my_tables(c, db)
            # the same tables as barbican-manage made in PostgreSQL for that revision
            self.assertEqual(tables, pg_tables(pg_template))
            # and as barbican-manage made in MariaDB (the template itself), foreign keys included
            tmpl = "tmpl_" + kind
            self.assertEqual(tables, my_tables(c, tmpl))
            self.assertEqual(fk_count(c, db), fk_count(c, tmpl))
            self.assertGreater(fk_count(c, db), 0)
            c.close()
            return tables
        finally:
            dropdb(db)

    def test_14x_copy(self):
        t = self.check_copy("14x", h.env()["templates"]["tmpl_14x"], "tmpl_14x")
        self.assertEqual(h.env()["templates"]["tmpl_14x"], "0f8c192a061f")
        self.assertIn("secrets", t)

    def test_15x_copy(self):
        self.check_copy("15x", "8c74e2d7f1ff", "tmpl_15x")

    def test_empty_copy_and_names_are_fresh(self):
        db, _ = newdb("empty")
        try:
            c = connect(db=db)
            self.assertEqual(my_tables(c, db), set())
            c.close()
            # a second newdb of the same name fails rather than mixing schemas
            p = subprocess.run(my()["newdb_argv"] + [db, "15x"], capture_output=True, text=True, timeout=60)
            self.assertNotEqual(p.returncode, 0)
        finally:
            dropdb(db)


class Galera(unittest.TestCase):
    def nodes(self):
        return h.env()["galera"]["nodes"]

    def test_two_nodes_synced_on_loopback(self):
        for n in self.nodes():
            c = connect(port=n["port"])
            st = dict(query(c, "SHOW GLOBAL STATUS WHERE variable_name IN "
                               "('wsrep_cluster_size', 'wsrep_local_state_comment', 'wsrep_ready')"))
            self.assertEqual(st, {"wsrep_cluster_size": "2", "wsrep_local_state_comment": "Synced",
                                  "wsrep_ready": "ON"}, n)
            self.assertEqual(query(c, "SELECT @@wsrep_on, @@binlog_format, @@innodb_autoinc_lock_mode")[0],
                             (1, "ROW", 2))
            c.close()
            self.assertEqual(listening(n["port"]), ["127.0.0.1:%d" % n["port"]])
            self.assertEqual(listening(n["gcomm_port"]), ["127.0.0.1:%d" % n["gcomm_port"]])

    def test_a_row_written_on_node_2_is_read_on_node_1(self):
        n1, n2 = self.nodes()
        db, _ = newdb("empty", galera=True)
        try:
            # (the database was made on node 1: wait for node 2 to have applied it)
            c2 = connect(port=n2["port"])
            query(c2, "SET SESSION wsrep_sync_wait = 15")
            query(c2, "CREATE TABLE `%s`.t (id INT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(64))" % db)
            v = uuid.uuid4().hex
            query(c2, "INSERT INTO `%s`.t (v) VALUES (%%s)" % db, (v,))
            c2.close()
            c1 = connect(port=n1["port"])
            query(c1, "SET SESSION wsrep_sync_wait = 1")  # causal read
            self.assertEqual(query(c1, "SELECT count(*) FROM `%s`.t WHERE v = %%s" % db, (v,))[0][0], 1)
            c1.close()
        finally:
            dropdb(db, galera=True)

    def test_a_15x_copy_on_node_1_is_on_node_2(self):
        n1, n2 = self.nodes()
        db, took = newdb("15x", galera=True)
        try:
            self.assertLess(took, 3.0)
            c2 = connect(port=n2["port"])
            query(c2, "SET SESSION wsrep_sync_wait = 15")
            self.assertEqual(query(c2, "SELECT version_num FROM `%s`.alembic_version" % db)[0][0],
                             "8c74e2d7f1ff")
            self.assertEqual(my_tables(c2, db), pg_tables("tmpl_15x"))
            c2.close()
        finally:
            dropdb(db, galera=True)

    def test_read_only_user_on_galera(self):
        n2 = self.nodes()[1]
        c = connect(port=n2["port"], user=my()["ro_user"], password=my()["ro_password"])
        with self.assertRaises(pymysql.err.OperationalError) as cm:
            query(c, "CREATE DATABASE it_ro_must_fail")
        self.assertIn(cm.exception.args[0], (1044, 1142))
        c.close()


class ApiOnMariaDB(unittest.TestCase):
    def get(self, path, headers=None, data=None):
        req = urllib.request.Request(h.env()["api_mariadb"]["url"] + path, data=data,
                                     headers=headers or {})
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(req, timeout=30) as r:
            return r.status, r.read()

    def test_build_is_the_installed_release(self):
        st, body = self.get("/?build")
        self.assertEqual(st, 200)
        self.assertEqual(json.loads(body), {"build": "15.0.1"})
        self.assertEqual(h.env()["api_mariadb"]["release"], "15.0.1")

    def test_its_database_is_mariadb_at_15x(self):
        api = h.env()["api_mariadb"]
        self.assertTrue(my()["sql_connection"].startswith("mysql+pymysql://"))
        self.assertTrue(my()["sql_connection"].endswith("/" + api["db"]))
        c = connect(db=api["db"])
        self.assertEqual(query(c, "SELECT version_num FROM alembic_version")[0][0], "8c74e2d7f1ff")
        c.close()

    def test_a_secret_made_through_the_api_is_a_row_in_mariadb(self):
        name = "it-" + uuid.uuid4().hex
        hdr = {"X-Project-Id": "it-mariadb", "Content-Type": "application/json"}
        st, body = self.get("/v1/secrets", hdr, json.dumps(
            {"name": name, "payload": "p", "payload_content_type": "text/plain"}).encode())
        self.assertEqual(st, 201)
        ref = json.loads(body)["secret_ref"]
        st, body = self.get("/v1/secrets?name=" + name, {"X-Project-Id": "it-mariadb"})
        doc = json.loads(body)
        self.assertEqual(doc["total"], 1)
        self.assertEqual(doc["secrets"][0]["secret_ref"], ref)
        c = connect(db=h.env()["api_mariadb"]["db"])
        rows = query(c, "SELECT s.id, p.external_id FROM secrets s JOIN projects p "
                        "ON p.id = s.project_id WHERE s.name = %s", (name,))
        c.close()
        self.assertEqual(len(rows), 1)
        self.assertEqual(rows[0][1], "it-mariadb")
        self.assertTrue(ref.endswith("/" + rows[0][0]))


if __name__ == "__main__":
    h.main()
