#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Lab test: five-tuple flows stay on their backend across reloads that remove, add and drain backends.
set -euo pipefail
# shellcheck source=../../scripts/lab/common.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/../../scripts/lab/common.sh"
[ "$(id -u)" -eq 0 ] || { echo "lab_stickiness: needs root; skipped"; exit 77; }
need_binaries
"$REPO/scripts/hugepages.sh"
lab_lock
lab_workdir
trap lab_cleanup EXIT

PORT=5004
PKTS=3
# 150 IPv4 flows from each client and 100 IPv6 flows: 400 in all.
FLOWS=400
NEW=150
send_phase() { # tag
	local -a p=()
	ip netns exec vr-c1 "$PY" "$LAB_DIR/flow_sender.py" --src "${LAB_CLIENT_4[0]}" --dst "$LAB_VIP4" --port $PORT \
		--flows 150 --sport-base 30000 --packets $PKTS --pps 800 --tag "$1" >&2 & p+=($!)
	ip netns exec vr-c2 "$PY" "$LAB_DIR/flow_sender.py" --src "${LAB_CLIENT_4[1]}" --dst "$LAB_VIP4" --port $PORT \
		--flows 150 --sport-base 30000 --packets $PKTS --pps 800 --tag "$1" >&2 & p+=($!)
	ip netns exec vr-c2 "$PY" "$LAB_DIR/flow_sender.py" --src "${LAB_CLIENT_6[1]}" --dst "$LAB_VIP6" --port $PORT \
		--flows 100 --sport-base 30000 --packets $PKTS --pps 500 --tag "$1" >&2 & p+=($!)
	local x rc=0
	for x in "${p[@]}"; do wait "$x" || rc=1; done
	[ "$rc" -eq 0 ] || die "a sender failed in phase $1"
}
send_new() { # tag sport-base
	ip netns exec vr-c1 "$PY" "$LAB_DIR/flow_sender.py" --src "${LAB_CLIENT_4[0]}" --dst "$LAB_VIP4" --port $PORT \
		--flows $NEW --sport-base "$2" --packets $PKTS --pps 800 --tag "$1" >&2
}
settle() { sleep 1; }

# The configuration the dataplane runs is rewritten in place, then SIGHUP.
CFG="$WORK/lab.yaml"
# set_backends "V4 backends" "V6 backends": both five-tuple VIPs on port 5004.
set_backends() {
	local v4 v6
	read -r -a v4 <<<"$1"
	read -r -a v6 <<<"$2"
	yaml_backends "$WORK/step.yaml" "$LAB_VIP4" $PORT "${v4[@]}"
	LAB_YAML="$WORK/step.yaml" yaml_backends "$WORK/next.yaml" "$LAB_VIP6" $PORT "${v6[@]}"
	"$DP_BIN" --check-config "$WORK/next.yaml" >&2 || die "generated configuration is invalid"
	mv "$WORK/next.yaml" "$CFG"
}

BE4=(vr-be1 vr-be2 vr-be3 vr-be4)
lab_up
start_decap "${BE4[@]}"
start_sinks "${BE4[@]}"
cp "$REPO/conf/lab.yaml" "$CFG"
start_dp "$CFG"
probe_balancer >&2 || die "the balancer does not answer ARP/ND"

log "p1: $FLOWS flows on be1 be2 be3"
send_phase p1
settle

log "p2: vr-be3 removed from the configuration"
set_backends "10.77.2.11 10.77.2.12" "fd77:2::11 fd77:2::12"
reload_dp
send_phase p2
settle

log "p3: vr-be4 added"
set_backends "10.77.2.11 10.77.2.12 10.77.2.14" "fd77:2::11 fd77:2::12 fd77:2::14"
reload_dp
send_phase p3
send_new p3new 31000
settle

log "p4: vr-be2 draining"
set_backends "10.77.2.11 10.77.2.12=draining 10.77.2.14" "fd77:2::11 fd77:2::12=draining fd77:2::14"
reload_dp
send_phase p4
send_new p4new 32000
settle
# The reloads swapped the configuration; ARP and ND still work.
probe_balancer >&2 || die "the balancer stopped answering ARP/ND after the reloads"

stop_sinks "${BE4[@]}"
stop_dp
args=(--stats "$WORK/stats.json" --port "$PORT")
for ns in "${BE4[@]}"; do
	i=$(be_index "$ns")
	args+=(--sink "$WORK/sink-$ns.json" --backend "$ns=${LAB_BACKEND_4[$i]},${LAB_BACKEND_6[$i]}")
done
"$PY" "$LAB_DIR/report.py" --stats "$WORK/stats.json" >&2 || true
"$PY" "$LAB_DIR/stickiness_check.py" "${args[@]}" --initial vr-be1,vr-be2,vr-be3 --removed vr-be3 \
	--added vr-be4 --draining vr-be2 --flows $FLOWS --new-flows $NEW --packets $PKTS ||
	die "stickiness checks failed"
log "lab_stickiness: PASS"
