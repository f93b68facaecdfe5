#!/usr/bin/python3
"""sqla_url.py: what Debian 12's SQLAlchemy 1.4.46 and psycopg2 2.9.5 make of
database URLs -- the oracle for core/dburl.c. Run it with /usr/bin/python3
(the python3 on PATH may lack SQLAlchemy).

  sqla_url.py [--text] [FILE]
                            URLs from FILE (or stdin): a JSON list of strings
                            if the text starts with '[', else one URL a line
                            (lines starting with '#' and empty lines skipped);
                            --text shows strings as Python reprs, for people
  sqla_url.py --ranges      the Unicode classes dburl.c emulates, as ranges
  sqla_url.py --c-tables    the same as C, for the GENERATED part of dburl.c

For every URL it prints one record of lines "FIELD ARG...", ending in "end".
Every string ARG is "~" for None or "x" followed by the hex of its UTF-8
bytes (so that any text, newlines and NULs included, survives):

  url S                     the input
  kind ok|noparse|port      make_url returned | ArgumentError | ValueError
  group NAME S              each group of _parse_url's regex, as matched
  drivername S, backend S, driver S, username S, password S, host S,
  database S                the URL's attributes (driver: after the '+')
  port N|~                  URL.port (an int, in decimal)
  query KEY S [S...]        URL.query, in its order (more than one S: a list)
  masked S                  repr(url): render_as_string(hide_password=True)
  connect ok|error S        create_connect_args, then psycopg2.connect up to
                            the libpq call: ok, or the exception it raises
  dsn S                     the conninfo string psycopg2 hands to libpq
  param KEY S               what libpq's parser makes of it (parse_dsn)
  libpq_invalid KEY         ... unless it rejects keyword KEY
  libpq_error S             ... or fails to parse the string at all

The first line of the output is "keywords KEY..." (hex), every keyword
PQconndefaults knows. The regex is the one _parse_url compiles: the script
wraps sqlalchemy.engine.url's re.compile to see its match object, and wraps
psycopg2._connect to see the dsn (after letting the real one check its
arguments), so nothing here re-implements them. The one step simulated is
psycopg2's use of a cursor_factory given in the URL (a str, which the first
cursor() would call): it needs a server.
"""
import ctypes
import json
import re
import sys
import unicodedata

import psycopg2
import psycopg2.extensions
from sqlalchemy import exc
from sqlalchemy.dialects.postgresql.psycopg2 import PGDialect_psycopg2
from sqlalchemy.engine import url as sa_url


TEXT = False  # --text: Python reprs instead of hex, for people


def enc(s):
    if s is None:
        return '~'
    if TEXT:
        return repr(s)
    return 'x' + str(s).encode('utf-8', 'surrogatepass').hex()


# --- see the regex's match object -------------------------------------------

_last_match = []


class _PatternSpy:
    def __init__(self, pattern):
        self._pattern = pattern

    def match(self, text, *a):
        m = self._pattern.match(text, *a)
        _last_match.append(m)
        return m

    def __getattr__(self, name):
        return getattr(self._pattern, name)


class _ReSpy:
    def compile(self, *a, **kw):
        return _PatternSpy(re.compile(*a, **kw))

    def __getattr__(self, name):
        return getattr(re, name)


sa_url.re = _ReSpy()

# --- see what psycopg2.connect hands to libpq --------------------------------


class _Captured(Exception):
    pass


_real_connect = psycopg2._connect


def _spy_factory(dsn, *async_):
    """Stands in for psycopg2's connection class, which would connect."""
    raise _Captured(dsn)


def _capture_connect(dsn, connection_factory=None, **kwasync):
    # psycopg2's own _connect checks its arguments (dsn a C string, async
    # and async_ ints) before it calls the factory: let it
    try:
        _real_connect(dsn, connection_factory=_spy_factory, **kwasync)
    except _Captured:
        pass
    # a factory from the URL is a str: calling it raises, connecting nothing
    if connection_factory is not None and not callable(connection_factory):
        _real_connect(dsn, connection_factory=connection_factory, **kwasync)
    raise _Captured(dsn)


psycopg2._connect = _capture_connect


def libpq_keywords():
    pq = ctypes.CDLL('libpq.so.5')

    class Opt(ctypes.Structure):
        _fields_ = [('keyword', ctypes.c_char_p), ('envvar', ctypes.c_char_p),
                    ('compiled', ctypes.c_char_p), ('val', ctypes.c_char_p),
                    ('label', ctypes.c_char_p), ('dispchar', ctypes.c_char_p),
                    ('dispsize', ctypes.c_int)]
    pq.PQconndefaults.restype = ctypes.POINTER(Opt)
    pq.PQconninfoFree.argtypes = [ctypes.POINTER(Opt)]
    opts = pq.PQconndefaults()
    out = []
    i = 0
    while opts[i].keyword:
        out.append(opts[i].keyword.decode())
        i += 1
    pq.PQconninfoFree(opts)
    return out


def psycopg2_dsn(cargs, cparams):
    """psycopg2.connect(*cargs, **cparams) up to the connection: the dsn it
    hands to libpq, or what it raises first (make_dsn's own check of the
    string by libpq's parser included, as ProgrammingError)."""
    try:
        conn = psycopg2.connect(*cargs, **cparams)
    except _Captured as c:
        dsn = c.args[0]
    else:
        raise AssertionError('psycopg2.connect did not reach _connect %r' % conn)
    # connect() then sets conn.cursor_factory; the first cursor() that
    # SQLAlchemy asks for calls it. The one step not run for real here.
    cf = cparams.get('cursor_factory')
    if cf is not None and not callable(cf):
        raise TypeError("'%s' object is not callable" % type(cf).__name__)
    return dsn


