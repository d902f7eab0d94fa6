/* SPDX-License-Identifier: BSD-3-Clause */
/* ARP and IPv6 neighbour discovery: replies for our addresses, bindings to learn, requests to send. */
#include <netinet/in.h>
#include <sys/socket.h>

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_ip.h>

#include "bytes.h"
#include "voxrelay/neigh.h"

#define VR_ARP_LEN 28
#define VR_ARP_OP_REQUEST 1
#define VR_ARP_OP_REPLY 2
#define VR_ETH_MIN_LEN 60 /* without FCS */
#define VR_ND_HDR_LEN 24  /* type, code, checksum, flags/reserved, target */
#define VR_ND_LLA_LEN 8   /* link-layer address option for Ethernet (RFC 4861 section 4.6.1) */
#define VR_ND_OPT_SLLA 1
#define VR_ND_OPT_TLLA 2
#define VR_ND_NS 135
#define VR_ND_NA 136
#define VR_ND_FLAG_S 0x40
#define VR_ND_FLAG_O 0x20

static inline bool vr_mac_usable(const uint8_t *mac)
{
	static const uint8_t zero[6];

	/* Group bit set means broadcast/multicast: never a neighbour's address. */
	return !(mac[0] & 1) && memcmp(mac, zero, 6) != 0;
}

static inline bool vr_ip6_unspecified(const uint8_t *a)
{
	static const uint8_t zero[16];

	return memcmp(a, zero, 16) == 0;
}

/* ff02::1:ff00:0/104, RFC 4291 section 2.7.1 */
static inline bool vr_ip6_solicited_node(const uint8_t *a)
{
	static const uint8_t pfx[13] = { 0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0xff };

	return memcmp(a, pfx, sizeof(pfx)) == 0;
}

static inline void vr_set_v6(struct vr_addr *a, const uint8_t *ip6)
{
	memset(a, 0, sizeof(*a));
	a->family = AF_INET6;
	memcpy(a->a.b, ip6, 16);
}

/* ICMPv6 checksum over the pseudo-header and @ip's payload (RFC 4443
 * section 2.3); @ip's payload length must already be checked against the buffer. */
static inline uint16_t vr_icmp6_cksum(const uint8_t *ip)
{
	return rte_ipv6_udptcp_cksum((const struct rte_ipv6_hdr *)ip, ip + VR_IPV6_HDR_LEN);
}

static enum vr_drop vr_arp_input(uint8_t *frame, uint32_t len, uint32_t l3,
				 const struct vr_neigh_local *local, struct vr_neigh_result *res)
{
	uint8_t *arp = frame + l3;
	uint8_t *sha = arp + 8, *spa = arp + 14, *tha = arp + 18, *tpa = arp + 24;
	uint16_t op;
	uint32_t spa_v, i;

	if (len - l3 < VR_ARP_LEN || vr_rd16(arp) != 1 || vr_rd16(arp + 2) != RTE_ETHER_TYPE_IPV4 ||
	    arp[4] != RTE_ETHER_ADDR_LEN || arp[5] != 4)
		return VR_DROP_ARP_INVALID;
	op = vr_rd16(arp + 6);
	if ((op != VR_ARP_OP_REQUEST && op != VR_ARP_OP_REPLY) || !vr_mac_usable(sha))
		return VR_DROP_ARP_INVALID;

	memcpy(&spa_v, spa, 4);
	/* A probe (sender 0.0.0.0, RFC 5227) binds nothing; someone claiming our
	 * own address is a conflict, not a next hop. */
	if (spa_v != 0 && !(local->has_v4 && spa_v == local->ipv4)) {
		res->learned = true;
		vr_addr_set_v4(&res->sender_ip, spa_v);
		memcpy(res->sender_mac, sha, 6);
	}
	if (op == VR_ARP_OP_REPLY)
		return VR_DROP_NONE;
	if (!local->has_v4 || memcmp(tpa, &local->ipv4, 4) != 0)
		return VR_DROP_NOT_FOR_US;

	/* RFC 826: swap sender and target, put ours in as sender, opcode reply.
	 * Target fields first: they are filled from the old sender fields. */
	memcpy(frame, sha, 6);
	memcpy(frame + 6, local->mac, 6);
	memcpy(tha, sha, 6);
	memcpy(tpa, spa, 4);
	memcpy(sha, local->mac, 6);
	memcpy(spa, &local->ipv4, 4);
	vr_wr16(arp + 6, VR_ARP_OP_REPLY);
	/* Pad as a kernel would, so no stale bytes of the request go out. */
	for (i = l3 + VR_ARP_LEN; i < VR_ETH_MIN_LEN; i++)
		frame[i] = 0;
	res->reply = true;
	res->reply_len = VR_ETH_MIN_LEN;
	return VR_DROP_NONE;
}

