#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# Builds replay pcaps (Pktgen-DPDK, TRex, tcpreplay) from the real voice captures, one capture scaled to N flows.
"""Scale a real voice capture to N concurrent client flows towards a VIP.

Profiles (name in --profiles, file written as <name-base>-<label>.pcap):
  g711     sip-g711a-rtp.pcap: G.711 A-law RTP, re-packetised to 20 ms (or --ptime 30 as captured),
           SSRC/seq/ts per flow, looped seamlessly; plus RTCP SR+SDES (from rtcp-compound.pcap) every ~5 s
           per flow on the same five-tuple (rtcp-mux)                     -> g711-<label>.pcap
  g711-v6  the same over IPv6                                               -> g711-<label>-v6.pcap
  srtp     webrtc-pcma-srtp-sdes.pcap: SRTP and SRTCP datagrams of the call exactly as captured (only
           addresses/ports change); each flow replays one direction of the call -> srtp-webrtc-<label>.pcap
  srtp-v6  the same over IPv6                                               -> srtp-webrtc-<label>-v6.pcap

Output is deterministic for given parameters: every random choice comes from a generator seeded with
--seed and the profile name, timestamps start at --epoch, and a JSON manifest (<file>.json) records
what was generated (flows, SSRCs, packet counts) for tests and for the operator.
"""
import argparse
import heapq
import ipaddress
import json
import os
import random
import struct
import sys

try:
    from scapy.utils import RawPcapReader, checksum
except ImportError:  # pragma: no cover
    sys.exit("make_profiles: needs scapy (Debian: python3-scapy; run with /usr/bin/python3)")

LINKTYPE_ETHERNET = 1
LINKTYPE_LINUX_SLL = 113
LINKTYPE_LINUX_SLL2 = 276


# ---------------------------------------------------------------- reading the captures

def udp_datagrams(path):
    """Yield (time_s, src_ip, sport, dst_ip, dport, payload) of every IPv4/IPv6 UDP datagram of a pcap."""
    reader = RawPcapReader(path)
    link = reader.linktype
    for data, meta in reader:
        t = meta.sec + meta.usec / 1e6
        if link == LINKTYPE_ETHERNET:
            etype, off = struct.unpack_from("!H", data, 12)[0], 14
            while etype in (0x8100, 0x88A8):
                etype = struct.unpack_from("!H", data, off + 2)[0]
                off += 4
        elif link == LINKTYPE_LINUX_SLL:
            etype, off = struct.unpack_from("!H", data, 14)[0], 16
        elif link == LINKTYPE_LINUX_SLL2:
            etype, off = struct.unpack_from("!H", data, 0)[0], 20
        else:
            raise SystemExit(f"make_profiles: {path}: link type {link} not handled")
        if etype == 0x0800:
            ihl = (data[off] & 0x0F) * 4
            if data[off + 9] != 17:
                continue
            total = struct.unpack_from("!H", data, off + 2)[0]
            src = ipaddress.IPv4Address(data[off + 12:off + 16])
            dst = ipaddress.IPv4Address(data[off + 16:off + 20])
            udp = off + ihl
            end = off + total
        elif etype == 0x86DD:
            if data[off + 6] != 17:  # no extension headers in these captures
                continue
            plen = struct.unpack_from("!H", data, off + 4)[0]
            src = ipaddress.IPv6Address(data[off + 8:off + 24])
            dst = ipaddress.IPv6Address(data[off + 24:off + 40])
            udp = off + 40
            end = udp + plen
        else:
            continue
        sport, dport, ulen = struct.unpack_from("!HHH", data, udp)
        yield t, src, sport, dst, dport, bytes(data[udp + 8:min(end, udp + ulen)])
    reader.close()


def is_rtp_or_rtcp(p):
    return len(p) >= 12 and 128 <= p[0] <= 191          # RFC 7983: 128..191 RTP or RTCP


def is_rtcp(p):
    return is_rtp_or_rtcp(p) and 192 <= p[1] <= 223     # RFC 5761: RTCP packet types 192..223


