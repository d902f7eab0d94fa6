/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-3-Clause) */
/* XDP program for VIP-backed hosts: strips GUE / IPIP / IP6IP6 / 4in6 / 6in4 from packets for a local VIP so kernel sockets on the VIP get the client's datagram. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "voxrelay/decap.h"

/* Not in the uapi headers (linux/if_vlan.h keeps it kernel-internal). */
struct vr_vlan_hdr {
	__be16 tci;
	__be16 proto;
};

#define VR_IP_MF 0x2000
#define VR_IP_OFFSET 0x1fff
#define VR_GUE_LEN 4
/* ECN field (RFC 3168): low two bits of the IPv4 TOS / IPv6 traffic class. */
#define VR_ECN_MASK 0x3
#define VR_ECN_NOT_ECT 0x0
#define VR_ECN_ECT1 0x1
#define VR_ECN_CE 0x3
/* Extension headers vr_ipv6_ext() looks through before giving up. */
#define VR_IPV6_MAX_EXT 4
#define VR_ETH_VLAN_LEN (ETH_HLEN + sizeof(struct vr_vlan_hdr))

/* VIPs served on this host: only packets whose inner destination is one of these are decapsulated. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, VR_DECAP_MAX_VIPS);
	__type(key, struct vr_bpf_addr_key);
	__type(value, __u32); /* enum vr_decap_vip_flags */
} vips SEC(".maps");

/* Settings written by the loader before attaching (enum vr_decap_config slots). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, VR_DECAP_CFG_MAX);
	__type(key, __u32);
	__type(value, __u32);
} decap_config SEC(".maps");

/* Per-CPU packet counters (enum vr_decap_stat slots), summed by user space. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, VR_DECAP_STAT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} decap_stats SEC(".maps");

/* What the parser found; only meaningful for the VR_DECAP_STAT_GUE/IPIP outcomes. */
struct vr_decap_parse {
	__u32 l3_off;    /* outer IP header = Ethernet header length (14 or 18) */
	__u32 inner_off; /* first byte of the inner IP header */
	__u16 inner_eth; /* ETH_P_IP or ETH_P_IPV6, network byte order */
	__u8 inner_v6;
	__u8 outer_ecn;  /* ECN field of the outer header */
};

static __always_inline void vr_count(__u32 stat)
{
	__u64 *v = bpf_map_lookup_elem(&decap_stats, &stat);

	if (v)
		*v += 1;
}

/* The outer header is thrown away after this, so its checksum is the only
 * thing telling us its protocol and length fields are what the sender wrote. */
static __always_inline int vr_ipv4_csum_ok(const struct iphdr *ip)
{
	const __u16 *w = (const __u16 *)ip;
	__u32 sum = 0;

#pragma unroll
	for (int i = 0; i < (int)(sizeof(*ip) / 2); i++)
		sum += w[i];
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return sum == 0xffff;
}

/*
 * Checks the inner IP header at @off (at most @avail bytes belong to it) and
 * looks its destination up in `vips`. Returns the outcome as a stat slot;
 * @need is the VIP flag the encapsulation requires.
 */
static __always_inline __u32 vr_inner(void *data, void *data_end, __u32 off, __u32 avail, int v6,
				      __u32 need)
{
	struct vr_bpf_addr_key key;
	__u32 *flags;

	if (off > 0xffff)
		return VR_DECAP_STAT_MALFORMED;
	if (!v6) {
		struct iphdr *ip = data + off;
		__u32 tot;

		if ((void *)(ip + 1) > data_end || avail < sizeof(*ip))
			return VR_DECAP_STAT_MALFORMED;
		tot = bpf_ntohs(ip->tot_len);
		if (ip->version != 4 || ip->ihl < 5 || tot < ip->ihl * 4u || tot > avail)
			return VR_DECAP_STAT_MALFORMED;
		vr_bpf_addr_key_set4(&key, &ip->daddr);
	} else {
		struct ipv6hdr *ip6 = data + off;

		if ((void *)(ip6 + 1) > data_end || avail < sizeof(*ip6))
			return VR_DECAP_STAT_MALFORMED;
		if (ip6->version != 6 || bpf_ntohs(ip6->payload_len) > avail - sizeof(*ip6))
			return VR_DECAP_STAT_MALFORMED;
		vr_bpf_addr_key_set6(&key, &ip6->daddr);
	}
	flags = bpf_map_lookup_elem(&vips, &key);
	if (!flags || !(*flags & need))
		return VR_DECAP_STAT_NOT_VIP;
	return need == VR_DECAP_VIP_GUE ? VR_DECAP_STAT_GUE : VR_DECAP_STAT_IPIP;
}

