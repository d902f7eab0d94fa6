#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# Changes a running voxrelay-dp's backends as fast as asked over its control socket (weights, drain, down, add, remove), keeping one backend up.
"""
Cycles through backend.set (weight 1..4), draining/up and down/up toggles of
one backend at a time, and backend.add / backend.remove of a spare, paced at
--rate changes per second for --seconds, pipelined on one connection. At any
moment at least one configured backend is up, so every packet to the VIP has
somewhere to go. Prints one JSON line: changes sent, answered, refused, the
state generations seen, and the workers' long-loop counters before and after.
"""
import argparse
import json
import socket
import sys
import threading
import time


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--socket", required=True)
    ap.add_argument("--vip", required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--backends", required=True, help="comma-separated addresses of the VIP's backends")
    ap.add_argument("--spare", required=True, help="a backend to add and remove")
    ap.add_argument("--rate", type=float, default=500.0)
    ap.add_argument("--seconds", type=float, default=8.0)
    a = ap.parse_args()
    backends = a.backends.split(",")

    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(a.socket)
    rf = s.makefile("rb")
    answers = []
    done = threading.Event()

    def reader():
        for line in rf:
            answers.append(json.loads(line))
            if done.is_set() and len(answers) >= sent[0]:
                break

    def call(op, args=None):
        s.sendall((json.dumps({"id": "q", "op": op, "args": args or {}}) + "\n").encode())
        return json.loads(rf.readline())

    loops_before = call("stats")["result"]["lcores"]
    t = threading.Thread(target=reader, daemon=True)
    sent = [0]
    t.start()
    base = {"vip": a.vip, "port": a.port}
    spare_in = False
    t0 = time.monotonic()
    n = 0
    while time.monotonic() - t0 < a.seconds:
        due = t0 + n / a.rate
        now = time.monotonic()
        if now < due:
            time.sleep(min(due - now, 0.002))
            continue
        cycle, k = divmod(n, 10)
        out = backends[cycle % len(backends)]
        if n % 50 == 49:
            op, args = ("backend.remove" if spare_in else "backend.add"), {**base, "address": a.spare}
            spare_in = not spare_in
        elif k < 6:
            be = backends[(cycle + k) % len(backends)]
            op, args = "backend.set", {**base, "address": be, "weight": 1 + (cycle + k) % 4}
        else:
            # one backend at a time leaves the table and comes back: the others stay up
            op, args = "backend.set", {**base, "address": out, "state": ("draining", "up", "down", "up")[k - 6]}
        s.sendall((json.dumps({"id": n, "op": op, "args": args}) + "\n").encode())
        n += 1
        sent[0] = n
    done.set()
    deadline = time.monotonic() + 30
    while len(answers) < n and time.monotonic() < deadline:
        time.sleep(0.05)
    # leave the VIP as configured
    for be in backends:
        s.sendall((json.dumps({"id": "r", "op": "backend.set", "args": {**base, "address": be, "weight": 1, "state": "up"}}) + "\n").encode())
    if spare_in:
        s.sendall((json.dumps({"id": "r", "op": "backend.remove", "args": {**base, "address": a.spare}}) + "\n").encode())
    time.sleep(0.5)
    s2 = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s2.connect(a.socket)
    f2 = s2.makefile("rwb")
    f2.write(b'{"op":"stats"}\n')
    f2.flush()
    loops_after = json.loads(f2.readline())["result"]["lcores"]
    got = answers[:n]
    refused = [x for x in got if not x.get("ok")]
    gens = {x["result"]["state_generation"] for x in got if x.get("ok")}
    in_order = [x.get("id") for x in got] == list(range(len(got)))
    print(json.dumps({"sent": n, "answered": len(got), "refused": len(refused), "first_refusal": refused[:1],
                      "in_order": in_order, "swaps": len(gens), "seconds": a.seconds,
                      "loops_before": [{k: v for k, v in lc.items() if k.startswith("loops_")} for lc in loops_before],
                      "loops_after": [{k: v for k, v in lc.items() if k.startswith("loops_")} for lc in loops_after]}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
