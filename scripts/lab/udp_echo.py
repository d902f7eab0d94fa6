#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# Direct server return check: a backend echo server on the VIP, or the client that expects the echoes from the VIP.
"""
  udp_echo.py serve VIP PORT NAME    answer every datagram with "NAME: <datagram>"
  udp_echo.py ask VIP PORT [N]       send N datagrams, expect every answer to come from VIP:PORT

The answer leaves the backend with the VIP as source and goes straight to
the client through the router, not back through the balancer.
"""
import signal
import socket
import sys


def main():
    mode, vip, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    fam = socket.AF_INET6 if ":" in vip else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    if mode == "serve":
        name = sys.argv[4].encode()
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        s.bind((vip, port))
        print("serving", flush=True)
        while True:
            data, src = s.recvfrom(2048)
            s.sendto(name + b": " + data, src)
    n = int(sys.argv[4]) if len(sys.argv) > 4 else 5
    s.settimeout(2)
    got = 0
    for i in range(n):
        s.sendto(b"ping %d" % i, (vip, port))
        try:
            data, src = s.recvfrom(2048)
        except socket.timeout:
            print(f"udp_echo: no answer to ping {i}")
            continue
        if src[0] != vip or src[1] != port or not data.endswith(b"ping %d" % i):
            print(f"udp_echo: unexpected answer {data!r} from {src}")
            continue
        got += 1
        print(f"udp_echo: answer from {src[0]}:{src[1]}: {data.decode(errors='replace')}")
    return 0 if got == n else 1


if __name__ == "__main__":
    sys.exit(main())
