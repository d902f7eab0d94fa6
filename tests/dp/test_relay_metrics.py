#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# The relay role's telemetry (/voxrelay/relay, /rooms, /ssrcs) and voxrelay-exporter's relay metrics, on the real SDES WebRTC call.
"""
usage: test_relay_metrics.py VOXRELAY_DP VOXRELAY_EXPORTER CAPTURES_DIR METRICS_DOC

voxrelay-dp in role relay on a pcap vdev (file prefix vrt-relay-metrics),
one worker lcore, fed the UDP datagrams of webrtc-pcma-srtp-sdes.pcap
readdressed to one room (as test_relay_pcap.py, all sent directly). Its
--control-script also creates rooms nobody talks in, so the lists page:
rooms of two members (one and two SSRCs), a room of 20 members of 2 SSRCs
(40 SSRCs: longer than a page), a room without members, and one room
removed again (ids with a gap). Checked:
- /voxrelay/relay is `stats`' "relay" object, number for number;
- /voxrelay/relay/rooms and /voxrelay/relay/ssrcs page (entries per page,
  bytes below the exporter's truncation mark, "next" increasing, each room
  and SSRC once) and agree with room.show for every room: counters, drops by
  reason, members, and per SSRC packets, bytes, loss, highest sequence,
  jitter, RTCP packets, ROC; pages from any position, bad parameters (null),
  past the end ({}), help texts;
- rooms added and removed over the control socket while telemetry walks
  the lists (the directory is shared under ctl_lock): every page valid, no
  room twice in a walk, the quiet rooms always there, no crash;
- the exporter's voxrelay_dp_relay_* series carry the same values, every
  family is documented in docs/metrics.md, `promtool check metrics` passes,
  and --relay-max-rooms / --relay-max-ssrcs bound the series (with
  voxrelay_exporter_relay_limit_reached 1).
"""
import os
import shutil
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "metrics"))
from metricsutil import (RELAY_MEMBERS, RELAY_ROOM_PORT as ROOM_PORT, RELAY_VIP as VIP, TRUNC_MARGIN,  # noqa: E402
                         Telemetry, check, check_documented, ctl, failures, promtool_lint, relay_setup, samples,
                         scrape, start_exporter, stop_exporter, value)

DP, EXPORTER, CAPTURES, METRICS_DOC = sys.argv[1:5]
PREFIX = "vrt-relay-metrics"
QUIET_ROOMS = range(40001, 40031)   # two members each: 1 + 2 SSRCs
BIG_ROOM, EMPTY_ROOM, GONE_ROOM = 40040, 40041, 40042
ROOMS_PAGE, SSRCS_PAGE = 12, 32     # relay_telemetry.c


def quiet_rooms():
    """Control requests after the capture's room: the rooms nobody talks in."""
    out = []
    for port in QUIET_ROOMS:
        out.append({"op": "room.add", "args": {"vip": VIP, "port": port, "max_members": 3}})
        out.append({"op": "member.add", "args": {"vip": VIP, "port": port, "id": 7, "ssrcs": [port], "suite": "NONE"}})
        out.append({"op": "member.add", "args": {"vip": VIP, "port": port, "id": 8, "ssrcs": [port * 10, port * 10 + 1],
                                                 "suite": "NONE"}})
    out.append({"op": "room.add", "args": {"vip": VIP, "port": GONE_ROOM}})
    out.append({"op": "room.add", "args": {"vip": VIP, "port": BIG_ROOM, "max_members": 20}})
    for m in range(20):
        out.append({"op": "member.add", "args": {"vip": VIP, "port": BIG_ROOM, "id": 100 + m,
                                                 "ssrcs": [5000 + 2 * m, 5001 + 2 * m], "suite": "NONE"}})
    out.append({"op": "room.remove", "args": {"vip": VIP, "port": GONE_ROOM}})
    out.append({"op": "room.add", "args": {"vip": VIP, "port": EMPTY_ROOM}})
    return out


