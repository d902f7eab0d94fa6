#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Lab test: the balancer on net_af_xdp with bpf/steer.bpf.o: voice reaches the backends, the host's own TCP and ping on lb0 still work (not without the program), a flood is cut to rate_pps, junk is dropped in XDP by reason.
set -euo pipefail
# shellcheck source=../../scripts/lab/common.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/../../scripts/lab/common.sh"
[ "$(id -u)" -eq 0 ] || { echo "lab_steer: needs root; skipped"; exit 77; }
need_binaries
EXPORTER_BIN=${EXPORTER_BIN:-$BUILD/exporter/voxrelay-exporter}
[ -x "$EXPORTER_BIN" ] || die "$EXPORTER_BIN not built (BUILD=$BUILD)"
"$REPO/scripts/hugepages.sh"
lab_lock
lab_workdir
trap lab_cleanup EXIT

# The token bucket: RATE packets/s per source, BURST deep. The flood sends
# FLOOD_PPS for FLOOD_S seconds, ten times the rate, while another source
# sends SLOW_PPS, well under it.
RATE=400
BURST=400
FLOOD_PPS=4000
FLOOD_S=3
SLOW_PPS=50
# The kernel's own address on lb0, beside the dataplane's 10.77.0.2.
HOST4=10.77.0.3
HTTP_PORT=8080
VOICE_PORTS=50000-50019
# lab_ctl (common.sh) talks to the balancer's control socket.
# shellcheck disable=SC2034
CTL_SOCK=/run/voxrelay/lab-dp.sock
BES=(vr-be1 vr-be2 vr-be3)
C_VOICE=${LAB_CLIENTS[0]} C_JUNK=${LAB_CLIENTS[1]} C_FLOOD=${LAB_CLIENTS[2]} C_SLOW=${LAB_CLIENTS[3]}
A_VOICE=${LAB_CLIENT_4[0]} A_JUNK=${LAB_CLIENT_4[1]} A_FLOOD=${LAB_CLIENT_4[2]} A_SLOW=${LAB_CLIENT_4[3]}
TRAFFIC="$LAB_DIR/steer_traffic.py"

# conf/lab.yaml with lb0's steer: set to $1, the filter's rate and burst,
# and idle sleeping (two dataplane-less CPUs carry the senders too).
make_cfg() {
	"$PY" - "$REPO/conf/lab.yaml" "$2" "$1" "$RATE" "$BURST" <<'EOF'
import sys
src, out, steer, rate, burst = sys.argv[1:]
text = open(src).read()
port = '      device: "net_af_xdp0,iface=lb0"\n'
assert port in text and "  ports:\n" in text
text = text.replace(port, port + f"      steer: {steer}\n", 1)
text = text.replace("  ports:\n", f"  idle_sleep_us: 50\n  xdp_filter:\n    rate_pps: {rate}\n    burst: {burst}\n  ports:\n", 1)
open(out, "w").write(text)
EOF
	"$DP_BIN" --check-config "$2" >&2 || die "generated configuration $2 is invalid"
}

# The control socket's stats (counters, drops, and "steer" when a port steers) into $WORK/$1.json.
snap() { lab_ctl '{"op":"stats"}' >"$WORK/$1.json"; }

# delta A B WHAT: how much one counter grew from snapshot A to B. WHAT: steer.<reason> (lb0's
# program), voice_rx (the voice VIP's rx_packets), or a top-level counter.
delta() {
	"$PY" - "$WORK/$1.json" "$WORK/$2.json" "$3" <<'EOF'
import json, sys
a, b = (json.load(open(f))["result"] for f in sys.argv[1:3])
def get(r, what):
    if what.startswith("steer."):
        return r["steer"][0]["counters"][what[6:]]
    if what == "voice_rx":
        return next(v["rx_packets"] for v in r["vips"] if v["ports"] == "50000-50999")
    return r[what]
print(get(b, sys.argv[3]) - get(a, sys.argv[3]))
EOF
}

