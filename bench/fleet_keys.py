#!/usr/bin/python3
"""bench/fleet_keys.py CONF NODE -- how fast the console answers a key with a
large fleet (bench/fleet.sh runs it at its largest N): the console in a
private tmux (120x40) on CONF at --interval 2, polling all the while; the
time from sending `s` (sort) until the screen shows the new order, and from
`/NODE Enter` (filter) until the one node shows, 10 times each, with the
cost of one capture-pane (every figure includes one or more). A frame at 60
Hz is 16.7 ms. Figures only."""
import statistics
import sys
import time
import types

import consolekit as ck

conf, node = sys.argv[1], sys.argv[2]
N = 10


def figures(xs):
    return "median %5.1f ms, max %5.1f ms" % (statistics.median(xs) * 1e3, max(xs) * 1e3)


t = ck.Tmux(120, 40)
c = None
try:
    c = ck.Console(t, types.SimpleNamespace(conf=conf), args=("--interval", "2"))
    t.wait(lambda s: "refreshed" in s and "Nodes (" in s, 120, "the first refresh")
    time.sleep(3)

    def timed(key, pred, what):
        a = time.monotonic()
        t.keys(key)
        t.wait(pred, 10, what, interval=0.005)
        return time.monotonic() - a

    cap, sorts, filters = [], [], []
    for _ in range(N):
        a = time.monotonic()
        t.capture()
        cap.append(time.monotonic() - a)
    for _ in range(N):
        before = t.capture()
        sorts.append(timed("s", lambda s, b=before: s != b, "the new order"))
    for _ in range(N):
        t.keys("/")
        t.keys(node)
        filters.append(timed("Enter", lambda s: "filter: " + node in s and "Nodes (1" in s,
                             "the one node"))
        t.keys("/")
        for _ in range(len(node) + 2):
            t.keys("BSpace")
        t.keys("Enter")
        t.wait(lambda s: "filter: -" in s, 10, "the filter cleared")
    print("  capture-pane alone:           " + figures(cap))
    print("  s (sort) until shown:         " + figures(sorts))
    print("  /%s Enter until shown: %s" % (node, figures(filters)))
finally:
    if c:
        t.keys("q")
        time.sleep(0.3)
        t.keys("q")
