#!/usr/bin/python3
"""json_oracle.py: CPython's own json module, for tests/unit/test-pyjson.c and
tests/unit/test-pyjson-accept.c. Every input and output line is x + the hex
of its bytes, so that any byte can pass.

  json_oracle.py corpus FILE   FILE: one text per line, as is, except that
                               \\xHH stands for the byte HH (so a newline is
                               \\x0a and a backslash may be \\x5c); '#' at
                               the start makes a comment line. Prints each
                               text's bytes.
  json_oracle.py dumps FILE    per line: json.dumps(json.loads(TEXT)), or ERR
  json_oracle.py floats FILE   per line: a float.hex() text; prints
                               json.dumps(float.fromhex(...))
  json_oracle.py tenths FILE   per line: an integer I; prints json.dumps(I / 10)
  json_oracle.py bytes FILE    per line: BYTES decoded as UTF-8 with every
                               byte that is not UTF-8 replaced by U+FFFD on its
                               own; prints json.dumps(str) and the str's UTF-8
  json_oracle.py loads FILE    per line: V when json.loads(TEXT) returns, I when
                               it raises ValueError, R for RecursionError, U
                               when TEXT is not UTF-8 (is_json would raise
                               UnicodeDecodeError before json.loads)
"""
import codecs
import json
import re
import sys


def unhex(field):
    field = field.decode('ascii')
    assert field[0] == 'x', field
    return bytes.fromhex(field[1:])


def tohex(b):
    return 'x' + b.hex()


def each_byte_replace(err):
    # one U+FFFD per byte, where 'replace' would take a maximal subpart
    return ('\ufffd', err.start + 1)


codecs.register_error('bs-each-byte', each_byte_replace)


def main():
    mode, path = sys.argv[1], sys.argv[2]
    with open(path, 'rb') as f:
        lines = [l for l in f.read().split(b'\n') if l]
    out = []
    if mode == 'corpus':
        for line in lines:
            if line.startswith(b'#'):
                continue
            out.append(tohex(re.sub(rb'\\x([0-9a-fA-F]{2})',
                                    lambda m: bytes([int(m.group(1), 16)]), line)))
    elif mode == 'dumps':
        for line in lines:
            try:
                out.append(tohex(json.dumps(json.loads(unhex(line).decode('utf-8'))).encode()))
            except (ValueError, RecursionError):
                out.append('ERR')
    elif mode == 'floats':
        for line in lines:
            out.append(tohex(json.dumps(float.fromhex(line.decode())).encode()))
    elif mode == 'tenths':
        for line in lines:
            out.append(tohex(json.dumps(int(line) / 10).encode()))
    elif mode == 'bytes':
        for line in lines:
            s = unhex(line).decode('utf-8', 'bs-each-byte')
            out.append(tohex(json.dumps(s).encode()) + ' ' + tohex(s.encode('utf-8')))
    elif mode == 'loads':
        for line in lines:
            try:
                text = unhex(line).decode('utf-8')
            except UnicodeDecodeError:
                out.append('U')
                continue
            try:
                json.loads(text)
                out.append('V')
            except ValueError:
                out.append('I')
            except RecursionError:
                out.append('R')
    else:
        sys.exit(__doc__)
    sys.stdout.write('\n'.join(out) + '\n')


if __name__ == '__main__':
    main()
