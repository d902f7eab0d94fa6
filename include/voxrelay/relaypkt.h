/* SPDX-License-Identifier: BSD-3-Clause */
/* The relay's frames on plain byte buffers: the client's datagram in what arrives (direct, GUE, IPIP), the headers of what it sends. */
#ifndef VOXRELAY_RELAYPKT_H
#define VOXRELAY_RELAYPKT_H

#include <stdint.h>

#include "voxrelay/common.h"
#include "voxrelay/drop.h"
#include "voxrelay/pkt.h"

/** How a client's datagram reached the relay. */
enum vr_relay_encap {
	VR_RELAY_ENCAP_NONE = 0, /**< directly: the frame's own UDP datagram */
	VR_RELAY_ENCAP_GUE = 1,  /**< from a balancer in GUE (UDP to the GUE port) */
	VR_RELAY_ENCAP_IPIP = 2, /**< from a balancer in IPIP / IP6IP6 / 4in6 / 6in4 */
};

/** A client's UDP datagram for a relay room, found in a received frame. Offsets from the frame's first byte. */
struct vr_relay_frame {
	uint8_t encap;          /**< enum vr_relay_encap: how it arrived (balancer's GUE/IPIP, or directly) */
	uint8_t family;         /**< AF_INET / AF_INET6 of the client's (inner) packet */
	struct vr_addr src;     /**< client address */
	struct vr_addr dst;     /**< VIP */
	uint16_t sport, dport;  /**< host order: client port, room (VIP) port */
	uint16_t payload_off;   /**< UDP payload of the client's datagram */
	uint16_t payload_len;   /**< bytes: the UDP length minus 8 */
	uint16_t l3_off;        /**< the client's IP header (the inner one when encapsulated) */
	uint16_t l3_len;        /**< the client's IP packet in bytes, from its header's length field */
};

/**
 * Find the client's UDP datagram in a frame the relay received.
 *
 * Three shapes are accepted, as a balancer in front of the relay (or none)
 * delivers them:
 *  - outer UDP to @gue_port: GUE (draft-ietf-intarea-gue-09), either
 *    variant 0 with C = 0, Hlen = 0, flags 0 and protocol 4 or 41
 *    (section 3.1), or variant 1, where the inner IPv4/IPv6 header itself
 *    stands in for the GUE header (section 4); the same set bpf/decap.bpf.c
 *    decapsulates. The inner packet is the encapsulated IP packet;
 *  - outer IP protocol 4 (IPv4 in IP, RFC 2003) or 41 (IPv6 in IP,
 *    RFC 2473 / RFC 4213), over IPv4 or IPv6: the IP payload is the inner
 *    packet;
 *  - any other UDP: the frame's own datagram is the client's.
 *
 * The inner packet passes exactly the IP and UDP checks vr_pkt_parse()
 * makes (IPv4 without options with a valid header checksum, IPv6 without
 * extension headers, no fragments, every length within what the tunnel
 * carries, IPv6 UDP checksum not 0, UDP length 8..IP payload), and must be
 * UDP. Padding after the inner packet is allowed. UDP checksums are not
 * verified (SRTP authenticates the payload).
 *
 * @param frame    first byte of the Ethernet header
 * @param len      frame length in bytes
 * @param pi       @frame as vr_pkt_parse() returned it with VR_DROP_NONE;
 *                 offsets in it are checked against @len, so one that does
 *                 not belong to @frame cannot cause a read outside it
 * @param gue_port GUE UDP destination port (host order); 0: no GUE, all
 *                 UDP is direct
 * @param rf       filled on success; on a drop only @rf->encap is set
 *                 (the encapsulation that was recognised)
 * @return VR_DROP_NONE, or why to drop: NOT_UDP (the outer packet is
 *         neither UDP nor IPIP, or not IP at all), IPV4_LENGTH /
 *         IPV6_LENGTH / UDP_LENGTH (@pi does not fit @len), GUE_BAD_HEADER,
 *         INNER_TRUNCATED, INNER_BAD_LENGTH, INNER_BAD_HEADER,
 *         INNER_BAD_CHECKSUM, INNER_FRAGMENT, INNER_NOT_UDP (drop.h).
 *         Never reads outside [frame, frame + len). Pure, thread-safe, no
 *         allocation.
 */
enum vr_drop vr_relay_frame_parse(const uint8_t *frame, uint32_t len, const struct vr_pkt_info *pi,
				  uint16_t gue_port, struct vr_relay_frame *rf);

/** What the relay sends: Ethernet + IPv4/IPv6 + UDP from VIP:port to a member (direct server return). */
struct vr_relay_hdr {
	uint8_t src_mac[6], dst_mac[6];
	struct vr_addr src, dst;   /**< VIP, member; same family */
	uint16_t sport, dport;     /**< host order */
	uint8_t ttl;               /**< TTL / hop limit */
	uint16_t mtu;              /**< egress IP MTU in bytes: the IP packet must fit */
};

/**
 * Bytes of headers vr_relay_hdr_write() puts in front of the payload:
 * 14 + 20 + 8 = 42 for AF_INET, 14 + 40 + 8 = 62 for AF_INET6, 0 for any
 * other @family. Pure, thread-safe.
 */
uint32_t vr_relay_hdr_len(uint8_t family);

/**
 * Write Ethernet, IPv4 (RFC 791: IHL 5, DF set, ID 0 as RFC 6864 section 4.1
 * allows for atomic datagrams, header checksum) or IPv6 (RFC 8200; flow
 * label 0, unlabelled as RFC 6437 allows) and UDP
 * (RFC 768) headers immediately before @payload, making the frame the relay
 * sends to a member. The UDP checksum covers the pseudo-header, the UDP
 * header and @payload, for IPv4 too; a computed 0 is sent as 0xffff
 * (RFC 768), so an IPv6 datagram never carries the 0 that RFC 8200 section
 * 8.1 forbids. TOS / traffic class are 0 (best effort, Not-ECT).
 *
 * @param h           addresses, ports, TTL, MTU
 * @param payload     UDP payload; the caller guarantees
 *                    vr_relay_hdr_len(@h->dst.family) writable bytes before it
 * @param payload_len UDP payload bytes
 * @param frame       out: first byte of the frame (@payload minus the header
 *                    length); set only on success
 * @return frame length in bytes (> 0); -EINVAL if @h->src and @h->dst differ
 *         in family or it is neither AF_INET nor AF_INET6; -EMSGSIZE if the
 *         IP packet (header + 8 + @payload_len) would exceed @h->mtu. Nothing
 *         is written on error. Pure, thread-safe, no allocation.
 */
int vr_relay_hdr_write(const struct vr_relay_hdr *h, uint8_t *payload, uint32_t payload_len, uint8_t **frame);

#endif