/* GUE (draft-ietf-intarea-gue-09): variant 0 with no optional fields, or variant 1 (bare IP). */
static __always_inline __u32 vr_gue(void *data, void *data_end, __u32 off, __u32 avail,
				    struct vr_decap_parse *p)
{
	__u8 *g = data + off;
	int v6;

	if (off > 0xffff || (void *)(g + 1) > data_end || avail < 1)
		return VR_DECAP_STAT_MALFORMED;
	switch (g[0] >> 6) {
	case 0: {
		struct vr_gue_wire {
			__u8 ver_c_hlen;
			__u8 proto;
			__u16 flags;
		} *gh = (void *)g;

		if ((void *)(gh + 1) > data_end || avail < VR_GUE_LEN)
			return VR_DECAP_STAT_MALFORMED;
		/* C set is a control message, hlen/flags announce optional
		 * fields our balancer never writes: neither is a data packet
		 * we could hand over. */
		if (gh->ver_c_hlen != 0 || gh->flags != 0)
			return VR_DECAP_STAT_MALFORMED;
		if (gh->proto == IPPROTO_IPIP)
			v6 = 0;
		else if (gh->proto == IPPROTO_IPV6)
			v6 = 1;
		else
			return VR_DECAP_STAT_MALFORMED;
		off += VR_GUE_LEN;
		avail -= VR_GUE_LEN;
		break;
	}
	case 1:
		/* Variant 1: the IP version nibble doubles as the GUE header. */
		if ((g[0] >> 4) == 4)
			v6 = 0;
		else if ((g[0] >> 4) == 6)
			v6 = 1;
		else
			return VR_DECAP_STAT_MALFORMED;
		break;
	default:
		return VR_DECAP_STAT_MALFORMED;
	}
	p->inner_off = off;
	p->inner_v6 = v6;
	p->inner_eth = v6 ? bpf_htons(ETH_P_IPV6) : bpf_htons(ETH_P_IP);
	return vr_inner(data, data_end, off, avail, v6, VR_DECAP_VIP_GUE);
}

static __always_inline __u32 vr_gue_port(void)
{
	__u32 key = VR_DECAP_CFG_GUE_PORT;
	__u32 *port = bpf_map_lookup_elem(&decap_config, &key);

	return port ? *port : 0;
}

/*
 * Outcome for a packet we will not parse to the end (outer IPv4 options or
 * fragment, IPv6 extension headers): "unsupported" only if it could be for
 * us, so that counter stays a signal rather than noise from ordinary
 * fragmented UDP or MLD. @udp_off is where the UDP header is, 0 if unknown
 * (a non-first fragment).
 */
static __always_inline __u32 vr_unsupp(void *data, void *data_end, __u8 proto, __u32 udp_off)
{
	struct udphdr *udp;
	__u32 port;

	if (proto == IPPROTO_IPIP || proto == IPPROTO_IPV6)
		return VR_DECAP_STAT_OUTER_UNSUPP;
	if (proto != IPPROTO_UDP)
		return VR_DECAP_STAT_NOT_ENCAP;
	port = vr_gue_port();
	if (port == 0)
		return VR_DECAP_STAT_NOT_ENCAP;
	if (udp_off == 0 || udp_off > 0xffff)
		return VR_DECAP_STAT_OUTER_UNSUPP;
	udp = data + udp_off;
	if ((void *)(udp + 1) > data_end)
		return VR_DECAP_STAT_OUTER_UNSUPP;
	return bpf_ntohs(udp->dest) == port ? VR_DECAP_STAT_OUTER_UNSUPP : VR_DECAP_STAT_NOT_ENCAP;
}

