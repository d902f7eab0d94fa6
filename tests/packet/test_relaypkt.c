/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit test of vr_relay_frame_parse: the client's datagram in direct/GUE/IPIP frames, round trips, every refusal, every prefix; scapy checks them again. */
#include "voxrelay/encap.h"
#include "relaypkt_test.h"

enum kind { K_DIRECT, K_GUE0, K_GUE1, K_IPIP, K_MAX };

/* balancer -> relay (outer) */
static const uint8_t lb4[4] = { 10, 0, 0, 1 }, rl4[4] = { 10, 0, 11, 7 };
static const uint8_t lb6[16] = { 0xfd, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1 };
static const uint8_t rl6[16] = { 0xfd, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0x0b, 0x07 };

static struct frames frames_in;

/* IPv4 (IHL 5, DF, checksum valid) or IPv6 header for @l4_len bytes of @proto. */
static void put_ip(uint8_t *ip, uint8_t fam, uint8_t proto, uint32_t l4_len, const uint8_t *src,
		   const uint8_t *dst)
{
	if (fam == AF_INET) {
		memset(ip, 0, 20);
		ip[0] = 0x45;
		ip[1] = 0xb8;
		vr_t_put16(ip + 2, (uint16_t)(20 + l4_len));
		vr_t_put16(ip + 4, 0x1234);
		vr_t_put16(ip + 6, 0x4000);
		ip[8] = 61;
		ip[9] = proto;
		memcpy(ip + 12, src, 4);
		memcpy(ip + 16, dst, 4);
		vr_t_put16(ip + 10, vr_t_cksum(ip, 20));
	} else {
		ip[0] = 0x6b;
		ip[1] = 0x80;
		ip[2] = 0x12;
		ip[3] = 0x34;
		vr_t_put16(ip + 4, (uint16_t)l4_len);
		ip[6] = proto;
		ip[7] = 61;
		memcpy(ip + 8, src, 16);
		memcpy(ip + 24, dst, 16);
	}
}

static void fix_ip4_cksum(uint8_t *ip)
{
	ip[10] = ip[11] = 0;
	vr_t_put16(ip + 10, vr_t_cksum(ip, 20));
}

static void fix_udp_cksum(uint8_t *ip, uint8_t fam, uint8_t *udp, uint32_t udp_len)
{
	udp[6] = udp[7] = 0;
	vr_t_put16(udp + 6, fam == AF_INET ? vr_t_l4_cksum4(ip, udp, udp_len)
					   : vr_t_l4_cksum6(ip, IPPROTO_UDP, udp, udp_len));
}

/* The client's IP packet to the room: UDP CLIENT_PORT -> ROOM_PORT, @payload bytes. */
static uint32_t put_client(uint8_t *ip, uint8_t fam, uint32_t payload)
{
	uint32_t hl = ip_hlen(fam);
	uint8_t *udp = ip + hl;

	put_ip(ip, fam, IPPROTO_UDP, 8 + payload, fam == AF_INET ? cl4 : cl6, fam == AF_INET ? vip4 : vip6);
	vr_t_put16(udp, CLIENT_PORT);
	vr_t_put16(udp + 2, ROOM_PORT);
	vr_t_put16(udp + 4, (uint16_t)(8 + payload));
	for (uint32_t i = 0; i < payload; i++)
		udp[8 + i] = payload_byte(i);
	fix_udp_cksum(ip, fam, udp, 8 + payload);
	return hl + 8 + payload;
}

/* Where the inner IP packet starts for @kind. */
static uint32_t inner_off(int kind, uint8_t outer, int vlan)
{
	uint32_t l2 = vlan >= 0 ? 18 : 14;

	switch (kind) {
	case K_GUE0:
		return l2 + ip_hlen(outer) + 8 + 4;
	case K_GUE1:
		return l2 + ip_hlen(outer) + 8;
	case K_IPIP:
		return l2 + ip_hlen(outer);
	default:
		return l2;
	}
}

/*
 * Wraps @inner (any bytes, valid or not) as @kind would carry it, with every
 * outer header consistent (lengths, IPv4 checksum, UDP checksum), so only the
 * inner packet can be at fault. @gue_proto: protocol in the GUE header.
 */