# Datagrams the backends' sockets got from source address $1, over all sinks.
received_from() {
	sleep 1 # the sinks rewrite their JSON every 0.2 s
	"$PY" - "$1" "$WORK"/sink-vr-be[123].json <<'EOF'
import json, sys
src = sys.argv[1]
print(sum(f["packets"] for p in sys.argv[2:] for f in json.load(open(p))["flows"] if f["src"] == src))
EOF
}

jget() { "$PY" -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"; }

# ping and an HTTP GET from the first client to the kernel's $HOST4 on lb0. Returns how many of the two worked.
host_checks() {
	local ok=0
	if ip netns exec "$C_VOICE" ping -c 3 -i 0.2 -W 1 "$HOST4" >"$WORK/ping-$1.log" 2>&1; then ok=$((ok + 1)); fi
	if ip netns exec "$C_VOICE" "$PY" -c '
import sys, urllib.request
body = urllib.request.urlopen(sys.argv[1], timeout=2).read()
sys.exit(0 if b"steer-lab-marker" in body else 1)' "http://$HOST4:$HTTP_PORT/marker.txt" >"$WORK/http-$1.log" 2>&1; then
		ok=$((ok + 1))
	fi
	log "host checks ($1): ping $(grep -o '[0-9]* received' "$WORK/ping-$1.log" || echo failed), HTTP $(
		[ -s "$WORK/http-$1.log" ] && tail -1 "$WORK/http-$1.log" || echo ok)"
	echo "$ok"
}

xdp_prog_name() { ip -n "$LAB_LB" -d link show "$LAB_LB_DEV" | awk '/prog\/xdp/ {for (i = 1; i <= NF; i++) if ($i == "name") print $(i + 1)}'; }

lab_up
# The host keeps an address of its own on lb0 (SSH, BGP, monitoring would use it).
ip -n "$LAB_LB" link set "$LAB_LB_DEV" arp on
ip -n "$LAB_LB" addr add "$HOST4/24" dev "$LAB_LB_DEV"
ip -n "$LAB_LB" route add default via "$LAB_RT_L4"
mkdir -p "$WORK/www"
echo steer-lab-marker >"$WORK/www/marker.txt"
ip netns exec "$LAB_LB" "$PY" -m http.server --bind "$HOST4" --directory "$WORK/www" "$HTTP_PORT" \
	>"$WORK/http-server.log" 2>&1 &
LAB_PIDS+=("$!")
start_decap "${BES[@]}"
SINK_PORTS=$VOICE_PORTS SINK_ADDRS=$LAB_VIP4 start_sinks "${BES[@]}"
make_cfg false "$WORK/nosteer.yaml"
make_cfg true "$WORK/steer.yaml"

log "negative control: DPDK's own XDP program takes every frame of lb0"
start_dp "$WORK/nosteer.yaml"
prog=$(xdp_prog_name)
{ [ -n "$prog" ] && [ "$prog" != vr_steer_xdp ]; } || die "expected DPDK's default XDP program on lb0, got '${prog}'"
n=$(host_checks nosteer)
[ "$n" -eq 0 ] || die "without the steering program $n of ping/TCP to the host's $HOST4 worked: the control shows nothing"
stop_dp
cp "$WORK/stats.json" "$WORK/stats-nosteer.json"

log "the steering program on lb0"
start_dp "$WORK/steer.yaml"
prog=$(xdp_prog_name)
[ "$prog" = vr_steer_xdp ] || die "XDP program on lb0 is '$prog', not vr_steer_xdp"
grep 'steering program' "$WORK/dp.log" >&2
probe_balancer >&2 || die "the balancer does not answer ARP/ND through the steering program"

# (b) the host's own address on the same interface
n=$(host_checks steer)
[ "$n" -eq 2 ] || die "with the steering program only $n of ping and TCP to the host's $HOST4 worked"

