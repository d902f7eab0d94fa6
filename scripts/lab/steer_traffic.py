#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# Traffic for the steering lab test: paced RTP from one client address, and the junk the XDP filter must drop (not-voice, bad RTP versions, short RTP, IPv4 fragments).
"""
rtp:  RTP (version 2, PT 0, 160-byte payload) from --src to --dst, spread
      round-robin over the ports of --ports (one socket per port), paced at
      --pps for --seconds (or --count datagrams). Pacing sends the deficit
      every millisecond, so a rate far above what one sleep allows still
      comes out even.
junk: --count datagrams of one --kind, at --pps: ip45 (first byte 0x45, an
      IPv4 header: not voice), rtpv1 (first byte 0x40: version 1), rtpv3
      (0xc0: version 3), short (an RTP first byte and 6 bytes in all), frag
      (a 3000-byte RTP datagram the kernel sends as 3 IPv4 fragments).

Prints one JSON line: {"sent", "frames", "seconds", "first", "last"};
"frames" counts IPv4 fragments separately, "seconds" is first to last send
(CLOCK_MONOTONIC). Exits 1 if the kernel refused anything.
"""
import argparse
import json
import socket
import struct
import sys
import time

IP_MTU_DISCOVER = 10
IP_PMTUDISC_DONT = 0
MTU = 1500


def rtp(seq, ssrc, size=160, b0=0x80):
    return struct.pack("!BBHII", b0, 0, seq & 0xFFFF, (seq * 160) & 0xFFFFFFFF, ssrc) + b"\xd5" * size


def ports_of(spec):
    lo, _, hi = spec.partition("-")
    return list(range(int(lo), int(hi or lo) + 1))


class Dest:
    """An unconnected socket and where it sends: an ICMP port unreachable from a
    backend (no listener on a port) must not fail the next send, as it would on
    a connected socket."""

    def __init__(self, src, dst, port, frag):
        self.s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.s.bind((src, 0))
        if frag:
            # Fragment locally instead of refusing with EMSGSIZE.
            self.s.setsockopt(socket.IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_DONT)
        self.to = (dst, port)

    def send(self, data):
        self.s.sendto(data, self.to)


def sockets(src, dst, ports, frag=False):
    return [Dest(src, dst, p, frag) for p in ports]


def send_rtp(a):
    socks = sockets(a.src, a.dst, ports_of(a.ports))
    ssrc = struct.unpack("!I", socket.inet_aton(a.src))[0]
    total = a.count if a.count else int(a.pps * a.seconds)
    sent = errors = 0
    first = last = time.monotonic()
    while sent + errors < total:
        due = min(total, int((time.monotonic() - first) * a.pps) + 1)
        while sent + errors < due:
            n = sent + errors
            try:
                socks[n % len(socks)].send(rtp(n, ssrc + n % len(socks)))
                sent += 1
                last = time.monotonic()
            except OSError:
                errors += 1
        time.sleep(0.001)
    return sent, sent, last - first, first, last, errors


def send_junk(a):
    kind = a.kind
    socks = sockets(a.src, a.dst, ports_of(a.ports), frag=kind == "frag")
    payload = {
        "ip45": b"\x45\x00\x00\x54" + bytes(60),
        "rtpv1": rtp(1, 7, b0=0x40)[:12] + bytes(40),
        "rtpv3": rtp(1, 7, b0=0xC0),
        "short": rtp(1, 7)[:6],
        "frag": rtp(1, 7, size=3000 - 12),
    }[kind]
    # The kernel's fragments of a UDP datagram: 1480 payload bytes each over a 1500 MTU.
    per = -(-(len(payload) + 8) // (MTU - 20)) if kind == "frag" else 1
    sent = errors = 0
    first = last = time.monotonic()
    for n in range(a.count):
        try:
            socks[n % len(socks)].send(payload)
            sent += 1
            last = time.monotonic()
        except OSError:
            errors += 1
        time.sleep(1.0 / a.pps)
    return sent, sent * per, last - first, first, last, errors


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("mode", choices=["rtp", "junk"])
    ap.add_argument("--src", required=True)
    ap.add_argument("--dst", required=True)
    ap.add_argument("--ports", default="50000", help="port or range A-B")
    ap.add_argument("--pps", type=float, default=100.0)
    ap.add_argument("--seconds", type=float, default=1.0)
    ap.add_argument("--count", type=int, default=0)
    ap.add_argument("--kind", choices=["ip45", "rtpv1", "rtpv3", "short", "frag"], default="ip45")
    a = ap.parse_args()
    sent, frames, secs, first, last, errors = send_rtp(a) if a.mode == "rtp" else send_junk(a)
    print(json.dumps({"sent": sent, "frames": frames, "seconds": round(secs, 4), "first": first, "last": last,
                      "errors": errors}))
    return 0 if errors == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
