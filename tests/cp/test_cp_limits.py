#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# voxrelay-cp's limits and bad input with real clients: capacity, per-user connections, rate, sizes, tokens, frames, deadlines, slow consumers.
import asyncio
import json
import sys

import websockets

import cputil
from cputil import check


async def closed_with(c, code, timeout=5.0):
    """Read until the server closes; return (close code, reason)."""
    try:
        while True:
            await asyncio.wait_for(c.ws.recv(), timeout)
    except websockets.ConnectionClosed as e:
        check(e.code == code, f"closed with {e.code} {e.reason!r}, expected {code}")
        return e.reason


async def main(d):
    redis = cputil.Redis(d).start()
    # Small limits through the environment, as deployments set them.
    env = {"WS_MAX_CONNECTIONS": "6", "WS_MAX_CONNECTIONS_PER_USER": "2", "WS_RATE_LIMIT_MAX_MESSAGES": "5",
           "WS_RATE_LIMIT_WINDOW": "60000", "WS_MAX_PAYLOAD": "2048", "WS_MAX_MESSAGE_LENGTH": "100",
           "WS_INACTIVE_TIMEOUT": "30s"}
    gw = cputil.Gateway(sys.argv[1], d, redis.port, env=env, auth_timeout="1s", heartbeat="1s").start()
    # inactive_timeout at its lower bound, on a gateway of its own: it runs beside the rest
    idle_gw = cputil.Gateway(sys.argv[1], d, redis.port, name="cp-idle", env={"WS_INACTIVE_TIMEOUT": "10000"},
                             heartbeat="1s").start()
    try:
        await asyncio.gather(scenario(gw, redis), inactive(idle_gw))
    finally:
        gw.stop()
        idle_gw.stop()
        redis.stop()


async def inactive(gw):
    """4004: heartbeats alone do not keep a connection past inactive_timeout; any other request does."""
    idle = await cputil.login(gw.url, "idle")
    busy = await cputil.login(gw.url, "busy")
    t0 = asyncio.get_running_loop().time()
    reason = None
    while reason is None:
        await idle.send_raw(json.dumps({"type": "heartbeat"}))
        await busy.send_raw(json.dumps({"type": "list_chats" if int(asyncio.get_running_loop().time() - t0) % 3 == 0
                                                  else "heartbeat"}))
        try:
            while True:
                await asyncio.wait_for(idle.ws.recv(), 0.5)
        except asyncio.TimeoutError:
            pass
        except websockets.ConnectionClosed as e:
            check(e.code == 4004, f"closed with {e.code} {e.reason!r}, expected 4004")
            reason = e.reason
        check(asyncio.get_running_loop().time() - t0 < 14, "no 4004 within 14 s of only heartbeats")
    took = asyncio.get_running_loop().time() - t0
    check(took > 9.5, f"4004 after {took:.1f} s, before inactive_timeout")
    check(busy.ws.open, "a client sending requests stays")
    await busy.close()


