#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# voxrelay-cp with a real redis-server and real WebSocket clients: every request type, its reply and the events other members receive.
import asyncio
import json
import os
import shutil
import sys

import cputil
from cputil import check, id_key


async def main(d):
    redis = cputil.Redis(d).start()
    # the web client's files and a JSON one, to check the content types
    web = os.path.join(d, "web")
    shutil.copytree(cputil.WEB, web)
    with open(os.path.join(web, "data.json"), "w") as f:
        f.write('{"a":1}')
    gw = cputil.Gateway(sys.argv[1], d, redis.port, web_root=web).start()
    try:
        await scenario(gw, redis)
    finally:
        gw.stop()
        redis.stop()


async def scenario(gw, redis):
    url = gw.url
    a = await cputil.Client.connect(url)
    check(a.hello["type"] == "hello" and a.hello["data"]["heartbeat_interval"] == 2000, f"hello: {a.hello}")
    sid_a = a.hello["data"]["session_id"]
    check(len(sid_a) == 32, "session id of 32 hex digits")
    # requests before auth are refused, the connection stays
    r = await a.request("send_message", {"chatId": "general", "content": "x"})
    check(r["type"] == "error" and r["data"]["code"] == "NOT_AUTHENTICATED", f"before auth: {r}")
    r = await a.request("auth", {"token": cputil.token("alice")})
    check(r["type"] == "ready" and r["data"]["userId"] == "alice" and r["data"]["sessionId"] == sid_a, f"auth: {r}")
    r = await a.request("auth", {"token": cputil.token("alice")})
    check(r["data"]["code"] == "ALREADY_AUTHENTICATED", f"second auth: {r}")

    # existing clients: the token inside join_chat
    b = await cputil.Client.connect(url)
    r = await b.request("join_chat", {"chatType": "general", "token": cputil.token("bob")})
    check(r["type"] == "chat_joined" and r["data"]["chat"]["id"] == "general", f"join with token: {r}")
    r = await a.request("join_chat", {"chatType": "general"})
    check(r["type"] == "chat_joined" and r["data"]["chat"]["members"] == 2, f"alice joins: {r}")
    ev = await a.event("chat_added")
    check(ev["data"] == {"chatId": "general"}, f"the joiner's connections learn the chat: {ev}")
    ev = await b.event("member_joined")
    check(ev["data"] == {"chatId": "general", "userId": "alice"}, f"member_joined: {ev}")
    r = await a.request("join_chat", {"chatType": "general", "chatId": "nope"})
    check(r["data"]["code"] == "NOT_FOUND", f"join a missing chat: {r}")

    # send: acknowledged with the stream id and the server time, delivered to the other member once
    r = await a.request("send_message", {"chatId": "general", "content": "héllo 👋", "clientMessageId": "c1"})
    check(r["type"] == "message_sent" and r["data"]["clientMessageId"] == "c1", f"send: {r}")
    mid = r["data"]["messageId"]
    check(str(r["data"]["timestamp"]) == mid.split("-")[0], "timestamp is the stream id's time")
    ev = await b.event("message")
    check(ev["data"]["messageId"] == mid and ev["data"]["content"] == "héllo 👋" and ev["data"]["userId"] == "alice",
          f"bob receives: {ev}")
    ev = await a.event("message")  # alice's other tabs see it too, this one included
    check(ev["data"]["messageId"] == mid, "sender's connection receives the message event")
    check(redis.cli("XLEN", "vr:chat:general:s") == "1", "one stream entry")

    # edit / delete: own messages only
    r = await b.request("edit_message", {"chatId": "general", "messageId": mid, "content": "mine now"})
    check(r["data"]["code"] == "FORBIDDEN", f"bob edits alice's: {r}")
    r = await a.request("edit_message", {"chatId": "general", "messageId": mid, "content": "hello, edited"})
    check(r["type"] == "message_edit_ok" and r["data"]["messageId"] == mid, f"edit: {r}")
    ev = await b.event("message_edited")
    check(ev["data"]["messageId"] == mid and ev["data"]["content"] == "hello, edited", f"edited event: {ev}")
    r = await b.request("send_message", {"chatId": "general", "content": "second"})
    mid2 = r["data"]["messageId"]
    r = await b.request("send_message", {"chatId": "general", "content": "third"})
    mid3 = r["data"]["messageId"]
    r = await b.request("delete_message", {"chatId": "general", "messageId": mid2})
    check(r["type"] == "message_delete_ok", f"delete: {r}")
    ev = await a.event("message_deleted", pred=lambda f: f["data"]["messageId"] == mid2)
    r = await b.request("delete_message", {"chatId": "general", "messageId": mid2})
    check(r["data"]["code"] == "NOT_FOUND", f"delete twice: {r}")
    r = await a.request("edit_message", {"chatId": "general", "messageId": "1-0", "content": "x"})
    check(r["data"]["code"] == "NOT_FOUND", f"edit unknown: {r}")

    # history: newest first, edits applied, deleted gone, paged by id
    r = await a.request("history", {"chatId": "general"})
    msgs = r["data"]["messages"]
    check([m["messageId"] for m in msgs] == [mid3, mid], f"history: {msgs}")
    check(msgs[1]["content"] == "hello, edited" and "editedAt" in msgs[1], f"edit applied: {msgs[1]}")
    r = await a.request("history", {"chatId": "general", "limit": 1})
    check(len(r["data"]["messages"]) == 1 and r["data"]["next_before"] == mid3, f"page 1: {r}")
    r = await a.request("history", {"chatId": "general", "limit": 1, "before": mid3})
    check([m["messageId"] for m in r["data"]["messages"]] == [mid], f"page 2: {r}")
    r = await a.request("history", {"chatId": "general", "limit": 0})
    check(r["data"]["code"] == "BAD_REQUEST", "limit 0 refused")

    # typing goes to the others only
    r = await a.request("typing", {"chatId": "general", "typing": True})
    check(r["type"] == "typing_ok", f"typing: {r}")
    ev = await b.event("typing")
    check(ev["data"] == {"chatId": "general", "userId": "alice", "typing": True}, f"typing event: {ev}")
    await a.no_event("typing")

    # create, list, switch, leave
    r = await a.request("create_chat", {"name": "Project ✨", "chatType": "group", "members": ["bob"]})
    check(r["type"] == "chat_created", f"create: {r}")
    cid = r["data"]["chat"]["id"]
    ev = await b.event("chat_added", pred=lambda f: f["data"]["chatId"] == cid)
    check(ev["data"] == {"chatId": cid}, f"bob's connections learn he was added: {ev}")
    r = await b.request("list_chats")
    ids = sorted(c["id"] for c in r["data"]["chats"])
    check(ids == sorted(["general", cid]), f"bob was added: {r}")
    r = await b.request("switch_chat", {"chatId": cid})
    check(r["type"] == "chat_switched", f"switch: {r}")
    r = await b.request("send_message", {"chatId": cid, "content": "in the project"})
    check(r["type"] == "message_sent", f"bob sends in the new chat: {r}")
    await a.event("message", pred=lambda f: f["data"]["chatId"] == cid)
    r = await b.request("leave_chat", {"chatId": cid})
    check(r["type"] == "chat_left", f"leave: {r}")
    ev = await a.event("member_left")
    check(ev["data"] == {"chatId": cid, "userId": "bob"}, f"member_left: {ev}")
    r = await b.request("send_message", {"chatId": cid, "content": "gone"})
    check(r["data"]["code"] == "NOT_MEMBER", f"after leaving: {r}")
    r = await b.request("switch_chat", {"chatId": cid})
    check(r["data"]["code"] == "NOT_MEMBER", "switch to a chat left")

    await solo_chat(a, redis)

    # presence: both online; idle; offline when the last connection closes
    r = await a.request("presence", {"chatId": "general"})
    st = {u["userId"]: u["status"] for u in r["data"]["users"]}
    check(st == {"alice": "online", "bob": "online"}, f"presence: {st}")
    r = await b.request("set_status", {"status": "idle"})
    check(r["type"] == "status_set", f"set_status: {r}")
    ev = await a.event("presence_update", pred=lambda f: f["data"]["status"] == "idle")
    check(ev["data"]["userId"] == "bob", f"idle event: {ev}")
    r = await a.request("heartbeat")
    check(r["type"] == "heartbeat_ack", f"heartbeat: {r}")
    await b.close()
    ev = await a.event("presence_update", pred=lambda f: f["data"]["status"] == "offline")
    check(ev["data"]["userId"] == "bob", f"offline event: {ev}")
    r = await a.request("presence", {"chatId": "general"})
    st = {u["userId"]: u["status"] for u in r["data"]["users"]}
    check(st == {"alice": "online", "bob": "offline"}, f"presence after bob left: {st}")

    # resume: a new connection with the old session id gets what it missed
    b2 = await cputil.Client.connect(url)
    r = await b2.request("auth", {"token": cputil.token("bob")})
    sid_b = r["data"]["sessionId"]
    r = await b2.request("send_message", {"chatId": "general", "content": "before the drop"})
    last = r["data"]["messageId"]
    await b2.close()
    r = await a.request("send_message", {"chatId": "general", "content": "missed 1"})
    r = await a.request("send_message", {"chatId": "general", "content": "missed 2"})
    b3 = await cputil.Client.connect(url)
    r = await b3.request("resume", {"token": cputil.token("bob"), "session_id": sid_b,
                                    "last_ids": {"general": last}})
    check(r["type"] == "resumed" and r["data"]["replayed"] == 2, f"resume: {r}")
    got = [e["data"]["content"] for e in b3.events if e["type"] == "message"]
    check(got == ["missed 1", "missed 2"], f"replayed in order before the reply: {got}")
    b4 = await cputil.Client.connect(url)
    r = await b4.request("resume", {"token": cputil.token("bob"), "session_id": "0" * 32, "last_ids": {}})
    check(r["data"]["code"] == "SESSION_UNKNOWN", f"unknown session: {r}")
    # still authenticated: "ready" follows with the chat list, and requests are served
    ev = await b4.event("ready")
    check(ev["data"]["userId"] == "bob" and ev["data"]["chats"] == ["general"] and "id" not in ev,
          f"ready after SESSION_UNKNOWN: {ev}")
    r = await b4.request("send_message", {"chatId": "general", "content": "after an unknown session"})
    check(r["type"] == "message_sent", f"a request after SESSION_UNKNOWN: {r}")
    r = await b4.request("resume", {"token": cputil.token("alice"), "session_id": sid_b, "last_ids": {}})
    check(r["data"]["code"] == "ALREADY_AUTHENTICATED", "a resumed connection keeps its user")
    b5 = await cputil.Client.connect(url)
    r = await b5.request("resume", {"token": cputil.token("mallory"), "session_id": sid_b, "last_ids": {}})
    check(r["data"]["code"] == "SESSION_UNKNOWN", f"someone else's session: {r}")

    await resume_while_live(url, redis, sid_b, last)
    await announce_once(url, a)

    # Redis forgot the scripts: that request fails (nothing saved), they are loaded again for the next
    redis.cli("SCRIPT", "FLUSH")
    r = await a.request("send_message", {"chatId": "general", "content": "lost with the scripts"})
    check(r["type"] == "error" and r["data"]["code"] == "STORE_UNAVAILABLE", f"after SCRIPT FLUSH: {r}")
    r = await a.request("send_message", {"chatId": "general", "content": "scripts back"})
    check(r["type"] == "message_sent", f"scripts loaded again: {r}")

    # voice without relays configured: a clear error
    r = await a.request("voice_join", {"room": "general"})
    check(r["type"] == "error" and r["data"]["code"] == "VOICE_UNAVAILABLE", f"voice: {r}")

    # HTTP: health and metrics in the shapes monitors read
    import json
    for path in ("/health", "/api/websocket/health"):
        code, body = gw.http(path)
        h = json.loads(body)
        check(code == 200 and h["status"] == "healthy", f"{path}: {code} {body}")
        check(set(h["metrics"]) == {"totalConnections", "totalUsers", "messagesPerMinute", "averageResponseTime",
                                    "errorRate", "uptime"}, f"health metrics: {h}")
        check(h["metrics"]["messagesPerMinute"] >= 5 and h["metrics"]["totalUsers"] >= 1, f"figures: {h}")
    code, text = gw.http("/metrics")
    check(code == 200 and 'voxrelay_cp_messages_total{type="send_message",status="ok"}' in text, "metrics")
    check('voxrelay_cp_bytes_total{direction="in"}' in text and 'kind="payload"' not in text, "bytes, no duplicate")
    check('voxrelay_cp_request_duration_seconds_bucket{type="send_message",le="0.001"}' in text, "histogram")
    code, text2 = gw.http("/api/websocket/metrics")
    check(code == 200 and "voxrelay_cp_redis_commands_total" in text2, "metrics alias")
    code, page, hdr = gw.http("/", headers=True)
    check(code == 200 and "<" in page and hdr["content-type"].startswith("text/html"), "web client page")
    for path, mime in (("/app.js", "javascript"), ("/style.css", "text/css"), ("/data.json", "application/json")):
        code, _, hdr = gw.http(path, headers=True)
        check(code == 200 and mime in hdr["content-type"], f"{path}: {code} {hdr['content-type']}")
    code, _ = gw.http("/../../etc/passwd")
    check(code == 404, "no path outside web_root")
    for c in (a, b3, b4, b5):
        await c.close()


