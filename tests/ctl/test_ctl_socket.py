#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# voxrelayctl against a real UNIX-socket peer answering canned lines: exit codes, messages, timeouts, framing, what goes on the wire.
"""
Usage: test_ctl_socket.py VOXRELAYCTL

Every case starts its own peer on a fresh socket, runs voxrelayctl once and
checks its exit status, its stdout and stderr, and the request line the peer
received. The peer is deliberately not the dataplane: it answers whatever the
case wants, including the broken answers the real one never gives.

Exit codes under test (docs/control.md): 0 done, 1 refused, 2 bad
arguments, 3 not reachable, 4 protocol error. A peer that accepts the
connection but does not answer in time gives 4, not 3: the request was
delivered, so a change may have been applied, and 3 promises it was not.
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

CTL = sys.argv[1]
MAX_RESPONSE = 16 << 20
failures = []


def check(cond, msg):
    if not cond:
        failures.append(msg)
        print(f"FAIL: {msg}", file=sys.stderr)


class Peer:
    """A UNIX stream server: reads one request line per connection and hands it to behave(conn, line)."""

    def __init__(self, path, behave, backlog=8):
        self.path = path
        self.behave = behave
        self.requests = []
        self.connections = 0
        self.stop = threading.Event()
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(path)
        self.sock.listen(backlog)
        self.sock.settimeout(0.05)
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            self.connections += 1
            with conn:
                conn.settimeout(5)
                line = b""
                try:
                    while not line.endswith(b"\n") and len(line) < (2 << 20):
                        chunk = conn.recv(65536)
                        if not chunk:
                            break
                        line += chunk
                except OSError:
                    pass
                self.requests.append(line)
                try:
                    self.behave(self, conn, line)
                except OSError:
                    pass  # the client went away first: that is its right

    def close(self):
        self.stop.set()
        self.thread.join(10)
        self.sock.close()


def reply(obj):
    data = (json.dumps(obj) + "\n").encode() if not isinstance(obj, bytes) else obj
    return lambda peer, conn, line: conn.sendall(data)


def echo_ok(result):
    """Answers with result, echoing the request's id the way the dataplane does."""
    def behave(peer, conn, line):
        req = json.loads(line)
        conn.sendall((json.dumps({"id": req.get("id"), "ok": True, "result": result}) + "\n").encode())
    return behave


def hold(peer, conn, line):
    """Reads the request and never answers."""
    peer.stop.wait(30)


def run(args, sock=None, env=None, timeout=30):
    e = {k: v for k, v in os.environ.items() if k != "VOXRELAY_SOCKET"}
    e.update(env or {})
    argv = [CTL] + (["-s", sock] if sock else []) + args
    t0 = time.monotonic()
    p = subprocess.run(argv, capture_output=True, env=e, timeout=timeout)
    return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace"), time.monotonic() - t0


class Case:
    """A fresh directory and socket path for one case; the peer, when there is one, is closed at the end."""

    def __init__(self, name):
        self.name = name
        self.dir = tempfile.mkdtemp(prefix="vrctl-")
        self.path = os.path.join(self.dir, "dp.sock")
        self.peer = None

    def serve(self, behave, **kw):
        self.peer = Peer(self.path, behave, **kw)
        return self.peer

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.peer:
            self.peer.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def expect(name, got, rc=None, out=None, err=None, err_start=None, out_json=None):
    grc, gout, gerr, _ = got
    if rc is not None:
        check(grc == rc, f"{name}: exit {grc}, want {rc} (stderr {gerr!r})")
    if out is not None:
        check(gout == out, f"{name}: stdout {gout!r}, want {out!r}")
    if err is not None:
        check(gerr == err, f"{name}: stderr {gerr!r}, want {err!r}")
    if err_start is not None:
        check(gerr.startswith(err_start), f"{name}: stderr {gerr!r}, want it to start with {err_start!r}")
    if out_json is not None:
        try:
            check(json.loads(gout) == out_json, f"{name}: stdout JSON {gout!r}, want {out_json!r}")
        except ValueError:
            check(False, f"{name}: stdout is not JSON: {gout!r}")


def wire(name, peer, want):
    """The peer got exactly one line: the request JSON with id 1, newline-terminated."""
    check(len(peer.requests) == 1, f"{name}: {len(peer.requests)} requests")
    if not peer.requests:
        return
    line = peer.requests[0]
    check(line.endswith(b"\n") and line.count(b"\n") == 1, f"{name}: not one line: {line!r}")
    try:
        check(json.loads(line) == dict(want, id=1), f"{name}: request {line!r}, want {dict(want, id=1)}")
    except ValueError:
        check(False, f"{name}: request is not JSON: {line!r}")


