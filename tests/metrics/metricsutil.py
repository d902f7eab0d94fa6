# SPDX-License-Identifier: BSD-3-Clause
# Helpers of the Python tests (metrics, dp): checks, Prometheus text parsing, HTTP, DPDK telemetry, the control socket, voxrelay-exporter, the relay's capture.
import base64
import http.client
import json
import logging
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import types

# What the exporter counts as probably cut: a telemetry reply within this many bytes of DPDK's cap.
TRUNC_MARGIN = 512

failures = []


def check(cond, msg):
    """Records and prints @msg as a failure unless @cond holds; returns @cond."""
    if not cond:
        failures.append(msg)
        print("FAIL:", msg)
    return cond


_SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$')
_LABEL = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*(,|$)')


def _unescape(v):
    return re.sub(r'\\(.)', lambda m: {"n": "\n", "\\": "\\", '"': '"'}[m.group(1)], v)


def _labels(s):
    out, pos = {}, 0
    while pos < len(s):
        m = _LABEL.match(s, pos)
        if not m:
            raise ValueError(f"bad label set {s!r} at {pos}")
        if m.group(1) in out:
            raise ValueError(f"label {m.group(1)} twice in {s!r}")
        out[m.group(1)] = _unescape(m.group(2))
        pos = m.end()
    return out


def _family_of(name, families):
    if name in families:
        return name
    for suffix in ("_bucket", "_sum", "_count"):
        if name.endswith(suffix) and families.get(name[: -len(suffix)], {}).get("type") == "histogram":
            return name[: -len(suffix)]
    return None


def parse(text):
    """Parses exposition text into {family: {"type", "help", "samples": [(name, labels, value)]}}.
    Raises ValueError on anything the format forbids: samples before their TYPE, a family split
    in two, a counter not ending in _total, duplicate series, unparsable values."""
    families, order, seen = {}, [], set()
    current = None
    for n, line in enumerate(text.split("\n"), 1):
        if not line:
            continue
        if line.startswith("# HELP ") or line.startswith("# TYPE "):
            parts = line.split(" ", 3)
            name = parts[2]
            fam = families.setdefault(name, {"type": None, "help": None, "samples": []})
            if name in order and current != name:
                raise ValueError(f"line {n}: family {name} split")
            if name not in order:
                order.append(name)
            current = name
            fam["help" if parts[1] == "HELP" else "type"] = parts[3] if len(parts) > 3 else ""
            continue
        if line.startswith("#"):
            continue
        m = _SAMPLE.match(line)
        if not m:
            raise ValueError(f"line {n}: not a sample: {line!r}")
        name, labels, value = m.group(1), _labels(m.group(3) or ""), m.group(4)
        fam = _family_of(name, families)
        if fam is None or fam != current:
            raise ValueError(f"line {n}: {name} outside its family's block")
        if families[fam]["type"] == "counter" and not name.endswith("_total"):
            raise ValueError(f"line {n}: counter {name} without _total")
        key = (name, tuple(sorted(labels.items())))
        if key in seen:
            raise ValueError(f"line {n}: duplicate series {line!r}")
        seen.add(key)
        families[fam]["samples"].append((name, labels, float(value)))
    return families


def value(families, name, **labels):
    """The value of the one sample @name whose labels include @labels, or None."""
    fam = _family_of(name, families)
    if fam is None:
        return None
    hits = [v for n, l, v in families[fam]["samples"] if n == name and all(l.get(k) == w for k, w in labels.items())]
    if len(hits) > 1:
        raise ValueError(f"{name}{labels}: {len(hits)} samples")
    return hits[0] if hits else None


def samples(families, name):
    fam = _family_of(name, families)
    return [] if fam is None else [(l, v) for n, l, v in families[fam]["samples"] if n == name]


def get(host, port, path="/metrics", method="GET", timeout=10):
    """(status, headers, body) of one request on a new connection."""
    c = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        c.request(method, path)
        r = c.getresponse()
        return r.status, dict(r.getheaders()), r.read().decode()
    finally:
        c.close()


def answers(host, port, path="/metrics"):
    """True once an HTTP server answers 200 on @path; False while it refuses connections."""
    try:
        return get(host, port, path, timeout=2)[0] == 200
    except OSError:
        return False


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def wait_for(cond, timeout, step=0.1):
    """Polls @cond until it returns something true; returns it, or None after @timeout seconds."""
    deadline = time.time() + timeout
    while True:
        r = cond()
        if r:
            return r
        if time.time() > deadline:
            return None
        time.sleep(step)