/* Walks a few IPv6 extension headers to find the upper-layer protocol. */
static __always_inline __u32 vr_ipv6_ext(void *data, void *data_end, __u8 nh, __u32 off)
{
#pragma unroll
	for (int i = 0; i < VR_IPV6_MAX_EXT; i++) {
		struct vr_ipv6_ext_hdr {
			__u8 nexthdr;
			__u8 hdrlen;
			__be16 frag_off; /* fragment header only */
		} *eh = data + off;

		switch (nh) {
		case IPPROTO_HOPOPTS:
		case IPPROTO_ROUTING:
		case IPPROTO_DSTOPTS:
		case IPPROTO_FRAGMENT:
			break;
		default:
			return vr_unsupp(data, data_end, nh, off);
		}
		if (off > 0xffff || (void *)(eh + 1) > data_end)
			return VR_DECAP_STAT_OUTER_UNSUPP;
		if (nh == IPPROTO_FRAGMENT) {
			if (eh->frag_off & bpf_htons(0xfff8))
				return vr_unsupp(data, data_end, eh->nexthdr, 0);
			off += 8;
		} else {
			off += (eh->hdrlen + 1u) * 8u;
		}
		nh = eh->nexthdr;
	}
	return VR_DECAP_STAT_OUTER_UNSUPP;
}

/* Outer L4: UDP to the GUE port, or IP protocol 4 / 41 directly. */
static __always_inline __u32 vr_l4(void *data, void *data_end, __u8 proto, __u32 off, __u32 avail,
				   struct vr_decap_parse *p)
{
	if (off > 0xffff)
		return VR_DECAP_STAT_MALFORMED;
	if (proto == IPPROTO_UDP) {
		struct udphdr *udp = data + off;
		__u32 port = vr_gue_port();
		__u32 ulen;

		if ((void *)(udp + 1) > data_end || avail < sizeof(*udp))
			return VR_DECAP_STAT_MALFORMED;
		if (port == 0 || bpf_ntohs(udp->dest) != port)
			return VR_DECAP_STAT_NOT_ENCAP;
		ulen = bpf_ntohs(udp->len);
		if (ulen < sizeof(*udp) || ulen > avail)
			return VR_DECAP_STAT_MALFORMED;
		return vr_gue(data, data_end, off + sizeof(*udp), ulen - sizeof(*udp), p);
	}
	p->inner_off = off;
	if (proto == IPPROTO_IPIP) {
		p->inner_v6 = 0;
		p->inner_eth = bpf_htons(ETH_P_IP);
		return vr_inner(data, data_end, off, avail, 0, VR_DECAP_VIP_IPIP);
	}
	p->inner_v6 = 1;
	p->inner_eth = bpf_htons(ETH_P_IPV6);
	return vr_inner(data, data_end, off, avail, 1, VR_DECAP_VIP_IPIP);
}

/*
 * @len is the whole frame, which with multi-buffer XDP (jumbo MTU) is more
 * than data_end - data: lengths are checked against it, while every header
 * we read must be in the linear part before data_end.
 */