def pages(tel, cmd, page_max):
    """Every page of @cmd, checked: size, entries per page, "next" increasing, no key twice. {key: entry}."""
    cap = tel.info["max_output_len"] - TRUNC_MARGIN
    entries, first, n = {}, None, 0
    for size, page in tel.pages(cmd):
        n += 1
        if not check(isinstance(page, dict), f"{cmd} page {n}: {str(page)[:200]}"):
            break
        keys = [k for k in page if k != "next"]
        check(size < cap, f"{cmd} page {n}: {size} bytes, not below {cap}")
        check(len(keys) <= page_max, f"{cmd} page {n}: {len(keys)} entries")
        check(all(int(k) >= (first or 0) for k in keys), f"{cmd} page {n}: keys before its start {first}")
        if "next" in page:
            check(all(int(k) < page["next"] for k in keys) and page["next"] > (first or 0),
                  f"{cmd} page {n}: next {page['next']} after {first}, keys {keys}")
            first = page["next"]
        for k in keys:
            check(k not in entries, f"{cmd}: {k} on two pages")
            entries[k] = page[k]
    return entries, n


def ssrc_rows(shows):
    """{(port, member, ssrc): ssrc view of room.show} over every room."""
    rows = {}
    for port, show in shows.items():
        for m in show["members"]:
            for s in m["ssrcs"]:
                rows[(port, m["id"], s["ssrc"])] = s
    return rows


