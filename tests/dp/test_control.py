#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# The control socket of the real voxrelay-dp: every operation and its refusals, atomicity, conntrack views, socket rules.
import json
import logging
import os
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time

logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
from scapy.all import IP, UDP, Ether, Raw, RawPcapWriter  # noqa: E402

DP = sys.argv[1]
CTL = sys.argv[2] if len(sys.argv) > 2 else None
VIP = "203.0.113.1"
BACKENDS = ["198.51.100.11", "198.51.100.12", "198.51.100.13"]
NB_FLOWS = 60
failures = []


def check(cond, msg):
    if not cond:
        failures.append(msg)


class Ctl:
    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.connect(path)
        self.f = self.s.makefile("rwb")
        self.n = 0

    def raw(self, line):
        self.f.write(line if isinstance(line, bytes) else line.encode())
        self.f.flush()
        return json.loads(self.f.readline())

    def __call__(self, op, **args):
        self.n += 1
        r = self.raw(json.dumps({"id": self.n, "op": op, "args": args}) + "\n")
        check(r.get("id") == self.n, f"{op}: id not echoed: {r}")
        return r


def config(tmp, inp, out, extra=""):
    be = "".join(f"        - address: {a}\n" for a in BACKENDS)
    return f"""dataplane:
  eal: {{file_prefix: vrt-dp-ctl, huge: false, memory_mb: 256}}
  control: {{socket: {tmp}/ctl.sock, mode: "0600"}}
  worker_lcores: [1]
  mbufs: 4095
  ports:
    - name: p0
      device: "net_pcap0,rx_pcap={inp},tx_pcap={out}"
      ipv4: 192.0.2.1
      gateway_ipv4: 192.0.2.254
      gateway_mac: "02:00:00:00:00:fe"
balancer:
  maglev_table_size: 65537
  conntrack: {{capacity: 65536, udp_timeout: 1h}}
  vips:
    - address: {VIP}
      port: 3478
      backends:
{be}{extra}"""


def group_commit(c, sock):
    """Changes pipelined on two connections are applied with few swaps, each answered
    in order; a refused one does not take the others down; reads see earlier changes."""
    gen0 = c("ping")["result"]["state_generation"]
    a, b = Ctl(sock), Ctl(sock)
    lines_a, lines_b = [], []
    for i in range(40):
        args = dict(vip=VIP, port=3478, address=BACKENDS[i % 3], weight=1 + i)
        if i == 17:
            args["weight"] = 0  # refused: weights are 1..65535
        lines_a.append(json.dumps({"id": f"a{i}", "op": "backend.set", "args": args}) + "\n")
        lines_b.append(json.dumps({"id": f"b{i}", "op": "backend.set",
                                   "args": dict(vip=VIP, port=3478, address=BACKENDS[(i + 1) % 3], weight=100 + i)}) + "\n")
    lines_a.append(json.dumps({"id": "a-read", "op": "maglev.shares", "args": dict(vip=VIP, port=3478)}) + "\n")
    # one write per connection, both before reading: the dataplane reads them in the same polls
    a.f.write("".join(lines_a).encode())
    b.f.write("".join(lines_b).encode())
    a.f.flush()
    b.f.flush()
    ra = [json.loads(a.f.readline()) for _ in lines_a]
    rb = [json.loads(b.f.readline()) for _ in lines_b]
    check([r["id"] for r in ra] == [f"a{i}" for i in range(40)] + ["a-read"], f"answers out of order: {[r['id'] for r in ra]}")
    check([r["id"] for r in rb] == [f"b{i}" for i in range(40)], "answers out of order (b)")
    check(not ra[17]["ok"] and ra[17]["error"]["code"] == "EINVAL", f"weight 0 not refused: {ra[17]}")
    ok = [r for i, r in enumerate(ra[:40] + rb) if r["ok"]]
    check(len(ok) == 79, f"{len(ok)} of 79 valid changes applied")
    gens = {r["result"]["state_generation"] for r in ok}
    check(all(r["result"]["backend"]["weight"] >= 1 and "flows" not in r["result"]["backend"] for r in ok),
          "change answers carry the backend without flows")
    check(len(gens) < 40, f"{len(gens)} swaps for 79 changes: not batched")
    check(min(gens) > gen0, f"generations {sorted(gens)} after {gen0}")
    # the read after the changes sees all of them: weights 1+39.. of the last writes win
    final = {x["address"]: x["slots"] for x in ra[40]["result"]["backends"]}
    check(ra[40]["ok"] and sum(final.values()) == 65537, f"maglev.shares after the batch {ra[40]}")
    hist = c("state.history", limit=100)["result"]["states"]
    ctrl = [h for h in hist if h["generation"] in gens]
    check(len(ctrl) == len(gens) and all(h["cause"] == "control" for h in ctrl), f"state.history {hist[:3]}")
    check(sum(h["changes"] for h in ctrl) == 79, f"history counts {sum(h['changes'] for h in ctrl)} changes, not 79")
    check(all(h["requested_ns"] <= h["published_ns"] for h in ctrl), "history: published before requested")
    check(c("state.history", limit=0)["error"]["code"] == "EINVAL", "state.history limit 0")
    for be in BACKENDS:
        c("backend.set", vip=VIP, port=3478, address=be, weight=1)


