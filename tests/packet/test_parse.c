/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit test of vr_pkt_parse(): every accepted frame kind and every malformed one, with its exact drop reason. */
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "voxrelay/pkt.h"
#include "testutil.h"

#define BUF 2048

static struct vr_guard guard;

static const uint8_t mac_a[6] = { 0x02, 0, 0, 0, 0, 0xaa };
static const uint8_t mac_b[6] = { 0x02, 0, 0, 0, 0, 0xbb };
static const uint8_t ip4_src[4] = { 198, 51, 100, 7 };
static const uint8_t ip4_dst[4] = { 203, 0, 113, 10 };
static const uint8_t ip6_src[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7 };
static const uint8_t ip6_dst[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10 };

/* Ethernet header, optionally tagged; returns the L3 offset. */
static size_t put_eth(uint8_t *f, int vlan, uint16_t et)
{
	memcpy(f, mac_b, 6);
	memcpy(f + 6, mac_a, 6);
	if (vlan >= 0) {
		vr_t_put16(f + 12, 0x8100);
		vr_t_put16(f + 14, (uint16_t)vlan);
		vr_t_put16(f + 16, et);
		return 18;
	}
	vr_t_put16(f + 12, et);
	return 14;
}

static void fix_ip4_cksum(uint8_t *ip)
{
	size_t hl = (size_t)(ip[0] & 0x0f) * 4;

	ip[10] = ip[11] = 0;
	vr_t_put16(ip + 10, vr_t_cksum(ip, hl < 20 ? 20 : hl));
}

/* IPv4 header (IHL 5, checksum valid) + @l4_len bytes of L4; returns frame length. */
static size_t build_ip4(uint8_t *f, int vlan, uint8_t proto, size_t l4_len)
{
	size_t l3 = put_eth(f, vlan, 0x0800);
	uint8_t *ip = f + l3;

	memset(ip, 0, 20);
	ip[0] = 0x45;
	ip[1] = 0xb8; /* EF */
	vr_t_put16(ip + 2, (uint16_t)(20 + l4_len));
	vr_t_put16(ip + 4, 0x1234);
	vr_t_put16(ip + 6, 0x4000); /* DF */
	ip[8] = 64;
	ip[9] = proto;
	memcpy(ip + 12, ip4_src, 4);
	memcpy(ip + 16, ip4_dst, 4);
	for (size_t i = 0; i < l4_len; i++)
		ip[20 + i] = (uint8_t)(i * 7 + 3);
	fix_ip4_cksum(ip);
	return l3 + 20 + l4_len;
}

static size_t build_udp4(uint8_t *f, int vlan, size_t payload)
{
	size_t n = build_ip4(f, vlan, IPPROTO_UDP, 8 + payload);
	uint8_t *ip = f + (vlan >= 0 ? 18 : 14), *udp = ip + 20;

	vr_t_put16(udp, 40000);
	vr_t_put16(udp + 2, 3478);
	vr_t_put16(udp + 4, (uint16_t)(8 + payload));
	udp[6] = udp[7] = 0;
	vr_t_put16(udp + 6, vr_t_l4_cksum4(ip, udp, 8 + payload));
	return n;
}

static size_t build_ip6(uint8_t *f, int vlan, uint8_t nh, size_t l4_len)
{
	size_t l3 = put_eth(f, vlan, 0x86dd);
	uint8_t *ip = f + l3;

	ip[0] = 0x6b; /* version 6, traffic class 0xb8 */
	ip[1] = 0x81;
	ip[2] = 0x23;
	ip[3] = 0x45;
	vr_t_put16(ip + 4, (uint16_t)l4_len);
	ip[6] = nh;
	ip[7] = 64;
	memcpy(ip + 8, ip6_src, 16);
	memcpy(ip + 24, ip6_dst, 16);
	for (size_t i = 0; i < l4_len; i++)
		ip[40 + i] = (uint8_t)(i * 5 + 1);
	return l3 + 40 + l4_len;
}

static size_t build_udp6(uint8_t *f, int vlan, size_t payload)
{
	size_t n = build_ip6(f, vlan, IPPROTO_UDP, 8 + payload);
	uint8_t *ip = f + (vlan >= 0 ? 18 : 14), *udp = ip + 40;

	vr_t_put16(udp, 50000);
	vr_t_put16(udp + 2, 443);
	vr_t_put16(udp + 4, (uint16_t)(8 + payload));
	udp[6] = udp[7] = 0;
	vr_t_put16(udp + 6, vr_t_l4_cksum6(ip, IPPROTO_UDP, udp, 8 + payload));
	return n;
}

static size_t build_arp(uint8_t *f, int vlan, uint16_t op)
{
	size_t l3 = put_eth(f, vlan, 0x0806);
	uint8_t *a = f + l3;

	vr_t_put16(a, 1);
	vr_t_put16(a + 2, 0x0800);
	a[4] = 6;
	a[5] = 4;
	vr_t_put16(a + 6, op);
	memcpy(a + 8, mac_a, 6);
	memcpy(a + 14, ip4_src, 4);
	memset(a + 18, 0, 6);
	memcpy(a + 24, ip4_dst, 4);
	return l3 + 28;
}

