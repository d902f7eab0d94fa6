#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# The demo's report: balancer counters, what backends received of the replayed captures, audio figures; decides pass/fail.
"""
Reads voxrelay-dp's --stats-json, the udp_sink.py files of the backends, the
rewrite_pcap.py manifests of what was replayed (with tcpreplay's count of
packets sent), voxrelay-decap's counters and audio_check.py's figures.

Passes when the audio check passed, every replayed packet tcpreplay sent
reached a backend socket (up to --max-loss), and no replayed flow was split
over two backends.
"""
import argparse
import json
import sys


def load(path):
    with open(path, "rb") as f:
        return json.loads(f.read().decode("utf-8"))


def load_stats(path):
    """(counters, valid): the dataplane's JSON; not valid UTF-8 JSON is said and,
    if it still parses with bad bytes replaced, read that way so the other
    figures can be checked; (None, False) if it cannot be read at all."""
    try:
        return load(path), True
    except UnicodeDecodeError as e:
        print(f"  FAIL: {path} is not valid UTF-8 ({e}); reading it with the bad bytes replaced")
        try:
            with open(path, "rb") as f:
                return json.loads(f.read().decode("utf-8", "replace"), strict=False), False
        except json.JSONDecodeError as e2:
            print(f"  FAIL: {path} is not JSON: {e2}")
    except (OSError, json.JSONDecodeError) as e:
        print(f"  FAIL: {path} is not readable JSON: {e}")
    return None, False


def backends_by_vip(st):
    """[(label "addr:ports", [backend, ...]), ...] in the order of st["vips"].

    Uses the backends' "vip_id" when the dataplane writes one; otherwise
    relies on backends being listed VIP by VIP in configuration order: a new
    VIP starts where the VIP address changes or a backend address repeats
    (a VIP never lists a backend twice).
    """
    vips = st.get("vips", [])
    groups = []
    if all("vip_id" in b for b in st.get("backends", [])):
        by_id = {}
        for b in st.get("backends", []):
            by_id.setdefault(b["vip_id"], []).append(b)
        for v in vips:
            groups.append((f"{v.get('address')}:{v.get('ports')}", by_id.get(v.get("id"), [])))
        return groups
    cur, seen = None, set()
    for b in st.get("backends", []):
        if cur is None or str(b.get("vip")) != cur[0] or b.get("address") in seen:
            cur = (str(b.get("vip")), [])
            groups.append(cur)
            seen = set()
        cur[1].append(b)
        seen.add(b.get("address"))
    out = []
    for i, (addr, lst) in enumerate(groups):
        v = vips[i] if i < len(vips) and str(vips[i].get("address")) == addr else None
        out.append((f"{addr}:{v.get('ports')}" if v else addr, lst))
    return out