PING = {"version": "0.1.0", "role": "balancer", "state_generation": 2, "uptime_s": 61}
VIPS = {"vips": [{"id": 0, "address": "10.77.100.1", "ports": "50000-50999", "hash": "dst-port", "encap": "gue",
                  "gue_port": 6080, "rx_packets": 5, "backends": [
                      {"id": 0, "address": "10.77.2.11", "weight": 1, "state": "up", "maglev_slots": 65537,
                       "maglev_share": 1.0, "flows": 1, "tx_packets": 5, "tx_bytes": 800}]}]}


def test_success():
    with Case("ping") as c:
        c.serve(echo_ok(PING))
        expect("ping", run(["ping"], c.path), rc=0, err="",
               out="voxrelay-dp 0.1.0, role balancer, state generation 2, up 00:01:01\n")
        wire("ping", c.peer, {"op": "ping"})

    with Case("vip list --json") as c:
        c.serve(echo_ok(VIPS))
        expect("vip list --json", run(["--json", "vip", "list"], c.path), rc=0, err="", out_json=VIPS)
        wire("vip list --json", c.peer, {"op": "vip.list"})

    with Case("vip list") as c:
        c.serve(echo_ok(VIPS))
        got = run(["vip", "list"], c.path)
        expect("vip list", got, rc=0, err="")
        check("10.77.2.11" in got[1] and got[1].startswith("ID  VIP"), f"vip list: no table: {got[1]!r}")

    with Case("backend set") as c:
        c.serve(echo_ok({"backend": VIPS["vips"][0]["backends"][0]}))
        expect("backend set", run(["backend", "set", "10.77.100.1", "50123", "10.77.2.11", "--state", "draining",
                                   "--weight", "2"], c.path), rc=0, err="",
               out="changed backend 10.77.2.11 of VIP 10.77.100.1 port 50123: weight 1, up, 65537 Maglev slots "
                   "(100.00%), 1 flows\n")
        wire("backend set", c.peer, {"op": "backend.set", "args": {
            "vip": "10.77.100.1", "port": 50123, "address": "10.77.2.11", "state": "draining", "weight": 2, "flows": True}})

    # no id in the answer is accepted; CRLF too; bytes after the newline are not ours
    with Case("no id") as c:
        c.serve(reply(b'{"ok":true,"result":{"flushed":3}}\r\n{"garbage after the line\n'))
        expect("no id", run(["conntrack", "flush"], c.path), rc=0, err="", out="flushed 3 conntrack entries\n")
        wire("no id", c.peer, {"op": "conntrack.flush"})

    # an answer in pieces, with pauses between them
    def trickle(peer, conn, line):
        data = json.dumps({"id": 1, "ok": True, "result": {"state_generation": 9}}).encode() + b"\n"
        for i in range(0, len(data), 7):
            conn.sendall(data[i:i + 7])
            time.sleep(0.02)

    with Case("trickle") as c:
        c.serve(trickle)
        expect("trickle", run(["reload"], c.path), rc=0, err="",
               out="reloaded the configuration file: state generation 9\n")

    # the socket from the environment, and -s over it
    with Case("env") as c:
        c.serve(echo_ok(PING))
        expect("env", run(["ping"], env={"VOXRELAY_SOCKET": c.path}), rc=0)
        check(c.peer.connections == 1, "env: $VOXRELAY_SOCKET not used")
        expect("-s over env", run(["-s", c.path, "ping"], env={"VOXRELAY_SOCKET": "/nonexistent/dp.sock"}), rc=0)
        check(c.peer.connections == 2, "env: -s not used over $VOXRELAY_SOCKET")


def test_refusal():
    refusal = {"id": 1, "ok": False, "error": {"code": "ENOENT",
                                               "message": "no backend 10.77.2.99 in VIP 10.77.100.1:5000-5999"}}
    for json_flag in ([], ["--json"]):
        name = "refusal" + (" --json" if json_flag else "")
        with Case(name) as c:
            c.serve(reply(refusal))
            expect(name, run(json_flag + ["backend", "remove", "10.77.100.1", "5000", "10.77.2.99"], c.path), rc=1,
                   out="",
                   err="voxrelayctl: the dataplane refused: ENOENT: no backend 10.77.2.99 in VIP "
                       "10.77.100.1:5000-5999\n")
            wire(name, c.peer, {"op": "backend.remove",
                                "args": {"vip": "10.77.100.1", "port": 5000, "address": "10.77.2.99"}})

    with Case("refusal, escapes") as c:
        c.serve(reply({"id": 1, "ok": False, "error": {"code": "EINVAL", "message": "bad\u001b[2J\nthing"}}))
        expect("refusal, escapes", run(["reload"], c.path), rc=1, out="",
               err="voxrelayctl: the dataplane refused: EINVAL: bad?[2J?thing\n")


