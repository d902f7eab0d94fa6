#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# voxrelay-cp's listener: wss:// and https:// with a certificate (real TLS clients), and a start that cannot listen stops with a message.
import asyncio
import json
import os
import socket
import ssl
import subprocess
import sys
import urllib.request

import cputil
from cputil import check


def make_cert(d):
    """A self-signed certificate for 127.0.0.1 / localhost (openssl CLI), as (cert, key) paths."""
    cert, key = os.path.join(d, "cert.pem"), os.path.join(d, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"], check=True, capture_output=True)
    return cert, key


def with_listen(gw, lines):
    """Rewrite the gateway's file with more keys under controlplane.listen."""
    with open(gw.config) as f:
        text = f.read()
    anchor = f"    port: {gw.port}\n"
    check(anchor in text, "listen block in the test config")
    with open(gw.config, "w") as f:
        f.write(text.replace(anchor, anchor + "".join(f"    {k}: {v}\n" for k, v in lines)))


def start_fails(gw, what, message=None):
    """The process exits non-zero within 10 s, its message naming the cause (default: the listener)."""
    p = subprocess.run([gw.binary, "-c", gw.config], capture_output=True, text=True, timeout=10)
    out = p.stdout + p.stderr
    check(p.returncode != 0, f"{what}: exit {p.returncode}, {out}")
    message = message or "cannot listen on 127.0.0.1:" + str(gw.port)
    check(message in out, f"{what}: message: {out}")
    check("Sanitizer" not in out, f"{what}: the failed start is not clean: {out}")


async def tls_scenario(gw, cert):
    ctx = ssl.create_default_context(cafile=cert)
    url = f"wss://127.0.0.1:{gw.port}/ws/chat"
    a = await cputil.login(url, "alice", ssl=ctx)
    b = await cputil.login(url, "bob", ssl=ctx)
    for c in (a, b):
        r = await c.request("join_chat", {"chatType": "general"})
        check(r["type"] == "chat_joined", f"join over wss: {r}")
    r = await a.request("send_message", {"chatId": "general", "content": "over TLS"})
    check(r["type"] == "message_sent", f"send over wss: {r}")
    m = await b.event("message", pred=lambda f: f["data"].get("content") == "over TLS")
    check(m["data"]["userId"] == "alice", f"delivery over wss: {m}")
    await a.close()
    await b.close()
    # https: the health endpoint through the same listener
    body = await asyncio.to_thread(
        lambda: urllib.request.urlopen(f"https://127.0.0.1:{gw.port}/health", context=ctx, timeout=5).read())
    check(json.loads(body)["status"] in ("healthy", "warning"), f"https health: {body[:200]}")
    # a client that does not trust the certificate is refused by its own verification
    try:
        await cputil.Client.connect(url, ssl=ssl.create_default_context())
        raise cputil.Fail("an untrusted certificate was accepted")
    except ssl.SSLCertVerificationError:
        pass
    # plain WebSocket to the TLS port gets no WebSocket
    try:
        c = await cputil.Client.connect(f"ws://127.0.0.1:{gw.port}/ws/chat", open_timeout=3)
        await c.close()
        raise cputil.Fail("plain ws:// accepted on the TLS listener")
    except cputil.Fail:
        raise
    except Exception:
        pass


async def main(d):
    redis = cputil.Redis(d).start()
    cert, key = make_cert(d)
    try:
        gw = cputil.Gateway(sys.argv[1], d, redis.port, name="tls")
        with_listen(gw, [("tls_cert", cert), ("tls_key", key)])
        gw.start()
        try:
            await tls_scenario(gw, cert)
        finally:
            gw.stop()

        # the port is taken: the start stops with a message instead of running deaf
        busy = cputil.Gateway(sys.argv[1], d, redis.port, name="busy")
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", busy.port))
        s.listen()
        try:
            start_fails(busy, "port in use")
        finally:
            s.close()

        # a certificate file that is not one: same
        junk = os.path.join(d, "junk.pem")
        with open(junk, "w") as f:
            f.write("-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n")
        bad = cputil.Gateway(sys.argv[1], d, redis.port, name="badcert")
        with_listen(bad, [("tls_cert", junk), ("tls_key", key)])
        start_fails(bad, "unusable certificate")

        # an HS256 secret longer than voxrelay-cp reads is refused, not cut short (no token would verify)
        long_secret = cputil.Gateway(sys.argv[1], d, redis.port, name="longsecret")
        path = os.path.join(d, "long.secret")
        with open(path, "wb") as f:
            f.write(b"s" * 5000)
        with open(long_secret.config) as f:
            text = f.read()
        check(os.path.join(d, "jwt.secret") in text, "secret path in the test config")
        with open(long_secret.config, "w") as f:
            f.write(text.replace(os.path.join(d, "jwt.secret"), path))
        start_fails(long_secret, "over-long HS256 secret", "longer than 4096 bytes")
    finally:
        redis.stop()


if __name__ == "__main__":
    cputil.run(main, "cp_listen")
