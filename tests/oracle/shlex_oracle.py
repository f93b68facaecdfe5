#!/usr/bin/python3
"""shlex_oracle.py: CPython's shlex.split, the reference of runner/argv.c
(argv_split), for tests/unit/test-argv.c. Run it with /usr/bin/python3.

  shlex_oracle.py split FILE   FILE holds one template per line, each as
                               x<hex of its bytes> (so that newlines, tabs
                               and any byte survive). Prints, per line,
                               OK N x<word 1> ... x<word N>
                               for shlex.split(TEMPLATE, comments=False,
                               posix=True), or ERR when it raises
                               (unterminated quote, trailing backslash).

Bytes that are not UTF-8 go through as surrogate escapes and come back as
the same bytes. shlex and POSIX word splitting (argv.c) differ on: '\\r'
(shlex whitespace, an ordinary character for the shell), backslash-newline
(the shell drops both, shlex keeps the newline) and backslash before '$' or
'`' inside double quotes (the shell drops the backslash, shlex keeps it);
the callers leave those out of what they send here.
"""
import shlex
import sys


def unhex(field):
    assert field[0] == 'x', field
    return bytes.fromhex(field[1:]).decode('utf-8', 'surrogateescape')


def tohex(s):
    return 'x' + s.encode('utf-8', 'surrogateescape').hex()


def main():
    if len(sys.argv) != 3 or sys.argv[1] != 'split':
        sys.exit(__doc__)
    out = []
    with open(sys.argv[2], encoding='ascii') as f:
        for line in f.read().split('\n'):
            if not line:
                continue
            try:
                words = shlex.split(unhex(line), comments=False, posix=True)
            except ValueError:
                out.append('ERR')
                continue
            out.append(' '.join(['OK', str(len(words))] + [tohex(w) for w in words]))
    sys.stdout.write('\n'.join(out) + ('\n' if out else ''))


if __name__ == '__main__':
    main()