def test_protocol_errors():
    cases = [
        ("garbage", b"hello\n", "voxrelayctl: the answer is not JSON ("),
        ("empty line", b"\n", "voxrelayctl: the answer is not JSON ("),
        ("array", b"[1]\n", "voxrelayctl: the answer is not a JSON object: \"[1]\"\n"),
        ("wrong id", b'{"id":2,"ok":true,"result":{}}\n', "voxrelayctl: the answer carries another request's id\n"),
        ("no ok", b'{"id":1,"result":{}}\n', "voxrelayctl: the answer has no \"ok\" true or false\n"),
        ("no result", b'{"id":1,"ok":true}\n',
         "voxrelayctl: the answer has \"ok\": true but no \"result\" object\n"),
        ("no error", b'{"id":1,"ok":false}\n',
         "voxrelayctl: the answer has \"ok\": false but no \"error\" with a \"code\"\n"),
        ("binary", b"\x00\xff\xfe\x1b[31m\n", "voxrelayctl: the answer is not JSON ("),
    ]
    for name, data, err in cases:
        with Case(name) as c:
            c.serve(reply(data))
            got = run(["ping"], c.path)
            if err.endswith("\n"):
                expect(name, got, rc=4, out="", err=err)
            else:
                expect(name, got, rc=4, out="", err_start=err)
            check("\x1b" not in got[2], f"{name}: an escape reached stderr: {got[2]!r}")

    # a result without what the command shows: 4 for people, the raw result with --json
    with Case("shape") as c:
        c.serve(echo_ok({"vip": 3}))
        expect("shape", run(["vip", "list"], c.path), rc=4, out="",
               err="voxrelayctl: unexpected answer to vip.list: no \"vips\" list\n")
        expect("shape --json", run(["--json", "vip", "list"], c.path), rc=0, out_json={"vip": 3})

    with Case("closed") as c:
        c.serve(lambda peer, conn, line: None)
        expect("closed", run(["ping"], c.path), rc=4, out="",
               err=f"voxrelayctl: the dataplane at {c.path} closed the connection without answering\n")

    with Case("half line") as c:
        c.serve(reply(b'{"id":1,"ok":tr'))
        expect("half line", run(["ping"], c.path), rc=4, out="",
               err=f"voxrelayctl: the dataplane at {c.path} closed the connection in the middle of its answer\n")


def test_sizes():
    # the longest line accepted, and one byte more
    def padded(n):
        head, tail = b'{"id":1,"ok":true,"result":{"pad":"', b'"}}'
        return head + b"x" * (n - len(head) - len(tail)) + tail

    with Case("16 MiB line") as c:
        c.serve(reply(padded(MAX_RESPONSE) + b"\n"))
        rc, out, err, _ = run(["--json", "stats"], c.path, timeout=60)
        check(rc == 0 and err == "", f"16 MiB line: exit {rc}, stderr {err[:200]!r}")
        check(len(out) > MAX_RESPONSE - 100 and out.lstrip().startswith("{"), "16 MiB line: result not printed")

    with Case("oversized") as c:
        c.serve(reply(padded(MAX_RESPONSE + 1) + b"\n"))
        expect("oversized", run(["--json", "stats"], c.path, timeout=60), rc=4, out="",
               err="voxrelayctl: the dataplane's answer is longer than 16 MiB\n")

    # no newline at all, and more than the client will ever hold
    def flood(peer, conn, line):
        chunk = b"x" * (1 << 20)
        for _ in range(64):
            conn.sendall(chunk)

    with Case("flood") as c:
        c.serve(flood)
        expect("flood", run(["ping"], c.path, timeout=60), rc=4, out="",
               err="voxrelayctl: the dataplane's answer is longer than 16 MiB\n")


