/* SPDX-License-Identifier: BSD-3-Clause */
/* ARP (RFC 826) and IPv6 neighbour discovery (RFC 4861): answer for our addresses, learn next hops. */
#ifndef VOXRELAY_NEIGH_H
#define VOXRELAY_NEIGH_H

#include <stdint.h>

#include "voxrelay/common.h"
#include "voxrelay/drop.h"

/** Our own addresses on one port. */
struct vr_neigh_local {
	uint8_t mac[6];
	bool has_v4, has_v6;
	uint32_t ipv4;   /**< network byte order */
	uint8_t ipv6[16];
};

/**
 * Writable bytes vr_neigh_input() needs at @frame: the longest reply it
 * writes, a VLAN-tagged neighbour advertisement with the target link-layer
 * address option (18 + 40 + 24 + 8).
 */
#define VR_NEIGH_REPLY_MAX (18 + 40 + 24 + 8)

/** What vr_neigh_input() found in a packet. */
struct vr_neigh_result {
	bool reply;           /**< the frame was rewritten in place into a reply to send back */
	bool learned;         /**< @sender_ip / @sender_mac are a binding worth learning */
	struct vr_addr sender_ip;
	uint8_t sender_mac[6];
	uint32_t reply_len;   /**< frame length of the reply, if @reply */
};

/**
 * Handle a received ARP or ICMPv6 ND frame (as classified by vr_pkt_parse()).
 *
 * ARP request for our IPv4 address: rewritten in place into a reply. ARP
 * request or reply from anyone: sender learned. ND neighbour solicitation
 * for our IPv6 address: rewritten into a solicited neighbour advertisement
 * with the target link-layer address option (RFC 4861 section 7.2.4);
 * advertisements and solicitations with a source link-layer option: sender
 * learned. ND packets with hop limit != 255 are invalid (RFC 4861 section 7.1.1).
 * A solicitation from the unspecified address (duplicate address detection)
 * is answered to all-nodes ff02::1 with S=0 (RFC 4861 section 7.2.4).
 *
 * A reply can be longer than the request (an NA with its link-layer option
 * answering an NS without one; an ARP reply padded to 60 bytes), so @frame
 * must have at least VR_NEIGH_REPLY_MAX writable bytes even when @len is
 * smaller (an mbuf's data room always has). Nothing past
 * max(@len, VR_NEIGH_REPLY_MAX) is written, nothing past @len is read.
 *
 * @param frame  frame (writable), @len bytes; @l3_off from vr_pkt_parse()
 *               (14, or 18 with a VLAN tag, which the reply keeps)
 * @param res    filled in every case: learn from it even when a drop reason
 *               is returned (a request for someone else still teaches us
 *               its sender)
 * @return VR_DROP_NONE if handled (see @res), else a drop reason
 *         (VR_DROP_ARP_INVALID, VR_DROP_ND_INVALID, VR_DROP_NOT_FOR_US for a
 *         request or solicitation for an address that is not ours;
 *         VR_DROP_L2_TRUNCATED if @l3_off is not 14 or 18 or beyond @len,
 *         VR_DROP_L2_ETHERTYPE if the frame is neither ARP nor IPv6).
 * Thread-safe, pure, no allocation.
 */
enum vr_drop vr_neigh_input(uint8_t *frame, uint32_t len, uint16_t l3_off,
			    const struct vr_neigh_local *local, struct vr_neigh_result *res);

/**
 * Build an ARP request for @target_ip (network byte order) from @local into
 * @buf (at least 60 bytes). Returns the frame length (60, padded), or 0
 * (nothing written) if @local has no IPv4 address. Thread-safe.
 */
uint32_t vr_neigh_arp_request(uint8_t *buf, const struct vr_neigh_local *local, uint32_t target_ip);

/**
 * Build an ND neighbour solicitation for @target (16 bytes) to its
 * solicited-node multicast address (RFC 4861 section 4.3) into @buf (at
 * least 86 bytes), with our source link-layer address option and ICMPv6
 * checksum. Returns the frame length (86), or 0 (nothing written) if @local
 * has no IPv6 address to send it from. Thread-safe.
 */
uint32_t vr_neigh_nd_solicit(uint8_t *buf, const struct vr_neigh_local *local, const uint8_t *target);

#endif
