# SPDX-License-Identifier: BSD-3-Clause
# The lab's names, addresses and MACs, sourced by lab.sh, the demo and the tests (one place to change them).
# shellcheck shell=bash
# shellcheck disable=SC2034

LAB_RT=vr-rt
LAB_LB=vr-lb

# Router side: a bridge per host segment, a plain veth to the balancer.
LAB_RT_CBR=brc
LAB_RT_CMAC=02:77:01:00:00:01
LAB_RT_C4=10.77.1.1
LAB_RT_C6=fd77:1::1
LAB_RT_BBR=brb
LAB_RT_BMAC=02:77:02:00:00:01
LAB_RT_B4=10.77.2.1
LAB_RT_B6=fd77:2::1
LAB_RT_LDEV=lb
LAB_RT_LMAC=02:77:00:00:00:01
LAB_RT_L4=10.77.0.1
LAB_RT_L6=fd77::1

# Balancer: DPDK (AF_XDP) on lb0; these addresses exist only in voxrelay-dp.
LAB_LB_DEV=lb0
LAB_LB_MAC=02:77:00:00:00:02
LAB_LB4=10.77.0.2
LAB_LB6=fd77::2

LAB_VIP4=10.77.100.1
LAB_VIP6=fd77:100::1
LAB_GUE_PORT=6080

# vr-c3 and vr-c4 are the third and fourth voice clients of the relay test
# (tests/lab/lab_relay.sh); the other tests use the first two.
LAB_CLIENTS=(vr-c1 vr-c2 vr-c3 vr-c4)
LAB_CLIENT_RTDEV=(c1 c2 c3 c4)
LAB_CLIENT_MAC=(02:77:01:00:00:11 02:77:01:00:00:12 02:77:01:00:00:13 02:77:01:00:00:14)
LAB_CLIENT_4=(10.77.1.11 10.77.1.12 10.77.1.13 10.77.1.14)
LAB_CLIENT_6=(fd77:1::11 fd77:1::12 fd77:1::13 fd77:1::14)

# vr-be4 is a spare: not in conf/lab.yaml, the stickiness test adds it.
LAB_BACKENDS=(vr-be1 vr-be2 vr-be3 vr-be4)
LAB_BACKEND_RTDEV=(be1 be2 be3 be4)
LAB_BACKEND_MAC=(02:77:02:00:00:11 02:77:02:00:00:12 02:77:02:00:00:13 02:77:02:00:00:14)
LAB_BACKEND_4=(10.77.2.11 10.77.2.12 10.77.2.13 10.77.2.14)
LAB_BACKEND_6=(fd77:2::11 fd77:2::12 fd77:2::13 fd77:2::14)

# MAC of the router's bridge port facing client/backend number $2 (segment $1: c or b).
rt_port_mac() {
	if [ "$1" = c ]; then
		printf '02:77:01:00:01:%02x\n' "$((0x11 + $2))"
	else
		printf '02:77:02:00:01:%02x\n' "$((0x11 + $2))"
	fi
}

lab_env() {
	local v
	for v in LAB_RT LAB_LB LAB_RT_CMAC LAB_RT_C4 LAB_RT_LMAC LAB_RT_L4 LAB_LB_DEV LAB_LB_MAC LAB_LB4 LAB_LB6 LAB_VIP4 LAB_VIP6; do
		echo "$v=${!v}"
	done
	echo "LAB_CLIENTS=${LAB_CLIENTS[*]}"
	echo "LAB_CLIENT_MAC=${LAB_CLIENT_MAC[*]}"
	echo "LAB_CLIENT_4=${LAB_CLIENT_4[*]}"
	echo "LAB_BACKENDS=${LAB_BACKENDS[*]}"
	echo "LAB_BACKEND_4=${LAB_BACKEND_4[*]}"
}