/* Parses a copy of @f placed against a guard page, so any over-read faults. */
static enum vr_drop parse_guarded(const uint8_t *f, size_t n, struct vr_pkt_info *pi)
{
	return vr_pkt_parse(vr_guard_copy(&guard, f, n), (uint32_t)n, pi);
}

static void check_key4(const struct vr_flow_key *k, uint8_t proto, uint16_t sport, uint16_t dport)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	CHECK_MEM(k->src, mapped, 12);
	CHECK_MEM(k->src + 12, ip4_src, 4);
	CHECK_MEM(k->dst, mapped, 12);
	CHECK_MEM(k->dst + 12, ip4_dst, 4);
	CHECK_EQ(k->sport, htons(sport));
	CHECK_EQ(k->dport, htons(dport));
	CHECK_EQ(k->proto, proto);
	CHECK_EQ(k->family, AF_INET);
	CHECK_EQ(k->vip_id, 0);
}

static void check_key6(const struct vr_flow_key *k, uint8_t proto, uint16_t sport, uint16_t dport)
{
	CHECK_MEM(k->src, ip6_src, 16);
	CHECK_MEM(k->dst, ip6_dst, 16);
	CHECK_EQ(k->sport, htons(sport));
	CHECK_EQ(k->dport, htons(dport));
	CHECK_EQ(k->proto, proto);
	CHECK_EQ(k->family, AF_INET6);
	CHECK_EQ(k->vip_id, 0);
}

static void test_accept_udp4(void)
{
	uint8_t f[BUF];
	struct vr_pkt_info pi;

	for (int vlan = -1; vlan <= 0x2064; vlan += 0x2065) {
		size_t l3 = vlan >= 0 ? 18 : 14;
		/* 218-byte G.711 frame without a tag: 160 B RTP payload + 12 B RTP header + 4 */
		size_t n = build_udp4(f, vlan, 176);

		memset(&pi, 0x5a, sizeof(pi));
		CHECK_DROP(parse_guarded(f, n, &pi), VR_DROP_NONE);
		CHECK_EQ(pi.cls, VR_PKT_UDP);
		CHECK_EQ(pi.has_vlan, vlan >= 0);
		CHECK_EQ(pi.vlan_tci, vlan >= 0 ? vlan : 0);
		CHECK_EQ(pi.l3_off, l3);
		CHECK_EQ(pi.l4_off, l3 + 20);
		CHECK_EQ(pi.l3_len, 20 + 8 + 176);
		CHECK_EQ(pi.payload_off, l3 + 28);
		CHECK_EQ(pi.payload_len, 176);
		check_key4(&pi.key, IPPROTO_UDP, 40000, 3478);
		if (vlan < 0)
			CHECK_EQ(n, 218);
	}
}

static void test_accept_udp6(void)
{
	uint8_t f[BUF];
	struct vr_pkt_info pi;

	for (int vlan = -1; vlan <= 7; vlan += 8) {
		size_t l3 = vlan >= 0 ? 18 : 14;
		size_t n = build_udp6(f, vlan, 120);

		memset(&pi, 0x5a, sizeof(pi));
		CHECK_DROP(parse_guarded(f, n, &pi), VR_DROP_NONE);
		CHECK_EQ(pi.cls, VR_PKT_UDP);
		CHECK_EQ(pi.has_vlan, vlan >= 0);
		CHECK_EQ(pi.vlan_tci, vlan >= 0 ? vlan : 0);
		CHECK_EQ(pi.l3_off, l3);
		CHECK_EQ(pi.l4_off, l3 + 40);
		CHECK_EQ(pi.l3_len, 40 + 8 + 120);
		CHECK_EQ(pi.payload_off, l3 + 48);
		CHECK_EQ(pi.payload_len, 120);
		check_key6(&pi.key, IPPROTO_UDP, 50000, 443);
	}
}

