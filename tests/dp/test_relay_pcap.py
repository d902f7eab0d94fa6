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
are counted as not RTP, and no packet fails authentication.
"""
import base64
import json
import os
import socket
import subprocess
import sys
import tempfile
import time

import logging
logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
from scapy.all import IP, UDP, Ether, RawPcapReader, Raw, wrpcap, rdpcap  # noqa: E402

DP, CHECK, CAPTURES = sys.argv[1], sys.argv[2], sys.argv[3]
CAPTURE = os.path.join(CAPTURES, "webrtc-pcma-srtp-sdes.pcap")
OUR_V4, GW_V4, GW_MAC, BAL_V4 = "192.0.2.1", "192.0.2.254", "02:00:00:00:00:fe", "192.0.2.100"
VIP, ROOM_PORT, GUE_PORT = "203.0.113.10", 40000, 6080
A = ("192.168.1.142", 56185, [0xD092D296], "7SYMKhu8sVMhCr4VXh+ZqkteB01QgqDSgLr4L9iU")
B = ("192.168.1.130", 60644, [0x522B93AB, 0xFA17FA17], "bhn3DDDcf7GhHEnFkGLW9V223XncT60nJrTQK06x")

failures = []


def check(cond, msg):
    if not cond:
        failures.append(msg)
        print("FAIL:", msg)


def ctl(sock_path, op, args=None):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(sock_path)
    s.sendall((json.dumps({"op": op, "args": args or {}}) + "\n").encode())
    buf = b""
    while not buf.endswith(b"\n"):
        chunk = s.recv(1 << 20)
        if not chunk:
            break
        buf += chunk
    s.close()
    return json.loads(buf)


def build_input(path):
    """The capture's UDP datagrams, re-addressed to the room; returns counts by kind."""
    frames, kinds = [], {"stun": 0, "dtls": 0, "rtp": 0, "other": 0}
    for i, p in enumerate(rdpcap(CAPTURE)):
        if UDP not in p or IP not in p:
            continue
        payload = bytes(p[UDP].payload)
        inner = IP(src=p[IP].src, dst=VIP, ttl=60) / UDP(sport=p[UDP].sport, dport=ROOM_PORT) / Raw(payload)
        b0 = payload[0] if payload else 255
        # RFC 7983 section 7 (the capture's DNS datagrams land in "dtls" and "other")
        kinds["stun" if b0 <= 3 else "dtls" if 20 <= b0 <= 63 else "rtp" if 128 <= b0 <= 191 else "other"] += 1
        eth = Ether(src="02:00:00:00:00:fe", dst="02:00:00:00:00:01")
        if i % 3 == 0:
            f = eth / inner
        elif i % 3 == 1:
            # GUE variant 0 (draft-ietf-intarea-gue-09 3.1): version 0, hlen 0, proto 4
            f = eth / IP(src=BAL_V4, dst=OUR_V4) / UDP(sport=40000 + i % 1000, dport=GUE_PORT) / Raw(b"\x00\x04\x00\x00" + bytes(inner))
        else:
            f = eth / IP(src=BAL_V4, dst=OUR_V4, proto=4) / Raw(bytes(inner))
        frames.append(f)
    wrpcap(path, frames)
    return kinds


def main():
    if not os.path.exists(CAPTURE):
        print(f"{CAPTURE} missing: skipped")
        return 77
    tmp = tempfile.mkdtemp(prefix="vr-relay-pcap.")
    inp, out, sock = f"{tmp}/in.pcap", f"{tmp}/out.pcap", f"{tmp}/ctl.sock"
    kinds = build_input(inp)
    rx = {m: base64.b64encode(os.urandom(30)).decode() for m in ("A", "B")}
    with open(f"{tmp}/relay.yaml", "w") as f:
        f.write(f"""dataplane:
  role: relay
  eal: {{file_prefix: vrt-relay-pcap, huge: false, memory_mb: 512}}
  control: {{socket: {sock}}}
  worker_lcores: [1]
  mbufs: 4095
  ports:
    - name: p0
      device: "net_pcap0,rx_pcap={inp},tx_pcap={out}"
      ipv4: {OUR_V4}
      gateway_ipv4: {GW_V4}
      gateway_mac: "{GW_MAC}"
relay:
  gue_port: {GUE_PORT}
  vips:
    - address: {VIP}
      ports: 40000-40999
""")
    script = [
        {"op": "room.add", "args": {"vip": VIP, "port": ROOM_PORT, "max_members": 4}},
    ]
    for name, (addr, port, ssrcs, key) in (("A", A), ("B", B)):
        script.append({"op": "member.add", "args": {
            "vip": VIP, "port": ROOM_PORT, "id": 1 if name == "A" else 2, "ssrcs": ssrcs,
            "suite": "AES_CM_128_HMAC_SHA1_80", "tx_key": key, "rx_key": rx[name],
            "client_address": addr, "client_port": port, "clock_rate": 8000}})
    with open(f"{tmp}/script.jsonl", "w") as f:
        f.write("# the room of the capture's call\n")
        for r in script:
            f.write(json.dumps(r) + "\n")
    stats = f"{tmp}/stats.json"
    dp = subprocess.Popen([DP, "-c", f"{tmp}/relay.yaml", "--control-script", f"{tmp}/script.jsonl",
                           "--stats-json", stats], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
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
                                       "rx_key": rx["A"]})
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
    for mid, (addr, port, ssrcs, _) in ((1, A), (2, B)):
        m = members[mid]
        seen = {s["ssrc"] for s in m["ssrcs"] if s["started"] or s["rtcp_packets"]}
        check(m["address"] == addr and m["client_port"] == port, f"member {mid} address {m['address']}:{m['client_port']}")
        check(seen == set(ssrcs), f"member {mid} SSRCs seen {seen} != {set(ssrcs)}")
        for s in m["ssrcs"]:
            if s["started"]:
                check(s["packets"] > 200 and s["jitter_ms"] >= 0, f"member {mid} ssrc {s['ssrc']:#x} stats {s}")
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
    spec = [f"{A[0]},{A[1]},{A[3]},{rx['A']}", f"{B[0]},{B[1]},{B[3]},{rx['B']}"]
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
