#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# The real voxrelay-dp on pcap vdevs and voxrelay-exporter: /metrics series and values, reload, restart, paging.
import os
import shutil
import signal
import sys
import tempfile

from dpfixture import (BACKENDS_5T, BACKENDS_ROOM, DOWN, DRAINING, FILE_PREFIX, PORT_NAME, VIP_5T, VIP_ROOM,
                       Dataplane, paging_backends, paging_config)
from metricsutil import (TRUNC_MARGIN, Telemetry, check, check_documented, failures, promtool_lint, samples, scrape,
                         start_exporter, stop_exporter, value, wait_for)

DP, EXPORTER, METRICS_DOC = sys.argv[1:4]
PORT = PORT_NAME     # /voxrelay/ports labels ports with their configured name
PAGE = 32            # VR_DP_TEL_PAGE: entries per reply of the list commands


def check_ports(fams, want):
    """The NIC counters of /voxrelay/ports, exactly, straight from telemetry and through the exporter."""
    tel = Telemetry(FILE_PREFIX)
    try:
        _, ports = tel.ask("/voxrelay/ports")
    finally:
        tel.close()
    exact = {"rx_packets": want["frames"], "tx_packets": want["forwarded"], "rx_bytes": want["rx_bytes"],
             "tx_bytes": want["tx_bytes"], "rx_missed": 0, "rx_errors": 0, "tx_errors": 0, "rx_nombuf": 0}
    gauges = {"link_up": 1, "mtu": 1500, "rx_queues": 1, "tx_queues": 1}
    p = (ports or {}).get("0", {})
    check(isinstance(ports, dict) and set(ports) == {"0"}, f"/voxrelay/ports: {ports}")
    check(p.get("name") == PORT and p.get("device") == "net_pcap0" and p.get("port_id") == 0, f"port 0: {p}")
    for k, v in {**exact, **gauges}.items():
        check(p.get(k) == v, f"/voxrelay/ports p0 {k}: {p.get(k)}, expected {v}")
    for k, v in exact.items():
        got = value(fams, f"voxrelay_dp_{k}_total", port=PORT)
        check(got == v, f"voxrelay_dp_{k}_total{{port={PORT}}}: {got}, expected {v}")
    for k, v in gauges.items():
        got = value(fams, f"voxrelay_dp_{k}", port=PORT)
        check(got == v and fams[f"voxrelay_dp_{k}"]["type"] == "gauge", f"voxrelay_dp_{k}{{port={PORT}}}: {got}")
    speed = value(fams, "voxrelay_dp_link_speed_mbps", port=PORT)
    check(speed is not None and speed == p.get("link_speed_mbps"), f"link speed {speed}, telemetry {p}")
    # The backends were sent exactly what left the port.
    sent = sum(v for _, v in samples(fams, "voxrelay_dp_backend_tx_bytes_total"))
    check(sent == want["tx_bytes"], f"backend tx bytes {sent}, port tx bytes {want['tx_bytes']}")
    # Nothing from the ethdev fallback (which labels ports by DPDK device name).
    labels = {l["port"] for l, _ in samples(fams, "voxrelay_dp_rx_packets_total")}
    check(labels == {PORT}, f"port labels {labels}")


def check_pages(tel, cmd, want_pages):
    """Follows a list command's pages: each below the exporter's truncation mark, at most PAGE entries, full
    but for the last, "next" the first id of the following page, no key twice. Returns {key: entry}."""
    pages = tel.pages(cmd)
    cap = tel.info["max_output_len"] - TRUNC_MARGIN
    entries = {}
    check(len(pages) == want_pages, f"{cmd}: {len(pages)} pages, expected {want_pages}")
    for i, (size, page) in enumerate(pages):
        if not check(isinstance(page, dict), f"{cmd} page {i}: {str(page)[:200]}"):
            return entries
        keys = [k for k in page if k != "next"]
        check(size < cap, f"{cmd} page {i}: {size} bytes, not below {cap}")
        check(len(keys) == PAGE if "next" in page else 0 < len(keys) <= PAGE, f"{cmd} page {i}: {len(keys)} entries")
        if i + 1 < len(pages):
            following = [int(k) for k in pages[i + 1][1] if k != "next"]
            check(following and page.get("next") == min(following), f"{cmd} page {i}: next {page.get('next')}")
        for k in keys:
            check(k not in entries, f"{cmd}: {k} on two pages")
            entries[k] = page[k]
    return entries