static size_t wrap(uint8_t *f, int kind, uint8_t outer, int vlan, const uint8_t *inner, uint32_t inner_len,
		   uint8_t gue_proto)
{
	uint32_t l3 = vlan >= 0 ? 18 : 14, off = inner_off(kind, outer, vlan);
	uint8_t *ip = f + l3;

	memcpy(f, mac_b, 6);
	memcpy(f + 6, mac_a, 6);
	if (vlan >= 0) {
		vr_t_put16(f + 12, 0x8100);
		vr_t_put16(f + 14, (uint16_t)vlan);
	}
	memmove(f + off, inner, inner_len);
	if (kind == K_DIRECT) {
		vr_t_put16(f + l3 - 2, inner_len && (inner[0] >> 4) == 6 ? 0x86dd : 0x0800);
		return off + inner_len;
	}
	vr_t_put16(f + l3 - 2, outer == AF_INET ? 0x0800 : 0x86dd);
	if (kind == K_IPIP) {
		put_ip(ip, outer, gue_proto, inner_len, outer == AF_INET ? lb4 : lb6, outer == AF_INET ? rl4 : rl6);
	} else {
		uint8_t *udp = ip + ip_hlen(outer);
		uint32_t ulen = 8 + (kind == K_GUE0 ? 4 : 0) + inner_len;

		put_ip(ip, outer, IPPROTO_UDP, ulen, outer == AF_INET ? lb4 : lb6, outer == AF_INET ? rl4 : rl6);
		vr_t_put16(udp, 40001);
		vr_t_put16(udp + 2, GUE_PORT);
		vr_t_put16(udp + 4, (uint16_t)ulen);
		if (kind == K_GUE0) {
			udp[8] = 0;
			udp[9] = gue_proto;
			udp[10] = udp[11] = 0;
		}
		fix_udp_cksum(ip, outer, udp, ulen);
	}
	return off + inner_len;
}

static uint8_t proto_of(uint8_t fam)
{
	return fam == AF_INET ? IPPROTO_IPIP : IPPROTO_IPV6;
}

/* A valid frame of @kind carrying a client datagram of @payload bytes. */
static size_t build(uint8_t *f, int kind, uint8_t outer, uint8_t inner, int vlan, uint32_t payload)
{
	uint8_t in[BUF];
	uint32_t n = put_client(in, inner, payload);

	return wrap(f, kind, outer, vlan, in, n, proto_of(inner));
}

/* A parse that must succeed: every field of @rf against the client datagram build() put in. */
static void check_rf(const struct vr_relay_frame *rf, const uint8_t *g, int kind, uint8_t outer, uint8_t inner,
		     int vlan, uint32_t payload)
{
	struct vr_addr want_src, want_dst;
	uint32_t off = inner_off(kind, outer, vlan);

	addr_of(&want_src, inner, inner == AF_INET ? cl4 : cl6);
	addr_of(&want_dst, inner, inner == AF_INET ? vip4 : vip6);
	CHECK_EQ(rf->encap, kind == K_DIRECT ? VR_RELAY_ENCAP_NONE
			    : kind == K_IPIP ? VR_RELAY_ENCAP_IPIP
					     : VR_RELAY_ENCAP_GUE);
	CHECK_EQ(rf->family, inner);
	CHECK(vr_addr_eq(&rf->src, &want_src));
	CHECK(vr_addr_eq(&rf->dst, &want_dst));
	CHECK_MEM(&rf->src, &want_src, sizeof(want_src));
	CHECK_MEM(&rf->dst, &want_dst, sizeof(want_dst));
	CHECK_EQ(rf->sport, CLIENT_PORT);
	CHECK_EQ(rf->dport, ROOM_PORT);
	CHECK_EQ(rf->l3_off, off);
	CHECK_EQ(rf->l3_len, ip_hlen(inner) + 8 + payload);
	CHECK_EQ(rf->payload_off, off + ip_hlen(inner) + 8);
	CHECK_EQ(rf->payload_len, payload);
	for (uint32_t i = 0; i < payload && i < rf->payload_len; i++)
		if (g[rf->payload_off + i] != payload_byte(i)) {
			CHECK_EQ(g[rf->payload_off + i], payload_byte(i));
			break;
		}
}