def main():
    tmp = tempfile.mkdtemp(prefix="vrt-dp-ctl-")
    inp, out, cfgp = (os.path.join(tmp, n) for n in ("in.pcap", "out.pcap", "dp.yaml"))
    w = RawPcapWriter(inp, linktype=1)
    for f in range(NB_FLOWS):
        w.write(bytes(Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:aa") / IP(src=f"10.9.0.{f + 1}", dst=VIP) /
                      UDP(sport=20000 + f, dport=3478) / Raw(b"\x80" + bytes(171))))
    w.close()
    open(cfgp, "w").write(config(tmp, inp, out))
    proc = subprocess.Popen([DP, "-c", cfgp], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    for line in proc.stdout:
        if "voxrelay-dp: ready" in line:
            break
    time.sleep(1)
    sock = os.path.join(tmp, "ctl.sock")
    try:
        check(stat.S_IMODE(os.stat(sock).st_mode) == 0o600, f"socket mode {oct(os.stat(sock).st_mode)}")
        c = Ctl(sock)
        r = c("ping")
        check(r["ok"] and r["result"]["role"] == "balancer" and r["result"]["state_generation"] == 1, f"ping {r}")

        r = c("vip.list")
        vips = r["result"]["vips"]
        check(len(vips) == 1 and len(vips[0]["backends"]) == 3, f"vip.list {r}")
        flows = {b["address"]: b["flows"] for b in vips[0]["backends"]}
        check(sum(flows.values()) == NB_FLOWS, f"flows per backend {flows}")

        r = c("conntrack.list", limit=10)
        check(r["ok"] and len(r["result"]["entries"]) == 10 and r["result"]["truncated"], f"conntrack.list limit {r}")
        r = c("conntrack.list", client="10.9.0.7")
        e = r["result"]["entries"]
        check(len(e) == 1 and e[0]["client_port"] == 20006 and e[0]["vip"] == VIP and e[0]["backend"] in BACKENDS,
              f"conntrack.list client {r}")
        busy = max(flows, key=flows.get)
        r = c("conntrack.list", backend=busy, limit=1000)
        check(len(r["result"]["entries"]) == flows[busy] and all(x["backend"] == busy for x in r["result"]["entries"]),
              f"conntrack.list backend {busy}: {len(r['result']['entries'])} vs {flows[busy]}")

        # Drain: flows stay, shares go to the others.
        r = c("backend.set", vip=VIP, port=3478, address=busy, state="draining", flows=True)
        check(r["ok"] and r["result"]["backend"]["state"] == "draining" and r["result"]["backend"]["flows"] == flows[busy]
              and r["result"]["backend"]["maglev_slots"] == 0, f"drain {r}")
        r = c("maglev.shares", vip=VIP, port=3478)
        check(r["ok"] and r["result"]["size"] == 65537 and sum(b["slots"] for b in r["result"]["backends"]) == 65537,
              f"maglev.shares {r}")
        r = c("backend.set", vip=VIP, port=3478, address=busy, weight=3, state="up")
        check(r["ok"] and r["result"]["backend"]["weight"] == 3 and r["result"]["backend"]["maglev_slots"] > 65537 // 2,
              f"weight 3 {r}")

        # Refusals, each with its code; nothing changes.
        gen = c("ping")["result"]["state_generation"]
        for op, args, code in [
            ("backend.add", dict(vip=VIP, port=3478, address=BACKENDS[0]), "EEXIST"),
            ("backend.remove", dict(vip=VIP, port=3478, address="198.51.100.99"), "ENOENT"),
            ("backend.set", dict(vip=VIP, port=3478, address=BACKENDS[0], state="sideways"), "EINVAL"),
            ("backend.set", dict(vip=VIP, port=3478, address=BACKENDS[0]), "EINVAL"),
            ("backend.add", dict(vip=VIP, port=9999, address="198.51.100.50"), "ENOENT"),
            ("backend.add", dict(vip=VIP, port=3478, address="2001:db8::5"), "EINVAL"),  # no IPv6 source
            ("vip.add", dict(address=VIP, port=3478, backends=[{"address": "198.51.100.60"}]), "EINVAL"),  # duplicate
            ("vip.add", dict(address="203.0.113.2", port=1, backends=[]), "EINVAL"),  # no backends
            ("vip.add", dict(address="203.0.113.2", port=1,
                             backends=[{"address": f"198.51.{100 + i // 250}.{i % 250 + 1}"} for i in range(700)]), "EINVAL"),
            ("vip.remove", dict(vip="203.0.113.77", port=1), "ENOENT"),
            ("vip.add", dict(address="203.0.113.2", port=1, filter="rtp",
                             backends=[{"address": "198.51.100.60"}]), "EINVAL"),  # steering filter
            ("vip.add", dict(address="203.0.113.2", port=1, rate_limit="yes",
                             backends=[{"address": "198.51.100.60"}]), "EINVAL"),
            ("conntrack.list", dict(limit=0), "EINVAL"),
            ("nonsense", {}, "EOPNOTSUPP"),
        ]:
            r = c(op, **args)
            check(not r["ok"] and r["error"]["code"] == code and r["error"]["message"],
                  f"{op} {args if len(str(args)) < 200 else '...'}: expected {code}, got {r}")
        r = c("vip.add", address="203.0.113.2", port=1,
              backends=[{"address": f"198.51.{100 + i // 250}.{i % 250 + 1}"} for i in range(700)])
        check("100" in r["error"]["message"] or "maglev" in r["error"]["message"].lower(), f"maglev rule message: {r}")
        check(c("ping")["result"]["state_generation"] == gen, "a refused change published a state")
        check(c.raw(b"this is not json\n")["error"]["code"] == "EPROTO", "garbage line")
        check(c.raw(b"[1,2]\n")["error"]["code"] == "EPROTO", "array request")

        # VIP add/remove, with a dst-port range.
        r = c("vip.add", address="203.0.113.9", ports="50000-50099", hash="dst-port", encap="ipip",
              backends=[{"address": "198.51.100.70"}, {"address": "198.51.100.71", "weight": 2, "state": "draining"}])
        v = r.get("result", {}).get("vip", {})
        check(r["ok"] and v.get("ports") == "50000-50099" and v.get("hash") == "dst-port" and v.get("encap") == "ipip"
              and len(v.get("backends", [])) == 2, f"vip.add {r}")
        check(len(c("vip.list")["result"]["vips"]) == 2, "vip.list after add")
        r = c("backend.add", vip="203.0.113.9", port=50042, address="198.51.100.72", weight=5)
        check(r["ok"] and r["result"]["backend"]["weight"] == 5, f"backend.add {r}")
        r = c("backend.remove", vip="203.0.113.9", port=50000, address="198.51.100.70")
        check(r["ok"], f"backend.remove {r}")
        r = c("vip.remove", vip="203.0.113.9", port=50099)
        check(r["ok"] and len(c("vip.list")["result"]["vips"]) == 1, f"vip.remove {r}")

        # Flush one backend's flows, then everything.
        before = c("conntrack.list", backend=busy, limit=1000)["result"]["entries"]
        r = c("conntrack.flush", backend=busy)
        check(r["ok"] and r["result"]["flushed"] == len(before) > 0, f"flush backend {r} vs {len(before)}")
        check(c("conntrack.list", backend=busy)["result"]["entries"] == [], "flows left after flush")
        r = c("conntrack.flush")
        check(r["ok"] and r["result"]["flushed"] == NB_FLOWS - len(before), f"flush all {r}")

        # Stats, then reload: runtime changes give way to the file.
        r = c("stats")
        check(r["ok"] and r["result"]["ports"][0]["rx_packets"] == NB_FLOWS and r["result"]["reloads"] == 0, f"stats {r}")
        c("backend.add", vip=VIP, port=3478, address="198.51.100.80")
        r = c("reload")
        check(r["ok"], f"reload {r}")
        bl = [b["address"] for b in c("vip.list")["result"]["vips"][0]["backends"]]
        check(sorted(bl) == sorted(BACKENDS), f"after reload backends {bl}")
        open(cfgp, "w").write(config(tmp, inp, out).replace("65537", "65536"))
        r = c("reload")
        check(not r["ok"] and "prime" in r["error"]["message"], f"bad reload {r}")

        # Several clients at once; a huge line closes only its own connection.
        c2 = Ctl(sock)
        check(c2("ping")["ok"] and c("ping")["ok"], "two clients")
        big = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        big.connect(sock)
        try:
            big.sendall(b"x" * (2 << 20))
            big.settimeout(5)
            closed = big.recv(1) == b""
        except (BrokenPipeError, ConnectionResetError):
            closed = True
        check(closed, "a 2 MiB line did not close its connection")
        check(c("ping")["ok"], "other clients survive an oversized line")

        # voxrelayctl against the real dataplane: exit codes and output.
        if CTL:
            def ctl(*a):
                return subprocess.run([CTL, "-s", sock, *a], capture_output=True, text=True, timeout=30)
            p = ctl("vip", "list")
            check(p.returncode == 0 and VIP in p.stdout and BACKENDS[1] in p.stdout, f"voxrelayctl vip list: {p}")
            p = ctl("backend", "add", VIP, "3478", BACKENDS[0])
            check(p.returncode == 1 and "EEXIST" in p.stderr, f"voxrelayctl refused add: {p}")
            p = ctl("--json", "maglev", VIP, "3478")
            check(p.returncode == 0 and json.loads(p.stdout)["size"] == 65537, f"voxrelayctl --json maglev: {p}")
            p = ctl("backend", "set", VIP, "3478", BACKENDS[2], "--state", "draining")
            check(p.returncode == 0, f"voxrelayctl backend set: {p}")
            check(c("maglev.shares", vip=VIP, port=3478)["result"]["backends"][2]["slots"] == 0, "drain via voxrelayctl")
            p = ctl("backend", "set", VIP, "3478")
            check(p.returncode == 2, f"voxrelayctl bad arguments: {p}")

        group_commit(c, sock)

        # A second instance on the same socket refuses to start.
        cfg2 = os.path.join(tmp, "dp2.yaml")
        open(cfg2, "w").write(config(tmp, inp, out).replace("file_prefix: vrt-dp-ctl,", "file_prefix: vrt-dp-ctl2,"))
        p2 = subprocess.run([DP, "-c", cfg2], capture_output=True, text=True, timeout=60)
        check(p2.returncode != 0 and "Address already in use" in (p2.stdout + p2.stderr),
              f"second instance: rc {p2.returncode} {p2.stderr[-300:]}")
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
    check(not os.path.exists(sock), "socket file left behind")
    if failures:
        for f in failures:
            print("FAIL:", f)
        print(f"{len(failures)} checks failed")
        return 1
    print("test_control: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
