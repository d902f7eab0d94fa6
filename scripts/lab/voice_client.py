#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# An SRTP voice client for the lab: sends a WAV as SRTP (PCMA or Opus) and records every SSRC it receives, on one UDP socket.
"""
One UDP socket, bound to --local, carries both directions (symmetric RTP, as
a relay that latches the source address of what it receives expects):

  send:    WAV -> raw PCM in memory -> appsrc (20 ms buffers, timestamped, with
           an RFC 6464 level meta) -> alawenc ! rtppcmapay pt=8 | opusenc !
           rtpopuspay pt=111 (SSRC --ssrc, optional audio-level header
           extension) -> srtpenc (--tx-key) -> udpsink socket=S sync=true
  receive: udpsrc socket=S -> srtpdec (request-key answered with --rx-key for
           every SSRC) -> rtpssrcdemux -> per SSRC: rtpjitterbuffer ! depay !
           decoder ! wavenc ! filesink OUT/ssrc-<hex>.wav

Keys are RFC 4568 inline keys: base64 of master key || master salt, 30 bytes
for AES_CM_128_HMAC_SHA1_80 / _32, 28 for AEAD_AES_128_GCM; an "inline:"
prefix and "|lifetime" are accepted, an MKI is not.

The transmission starts at --start-at (Unix time; default now) with
--lead-silence seconds of silence before the recording, so that several
clients started one after another can begin together and be known to a relay
(which forwards only to members whose address it has seen) before the speech
starts. The client runs --seconds in all (or --until a Unix time), then sends
EOS (each WAV header gets its sizes), writes the JSON summary (OUT/summary.json:
what it sent; per SSRC received: datagrams, authenticated packets, sequence
range, loss, RTP duration, audio levels, WAV duration; srtpdec's counters) and
exits 0; 1 on a pipeline error, 2 on bad arguments. SIGINT/SIGTERM stop it the
same way early. RTCP is neither sent nor decoded: datagrams whose second byte
is 192..223 (RFC 5761) are counted and dropped before srtpdec.

The RFC 6464 level sent is the RMS of each packet's PCM in -dBov, V set
unless the packet is digital silence (no real voice activity detection).
"""
import argparse
import base64
import binascii
import json
import math
import os
import signal
import struct
import sys
import threading
import time
import wave

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstAudio", "1.0")
gi.require_version("GstRtp", "1.0")
from gi.repository import Gio, GLib, Gst, GstAudio, GstRtp  # noqa: E402

SUITES = {
    # name: (key||salt bytes, srtp cipher, srtp auth)
    "AES_CM_128_HMAC_SHA1_80": (30, "aes-128-icm", "hmac-sha1-80"),
    "AES_CM_128_HMAC_SHA1_32": (30, "aes-128-icm", "hmac-sha1-32"),
    "AEAD_AES_128_GCM": (28, "aes-128-gcm", "null"),
}
CODECS = {
    # name: (clock rate = PCM rate fed to the encoder, payload type, RTP encoding name)
    "pcma": (8000, 8, "PCMA"),
    "opus": (48000, 111, "OPUS"),
}
AUDIO_LEVEL_URI = "urn:ietf:params:rtp-hdrext:ssrc-audio-level"
T0 = time.monotonic()
NAME = "voice_client"


def log(msg):
    print(f"[{time.strftime('%T')} +{time.monotonic() - T0:6.2f}] {NAME}: {msg}", file=sys.stderr, flush=True)


def parse_key(text, suite, what):
    """RFC 4568 inline key (base64 key||salt, optional 'inline:' and '|lifetime') -> bytes."""
    k = text.strip()
    if k.startswith("inline:"):
        k = k[len("inline:"):]
    parts = k.split("|")
    if len(parts) > 2 or (len(parts) == 2 and ":" in parts[1]):
        raise ValueError(f"{what}: an MKI is not supported")
    try:
        raw = base64.b64decode(parts[0], validate=True)
    except (binascii.Error, ValueError) as e:
        raise ValueError(f"{what}: not base64: {e}") from None
    want = SUITES[suite][0]
    if len(raw) != want:
        raise ValueError(f"{what}: {len(raw)} bytes, {suite} needs {want} (master key || salt)")
    return raw


