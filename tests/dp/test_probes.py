#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# voxrelay-dp's health probes on pcap vdevs in a private network namespace: HTTP through the tap, encapsulated; /voxrelay/probes pages.
"""
usage: test_probes.py VOXRELAY_DP [VOXRELAY_EXPORTER]

Runs the real binary under `unshare -n` (its tap, addresses and policy rule
stay in a throw-away namespace) with UDP echo checks on 40 backends and HTTP
checks on 2. Nothing answers on a pcap port, so every probe fails; what is
checked is the way out and the reporting:
- the kernel's SYNs to VIP:80 leave encapsulated in GUE to the backends, from
  our address, and nothing of the tap leaves unencapsulated;
- TCP for our address (a SYN-ACK, also VLAN-tagged) reaches the kernel; its
  reset, from no probe's port, is dropped; TCP for a VIP is dropped as not_udp;
- health.list shows the probe types, the HTTP settings and the tap;
- /voxrelay/probes pages 16 targets at a time with "next", all 42 once;
- the exporter turns them into voxrelay_dp_backend_probe* series for every backend;
- vip.add takes an HTTP check (file defaults filled in) and refuses HTTP keys on another type.
"""
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "metrics"))
from metricsutil import check, ctl, failures, scrape, start_exporter, stop_exporter  # noqa: E402

logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
from scapy.all import IP, TCP, UDP, Dot1Q, Ether, RawPcapWriter, rdpcap  # noqa: E402

DP = sys.argv[1]
EXPORTER = sys.argv[2] if len(sys.argv) > 2 else None
PREFIX = "vrt-dp-probes"
ME, GW_MAC, MY_MAC = "192.0.2.1", "02:00:00:00:00:fe", "02:00:00:00:00:aa"
VIP_UDP, VIP_HTTP = "203.0.113.1", "203.0.113.2"
UDP_BACKENDS = [f"10.1.0.{i}" for i in range(1, 41)]
HTTP_BACKENDS = ["10.2.0.1", "10.2.0.2"]


def check_vip_add(sock):
    """vip.add takes HTTP health with the file's defaults; HTTP keys with another type are refused."""
    r = ctl(sock, "vip.add", {"address": "203.0.113.3", "port": 8443, "backends": [{"address": "10.3.0.1"}],
                              "health": {"type": "http", "path": "/x", "expect": 204, "interval_ms": 100,
                                         "timeout_ms": 50}})
    check(r.get("ok"), f"vip.add with http health: {r}")
    b = [x for x in ctl(sock, "health.list")["result"]["backends"] if x["address"] == "10.3.0.1"]
    check(len(b) == 1 and b[0]["type"] == "http" and b[0]["port"] == 80 and
          b[0]["http"] == {"path": "/x", "host": "203.0.113.3", "expect": 204}, f"added target {b}")
    r = ctl(sock, "vip.add", {"address": "203.0.113.4", "port": 1, "backends": [{"address": "10.3.0.2"}],
                              "health": {"type": "udp-echo", "path": "/x"}})
    check(not r.get("ok") and "only type http uses it" in r.get("error", {}).get("message", ""), f"refusal {r}")
    r = ctl(sock, "vip.add", {"address": "203.0.113.4", "port": 1, "backends": [{"address": "10.3.0.2"}],
                              "health": {"type": "http", "host": "a b"}})
    check(not r.get("ok") and "health.host" in r.get("error", {}).get("message", ""), f"refusal {r}")


def telemetry(cmd):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.connect(f"/var/run/dpdk/{PREFIX}/dpdk_telemetry.v2")
    s.recv(4096)
    s.send(cmd.encode())
    reply = s.recv(1 << 16)
    s.close()
    check(len(reply) < 16384 - 512, f"{cmd}: {len(reply)} bytes, too close to DPDK's cap")
    return json.loads(reply)[cmd.split(",")[0]]


