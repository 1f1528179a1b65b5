#!/usr/bin/env python3
"""Markdown table of a realroad_pair.sh run: per instance PyVRP, ours (and the base build when
present), routes / travel seconds, all judged by eval_explicit.py (PyVRP by run_ref.py, ours by
the .milkrun-judge.jsonl lines; a second build of ours, when OUTPREFIX.base.csv holds its
`realroad solve` rows, by our checker), and the mean.
    python3 bench/peers/realroad_table.py OUTPREFIX
"""
import csv
import json
import sys

pre = sys.argv[1]
cols = ["instance", "solver", "objective", "seconds_limit", "seed", "customers", "routes",
        "distance", "feasible", "wall_s", "iterations"]


def rows(path):
    try:
        with open(path) as f:
            return {r["instance"]: r for r in csv.DictReader(f, fieldnames=cols)}
    except FileNotFoundError:
        return {}


ours = rows(pre + ".milkrun.csv")
base = rows(pre + ".base.csv")
peer = {}
for line in open(pre + ".pyvrp.jsonl"):
    d = json.loads(line)
    peer[d["instance"].removesuffix(".vrp").removesuffix("-hier")] = d
judge = {}
for line in open(pre + ".milkrun-judge.jsonl"):
    d = json.loads(line)
    judge[d["instance"]] = d["judge"]

head = "| instance | PyVRP routes / s | " + ("main routes / s | " if base else "") + \
    "ours routes / s | ours vs PyVRP | " + ("ours vs main | " if base else "") + "judged |"
print(head)
print("|" + "---|" * (head.count("|") - 1))
gaps, gaps_base, sums = [], [], {"p": [0, 0], "o": [0, 0], "b": [0, 0]}
for name in sorted(ours, key=lambda n: (int(n.split("-n")[1].split("-")[0]), n)):
    o, p, j = ours[name], peer.get(name), judge.get(name, {})
    if p is None:
        continue
    od, pd = int(float(o["distance"])), int(p["distance"])
    ok = j.get("feasible") and p["feasible"] and int(j.get("distance", -1)) == od
    gap = 100.0 * (od - pd) / pd
    gaps.append(gap)
    sums["p"][0] += int(p["routes"]); sums["p"][1] += pd
    sums["o"][0] += int(o["routes"]); sums["o"][1] += od
    line = f"| {name} | {p['routes']} / {pd} | "
    if base:
        b = base[name]
        bd = int(float(b["distance"]))
        ok = ok and b["feasible"] == "true"
        sums["b"][0] += int(b["routes"]); sums["b"][1] += bd
        gaps_base.append(100.0 * (od - bd) / bd)
        line += f"{b['routes']} / {bd} | "
    line += f"{o['routes']} / {od} | {gap:+.2f} % | "
    if base:
        line += f"{gaps_base[-1]:+.2f} % | "
    line += ("yes" if ok else "NO") + " |"
    print(line)
n = len(gaps)
if n:
    line = f"| **mean of {n}** | {sums['p'][0] / n:.1f} / {sums['p'][1] / n:.0f} | "
    if base:
        line += f"{sums['b'][0] / n:.1f} / {sums['b'][1] / n:.0f} | "
    line += f"{sums['o'][0] / n:.1f} / {sums['o'][1] / n:.0f} | **{sum(gaps) / n:+.2f} %** | "
    if base:
        line += f"{sum(gaps_base) / n:+.2f} % | "
    print(line + " |")
    print(f"\nours shorter than PyVRP on {sum(g < 0 for g in gaps)} of {n}")
