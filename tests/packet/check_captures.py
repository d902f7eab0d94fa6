#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# Compares vr_pkt_parse on real voice captures (via parse_dump) with scapy's own dissection of the same frames.
"""
usage: check_captures.py PARSE_DUMP CAPTURE...

Runs PARSE_DUMP over the captures and, frame by frame, checks its verdict,
class, offsets, addresses and ports against what scapy makes of the frame.
Exits 77 (skipped) when no capture is there.
"""
import os
import subprocess
import sys

from scapy.all import ARP, IP, UDP, IPv6, RawPcapReader, raw
from scapy.layers.inet6 import ICMPv6ND_NA, ICMPv6ND_NS

IPV6_EXT = {0, 43, 50, 51, 60, 135, 139, 140, 253, 254}


def tcp_fields(l4, l4_off):
    """Ports and payload of a TCP segment whose header fits (RFC 9293 data offset 5..15), else None."""
    if len(l4) < 20 or not 20 <= (l4[12] >> 4) * 4 <= len(l4):
        return None
    hl = (l4[12] >> 4) * 4
    return [str(int.from_bytes(l4[0:2], "big")), str(int.from_bytes(l4[2:4], "big")), str(l4_off + hl),
            str(len(l4) - hl)]


def expect(frame):
    """What vr_pkt_parse must say about @frame, from scapy's reading of it."""
    # Ethernet II and 802.1Q are read straight from the bytes (scapy turns
    # 802.3 length frames into Dot3 with no type field); L3 and up by scapy.
    et = int.from_bytes(frame[12:14], "big")
    l3_off, vlan = 14, 0
    if et == 0x8100:
        vlan, l3_off, et = 1, 18, int.from_bytes(frame[16:18], "big")
        if et in (0x8100, 0x88A8, 0x9100, 0x9200, 0x9300):
            return ["vlan_stacked"]
    if et in (0x88A8, 0x9100, 0x9200, 0x9300):
        return ["vlan_stacked"]
    l3 = frame[l3_off:]
    payload = ARP(l3) if et == 0x0806 else IP(l3) if et == 0x0800 else IPv6(l3) if et == 0x86DD else None
    if et == 0x0806 and isinstance(payload, ARP):
        return ["none", "arp", str(vlan), str(l3_off), "28"]
    if et == 0x0800 and isinstance(payload, IP):
        ip = payload
        if ip.version != 4:
            return ["ipv4_bad_version"]
        if ip.ihl > 5:
            return ["ipv4_options"]
        c = ip.copy()
        del c.chksum
        if IP(raw(c)).chksum != ip.chksum:
            return ["ipv4_bad_checksum"]
        if ip.flags.MF or ip.frag:
            return ["fragment"]
        tcp = tcp_fields(frame[l3_off + 20:l3_off + ip.len], l3_off + 20) if ip.proto == 6 else None
        cls = "udp" if ip.proto == 17 else "tcp" if tcp else "ip_other"
        head = ["none", cls, str(vlan), str(l3_off), str(ip.len), str(l3_off + 20), str(ip.proto), ip.src, ip.dst]
        if ip.proto == 17:
            u = ip[UDP]
            head += [str(u.sport), str(u.dport), str(l3_off + 28), str(u.len - 8)]
        return head + (tcp or [])
    if et == 0x86DD and isinstance(payload, IPv6):
        ip = payload
        if ip.nh == 44:
            return ["fragment"]
        if ip.nh in IPV6_EXT:
            return ["ipv6_extension_header"]
        if ip.nh == 17 and ip[UDP].chksum == 0:
            return ["udp_bad_checksum"]
        tcp = tcp_fields(frame[l3_off + 40:l3_off + 40 + ip.plen], l3_off + 40) if ip.nh == 6 else None
        cls = "udp" if ip.nh == 17 else "tcp" if tcp else "nd" if (ICMPv6ND_NS in ip or ICMPv6ND_NA in ip) \
            else "ip_other"
        head = ["none", cls, str(vlan), str(l3_off), str(40 + ip.plen), str(l3_off + 40), str(ip.nh),
                ip.src, ip.dst]
        if ip.nh == 17:
            u = ip[UDP]
            head += [str(u.sport), str(u.dport), str(l3_off + 48), str(u.len - 8)]
        return head + (tcp or [])
    return ["l2_unsupported_ethertype"]


def main():
    dump, caps = sys.argv[1], [c for c in sys.argv[2:] if os.path.exists(c)]
    if not caps:
        print("no captures found: skipped")
        return 77
    out = subprocess.run([dump] + caps, check=True, capture_output=True, text=True).stdout.splitlines()
    frames = {c: [bytes(d) for d, _ in RawPcapReader(c)] for c in caps}
    bad, seen, kinds = 0, 0, {}
    for line in out:
        f = line.split()
        if f[1] == "skip":
            continue
        if f[2] == "truncated-capture":
            continue
        path, idx, got = f[0], int(f[1]), f[2:]
        want = expect(frames[path][idx])
        seen += 1
        kinds[got[0] if got[0] != "none" else got[1]] = kinds.get(got[0] if got[0] != "none" else got[1], 0) + 1
        if got != want:
            bad += 1
            if bad <= 20:
                print(f"{os.path.basename(path)} frame {idx}: parser {' '.join(got)}\n"
                      f"{'':>{len(os.path.basename(path)) + 7 + len(str(idx))}} scapy  {' '.join(want)}")
    print(f"check_captures: {seen} frames of {len(caps)} captures "
          f"({', '.join(f'{k} {n}' for k, n in sorted(kinds.items()))}), {bad} disagreements")
    return 1 if bad or seen == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
