#!/usr/bin/python3
"""synthetic-migrate.py REVISION: `barbican-manage db upgrade -v REVISION` for
the synthetic migration of the demo manifest ([upgrade] manifest = demo,
data/demo/), which no real barbican-manage knows.

    c0a7ac7de300 (contract, down revision 8c74e2d7f1ff)

It stands for a contract migration and changes nothing but alembic_version:
the row moves from the down revision to REVISION, in one transaction, only if
the database is at the down revision (else exit 1, as alembic would refuse).
The database URL comes from the environment, as barbican-status gives it to a
step (OS_DEFAULT__SQL_CONNECTION, or OS_DATABASE__CONNECTION):
postgresql+psycopg2:// or mysql+pymysql://. It prints alembic's line."""
import os
import sys
from urllib.parse import unquote, urlsplit

MIGRATIONS = {"c0a7ac7de300": "8c74e2d7f1ff"}


def connect(url):
    u = urlsplit(url)
    kw = dict(host=u.hostname, port=u.port, user=unquote(u.username or ""),
              password=unquote(u.password or ""))
    db = u.path.lstrip("/")
    if u.scheme.startswith("postgresql"):
        import psycopg2
        return psycopg2.connect(dbname=db, **kw)
    if u.scheme.startswith("mysql"):
        import pymysql
        return pymysql.connect(database=db, **kw)
    sys.exit("synthetic-migrate: unsupported database URL scheme %r" % u.scheme)


def main():
    if len(sys.argv) != 2 or sys.argv[1] not in MIGRATIONS:
        sys.exit("usage: synthetic-migrate.py REVISION (one of: %s)" % ", ".join(MIGRATIONS))
    rev = sys.argv[1]
    down = MIGRATIONS[rev]
    url = os.environ.get("OS_DEFAULT__SQL_CONNECTION") or os.environ.get("OS_DATABASE__CONNECTION")
    if not url:
        sys.exit("synthetic-migrate: no OS_DEFAULT__SQL_CONNECTION in the environment")
    conn = connect(url)
    try:
        cur = conn.cursor()
        cur.execute("SELECT version_num FROM alembic_version")
        heads = [r[0] for r in cur.fetchall()]
        if heads == [rev]:
            print("INFO  [alembic.runtime.migration] already at %s" % rev)
            return 0
        if heads != [down]:
            print("synthetic-migrate: the database is at %s, not %s: nothing done"
                  % (", ".join(heads) or "no revision", down), file=sys.stderr)
            return 1
        print("INFO  [alembic.runtime.migration] Running upgrade %s -> %s, Synthetic contract "
              "for rehearsals (demo only)" % (down, rev), flush=True)
        cur.execute("UPDATE alembic_version SET version_num = %s WHERE version_num = %s",
                    (rev, down))
        conn.commit()
    finally:
        conn.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
