#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# Independent check, with scapy, of the relay's frames: the client datagram test_relaypkt found in each input frame, the headers of test_relayhdr's output frames.
"""
Reads what the tests wrote: with --in, test_relaypkt's input frames (direct,
GUE variant 0/1, IPIP/IP6IP6/4in6/6in4) with, line for line, the client
datagram vr_relay_frame_parse() found in each; with --out, the frames
test_relayhdr had vr_relay_hdr_write() build, with what they should carry.
scapy decodes every frame on its own (GUE by hand: scapy has no GUE layer)
and recomputes every checksum.
"""
import argparse
import ipaddress
import json
import sys

from scapy.all import IP, UDP, Ether, IPv6, RawPcapReader, raw

failures = []


def fail(idx, what, msg):
    failures.append(f"{what} frame {idx}: {msg}")


def recomputed_ip_chksum(ip):
    c = ip.copy()
    del c.chksum
    return IP(raw(c)).chksum


def recomputed_udp_chksum(l3):
    """scapy's own UDP checksum (it, too, sends a computed 0 as 0xffff)."""
    c = l3.copy()
    del c[UDP].chksum
    return type(l3)(raw(c))[UDP].chksum


def l3_of(eth):
    """The outer IP layer (pkt[IP] would find an inner IPv4 of a 4in6 frame first)."""
    p = eth.payload
    while not isinstance(p, (IP, IPv6)):  # 802.1Q
        p = p.payload
    return p


def client_datagram(frame, gue_port):
    """(encap, innermost IP layer) as draft-ietf-intarea-gue-09 / RFC 2003 / RFC 2473 read it."""
    eth = Ether(frame)
    outer = l3_of(eth)
    proto = outer.proto if isinstance(outer, IP) else outer.nh
    if proto in (4, 41):
        return 2, outer.payload
    if proto != 17:
        raise ValueError(f"outer protocol {proto}")
    udp = outer[UDP]
    if udp.dport != gue_port:
        return 0, outer
    body = bytes(udp.payload)[: udp.len - 8]
    if body[0] >> 6 == 0:
        if body[0] != 0 or body[2:4] != b"\0\0" or body[1] not in (4, 41):
            raise ValueError(f"GUE header {body[:4].hex()}")
        inner = body[4:]
        return 1, (IP(inner) if body[1] == 4 else IPv6(inner))
    if body[0] >> 6 == 1:
        return 1, (IP(body) if body[0] >> 4 == 4 else IPv6(body))
    raise ValueError(f"GUE variant {body[0] >> 6}")


def same_addr(a, b):
    return ipaddress.ip_address(a) == ipaddress.ip_address(b)


def check_in(idx, frame, exp, gue_port):
    try:
        encap, ip = client_datagram(frame, gue_port)
    except (ValueError, IndexError) as e:
        fail(idx, "in", str(e))
        return
    if encap != exp["encap"]:
        fail(idx, "in", f"encap {exp['encap']}, scapy sees {encap}")
    if isinstance(ip, IP) and ip.chksum != recomputed_ip_chksum(ip):
        fail(idx, "in", "client IPv4 checksum wrong")
    if UDP not in ip:
        fail(idx, "in", "client packet is not UDP")
        return
    udp = ip[UDP]
    if not same_addr(ip.src, exp["src"]) or not same_addr(ip.dst, exp["dst"]):
        fail(idx, "in", f"{ip.src} -> {ip.dst}, parser said {exp['src']} -> {exp['dst']}")
    if (udp.sport, udp.dport) != (exp["sport"], exp["dport"]):
        fail(idx, "in", f"ports {udp.sport}->{udp.dport}, parser said {exp['sport']}->{exp['dport']}")
    payload = bytes(udp.payload)[: udp.len - 8]
    if payload.hex() != exp["payload"]:
        fail(idx, "in", f"payload of {len(payload)} bytes differs from the parser's {len(exp['payload']) // 2}")
    if udp.chksum != recomputed_udp_chksum(ip):
        fail(idx, "in", "client UDP checksum wrong")


def check_out(idx, frame, exp):
    eth = Ether(frame)
    ip = l3_of(eth)
    if isinstance(ip, IP):
        if ip.version != 4 or ip.ihl != 5 or ip.flags != "DF" or ip.frag != 0 or ip.id != 0:
            fail(idx, "out", f"IPv4 ihl {ip.ihl} flags {ip.flags} frag {ip.frag} id {ip.id}")
        if ip.len != len(frame) - 14:
            fail(idx, "out", f"total length {ip.len} in a {len(frame)}-byte frame")
        if ip.chksum != recomputed_ip_chksum(ip):
            fail(idx, "out", f"IPv4 checksum {ip.chksum:#06x}, scapy says {recomputed_ip_chksum(ip):#06x}")
        ttl, tclass, proto = ip.ttl, ip.tos, ip.proto
    else:
        if ip.plen != len(frame) - 14 - 40:
            fail(idx, "out", f"payload length {ip.plen}")
        ttl, tclass, proto = ip.hlim, ip.tc, ip.nh
    if proto != 17:
        fail(idx, "out", f"protocol {proto}")
        return
    if (ttl, tclass) != (exp["ttl"], exp["tclass"]):
        fail(idx, "out", f"ttl/tclass {ttl}/{tclass}")
    udp = ip[UDP]
    if not same_addr(ip.src, exp["src"]) or not same_addr(ip.dst, exp["dst"]):
        fail(idx, "out", f"{ip.src} -> {ip.dst}")
    if (udp.sport, udp.dport) != (exp["sport"], exp["dport"]):
        fail(idx, "out", f"ports {udp.sport}->{udp.dport}")
    if udp.len != len(frame) - 14 - (20 if isinstance(ip, IP) else 40):
        fail(idx, "out", f"UDP length {udp.len}")
    if udp.chksum == 0:
        fail(idx, "out", "UDP checksum 0")
    want = recomputed_udp_chksum(ip)
    if udp.chksum != want:
        fail(idx, "out", f"UDP checksum {udp.chksum:#06x}, scapy says {want:#06x}")
    if bytes(udp.payload).hex() != exp["payload"]:
        fail(idx, "out", "payload changed")


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--gue-port", type=int, required=True)
    ap.add_argument("--in", dest="inp", nargs=2, metavar=("PCAP", "JSONL"), help="frames the parser read")
    ap.add_argument("--out", nargs=2, metavar=("PCAP", "JSONL"), help="frames the header writer built")
    args = ap.parse_args()
    if not args.inp and not args.out:
        ap.error("--in, --out or both are required")

    counts = {}
    for what, files in (("in", args.inp), ("out", args.out)):
        if not files:
            continue
        pcap, js = files
        frames = [bytes(d) for d, _ in RawPcapReader(pcap)]
        with open(js) as f:
            exps = [json.loads(line) for line in f if line.strip()]
        if len(frames) != len(exps) or not frames:
            print(f"{what}: {len(frames)} frames but {len(exps)} expectations")
            return 1
        for idx, (fr, exp) in enumerate(zip(frames, exps)):
            if what == "in":
                check_in(idx, fr, exp, args.gue_port)
                k = ("direct", "gue", "ipip")[exp["encap"]]
            else:
                check_out(idx, fr, exp)
                k = "out"
            k += "/v4" if ":" not in exp["src"] else "/v6"
            counts[k] = counts.get(k, 0) + 1
    for msg in failures:
        print(msg)
    print(f"check_relaypkt: {', '.join(f'{k} {n}' for k, n in sorted(counts.items()))}; {len(failures)} problems")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
