#!/usr/bin/python3
"""table_oracle.py: prettytable and oslo.upgradecheck themselves, for
tests/unit/test-table.c.

  table_oracle.py table FILE    FILE lines: xTITLE xCELL... (x + hex of UTF-8).
                                Prints per line x<hex of what print(t) writes>
                                for t = PrettyTable([TITLE], hrules=ALL),
                                t.align = 'l', one row per CELL.
  table_oracle.py oslo FILE     FILE lines: one table of checks, each check as
                                three fields xNAME CODE xDETAILS (DETAILS '-'
                                for None). Runs oslo_upgradecheck's
                                UpgradeCommands.check() with those results and
                                prints x<hex of its stdout> and the returned code.
  table_oracle.py wcwidth       For every code point of planes 0 and 1 and of
                                U+E0000..U+E0FFF, the first and last four of
                                every plane, and every 97th one elsewhere, in
                                order: "cp width" where
                                wcwidth.wcwidth() changes from the previous one
                                printed (UNICODE_VERSION unset).
"""
import contextlib
import io
import os
import sys

os.environ.pop('UNICODE_VERSION', None)


def unhex(field):
    assert field[0] == 'x', field
    return bytes.fromhex(field[1:]).decode('utf-8')


def tohex(s):
    return 'x' + s.encode('utf-8').hex()


def main():
    mode = sys.argv[1]
    out = []
    if mode == 'wcwidth':
        import array
        import wcwidth
        cps = sorted(set(range(0x20000)) | set(range(0xE0000, 0xE1000)) |
                     set(range(0, 0x110000, 97)) |
                     {p << 16 | k for p in range(17) for k in (0, 1, 2, 3, 0xFFFC,
                                                              0xFFFD, 0xFFFE, 0xFFFF)})
        cps = [cp for cp in cps if not 0xD800 <= cp <= 0xDFFF]
        text = array.array('I', cps).tobytes().decode('utf-32-le')
        prev = None
        for cp, w in zip(cps, map(wcwidth.wcwidth, text)):
            if w != prev:
                out.append('%d %d' % (cp, w))
                prev = w
        sys.stdout.write('\n'.join(out) + '\n')
        return
    with open(sys.argv[2], encoding='utf-8') as f:
        lines = [l for l in f.read().split('\n') if l]
    if mode == 'table':
        import prettytable
        for line in lines:
            fields = line.split(' ')
            t = prettytable.PrettyTable([unhex(fields[0])], hrules=prettytable.ALL)
            t.align = 'l'
            for cell in fields[1:]:
                t.add_row([unhex(cell)])
            buf = io.StringIO()
            with contextlib.redirect_stdout(buf):
                print(t)
            out.append(tohex(buf.getvalue()))
    elif mode == 'oslo':
        from oslo_upgradecheck import upgradecheck
        for line in lines:
            fields = line.split(' ')
            checks = []
            for i in range(0, len(fields), 3):
                name = unhex(fields[i])
                code = upgradecheck.Code(int(fields[i + 1]))
                details = None if fields[i + 2] == '-' else unhex(fields[i + 2])
                checks.append((name, (lambda self, c=code, d=details:
                                      upgradecheck.Result(c, d))))

            class Checks(upgradecheck.UpgradeCommands):
                _upgrade_checks = tuple(checks)

            buf = io.StringIO()
            with contextlib.redirect_stdout(buf):
                rc = Checks().check()
            out.append('%s %d' % (tohex(buf.getvalue()), int(rc)))
    else:
        sys.exit(__doc__)
    sys.stdout.write('\n'.join(out) + '\n')


if __name__ == '__main__':
    main()