def config(tmp, inp, out):
    udp = "".join(f"        - address: {a}\n" for a in UDP_BACKENDS)
    http = "".join(f"        - address: {a}\n" for a in HTTP_BACKENDS)
    return f"""dataplane:
  eal: {{file_prefix: {PREFIX}, huge: false, memory_mb: 256}}
  control: {{socket: {tmp}/ctl.sock, mode: "0600"}}
  health: {{tap: vrtprobe0}}
  worker_lcores: [1]
  mbufs: 4095
  ports:
    - name: p0
      device: "net_pcap0,rx_pcap={inp},tx_pcap={out}"
      ipv4: {ME}
      gateway_ipv4: 192.0.2.254
      gateway_mac: "{GW_MAC}"
balancer:
  vips:
    - address: {VIP_UDP}
      port: 3478
      health: {{type: udp-echo, interval: 100ms, timeout: 50ms}}
      backends:
{udp}    - address: {VIP_HTTP}
      port: 443
      health: {{type: http, path: /hz, host: svc.example, interval: 100ms, timeout: 50ms}}
      backends:
{http}"""


def write_input(path):
    w = RawPcapWriter(path, linktype=1)
    eth = Ether(src=GW_MAC, dst=MY_MAC)
    # for us: the kernel behind the tap answers with a reset (no such connection)
    w.write(bytes(eth / IP(src=VIP_HTTP, dst=ME) / TCP(sport=80, dport=5555, flags="SA", seq=1, ack=1)))
    w.write(bytes(Ether(src=GW_MAC, dst=MY_MAC) / Dot1Q(vlan=7) / IP(src=VIP_HTTP, dst=ME) /
                  TCP(sport=80, dport=5556, flags="SA", seq=1, ack=1)))
    # for a VIP: not ours to carry
    w.write(bytes(eth / IP(src="10.9.0.1", dst=VIP_UDP) / TCP(sport=1234, dport=3478, flags="S")))
    w.close()


def check_pages():
    seen, first, pages = {}, 0, 0
    while True:
        r = telemetry(f"/voxrelay/probes,{first}" if first else "/voxrelay/probes")
        pages += 1
        ent = {k: v for k, v in r.items() if k != "next"}
        check(len(ent) <= 16, f"page at {first}: {len(ent)} entries")
        for k, v in ent.items():
            check(k not in seen, f"backend id {k} on two pages")
            seen[k] = v
        if "next" not in r:
            break
        check(r["next"] > first and all(int(k) < r["next"] for k in ent), f"next {r['next']} after {first}")
        first = r["next"]
        if pages > 10:
            break
    check(pages == 3, f"{pages} pages for 42 probes of 16 per page")
    check(len(seen) == 42, f"{len(seen)} probe entries, expected 42")
    addrs = {v.get("address"): v for v in seen.values()}
    check(set(addrs) == set(UDP_BACKENDS + HTTP_BACKENDS), f"addresses {sorted(addrs)}")
    for a, v in addrs.items():
        http = a in HTTP_BACKENDS
        check(v.get("type") == ("http" if http else "udp-echo"), f"{a}: type {v.get('type')}")
        check(v.get("vip") == (VIP_HTTP if http else VIP_UDP) and v.get("vip_ports") == ("443" if http else "3478"),
              f"{a}: vip {v.get('vip')} {v.get('vip_ports')}")
        check(v.get("probes", 0) >= 3 and v.get("probe_failures", 0) >= 3, f"{a}: probes {v}")
        cum = [v.get(f"probe_latency_us_le_{b}") for b in (500, 1000, 2500, 5000, 10000, 25000, 50000, 100000,
                                                          250000, 1000000)]
        check(None not in cum and cum == sorted(cum) and cum[-1] <= v.get("probe_latency_us_count", -1),
              f"{a}: histogram {cum} count {v.get('probe_latency_us_count')}")
    r = telemetry("/voxrelay/probes,4096")
    check(r == {} or r is None or not [k for k in r if k != "next"], f"past the last id: {r}")
    check(telemetry("/voxrelay/probes,x") is None, "a bad page parameter is refused")