def paging(tmp, port):
    """1000 backends over 50 VIPs: every list command pages within DPDK's cap; the exporter gets every backend."""
    os.makedirs(os.path.join(tmp, "paging"))
    dp = Dataplane(DP, os.path.join(tmp, "paging"), paging_config)
    want = paging_backends()
    nvips = len({(v, p) for v, p, *_ in want})
    tel = None
    try:
        if not check(dp.start(), "voxrelay-dp (paging) did not get ready: " + "".join(dp.log[-20:])):
            return
        tel = Telemetry(FILE_PREFIX)
        backends = check_pages(tel, "/voxrelay/backends", -(-len(want) // PAGE))
        got = sorted((b["vip"], b["vip_ports"], b["address"], b["weight"], b["state"]) for b in backends.values())
        check(got == sorted(want), f"/voxrelay/backends over all pages: {len(got)} backends, not the configured "
              f"{len(want)} (first difference {next((a for a in zip(got, sorted(want)) if a[0] != a[1]), None)})")
        vips = check_pages(tel, "/voxrelay/vips", -(-nvips // PAGE))
        check(len(vips) == nvips and all(v["backends"] == len(want) // nvips for v in vips.values()),
              f"/voxrelay/vips over all pages: {len(vips)} VIPs")
        check(len(check_pages(tel, "/voxrelay/lcores", 1)) == 1, "/voxrelay/lcores")
        check(len(check_pages(tel, "/voxrelay/ports", 1)) == 1, "/voxrelay/ports")
        # A page starts at any id; bad parameters are refused (null), a start past the end is an empty page.
        ids = sorted(int(k) for k in backends)
        last, at = ids[-1], len(ids) // 2 + 1
        mid = tel.ask(f"/voxrelay/backends,{ids[at]}")[1] or {}
        check(sorted(int(k) for k in mid if k != "next") == ids[at:at + PAGE] and mid.get("next") == ids[at + PAGE],
              f"/voxrelay/backends,{ids[at]}: {sorted(mid)}")
        for bad in ("abc", "-1", "1x", " 3", "0x10", "1.5"):
            for cmd in ("/voxrelay/backends", "/voxrelay/vips", "/voxrelay/lcores", "/voxrelay/ports"):
                r = tel.ask(f"{cmd},{bad}")[1]
                check(r is None, f"{cmd},{bad}: {str(r)[:200]}, expected null")
        for cmd, past in (("/voxrelay/backends", last + 1), ("/voxrelay/backends", 4096), ("/voxrelay/vips", 256),
                          ("/voxrelay/lcores", 1), ("/voxrelay/ports", 1), ("/voxrelay/backends", 10 ** 30)):
            r = tel.ask(f"{cmd},{past}")[1]
            check(r == {}, f"{cmd},{past}: {str(r)[:200]}, expected {{}}")
        for cmd in ("/voxrelay/backends", "/voxrelay/vips", "/voxrelay/lcores", "/voxrelay/ports"):
            h = (tel.ask(f"/help,{cmd}")[1] or {}).get(cmd, "")
            check("Paged" in h and "next" in h, f"help of {cmd}: {h!r}")

        # The exporter follows the pages: every backend once, with its VIP's port range, nothing cut.
        # (The first scrape finds the previous dataplane's connection broken: one error, then it reconnects.)
        before = wait_for(lambda: (lambda f: f if value(f, "voxrelay_dp_up") == 1 else None)(scrape(port)[0]), 10) or {}
        fams, body = scrape(port)
        weights = samples(fams, "voxrelay_dp_backend_weight")
        got = sorted((l["vip"], l["ports"], l["backend"], int(v)) for l, v in weights)
        check(got == sorted((v, p, b, w) for v, p, b, w, _ in want),
              f"exporter: {len(got)} backend_weight series, expected {len(want)}")
        for (vip, ports, b, _, st) in want[:60]:
            check(value(fams, "voxrelay_dp_backend_state", vip=vip, ports=ports, backend=b, state=st) == 1,
                  f"exporter: state of {b} ({vip}:{ports}) is not {st}")
        check(sum(v for _, v in samples(fams, "voxrelay_dp_backend_up")) == sum(s == "up" for *_, s in want),
              "exporter: backends up")
        check(len(samples(fams, "voxrelay_dp_vip_backends")) == nvips, "exporter: VIPs")
        check(value(fams, "voxrelay_exporter_truncated_replies_total") == 0,
              f"exporter: truncated replies {value(fams, 'voxrelay_exporter_truncated_replies_total')}")
        errs = [value(f, "voxrelay_exporter_telemetry_errors_total") for f in (before, fams)]
        check(errs[0] is not None and errs[0] == errs[1], f"exporter: telemetry errors {errs}")
        promtool_lint(body, "paging")
    finally:
        if tel is not None:
            tel.close()
        rc = dp.stop()
        check(rc in (None, 0), f"voxrelay-dp (paging) exit status {rc}")
        if rc not in (None, 0):
            print("".join(dp.log[-30:]))


def main():
    tmp = tempfile.mkdtemp(prefix="vrt-metrics-dp-")
    dp = Dataplane(DP, tmp)
    exp_want = dp.expect
    exp, port, up = start_exporter(EXPORTER, "--file-prefix", FILE_PREFIX)
    try:
        if not up:
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
        check_ports(fams, exp_want)
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
        check_documented(fams, METRICS_DOC)
        promtool_lint(body, "balancer")

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
        check(dp.stop() == 0, "voxrelay-dp exit status after the restart")
        paging(tmp, port)
    finally:
        rc = dp.stop()
        if rc not in (None, 0):
            print("".join(dp.log[-30:]))
        print(stop_exporter(exp), end="")
        shutil.rmtree(tmp, ignore_errors=True)
    if failures:
        print(f"{len(failures)} checks failed")
        return 1
    print(f"exporter_dp: {exp_want['frames']} frames in, all series and values as expected")
    return 0


if __name__ == "__main__":
    sys.exit(main())