async def scenario(gw, redis):
    url = gw.url
    # bad tokens: each refused with its reason, connection closed 4001
    now_bad = {
        "expired": cputil.token("eve", exp_in=-120),
        "none": cputil.token("eve", alg="none"),
        "wrong key": cputil.token("eve", secret=b"another secret of enough length 12345"),
        "garbage": "not.a.jwt",
        "no sub": cputil.token("", extra={}),
        "nbf future": cputil.token("eve", extra={"nbf": 2 ** 31}),
    }
    for what, tok in now_bad.items():
        c = await cputil.Client.connect(url)
        r = await c.request("auth", {"token": tok})
        check(r["type"] == "error" and r["data"]["code"] == "AUTH_FAILED", f"{what}: {r}")
        await closed_with(c, 4001)
    c = await cputil.Client.connect(url)
    r = await c.request("auth", {"token": 42})
    check(r["data"]["code"] == "BAD_REQUEST", f"token not a string: {r}")

    # auth deadline: 1 s, then 4000
    c = await cputil.Client.connect(url)
    reason = await closed_with(c, 4000, timeout=4)
    check("auth" in reason, f"deadline reason: {reason}")

    a = await cputil.login(url, "alice")
    await a.request("join_chat", {"chatType": "general"})
    await a.event("chat_added")

    # bad frames: an error with a code each, the connection stays
    for raw, code in (("not json", "BAD_JSON"), ("[1,2]", "BAD_JSON"), ('{"data":{}}', "BAD_REQUEST"),
                      ('{"type":"nope","id":"x1"}', "UNKNOWN_TYPE"), ('{"type":"auth","data":[]}', "BAD_REQUEST"),
                      ('{"type":"history","data":{},"id":{"a":1}}', "BAD_REQUEST"),
                      ('{"type":"a","type":"b"}', "BAD_JSON")):
        await a.send_raw(raw)
        f = await a.recv()
        check(f["type"] == "error" and f["data"]["code"] == code, f"{raw}: {f}")
    await a.ws.send(b"\x01\x02binary")
    f = await a.recv()
    check(f["data"]["code"] == "BINARY_NOT_SUPPORTED", f"binary: {f}")
    # invalid UTF-8 inside a text frame cannot be sent by a conforming client: send the raw frame bytes
    await a.ws.write_frame(True, websockets.frames.Opcode.TEXT, b'{"type":"heartbeat","x":"\xc3\x28"}')
    f = await a.recv()
    check(f["data"]["code"] == "BAD_UTF8", f"invalid UTF-8: {f}")
    r = await a.request("send_message", {"chatId": "general", "content": ""})
    check(r["data"]["code"] == "EMPTY_MESSAGE", f"empty: {r}")
    r = await a.request("send_message", {"chatId": "general", "content": "é" * 101})
    check(r["data"]["code"] == "MESSAGE_TOO_LONG", f"101 code points: {r}")
    # 100 code points of 4 bytes each is 400 bytes: counted in characters, not bytes
    r = await a.request("send_message", {"chatId": "general", "content": "😀" * 100})
    check(r["type"] == "message_sent", f"100 emoji: {r}")
    check(a.ws.open, "still connected after bad input")

    # rate: 5 per window; the join and every send attempt take a token (1 + 3 above, refused or not), then RATE_LIMITED
    results = []
    for i in range(6):
        r = await a.request("send_message", {"chatId": "general", "content": f"m{i}"})
        results.append(r["type"] if r["type"] != "error" else r["data"]["code"])
    check(results == ["message_sent"] * 1 + ["RATE_LIMITED"] * 5, f"rate: {results}")
    # creating and joining chats take tokens too
    r = await a.request("create_chat", {"name": "more"})
    check(r["type"] == "error" and r["data"]["code"] == "RATE_LIMITED", f"create_chat rate limited: {r}")
    r = await a.request("join_chat", {"chatType": "other"})
    check(r["type"] == "error" and r["data"]["code"] == "RATE_LIMITED", f"join_chat rate limited: {r}")
    r = await a.request("history", {"chatId": "general", "limit": 10})
    check(r["type"] == "history", "other requests still served while rate limited")
    check(len([m for m in r["data"]["messages"] if m["content"].startswith("m")]) == 1, "rejected ones not stored")

    # per-user connections: 2; the third is refused and closed 1008
    a2 = await cputil.login(url, "alice")
    a3 = await cputil.Client.connect(url)
    r = await a3.request("auth", {"token": cputil.token("alice")})
    check(r["data"]["code"] == "TOO_MANY_CONNECTIONS" and r["data"]["message"] == "Too many connections for user", f"{r}")
    await closed_with(a3, 1008)

    # oversized frame: closed 1009 after an error
    big = await cputil.login(url, "bigsender")
    await big.send_raw(json.dumps({"type": "heartbeat", "data": {"pad": "x" * 3000}}))
    f = await big.recv()
    check(f["data"]["code"] == "MESSAGE_TOO_LONG", f"oversized: {f}")
    await closed_with(big, 1009)

    # capacity: 6 per process
    conns = []
    while True:
        c = await cputil.Client.connect(url)
        if c.hello["type"] == "error":
            check(c.hello["data"]["code"] == "AT_CAPACITY" and c.hello["data"]["message"] == "Server at capacity",
                  f"capacity: {c.hello}")
            await closed_with(c, 1013)
            break
        conns.append(c)
        check(len(conns) <= 6, "more connections than max_connections")
    code, body = gw.http("/health")
    h = json.loads(body)
    check(h["metrics"]["totalConnections"] == 6 and h["status"] == "critical" and code == 503, f"health at capacity: {body}")
    for c in conns:
        await c.close()

    # server pings: a silent peer gets a WebSocket ping (opcode 9) after one heartbeat interval (1 s here);
    # one that never answers is closed 4002 two intervals later, heartbeats or not
    await raw_ping_check(gw.port)

    # heartbeats: a client that sends nothing is closed 4002 within two intervals (plus the sweep's second);
    # one that sends other requests but no heartbeat stays
    hb = await cputil.login(url, "sleepy")
    chatty = await cputil.login(url, "chatty")
    for _ in range(7):
        r = await chatty.request("list_chats")
        check(r["type"] == "chats", f"list_chats: {r}")
        await asyncio.sleep(0.5)
    await closed_with(hb, 4002, timeout=1)
    check(chatty.ws.open, "requests without heartbeats keep a connection")
    await chatty.close()

    for c in (a, a2):
        await c.close()


