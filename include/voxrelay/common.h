/* SPDX-License-Identifier: BSD-3-Clause */
/* Shared basics of voxrelay's EAL-free packet logic: addresses, flow keys, limits. */
#ifndef VOXRELAY_COMMON_H
#define VOXRELAY_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define VR_CACHE_LINE 64
#define VR_LIKELY(x) __builtin_expect(!!(x), 1)
#define VR_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define VR_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/** Most VIPs one dataplane serves. */
#define VR_MAX_VIPS 256
/** Most backends over all VIPs; a backend id is an index below this. */
#define VR_MAX_BACKENDS 4096
/** Largest Maglev lookup table size (a prime); default 65537. */
#define VR_MAGLEV_MAX_SIZE 1048573u
#define VR_MAGLEV_DEFAULT_SIZE 65537u
/** Backend id meaning "none" (an empty Maglev table slot, no backend). */
#define VR_BACKEND_NONE UINT16_MAX

/**
 * An IPv4 or IPv6 address. IPv4 addresses are stored IPv4-mapped
 * (::ffff:a.b.c.d, RFC 4291 section 2.5.5.2) so one 16-byte compare serves
 * both families; @family says which one the address is.
 */
struct vr_addr {
	uint8_t family; /**< AF_INET or AF_INET6 */
	uint8_t pad[3];
	union {
		uint8_t b[16];
		uint32_t w[4];
	} a; /**< network byte order; IPv4 in a.w[3] */
};

/** Flow key as conntrack and the five-tuple hash see it (40 bytes, no holes). */
struct vr_flow_key {
	uint8_t src[16];  /**< client address, IPv4-mapped for IPv4 */
	uint8_t dst[16];  /**< VIP address, IPv4-mapped for IPv4 */
	uint16_t sport;   /**< network byte order */
	uint16_t dport;   /**< network byte order */
	uint8_t proto;    /**< IPPROTO_UDP */
	uint8_t family;   /**< AF_INET or AF_INET6 */
	uint16_t vip_id;  /**< VIP the flow belongs to */
};

/** Backend administrative/health state (config `state:`). */
enum vr_backend_state {
	VR_BACKEND_UP = 0,       /**< in the Maglev table; keeps and takes flows */
	VR_BACKEND_DRAINING = 1, /**< out of the table; keeps its conntrack flows */
	VR_BACKEND_DOWN = 2,     /**< out of the table; its flows move on their next packet */
};

/** Set @a to the IPv4 address @be32 (network byte order). */
static inline void vr_addr_set_v4(struct vr_addr *a, uint32_t be32)
{
	memset(a, 0, sizeof(*a));
	a->family = 2; /* AF_INET */
	a->a.b[10] = 0xff;
	a->a.b[11] = 0xff;
	a->a.w[3] = be32;
}

/** True if @x and @y are the same address of the same family. */
static inline bool vr_addr_eq(const struct vr_addr *x, const struct vr_addr *y)
{
	return x->family == y->family && memcmp(x->a.b, y->a.b, 16) == 0;
}

#endif