def load_g711(path):
    """Return (payload byte stream, per-packet capture jitter in s, captured ptime in s, payload type)."""
    pkts = [(t, p) for t, _s, _sp, _d, _dp, p in udp_datagrams(path) if is_rtp_or_rtcp(p) and not is_rtcp(p)]
    if not pkts:
        raise SystemExit(f"make_profiles: {path}: no RTP")
    pkts.sort(key=lambda x: struct.unpack_from("!H", x[1], 2)[0])
    pt = pkts[0][1][1] & 0x7F
    stream = bytearray()
    times = []
    for t, p in pkts:
        cc = p[0] & 0x0F
        hl = 12 + 4 * cc
        if p[0] & 0x10:
            hl += 4 + 4 * struct.unpack_from("!H", p, hl + 2)[0]
        end = len(p) - (p[-1] if p[0] & 0x20 else 0)
        stream += p[hl:end]
        times.append(t)
    per_pkt = len(stream) // len(pkts)                  # 240 B: 30 ms of 8 kHz G.711
    ptime = per_pkt / 8000.0
    t0 = times[0]
    jitter = [t - t0 - i * ptime for i, t in enumerate(times)]
    return bytes(stream), jitter, ptime, pt


def load_rtcp_template(path):
    """The first RTCP compound that starts with an SR carrying one report block, and its SDES chunk."""
    for _t, _s, _sp, _d, _dp, p in udp_datagrams(path):
        if is_rtcp(p) and p[1] == 200 and (p[0] & 0x1F) == 1:
            return p
    for _t, _s, _sp, _d, _dp, p in udp_datagrams(path):
        if is_rtcp(p) and p[1] == 200:
            return p
    raise SystemExit(f"make_profiles: {path}: no RTCP sender report")


def load_srtp_call(path):
    """SRTP/SRTCP datagrams of the call's media five-tuple, split by direction: [(rel_time, payload), ...] x 2."""
    dirs = {}
    for t, src, sport, dst, dport, p in udp_datagrams(path):
        if is_rtp_or_rtcp(p):
            dirs.setdefault((src, sport, dst, dport), []).append((t, p))
    # the media conversation: the two opposite directions with the most SRTP
    best = sorted(dirs.items(), key=lambda kv: -len(kv[1]))
    a_key, a = best[0]
    b_key = (a_key[2], a_key[3], a_key[0], a_key[1])
    b = dirs.get(b_key, [])
    out = []
    for d in (a, b):
        if not d:
            continue
        first = min(t for t, p in d if not is_rtcp(p))
        out.append([(t - first, p) for t, p in d if t >= first])
    return out, [str(a_key[0]), str(b_key[0])]


# ---------------------------------------------------------------- writing packets

def mac_bytes(s):
    b = bytes(int(x, 16) for x in s.split(":"))
    if len(b) != 6:
        raise argparse.ArgumentTypeError(f"bad MAC {s}")
    return b


class Framer:
    """Ethernet + IPv4/IPv6 + UDP around a payload, checksums computed."""

    def __init__(self, src_mac, dst_mac, v6):
        self.v6 = v6
        self.eth = dst_mac + src_mac + (b"\x86\xdd" if v6 else b"\x08\x00")
        self.ip_id = 0

    def frame(self, src, sport, dst, dport, payload):
        ulen = 8 + len(payload)
        if self.v6:
            pseudo = src + dst + struct.pack("!IxxxB", ulen, 17)
        else:
            pseudo = src + dst + struct.pack("!xBH", 17, ulen)
        uc = checksum(pseudo + struct.pack("!HHHH", sport, dport, ulen, 0) + payload) or 0xFFFF
        udp = struct.pack("!HHHH", sport, dport, ulen, uc)
        if self.v6:
            ip = struct.pack("!IHBB", 6 << 28, ulen, 17, 64) + src + dst
        else:
            self.ip_id = (self.ip_id + 1) & 0xFFFF
            hdr = struct.pack("!BBHHHBBH", 0x45, 0xB8, 20 + ulen, self.ip_id, 0x4000, 64, 17, 0) + src + dst
            ip = hdr[:10] + struct.pack("!H", checksum(hdr)) + hdr[12:]   # DSCP EF (46), as voice is marked
        return self.eth + ip + udp + payload