GROUPS = ('name', 'username', 'password', 'ipv6host', 'ipv4host', 'port',
          'database', 'query')


def record(text):
    out = ['url ' + enc(text)]
    del _last_match[:]
    try:
        u = sa_url.make_url(text)
        kind = 'ok'
    except exc.ArgumentError:
        kind = 'noparse'
    except ValueError:
        kind = 'port'
    out.append('kind ' + kind)
    m = _last_match[-1] if _last_match else None
    if m is not None:
        for g in GROUPS:
            out.append('group %s %s' % (g, enc(m.group(g))))
    if kind != 'ok':
        out.append('end')
        return out
    out.append('drivername ' + enc(u.drivername))
    out.append('backend ' + enc(u.get_backend_name()))
    driver = u.drivername.split('+')[1] if '+' in u.drivername else None
    out.append('driver ' + enc(driver))
    out.append('username ' + enc(u.username))
    out.append('password ' + enc(u.password))
    out.append('host ' + enc(u.host))
    out.append('port ' + ('~' if u.port is None else str(u.port)))
    out.append('database ' + enc(u.database))
    for k, v in u.query.items():
        vals = v if isinstance(v, tuple) else (v,)
        out.append('query %s %s' % (enc(k), ' '.join(enc(x) for x in vals)))
    out.append('masked ' + enc(repr(u)))
    try:
        cargs, cparams = PGDialect_psycopg2().create_connect_args(u)
        dsn = psycopg2_dsn(cargs, cparams)
    except psycopg2.ProgrammingError as e:  # libpq's parser refused the dsn
        out.append('connect ok')
        msg = str(e)
        mm = re.match(r'invalid dsn: invalid connection option "(.*)"\n\Z', msg, re.S)
        if mm:
            out.append('libpq_invalid ' + enc(mm.group(1)))
        else:
            out.append('libpq_error ' + enc(msg))
        out.append('end')
        return out
    except Exception as e:  # what SQLAlchemy or psycopg2 raise before libpq
        out.append('connect error ' + enc('%s: %s' % (type(e).__name__, e)))
        out.append('end')
        return out
    out.append('connect ok')
    out.append('dsn ' + enc(dsn))
    for k, v in psycopg2.extensions.parse_dsn(dsn).items():
        out.append('param %s %s' % (enc(k), enc(v)))
    out.append('end')
    return out


# --- Unicode classes -------------------------------------------------------

def _ranges(pred, start=0):
    out, lo = [], None
    for cp in range(start, 0x110000):
        ok = not 0xD800 <= cp <= 0xDFFF and pred(cp)
        if ok and lo is None:
            lo = cp
        elif not ok and lo is not None:
            out.append((lo, cp - 1))
            lo = None
    if lo is not None:
        out.append((lo, 0x10FFFF))
    return out


_word = re.compile(r'\w')
_space = re.compile(r'\s')


def classes():
    """name -> ranges, for code points from U+0080 (ASCII is in the C code):
    word: \\w of a str pattern (the scheme's [\\w\\+]);
    decimal: what int() takes as a digit (unicodedata.decimal), its value is
      (cp - lo) % 10 -- checked below;
    space: \\s of a str pattern and str.isspace (int() strips these too);
    nonprintable: not str.isprintable() (repr() escapes these)."""
    c = {
        'word': _ranges(lambda cp: _word.match(chr(cp)) is not None, 0x80),
        'decimal': _ranges(lambda cp: unicodedata.decimal(chr(cp), -1) >= 0, 0x80),
        'space': _ranges(lambda cp: _space.match(chr(cp)) is not None, 0x80),
        'nonprintable': _ranges(lambda cp: not chr(cp).isprintable(), 0x80),
    }
    for lo, hi in c['decimal']:
        for cp in range(lo, hi + 1):
            assert unicodedata.decimal(chr(cp)) == (cp - lo) % 10, hex(cp)
    for lo, hi in c['space']:
        for cp in range(lo, hi + 1):
            assert chr(cp).isspace()
    return c


def c_tables():
    c = classes()
    print('/* GENERATED by /usr/bin/python3 tests/oracle/sqla_url.py --c-tables')
    print(' * (Python %s, Unicode %s): code points from U+0080 on. */'
          % (sys.version.split()[0], unicodedata.unidata_version))
    for name in ('word', 'decimal', 'space', 'nonprintable'):
        print('static const struct cp_range %s_ranges[] = {' % name)
        rs = c[name]
        for i in range(0, len(rs), 4):
            print('\t' + ' '.join('{ 0x%04x, 0x%04x },' % r for r in rs[i:i + 4]))
        print('};')
    print('/* END GENERATED */')


def main(argv):
    global TEXT
    if argv[1:2] == ['--text']:
        TEXT = True
        argv = argv[:1] + argv[2:]
    if argv[1:2] == ['--ranges']:
        for name, rs in classes().items():
            print(name + ' ' + ' '.join('%x-%x' % r for r in rs))
        return 0
    if argv[1:2] == ['--c-tables']:
        c_tables()
        return 0
    if len(argv) > 1:
        with open(argv[1], 'rb') as f:
            text = f.read().decode('utf-8')
    else:
        text = sys.stdin.buffer.read().decode('utf-8')
    if text.lstrip().startswith('['):
        urls = json.loads(text)
    else:
        urls = [ln for ln in text.split('\n') if ln and not ln.startswith('#')]
    lines = ['keywords ' + ' '.join(enc(k) for k in libpq_keywords())]
    for u in urls:
        lines.extend(record(u))
    sys.stdout.write('\n'.join(lines) + '\n')
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
