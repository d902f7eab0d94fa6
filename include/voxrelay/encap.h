/* SPDX-License-Identifier: BSD-3-Clause */
/* Encapsulation towards backends: GUE (UDP) or IPIP/IP6IP6, written in front of the inner IP packet. */
#ifndef VOXRELAY_ENCAP_H
#define VOXRELAY_ENCAP_H

#include <stdint.h>

#include "voxrelay/common.h"

/** Encapsulation kinds (config `encap:`). */
enum vr_encap_type {
	VR_ENCAP_GUE = 0,  /**< outer IP + UDP + 4-byte GUE header (variant 0) */
	VR_ENCAP_IPIP = 1, /**< outer IP, protocol 4 (IPv4 inner) or 41 (IPv6 inner) */
};

/** GUE header (draft-ietf-intarea-gue-09 section 3.1, variant 0, no options). */
struct vr_gue_hdr {
	uint8_t ver_c_hlen; /**< version 0 (2 bits), C=0 (1 bit), hlen=0 (5 bits): 0x00 */
	uint8_t proto;      /**< inner protocol: 4 (IPv4) or 41 (IPv6) */
	uint16_t flags;     /**< 0 */
} __attribute__((packed));

#define VR_GUE_HDR_LEN 4
/** Default GUE destination UDP port on backends. */
#define VR_GUE_DEFAULT_PORT 6080
/** Most bytes of outer headers vr_encap() writes: Ethernet 14 + IPv6 40 + UDP 8 + GUE 4. */
#define VR_ENCAP_MAX_HDR (14 + 40 + 8 + VR_GUE_HDR_LEN)
/** Outer GUE source ports are taken from [VR_GUE_SPORT_MIN, 65535] by flow hash. */
#define VR_GUE_SPORT_MIN 32768

/** Where and how to encapsulate one packet. */
struct vr_encap_params {
	uint8_t type;          /**< enum vr_encap_type */
	uint8_t ttl;           /**< outer TTL / hop limit */
	uint16_t gue_port;     /**< outer UDP destination port, host byte order */
	uint16_t mtu;          /**< egress IP MTU in bytes: outer IP packet must fit */
	uint8_t src_mac[6];    /**< our port's MAC */
	uint8_t dst_mac[6];    /**< next hop's MAC */
	struct vr_addr src;    /**< our address; same family as @dst */
	struct vr_addr dst;    /**< backend address */
};

/**
 * Encapsulate the IP packet at @l3 for a backend: writes Ethernet, outer
 * IPv4 (RFC 791, DF set, ID 0) or IPv6 (RFC 8200), and for GUE a UDP header
 * (source port from @flow_hash so backend RSS spreads flows, checksum
 * computed; RFC 768 / RFC 8200 section 8.1) and the GUE header, immediately
 * before @l3. The inner packet is not modified; its DSCP and ECN are copied
 * to the outer header (RFC 2983 uniform model, RFC 6040 section 4.1). Outer
 * IPv6 carries a flow label from @flow_hash (RFC 6438).
 *
 * @param p          parameters (src/dst of the same family)
 * @param l3         first byte of the inner IPv4/IPv6 header; the caller
 *                   guarantees VR_ENCAP_MAX_HDR writable bytes before it
 * @param l3_len     inner IP packet length in bytes
 * @param inner_family AF_INET or AF_INET6 of the inner packet
 * @param flow_hash  flow hash (for the GUE source port)
 * @param frame      out: new first byte of the frame (Ethernet header);
 *                   set only on success
 * @return new frame length in bytes (> 0), or -EMSGSIZE if the outer IP
 *         packet would exceed @p->mtu, -EINVAL for bad parameters (family
 *         mismatch, unknown type, @l3_len shorter than an inner IP header).
 *         Nothing is written on error. Thread-safe, pure, no allocation.
 */
int vr_encap(const struct vr_encap_params *p, uint8_t *l3, uint32_t l3_len, uint8_t inner_family,
	     uint32_t flow_hash, uint8_t **frame);

/** Outer header bytes vr_encap() adds in front of @l3 for @p (Ethernet included). */
uint32_t vr_encap_hdr_len(const struct vr_encap_params *p);

#endif
