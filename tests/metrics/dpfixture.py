# SPDX-License-Identifier: BSD-3-Clause
# A real voxrelay-dp on pcap vdevs for the metrics tests: known frames in (stdlib only), start/stop, expected counters.
import os
import signal
import struct
import subprocess
import threading
import time

FILE_PREFIX = "vrt-metrics"
VIP_5T, VIP_ROOM = "203.0.113.1", "203.0.113.2"
BACKENDS_5T = ["198.51.100.11", "198.51.100.12", "198.51.100.13"]
BACKENDS_ROOM = ["198.51.100.21", "198.51.100.22"]
DRAINING = "198.51.100.13"
DOWN = "198.51.100.22"
PORT_NAME = "p0"
GUE_OVERHEAD = 20 + 8 + 4
# Paging: more VIPs and backends than one page holds, with long addresses and port ranges.
PAGING_VIPS, PAGING_BACKENDS_PER_VIP = 50, 20


def _csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack(f"!{len(b) // 2}H", b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def _ip(a):
    return bytes(int(x) for x in a.split("."))


def _frame(src, dst, sport, dport, payload=b"\x80" + bytes(171), proto=17, frag=0):
    l4 = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload if proto == 17 else payload
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), 1, frag, 64, proto, 0, _ip(src), _ip(dst))
    hdr = hdr[:10] + struct.pack("!H", _csum(hdr)) + hdr[12:]
    eth = bytes.fromhex("0200000000aa" "020000000001") + b"\x08\x00"
    return eth + hdr + l4


def frames():
    """(list of frames, expectations): voice to two VIPs, and packets dropped for known reasons."""
    out, exp = [], {"vip": {VIP_5T: 0, VIP_ROOM: 0}, "drops": {}}
    for f in range(120):   # five-tuple flows, 2 packets each
        for _ in range(2):
            out.append(_frame(f"10.9.{f // 100}.{f % 100 + 1}", VIP_5T, 20000 + f, 3478))
            exp["vip"][VIP_5T] += 1
    for room in range(20):  # rooms of 3 members
        for m in range(3):
            out.append(_frame(f"10.10.{room}.{m + 1}", VIP_ROOM, 30000 + m, 50000 + room))
            exp["vip"][VIP_ROOM] += 1

    def drop(reason, fr):
        out.append(fr)
        exp["drops"][reason] = exp["drops"].get(reason, 0) + 1

    drop("fragment", _frame("10.13.0.1", VIP_5T, 1, 3478, frag=0x2000))
    drop("fragment", _frame("10.13.0.2", VIP_5T, 1, 3478, frag=0x2000))
    drop("not_udp", _frame("10.13.0.1", VIP_5T, 0, 0, payload=bytes(20), proto=6))
    for p in (3479, 3480, 3481):
        drop("no_vip", _frame("10.13.0.1", VIP_5T, 1, p))
    exp["frames"] = len(out)
    exp["forwarded"] = sum(exp["vip"].values())
    exp["rx_bytes"] = sum(len(f) for f in out)
    # Voice frames come first; each leaves in GUE: outer IPv4 20 + UDP 8 + GUE 4 bytes more.
    exp["tx_bytes"] = sum(len(f) + GUE_OVERHEAD for f in out[:exp["forwarded"]])
    return out, exp


def write_pcap(path, frs):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i, fr in enumerate(frs):
            f.write(struct.pack("<IIII", 1700000000, i, len(fr), len(fr)) + fr)


def paging_backends():
    """[(vip, ports, backend, weight, state)] of paging_config(): 1000 backends over 50 VIPs, IPv4 and IPv6."""
    out = []
    for v in range(PAGING_VIPS):
        vip = f"203.0.113.{100 + v}" if v % 2 else f"fd00:aaaa:bbbb:cccc:dddd:eeee:ffff:{0x1000 + v:x}"
        lo = 10000 + 100 * v
        for b in range(PAGING_BACKENDS_PER_VIP):
            addr = f"fd00:1111:2222:3333:4444:{0x5000 + v:x}:{0x6000 + b:x}:{0x7000 + b:x}"
            state = "draining" if b == 1 else "down" if b == 2 else "up"
            out.append((vip, f"{lo}-{lo + 99}", addr, 1 + b % 3, state))
    return out