/* Direct IPv4/IPv6, GUE 0 and 1 and IPIP in all four family combinations, with and without a VLAN tag. */
static void test_accept(void)
{
	static const uint32_t payloads[] = { 0, 1, 33, 172, 1400 };
	uint8_t f[BUF];

	for (int kind = 0; kind < K_MAX; kind++)
		for (int o = 0; o < 2; o++)
			for (int i = 0; i < 2; i++)
				for (int vlan = -1; vlan <= 100; vlan += 101)
					for (size_t p = 0; p < VR_ARRAY_SIZE(payloads); p++) {
						struct vr_relay_frame rf;
						const uint8_t *g;
						size_t n;

						if (kind == K_DIRECT && o != i)
							continue;
						n = build(f, kind, fams[o], fams[i], vlan, payloads[p]);
						memset(&rf, 0x5a, sizeof(rf));
						CHECK_DROP(parse2(f, n, GUE_PORT, &rf, &g), VR_DROP_NONE);
						check_rf(&rf, g, kind, fams[o], fams[i], vlan, payloads[p]);
						if (payloads[p] == 33 || payloads[p] == 172) {
							dump(&frames_in, f, n);
							expect_line(&frames_in, &rf, g, "");
						}
					}
}

/* GUE off (port 0), another UDP port, inner padding, and a frame from vr_pkt_parse's other classes. */
static void test_edges(void)
{
	uint8_t f[BUF], in[BUF];
	struct vr_relay_frame rf;
	struct vr_pkt_info pi;
	const uint8_t *g;
	size_t n;
	uint32_t il;

	/* gue_port 0: a GUE frame is just a datagram to port 6080 */
	n = build(f, K_GUE0, AF_INET, AF_INET6, -1, 50);
	CHECK_DROP(parse2(f, n, 0, &rf, &g), VR_DROP_NONE);
	CHECK_EQ(rf.encap, VR_RELAY_ENCAP_NONE);
	CHECK_EQ(rf.dport, GUE_PORT);
	CHECK_EQ(rf.sport, 40001);
	CHECK_EQ(rf.payload_len, 4 + 40 + 8 + 50);
	CHECK_EQ(rf.payload_off, 14 + 20 + 8);
	CHECK_EQ(rf.family, AF_INET);
	/* a different GUE port: likewise */
	CHECK_DROP(parse2(f, n, GUE_PORT + 1, &rf, &g), VR_DROP_NONE);
	CHECK_EQ(rf.encap, VR_RELAY_ENCAP_NONE);
	/* ...and a client that happens to send to the GUE port from outside
	 * is refused for its header, not handed over */
	n = build(f, K_DIRECT, AF_INET, AF_INET, -1, 50);
	vr_t_put16(f + 14 + 20 + 2, GUE_PORT);
	CHECK_DROP(parse2(f, n, GUE_PORT, &rf, &g), VR_DROP_GUE_BAD_HEADER);
	CHECK_EQ(rf.encap, VR_RELAY_ENCAP_GUE);

	/* bytes after the inner packet inside the tunnel are padding, as on Ethernet */
	for (int kind = K_GUE0; kind < K_MAX; kind++)
		for (int o = 0; o < 2; o++)
			for (int i = 0; i < 2; i++) {
				il = put_client(in, fams[i], 40);
				memset(in + il, 0xee, 30);
				n = wrap(f, kind, fams[o], -1, in, il + 30, proto_of(fams[i]));
				CHECK_DROP(parse2(f, n, GUE_PORT, &rf, &g), VR_DROP_NONE);
				check_rf(&rf, g, kind, fams[o], fams[i], -1, 40);
			}
	/* Ethernet padding after a short direct datagram */
	n = build(f, K_DIRECT, AF_INET, AF_INET, -1, 0);
	memset(f + n, 0, 60 - n);
	CHECK_DROP(parse2(f, 60, GUE_PORT, &rf, &g), VR_DROP_NONE);
	CHECK_EQ(rf.payload_len, 0);
	CHECK_EQ(rf.payload_off, 42);

	/* Outer classes that carry no client datagram */
	n = build(f, K_IPIP, AF_INET, AF_INET, -1, 20);
	f[14 + 9] = IPPROTO_ICMP;
	fix_ip4_cksum(f + 14);
	CHECK_DROP(parse2(f, n, GUE_PORT, &rf, &g), VR_DROP_NOT_UDP);
	CHECK_EQ(rf.encap, VR_RELAY_ENCAP_NONE);
	n = build(f, K_IPIP, AF_INET6, AF_INET, -1, 20);
	f[14 + 6] = IPPROTO_GRE;
	CHECK_DROP(parse2(f, n, GUE_PORT, &rf, &g), VR_DROP_NOT_UDP);
	/* a TCP segment (VR_PKT_TCP) */
	n = build(f, K_IPIP, AF_INET, AF_INET, -1, 20);
	f[14 + 9] = IPPROTO_TCP;
	f[14 + 20 + 12] = 0x50;
	fix_ip4_cksum(f + 14);
	CHECK_DROP(vr_pkt_parse(f, (uint32_t)n, &pi), VR_DROP_NONE);
	CHECK_EQ(pi.cls, VR_PKT_TCP);
	CHECK_DROP(parse2(f, n, GUE_PORT, &rf, &g), VR_DROP_NOT_UDP);
	/* ARP */
	memset(f, 0, 60);
	vr_t_put16(f + 12, 0x0806);
	vr_t_put16(f + 14, 1);
	vr_t_put16(f + 16, 0x0800);
	f[18] = 6;
	f[19] = 4;
	CHECK_DROP(vr_pkt_parse(f, 60, &pi), VR_DROP_NONE);
	CHECK_EQ(pi.cls, VR_PKT_ARP);
	CHECK_DROP(parse2(f, 60, GUE_PORT, &rf, &g), VR_DROP_NOT_UDP);
}

