#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# The measuring side of `scripts/bench.sh control`: forwarding with and without backend changes at a set rate, and each change's request-to-first-packet time.
"""Drives a running voxrelay-dp (fed at full rate by voxrelay-blast) through
alternating windows: quiet, then backend.set changes paced at --rate per
second on one control connection, then quiet again. For every window it reads
the workers' counters from DPDK telemetry (/voxrelay/stats): forwarding rate
is packets per second of worker busy time (TSC Hz / cycles per packet), the
same measure as `bench.sh balancer`, so a sender that shares a CPU with the
control thread does not move it; the wall-clock rate is printed beside it.

Apply time: each change's answer names the state generation that carries it;
state.history gives, per generation, the CLOCK_MONOTONIC time of the first
packet a worker forwarded with it. A change took effect at the first forward
of its generation or of any later one (a generation replaced before any packet
used it passes its changes on); apply time = that minus the moment the request
was written, measured here with the same clock.
"""
import argparse
import json
import os
import socket
import statistics
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_stats import Telemetry  # noqa: E402


class Control:
    """One pipelined control connection: a writer paced by the caller, a reader thread."""

    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.connect(path)
        self.rf = self.s.makefile("rb")
        self.sent = {}      # id -> monotonic ns when written
        self.answers = {}   # id -> answer
        self.lock = threading.Lock()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.rf:
            r = json.loads(line)
            with self.lock:
                self.answers[r.get("id")] = r

    def send(self, rid, op, args):
        data = (json.dumps({"id": rid, "op": op, "args": args}) + "\n").encode()
        t = time.monotonic_ns()
        self.s.sendall(data)
        self.sent[rid] = t

    def call(self, op, args=None, timeout=30.0):
        rid = f"q{time.monotonic_ns()}"
        self.send(rid, op, args or {})
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if rid in self.answers:
                    return self.answers.pop(rid)
            time.sleep(0.001)
        raise TimeoutError(f"no answer to {op}")


def counters(tel):
    st = tel.query("/voxrelay/stats")
    return time.monotonic(), int(st["rx_packets"]), int(st["busy_cycles"]), int(st["state_generation"])


def window(tel, secs, work=None):
    """Counters over @secs seconds; @work(deadline) runs in between if given."""
    t0, p0, c0, g0 = counters(tel)
    deadline = t0 + secs
    if work is not None:
        work(deadline)
    while time.monotonic() < deadline:
        time.sleep(0.05)
    t1, p1, c1, g1 = counters(tel)
    pk, cy = p1 - p0, c1 - c0
    return {"packets": pk, "busy_cycles": cy, "seconds": t1 - t0, "swaps": g1 - g0,
            "cycles_per_packet": cy / pk if pk else float("nan"), "wall_pps": pk / (t1 - t0)}