def write_pcap(path, frames):
    """frames: iterable of (time_s, bytes) in time order; classic pcap, microseconds, Ethernet."""
    n = 0
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, LINKTYPE_ETHERNET))
        for t, fr in frames:
            us = int(round(t * 1e6))
            f.write(struct.pack("<IIII", us // 1000000, us % 1000000, len(fr), len(fr)))
            f.write(fr)
            n += 1
    return n


# ---------------------------------------------------------------- flows

def client_endpoints(rng, n, v6, net4, net6):
    """N distinct (address, port) pairs spread like real clients: mostly one flow per public address,
    about 15 % behind shared NAT addresses (2-4 flows each); ports from the ephemeral ranges of the
    usual systems (Linux 32768-60999, Windows/macOS 49152-65535) or anywhere above 1024 behind NAT."""
    net = ipaddress.ip_network(net6 if v6 else net4)
    used_addr = set()

    def new_addr():
        while True:
            if v6:   # a random /64 inside the prefix, a random interface identifier
                a = net.network_address + rng.randrange(net.num_addresses)
            else:
                a = net.network_address + rng.randrange(1, net.num_addresses - 1)
                if int(a) & 0xFF in (0, 255):
                    continue
            if a not in used_addr:
                used_addr.add(a)
                return a

    eps = []
    used = set()
    while len(eps) < n:
        natted = rng.random() < 0.0556      # groups of 3 on average: 15 % of the flows
        k = rng.randint(2, 4) if natted else 1
        a = new_addr()
        for _ in range(min(k, n - len(eps))):
            while True:
                if natted:
                    port = rng.randint(1024, 65535)
                elif rng.random() < 0.5:
                    port = rng.randint(32768, 60999)
                else:
                    port = rng.randint(49152, 65535)
                if (a, port) not in used:
                    used.add((a, port))
                    break
            eps.append((a, port))
    rng.shuffle(eps)
    return eps


def flow_plan(args, profile, v6):
    rng = random.Random(f"voxrelay-profiles:{args.seed}:{profile}")
    eps = client_endpoints(rng, args.flows, v6, args.client_net, args.client_net6)
    rooms = args.rooms or max(1, args.flows // 5)
    flows = []
    ssrcs = set()
    for i, (addr, port) in enumerate(eps):
        while True:
            ssrc = rng.getrandbits(32)
            if ssrc and ssrc not in ssrcs:
                ssrcs.add(ssrc)
                break
        flows.append({
            "index": i,
            "src": str(addr), "sport": port,
            "room": i % rooms, "dport": args.port_base + i % rooms,
            "ssrc": ssrc,
            "seq0": rng.getrandbits(16), "ts0": rng.getrandbits(32),
            "phase": rng.random() * args.ptime / 1000.0,
            "rtcp_first": rng.uniform(0.5, 1.5) * args.rtcp_interval / 2,
            "rng": random.Random(rng.getrandbits(64)),
        })
    return flows, rooms


def label(n):
    return f"{n // 1000}k" if n >= 1000 and n % 1000 == 0 else str(n)


def g711_flow(args, fl, room_peer, src, dst, framer, stream, jitter, cap_ptime, pt, rtcp_tmpl, epoch, stats):
    """Packets of one G.711 flow: (time, flow index, frame)."""
    ptime = args.ptime / 1000.0
    per = int(round(8000 * ptime))              # samples and bytes per packet (G.711: 1 byte per sample)
    nchunks = len(stream) // per
    seq, ts = fl["seq0"], fl["ts0"]
    sport, dport, ssrc = fl["sport"], fl["dport"], fl["ssrc"]
    rng = fl["rng"]
    next_rtcp = fl["rtcp_first"] if args.rtcp_interval > 0 else float("inf")
    sent = octets = 0
    k = 0
    while True:
        nominal = fl["phase"] + k * ptime
        if nominal >= args.duration:
            break
        while next_rtcp <= nominal:
            t = next_rtcp
            # the RTP timestamp that corresponds to the SR's wallclock: extrapolated from the last packet
            rtp_ts = (ts + int(round((t - (nominal - ptime)) * 8000)) - per) & 0xFFFFFFFF
            wall = epoch + t + 2208988800        # NTP era 0
            ntp = (int(wall) << 32) | int((wall % 1) * (1 << 32))
            p = bytearray(rtcp_tmpl)
            struct.pack_into("!IQIII", p, 4, ssrc, ntp, rtp_ts, sent, octets)
            rc = p[0] & 0x1F
            if rc:
                struct.pack_into("!I", p, 28, room_peer)   # report block: about another member of the room
            off = 4 * (struct.unpack_from("!H", p, 2)[0] + 1)
            while off + 8 <= len(p):                         # SDES chunk(s): this SSRC, CNAME of its hex
                ln = 4 * (struct.unpack_from("!H", p, off + 2)[0] + 1)
                if p[off + 1] == 202:
                    struct.pack_into("!I", p, off + 4, ssrc)
                    if p[off + 8] == 1 and p[off + 9] == 8:
                        p[off + 10:off + 18] = b"%08x" % ssrc
                off += ln
            stats["rtcp"] += 1
            yield epoch + t, fl["index"], framer.frame(src, sport, dst, dport, bytes(p))
            next_rtcp = t + rng.uniform(0.5, 1.5) * args.rtcp_interval
        c = k % nchunks
        j = jitter[min(len(jitter) - 1, (c * per) // int(round(cap_ptime * 8000)))]
        j = max(-ptime / 2 * 0.9, min(ptime / 2 * 0.9, j))   # keeps each flow's packets in order
        hdr = struct.pack("!BBHII", 0x80, (0x80 if k == 0 else 0) | pt, seq, ts, ssrc)
        payload = hdr + stream[c * per:(c + 1) * per]
        stats["rtp"] += 1
        yield epoch + nominal + j, fl["index"], framer.frame(src, sport, dst, dport, payload)
        sent += 1
        octets += per
        seq = (seq + 1) & 0xFFFF
        ts = (ts + per) & 0xFFFFFFFF
        k += 1


def srtp_flow(args, fl, src, dst, framer, direction, epoch, stats):
    """One direction of the captured SRTP call, RTP header and ciphertext untouched, looped as is."""
    period = direction[-1][0] + args.ptime / 1000.0
    loop = 0
    while True:
        for rel, p in direction:
            t = fl["phase"] + loop * period + rel
            if t >= args.duration:
                return
            stats["rtcp" if is_rtcp(p) else "rtp"] += 1
            yield epoch + t, fl["index"], framer.frame(src, fl["sport"], dst, fl["dport"], p)
        loop += 1


def build(args, profile, out_dir):
    v6 = profile.endswith("-v6")
    base = profile[:-3] if v6 else profile
    flows, rooms = flow_plan(args, profile, v6)
    framer = Framer(args.src_mac, args.dst_mac, v6)
    vip = ipaddress.ip_address(args.vip6 if v6 else args.vip)
    dst = vip.packed
    stats = {"rtp": 0, "rtcp": 0}
    gens = []
    manifest = {"profile": profile, "flows": args.flows, "rooms": rooms, "duration_s": args.duration,
                "ptime_ms": args.ptime, "seed": args.seed, "epoch": args.epoch, "vip": str(vip),
                "port_base": args.port_base, "src_mac": args.src_mac_s, "dst_mac": args.dst_mac_s,
                "ip_version": 6 if v6 else 4}
    if base == "g711":
        src_cap = os.path.join(args.captures, "sip-g711a-rtp.pcap")
        if args.ptime not in (10, 20, 30, 40, 60):
            raise SystemExit("make_profiles: --ptime must be 10, 20, 30, 40 or 60 for g711")
        stream, jitter, cap_ptime, pt = load_g711(src_cap)
        rtcp_tmpl = load_rtcp_template(os.path.join(args.captures, "rtcp-compound.pcap"))
        by_room = {}
        for fl in flows:
            by_room.setdefault(fl["room"], []).append(fl["ssrc"])
        for fl in flows:
            members = by_room[fl["room"]]
            peer = members[(members.index(fl["ssrc"]) + 1) % len(members)]
            gens.append(g711_flow(args, fl, peer, ipaddress.ip_address(fl["src"]).packed, dst, framer,
                                  stream, jitter, cap_ptime, pt, rtcp_tmpl, args.epoch, stats))
        name = f"g711-{label(args.flows)}" + ("-v6" if v6 else "")
        manifest.update(source=["sip-g711a-rtp.pcap", "rtcp-compound.pcap"], payload_type=pt,
                        rtp_payload_bytes=int(8000 * args.ptime / 1000), rtcp_interval_s=args.rtcp_interval,
                        rtcp_mux=True)
    elif base == "srtp":
        src_cap = os.path.join(args.captures, "webrtc-pcma-srtp-sdes.pcap")
        dirs, senders = load_srtp_call(src_cap)
        for fl in flows:
            d = fl["index"] % len(dirs)
            fl["captured_direction"] = senders[d]
            gens.append(srtp_flow(args, fl, ipaddress.ip_address(fl["src"]).packed, dst, framer, dirs[d],
                                  args.epoch, stats))
        ssrc_of = []
        for d in dirs:
            rtp = [p for _t, p in d if not is_rtcp(p)]
            ssrc_of.append("0x%08X" % struct.unpack_from("!I", rtp[0], 8)[0])
        for fl in flows:
            fl["ssrc"] = int(ssrc_of[fl["index"] % len(dirs)], 16)
        name = f"srtp-webrtc-{label(args.flows)}" + ("-v6" if v6 else "")
        manifest.update(source=["webrtc-pcma-srtp-sdes.pcap"], captured_ssrcs=ssrc_of,
                        srtp_suite="AES_CM_128_HMAC_SHA1_80", as_captured=True, rtcp_mux=True)
    else:
        raise SystemExit(f"make_profiles: unknown profile {profile}")

    path = os.path.join(out_dir, name + ".pcap")
    merged = heapq.merge(*gens, key=lambda x: (x[0], x[1]))
    n = write_pcap(path, ((t, fr) for t, _i, fr in merged))
    manifest.update(file=os.path.basename(path), packets=n, rtp_packets=stats["rtp"], rtcp_packets=stats["rtcp"],
                    flow_list=[{k: v for k, v in fl.items() if k != "rng" and k != "rtcp_first"} for fl in flows])
    for fl in manifest["flow_list"]:
        fl["ssrc"] = "0x%08X" % fl["ssrc"]
        fl["phase"] = round(fl["phase"], 6)
    with open(path + ".json", "w") as f:
        json.dump(manifest, f, indent=1, sort_keys=True)
        f.write("\n")
    print(f"{path}: {n} packets ({stats['rtp']} RTP, {stats['rtcp']} RTCP), {args.flows} flows, "
          f"{rooms} rooms, {args.duration:g} s")
    return path


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True, help="output directory")
    ap.add_argument("--captures", required=True, help="directory of the real captures (../shared/captures)")
    ap.add_argument("--profiles", default="g711,g711-v6,srtp", help="comma-separated: g711,g711-v6,srtp,srtp-v6")
    ap.add_argument("--flows", type=int, default=1000)
    ap.add_argument("--duration", type=float, default=10.0, help="seconds of traffic per flow (loops the capture)")
    ap.add_argument("--rooms", type=int, default=0, help="rooms (one VIP port each); default flows/5")
    ap.add_argument("--port-base", type=int, default=50000, help="UDP port of room 0 on the VIP")
    ap.add_argument("--vip", default="203.0.113.10")
    ap.add_argument("--vip6", default="2001:db8::10")
    ap.add_argument("--client-net", default="10.0.0.0/8", help="IPv4 prefix the client addresses come from")
    ap.add_argument("--client-net6", default="2001:db8:8000::/33", help="IPv6 prefix of the client addresses")
    ap.add_argument("--src-mac", default="02:00:00:00:00:01")
    ap.add_argument("--dst-mac", default="02:00:00:00:00:02")
    ap.add_argument("--ptime", type=int, default=20, help="ms per packet; g711 is re-packetised to it")
    ap.add_argument("--rtcp-interval", type=float, default=5.0, help="mean RTCP interval per flow, s (0: none)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--epoch", type=float, default=1700000000.0, help="time of the first packet slot (Unix s)")
    args = ap.parse_args()
    if args.flows < 1 or args.duration <= 0:
        ap.error("--flows and --duration must be positive")
    if not 1 <= args.port_base <= 65535 - (args.rooms or max(1, args.flows // 5)) + 1:
        ap.error("--port-base: the room ports do not fit below 65536")
    args.src_mac_s, args.dst_mac_s = args.src_mac.lower(), args.dst_mac.lower()
    args.src_mac, args.dst_mac = mac_bytes(args.src_mac), mac_bytes(args.dst_mac)
    os.makedirs(args.out, exist_ok=True)
    for prof in [p.strip() for p in args.profiles.split(",") if p.strip()]:
        build(args, prof, args.out)


if __name__ == "__main__":
    main()