static void test_accept_edge_udp(void)
{
	uint8_t f[BUF];
	struct vr_pkt_info pi;
	size_t n;

	/* Empty UDP payload, padded to the Ethernet minimum: padding is ignored. */
	n = build_udp4(f, -1, 0);
	CHECK_EQ(n, 42);
	memset(f + n, 0, 60 - n);
	CHECK_DROP(parse_guarded(f, 60, &pi), VR_DROP_NONE);
	CHECK_EQ(pi.cls, VR_PKT_UDP);
	CHECK_EQ(pi.l3_len, 28);
	CHECK_EQ(pi.payload_len, 0);
	CHECK_EQ(pi.payload_off, 42);

	/* UDP length shorter than the IP payload: the datagram is UDP length long. */
	n = build_udp4(f, -1, 40);
	vr_t_put16(f + 14 + 20 + 4, 8 + 30);
	CHECK_DROP(parse_guarded(f, n, &pi), VR_DROP_NONE);
	CHECK_EQ(pi.payload_len, 30);
	CHECK_EQ(pi.l3_len, 20 + 8 + 40);

	/* IPv4 UDP without checksum is legal (RFC 768). */
	n = build_udp4(f, -1, 10);
	f[14 + 20 + 6] = f[14 + 20 + 7] = 0;
	CHECK_DROP(parse_guarded(f, n, &pi), VR_DROP_NONE);

	/* DF alone is not a fragment. */
	n = build_udp4(f, -1, 10);
	CHECK_EQ(vr_t_get16(f + 14 + 6), 0x4000);
	CHECK_DROP(parse_guarded(f, n, &pi), VR_DROP_NONE);

	/* IPv6 UDP with checksum 0 is not (RFC 8200 section 8.1). */
	n = build_udp6(f, -1, 10);
	f[14 + 40 + 6] = f[14 + 40 + 7] = 0;
	CHECK_DROP(parse_guarded(f, n, &pi), VR_DROP_UDP_CHECKSUM);
	n = build_udp6(f, 5, 10);
	f[18 + 40 + 6] = f[18 + 40 + 7] = 0;
	CHECK_DROP(parse_guarded(f, n, &pi), VR_DROP_UDP_CHECKSUM);

	/* Largest UDP length the IP payload allows. */
	n = build_udp6(f, -1, 1000);
	CHECK_DROP(parse_guarded(f, n, &pi), VR_DROP_NONE);
	CHECK_EQ(pi.payload_len, 1000);
}

static void test_accept_arp(void)
{
	uint8_t f[BUF];
	struct vr_pkt_info pi;

	for (int vlan = -1; vlan <= 42; vlan += 43) {
		for (uint16_t op = 1; op <= 4; op++) {
			size_t n = build_arp(f, vlan, op);

			CHECK_DROP(parse_guarded(f, n, &pi), VR_DROP_NONE);
			CHECK_EQ(pi.cls, VR_PKT_ARP);
			CHECK_EQ(pi.l3_off, vlan >= 0 ? 18 : 14);
			CHECK_EQ(pi.has_vlan, vlan >= 0);
			/* padded to 60 as on the wire */
			memset(f + n, 0, sizeof(f) - n);
			CHECK_DROP(parse_guarded(f, 60, &pi), VR_DROP_NONE);
			CHECK_EQ(pi.cls, VR_PKT_ARP);
		}
	}
}

static void test_accept_nd_and_other(void)
{
	uint8_t f[BUF];
	struct vr_pkt_info pi;
	size_t n;

	for (int vlan = -1; vlan <= 9; vlan += 10) {
		size_t l3 = vlan >= 0 ? 18 : 14;

		for (int type = 133; type <= 137; type++) {
			n = build_ip6(f, vlan, IPPROTO_ICMPV6, 32);
			f[l3 + 40] = (uint8_t)type;
			CHECK_DROP(parse_guarded(f, n, &pi), VR_DROP_NONE);
			CHECK_EQ(pi.cls, type == 135 || type == 136 ? VR_PKT_ND : VR_PKT_IP_OTHER);
			CHECK_EQ(pi.l3_off, l3);
			CHECK_EQ(pi.l4_off, l3 + 40);
			CHECK_EQ(pi.l3_len, 72);
			check_key6(&pi.key, IPPROTO_ICMPV6, 0, 0);
		}
		/* ICMPv6 echo request */
		n = build_ip6(f, vlan, IPPROTO_ICMPV6, 16);
		f[l3 + 40] = 128;
		CHECK_DROP(parse_guarded(f, n, &pi), VR_DROP_NONE);
		CHECK_EQ(pi.cls, VR_PKT_IP_OTHER);
		/* ICMPv6 without even a type byte is still "other" (nothing to classify) */
		n = build_ip6(f, vlan, IPPROTO_ICMPV6, 0);
		CHECK_DROP(parse_guarded(f, n, &pi), VR_DROP_NONE);
		CHECK_EQ(pi.cls, VR_PKT_IP_OTHER);
		/* IPv6 TCP whose data offset is below 5 (not a TCP header), and No Next Header */
		n = build_ip6(f, vlan, IPPROTO_TCP, 20);
		f[l3 + 40 + 12] = 0x40;
		CHECK_DROP(parse_guarded(f, n, &pi), VR_DROP_NONE);
		CHECK_EQ(pi.cls, VR_PKT_IP_OTHER);
		check_key6(&pi.key, IPPROTO_TCP, 0, 0);
		n = build_ip6(f, vlan, 59, 0);
		CHECK_DROP(parse_guarded(f, n, &pi), VR_DROP_NONE);
		CHECK_EQ(pi.cls, VR_PKT_IP_OTHER);

		/* IPv4 ICMP echo, TCP, GRE, and IPv4 with no payload at all */
		n = build_ip4(f, vlan, IPPROTO_ICMP, 64);
		CHECK_DROP(parse_guarded(f, n, &pi), VR_DROP_NONE);
		CHECK_EQ(pi.cls, VR_PKT_IP_OTHER);
		CHECK_EQ(pi.l3_off, l3);
		CHECK_EQ(pi.l4_off, l3 + 20);
		CHECK_EQ(pi.l3_len, 84);
		check_key4(&pi.key, IPPROTO_ICMP, 0, 0);
		n = build_ip4(f, vlan, IPPROTO_TCP, 20);
		f[l3 + 20 + 12] = 0x40;
		CHECK_DROP(parse_guarded(f, n, &pi), VR_DROP_NONE);
		CHECK_EQ(pi.cls, VR_PKT_IP_OTHER);
		check_key4(&pi.key, IPPROTO_TCP, 0, 0);
		n = build_ip4(f, vlan, IPPROTO_GRE, 0);
		CHECK_DROP(parse_guarded(f, n, &pi), VR_DROP_NONE);
		CHECK_EQ(pi.cls, VR_PKT_IP_OTHER);
		CHECK_EQ(pi.l3_len, 20);
	}
}