def table(rows, head):
    w = [max(len(str(x)) for x in col) for col in zip(head, *rows)]
    out = ["  " + "  ".join(str(h).ljust(n) for h, n in zip(head, w))]
    for r in rows:
        out.append("  " + "  ".join(str(x).rjust(n) if isinstance(x, (int, float)) else str(x).ljust(n) for x, n in zip(r, w)))
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--stats", help="voxrelay-dp --stats-json output")
    ap.add_argument("--sink", action="append", default=[], help="udp_sink.py JSON; repeatable")
    ap.add_argument("--replay", action="append", default=[], help="MANIFEST.json=SENT (rewrite_pcap manifest, packets tcpreplay sent)")
    ap.add_argument("--decap", action="append", default=[], help="NAME=JSON counters of voxrelay-decap")
    ap.add_argument("--audio", help="audio_check.py --json output")
    ap.add_argument("--max-loss", type=float, default=0.0, help="replayed packets allowed to go missing, fraction (default 0)")
    ap.add_argument("--json", help="write the summary here")
    a = ap.parse_args()
    ok = True
    summary = {}

    st = None
    if a.stats:
        print("== Balancer (voxrelay-dp counters at exit)")
        st, valid = load_stats(a.stats)
        ok = ok and valid
    if st is not None:
        rows = []
        for vip, lst in backends_by_vip(st):
            slots = sum(int(b.get("maglev_slots", 0)) for b in lst) or 1
            for b in lst:
                rows.append([vip, b.get("address"), b.get("state"), b.get("weight"), b.get("maglev_slots"),
                             f"{100.0 * int(b.get('maglev_slots', 0)) / slots:.2f}%", b.get("tx_packets"), b.get("flows")])
        if rows:
            print(table(rows, ["vip", "backend", "state", "weight", "maglev slots", "share", "tx packets", "flows"]))
        vips = st.get("vips", [])
        if vips:
            print(table([[v.get("address"), v.get("ports"), v.get("rx_packets")] for v in vips],
                        ["vip", "ports", "rx packets"]))
        lc = st.get("lcores", [])
        if lc:
            print(table([[l.get("lcore"), l.get("rx_packets"), l.get("tx_packets"), l.get("cycles_per_packet")] for l in lc],
                        ["lcore", "rx packets", "tx packets", "cycles/packet"]))
        drops = {k: v for k, v in (st.get("drops") or {}).items() if v}
        print("  drops: " + (", ".join(f"{k}={v}" for k, v in sorted(drops.items(), key=lambda x: -x[1])) or "none"))
        if st.get("conntrack"):
            print("  conntrack: " + ", ".join(f"{k}={v}" for k, v in st["conntrack"].items()))
        if st.get("ports"):
            for p in st["ports"]:
                print("  port: " + ", ".join(f"{k}={v}" for k, v in p.items()))
        summary["drops"] = drops

    sinks = [load(p) for p in a.sink]
    if a.replay:
        print("== Replayed captures (tcpreplay from the clients, counted by sockets on the backends)")
        # (src, sport) -> {backend: packets}, replay traffic only (tag "-").
        seen = {}
        for s in sinks:
            for f in s["flows"]:
                if f["tag"] == "-":
                    seen.setdefault((f["src"], f["sport"]), {})[s["name"]] = f["packets"]
        rows = []
        tot_sent = tot_got = 0
        split = []
        for spec in a.replay:
            path, _, sent = spec.rpartition("=")
            m = load(path)
            sent = int(sent)
            got = 0
            per_be = {}
            for sport, _n in m["per_sport"].items():
                where = seen.get((m["src"], int(sport)), {})
                if len(where) > 1:
                    split.append(f"{m['src']}:{sport} on {sorted(where)}")
                for be, n in where.items():
                    got += n
                    per_be.setdefault(be, [0, 0])
                    per_be[be][0] += n
                    per_be[be][1] += 1
            name = path.rsplit("/", 1)[-1].removesuffix(".pcap.json")
            rows.append([name, m["src"] + " > " + m["dst"], m["flows"], m["packets"], sent, got,
                         " ".join(f"{be}:{v[0]}/{v[1]}fl" for be, v in sorted(per_be.items()))])
            tot_sent += sent
            tot_got += got
        print(table(rows, ["capture", "flow", "flows", "in pcap", "sent", "received", "per backend (packets/flows)"]))
        loss = (tot_sent - tot_got) / tot_sent if tot_sent else 1.0
        print(f"  total: sent {tot_sent}, received {tot_got}, missing {tot_sent - tot_got} ({100 * loss:.3f}%)")
        if split:
            print(f"  FAIL: {len(split)} flows reached more than one backend, e.g. {split[:3]}")
            ok = False
        if tot_sent == 0 or loss > a.max_loss:
            print(f"  FAIL: more than {100 * a.max_loss:.3f}% of the replayed packets missing")
            ok = False
        summary["replay"] = {"sent": tot_sent, "received": tot_got, "split_flows": len(split)}

    if sinks:
        print("== Backend sockets (all traffic on the sink ports)")
        print(table([[s["name"], s["total"], len({(f["src"], f["sport"]) for f in s["flows"]})] for s in sinks],
                    ["backend", "datagrams", "flows"]))
    if a.decap:
        print("== voxrelay-decap counters")
        counters = []
        for spec in a.decap:
            name, _, js = spec.partition("=")
            try:
                c = json.loads(js) if js else {}
            except json.JSONDecodeError:
                c = {}
            counters.append((name, c))
        keys = []
        for _, c in counters:
            keys += [k for k in c if k not in keys]
        print(table([[name] + [c.get(k, "?") for k in keys] for name, c in counters], ["backend"] + keys))

    if a.audio:
        print("== Audio (espeak-ng > opusenc > RTP > balancer > backend > opusdec)")
        try:
            au = load(a.audio)
        except (OSError, json.JSONDecodeError):
            au = {"pass": False, "error": "no figures"}
        for k, v in au.items():
            if k not in ("failures",):
                print(f"  {k}: {v}")
        for f in au.get("failures", []):
            print(f"  FAIL: {f}")
        if not au.get("pass"):
            ok = False
        summary["audio"] = au

    summary["pass"] = ok
    print("== RESULT: " + ("PASS" if ok else "FAIL"))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(summary, f, indent=1)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