/* Every way the GUE header can be one we do not take. */
static void test_bad_gue(void)
{
	uint8_t f[BUF], in[BUF];
	struct vr_relay_frame rf;
	size_t n;

	for (int o = 0; o < 2; o++)
		for (int i = 0; i < 2; i++) {
			uint32_t il = put_client(in, fams[i], 30);
			uint32_t gue = 14 + ip_hlen(fams[o]) + 8;

			/* version 1 is the variant-1 form below; 2 and 3 are reserved; C bit; each Hlen */
			static const uint8_t first[] = { 0x80, 0xc0, 0xbf, 0xff, 0x20, 0x3f };
			for (size_t k = 0; k < VR_ARRAY_SIZE(first); k++) {
				n = wrap(f, K_GUE0, fams[o], -1, in, il, proto_of(fams[i]));
				f[gue] = first[k];
				CHECK_DROP(parse2(f, n, GUE_PORT, &rf, NULL), VR_DROP_GUE_BAD_HEADER);
				CHECK_EQ(rf.encap, VR_RELAY_ENCAP_GUE);
			}
			for (uint8_t hlen = 1; hlen < 32; hlen++) {
				n = wrap(f, K_GUE0, fams[o], -1, in, il, proto_of(fams[i]));
				f[gue] = hlen;
				CHECK_DROP(parse2(f, n, GUE_PORT, &rf, NULL), VR_DROP_GUE_BAD_HEADER);
			}
			/* flags announce optional fields */
			for (int b = 0; b < 16; b++) {
				n = wrap(f, K_GUE0, fams[o], -1, in, il, proto_of(fams[i]));
				f[gue + 2 + b / 8] = (uint8_t)(0x80 >> (b % 8));
				CHECK_DROP(parse2(f, n, GUE_PORT, &rf, NULL), VR_DROP_GUE_BAD_HEADER);
			}
			/* inner protocols other than 4 and 41 (UDP, GRE, TCP, 0, 255) */
			static const uint8_t protos[] = { 17, 47, 6, 0, 255, 94 };
			for (size_t k = 0; k < VR_ARRAY_SIZE(protos); k++) {
				n = wrap(f, K_GUE0, fams[o], -1, in, il, protos[k]);
				CHECK_DROP(parse2(f, n, GUE_PORT, &rf, NULL), VR_DROP_GUE_BAD_HEADER);
			}
			/* variant 1 whose nibble is no IP version (0101, 0111) */
			for (uint8_t nib = 4; nib < 8; nib++) {
				uint8_t bad[BUF];

				memcpy(bad, in, il);
				bad[0] = (uint8_t)(nib << 4 | (bad[0] & 0x0f));
				n = wrap(f, K_GUE1, fams[o], -1, bad, il, 0);
				if (nib == 5 || nib == 7)
					CHECK_DROP(parse2(f, n, GUE_PORT, &rf, NULL), VR_DROP_GUE_BAD_HEADER);
				else if ((nib == 4) != (fams[i] == AF_INET))
					/* the nibble chooses the parser, which then finds the other version's header */
					CHECK(parse2(f, n, GUE_PORT, &rf, NULL) != VR_DROP_NONE);
				else
					CHECK_DROP(parse2(f, n, GUE_PORT, &rf, NULL), VR_DROP_NONE);
			}
			/* fewer bytes than a GUE header: 0..3 of a variant-0 header (so 0 for variant 1 too) */
			for (uint32_t k = 0; k < 4; k++) {
				uint8_t g4[4] = { 0, proto_of(fams[i]), 0, 0 };

				n = wrap(f, K_GUE1, fams[o], -1, g4, k, 0);
				CHECK_DROP(parse2(f, n, GUE_PORT, &rf, NULL), VR_DROP_GUE_BAD_HEADER);
			}
			/* variant 0, only the 4-byte header: the inner header is missing */
			n = wrap(f, K_GUE0, fams[o], -1, in, 0, proto_of(fams[i]));
			CHECK_DROP(parse2(f, n, GUE_PORT, &rf, NULL), VR_DROP_INNER_TRUNCATED);
			/* variant 1 with one byte: the IP header is cut */
			n = wrap(f, K_GUE1, fams[o], -1, in, 1, 0);
			CHECK_DROP(parse2(f, n, GUE_PORT, &rf, NULL), VR_DROP_INNER_TRUNCATED);
		}
}

