/* SPDX-License-Identifier: BSD-3-Clause */
/* Per-packet parser of received frames (Ethernet, 802.1Q, IPv4, IPv6, UDP, TCP, ARP, ND) on byte buffers. */
#include <netinet/in.h>
#include <sys/socket.h>

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_ip.h>

#include "bytes.h"
#include "pkt_priv.h"
#include "voxrelay/pkt.h"

#define VR_ARP_LEN 28 /* Ethernet/IPv4 ARP, RFC 826 */
#define VR_ICMP6_NS 135
#define VR_ICMP6_NA 136

/* Any TPID that would mean a second tag: 802.1ad and the pre-standard ones. */
static inline bool vr_is_tpid(uint16_t et)
{
	return et == RTE_ETHER_TYPE_VLAN || et == RTE_ETHER_TYPE_QINQ || et == RTE_ETHER_TYPE_QINQ1 ||
	       et == RTE_ETHER_TYPE_QINQ2 || et == RTE_ETHER_TYPE_QINQ3;
}

/* The IPv6 extension headers of the IANA registry (RFC 7045) other than
 * Fragment, which has its own reason. ESP (50) is listed there too: nothing
 * after it is readable, so it cannot be load balanced either. */
static inline bool vr_is_ipv6_ext(uint8_t nh)
{
	switch (nh) {
	case IPPROTO_HOPOPTS:  /* 0 */
	case IPPROTO_ROUTING:  /* 43 */
	case IPPROTO_ESP:      /* 50 */
	case IPPROTO_AH:       /* 51 */
	case IPPROTO_DSTOPTS:  /* 60 */
	case 135:              /* Mobility, RFC 6275 */
	case 139:              /* HIP, RFC 7401 */
	case 140:              /* Shim6, RFC 5533 */
	case 253:              /* experimentation, RFC 3692 */
	case 254:
		return true;
	default:
		return false;
	}
}

static inline void vr_key_v4(struct vr_flow_key *k, const uint8_t *ip, uint8_t proto)
{
	/* ::ffff:0:0/96, RFC 4291 section 2.5.5.2 */
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	memcpy(k->src, mapped, sizeof(mapped));
	memcpy(k->src + 12, ip + 12, 4);
	memcpy(k->dst, mapped, sizeof(mapped));
	memcpy(k->dst + 12, ip + 16, 4);
	k->sport = 0;
	k->dport = 0;
	k->proto = proto;
	k->family = AF_INET;
	k->vip_id = 0;
}

static inline void vr_key_v6(struct vr_flow_key *k, const uint8_t *ip, uint8_t proto)
{
	memcpy(k->src, ip + 8, 16);
	memcpy(k->dst, ip + 24, 16);
	k->sport = 0;
	k->dport = 0;
	k->proto = proto;
	k->family = AF_INET6;
	k->vip_id = 0;
}

/* @l4_len is what the IP header says follows it, already checked against the frame. */
static inline enum vr_drop vr_parse_udp(const uint8_t *udp, uint32_t l4_len, bool v6,
					 struct vr_pkt_info *pi)
{
	uint32_t ulen;

	if (VR_UNLIKELY(l4_len < VR_UDP_HDR_LEN))
		return VR_DROP_UDP_TRUNCATED;
	ulen = vr_rd16(udp + 4);
	/* Shorter than the IP payload is allowed (RFC 768 leaves the rest as padding). */
	if (VR_UNLIKELY(ulen < VR_UDP_HDR_LEN || ulen > l4_len))
		return VR_DROP_UDP_LENGTH;
	if (VR_UNLIKELY(v6 && udp[6] == 0 && udp[7] == 0))
		return VR_DROP_UDP_CHECKSUM;
	memcpy(&pi->key.sport, udp, 2);
	memcpy(&pi->key.dport, udp + 2, 2);
	pi->payload_off = (uint16_t)(pi->l4_off + VR_UDP_HDR_LEN);
	pi->payload_len = (uint16_t)(ulen - VR_UDP_HDR_LEN);
	pi->cls = VR_PKT_UDP;
	return VR_DROP_NONE;
}