class Telemetry:
    """A client of DPDK's telemetry socket (dpdk_telemetry.v2) that keeps each reply's size in bytes."""

    def __init__(self, file_prefix, timeout=10):
        run = "/var/run" if os.geteuid() == 0 else os.environ.get("XDG_RUNTIME_DIR", "/tmp")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.sock.settimeout(timeout)
        self.sock.connect(os.path.join(run, "dpdk", file_prefix, "dpdk_telemetry.v2"))
        self.info = json.loads(self.sock.recv(1 << 20))

    def close(self):
        self.sock.close()

    def ask(self, cmd):
        """(size of the reply in bytes, the value under the command's name: None for DPDK's null)."""
        self.sock.send(cmd.encode())
        raw = self.sock.recv(1 << 20)
        reply = json.loads(raw)
        if len(reply) != 1:
            raise ValueError(f"{cmd}: reply {raw[:200]!r}")
        return len(raw), next(iter(reply.values()))

    def pages(self, cmd, limit=1000):
        """Every page of a list command, following "next": [(size in bytes, dict)]."""
        out, param = [], ""
        for _ in range(limit):
            size, page = self.ask(cmd + param)
            out.append((size, page))
            if not isinstance(page, dict) or "next" not in page:
                return out
            param = f",{page['next']}"
        raise ValueError(f"{cmd}: more than {limit} pages")


def ctl(sock_path, op, args=None):
    """One request on voxrelay-dp's control socket (a new connection); its JSON answer."""
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


def scrape(port, host="127.0.0.1"):
    """(families, body) of /metrics, checked: HTTP 200, the text format's content type, a strict parse."""
    status, headers, body = get(host, port)
    check(status == 200, f"/metrics: HTTP {status}")
    check(headers.get("Content-Type", "").startswith("text/plain; version=0.0.4"), f"/metrics content type {headers}")
    try:
        return parse(body), body
    except ValueError as e:
        check(False, f"exposition format: {e}")
        return {}, body


def promtool_lint(body, what):
    """`promtool check metrics` on an exposition @body, when promtool is installed."""
    promtool = shutil.which("promtool")
    if promtool is None:
        return
    r = subprocess.run([promtool, "check", "metrics"], input=body, capture_output=True, text=True)
    check(r.returncode == 0, f"promtool check metrics ({what}): {r.stdout[-2000:]}{r.stderr[-2000:]}")


def check_documented(fams, doc_path):
    """Every family in @fams is named in @doc_path (docs/metrics.md)."""
    with open(doc_path) as f:
        doc = f.read()
    missing = [f for f in fams if not re.search(r"\b" + re.escape(f) + r"\b", doc)]
    check(not missing, f"families not in {doc_path}: {missing}")


def start_exporter(binary, *args):
    """voxrelay-exporter with @args, listening on a free loopback port (stderr piped).
    (process, port, whether it answered on /metrics within 10 s); a failure is checked here."""
    port = free_port()
    exp = subprocess.Popen([binary, "--listen", f"127.0.0.1:{port}", *args], stderr=subprocess.PIPE, text=True)
    up = bool(wait_for(lambda: exp.poll() is not None or answers("127.0.0.1", port), 10)) and exp.poll() is None
    check(up, f"exporter did not start (exit status {exp.poll()})")
    return exp, port, up


def stop_exporter(exp):
    """SIGTERM; checks exit status 0; returns what the exporter wrote to stderr."""
    exp.send_signal(signal.SIGTERM)
    try:
        _, err = exp.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        exp.kill()
        _, err = exp.communicate()
    check(exp.returncode == 0, f"exporter exit status {exp.returncode}: {err[-500:]}")
    return err


# The relay tests' call: webrtc-pcma-srtp-sdes.pcap (../shared/captures, keys in its SOURCES.md), every UDP
# datagram sent to one room instead of the peer.
RELAY_CAPTURE = "webrtc-pcma-srtp-sdes.pcap"
RELAY_OUR_V4, RELAY_GW_V4, RELAY_GW_MAC, RELAY_BAL_V4 = "192.0.2.1", "192.0.2.254", "02:00:00:00:00:fe", "192.0.2.100"
RELAY_VIP, RELAY_ROOM_PORT, RELAY_GUE_PORT = "203.0.113.10", 40000, 6080
# Member id: (address, port, SSRCs, SDES key of what it sends). 0xFA17FA17 is libwebrtc's placeholder RTCP SSRC.
RELAY_MEMBERS = {1: ("192.168.1.142", 56185, [0xD092D296], "7SYMKhu8sVMhCr4VXh+ZqkteB01QgqDSgLr4L9iU"),
                 2: ("192.168.1.130", 60644, [0x522B93AB, 0xFA17FA17], "bhn3DDDcf7GhHEnFkGLW9V223XncT60nJrTQK06x")}


