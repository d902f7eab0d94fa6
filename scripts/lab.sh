#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The voxrelay lab: clients, a router, the balancer and backends as network namespaces joined by veth pairs.
#
#   lab.sh up | down | status | env
#   lab.sh route-direct BACKEND | route-lb   (diagnostics: bypass the balancer / restore)
#
# Addresses, MACs and names live in scripts/lab/topology.sh so the demo, the
# tests and the pcap rewriter agree with what is built here.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lab/topology.sh
. "$here/lab/topology.sh"

rt() { ip netns exec "$LAB_RT" "$@"; }

# Generic offloads on veth hand CHECKSUM_PARTIAL skbs (UDP checksum not yet
# filled in) to the peer; XDP and AF_XDP see the raw bytes, so the balancer
# would forward, and the backend decap would pass up, packets whose inner
# checksum is wrong and the receiving socket drops them. Turning TX
# checksumming off makes the kernel finish the checksum before the veth.
# TSO/GSO go with it (they depend on TX checksumming).
no_offload() { # ns dev
	ip netns exec "$1" ethtool -K "$2" tx off tso off gso off >/dev/null 2>&1 || true
}

sysctl_ns() { # ns key=value...
	local ns=$1
	shift
	ip netns exec "$ns" sysctl -qw "$@" >/dev/null
}

mkns() {
	ip netns add "$1"
	ip -n "$1" link set lo up
	# No martians, no strict reverse path: DSR replies leave a backend with
	# the VIP as source, which the router reaches through the balancer link.
	sysctl_ns "$1" net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
	sysctl_ns "$1" net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
	sysctl_ns "$1" net.ipv6.conf.all.accept_ra=0 net.ipv6.conf.default.accept_ra=0
}

# veth between namespace $1 (device $2, MAC $3) and namespace $4 (device $5, MAC $6).
mkveth() {
	ip link add "vrtmp$$" type veth peer name "vrtmq$$"
	ip link set "vrtmp$$" netns "$1"
	ip link set "vrtmq$$" netns "$4"
	ip -n "$1" link set "vrtmp$$" name "$2" address "$3"
	ip -n "$4" link set "vrtmq$$" name "$5" address "$6"
	no_offload "$1" "$2"
	no_offload "$4" "$5"
}

