/* SPDX-License-Identifier: BSD-3-Clause */
/* Types shared by the backend decapsulation XDP program (bpf/decap.bpf.c) and user space: map keys, config slots, counters. */
#ifndef VOXRELAY_DECAP_H
#define VOXRELAY_DECAP_H

/* linux/types.h rather than stdint.h: this header is also compiled for
 * -target bpf, where glibc's headers are not usable. */
#include <linux/types.h>

/** Most VIPs the `vips` map holds. */
#define VR_DECAP_MAX_VIPS 256

/** Address families of struct vr_decap_vip_key (the values of AF_INET / AF_INET6). */
#define VR_DECAP_AF_INET 2
#define VR_DECAP_AF_INET6 10

/**
 * Key of the `vips` map: one VIP. Same layout idea as struct vr_addr, but
 * with the family after the address so the key has no hole before it.
 * The whole 20 bytes are hashed, so @pad must be zero.
 */
struct vr_decap_vip_key {
	__u8 addr[16]; /**< network byte order; IPv4 as ::ffff:a.b.c.d (RFC 4291 2.5.5.2) */
	__u8 family;   /**< VR_DECAP_AF_INET or VR_DECAP_AF_INET6 */
	__u8 pad[3];   /**< zero */
};

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

/**
 * Fill @k from the textual IPv4 or IPv6 address @s (inet_pton syntax, no
 * prefix length, no zone).
 *
 * @param s  address text, e.g. "203.0.113.10" or "2001:db8::10"
 * @param k  out: zeroed, then address and family set
 * @return 0, or -EINVAL if @s is NULL or not an address
 */
static inline int vr_decap_vip_key_parse(const char *s, struct vr_decap_vip_key *k)
{
	unsigned char buf[16];

	memset(k, 0, sizeof(*k));
	if (s == NULL)
		return -EINVAL;
	if (inet_pton(AF_INET, s, buf) == 1) {
		k->addr[10] = 0xff;
		k->addr[11] = 0xff;
		memcpy(&k->addr[12], buf, 4);
		k->family = VR_DECAP_AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, buf) == 1) {
		memcpy(k->addr, buf, 16);
		k->family = VR_DECAP_AF_INET6;
		return 0;
	}
	return -EINVAL;
}
#endif

#endif