/* TCP header (ports, data offset @hlen bytes, SYN) over what build_ip4/6 put after the IP header. */
static void put_tcp(uint8_t *tcp, size_t hlen)
{
	vr_t_put16(tcp, 41234);
	vr_t_put16(tcp + 2, 80);
	tcp[12] = (uint8_t)((hlen / 4) << 4);
	tcp[13] = 0x02;
}

static void test_accept_tcp(void)
{
	uint8_t f[BUF];
	struct vr_pkt_info pi;
	size_t n;

	for (int vlan = -1; vlan <= 9; vlan += 10) {
		size_t l3 = vlan >= 0 ? 18 : 14;

		/* a SYN with 12 bytes of options, no payload; then a segment with data */
		for (size_t opt = 0; opt <= 40; opt += 12) {
			for (size_t data = 0; data <= 100; data += 100) {
				n = build_ip4(f, vlan, IPPROTO_TCP, 20 + opt + data);
				put_tcp(f + l3 + 20, 20 + opt);
				CHECK_DROP(parse_guarded(f, n, &pi), VR_DROP_NONE);
				CHECK_EQ(pi.cls, VR_PKT_TCP);
				CHECK_EQ(pi.l4_off, l3 + 20);
				CHECK_EQ(pi.l3_len, 40 + opt + data);
				CHECK_EQ(pi.payload_off, l3 + 40 + opt);
				CHECK_EQ(pi.payload_len, data);
				check_key4(&pi.key, IPPROTO_TCP, 41234, 80);

				n = build_ip6(f, vlan, IPPROTO_TCP, 20 + opt + data);
				put_tcp(f + l3 + 40, 20 + opt);
				CHECK_DROP(parse_guarded(f, n, &pi), VR_DROP_NONE);
				CHECK_EQ(pi.cls, VR_PKT_TCP);
				CHECK_EQ(pi.l4_off, l3 + 40);
				CHECK_EQ(pi.payload_off, l3 + 60 + opt);
				CHECK_EQ(pi.payload_len, data);
				check_key6(&pi.key, IPPROTO_TCP, 41234, 80);
			}
		}
		/* Ethernet padding after a short segment is not payload */
		n = build_ip4(f, vlan, IPPROTO_TCP, 20);
		put_tcp(f + l3 + 20, 20);
		memset(f + n, 0, 20);
		CHECK_DROP(parse_guarded(f, n + 20, &pi), VR_DROP_NONE);
		CHECK_EQ(pi.cls, VR_PKT_TCP);
		CHECK_EQ(pi.payload_len, 0);
	}
}

/* A TCP header that does not fit is "other", never a new drop reason: the
 * workers drop it as not_udp, exactly as before TCP was recognised. */
static void test_malformed_tcp_is_other(void)
{
	uint8_t f[BUF];
	struct vr_pkt_info pi;
	size_t n;

	for (size_t k = 0; k < 20; k++) {
		n = build_ip4(f, -1, IPPROTO_TCP, k);
		CHECK_DROP(parse_guarded(f, n, &pi), VR_DROP_NONE);
		CHECK_EQ(pi.cls, VR_PKT_IP_OTHER);
		n = build_ip6(f, 5, IPPROTO_TCP, k);
		CHECK_DROP(parse_guarded(f, n, &pi), VR_DROP_NONE);
		CHECK_EQ(pi.cls, VR_PKT_IP_OTHER);
	}
	/* data offsets 0..4 (below the header) and past the segment */
	for (uint8_t doff = 0; doff < 16; doff++) {
		n = build_ip4(f, -1, IPPROTO_TCP, 32);
		put_tcp(f + 14 + 20, 20);
		f[14 + 20 + 12] = (uint8_t)(doff << 4);
		CHECK_DROP(parse_guarded(f, n, &pi), VR_DROP_NONE);
		CHECK_EQ(pi.cls, doff >= 5 && doff <= 8 ? VR_PKT_TCP : VR_PKT_IP_OTHER);
		if (pi.cls == VR_PKT_IP_OTHER)
			CHECK_EQ(pi.key.sport, 0);
		n = build_ip6(f, -1, IPPROTO_TCP, 32);
		put_tcp(f + 14 + 40, 20);
		f[14 + 40 + 12] = (uint8_t)(doff << 4);
		CHECK_DROP(parse_guarded(f, n, &pi), VR_DROP_NONE);
		CHECK_EQ(pi.cls, doff >= 5 && doff <= 8 ? VR_PKT_TCP : VR_PKT_IP_OTHER);
	}
	/* IPv4 drop reasons still come first: a fragment of TCP is a fragment */
	n = build_ip4(f, -1, IPPROTO_TCP, 40);
	put_tcp(f + 14 + 20, 20);
	vr_t_put16(f + 14 + 6, 0x2000);
	fix_ip4_cksum(f + 14);
	CHECK_DROP(parse_guarded(f, n, &pi), VR_DROP_FRAGMENT);
}