def changes(ctl, backends, vip, port, rate, history, tag):
    """backend.set at @rate per second until the deadline: weights 1..4 in turn,
    and every fourth change a draining/up toggle; history polled as it goes."""
    def work(deadline):
        period = 1e9 / rate
        t0 = time.monotonic_ns()
        n = 0
        next_hist = time.monotonic() + 0.25
        while True:
            now = time.monotonic_ns()
            if now >= deadline * 1e9:
                break
            due = t0 + n * period
            if now < due:
                time.sleep(min((due - now) / 1e9, 0.0005))
                continue
            be = backends[n % len(backends)]
            args = {"vip": vip, "port": port, "address": be}
            if n % 4 == 3:
                args["state"] = "draining" if (n // 4) % 2 == 0 else "up"
            else:
                args["weight"] = 1 + (n // len(backends)) % 4
            ctl.send(f"{tag}-{n}", "backend.set", args)
            n += 1
            if time.monotonic() >= next_hist:
                poll_history(ctl, history)
                next_hist = time.monotonic() + 0.25
        work.sent = n
    work.sent = 0
    return work


def poll_history(ctl, history):
    """Merge state.history into @history (generation -> entry); the dataplane
    keeps the last 1024 states, so poll more often than that many swaps."""
    r = ctl.call("state.history", {"limit": 1024})
    for h in r["result"]["states"]:
        old = history.get(h["generation"])
        if old is None or (old["first_forward_ns"] is None and h["first_forward_ns"] is not None):
            history[h["generation"]] = h


def apply_times(ctl, history, prefix):
    """Per accepted change: first forward of its generation or a later one, minus its send time (us)."""
    gens = sorted(history)
    # earliest first forward at or after each generation, scanning from the newest
    best, after = {}, None
    for g in reversed(gens):
        ff = history[g]["first_forward_ns"]
        if ff is not None and (after is None or ff < after):
            after = ff
        best[g] = after
    out, refused, unseen = [], 0, 0
    with ctl.lock:
        items = [(k, v) for k, v in ctl.answers.items() if isinstance(k, str) and k.startswith(prefix)]
    for rid, ans in items:
        if not ans.get("ok"):
            refused += 1
            continue
        g = ans["result"]["state_generation"]
        ff = best.get(g)
        if ff is None:
            unseen += 1
            continue
        out.append((ff - ctl.sent[rid]) / 1000.0)
    return out, refused, unseen


def pct(xs, p):
    if not xs:
        return float("nan")
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100.0 * (len(xs) - 1))))]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--socket", required=True, help="voxrelay-dp control socket")
    ap.add_argument("--telemetry", required=True, help="DPDK telemetry socket of voxrelay-dp")
    ap.add_argument("--vip", required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--rate", type=float, default=1000.0, help="changes per second (default 1000)")
    ap.add_argument("--window", type=float, default=5.0, help="seconds per window (default 5)")
    ap.add_argument("--rounds", type=int, default=3, help="quiet/changes pairs (default 3)")
    ap.add_argument("--out", help="write every window and latency sample here (JSON)")
    a = ap.parse_args()

    tel = Telemetry(a.telemetry)
    ctl = Control(a.socket)
    a.tsc_hz = float(ctl.call("stats")["result"]["tsc_hz"])
    vips = ctl.call("vip.list")["result"]["vips"]
    vip = next(v for v in vips if v["address"] == a.vip)
    backends = [b["address"] for b in vip["backends"]]
    history = {}
    quiet, busy, sent = [], [], 0
    for r in range(a.rounds):
        quiet.append(window(tel, a.window))
        w = changes(ctl, backends, a.vip, a.port, a.rate, history, f"r{r}")
        busy.append(window(tel, a.window, w))
        sent += w.sent
        print(f"round {r + 1}: quiet {quiet[-1]['cycles_per_packet']:.1f} cycles/packet, "
              f"changes {busy[-1]['cycles_per_packet']:.1f} cycles/packet, {w.sent / a.window:.0f} changes/s, "
              f"{busy[-1]['swaps']} swaps", file=sys.stderr)
    quiet.append(window(tel, a.window))
    # every answer in, then the first forwards of the last states
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with ctl.lock:
            if sum(1 for k in ctl.answers if isinstance(k, str) and k.startswith("r")) >= sent:
                break
        time.sleep(0.05)
    time.sleep(0.5)
    poll_history(ctl, history)
    lat, refused, unseen = apply_times(ctl, history, "r")
    # restore: weight 1, up
    for i, be in enumerate(backends):
        ctl.send(f"restore-{i}", "backend.set", {"vip": a.vip, "port": a.port, "address": be, "weight": 1, "state": "up"})

    def rate(ws):
        cy = sum(x["busy_cycles"] for x in ws)
        pk = sum(x["packets"] for x in ws)
        return a.tsc_hz * pk / cy / 1e6, cy / pk

    q_mpps, q_cpp = rate(quiet)
    b_mpps, b_cpp = rate(busy)
    wall_q = statistics.mean(x["wall_pps"] for x in quiet) / 1e6
    wall_b = statistics.mean(x["wall_pps"] for x in busy) / 1e6
    swaps = sum(x["swaps"] for x in busy)
    changes_per_s = sent / (a.rounds * a.window)
    print(f"{'case':<26}{'cycles/pkt':>12}{'Mpps/core':>12}{'wall Mpps':>12}")
    print(f"{'no changes':<26}{q_cpp:>12.1f}{q_mpps:>12.2f}{wall_q:>12.2f}")
    print(f"{'%.0f changes/s' % changes_per_s:<26}{b_cpp:>12.1f}{b_mpps:>12.2f}{wall_b:>12.2f}")
    print(f"changes sent {sent}, refused {refused}, in {swaps} swaps ({sent / max(swaps, 1):.1f} changes per swap); "
          f"apply time over {len(lat)} changes: p50 {pct(lat, 50):.0f} us, p99 {pct(lat, 99):.0f} us, "
          f"max {max(lat) if lat else float('nan'):.0f} us; {unseen} without a forwarded packet yet")
    if a.out:
        json.dump({"quiet": quiet, "changes": busy, "apply_us": lat}, open(a.out, "w"))
    print(json.dumps({"ratio": round(b_mpps / q_mpps, 4), "apply_p50_us": round(pct(lat, 50), 1),
                      "apply_p99_us": round(pct(lat, 99), 1), "mpps_per_core_quiet": round(q_mpps, 3),
                      "mpps_per_core_changes": round(b_mpps, 3), "changes_per_s": round(changes_per_s, 1),
                      "changes_per_swap": round(sent / max(swaps, 1), 2), "refused": refused}))
    return 0 if refused == 0 and lat else 1


if __name__ == "__main__":
    sys.exit(main())
