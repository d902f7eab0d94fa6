#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# voxrelay-exporter against a scripted DPDK telemetry socket: field mapping, paging, histograms, reconnects, timeouts, HTTP.
import json
import os
import shutil
import socket
import sys
import tempfile
import threading
import time

from metricsutil import check, failures, get, promtool_lint, samples, scrape, start_exporter, stop_exporter, value

EXPORTER = sys.argv[1]


class FakeTelemetry:
    """A SOCK_SEQPACKET server speaking DPDK telemetry v2: greeting, then one JSON reply per command."""

    def __init__(self, path, pid=4242, max_output_len=16384):
        self.path, self.pid, self.max_output_len = path, pid, max_output_len
        self.busy, self.total = 100, 1000
        self.hang_on = None          # a command answered never (once)
        self.big_drops = False
        self.old_dataplane = False   # no /voxrelay/ports: the exporter falls back to DPDK's /ethdev/*
        self.relay = False           # role relay: /voxrelay/relay and its lists answer
        self.steer = True            # /voxrelay/steer: a steering port (False: null, a dataplane without it)
        self.commands = []
        self.conns = []
        self.lock = threading.Lock()
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.sock.bind(path)
        self.sock.listen(8)
        self.running = True
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self, remove=True):
        self.running = False
        self.drop_clients()
        self.sock.close()
        if remove:
            os.unlink(self.path)

    def drop_clients(self):
        with self.lock:
            for c in self.conns:
                try:
                    c.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                c.close()
            self.conns = []

    def _accept(self):
        while self.running:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            with self.lock:
                self.conns.append(c)
            threading.Thread(target=self._serve, args=(c,), daemon=True).start()

    def _serve(self, c):
        try:
            c.send(json.dumps({"version": "DPDK 22.11.11", "pid": self.pid,
                               "max_output_len": self.max_output_len}).encode())
            while True:
                cmd = c.recv(1024).decode()
                if not cmd:
                    return
                self.commands.append(cmd)
                if cmd == self.hang_on:
                    self.hang_on = None
                    time.sleep(2)
                    continue
                name, _, param = cmd.partition(",")
                c.send(json.dumps({name: self.reply(name, param)}).encode())
        except OSError:
            return

    def reply(self, name, param):
        if self.old_dataplane and name.startswith("/ethdev/"):
            return {"/ethdev/list": [0], "/ethdev/info": {"name": "net_af_xdp0", "port_id": 0},
                    "/ethdev/stats": {"ipackets": 700, "opackets": 690, "ibytes": 7000, "imissed": 3},
                    "/ethdev/link_status": {"status": "UP", "speed": 10000}}.get(name) if param in ("", "0") else None
        if name == "/voxrelay/ports" and not self.old_dataplane:
            return {"0": {"name": "uplink", "device": "net_af_xdp0", "port_id": 0, "rx_packets": 1000,
                          "tx_packets": 990, "rx_bytes": 218000, "tx_bytes": 251000, "rx_missed": 2,
                          "link_up": 1, "link_speed_mbps": 10000},
                    "1": {"name": 'we"ird\\name', "port_id": 1, "rx_packets": 1}}
        if name == "/voxrelay/stats":
            return {"rx_packets": 990, "tx_packets": 980, "busy_cycles": 5, "conntrack_inserts": 11,
                    "conntrack_entries": 7, "conntrack_capacity": 65536, "table_swaps": 3,
                    "table_swap_duration_us_le_10000": 3, "table_swap_duration_us_le_1000": 1,
                    "table_swap_duration_us_sum": 4500, "table_swap_duration_us_count": 3,
                    "last_table_swap_duration_us": 1500, "new_field_added_later": 5,
                    "some_text": "ignored", "an_array": [1, 2]}
        if name == "/voxrelay/drops":
            d = {"no_vip": 5, "fragment": 0}
            if self.big_drops:
                d.update({f"padding_reason_{i:04d}": i for i in range(700)})
            return d
        if name == "/voxrelay/vips":
            # Two pages: the dataplane pages long lists so each reply fits DPDK's output cap.
            if param == "":
                return {"0": {"address": "203.0.113.1", "port_lo": 3478, "port_hi": 3478, "backends": 2,
                              "rx_packets": 10},
                        "1": {"address": "203.0.113.1", "port_lo": 50000, "port_hi": 50019, "backends": 1,
                              "rx_packets": 20},
                        "next": 2}
            if param == "2":
                return {"2": {"address": "2001:db8::1", "port_lo": 3478, "port_hi": 3478, "backends": 1,
                              "rx_packets": 30}}
            return {}
        if name == "/voxrelay/backends":
            return {"0": {"vip": "203.0.113.1", "vip_id": 0, "address": "198.51.100.11", "state": "up",
                          "weight": 2, "maglev_slots": 100, "tx_packets": 6, "tx_bytes": 600, "flows": 3},
                    "1": {"vip": "203.0.113.1", "vip_ports": "3478", "address": "198.51.100.12",
                          "state": "draining", "weight": 1, "maglev_slots": 50, "tx_packets": 4, "tx_bytes": 400},
                    "2": {"vip": "203.0.113.1", "vip_id": 1, "address": "198.51.100.21", "state": "down",
                          "tx_packets": 20},
                    "3": {"vip": "2001:db8::1", "address": "2001:db8:2::11", "state": "maintenance",
                          "tx_packets": 30}}
        if name == "/voxrelay/probes":
            return {"0": {"vip": "203.0.113.1", "vip_id": 0, "address": "198.51.100.11", "probes": 4,
                          "probe_failures": 1, "probe_latency_us_le_1000": 2, "probe_latency_us_le_5000": 3,
                          "probe_latency_us_le_50000": 3, "probe_latency_us_sum": 6000,
                          "probe_latency_us_count": 4}}
        if name == "/voxrelay/steer":
            if not self.steer:
                return None
            # port index 0 steers, 1 does not (left out); a reason the exporter has never heard of needs no code
            return {"0": {"name": "uplink", "prog_id": 77, "passed_kernel": 500, "redirected": 990,
                          "redirect_failed": 0, "drop_not_voice": 12, "drop_rate_limited": 3000,
                          "drop_new_reason": 2, "map_syncs": 3, "map_sync_failures": 1}}
        if self.relay and name.startswith("/voxrelay/relay"):
            return self.relay_reply(name, param)
        if name == "/voxrelay/lcores":
            return {"1": {"rx_packets": 990, "tx_packets": 980, "busy_cycles": self.busy, "total_cycles": self.total}}
        return None


    def relay_reply(self, name, param):
        # slow_path: a dataplane from before it left the rooms (always 0 there): not exported
        room = {"vip": "203.0.113.10", "lcore": 1, "members": 2, "max_members": 4, "slow_path": 0,
                "drops_relay_not_rtp": 4, "drops_relay_auth_fail": 0}
        ssrc = {"vip": "203.0.113.10", "bytes": 100, "cumulative_lost": 0, "jitter_us": 0, "rtcp_packets": 0,
                "roc": 0, "started": 1}
        if name == "/voxrelay/relay":
            return {"rooms": 2, "members": 3, "rx_packets": 500, "tx_packets": 490, "slow_path": 95, "stun": 93,
                    "dtls": 2, "handoff_out": 0, "handoff_in": 0,
                    "drops": {"relay_not_rtp": 4, "relay_auth_fail": 0, "relay_no_room": 1}}
        if name == "/voxrelay/relay/rooms":
            # two pages, the second after a removed room's id
            if param == "":
                return {"1": {**room, "port": 40000, "rx_packets": 498, "tx_packets": 490}, "next": 3}
            if param == "3":
                return {"3": {**room, "port": 40001, "lcore": 2, "members": 1, "rx_packets": 2, "tx_packets": 0,
                              "drops_relay_not_rtp": 0}}
            return {}
        if name == "/voxrelay/relay/ssrcs":
            # a page that ends inside room 1, then the rest; positions are room id << 10 | index
            if param == "":
                return {"1024": {**ssrc, "port": 40000, "member": 1, "ssrc": 3499283094, "packets": 245,
                                 "cumulative_lost": -2, "ext_highest_seq": 65600, "jitter_us": 1250},
                        "next": 1025}
            if param == "1025":
                return {"1025": {**ssrc, "port": 40000, "member": 2, "ssrc": 1378587563, "packets": 241},
                        "3072": {**ssrc, "port": 40001, "member": 7, "ssrc": 5, "packets": 0, "started": 0}}
            return {}
        return None