/*
 * The inner packet cut at every length, with the outer headers saying so
 * (so only the inner check can catch it): first its IP header is missing,
 * then its IP length points past what the tunnel carries. Then an inner
 * packet whose own lengths agree but whose UDP header is cut, and UDP
 * lengths out of range.
 */
static void test_inner_truncated(void)
{
	uint8_t f[BUF], in[BUF];
	struct vr_relay_frame rf;
	size_t n;

	for (int kind = K_GUE0; kind < K_MAX; kind++)
		for (int o = 0; o < 2; o++)
			for (int i = 0; i < 2; i++) {
				uint32_t full = put_client(in, fams[i], 24), hl = ip_hlen(fams[i]);

				for (uint32_t k = 0; k <= full; k++) {
					enum vr_drop want = k < hl	 ? VR_DROP_INNER_TRUNCATED
							    : k < full ? VR_DROP_INNER_BAD_LENGTH
								       : VR_DROP_NONE;

					if (kind == K_GUE1 && k == 0)
						want = VR_DROP_GUE_BAD_HEADER;
					n = wrap(f, kind, fams[o], 7, in, k, proto_of(fams[i]));
					CHECK_DROP(parse2(f, n, GUE_PORT, &rf, NULL), want);
				}
				/* IP lengths agree with the tunnel, the UDP header does not fit */
				for (uint32_t j = 0; j < 8; j++) {
					put_ip(in, fams[i], IPPROTO_UDP, j, fams[i] == AF_INET ? cl4 : cl6,
					       fams[i] == AF_INET ? vip4 : vip6);
					memset(in + hl, 0x11, j);
					n = wrap(f, kind, fams[o], -1, in, hl + j, proto_of(fams[i]));
					CHECK_DROP(parse2(f, n, GUE_PORT, &rf, NULL), VR_DROP_INNER_TRUNCATED);
				}
				/* UDP length below 8, one past the IP payload, 0xffff */
				static const uint16_t ulens[] = { 0, 7, 8 + 24 + 1, 0xffff };
				for (size_t k = 0; k < VR_ARRAY_SIZE(ulens); k++) {
					full = put_client(in, fams[i], 24);
					vr_t_put16(in + hl + 4, ulens[k]);
					n = wrap(f, kind, fams[o], -1, in, full, proto_of(fams[i]));
					CHECK_DROP(parse2(f, n, GUE_PORT, &rf, NULL), VR_DROP_INNER_BAD_LENGTH);
				}
				/* IP length below its own header (IPv4), and past the tunnel by one */
				full = put_client(in, fams[i], 24);
				if (fams[i] == AF_INET) {
					vr_t_put16(in + 2, 19);
					fix_ip4_cksum(in);
				} else {
					vr_t_put16(in + 4, (uint16_t)(full - 40 + 1));
				}
				n = wrap(f, kind, fams[o], -1, in, full, proto_of(fams[i]));
				CHECK_DROP(parse2(f, n, GUE_PORT, &rf, NULL), VR_DROP_INNER_BAD_LENGTH);
			}
}

