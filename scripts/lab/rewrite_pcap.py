#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# Rewrites real RTP captures for the lab: client as source, VIP as destination, one stream copied into many flows.
"""
Every UDP stream of the input (one per original five-tuple and direction)
is copied into --flows flows in total; each copy gets its own client source
port (so five-tuple hashing spreads them), its own SSRC (so each is a distinct
RTP stream) and a time offset of a fraction of the packet interval, so the
copies interleave like concurrent calls. Offsets take --slots distinct values
only: copies in one slot share timestamps and go out back to back, because
tcpreplay sleeps between packets of different timestamps and on a small VM
those sleeps, not the capture, would set the pace. The
UDP payload (RTP header and media) is kept byte for byte; Ethernet, IP and
UDP headers are written anew (IPv4 or IPv6 after --dst-ip, checksums
computed), so an IPv4 capture can be replayed to an IPv6 VIP too.

Writes OUT (classic pcap, microseconds, Ethernet) and OUT.json: packets in
total and per flow source port, for comparing with what backends received.
"""
import argparse
import heapq
import ipaddress
import json
import struct
import sys

PCAP_MAGIC_US = 0xA1B2C3D4
PCAP_MAGIC_NS = 0xA1B23C4D
LINKTYPE_ETHERNET = 1


def read_pcap(path):
    """Yields (timestamp in s, frame bytes) of a classic pcap file."""
    with open(path, "rb") as f:
        hdr = f.read(24)
        if len(hdr) < 24:
            raise ValueError(f"{path}: not a pcap file")
        for endian in "<>":
            magic, _, _, _, _, _, linktype = struct.unpack(endian + "IHHiIII", hdr)
            if magic in (PCAP_MAGIC_US, PCAP_MAGIC_NS):
                break
        else:
            raise ValueError(f"{path}: not a classic pcap file (pcapng? convert with editcap -F pcap)")
        if linktype != LINKTYPE_ETHERNET:
            raise ValueError(f"{path}: link type {linktype}, only Ethernet is supported")
        div = 1e9 if magic == PCAP_MAGIC_NS else 1e6
        while True:
            rec = f.read(16)
            if len(rec) < 16:
                return
            sec, frac, incl, _orig = struct.unpack(endian + "IIII", rec)
            data = f.read(incl)
            if len(data) < incl:
                return
            yield sec + frac / div, data


def udp_of(frame):
    """(src, dst, sport, dport, payload) of an Ethernet/[VLAN]/IP/UDP frame, or None."""
    off = 12
    etype = struct.unpack_from("!H", frame, off)[0]
    while etype in (0x8100, 0x88A8):
        off += 4
        etype = struct.unpack_from("!H", frame, off)[0]
    off += 2
    if etype == 0x0800:
        ihl = (frame[off] & 0x0F) * 4
        total = struct.unpack_from("!H", frame, off + 2)[0]
        frag = struct.unpack_from("!H", frame, off + 6)[0]
        if frame[off + 9] != 17 or frag & 0x3FFF:
            return None
        src, dst = frame[off + 12 : off + 16], frame[off + 16 : off + 20]
        l4, end = off + ihl, off + total
    elif etype == 0x86DD:
        if frame[off + 6] != 17:
            return None
        src, dst = frame[off + 8 : off + 24], frame[off + 24 : off + 40]
        l4 = off + 40
        end = l4 + struct.unpack_from("!H", frame, off + 4)[0]
    else:
        return None
    sport, dport, ulen = struct.unpack_from("!HHH", frame, l4)
    payload = frame[l4 + 8 : min(end, l4 + ulen)]
    return bytes(src), bytes(dst), sport, dport, payload


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def build(src_mac, dst_mac, src, dst, sport, dport, payload, ident):
    ulen = 8 + len(payload)
    if src.version == 4:
        pseudo = src.packed + dst.packed + struct.pack("!BBH", 0, 17, ulen)
    else:
        pseudo = src.packed + dst.packed + struct.pack("!IxxxB", ulen, 17)
    udp = struct.pack("!HHHH", sport, dport, ulen, 0) + payload
    c = csum(pseudo + udp) or 0xFFFF
    udp = udp[:6] + struct.pack("!H", c) + udp[8:]
    if src.version == 4:
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0xB8, 20 + ulen, ident & 0xFFFF, 0x4000, 64, 17, 0,
                         src.packed, dst.packed)
        ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
        etype = 0x0800
    else:
        # Traffic class EF (46 << 2), as voice is marked.
        ip = struct.pack("!IHBB16s16s", (6 << 28) | (0xB8 << 20), ulen, 17, 64, src.packed, dst.packed)
        etype = 0x86DD
    return dst_mac + src_mac + struct.pack("!H", etype) + ip + udp