def parse_hostport(text, what):
    """ADDR:PORT or [V6ADDR]:PORT -> (addr, port)."""
    if text.startswith("["):
        addr, _, rest = text[1:].partition("]")
        port = rest.lstrip(":")
    else:
        addr, _, port = text.rpartition(":")
    if not addr or not port.isdigit() or int(port) > 65535:
        raise ValueError(f"{what}: expected ADDR:PORT or [ADDR]:PORT, got {text!r}")
    return addr, int(port)


def load_pcm(path, rate):
    """Decode any WAV GStreamer reads into mono S16LE at @rate (audioresample does the rate change)."""
    p = Gst.parse_launch(
        f'filesrc location="{path}" ! wavparse ! audioconvert ! audioresample '
        f"! audio/x-raw,format=S16LE,rate={rate},channels=1,layout=interleaved ! appsink name=sink sync=false"
    )
    sink = p.get_by_name("sink")
    bus = p.get_bus()
    chunks = []
    err = None
    if p.set_state(Gst.State.PLAYING) == Gst.StateChangeReturn.FAILURE:
        err = "the decoding pipeline does not start"
    # An upstream error does not wake a blocked pull: pull with a timeout, look at the bus in between.
    while err is None:
        s = sink.emit("try-pull-sample", 100 * Gst.MSECOND)
        if s is not None:
            chunks.append(s.get_buffer().extract_dup(0, s.get_buffer().get_size()))
            continue
        if sink.get_property("eos"):
            break
        msg = bus.pop_filtered(Gst.MessageType.ERROR)
        if msg is not None:
            e, dbg = msg.parse_error()
            err = f"{e.message} ({dbg})"
    if err is None and (msg := bus.pop_filtered(Gst.MessageType.ERROR)) is not None:
        e, dbg = msg.parse_error()
        err = f"{e.message} ({dbg})"
    p.set_state(Gst.State.NULL)
    if err is not None:
        raise RuntimeError(f"cannot read {path}: {err}")
    if not chunks:
        raise RuntimeError(f"{path}: no audio")
    return b"".join(chunks)


def dbov_level(pcm):
    """RFC 6464 level of a block of S16LE samples: -dBov, 0 (loudest) .. 127 (silence)."""
    n = len(pcm) // 2
    if n == 0:
        return 127
    samples = struct.unpack(f"<{n}h", pcm[: 2 * n])
    ms = sum(s * s for s in samples) / n
    if ms <= 0:
        return 127
    db = 10 * math.log10(ms / (32768.0 * 32768.0))
    return max(0, min(127, int(round(-db))))


def rtp_fields(data, ext_id):
    """(ssrc, pt, seq, ts, audio level or None) of an RTP header in @data (enough leading bytes)."""
    if len(data) < 12:
        return None
    b0, b1, seq, ts, ssrc = struct.unpack("!BBHII", data[:12])
    level = None
    off = 12 + 4 * (b0 & 0x0F)
    if ext_id and b0 & 0x10 and len(data) >= off + 4:
        profile, words = struct.unpack("!HH", data[off : off + 4])
        if profile == 0xBEDE:
            i, end = off + 4, min(len(data), off + 4 + 4 * words)
            while i < end:
                eid, ln = data[i] >> 4, (data[i] & 0x0F) + 1
                if eid == 0:
                    i += 1
                    continue
                if eid == 15:
                    break
                if eid == ext_id and i + 1 < end:
                    level = data[i + 1]
                    break
                i += 1 + ln
    return ssrc, b1 & 0x7F, seq, ts, level


