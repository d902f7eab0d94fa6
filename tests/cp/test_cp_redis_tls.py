#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# voxrelay-cp to a real redis-server over TLS (rediss://): chat through it with a client certificate; an untrusted, misnamed or impostor Redis refused; verification off; a bad CA file stopping the start.
import asyncio
import json
import os
import subprocess
import sys
import time

import cputil
from cputil import check


def openssl(*args):
    subprocess.run(["openssl", *args], check=True, capture_output=True)


def make_ca(d, name):
    key, crt = os.path.join(d, name + ".key"), os.path.join(d, name + ".crt")
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1",
            "-subj", f"/CN=voxrelay test {name}", "-keyout", key, "-out", crt,
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    return key, crt


def make_cert(d, name, ca, ext):
    """A certificate signed by ca (key, crt) with the extensions ext (openssl x509 -extfile lines)."""
    key, csr, crt = (os.path.join(d, name + s) for s in (".key", ".csr", ".crt"))
    extfile = os.path.join(d, name + ".ext")
    with open(extfile, "w") as f:
        f.write(ext + "\n")
    openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-subj", f"/CN={name}", "-keyout", key, "-out", csr)
    openssl("x509", "-req", "-in", csr, "-CA", ca[1], "-CAkey", ca[0], "-CAcreateserial", "-days", "1",
            "-extfile", extfile, "-out", crt)
    return key, crt


def certs(d):
    """The CA that signed Redis's and our client's certificates, and a rogue one that signed an impostor's."""
    pki = os.path.join(d, "pki")
    os.makedirs(pki)
    ca = make_ca(pki, "ca")
    rogue = make_ca(pki, "rogue-ca")
    san = "subjectAltName=IP:127.0.0.1,DNS:redis.test\nextendedKeyUsage=serverAuth"
    server = make_cert(pki, "redis-server", ca, san)
    impostor = make_cert(pki, "impostor", rogue, san)
    client = make_cert(pki, "voxrelay-cp", ca, "extendedKeyUsage=clientAuth")
    return {"ca": ca[1], "rogue": rogue[1], "server": server, "impostor": impostor, "client": client}


def q(v):
    return json.dumps(v)


async def wait_log(gw, text, timeout=10.0):
    end = time.time() + timeout
    while time.time() < end:
        with open(gw.log) as f:
            if text in f.read():
                return True
        await asyncio.sleep(0.1)
    with open(gw.log) as f:
        raise cputil.Fail(f"{gw.name}: no {text!r} in its log:\n{f.read()[-2000:]}")


async def wait_health(gw, code_wanted, timeout=10.0):
    end = time.time() + timeout
    while True:
        code, body = gw.http("/health")
        if code == code_wanted or time.time() > end:
            return code, body
        await asyncio.sleep(0.1)


async def main(d):
    pki = certs(d)
    # Redis wants a client certificate: the good gateway must present ours
    redis = cputil.Redis(d, tls={"cert": pki["server"][1], "key": pki["server"][0], "ca": pki["ca"],
                                 "client_cert": pki["client"][1], "client_key": pki["client"][0]}).start()
    url = f"rediss://127.0.0.1:{redis.port}/0"
    client = {"tls_cert": q(pki["client"][1]), "tls_key": q(pki["client"][0])}
    gws = []
    try:
        await scenario(d, redis, url, pki, client, gws)
    finally:
        for gw in gws:
            gw.stop()
        redis.stop()