/*
 * Cut a valid frame at every length from 0 to its full size: every prefix
 * must be dropped for the first header that no longer fits.
 */
static void test_truncation_every_length(void)
{
	uint8_t f[BUF];
	struct vr_pkt_info pi;

	for (int vlan = -1; vlan <= 1; vlan += 2) {
		size_t l3 = vlan >= 0 ? 18 : 14;
		size_t full;

		full = build_udp4(f, vlan, 176);
		for (size_t n = 0; n <= full; n++) {
			enum vr_drop want = n < l3		 ? VR_DROP_L2_TRUNCATED
					    : n < l3 + 20	 ? VR_DROP_IPV4_TRUNCATED
					    : n < full		 ? VR_DROP_IPV4_LENGTH
								 : VR_DROP_NONE;

			CHECK_DROP(parse_guarded(f, n, &pi), want);
		}

		full = build_udp6(f, vlan, 100);
		for (size_t n = 0; n <= full; n++) {
			enum vr_drop want = n < l3		 ? VR_DROP_L2_TRUNCATED
					    : n < l3 + 40	 ? VR_DROP_IPV6_TRUNCATED
					    : n < full		 ? VR_DROP_IPV6_LENGTH
								 : VR_DROP_NONE;

			CHECK_DROP(parse_guarded(f, n, &pi), want);
		}

		full = build_arp(f, vlan, 1);
		for (size_t n = 0; n <= full; n++) {
			enum vr_drop want = n < l3 ? VR_DROP_L2_TRUNCATED
					    : n < full ? VR_DROP_ARP_INVALID
						       : VR_DROP_NONE;

			CHECK_DROP(parse_guarded(f, n, &pi), want);
		}
	}
}

/* The IP length fields agree with the frame, but the UDP header itself is cut short. */
static void test_truncated_udp_header(void)
{
	uint8_t f[BUF];
	struct vr_pkt_info pi;

	for (size_t k = 0; k < 8; k++) {
		size_t n = build_ip4(f, -1, IPPROTO_UDP, k);

		CHECK_DROP(parse_guarded(f, n, &pi), VR_DROP_UDP_TRUNCATED);
		n = build_ip6(f, 3, IPPROTO_UDP, k);
		CHECK_DROP(parse_guarded(f, n, &pi), VR_DROP_UDP_TRUNCATED);
	}
}

