# SPDX-License-Identifier: BSD-3-Clause
# Shell functions for the relay in the lab: start voxrelay-dp in role relay on a backend namespace, talk to it with voxrelayctl.
# shellcheck shell=bash disable=SC2034
#
# Source after common.sh. RELAY_NS (default vr-be1) runs the relay with
# conf/lab-relay.yaml; the balancer must send the rooms' ports to it alone
# (yaml_backends ... 10.77.2.11) and that backend must have no XDP decap.

RELAY_NS=${RELAY_NS:-vr-be1}
RELAY_CFG=${RELAY_CFG:-$REPO/conf/lab-relay.yaml}
RELAY_SOCK=/run/voxrelay/lab-relay.sock
CTL_BIN=${CTL_BIN:-$BUILD/ctl/voxrelayctl}

# start_relay: voxrelay-dp -c $RELAY_CFG in $RELAY_NS; waits for "ready".
start_relay() {
	: >"$WORK/relay.log"
	ip netns exec "$RELAY_NS" "$DP_BIN" -c "$RELAY_CFG" --stats-json "$WORK/relay-stats.json" \
		>>"$WORK/relay.log" 2>&1 &
	RELAY_PID=$!
	LAB_PIDS+=("$RELAY_PID")
	local t
	for t in $(seq 600); do
		grep -q 'voxrelay-dp: ready' "$WORK/relay.log" && break
		kill -0 "$RELAY_PID" 2>/dev/null || { cat "$WORK/relay.log" >&2; die "relay exited before ready"; }
		sleep 0.1
	done
	grep -q 'voxrelay-dp: ready' "$WORK/relay.log" || { tail -30 "$WORK/relay.log" >&2; die "relay not ready after 60 s"; }
	log "relay ready in $RELAY_NS after ~$((t / 10)) s"
}

# relay_ctl ARGS...: voxrelayctl on the relay's socket (exits non-zero on a refusal).
relay_ctl() {
	"$CTL_BIN" -s "$RELAY_SOCK" "$@"
}

# stop_relay: SIGTERM and wait; its counters land in $WORK/relay-stats.json.
stop_relay() {
	[ -n "${RELAY_PID:-}" ] || return 0
	kill -TERM "$RELAY_PID" 2>/dev/null || true
	for _ in $(seq 100); do kill -0 "$RELAY_PID" 2>/dev/null || break; sleep 0.1; done
	wait "$RELAY_PID" 2>/dev/null || true
	RELAY_PID=
}
