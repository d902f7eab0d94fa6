/* SPDX-License-Identifier: BSD-3-Clause */
/* Reasons a packet is dropped, each with its own counter and name. */
#ifndef VOXRELAY_DROP_H
#define VOXRELAY_DROP_H

/**
 * Why a packet was dropped. VR_DROP_NONE (0) means "not dropped"; parsers
 * and decision functions return these. Names (vr_drop_name()) are stable:
 * they appear in counters, telemetry and metrics. New reasons are only ever
 * appended, so the numeric values of existing ones never change.
 *
 * UDP_CHECKSUM: an IPv6 UDP datagram with checksum 0, which RFC 8200
 * section 8.1 forbids (UDP checksums are otherwise not verified on the
 * fast path; SRTP authentication covers the voice payload).
 *
 * The relay's tunnelled input (vr_relay_frame_parse(), relaypkt.h): the
 * outer frame keeps the reasons above; what it carries has its own, so a
 * counter says whether a client or the tunnel's sender is at fault.
 * GUE_BAD_HEADER: UDP to the GUE port whose GUE header is not one we
 * accept (draft-ietf-intarea-gue-09: variant 0 with the C bit, optional
 * fields or an inner protocol other than 4/41; variant 1 whose first
 * nibble is neither 4 nor 6; variants 2/3; fewer bytes than the header).
 * INNER_TRUNCATED: the inner IP or UDP header does not fit in what the
 * tunnel carries. INNER_BAD_LENGTH: an inner IP or UDP length field points
 * past the tunnel's payload or below its own header. INNER_BAD_HEADER: inner
 * IP version other than announced, IPv4 IHL below 5 or options, or an IPv6
 * extension header. INNER_BAD_CHECKSUM: inner IPv4 header checksum wrong,
 * or inner IPv6 UDP checksum 0. INNER_FRAGMENT: the inner packet is a
 * fragment. INNER_NOT_UDP: a valid inner IP packet that is not UDP.
 */
#define VR_DROP_REASONS(X) \
	X(NONE, "none") \
	X(L2_TRUNCATED, "l2_truncated") \
	X(L2_ETHERTYPE, "l2_unsupported_ethertype") \
	X(VLAN_STACKED, "vlan_stacked") \
	X(IPV4_TRUNCATED, "ipv4_truncated") \
	X(IPV4_VERSION, "ipv4_bad_version") \
	X(IPV4_IHL, "ipv4_bad_ihl") \
	X(IPV4_LENGTH, "ipv4_bad_length") \
	X(IPV4_CHECKSUM, "ipv4_bad_checksum") \
	X(IPV4_OPTIONS, "ipv4_options") \
	X(IPV6_TRUNCATED, "ipv6_truncated") \
	X(IPV6_VERSION, "ipv6_bad_version") \
	X(IPV6_LENGTH, "ipv6_bad_length") \
	X(IPV6_EXT_HEADER, "ipv6_extension_header") \
	X(FRAGMENT, "fragment") \
	X(UDP_TRUNCATED, "udp_truncated") \
	X(UDP_LENGTH, "udp_bad_length") \
	X(NOT_UDP, "not_udp") \
	X(NO_VIP, "no_vip") \
	X(NO_BACKEND, "no_backend") \
	X(MTU_EXCEEDED, "mtu_exceeded") \
	X(NO_NEXTHOP, "nexthop_unresolved") \
	X(NO_LOCAL_ADDR, "no_local_address") \
	X(ARP_INVALID, "arp_invalid") \
	X(ND_INVALID, "nd_invalid") \
	X(NOT_FOR_US, "not_for_us") \
	X(SLOWPATH_FULL, "slowpath_full") \
	X(TX_FULL, "tx_full") \
	X(NO_HEADROOM, "no_headroom") \
	X(UDP_CHECKSUM, "udp_bad_checksum") \
	X(GUE_BAD_HEADER, "gue_bad_header") \
	X(INNER_TRUNCATED, "inner_truncated") \
	X(INNER_BAD_LENGTH, "inner_bad_length") \
	X(INNER_BAD_HEADER, "inner_bad_header") \
	X(INNER_BAD_CHECKSUM, "inner_bad_checksum") \
	X(INNER_FRAGMENT, "inner_fragment") \
	X(INNER_NOT_UDP, "inner_not_udp")

enum vr_drop {
#define VR_DROP_ENUM(id, name) VR_DROP_##id,
	VR_DROP_REASONS(VR_DROP_ENUM)
#undef VR_DROP_ENUM
	VR_DROP_MAX
};

/** Stable name of a drop reason ("l2_truncated", ...); "unknown" if out of range. */
const char *vr_drop_name(enum vr_drop d);

#endif
