#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# End-to-end demo: builds voxrelay, brings up the lab, sends speech and replays real captures through the balancer, then a voice room through the balancer and the relay, reports.
#
# As root on Debian 12:  scripts/demo.sh
# Environment: BUILD (build directory, default build), KEEP=1 (keep the work
# directory), REPLAY_FLOWS (flows per capture, default 100), REPLAY_MAX_LOSS
# (fraction of replayed packets allowed to go missing, default 0.001),
# SKIP_DEPS=1 / SKIP_BUILD=1 (for repeated runs). See docs/lab.md.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lab/common.sh
. "$here/lab/common.sh"
# shellcheck source=lab/voice.sh
. "$here/lab/voice.sh"
# shellcheck source=lab/relay.sh
. "$here/lab/relay.sh"

if [ "$(id -u)" -ne 0 ]; then
	echo "demo: must run as root (namespaces, XDP, hugepages)" >&2
	exit 1
fi
cd "$REPO"

if [ "${SKIP_DEPS:-0}" != 1 ]; then
	log "installing dependencies (scripts/deps.sh)"
	scripts/deps.sh
fi
if [ "${SKIP_BUILD:-0}" != 1 ]; then
	[ -f "$BUILD/build.ninja" ] || meson setup "$BUILD" >/dev/null
	log "building ($BUILD)"
	ninja -C "$BUILD" >/dev/null
fi
need_binaries
"$DP_BIN" --check-config "$REPO/conf/lab.yaml" >&2 || die "conf/lab.yaml does not validate"
scripts/hugepages.sh

lab_lock
lab_workdir
trap lab_cleanup EXIT
trap 'exit 130' INT TERM

DEMO_BACKENDS=(vr-be1 vr-be2 vr-be3)
lab_up
start_decap "${DEMO_BACKENDS[@]}"
start_sinks "${DEMO_BACKENDS[@]}"
start_dp "$REPO/conf/lab.yaml"
probe_balancer >&2 || die "the balancer does not answer ARP/ND on $LAB_LB_DEV"

audio_rc=0
AUDIO_BACKENDS="${DEMO_BACKENDS[*]}" audio_job "$LAB_VIP4" 50000 40000 || audio_rc=$?
replay_captures

stop_sinks "${DEMO_BACKENDS[@]}"
stop_dp || true
stop_decap "${DEMO_BACKENDS[@]}"

args=(--stats "$WORK/stats.json" --audio "$WORK/audio.json" --max-loss "${REPLAY_MAX_LOSS:-0.001}" --json "$WORK/report.json")
while read -r l; do args+=(--replay "$l"); done <"$WORK/replay-sent"
for ns in "${DEMO_BACKENDS[@]}"; do
	args+=(--sink "$WORK/sink-$ns.json" --decap "$ns=$(decap_counters_json "$ns")")
done
echo
rc=0
"$PY" "$LAB_DIR/report.py" "${args[@]}" || rc=$?
[ "$audio_rc" -eq 0 ] || rc=1

# Part two: vr-be1 becomes the relay host (voxrelay-dp, role relay, AF_XDP on
# its eth0) and the balancer sends it every room; three SRTP clients talk in
# one room, a fourth sits alone in another.
echo
log "relay: three clients in room $LAB_VIP4:50000, one in 50001, through the balancer and the relay on vr-be1"
relay_lb_config "$WORK/lb-relay.yaml"
start_dp "$WORK/lb-relay.yaml"
probe_balancer >&2 || die "the balancer does not answer ARP/ND on $LAB_LB_DEV"
start_relay
relay_rc=0
relay_voice_job || relay_rc=$?
stop_relay
"$PY" - "$WORK/relay-job.json" <<'PYEOF'
import json, sys
j = json.load(open(sys.argv[1]))
print("== relay ==")
r = j["room_50000"]
print(f"room 10.77.100.1:50000: {r['rx_packets']} packets in, {r['tx_packets']} copies out, drops {r['drops'] or 'none'}")
for m in j["members"]:
    s = m["ssrc"][0]
    print(f"  member {m['id']} at {m['address']}: sent {m['rx']}, received {m['tx']}; SSRC {s['ssrc']:#010x} lost {s['cumulative_lost']} jitter {s['jitter_ms']:.2f} ms")
print(f"room 10.77.100.1:50001 (one member): {j['room_50001_tx']} copies out")
print("each client heard exactly the other two, c4 heard nothing" if not j["problems"] else "PROBLEMS: " + "; ".join(j["problems"]))
PYEOF
[ "$relay_rc" -eq 0 ] || rc=1
exit "$rc"
