#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# Runs the real voxrelay-dp on pcap vdevs and checks every output packet: outer headers, checksums, inner bytes, backend.
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

import logging
logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
from scapy.all import (ARP, IP, UDP, TCP, Dot1Q, Ether, IPv6, IPv6ExtHdrFragment, Raw, RawPcapReader, RawPcapWriter,
                       rdpcap)

DP, LBQUERY = sys.argv[1], sys.argv[2]
GW_MAC = "02:00:00:00:00:fe"
CLIENT_MAC = "02:00:00:00:00:01"
OUR_V4, OUR_V6 = "192.0.2.1", "2001:db8::1"
VIP_5T, VIP_ROOM, VIP_IPIP, VIP_V6 = "203.0.113.1", "203.0.113.2", "203.0.113.3", "2001:db8:100::1"
GUE_PORT = 6080

failures = []


def check(cond, msg):
    if not cond:
        failures.append(msg)


def rtp(seq, ssrc, size=176):
    hdr = bytes([0x80, 0x00]) + seq.to_bytes(2, "big") + (seq * 160).to_bytes(4, "big") + ssrc.to_bytes(4, "big")
    return hdr + bytes((seq + i) & 0xff for i in range(size - len(hdr)))


def config(tmp, inp, out):
    be = lambda addrs: "".join(f"        - address: {a}\n" for a in addrs)
    return f"""dataplane:
  eal: {{file_prefix: vrt-dp-pcap, huge: false, memory_mb: 512}}
  control: {{socket: {tmp}/ctl.sock}}
  worker_lcores: [1]
  mbufs: 4095
  ports:
    - name: p0
      device: "net_pcap0,rx_pcap={inp},tx_pcap={out}"
      mtu: 1500
      ipv4: {OUR_V4}
      ipv6: {OUR_V6}
      gateway_ipv4: 192.0.2.254
      gateway_ipv6: 2001:db8::fe
      gateway_mac: "{GW_MAC}"
balancer:
  maglev_table_size: 65537
  conntrack: {{capacity: 65536, udp_timeout: 30s}}
  vips:
    - address: {VIP_5T}
      port: 3478
      backends:
{be(["198.51.100.11", "198.51.100.12", "198.51.100.13"])}    - address: {VIP_ROOM}
      ports: 50000-50019
      hash: dst-port
      backends:
{be(["198.51.100.21", "198.51.100.22", "198.51.100.23"])}    - address: {VIP_IPIP}
      port: 4000
      encap: ipip
      backends:
{be(["198.51.100.31"])}    - address: {VIP_V6}
      port: 3478
      backends:
{be(["2001:db8:2::11", "2001:db8:2::12", "198.51.100.41"])}"""


def check_ports(tel_ports, frames, out):
    """/voxrelay/ports: the NIC counters of port p0 equal the frames read from and written to its pcap files."""
    check(isinstance(tel_ports, dict) and set(tel_ports) == {"0"}, f"telemetry /voxrelay/ports: {tel_ports}")
    p = (tel_ports or {}).get("0") or {}
    sent = [meta.wirelen for _, meta in RawPcapReader(out)]
    want = {"name": "p0", "device": "net_pcap0", "port_id": 0, "mtu": 1500, "link_up": 1,
            "rx_queues": 1, "tx_queues": 1,
            "rx_packets": len(frames), "rx_bytes": sum(len(bytes(f)) for f in frames),
            "tx_packets": len(sent), "tx_bytes": sum(sent),
            "rx_missed": 0, "rx_errors": 0, "tx_errors": 0, "rx_nombuf": 0}
    for k, v in want.items():
        check(p.get(k) == v, f"/voxrelay/ports p0 {k}: {p.get(k)}, expected {v}")
    check(isinstance(p.get("link_speed_mbps"), int), f"/voxrelay/ports p0 link_speed_mbps: {p.get('link_speed_mbps')}")