static __always_inline __u32 vr_parse(void *data, void *data_end, __u32 len, struct vr_decap_parse *p)
{
	struct ethhdr *eth = data;
	__u32 off = ETH_HLEN;
	__be16 type;

	if ((void *)(eth + 1) > data_end)
		return VR_DECAP_STAT_MALFORMED;
	type = eth->h_proto;
	if (type == bpf_htons(ETH_P_8021Q)) {
		struct vr_vlan_hdr *vh = data + ETH_HLEN;

		if ((void *)(vh + 1) > data_end)
			return VR_DECAP_STAT_MALFORMED;
		type = vh->proto;
		off = VR_ETH_VLAN_LEN;
	}
	p->l3_off = off;

	if (type == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = data + off;
		__u32 tot;

		if ((void *)(ip + 1) > data_end)
			return VR_DECAP_STAT_MALFORMED;
		if (ip->protocol != IPPROTO_UDP && ip->protocol != IPPROTO_IPIP &&
		    ip->protocol != IPPROTO_IPV6)
			return VR_DECAP_STAT_NOT_ENCAP;
		if (ip->version != 4 || ip->ihl < 5)
			return VR_DECAP_STAT_MALFORMED;
		/* Fragments would need reassembly first, and the balancer
		 * never writes options: both are left to the kernel. */
		if (ip->frag_off & bpf_htons(VR_IP_OFFSET))
			return vr_unsupp(data, data_end, ip->protocol, 0);
		if (ip->ihl != 5 || (ip->frag_off & bpf_htons(VR_IP_MF)))
			return vr_unsupp(data, data_end, ip->protocol, off + ip->ihl * 4u);
		tot = bpf_ntohs(ip->tot_len);
		if (tot < sizeof(*ip) || tot > len - off || !vr_ipv4_csum_ok(ip))
			return VR_DECAP_STAT_MALFORMED;
		p->outer_ecn = ip->tos & VR_ECN_MASK;
		return vr_l4(data, data_end, ip->protocol, off + sizeof(*ip), tot - sizeof(*ip), p);
	}
	if (type == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = data + off;
		__u32 plen;

		if ((void *)(ip6 + 1) > data_end)
			return VR_DECAP_STAT_MALFORMED;
		switch (ip6->nexthdr) {
		case IPPROTO_UDP:
		case IPPROTO_IPIP:
		case IPPROTO_IPV6:
			break;
		case IPPROTO_HOPOPTS:
		case IPPROTO_ROUTING:
		case IPPROTO_FRAGMENT:
		case IPPROTO_DSTOPTS:
			/* The balancer never sends extension headers; only
			 * find out whether the packet could have been ours. */
			return vr_ipv6_ext(data, data_end, ip6->nexthdr, off + sizeof(*ip6));
		default:
			return VR_DECAP_STAT_NOT_ENCAP;
		}
		if (ip6->version != 6)
			return VR_DECAP_STAT_MALFORMED;
		plen = bpf_ntohs(ip6->payload_len);
		if (plen > len - off - sizeof(*ip6))
			return VR_DECAP_STAT_MALFORMED;
		p->outer_ecn = (ip6->flow_lbl[0] >> 4) & VR_ECN_MASK;
		return vr_l4(data, data_end, ip6->nexthdr, off + sizeof(*ip6), plen, p);
	}
	return VR_DECAP_STAT_NOT_ENCAP;
}

/*
 * Decapsulation in RFC 6040 normal mode (section 4.2), matching the
 * balancer, which copies the inner ECN field out: a congestion mark a router
 * set on the outer header must reach the receiver's transport, or the
 * sender never slows down. Returns 0, or -1 when the RFC says to drop
 * (outer CE over a Not-ECT inner packet). DSCP stays as the client set it.
 */
