# SPDX-License-Identifier: BSD-3-Clause
# Helpers of the metrics tests: a strict parser of the Prometheus text format, HTTP fetches, DPDK telemetry, waiting.
import http.client
import json
import os
import re
import socket
import time

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
