/* SPDX-License-Identifier: BSD-3-Clause */
/* Writes the outer Ethernet, IP, UDP and GUE headers (or IPIP) in front of a packet sent to a backend. */
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_udp.h>

#include "bytes.h"
#include "pkt_priv.h"
#include "voxrelay/encap.h"


static inline uint32_t vr_ip_hdr_len(uint8_t family)
{
	return family == AF_INET6 ? VR_IPV6_HDR_LEN : VR_IPV4_HDR_LEN;
}

static inline uint32_t vr_tun_hdr_len(uint8_t type)
{
	return type == VR_ENCAP_GUE ? VR_UDP_HDR_LEN + VR_GUE_HDR_LEN : 0;
}

uint32_t vr_encap_hdr_len(const struct vr_encap_params *p)
{
	return RTE_ETHER_HDR_LEN + vr_ip_hdr_len(p->dst.family) + vr_tun_hdr_len(p->type);
}

/*
 * DSCP and ECN of the inner packet. Copying them out keeps voice (EF) in the
 * right queue of the underlay (uniform model, RFC 2983) and lets congestion
 * marks survive the tunnel (normal mode, RFC 6040 section 4.1).
 */
static inline uint8_t vr_inner_tclass(const uint8_t *l3, uint8_t inner_family)
{
	if (inner_family == AF_INET)
		return l3[1];
	return (uint8_t)((l3[0] << 4) | (l3[1] >> 4));
}

/*
 * Ones'-complement sum of the inner packet. When the inner packet is UDP
 * with a checksum that covers exactly its IP payload, that checksum already
 * vouches for the payload: the payload's sum is the complement of the inner
 * pseudo-header's sum, so only headers are read (local checksum offload,
 * Linux Documentation/networking/checksum-offloads.rst). A wrong inner
 * checksum then yields a wrong outer one, and the backend drops a packet
 * its socket would have dropped anyway. Anything else is summed in full.
 */
static uint64_t inner_sum(const uint8_t *l3, uint32_t l3_len, uint8_t family)
{
	if (family == AF_INET && l3[0] == 0x45 && l3[9] == IPPROTO_UDP && l3_len >= VR_IPV4_HDR_LEN + 8) {
		const uint8_t *udp = l3 + VR_IPV4_HDR_LEN;
		uint16_t udp_len = (uint16_t)(udp[4] << 8 | udp[5]);

		if ((udp[6] | udp[7]) != 0 && udp_len == l3_len - VR_IPV4_HDR_LEN &&
		    rte_be_to_cpu_16(((const struct rte_ipv4_hdr *)l3)->total_length) == l3_len)
			return vr_csum_words(l3, VR_IPV4_HDR_LEN) +
			       (uint16_t)~vr_csum_fold(vr_csum_phdr4(l3, IPPROTO_UDP, udp_len));
	} else if (family == AF_INET6 && l3[6] == IPPROTO_UDP && l3_len >= VR_IPV6_HDR_LEN + 8) {
		const uint8_t *udp = l3 + VR_IPV6_HDR_LEN;
		uint16_t udp_len = (uint16_t)(udp[4] << 8 | udp[5]);

		if ((udp[6] | udp[7]) != 0 && udp_len == l3_len - VR_IPV6_HDR_LEN &&
		    rte_be_to_cpu_16(((const struct rte_ipv6_hdr *)l3)->payload_len) == udp_len)
			return vr_csum_words(l3, VR_IPV6_HDR_LEN) +
			       (uint16_t)~vr_csum_fold(vr_csum_phdr6(l3, IPPROTO_UDP, udp_len));
	}
	return vr_csum_words(l3, l3_len);
}