up() {
	if ip netns list | grep -qw "$LAB_RT"; then
		echo "lab: already up (run '$0 down' first)" >&2
		exit 1
	fi
	modprobe veth 2>/dev/null || true
	modprobe bridge 2>/dev/null || true

	for ns in "$LAB_RT" "$LAB_LB" "${LAB_CLIENTS[@]}" "${LAB_BACKENDS[@]}"; do
		mkns "$ns"
	done

	# Router: forwards between the three segments.
	sysctl_ns "$LAB_RT" net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
	ip -n "$LAB_RT" link add "$LAB_RT_CBR" address "$LAB_RT_CMAC" type bridge
	ip -n "$LAB_RT" link add "$LAB_RT_BBR" address "$LAB_RT_BMAC" type bridge
	for br in "$LAB_RT_CBR" "$LAB_RT_BBR"; do
		# The bridge forwards at once (no STP listening delay) and IPv6 on it
		# is usable immediately (no DAD).
		ip -n "$LAB_RT" link set "$br" type bridge stp_state 0 forward_delay 0
		sysctl_ns "$LAB_RT" "net.ipv6.conf.$br.accept_dad=0"
		ip -n "$LAB_RT" link set "$br" up
	done
	ip -n "$LAB_RT" addr add "$LAB_RT_C4/24" dev "$LAB_RT_CBR"
	ip -n "$LAB_RT" addr add "$LAB_RT_C6/64" dev "$LAB_RT_CBR" nodad
	ip -n "$LAB_RT" addr add "$LAB_RT_B4/24" dev "$LAB_RT_BBR"
	ip -n "$LAB_RT" addr add "$LAB_RT_B6/64" dev "$LAB_RT_BBR" nodad

	# Clients.
	local i
	for i in "${!LAB_CLIENTS[@]}"; do
		local ns=${LAB_CLIENTS[$i]} dev=${LAB_CLIENT_RTDEV[$i]}
		mkveth "$ns" eth0 "${LAB_CLIENT_MAC[$i]}" "$LAB_RT" "$dev" "$(rt_port_mac c "$i")"
		ip -n "$LAB_RT" link set "$dev" master "$LAB_RT_CBR" up
		ip -n "$ns" addr add "${LAB_CLIENT_4[$i]}/24" dev eth0
		ip -n "$ns" addr add "${LAB_CLIENT_6[$i]}/64" dev eth0 nodad
		ip -n "$ns" link set eth0 up
		ip -n "$ns" route add default via "$LAB_RT_C4"
		ip -n "$ns" -6 route add default via "$LAB_RT_C6"
	done

	# Balancer link. The kernel side of lb0 gets no address: DPDK owns
	# 10.77.0.2 / fd77::2 and answers ARP and ND itself; a kernel address
	# would make two stacks answer. IPv6 off so the kernel sends no router
	# solicitations, MLD reports or DAD probes from it; NOARP for the same
	# reason on IPv4. AF_XDP needs the link up.
	mkveth "$LAB_RT" "$LAB_RT_LDEV" "$LAB_RT_LMAC" "$LAB_LB" "$LAB_LB_DEV" "$LAB_LB_MAC"
	sysctl_ns "$LAB_RT" "net.ipv6.conf.$LAB_RT_LDEV.accept_dad=0"
	ip -n "$LAB_RT" addr add "$LAB_RT_L4/24" dev "$LAB_RT_LDEV"
	ip -n "$LAB_RT" addr add "$LAB_RT_L6/64" dev "$LAB_RT_LDEV" nodad
	ip -n "$LAB_RT" link set "$LAB_RT_LDEV" up
	sysctl_ns "$LAB_LB" "net.ipv6.conf.$LAB_LB_DEV.disable_ipv6=1"
	ip -n "$LAB_LB" link set "$LAB_LB_DEV" arp off
	ip -n "$LAB_LB" link set "$LAB_LB_DEV" up
	# The VIP lives behind the balancer.
	ip -n "$LAB_RT" route add "$LAB_VIP4/32" via "$LAB_LB4" dev "$LAB_RT_LDEV"
	ip -n "$LAB_RT" -6 route add "$LAB_VIP6/128" via "$LAB_LB6" dev "$LAB_RT_LDEV"

	# Backends: VIP on lo (the decap hands the inner packet to the local
	# stack), default route via the router for direct server return.
	for i in "${!LAB_BACKENDS[@]}"; do
		local ns=${LAB_BACKENDS[$i]} dev=${LAB_BACKEND_RTDEV[$i]}
		mkveth "$ns" eth0 "${LAB_BACKEND_MAC[$i]}" "$LAB_RT" "$dev" "$(rt_port_mac b "$i")"
		ip -n "$LAB_RT" link set "$dev" master "$LAB_RT_BBR" up
		ip -n "$ns" addr add "${LAB_BACKEND_4[$i]}/24" dev eth0
		ip -n "$ns" addr add "${LAB_BACKEND_6[$i]}/64" dev eth0 nodad
		ip -n "$ns" link set eth0 up
		ip -n "$ns" addr add "$LAB_VIP4/32" dev lo
		ip -n "$ns" addr add "$LAB_VIP6/128" dev lo nodad
		ip -n "$ns" route add default via "$LAB_RT_B4"
		ip -n "$ns" -6 route add default via "$LAB_RT_B6"
		# The VIP is local here: never answer ARP for it on eth0 (it is the
		# balancer's address on the wire), never source ARP from it.
		sysctl_ns "$ns" net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2
	done
	# rp_filter is per device too; the effective value is max(all, dev).
	for ns in "$LAB_RT" "$LAB_LB" "${LAB_CLIENTS[@]}" "${LAB_BACKENDS[@]}"; do
		local d
		for d in $(ip -n "$ns" -o link show | awk -F': ' '{print $2}' | cut -d@ -f1); do
			sysctl_ns "$ns" "net.ipv4.conf.$d.rp_filter=0" 2>/dev/null || true
		done
	done
	echo "lab: up (${#LAB_CLIENTS[@]} clients, ${#LAB_BACKENDS[@]} backends, VIP $LAB_VIP4 $LAB_VIP6 via $LAB_LB4)"
}

