/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-3-Clause) */
/* XDP program for AF_XDP deployments of voxrelay-dp: steers VIP voice traffic (and ARP/ND for our addresses) to the AF_XDP socket of its RX queue, drops floods early, passes the rest to the kernel. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/icmpv6.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "voxrelay/steer.h"

/*
 * What goes where (docs/steer.md has the full table):
 *   UDP to a VIP address and one of its ports   → checks below, then AF_XDP
 *   ARP / ND for an address in self_addrs        → AF_XDP (NEIGH_TO_XSK) or kernel
 *   everything else (TCP, ICMP, other UDP, ...)  → kernel (XDP_PASS)
 * The program only ever drops traffic it would otherwise have handed to the
 * dataplane, plus frames the kernel's own input path would discard anyway
 * (truncated or inconsistent headers), so a mistake in the VIP list cannot
 * cut the host off: SSH, BGP and the host's own ARP keep reaching the kernel.
 *
 * Non-frags ("xdp"): AF_XDP in DPDK 22.11 has no multi-buffer support, and
 * voice never needs frames larger than a page, so data_end - data is the
 * whole frame and every length check can use it.
 *
 * The object holds exactly one program: DPDK's net_af_xdp loads the file
 * given as xdp_prog= and attaches the first program it finds.
 */

/* Not in the uapi headers (linux/if_vlan.h keeps it kernel-internal). */
struct vr_vlan_hdr {
	__be16 tci;
	__be16 proto;
};

/* ARP for IPv4 over Ethernet (RFC 826); linux/if_arp.h leaves the addresses out. */
struct vr_arp_eth4 {
	__be16 htype;
	__be16 ptype;
	__u8 hlen;
	__u8 plen;
	__be16 oper;
	__u8 sha[6];
	__u8 spa[4];
	__u8 tha[6];
	__u8 tpa[4];
} __attribute__((packed));

/* ICMPv6 neighbour solicitation (RFC 4861 4.3) up to its target address. */
struct vr_nd_ns {
	__u8 type;
	__u8 code;
	__be16 csum;
	__be32 reserved;
	__u8 target[16];
};

#define VR_IP_MF 0x2000
#define VR_IP_OFFSET 0x1fff
#define VR_ARP_HTYPE_ETHER 1
#define VR_ND_NS 135 /* neighbour solicitation */
#define VR_ND_NA 136 /* neighbour advertisement */
/* Extension headers looked through to find UDP behind an IPv6 VIP address. */
#define VR_IPV6_MAX_EXT 4

/* Minimum lengths of what RFC 7983 lets through, so user space never sees a
 * packet shorter than the header it claims to start with. */
#define VR_STUN_HDR_LEN 20 /* RFC 8489 5 */
#define VR_DTLS_HDR_LEN 13 /* RFC 6347 4.1: DTLS record header */
#define VR_RTP_HDR_LEN 12  /* RFC 3550 5.1, without CSRCs */
#define VR_RTCP_HDR_LEN 8  /* RFC 3550 6.4.1: header and SSRC of the shortest (empty RR) */

/*
 * AF_XDP sockets by RX queue index. The name is net_af_xdp's convention: in
 * DPDK 22.11 (drivers/net/af_xdp/rte_eth_af_xdp.c, load_custom_xdp_prog())
 * the PMD opens the xdp_prog= object, looks up a map named exactly
 * "xsks_map" and inserts each socket under its netdev queue index
 * (start_queue + n); no pinned maps (those came in later DPDK releases).
 */
struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, VR_STEER_MAX_QUEUES);
	__type(key, __u32);
	__type(value, __u32);
} xsks_map SEC(".maps");

