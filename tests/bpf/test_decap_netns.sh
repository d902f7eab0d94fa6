#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# voxrelay-decap on a real veth between two namespaces: encapsulated client datagrams reach a UDP socket on the VIP, replies leave from the VIP.
#
# Namespace vrt-bpf-bal plays balancer and client: it owns the client
# addresses (on lo) and sends GUE / IPIP frames built with scapy. Namespace
# vrt-bpf-be is the backend: VIPs on lo, voxrelay-decap on its veth, a
# plain UDP socket per VIP that answers every datagram. The answer is
# routed straight back to the client address (direct server return), where
# a socket checks it came from the VIP. Runs once per XDP mode.
#
# usage: test_decap_netns.sh PATH/TO/voxrelay-decap [native|generic ...]
set -euo pipefail

DECAP=${1:?usage: $0 PATH/TO/voxrelay-decap [modes...]}
shift
MODES=("$@")
[ "${#MODES[@]}" -gt 0 ] || MODES=(native generic)
PY=/usr/bin/python3 # Debian's python: it has scapy

if [ "$(id -u)" != 0 ]; then
	echo "SKIP: needs root (namespaces, XDP)"
	exit 77
fi
if ! "$PY" -c 'import scapy.all' 2>/dev/null; then
	echo "SKIP: $PY has no scapy (apt-get install python3-scapy)"
	exit 77
fi

NS_BAL=vrt-bpf-bal
NS_BE=vrt-bpf-be
IF_BAL=vrt-bpf-bal0
IF_BE=vrt-bpf-be0
UL_BAL4=10.250.0.1 UL_BE4=10.250.0.2 UL_BAL6=fd00:250::1 UL_BE6=fd00:250::2
CLIENT4=198.51.100.7 CLIENT6=2001:db8:77::7
VIP4=203.0.113.10 VIP6=2001:db8:10::10
DECOY4=203.0.113.99 # local on the backend, socket bound, but not a VIP
GUE_PORT=6080
# The underlay runs a jumbo MTU, as tunnel underlays often do: frames over a
# page make native XDP multi-buffer.
MTU=9000
JUMBO_PAD=8000

TMP=$(mktemp -d /tmp/vrt-bpf-netns.XXXXXX)
PIDS=()