# (a) voice to the VIP reaches the backends through the dataplane
snap a0
out=$(ip netns exec "$C_VOICE" "$PY" "$TRAFFIC" rtp --src "$A_VOICE" --dst "$LAB_VIP4" --ports "$VOICE_PORTS" \
	--pps 200 --count 200)
sent=$(jget "$out" sent)
got=$(received_from "$A_VOICE")
snap a1
redir=$(delta a0 a1 steer.redirected)
vrx=$(delta a0 a1 voice_rx)
log "(a) voice: sent $sent, backends received $got, steer redirected +$redir, the voice VIP's rx +$vrx"
[ "$got" -eq "$sent" ] || die "(a) backends received $got of $sent RTP datagrams"
[ "$redir" -ge "$sent" ] || die "(a) steer_stats redirected grew by $redir, less than the $sent sent"
[ "$vrx" -eq "$sent" ] || die "(a) the dataplane counted $vrx datagrams for the voice VIP, $sent sent"

# (c) a flood from one source is cut to about its rate; another source loses nothing
snap c0
ip netns exec "$C_FLOOD" "$PY" "$TRAFFIC" rtp --src "$A_FLOOD" --dst "$LAB_VIP4" --ports "$VOICE_PORTS" \
	--pps "$FLOOD_PPS" --seconds "$FLOOD_S" >"$WORK/flood.json" &
fpid=$!
ip netns exec "$C_SLOW" "$PY" "$TRAFFIC" rtp --src "$A_SLOW" --dst "$LAB_VIP4" --ports "$VOICE_PORTS" \
	--pps "$SLOW_PPS" --seconds "$FLOOD_S" >"$WORK/slow.json" || die "the slow sender failed"
