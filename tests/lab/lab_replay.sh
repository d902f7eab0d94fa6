#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Lab test: real G.711/G.729 captures replayed as 250 concurrent flows all reach backend sockets, spread by five-tuple.
set -euo pipefail
# shellcheck source=../../scripts/lab/common.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/../../scripts/lab/common.sh"
[ "$(id -u)" -eq 0 ] || { echo "lab_replay: needs root; skipped"; exit 77; }
need_binaries
"$REPO/scripts/hugepages.sh"
lab_lock
lab_workdir
trap lab_cleanup EXIT

BES=(vr-be1 vr-be2 vr-be3)
lab_up
start_decap "${BES[@]}"
start_sinks "${BES[@]}"
start_dp "$REPO/conf/lab.yaml"
probe_balancer >&2 || die "the balancer does not answer ARP/ND"
replay_captures
stop_sinks "${BES[@]}"
stop_dp
stop_decap "${BES[@]}"
args=(--stats "$WORK/stats.json" --max-loss "${REPLAY_MAX_LOSS:-0.001}")
while read -r l; do args+=(--replay "$l"); done <"$WORK/replay-sent"
for ns in "${BES[@]}"; do args+=(--sink "$WORK/sink-$ns.json" --decap "$ns=$(decap_counters_json "$ns")"); done
"$PY" "$LAB_DIR/report.py" "${args[@]}" || die "replayed traffic did not all arrive"
# Five-tuple hashing spreads 250 flows over all three backends.
for ns in "${BES[@]}"; do
	n=$("$PY" -c 'import json,sys; print(len({(f["src"],f["sport"]) for f in json.load(open(sys.argv[1]))["flows"] if f["tag"]=="-"}))' "$WORK/sink-$ns.json")
	[ "$n" -gt 0 ] || die "$ns received no replayed flow"
done
log "lab_replay: PASS"