def test_unreachable():
    with Case("no socket") as c:
        expect("no socket", run(["ping"], c.path), rc=3, out="",
               err=f"voxrelayctl: cannot reach the dataplane at {c.path}: no such file or directory "
                   "(is voxrelay-dp running?)\n")

    # a socket file nobody listens on: what a crashed dataplane leaves behind
    with Case("refused") as c:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind(c.path)
        expect("refused", run(["ping"], c.path), rc=3, out="",
               err=f"voxrelayctl: cannot reach the dataplane at {c.path}: connection refused "
                   "(is voxrelay-dp running?)\n")
        s.close()

    with Case("not a socket") as c:
        open(c.path, "w").close()
        expect("not a socket", run(["ping"], c.path), rc=3, out="",
               err=f"voxrelayctl: cannot reach the dataplane at {c.path}: connection refused "
                   "(is voxrelay-dp running?)\n")

    if os.geteuid() != 0:  # root goes through any mode
        with Case("permission") as c:
            c.serve(echo_ok(PING))
            os.chmod(c.path, 0)
            expect("permission", run(["ping"], c.path), rc=3, out="",
                   err_start=f"voxrelayctl: cannot reach the dataplane at {c.path}: permission denied")

    # a listener that accepts nothing: fill its backlog, then connect must time out
    with Case("backlog") as c:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind(c.path)
        s.listen(0)
        fillers = []
        for _ in range(64):
            f = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            f.setblocking(False)
            try:
                f.connect(c.path)
                fillers.append(f)
            except BlockingIOError:
                f.close()
                break
        got = run(["--timeout", "0.5", "ping"], c.path)
        expect("backlog", got, rc=3, out="",
               err=f"voxrelayctl: cannot reach the dataplane at {c.path}: no connection accepted within 0.5 s "
                   "(is voxrelay-dp stuck?)\n")
        check(0.4 <= got[3] < 5, f"backlog: took {got[3]:.2f} s for a 0.5 s timeout")
        for f in fillers:
            f.close()
        s.close()


def test_timeout():
    with Case("slow") as c:
        c.serve(hold)
        got = run(["--timeout", "0.5", "ping"], c.path)
        expect("slow", got, rc=4, out="",
               err=f"voxrelayctl: no answer from the dataplane at {c.path} within 0.5 s "
                   "(a change may have been applied all the same)\n")
        check(0.4 <= got[3] < 5, f"slow: took {got[3]:.2f} s for a 0.5 s timeout")
        wire("slow", c.peer, {"op": "ping"})

    # the timeout covers the whole exchange: a trickle that never ends still stops
    def drip(peer, conn, line):
        while not peer.stop.is_set():
            conn.sendall(b" ")
            time.sleep(0.05)

    with Case("drip") as c:
        c.serve(drip)
        got = run(["--timeout", "1", "ping"], c.path)
        expect("drip", got, rc=4, out="")
        check(0.9 <= got[3] < 6, f"drip: took {got[3]:.2f} s for a 1 s timeout")


def test_bad_arguments():
    with Case("bad arguments") as c:
        c.serve(echo_ok(PING))
        expect("bad port", run(["backend", "add", "10.77.100.1", "70000", "10.77.2.13"], c.path), rc=2, out="",
               err="voxrelayctl: backend add: bad PORT \"70000\": a port is 1..65535\n"
                   "usage: voxrelayctl [-s SOCKET] [--json] [--timeout S] backend add VIP PORT ADDRESS "
                   "[--weight N] [--state up|draining|down]\n")
        expect("unknown command", run(["frobnicate"], c.path), rc=2, out="",
               err_start="voxrelayctl: unknown command \"frobnicate\"\nusage: voxrelayctl")
        expect("bad timeout", run(["--timeout", "soon", "ping"], c.path), rc=2, out="",
               err_start="voxrelayctl: bad --timeout \"soon\": seconds, more than 0 and at most 3600\nusage:")
        expect("no command", run([], c.path), rc=2, out="", err_start="voxrelayctl: missing command\nusage:")
        check(c.peer.connections == 0, f"bad arguments: {c.peer.connections} connections, want none")

    expect("help", run(["--help"]), rc=0, err="")
    rc, out, _, _ = run(["--help"])
    check(out.startswith("usage: voxrelayctl") and "Exit status" in out, f"help: {out!r}")
    expect("command help", run(["vip", "add", "--help"]), rc=0, err="",
           out="usage: voxrelayctl [-s SOCKET] [--json] [--timeout S] vip add ADDRESS PORT|A-B "
               "[--hash five-tuple|dst-port] [--encap gue|ipip] [--gue-port N] [--backend ADDR[:WEIGHT[:STATE]]]...\n")


K30 = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd"
K30B = "ZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXp7fH1+f4CB"
ROOM = {"vip": "10.77.200.1", "port": 40001, "id": 2, "max_members": 8, "max_speakers": 4, "audio_level_id": 1,
        "members": 1, "lcore": 2}
