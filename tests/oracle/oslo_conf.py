#!/usr/bin/python3
"""oslo_conf.py: what oslo.config 9.0.0 (Debian's python3-oslo.config) reads
from configuration files -- the oracle for core/ini.c and core/conf.c. Run it
with /usr/bin/python3 and PYTHONUTF8=1 (files are read as UTF-8, whatever
the locale).

  oslo_conf.py REQUEST.json     prints the answer as one JSON document

The request is an object whose "mode" is one of:

  "ini"   {"files": [PATH...]}: each file parsed by cfg.ConfigParser alone.
          Answer: a list, one per file, of
            {"ok": true, "sections": [[NAME, [[KEY, [VALUE...]]...]]...]}
            (dicts in their order), or {"ok": false, "kind": K, "detail": D}
            with K "parse" (D in core/ini.h's format: "PATH: line N: msg:
            'line'"), "not_found" or "read" (D: the exception).

  "conf"  {"cases": [CASE...]}: each CASE is
            {"home": DIR, "cwd": DIR or null, "env": {NAME: VALUE},
             "project": S or null, "prog": S or null,
             "args": [["file" | "dir", PATH]...],
             "opts": [{"group": G or null, "name": N, "multi": BOOL,
                       "default": S or null,
                       "deprecated": [[G or null, N or null]...]}...],
             "get": [[G or null, N]...], "find": [NAME...]}
          The environment is cleared of OS_* and SNAP* first, then ENV is
          set; HOME is set to DIR. ConfigOpts()(args, project, prog) is
          called with the args as --config-file=PATH / --config-dir=PATH,
          the opts registered (deprecated group null: 'DEFAULT', as conf.h
          says), then each get looked up as conf.G.N (conf.N for null).
          Answer: a list, one per case, of
            {"ok": true, "files": [PATH...] (parsed, in order),
             "config_file": [PATH...] (the config_file option, absolute),
             "sections": [NAME...] (first spelling per normalized name),
             "values": [{"ok": true, "value": S | null | [S...]} |
                        {"ok": false, "error": TEXT}...],
             "find": [PATH or null...]}
          or {"ok": false, "kind": K, "detail": TEXT} with K one of
          "not_found", "denied", "dir", "parse", "read".

  "py"    {"repr": [S...]}: Python's facts: {"space": [CP...] (str.isspace),
          "lower": [[CP, S]...] (every code point whose str.lower() differs),
          "repr": [repr(S)...]}.
"""
import json
import logging
import os
import sys

from oslo_config import cfg
from oslo_config import iniparser

logging.disable(logging.CRITICAL)  # deprecation warnings
# A substitution cycle ends in RecursionError; make it come sooner (still
# more than 30 levels of nested substitution, about 9 frames each).
sys.setrecursionlimit(400)


def sections_list(sections):
    return [[name, [[k, v] for k, v in keys.items()]]
            for name, keys in sections.items()]


def parse_detail(pe):
    msg = pe.msg[0].lower() + pe.msg[1:]
    d = '%s: line %d: %s' % (pe.filename, pe.lineno, msg)
    if pe.line is not None:
        d += ': %r' % (pe.line,)
    return d


def ini_one(path):
    sections = {}
    parser = cfg.ConfigParser(path, sections)
    parser._add_normalized({})
    try:
        parser.parse()
    except iniparser.ParseError as pe:
        return {'ok': False, 'kind': 'parse', 'detail': parse_detail(pe)}
    except FileNotFoundError as e:
        return {'ok': False, 'kind': 'not_found', 'detail': str(e)}
    except (OSError, UnicodeDecodeError) as e:
        return {'ok': False, 'kind': 'read', 'detail': str(e)}
    return {'ok': True, 'sections': sections_list(sections)}


def conf_one(case):
    for k in list(os.environ):
        if k.startswith('OS_') or k.startswith('SNAP'):
            del os.environ[k]
    os.environ.update(case.get('env', {}))
    os.environ['HOME'] = case['home']
    if case.get('cwd'):
        os.chdir(case['cwd'])

    parsed = []
    orig_parse = cfg.ConfigParser.parse

    def parse(self):
        r = orig_parse(self)
        parsed.append(self.filename)
        return r

    cfg.ConfigParser.parse = parse
    conf = cfg.ConfigOpts()
    args = ['--config-%s=%s' % (kind, path) for kind, path in case['args']]
    try:
        conf(args=args, project=case.get('project') or 'barbican',
             prog=case.get('prog') or 'barbican-status')
    except cfg.ConfigFilesNotFoundError as e:
        return {'ok': False, 'kind': 'not_found', 'detail': str(e)}
    except cfg.ConfigFilesPermissionDeniedError as e:
        return {'ok': False, 'kind': 'denied', 'detail': str(e)}
    except cfg.ConfigDirNotFoundError as e:
        return {'ok': False, 'kind': 'dir', 'detail': str(e)}
    except cfg.ConfigFileParseError as e:
        return {'ok': False, 'kind': 'parse', 'detail': str(e)}
    except (OSError, UnicodeDecodeError) as e:
        return {'ok': False, 'kind': 'read', 'detail': str(e)}
    finally:
        cfg.ConfigParser.parse = orig_parse

    for o in case.get('opts', []):
        deps = [cfg.DeprecatedOpt(n, group=g or 'DEFAULT')
                for g, n in o.get('deprecated', [])]
        cls = cfg.MultiStrOpt if o.get('multi') else cfg.StrOpt
        conf.register_opt(cls(o['name'], default=o.get('default'),
                              deprecated_opts=deps), group=o.get('group'))

    values = []
    for g, n in case.get('get', []):
        try:
            v = getattr(getattr(conf, g), n) if g else getattr(conf, n)
            values.append({'ok': True, 'value': v})
        except Exception as e:  # oslo turns most errors into NoSuchOptError
            values.append({'ok': False, 'error': '%s: %s' % (type(e).__name__, e)})

    seen = set()
    sections = []
    for secs in reversed(conf._namespace._parsed):
        for name in secs:
            norm = cfg._normalize_group_name(name)
            if norm not in seen:
                seen.add(norm)
                sections.append(name)
    return {'ok': True, 'files': parsed,
            'config_file': [cfg._fixpath(p) for p in conf.config_file],
            'sections': sections,
            'values': values,
            'find': [conf.find_file(n) for n in case.get('find', [])]}


def main():
    with open(sys.argv[1], encoding='utf-8') as f:
        req = json.load(f)
    mode = req['mode']
    if mode == 'ini':
        out = [ini_one(p) for p in req['files']]
    elif mode == 'conf':
        cwd = os.getcwd()
        out = []
        for case in req['cases']:
            out.append(conf_one(case))
            os.chdir(cwd)
    elif mode == 'py':
        out = {'space': [i for i in range(0x110000) if chr(i).isspace()],
               'lower': [[i, chr(i).lower()] for i in range(0x110000)
                         if 0xd800 > i or i > 0xdfff
                         if chr(i).lower() != chr(i)],
               'repr': [repr(s) for s in req.get('repr', [])]}
    else:
        sys.exit('oslo_conf.py: unknown mode %r' % mode)
    sys.stdout.write(json.dumps(out, ensure_ascii=False) + '\n')


if __name__ == '__main__':
    main()