wait "$fpid" || die "the flooding sender failed"
fsent=$(jget "$(cat "$WORK/flood.json")" sent)
fsecs=$(jget "$(cat "$WORK/flood.json")" seconds)
ssent=$(jget "$(cat "$WORK/slow.json")" sent)
fgot=$(received_from "$A_FLOOD")
sgot=$(received_from "$A_SLOW")
snap c1
limited=$(delta c0 c1 steer.drop_rate_limited)
read -r want lo hi rate_seen < <("$PY" -c '
import sys
rate, burst, secs, got = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
want = burst + rate * secs
print(round(want), int(0.8 * rate * secs), int(1.2 * want + 1), round((got - burst) / secs))' \
	"$RATE" "$BURST" "$fsecs" "$fgot")
log "(c) flood: sent $fsent in $fsecs s ($((fsent / FLOOD_S)) pps), backends received $fgot" \
	"(expected burst + rate x time = $want, accepted $lo..$hi; $rate_seen pps after the burst)," \
	"drop_rate_limited +$limited"
log "(c) other source: sent $ssent at $SLOW_PPS pps, backends received $sgot"
[ "$fsent" -ge $((FLOOD_PPS * FLOOD_S * 9 / 10)) ] || die "(c) the flood sent only $fsent datagrams"
{ [ "$fgot" -ge "$lo" ] && [ "$fgot" -le "$hi" ]; } || die "(c) the flooding source got $fgot through, not $lo..$hi"
[ "$sgot" -eq "$ssent" ] || die "(c) the other source lost $((ssent - sgot)) of $ssent datagrams"
[ $((limited + fgot)) -eq "$fsent" ] ||
	die "(c) drop_rate_limited +$limited and $fgot received do not add up to the $fsent sent"

# (d) junk to the VIP port: counted by reason in XDP, never seen by the dataplane
snap d0
declare -A JUNK=([ip45]=50 [rtpv1]=50 [rtpv3]=50 [short]=50 [frag]=20)
frames=0
for kind in ip45 rtpv1 rtpv3 short frag; do
	out=$(ip netns exec "$C_JUNK" "$PY" "$TRAFFIC" junk --kind "$kind" --src "$A_JUNK" --dst "$LAB_VIP4" \
		--ports "$VOICE_PORTS" --pps 500 --count "${JUNK[$kind]}")
	[ "$kind" != frag ] || frames=$(jget "$out" frames)
done
sleep 1
snap d1
jgot=$(received_from "$A_JUNK")
not_voice=$(delta d0 d1 steer.drop_not_voice)
version=$(delta d0 d1 steer.drop_rtp_version)
short=$(delta d0 d1 steer.drop_short)
frag=$(delta d0 d1 steer.drop_fragment)
malformed=$(delta d0 d1 steer.malformed)
dp_drops=$("$PY" - "$WORK/d0.json" "$WORK/d1.json" <<'EOF'
import json, sys
a, b = (json.load(open(f))["result"]["drops"] for f in sys.argv[1:])
print(" ".join(f"{k}+{b[k] - a[k]}" for k in b if b[k] != a[k]))
EOF
)
vip_rx=$(delta d0 d1 voice_rx)
log "(d) junk: drop_not_voice +$not_voice (ip45 + rtpv1: $((JUNK[ip45] + JUNK[rtpv1]))), drop_rtp_version +$version" \
	"(${JUNK[rtpv3]}), drop_short +$short (${JUNK[short]}), drop_fragment +$frag ($frames fragments), malformed +$malformed;" \
	"dataplane drops: ${dp_drops:-none}; VIP rx +$vip_rx; backends got $jgot"
[ "$not_voice" -eq $((JUNK[ip45] + JUNK[rtpv1])) ] || die "(d) drop_not_voice +$not_voice"
[ "$version" -eq "${JUNK[rtpv3]}" ] || die "(d) drop_rtp_version +$version"
[ "$short" -eq "${JUNK[short]}" ] || die "(d) drop_short +$short"
[ "$frag" -eq "$frames" ] || die "(d) drop_fragment +$frag, $frames fragments sent"
[ "$malformed" -eq 0 ] || die "(d) malformed +$malformed"
[ -z "$dp_drops" ] || die "(d) the dataplane's own drop counters moved: $dp_drops"
{ [ "$vip_rx" -eq 0 ] && [ "$jgot" -eq 0 ]; } || die "(d) junk reached the dataplane (VIP rx +$vip_rx) or a backend ($jgot)"

# (e) the maps follow the configuration: a VIP added and removed on the control
# socket, then a reload that turns the filter off.
NEW_PORT=6000
vip_rx_of() { # snapshot, ports: rx_packets of the VIP on $LAB_VIP4 with those ports, or -1
	"$PY" - "$WORK/$1.json" "$2" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))["result"]
print(next((v["rx_packets"] for v in r["vips"] if v["ports"] == sys.argv[2]), -1))
EOF
}
junk_to() { # port count
	ip netns exec "$C_JUNK" "$PY" "$TRAFFIC" junk --kind ip45 --src "$A_JUNK" --dst "$LAB_VIP4" --ports "$1" \
		--pps 500 --count "$2" >/dev/null
	sleep 0.5
}
snap e0
junk_to $NEW_PORT 20
snap e1
[ "$(delta e0 e1 steer.passed_kernel)" -ge 20 ] || die "(e) port $NEW_PORT before vip.add: not passed to the kernel"
ans=$(lab_ctl '{"op":"vip.add","args":{"address":"'"$LAB_VIP4"'","port":'$NEW_PORT',"filter":"none","rate_limit":false,"backends":[{"address":"'"${LAB_BACKEND_4[0]}"'"}]}}')
jget "$ans" ok | grep -q True || die "(e) vip.add refused: $ans"
junk_to $NEW_PORT 20
snap e2
added=$(vip_rx_of e2 $NEW_PORT-$NEW_PORT)
[ "$added" -eq 20 ] || die "(e) after vip.add, the new VIP (filter none) got $added of 20 datagrams starting 0x45"
[ "$(delta e1 e2 steer.drop_not_voice)" -eq 0 ] || die "(e) the new VIP's junk was dropped despite filter none"
ans=$(lab_ctl '{"op":"vip.remove","args":{"vip":"'"$LAB_VIP4"'","port":'$NEW_PORT'}}')
jget "$ans" ok | grep -q True || die "(e) vip.remove refused: $ans"
junk_to $NEW_PORT 20
snap e3
{ [ "$(delta e2 e3 steer.passed_kernel)" -ge 20 ] && [ "$(delta e2 e3 steer.redirected)" -lt 20 ]; } ||
	die "(e) after vip.remove, port $NEW_PORT still steered"
