#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# The real voxrelay-dp in role relay on a pcap vdev fed the real SDES WebRTC call: every datagram authenticates, every copy decrypts to what the other member sent.
"""
webrtc-pcma-srtp-sdes.pcap (../shared/captures, keys in its SOURCES.md) is a
call between 192.168.1.142:56185 (SSRC 0xD092D296) and 192.168.1.130:60644
(SSRC 0x522B93AB, and libwebrtc's placeholder RTCP SSRC 0xFA17FA17). Every
UDP datagram of it is sent to the room VIP:port instead of the peer: one
third directly, one third GUE-encapsulated as the balancer sends them, one
third IPIP. The room and its two members (fixed addresses, their SDES keys
as TX keys, fresh RX keys) come from a --control-script, so no packet is
read before they exist. relay_pcap_check then decrypts each member's input
with its TX key and each output frame with its recipient's RX key and
matches plaintexts; STUN must reach the slow-path queue, the DNS datagrams
are counted as not RTP, and no packet fails authentication. Each stream's
reported jitter must be RFC 3550 A.8 of the capture (expected_jitter_ms()).
"""
import json
import logging
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "metrics"))
from metricsutil import (RELAY_CAPTURE, RELAY_MEMBERS, RELAY_ROOM_PORT as ROOM_PORT, RELAY_VIP as VIP,  # noqa: E402
                         check, ctl, failures, relay_setup)

logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
from scapy.all import IP, UDP, Ether, RawPcapReader  # noqa: E402

DP, CHECK, CAPTURES = sys.argv[1], sys.argv[2], sys.argv[3]
CLOCK_HZ = 8000  # PCMA; the members' clock_rate (metricsutil.relay_setup)


def expected_jitter_ms(capture):
    """{SSRC: RFC 3550 A.8 interarrival jitter in ms} of the capture's RTP packets in file order, computed
    independently of vr_rtpstats, with the arrival times the relay actually has. Those are not the pcap
    timestamps: the relay stamps each burst with its TSC when the pcap vdev hands it over, and the vdev
    reads the whole call (30 s of it) as fast as the worker polls, so consecutive arrivals are a tiny
    fraction of the 20 ms packet spacing apart and D(i-1, i) is, to well under one RTP unit, the RTP
    timestamps' difference. (A.8 over the pcap timestamps, the call's real arrival times, is
    test_relay_capture's check, where the relay is given them.)"""
    jitter, transit = {}, {}
    for raw, _ in RawPcapReader(capture):
        e = Ether(raw)
        if UDP not in e:
            continue
        b = bytes(e[UDP].payload)
        # RFC 7983 RTP/RTCP range, then RFC 5761 4: payload types 64-95 are RTCP
        if len(b) < 12 or not 128 <= b[0] <= 191 or 64 <= b[1] & 0x7F <= 95:
            continue
        ssrc, tr = int.from_bytes(b[8:12], "big"), 0 - int.from_bytes(b[4:8], "big")  # arrival 0 - RTP ts
        if ssrc in transit:
            jitter[ssrc] += (abs(tr - transit[ssrc]) - jitter[ssrc]) / 16
        else:
            jitter[ssrc] = 0.0
        transit[ssrc] = tr
    return {ssrc: j * 1000 / CLOCK_HZ for ssrc, j in jitter.items()}