async def solo_chat(a, redis):
    """History past its scan bound, the edits hash pruned, and a chat deleted with its last member."""
    r = await a.request("create_chat", {"name": "solo"})
    cid = r["data"]["chat"]["id"]
    r = await a.request("send_message", {"chatId": cid, "content": "first"})
    first = r["data"]["messageId"]
    # 45 edit entries (of nothing): a page of 2 scans at most 40 entries and finds no message there
    cputil.stream_fill(redis, cid, 45, kind="e", target="1-0")
    pages, before, found = 0, None, []
    while True:
        q = {"chatId": cid, "limit": 2}
        if before:
            q["before"] = before
        r = await a.request("history", q)
        found += [m["messageId"] for m in r["data"]["messages"]]
        before = r["data"]["next_before"]
        pages += 1
        if not before or pages > 5:
            break
    check(found == [first] and pages == 2, f"history goes on past the scan bound: {found} in {pages} pages")

    # 120 edits of messages the stream no longer has: the next edit prunes them
    redis.cli("EVAL", "for i = 1, 120 do redis.call('HSET', KEYS[1], '1-' .. i, 'd') end", "1", f"vr:chat:{cid}:e")
    r = await a.request("edit_message", {"chatId": cid, "messageId": first, "content": "first, edited"})
    check(r["type"] == "message_edit_ok", f"edit: {r}")
    check(redis.cli("HKEYS", f"vr:chat:{cid}:e") == first, "edits older than the stream pruned, the live one kept")

    r = await a.request("leave_chat", {"chatId": cid})
    check(r["type"] == "chat_left", f"leave: {r}")
    keys = [f"vr:chat:{cid}:{k}" for k in ("meta", "members", "s", "e")]
    check(redis.cli("EXISTS", *keys) == "0", "the last member out deletes the chat")
    r = await a.request("join_chat", {"chatType": "group", "chatId": cid})
    check(r["data"]["code"] == "NOT_FOUND", f"a deleted chat: {r}")