/* VIP addresses served by the dataplane: their UDP port ranges, each with its checks. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, VR_STEER_MAX_VIPS);
	__type(key, struct vr_bpf_addr_key);
	__type(value, struct vr_steer_vip);
} vips SEC(".maps");

/* Addresses the dataplane answers ARP/ND for (a set; the value is unused, write 0). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, VR_STEER_MAX_SELF);
	__type(key, struct vr_bpf_addr_key);
	__type(value, __u32);
} self_addrs SEC(".maps");

/* Settings (struct vr_steer_cfg in the only slot), written by the loader. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct vr_steer_cfg);
} steer_cfg SEC(".maps");

/*
 * Per-source token buckets for the rate limit. One map shared by all CPUs
 * rather than a per-CPU LRU: RSS spreads one source's packets over queues
 * whenever its ports vary, and per-CPU buckets would then grant it the rate
 * once per queue. The price is a race, see vr_rate_ok(). No common LRU
 * list: under a spoofed-source flood every packet inserts, and per-CPU LRU
 * lists keep those inserts off a shared lock.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(map_flags, BPF_F_NO_COMMON_LRU);
	__uint(max_entries, VR_STEER_MAX_SOURCES);
	__type(key, struct vr_bpf_addr_key);
	__type(value, struct vr_steer_bucket);
} src_buckets SEC(".maps");

/* Per-CPU packet counters (enum vr_steer_stat slots), summed by user space. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, VR_STEER_STAT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} steer_stats SEC(".maps");

static __always_inline void vr_count(__u32 stat)
{
	__u64 *v = bpf_map_lookup_elem(&steer_stats, &stat);

	if (v)
		*v += 1;
}

static __always_inline int vr_pass(void)
{
	vr_count(VR_STEER_STAT_PASSED_KERNEL);
	return XDP_PASS;
}

static __always_inline int vr_drop(__u32 stat)
{
	vr_count(stat);
	return XDP_DROP;
}

/*
 * Hands the frame to the socket of the queue it arrived on (a socket only
 * accepts frames from the queue it is bound to, so no other slot would do).
 * An empty slot makes bpf_redirect_map() return the fallback action, here
 * XDP_PASS: with the dataplane down or a queue without a socket the kernel
 * still gets the packet. "redirected" counts a found socket; a full RX ring
 * is counted by the socket itself (XDP_STATISTICS rx_dropped), not here.
 */
static __always_inline int vr_to_xsk(struct xdp_md *ctx)
{
	long act = bpf_redirect_map(&xsks_map, ctx->rx_queue_index, XDP_PASS);

	vr_count(act == XDP_REDIRECT ? VR_STEER_STAT_REDIRECTED : VR_STEER_STAT_REDIRECT_FAILED);
	return (int)act;
}

/*
 * Token bucket of source @src: 1 if the packet may pass (and takes a token).
 *
 * Concurrency: the bucket is read and written with plain 64-bit loads and
 * stores, no lock. Two CPUs handling the same source at the same moment can
 * both see the same token and both pass (an overshoot of at most one packet
 * per CPU racing), or one can overwrite the other's refill (an undershoot
 * of one refill step, made up on the next packet). Neither corrupts the
 * bucket and both are far below what a flood needs to matter, whereas a
 * spin lock would serialise every queue on a flooding source.
 *
 * Time: bpf_ktime_get_ns() is monotonic, but a CPU that read the clock
 * before another CPU stored a later last_ns sees now < last_ns; that must
 * count as no time elapsed, never as a huge unsigned difference (which
 * would refill the bucket completely).
 */
static __always_inline int vr_rate_ok(const struct vr_bpf_addr_key *src, const struct vr_steer_cfg *cfg)
{
	__u64 cost = VR_STEER_NS_PER_S, now = bpf_ktime_get_ns(), cap, t;
	__u32 burst = cfg->burst ? cfg->burst : 1;
	struct vr_steer_bucket *b;

	cap = (__u64)burst * cost; /* < 2^62 for any 32-bit burst */
	b = bpf_map_lookup_elem(&src_buckets, src);
	if (!b) {
		/* First packet of this source (or it was evicted): a full
		 * bucket, minus this packet. NOEXIST: if another CPU inserted
		 * it meanwhile, keep theirs. A failed insert (map full of
		 * entries being inserted by others) lets the packet through:
		 * failing open keeps voice working, the next packet retries. */
		struct vr_steer_bucket nb = {.tokens = cap - cost, .last_ns = now};

		bpf_map_update_elem(&src_buckets, src, &nb, BPF_NOEXIST);
		return 1;
	}
	t = b->tokens;
	if (now > b->last_ns) {
		__u64 dt = now - b->last_ns;

		/* Below cap / rate ns, dt * rate < cap: no overflow. From
		 * there on the bucket is full whatever dt is. */
		if (dt >= cap / cfg->rate_pps)
			t = cap;
		else
			t += dt * cfg->rate_pps;
		b->last_ns = now;
	}
	/* Also clamps a bucket filled under a larger, since lowered, burst. */
	if (t > cap)
		t = cap;
	if (t < cost) {
		b->tokens = t;
		return 0;
	}
	b->tokens = t - cost;
	return 1;
}