cleanup() {
	local rc=$?
	for p in "${PIDS[@]}"; do
		kill "$p" 2>/dev/null || true
	done
	for p in "${PIDS[@]}"; do
		wait "$p" 2>/dev/null || true
	done
	ip netns del "$NS_BAL" 2>/dev/null || true
	ip netns del "$NS_BE" 2>/dev/null || true
	if [ "$rc" -ne 0 ]; then
		for f in "$TMP"/*.log; do
			[ -e "$f" ] && { echo "--- $f"; cat "$f"; }
		done
	fi
	rm -rf "$TMP"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() {
	echo "FAIL: $*"
	exit 1
}

bal() { ip netns exec "$NS_BAL" "$@"; }
be() { ip netns exec "$NS_BE" "$@"; }

# Polls (0.1 s steps, up to $2 s) until file $1 exists.
wait_file() {
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		[ -e "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

# Polls (0.1 s steps, up to $2 s) until file $1 has a line matching $3.
wait_for() {
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		grep -q -- "$3" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

setup() {
	ip netns del "$NS_BAL" 2>/dev/null || true
	ip netns del "$NS_BE" 2>/dev/null || true
	ip netns add "$NS_BAL"
	ip netns add "$NS_BE"
	ip link add "$IF_BAL" netns "$NS_BAL" type veth peer name "$IF_BE" netns "$NS_BE"
	for ns in "$NS_BAL" "$NS_BE"; do
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
		ip -n "$ns" link set lo up
	done
	# Strict reverse-path filtering on the backend: the decapsulated packet
	# must look like it arrived where the route to the client points.
	be sysctl -qw net.ipv4.conf.all.rp_filter=1 net.ipv4.conf.default.rp_filter=1

	ip -n "$NS_BAL" addr add "$UL_BAL4/24" dev "$IF_BAL"
	ip -n "$NS_BAL" addr add "$UL_BAL6/64" dev "$IF_BAL" nodad
	ip -n "$NS_BAL" addr add "$CLIENT4/32" dev lo
	ip -n "$NS_BAL" addr add "$CLIENT6/128" dev lo nodad
	ip -n "$NS_BE" addr add "$UL_BE4/24" dev "$IF_BE"
	ip -n "$NS_BE" addr add "$UL_BE6/64" dev "$IF_BE" nodad
	ip -n "$NS_BE" addr add "$VIP4/32" dev lo
	ip -n "$NS_BE" addr add "$VIP6/128" dev lo nodad
	ip -n "$NS_BE" addr add "$DECOY4/32" dev lo
	ip -n "$NS_BAL" link set "$IF_BAL" mtu "$MTU" up
	ip -n "$NS_BE" link set "$IF_BE" mtu "$MTU" up
	ip -n "$NS_BAL" route add 203.0.113.0/24 via "$UL_BE4"
	ip -n "$NS_BAL" route add 2001:db8:10::/64 via "$UL_BE6"
	ip -n "$NS_BE" route add 198.51.100.0/24 via "$UL_BAL4"
	ip -n "$NS_BE" route add 2001:db8:77::/64 via "$UL_BAL6"
	# The reply path must work before any decap happens.
	bal ping -c1 -W2 -q "$UL_BE4" >/dev/null || fail "underlay IPv4 ping"
	bal ping -6 -c1 -W2 -q "$UL_BE6" >/dev/null || fail "underlay IPv6 ping"
}

# UDP sockets that log each datagram as "recv LOCAL PEER LENGTH SHA256" and,
# with --reply, answer "reply:" + payload from the same socket.
cat >"$TMP/udp_peer.py" <<'EOF'
import hashlib, select, socket, sys, time
reply = sys.argv[1] == "--reply"
ready, duration, binds = sys.argv[2], float(sys.argv[3]), sys.argv[4:]
socks = []
for b in binds:
    host, port = b.rsplit(":", 1)
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.bind((host, int(port)))
    socks.append((s, b))
open(ready, "w").close()
end = time.time() + duration
while time.time() < end:
    r, _, _ = select.select([s for s, _ in socks], [], [], 0.2)
    for s in r:
        data, peer = s.recvfrom(65535)
        local = next(b for x, b in socks if x is s)
        print("recv %s %s:%d %d %s" % (local, peer[0], peer[1], len(data), hashlib.sha256(data).hexdigest()), flush=True)
        if reply:
            s.sendto(b"reply:" + data, peer)
EOF

# Sends the encapsulated frames: "NAME FAMILY-OUTER ENCAP INNER-DST PAYLOAD" per line on stdin;
# jumbo-* cases get JUMBO_PAD bytes of "J" after the payload text.
cat >"$TMP/send.py" <<'EOF'
import sys
from scapy.all import Ether, IP, IPv6, UDP, Raw, sendp
iface, dmac = sys.argv[1], sys.argv[2]
bal4, be4, bal6, be6, cli4, cli6, gue_port, jumbo_pad = sys.argv[3:11]
frames = []
for line in sys.stdin:
    name, outer, encap, dst, payload = line.split()
    data = payload.encode() + (b"J" * int(jumbo_pad) if name.startswith("jumbo") else b"")
    inner = (IPv6(src=cli6, dst=dst) if ":" in dst else IP(src=cli4, dst=dst)) / UDP(sport=5004, dport=7000) / Raw(data)
    inner = inner.__class__(bytes(inner))  # freeze real checksums
    o = IP(src=bal4, dst=be4) if outer == "4" else IPv6(src=bal6, dst=be6)
    if encap == "gue0":
        gue = bytes([0x00, 41 if ":" in dst else 4, 0, 0])
        pkt = o / UDP(sport=40001, dport=int(gue_port)) / Raw(gue + bytes(inner))
    elif encap == "gue1":
        pkt = o / UDP(sport=40002, dport=int(gue_port)) / Raw(bytes(inner))
    else:
        if outer == "4":
            o.proto = 41 if ":" in dst else 4
        else:
            o.nh = 41 if ":" in dst else 4
        pkt = o / Raw(bytes(inner))
    frames.append(Ether(dst=dmac) / pkt)
sendp(frames, iface=iface, verbose=False)
print("sent %d" % len(frames))
EOF

# "LENGTH SHA256" of PREFIX + PAYLOAD + PAD bytes of "J", as udp_peer.py logs it.
digest() {
	local f="$TMP/digest.bin"
	{
		printf '%s%s' "$1" "$2"
		head -c "$3" /dev/zero | tr '\0' J
	} >"$f"
	echo "$(stat -c %s "$f") $(sha256sum "$f" | cut -d' ' -f1)"
}

run_mode() {
	local mode=$1 tag decap_pid stat_line payload name
	local -a cases
	tag="$mode-$$-$RANDOM"
	echo "== mode $mode"

	# Not through be(): $! must be the loader itself (ip netns exec execs it)
	# so the signals below reach it.
	ip netns exec "$NS_BE" "$DECAP" --iface "$IF_BE" --vip "$VIP4" --vip "$VIP6" --gue-port "$GUE_PORT" \
		--mode "$mode" >"$TMP/decap-$mode.log" 2>&1 &
	decap_pid=$!
	PIDS+=("$decap_pid")
	wait_for "$TMP/decap-$mode.log" 10 "attached to $IF_BE" || fail "voxrelay-decap did not attach ($mode)"
	grep -q "$mode mode" "$TMP/decap-$mode.log" || fail "attached, but not in $mode mode"

	rm -f "$TMP/ready-be" "$TMP/ready-cli"
	ip netns exec "$NS_BE" "$PY" "$TMP/udp_peer.py" --reply "$TMP/ready-be" 12 "$VIP4:7000" "$VIP6:7000" "$DECOY4:7000" \
		>"$TMP/backend-$mode.log" 2>&1 &
	PIDS+=($!)
	ip netns exec "$NS_BAL" "$PY" "$TMP/udp_peer.py" --listen "$TMP/ready-cli" 12 "$CLIENT4:5004" "$CLIENT6:5004" \
		>"$TMP/client-$mode.log" 2>&1 &
	PIDS+=($!)
	wait_file "$TMP/ready-be" 10 || fail "backend sockets not ready"
	wait_file "$TMP/ready-cli" 10 || fail "client sockets not ready"

	# name outer encap inner-dst payload; the decoy ones must not arrive.
	cases=(
		"gue0-4in4 4 gue0 $VIP4 vrt-bpf-gue0-4in4-$tag"
		"gue0-6in4 4 gue0 $VIP6 vrt-bpf-gue0-6in4-$tag"
		"gue0-4in6 6 gue0 $VIP4 vrt-bpf-gue0-4in6-$tag"
		"gue1-6in6 6 gue1 $VIP6 vrt-bpf-gue1-6in6-$tag"
		"ipip-4in4 4 ipip $VIP4 vrt-bpf-ipip-4in4-$tag"
		"ip6ip6 6 ipip $VIP6 vrt-bpf-ip6ip6-$tag"
		"jumbo-gue0-4in4 4 gue0 $VIP4 vrt-bpf-jumbo-gue0-4in4-$tag"
		"jumbo-ip6ip6 6 ipip $VIP6 vrt-bpf-jumbo-ip6ip6-$tag"
		"decoy-gue 4 gue0 $DECOY4 vrt-bpf-decoy-gue-$tag"
		"decoy-ipip 4 ipip $DECOY4 vrt-bpf-decoy-ipip-$tag"
	)
	printf '%s\n' "${cases[@]}" |
		bal "$PY" "$TMP/send.py" "$IF_BAL" "$(be cat /sys/class/net/$IF_BE/address)" \
			"$UL_BAL4" "$UL_BE4" "$UL_BAL6" "$UL_BE6" "$CLIENT4" "$CLIENT6" "$GUE_PORT" "$JUMBO_PAD" \
			>"$TMP/send-$mode.log" 2>&1 || fail "sending with scapy"

	for c in "${cases[@]}"; do
		read -r name _ _ dst payload <<<"$c"
		local want want_reply peer_cli vip_local pad=0
		[[ $name == jumbo-* ]] && pad=$JUMBO_PAD
		want=$(digest "" "$payload" "$pad")
		want_reply=$(digest "reply:" "$payload" "$pad")
		if [[ $name == decoy-* ]]; then
			continue
		fi
		if [[ $dst == *:* ]]; then
			peer_cli="$CLIENT6:5004"
			vip_local="$VIP6:7000"
		else
			peer_cli="$CLIENT4:5004"
			vip_local="$VIP4:7000"
		fi
		wait_for "$TMP/backend-$mode.log" 5 "^recv $vip_local $peer_cli $want\$" ||
			fail "$mode $name: the socket on $vip_local did not get the exact datagram from $peer_cli"
		wait_for "$TMP/client-$mode.log" 5 "^recv $peer_cli $vip_local $want_reply\$" ||
			fail "$mode $name: no reply from $vip_local reached $peer_cli (DSR)"
		echo "ok $mode $name: ${want%% *} bytes delivered to $vip_local from $peer_cli, reply came from $vip_local"
	done
	# Give stragglers a moment, then nothing may have reached the decoy.
	sleep 0.5
	if grep -q "^recv $DECOY4:7000 " "$TMP/backend-$mode.log"; then
		fail "$mode: a non-VIP encapsulated packet was delivered"
	fi
	[ "$(grep -c '^recv ' "$TMP/backend-$mode.log")" = 8 ] || fail "$mode: backend got other than the 8 datagrams"
	echo "ok $mode decoy: encapsulated packets for the non-VIP $DECOY4 were not delivered"

	be "$DECAP" --iface "$IF_BE" --stats >"$TMP/stats-$mode.log" 2>&1 || fail "--stats failed"
	grep -q "decap_gue=5 decap_ipip=3 " "$TMP/stats-$mode.log" || fail "$mode --stats: $(cat "$TMP/stats-$mode.log")"
	echo "ok $mode --stats: $(cat "$TMP/stats-$mode.log")"

	kill -USR1 "$decap_pid"
	wait_for "$TMP/decap-$mode.log" 5 "stats iface=$IF_BE" || fail "no counters on SIGUSR1"
	kill -TERM "$decap_pid"
	wait "$decap_pid" || fail "voxrelay-decap exited with $?"
	stat_line=$(grep "final iface=$IF_BE" "$TMP/decap-$mode.log") || fail "no final counters"
	for want in decap_gue=5 decap_ipip=3 pass_not_vip=2 pass_outer_unsupported=0 drop_malformed=0 drop_ecn=0; do
		[[ " $stat_line " == *" $want "* ]] || fail "$mode counters: want $want in: $stat_line"
	done
	echo "ok $mode counters: $stat_line"
	if ip -n "$NS_BE" link show "$IF_BE" | grep -q "xdp"; then
		fail "$mode: XDP still attached after SIGTERM"
	fi
	echo "ok $mode detached"
	# The backend peer keeps running until its timeout otherwise.
	for p in "${PIDS[@]}"; do
		kill "$p" 2>/dev/null || true
	done
	PIDS=()
}

setup
for m in "${MODES[@]}"; do
	run_mode "$m"
done

# Error handling of the loader (exit codes as documented).
rc=0
be "$DECAP" --iface vrt-bpf-nope --vip "$VIP4" >/dev/null 2>&1 || rc=$?
[ "$rc" = 3 ] || fail "missing interface: exit $rc, want 3"
rc=0
be "$DECAP" --iface "$IF_BE" --vip 203.0.113 >/dev/null 2>&1 || rc=$?
[ "$rc" = 2 ] || fail "bad address: exit $rc, want 2"
rc=0
be "$DECAP" --iface "$IF_BE" >/dev/null 2>&1 || rc=$?
[ "$rc" = 2 ] || fail "no --vip: exit $rc, want 2"
rc=0
be "$DECAP" --iface "$IF_BE" --stats >/dev/null 2>&1 || rc=$?
[ "$rc" = 1 ] || fail "--stats with nothing attached: exit $rc, want 1"
echo "ok loader errors: exit codes 3 (no interface), 2 (bad address, no VIP), 1 (--stats, nothing attached)"
echo "PASS"