/* Inner checksum, fragment, not UDP, and the header shapes vr_pkt_parse refuses. */
static void test_inner_bad(void)
{
	uint8_t f[BUF], in[BUF];
	struct vr_relay_frame rf;
	size_t n;
	uint32_t il;

	for (int kind = K_GUE0; kind < K_MAX; kind++)
		for (int o = 0; o < 2; o++) {
			uint8_t out = fams[o];

			/* IPv4 header checksum: wrong field, stale after a change, zero */
			il = put_client(in, AF_INET, 30);
			in[10] ^= 0x01;
			n = wrap(f, kind, out, -1, in, il, IPPROTO_IPIP);
			CHECK_DROP(parse2(f, n, GUE_PORT, &rf, NULL), VR_DROP_INNER_BAD_CHECKSUM);
			il = put_client(in, AF_INET, 30);
			in[15] ^= 0x40;
			n = wrap(f, kind, out, -1, in, il, IPPROTO_IPIP);
			CHECK_DROP(parse2(f, n, GUE_PORT, &rf, NULL), VR_DROP_INNER_BAD_CHECKSUM);
			/* IPv6 UDP with checksum 0 (RFC 8200 section 8.1); IPv4's 0 is fine */
			il = put_client(in, AF_INET6, 30);
			in[40 + 6] = in[40 + 7] = 0;
			n = wrap(f, kind, out, -1, in, il, IPPROTO_IPV6);
			CHECK_DROP(parse2(f, n, GUE_PORT, &rf, NULL), VR_DROP_INNER_BAD_CHECKSUM);
			il = put_client(in, AF_INET, 30);
			in[20 + 6] = in[20 + 7] = 0;
			n = wrap(f, kind, out, -1, in, il, IPPROTO_IPIP);
			CHECK_DROP(parse2(f, n, GUE_PORT, &rf, NULL), VR_DROP_NONE);

			/* fragments: IPv4 MF, offset, both; IPv6 fragment header */
			static const uint16_t frag[] = { 0x2000, 0x0001, 0x2001, 0x1fff, 0x6000 };
			for (size_t k = 0; k < VR_ARRAY_SIZE(frag); k++) {
				il = put_client(in, AF_INET, 30);
				vr_t_put16(in + 6, frag[k]);
				fix_ip4_cksum(in);
				n = wrap(f, kind, out, -1, in, il, IPPROTO_IPIP);
				CHECK_DROP(parse2(f, n, GUE_PORT, &rf, NULL), VR_DROP_INNER_FRAGMENT);
			}
			il = put_client(in, AF_INET6, 30);
			in[6] = IPPROTO_FRAGMENT;
			n = wrap(f, kind, out, -1, in, il, IPPROTO_IPV6);
			CHECK_DROP(parse2(f, n, GUE_PORT, &rf, NULL), VR_DROP_INNER_FRAGMENT);

			/* not UDP: TCP (well formed), ICMP, ICMPv6 echo and ND, No Next Header */
			for (int i = 0; i < 2; i++) {
				static const uint8_t l4[] = { IPPROTO_TCP, IPPROTO_ICMP, IPPROTO_ICMPV6, 59 };
				for (size_t k = 0; k < VR_ARRAY_SIZE(l4); k++) {
					il = put_client(in, fams[i], 30);
					if (fams[i] == AF_INET) {
						in[9] = l4[k];
						fix_ip4_cksum(in);
					} else {
						in[6] = l4[k];
					}
					in[ip_hlen(fams[i]) + 12] = 0x50; /* TCP data offset 5 */
					n = wrap(f, kind, out, -1, in, il, proto_of(fams[i]));
					CHECK_DROP(parse2(f, n, GUE_PORT, &rf, NULL), VR_DROP_INNER_NOT_UDP);
					if (fams[i] == AF_INET6 && l4[k] == IPPROTO_ICMPV6) {
						in[40] = 135; /* neighbour solicitation */
						n = wrap(f, kind, out, -1, in, il, proto_of(fams[i]));
						CHECK_DROP(parse2(f, n, GUE_PORT, &rf, NULL), VR_DROP_INNER_NOT_UDP);
					}
				}
			}

			/* IPv4 options (consistent lengths and checksum), IHL below 5 */
			il = put_client(in, AF_INET, 30);
			memmove(in + 24, in + 20, il - 20);
			in[0] = 0x46;
			in[20] = in[21] = in[22] = 1;
			in[23] = 0;
			vr_t_put16(in + 2, (uint16_t)(il + 4));
			fix_ip4_cksum(in);
			n = wrap(f, kind, out, -1, in, il + 4, IPPROTO_IPIP);
			CHECK_DROP(parse2(f, n, GUE_PORT, &rf, NULL), VR_DROP_INNER_BAD_HEADER);
			il = put_client(in, AF_INET, 30);
			in[0] = 0x44;
			fix_ip4_cksum(in);
			n = wrap(f, kind, out, -1, in, il, IPPROTO_IPIP);
			CHECK_DROP(parse2(f, n, GUE_PORT, &rf, NULL), VR_DROP_INNER_BAD_HEADER);
			/* IPv6 extension headers, even when they lead to UDP */
			static const uint8_t ext[] = { 0, 43, 60, 51, 50 };
			for (size_t k = 0; k < VR_ARRAY_SIZE(ext); k++) {
				il = put_client(in, AF_INET6, 30);
				in[6] = ext[k];
				n = wrap(f, kind, out, -1, in, il, IPPROTO_IPV6);
				CHECK_DROP(parse2(f, n, GUE_PORT, &rf, NULL), VR_DROP_INNER_BAD_HEADER);
			}
			/* the packet is not the version the tunnel announced (GUE 0 protocol / IPIP protocol) */
			if (kind != K_GUE1) {
				il = put_client(in, AF_INET6, 30);
				n = wrap(f, kind, out, -1, in, il, IPPROTO_IPIP);
				CHECK_DROP(parse2(f, n, GUE_PORT, &rf, NULL), VR_DROP_INNER_BAD_HEADER);
				il = put_client(in, AF_INET, 30);
				n = wrap(f, kind, out, -1, in, il, IPPROTO_IPV6);
				CHECK_DROP(parse2(f, n, GUE_PORT, &rf, NULL), VR_DROP_INNER_BAD_HEADER);
			}
		}
}