/*
 * RFC 7983 demultiplexing on the first payload byte, plus the lengths of
 * the headers it implies. Returns a drop counter, or VR_STEER_STAT_MAX to
 * let the packet through. @p is the UDP payload, @plen its length from the
 * UDP header (already checked to lie inside the frame).
 *
 * Accepted: 0..3 STUN, 20..63 DTLS, 128..191 RTP/RTCP. Not accepted, as
 * the relay speaks neither: 16..19 ZRTP, 64..79 TURN channel data (we are
 * not a TURN server), the rest of 64..127 (QUIC short headers, RFC 9443)
 * and 4..15 (unassigned). The first byte alone cannot tell an RTP header
 * with version 1 (0x40..0x7f) from those (an IPv4 header, 0x45, is in the
 * same range), so it counts as not voice too; only 192..255, where nothing
 * RFC 7983 assigns lives and an RTP header would carry version 3, counts as
 * a bad RTP version. 128..191 is exactly RTP/RTCP version 2.
 */
static __always_inline __u32 vr_voice_check(void *data_end, const __u8 *p, __u32 plen)
{
	__u8 b0;

	if (plen < 1 || (void *)(p + 1) > data_end)
		return VR_STEER_STAT_DROP_SHORT;
	b0 = p[0];
	if (b0 <= 3)
		return plen < VR_STUN_HDR_LEN ? VR_STEER_STAT_DROP_SHORT : VR_STEER_STAT_MAX;
	if (b0 >= 20 && b0 <= 63)
		return plen < VR_DTLS_HDR_LEN ? VR_STEER_STAT_DROP_SHORT : VR_STEER_STAT_MAX;
	if (b0 >= 192)
		return VR_STEER_STAT_DROP_RTP_VERSION;
	if (b0 < 128)
		return VR_STEER_STAT_DROP_NOT_VOICE;
	/* RTP or RTCP (version 2). RFC 5761 4: a second byte of 192..223
	 * (RTCP packet types 192..223, RTP payload types 64..95 with the
	 * marker, which RTP must not use) is RTCP. */
	if (plen < 2 || (void *)(p + 2) > data_end)
		return VR_STEER_STAT_DROP_SHORT;
	if (p[1] >= 192 && p[1] <= 223)
		return plen < VR_RTCP_HDR_LEN ? VR_STEER_STAT_DROP_SHORT : VR_STEER_STAT_MAX;
	/* The fixed header and the CSRC list (CC, low 4 bits) it announces. */
	if (plen < VR_RTP_HDR_LEN + (b0 & 0x0fu) * 4u)
		return VR_STEER_STAT_DROP_SHORT;
	return VR_STEER_STAT_MAX;
}

/*
 * Flags of the first range of @vip holding @port, or -1 if none does.
 * Bounded and unrolled: the verifier sees eight constant-offset reads of
 * the map value, whatever nb_ranges says.
 */
static __always_inline long vr_vip_port_flags(const struct vr_steer_vip *vip, __u32 port)
{
	__u32 n = vip->nb_ranges;

#pragma unroll
	for (int i = 0; i < VR_STEER_VIP_RANGES; i++) {
		if ((__u32)i >= n)
			break;
		if (port >= vip->r[i].lo && port <= vip->r[i].hi)
			return vip->r[i].flags;
	}
	return -1;
}

/*
 * A UDP datagram to a VIP address: @udp_off is its header, @end one past
 * the IP packet (Ethernet padding excluded). Port range, then the payload
 * checks, then the rate limit: the stateless checks come first so junk
 * costs no map write, and only packets that would reach the dataplane
 * spend tokens.
 */
static __always_inline int vr_udp_vip(struct xdp_md *ctx, void *data, void *data_end, __u32 udp_off,
				      __u32 end, const struct vr_steer_vip *vip,
				      const struct vr_steer_cfg *cfg, const struct vr_bpf_addr_key *src)
{
	struct udphdr *udp;
	__u32 ulen, flags;
	long f;

	if (udp_off > 0xffff || end > 0xffff)
		return vr_drop(VR_STEER_STAT_MALFORMED);
	udp = data + udp_off;
	if ((void *)(udp + 1) > data_end || udp_off + sizeof(*udp) > end)
		return vr_drop(VR_STEER_STAT_MALFORMED);
	ulen = bpf_ntohs(udp->len);
	if (ulen < sizeof(*udp) || ulen > end - udp_off)
		return vr_drop(VR_STEER_STAT_MALFORMED);
	f = vr_vip_port_flags(vip, bpf_ntohs(udp->dest));
	if (f < 0)
		return vr_pass();
	flags = (__u32)f;

	if ((cfg->flags & VR_STEER_CFG_FILTER) && (flags & VR_STEER_VIP_VOICE)) {
		__u32 why = vr_voice_check(data_end, (const __u8 *)(udp + 1), ulen - sizeof(*udp));

		if (why != VR_STEER_STAT_MAX)
			return vr_drop(why);
	}
	if (cfg->rate_pps && (flags & VR_STEER_VIP_RATE_LIMIT) && !vr_rate_ok(src, cfg))
		return vr_drop(VR_STEER_STAT_DROP_RATE_LIMITED);
	return vr_to_xsk(ctx);
}