static void test_bad_ipv4(void)
{
	uint8_t f[BUF];
	struct vr_pkt_info pi;
	size_t n;
	uint8_t *ip = f + 14;

	/* version: anything but 4 (checksum kept valid so only the version is wrong) */
	for (unsigned v = 0; v < 16; v++) {
		if (v == 4)
			continue;
		n = build_udp4(f, -1, 20);
		ip[0] = (uint8_t)(v << 4 | 5);
		fix_ip4_cksum(ip);
		CHECK_DROP(parse_guarded(f, n, &pi), VR_DROP_IPV4_VERSION);
	}

	/* IHL below 5 */
	for (unsigned ihl = 0; ihl < 5; ihl++) {
		n = build_udp4(f, -1, 20);
		ip[0] = (uint8_t)(0x40 | ihl);
		CHECK_DROP(parse_guarded(f, n, &pi), VR_DROP_IPV4_IHL);
	}

	/* Real options (NOPs then EOL) with every length field and checksum consistent. */
	for (unsigned ihl = 6; ihl < 16; ihl++) {
		size_t opt = (ihl - 5) * 4;
		size_t l4 = 8 + 16;

		n = build_ip4(f, -1, IPPROTO_UDP, opt + l4);
		ip[0] = (uint8_t)(0x40 | ihl);
		memset(ip + 20, 1, opt - 1);
		ip[20 + opt - 1] = 0;
		vr_t_put16(ip + 20 + opt + 4, (uint16_t)l4);
		fix_ip4_cksum(ip);
		CHECK_EQ(vr_t_fold(vr_t_sum(ip, ihl * 4, 0)), 0xffff);
		CHECK_DROP(parse_guarded(f, n, &pi), VR_DROP_IPV4_OPTIONS);
	}

	/* total length longer than the frame, by one and by a lot */
	n = build_udp4(f, -1, 20);
	vr_t_put16(ip + 2, (uint16_t)(n - 14 + 1));
	fix_ip4_cksum(ip);
	CHECK_DROP(parse_guarded(f, n, &pi), VR_DROP_IPV4_LENGTH);
	vr_t_put16(ip + 2, 0xffff);
	fix_ip4_cksum(ip);
	CHECK_DROP(parse_guarded(f, n, &pi), VR_DROP_IPV4_LENGTH);
	/* total length shorter than the header */
	for (uint16_t tot = 0; tot < 20; tot++) {
		vr_t_put16(ip + 2, tot);
		fix_ip4_cksum(ip);
		CHECK_DROP(parse_guarded(f, n, &pi), VR_DROP_IPV4_LENGTH);
	}
	/* total length shorter than the frame cuts into the UDP datagram */
	n = build_udp4(f, -1, 20);
	vr_t_put16(ip + 2, (uint16_t)(n - 14 - 1));
	fix_ip4_cksum(ip);
	CHECK_DROP(parse_guarded(f, n, &pi), VR_DROP_UDP_LENGTH);
	vr_t_put16(ip + 2, 20 + 4);
	fix_ip4_cksum(ip);
	CHECK_DROP(parse_guarded(f, n, &pi), VR_DROP_UDP_TRUNCATED);

	/* checksum: a wrong checksum field, and a changed address under a stale checksum */
	n = build_udp4(f, -1, 20);
	ip[10] ^= 0x01;
	CHECK_DROP(parse_guarded(f, n, &pi), VR_DROP_IPV4_CHECKSUM);
	n = build_udp4(f, -1, 20);
	ip[15] ^= 0x80;
	CHECK_DROP(parse_guarded(f, n, &pi), VR_DROP_IPV4_CHECKSUM);
	n = build_udp4(f, -1, 20);
	ip[10] = ip[11] = 0;
	CHECK_DROP(parse_guarded(f, n, &pi), VR_DROP_IPV4_CHECKSUM);
	/* A header whose checksum computes to 0 may carry it as 0x0000 or as
	 * 0xffff (-0, RFC 1624 section 3): both are accepted. The ID is chosen
	 * so the rest of the header sums to exactly 0xffff. */
	for (int neg = 0; neg <= 1; neg++) {
		n = build_udp4(f, -1, 20);
		vr_t_put16(ip + 4, 0);
		ip[10] = ip[11] = 0;
		vr_t_put16(ip + 4, (uint16_t)(0xffff - vr_t_fold(vr_t_sum(ip, 20, 0))));
		CHECK_EQ(vr_t_cksum(ip, 20), 0);
		ip[10] = ip[11] = neg ? 0xff : 0x00;
		CHECK_DROP(parse_guarded(f, n, &pi), VR_DROP_NONE);
	}

	/* fragments: MF, any offset, both, with DF alongside */
	static const uint16_t frag[] = { 0x2000, 0x0001, 0x1fff, 0x2001, 0x6000, 0x4001, 0x3fff, 0x0100 };
	for (size_t i = 0; i < VR_ARRAY_SIZE(frag); i++) {
		n = build_udp4(f, -1, 20);
		vr_t_put16(ip + 6, frag[i]);
		fix_ip4_cksum(ip);
		CHECK_DROP(parse_guarded(f, n, &pi), VR_DROP_FRAGMENT);
		n = build_ip4(f, 12, IPPROTO_ICMP, 20);
		vr_t_put16(f + 18 + 6, frag[i]);
		fix_ip4_cksum(f + 18);
		CHECK_DROP(parse_guarded(f, n, &pi), VR_DROP_FRAGMENT);
	}
	/* the reserved flag bit alone is not a fragment */
	n = build_udp4(f, -1, 20);
	vr_t_put16(ip + 6, 0x8000);
	fix_ip4_cksum(ip);
	CHECK_DROP(parse_guarded(f, n, &pi), VR_DROP_NONE);
}