/* @l4_len as for UDP. A segment whose header does not fit stays "other":
 * before TCP was recognised every TCP segment was, and the workers drop it
 * as not_udp either way, so no drop reason changes. */
static inline void vr_parse_tcp(const uint8_t *tcp, uint32_t l4_len, struct vr_pkt_info *pi)
{
	uint32_t hlen;

	pi->cls = VR_PKT_IP_OTHER;
	if (l4_len < VR_TCP_HDR_LEN)
		return;
	/* Data offset: header length in 32-bit words, 5..15 (RFC 9293 section 3.1). */
	hlen = (uint32_t)(tcp[12] >> 4) * 4;
	if (hlen < VR_TCP_HDR_LEN || hlen > l4_len)
		return;
	memcpy(&pi->key.sport, tcp, 2);
	memcpy(&pi->key.dport, tcp + 2, 2);
	pi->payload_off = (uint16_t)(pi->l4_off + hlen);
	pi->payload_len = (uint16_t)(l4_len - hlen);
	pi->cls = VR_PKT_TCP;
}

static inline enum vr_drop vr_parse_ipv4(const uint8_t *ip, uint32_t avail, struct vr_pkt_info *pi)
{
	uint32_t tot;
	uint8_t proto;

	if (VR_UNLIKELY(avail < VR_IPV4_HDR_LEN))
		return VR_DROP_IPV4_TRUNCATED;
	/* One compare covers version 4 and IHL 5, the only shape we accept. */
	if (VR_UNLIKELY(ip[0] != 0x45)) {
		if ((ip[0] >> 4) != 4)
			return VR_DROP_IPV4_VERSION;
		return (ip[0] & 0x0f) < 5 ? VR_DROP_IPV4_IHL : VR_DROP_IPV4_OPTIONS;
	}
	tot = vr_rd16(ip + 2);
	if (VR_UNLIKELY(tot < VR_IPV4_HDR_LEN || tot > avail))
		return VR_DROP_IPV4_LENGTH;
	/* A correct header sums to 0xffff including its checksum (RFC 1071);
	 * it cannot sum to 0 because its first byte is 0x45. */
	if (VR_UNLIKELY(rte_raw_cksum(ip, VR_IPV4_HDR_LEN) != 0xffff))
		return VR_DROP_IPV4_CHECKSUM;
	if (VR_UNLIKELY(vr_rd16(ip + 6) & (RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK)))
		return VR_DROP_FRAGMENT;

	proto = ip[9];
	pi->l3_len = (uint16_t)tot;
	pi->l4_off = (uint16_t)(pi->l3_off + VR_IPV4_HDR_LEN);
	vr_key_v4(&pi->key, ip, proto);
	if (VR_LIKELY(proto == IPPROTO_UDP))
		return vr_parse_udp(ip + VR_IPV4_HDR_LEN, tot - VR_IPV4_HDR_LEN, false, pi);
	if (proto == IPPROTO_TCP) {
		vr_parse_tcp(ip + VR_IPV4_HDR_LEN, tot - VR_IPV4_HDR_LEN, pi);
		return VR_DROP_NONE;
	}
	pi->cls = VR_PKT_IP_OTHER;
	return VR_DROP_NONE;
}

