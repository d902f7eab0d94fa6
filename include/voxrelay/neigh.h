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
 *
 * @param frame  frame (writable), @len bytes; @l3_off from vr_pkt_parse()
 * @return VR_DROP_NONE if handled (see @res), else a drop reason
 *         (VR_DROP_ARP_INVALID, VR_DROP_ND_INVALID, VR_DROP_NOT_FOR_US).
 * Thread-safe, pure, no allocation.
 */
enum vr_drop vr_neigh_input(uint8_t *frame, uint32_t len, uint16_t l3_off,
			    const struct vr_neigh_local *local, struct vr_neigh_result *res);

/**
 * Build an ARP request for @target_ip (network byte order) from @local into
 * @buf (at least 60 bytes). Returns the frame length (60, padded).
 */
uint32_t vr_neigh_arp_request(uint8_t *buf, const struct vr_neigh_local *local, uint32_t target_ip);

/**
 * Build an ND neighbour solicitation for @target (16 bytes) to its
 * solicited-node multicast address (RFC 4861 section 4.3) into @buf (at
 * least 86 bytes). Returns the frame length.
 */
uint32_t vr_neigh_nd_solicit(uint8_t *buf, const struct vr_neigh_local *local, const uint8_t *target);

#endif
