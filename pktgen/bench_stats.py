#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
# Samples and summarises the counters of scripts/bench.sh runs (voxrelay-dp telemetry, testpmd fwd stats, thread CPU time).
"""
Subcommands (all used by scripts/bench.sh):

  sample    every INTERVAL s, SAMPLES+1 times: the CPU time each rte-worker-*
            thread of PID actually ran (/proc/PID/task/TID/schedstat) and the
            receiver's counters: voxrelay-dp through its DPDK telemetry socket,
            testpmd by writing "show fwd stats all" + "clear fwd stats all"
            into its stdin FIFO (the figures land in its log).
  case      turn one run's samples into one JSON record (stdout).
  summary   a table of all records and, as the last line, one JSON object.

Why the CPU time: busy cycles are TSC cycles of loop iterations that received
packets, so time the kernel gave to another process in the middle of such an
iteration counts as busy. Preemption lands in an iteration in proportion to
how long that iteration runs, so busy_cycles x (CPU time / wall time) estimates
the cycles the worker itself spent; on a machine nobody else uses the share is
1 and the two figures agree.
"""
import argparse
import json
import os
import re
import socket
import statistics
import sys
import time

TESTPMD_CPP = re.compile(
    r"CPU cycles/packet=([0-9.]+) \(total cycles=(\d+) / total \S+ packets=(\d+)\) at (\d+) MHz")


def worker_tids(pid, timeout=10.0):
    """Thread ids of the EAL worker lcores of @pid (EAL names them rte-worker-N)."""
    deadline = time.monotonic() + timeout
    while True:
        tids = {}
        try:
            for tid in os.listdir(f"/proc/{pid}/task"):
                try:
                    with open(f"/proc/{pid}/task/{tid}/comm") as f:
                        comm = f.read().strip()
                except OSError:
                    continue
                if comm.startswith("rte-worker-"):
                    tids[tid] = comm
        except OSError:
            sys.exit(f"bench_stats: process {pid} is gone")
        if tids or time.monotonic() > deadline:
            return tids
        time.sleep(0.1)


def oncpu_ns(pid, tid):
    with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
        return int(f.read().split()[0])


class Telemetry:
    """Client of DPDK's telemetry v2 socket (one JSON request, one JSON reply)."""

    def __init__(self, path, timeout=10.0):
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
                self.sock.connect(path)
                break
            except OSError:
                self.sock.close()
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        info = json.loads(self.sock.recv(65536).decode())
        self.max_len = int(info.get("max_output_len", 16384))

    def query(self, cmd):
        self.sock.send(cmd.encode())
        reply = json.loads(self.sock.recv(self.max_len).decode())
        return reply.get(cmd)


def cmd_sample(a):
    tids = worker_tids(a.pid)
    if not tids:
        sys.exit(f"bench_stats: no rte-worker thread in process {a.pid}")
    tel = Telemetry(a.telemetry) if a.telemetry else None
    fifo = open(a.fifo, "w", buffering=1) if a.fifo else None
    t0 = time.monotonic()
    with open(a.out, "w") as out:
        for k in range(a.samples + 1):
            # sleep to an absolute schedule so that intervals do not drift
            delay = t0 + k * a.interval - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            rec = {"k": k, "wall_ns": time.monotonic_ns(),
                   "oncpu_ns": {tid: oncpu_ns(a.pid, tid) for tid in tids}}
            if tel:
                rec["lcores"] = tel.query("/voxrelay/lcores")
                rec["stats"] = tel.query("/voxrelay/stats")
            if fifo:
                fifo.write(("show fwd stats all\n" if k > 0 else "") + "clear fwd stats all\n")
            out.write(json.dumps(rec) + "\n")
            out.flush()
    if fifo:
        fifo.close()


