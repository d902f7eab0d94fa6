#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# Backend HTTP health endpoint for the lab: a tiny http.server bound to the VIP, GET /healthz answers 200.
"""
  http_health.py VIP [PORT] [--name NAME] [--status CODE]

Serves on VIP:PORT (default 80), the address the balancer's HTTP probes are
for: they reach this host encapsulated, the XDP decap hands them to the
kernel, and the answer leaves from the VIP straight back to the balancer.
GET /healthz answers CODE (default 200) with "NAME ok"; anything else 404.
Prints "serving" once bound; one line per request on stderr.
"""
import argparse
import http.server
import signal
import socket
import socketserver
import sys


class Handler(http.server.BaseHTTPRequestHandler):
    server_version = "voxrelay-lab-health"
    protocol_version = "HTTP/1.1"

    def do_GET(self):  # noqa: N802 (http.server's name)
        code = self.server.status if self.path == "/healthz" else 404
        body = f"{self.server.name} {'ok' if code == 200 else 'no'}\n".encode()
        self.send_response(code)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)
        self.close_connection = True

    def log_message(self, fmt, *args):
        sys.stderr.write(f"{self.server.name} {self.client_address[0]}:{self.client_address[1]} {fmt % args}\n")


class Server(http.server.HTTPServer):
    allow_reuse_address = True

    def server_bind(self):
        # http.server would look the VIP up in DNS (getfqdn) between bind and
        # listen; the lab has no DNS, and probes meanwhile get refused.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("vip")
    ap.add_argument("port", nargs="?", type=int, default=80)
    ap.add_argument("--name", default=socket.gethostname())
    ap.add_argument("--status", type=int, default=200)
    a = ap.parse_args()
    Server.address_family = socket.AF_INET6 if ":" in a.vip else socket.AF_INET
    srv = Server((a.vip, a.port), Handler)
    srv.name, srv.status = a.name, a.status
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print("serving", flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
