#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# Judges the voice-room test from what each backend's udp_sink saw: every room (VIP port) on one backend, through reloads.
"""
Phases (udp_sink tags) of tests/lab/lab_rooms.sh, VIP hashed by destination port:

  r1     --rooms rooms, one member each, backends of --initial: each room
         on one backend, every initial backend has rooms;
  r2     --added put in, SIGHUP; the first members again plus a second
         member per room from another client: no room moved, no room split
         between its members;
  r2new  --new-rooms new rooms: each on one backend, some on the added one;
  r3     --removed taken out, SIGHUP; all members of all rooms: rooms of the
         other backends stay, rooms of the removed backend moved (whole, not
         split), the removed backend gets nothing.

Exit 0 if every check holds.
"""
import argparse
import json
import sys


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sink", action="append", required=True)
    ap.add_argument("--initial", required=True)
    ap.add_argument("--added", required=True)
    ap.add_argument("--removed", required=True)
    ap.add_argument("--rooms", type=int, required=True)
    ap.add_argument("--new-rooms", type=int, required=True)
    a = ap.parse_args()

    rooms = {}  # tag -> port -> {backend: {members}}
    for path in a.sink:
        with open(path) as f:
            s = json.load(f)
        for fl in s["flows"]:
            rooms.setdefault(fl["tag"], {}).setdefault(fl["dport"], {}).setdefault(s["name"], set()).add(
                (fl["src"], fl["sport"]))
    ok = True

    def check(cond, what):
        nonlocal ok
        print(("  ok    " if cond else "  FAIL  ") + what)
        ok = ok and cond

    def phase(tag, nrooms, nmembers):
        r = rooms.get(tag, {})
        split = [p for p, v in r.items() if len(v) > 1]
        per = {}
        for v in r.values():
            for be in v:
                per[be] = per.get(be, 0) + 1
        nmem = sum(len(m) for v in r.values() for m in v.values())
        print(f"{tag}: {len(r)} rooms, {nmem} members; rooms per backend: "
              + ", ".join(f"{b}={n}" for b, n in sorted(per.items())))
        check(len(r) == nrooms, f"{tag}: all {nrooms} rooms reached a backend (got {len(r)})")
        check(nmem == nmembers, f"{tag}: all {nmembers} members arrived (got {nmem})")
        check(not split, f"{tag}: no room split over backends ({len(split)} split, e.g. ports {split[:3]})")
        return {p: next(iter(v)) for p, v in r.items() if len(v) == 1}, per

    r1, per1 = phase("r1", a.rooms, a.rooms)
    initial = a.initial.split(",")
    check(all(per1.get(b, 0) > 0 for b in initial) and set(per1) <= set(initial),
          f"r1: rooms on every initial backend and only there ({per1})")

    r2, _ = phase("r2", a.rooms, 2 * a.rooms)
    mv = [p for p in r1 if r2.get(p) != r1[p]]
    check(not mv, f"r2: after adding {a.added} no room moved ({len(mv)} moved)")
    rnew, pern = phase("r2new", a.new_rooms, a.new_rooms)
    check(pern.get(a.added, 0) > 0, f"r2new: new rooms reach added {a.added} ({pern.get(a.added, 0)} of {a.new_rooms})")

    before = dict(r2)
    before.update(rnew)
    place, per = phase("r3", a.rooms + a.new_rooms, 2 * a.rooms + a.new_rooms)
    stay = [p for p, be in before.items() if be != a.removed]
    moved = [p for p in stay if place.get(p) != before[p]]
    check(not moved, f"r3: rooms of the remaining backends stayed ({len(moved)} of {len(stay)} moved)")
    gone = [p for p, be in before.items() if be == a.removed]
    check(len(gone) > 0 and all(place.get(p) not in (None, a.removed) for p in gone),
          f"r3: the {len(gone)} rooms of removed {a.removed} moved, whole, to other backends")
    check(per.get(a.removed, 0) == 0, f"r3: removed {a.removed} received nothing")

    print("rooms: " + ("PASS" if ok else "FAIL"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
