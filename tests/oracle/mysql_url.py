#!/usr/bin/python3
"""mysql_url.py: what Barbican's stack makes of a MySQL/MariaDB URL -- the
oracle for dburl_to_mysql (core/dburl.c). Run with /usr/bin/python3.

  mysql_url.py FILE         URLs from FILE: a JSON list of strings

For every URL one record of lines "FIELD ARG...", ending in "end"; strings
are "~" (None) or "x" + hex of the UTF-8 bytes (as sqla_url.py):

  url S
  kind ok|noparse|port|other     make_url, as sqla_url.py
  dialect NAME                   url.get_dialect().__name__
  kwargs error S                 create_connect_args (+ oslo.db) raised S
  kwarg KEY TYPE S               one connect argument: TYPE str|int|bool|tuple;
                                 the ssl dict as KEY "ssl.ca" etc.
  pymysql error S                pymysql.connections.Connection raised S
  pymysql FIELD S                what PyMySQL resolved: host port user
                                 password (hex of the bytes it sends) db
                                 unix_socket charset connect_timeout
                                 read_timeout write_timeout client_flag
                                 local_infile ssl ssl_ca ssl_capath ssl_cert
                                 ssl_key ssl_cipher ssl_verify_mode
                                 ssl_check_hostname read_default_file
                                 read_default_group
  end

The real code runs: make_url; oslo.db's _init_connection_args (the
connect_args it adds, merged as create_engine does: cparams.update);
the dialect's create_connect_args with its DBAPI loaded (PyMySQL; for the
mysqldb dialect, whose MySQLdb is not installed, PyMySQL stands in: only
its CLIENT.FOUND_ROWS is read, which is the protocol's 2 in both); then,
for the pymysql driver, PyMySQL's Connection(**kwargs, defer_connect=True),
with three spies that keep it off the file system: the option file parser
(reads nothing, records the file and group), ssl.create_default_context
and the context's load_cert_chain/set_ciphers (record their arguments).
"""
import json
import ssl as _ssl
import sys

import pymysql
import pymysql.connections as pc
from sqlalchemy import exc
from sqlalchemy.engine import url as sa_url
from oslo_db.sqlalchemy import engines


def enc(s):
    if s is None:
        return '~'
    return 'x' + str(s).encode('utf-8', 'surrogatepass').hex()


def hexb(b):
    return 'x' + bytes(b).hex()


_seen = {}


class _Parser(pc.Parser):
    def read(self, filenames, encoding=None):
        _seen['file'] = filenames
        return []

    def get(self, section, option):
        _seen['group'] = section
        return pc.Parser.get(self, section, option)


class _Ctx(_ssl.SSLContext):
    def load_cert_chain(self, certfile, keyfile=None, password=None):
        _seen['cert'] = certfile
        _seen['key'] = keyfile

    def set_ciphers(self, c):
        _seen['cipher'] = c


class _SslSpy:
    def __getattr__(self, name):
        return getattr(_ssl, name)

    def create_default_context(self, cafile=None, capath=None):
        _seen['ca'] = cafile
        _seen['capath'] = capath
        ctx = _Ctx(_ssl.PROTOCOL_TLS_CLIENT)
        return ctx


pc.Parser = _Parser
pc.ssl = _SslSpy()


def kwarg_lines(opts):
    out = []
    for k, v in opts.items():
        if isinstance(v, dict):
            for sk, sv in v.items():
                out.append('kwarg %s %s %s' % (enc(k + '.' + sk), type(sv).__name__,
                                               enc(int(sv) if isinstance(sv, bool) else sv)))
        else:
            out.append('kwarg %s %s %s' % (enc(k), type(v).__name__,
                                           enc(v if not isinstance(v, bool) else int(v))))
    return out


def pymysql_lines(opts):
    _seen.clear()
    kw = dict(opts)
    kw['defer_connect'] = True
    try:
        c = pc.Connection(**kw)
    except Exception as e:
        return ['pymysql error ' + enc('%s: %s' % (type(e).__name__, e))]
    if not isinstance(c.host, str) or not isinstance(c.user, (str, type(None))) \
            or not isinstance(c.unix_socket, (str, type(None))) \
            or not isinstance(c.db, (str, type(None))) \
            or not isinstance(c.password, bytes):
        # a tuple (a repeated key) or an int: fails on connecting
        return ['pymysql error ' + enc('TypeError: not a str')]
    out = []

    def f(name, v):
        out.append('pymysql %s %s' % (name, v))
    f('host', enc(c.host))
    f('port', c.port)
    f('user', enc(None if c.user == pc.DEFAULT_USER and 'user' not in opts else c.user))
    f('password', hexb(c.password))
    f('db', enc(c.db))
    f('unix_socket', enc(c.unix_socket))
    f('charset', enc(c.charset))
    f('connect_timeout', c.connect_timeout)
    f('read_timeout', '~' if c._read_timeout is None else c._read_timeout)
    f('write_timeout', '~' if c._write_timeout is None else c._write_timeout)
    f('client_flag', c.client_flag)
    f('local_infile', int(c._local_infile))
    f('ssl', int(c.ssl))
    if c.ssl:
        f('ssl_ca', enc(_seen.get('ca')))
        f('ssl_capath', enc(_seen.get('capath')))
        f('ssl_cert', enc(_seen.get('cert')))
        f('ssl_key', enc(_seen.get('key')))
        f('ssl_cipher', enc(_seen.get('cipher')))
        f('ssl_verify_mode', int(c.ctx.verify_mode))
        f('ssl_check_hostname', int(c.ctx.check_hostname))
    f('read_default_file', enc(_seen.get('file')))
    f('read_default_group', enc(_seen.get('group') if 'file' in _seen else None))
    return out


def record(text):
    out = ['url ' + enc(text)]
    try:
        u = sa_url.make_url(text)
    except exc.ArgumentError:
        return out + ['kind noparse', 'end']
    except ValueError:
        return out + ['kind port', 'end']
    out.append('kind ok')
    try:
        dialect_cls = u.get_dialect()
    except Exception as e:
        return out + ['dialect ~', 'end']
    out.append('dialect ' + dialect_cls.__name__)
    if u.get_backend_name() not in ('mysql', 'mariadb'):
        return out + ['end']
    try:
        engine_args = {'connect_args': {}}
        engines._init_connection_args(u, engine_args)
        try:
            dbapi = dialect_cls.dbapi()
        except ImportError:
            dbapi = pymysql  # MySQLdb is not installed: see the docstring
        dialect = dialect_cls(dbapi=dbapi)
        cargs, cparams = dialect.create_connect_args(u)
        cparams.update(engine_args['connect_args'])
    except Exception as e:
        return out + ['kwargs error ' + enc('%s: %s' % (type(e).__name__, e)), 'end']
    out.extend(kwarg_lines(cparams))
    if dialect_cls.driver == 'pymysql':
        out.extend(pymysql_lines(cparams))
    out.append('end')
    return out


def main(argv):
    with open(argv[1], 'rb') as f:
        urls = json.loads(f.read().decode('utf-8'))
    lines = []
    for u in urls:
        lines.extend(record(u))
    sys.stdout.write('\n'.join(lines) + '\n')
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