ROOM_SHOW = {"room": dict(ROOM, rx_packets=10, tx_packets=0, drops={"relay_auth_fail": 2}),
             "members": [{"id": 7, "suite": "AES_CM_128_HMAC_SHA1_80", "address": None, "client_port": 0,
                          "fixed": False, "verified": False, "latched": False,
                          "counters": {"rx_packets": 10, "rx_bytes": 1720, "tx_packets": 0, "tx_bytes": 0,
                                       "rx_drops": 2, "relatches": 0},
                          "ssrcs": [{"ssrc": 42, "started": True, "packets": 8, "bytes": 1376, "cumulative_lost": 0,
                                     "ext_highest_seq": 107, "roc": 0, "jitter_ms": 0.5, "rtcp_packets": 0}]}]}


def test_relay():
    # the keys go on the wire, as they must, and nowhere else
    with Case("member add") as c:
        c.serve(echo_ok({"room": ROOM, "member": 7}))
        got = run(["member", "add", "10.77.200.1", "40001", "7", "--ssrc", "42", "--ssrc", "43", "--tx-key", K30,
                   "--rx-key", K30B, "--client", "192.0.2.10", "50000"], c.path)
        expect("member add", got, rc=0, err="", out="added member 7 to room 10.77.200.1 port 40001: 1 of 8 members\n")
        wire("member add", c.peer, {"op": "member.add", "args": {
            "vip": "10.77.200.1", "port": 40001, "id": 7, "ssrcs": [42, 43], "tx_key": K30, "rx_key": K30B,
            "client_address": "192.0.2.10", "client_port": 50000}})

    with Case("room show") as c:
        c.serve(echo_ok(ROOM_SHOW))
        got = run(["room", "show", "10.77.200.1", "40001"], c.path)
        expect("room show", got, rc=0, err="")
        check(got[1].startswith("room 10.77.200.1 port 40001 (id 2, lcore 2): 1 of 8 members") and
              "drops: relay_auth_fail 2\n" in got[1] and "MEMBER  SSRC" in got[1], f"room show: {got[1]!r}")
        expect("room show --json", run(["--json", "room", "show", "10.77.200.1", "40001"], c.path), rc=0, err="",
               out_json=ROOM_SHOW)

    with Case("slowpath") as c:
        c.serve(echo_ok({"datagrams": [], "queued": 0, "received": 3, "overwritten": 0, "read": 3, "malformed": 0}))
        expect("slowpath", run(["slowpath", "--peek", "--max", "5"], c.path), rc=0, err="",
               out="0 datagrams (peeked: still queued); 0 queued, 3 received, 0 overwritten, 3 read, 0 malformed\n")
        wire("slowpath", c.peer, {"op": "relay.slowpath", "args": {"peek": True, "max": 5}})

    # a balancer answers the relay's ops with EOPNOTSUPP, and the other way round
    with Case("wrong role") as c:
        c.serve(reply({"id": 1, "ok": False, "error": {"code": "EOPNOTSUPP",
                                                       "message": "\"room.list\" is not an operation of role balancer"}}))
        expect("wrong role", run(["room", "list"], c.path), rc=1, out="",
               err="voxrelayctl: the dataplane refused: EOPNOTSUPP: \"room.list\" is not an operation of role "
                   "balancer\n")

    # a bad or misplaced key: refused before connecting, and not repeated
    with Case("bad keys") as c:
        c.serve(echo_ok({}))
        for name, args in [
                ("short key", ["--tx-key", K30[:-4], "--rx-key", K30B]),
                ("gcm key for sha1", ["--tx-key", K30, "--rx-key", K30B[:-4] + "AA=="]),
                ("url alphabet", ["--tx-key", K30.replace("/", "_"), "--rx-key", K30B.replace("+", "-")]),
                ("a key too many", ["--tx-key", K30, "--rx-key", K30B, K30B]),
                ("key for --ssrc", ["--tx-key", K30, "--rx-key", K30B, "--ssrc", K30B])]:
            got = run(["member", "add", "10.77.200.1", "40001", "7", "--ssrc", "1"] + args, c.path)
            expect(name, got, rc=2, out="", err_start="voxrelayctl: member add: ")
            for k in (K30, K30B, K30[:12], K30B[:12], K30B[-12:]):
                check(k not in got[2], f"{name}: a key on stderr: {got[2]!r}")
        check(c.peer.connections == 0, f"bad keys: {c.peer.connections} connections, want none")


def main():
    for t in (test_success, test_refusal, test_protocol_errors, test_sizes, test_unreachable, test_timeout,
              test_bad_arguments, test_relay):
        t()
    if failures:
        print(f"test_ctl_socket: {len(failures)} failure(s)", file=sys.stderr)
        return 1
    print("test_ctl_socket: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