def main():
    tmp = tempfile.mkdtemp(prefix="vrt-dp-pcap-")
    inp, out, cfgp, stats = (os.path.join(tmp, n) for n in ("in.pcap", "out.pcap", "dp.yaml", "stats.json"))
    frames, expect = [], []  # expect: (inner IP bytes, vip, src, sport, dst, dport)
    eth = Ether(src=CLIENT_MAC, dst="02:00:00:00:00:aa")

    def good(pkt, vip, sport, dport, src, dst):
        frames.append(pkt)
        l3 = pkt[IP] if IP in pkt else pkt[IPv6]
        expect.append((bytes(l3), vip, src, sport, dst, dport))

    seq = 0
    for f in range(200):  # five-tuple flows, 3 packets each
        src = f"10.9.{f // 100}.{f % 100 + 1}"
        for _ in range(3):
            seq += 1
            good(eth / IP(src=src, dst=VIP_5T) / UDP(sport=20000 + f, dport=3478) / Raw(rtp(seq, f)), VIP_5T, 20000 + f, 3478, src, VIP_5T)
    for room in range(20):  # rooms: 5 members each
        for m in range(5):
            src = f"10.10.{room}.{m + 1}"
            seq += 1
            good(eth / IP(src=src, dst=VIP_ROOM) / UDP(sport=30000 + m, dport=50000 + room) / Raw(rtp(seq, room * 10 + m)), VIP_ROOM, 30000 + m, 50000 + room, src, VIP_ROOM)
    for f in range(10):
        seq += 1
        good(eth / IP(src=f"10.11.0.{f + 1}", dst=VIP_IPIP) / UDP(sport=40000 + f, dport=4000) / Raw(rtp(seq, 7)), VIP_IPIP, 40000 + f, 4000, f"10.11.0.{f + 1}", VIP_IPIP)
    for f in range(60):
        seq += 1
        src = f"2001:db8:9::{f + 1:x}"
        good(Ether(src=CLIENT_MAC, dst="02:00:00:00:00:aa") / IPv6(src=src, dst=VIP_V6) / UDP(sport=20000 + f, dport=3478) / Raw(rtp(seq, 9)), VIP_V6, 20000 + f, 3478, src, VIP_V6)
    # VLAN-tagged voice is accepted.
    seq += 1
    good(eth / Dot1Q(vlan=42) / IP(src="10.12.0.1", dst=VIP_5T) / UDP(sport=1234, dport=3478) / Raw(rtp(seq, 1)), VIP_5T, 1234, 3478, "10.12.0.1", VIP_5T)

    drops = {}

    def bad(reason, raw):
        frames.append(raw)
        drops[reason] = drops.get(reason, 0) + 1

    ok = eth / IP(src="10.13.0.1", dst=VIP_5T) / UDP(sport=1, dport=3478) / Raw(rtp(1, 1))
    okb = bytes(ok)
    bad("l2_truncated", Ether(okb[:10]) if False else Raw(okb[:10]))
    bad("ipv4_truncated", Raw(okb[:14 + 12]))
    x = bytearray(okb); x[14 + 10] ^= 0xff; bad("ipv4_bad_checksum", Raw(bytes(x)))
    bad("ipv4_options", eth / IP(src="10.13.0.1", dst=VIP_5T, options=b"\x01\x01\x01\x00") / UDP(sport=1, dport=3478) / Raw(b"x" * 20))
    bad("fragment", eth / IP(src="10.13.0.1", dst=VIP_5T, flags="MF") / UDP(sport=1, dport=3478) / Raw(b"x" * 20))
    bad("fragment", Ether(src=CLIENT_MAC, dst="02:00:00:00:00:aa") / IPv6(src="2001:db8:9::1", dst=VIP_V6) / IPv6ExtHdrFragment(m=1) / UDP(sport=1, dport=3478) / Raw(b"x" * 20))
    bad("not_udp", eth / IP(src="10.13.0.1", dst=VIP_5T) / TCP(sport=1, dport=3478))
    bad("no_vip", eth / IP(src="10.13.0.1", dst=VIP_5T) / UDP(sport=1, dport=3479) / Raw(b"x" * 20))
    bad("no_vip", eth / IP(src="10.13.0.1", dst="203.0.113.99") / UDP(sport=1, dport=3478) / Raw(b"x" * 20))
    x = bytearray(bytes(eth / IP(src="10.13.0.1", dst=VIP_5T, ihl=4) / UDP(sport=1, dport=3478) / Raw(b"x" * 20))); bad("ipv4_bad_ihl", Raw(bytes(x)))
    p = eth / IP(src="10.13.0.1", dst=VIP_5T, len=400) / UDP(sport=1, dport=3478) / Raw(b"x" * 20); bad("ipv4_bad_length", Raw(bytes(p)))
    p = eth / IP(src="10.13.0.1", dst=VIP_5T) / UDP(sport=1, dport=3478, len=300) / Raw(b"x" * 20); bad("udp_bad_length", Raw(bytes(p)))
    bad("vlan_stacked", eth / Dot1Q(vlan=1) / Dot1Q(vlan=2) / IP(src="10.13.0.1", dst=VIP_5T) / UDP(sport=1, dport=3478))
    # 1472 bytes of IP fit the wire MTU but not with 36 bytes of GUE around them.
    bad("mtu_exceeded", eth / IP(src="10.13.0.1", dst=VIP_5T) / UDP(sport=2, dport=3478) / Raw(b"x" * (1472 - 28)))
    # ARP request for our address: answered.
    frames.append(Ether(src=CLIENT_MAC, dst="ff:ff:ff:ff:ff:ff") / ARP(op=1, hwsrc=CLIENT_MAC, psrc="192.0.2.254", pdst=OUR_V4))

    w = RawPcapWriter(inp, linktype=1)
    for f in frames:
        w.write(bytes(f))
    w.close()
    with open(cfgp, "w") as f:
        f.write(config(tmp, inp, out))

    t0 = time.time()
    proc = subprocess.Popen([DP, "-c", cfgp, "--stats-json", stats], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.time() + 60
    log = []
    for line in proc.stdout:
        log.append(line)
        if "voxrelay-dp: ready" in line or time.time() > deadline:
            break
    print(f"dp_pcap: ready after {time.time() - t0:.1f} s")
    time.sleep(3)
    # The running process answers DPDK's own telemetry client.
    tel = subprocess.run(["dpdk-telemetry.py", "-f", "vrt-dp-pcap"], input="/voxrelay/stats\n/voxrelay/drops\n/voxrelay/ports\n",
                         capture_output=True, text=True, timeout=30).stdout
    objs = []
    for line in tel.splitlines():
        line = line.strip().lstrip("-> ").strip()
        if line.startswith("{"):
            try:
                objs.append(json.loads(line))
            except ValueError:
                pass
    tel_stats = next((o["/voxrelay/stats"] for o in objs if "/voxrelay/stats" in o), None)
    tel_drops = next((o["/voxrelay/drops"] for o in objs if "/voxrelay/drops" in o), None)
    tel_ports = next((o["/voxrelay/ports"] for o in objs if "/voxrelay/ports" in o), None)
    # A broken file on SIGHUP is refused and the running state stays; a good one is taken.
    good_cfg = open(cfgp).read()
    with open(cfgp, "w") as f:
        f.write(good_cfg.replace("maglev_table_size: 65537", "maglev_table_size: 65536"))
    proc.send_signal(signal.SIGHUP)
    time.sleep(1)
    with open(cfgp, "w") as f:
        f.write(good_cfg)
    proc.send_signal(signal.SIGHUP)
    time.sleep(1)
    check(proc.poll() is None, "voxrelay-dp died on reload")
    proc.send_signal(signal.SIGTERM)
    rest, _ = proc.communicate(timeout=60)
    log.append(rest)
    if proc.returncode != 0:
        print("".join(log))
        print(f"FAIL: voxrelay-dp exited {proc.returncode}")
        return 1

    # The backend each flow must get, from the balancer's own logic on the same config.
    q = "".join(f"{e[2]} {e[3]} {e[4]} {e[5]}\n" for e in expect)
    want = subprocess.run([LBQUERY, cfgp], input=q, capture_output=True, text=True, check=True).stdout.split()
    want_by_inner = {e[0]: (w, e) for e, w in zip(expect, want)}

    outp = rdpcap(out)
    seen, arp_replies = set(), 0
    room_backend = {}
    for pkt in outp:
        if ARP in pkt:
            a = pkt[ARP]
            check(a.op == 2 and a.psrc == OUR_V4 and a.pdst == "192.0.2.254" and a.hwdst == CLIENT_MAC and pkt.dst == CLIENT_MAC, f"bad ARP reply {pkt.summary()}")
            arp_replies += 1
            continue
        check(pkt.dst == GW_MAC, f"outer dst MAC {pkt.dst}")
        outer = pkt[IP] if pkt.type == 0x0800 else pkt[IPv6]
        raw = bytes(outer)
        if pkt.type == 0x0800:
            check(outer.src == OUR_V4, f"outer src {outer.src}")
            c = IP(raw); del c.chksum
            check(IP(bytes(c)).chksum == outer.chksum, "outer IPv4 checksum")
            check(outer.flags.DF and outer.ttl == 64, "outer DF/TTL")
            proto = outer.proto
            payload = bytes(outer.payload)
        else:
            check(outer.src == OUR_V6, f"outer src {outer.src}")
            proto = outer.nh
            payload = bytes(outer.payload)
        if proto == 17:
            u = outer[UDP]
            check(u.dport == GUE_PORT and u.sport >= 32768, f"outer UDP ports {u.sport}->{u.dport}")
            # Recompute the UDP checksum independently.
            cp = (IP if pkt.type == 0x0800 else IPv6)(raw)
            del cp[UDP].chksum
            check(cp.__class__(bytes(cp))[UDP].chksum == u.chksum, "outer UDP checksum")
            gue = payload[8:12]
            inner = payload[12:]
            check(gue[0] == 0 and gue[2:] == b"\0\0" and gue[1] in (4, 41), f"GUE header {gue.hex()}")
        else:
            check(proto in (4, 41), f"IPIP protocol {proto}")
            inner = payload
        if inner not in want_by_inner:
            check(False, "inner packet not byte-identical to any input packet")
            continue
        backend, e = want_by_inner[inner]
        check(outer.dst == backend, f"flow {e[2]}:{e[3]} -> {e[4]}:{e[5]} went to {outer.dst}, must go to {backend}")
        if e[1] == VIP_ROOM:
            check(room_backend.setdefault(e[5], outer.dst) == outer.dst, f"room {e[5]} split over backends")
        if e[1] == VIP_IPIP:
            check(proto == 4, "VIP with encap ipip must use IPIP")
        seen.add(inner)
    check(len(seen) == len(expect), f"forwarded {len(seen)} distinct packets, expected {len(expect)}")
    check(len(outp) == len(expect) + 1, f"output has {len(outp)} packets, expected {len(expect) + 1}")
    check(arp_replies == 1, f"{arp_replies} ARP replies")
    check(len(set(room_backend.values())) > 1, "all rooms on one backend")

    st = json.load(open(stats))
    check(st["reload_failures"] == 1 and st["reloads"] == 1 and st["state_generation"] == 2,
          f"reloads {st['reloads']} failures {st['reload_failures']} generation {st['state_generation']}")
    check(any("not a prime" in l or "prime" in l for l in log), "the refused reload was not logged with its reason")
    for reason, n in drops.items():
        check(st["drops"].get(reason) == n, f"drop {reason}: counted {st['drops'].get(reason)}, expected {n}")
    unexpected = {k: v for k, v in st["drops"].items() if v and k not in drops}
    check(not unexpected, f"unexpected drops {unexpected}")
    check(tel_stats is not None and tel_stats["rx_packets"] == len(frames),
          f"telemetry /voxrelay/stats: {tel_stats} (expected rx_packets {len(frames)}); output: {tel[-500:]}")
    check(tel_drops is not None and tel_drops.get("fragment") == 2, f"telemetry /voxrelay/drops: {tel_drops}")
    check_ports(tel_ports, frames, out)
    per_backend = {b["address"]: b["tx_packets"] for b in st["backends"]}
    check(sum(per_backend.values()) == len(expect), f"backend tx sum {sum(per_backend.values())}")

    print(f"dp_pcap: {len(frames)} frames in, {len(outp)} out, {len(seen)} forwarded, drops {drops}")
    print("per backend:", per_backend)
    if failures:
        for f in failures[:30]:
            print("FAIL:", f)
        print(f"{len(failures)} checks failed")
        return 1
    print("dp_pcap: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