sed -i 's/^  xdp_filter:$/  xdp_filter:\n    enabled: false/' "$WORK/steer.yaml"
"$DP_BIN" --check-config "$WORK/steer.yaml" >&2 || die "reload configuration invalid"
reload_dp
junk_to 50000 20
snap e4
{ [ "$(delta e3 e4 steer.drop_not_voice)" -eq 0 ] && [ "$(delta e3 e4 voice_rx)" -eq 20 ]; } ||
	die "(e) after the reload with the filter off, junk to the voice VIP was still dropped in XDP"
syncs=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["result"]["steer"][0]["map_syncs"])' "$WORK/e4.json")
log "(e) 20 datagrams starting 0x45 to port $NEW_PORT each time: before vip.add passed_kernel +$(delta e0 e1 steer.passed_kernel);" \
	"after it (filter none) the new VIP got $added; after vip.remove passed_kernel +$(delta e2 e3 steer.passed_kernel);" \
	"to the voice VIP after the reload with enabled: false, VIP rx +$(delta e3 e4 voice_rx), drop_not_voice" \
	"+$(delta e3 e4 steer.drop_not_voice); map_syncs $syncs"
[ "$syncs" -eq 4 ] || die "(e) map_syncs $syncs, expected 4 (start, vip.add, vip.remove, reload)"

# The same counters through DPDK telemetry and voxrelay-exporter.
eport=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$EXPORTER_BIN" --file-prefix vr-lab --listen "127.0.0.1:$eport" >"$WORK/exporter.log" 2>&1 &
epid=$!
LAB_PIDS+=("$epid")
snap e0
for _ in $(seq 50); do
	"$PY" -c 'import sys, urllib.request; sys.stdout.buffer.write(urllib.request.urlopen(sys.argv[1], timeout=2).read())' \
		"http://127.0.0.1:$eport/metrics" >"$WORK/metrics.txt" 2>/dev/null && break
	sleep 0.1
done
"$PY" - "$WORK/metrics.txt" "$WORK/e0.json" <<'EOF' || die "the exporter's steering counters disagree with the dataplane's"
import json, re, sys
text = open(sys.argv[1]).read()
want = json.load(open(sys.argv[2]))["result"]["steer"][0]["counters"]
got = {m[0]: int(m[1]) for m in re.findall(r'^voxrelay_dp_steer_packets_total\{port="lb0",reason="(\w+)"\} (\d+)$', text, re.M)}
# drops and fragments cannot move without new traffic; redirected and passed_kernel may (ARP, ND)
exact = [k for k in want if k.startswith("drop_") or k == "malformed"]
bad = [k for k in exact if got.get(k) != want[k]] + [k for k in want if k not in got]
print("exporter: voxrelay_dp_steer_packets_total{port=lb0}:", got)
sys.exit(1 if bad else 0)
EOF
kill -TERM "$epid" 2>/dev/null || true

stop_dp
"$PY" - "$WORK/stats.json" <<'EOF' >&2 || die "--stats-json has no steering counters"
import json, sys
s = json.load(open(sys.argv[1]))["steer"][0]
print(f"--stats-json steer: port {s['port']} prog {s['prog_id']} map_syncs {s['map_syncs']}: {s['counters']}")
sys.exit(0 if s["counters"]["drop_rate_limited"] > 0 and s["map_sync_failures"] == 0 else 1)
EOF
log "lab_steer: PASS"