static inline enum vr_drop vr_parse_ipv6(const uint8_t *ip, uint32_t avail, struct vr_pkt_info *pi)
{
	uint32_t plen;
	uint8_t nh;

	if (VR_UNLIKELY(avail < VR_IPV6_HDR_LEN))
		return VR_DROP_IPV6_TRUNCATED;
	if (VR_UNLIKELY((ip[0] >> 4) != 6))
		return VR_DROP_IPV6_VERSION;
	plen = vr_rd16(ip + 4);
	/* The second bound keeps l3_len within 16 bits; only a frame over 64 KiB
	 * could hold such a packet, and no Ethernet MTU allows one. */
	if (VR_UNLIKELY(plen > avail - VR_IPV6_HDR_LEN || plen > UINT16_MAX - VR_IPV6_HDR_LEN))
		return VR_DROP_IPV6_LENGTH;

	nh = ip[6];
	pi->l3_len = (uint16_t)(plen + VR_IPV6_HDR_LEN);
	pi->l4_off = (uint16_t)(pi->l3_off + VR_IPV6_HDR_LEN);
	vr_key_v6(&pi->key, ip, nh);
	if (VR_LIKELY(nh == IPPROTO_UDP))
		return vr_parse_udp(ip + VR_IPV6_HDR_LEN, plen, true, pi);
	if (nh == IPPROTO_TCP) {
		vr_parse_tcp(ip + VR_IPV6_HDR_LEN, plen, pi);
		return VR_DROP_NONE;
	}
	if (nh == IPPROTO_FRAGMENT)
		return VR_DROP_FRAGMENT;
	if (vr_is_ipv6_ext(nh))
		return VR_DROP_IPV6_EXT_HEADER;
	if (nh == IPPROTO_ICMPV6 && plen >= 1 &&
	    (ip[VR_IPV6_HDR_LEN] == VR_ICMP6_NS || ip[VR_IPV6_HDR_LEN] == VR_ICMP6_NA)) {
		pi->cls = VR_PKT_ND;
		return VR_DROP_NONE;
	}
	pi->cls = VR_PKT_IP_OTHER;
	return VR_DROP_NONE;
}

/* vr_pkt_parse() calls the two functions above directly, so its fast path
 * gains no call; this is the entry for IP packets found elsewhere in a frame
 * (relaypkt.c: the client's packet inside a tunnel). */
enum vr_drop vr_parse_ip(const uint8_t *ip, uint32_t avail, uint8_t family, struct vr_pkt_info *pi)
{
	if (family == AF_INET)
		return vr_parse_ipv4(ip, avail, pi);
	if (family == AF_INET6)
		return vr_parse_ipv6(ip, avail, pi);
	return VR_DROP_L2_ETHERTYPE;
}

static inline enum vr_drop vr_parse_arp(const uint8_t *arp, uint32_t avail, struct vr_pkt_info *pi)
{
	/* Only Ethernet hardware and IPv4 protocol addresses: 6 and 4 bytes long. */
	if (avail < VR_ARP_LEN || vr_rd16(arp) != 1 || vr_rd16(arp + 2) != RTE_ETHER_TYPE_IPV4 ||
	    arp[4] != RTE_ETHER_ADDR_LEN || arp[5] != 4)
		return VR_DROP_ARP_INVALID;
	pi->l3_len = VR_ARP_LEN;
	pi->cls = VR_PKT_ARP;
	return VR_DROP_NONE;
}

enum vr_drop vr_pkt_parse(const uint8_t *frame, uint32_t len, struct vr_pkt_info *pi)
{
	uint32_t l3 = RTE_ETHER_HDR_LEN;
	uint16_t et;

	pi->has_vlan = 0;
	pi->vlan_tci = 0;
	pi->l3_off = RTE_ETHER_HDR_LEN;
	pi->l4_off = 0;
	pi->l3_len = 0;
	pi->payload_off = 0;
	pi->payload_len = 0;

	if (VR_UNLIKELY(len < RTE_ETHER_HDR_LEN))
		return VR_DROP_L2_TRUNCATED;
	et = vr_rd16(frame + 12);
	if (et == RTE_ETHER_TYPE_VLAN) {
		if (VR_UNLIKELY(len < RTE_ETHER_HDR_LEN + 4))
			return VR_DROP_L2_TRUNCATED;
		pi->has_vlan = 1;
		pi->vlan_tci = vr_rd16(frame + 14);
		et = vr_rd16(frame + 16);
		l3 += 4;
		pi->l3_off = (uint16_t)l3;
	}
	if (VR_LIKELY(et == RTE_ETHER_TYPE_IPV4))
		return vr_parse_ipv4(frame + l3, len - l3, pi);
	if (et == RTE_ETHER_TYPE_IPV6)
		return vr_parse_ipv6(frame + l3, len - l3, pi);
	if (et == RTE_ETHER_TYPE_ARP)
		return vr_parse_arp(frame + l3, len - l3, pi);
	if (vr_is_tpid(et))
		return VR_DROP_VLAN_STACKED;
	return VR_DROP_L2_ETHERTYPE;
}
