/* SPDX-License-Identifier: BSD-3-Clause */
/* Types shared by the backend decapsulation XDP program (bpf/decap.bpf.c) and user space: map keys, config slots, counters. */
#ifndef VOXRELAY_DECAP_H
#define VOXRELAY_DECAP_H

/* linux/types.h rather than stdint.h: this header is also compiled for
 * -target bpf, where glibc's headers are not usable. */
#include <linux/types.h>

#include "voxrelay/bpf_addr.h"

/** Most VIPs the `vips` map holds. */
#define VR_DECAP_MAX_VIPS 256

/** Value of the `vips` map (__u32): which encapsulations are stripped for this VIP. */
enum vr_decap_vip_flags {
	VR_DECAP_VIP_GUE = 1u << 0,  /**< GUE (UDP to the configured port), variants 0 and 1 */
	VR_DECAP_VIP_IPIP = 1u << 1, /**< IPIP, IP6IP6, 4in6, 6in4 (IP protocols 4 and 41) */
	VR_DECAP_VIP_ALL = VR_DECAP_VIP_GUE | VR_DECAP_VIP_IPIP,
};

/** Slots of the `decap_config` array map (values are __u32, host byte order). */
enum vr_decap_config {
	/** Outer UDP destination port of GUE; 0 turns GUE decapsulation off. */
	VR_DECAP_CFG_GUE_PORT = 0,
	VR_DECAP_CFG_MAX,
};

/**
 * Slots of the `decap_stats` per-CPU array map (values are __u64 packet
 * counts). Every packet the program sees lands in exactly one slot.
 */
enum vr_decap_stat {
	VR_DECAP_STAT_GUE = 0,        /**< GUE stripped, inner packet passed to the stack */
	VR_DECAP_STAT_IPIP,           /**< IPIP/IP6IP6/4in6/6in4 stripped, passed to the stack */
	VR_DECAP_STAT_NOT_ENCAP,      /**< not encapsulated (or GUE off / other port): passed untouched */
	VR_DECAP_STAT_NOT_VIP,        /**< encapsulated, inner destination not a VIP accepting it: passed untouched */
	VR_DECAP_STAT_OUTER_UNSUPP,   /**< outer IPv4 options, outer fragment or IPv6 extension header: passed untouched */
	VR_DECAP_STAT_MALFORMED,      /**< truncated or inconsistent headers: dropped */
	VR_DECAP_STAT_ECN_DROP,       /**< outer CE over a Not-ECT inner packet: dropped (RFC 6040 4.2) */
	VR_DECAP_STAT_MAX,
};

#if !defined(__bpf__)
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

/**
 * Name of counter @s as the loader prints it (stable: scripts parse it).
 *
 * @param s  enum vr_decap_stat
 * @return a static string; "unknown" for an out-of-range @s
 */
static inline const char *vr_decap_stat_name(unsigned int s)
{
	static const char *const names[VR_DECAP_STAT_MAX] = {
		[VR_DECAP_STAT_GUE] = "decap_gue",
		[VR_DECAP_STAT_IPIP] = "decap_ipip",
		[VR_DECAP_STAT_NOT_ENCAP] = "pass_not_encap",
		[VR_DECAP_STAT_NOT_VIP] = "pass_not_vip",
		[VR_DECAP_STAT_OUTER_UNSUPP] = "pass_outer_unsupported",
		[VR_DECAP_STAT_MALFORMED] = "drop_malformed",
		[VR_DECAP_STAT_ECN_DROP] = "drop_ecn",
	};
	return s < VR_DECAP_STAT_MAX ? names[s] : "unknown";
}

#endif

#endif
