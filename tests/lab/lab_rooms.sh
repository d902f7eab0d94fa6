#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Lab test: voice rooms (VIP hashed by destination port) keep all members on one backend across reloads.
set -euo pipefail
# shellcheck source=../../scripts/lab/common.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/../../scripts/lab/common.sh"
[ "$(id -u)" -eq 0 ] || { echo "lab_rooms: needs root; skipped"; exit 77; }
need_binaries
"$REPO/scripts/hugepages.sh"
lab_lock
lab_workdir
trap lab_cleanup EXIT

ROOMS=200
NEW=200
BASE=50000
# members TAG CLIENT-INDEX FIRST-PORT COUNT SPORT-BASE: one member per room.
members() {
	ip netns exec "${LAB_CLIENTS[$2]}" "$PY" "$LAB_DIR/flow_sender.py" --src "${LAB_CLIENT_4[$2]}" \
		--dst "$LAB_VIP4" --port "$3" --port-per-flow --flows "$4" --sport-base "$5" \
		--packets 2 --pps 800 --tag "$1" >&2
}
CFG="$WORK/lab.yaml"
set_voice_backends() {
	yaml_backends "$WORK/next.yaml" "$LAB_VIP4" 50000-50999 "$@"
	"$DP_BIN" --check-config "$WORK/next.yaml" >&2 || die "generated configuration is invalid"
	mv "$WORK/next.yaml" "$CFG"
}

BE4=(vr-be1 vr-be2 vr-be3 vr-be4)
lab_up
start_decap "${BE4[@]}"
SINK_ADDRS=$LAB_VIP4 SINK_PORTS=$BASE-$((BASE + ROOMS + NEW - 1)) start_sinks "${BE4[@]}"
cp "$REPO/conf/lab.yaml" "$CFG"
start_dp "$CFG"

log "r1: $ROOMS rooms, one member each"
members r1 0 $BASE $ROOMS 41000
sleep 1

log "r2: vr-be4 added; first members again and a second member per room"
set_voice_backends 10.77.2.11 10.77.2.12 10.77.2.13 10.77.2.14
reload_dp
members r2 0 $BASE $ROOMS 41000
members r2 1 $BASE $ROOMS 41000
members r2new 0 $((BASE + ROOMS)) $NEW 42000
sleep 1

log "r3: vr-be3 removed"
set_voice_backends 10.77.2.11 10.77.2.12 10.77.2.14
reload_dp
members r3 0 $BASE $ROOMS 41000
members r3 1 $BASE $ROOMS 41000
members r3 0 $((BASE + ROOMS)) $NEW 42000
sleep 1

stop_sinks "${BE4[@]}"
stop_dp
args=()
for ns in "${BE4[@]}"; do args+=(--sink "$WORK/sink-$ns.json"); done
"$PY" "$LAB_DIR/report.py" --stats "$WORK/stats.json" >&2 || true
"$PY" "$LAB_DIR/rooms_check.py" "${args[@]}" --initial vr-be1,vr-be2,vr-be3 --added vr-be4 \
	--removed vr-be3 --rooms $ROOMS --new-rooms $NEW || die "room checks failed"
log "lab_rooms: PASS"
