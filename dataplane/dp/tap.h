/* SPDX-License-Identifier: BSD-3-Clause */
/* The exception path of HTTP health probes: a net_tap port whose kernel side runs the probes' TCP. */
#ifndef VOXRELAY_DP_TAP_H
#define VOXRELAY_DP_TAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "voxrelay/config.h"
#include "voxrelay/pkt.h"

struct vr_dp;
struct rte_mbuf;

/** Routing table and rule priority of the probes' policy route ("from <our address> lookup 30322"). */
#define VR_TAP_ROUTE_TABLE 30322
#define VR_TAP_RULE_PRIORITY 30322

/** What the kernel side of the tap is given: its name and the probing port's addresses. */
struct vr_tap_kernel {
	char ifname[VR_CFG_IFNAME_LEN];
	int ifindex;
	bool has_v4, has_v6;
	uint32_t ipv4;       /**< network byte order */
	uint8_t ipv6[16];
};

/**
 * Open the tap: DPDK vdev `net_tap_probe,iface=@ifname` with one RX and one
 * TX queue polled by the main lcore only, its kernel interface set up
 * (vr_tap_kernel_prepare/_configure) with the addresses of the port probes
 * leave from. Main lcore only, after the ports are up; needs CAP_NET_ADMIN.
 * @return 0 (dp->tap set) or -errno, logged; nothing is left behind.
 */
int vr_dp_tap_open(struct vr_dp *dp, const char *ifname);

/** Close the tap and remove what it added to the kernel; NULL tap is a no-op. Main lcore only. */
void vr_dp_tap_close(struct vr_dp *dp);

/**
 * Read what the kernel sent on the tap (main lcore): TCP segments of HTTP
 * probes go to their backend encapsulated (vr_dp_health_http_output);
 * anything else (IPv6 router solicitations, stray resets) is counted and
 * dropped. No-op without a tap.
 */
void vr_dp_tap_poll(struct vr_dp *dp);

/**
 * Hand a TCP segment a worker received for one of our addresses to the
 * kernel: VLAN tag removed, destination MAC set to the tap's, sent on the
 * tap. Takes @m; without a tap it is freed. Main lcore only.
 */
void vr_dp_tap_deliver(struct vr_dp *dp, struct rte_mbuf *m, const struct vr_pkt_info *pi);

/** The tap's kernel interface name, or "" without a tap. */
const char *vr_dp_tap_name(struct vr_dp *dp);

/** The tap's name and counters for health.list, or JSON null without a tap. Main lcore only. */
json_t *vr_dp_tap_json(struct vr_dp *dp);

/**
 * Kernel side, before the port starts: rp_filter 0 on the tap (warning if
 * net.ipv4.conf.all.rp_filter is 1, strict), no IPv6 autoconfiguration
 * (IPv6 off without an IPv6 address), NOARP.
 * @return 0 or -errno with @err.
 */
int vr_tap_kernel_prepare(const struct vr_tap_kernel *k, char *err, size_t errlen);

/**
 * Kernel side, once up: our addresses as /32 and /128 (no DAD), a default
 * route through the tap in table VR_TAP_ROUTE_TABLE and the rule "from
 * <our address> lookup" it (rtnetlink), interface up and NOARP.
 * @return 0 or -errno with @err.
 */
int vr_tap_kernel_configure(const struct vr_tap_kernel *k, char *err, size_t errlen);

/** Remove the policy rules vr_tap_kernel_configure() added (the rest goes with the interface). */
void vr_tap_kernel_teardown(const struct vr_tap_kernel *k);

#endif
