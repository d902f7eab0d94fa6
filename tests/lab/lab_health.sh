#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Lab test: a backend whose echo responder dies is marked down within interval x fall, only its flows move; it comes back.
set -euo pipefail
# shellcheck source=../../scripts/lab/common.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/../../scripts/lab/common.sh"
[ "$(id -u)" -eq 0 ] || { echo "lab_health: needs root; skipped"; exit 77; }
need_binaries
"$REPO/scripts/hugepages.sh"
lab_lock
lab_workdir
trap 'kill ${ECHO_PIDS[*]:-} 2>/dev/null || true; lab_cleanup' EXIT

PORT=5004
HPORT=7
INTERVAL_MS=200
FALL=3
RISE=2
CTL_SOCK=/run/voxrelay/lab-dp.sock
BE=(vr-be1 vr-be2 vr-be3)
declare -A ECHO_PID
ECHO_PIDS=()

start_echo() { # ns
	ip netns exec "$1" "$PY" "$LAB_DIR/udp_echo.py" serve "$LAB_VIP4" $HPORT "$1" >"$WORK/echo-$1.log" 2>&1 &
	ECHO_PID[$1]=$!
	ECHO_PIDS+=("$!")
}

# The lab's configuration with UDP echo health checks on the IPv4 five-tuple VIP.
CFG="$WORK/lab.yaml"
"$PY" - "$REPO/conf/lab.yaml" "$CFG" <<PYEOF
import sys
src, dst = sys.argv[1], sys.argv[2]
text = open(src).read()
anchor = "    - address: 10.77.100.1\n      port: 5004\n"
assert anchor in text
health = f"      health: {{type: udp-echo, port: $HPORT, interval: ${INTERVAL_MS}ms, timeout: 100ms, rise: $RISE, fall: $FALL}}\n"
open(dst, "w").write(text.replace(anchor, anchor + health))
PYEOF
"$DP_BIN" --check-config "$CFG" >&2 || die "health configuration does not validate"

health_state() { health_json | "$PY" -c '
import json, sys
for b in json.load(sys.stdin)["result"]["backends"]:
    if b["address"] == sys.argv[1] and b["vip_port"] == 5004:
        print(b["health"])' "$1"; }

lab_up
start_decap "${BE[@]}"
SINK_ADDRS="$LAB_VIP4" start_sinks "${BE[@]}"
for ns in "${BE[@]}"; do start_echo "$ns"; done
start_dp "$CFG"
probe_balancer >&2 || die "the balancer does not answer ARP/ND"
sleep 1
for a in 10.77.2.11 10.77.2.12 10.77.2.13; do
	[ "$(health_state $a)" = up ] || { health_json >&2; die "backend $a not up at start"; }
done

log "h1: 300 flows on three healthy backends"
health_send h1 30000

log "h2: vr-be2's responder stops; it must be down within interval x fall"
kill "${ECHO_PID[vr-be2]}"
t0=$(date +%s%N)
for _ in $(seq 100); do
	[ "$(health_state 10.77.2.12)" = down ] && break
	sleep 0.05
done
t1=$(date +%s%N)
[ "$(health_state 10.77.2.12)" = down ] || { health_json >&2; die "vr-be2 never marked down"; }
took_ms=$(((t1 - t0) / 1000000))
limit_ms=$((INTERVAL_MS * (FALL + 1) + 500))
log "vr-be2 marked down after ${took_ms} ms (limit ${limit_ms} ms)"
[ "$took_ms" -le "$limit_ms" ] || die "marked down after $took_ms ms, more than $limit_ms"
for a in 10.77.2.11 10.77.2.13; do [ "$(health_state $a)" = up ] || die "healthy backend $a went down"; done
health_send h2 30000

log "h3: the responder is back; vr-be2 must return"
start_echo vr-be2
for _ in $(seq 100); do
	[ "$(health_state 10.77.2.12)" = up ] && break
	sleep 0.05
done
[ "$(health_state 10.77.2.12)" = up ] || { health_json >&2; die "vr-be2 never came back up"; }
health_send h3 31000

health_json >"$WORK/health.json"
stop_sinks "${BE[@]}"
stop_dp
"$PY" "$LAB_DIR/health_placement.py" "$WORK" || die "placement checks failed"
log "lab_health: PASS"
