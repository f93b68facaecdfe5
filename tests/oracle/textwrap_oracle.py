#!/usr/bin/python3
"""textwrap_oracle.py: CPython's own textwrap, for tests/unit/test-textwrap.c.

  textwrap_oracle.py corpus FILE   FILE holds one text per line, written with
                                   Python's backslash escapes (\\t \\n \\xHH
                                   \\uXXXX \\UXXXXXXXX; other characters as
                                   UTF-8; '#' starts a comment line). Prints
                                   each text as x<hex of its UTF-8>.
  textwrap_oracle.py wrap FILE     FILE lines: WIDTH xINITIAL xSUBSEQUENT xTEXT
                                   (x + hex of UTF-8). Prints, per line,
                                   N x<line 1> ... x<line N> for
                                   textwrap.wrap(TEXT, WIDTH,
                                   initial_indent=..., subsequent_indent=...),
                                   ERR when it raises (width 0), HANG when it
                                   does not return within 1 s (generous: a loaded CI machine must not turn a slow case into a false HANG).
"""
import signal
import sys
import textwrap


def unhex(field):
    assert field[0] == 'x', field
    return bytes.fromhex(field[1:]).decode('utf-8')


def tohex(s):
    return 'x' + s.encode('utf-8').hex()


def decode_escapes(line):
    return line.encode('latin-1', 'backslashreplace').decode('unicode_escape')


class Hang(Exception):
    pass


def on_alarm(signum, frame):
    raise Hang()


def main():
    mode, path = sys.argv[1], sys.argv[2]
    out = []
    with open(path, encoding='utf-8') as f:
        lines = f.read().split('\n')
    if mode == 'corpus':
        for line in lines:
            if not line or line.startswith('#'):
                continue
            out.append(tohex(decode_escapes(line)))
    elif mode == 'wrap':
        signal.signal(signal.SIGALRM, on_alarm)
        for line in lines:
            if not line:
                continue
            width, init, sub, text = line.split(' ')
            try:
                signal.setitimer(signal.ITIMER_REAL, 1.0)
                res = textwrap.wrap(unhex(text), int(width),
                                    initial_indent=unhex(init),
                                    subsequent_indent=unhex(sub))
                signal.setitimer(signal.ITIMER_REAL, 0)
                out.append(' '.join([str(len(res))] + [tohex(r) for r in res]))
            except Hang:
                out.append('HANG')
            except ValueError:
                signal.setitimer(signal.ITIMER_REAL, 0)
                out.append('ERR')
    else:
        sys.exit(__doc__)
    sys.stdout.write('\n'.join(out) + '\n')


if __name__ == '__main__':
    main()