def _relay_input(capture, path, encapsulate):
    """Writes the capture's UDP datagrams re-addressed to the room: all directly or, with @encapsulate, one third
    each directly, GUE-encapsulated as the balancer sends them, IPIP. Returns counts by RFC 7983 kind."""
    logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
    from scapy.all import IP, UDP, Ether, Raw, rdpcap, wrpcap
    frames, kinds = [], {"stun": 0, "dtls": 0, "rtp": 0, "other": 0}
    for i, p in enumerate(rdpcap(capture)):
        if UDP not in p or IP not in p:
            continue
        payload = bytes(p[UDP].payload)
        inner = IP(src=p[IP].src, dst=RELAY_VIP, ttl=60) / UDP(sport=p[UDP].sport, dport=RELAY_ROOM_PORT) / Raw(payload)
        b0 = payload[0] if payload else 255
        # RFC 7983 section 7 (the capture's DNS datagrams land in "dtls" and "other")
        kinds["stun" if b0 <= 3 else "dtls" if 20 <= b0 <= 63 else "rtp" if 128 <= b0 <= 191 else "other"] += 1
        eth = Ether(src=RELAY_GW_MAC, dst="02:00:00:00:00:01")
        how = i % 3 if encapsulate else 0
        if how == 0:
            f = eth / inner
        elif how == 1:
            # GUE variant 0 (draft-ietf-intarea-gue-09 3.1): version 0, hlen 0, proto 4
            f = eth / IP(src=RELAY_BAL_V4, dst=RELAY_OUR_V4) / UDP(sport=40000 + i % 1000, dport=RELAY_GUE_PORT) / \
                Raw(b"\x00\x04\x00\x00" + bytes(inner))
        else:
            f = eth / IP(src=RELAY_BAL_V4, dst=RELAY_OUR_V4, proto=4) / Raw(bytes(inner))
        frames.append(f)
    wrpcap(path, frames)
    return kinds


def relay_setup(captures, prefix, encapsulate=False, more_script=()):
    """The files of a voxrelay-dp in role relay fed the capture, in a new directory /tmp/@prefix.*:
    in.pcap (see _relay_input), relay.yaml (file prefix @prefix, control socket ctl.sock, pcap vdev
    in.pcap -> out.pcap, relay VIP RELAY_VIP ports 40000-40999) and script.jsonl for --control-script:
    the room RELAY_VIP:RELAY_ROOM_PORT and its two members (RELAY_MEMBERS: SDES keys as TX keys, fresh RX
    keys), then @more_script, so no packet is read before they exist. None (skipped, said so) without the
    capture; else a namespace: tmp, inp, out, sock, cfg, script, args (voxrelay-dp's arguments for them),
    rx ({member id: RX key}), kinds (datagrams by kind) and frames (how many in in.pcap)."""
    capture = os.path.join(captures, RELAY_CAPTURE)
    if not os.path.exists(capture):
        print(f"{capture} missing: skipped")
        return None
    tmp = tempfile.mkdtemp(prefix=f"{prefix}.")
    r = types.SimpleNamespace(tmp=tmp, inp=f"{tmp}/in.pcap", out=f"{tmp}/out.pcap", sock=f"{tmp}/ctl.sock",
                              cfg=f"{tmp}/relay.yaml", script=f"{tmp}/script.jsonl")
    r.args = ["-c", r.cfg, "--control-script", r.script]
    r.kinds = _relay_input(capture, r.inp, encapsulate)
    r.frames = sum(r.kinds.values())
    r.rx = {mid: base64.b64encode(os.urandom(30)).decode() for mid in RELAY_MEMBERS}
    with open(r.cfg, "w") as f:
        f.write(f"""dataplane:
  role: relay
  eal: {{file_prefix: {prefix}, huge: false, memory_mb: 512}}
  control: {{socket: {r.sock}}}
  worker_lcores: [1]
  mbufs: 4095
  ports:
    - name: p0
      device: "net_pcap0,rx_pcap={r.inp},tx_pcap={r.out}"
      ipv4: {RELAY_OUR_V4}
      gateway_ipv4: {RELAY_GW_V4}
      gateway_mac: "{RELAY_GW_MAC}"
relay:
  gue_port: {RELAY_GUE_PORT}
  vips:
    - address: {RELAY_VIP}
      ports: 40000-40999
""")
    script = [{"op": "room.add", "args": {"vip": RELAY_VIP, "port": RELAY_ROOM_PORT, "max_members": 4}}]
    for mid, (addr, port, ssrcs, key) in RELAY_MEMBERS.items():
        script.append({"op": "member.add", "args": {
            "vip": RELAY_VIP, "port": RELAY_ROOM_PORT, "id": mid, "ssrcs": ssrcs, "suite": "AES_CM_128_HMAC_SHA1_80",
            "tx_key": key, "rx_key": r.rx[mid], "client_address": addr, "client_port": port, "clock_rate": 8000}})
    with open(r.script, "w") as f:
        f.write("# the room of the capture's call\n")
        for req in script + list(more_script):
            f.write(json.dumps(req) + "\n")
    return r
