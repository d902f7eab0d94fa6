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

# relay_lb_config OUT: conf/lab.yaml with the rooms' ports (50000-50999) sent
# to the relay host alone, and idle sleep: two dataplanes and four clients
# share the lab's CPUs.
relay_lb_config() {
	yaml_backends "$1.tmp" "$LAB_VIP4" 50000-50999 "${LAB_BACKEND_4[0]}"
	sed 's/^  burst: 32$/  burst: 32\n  idle_sleep_us: 50/' "$1.tmp" >"$1"
	grep -q idle_sleep_us "$1" || die "relay_lb_config: no burst line to put idle_sleep_us after"
}

# relay_voice_job: the relay's end-to-end job, shared by tests/lab/lab_relay.sh
# and the demo. Needs the lab up, the balancer started with relay_lb_config's
# file and the relay started. c1, c2, c3 join room 10.77.100.1:50000 through
# the balancer, each sends its own sentence (SRTP AES_CM_128_HMAC_SHA1_80,
# PCMA, RFC 6464 levels), each must hear exactly the other two; c4 alone in
# room 50001 must hear nothing. Figures in $WORK/relay-job.json.
relay_voice_job() {
	local names=(c1 c2 c3 c4) i n
	declare -gA RELAY_TX=() RELAY_RX=()
	VOICE_DIR=$WORK/voice-relay
	voice_refs "${names[@]}"
	for i in "${!names[@]}"; do
		n=${names[$i]}
		VOICE_SSRC[$n]=$(printf '0x%08x' $((0x5E1A0001 + i)))
		RELAY_TX[$n]=$(voice_key)
		RELAY_RX[$n]=$(voice_key)
	done
	relay_ctl room add "$LAB_VIP4" 50000 --max-members 8 --max-speakers 3 --audio-level-id 1 >&2
	relay_ctl room add "$LAB_VIP4" 50001 --max-members 8 >&2
	for i in 0 1 2 3; do
		n=${names[$i]}
		# No --client: the relay learns each address from its first packet that authenticates.
		relay_ctl member add "$LAB_VIP4" $((i < 3 ? 50000 : 50001)) $((i + 1)) --ssrc $((VOICE_SSRC[$n])) \
			--suite AES_CM_128_HMAC_SHA1_80 --tx-key "${RELAY_TX[$n]}" --rx-key "${RELAY_RX[$n]}" \
			--clock-rate 8000 >&2
	done
	voice_schedule 2
	for i in 0 1 2 3; do
		n=${names[$i]}
		voice_client_start "$n" "${LAB_CLIENTS[$i]}" "${LAB_CLIENT_4[$i]}:40000" \
			"$LAB_VIP4:$((i < 3 ? 50000 : 50001))" "${RELAY_TX[$n]}" "${RELAY_RX[$n]}" \
			--suite AES_CM_128_HMAC_SHA1_80 --codec pcma --audio-level-id 1
	done
	voice_clients_wait "${names[@]}"
	relay_ctl --json room show "$LAB_VIP4" 50000 >"$WORK/relay-room-50000.json"
	relay_ctl --json room show "$LAB_VIP4" 50001 >"$WORK/relay-room-50001.json"
	relay_ctl room show "$LAB_VIP4" 50000 >&2
	local rc=0
	voice_check_client c1 --expect c2,c3 --self c1 >&2 || { log "c1 did not hear exactly c2 and c3"; rc=1; }
	voice_check_client c2 --expect c1,c3 --self c2 >&2 || { log "c2 did not hear exactly c1 and c3"; rc=1; }
	voice_check_client c3 --expect c1,c2 --self c3 >&2 || { log "c3 did not hear exactly c1 and c2"; rc=1; }
	voice_check_client c4 --expect-none >&2 || { log "c4 (another room) heard something"; rc=1; }
	"$PY" - "$WORK/relay-room-50000.json" "$WORK/relay-room-50001.json" "$WORK/relay-job.json" <<'PYEOF' || rc=1
import json, sys
r0, r1 = (json.load(open(p)) for p in sys.argv[1:3])
bad = []
room = r0["room"]
for reason in ("relay_auth_fail", "relay_replay", "relay_unknown_ssrc", "relay_srtp_error"):
    if room["drops"].get(reason):
        bad.append(f"room 50000 {reason} = {room['drops'][reason]}")
for m in r0["members"]:
    if not m.get("latched") or not m["ssrcs"][0]["packets"]:
        bad.append(f"member {m['id']} not latched or nothing received from it: {m}")
    # each of three members is sent the other two's packets
    if m["counters"]["tx_packets"] < 150:
        bad.append(f"member {m['id']} was sent only {m['counters']['tx_packets']} packets")
if r1["room"]["tx_packets"] != 0:
    bad.append(f"room 50001 (one member) sent {r1['room']['tx_packets']} packets")
fig = {"room_50000": {"rx_packets": room["rx_packets"], "tx_packets": room["tx_packets"], "drops": {k: v for k, v in room["drops"].items() if v}},
       "members": [{"id": m["id"], "address": m.get("address"), "rx": m["counters"]["rx_packets"], "tx": m["counters"]["tx_packets"],
                    "ssrc": [{k: s[k] for k in ("ssrc", "packets", "cumulative_lost", "jitter_ms", "rtcp_packets")} for s in m["ssrcs"]]}
                   for m in r0["members"]],
       "room_50001_tx": r1["room"]["tx_packets"], "problems": bad}
json.dump(fig, open(sys.argv[3], "w"), indent=1)
for b in bad:
    print("relay:", b, file=sys.stderr)
print(f"relay: room 50000 in {room['rx_packets']} out {room['tx_packets']}; room 50001 out {r1['room']['tx_packets']}", file=sys.stderr)
sys.exit(1 if bad else 0)
PYEOF
	return "$rc"
}