def load_lines(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def med(xs):
    return statistics.median(xs) if xs else None


def cmd_case(a):
    samples = load_lines(a.samples)
    if len(samples) < 2:
        sys.exit(f"bench_stats: {a.samples}: fewer than two samples")
    nworkers = len(samples[0]["oncpu_ns"])
    iv = []  # per interval: busy cycles, rx packets, wall ns, on-CPU ns over all workers
    tsc_hz = None
    if a.kind == "testpmd":
        with open(a.log, errors="replace") as f:
            found = TESTPMD_CPP.findall(f.read())
        # one figure per "show" (the "stop" at the end prints one more)
        if len(found) < len(samples) - 1:
            sys.exit(f"bench_stats: {a.log}: {len(found)} cycle figures for {len(samples) - 1} intervals")
        for i in range(1, len(samples)):
            _, cyc, pkts, mhz = found[i - 1]
            tsc_hz = int(mhz) * 1000000
            iv.append((int(cyc), int(pkts), samples[i]["wall_ns"] - samples[i - 1]["wall_ns"],
                       sum(samples[i]["oncpu_ns"][t] - samples[i - 1]["oncpu_ns"][t] for t in samples[i]["oncpu_ns"])))
    else:
        with open(a.stats_json) as f:
            final = json.load(f)
        tsc_hz = final["tsc_hz"]

        def tot(s, key):
            return sum(v[key] for v in s["lcores"].values())
        for i in range(1, len(samples)):
            p, c = samples[i - 1], samples[i]
            iv.append((tot(c, "busy_cycles") - tot(p, "busy_cycles"), tot(c, "rx_packets") - tot(p, "rx_packets"),
                       c["wall_ns"] - p["wall_ns"],
                       sum(c["oncpu_ns"][t] - p["oncpu_ns"][t] for t in c["oncpu_ns"])))
    busy = sum(x[0] for x in iv)
    rx = sum(x[1] for x in iv)
    wall = sum(x[2] for x in iv)
    cpu = sum(x[3] for x in iv)
    if rx == 0:
        sys.exit(f"bench_stats: {a.name}: no packets received in the measured window")
    share = min(1.0, cpu / (nworkers * wall))
    cpp = busy / rx
    per_iv = [x[0] / x[1] for x in iv if x[1] > 0]
    per_iv_cpu = [x[0] / x[1] * min(1.0, x[3] / (nworkers * x[2])) for x in iv if x[1] > 0]
    rec = {
        "case": a.name, "kind": a.kind, "round": a.round, "flows": a.flows, "frame_bytes": a.frame,
        "workers": nworkers, "tsc_hz": tsc_hz, "window_s": round(wall / 1e9, 3), "intervals": len(iv),
        "rx_packets": rx, "busy_cycles": busy,
        "cycles_per_packet": round(cpp, 2),
        "cycles_per_packet_interval_median": round(med(per_iv), 2),
        "cycles_per_packet_interval_min": round(min(per_iv), 2),
        "cpu_share": round(share, 4),
        "cycles_per_packet_oncpu": round(cpp * share, 2),
        "cycles_per_packet_oncpu_interval_median": round(med(per_iv_cpu), 2),
        "rx_mpps": round(rx / (wall / 1e9) / 1e6, 4),
    }
    if a.kind == "dp":
        first, last = samples[0]["stats"], samples[-1]["stats"]
        ct = final.get("conntrack", {})
        rec.update({
            "conntrack_memory_bytes": ct.get("memory_bytes"),
            "conntrack_entries": ct.get("entries"),
            "conntrack_inserts_in_window": last["conntrack_inserts"] - first["conntrack_inserts"],
            "conntrack_evictions_in_window": last["conntrack_evictions"] - first["conntrack_evictions"],
            "conntrack_evictions": ct.get("evictions"),
            "drops": {k: v for k, v in final.get("drops", {}).items() if v},
            "tx_packets_total": sum(lc["tx_packets"] for lc in final["lcores"]),
            "rx_packets_total": sum(lc["rx_packets"] for lc in final["lcores"]),
        })
    if a.blast and os.path.exists(a.blast):
        with open(a.blast) as f:
            b = json.load(f)
        rec["sender_tx_mpps"] = b.get("tx_mpps")
    print(json.dumps(rec))


def cmd_summary(a):
    recs = load_lines(a.results)
    meta = dict(kv.split("=", 1) for kv in a.meta)
    cases = []
    for r in recs:
        if r["case"] not in cases:
            cases.append(r["case"])
    hz = int(med([r["tsc_hz"] for r in recs]))
    tp = "testpmd-io"

    def of(case, key):
        return [r[key] for r in recs if r["case"] == case and r.get(key) is not None]

    def agg(case, key, how=med, nd=2):
        xs = of(case, key)
        if not xs:
            return None
        v = how(xs)
        return int(round(v)) if nd == 0 else round(v, nd)

    def mpps(cpp):
        return None if not cpp else round(hz / cpp / 1e6, 3)

    def ratio(num, den):
        return None if not num or not den else round(num / den, 4)

    # voxrelay's figure is the median over rounds. testpmd's is its lowest
    # round: io forwarding is faster than the sender, so testpmd polls a
    # nearly empty ring that the sender is writing, and in some rounds that
    # tug of war over the same cache lines doubles or triples its cost. The
    # lowest round is the one least disturbed by it (noise only ever adds).
    print(f"{'case':<24} {'flows':>8} {'runs':>6} {'cyc/pkt':>8} {'range':>15} {'Mpps/core':>9} "
          f"{'cpu share':>9} {'cyc/pkt on-CPU':>14} {'rx Mpps':>8} {'ct MiB':>7}")
    for c in cases:
        cpp = agg(c, "cycles_per_packet", min if c == tp else med)
        ctb = agg(c, "conntrack_memory_bytes", nd=0)
        rng = f"{min(of(c, 'cycles_per_packet')):.0f}-{max(of(c, 'cycles_per_packet')):.0f}"
        print(f"{c:<24} {of(c, 'flows')[0]:>8} {len(of(c, 'flows')):>6} {cpp:>8} {rng:>15} {mpps(cpp):>9} "
              f"{agg(c, 'cpu_share', nd=3):>9} "
              f"{agg(c, 'cycles_per_packet_oncpu', min if c == tp else med):>14} "
              f"{agg(c, 'rx_mpps', nd=3):>8} {'' if ctb is None else round(ctb / 2**20, 1):>7}")

    def paired(dp_case, key):
        """testpmd's cycles / ours within each round (same minute, same neighbours), median over rounds."""
        out = []
        for r in recs:
            t = [x[key] for x in recs if x["case"] == tp and x["round"] == r["round"]]
            if r["case"] == dp_case and t and r[key]:
                out.append(min(t) / r[key])
        return round(med(out), 4) if out else None

    main, small, two = "voxrelay-balancer", "voxrelay-balancer-10k", "voxrelay-balancer-2w"
    tp_cpp, tp_cpu = agg(tp, "cycles_per_packet", min), agg(tp, "cycles_per_packet_oncpu", min)
    vr_cpp, vr_cpu = agg(main, "cycles_per_packet"), agg(main, "cycles_per_packet_oncpu")
    sm_cpp, sm_cpu = agg(small, "cycles_per_packet"), agg(small, "cycles_per_packet_oncpu")
    res = {"bench": "balancer", **meta}
    res.update({
        "flows": of(main, "flows")[0] if of(main, "flows") else None,
        "frame_bytes": of(main, "frame_bytes")[0] if of(main, "frame_bytes") else None,
        "tsc_hz": hz,
        "voxrelay_cycles_per_packet": vr_cpp,
        "testpmd_io_cycles_per_packet": tp_cpp,
        "voxrelay_mpps_per_core": mpps(vr_cpp),
        "ratio": ratio(tp_cpp, vr_cpp),
        "voxrelay_cycles_per_packet_rounds": of(main, "cycles_per_packet"),
        "testpmd_io_cycles_per_packet_rounds": of(tp, "cycles_per_packet"),
        "testpmd_io_cycles_per_packet_median": agg(tp, "cycles_per_packet"),
        "ratio_paired_median": paired(main, "cycles_per_packet"),
        "voxrelay_cycles_per_packet_oncpu": vr_cpu,
        "testpmd_io_cycles_per_packet_oncpu": tp_cpu,
        "voxrelay_mpps_per_core_oncpu": mpps(vr_cpu),
        "ratio_oncpu": ratio(tp_cpu, vr_cpu),
        "cpu_share_voxrelay": agg(main, "cpu_share", nd=3),
        "cpu_share_testpmd": agg(tp, "cpu_share", nd=3),
        "voxrelay_rx_mpps": agg(main, "rx_mpps", nd=3),
        "testpmd_rx_mpps_rounds": of(tp, "rx_mpps"),
        "conntrack_mib": None if agg(main, "conntrack_memory_bytes", nd=0) is None
        else round(agg(main, "conntrack_memory_bytes", nd=0) / 2**20, 1),
        "conntrack_entries": agg(main, "conntrack_entries", nd=0),
        "conntrack_inserts_in_window": agg(main, "conntrack_inserts_in_window", max, nd=0),
        "conntrack_evictions_in_window": agg(main, "conntrack_evictions_in_window", max, nd=0),
        "flows_10k": of(small, "flows")[0] if of(small, "flows") else None,
        "voxrelay_10k_cycles_per_packet": sm_cpp,
        "voxrelay_10k_mpps_per_core": mpps(sm_cpp),
        "voxrelay_10k_cycles_per_packet_oncpu": sm_cpu,
        "voxrelay_10k_mpps_per_core_oncpu": mpps(sm_cpu),
        "ratio_10k": ratio(tp_cpp, sm_cpp),
    })
    if of(two, "flows"):
        tw = agg(two, "cycles_per_packet")
        res.update({
            "voxrelay_2w_cycles_per_packet": tw,
            "voxrelay_2w_mpps_per_core": mpps(tw),
            "voxrelay_2w_cycles_per_packet_oncpu": agg(two, "cycles_per_packet_oncpu"),
            "voxrelay_2w_rx_mpps": agg(two, "rx_mpps", nd=3),
        })
    drops = {}
    for r in recs:
        for k, v in (r.get("drops") or {}).items():
            drops[k] = drops.get(k, 0) + v
    res["drops"] = drops

    def target(name, value, ok):
        return {"name": name, "value": value, "met": None if value is None else ok(value)}
    res["targets"] = [
        target("voxrelay_mpps_per_core >= 10 (1M flows)", res["voxrelay_mpps_per_core"], lambda v: v >= 10),
        target("voxrelay_mpps_per_core >= 5.3 (10 GbE at 218 B)", res["voxrelay_mpps_per_core"],
               lambda v: v >= 5.3),
        target("ratio >= 0.10", res["ratio"], lambda v: v >= 0.10),
        target("conntrack_mib <= 128 (1M flows)", res["conntrack_mib"], lambda v: v <= 128),
    ]
    print()
    for t in res["targets"]:
        verdict = "n/a" if t["met"] is None else ("met" if t["met"] else "NOT met")
        print(f"target {t['name']:<48} {str(t['value']):>10}  {verdict}")
    if res["cpu_share_voxrelay"] is not None and min(res["cpu_share_voxrelay"], res["cpu_share_testpmd"] or 1) < 0.9:
        print("warning: the workers got less than 90% of their cpu (other processes ran there);"
              " see the on-CPU figures")
    print(json.dumps(res))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("sample")
    s.add_argument("--pid", type=int, required=True)
    s.add_argument("--out", required=True)
    s.add_argument("--samples", type=int, default=5)
    s.add_argument("--interval", type=float, default=2.0)
    s.add_argument("--telemetry")
    s.add_argument("--fifo")
    c = sub.add_parser("case")
    c.add_argument("--kind", choices=["dp", "testpmd"], required=True)
    c.add_argument("--name", required=True)
    c.add_argument("--round", type=int, required=True)
    c.add_argument("--flows", type=int, required=True)
    c.add_argument("--frame", type=int, required=True)
    c.add_argument("--samples", required=True)
    c.add_argument("--log")
    c.add_argument("--stats-json")
    c.add_argument("--blast")
    m = sub.add_parser("summary")
    m.add_argument("--results", required=True)
    m.add_argument("meta", nargs="*", help="key=value pairs copied into the JSON")
    a = ap.parse_args()
    {"sample": cmd_sample, "case": cmd_case, "summary": cmd_summary}[a.cmd](a)


if __name__ == "__main__":
    main()