def paging_config(tmp, inp, out):
    """The configuration of paging_backends(); Maglev tables of 2003 slots (>= 100 x 20 backends)."""
    vips = {}
    for vip, ports, addr, weight, state in paging_backends():
        vips.setdefault((vip, ports), []).append(
            f"        - {{address: \"{addr}\", weight: {weight}" + (f", state: {state}" if state != "up" else "")
            + "}\n")
    body = "".join(f"    - address: \"{vip}\"\n      ports: {ports}\n      backends:\n" + "".join(bs)
                   for (vip, ports), bs in vips.items())
    return f"""dataplane:
  eal: {{file_prefix: {FILE_PREFIX}, huge: false, memory_mb: 512}}
  worker_lcores: [1]
  mbufs: 4095
  control: {{socket: {tmp}/dp.sock}}
  ports:
    - name: {PORT_NAME}
      device: "net_pcap0,rx_pcap={inp},tx_pcap={out}"
      mtu: 1500
      ipv4: 192.0.2.1
      ipv6: 2001:db8::1
      gateway_ipv4: 192.0.2.254
      gateway_ipv6: 2001:db8::fe
      gateway_mac: "02:00:00:00:00:fe"
balancer:
  maglev_table_size: 2003
  conntrack: {{capacity: 65536, udp_timeout: 30s}}
  vips:
{body}"""


def config(tmp, inp, out):
    be = lambda addrs: "".join(
        f"        - address: {a}\n" + (f"          state: draining\n" if a == DRAINING else "")
        + (f"          state: down\n" if a == DOWN else "") for a in addrs)
    return f"""dataplane:
  eal: {{file_prefix: {FILE_PREFIX}, huge: false, memory_mb: 512}}
  worker_lcores: [1]
  mbufs: 4095
  control: {{socket: {tmp}/dp.sock}}
  ports:
    - name: {PORT_NAME}
      device: "net_pcap0,rx_pcap={inp},tx_pcap={out}"
      mtu: 1500
      ipv4: 192.0.2.1
      gateway_ipv4: 192.0.2.254
      gateway_mac: "02:00:00:00:00:fe"
balancer:
  maglev_table_size: 65537
  conntrack: {{capacity: 65536, udp_timeout: 30s}}
  vips:
    - address: {VIP_5T}
      port: 3478
      backends:
{be(BACKENDS_5T)}    - address: {VIP_ROOM}
      ports: 50000-50019
      hash: dst-port
      backends:
{be(BACKENDS_ROOM)}"""


class Dataplane:
    def __init__(self, binary, tmp, make_config=config):
        self.binary, self.tmp = binary, tmp
        self.inp, self.out, self.cfg = (os.path.join(tmp, n) for n in ("in.pcap", "out.pcap", "dp.yaml"))
        frs, self.expect = frames()
        write_pcap(self.inp, frs)
        with open(self.cfg, "w") as f:
            f.write(make_config(tmp, self.inp, self.out))
        self.proc = None
        self.log = []

    def start(self, timeout=60):
        self.proc = subprocess.Popen([self.binary, "-c", self.cfg], stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True)
        deadline = time.time() + timeout
        for line in self.proc.stdout:
            self.log.append(line)
            if "voxrelay-dp: ready" in line:
                # Keep reading so a chatty dataplane never blocks on a full pipe.
                threading.Thread(target=self._drain, args=(self.proc,), daemon=True).start()
                return True
            if time.time() > deadline:
                break
        return False

    def _drain(self, proc):
        for line in proc.stdout:
            self.log.append(line)

    def signal(self, sig):
        self.proc.send_signal(sig)

    def stop(self):
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        time.sleep(0.2)  # the drain thread collects the last lines
        rc, self.proc = self.proc.returncode, None
        return rc
