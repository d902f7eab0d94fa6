#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Lab test: HTTP health probes over the kernel's TCP through the tap, encapsulated like traffic: down within interval x fall, only its flows move, back up; fail without the backend's decap.
set -euo pipefail
# shellcheck source=../../scripts/lab/common.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/../../scripts/lab/common.sh"
[ "$(id -u)" -eq 0 ] || { echo "lab_health_http: needs root; skipped"; exit 77; }
need_binaries
"$REPO/scripts/hugepages.sh"
lab_lock
lab_workdir
trap 'lab_cleanup' EXIT

PORT=5004
INTERVAL_MS=200
TIMEOUT_MS=100
FALL=3
RISE=2
TAP=vrprobe0
CTL_SOCK=/run/voxrelay/lab-dp.sock
BE=(vr-be1 vr-be2 vr-be3)

# The backends' health endpoint: http_health.py on VIP:80, one per family.
start_http() { # ns family [extra args]
	local ns=$1 fam=$2 vip
	shift 2
	vip=$([ "$fam" = 6 ] && echo "$LAB_VIP6" || echo "$LAB_VIP4")
	: >"$WORK/http$fam-$ns.log"
	ip netns exec "$ns" "$PY" "$LAB_DIR/http_health.py" "$vip" --name "$ns" "$@" >>"$WORK/http$fam-$ns.log" 2>&1 &
	LAB_PIDS+=("$!")
	eval "HTTP${fam}_PID_${ns//-/_}=$!"
	for _ in $(seq 50); do grep -q serving "$WORK/http$fam-$ns.log" && return 0; sleep 0.1; done
	cat "$WORK/http$fam-$ns.log" >&2
	die "http_health.py did not start in $ns"
}
stop_http() { # ns family
	local pid
	pid=$(eval "echo \${HTTP${2}_PID_${1//-/_}}")
	kill -TERM "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

# The lab's configuration with HTTP health checks on both five-tuple VIPs.
CFG="$WORK/lab.yaml"
"$PY" - "$REPO/conf/lab.yaml" "$CFG" <<PYEOF
import sys
src, dst = sys.argv[1], sys.argv[2]
text = open(src).read()
health = f"      health: {{type: http, path: /healthz, interval: ${INTERVAL_MS}ms, timeout: ${TIMEOUT_MS}ms, rise: $RISE, fall: $FALL}}\n"
for anchor in ("    - address: 10.77.100.1\n      port: 5004\n", "    - address: fd77:100::1\n      port: 5004\n"):
    assert anchor in text
    text = text.replace(anchor, anchor + health)
open(dst, "w").write(text.replace("  ports:\n", "  health: {tap: $TAP}\n  ports:\n", 1))
PYEOF
"$DP_BIN" --check-config "$CFG" >&2 || die "HTTP health configuration does not validate"

# health_field ADDRESS FIELD (of the target on VIP port 5004)
health_field() { health_json | "$PY" -c '
import json, sys
for b in json.load(sys.stdin)["result"]["backends"]:
    if b["address"] == sys.argv[1] and b["vip_port"] == 5004:
        print(b.get(sys.argv[2], ""))' "$1" "$2"; }
health_state() { health_field "$1" health; }
# wait_state ADDRESS STATE [T0_NS]: milliseconds from T0 (default now) until health.list
# shows it, asked every 10 ms from one process; fails after 10 s.
wait_state() {
	local ms
	ms=$("$PY" - "$CTL_SOCK" "$1" "$2" "${3:-$(date +%s%N)}" <<'PYEOF'
import json, socket, sys, time
sock, addr, want, t0 = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
while time.time_ns() - t0 < 10e9:
    s = socket.socket(socket.AF_UNIX); s.connect(sock); s.sendall(b'{"op":"health.list"}\n')
    r = json.loads(s.makefile().readline()); s.close()
    if any(b["address"] == addr and b["vip_port"] == 5004 and b["health"] == want for b in r["result"]["backends"]):
        print((time.time_ns() - t0) // 1000000)
        sys.exit(0)
    time.sleep(0.01)
sys.exit(1)
PYEOF
) || { health_json >&2; die "$1 never became $2"; }
	echo "$ms"
}

lab_up
start_decap "${BE[@]}"
SINK_ADDRS="$LAB_VIP4" start_sinks "${BE[@]}"
for ns in "${BE[@]}"; do
	start_http "$ns" 4
	start_http "$ns" 6
done
start_dp "$CFG"
probe_balancer >&2 || die "the balancer does not answer ARP/ND"
grep -q "tap $TAP: HTTP probes' exception path" "$WORK/dp.log" || { cat "$WORK/dp.log" >&2; die "no tap opened"; }
# Read first, then match: with pipefail, `ip | grep -q` fails when grep
# exits at its first match and ip dies of SIGPIPE.
tap_link=$(ip -n "$LAB_LB" -o link show "$TAP" 2>&1 || true)
tap_addr=$(ip -n "$LAB_LB" -o addr show dev "$TAP" 2>&1 || true)
grep -q NOARP <<<"$tap_link" || die "$TAP is missing or not NOARP: $tap_link"
grep -q "inet $LAB_LB4/32" <<<"$tap_addr" || die "$TAP has no $LAB_LB4/32: $tap_addr"
grep -q "inet6 $LAB_LB6/128" <<<"$tap_addr" || die "$TAP has no $LAB_LB6/128: $tap_addr"
[ "$(ip netns exec "$LAB_LB" cat /proc/sys/net/ipv4/conf/$TAP/rp_filter)" = 0 ] || die "$TAP rp_filter is not 0"
for a in 10.77.2.11 10.77.2.12 10.77.2.13 fd77:2::11 fd77:2::12 fd77:2::13; do
	wait_state "$a" up >/dev/null
	[ "$(health_field "$a" type)" = http ] || die "$a: probe type is not http"
done
# Every backend has answered at least one probe, each over IPv4 and IPv6.
for a in 10.77.2.11 10.77.2.12 10.77.2.13 fd77:2::11 fd77:2::12 fd77:2::13; do
	for _ in $(seq 50); do [ "$(health_field "$a" latency_count)" -gt 0 ] && break; sleep 0.1; done
	[ "$(health_field "$a" latency_count)" -gt 0 ] || { health_json >&2; die "$a answered no HTTP probe"; }
done
grep -q 'GET /healthz' "$WORK/http4-vr-be1.log" || die "vr-be1's HTTP server saw no probe"
grep -q 'GET /healthz' "$WORK/http6-vr-be1.log" || die "vr-be1's IPv6 HTTP server saw no probe"

log "h1: 300 flows on three healthy backends"
health_send h1 30000

log "h2: vr-be2's HTTP server stops; it must be down within interval x fall + timeout"
t0=$(date +%s%N)
stop_http vr-be2 4
took_ms=$(wait_state 10.77.2.12 down "$t0")
# A stopped server refuses at once, so interval x fall is the bound; the
# timeout covers a probe in flight when it stopped, 100 ms the measurement.
limit_ms=$((INTERVAL_MS * FALL + TIMEOUT_MS + 100))
log "vr-be2 marked down after ${took_ms} ms (limit ${limit_ms} ms): $(health_field 10.77.2.12 last_failure)"
[ "$took_ms" -le "$limit_ms" ] || die "marked down after $took_ms ms, more than $limit_ms"
for a in 10.77.2.11 10.77.2.13 fd77:2::12; do [ "$(health_state $a)" = up ] || die "healthy backend $a went down"; done
health_send h2 30000

log "h3: the server is back; vr-be2 must return"
start_http vr-be2 4
took_ms=$(wait_state 10.77.2.12 up)
log "vr-be2 up again after ${took_ms} ms"
health_send h3 31000

log "h4: vr-be3's decap detached, its HTTP server still up: the probe travels encapsulated, so it fails"
t0=$(date +%s%N)
stop_decap vr-be3
ip netns exec vr-be3 "$PY" -c 'import urllib.request as u, sys; sys.exit(u.urlopen("http://10.77.100.1/healthz", timeout=2).status != 200)' ||
	die "vr-be3's server does not answer locally"
# The IPv4 and IPv6 probes run on their own schedules: each must go down,
# for the same reason, without waiting on the other.
for a in 10.77.2.13 fd77:2::13; do
	took_ms=$(wait_state "$a" down "$t0")
	why=$(health_field "$a" last_failure)
	log "vr-be3 ($a) without decap down after ${took_ms} ms: $why"
	case "$why" in *"timed out connecting"*) ;; *) die "vr-be3 ($a) failed for another reason: $why" ;; esac
done
start_decap vr-be3
wait_state 10.77.2.13 up >/dev/null
wait_state fd77:2::13 up >/dev/null

log "h5: vr-be1 answers 503: the status code decides"
stop_http vr-be1 4
start_http vr-be1 4 --status 503
wait_state 10.77.2.11 down >/dev/null
why=$(health_field 10.77.2.11 last_failure)
[ "$why" = "HTTP status 503, expected 200" ] || die "vr-be1 down for: $why"
stop_http vr-be1 4
start_http vr-be1 4
wait_state 10.77.2.11 up >/dev/null

# Telemetry: /voxrelay/probes, as the exporter reads it.
"$PY" - "$WORK/probes.json" <<'PYEOF' || die "/voxrelay/probes"
import json, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect("/var/run/dpdk/vr-lab/dpdk_telemetry.v2")
s.recv(1024)
s.send(b"/voxrelay/probes")
r = json.loads(s.recv(65536))["/voxrelay/probes"]
json.dump(r, open(sys.argv[1], "w"))
ent = {v["address"]: v for k, v in r.items() if isinstance(v, dict)}
assert len(ent) == 6 and "next" not in r, r
for a, v in ent.items():
    assert v["type"] == "http" and v["probes"] > 0 and v["probe_latency_us_count"] > 0, v
    assert v["probe_latency_us_le_1000000"] <= v["probe_latency_us_count"], v
assert ent["10.77.2.12"]["probe_failures"] >= 3, ent["10.77.2.12"]
print("probes telemetry:", {a: (v["probes"], v["probe_failures"]) for a, v in ent.items()})
PYEOF

health_json >"$WORK/health.json"
stop_sinks "${BE[@]}"
stop_dp
ip -n "$LAB_LB" -o link show "$TAP" >/dev/null 2>&1 && die "$TAP still there after the dataplane stopped"
grep -q "lookup 30322" <<<"$(ip -n "$LAB_LB" rule)" && die "policy rule left behind"
"$PY" "$LAB_DIR/health_placement.py" "$WORK" --name lab_health_http --tap || die "placement checks failed"
log "lab_health_http: PASS"