/*
 * Every prefix of every valid frame, against a guard page: vr_pkt_parse
 * and then vr_relay_frame_parse (with its own result, and with the full
 * frame's, as a caller mixing up buffers would) never read past the
 * prefix, and no prefix but the whole frame is accepted.
 */
static void test_every_prefix(void)
{
	uint8_t f[BUF];

	for (int kind = 0; kind < K_MAX; kind++)
		for (int o = 0; o < 2; o++)
			for (int i = 0; i < 2; i++)
				for (int vlan = -1; vlan <= 3; vlan += 4) {
					struct vr_pkt_info full_pi, pi;
					struct vr_relay_frame rf;
					size_t full;

					if (kind == K_DIRECT && o != i)
						continue;
					full = build(f, kind, fams[o], fams[i], vlan, 60);
					CHECK_DROP(vr_pkt_parse(f, (uint32_t)full, &full_pi), VR_DROP_NONE);
					for (size_t n = 0; n <= full; n++) {
						const uint8_t *g = vr_guard_copy(&guard, f, n);
						enum vr_drop d = vr_pkt_parse(g, (uint32_t)n, &pi);

						if (d == VR_DROP_NONE)
							d = vr_relay_frame_parse(g, (uint32_t)n, &pi, GUE_PORT, &rf);
						CHECK(n == full ? d == VR_DROP_NONE : d != VR_DROP_NONE);
						d = vr_relay_frame_parse(g, (uint32_t)n, &full_pi, GUE_PORT, &rf);
						CHECK(n == full ? d == VR_DROP_NONE : d != VR_DROP_NONE);
					}
				}
}