/*
 * ARP whose target protocol address is ours: requests for us (the dataplane
 * answers) and replies to the dataplane's own requests (it learns its next
 * hops from them). Gratuitous ARP and requests for other addresses go to
 * the kernel.
 */
static __always_inline int vr_arp(struct xdp_md *ctx, void *data, void *data_end, __u32 off,
				  const struct vr_steer_cfg *cfg)
{
	struct vr_arp_eth4 *arp = data + off;
	struct vr_bpf_addr_key k;
	__be32 tpa;

	if (off > 0xffff || (void *)(arp + 1) > data_end)
		return vr_drop(VR_STEER_STAT_MALFORMED);
	/* Not IPv4 over Ethernet: nothing of ours, the kernel decides. */
	if (arp->htype != bpf_htons(VR_ARP_HTYPE_ETHER) || arp->ptype != bpf_htons(ETH_P_IP) ||
	    arp->hlen != ETH_ALEN || arp->plen != 4)
		return vr_pass();
	if (!(cfg->flags & VR_STEER_CFG_NEIGH_TO_XSK))
		return vr_pass();
	__builtin_memcpy(&tpa, arp->tpa, 4);
	vr_bpf_addr_key_set4(&k, &tpa);
	if (!bpf_map_lookup_elem(&self_addrs, &k))
		return vr_pass();
	return vr_to_xsk(ctx);
}

/*
 * ICMPv6 (next header directly after the fixed IPv6 header; ND never uses
 * extension headers). A neighbour solicitation whose target is ours goes
 * to the dataplane (it answers, including duplicate address detection); so
 * does an advertisement sent to one of our addresses (the answer to the
 * dataplane's solicitation). Unsolicited advertisements to all-nodes,
 * router discovery and everything else stay with the kernel.
 */
static __always_inline int vr_icmp6(struct xdp_md *ctx, void *data, void *data_end, __u32 off,
				    __u32 plen, const struct ipv6hdr *ip6, const struct vr_steer_cfg *cfg)
{
	struct vr_nd_ns *ns = data + off;
	struct vr_bpf_addr_key k;

	if (off > 0xffff || (void *)((__u8 *)ns + 4) > data_end || plen < 4)
		return vr_drop(VR_STEER_STAT_MALFORMED);
	if (ns->type == VR_ND_NS) {
		if ((void *)(ns + 1) > data_end || plen < sizeof(*ns))
			return vr_drop(VR_STEER_STAT_MALFORMED);
		if (!(cfg->flags & VR_STEER_CFG_NEIGH_TO_XSK))
			return vr_pass();
		vr_bpf_addr_key_set6(&k, ns->target);
	} else if (ns->type == VR_ND_NA) {
		if (!(cfg->flags & VR_STEER_CFG_NEIGH_TO_XSK))
			return vr_pass();
		vr_bpf_addr_key_set6(&k, &ip6->daddr);
	} else {
		return vr_pass();
	}
	if (!bpf_map_lookup_elem(&self_addrs, &k))
		return vr_pass();
	return vr_to_xsk(ctx);
}

static __always_inline int vr_ipv4(struct xdp_md *ctx, void *data, void *data_end, __u32 off,
				   const struct vr_steer_cfg *cfg)
{
	struct iphdr *ip = data + off;
	struct vr_bpf_addr_key dst, src;
	struct vr_steer_vip *vip;
	__u32 tot, hl;

	if (off > 0xffff || (void *)(ip + 1) > data_end)
		return vr_drop(VR_STEER_STAT_MALFORMED);
	hl = ip->ihl * 4u;
	tot = bpf_ntohs(ip->tot_len);
	/* What ip_rcv() would discard too: dropping it here is no loss. */
	if (ip->version != 4 || hl < sizeof(*ip) || tot < hl || tot > (__u32)(data_end - data) - off)
		return vr_drop(VR_STEER_STAT_MALFORMED);

	vr_bpf_addr_key_set4(&dst, &ip->daddr);
	vip = bpf_map_lookup_elem(&vips, &dst);
	/* TCP (SSH, BGP), ICMP and the rest to a VIP address are the
	 * host's: only UDP is the dataplane's. */
	if (!vip || ip->protocol != IPPROTO_UDP)
		return vr_pass();
	/* The dataplane does not reassemble (it drops fragments itself), and
	 * a non-first fragment has no port to steer by. */
	if (ip->frag_off & bpf_htons(VR_IP_MF | VR_IP_OFFSET)) {
		if (cfg->flags & VR_STEER_CFG_FILTER)
			return vr_drop(VR_STEER_STAT_DROP_FRAGMENT);
		return vr_pass();
	}
	vr_bpf_addr_key_set4(&src, &ip->saddr);
	return vr_udp_vip(ctx, data, data_end, off + hl, off + tot, vip, cfg, &src);
}