down() {
	local ns
	# Anything still running inside (receivers, decap loaders, the
	# dataplane) would keep the namespace's devices alive; it belongs to
	# the lab, and the lab is going away.
	for ns in "$LAB_RT" "$LAB_LB" "${LAB_CLIENTS[@]}" "${LAB_BACKENDS[@]}"; do
		if ip netns list | awk '{print $1}' | grep -qx "$ns"; then
			local pids
			pids=$(ip netns pids "$ns" 2>/dev/null || true)
			if [ -n "$pids" ]; then
				# shellcheck disable=SC2086
				kill -TERM $pids 2>/dev/null || true
				sleep 1
				pids=$(ip netns pids "$ns" 2>/dev/null || true)
				# shellcheck disable=SC2086
				[ -z "$pids" ] || kill -KILL $pids 2>/dev/null || true
			fi
			ip netns del "$ns" 2>/dev/null || true
		fi
	done
	echo "lab: down"
}

status() {
	local ns any=0
	for ns in "${LAB_CLIENTS[@]}" "$LAB_RT" "$LAB_LB" "${LAB_BACKENDS[@]}"; do
		if ! ip netns list | awk '{print $1}' | grep -qx "$ns"; then
			echo "== $ns: absent"
			continue
		fi
		any=1
		echo "== $ns"
		ip -n "$ns" -br addr show | sed 's/^/   /'
		ip -n "$ns" -d link show | awk '/prog\/xdp/ {print "   xdp: " $0}'
		if [ "$ns" = "$LAB_RT" ]; then
			ip -n "$ns" route show | sed 's/^/   route4: /'
			ip -n "$ns" -6 route show | grep -v '^fe80' | sed 's/^/   route6: /'
			ip -n "$ns" neigh show dev "$LAB_RT_LDEV" | sed 's/^/   neigh: /'
		fi
		local pids
		pids=$(ip netns pids "$ns" 2>/dev/null | tr '\n' ' ')
		[ -z "$pids" ] || echo "   processes: $(for p in $pids; do tr '\0' ' ' </proc/"$p"/cmdline 2>/dev/null | cut -c1-80; echo -n '; '; done)"
	done
	[ "$any" = 1 ] || return 1
}

# Diagnostics only: send VIP traffic straight to one backend, skipping the
# balancer, to tell lab problems from dataplane problems.
route_direct() {
	local be=$1 i
	for i in "${!LAB_BACKENDS[@]}"; do
		if [ "${LAB_BACKENDS[$i]}" = "$be" ]; then
			rt ip route replace "$LAB_VIP4/32" via "${LAB_BACKEND_4[$i]}" dev "$LAB_RT_BBR"
			rt ip -6 route replace "$LAB_VIP6/128" via "${LAB_BACKEND_6[$i]}" dev "$LAB_RT_BBR"
			echo "lab: VIP routed directly to $be (balancer bypassed)"
			return 0
		fi
	done
	echo "lab: no backend $be" >&2
	return 1
}

route_lb() {
	rt ip route replace "$LAB_VIP4/32" via "$LAB_LB4" dev "$LAB_RT_LDEV"
	rt ip -6 route replace "$LAB_VIP6/128" via "$LAB_LB6" dev "$LAB_RT_LDEV"
	echo "lab: VIP routed to the balancer"
}

if [ "$(id -u)" -ne 0 ]; then
	echo "lab: must run as root" >&2
	exit 1
fi
case "${1:-}" in
up) up ;;
down) down ;;
status) status ;;
env) lab_env ;;
route-direct) route_direct "${2:?backend namespace}" ;;
route-lb) route_lb ;;
*)
	echo "usage: $0 up|down|status|env|route-direct BACKEND|route-lb" >&2
	exit 2
	;;
esac