class Client:
    def __init__(self, a):
        self.a = a
        self.lock = threading.Lock()
        self.error = None
        self.stopping = False
        self.eos = False
        self.raw = {}  # ssrc -> datagrams before srtpdec
        self.rx = {}  # ssrc -> stats after srtpdec
        self.rtcp_rx = 0
        self.not_rtp = 0
        self.datagrams = 0
        self.key_requests = {}
        self.branches = {}
        self.branch_eos = set()
        self.warnings = {}
        self.tx = {"packets": 0, "bytes": 0, "first_seq": None, "last_seq": None, "audio_level_packets": 0}
        self.tx_key = parse_key(a.tx_key, a.suite, "--tx-key")
        self.rx_key = parse_key(a.rx_key, a.rx_suite, "--rx-key")
        self.local = parse_hostport(a.local, "--local")
        self.remote = parse_hostport(a.remote, "--remote")
        self.rate, self.pt, self.enc = CODECS[a.codec]
        self.rx_rate, self.rx_pt, self.rx_enc = CODECS[a.rx_codec]

    # ---- socket ----------------------------------------------------------
    def make_socket(self):
        addr, port = self.local
        fam = Gio.SocketFamily.IPV6 if ":" in addr else Gio.SocketFamily.IPV4
        s = Gio.Socket.new(fam, Gio.SocketType.DATAGRAM, Gio.SocketProtocol.UDP)
        s.bind(Gio.InetSocketAddress.new_from_string(addr, port), False)
        self.sock = s
        la = s.get_local_address()
        self.local = (la.get_address().to_string(), la.get_port())

    # ---- pipeline --------------------------------------------------------
    def build(self):
        a = self.a
        p = Gst.Pipeline.new("voice")
        self.pipeline = p

        # Receive: udpsrc (the shared socket) -> srtpdec -> rtpssrcdemux.
        src = Gst.ElementFactory.make("udpsrc", "rxsrc")
        src.set_property("socket", self.sock)
        src.set_property("close-socket", False)
        src.set_property("buffer-size", 1 << 20)
        src.set_property(
            "caps",
            Gst.Caps.from_string(
                f"application/x-srtp,media=audio,clock-rate={self.rx_rate},encoding-name={self.rx_enc},payload={self.rx_pt}"
            ),
        )
        dec = Gst.ElementFactory.make("srtpdec", "srtpdec")
        dec.set_property("replay-window-size", 1024)
        dec.connect("request-key", self.on_request_key)
        demux = Gst.ElementFactory.make("rtpssrcdemux", "demux")
        demux.connect("pad-added", self.on_demux_pad)
        for e in (src, dec, demux):
            p.add(e)
        if not src.link_pads("src", dec, "rtp_sink") or not dec.link_pads("rtp_src", demux, "sink"):
            raise RuntimeError("cannot link udpsrc ! srtpdec ! rtpssrcdemux")
        src.get_static_pad("src").add_probe(Gst.PadProbeType.BUFFER, self.on_datagram)
        dec.get_static_pad("rtp_src").add_probe(Gst.PadProbeType.BUFFER, self.on_decrypted)
        self.srtpdec = dec

        # Send, unless --no-send.
        self.appsrc = None
        if a.wav:
            caps = f"audio/x-raw,format=S16LE,rate={self.rate},channels=1,layout=interleaved"
            asrc = Gst.ElementFactory.make("appsrc", "txsrc")
            asrc.set_property("caps", Gst.Caps.from_string(caps))
            asrc.set_property("format", Gst.Format.TIME)
            asrc.set_property("is-live", True)
            asrc.set_property("max-bytes", 0)  # everything is queued at once; the sink paces
            if a.codec == "pcma":
                enc = Gst.ElementFactory.make("alawenc")
                pay = Gst.ElementFactory.make("rtppcmapay")
                ns = a.ptime * Gst.MSECOND
                pay.set_property("min-ptime", ns)
                pay.set_property("max-ptime", ns)
                pay.set_property("ptime-multiple", ns)
            else:
                enc = Gst.ElementFactory.make("opusenc")
                enc.set_property("frame-size", a.ptime)
                enc.set_property("bitrate", a.opus_bitrate)
                pay = Gst.ElementFactory.make("rtpopuspay")
            pay.set_property("pt", self.pt)
            pay.set_property("ssrc", a.ssrc)
            pay.set_property("auto-header-extension", False)
            if a.audio_level_id:
                ext = GstRtp.RTPHeaderExtension.create_from_uri(AUDIO_LEVEL_URI)
                if ext is None:
                    raise RuntimeError("no RTP header extension implementation for " + AUDIO_LEVEL_URI)
                ext.set_id(a.audio_level_id)
                pay.emit("add-extension", ext)
            enc_s = Gst.ElementFactory.make("srtpenc", "srtpenc")
            _, cipher, auth = SUITES[a.suite]
            enc_s.set_property("key", Gst.Buffer.new_wrapped(self.tx_key))
            for k, v in (("rtp-cipher", cipher), ("rtp-auth", auth), ("rtcp-cipher", cipher), ("rtcp-auth", auth)):
                enc_s.set_property(k, v)
            enc_s.set_property("replay-window-size", 1024)
            sink = Gst.ElementFactory.make("udpsink", "txsink")
            sink.set_property("socket-v6" if ":" in self.local[0] else "socket", self.sock)
            sink.set_property("close-socket", False)
            sink.set_property("host", self.remote[0])
            sink.set_property("port", self.remote[1])
            sink.set_property("sync", True)
            sink.set_property("async", False)
            # Nothing between appsrc and the sink needs time to process a
            # buffer; the default 20 ms deadline only makes a live pipeline
            # warn that it lacks queues.
            sink.set_property("processing-deadline", 0)
            for e in (asrc, enc, pay, enc_s, sink):
                p.add(e)
            ok = asrc.link(enc) and enc.link(pay) and pay.link_pads("src", enc_s, "rtp_sink_0")
            ok = ok and enc_s.link_pads("rtp_src_0", sink, "sink")
            if not ok:
                raise RuntimeError("cannot link the sending chain")
            sink.get_static_pad("sink").add_probe(Gst.PadProbeType.BUFFER, self.on_sent)
            self.appsrc = asrc

        bus = p.get_bus()
        bus.add_signal_watch()
        bus.connect("message", self.on_message)

    def on_request_key(self, _dec, ssrc):
        _, cipher, auth = SUITES[self.a.rx_suite]
        with self.lock:
            self.key_requests[ssrc] = self.key_requests.get(ssrc, 0) + 1
        log(f"srtpdec asks for the key of SSRC {ssrc:#010x}: rx key ({self.a.rx_suite})")
        return Gst.Caps.from_string(
            f"application/x-srtp,srtp-key=(buffer){self.rx_key.hex()},srtp-cipher={cipher},srtp-auth={auth},"
            f"srtcp-cipher={cipher},srtcp-auth={auth}"
        )

    def on_datagram(self, _pad, info):
        buf = info.get_buffer()
        head = buf.extract_dup(0, min(buf.get_size(), 12))
        with self.lock:
            self.datagrams += 1
            if len(head) < 12 or not 128 <= head[0] <= 191:
                self.not_rtp += 1
                return Gst.PadProbeReturn.DROP
            if 192 <= head[1] <= 223:  # RTCP multiplexed on the port (RFC 5761): not handled here
                self.rtcp_rx += 1
                return Gst.PadProbeReturn.DROP
            ssrc = struct.unpack("!I", head[8:12])[0]
            self.raw[ssrc] = self.raw.get(ssrc, 0) + 1
        return Gst.PadProbeReturn.OK

    def on_decrypted(self, _pad, info):
        buf = info.get_buffer()
        f = rtp_fields(buf.extract_dup(0, min(buf.get_size(), 64)), self.a.audio_level_id)
        if f is None:
            return Gst.PadProbeReturn.OK
        ssrc, pt, seq, ts, level = f
        now = time.monotonic() - T0
        with self.lock:
            s = self.rx.get(ssrc)
            if s is None:
                s = self.rx[ssrc] = {
                    "packets": 0, "bytes": 0, "pt": pt, "first_seq": seq, "ext_seq": seq, "max_ext_seq": seq,
                    "first_ts": ts, "last_ts": ts, "first_arrival_s": round(now, 3), "audio_level_packets": 0,
                    "audio_level_sum": 0, "other_pt": 0,
                }
                log(f"first packet from SSRC {ssrc:#010x} (pt {pt}, seq {seq})")
            if pt != self.rx_pt:
                if s["other_pt"] == 0:
                    log(f"SSRC {ssrc:#010x} sends pt {pt}, not {self.rx_pt} ({self.a.rx_codec}): not decodable here")
                s["other_pt"] += 1
            s["packets"] += 1
            s["bytes"] += buf.get_size()
            # Extend the 16-bit sequence number (nearest to the previous one).
            prev = s["ext_seq"]
            d = (seq - (prev & 0xFFFF) + 0x8000) % 0x10000 - 0x8000
            s["ext_seq"] = prev + d
            s["max_ext_seq"] = max(s["max_ext_seq"], s["ext_seq"])
            s["last_seq"] = seq
            s["last_ts"] = ts
            s["last_arrival_s"] = round(now, 3)
            if level is not None:
                s["audio_level_packets"] += 1
                s["audio_level_sum"] += level & 0x7F
        return Gst.PadProbeReturn.OK

    def on_sent(self, _pad, info):
        buf = info.get_buffer()
        head = buf.extract_dup(0, min(buf.get_size(), 64))
        f = rtp_fields(head, self.a.audio_level_id)
        with self.lock:
            self.tx["packets"] += 1
            self.tx["bytes"] += buf.get_size()
            if f:
                if self.tx["first_seq"] is None:
                    self.tx["first_seq"] = f[2]
                    log(f"first packet sent to {self.remote[0]}:{self.remote[1]} (SSRC {f[0]:#010x}, seq {f[2]})")
                self.tx["last_seq"] = f[2]
                if f[4] is not None:
                    self.tx["audio_level_packets"] += 1
        return Gst.PadProbeReturn.OK

    def on_demux_pad(self, _demux, pad):
        name = pad.get_name()
        if not name.startswith("src_"):
            return  # rtcp_src_N: nothing arrives there (RTCP is dropped before srtpdec)
        ssrc = int(name[4:])
        path = os.path.join(self.a.out_dir, f"ssrc-{ssrc:08x}.wav")
        if self.a.rx_codec == "pcma":
            desc = "rtppcmadepay ! alawdec"
        else:
            desc = "rtpopusdepay ! opusdec"
        bin_ = Gst.parse_bin_from_description(
            f"queue ! rtpjitterbuffer latency={self.a.jitter_latency} ! {desc} ! audioconvert "
            # async=false: a sink added to a playing pipeline would otherwise
            # wait to preroll while the jitter buffer before it, paused with
            # the bin, never pushes (seen with two SSRCs arriving together).
            f'! audio/x-raw,channels=1 ! wavenc ! filesink name=fs async=false location="{path}"',
            True,
        )
        bin_.set_name(f"rx_{ssrc:08x}")
        self.pipeline.add(bin_)
        bin_.sync_state_with_parent()
        if pad.link(bin_.get_static_pad("sink")) != Gst.PadLinkReturn.OK:
            self.fail(f"cannot link the decoder for SSRC {ssrc:#010x}")
            return
        bin_.get_by_name("fs").get_static_pad("sink").add_probe(
            Gst.PadProbeType.EVENT_DOWNSTREAM, self.on_branch_event, ssrc
        )
        with self.lock:
            self.branches[ssrc] = path
        log(f"decoding SSRC {ssrc:#010x} into {path}")

    def on_branch_event(self, _pad, info, ssrc):
        if info.get_event().type == Gst.EventType.EOS:
            with self.lock:
                self.branch_eos.add(ssrc)
            GLib.idle_add(self.check_done)
        return Gst.PadProbeReturn.OK

    # ---- control ---------------------------------------------------------
    def check_done(self):
        """Once stopping, quit when every WAV writer has seen EOS (its header is then complete)."""
        with self.lock:
            done = self.stopping and set(self.branches) <= self.branch_eos
        if done:
            self.eos = True
            self.loop.quit()
        return False

    def fail(self, msg):
        if self.error is None:
            self.error = msg
        log("ERROR: " + msg)
        GLib.idle_add(self.stop, "error")

    def on_message(self, _bus, msg):
        t = msg.type
        if t == Gst.MessageType.ERROR:
            err, dbg = msg.parse_error()
            self.fail(f"{msg.src.get_name()}: {err.message} ({dbg})")
            self.loop.quit()
        elif t == Gst.MessageType.WARNING:
            # udpsink warns for every datagram it cannot send: log each kind once, count the rest.
            err, dbg = msg.parse_warning()
            key = f"{msg.src.get_name()}: {err.message}"
            self.warnings[key] = self.warnings.get(key, 0) + 1
            if self.warnings[key] == 1:
                log(f"warning from {key} ({dbg}) (repeats are counted in the summary)")
        elif t == Gst.MessageType.EOS:
            self.check_done()
        elif t == Gst.MessageType.STATE_CHANGED and msg.src == self.pipeline:
            old, new, _ = msg.parse_state_changed()
            if new == Gst.State.PLAYING and old != Gst.State.PLAYING:
                log(f"PLAYING: socket {self.local[0]}:{self.local[1]}, sending to {self.remote[0]}:{self.remote[1]}")
        return True

    def stop(self, why):
        if self.stopping:
            return False
        self.stopping = True
        log(f"stopping ({why}): EOS")
        self.pipeline.send_event(Gst.Event.new_eos())
        GLib.timeout_add(int(self.a.eos_timeout * 1000), self.eos_timeout)
        GLib.idle_add(self.check_done)
        return False

    def eos_timeout(self):
        log("no EOS in time; stopping anyway (WAV headers may be incomplete)")
        self.loop.quit()
        return False

    def feed(self):
        """Queue the whole recording (with leading silence) as timestamped buffers."""
        a = self.a
        pcm = self.pcm
        step = self.rate * a.ptime // 1000  # samples per packet
        lead = b"\0\0" * (int(round(a.lead_silence * self.rate / step)) * step)
        tail = b"\0\0" * (int(round(a.tail_silence * self.rate / step)) * step)
        pcm = lead + pcm + tail
        pcm += b"\0\0" * ((-(len(pcm) // 2)) % step)
        clock = self.pipeline.get_clock()
        now_rt = clock.get_time() - self.pipeline.get_base_time()
        delay = max(0.0, a.start_at - time.time()) if a.start_at else 0.0
        pts = now_rt + int((delay + 0.05) * Gst.SECOND)
        dur = a.ptime * Gst.MSECOND
        n = len(pcm) // (2 * step)
        for i in range(n):
            chunk = pcm[2 * step * i : 2 * step * (i + 1)]
            b = Gst.Buffer.new_wrapped(chunk)
            b.pts = pts + i * dur
            b.dts = b.pts
            b.duration = dur
            if a.audio_level_id:
                lvl = dbov_level(chunk)
                GstAudio.buffer_add_audio_level_meta(b, lvl, lvl < 127)
            if self.appsrc.emit("push-buffer", b) != Gst.FlowReturn.OK:
                self.fail("appsrc refused a buffer")
                return False
        self.appsrc.emit("end-of-stream")
        log(
            f"queued {n} packets of {a.ptime} ms ({n * a.ptime / 1000:.2f} s, {a.lead_silence} s lead silence) "
            f"from {a.wav}, starting in {delay + 0.05:.2f} s"
        )
        return False

    def run(self):
        self.pcm = load_pcm(self.a.wav, self.rate) if self.a.wav else b""
        self.make_socket()
        self.build()
        self.loop = GLib.MainLoop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            GLib.unix_signal_add(GLib.PRIORITY_HIGH, sig, lambda s=sig: self.stop(f"signal {s}") or True)
        if self.pipeline.set_state(Gst.State.PLAYING) == Gst.StateChangeReturn.FAILURE:
            self.pipeline.set_state(Gst.State.NULL)
            log("ERROR: the pipeline does not start")
            return 1
        if self.appsrc is not None:
            GLib.idle_add(self.feed)
        GLib.timeout_add(int(self.a.seconds * 1000), self.stop, f"{self.a.seconds:.1f} s elapsed")
        self.loop.run()
        self.pipeline.set_state(Gst.State.NULL)
        self.write_summary()
        return 1 if self.error else 0

    def write_summary(self):
        st = self.srtpdec.get_property("stats")
        ok1, recv = st.get_uint("recv-count")
        ok2, drop = st.get_uint("recv-drop-count")
        ssrcs = {}
        for ssrc in sorted(set(self.raw) | set(self.rx)):
            s = dict(self.rx.get(ssrc, {}))
            raw = self.raw.get(ssrc, 0)
            e = {"datagrams": raw, "packets": s.get("packets", 0), "not_authenticated": raw - s.get("packets", 0)}
            if s:
                expected = s["max_ext_seq"] - s["first_seq"] + 1
                span = (s["last_ts"] - s["first_ts"]) % (1 << 32)
                e.update(
                    pt=s["pt"], bytes=s["bytes"], first_seq=s["first_seq"], last_seq=s["last_seq"],
                    expected=expected, lost=expected - s["packets"],
                    # timestamp span plus one packet's worth (span per sequence step)
                    rtp_duration_s=round(span / self.rx_rate * (1 + 1 / max(1, s["ext_seq"] - s["first_seq"])), 3),
                    first_arrival_s=s["first_arrival_s"], last_arrival_s=s.get("last_arrival_s"),
                    key_requests=self.key_requests.get(ssrc, 0), other_pt=s["other_pt"],
                )
                if self.a.audio_level_id:
                    e["audio_level_packets"] = s["audio_level_packets"]
                    if s["audio_level_packets"]:
                        e["audio_level_mean_dbov"] = -round(s["audio_level_sum"] / s["audio_level_packets"], 1)
            path = self.branches.get(ssrc)
            if path and os.path.exists(path):
                e["wav"] = os.path.basename(path)
                try:
                    with wave.open(path, "rb") as w:
                        e["wav_duration_s"] = round(w.getnframes() / w.getframerate(), 3)
                except (wave.Error, EOFError) as err:
                    e["wav_error"] = str(err)
            ssrcs[f"{ssrc:#010x}"] = e
        summary = {
            "name": self.a.name,
            "local": f"{self.local[0]}:{self.local[1]}",
            "remote": f"{self.remote[0]}:{self.remote[1]}",
            "codec": self.a.codec,
            "rx_codec": self.a.rx_codec,
            "suite": self.a.suite,
            "rx_suite": self.a.rx_suite,
            "ptime_ms": self.a.ptime,
            "audio_level_id": self.a.audio_level_id,
            "tx_ssrc": f"{self.a.ssrc:#010x}",
            "tx": self.tx,
            "rx": {
                "datagrams": self.datagrams,
                "rtcp_dropped": self.rtcp_rx,
                "not_rtp": self.not_rtp,
                "srtpdec_recv_count": recv if ok1 else None,
                "srtpdec_drop_count": drop if ok2 else None,
                "ssrcs": ssrcs,
            },
            "warnings": self.warnings,
            "eos": self.eos,
            "error": self.error,
        }
        path = self.a.summary or os.path.join(self.a.out_dir, "summary.json")
        with open(path + ".tmp", "w") as f:
            json.dump(summary, f, indent=1)
        os.replace(path + ".tmp", path)
        log(
            f"sent {self.tx['packets']} packets; received {self.datagrams} datagrams, "
            + (", ".join(f"{k}: {v['packets']}/{v['datagrams']} authenticated" for k, v in ssrcs.items()) or "no SSRC")
            + f"; srtpdec dropped {drop}; summary {path}"
        )


def main():
    global NAME
    ap = argparse.ArgumentParser(
        description="SRTP voice client: sends a WAV as SRTP and records every SSRC it receives, on one UDP socket.",
        epilog=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ap.add_argument("--name", default="client", help="label for logs and the summary")
    ap.add_argument("--local", required=True, help="ADDR:PORT to bind (send and receive); [V6]:PORT for IPv6; port 0 = any")
    ap.add_argument("--remote", required=True, help="ADDR:PORT to send to (relay VIP, or another client)")
    ap.add_argument("--wav", help="recording to send; without it the client only receives")
    ap.add_argument("--ssrc", type=lambda s: int(s, 0), default=0x11111111, help="SSRC sent (default 0x11111111)")
    ap.add_argument("--tx-key", required=True, help="base64 key||salt protecting what this client sends")
    ap.add_argument("--rx-key", required=True, help="base64 key||salt of everything it receives (every SSRC)")
    ap.add_argument("--suite", choices=sorted(SUITES), default="AES_CM_128_HMAC_SHA1_80", help="SRTP suite sent")
    ap.add_argument("--rx-suite", choices=sorted(SUITES), help="SRTP suite received (default: --suite)")
    ap.add_argument("--codec", choices=sorted(CODECS), default="pcma", help="pcma (8 kHz, pt 8) or opus (48 kHz, pt 111)")
    ap.add_argument("--rx-codec", choices=sorted(CODECS), help="codec received (default: --codec)")
    ap.add_argument("--ptime", type=int, default=20, help="packet time, ms (default 20; Opus: 10, 20, 40 or 60)")
    ap.add_argument("--opus-bitrate", type=int, default=32000)
    ap.add_argument("--audio-level-id", type=int, default=0, help="send the RFC 6464 audio level, one-byte extension with this id (1-14); 0 = off")
    ap.add_argument("--start-at", type=float, default=0.0, help="Unix time at which to start sending (default: at once)")
    ap.add_argument("--lead-silence", type=float, default=0.0, help="seconds of silence sent before the recording")
    ap.add_argument("--tail-silence", type=float, default=0.0, help="seconds of silence sent after it")
    g = ap.add_mutually_exclusive_group(required=True)
    g.add_argument("--seconds", type=float, help="run this long in all, then stop and exit")
    g.add_argument("--until", type=float, help="run until this Unix time instead (clients started one by one stop together)")
    ap.add_argument("--jitter-latency", type=int, default=100, help="rtpjitterbuffer latency, ms (default 100)")
    ap.add_argument("--eos-timeout", type=float, default=5.0, help=argparse.SUPPRESS)
    ap.add_argument("--out-dir", required=True, help="directory for ssrc-<hex>.wav and summary.json")
    ap.add_argument("--summary", help="summary JSON path (default OUT-DIR/summary.json)")
    a = ap.parse_args()
    NAME = f"voice_client {a.name}"
    if a.until is not None:
        a.seconds = a.until - time.time()
        if a.seconds <= 0:
            ap.error("--until is in the past")
    a.rx_suite = a.rx_suite or a.suite
    a.rx_codec = a.rx_codec or a.codec
    if a.wav and not os.access(a.wav, os.R_OK):
        ap.error(f"--wav {a.wav}: not readable")
    if not 0 <= a.audio_level_id <= 14:
        ap.error("--audio-level-id: 1..14 (one-byte form), 0 = off")
    if a.codec == "opus" and a.ptime not in (10, 20, 40, 60):
        ap.error("--ptime: Opus frames are 10, 20, 40 or 60 ms")
    if a.codec == "pcma" and not 10 <= a.ptime <= 120:
        ap.error("--ptime: 10..120 ms for PCMA")
    if not 0 <= a.ssrc <= 0xFFFFFFFF:
        ap.error("--ssrc: 32 bits")
    os.makedirs(a.out_dir, exist_ok=True)
    Gst.init(None)
    try:
        c = Client(a)
    except ValueError as e:
        ap.error(str(e))
    try:
        return c.run()
    except (RuntimeError, GLib.Error) as e:
        log(f"ERROR: {e}")
        return 1


if __name__ == "__main__":
    sys.exit(main())