def check_telemetry(tel, st, shows):
    _, relay = tel.ask("/voxrelay/relay")
    check(relay == st["relay"], f"/voxrelay/relay {relay} != stats.relay {st['relay']}")
    # the slow path is the workers' STUN and DTLS: they leave before the rooms see them
    check(relay.get("slow_path") == relay.get("stun", -1) + relay.get("dtls", -1),
          f"/voxrelay/relay slow_path {relay.get('slow_path')} != stun + dtls")
    want_rooms = len(QUIET_ROOMS) + 3
    check(relay.get("rooms") == want_rooms, f"/voxrelay/relay rooms {relay.get('rooms')}, expected {want_rooms}")

    t0 = time.time()
    rooms, n = pages(tel, "/voxrelay/relay/rooms", ROOMS_PAGE)
    print(f"/voxrelay/relay/rooms: {n} pages, {len(rooms)} rooms in {(time.time() - t0) * 1e3:.1f} ms")
    check(n == -(-want_rooms // ROOMS_PAGE), f"/voxrelay/relay/rooms: {n} pages for {want_rooms} rooms")
    by_port = {r["port"]: (k, r) for k, r in rooms.items()}
    check(set(by_port) == set(shows), f"rooms {sorted(by_port)} != room.list {sorted(shows)}")
    for port, show in shows.items():
        key, r = by_port.get(port, (None, {}))
        room = show["room"]
        check(key == str(room["id"]) and r.get("vip") == VIP and r.get("lcore") == room["lcore"],
              f"room {port}: key {key} {r} vs {room}")
        for f in ("members", "max_members", "rx_packets", "tx_packets"):
            check(r.get(f) == room[f], f"room {port} {f}: telemetry {r.get(f)}, room.show {room[f]}")
        check("slow_path" not in r, f"room {port}: slow_path in telemetry (always 0)")
        for reason, v in room["drops"].items():
            check(r.get("drops_" + reason) == v, f"room {port} drops {reason}: {r.get('drops_' + reason)} != {v}")
    lcores = {r["lcore"] for r in rooms.values()}
    check(lcores == {1}, f"rooms owned by lcores {lcores}, expected the worker's")

    ssrcs, n = pages(tel, "/voxrelay/relay/ssrcs", SSRCS_PAGE)
    want = ssrc_rows(shows)
    got = {(e["port"], e["member"], e["ssrc"]): e for e in ssrcs.values()}
    check(len(got) == len(ssrcs) == len(want) and set(got) == set(want),
          f"/voxrelay/relay/ssrcs: {len(ssrcs)} SSRCs over {n} pages, room.show has {len(want)}")
    check(n >= -(-len(want) // SSRCS_PAGE), f"/voxrelay/relay/ssrcs: {n} pages")
    for k, s in want.items():
        e = got.get(k, {})
        for f in ("packets", "bytes", "cumulative_lost", "ext_highest_seq", "rtcp_packets", "roc"):
            check(e.get(f) == s[f], f"ssrc {k} {f}: telemetry {e.get(f)}, room.show {s[f]}")
        check(e.get("started") == int(s["started"]), f"ssrc {k} started")
        check(abs(e.get("jitter_us", -1) - s["jitter_ms"] * 1000) <= 0.5, f"ssrc {k} jitter {e.get('jitter_us')} us "
              f"vs {s['jitter_ms']} ms")
    # the call's SSRCs carry traffic; the big room spans pages
    talk = [got.get((ROOM_PORT, mid, ssrcs[0]), {}) for mid, (_, _, ssrcs, _) in RELAY_MEMBERS.items()]
    check(all(t.get("packets", 0) > 200 and t.get("ext_highest_seq", 0) > 0 for t in talk), f"call SSRCs {talk}")
    big = sorted(int(k) for k, e in ssrcs.items() if e["port"] == BIG_ROOM)
    check(len(big) == 40 and big == list(range(big[0], big[0] + 40)), f"big room positions {big[:3]}..")

    # A page from any position: a room id, a position inside a room; bad and past-the-end parameters.
    ids = sorted(int(k) for k in rooms)
    r = tel.ask(f"/voxrelay/relay/rooms,{ids[3]}")[1] or {}
    check(sorted(int(k) for k in r if k != "next") == ids[3:3 + ROOMS_PAGE], f"rooms from id {ids[3]}: {sorted(r)}")
    mid = big[0] + 5
    r = tel.ask(f"/voxrelay/relay/ssrcs,{mid}")[1] or {}
    keys = sorted(int(k) for k in r if k != "next")
    check(keys and keys[0] == mid and len(keys) == SSRCS_PAGE and r.get("next") == mid + SSRCS_PAGE,
          f"ssrcs from {mid}: {keys[:3]}.. next {r.get('next')}")
    for cmd in ("/voxrelay/relay/rooms", "/voxrelay/relay/ssrcs"):
        for bad in ("abc", "-1", " 3", "0x10"):
            check(tel.ask(f"{cmd},{bad}")[1] is None, f"{cmd},{bad}: expected null")
        for past in (ids[-1] + 1 if cmd.endswith("rooms") else (ids[-1] + 1) << 10, 10 ** 30):
            r = tel.ask(f"{cmd},{past}")[1]
            check(r == {}, f"{cmd},{past}: {str(r)[:200]}, expected {{}}")
        h = (tel.ask(f"/help,{cmd}")[1] or {}).get(cmd, "")
        check("Paged" in h and "next" in h, f"help of {cmd}: {h!r}")
    return relay


def churn(sock, tel, seconds=2.0):
    """room.add/member.add/room.remove in a loop on ports 40100-40131 while telemetry walks both lists."""
    stop, errors, done = threading.Event(), [], [0]

    def control():
        i = 0
        while not stop.is_set():
            port = 40100 + i % 32
            for op, args in (("room.add", {"vip": VIP, "port": port}),
                             ("member.add", {"vip": VIP, "port": port, "id": 1, "ssrcs": [port], "suite": "NONE"}),
                             ("room.remove", {"vip": VIP, "port": port})):
                r = ctl(sock, op, args)
                if not r.get("ok"):
                    errors.append((op, args, r))
            done[0] += 1
            i += 1

    th = threading.Thread(target=control)
    th.start()
    walks, deadline = 0, time.time() + seconds
    try:
        while time.time() < deadline:
            for cmd, page_max in (("/voxrelay/relay/rooms", ROOMS_PAGE), ("/voxrelay/relay/ssrcs", SSRCS_PAGE)):
                before = len(failures)
                entries, _ = pages(tel, cmd, page_max)
                ports = {e["port"] for e in entries.values()}
                check(set(QUIET_ROOMS) <= ports, f"{cmd} during churn: quiet rooms missing")
                if len(failures) > before:
                    return
            walks += 1
    finally:
        stop.set()
        th.join()
    check(not errors, f"control requests refused during churn: {errors[:3]}")
    print(f"churn: {done[0]} rooms added and removed during {walks} walks of both lists")
    check(walks > 0 and done[0] > 0, "churn did nothing")


def start_dp_exporter(*extra):
    return start_exporter(EXPORTER, "--file-prefix", PREFIX, *extra)[:2]


def check_exporter(relay, shows):
    exp, port = start_dp_exporter()
    try:
        fams, body = scrape(port)
        if not check(value(fams, "voxrelay_dp_up") == 1, "exporter: dataplane not up"):
            return
        print(f"scrape: {value(fams, 'voxrelay_exporter_scrape_duration_seconds')} s for "
              f"{len(shows)} rooms, {len(ssrc_rows(shows))} SSRCs")
        R = "voxrelay_dp_relay_"
        types = {R + "rooms": "gauge", R + "members": "gauge", R + "rx_packets_total": "counter",
                 R + "tx_packets_total": "counter", R + "drops_total": "counter", R + "room_members": "gauge",
                 R + "room_rx_packets_total": "counter", R + "ssrc_packets_total": "counter",
                 R + "ssrc_lost": "gauge", R + "ssrc_jitter_seconds": "gauge", R + "ssrc_ext_highest_seq": "gauge",
                 R + "ssrc_rtcp_packets_total": "counter", R + "ssrc_bytes_total": "counter"}
        for f, t in types.items():
            check(fams.get(f, {}).get("type") == t and fams[f].get("help"), f"{f}: type/help {fams.get(f, {}).get('type')}")
        for f in ("rooms", "members", "rx_packets", "tx_packets", "slow_path", "stun", "dtls", "handoff_out", "handoff_in"):
            name = R + f + ("" if f in ("rooms", "members") else "_total")
            check(value(fams, name) == relay[f], f"{name}: {value(fams, name)}, telemetry {relay[f]}")
        check(R + "room_slow_path_total" not in fams, "a room's slow_path exported (always 0)")
        for reason, v in relay["drops"].items():
            check(value(fams, R + "drops_total", reason=reason) == v, f"relay drops {reason}")
        check(len(samples(fams, R + "drops_total")) == len(relay["drops"]), "every relay drop reason present")
        for port_, show in shows.items():
            room, p = show["room"], str(port_)
            check(value(fams, R + "room_rx_packets_total", vip=VIP, port=p) == room["rx_packets"], f"room {p} rx")
            check(value(fams, R + "room_tx_packets_total", vip=VIP, port=p) == room["tx_packets"], f"room {p} tx")
            check(value(fams, R + "room_members", vip=VIP, port=p) == room["members"], f"room {p} members")
            check(value(fams, R + "room_info", vip=VIP, port=p, id=str(room["id"]), lcore=str(room["lcore"])) == 1,
                  f"room {p} info")
            got = {l["reason"]: v for l, v in samples(fams, R + "room_drops_total") if l["port"] == p}
            check(got == {k: v for k, v in room["drops"].items() if v}, f"room {p} drops {got} vs {room['drops']}")
        for (p, mid, ssrc), s in ssrc_rows(shows).items():
            lab = {"vip": VIP, "port": str(p), "member": str(mid), "ssrc": str(ssrc)}
            check(value(fams, R + "ssrc_packets_total", **lab) == s["packets"], f"ssrc {lab} packets")
            check(value(fams, R + "ssrc_bytes_total", **lab) == s["bytes"], f"ssrc {lab} bytes")
            check(value(fams, R + "ssrc_lost", **lab) == s["cumulative_lost"], f"ssrc {lab} lost")
            check(value(fams, R + "ssrc_ext_highest_seq", **lab) == s["ext_highest_seq"], f"ssrc {lab} ext seq")
            check(value(fams, R + "ssrc_rtcp_packets_total", **lab) == s["rtcp_packets"], f"ssrc {lab} rtcp")
            j = value(fams, R + "ssrc_jitter_seconds", **lab)
            check(j is not None and abs(j - s["jitter_ms"] / 1000) <= 1e-6, f"ssrc {lab} jitter {j} vs {s['jitter_ms']} ms")
        check(len(samples(fams, R + "ssrc_packets_total")) == len(ssrc_rows(shows)), "one series per SSRC")
        for lst in ("rooms", "ssrcs"):
            check(value(fams, "voxrelay_exporter_relay_limit_reached", list=lst) == 0, f"limit reached for {lst}")
        check(value(fams, "voxrelay_exporter_truncated_replies_total") == 0, "truncated replies")
        check_documented(fams, METRICS_DOC)
        promtool_lint(body, "relay")
    finally:
        stop_exporter(exp)

    # Bounded: the first rooms and SSRCs by position, and the gauge that says some were left out.
    exp, port = start_dp_exporter("--relay-max-rooms", "5", "--relay-max-ssrcs", "33")
    try:
        fams, _ = scrape(port)
        check(len(samples(fams, "voxrelay_dp_relay_room_rx_packets_total")) == 5, "--relay-max-rooms 5")
        check(len(samples(fams, "voxrelay_dp_relay_ssrc_packets_total")) == 33, "--relay-max-ssrcs 33")
        for lst in ("rooms", "ssrcs"):
            check(value(fams, "voxrelay_exporter_relay_limit_reached", list=lst) == 1, f"limit not reported: {lst}")
        check(value(fams, "voxrelay_dp_relay_rooms") == relay["rooms"], "totals do not depend on the bounds")
    finally:
        stop_exporter(exp)
    exp, port = start_dp_exporter("--relay-max-rooms", "0", "--relay-max-ssrcs", "0")
    try:
        fams, _ = scrape(port)
        check(not any(f.startswith("voxrelay_dp_relay_room_") or f.startswith("voxrelay_dp_relay_ssrc_") for f in fams),
              "bounds of 0: room or SSRC series")
        check(value(fams, "voxrelay_exporter_relay_limit_reached", list="ssrcs") == 1, "bounds of 0: limit gauge")
    finally:
        stop_exporter(exp)


def main():
    setup = relay_setup(CAPTURES, PREFIX, more_script=quiet_rooms())
    if setup is None:
        return 77
    tmp, sock, nframes = setup.tmp, setup.sock, setup.frames
    log = open(f"{tmp}/dp.log", "w")
    dp = subprocess.Popen([DP, *setup.args], stdout=log, stderr=subprocess.STDOUT)
    tel = None
    try:
        # The file is read at once; then the counters settle (lcores publish totals every 500 ms).
        deadline, last = time.time() + 30, None
        while time.time() < deadline:
            time.sleep(0.5)
            if dp.poll() is not None or not os.path.exists(sock):
                continue
            cur = ctl(sock, "stats").get("result", {}).get("relay")
            if cur is not None and cur == last and cur["rx_packets"] > 0:
                break
            last = cur
        check(dp.poll() is None, "voxrelay-dp exited")
        time.sleep(1)
        st = ctl(sock, "stats")["result"]
        listed = ctl(sock, "room.list")["result"]["rooms"]
        shows = {r["port"]: ctl(sock, "room.show", {"vip": VIP, "port": r["port"]})["result"] for r in listed}
        for r in listed:
            show = shows[r["port"]]
            check(r["members"] == show["room"]["members"] == len(show["members"]),
                  f"room {r['port']} members: room.list {r['members']}, room.show {show['room']['members']}")
        check(st["relay"]["rx_packets"] > 0 and shows[ROOM_PORT]["room"]["rx_packets"] <= nframes,
              f"relay rx {st['relay']['rx_packets']} of {nframes} frames")
        t0 = time.time()
        tel = Telemetry(PREFIX)
        relay = check_telemetry(tel, st, shows)
        print(f"telemetry checks: {time.time() - t0:.2f} s")
        churn(sock, tel)
        check(len(ctl(sock, "room.list")["result"]["rooms"]) == len(shows), "rooms left after the churn")
        check_exporter(relay, shows)
    finally:
        if tel is not None:
            tel.close()
        if dp.poll() is None:
            dp.terminate()
        try:
            dp.wait(timeout=30)
        except subprocess.TimeoutExpired:
            dp.kill()
            dp.wait()
        log.close()
    check(dp.returncode == 0, f"voxrelay-dp exit {dp.returncode}")
    if failures:
        print(open(f"{tmp}/dp.log").read()[-3000:])
        print(f"{len(failures)} failures; kept {tmp}")
        return 1
    shutil.rmtree(tmp, ignore_errors=True)
    print("relay metrics: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
