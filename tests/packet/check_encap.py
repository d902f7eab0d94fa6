#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# Independent check, with scapy, of the encapsulated frames test_encap wrote: checksums, GUE header, inner packet.
"""
Reads two pcaps written by test_encap: the encapsulated Ethernet frames and,
packet for packet, the inner IP packets as they were before encapsulation.
Every checksum is recomputed by scapy (its own implementation, not DPDK's)
and compared with the one on the wire.
"""
import argparse
import sys

from scapy.all import IP, UDP, Ether, IPv6, RawPcapReader, raw

GUE_SPORT_MIN = 32768

failures = []


def fail(idx, msg):
    failures.append(f"frame {idx}: {msg}")


def recomputed_ip_chksum(ip):
    """IPv4 header checksum as scapy computes it from scratch."""
    c = ip.copy()
    del c.chksum
    return IP(raw(c)).chksum


def recomputed_udp_chksum(l3):
    """UDP checksum (IPv4 or IPv6 pseudo-header) as scapy computes it from scratch."""
    c = l3.copy()
    del c[UDP].chksum
    return type(l3)(raw(c))[UDP].chksum


def check_inner(idx, inner):
    """The inner packet must still be a valid IP/UDP packet (its checksums intact)."""
    ver = inner[0] >> 4
    if ver == 4:
        p = IP(inner)
        if p.chksum != recomputed_ip_chksum(p):
            fail(idx, "inner IPv4 checksum wrong")
    elif ver == 6:
        p = IPv6(inner)
    else:
        fail(idx, f"inner version {ver}")
        return None, None
    # IPv4 UDP may carry no checksum at all (RFC 768: 0).
    if UDP in p and not (ver == 4 and p[UDP].chksum == 0) and p[UDP].chksum != recomputed_udp_chksum(p):
        fail(idx, "inner UDP checksum wrong")
    tclass = p.tos if ver == 4 else p.tc
    return ver, tclass


def check(idx, frame, inner, args):
    inner_ver, inner_tclass = check_inner(idx, inner)
    if inner_ver is None:
        return
    inner_proto = 4 if inner_ver == 4 else 41
    eth = Ether(frame)
    if eth.type == 0x0800:
        ip = eth[IP]
        hlen = 20
        if ip.version != 4 or ip.ihl != 5:
            fail(idx, f"outer version/ihl {ip.version}/{ip.ihl}")
        if ip.flags != "DF" or ip.frag != 0 or ip.id != 0:
            fail(idx, f"outer flags {ip.flags} frag {ip.frag} id {ip.id}")
        if ip.ttl != args.ttl:
            fail(idx, f"outer ttl {ip.ttl}")
        if ip.len != len(frame) - 14:
            fail(idx, f"outer total length {ip.len} for a {len(frame)}-byte frame")
        if ip.tos != inner_tclass:
            fail(idx, f"outer tos {ip.tos:#x}, inner {inner_tclass:#x}")
        if ip.chksum != recomputed_ip_chksum(ip):
            fail(idx, f"outer IPv4 checksum {ip.chksum:#06x}, scapy says {recomputed_ip_chksum(ip):#06x}")
        proto = ip.proto
    elif eth.type == 0x86DD:
        ip = eth[IPv6]
        hlen = 40
        if ip.version != 6:
            fail(idx, f"outer version {ip.version}")
        if ip.hlim != args.ttl:
            fail(idx, f"outer hop limit {ip.hlim}")
        if ip.plen != len(frame) - 14 - 40:
            fail(idx, f"outer payload length {ip.plen}")
        if ip.fl == 0:
            fail(idx, "outer flow label 0")
        if ip.tc != inner_tclass:
            fail(idx, f"outer traffic class {ip.tc:#x}, inner {inner_tclass:#x}")
        proto = ip.nh
    else:
        fail(idx, f"outer ethertype {eth.type:#06x}")
        return

    l4 = frame[14 + hlen:]
    if proto == 17:
        udp = ip[UDP]
        if udp.dport != args.gue_port:
            fail(idx, f"GUE port {udp.dport}")
        if not GUE_SPORT_MIN <= udp.sport <= 65535:
            fail(idx, f"source port {udp.sport} outside the flow-hash range")
        if udp.len != len(l4):
            fail(idx, f"UDP length {udp.len}, datagram {len(l4)}")
        want = recomputed_udp_chksum(ip)
        if udp.chksum != want:
            fail(idx, f"UDP checksum {udp.chksum:#06x}, scapy says {want:#06x}")
        gue = l4[8:12]
        # draft-ietf-intarea-gue-09 section 3.1: Ver(2) C(1) Hlen(5) | Proto/ctype | Flags
        if gue[0] >> 6 != 0 or gue[0] & 0x20 or gue[0] & 0x1F:
            fail(idx, f"GUE first byte {gue[0]:#04x}")
        if gue[1] != inner_proto:
            fail(idx, f"GUE protocol {gue[1]} for an IPv{inner_ver} packet")
        if gue[2:4] != b"\0\0":
            fail(idx, f"GUE flags {gue[2:4].hex()}")
        payload = l4[12:]
    elif proto in (4, 41):
        if proto != inner_proto:
            fail(idx, f"IPIP protocol {proto} for an IPv{inner_ver} packet")
        payload = l4
    else:
        fail(idx, f"outer protocol {proto}")
        return
    if payload != inner:
        fail(idx, "inner packet changed")


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("outer")
    ap.add_argument("inner")
    ap.add_argument("--ttl", type=int, required=True)
    ap.add_argument("--gue-port", type=int, required=True)
    ap.add_argument("--count", type=int, required=True, help="frames expected")
    args = ap.parse_args()

    outer = [bytes(d) for d, _ in RawPcapReader(args.outer)]
    inner = [bytes(d) for d, _ in RawPcapReader(args.inner)]
    if len(outer) != args.count or len(inner) != args.count:
        print(f"expected {args.count} frames, got {len(outer)} outer and {len(inner)} inner")
        return 1
    kinds = {}
    for idx, (f, i) in enumerate(zip(outer, inner)):
        check(idx, f, i, args)
        k = ("v4" if f[12:14] == b"\x08\x00" else "v6") + "/v" + str(i[0] >> 4)
        kinds[k] = kinds.get(k, 0) + 1
    for msg in failures:
        print(msg)
    print(f"check_encap: {len(outer)} frames ({', '.join(f'{k} {n}' for k, n in sorted(kinds.items()))}), "
          f"{len(failures)} problems")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
