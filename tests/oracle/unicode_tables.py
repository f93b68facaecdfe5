#!/usr/bin/python3
"""unicode_tables.py: the Unicode facts that render/textwrap.c and
render/table.c need, taken from Debian's /usr/bin/python3 itself.

  unicode_tables.py pyclass      C table: Python str regex classes per code point
                                 (0 other, 1 letter [^\\d\\W], 2 digit \\d,
                                 3 whitespace str.isspace)
  unicode_tables.py wcwidth      C table: wcwidth.wcwidth() per code point, as
                                 prettytable 3.6.0 measures (UNICODE_VERSION unset)
  unicode_tables.py pyclass-runs the same runs as text ("start class" lines),
  unicode_tables.py wcwidth-runs for the unit tests to compare against
  unicode_tables.py cf-runs      runs of the format characters (1: general
                                 category Cf, unicodedata), which core/sanitize.c
                                 escapes

Each table is a sorted list of runs: entry = start << 2 | value, a run lasts
until the next entry's start. Regenerate with:
  /usr/bin/python3 tests/oracle/unicode_tables.py pyclass
and paste between the GENERATED markers of render/textwrap.c (wcwidth:
render/table.c, value is width + 1). Surrogates (U+D800..U+DFFF) cannot occur
in UTF-8 input; they get the class of their neighbours' run (no effect).
"""
import array
import os
import re
import sys

MAX = 0x110000


def pyclass_runs():
    cls = bytearray(MAX)  # 0 other
    # the code points below and above the surrogates, as two str
    for lo, hi in ((0, 0xD800), (0xE000, MAX)):
        s = array.array('I', range(lo, hi)).tobytes().decode('utf-32-le')
        for m in re.finditer(r'\w+', s):
            cls[lo + m.start():lo + m.end()] = b'\x01' * (m.end() - m.start())
        for m in re.finditer(r'\d+', s):
            cls[lo + m.start():lo + m.end()] = b'\x02' * (m.end() - m.start())
        nspace = 0
        for m in re.finditer(r'\s', s):
            assert s[m.start()].isspace()
            cls[lo + m.start()] = 3
            nspace += 1
        # and no other str.isspace() (what str.split() and strip() use)
        assert len(s) - len(''.join(s.split())) == nspace
    cls[0xD800:0xE000] = bytes([cls[0xD7FF]]) * 0x800
    return runs(cls)


def wcwidth_runs():
    os.environ.pop('UNICODE_VERSION', None)
    import wcwidth
    vals = bytearray(MAX)
    for c in range(MAX):
        if 0xD800 <= c <= 0xDFFF:
            vals[c] = vals[0xD7FF]
        else:
            vals[c] = wcwidth.wcwidth(chr(c)) + 1
    return runs(vals)


def cf_runs():
    import unicodedata
    vals = bytearray(MAX)
    for c in range(MAX):
        if not 0xD800 <= c <= 0xDFFF and unicodedata.category(chr(c)) == 'Cf':
            vals[c] = 1
    return runs(vals)


def runs(vals):
    out = []
    prev = None
    for c in range(MAX):
        if vals[c] != prev:
            out.append((c, vals[c]))
            prev = vals[c]
    return out


def c_table(name, rs):
    print('static const uint32_t %s[%d] = {' % (name, len(rs)))
    line = '\t'
    for start, v in rs:
        item = '0x%x,' % (start << 2 | v)
        if len(line) + len(item) + 1 > 76:
            print(line.rstrip())
            line = '\t'
        line += item + ' '
    print(line.rstrip())
    print('};')


def main():
    what = sys.argv[1] if len(sys.argv) > 1 else ''
    if what == 'pyclass':
        c_table('pyclass_runs', pyclass_runs())
    elif what == 'wcwidth':
        c_table('wcwidth_runs', wcwidth_runs())
    elif what == 'pyclass-runs':
        for s, v in pyclass_runs():
            print(s, v)
    elif what == 'wcwidth-runs':
        for s, v in wcwidth_runs():
            print(s, v)
    elif what == 'cf-runs':
        for s, v in cf_runs():
            print(s, v)
    else:
        sys.exit(__doc__)


if __name__ == '__main__':
    main()