/* vr_encap()'s frames, every type and family combination, give back the datagram it wrapped. */
static void test_encap_round_trip(void)
{
	static uint8_t buf[VR_ENCAP_MAX_HDR + BUF];
	static const uint32_t payloads[] = { 0, 33, 172, 1200 };

	for (int t = VR_ENCAP_GUE; t <= VR_ENCAP_IPIP; t++)
		for (int o = 0; o < 2; o++)
			for (int i = 0; i < 2; i++)
				for (size_t p = 0; p < VR_ARRAY_SIZE(payloads); p++) {
					uint8_t *l3 = buf + VR_ENCAP_MAX_HDR, *frame = NULL, orig[BUF];
					struct vr_encap_params ep;
					struct vr_relay_frame rf;
					const uint8_t *g;
					uint32_t il = put_client(l3, fams[i], payloads[p]);
					int ret;

					memcpy(orig, l3, il);
					memset(&ep, 0, sizeof(ep));
					ep.type = (uint8_t)t;
					ep.ttl = 64;
					ep.gue_port = GUE_PORT;
					ep.mtu = 1500;
					memcpy(ep.src_mac, mac_a, 6);
					memcpy(ep.dst_mac, mac_b, 6);
					addr_of(&ep.src, fams[o], fams[o] == AF_INET ? lb4 : lb6);
					addr_of(&ep.dst, fams[o], fams[o] == AF_INET ? rl4 : rl6);
					ret = vr_encap(&ep, l3, il, fams[i], 0x9e3779b9u * (uint32_t)(p + 1), &frame);
					CHECK(ret > 0);
					if (ret <= 0)
						continue;
					CHECK_DROP(parse2(frame, (size_t)ret, GUE_PORT, &rf, &g), VR_DROP_NONE);
					check_rf(&rf, g, t == VR_ENCAP_GUE ? K_GUE0 : K_IPIP, fams[o], fams[i], -1,
						 payloads[p]);
					/* the inner packet, byte for byte */
					CHECK_MEM(g + rf.l3_off, orig, il);
					if (t == VR_ENCAP_GUE) {
						/* another GUE port makes it a plain datagram */
						CHECK_DROP(parse2(frame, (size_t)ret, GUE_PORT + 1, &rf, NULL), VR_DROP_NONE);
						CHECK_EQ(rf.encap, VR_RELAY_ENCAP_NONE);
						CHECK_EQ(rf.payload_len, 4 + il);
					}
				}
}

static void test_drop_names(void)
{
	static const char *const names[] = { "gue_bad_header", "inner_truncated", "inner_bad_length",
					     "inner_bad_header", "inner_bad_checksum", "inner_fragment",
					     "inner_not_udp" };
	static const enum vr_drop ids[] = { VR_DROP_GUE_BAD_HEADER, VR_DROP_INNER_TRUNCATED,
					    VR_DROP_INNER_BAD_LENGTH, VR_DROP_INNER_BAD_HEADER,
					    VR_DROP_INNER_BAD_CHECKSUM, VR_DROP_INNER_FRAGMENT,
					    VR_DROP_INNER_NOT_UDP };

	/* appended after the balancer's reasons: their numbers never move */
	CHECK_EQ(VR_DROP_GUE_BAD_HEADER, VR_DROP_UDP_CHECKSUM + 1);
	for (size_t i = 0; i < VR_ARRAY_SIZE(names); i++) {
		CHECK(strcmp(vr_drop_name(ids[i]), names[i]) == 0);
		CHECK_EQ(ids[i], VR_DROP_GUE_BAD_HEADER + (int)i);
	}
}

int main(int argc, char **argv)
{
	const char *dir = argc > 2 ? argv[2] : ".";

	frames_open(&frames_in, dir, "relaypkt_in");
	test_drop_names();
	test_accept();
	test_edges();
	test_bad_gue();
	test_inner_truncated();
	test_inner_bad();
	test_every_prefix();
	test_encap_round_trip();
	frames_close(&frames_in);
	/* direct 2 families, GUE 0/1 and IPIP 4 combinations each; 2 payloads, 2 VLAN settings */
	CHECK_EQ(frames_in.n, (2 + 3 * 4) * 2 * 2);
	scapy_check(argc > 1 ? argv[1] : NULL, "--in", dir, "relaypkt_in");
	return vr_test_done("test_relaypkt");
}