int vr_encap(const struct vr_encap_params *p, uint8_t *l3, uint32_t l3_len, uint8_t inner_family,
	     uint32_t flow_hash, uint8_t **frame)
{
	uint32_t ip_hlen, tun_hlen, outer_len, hdr_len;
	uint8_t inner_proto, tclass, *eth, *ip;
	bool outer_v6;

	if (VR_UNLIKELY(p->src.family != p->dst.family))
		return -EINVAL;
	if (p->dst.family == AF_INET)
		outer_v6 = false;
	else if (p->dst.family == AF_INET6)
		outer_v6 = true;
	else
		return -EINVAL;
	if (inner_family == AF_INET && l3_len >= VR_IPV4_HDR_LEN)
		inner_proto = IPPROTO_IPIP;
	else if (inner_family == AF_INET6 && l3_len >= VR_IPV6_HDR_LEN)
		inner_proto = IPPROTO_IPV6;
	else
		return -EINVAL;
	if (VR_UNLIKELY(p->type != VR_ENCAP_GUE && p->type != VR_ENCAP_IPIP))
		return -EINVAL;

	ip_hlen = outer_v6 ? VR_IPV6_HDR_LEN : VR_IPV4_HDR_LEN;
	tun_hlen = vr_tun_hdr_len(p->type);
	/* mtu is 16 bits, so passing this check also keeps every length field in range. */
	if (VR_UNLIKELY(l3_len > p->mtu))
		return -EMSGSIZE;
	outer_len = ip_hlen + tun_hlen + l3_len;
	if (VR_UNLIKELY(outer_len > p->mtu))
		return -EMSGSIZE;

	tclass = vr_inner_tclass(l3, inner_family);
	hdr_len = RTE_ETHER_HDR_LEN + ip_hlen + tun_hlen;
	eth = l3 - hdr_len;
	ip = eth + RTE_ETHER_HDR_LEN;

	memcpy(eth, p->dst_mac, RTE_ETHER_ADDR_LEN);
	memcpy(eth + 6, p->src_mac, RTE_ETHER_ADDR_LEN);
	vr_wr16(eth + 12, outer_v6 ? RTE_ETHER_TYPE_IPV6 : RTE_ETHER_TYPE_IPV4);

	if (!outer_v6) {
		struct rte_ipv4_hdr *h = (struct rte_ipv4_hdr *)ip;

		h->version_ihl = RTE_IPV4_VHL_DEF;
		h->type_of_service = tclass;
		h->total_length = rte_cpu_to_be_16((uint16_t)outer_len);
		/* ID 0 is fine with DF set (RFC 6864 section 4.1): never fragmented. */
		h->packet_id = 0;
		h->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);
		h->time_to_live = p->ttl;
		h->next_proto_id = p->type == VR_ENCAP_GUE ? IPPROTO_UDP : inner_proto;
		h->hdr_checksum = 0;
		h->src_addr = p->src.a.w[3];
		h->dst_addr = p->dst.a.w[3];
		h->hdr_checksum = (uint16_t)~vr_csum_fold(vr_csum_words(ip, VR_IPV4_HDR_LEN));
	} else {
		struct rte_ipv6_hdr *h = (struct rte_ipv6_hdr *)ip;
		/* RFC 6438: a flow label from the flow hash lets the underlay's ECMP
		 * spread tunnelled flows; 0 would mean "unlabelled" (RFC 6437). */
		uint32_t label = (flow_hash ^ (flow_hash >> 20)) & RTE_IPV6_HDR_FL_MASK;

		if (label == 0)
			label = 1;
		vr_wr32(ip, (6u << 28) | ((uint32_t)tclass << RTE_IPV6_HDR_TC_SHIFT) | label);
		h->payload_len = rte_cpu_to_be_16((uint16_t)(outer_len - VR_IPV6_HDR_LEN));
		h->proto = p->type == VR_ENCAP_GUE ? IPPROTO_UDP : inner_proto;
		h->hop_limits = p->ttl;
		memcpy(h->src_addr, p->src.a.b, 16);
		memcpy(h->dst_addr, p->dst.a.b, 16);
	}

	if (p->type == VR_ENCAP_GUE) {
		struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + ip_hlen);
		uint8_t *gue = (uint8_t *)(udp + 1);
		uint16_t sport = (uint16_t)(VR_GUE_SPORT_MIN +
					    flow_hash % (65536u - VR_GUE_SPORT_MIN));

		udp->src_port = rte_cpu_to_be_16(sport);
		udp->dst_port = rte_cpu_to_be_16(p->gue_port);
		udp->dgram_len = rte_cpu_to_be_16((uint16_t)(tun_hlen + l3_len));
		udp->dgram_cksum = 0;
		/* Variant 0, C=0, Hlen=0: a data message without optional fields. */
		gue[0] = 0;
		gue[1] = inner_proto;
		gue[2] = 0;
		gue[3] = 0;
		uint16_t udp_len = (uint16_t)(tun_hlen + l3_len);
		uint64_t sum = inner_sum(l3, l3_len, inner_family) + vr_csum_words((const uint8_t *)udp, 8 + VR_GUE_HDR_LEN);
		sum += outer_v6 ? vr_csum_phdr6(ip, IPPROTO_UDP, udp_len) : vr_csum_phdr4(ip, IPPROTO_UDP, udp_len);
		uint16_t ck = (uint16_t)~vr_csum_fold(sum);
		/* RFC 768: a computed 0 is sent as all ones. */
		udp->dgram_cksum = ck == 0 ? 0xffff : ck;
	}

	*frame = eth;
	return (int)(RTE_ETHER_HDR_LEN + outer_len);
}
