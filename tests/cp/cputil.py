# SPDX-License-Identifier: BSD-3-Clause
# Shared by the control-plane tests: a real redis-server and voxrelay-cp per test, HS256 tokens, and an asyncio WebSocket client (python3-websockets).
import asyncio
import base64
import hashlib
import hmac
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

import websockets

SECRET = b"voxrelay-test-secret-0123456789abcdef"


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def token(sub, exp_in=3600, alg="HS256", secret=SECRET, extra=None, header=None):
    """An HS256 JWT for user sub (RFC 7519), or a deliberately bad one."""
    h = header or {"alg": alg, "typ": "JWT"}
    now = int(time.time())
    claims = {"sub": sub, "iat": now, "exp": now + exp_in}
    claims.update(extra or {})
    signing = b64url(json.dumps(h).encode()) + "." + b64url(json.dumps(claims).encode())
    if alg == "none":
        return signing + "."
    sig = hmac.new(secret, signing.encode(), hashlib.sha256).digest()
    return signing + "." + b64url(sig)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def wait_port(port, timeout=10.0):
    t = time.time() + timeout
    while time.time() < t:
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on port {port}")


class Redis:
    """A redis-server of our own on loopback, AOF fsynced on every write (acknowledged means on disk).
    tls: {"cert", "key", "ca"} PEM paths (and "client_cert", "client_key" for redis-cli when Redis wants
    client certificates, as it does when they are given): port is then its TLS port, the plain one is off."""

    def __init__(self, workdir, port=None, tls=None, name="redis"):
        self.dir = os.path.join(workdir, name)
        os.makedirs(self.dir, exist_ok=True)
        self.port = port or free_port()
        self.tls = tls
        self.proc = None

    def start(self):
        if self.tls:
            ports = ["--port", "0", "--tls-port", str(self.port), "--tls-cert-file", self.tls["cert"],
                     "--tls-key-file", self.tls["key"], "--tls-ca-cert-file", self.tls["ca"],
                     "--tls-auth-clients", "yes" if self.tls.get("client_cert") else "no"]
        else:
            ports = ["--port", str(self.port)]
        self.proc = subprocess.Popen(
            ["redis-server", *ports, "--bind", "127.0.0.1", "--dir", self.dir,
             "--appendonly", "yes", "--appendfsync", "always", "--save", "", "--daemonize", "no",
             "--logfile", os.path.join(self.dir, "redis.log")])
        wait_port(self.port)
        return self

    def stop(self, hard=False):
        if self.proc:
            self.proc.send_signal(signal.SIGKILL if hard else signal.SIGTERM)
            self.proc.wait(10)
            self.proc = None

    def cli(self, *args):
        tls = []
        if self.tls:
            tls = ["--tls", "--cacert", self.tls["ca"]]
            if self.tls.get("client_cert"):
                tls += ["--cert", self.tls["client_cert"], "--key", self.tls["client_key"]]
        return subprocess.run(["redis-cli", "-p", str(self.port), *tls, *args], capture_output=True, text=True,
                              check=True).stdout.strip()


WEB = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "controlplane", "web")

# voxrelay-cp's file alone: no dataplane: section; balancer: only where voice needs its VIPs.
CONFIG = """{balancer}controlplane:
  listen:
    address: 127.0.0.1
    port: {port}
  redis:
    url: {redis_url}
    reconnect_max: 500ms
{redis_opts}  auth:
    hs256_secret_file: {secret}
    timeout: {auth_timeout}
  heartbeat_interval: {heartbeat}
  presence_ttl: {presence_ttl}
  web_root: {web_root}
{extra}"""


