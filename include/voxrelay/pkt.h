/* SPDX-License-Identifier: BSD-3-Clause */
/* Parsing of received frames (Ethernet, 802.1Q, IPv4, IPv6, UDP, TCP) on plain byte buffers. */
#ifndef VOXRELAY_PKT_H
#define VOXRELAY_PKT_H

#include <stdint.h>

#include "voxrelay/common.h"
#include "voxrelay/drop.h"

/** What a parsed frame is. */
enum vr_pkt_class {
	VR_PKT_UDP = 0,  /**< IPv4 or IPv6 UDP, headers valid; key filled */
	VR_PKT_IP_OTHER, /**< valid IPv4/IPv6, not UDP nor well-formed TCP (ICMP echo...); key src/dst/proto filled */
	VR_PKT_ARP,      /**< ARP (any opcode); l3_off points at the ARP header */
	VR_PKT_ND,       /**< ICMPv6 neighbour solicitation/advertisement (RFC 4861 section 4.3/4.4) */
	VR_PKT_TCP,      /**< IPv4 or IPv6 TCP whose header fits; key filled with ports, payload after options */
};

/** Result of vr_pkt_parse(). Offsets are from the start of the frame, in bytes. */
struct vr_pkt_info {
	uint8_t cls;        /**< enum vr_pkt_class */
	uint8_t has_vlan;   /**< one 802.1Q tag was present */
	uint16_t vlan_tci;  /**< host byte order, if has_vlan */
	uint16_t l3_off;    /**< 14, or 18 with a VLAN tag */
	uint16_t l4_off;    /**< UDP/TCP/ICMPv6/other L4 header */
	uint16_t l3_len;    /**< IP total length from the header (frame may hold padding after it) */
	uint16_t payload_off; /**< UDP payload, or TCP payload (after the header and its options) */
	uint16_t payload_len; /**< UDP payload bytes (UDP length - 8), or TCP bytes after the header */
	struct vr_flow_key key; /**< src/dst/ports/proto/family; vip_id left 0 */
};

/**
 * Parse a received Ethernet frame.
 *
 * Accepts Ethernet II with at most one 802.1Q tag, then IPv4 without options
 * (RFC 791), IPv6 without extension headers (RFC 8200), UDP (RFC 768), TCP
 * (RFC 9293), ARP (RFC 826) and ICMPv6 ND (RFC 4861). Verifies every length field against
 * the frame and the IPv4 header checksum. Never reads outside
 * [frame, frame + len).
 *
 * Dropped: a second VLAN tag or an 802.1ad/0x9x00 tag (VLAN_STACKED); IPv4
 * IHL > 5 (IPV4_OPTIONS), IHL < 5 (IPV4_IHL); total or payload length past
 * the frame or below the header (IPV4_LENGTH / IPV6_LENGTH); IPv4 MF or
 * offset != 0 and IPv6 next header 44 (FRAGMENT); any other IPv6 extension
 * header of RFC 7045 (IPV6_EXT_HEADER); UDP length < 8 or past the IP
 * payload (UDP_LENGTH); IPv6 UDP with checksum 0 (UDP_CHECKSUM, RFC 8200
 * section 8.1); ARP that is not the 28-byte Ethernet/IPv4 form
 * (ARP_INVALID). Padding after the IP packet is allowed. ND is only
 * classified here; vr_neigh_input() validates it. TCP is VR_PKT_TCP when
 * its 20-byte header and the options its data offset announces fit in the
 * IP payload; a shorter segment or a data offset below 5 or past the
 * payload is not dropped here but classified VR_PKT_IP_OTHER, as all TCP
 * was before TCP was recognised (the caller drops it as NOT_UDP).
 * Checksums of UDP and TCP are not verified.
 *
 * @param frame  first byte of the Ethernet header
 * @param len    frame length in bytes
 * @param pi     filled on success (partially filled on a drop)
 * @return VR_DROP_NONE on success, else the reason to drop (counted by the
 *         caller). Thread-safe, pure, no allocation.
 */
enum vr_drop vr_pkt_parse(const uint8_t *frame, uint32_t len, struct vr_pkt_info *pi);

#endif
