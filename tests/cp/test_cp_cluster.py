#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# voxrelay-cp processes on one real Redis: delivery to each other's clients in order, presence across them (a killed process's too), lost pub/sub recovered from the streams, a Redis restart with nothing acknowledged lost, an orderly stop.
import asyncio
import json
import sys

import websockets

import cputil
from cputil import check


async def main(d):
    redis = cputil.Redis(d).start()
    env = {"WS_RATE_LIMIT_MAX_MESSAGES": "1000"}
    gw1 = cputil.Gateway(sys.argv[1], d, redis.port, name="cp1", env=env).start()
    gw2 = cputil.Gateway(sys.argv[1], d, redis.port, name="cp2", env=env).start()
    gw3 = cputil.Gateway(sys.argv[1], d, redis.port, name="cp3", env=env, presence_ttl="5s").start()
    try:
        await scenario(d, redis, gw1, gw2, gw3)
    finally:
        gw3.kill()
        gw1.stop()
        gw2.stop()
        redis.stop()


async def heartbeat(clients, stop):
    while not stop.is_set():
        for c in clients:
            if c.ws.open:
                await c.ws.send(json.dumps({"type": "heartbeat"}))
        try:
            await asyncio.wait_for(stop.wait(), 0.7)
        except asyncio.TimeoutError:
            pass


