#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# UDP receiver for a backend: binds the VIP's ports, counts datagrams per flow and writes what it saw as JSON.
"""
Counts per (client address, client port, VIP port, tag). The tag is what a
flow_sender.py probe says its phase is (payload "VRP <tag> ..."); other
datagrams (RTP from the replayed captures) get the tag "-".

The JSON file is rewritten (atomically) at most every 0.2 s while counts
change, and at SIGTERM/SIGINT, so a test can read it while the sink runs.
It exists, with zero counts, as soon as every socket is bound.
"""
import argparse
import json
import os
import selectors
import signal
import socket
import sys
import time


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bind", action="append", required=True, help="address to bind (the VIP); repeatable")
    ap.add_argument("--port", action="append", required=True, help="port or range A-B; repeatable")
    ap.add_argument("--out", required=True, help="JSON file")
    ap.add_argument("--name", default=socket.gethostname(), help="backend name in the JSON")
    a = ap.parse_args()

    ports = []
    for p in a.port:
        lo, _, hi = p.partition("-")
        ports.extend(range(int(lo), int(hi or lo) + 1))
    sel = selectors.DefaultSelector()
    socks = []
    for addr in a.bind:
        fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
        for port in ports:
            s = socket.socket(fam, socket.SOCK_DGRAM)
            # Root may exceed rmem_max, which is not per network namespace.
            s.setsockopt(socket.SOL_SOCKET, 33, 8 << 20)  # SO_RCVBUFFORCE
            s.bind((addr, port))
            s.setblocking(False)
            sel.register(s, selectors.EVENT_READ)
            socks.append(s)

    counts = {}
    stop = False
    dirty = True
    last = 0.0

    def on_signal(_sig, _frm):
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    def flush():
        flows = [
            {"src": k[0], "sport": k[1], "dport": k[2], "tag": k[3], "packets": v[0], "bytes": v[1]}
            for k, v in sorted(counts.items())
        ]
        doc = {"name": a.name, "total": sum(f["packets"] for f in flows), "flows": flows}
        tmp = a.out + ".tmp"
        with open(tmp, "w") as f:
            json.dump(doc, f)
        os.replace(tmp, a.out)

    flush()
    while not stop:
        for key, _ in sel.select(timeout=0.1):
            s = key.fileobj
            dport = s.getsockname()[1]
            for _ in range(256):
                try:
                    data, src = s.recvfrom(4096)
                except BlockingIOError:
                    break
                except InterruptedError:
                    continue
                tag = "-"
                if data.startswith(b"VRP "):
                    tag = data[4:].split(b" ", 1)[0].decode("ascii", "replace")
                k = (src[0], src[1], dport, tag)
                c = counts.get(k)
                if c is None:
                    counts[k] = [1, len(data)]
                else:
                    c[0] += 1
                    c[1] += len(data)
                dirty = True
        now = time.monotonic()
        if dirty and now - last >= 0.2:
            flush()
            dirty, last = False, now
    flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
