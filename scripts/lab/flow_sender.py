#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# Sends a few tagged datagrams on each of many UDP flows (one client port per flow) to the VIP, paced.
"""
Flow i uses client port --sport-base + i, and VIP port --port (or, with
--port-per-flow, --port + i: one voice room per flow). Every datagram says
"VRP <tag> <port> <n>" so udp_sink.py can tell the phases of a test apart.
Rounds go over all flows in turn (flow 0..N-1, then again), paced at --pps,
so a flow's packets are spread over the run rather than back to back.
Prints how many datagrams it sent; exits non-zero if the kernel refused any.
"""
import argparse
import socket
import sys
import time


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--src", required=True, help="client address to bind")
    ap.add_argument("--dst", required=True, help="VIP")
    ap.add_argument("--port", type=int, required=True, help="VIP port")
    ap.add_argument("--port-per-flow", action="store_true", help="flow i goes to VIP port --port + i")
    ap.add_argument("--flows", type=int, default=150)
    ap.add_argument("--sport-base", type=int, default=30000)
    ap.add_argument("--packets", type=int, default=3, help="datagrams per flow (default 3)")
    ap.add_argument("--pps", type=float, default=1000.0, help="datagrams per second over all flows")
    ap.add_argument("--tag", default="p1", help="phase tag carried in the payload")
    ap.add_argument("--size", type=int, default=160, help="payload bytes (default 160, a G.711 frame)")
    a = ap.parse_args()

    fam = socket.AF_INET6 if ":" in a.dst else socket.AF_INET
    socks = []
    for i in range(a.flows):
        s = socket.socket(fam, socket.SOCK_DGRAM)
        s.bind((a.src, a.sport_base + i))
        s.connect((a.dst, a.port + (i if a.port_per_flow else 0)))
        socks.append(s)
    sent = errors = 0
    gap = 1.0 / a.pps
    t = time.monotonic()
    for n in range(a.packets):
        for i, s in enumerate(socks):
            msg = f"VRP {a.tag} {a.sport_base + i} {n} ".encode()
            msg += b"\x55" * max(0, a.size - len(msg))
            try:
                s.send(msg)
                sent += 1
            except OSError as e:
                errors += 1
                print(f"flow_sender: port {a.sport_base + i}: {e}", file=sys.stderr)
            t += gap
            d = t - time.monotonic()
            if d > 0:
                time.sleep(d)
    print(f"flow_sender: sent={sent} errors={errors} flows={a.flows} tag={a.tag}")
    return 0 if errors == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