def main():
    setup = relay_setup(CAPTURES, "vrt-relay-pcap", encapsulate=True)
    if setup is None:
        return 77
    tmp, inp, out, sock, kinds, rx = setup.tmp, setup.inp, setup.out, setup.sock, setup.kinds, setup.rx
    stats = f"{tmp}/stats.json"
    dp = subprocess.Popen([DP, *setup.args, "--stats-json", stats], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True)
    try:
        # the whole file is read in well under a second; wait for the counters to settle
        deadline, last, show, slow = time.time() + 30, None, None, None
        while time.time() < deadline:
            time.sleep(0.5)
            if not os.path.exists(sock):
                continue
            show = ctl(sock, "room.show", {"vip": VIP, "port": ROOM_PORT})
            cur = show.get("result", {}).get("room", {}).get("rx_packets")
            if cur is not None and cur == last and cur > 0:
                break
            last = cur
        slow = ctl(sock, "relay.slowpath", {"max": 1000})
        st = ctl(sock, "stats")
        bad = ctl(sock, "member.add", {"vip": VIP, "port": ROOM_PORT, "id": 3, "ssrcs": [1], "tx_key": "not-base64",
                                       "rx_key": rx[1]})
        balancer_op = ctl(sock, "vip.list")
    finally:
        dp.terminate()
        text, _ = dp.communicate(timeout=30)
    print(text[-3000:])
    check(dp.returncode == 0, f"voxrelay-dp exit {dp.returncode}")
    room = show["result"]["room"]
    members = {m["id"]: m for m in show["result"]["members"]}
    print("room:", json.dumps(room))
    print("stats.relay:", json.dumps(st["result"].get("relay")))
    # every RTP/RTCP datagram of the call authenticated: none dropped for keys, replay or SSRC
    for reason in ("relay_auth_fail", "relay_replay", "relay_unknown_ssrc", "relay_srtp_error", "relay_src_mismatch"):
        check(room["drops"][reason] == 0, f"{reason} = {room['drops'][reason]}")
    # the fan-out core sees all but what went to the slow path
    check(room["rx_packets"] == kinds["rtp"] + kinds["other"],
          f"room rx {room['rx_packets']} != {kinds['rtp']} RTP/RTCP + {kinds['other']} other datagrams")
    check(room["drops"]["relay_not_rtp"] == kinds["other"], f"not_rtp {room['drops']['relay_not_rtp']} != {kinds['other']}")
    want_jitter = expected_jitter_ms(os.path.join(CAPTURES, RELAY_CAPTURE))
    for mid, (addr, port, ssrcs, _) in RELAY_MEMBERS.items():
        m = members[mid]
        seen = {s["ssrc"] for s in m["ssrcs"] if s["started"] or s["rtcp_packets"]}
        check(m["address"] == addr and m["client_port"] == port, f"member {mid} address {m['address']}:{m['client_port']}")
        check(seen == set(ssrcs), f"member {mid} SSRCs seen {seen} != {set(ssrcs)}")
        for s in m["ssrcs"]:
            if s["started"]:
                # A.8 as above; 3 % leaves room for a worker preempted for a few ms near the end of the file
                want = want_jitter.get(s["ssrc"], -1)
                print(f"member {mid} ssrc {s['ssrc']:#x}: jitter {s['jitter_ms']:.3f} ms, A.8 of the capture {want:.3f} ms")
                check(s["packets"] > 200 and abs(s["jitter_ms"] - want) <= 0.03 * want,
                      f"member {mid} ssrc {s['ssrc']:#x} jitter {s['jitter_ms']} ms, expected {want:.3f} ms; stats {s}")
    datagrams = slow["result"]["datagrams"]
    got = {k: sum(d["kind"] == k for d in datagrams) for k in ("stun", "dtls")}
    check(got == {"stun": kinds["stun"], "dtls": kinds["dtls"]} and len(datagrams) == kinds["stun"] + kinds["dtls"],
          f"slow path has {got}, expected {kinds['stun']} STUN and {kinds['dtls']} DTLS")
    check(st["result"]["relay"]["stun"] == kinds["stun"] and st["result"]["relay"]["dtls"] == kinds["dtls"],
          "stats count the slow path's STUN and DTLS")
    check(all(d["vip"] == VIP and d["port"] == ROOM_PORT and len(d["hex"]) == 2 * d["len"] for d in datagrams),
          "slow-path entries carry the room and the whole datagram")
    check(bad.get("ok") is False and bad["error"]["code"] == "EINVAL", f"bad key answer {bad}")
    check(balancer_op.get("ok") is False and balancer_op["error"]["code"] == "EOPNOTSUPP", f"vip.list answer {balancer_op}")
    # the frames: every copy from VIP:port to the other member, decrypting to what was sent
    spec = [f"{addr},{port},{key},{rx[mid]}" for mid, (addr, port, _, key) in RELAY_MEMBERS.items()]
    res = subprocess.run([CHECK, inp, out, VIP, str(ROOM_PORT)] + spec, capture_output=True, text=True)
    print("relay_pcap_check:", res.stdout.strip(), res.stderr.strip())
    check(res.returncode == 0, "relay_pcap_check found copies that are missing, extra or wrong")
    summary = json.loads(res.stdout)
    check(summary["datagrams_in"] == kinds["rtp"], f"checker saw {summary['datagrams_in']} RTP/RTCP datagrams")
    # checksums of what left, recomputed by scapy
    nbad = 0
    for raw, _ in RawPcapReader(out):
        e = Ether(raw)
        ip, udp = e[IP], e[UDP]
        ck_ip, ck_udp = ip.chksum, udp.chksum
        del ip.chksum, udp.chksum
        e2 = Ether(bytes(e))
        nbad += e2[IP].chksum != ck_ip or e2[UDP].chksum != ck_udp or ip.src != VIP or udp.sport != ROOM_PORT
    check(nbad == 0, f"{nbad} output frames with a bad checksum or source")
    if failures:
        print(f"{len(failures)} failures; kept {tmp}")
        return 1
    print("relay pcap: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
