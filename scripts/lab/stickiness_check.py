#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# Judges the stickiness test from what each backend's udp_sink saw: per phase, where every flow landed.
"""
Phases (udp_sink tags) of tests/lab/lab_stickiness.sh:

  p1     all backends of --initial up: every flow lands on exactly one backend,
         every initial backend gets some;
  p2     --removed taken out of the configuration, SIGHUP: flows of the
         other backends stay where they were (none moves), flows of the
         removed backend move to the others, the removed one gets nothing;
  p3     --added put in, SIGHUP: no existing flow moves (conntrack);
  p3new  new flows: some land on the added backend (the new table is live);
  p4     --draining set to draining, SIGHUP: no existing flow moves, not even
         those of the draining backend;
  p4new  new flows: none lands on the draining backend.

With --stats (voxrelay-dp's --stats-json at exit) the balancer's per-backend
tx_packets of the five-tuple VIPs must equal what each backend's socket
received over all phases: its accounting must follow backends, not slots,
through the reloads.

Exit 0 if every check holds.
"""
import argparse
import json
import sys


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sink", action="append", required=True)
    ap.add_argument("--initial", required=True, help="comma-separated backends of phase p1")
    ap.add_argument("--removed", required=True)
    ap.add_argument("--added", required=True)
    ap.add_argument("--draining", required=True)
    ap.add_argument("--flows", type=int, required=True, help="flows sent in p1, p2, p3, p4")
    ap.add_argument("--new-flows", type=int, required=True, help="flows sent in p3new and p4new")
    ap.add_argument("--packets", type=int, required=True, help="datagrams per flow and phase")
    ap.add_argument("--stats", help="voxrelay-dp --stats-json output")
    ap.add_argument("--backend", action="append", default=[], help="NAME=IPV4,IPV6 of a sink's backend")
    ap.add_argument("--port", default="5004", help="VIP port of the test flows")
    a = ap.parse_args()

    where = {}  # tag -> flow -> {backend: packets}
    got = {}  # (backend, family) -> datagrams
    for path in a.sink:
        with open(path) as f:
            s = json.load(f)
        for fl in s["flows"]:
            k = (s["name"], 6 if ":" in fl["src"] else 4)
            got[k] = got.get(k, 0) + fl["packets"]
            where.setdefault(fl["tag"], {}).setdefault((fl["src"], fl["sport"]), {})[s["name"]] = fl["packets"]
    initial = a.initial.split(",")
    ok = True

    def check(cond, what):
        nonlocal ok
        print(("  ok    " if cond else "  FAIL  ") + what)
        ok = ok and cond

    def placement(tag, expect):
        fl = where.get(tag, {})
        split = [k for k, v in fl.items() if len(v) > 1]
        pkts = sum(sum(v.values()) for v in fl.values())
        per = {}
        for v in fl.values():
            for be in v:
                per[be] = per.get(be, 0) + 1
        print(f"{tag}: {len(fl)} flows, {pkts} datagrams; flows per backend: "
              + ", ".join(f"{b}={n}" for b, n in sorted(per.items())))
        check(len(fl) == expect, f"{tag}: all {expect} flows arrived (got {len(fl)})")
        check(pkts == expect * a.packets, f"{tag}: all {expect * a.packets} datagrams arrived (got {pkts})")
        check(not split, f"{tag}: no flow on two backends ({len(split)} split, e.g. {split[:2]})")
        return {k: max(v, key=v.get) for k, v in fl.items()}, per

    def moved(before, after):
        return [k for k in before if k in after and before[k] != after[k]]

    p1, per1 = placement("p1", a.flows)
    check(all(per1.get(b, 0) > 0 for b in initial), f"p1: every initial backend has flows ({per1})")
    check(set(per1) <= set(initial), "p1: only initial backends have flows")

    p2, per2 = placement("p2", a.flows)
    stay = {k: v for k, v in p1.items() if v != a.removed}
    mv = moved(stay, p2)
    check(not mv, f"p2: flows of the remaining backends stayed ({len(mv)} of {len(stay)} moved)")
    gone = [k for k, v in p1.items() if v == a.removed]
    still = [k for k in gone if p2.get(k) == a.removed]
    check(len(gone) > 0 and not still,
          f"p2: the {len(gone)} flows of removed {a.removed} moved to other backends ({len(still)} still there)")
    check(per2.get(a.removed, 0) == 0, f"p2: removed {a.removed} received nothing")

    p3, per3 = placement("p3", a.flows)
    mv = moved(p2, p3)
    check(not mv, f"p3: after adding {a.added} no existing flow moved ({len(mv)} moved)")
    check(per3.get(a.added, 0) == 0, f"p3: added {a.added} got no existing flow")
    _, per3n = placement("p3new", a.new_flows)
    check(per3n.get(a.added, 0) > 0, f"p3new: new flows reach added {a.added} ({per3n.get(a.added, 0)} of {a.new_flows})")

    p4, _ = placement("p4", a.flows)
    mv = moved(p3, p4)
    on_dr = sum(1 for v in p3.values() if v == a.draining)
    check(not mv, f"p4: with {a.draining} draining no existing flow moved ({len(mv)} moved; {on_dr} flows on it)")
    _, per4n = placement("p4new", a.new_flows)
    check(per4n.get(a.draining, 0) == 0, f"p4new: no new flow on draining {a.draining} ({per4n.get(a.draining, 0)})")

    if a.stats:
        sys.path.insert(0, __file__.rsplit("/", 1)[0])
        from report import backends_by_vip, load_stats

        st, valid = load_stats(a.stats)
        check(valid, f"{a.stats} is valid UTF-8 JSON")
        st = st or {}
        addr = {}
        for spec in a.backend:
            name, _, addrs = spec.partition("=")
            for x in addrs.split(","):
                addr[x] = name
        bad = []
        for label, lst in backends_by_vip(st):
            if not label.endswith(f":{a.port}-{a.port}"):
                continue
            for b in lst:
                name = addr.get(b["address"])
                want = got.get((name, 6 if ":" in b["address"] else 4), 0)
                if b["tx_packets"] != want:
                    bad.append(f"{b['address']} ({name}): balancer tx_packets {b['tx_packets']}, socket got {want}")
        check(not bad, "balancer per-backend tx_packets match what each backend received" +
              "".join(f"\n          {x}" for x in bad))

    print("stickiness: " + ("PASS" if ok else "FAIL"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