def mac(s):
    b = bytes(int(x, 16) for x in s.split(":"))
    if len(b) != 6:
        raise argparse.ArgumentTypeError(f"bad MAC {s}")
    return b


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("input", nargs="+", help="pcap files (Ethernet, UDP streams)")
    ap.add_argument("-o", "--out", required=True, help="output pcap")
    ap.add_argument("--src-mac", type=mac, required=True, help="the client's MAC")
    ap.add_argument("--dst-mac", type=mac, required=True, help="the router's client-side MAC")
    ap.add_argument("--src-ip", type=ipaddress.ip_address, required=True, help="the client's address")
    ap.add_argument("--dst-ip", type=ipaddress.ip_address, required=True, help="the VIP")
    ap.add_argument("--dst-port", type=int, required=True, help="the VIP's port")
    ap.add_argument("--flows", type=int, default=100, help="flows in total over all streams (default 100)")
    ap.add_argument("--sport-base", type=int, default=20000, help="first client source port (default 20000)")
    ap.add_argument("--slots", type=int, default=4, help="distinct time offsets per packet interval (default 4)")
    a = ap.parse_args()
    if a.src_ip.version != a.dst_ip.version:
        ap.error("--src-ip and --dst-ip must be of one family")
    if not 1 <= a.flows <= 65535 - a.sport_base:
        ap.error("--flows out of range")

    # Streams in order of first appearance over all inputs.
    streams = {}
    for path in a.input:
        for ts, frame in read_pcap(path):
            u = udp_of(frame)
            if u is None:
                continue
            key = (path, u[0], u[1], u[2], u[3])
            streams.setdefault(key, []).append((ts, u[4]))
    if not streams:
        print("rewrite_pcap: no UDP packets in the input", file=sys.stderr)
        return 1
    keys = list(streams)
    if a.flows < len(keys):
        ap.error(f"--flows {a.flows} is less than the {len(keys)} streams of the input")
    t0 = min(p[0][0] for p in streams.values())

    # Flow i copies stream i mod S, so every stream gets flows // S or one more copy.
    gens = []
    per_flow = {}
    for i in range(a.flows):
        key = keys[i % len(keys)]
        copy = i // len(keys)
        copies = (a.flows - i % len(keys) + len(keys) - 1) // len(keys)
        pkts = streams[key]
        interval = (pkts[-1][0] - pkts[0][0]) / max(len(pkts) - 1, 1)
        slots = max(1, min(a.slots, copies))
        offset = interval * (copy % slots) / slots
        sport = a.sport_base + i

        def gen(pkts=pkts, offset=offset, sport=sport, i=i):
            for ts, payload in pkts:
                if len(payload) >= 12 and payload[0] >> 6 == 2:
                    ssrc = struct.unpack_from("!I", payload, 8)[0] ^ (0x5A5A0000 + i)
                    payload = payload[:8] + struct.pack("!I", ssrc) + payload[12:]
                yield ts - t0 + offset, sport, payload

        gens.append(gen())
        per_flow[sport] = len(pkts)

    n = 0
    with open(a.out, "wb") as f:
        f.write(struct.pack("<IHHiIII", PCAP_MAGIC_US, 2, 4, 0, 0, 65535, LINKTYPE_ETHERNET))
        base = 1700000000.0
        for ts, sport, payload in heapq.merge(*gens):
            frame = build(a.src_mac, a.dst_mac, a.src_ip, a.dst_ip, sport, a.dst_port, payload, n)
            t = base + ts
            sec = int(t)
            usec = int(round((t - sec) * 1e6))
            if usec >= 1000000:
                sec, usec = sec + 1, usec - 1000000
            f.write(struct.pack("<IIII", sec, usec, len(frame), len(frame)) + frame)
            n += 1
    manifest = {
        "inputs": a.input,
        "streams": len(keys),
        "flows": a.flows,
        "packets": n,
        "src": str(a.src_ip),
        "dst": f"{a.dst_ip}:{a.dst_port}",
        "per_sport": {str(k): v for k, v in per_flow.items()},
    }
    with open(a.out + ".json", "w") as f:
        json.dump(manifest, f, indent=1)
    print(f"rewrite_pcap: {a.out}: {n} packets, {a.flows} flows from {len(keys)} streams of {', '.join(a.input)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
