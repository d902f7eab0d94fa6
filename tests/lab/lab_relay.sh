#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Lab test: three SRTP voice clients in one relay room hear each other and not themselves; a fourth in another room hears nothing.
#
#   vr-c1, vr-c2, vr-c3  room 10.77.100.1:50000   each hears the other two, never itself
#   vr-c4                room 10.77.100.1:50001   alone: hears nothing, in particular nothing of the first room
#
# Client -> router -> balancer (vr-lb; the rooms' ports go to vr-be1 alone,
# relay_lb_config) -> GUE -> vr-be1, where voxrelay-dp in role relay (AF_XDP
# on eth0, conf/lab-relay.yaml) authenticates with the sender's key and
# protects one copy per other member with that member's key; the copies leave
# from the VIP straight to the clients (DSR). The job itself (rooms and members
# over voxrelayctl, the voice clients, voice_check.py per client, the relay's
# own room counters) is relay_voice_job in scripts/lab/relay.sh, shared with
# the demo; the voice tooling is scripts/lab/voice.sh.
set -euo pipefail
# shellcheck source=../../scripts/lab/common.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/../../scripts/lab/common.sh"
# shellcheck source=../../scripts/lab/voice.sh
. "$LAB_DIR/voice.sh"
# shellcheck source=../../scripts/lab/relay.sh
. "$LAB_DIR/relay.sh"
[ "$(id -u)" -eq 0 ] || { echo "lab_relay: needs root; skipped"; exit 77; }
need_binaries
[ -x "$CTL_BIN" ] || die "$CTL_BIN not built (BUILD=$BUILD)"
"$REPO/scripts/hugepages.sh"
lab_lock
lab_workdir
trap lab_cleanup EXIT

lab_up
relay_lb_config "$WORK/lab.yaml"
"$DP_BIN" --check-config "$WORK/lab.yaml" >&2 || die "generated balancer configuration is invalid"
"$DP_BIN" --check-config "$RELAY_CFG" >&2 || die "$RELAY_CFG is invalid"
start_dp "$WORK/lab.yaml"
probe_balancer >&2 || die "the balancer does not answer ARP/ND"
start_relay

rc=0
relay_voice_job || rc=$?

# Negative control: the check must be able to fail. c1's output, judged as
# if it were c2's, holds c2 itself and lacks c1.
if voice_check_client c1 --expect c1,c3 --self c2 --json "$VOICE_DIR/neg-c1-as-c2.json" >"$VOICE_DIR/neg-c1-as-c2.txt"; then
	cat "$VOICE_DIR/neg-c1-as-c2.txt" >&2
	die "voice_check accepted c1's output as c2's (hearing oneself must fail)"
fi
log "control: c1's output judged as c2's fails: $(grep FAIL: "$VOICE_DIR/neg-c1-as-c2.txt" | tr '\n' ' ')"

stop_relay
stop_dp
[ "$rc" -eq 0 ] || die "relay voice job failed"
log "lab_relay: PASS"