async def raw_ping_check(port):
    """A raw RFC 6455 client that never answers pings: the server must ping it, then close it 4002 though it heartbeats."""
    import base64
    import os
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    key = base64.b64encode(os.urandom(16)).decode()
    writer.write((f"GET /ws/chat HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
                  f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
    check(b" 101 " in head.split(b"\r\n")[0], f"upgrade: {head[:40]}")

    def frame(msg):
        """A masked text frame (RFC 6455 5.3)."""
        payload = json.dumps(msg).encode()
        mask = os.urandom(4)
        n = len(payload)
        hdr = bytes([0x81, 0x80 | 126]) + n.to_bytes(2, "big") if n > 125 else bytes([0x81, 0x80 | n])
        return hdr + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))

    async def read_frame(timeout):
        b0, b1 = await asyncio.wait_for(reader.readexactly(2), timeout)
        n = b1 & 0x7f
        if n == 126:
            n = int.from_bytes(await reader.readexactly(2), "big")
        elif n == 127:
            n = int.from_bytes(await reader.readexactly(8), "big")
        return b0 & 0x0f, await reader.readexactly(n)

    # authenticate, then stay silent
    writer.write(frame({"type": "auth", "data": {"token": cputil.token("raw")}}))
    loop = asyncio.get_running_loop()
    opcodes = []
    t0 = loop.time()
    while loop.time() - t0 < 3.5 and 9 not in opcodes:
        op, _ = await read_frame(4)
        opcodes.append(op)
    check(9 in opcodes, f"no ping from the server in 3.5 s: opcodes {opcodes}")
    # heartbeats from now on, never a pong: closed 4002 for the unanswered ping
    t_ping = loop.time()
    close = None
    while close is None and loop.time() - t_ping < 5:
        writer.write(frame({"type": "heartbeat"}))
        try:
            while close is None:
                op, body = await read_frame(0.4)
                if op == 8:
                    close = body
        except asyncio.TimeoutError:
            pass
    check(close is not None, "still open 5 s after an unanswered ping")
    code = int.from_bytes(close[:2], "big")
    check(code == 4002 and b"ping" in close[2:], f"closed {code} {close[2:]!r}, expected 4002 for the ping")
    writer.close()


async def slow_consumer(gw):
    """A member that stops reading is closed 4003 once its queue passes outbound_queue; the sender is not slowed."""
    slow = await cputil.login(gw.url, "slow")
    await slow.request("join_chat", {"chatType": "general"})
    slow.ws.transport.pause_reading()
    fast = await cputil.login(gw.url, "fast")
    await fast.request("join_chat", {"chatType": "general"})
    text = "z" * 1000
    n = 12000  # 12 MB: more than the loopback socket buffers and the 64 KiB queue
    acks = 0
    done = asyncio.Event()

    async def drain():
        # the sender reads everything as it comes (its own copies too), so only the slow one lags
        nonlocal acks
        while acks < n:
            f = await fast.recv(30)
            if f.get("id") is not None:
                check(f["type"] == "message_sent", f"send {f['id']}: {f}")
                acks += 1
        done.set()

    reader = asyncio.create_task(drain())
    for i in range(n):
        while i - acks > 20:  # a window of requests in flight: its copies fit the queue
            await asyncio.sleep(0.001)
        await fast.ws.send(json.dumps({"type": "send_message", "data": {"chatId": "general", "content": text},
                                       "id": i}))
    await asyncio.wait_for(done.wait(), 60)
    await reader
    slow.ws.transport.resume_reading()
    await closed_with(slow, 4003, timeout=30)
    _, text = gw.http("/metrics")
    check('voxrelay_cp_closed_total{reason="slow_consumer"} 1' in text, "slow consumer counted")
    await fast.close()


async def main2(d):
    redis = cputil.Redis(d).start()
    gw = cputil.Gateway(sys.argv[1], d, redis.port, name="cp-slow",
                        env={"WS_RATE_LIMIT_MAX_MESSAGES": "100000"},
                        extra="  limits:\n    outbound_queue: 65536\n").start()
    try:
        await slow_consumer(gw)
    finally:
        gw.stop()
        redis.stop()


cputil.run(main, "cp_limits")
cputil.run(main2, "cp_slow_consumer")
