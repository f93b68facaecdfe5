#!/usr/bin/python3
"""Run commands N times each and print the median wall time and peak RSS.

    timecmd.py [-n N] [--env K=V ...] -- NAME CMD... [--- NAME CMD...]

Each command runs with stdout and stderr discarded; peak RSS is the
process's ru_maxrss from wait4(2) (its own peak, children not included for a
single-process command). The runs of the commands are interleaved so that a
change in machine load hits all of them alike. Prints one line per command
and, for two commands, the ratio.
"""
import os
import statistics
import sys
import time


def run_once(argv, env):
    t0 = time.monotonic()
    pid = os.fork()
    if pid == 0:
        try:
            fd = os.open(os.devnull, os.O_RDWR)
            os.dup2(fd, 1)
            os.dup2(fd, 2)
            os.execve(argv[0], argv, env)
        finally:
            os._exit(127)
    _, status, ru = os.wait4(pid, 0)
    wall = time.monotonic() - t0
    return wall, ru.ru_maxrss, os.waitstatus_to_exitcode(status)


def main():
    args = sys.argv[1:]
    n = 10
    env = dict(os.environ)
    while args and args[0] != "--":
        if args[0] == "-n":
            n = int(args[1])
            args = args[2:]
        elif args[0] == "--env":
            k, v = args[1].split("=", 1)
            env[k] = v
            args = args[2:]
        else:
            sys.exit(__doc__)
    args = args[1:]
    cmds = []
    cur = []
    for a in args:
        if a == "---":
            cmds.append(cur)
            cur = []
        else:
            cur.append(a)
    if cur:
        cmds.append(cur)
    results = {c[0]: ([], [], set()) for c in cmds}
    for _ in range(n):
        for c in cmds:
            wall, rss, rc = run_once(c[1:], env)
            results[c[0]][0].append(wall)
            results[c[0]][1].append(rss)
            results[c[0]][2].add(rc)
    medians = []
    for c in cmds:
        walls, rsss, rcs = results[c[0]]
        mw, mr = statistics.median(walls), statistics.median(rsss)
        medians.append((mw, mr))
        print("%-28s median of %d: wall %7.1f ms  peak RSS %7.1f MiB  (exit %s)" % (
            c[0], n, mw * 1000, mr / 1024, ",".join(str(x) for x in sorted(rcs))))
    if len(medians) == 2 and medians[0][0] > 0:
        print("ratio %s / %s: wall %.2fx, peak RSS %.2fx" % (
            cmds[1][0], cmds[0][0], medians[1][0] / medians[0][0], medians[1][1] / medians[0][1]))


if __name__ == "__main__":
    main()