async def scenario(d, redis, gw1, gw2, gw3):
    alice = await cputil.login(gw1.url, "alice")
    bob = await cputil.login(gw2.url, "bob")
    carol = await cputil.login(gw2.url, "carol")
    stop = asyncio.Event()
    clients = [alice, bob, carol]
    hb = asyncio.create_task(heartbeat(clients, stop))
    for c in (alice, bob, carol):
        r = await c.request("join_chat", {"chatType": "general"})
        check(r["type"] == "chat_joined", f"join: {r}")
    for c in (bob, carol):  # a chat of cp2's users alone, where nothing is delivered before the outage
        r = await c.request("join_chat", {"chatType": "quiet"})
        check(r["type"] == "chat_joined", f"join: {r}")

    # in order across processes: 50 from alice (cp1), 50 from bob (cp2), interleaved sends
    acked = {}
    for i in range(50):
        r = await alice.request("send_message", {"chatId": "general", "content": f"a{i}"})
        acked[r["data"]["messageId"]] = f"a{i}"
        r = await bob.request("send_message", {"chatId": "general", "content": f"b{i}"})
        acked[r["data"]["messageId"]] = f"b{i}"
    order = sorted(acked, key=lambda m: tuple(int(x) for x in m.split("-")))
    for who in (alice, bob, carol):
        got = []
        while len(got) < 100:
            ev = await who.event("message")
            got.append(ev["data"]["messageId"])
        check(got == order, f"{who is alice and 'alice' or 'bob/carol'} got the 100 messages in stream order")
    print("order: 100 messages, 2 processes, 3 clients, same order everywhere", file=sys.stderr)

    # presence across processes
    r = await bob.request("presence", {"chatId": "general"})
    st = {u["userId"]: u["status"] for u in r["data"]["users"]}
    check(st == {"alice": "online", "bob": "online", "carol": "online"}, f"presence across: {st}")

    # pub/sub lost, stream kept: entries pub/sub never carried (1,500 in general: more than one read of
    # the resync; 3 in a chat that delivered nothing yet), the subscribers killed, sends at once: all
    # arrive, once each, in stream order
    bulk = cputil.stream_fill(redis, "general", 1500, user="zed")
    quiet = cputil.stream_fill(redis, "quiet", 3, user="zed")
    redis.cli("CLIENT", "KILL", "TYPE", "pubsub")
    sent = []
    for i in range(5):
        r = await alice.request("send_message", {"chatId": "general", "content": f"gap{i}"})
        check(r["type"] == "message_sent", f"send while pub/sub reconnects: {r}")
        sent.append(r["data"]["messageId"])
    for who in (bob, carol, alice):
        got = []
        for _ in range(len(bulk) + len(sent)):
            ev = await who.event("message", timeout=10, pred=lambda f: f["data"]["chatId"] == "general")
            got.append(ev["data"]["messageId"])
        check(got == bulk + sent, f"recovered in order: {len(got)} {got[-6:]} vs {sent}")
        await who.no_event("message", 0.5, pred=lambda f: f["data"]["chatId"] == "general")  # no duplicates
    for who in (bob, carol):
        got = [(await who.event("message", timeout=5, pred=lambda f: f["data"]["chatId"] == "quiet"))["data"]
               ["messageId"] for _ in quiet]
        check(got == quiet, f"a chat with nothing delivered before: {got} vs {quiet}")
    print("pub/sub killed: 1,505 messages recovered from the stream, in order, no duplicates", file=sys.stderr)

    # Redis down: sends fail clearly (no ack), clients stay connected, health says critical
    before = int(redis.cli("XLEN", "vr:chat:general:s"))
    redis.stop()
    await asyncio.sleep(0.3)
    r = await alice.request("send_message", {"chatId": "general", "content": "into the void"})
    check(r["type"] == "error" and r["data"]["code"] == "STORE_UNAVAILABLE", f"send without Redis: {r}")
    code, body = gw1.http("/health")
    check(code == 503 and json.loads(body)["status"] == "critical" and "Redis" in body, f"health: {code} {body}")
    check(alice.ws.open and bob.ws.open and carol.ws.open, "clients stay connected")
    redis.start()
    for gw in (gw1, gw2):
        for _ in range(100):
            code, body = gw.http("/health")
            if code == 200:
                break
            await asyncio.sleep(0.1)
        check(code == 200, f"{gw.name} back after Redis restart: {body}")
    check(int(redis.cli("XLEN", "vr:chat:general:s")) == before, "every acknowledged message survived the restart")
    contents, before = set(), None
    while True:  # every page, newest first
        q = {"chatId": "general", "limit": 100}
        if before:
            q["before"] = before
        r = await alice.request("history", q)
        contents |= {m["content"] for m in r["data"]["messages"]}
        before = r["data"]["next_before"]
        if not before:
            break
    check(set(acked.values()) <= contents and "into the void" not in contents, "history after restart")
    r = await carol.request("send_message", {"chatId": "general", "content": "after restart"})
    check(r["type"] == "message_sent", f"send after restart: {r}")
    ev = await alice.event("message", pred=lambda f: f["data"]["content"] == "after restart", timeout=10)
    print("Redis restarted: sends refused while down, nothing acknowledged lost, delivery resumed", file=sys.stderr)

    # a user leaving one process: offline only when the last process lets go
    bob2 = await cputil.login(gw1.url, "bob")
    await alice.event("presence_update", pred=lambda f: f["data"] == {"userId": "bob", "status": "online"})
    await bob.close()
    await alice.no_event("presence_update", 1.0)
    r = await alice.request("presence", {"chatId": "general"})
    st = {u["userId"]: u["status"] for u in r["data"]["users"]}
    check(st["bob"] == "online", f"bob still online through cp1: {st}")
    await bob2.close()
    ev = await alice.event("presence_update", pred=lambda f: f["data"]["userId"] == "bob")
    check(ev["data"]["status"] == "offline", f"offline once both closed: {ev}")

    # a process killed: its field of the user expires (presence_ttl 5 s) while another process keeps
    # refreshing its own; the user's last connection closing elsewhere then says offline
    dave3 = await cputil.login(gw3.url, "dave")
    dave2 = await cputil.login(gw2.url, "dave")
    clients += [dave3, dave2]
    await dave2.request("join_chat", {"chatType": "general"})
    gw3.kill()
    await asyncio.sleep(5.5)
    r = await alice.request("presence", {"chatId": "general"})
    st = {u["userId"]: u["status"] for u in r["data"]["users"]}
    check(st["dave"] == "online", f"dave online through cp2: {st}")
    await dave2.close()
    ev = await alice.event("presence_update", pred=lambda f: f["data"]["userId"] == "dave", timeout=3)
    check(ev["data"]["status"] == "offline", f"offline though the killed process never said so: {ev}")
    print("a killed process: its presence field expired, offline published by the other", file=sys.stderr)

    # an orderly stop: its clients get 1001, the other process's see its users go offline
    frank = await cputil.login(gw1.url, "frank")
    clients.append(frank)
    await frank.request("join_chat", {"chatType": "general"})
    await carol.event("member_joined", pred=lambda f: f["data"]["userId"] == "frank")
    stop.set()
    await hb
    gw1.stop()
    for c in (frank, alice):
        try:
            while True:
                await asyncio.wait_for(c.ws.recv(), 5)
        except websockets.ConnectionClosed as e:
            check(e.code == 1001, f"closed {e.code} {e.reason!r} on SIGTERM, expected 1001")
    for uid in ("frank", "alice"):
        await carol.event("presence_update", pred=lambda f: f["data"] == {"userId": uid, "status": "offline"},
                          timeout=3)
    print("SIGTERM: 1001 to its clients, their users offline on the other process", file=sys.stderr)
    await carol.close()


cputil.run(main, "cp_cluster")
