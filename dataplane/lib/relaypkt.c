/* SPDX-License-Identifier: BSD-3-Clause */
/* The relay's frames: the client's datagram in direct, GUE and IPIP input; Ethernet/IP/UDP headers of its output. */
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_ip.h>

#include "bytes.h"
#include "pkt_priv.h"
#include "voxrelay/encap.h"
#include "voxrelay/relaypkt.h"

/* GUE header, first byte (draft-ietf-intarea-gue-09 section 3.1): Ver(2) C(1) Hlen(5). */
#define VR_GUE_VER(b) ((b) >> 6)

/*
 * The balancer checked the client's packet with these same rules before
 * encapsulating it, so an inner failure points at the tunnel's sender or the
 * underlay, not at a client: it gets a reason of its own.
 */
static enum vr_drop vr_inner_reason(enum vr_drop d)
{
	switch (d) {
	case VR_DROP_NONE:
		return VR_DROP_NONE;
	case VR_DROP_IPV4_TRUNCATED:
	case VR_DROP_IPV6_TRUNCATED:
	case VR_DROP_UDP_TRUNCATED:
		return VR_DROP_INNER_TRUNCATED;
	case VR_DROP_IPV4_LENGTH:
	case VR_DROP_IPV6_LENGTH:
	case VR_DROP_UDP_LENGTH:
		return VR_DROP_INNER_BAD_LENGTH;
	case VR_DROP_IPV4_CHECKSUM:
	case VR_DROP_UDP_CHECKSUM:
		return VR_DROP_INNER_BAD_CHECKSUM;
	case VR_DROP_FRAGMENT:
		return VR_DROP_INNER_FRAGMENT;
	default: /* version, IHL, options, IPv6 extension headers */
		return VR_DROP_INNER_BAD_HEADER;
	}
}

static inline void vr_addr_from_key(struct vr_addr *a, const uint8_t *k, uint8_t family)
{
	memset(a, 0, sizeof(*a));
	a->family = family;
	memcpy(a->a.b, k, 16);
}

/* The datagram vr_parse_ip()/vr_pkt_parse() found, in the form the relay keys rooms by. */
static enum vr_drop vr_relay_fill(const struct vr_pkt_info *pi, struct vr_relay_frame *rf)
{
	rf->family = pi->key.family;
	vr_addr_from_key(&rf->src, pi->key.src, pi->key.family);
	vr_addr_from_key(&rf->dst, pi->key.dst, pi->key.family);
	rf->sport = rte_be_to_cpu_16(pi->key.sport);
	rf->dport = rte_be_to_cpu_16(pi->key.dport);
	rf->payload_off = pi->payload_off;
	rf->payload_len = pi->payload_len;
	rf->l3_off = pi->l3_off;
	rf->l3_len = pi->l3_len;
	return VR_DROP_NONE;
}

/* @off/@avail: where the inner IP packet starts and how many bytes the tunnel gives it. */
static enum vr_drop vr_relay_inner(const uint8_t *frame, uint32_t off, uint32_t avail, uint8_t family,
				   struct vr_relay_frame *rf)
{
	struct vr_pkt_info ipi;
	enum vr_drop d;

	/* Offsets are 16 bits; only a @pi inconsistent with vr_pkt_parse()
	 * could put a tunnel payload this far in. */
	if (VR_UNLIKELY(off > UINT16_MAX - VR_IPV6_HDR_LEN - VR_UDP_HDR_LEN))
		return VR_DROP_INNER_TRUNCATED;
	ipi.l3_off = (uint16_t)off;
	ipi.l4_off = 0;
	ipi.l3_len = 0;
	ipi.payload_off = 0;
	ipi.payload_len = 0;
	d = vr_parse_ip(frame + off, avail, family, &ipi);
	if (VR_UNLIKELY(d != VR_DROP_NONE))
		return vr_inner_reason(d);
	if (VR_UNLIKELY(ipi.cls != VR_PKT_UDP))
		return VR_DROP_INNER_NOT_UDP;
	return vr_relay_fill(&ipi, rf);
}

