#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# Checks a health lab run (phases h1/h2/h3 in the sinks, health.list in health.json): only the failed backend's flows moved, and it came back.
"""
h1: 300 flows on three healthy backends; h2: the same flows while vr-be2 is
down; h3: flows after vr-be2 returned. Fails unless every flow reached one
backend per phase, vr-be2 had flows in h1 and none in h2, no flow of a
healthy backend moved, vr-be2 took new flows in h3, and its health counters
show one down and one up change after at least 3 failures. --tap also
requires the probe tap to have carried segments both ways (HTTP probes).
"""
import argparse
import collections
import json
import sys


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("work", help="the lab run's directory (sink-*.json, health.json)")
    ap.add_argument("--name", default="lab_health", help="test name for the summary line")
    ap.add_argument("--tap", action="store_true", help="check the HTTP probe tap counters too")
    a = ap.parse_args()
    where = collections.defaultdict(dict)  # tag -> (src, sport) -> backends
    for ns in ("vr-be1", "vr-be2", "vr-be3"):
        for f in json.load(open(f"{a.work}/sink-{ns}.json"))["flows"]:
            where[f["tag"]].setdefault((f["src"], f["sport"]), set()).add(ns)
    bad = []
    h1, h2, h3 = where["h1"], where["h2"], where["h3"]
    if len(h1) != 300 or len(h2) != 300 or len(h3) != 300:
        bad.append(f"flows seen: h1 {len(h1)} h2 {len(h2)} h3 {len(h3)} (300 each)")
    split = [k for t in (h1, h2, h3) for k, v in t.items() if len(v) != 1]
    if split:
        bad.append(f"{len(split)} flows reached two backends in one phase")
    on2 = [k for k, v in h1.items() if v == {"vr-be2"}]
    moved_others = [k for k, v in h1.items() if v != {"vr-be2"} and h2.get(k) != v]
    if not on2:
        bad.append("no flow was on vr-be2")
    if any("vr-be2" in v for v in h2.values()):
        bad.append("vr-be2 received traffic while down")
    if moved_others:
        bad.append(f"{len(moved_others)} flows of healthy backends moved when vr-be2 went down")
    new_on2 = sum(1 for v in h3.values() if v == {"vr-be2"})
    if new_on2 == 0:
        bad.append("vr-be2 took no new flow after it came back")
    h = json.load(open(f"{a.work}/health.json"))["result"]
    be2 = [b for b in h["backends"] if b["address"] == "10.77.2.12"][0]
    if be2["changes"] != 2 or be2["failures"] < 3:
        bad.append(f"vr-be2 counters {be2}")
    extra = ""
    if a.tap:
        tap = h.get("tap")
        if tap is None or tap["segments_out"] == 0 or tap["segments_in"] == 0:
            bad.append(f"tap counters {tap}")
        extra = f"; tap {tap}"
    print(f"{a.name}: {len(on2)} flows on vr-be2 moved; 0 of {len(h1) - len(on2)} others moved; "
          f"{new_on2} new flows on vr-be2 after it returned; probes {be2['probes']} failures {be2['failures']}{extra}")
    for b in bad:
        print("FAIL:", b)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
