#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# Checks a profile pcap (or a capture of its replay) with tshark: flows, SSRCs, sequence, timing, checksums.
import argparse
import collections
import ipaddress
import json
import statistics
import subprocess
import sys

FAIL = []


def check(cond, msg):
    if not cond:
        FAIL.append(msg)
    return cond


def tshark(path, man, fields, dfilter):
    v6 = man["ip_version"] == 6
    ports = f"{man['port_base']}-{man['port_base'] + man['rooms'] - 1}"
    cmd = ["tshark", "-n", "-r", path, "-d", f"udp.port=={ports},rtp",
           "-o", "ip.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE",
           "-Y", dfilter, "-T", "fields", "-E", "separator=\t", "-E", "occurrence=f"]
    for f in fields:
        cmd += ["-e", f.replace("IP.", "ipv6." if v6 else "ip.")]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return [line.split("\t") for line in out.splitlines()]


def count(path, man, dfilter):
    return len(tshark(path, man, ["frame.number"], dfilter))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("pcap")
    ap.add_argument("manifest")
    ap.add_argument("--original", help="the generated pcap this one is a capture of: compare packet by packet")
    ap.add_argument("--timing-tolerance", type=float, default=0.01, help="allowed error of the mean interval")
    a = ap.parse_args()
    man = json.load(open(a.manifest))
    flows = {(f["src"], f["sport"], f["dport"]): f for f in man["flow_list"]}
    n = man["flows"]
    g711 = man["profile"].startswith("g711")
    vip = man["vip"]
    where = a.pcap

    # 1. the file as a whole: nothing malformed, every checksum right, nothing but RTP/RTCP to the VIP
    total = count(a.pcap, man, "frame")
    check(total == man["packets"], f"{where}: {total} frames, manifest says {man['packets']}")
    bad = count(a.pcap, man, "_ws.malformed || _ws.expert.severity >= error || "
                             "ip.checksum.status == 0 || udp.checksum.status == 0")
    check(bad == 0, f"{where}: {bad} malformed frames or bad checksums")
    good_ck = count(a.pcap, man, "udp.checksum.status == 1" + (" && ip.checksum.status == 1"
                                                              if man["ip_version"] == 4 else ""))
    check(good_ck == total, f"{where}: only {good_ck} of {total} frames have verified IP/UDP checksums")

    rows = tshark(a.pcap, man, ["frame.time_epoch", "eth.src", "eth.dst", "IP.src", "udp.srcport", "IP.dst",
                                "udp.dstport", "frame.len", "rtp.ssrc", "rtp.seq", "rtp.timestamp", "rtp.p_type",
                                "rtp.marker"], "rtp")
    rtcp = tshark(a.pcap, man, ["IP.src", "udp.srcport", "udp.dstport", "rtcp.senderssrc"], "rtcp")
    check(len(rows) == man["rtp_packets"], f"{where}: {len(rows)} RTP packets, expected {man['rtp_packets']}")
    check(len(rtcp) == man["rtcp_packets"], f"{where}: {len(rtcp)} RTCP datagrams, expected {man['rtcp_packets']}")
    check(len(rows) + len(rtcp) == total, f"{where}: {total - len(rows) - len(rtcp)} frames neither RTP nor RTCP")

    per = collections.defaultdict(list)
    for t, es, ed, src, sp, dst, dp, ln, ssrc, seq, ts, pt, mk in rows:
        check(es == man["src_mac"] and ed == man["dst_mac"], f"{where}: Ethernet {es} -> {ed}")
        check(dst == vip, f"{where}: destination {dst} is not the VIP {vip}")
        per[(src, int(sp), int(dp))].append((float(t), int(ssrc, 16), int(seq), int(ts), int(pt), int(ln), mk))
    check(set(per) == set(flows), f"{where}: {len(per)} RTP five-tuples, expected the manifest's {n}")
    check(len({f["dport"] for f in flows.values()}) == man["rooms"], f"{where}: rooms != {man['rooms']}")

    # 2. the address spread: distinct clients over many networks, ephemeral ports
    addrs = {ipaddress.ip_address(k[0]) for k in per}
    nets = {ipaddress.ip_network(f"{x}/{16 if x.version == 4 else 48}", strict=False) for x in addrs}
    check(len(addrs) >= 0.8 * n, f"{where}: only {len(addrs)} client addresses for {n} flows")
    check(len(nets) >= 0.5 * n, f"{where}: clients in only {len(nets)} networks")
    check(all(k[1] >= 1024 for k in per), f"{where}: a client port below 1024")

    # 3. per flow: SSRC, sequence, timestamps, timing
    ptime = man["ptime_ms"] / 1000.0
    means = []
    for key, pk in per.items():
        ssrcs = {p[1] for p in pk}
        check(len(ssrcs) == 1, f"{where}: flow {key} has {len(ssrcs)} SSRCs")
        times = [p[0] for p in pk]
        check(times == sorted(times), f"{where}: flow {key} out of order")
        seqs = [p[2] for p in pk]
        if g711:
            f = flows.get(key, {})
            check(ssrcs == {int(f.get("ssrc", "0"), 16)}, f"{where}: flow {key}: SSRC not the manifest's")
            # exact count from the parameters: one packet per ptime while phase + k * ptime < duration
            exp = sum(1 for k in range(int(man["duration_s"] / ptime) + 2)
                      if f.get("phase", 0) + k * ptime < man["duration_s"] - 1e-9)
            check(len(pk) == exp, f"{where}: flow {key}: {len(pk)} RTP packets, expected {exp}")
            check(seqs[0] == f.get("seq0"), f"{where}: flow {key}: first seq {seqs[0]} != {f.get('seq0')}")
            gaps = sum(1 for x, y in zip(seqs, seqs[1:]) if y != (x + 1) & 0xFFFF)
            check(gaps == 0, f"{where}: flow {key}: {gaps} sequence discontinuities")
            tss = [p[3] for p in pk]
            step = man["rtp_payload_bytes"]
            tgaps = sum(1 for x, y in zip(tss, tss[1:]) if y != (x + step) & 0xFFFFFFFF)
            check(tgaps == 0, f"{where}: flow {key}: {tgaps} RTP timestamp steps != {step}")
            check({p[4] for p in pk} == {man["payload_type"]}, f"{where}: flow {key}: payload types")
            flen = 14 + (40 if man["ip_version"] == 6 else 20) + 8 + 12 + step
            check({p[5] for p in pk} == {flen}, f"{where}: flow {key}: frame lengths {set(p[5] for p in pk)}")
            check(pk[0][6] == "1" and all(p[6] == "0" for p in pk[1:]), f"{where}: flow {key}: marker bits")
            d = [y - x for x, y in zip(times, times[1:])]
            check(min(d) > 0, f"{where}: flow {key}: two packets at the same time")
            means.append(statistics.fmean(d))
        else:
            check(len(ssrcs & {int(s, 16) for s in man["captured_ssrcs"]}) == 1,
                  f"{where}: flow {key}: SSRC {ssrcs} not one of the capture's")
            # as captured: consecutive within one pass of the capture, one jump back per loop
            back = sum(1 for x, y in zip(seqs, seqs[1:]) if y != (x + 1) & 0xFFFF)
            check(back <= int(man["duration_s"] / 8.0) + 1, f"{where}: flow {key}: {back} sequence jumps")
    if g711:
        mean = statistics.fmean(means)
        if a.original:
            # a replay in real time: tcpreplay cannot send early, and a busy machine makes it late
            check(ptime * (1 - a.timing_tolerance) <= mean <= ptime * 2,
                  f"{where}: mean packet interval {mean * 1e3:.3f} ms, expected {ptime * 1e3:g} ms (up to 2x late)")
        else:
            check(abs(mean - ptime) <= a.timing_tolerance * ptime,
                  f"{where}: mean packet interval {mean * 1e3:.3f} ms, expected {ptime * 1e3:g} ms")
            # interleaved: every flow's first packet within the first ptime (+ jitter) of the file
            firsts = sorted(pk[0][0] for pk in per.values())
            check(firsts[-1] - firsts[0] < ptime * 1.5,
                  f"{where}: flows start {firsts[-1] - firsts[0]:.3f} s apart, not interleaved")
        ssrc_set = {int(f["ssrc"], 16) for f in flows.values()}
        check(len(ssrc_set) == n, f"{where}: {len(ssrc_set)} distinct SSRCs for {n} flows")
    for src, sp, dp, sssrc in rtcp:
        key = (src, int(sp), int(dp))
        check(key in flows, f"{where}: RTCP from {key}, not an RTP flow's five-tuple")
        if g711 and key in flows:
            check(int(sssrc, 16) == int(flows[key]["ssrc"], 16), f"{where}: RTCP of {key}: sender SSRC {sssrc}")

    # 4. a capture of a replay: the same RTP packets as the original, in the same order (one veth queue)
    if a.original:
        fields = ["IP.src", "udp.srcport", "udp.dstport", "rtp.ssrc", "rtp.seq", "frame.len"]
        orig = tshark(a.original, man, fields, "rtp")
        mine = tshark(a.pcap, man, fields, "rtp")
        bad = [i for i, (x, y) in enumerate(zip(orig, mine)) if x != y]
        check(len(orig) == len(mine) and not bad,
              f"{where}: {len(mine)} RTP packets against {len(orig)} in {a.original}, {len(bad)} differ"
              + (f", first at #{bad[0]}: {mine[bad[0]]} instead of {orig[bad[0]]}" if bad else ""))

    if FAIL:
        for m in FAIL[:30]:
            print("FAIL:", m, file=sys.stderr)
        if len(FAIL) > 30:
            print(f"FAIL: ... and {len(FAIL) - 30} more", file=sys.stderr)
        sys.exit(1)
    print(f"ok {where}: {total} frames, {len(rows)} RTP in {len(per)} flows, {len(rtcp)} RTCP, "
          f"{len(addrs)} client addresses, {len(nets)} networks"
          + (f", mean interval {statistics.fmean(means) * 1e3:.3f} ms" if means else ""))


if __name__ == "__main__":
    main()