/*
 * GUE at @g, @glen bytes of UDP payload. Only what our balancer (encap.c)
 * and the draft's direct IP encapsulation produce is a data packet we can
 * hand on; control messages (C set) and optional fields are refused rather
 * than skipped, as bpf/decap.bpf.c does.
 */
static enum vr_drop vr_relay_gue(const uint8_t *frame, uint32_t off, uint32_t glen, struct vr_relay_frame *rf)
{
	const uint8_t *g = frame + off;
	uint8_t family;

	rf->encap = VR_RELAY_ENCAP_GUE;
	if (VR_UNLIKELY(glen < 1))
		return VR_DROP_GUE_BAD_HEADER;
	switch (VR_GUE_VER(g[0])) {
	case 0:
		if (VR_UNLIKELY(glen < VR_GUE_HDR_LEN || g[0] != 0 || (g[2] | g[3]) != 0))
			return VR_DROP_GUE_BAD_HEADER;
		if (g[1] == IPPROTO_IPIP)
			family = AF_INET;
		else if (g[1] == IPPROTO_IPV6)
			family = AF_INET6;
		else
			return VR_DROP_GUE_BAD_HEADER;
		return vr_relay_inner(frame, off + VR_GUE_HDR_LEN, glen - VR_GUE_HDR_LEN, family, rf);
	case 1:
		/* Section 4: variant 1 is 01 because IPv4 (0100) and IPv6
		 * (0110) start that way; 0101 and 0111 are no IP version. */
		if ((g[0] >> 4) == 4)
			family = AF_INET;
		else if ((g[0] >> 4) == 6)
			family = AF_INET6;
		else
			return VR_DROP_GUE_BAD_HEADER;
		return vr_relay_inner(frame, off, glen, family, rf);
	default: /* variants 2 and 3 are reserved */
		return VR_DROP_GUE_BAD_HEADER;
	}
}

enum vr_drop vr_relay_frame_parse(const uint8_t *frame, uint32_t len, const struct vr_pkt_info *pi,
				  uint16_t gue_port, struct vr_relay_frame *rf)
{
	uint32_t l3_end = (uint32_t)pi->l3_off + pi->l3_len;

	rf->encap = VR_RELAY_ENCAP_NONE;
	if (VR_UNLIKELY((pi->cls != VR_PKT_UDP && pi->cls != VR_PKT_IP_OTHER) ||
			(pi->key.family != AF_INET && pi->key.family != AF_INET6)))
		return VR_DROP_NOT_UDP;
	/* vr_pkt_parse() guarantees all of this; checking it keeps a stray @pi
	 * from turning into a read past the frame. */
	if (VR_UNLIKELY(l3_end > len || pi->l4_off < pi->l3_off || pi->l4_off > l3_end))
		return pi->key.family == AF_INET ? VR_DROP_IPV4_LENGTH : VR_DROP_IPV6_LENGTH;

	if (VR_LIKELY(pi->cls == VR_PKT_UDP)) {
		if (VR_UNLIKELY(pi->payload_off < pi->l4_off + VR_UDP_HDR_LEN ||
				(uint32_t)pi->payload_off + pi->payload_len > l3_end))
			return VR_DROP_UDP_LENGTH;
		if (gue_port != 0 && pi->key.dport == rte_cpu_to_be_16(gue_port))
			return vr_relay_gue(frame, pi->payload_off, pi->payload_len, rf);
		return vr_relay_fill(pi, rf);
	}

	if (pi->key.proto == IPPROTO_IPIP) {
		rf->encap = VR_RELAY_ENCAP_IPIP;
		return vr_relay_inner(frame, pi->l4_off, l3_end - pi->l4_off, AF_INET, rf);
	}
	if (pi->key.proto == IPPROTO_IPV6) {
		rf->encap = VR_RELAY_ENCAP_IPIP;
		return vr_relay_inner(frame, pi->l4_off, l3_end - pi->l4_off, AF_INET6, rf);
	}
	return VR_DROP_NOT_UDP;
}