/* Walks the options after the fixed part (RFC 4861 section 4.6): every option
 * has a non-zero length and fits; returns the Ethernet link-layer address of
 * option @want (NULL if absent) through @lla. */
static bool vr_nd_options(const uint8_t *opt, uint32_t len, uint8_t want, const uint8_t **lla)
{
	uint32_t off = 0, olen;

	*lla = NULL;
	while (off < len) {
		if (len - off < 2)
			return false;
		olen = (uint32_t)opt[off + 1] * 8;
		if (olen == 0 || olen > len - off)
			return false;
		if (opt[off] == want && olen == VR_ND_LLA_LEN)
			*lla = opt + off + 2;
		off += olen;
	}
	return true;
}

static enum vr_drop vr_nd_input(uint8_t *frame, uint32_t len, uint32_t l3,
				const struct vr_neigh_local *local, struct vr_neigh_result *res)
{
	static const uint8_t all_nodes[16] = { 0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };
	static const uint8_t all_nodes_mac[6] = { 0x33, 0x33, 0, 0, 0, 1 };
	uint8_t *ip = frame + l3, *icmp = ip + VR_IPV6_HDR_LEN;
	uint8_t *src = ip + 8, *dst = ip + 24, *target = icmp + 8;
	const uint8_t *lla;
	uint32_t plen;
	bool dad;

	if (len - l3 < VR_IPV6_HDR_LEN || (ip[0] >> 4) != 6 || ip[6] != IPPROTO_ICMPV6)
		return VR_DROP_ND_INVALID;
	plen = vr_rd16(ip + 4);
	if (plen > len - l3 - VR_IPV6_HDR_LEN || plen < VR_ND_HDR_LEN)
		return VR_DROP_ND_INVALID;
	/* RFC 4861 section 7.1.1 / 7.1.2: only a packet no router forwarded,
	 * code 0, a valid checksum, a unicast target. */
	if (ip[7] != 255 || (icmp[0] != VR_ND_NS && icmp[0] != VR_ND_NA) || icmp[1] != 0 ||
	    target[0] == 0xff || src[0] == 0xff || vr_icmp6_cksum(ip) != 0)
		return VR_DROP_ND_INVALID;

	if (icmp[0] == VR_ND_NA) {
		/* A multicast advertisement cannot be solicited (section 7.1.2). */
		if (dst[0] == 0xff && (icmp[4] & VR_ND_FLAG_S))
			return VR_DROP_ND_INVALID;
		if (!vr_nd_options(icmp + VR_ND_HDR_LEN, plen - VR_ND_HDR_LEN, VR_ND_OPT_TLLA, &lla))
			return VR_DROP_ND_INVALID;
		if (lla && vr_mac_usable(lla) &&
		    !(local->has_v6 && memcmp(target, local->ipv6, 16) == 0)) {
			res->learned = true;
			vr_set_v6(&res->sender_ip, target);
			memcpy(res->sender_mac, lla, 6);
		}
		return VR_DROP_NONE;
	}

	if (!vr_nd_options(icmp + VR_ND_HDR_LEN, plen - VR_ND_HDR_LEN, VR_ND_OPT_SLLA, &lla))
		return VR_DROP_ND_INVALID;
	dad = vr_ip6_unspecified(src);
	/* From ::, only to a solicited-node group and without a source
	 * link-layer option (section 7.1.1). */
	if (dad && (!vr_ip6_solicited_node(dst) || lla))
		return VR_DROP_ND_INVALID;
	if (lla && vr_mac_usable(lla)) {
		res->learned = true;
		vr_set_v6(&res->sender_ip, src);
		memcpy(res->sender_mac, lla, 6);
	}
	if (!local->has_v6 || memcmp(target, local->ipv6, 16) != 0)
		return VR_DROP_NOT_FOR_US;

	/* Solicited NA (section 7.2.4), built over the NS. The Ethernet source
	 * is where the solicitation came from, with or without its option. */
	memcpy(frame, dad ? all_nodes_mac : frame + 6, 6);
	memcpy(frame + 6, local->mac, 6);
	vr_wr16(ip, 0x6000);
	vr_wr16(ip + 2, 0);
	vr_wr16(ip + 4, VR_ND_HDR_LEN + VR_ND_LLA_LEN);
	/* ip[6] next header and ip[7] hop limit are already 58 and 255. */
	if (dad)
		memcpy(dst, all_nodes, 16);
	else
		memcpy(dst, src, 16);
	memcpy(src, local->ipv6, 16);
	icmp[0] = VR_ND_NA;
	icmp[1] = 0;
	vr_wr16(icmp + 2, 0);
	/* Not a router; O=1 because we answer for our own address with its
	 * link-layer option; S=0 when nobody can receive a unicast answer. */
	icmp[4] = (uint8_t)((dad ? 0 : VR_ND_FLAG_S) | VR_ND_FLAG_O);
	icmp[5] = icmp[6] = icmp[7] = 0;
	memcpy(target, local->ipv6, 16);
	icmp[VR_ND_HDR_LEN] = VR_ND_OPT_TLLA;
	icmp[VR_ND_HDR_LEN + 1] = 1;
	memcpy(icmp + VR_ND_HDR_LEN + 2, local->mac, 6);
	memcpy(icmp + 2, &(uint16_t){ vr_icmp6_cksum(ip) }, 2);
	res->reply = true;
	res->reply_len = l3 + VR_IPV6_HDR_LEN + VR_ND_HDR_LEN + VR_ND_LLA_LEN;
	return VR_DROP_NONE;
}

