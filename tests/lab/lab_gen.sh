#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Lab test: voxrelay-gen on AF_XDP in a client namespace drives a relay room through the balancer; its report shows no loss, then exactly the loss it was given.
#
#   vr-c1 (voxrelay-gen, net_af_xdp on eth0: 4 SRTP members of room 10.77.100.1:50010)
#     -> router -> balancer (vr-lb, GUE) -> relay (vr-be1, voxrelay-dp role relay)
#     -> each member's packets protected for the 3 others, from the VIP straight back to vr-c1
#
# The relay is programmed from the generator's own plan (--plan-only
# --members-out: same seed, same SSRCs and keys). Run 1: no loss on any of
# the 12 sender->receiver flows. Run 2: --tx-drop-every 10 leaves out every
# tenth packet of each member before it leaves the host, a known loss the
# report must show on every flow (as netem would; the lab has no netem).
set -euo pipefail
# shellcheck source=../../scripts/lab/common.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/../../scripts/lab/common.sh"
# shellcheck source=../../scripts/lab/relay.sh
. "$LAB_DIR/relay.sh"
[ "$(id -u)" -eq 0 ] || { echo "lab_gen: needs root; skipped"; exit 77; }
need_binaries
GEN_BIN=${GEN_BIN:-$BUILD/pktgen/gen/voxrelay-gen}
[ -x "$GEN_BIN" ] || die "$GEN_BIN not built (BUILD=$BUILD)"
[ -x "$CTL_BIN" ] || die "$CTL_BIN not built (BUILD=$BUILD)"
"$REPO/scripts/hugepages.sh"
lab_lock
lab_workdir
trap lab_cleanup EXIT

ROOM_PORT=50010
MEMBERS=4
DURATION=${GEN_DURATION:-4}
GEN_ARGS=(--streams "$MEMBERS" --rooms 1 --codec g711 --srtp AES_CM_128_HMAC_SHA1_80 --audio-level-id 0
	--vip "$LAB_VIP4" --port "$ROOM_PORT" --src "${LAB_CLIENT_4[0]}" --src-count 1 --dst-mac "$LAB_RT_CMAC"
	--expect room --key-seed 7 --quiet)

lab_up
relay_lb_config "$WORK/lab.yaml"
start_dp "$WORK/lab.yaml"
probe_balancer >&2 || die "the balancer does not answer ARP/ND"
start_relay

# The plan, then the room and its members on the relay (no --client: the relay latches each address).
"$GEN_BIN" -l 0,1 --no-pci --file-prefix vr-lab-genplan --log-level=lib.eal:error --vdev net_null0 -- \
	"${GEN_ARGS[@]}" --plan-only --members-out "$WORK/members.json" >"$WORK/plan.log" 2>&1 ||
	{ cat "$WORK/plan.log" >&2; die "voxrelay-gen --plan-only failed"; }
"$PY" - "$WORK/members.json" >"$WORK/members.cmds" <<'EOF'
import json, sys
plan = json.load(open(sys.argv[1]))
for room in plan["rooms"]:
    for m in room["members"]:
        print(room["port"], m["id"], m["ssrc"], m["tx_key"], m["rx_key"])
EOF
[ "$(wc -l <"$WORK/members.cmds")" -eq "$MEMBERS" ] || die "plan: $(cat "$WORK/members.json")"

# room_up: the room afresh. Every run starts the members' SRTP indexes
# again (same seed), which the relay's replay protection would refuse
# from a room that saw the previous run (RFC 3711 section 3.3.2).
room_up() {
	relay_ctl room remove "$LAB_VIP4" "$ROOM_PORT" >/dev/null 2>&1 || true
	relay_ctl room add "$LAB_VIP4" "$ROOM_PORT" --max-members 8 >&2
	while read -r port id ssrc tx rx; do
		relay_ctl member add "$LAB_VIP4" "$port" "$id" --ssrc "$ssrc" --suite AES_CM_128_HMAC_SHA1_80 \
			--tx-key "$tx" --rx-key "$rx" --clock-rate 8000 >&2
	done <"$WORK/members.cmds"
}

# AF_XDP takes eth0's traffic, ARP included: the router learns the client's MAC statically.
ip -n "$LAB_RT" neigh replace "${LAB_CLIENT_4[0]}" lladdr "${LAB_CLIENT_MAC[0]}" dev "$LAB_RT_CBR" nud permanent

# run_gen TAG [more options]: one generator run in vr-c1; its JSON report in $WORK/TAG.json.
run_gen() {
	local tag=$1
	shift
	room_up
	ip netns exec "${LAB_CLIENTS[0]}" "$GEN_BIN" -l 0,1 --no-pci --file-prefix "vr-lab-gen-$tag" \
		--log-level=lib.eal:error --vdev net_af_xdp0,iface=eth0 -- \
		"${GEN_ARGS[@]}" --duration "$DURATION" --drain 1 --json "$WORK/$tag.json" "$@" \
		>"$WORK/$tag.log" 2>&1 || { tail -40 "$WORK/$tag.log" >&2; die "voxrelay-gen ($tag) failed"; }
	sed -n '/^duration/,$p' "$WORK/$tag.log" >&2
}

# judge TAG MIN_LOSS_PCT MAX_LOSS_PCT: every one of the 12 flows active, loss of all and of the worst within bounds.
judge() {
	"$PY" - "$WORK/$1.json" "$MEMBERS" "$2" "$3" "$DURATION" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
members, lo, hi, dur = int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
flows = members * (members - 1)
t, w = r["total"], r["worst_loss"]
bad = []
if r["active"] != flows:
    bad.append(f"{r['active']} flows received, expected {flows} (each member hears the {members - 1} others)")
# each flow carries a member's 50 packets/s: most of the run must have arrived
if t["expected"] < flows * 50 * dur * 0.6:
    bad.append(f"only {t['expected']} packets expected over {flows} flows in {dur} s")
if not lo <= t["loss_pct"] <= hi:
    bad.append(f"loss of all flows {t['loss_pct']:.3f} % outside [{lo}, {hi}]")
if not w["loss_pct"] <= hi:
    bad.append(f"worst flow {w['flow']} lost {w['loss_pct']:.3f} % (> {hi})")
if t["dup"] or t["late"]:
    bad.append(f"dup {t['dup']} late {t['late']}")
if t["latency_us"]["count"] == 0:
    bad.append("no latency measured")
print(f"{sys.argv[1]}: {r['active']} flows, expected {t['expected']}, lost {t['lost']} ({t['loss_pct']:.3f} %), "
      f"worst {w['loss_pct']:.3f} %, latency p50 {t['latency_us']['p50']} us p99 {t['latency_us']['p99']} us, "
      f"jitter {t['jitter_ms']} ms")
for b in bad:
    print("  " + b)
sys.exit(1 if bad else 0)
EOF
}

rc=0
run_gen clean
judge clean 0 0 >&2 || { log "run without loss: the report is wrong"; rc=1; }
run_gen drop --tx-drop-every 10
# every tenth packet of each member: 10 % of a flow's packets, give or take the one at either end
judge drop 8.5 11.5 >&2 || { log "run with every tenth packet left out: the report does not show it"; rc=1; }
# the check must be able to fail: the drop run judged as lossless
if judge drop 0 0 >/dev/null 2>&1; then
	log "the judge accepted a run with 10 % loss as lossless"
	rc=1
fi

relay_ctl --json room show "$LAB_VIP4" "$ROOM_PORT" >"$WORK/room.json" || true
stop_relay
stop_dp
[ "$rc" -eq 0 ] || die "lab_gen failed (see $WORK)"
log "lab_gen: PASS"