async def scenario(d, redis, url, pki, client, gws):
    def gateway(name, **opts):
        gw = cputil.Gateway(sys.argv[1], d, None, name=name, redis_url=url, redis_opts=opts).start()
        gws.append(gw)
        return gw

    # the real path: trusted CA, verified name (the URL's address), client certificate
    good = gateway("cp-good", tls_ca_file=q(pki["ca"]), **client)
    code, body = await wait_health(good, 200)
    check(code == 200, f"TLS gateway healthy: {code} {body}")
    alice = await cputil.login(good.url, "alice")
    bob = await cputil.login(good.url, "bob")
    for c in (alice, bob):
        r = await c.request("join_chat", {"chatType": "general"})
        check(r["type"] == "chat_joined", f"join over TLS: {r}")
    r = await alice.request("send_message", {"chatId": "general", "content": "over TLS", "clientMessageId": "t1"})
    check(r["type"] == "message_sent" and r["data"]["clientMessageId"] == "t1", f"send over TLS: {r}")
    ev = await bob.event("message")
    check(ev["data"]["messageId"] == r["data"]["messageId"] and ev["data"]["content"] == "over TLS",
          f"bob receives it through the TLS pub/sub connection: {ev}")
    check(redis.cli("XLEN", "vr:chat:general:s") == "1", "the message is in Redis")
    # the name given instead of the URL's host, as SNI and for verification
    named = gateway("cp-named", tls_ca_file=q(pki["ca"]), tls_server_name="redis.test", **client)
    code, body = await wait_health(named, 200)
    check(code == 200, f"tls_server_name redis.test verified: {code} {body}")

    # a CA that did not sign Redis's certificate: no Redis link, said so in the log and by /health
    rogue = gateway("cp-rogue", tls_ca_file=q(pki["rogue"]), **client)
    await wait_log(rogue, "redis command connection down: TLS certificate verification failed: ")
    code, body = rogue.http("/health")
    check(code == 503 and json.loads(body)["status"] == "critical" and "Redis" in body, f"health: {code} {body}")
    carol = await cputil.login(rogue.url, "carol")
    r = await carol.request("join_chat", {"chatType": "general"})
    check(r["type"] == "error" and r["data"]["code"] == "STORE_UNAVAILABLE", f"join without a Redis link: {r}")
    await carol.close()
    # the right CA but another name than the certificate's
    misnamed = gateway("cp-misnamed", tls_ca_file=q(pki["ca"]), tls_server_name="other.test", **client)
    await wait_log(misnamed, "TLS certificate verification failed: hostname mismatch")
    code, _ = misnamed.http("/health")
    check(code == 503, f"a misnamed Redis is unreachable: {code}")
    # verification off: the rogue CA no longer matters (tests only)
    lax = gateway("cp-noverify", tls_ca_file=q(pki["rogue"]), tls_verify="false", **client)
    code, body = await wait_health(lax, 200)
    check(code == 200, f"tls_verify false connects: {code} {body}")
    dave = await cputil.login(lax.url, "dave")
    r = await dave.request("join_chat", {"chatType": "general"})
    r = await dave.request("send_message", {"chatId": "general", "content": "unverified"})
    check(r["type"] == "message_sent", f"send with verification off: {r}")
    ev = await alice.event("message", pred=lambda f: f["data"]["content"] == "unverified")
    check(ev["data"]["userId"] == "dave", f"across gateways: {ev}")
    await dave.close()

    # Redis comes back with a certificate of the rogue CA: the reconnection is refused, sends fail clearly
    redis.stop()
    redis.tls["key"], redis.tls["cert"] = pki["impostor"]
    redis.start()
    await wait_log(good, "TLS certificate verification failed: ")
    code, body = await wait_health(good, 503)
    check(code == 503 and "Redis" in body, f"health with an impostor Redis: {code} {body}")
    r = await alice.request("send_message", {"chatId": "general", "content": "to the impostor"})
    check(r["type"] == "error" and r["data"]["code"] == "STORE_UNAVAILABLE", f"send to an impostor: {r}")
    # the real one back: so is the link
    redis.stop()
    redis.tls["key"], redis.tls["cert"] = pki["server"]
    redis.start()
    code, body = await wait_health(good, 200)
    check(code == 200, f"back with the real Redis: {code} {body}")
    r = await alice.request("send_message", {"chatId": "general", "content": "again"})
    check(r["type"] == "message_sent", f"send after the impostor: {r}")
    ev = await bob.event("message", pred=lambda f: f["data"]["content"] == "again")
    for c in (alice, bob):
        await c.close()
    check(redis.cli("XLEN", "vr:chat:general:s") == "3", "three messages in Redis, none to the impostor")

    # a CA file that cannot be loaded stops the start with one clear line
    for name, path, why in (("missing", os.path.join(d, "nope.crt"), "No such file or directory"),
                            ("junk", os.path.join(d, "cp-good.yaml"), "unusable")):
        gw = cputil.Gateway(sys.argv[1], d, None, name="cp-" + name, redis_url=url,
                            redis_opts={"tls_ca_file": q(path)})
        p = subprocess.run([sys.argv[1], "-c", gw.config], capture_output=True, text=True, timeout=20)
        out = p.stdout + p.stderr
        check(p.returncode != 0 and f'voxrelay-cp: redis: controlplane.redis.tls_ca_file "{path}": ' in out and
              why in out and "ready" not in out, f"{name} CA file: exit {p.returncode}: {out}")
    print("rediss://: chat over TLS with a client certificate; untrusted, misnamed and impostor Redis refused; "
          "bad CA file stops the start", file=sys.stderr)


cputil.run(main, "cp_redis_tls")