def check_exporter():
    """The exporter reads every page and exports the probe families of docs/metrics.md."""
    exp, port, up = start_exporter(EXPORTER, "--file-prefix", PREFIX)
    try:
        text = scrape(port)[1] if up else ""
    finally:
        stop_exporter(exp)
    series = {}
    for line in text.splitlines():
        if line.startswith("voxrelay_dp_backend_probe"):
            name, value = line.rsplit(" ", 1)
            series[name] = float(value)
    for a in UDP_BACKENDS + HTTP_BACKENDS:
        ports = "443" if a in HTTP_BACKENDS else "3478"
        lab = f'vip="{VIP_HTTP if a in HTTP_BACKENDS else VIP_UDP}",ports="{ports}",backend="{a}"'
        check(series.get(f"voxrelay_dp_backend_probes_total{{{lab}}}", 0) >= 3, f"exporter: probes of {a}")
        check(series.get(f"voxrelay_dp_backend_probe_failures_total{{{lab}}}", 0) >= 3, f"exporter: failures of {a}")
        check(f'voxrelay_dp_backend_probe_latency_seconds_bucket{{{lab},le="+Inf"}}' in series,
              f"exporter: latency histogram of {a}")


def check_output(out):
    syn, echo, plain = set(), 0, []
    for p in rdpcap(out):
        if UDP in p and p[UDP].dport == 6080 and IP in p:
            inner = IP(bytes(p[UDP].payload)[4:])
            if TCP in inner and inner.dst == VIP_HTTP and inner[TCP].dport == 80 and inner[TCP].flags == "S":
                check(inner.src == ME and p[IP].src == ME, f"SYN from {inner.src} outer {p[IP].src}")
                check(p[Ether].dst == GW_MAC, f"SYN to MAC {p[Ether].dst}")
                syn.add(p[IP].dst)
            elif UDP in inner and inner.dst == VIP_UDP and inner[UDP].dport == 7:
                echo += 1
        elif TCP in p:
            plain.append(p.summary())
    check(syn == set(HTTP_BACKENDS), f"encapsulated SYNs went to {sorted(syn)}")
    check(echo >= 40 * 3, f"{echo} UDP echo probes")
    check(not plain, f"TCP left unencapsulated: {plain[:3]}")


def main():
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        print("test_probes: needs root and unshare; skipped")
        return 77
    tmp = tempfile.mkdtemp(prefix="vrt-dp-probes-")
    inp, out, cfgp, stats = (os.path.join(tmp, n) for n in ("in.pcap", "out.pcap", "dp.yaml", "stats.json"))
    write_input(inp)
    open(cfgp, "w").write(config(tmp, inp, out))
    proc = subprocess.Popen(["unshare", "-n", DP, "-c", cfgp, "--stats-json", stats], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    log = []
    for line in proc.stdout:
        log.append(line)
        if "voxrelay-dp: ready" in line:
            break
    try:
        check(any("tap vrtprobe0: HTTP probes' exception path" in x for x in log), "no tap: " + "".join(log[-5:]))
        time.sleep(1.5)
        h = ctl(os.path.join(tmp, "ctl.sock"), "health.list")["result"]
        by = {b["address"]: b for b in h["backends"]}
        check(len(by) == 42, f"health.list has {len(by)} targets")
        for a in HTTP_BACKENDS:
            b = by.get(a, {})
            check(b.get("type") == "http" and b.get("port") == 80, f"{a}: {b}")
            check(b.get("http") == {"path": "/hz", "host": "svc.example", "expect": 200}, f"{a}: http {b.get('http')}")
            check(b.get("health") == "down" and "timed out connecting" in b.get("last_failure", ""), f"{a}: {b}")
        check(by.get(UDP_BACKENDS[0], {}).get("type") == "udp-echo", f"{UDP_BACKENDS[0]}: {by.get(UDP_BACKENDS[0])}")
        tap = h.get("tap") or {}
        check(tap.get("iface") == "vrtprobe0" and tap.get("segments_in") == 2, f"tap {tap}")
        check(tap.get("out_dropped", 0) >= 2 and tap.get("segments_out", 0) >= 6, f"tap {tap}")
        check_pages()
        if EXPORTER:
            check_exporter()
        check_vip_add(os.path.join(tmp, "ctl.sock"))
    finally:
        proc.send_signal(signal.SIGTERM)
        rest, _ = proc.communicate(timeout=30)
        log.append(rest)
    check(proc.returncode == 0, f"exit status {proc.returncode}")
    st = json.load(open(stats))
    check(st["drops"].get("not_udp") == 1, f"not_udp drops {st['drops'].get('not_udp')}")
    check(st.get("slow_path", 0) >= 2, f"slow path {st.get('slow_path')}")
    check_output(out)
    if failures:
        print("".join(log)[-3000:])
        return 1
    shutil.rmtree(tmp)
    print("test_probes: OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