static __always_inline int vr_ecn_decap(void *data, void *data_end, const struct vr_decap_parse *p)
{
	__u8 outer = p->outer_ecn, inner, set;

	if (p->inner_off > 0xffff)
		return -1;
	if (!p->inner_v6) {
		struct iphdr *ip = data + p->inner_off;
		__u16 old, new;
		__u32 sum;

		if ((void *)(ip + 1) > data_end)
			return -1;
		inner = ip->tos & VR_ECN_MASK;
		if (inner == VR_ECN_NOT_ECT)
			return outer == VR_ECN_CE ? -1 : 0;
		if (inner == VR_ECN_CE || (outer != VR_ECN_CE && outer != VR_ECN_ECT1) || inner == outer)
			return 0;
		set = outer;
		/* Incremental checksum update (RFC 1624 eqn. 3) over the
		 * 16-bit word holding the TOS byte. */
		old = *(__u16 *)ip;
		ip->tos = (ip->tos & ~VR_ECN_MASK) | set;
		new = *(__u16 *)ip;
		sum = (__u16)~ip->check + (__u32)(__u16)~old + new;
		sum = (sum & 0xffff) + (sum >> 16);
		sum = (sum & 0xffff) + (sum >> 16);
		ip->check = (__u16)~sum;
	} else {
		struct ipv6hdr *ip6 = data + p->inner_off;

		if ((void *)(ip6 + 1) > data_end)
			return -1;
		inner = (ip6->flow_lbl[0] >> 4) & VR_ECN_MASK;
		if (inner == VR_ECN_NOT_ECT)
			return outer == VR_ECN_CE ? -1 : 0;
		if (inner == VR_ECN_CE || (outer != VR_ECN_CE && outer != VR_ECN_ECT1) || inner == outer)
			return 0;
		set = outer;
		ip6->flow_lbl[0] = (ip6->flow_lbl[0] & ~(VR_ECN_MASK << 4)) | (set << 4);
	}
	return 0;
}

/* "xdp.frags": a 9000-byte MTU underlay is common for tunnels, and the
 * kernel refuses a non-frags program in native mode on such an interface. */
SEC("xdp.frags")
int vr_decap_xdp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct vr_decap_parse p = {};
	struct ethhdr eth_save;
	struct vr_vlan_hdr vlan_save = {};
	__u32 verdict, strip;
	struct ethhdr *eth;

	verdict = vr_parse(data, data_end, (__u32)bpf_xdp_get_buff_len(ctx), &p);
	if (verdict == VR_DECAP_STAT_MALFORMED) {
		vr_count(verdict);
		return XDP_DROP;
	}
	if (verdict != VR_DECAP_STAT_GUE && verdict != VR_DECAP_STAT_IPIP) {
		vr_count(verdict);
		return XDP_PASS;
	}

	if (vr_ecn_decap(data, data_end, &p) != 0) {
		vr_count(VR_DECAP_STAT_ECN_DROP);
		return XDP_DROP;
	}

	/* Keep MACs (the frame was addressed to us) and the VLAN tag (the
	 * inner packet arrives on the same VLAN device the outer one would
	 * have); only the ethertype names the inner family now. */
	eth = data;
	if ((void *)(eth + 1) > data_end)
		goto abort;
	__builtin_memcpy(&eth_save, eth, sizeof(eth_save));
	if (p.l3_off == VR_ETH_VLAN_LEN) {
		struct vr_vlan_hdr *vh = data + ETH_HLEN;

		if ((void *)(vh + 1) > data_end)
			goto abort;
		vlan_save.tci = vh->tci;
		vlan_save.proto = p.inner_eth;
	} else {
		eth_save.h_proto = p.inner_eth;
	}

	strip = p.inner_off - p.l3_off;
	if (bpf_xdp_adjust_head(ctx, (int)strip))
		goto abort;
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	eth = data;
	if ((void *)(eth + 1) > data_end)
		goto abort;
	__builtin_memcpy(eth, &eth_save, sizeof(*eth));
	if (p.l3_off == VR_ETH_VLAN_LEN) {
		struct vr_vlan_hdr *vh = data + ETH_HLEN;

		if ((void *)(vh + 1) > data_end)
			goto abort;
		*vh = vlan_save;
	}
	vr_count(verdict);
	return XDP_PASS;

abort:
	/* Unreachable after a successful parse; counted so it cannot hide. */
	vr_count(VR_DECAP_STAT_MALFORMED);
	return XDP_ABORTED;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