uint32_t vr_relay_hdr_len(uint8_t family)
{
	if (family == AF_INET)
		return RTE_ETHER_HDR_LEN + VR_IPV4_HDR_LEN + VR_UDP_HDR_LEN;
	if (family == AF_INET6)
		return RTE_ETHER_HDR_LEN + VR_IPV6_HDR_LEN + VR_UDP_HDR_LEN;
	return 0;
}

int vr_relay_hdr_write(const struct vr_relay_hdr *h, uint8_t *payload, uint32_t payload_len, uint8_t **frame)
{
	uint32_t ip_hlen, ip_len, udp_len;
	uint8_t *eth, *ip, *udp;
	uint64_t sum;
	uint16_t ck;
	bool v6;

	if (VR_UNLIKELY(h->src.family != h->dst.family))
		return -EINVAL;
	if (h->dst.family == AF_INET)
		v6 = false;
	else if (h->dst.family == AF_INET6)
		v6 = true;
	else
		return -EINVAL;
	ip_hlen = v6 ? VR_IPV6_HDR_LEN : VR_IPV4_HDR_LEN;
	/* The first compare keeps the sum below from wrapping; mtu is 16 bits,
	 * so passing both keeps every length field in range. */
	if (VR_UNLIKELY(payload_len > h->mtu))
		return -EMSGSIZE;
	udp_len = VR_UDP_HDR_LEN + payload_len;
	ip_len = ip_hlen + udp_len;
	if (VR_UNLIKELY(ip_len > h->mtu))
		return -EMSGSIZE;

	udp = payload - VR_UDP_HDR_LEN;
	ip = udp - ip_hlen;
	eth = ip - RTE_ETHER_HDR_LEN;

	memcpy(eth, h->dst_mac, RTE_ETHER_ADDR_LEN);
	memcpy(eth + 6, h->src_mac, RTE_ETHER_ADDR_LEN);
	vr_wr16(eth + 12, v6 ? RTE_ETHER_TYPE_IPV6 : RTE_ETHER_TYPE_IPV4);

	if (!v6) {
		ip[0] = 0x45;
		ip[1] = 0;
		vr_wr16(ip + 2, (uint16_t)ip_len);
		/* ID 0 is fine with DF set (RFC 6864 section 4.1): never fragmented. */
		vr_wr16(ip + 4, 0);
		vr_wr16(ip + 6, RTE_IPV4_HDR_DF_FLAG);
		ip[8] = h->ttl;
		ip[9] = IPPROTO_UDP;
		vr_wr16(ip + 10, 0);
		memcpy(ip + 12, &h->src.a.w[3], 4);
		memcpy(ip + 16, &h->dst.a.w[3], 4);
		ck = (uint16_t)~vr_csum_fold(vr_csum_words(ip, VR_IPV4_HDR_LEN));
		memcpy(ip + 10, &ck, 2);
	} else {
		vr_wr32(ip, 6u << 28);
		vr_wr16(ip + 4, (uint16_t)udp_len);
		ip[6] = IPPROTO_UDP;
		ip[7] = h->ttl;
		memcpy(ip + 8, h->src.a.b, 16);
		memcpy(ip + 24, h->dst.a.b, 16);
	}

	vr_wr16(udp, h->sport);
	vr_wr16(udp + 2, h->dport);
	vr_wr16(udp + 4, (uint16_t)udp_len);
	vr_wr16(udp + 6, 0);
	sum = vr_csum_words(udp, udp_len);
	sum += v6 ? vr_csum_phdr6(ip, IPPROTO_UDP, udp_len) : vr_csum_phdr4(ip, IPPROTO_UDP, (uint16_t)udp_len);
	ck = (uint16_t)~vr_csum_fold(sum);
	/* RFC 768: a computed 0 goes out as all ones; 0 would mean "none". */
	if (ck == 0)
		ck = 0xffff;
	memcpy(udp + 6, &ck, 2);

	*frame = eth;
	return (int)(RTE_ETHER_HDR_LEN + ip_len);
}