class Gateway:
    """One voxrelay-cp process on its own port, its log kept in the work directory."""

    def __init__(self, binary, workdir, redis_port, name="cp", env=None, extra="", auth_timeout="3s",
                 heartbeat="2s", presence_ttl="6s", vips="", web_root=None, redis_url=None, redis_opts=None):
        """extra: YAML appended under controlplane:; vips: more balancer.vips entries (YAML list items);
        web_root: the directory served at / (default: controlplane/web); redis_url: controlplane.redis.url
        (default: redis://127.0.0.1:<redis_port>/0); redis_opts: more controlplane.redis keys (a dict)."""
        self.binary = binary
        self.port = free_port()
        self.name = name
        self.workdir = workdir
        self.log = os.path.join(workdir, name + ".log")
        secret = os.path.join(workdir, "jwt.secret")
        with open(secret, "wb") as f:
            f.write(SECRET + b"\n")
        web = web_root or WEB
        self.config = os.path.join(workdir, name + ".yaml")
        with open(self.config, "w") as f:
            f.write(CONFIG.format(port=self.port, secret=secret, auth_timeout=auth_timeout,
                                  redis_url=redis_url or f"redis://127.0.0.1:{redis_port}/0",
                                  redis_opts="".join(f"    {k}: {v}\n" for k, v in (redis_opts or {}).items()),
                                  heartbeat=heartbeat, presence_ttl=presence_ttl, web_root=os.path.abspath(web),
                                  extra=extra, balancer="balancer:\n  vips:\n" + vips if vips else ""))
        self.env = dict(os.environ, **(env or {}))
        self.proc = None

    def start(self):
        self.logf = open(self.log, "a")
        self.proc = subprocess.Popen([self.binary, "-c", self.config], stdout=self.logf, stderr=subprocess.STDOUT,
                                     env=self.env)
        wait_port(self.port)
        return self

    def stop(self):
        if self.proc:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                raise RuntimeError(f"{self.name} did not stop on SIGTERM")
            rc = self.proc.returncode
            self.proc = None
            self.logf.close()
            # a clean stop exits 0; under ASan a leak or an error makes it non-zero
            if rc != 0:
                raise RuntimeError(f"{self.name} exited {rc} after SIGTERM (see {self.log})")
            return rc
        return 0

    @property
    def url(self):
        return f"ws://127.0.0.1:{self.port}/ws/chat"

    def http(self, path, headers=False):
        """(status, body), or (status, body, headers) with headers=True."""
        import urllib.request
        import urllib.error
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=5) as r:
                out = r.status, r.read().decode(), r.headers
        except urllib.error.HTTPError as e:
            out = e.code, e.read().decode(), e.headers
        return out if headers else out[:2]

    def kill(self):
        """SIGKILL: a process that dies without its stop."""
        if self.proc:
            self.proc.kill()
            self.proc.wait(10)
            self.proc = None
            self.logf.close()


class Client:
    """A WebSocket client: requests with ids, events kept in arrival order."""

    def __init__(self, ws):
        self.ws = ws
        self.events = []
        self.next_id = 0
        self.hello = None

    @classmethod
    async def connect(cls, url, **kw):
        ws = await websockets.connect(url, max_size=None, ping_interval=None, **kw)
        c = cls(ws)
        c.hello = json.loads(await asyncio.wait_for(ws.recv(), 5))
        return c

    async def send_raw(self, text):
        await self.ws.send(text)

    async def recv(self, timeout=5.0):
        return json.loads(await asyncio.wait_for(self.ws.recv(), timeout))

    async def request(self, type_, data=None, timeout=5.0):
        """Send {type, data, id}; return the frame that echoes the id (others are kept as events)."""
        self.next_id += 1
        rid = f"r{self.next_id}"
        await self.ws.send(json.dumps({"type": type_, "data": data or {}, "id": rid}))
        end = time.time() + timeout
        while True:
            f = await self.recv(max(0.01, end - time.time()))
            if f.get("id") == rid:
                return f
            self.events.append(f)

    async def event(self, type_, timeout=5.0, pred=None):
        """The first kept or arriving event of type_ (matching pred)."""
        for i, f in enumerate(self.events):
            if f["type"] == type_ and (pred is None or pred(f)):
                return self.events.pop(i)
        end = time.time() + timeout
        while True:
            f = await self.recv(max(0.01, end - time.time()))
            if f["type"] == type_ and (pred is None or pred(f)):
                return f
            self.events.append(f)

    async def no_event(self, type_, wait=0.5, pred=None):
        try:
            f = await self.event(type_, wait, pred)
        except asyncio.TimeoutError:
            return True
        raise AssertionError(f"unexpected {type_}: {f}")

    async def close(self):
        await self.ws.close()


async def login(url, user, **kw):
    c = await Client.connect(url, **kw)
    r = await c.request("auth", {"token": token(user)})
    assert r["type"] == "ready", r
    return c


class Fail(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Fail(what)


def workdir(name):
    d = tempfile.mkdtemp(prefix=f"voxrelay-{name}.")
    return d


def id_key(mid):
    """A stream id's place in stream order."""
    return tuple(int(x) for x in mid.split("-"))


BACKLOG_LUA = ("local ids = {} for i = 1, tonumber(ARGV[1]) do ids[i] = redis.call('XADD', KEYS[1], '*', 'k', ARGV[2], "
               "'u', ARGV[3], 'c', ARGV[4] .. i, 't', ARGV[5]) end return ids")


def stream_fill(redis, chat, n, kind="m", user="filler", content="backlog ", target="1-0"):
    """n entries appended to a chat's stream behind voxrelay-cp's back (nothing published); returns their ids."""
    return redis.cli("EVAL", BACKLOG_LUA, "1", f"vr:chat:{chat}:s", str(n), kind, user, content, target).split()


def run(main, name):
    """Run an async test; keep the work directory on failure."""
    d = workdir(name)
    try:
        asyncio.run(main(d))
    except BaseException:
        print(f"{name}: FAIL, kept {d}", file=sys.stderr)
        for f in sorted(os.listdir(d)):
            if f.endswith(".log"):
                print(f"--- {f}", file=sys.stderr)
                with open(os.path.join(d, f)) as fh:
                    sys.stderr.write(fh.read()[-3000:])
        raise
    shutil.rmtree(d, ignore_errors=True)
    print(f"{name}: PASS")