enum vr_drop vr_neigh_input(uint8_t *frame, uint32_t len, uint16_t l3_off,
			    const struct vr_neigh_local *local, struct vr_neigh_result *res)
{
	uint16_t et;

	memset(res, 0, sizeof(*res));
	if ((l3_off != RTE_ETHER_HDR_LEN && l3_off != RTE_ETHER_HDR_LEN + 4) || l3_off > len)
		return VR_DROP_L2_TRUNCATED;
	et = vr_rd16(frame + l3_off - 2);
	if (et == RTE_ETHER_TYPE_ARP)
		return vr_arp_input(frame, len, l3_off, local, res);
	if (et == RTE_ETHER_TYPE_IPV6)
		return vr_nd_input(frame, len, l3_off, local, res);
	return VR_DROP_L2_ETHERTYPE;
}

uint32_t vr_neigh_arp_request(uint8_t *buf, const struct vr_neigh_local *local, uint32_t target_ip)
{
	uint8_t *arp = buf + RTE_ETHER_HDR_LEN;

	if (!local->has_v4)
		return 0;
	memset(buf, 0xff, 6);
	memcpy(buf + 6, local->mac, 6);
	vr_wr16(buf + 12, RTE_ETHER_TYPE_ARP);
	vr_wr16(arp, 1);
	vr_wr16(arp + 2, RTE_ETHER_TYPE_IPV4);
	arp[4] = RTE_ETHER_ADDR_LEN;
	arp[5] = 4;
	vr_wr16(arp + 6, VR_ARP_OP_REQUEST);
	memcpy(arp + 8, local->mac, 6);
	memcpy(arp + 14, &local->ipv4, 4);
	memset(arp + 18, 0, 6);
	memcpy(arp + 24, &target_ip, 4);
	memset(arp + VR_ARP_LEN, 0, VR_ETH_MIN_LEN - RTE_ETHER_HDR_LEN - VR_ARP_LEN);
	return VR_ETH_MIN_LEN;
}

uint32_t vr_neigh_nd_solicit(uint8_t *buf, const struct vr_neigh_local *local, const uint8_t *target)
{
	uint8_t *ip = buf + RTE_ETHER_HDR_LEN, *icmp = ip + VR_IPV6_HDR_LEN;
	uint8_t *dst = ip + 24;

	if (!local->has_v6)
		return 0;
	/* Solicited-node group of the target and its Ethernet mapping (RFC 2464 section 7). */
	buf[0] = 0x33;
	buf[1] = 0x33;
	buf[2] = 0xff;
	memcpy(buf + 3, target + 13, 3);
	memcpy(buf + 6, local->mac, 6);
	vr_wr16(buf + 12, RTE_ETHER_TYPE_IPV6);
	vr_wr16(ip, 0x6000);
	vr_wr16(ip + 2, 0);
	vr_wr16(ip + 4, VR_ND_HDR_LEN + VR_ND_LLA_LEN);
	ip[6] = IPPROTO_ICMPV6;
	ip[7] = 255;
	memcpy(ip + 8, local->ipv6, 16);
	memset(dst, 0, 16);
	dst[0] = 0xff;
	dst[1] = 0x02;
	dst[11] = 0x01;
	dst[12] = 0xff;
	memcpy(dst + 13, target + 13, 3);
	icmp[0] = VR_ND_NS;
	icmp[1] = 0;
	memset(icmp + 2, 0, 6);
	memcpy(icmp + 8, target, 16);
	icmp[VR_ND_HDR_LEN] = VR_ND_OPT_SLLA;
	icmp[VR_ND_HDR_LEN + 1] = 1;
	memcpy(icmp + VR_ND_HDR_LEN + 2, local->mac, 6);
	memcpy(icmp + 2, &(uint16_t){ vr_icmp6_cksum(ip) }, 2);
	return RTE_ETHER_HDR_LEN + VR_IPV6_HDR_LEN + VR_ND_HDR_LEN + VR_ND_LLA_LEN;
}