static void test_bad_ipv6(void)
{
	uint8_t f[BUF];
	struct vr_pkt_info pi;
	size_t n;
	uint8_t *ip = f + 14;

	for (unsigned v = 0; v < 16; v++) {
		if (v == 6)
			continue;
		n = build_udp6(f, -1, 20);
		ip[0] = (uint8_t)(v << 4 | (ip[0] & 0x0f));
		CHECK_DROP(parse_guarded(f, n, &pi), VR_DROP_IPV6_VERSION);
	}

	/* payload length past the frame, by one and by a lot */
	n = build_udp6(f, -1, 20);
	vr_t_put16(ip + 4, (uint16_t)(n - 14 - 40 + 1));
	CHECK_DROP(parse_guarded(f, n, &pi), VR_DROP_IPV6_LENGTH);
	vr_t_put16(ip + 4, 0xffff);
	CHECK_DROP(parse_guarded(f, n, &pi), VR_DROP_IPV6_LENGTH);
	/* shorter than the frame cuts into UDP */
	vr_t_put16(ip + 4, (uint16_t)(n - 14 - 40 - 1));
	CHECK_DROP(parse_guarded(f, n, &pi), VR_DROP_UDP_LENGTH);
	vr_t_put16(ip + 4, 0);
	CHECK_DROP(parse_guarded(f, n, &pi), VR_DROP_UDP_TRUNCATED);

	/* fragment header, with and without a VLAN tag */
	n = build_ip6(f, -1, IPPROTO_FRAGMENT, 8 + 8 + 20);
	CHECK_DROP(parse_guarded(f, n, &pi), VR_DROP_FRAGMENT);
	n = build_ip6(f, 99, IPPROTO_FRAGMENT, 8);
	CHECK_DROP(parse_guarded(f, n, &pi), VR_DROP_FRAGMENT);

	/* every other extension header of the IANA registry */
	static const uint8_t ext[] = { 0, 43, 50, 51, 60, 135, 139, 140, 253, 254 };
	for (size_t i = 0; i < VR_ARRAY_SIZE(ext); i++) {
		n = build_ip6(f, -1, ext[i], 8 + 8 + 20);
		/* an extension header that leads to UDP: still refused */
		f[14 + 40] = IPPROTO_UDP;
		CHECK_DROP(parse_guarded(f, n, &pi), VR_DROP_IPV6_EXT_HEADER);
		n = build_ip6(f, 4094, ext[i], 8);
		CHECK_DROP(parse_guarded(f, n, &pi), VR_DROP_IPV6_EXT_HEADER);
	}

	/* A payload length that would not fit l3_len's 16 bits (a 64 KiB frame). */
	{
		size_t big = 14 + 40 + 65535;
		uint8_t *g = malloc(big);

		CHECK(g != NULL);
		if (g) {
			memset(g, 0, big);
			build_ip6(g, -1, IPPROTO_TCP, 0);
			vr_t_put16(g + 14 + 4, 65535);
			CHECK_DROP(parse_guarded(g, big, &pi), VR_DROP_IPV6_LENGTH);
			vr_t_put16(g + 14 + 4, 65535 - 40);
			CHECK_DROP(parse_guarded(g, big, &pi), VR_DROP_NONE);
			CHECK_EQ(pi.l3_len, 65535);
			free(g);
		}
	}
}

static void test_bad_udp_length(void)
{
	uint8_t f[BUF];
	struct vr_pkt_info pi;
	size_t n;

	for (int v6 = 0; v6 <= 1; v6++) {
		size_t l4 = 14 + (v6 ? 40 : 20);
		size_t ip_payload = 8 + 50;

		for (uint16_t ulen = 0; ulen < 8; ulen++) {
			n = v6 ? build_udp6(f, -1, 50) : build_udp4(f, -1, 50);
			vr_t_put16(f + l4 + 4, ulen);
			CHECK_DROP(parse_guarded(f, n, &pi), VR_DROP_UDP_LENGTH);
		}
		const uint16_t too_long[] = { (uint16_t)(ip_payload + 1), (uint16_t)(ip_payload + 100), 0xffff };
		for (size_t i = 0; i < VR_ARRAY_SIZE(too_long); i++) {
			n = v6 ? build_udp6(f, -1, 50) : build_udp4(f, -1, 50);
			/* frame padding after the IP packet does not count as UDP room */
			memset(f + n, 0, 200);
			vr_t_put16(f + l4 + 4, too_long[i]);
			CHECK_DROP(parse_guarded(f, n + 200, &pi), VR_DROP_UDP_LENGTH);
		}
		n = v6 ? build_udp6(f, -1, 50) : build_udp4(f, -1, 50);
		vr_t_put16(f + l4 + 4, 8);
		CHECK_DROP(parse_guarded(f, n, &pi), VR_DROP_NONE);
		CHECK_EQ(pi.payload_len, 0);
	}
}