static __always_inline int vr_ipv6(struct xdp_md *ctx, void *data, void *data_end, __u32 off,
				   const struct vr_steer_cfg *cfg)
{
	struct ipv6hdr *ip6 = data + off;
	struct vr_bpf_addr_key dst, src;
	struct vr_steer_vip *vip;
	__u32 plen, end, l4;
	int frag = 0;
	__u8 nh;

	if (off > 0xffff || (void *)(ip6 + 1) > data_end)
		return vr_drop(VR_STEER_STAT_MALFORMED);
	plen = bpf_ntohs(ip6->payload_len);
	if (ip6->version != 6 || plen > (__u32)(data_end - data) - off - sizeof(*ip6))
		return vr_drop(VR_STEER_STAT_MALFORMED);
	l4 = off + sizeof(*ip6);
	end = l4 + plen;
	nh = ip6->nexthdr;
	if (nh == IPPROTO_ICMPV6)
		return vr_icmp6(ctx, data, data_end, l4, plen, ip6, cfg);

	vr_bpf_addr_key_set6(&dst, &ip6->daddr);
	vip = bpf_map_lookup_elem(&vips, &dst);
	if (!vip)
		return vr_pass();
	/* Clients do not send extension headers; walk a few anyway so a
	 * fragment header cannot smuggle a datagram past the filter. */
#pragma unroll
	for (int i = 0; i < VR_IPV6_MAX_EXT; i++) {
		struct vr_ipv6_ext_hdr {
			__u8 nexthdr;
			__u8 hdrlen;
		} *eh = data + l4;

		if (nh != IPPROTO_HOPOPTS && nh != IPPROTO_ROUTING && nh != IPPROTO_DSTOPTS &&
		    nh != IPPROTO_FRAGMENT)
			break;
		if (l4 > 0xffff || (void *)(eh + 1) > data_end || l4 + sizeof(*eh) > end)
			return vr_drop(VR_STEER_STAT_MALFORMED);
		if (nh == IPPROTO_FRAGMENT) {
			/* Any fragment header, atomic ones (offset 0, M 0)
			 * included: RFC 8021 deprecates them and no client
			 * needs them. */
			frag = 1;
			l4 += 8;
		} else {
			l4 += (eh->hdrlen + 1u) * 8u;
		}
		nh = eh->nexthdr;
	}
	if (nh != IPPROTO_UDP) {
		/* TCP/ICMPv6/... to a VIP, or a chain longer than we walk:
		 * the kernel's. */
		return vr_pass();
	}
	if (frag) {
		if (cfg->flags & VR_STEER_CFG_FILTER)
			return vr_drop(VR_STEER_STAT_DROP_FRAGMENT);
		return vr_pass();
	}
	vr_bpf_addr_key_set6(&src, &ip6->saddr);
	return vr_udp_vip(ctx, data, data_end, l4, end, vip, cfg, &src);
}

SEC("xdp")
int vr_steer_xdp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct vr_steer_cfg *cfg;
	__u32 key = 0, off = ETH_HLEN;
	__be16 type;

	cfg = bpf_map_lookup_elem(&steer_cfg, &key);
	if (!cfg) /* cannot happen for an array; keeps the verifier happy */
		return vr_pass();
	if ((void *)(eth + 1) > data_end)
		return vr_drop(VR_STEER_STAT_MALFORMED);
	type = eth->h_proto;
	/* One 802.1Q tag (the NIC may also have stripped it already).
	 * 802.1ad and stacked tags are not ours: voice VLANs are single. */
	if (type == bpf_htons(ETH_P_8021Q)) {
		struct vr_vlan_hdr *vh = data + ETH_HLEN;

		if ((void *)(vh + 1) > data_end)
			return vr_drop(VR_STEER_STAT_MALFORMED);
		type = vh->proto;
		off += sizeof(*vh);
	}
	if (type == bpf_htons(ETH_P_IP))
		return vr_ipv4(ctx, data, data_end, off, cfg);
	if (type == bpf_htons(ETH_P_IPV6))
		return vr_ipv6(ctx, data, data_end, off, cfg);
	if (type == bpf_htons(ETH_P_ARP))
		return vr_arp(ctx, data, data_end, off, cfg);
	return vr_pass();
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
