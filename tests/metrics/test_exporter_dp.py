#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# The real voxrelay-dp on pcap vdevs and voxrelay-exporter: /metrics series and values, reload, dataplane restart.
import re
import shutil
import signal
import subprocess
import sys
import tempfile

from dpfixture import BACKENDS_5T, BACKENDS_ROOM, DOWN, DRAINING, VIP_5T, VIP_ROOM, Dataplane
from metricsutil import answers, free_port, get, parse, samples, value, wait_for

DP, EXPORTER, METRICS_DOC = sys.argv[1:4]
PORT = "net_pcap0"   # until the dataplane serves /voxrelay/ports, ports are named by their DPDK device
failures = []


def check(cond, msg):
    if not cond:
        failures.append(msg)
        print("FAIL:", msg)


def scrape(port):
    status, _, body = get("127.0.0.1", port)
    check(status == 200, f"/metrics: HTTP {status}")
    try:
        return parse(body), body
    except ValueError as e:
        check(False, f"exposition format: {e}")
        return {}, body


def main():
    tmp = tempfile.mkdtemp(prefix="vrt-metrics-dp-")
    dp = Dataplane(DP, tmp)
    exp_want = dp.expect
    port = free_port()
    exp = subprocess.Popen([EXPORTER, "--file-prefix", "vrt-metrics", "--listen", f"127.0.0.1:{port}"],
                           stderr=subprocess.PIPE, text=True)
    try:
        if not wait_for(lambda: exp.poll() is not None or answers("127.0.0.1", port), 10) or exp.poll() is not None:
            check(False, "exporter did not start")
            return 1
        fams, _ = scrape(port)
        check(value(fams, "voxrelay_dp_up") == 0, "up before the dataplane started")

        check(dp.start(), "voxrelay-dp did not get ready: " + "".join(dp.log[-20:]))
        # The pcap is read once, at start: wait until every frame is counted.
        fams = wait_for(lambda: (lambda f: f if value(f, "voxrelay_dp_rx_packets_total", port=PORT) == exp_want["frames"]
                                 else None)(scrape(port)[0]), 30)
        if not fams:
            fams, body = scrape(port)
            check(False, f"rx_packets never reached {exp_want['frames']}:\n{body[-3000:]}")
            return 1
        fams, body = scrape(port)
        check(value(fams, "voxrelay_dp_up") == 1, "up while running")
        n, fwd = exp_want["frames"], exp_want["forwarded"]
        check(value(fams, "voxrelay_dp_tx_packets_total", port=PORT) == fwd,
              f"port tx {value(fams, 'voxrelay_dp_tx_packets_total', port=PORT)} != {fwd}")
        check(value(fams, "voxrelay_dp_rx_bytes_total", port=PORT) > n * 60, "port rx bytes")
        check(value(fams, "voxrelay_dp_worker_rx_packets_total") == n, "worker rx")
        check(value(fams, "voxrelay_dp_lcore_rx_packets_total", lcore="1") == n, "lcore rx")
        for vip, want in exp_want["vip"].items():
            got = sum(v for l, v in samples(fams, "voxrelay_dp_vip_rx_packets_total") if l["vip"] == vip)
            check(got == want, f"VIP {vip}: rx {got}, expected {want}")
        check(value(fams, "voxrelay_dp_vip_backends", vip=VIP_ROOM, ports="50000-50019") == len(BACKENDS_ROOM),
              "room VIP: ports label or backends")
        tx = samples(fams, "voxrelay_dp_backend_tx_packets_total")
        check(sum(v for _, v in tx) == fwd, f"backend tx sum {sum(v for _, v in tx)} != {fwd}")
        check({l["backend"] for l, _ in tx} == set(BACKENDS_5T + BACKENDS_ROOM), f"backends {tx}")
        for l, v in tx:
            if l["backend"] in (DRAINING, DOWN):
                check(v == 0, f"{l['backend']} ({'draining' if l['backend'] == DRAINING else 'down'}) got {v} packets")
            check(l["ports"] == ("3478" if l["vip"] == VIP_5T else "50000-50019"), f"backend ports label {l}")
        check(sum(v for _, v in samples(fams, "voxrelay_dp_backend_tx_bytes_total")) > fwd * 200, "backend bytes")
        for b in BACKENDS_5T + BACKENDS_ROOM:
            st = "draining" if b == DRAINING else "down" if b == DOWN else "up"
            got = {l["state"]: v for l, v in samples(fams, "voxrelay_dp_backend_state") if l["backend"] == b}
            check(got == {s: float(s == st) for s in ("up", "draining", "down")}, f"state of {b}: {got}")
            check(value(fams, "voxrelay_dp_backend_up", backend=b) == float(st == "up"), f"backend_up of {b}")
        for reason, want in exp_want["drops"].items():
            check(value(fams, "voxrelay_dp_drops_total", reason=reason) == want,
                  f"drops {reason}: {value(fams, 'voxrelay_dp_drops_total', reason=reason)}, expected {want}")
        others = {l["reason"]: v for l, v in samples(fams, "voxrelay_dp_drops_total") if v and l["reason"] not in exp_want["drops"]}
        check(not others, f"unexpected drops {others}")
        ins = value(fams, "voxrelay_dp_conntrack_inserts_total")
        check(ins is not None and 120 <= ins <= fwd, f"conntrack inserts {ins}")
        ratio = value(fams, "voxrelay_dp_lcore_busy_ratio", lcore="1")
        check(ratio is not None and 0 <= ratio <= 1, f"busy ratio {ratio}")
        check(value(fams, "voxrelay_dp_lcore_cycles_total", lcore="1") > value(fams, "voxrelay_dp_lcore_busy_cycles_total", lcore="1") > 0,
              "lcore cycles")
        check(value(fams, "voxrelay_dp_reloads_total") == 0, "reloads before SIGHUP")

        # Every family served is documented in docs/metrics.md.
        doc = open(METRICS_DOC).read()
        missing = [f for f in fams if not re.search(r"\b" + re.escape(f) + r"\b", doc)]
        check(not missing, f"families not in docs/metrics.md: {missing}")
        promtool = shutil.which("promtool")
        if promtool:
            r = subprocess.run([promtool, "check", "metrics"], input=body, capture_output=True, text=True)
            check(r.returncode == 0, f"promtool check metrics: {r.stdout}{r.stderr}")

        # A reload shows up in the counters.
        dp.signal(signal.SIGHUP)
        check(wait_for(lambda: value(scrape(port)[0], "voxrelay_dp_reloads_total") == 1, 10), "reloads_total after SIGHUP")

        # Dataplane stopped: still HTTP 200, voxrelay_dp_up 0, no stale dataplane series.
        pid = value(scrape(port)[0], "voxrelay_dp_pid")
        check(dp.stop() == 0, "voxrelay-dp exit status")
        fams, _ = scrape(port)
        check(value(fams, "voxrelay_dp_up") == 0, "up after the dataplane stopped")
        check(value(fams, "voxrelay_dp_rx_packets_total", port=PORT) is None, "stale series while down")
        # Started again: found again without restarting the exporter, counters from zero.
        check(dp.start(), "voxrelay-dp did not restart")
        fams = wait_for(lambda: (lambda f: f if value(f, "voxrelay_dp_rx_packets_total", port=PORT) == n else None)(scrape(port)[0]), 30)
        check(fams and value(fams, "voxrelay_dp_up") == 1 and value(fams, "voxrelay_dp_pid") != pid,
              "not back after the dataplane restarted")
        check(fams and value(fams, "voxrelay_dp_reloads_total") == 0, "counters did not restart")
    finally:
        rc = dp.stop()
        if rc not in (None, 0):
            print("".join(dp.log[-30:]))
        exp.send_signal(signal.SIGTERM)
        try:
            _, err = exp.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            exp.kill()
            _, err = exp.communicate()
        check(exp.returncode == 0, f"exporter exit status {exp.returncode}")
        print(err, end="")
        shutil.rmtree(tmp, ignore_errors=True)
    if failures:
        print(f"{len(failures)} checks failed")
        return 1
    print(f"exporter_dp: {exp_want['frames']} frames in, all series and values as expected")
    return 0


if __name__ == "__main__":
    sys.exit(main())