static void test_l2(void)
{
	uint8_t f[BUF];
	struct vr_pkt_info pi;
	size_t n;

	/* two 802.1Q tags, an 802.1ad S-tag with a C-tag, an S-tag alone, the old 0x9x00 TPIDs */
	static const uint16_t outer[] = { 0x8100, 0x88a8, 0x9100, 0x9200, 0x9300 };
	static const uint16_t inner[] = { 0x8100, 0x88a8, 0x9100, 0x0800 };
	for (size_t i = 0; i < VR_ARRAY_SIZE(outer); i++) {
		for (size_t j = 0; j < VR_ARRAY_SIZE(inner); j++) {
			/* one well-formed tag in front of IPv4 is the accepted case, tested below */
			if (outer[i] == 0x8100 && inner[j] == 0x0800)
				continue;
			memset(f, 0, sizeof(f));
			n = build_udp4(f + 4, -1, 20) + 4;
			memcpy(f, mac_b, 6);
			memcpy(f + 6, mac_a, 6);
			vr_t_put16(f + 12, outer[i]);
			vr_t_put16(f + 14, 100);
			vr_t_put16(f + 16, inner[j]);
			CHECK_DROP(parse_guarded(f, n, &pi), VR_DROP_VLAN_STACKED);
		}
	}
	n = build_udp4(f, 100, 20);
	vr_t_put16(f + 16, 0x8100);
	CHECK_DROP(parse_guarded(f, n, &pi), VR_DROP_VLAN_STACKED);
	vr_t_put16(f + 16, 0x88a8);
	CHECK_DROP(parse_guarded(f, n, &pi), VR_DROP_VLAN_STACKED);
	vr_t_put16(f + 16, 0x0800);
	CHECK_DROP(parse_guarded(f, n, &pi), VR_DROP_NONE);
	CHECK_EQ(pi.vlan_tci, 100);
	/* PCP and DEI bits are part of the TCI */
	vr_t_put16(f + 14, 0xb064);
	CHECK_DROP(parse_guarded(f, n, &pi), VR_DROP_NONE);
	CHECK_EQ(pi.vlan_tci, 0xb064);

	/* ethertypes we do not handle, tagged or not, and 802.3 length fields (LLC, STP) */
	static const uint16_t other[] = { 0x88cc, 0x8035, 0x8847, 0x8863, 0x0026, 0x05dc, 0x0000, 0xffff };
	for (size_t i = 0; i < VR_ARRAY_SIZE(other); i++) {
		n = build_udp4(f, -1, 20);
		vr_t_put16(f + 12, other[i]);
		CHECK_DROP(parse_guarded(f, n, &pi), VR_DROP_L2_ETHERTYPE);
		n = build_udp4(f, 1, 20);
		vr_t_put16(f + 16, other[i]);
		CHECK_DROP(parse_guarded(f, n, &pi), VR_DROP_L2_ETHERTYPE);
	}
	/* a tag with nothing after it */
	n = put_eth(f, 5, 0x0800);
	CHECK_DROP(parse_guarded(f, n, &pi), VR_DROP_IPV4_TRUNCATED);
	CHECK_DROP(parse_guarded(f, 16, &pi), VR_DROP_L2_TRUNCATED);
	CHECK_DROP(parse_guarded(f, 17, &pi), VR_DROP_L2_TRUNCATED);
}

static void test_bad_arp(void)
{
	uint8_t f[BUF];
	struct vr_pkt_info pi;
	size_t n;
	uint8_t *a = f + 14;

	n = build_arp(f, -1, 1);
	vr_t_put16(a, 6); /* IEEE 802 hardware */
	CHECK_DROP(parse_guarded(f, n, &pi), VR_DROP_ARP_INVALID);
	n = build_arp(f, -1, 1);
	vr_t_put16(a + 2, 0x86dd);
	CHECK_DROP(parse_guarded(f, n, &pi), VR_DROP_ARP_INVALID);
	n = build_arp(f, -1, 1);
	a[4] = 8;
	CHECK_DROP(parse_guarded(f, n, &pi), VR_DROP_ARP_INVALID);
	n = build_arp(f, -1, 1);
	a[5] = 16;
	CHECK_DROP(parse_guarded(f, n, &pi), VR_DROP_ARP_INVALID);
}

static void test_drop_names(void)
{
	CHECK(strcmp(vr_drop_name(VR_DROP_NONE), "none") == 0);
	CHECK(strcmp(vr_drop_name(VR_DROP_L2_TRUNCATED), "l2_truncated") == 0);
	CHECK(strcmp(vr_drop_name(VR_DROP_NO_HEADROOM), "no_headroom") == 0);
	CHECK(strcmp(vr_drop_name(VR_DROP_UDP_CHECKSUM), "udp_bad_checksum") == 0);
	CHECK(strcmp(vr_drop_name(VR_DROP_MAX), "unknown") == 0);
	CHECK(strcmp(vr_drop_name((enum vr_drop)-1), "unknown") == 0);
	CHECK(strcmp(vr_drop_name((enum vr_drop)1000), "unknown") == 0);
	/* every reason has a distinct, non-empty name */
	for (int i = 0; i < VR_DROP_MAX; i++) {
		const char *a = vr_drop_name((enum vr_drop)i);

		CHECK(a != NULL && a[0] != '\0' && strcmp(a, "unknown") != 0);
		for (int j = 0; j < i; j++)
			CHECK(strcmp(a, vr_drop_name((enum vr_drop)j)) != 0);
	}
}

int main(void)
{
	test_drop_names();
	test_accept_udp4();
	test_accept_udp6();
	test_accept_edge_udp();
	test_accept_arp();
	test_accept_nd_and_other();
	test_accept_tcp();
	test_malformed_tcp_is_other();
	test_truncation_every_length();
	test_truncated_udp_header();
	test_bad_ipv4();
	test_bad_ipv6();
	test_bad_udp_length();
	test_l2();
	test_bad_arp();
	return vr_test_done("test_parse");
}