def http_edges(port):
    status, _, _ = get("127.0.0.1", port, "/nope")
    check(status == 404, f"/nope: {status}")
    status, headers, _ = get("127.0.0.1", port, "/metrics", method="POST")
    check(status == 405 and "GET" in headers.get("Allow", ""), f"POST: {status} {headers}")
    status, headers, body = get("127.0.0.1", port, "/metrics", method="HEAD")
    check(status == 200 and body == "" and int(headers["Content-Length"]) > 0, f"HEAD: {status} {headers}")
    status, _, body = get("127.0.0.1", port, "/metrics?ts=1")
    check(status == 200 and "voxrelay_dp_up" in body, "query string not ignored")

    def raw(req, timeout=5):
        s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        s.sendall(req)
        data = b""
        try:
            while True:
                b = s.recv(65536)
                if not b:
                    break
                data += b
        except (socket.timeout, ConnectionResetError):
            pass
        s.close()
        return data

    # Two pipelined requests, the second asking to close: both answered, then the connection ends.
    data = raw(b"GET / HTTP/1.1\r\nHost: x\r\n\r\nGET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    check(data.count(b"HTTP/1.1 200 OK") == 2 and b"Connection: close" in data, f"pipelined: {data[:300]!r}")
    data = raw(b"GET /metrics HTTP/1.0\r\n\r\n")
    check(data.startswith(b"HTTP/1.1 200") and b"Connection: close" in data, "HTTP/1.0 not closed")
    data = raw(b"GET /metrics HTTP/1.1\r\nX-Long: " + b"a" * 9000 + b"\r\n\r\n")
    check(data.startswith(b"HTTP/1.1 431"), f"oversized header: {data[:60]!r}")
    data = raw(b"GET /metrics HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello")
    check(data.startswith(b"HTTP/1.1 400"), f"request body: {data[:60]!r}")
    data = raw(b"garbage\r\n\r\n")
    check(data.startswith(b"HTTP/1.1 400"), f"garbage: {data[:60]!r}")
    # Keep-alive: two requests on one connection.
    import http.client
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    c.request("GET", "/metrics")
    r1 = c.getresponse()
    r1.read()
    c.request("GET", "/metrics")
    r2 = c.getresponse()
    r2.read()
    check(r1.status == 200 and r2.status == 200, "keep-alive")
    c.close()


def main():
    tmp = tempfile.mkdtemp(prefix="vrt-metrics-fake-")
    sock = os.path.join(tmp, "dpdk_telemetry.v2")
    exp, port, up = start_exporter(EXPORTER, "--telemetry-socket", sock, "--timeout-ms", "500")
    fake = None
    try:
        if not up:
            return 1

        # Nothing listening yet: HTTP 200 and voxrelay_dp_up 0, nothing else from the dataplane.
        fams, body = scrape(port)
        check(value(fams, "voxrelay_dp_up") == 0, "up without a dataplane")
        check(not any(n.startswith("voxrelay_dp_") and n != "voxrelay_dp_up" for n in fams),
              f"dataplane series while down: {[n for n in fams if n.startswith('voxrelay_dp_')]}")
        promtool_lint(body, "down")

        fake = FakeTelemetry(sock)
        fams, body = scrape(port)
        promtool_lint(body, "up")
        check(value(fams, "voxrelay_dp_up") == 1, "up with the fake dataplane")
        check(value(fams, "voxrelay_dp_pid") == 4242, "pid from the greeting")
        check(value(fams, "voxrelay_dp_info", dpdk_version="DPDK 22.11.11") == 1, "info")
        # Ports from /voxrelay/ports, by configured name; label values escaped and read back intact.
        check(value(fams, "voxrelay_dp_rx_packets_total", port="uplink") == 1000, "port rx")
        check(value(fams, "voxrelay_dp_rx_missed_total", port="uplink") == 2, "port rx_missed")
        check(fams.get("voxrelay_dp_link_up", {}).get("type") == "gauge", "link_up is a gauge")
        check(value(fams, "voxrelay_dp_rx_packets_total", port='we"ird\\name') == 1, "escaped label value")
        check(value(fams, "voxrelay_dp_device_total") is None, "string field exported")
        asked = [c for c in fake.commands if c.startswith("/voxrelay/ports") or c.startswith("/ethdev/")]
        check(asked == ["/voxrelay/ports"], f"ports asked with {asked}, expected /voxrelay/ports once")
        # /voxrelay/stats: worker totals renamed away from the port families; new fields need no code.
        check(value(fams, "voxrelay_dp_worker_rx_packets_total") == 990, "worker rx")
        check(fams.get("voxrelay_dp_conntrack_entries", {}).get("type") == "gauge", "conntrack_entries gauge")
        check(value(fams, "voxrelay_dp_conntrack_entries") == 7, "conntrack_entries")
        check(value(fams, "voxrelay_dp_conntrack_capacity") == 65536, "conntrack_capacity")
        check(value(fams, "voxrelay_dp_conntrack_inserts_total") == 11, "conntrack inserts")
        check(value(fams, "voxrelay_dp_table_swaps_total") == 3, "table swaps")
        check(value(fams, "voxrelay_dp_new_field_added_later_total") == 5, "a new counter field")
        check(fams.get("voxrelay_dp_new_field_added_later_total", {}).get("type") == "counter", "new field type")
        check(value(fams, "voxrelay_dp_last_table_swap_duration_seconds") == 0.0015, "_us field in seconds")
        h = "voxrelay_dp_table_swap_duration_seconds"
        check(fams.get(h, {}).get("type") == "histogram", "table swap histogram type")
        check(value(fams, h + "_bucket", le="0.001") == 1 and value(fams, h + "_bucket", le="0.01") == 3 and
              value(fams, h + "_bucket", le="+Inf") == 3, f"histogram buckets {samples(fams, h + '_bucket')}")
        check(value(fams, h + "_sum") == 0.0045 and value(fams, h + "_count") == 3, "histogram sum/count")
        check(not any("_us_" in n for n in fams), "flat histogram parts leaked")
        check(value(fams, "voxrelay_dp_drops_total", reason="no_vip") == 5, "drops")
        # VIPs over two pages; two VIPs share an address and differ by port range.
        check(value(fams, "voxrelay_dp_vip_rx_packets_total", vip="203.0.113.1", ports="3478") == 10, "vip 0")
        check(value(fams, "voxrelay_dp_vip_rx_packets_total", vip="203.0.113.1", ports="50000-50019") == 20, "vip 1")
        check(value(fams, "voxrelay_dp_vip_rx_packets_total", vip="2001:db8::1", ports="3478") == 30,
              "vip of the second page")
        check("/voxrelay/vips,2" in fake.commands, f"no second page asked: {fake.commands}")
        check(fams.get("voxrelay_dp_vip_backends", {}).get("type") == "gauge", "vip backends gauge")
        # Backends: VIP port range through vip_id, vip_ports, or the VIP address when it is unique.
        B = "voxrelay_dp_backend_"
        check(value(fams, B + "tx_packets_total", backend="198.51.100.11", ports="3478") == 6, "backend via vip_id")
        check(value(fams, B + "tx_packets_total", backend="198.51.100.12", ports="3478") == 4, "backend vip_ports")
        check(value(fams, B + "tx_packets_total", backend="198.51.100.21", ports="50000-50019") == 20,
              "backend via vip_id 1")
        check(value(fams, B + "tx_packets_total", backend="2001:db8:2::11", ports="3478") == 30,
              "backend via unique address")
        check(value(fams, B + "flows", backend="198.51.100.11") == 3, "flows gauge")
        check(value(fams, B + "up", backend="198.51.100.11") == 1 and value(fams, B + "up", backend="198.51.100.12") == 0
              and value(fams, B + "up", backend="198.51.100.21") == 0, "backend_up")
        for b, st in (("198.51.100.11", "up"), ("198.51.100.12", "draining"), ("198.51.100.21", "down")):
            got = {l["state"]: v for l, v in samples(fams, B + "state") if l["backend"] == b}
            check(got == {s: float(s == st) for s in ("up", "draining", "down")}, f"state of {b}: {got}")
        got = {l["state"]: v for l, v in samples(fams, B + "state") if l["backend"] == "2001:db8:2::11"}
        check(got == {"up": 0, "draining": 0, "down": 0, "maintenance": 1}, f"unknown state: {got}")
        # Probe results (/voxrelay/probes): counters and a latency histogram per backend.
        check(value(fams, B + "probes_total", backend="198.51.100.11") == 4, "probes")
        check(value(fams, B + "probe_latency_seconds_bucket", backend="198.51.100.11", le="0.005") == 3 and
              value(fams, B + "probe_latency_seconds_bucket", backend="198.51.100.11", le="+Inf") == 4,
              f"probe histogram {samples(fams, B + 'probe_latency_seconds_bucket')}")
        # Lcores: counters, and the busy ratio first over the run, then between scrapes.
        check(value(fams, "voxrelay_dp_lcore_cycles_total", lcore="1") == 1000, "lcore cycles")
        check(abs(value(fams, "voxrelay_dp_lcore_busy_ratio", lcore="1") - 0.1) < 1e-9, "first busy ratio")
        fake.busy, fake.total = 600, 2000
        fams, _ = scrape(port)
        check(abs(value(fams, "voxrelay_dp_lcore_busy_ratio", lcore="1") - 0.5) < 1e-9,
              f"busy ratio between scrapes: {value(fams, 'voxrelay_dp_lcore_busy_ratio', lcore='1')}")
        check(value(fams, "voxrelay_exporter_truncated_replies_total") == 0, "false truncation")
        # The AF_XDP steering program: packets by port and reason, map syncs; prog_id is no counter.
        S = "voxrelay_dp_steer_"
        check(fams.get(S + "packets_total", {}).get("type") == "counter", "steer packets type")
        check({l["reason"]: v for l, v in samples(fams, S + "packets_total") if l["port"] == "uplink"} ==
              {"passed_kernel": 500, "redirected": 990, "redirect_failed": 0, "drop_not_voice": 12,
               "drop_rate_limited": 3000, "drop_new_reason": 2}, f"steer packets {samples(fams, S + 'packets_total')}")
        check(value(fams, S + "map_syncs_total", port="uplink") == 3 and
              value(fams, S + "map_sync_failures_total", port="uplink") == 1, "steer map syncs")
        check(not any("prog_id" in n for n in fams), "prog_id exported")
        # A balancer answers /voxrelay/relay with null: no relay series, nothing more asked.
        check(not any("_relay_" in n for n in fams), f"relay series of a balancer: {[n for n in fams if '_relay_' in n]}")
        check(not any(c.startswith("/voxrelay/relay/") for c in fake.commands), "relay lists asked of a balancer")
        # Role relay: totals, rooms and SSRCs over two pages each, gauges where values can go down.
        fake.relay = True
        fams, body = scrape(port)
        promtool_lint(body, "relay")
        R = "voxrelay_dp_relay_"
        check(value(fams, R + "rooms") == 2 and fams[R + "rooms"]["type"] == "gauge", "relay rooms gauge")
        check(value(fams, R + "members") == 3 and value(fams, R + "rx_packets_total") == 500, "relay totals")
        check(value(fams, R + "stun_total") == 93 and value(fams, R + "drops_total", reason="relay_no_room") == 1 and
              value(fams, R + "drops_total", reason="relay_auth_fail") == 0, "relay stun, drops")
        check(value(fams, R + "slow_path_total") == 95, "relay slow path (STUN + DTLS)")
        check(R + "room_slow_path_total" not in fams, "a room's slow_path exported")
        check(value(fams, R + "room_rx_packets_total", vip="203.0.113.10", port="40001") == 2, "room on page 2")
        check(value(fams, R + "room_members", port="40000") == 2 and fams[R + "room_members"]["type"] == "gauge",
              "room members gauge")
        check(value(fams, R + "room_info", port="40001", id="3", lcore="2") == 1, "room info")
        check({(l["port"], l["reason"]): v for l, v in samples(fams, R + "room_drops_total")} ==
              {("40000", "relay_not_rtp"): 4}, f"room drops, non-zero only: {samples(fams, R + 'room_drops_total')}")
        lab = {"vip": "203.0.113.10", "port": "40000", "member": "1", "ssrc": "3499283094"}
        check(value(fams, R + "ssrc_packets_total", **lab) == 245 and value(fams, R + "ssrc_bytes_total", **lab) == 100,
              "ssrc counters")
        check(value(fams, R + "ssrc_lost", **lab) == -2 and fams[R + "ssrc_lost"]["type"] == "gauge", "ssrc lost < 0")
        check(value(fams, R + "ssrc_jitter_seconds", **lab) == 0.00125, "ssrc jitter in seconds")
        check(value(fams, R + "ssrc_ext_highest_seq", **lab) == 65600, "ssrc ext_highest_seq")
        check(len(samples(fams, R + "ssrc_packets_total")) == 3, "ssrcs of both pages")
        check(not any(n.startswith(R + "ssrc_roc") or n.startswith(R + "ssrc_started") for n in fams), "roc, started")
        check(value(fams, "voxrelay_exporter_relay_limit_reached", list="ssrcs") == 0, "relay limit")
        check("/voxrelay/relay/ssrcs,1025" in fake.commands and "/voxrelay/relay/rooms,3" in fake.commands,
              "relay pages not followed")
        fake.relay = False

        http_edges(port)

        # The dataplane restarts: the old connection breaks, the scrape reconnects at once.
        connects = value(fams, "voxrelay_exporter_telemetry_connects_total")
        fake.drop_clients()
        fake.pid = 4343
        fams, _ = scrape(port)
        check(value(fams, "voxrelay_dp_up") == 1 and value(fams, "voxrelay_dp_pid") == 4343, "no reconnect")
        check(value(fams, "voxrelay_exporter_telemetry_connects_total") == connects + 1, "connects")
        # A reply that never comes: that scrape says down within the timeout, the next one is fine again.
        fake.hang_on = "/voxrelay/drops"
        t0 = time.time()
        fams, _ = scrape(port)
        took = time.time() - t0
        check(value(fams, "voxrelay_dp_up") == 0 and took < 2.5, f"hung telemetry: up {value(fams, 'voxrelay_dp_up')}, {took:.1f} s")
        fams, _ = scrape(port)
        check(value(fams, "voxrelay_dp_up") == 1, "not back after a timeout")
        # A reply at DPDK's output cap is reported as probably cut.
        fake.big_drops = True
        fams, _ = scrape(port)
        check(value(fams, "voxrelay_exporter_truncated_replies_total") >= 1, "truncation not noticed")
        fake.big_drops = False
        # A dataplane from before /voxrelay/ports: NIC counters from DPDK's ethdev commands, by device name.
        fake.old_dataplane = True
        fake.steer = False
        fams, _ = scrape(port)
        check(value(fams, "voxrelay_dp_up") == 1 and not any(n.startswith("voxrelay_dp_steer_") for n in fams),
              "a dataplane without /voxrelay/steer")
        check(value(fams, "voxrelay_dp_rx_packets_total", port="net_af_xdp0") == 700 and
              value(fams, "voxrelay_dp_rx_missed_total", port="net_af_xdp0") == 3 and
              value(fams, "voxrelay_dp_link_up", port="net_af_xdp0") == 1, "ethdev fallback")
        check(value(fams, "voxrelay_dp_rx_packets_total", port="uplink") is None, "ports of /voxrelay/ports in fallback")
        fake.old_dataplane = False
        fake.steer = True
        # Gone: up 0, still HTTP 200.
        fake.close()
        fake = None
        fams, _ = scrape(port)
        check(value(fams, "voxrelay_dp_up") == 0, "up after the dataplane left")
    finally:
        if fake is not None:
            fake.close()
        print(stop_exporter(exp), end="")
        shutil.rmtree(tmp, ignore_errors=True)
    if failures:
        print(f"{len(failures)} checks failed")
        return 1
    print("exporter_fake: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