async def resume_while_live(url, redis, sid, last):
    """A resume replaying a large backlog while another member sends: every id once, in stream order."""
    carol = await cputil.login(url, "carol")
    await carol.request("join_chat", {"chatType": "general"})
    backlog = cputil.stream_fill(redis, "general", 900, user="alice")
    b = await cputil.Client.connect(url)
    await b.send_raw(json.dumps({"type": "resume", "id": "res", "data": {"token": cputil.token("bob"),
                                                                       "session_id": sid, "last_ids": {"general": last}}}))
    for i in range(20):
        await carol.send_raw(json.dumps({"type": "send_message", "id": f"live{i}",
                                         "data": {"chatId": "general", "content": f"live {i}"}}))
    live = []
    while len(live) < 20:
        f = await carol.recv()
        if str(f.get("id", "")).startswith("live"):
            check(f["type"] == "message_sent", f"live send: {f}")
            live.append(f["data"]["messageId"])
    ids, resumed = [], None
    while resumed is None or not set(live) <= set(ids):
        f = await b.recv()
        if f["type"] == "message":
            ids.append(f["data"]["messageId"])
        elif f["type"] == "resumed":
            resumed = f
    await b.no_event("message", 0.3)
    check(len(ids) == len(set(ids)), f"each id once: {len(ids) - len(set(ids))} duplicates")
    check(ids == sorted(ids, key=id_key), "in stream order")
    check(set(backlog) <= set(ids), "the backlog replayed")
    for c in (b, carol):
        await c.close()


async def announce_once(url, a):
    """Two connections of an offline user authenticating at once: its coming online is announced (once)."""
    e = await cputil.login(url, "erin")
    await e.request("join_chat", {"chatType": "general"})
    await e.close()
    await a.event("presence_update", pred=lambda f: f["data"] == {"userId": "erin", "status": "offline"})
    e1, e2 = await cputil.Client.connect(url), await cputil.Client.connect(url)
    for c in (e1, e2):
        await c.send_raw(json.dumps({"type": "auth", "id": "a", "data": {"token": cputil.token("erin")}}))
    for c in (e1, e2):
        check((await c.event("ready"))["data"]["chats"] == ["general"], "each connection's ready has the chats")
    await a.event("presence_update", pred=lambda f: f["data"] == {"userId": "erin", "status": "online"}, timeout=3)
    await a.no_event("presence_update", 0.3, pred=lambda f: f["data"]["userId"] == "erin")
    for c in (e1, e2):
        await c.close()


cputil.run(main, "cp_chat")
