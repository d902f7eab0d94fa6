/* SPDX-License-Identifier: BSD-3-Clause */
/* BPF_PROG_TEST_RUN fixtures for bpf/steer.bpf.c: per branch an input frame, the verdict and the counter it must bump (frames always come out unchanged). */
#include "steer_fixture.h"

#include <sched.h>

#define ALL_CFG (VR_STEER_CFG_NEIGH_TO_XSK | VR_STEER_CFG_FILTER)
#define VOICE_VIP (VR_STEER_VIP_VOICE | VR_STEER_VIP_RATE_LIMIT)

/* ---- payloads ---- */

static uint8_t pl[256];

/* A frame to the IPv4 (or IPv6) voice VIP with a @len-byte payload starting with @b0. */
static void voice(struct frame *fr, int v6, uint8_t b0, size_t len)
{
	rtp(pl, b0, len);
	build(&(struct fx){.v6 = v6, .payload = pl, .plen = len}, fr);
}

/* ---- the fixtures ---- */

/* The redirect itself, first without a socket in the queue's slot, then with one. */
static void t_redirect_slot(int xfd)
{
	struct frame fr;

	build(&(struct fx){0}, &fr);
	xsk_slot(-1);
	check("RTP to VIP4, no socket for queue 0: falls back to the kernel", fr.b, fr.len, XDP_PASS,
	      VR_STEER_STAT_REDIRECT_FAILED);
	build_arp(&fr, 0, 1, GW4, VIP4);
	check("ARP request for a self address, no socket: falls back to the kernel", fr.b, fr.len, XDP_PASS,
	      VR_STEER_STAT_REDIRECT_FAILED);
	if (xfd < 0) {
		printf("# no AF_XDP socket: the redirect cases below expect the XDP_PASS fallback\n");
		return;
	}
	xsk_slot(xfd);
	ok(xsk_present, "AF_XDP socket taken into xsks_map slot 0");
	build(&(struct fx){0}, &fr);
	if (xsk_present)
		check("RTP to VIP4 with a socket for queue 0: XDP_REDIRECT", fr.b, fr.len, XDP_REDIRECT,
		      VR_STEER_STAT_REDIRECTED);
}

static void t_voice(void)
{
	struct frame fr;
	char name[128];

	for (int v6 = 0; v6 <= 1; v6++)
		for (int vlan = 0; vlan <= 1; vlan++) {
			build(&(struct fx){.v6 = v6, .vlan = vlan}, &fr);
			snprintf(name, sizeof(name), "RTP (172 B) to VIP%s%s", v6 ? "6" : "4", vlan ? ", vlan" : "");
			expect_xsk(name, &fr);
		}
	build(&(struct fx){.dport = VOICE_PORT_LO}, &fr);
	expect_xsk("RTP to the first port of the range", &fr);
	build(&(struct fx){.v6 = 1, .dport = VOICE_PORT_HI}, &fr);
	expect_xsk("RTP6 to the last port of the range", &fr);

	/* RTCP receiver report without blocks: 8 bytes, RFC 3550 6.4.2. */
	rtp(pl, 0x80, 8);
	pl[1] = 201;
	build(&(struct fx){.payload = pl, .plen = 8}, &fr);
	expect_xsk("RTCP RR, 8 bytes", &fr);
	rtp(pl, 0x81, 52);
	pl[1] = 200;
	build(&(struct fx){.v6 = 1, .payload = pl, .plen = 52}, &fr);
	expect_xsk("RTCP SR with one block, IPv6", &fr);
	voice(&fr, 0, 0x00, 20);
	pl[1] = 0x01; /* binding request */
	build(&(struct fx){.payload = pl, .plen = 20}, &fr);
	expect_xsk("STUN binding request, 20 bytes", &fr);
	voice(&fr, 1, 0x01, 32);
	expect_xsk("STUN binding response (0x01..), IPv6", &fr);
	voice(&fr, 0, 0x16, 13);
	expect_xsk("DTLS handshake record header, 13 bytes", &fr);
	voice(&fr, 0, 0x17, 100);
	expect_xsk("DTLS application data (0x17)", &fr);
	voice(&fr, 0, 63, 40);
	expect_xsk("first byte 63 (top of the DTLS range)", &fr);
	voice(&fr, 0, 0x82, 20);
	expect_xsk("RTP with 2 CSRCs, exactly 20 bytes", &fr);
	voice(&fr, 0, 0xbf, 72);
	expect_xsk("RTP first byte 191 (P, X, CC 15), 72 bytes", &fr);
	voice(&fr, 0, 0x90, 12);
	expect_xsk("RTP exactly 12 bytes", &fr);

	build(&(struct fx){.ip_opts = 1}, &fr);
	expect_xsk("RTP to VIP4, IPv4 header with options", &fr);
	build(&(struct fx){.v6 = 1, .v6_dstopts = 1}, &fr);
	expect_xsk("RTP to VIP6 behind a destination options header", &fr);
	build(&(struct fx){.v6 = 1, .v6_dstopts = 4}, &fr);
	expect_xsk("RTP to VIP6 behind 4 extension headers (the most walked)", &fr);
	/* 14 + 20 + 8 + 8 = 50 bytes: the NIC pads to 60. */
	rtp(pl, 0x80, 8);
	pl[1] = 201;
	build(&(struct fx){.payload = pl, .plen = 8, .trailer = 10}, &fr);
	expect_xsk("RTCP RR padded to 60 bytes", &fr);

	/* The relay's underlay: GUE from the balancer, no voice filter. */
	rtp(pl, 0x45, 40); /* GUE variant 1: the inner IPv4 header */
	build(&(struct fx){.src = BAL4, .dst = UNDERLAY4, .dport = GUE_PORT, .payload = pl, .plen = 40}, &fr);
	expect_xsk("GUE variant 1 (0x45) to the underlay VIP (no voice flag)", &fr);
	rtp(pl, 0x00, 4);
	build(&(struct fx){.src = BAL4, .dst = UNDERLAY4, .dport = GUE_PORT, .payload = pl, .plen = 4}, &fr);
	expect_xsk("4-byte GUE variant 0 to the underlay VIP (no length checks)", &fr);
}

static void t_kernel(void)
{
	struct frame fr;
	static const uint8_t tcp_syn[20] = {0x9c, 0x40, 0x00, 0x16, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff};
	static const uint8_t bgp_syn[20] = {0x9c, 0x40, 0x00, 0xb3, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff};
	static const uint8_t echo4[16] = {8, 0, 0, 0, 0x12, 0x34, 0, 1, 'p', 'i', 'n', 'g'};
	static const uint8_t echo6[16] = {128, 0, 0, 0, 0x12, 0x34, 0, 1, 'p', 'i', 'n', 'g'};
	static const uint8_t rs[8] = {133};

	build(&(struct fx){.dport = VOICE_PORT_LO - 1}, &fr);
	expect_pass("UDP to VIP4, port below the range", &fr);
	build(&(struct fx){.dport = VOICE_PORT_HI + 1}, &fr);
	expect_pass("UDP to VIP4, port above the range", &fr);
	build(&(struct fx){.v6 = 1, .dport = 53}, &fr);
	expect_pass("UDP6 to VIP6, port 53", &fr);
	build(&(struct fx){.dst = OTHER4}, &fr);
	expect_pass("RTP to another IPv4 address", &fr);
	build(&(struct fx){.v6 = 1, .dst = OTHER6, .vlan = 1}, &fr);
	expect_pass("RTP to another IPv6 address, vlan", &fr);
	build(&(struct fx){.v6 = 1, .dst = "::ffff:" VIP4}, &fr);
	expect_pass("RTP6 to ::ffff:VIP4 (same bytes, other family)", &fr);
	rtp(pl, 0x45, 40);
	build(&(struct fx){.dst = OTHER4, .payload = pl, .plen = 40}, &fr);
	expect_pass("junk UDP to another address (filter only guards VIPs)", &fr);

	build(&(struct fx){.proto = 6, .payload = tcp_syn, .plen = 20}, &fr);
	expect_pass("TCP SYN to VIP4 port 22 (SSH stays with the host)", &fr);
	build(&(struct fx){.proto = 6, .dst = UNDERLAY4, .payload = bgp_syn, .plen = 20}, &fr);
	expect_pass("TCP SYN to the underlay address port 179 (BGP)", &fr);
	build(&(struct fx){.v6 = 1, .proto = 6, .payload = tcp_syn, .plen = 20}, &fr);
	expect_pass("TCP SYN to VIP6", &fr);
	build(&(struct fx){.proto = 1, .payload = echo4, .plen = sizeof(echo4)}, &fr);
	expect_pass("ICMP echo to VIP4", &fr);
	build(&(struct fx){.v6 = 1, .proto = 58, .payload = echo6, .plen = sizeof(echo6)}, &fr);
	expect_pass("ICMPv6 echo to VIP6", &fr);
	build(&(struct fx){.v6 = 1, .proto = 58, .dst = "ff02::2", .src = "fe80::1", .payload = rs,
			   .plen = sizeof(rs)},
	      &fr);
	expect_pass("ICMPv6 router solicitation", &fr);
	build(&(struct fx){.v6 = 1, .v6_dstopts = 5}, &fr);
	expect_pass("RTP6 to VIP6 behind 5 extension headers (more than walked)", &fr);
	rtp(pl, 0x80, 20);
	build(&(struct fx){.proto = 17, .dst = OTHER4, .frag_off = 0x2000, .payload = pl, .plen = 20}, &fr);
	expect_pass("UDP first fragment to another address", &fr);
	build(&(struct fx){.proto = 6, .frag_off = 0x2000, .payload = tcp_syn, .plen = 20}, &fr);
	expect_pass("TCP fragment to VIP4", &fr);

	build_arp(&fr, 0, 1, GW4, OTHER4);
	expect_pass("ARP request for another address", &fr);
	build_arp(&fr, 0, 1, GW4, GW4);
	expect_pass("gratuitous ARP from the gateway", &fr);
	build_arp(&fr, 0, 1, GW4, VIP4);
	put16(fr.b + 14, 6); /* IEEE 802 hardware type */
	expect_pass("ARP for a self address, hardware type 6", &fr);
	build_nd(&fr, 135, GW6, "ff02::1:ff00:99", OTHER6);
	expect_pass("ND solicitation for another address", &fr);
	build_nd(&fr, 136, GW6, "ff02::1", GW6);
	expect_pass("unsolicited ND advertisement to all-nodes", &fr);

	build(&(struct fx){.vlan = 1}, &fr);
	put16(fr.b + 12, 0x88a8);
	expect_pass("802.1ad outer tag", &fr);
	build(&(struct fx){.vlan = 1}, &fr);
	put16(fr.b + 16, 0x8100);
	expect_pass("two 802.1Q tags", &fr);
	build(&(struct fx){0}, &fr);
	put16(fr.b + 12, 0x88cc);
	expect_pass("LLDP ethertype", &fr);
}

static void t_neigh(void)
{
	struct frame fr;

	build_arp(&fr, 0, 1, GW4, VIP4);
	expect_xsk("ARP request for VIP4 (a self address)", &fr);
	build_arp(&fr, 1, 1, GW4, VIP4);
	expect_xsk("ARP request for VIP4, vlan", &fr);
	build_arp(&fr, 0, 2, GW4, UNDERLAY4);
	expect_xsk("ARP reply to the underlay address (the dataplane asked)", &fr);
	build_nd(&fr, 135, GW6, "ff02::1:ff00:10", VIP6);
	expect_xsk("ND solicitation for VIP6", &fr);
	build_nd(&fr, 135, "::", "ff02::1:ff00:10", VIP6);
	expect_xsk("ND solicitation for VIP6 from :: (duplicate address detection)", &fr);
	build_nd(&fr, 136, GW6, VIP6, GW6);
	expect_xsk("ND advertisement to VIP6 (answer to the dataplane)", &fr);

	set_cfg(VR_STEER_CFG_FILTER, 0, 0);
	build_arp(&fr, 0, 1, GW4, VIP4);
	expect_pass("ARP request for VIP4 with NEIGH_TO_XSK off", &fr);
	build_arp(&fr, 0, 2, GW4, UNDERLAY4);
	expect_pass("ARP reply to the underlay address with NEIGH_TO_XSK off", &fr);
	build_nd(&fr, 135, GW6, "ff02::1:ff00:10", VIP6);
	expect_pass("ND solicitation for VIP6 with NEIGH_TO_XSK off", &fr);
	build_nd(&fr, 136, GW6, VIP6, GW6);
	expect_pass("ND advertisement to VIP6 with NEIGH_TO_XSK off", &fr);
	build(&(struct fx){0}, &fr);
	expect_xsk("RTP to VIP4 with NEIGH_TO_XSK off (unaffected)", &fr);
	set_cfg(ALL_CFG, 0, 0);
}

static void t_filter(void)
{
	struct frame fr;

	voice(&fr, 0, 0x45, 40);
	expect_drop("junk first byte 0x45 (IPv4 header) to VIP4", &fr, VR_STEER_STAT_DROP_NOT_VOICE);
	voice(&fr, 1, 0x45, 40);
	expect_drop("junk first byte 0x45 to VIP6", &fr, VR_STEER_STAT_DROP_NOT_VOICE);
	voice(&fr, 0, 0x40, 172);
	expect_drop("RTP version 1 (0x40): not voice by RFC 7983", &fr, VR_STEER_STAT_DROP_NOT_VOICE);
	voice(&fr, 0, 0x04, 40);
	expect_drop("first byte 4 (between STUN and ZRTP)", &fr, VR_STEER_STAT_DROP_NOT_VOICE);
	voice(&fr, 0, 0x10, 40);
	expect_drop("first byte 16 (ZRTP)", &fr, VR_STEER_STAT_DROP_NOT_VOICE);
	voice(&fr, 0, 0x40, 40);
	expect_drop("first byte 64 (TURN channel)", &fr, VR_STEER_STAT_DROP_NOT_VOICE);
	voice(&fr, 0, 0x7f, 40);
	expect_drop("first byte 127", &fr, VR_STEER_STAT_DROP_NOT_VOICE);
	voice(&fr, 0, 0xc0, 172);
	expect_drop("RTP version 3 (0xc0)", &fr, VR_STEER_STAT_DROP_RTP_VERSION);
	voice(&fr, 1, 0xff, 172);
	expect_drop("first byte 255, IPv6", &fr, VR_STEER_STAT_DROP_RTP_VERSION);

	voice(&fr, 0, 0x80, 11);
	expect_drop("RTP 11 bytes", &fr, VR_STEER_STAT_DROP_SHORT);
	voice(&fr, 1, 0x80, 11);
	expect_drop("RTP6 11 bytes", &fr, VR_STEER_STAT_DROP_SHORT);
	voice(&fr, 0, 0x82, 19);
	expect_drop("RTP with 2 CSRCs, 19 bytes", &fr, VR_STEER_STAT_DROP_SHORT);
	rtp(pl, 0x80, 7);
	pl[1] = 201;
	build(&(struct fx){.payload = pl, .plen = 7}, &fr);
	expect_drop("RTCP 7 bytes", &fr, VR_STEER_STAT_DROP_SHORT);
	voice(&fr, 0, 0x80, 1);
	expect_drop("1-byte payload 0x80", &fr, VR_STEER_STAT_DROP_SHORT);
	build(&(struct fx){.payload = pl, .plen = 0}, &fr);
	expect_drop("empty UDP payload", &fr, VR_STEER_STAT_DROP_SHORT);
	voice(&fr, 0, 0x00, 19);
	expect_drop("STUN 19 bytes", &fr, VR_STEER_STAT_DROP_SHORT);
	voice(&fr, 0, 0x16, 12);
	expect_drop("DTLS 12 bytes", &fr, VR_STEER_STAT_DROP_SHORT);

	build(&(struct fx){.frag_off = 0x2000}, &fr);
	expect_drop("IPv4 first fragment (MF) to VIP4", &fr, VR_STEER_STAT_DROP_FRAGMENT);
	build(&(struct fx){.frag_off = 0x0015, .vlan = 1}, &fr);
	expect_drop("IPv4 last fragment (offset 168) to VIP4, vlan", &fr, VR_STEER_STAT_DROP_FRAGMENT);
	build(&(struct fx){.frag_off = 0x2000, .dport = 80}, &fr);
	expect_drop("IPv4 fragment to VIP4, port outside the range", &fr, VR_STEER_STAT_DROP_FRAGMENT);
	build(&(struct fx){.v6 = 1, .v6_frag = 1}, &fr);
	expect_drop("IPv6 first fragment to VIP6", &fr, VR_STEER_STAT_DROP_FRAGMENT);
	build(&(struct fx){.v6 = 1, .v6_frag = 3}, &fr);
	expect_drop("IPv6 non-first fragment to VIP6", &fr, VR_STEER_STAT_DROP_FRAGMENT);
	build(&(struct fx){.v6 = 1, .v6_frag = 2}, &fr);
	expect_drop("IPv6 atomic fragment to VIP6", &fr, VR_STEER_STAT_DROP_FRAGMENT);
	build(&(struct fx){.v6 = 1, .v6_frag = 1, .v6_dstopts = 2}, &fr);
	expect_drop("IPv6 fragment behind 2 destination options headers", &fr, VR_STEER_STAT_DROP_FRAGMENT);
	build(&(struct fx){.src = BAL4, .dst = UNDERLAY4, .dport = GUE_PORT, .frag_off = 0x2000}, &fr);
	expect_drop("IPv4 fragment to the underlay VIP", &fr, VR_STEER_STAT_DROP_FRAGMENT);

	/* Filter off: pure steering. */
	set_cfg(VR_STEER_CFG_NEIGH_TO_XSK, 0, 0);
	voice(&fr, 0, 0x45, 40);
	expect_xsk("junk 0x45 to VIP4 with the filter off", &fr);
	voice(&fr, 0, 0x80, 3);
	expect_xsk("3-byte RTP to VIP4 with the filter off", &fr);
	build(&(struct fx){.frag_off = 0x2000}, &fr);
	expect_pass("IPv4 fragment to VIP4 with the filter off", &fr);
	build(&(struct fx){.v6 = 1, .v6_frag = 3}, &fr);
	expect_pass("IPv6 fragment to VIP6 with the filter off", &fr);
	set_cfg(ALL_CFG, 0, 0);
}

static void t_malformed(void)
{
	struct frame fr;

	/* A frame shorter than an Ethernet header cannot be tested:
	 * BPF_PROG_TEST_RUN refuses data_size_in < 14 (and drivers never
	 * deliver one). */
	build(&(struct fx){.vlan = 1}, &fr);
	check("802.1Q ethertype with no tag (14 bytes)", fr.b, 14, XDP_DROP, VR_STEER_STAT_MALFORMED);
	build(&(struct fx){.vlan = 1}, &fr);
	check("802.1Q tag cut short (16 bytes)", fr.b, 16, XDP_DROP, VR_STEER_STAT_MALFORMED);
	build(&(struct fx){0}, &fr);
	check("IPv4 header cut at 19 bytes", fr.b, 14 + 19, XDP_DROP, VR_STEER_STAT_MALFORMED);
	build(&(struct fx){.v6 = 1}, &fr);
	check("IPv6 header cut at 39 bytes", fr.b, 14 + 39, XDP_DROP, VR_STEER_STAT_MALFORMED);

	build(&(struct fx){0}, &fr);
	fr.b[fr.l3] = 0x44;
	ipv4_fix_csum(fr.b + fr.l3);
	expect_drop("IPv4 IHL 4", &fr, VR_STEER_STAT_MALFORMED);
	build(&(struct fx){0}, &fr);
	fr.b[fr.l3] = 0x65;
	expect_drop("ethertype IPv4 carrying version 6", &fr, VR_STEER_STAT_MALFORMED);
	build(&(struct fx){.dst = OTHER4}, &fr);
	put16(fr.b + fr.l3 + 2, (uint16_t)(fr.len - fr.l3 + 1));
	ipv4_fix_csum(fr.b + fr.l3);
	expect_drop("IPv4 total length one past the frame (not to a VIP)", &fr, VR_STEER_STAT_MALFORMED);
	build(&(struct fx){.ip_opts = 1}, &fr);
	put16(fr.b + fr.l3 + 2, 20);
	ipv4_fix_csum(fr.b + fr.l3);
	expect_drop("IPv4 total length below its IHL", &fr, VR_STEER_STAT_MALFORMED);
	build(&(struct fx){.v6 = 1}, &fr);
	put16(fr.b + fr.l3 + 4, (uint16_t)(fr.len - fr.l3 - 40 + 1));
	expect_drop("IPv6 payload length one past the frame", &fr, VR_STEER_STAT_MALFORMED);
	build(&(struct fx){.v6 = 1}, &fr);
	fr.b[fr.l3] = 0x45;
	expect_drop("ethertype IPv6 carrying version 4", &fr, VR_STEER_STAT_MALFORMED);

	/* UDP header: only looked at for VIPs. */
	build(&(struct fx){0}, &fr);
	put16(fr.b + fr.l3 + 2, 24);
	ipv4_fix_csum(fr.b + fr.l3);
	fr.len = fr.l3 + 24;
	expect_drop("UDP header cut at 4 bytes, to VIP4", &fr, VR_STEER_STAT_MALFORMED);
	build(&(struct fx){.dst = OTHER4}, &fr);
	put16(fr.b + fr.l3 + 2, 24);
	ipv4_fix_csum(fr.b + fr.l3);
	fr.len = fr.l3 + 24;
	expect_pass("UDP header cut at 4 bytes, to another address (the kernel's)", &fr);
	build(&(struct fx){0}, &fr);
	put16(fr.b + fr.l4 + 4, 7);
	expect_drop("UDP length 7, to VIP4", &fr, VR_STEER_STAT_MALFORMED);
	build(&(struct fx){.v6 = 1}, &fr);
	put16(fr.b + fr.l4 + 4, (uint16_t)(fr.len - fr.l4 + 1));
	expect_drop("UDP length past the IPv6 payload, to VIP6", &fr, VR_STEER_STAT_MALFORMED);
	build(&(struct fx){.trailer = 8}, &fr);
	put16(fr.b + fr.l4 + 4, (uint16_t)(fr.len - fr.l4 - 8 + 1));
	expect_drop("UDP length reaching into the Ethernet padding", &fr, VR_STEER_STAT_MALFORMED);
	build(&(struct fx){.v6 = 1, .v6_dstopts = 1}, &fr);
	fr.b[fr.l3 + 40 + 1] = 200; /* 1608-byte header in a short packet */
	expect_drop("IPv6 extension header longer than the packet, to VIP6", &fr, VR_STEER_STAT_MALFORMED);

	build_arp(&fr, 0, 1, GW4, VIP4);
	check("ARP cut at 27 bytes", fr.b, 14 + 27, XDP_DROP, VR_STEER_STAT_MALFORMED);
	build_nd(&fr, 135, GW6, "ff02::1:ff00:10", VIP6);
	put16(fr.b + fr.l3 + 4, 20);
	fr.len = fr.l4 + 20;
	expect_drop("ND solicitation of 20 bytes (no room for the target)", &fr, VR_STEER_STAT_MALFORMED);
	build_nd(&fr, 136, GW6, VIP6, GW6);
	put16(fr.b + fr.l3 + 4, 2);
	fr.len = fr.l4 + 2;
	expect_drop("ICMPv6 of 2 bytes", &fr, VR_STEER_STAT_MALFORMED);
}

/* The ranges of MULTI4/MULTI6 as main() sets them: different checks per range. */
static const struct vr_steer_port_range multi_ranges[] = {
	{.lo = MULTI_VOICE_LO, .hi = MULTI_VOICE_HI, .flags = VOICE_VIP},
	{.lo = MULTI_RTP_PORT, .hi = MULTI_RTP_PORT, .flags = VR_STEER_VIP_VOICE},
	{.lo = MULTI_PLAIN_LO, .hi = MULTI_PLAIN_HI, .flags = 0},
	{.lo = MULTI_SHADOW_LO, .hi = MULTI_SHADOW_HI, .flags = 0},
	{.lo = 7500, .hi = 7599, .flags = VOICE_VIP},
};
#define MULTI_N (sizeof(multi_ranges) / sizeof(multi_ranges[0]))

/* A frame to @dst port @port with a @len-byte payload starting with @b0 (len 0: the default RTP). */
static void to_port(struct frame *fr, const char *dst, int v6, uint16_t port, uint8_t b0, size_t len)
{
	if (len == 0) {
		build(&(struct fx){.v6 = v6, .dst = dst, .dport = port}, fr);
		return;
	}
	rtp(pl, b0, len);
	build(&(struct fx){.v6 = v6, .dst = dst, .dport = port, .payload = pl, .plen = len}, fr);
}

/* Several port ranges on one address: the first range holding the port decides. */
static void t_ranges(void)
{
	struct vr_steer_port_range eight[VR_STEER_VIP_RANGES];
	struct frame fr;

	to_port(&fr, MULTI4, 0, MULTI_VOICE_LO + 10, 0, 0);
	expect_xsk("ranges: RTP to the first range of MULTI4", &fr);
	to_port(&fr, MULTI4, 0, MULTI_RTP_PORT, 0, 0);
	expect_xsk("ranges: RTP to the second range (5004) of MULTI4", &fr);
	to_port(&fr, MULTI6, 1, MULTI_RTP_PORT, 0, 0);
	expect_xsk("ranges: RTP6 to the second range (5004) of MULTI6", &fr);
	to_port(&fr, MULTI4, 0, MULTI_PLAIN_HI, 0, 0);
	expect_xsk("ranges: RTP to the last port of the third range", &fr);

	to_port(&fr, MULTI4, 0, MULTI_RTP_PORT - 1, 0, 0);
	expect_pass("ranges: UDP just below the second range: kernel", &fr);
	to_port(&fr, MULTI4, 0, MULTI_RTP_PORT + 1, 0, 0);
	expect_pass("ranges: UDP between the second and third range: kernel", &fr);
	to_port(&fr, MULTI4, 0, MULTI_PLAIN_HI + 1, 0, 0);
	expect_pass("ranges: UDP between the third and fourth range: kernel", &fr);
	to_port(&fr, MULTI6, 1, MULTI_VOICE_HI + 1, 0, 0);
	expect_pass("ranges: UDP6 just above the first range: kernel", &fr);

	to_port(&fr, MULTI4, 0, MULTI_VOICE_LO, 0x45, 40);
	expect_drop("ranges: junk 0x45 to the voice range", &fr, VR_STEER_STAT_DROP_NOT_VOICE);
	to_port(&fr, MULTI4, 0, MULTI_RTP_PORT, 0x45, 40);
	expect_drop("ranges: junk 0x45 to the voice port 5004", &fr, VR_STEER_STAT_DROP_NOT_VOICE);
	to_port(&fr, MULTI4, 0, MULTI_RTP_PORT, 0x80, 5);
	expect_drop("ranges: 5-byte RTP to the voice port 5004", &fr, VR_STEER_STAT_DROP_SHORT);
	to_port(&fr, MULTI4, 0, MULTI_PLAIN_LO, 0x45, 40);
	expect_xsk("ranges: 0x45 to the range without checks: steered", &fr);
	to_port(&fr, MULTI6, 1, MULTI_PLAIN_LO + 1, 0xc0, 3);
	expect_xsk("ranges: 3 bytes of 0xc0 to the IPv6 range without checks: steered", &fr);
	to_port(&fr, MULTI4, 0, 7550, 0x45, 40);
	expect_xsk("ranges: overlapping ranges, the first (no checks) decides", &fr);

	/* The rate limit is per range too; the bucket is per source. */
	buckets_clear();
	set_cfg(ALL_CFG, 1, 2);
	to_port(&fr, MULTI4, 0, MULTI_VOICE_LO, 0, 0);
	expect_xsk("ranges: rate 1/s burst 2, voice range packet 1", &fr);
	expect_xsk("ranges: rate 1/s burst 2, voice range packet 2", &fr);
	expect_drop("ranges: rate 1/s burst 2, voice range packet 3", &fr, VR_STEER_STAT_DROP_RATE_LIMITED);
	to_port(&fr, MULTI4, 0, MULTI_RTP_PORT, 0, 0);
	expect_xsk("ranges: same source to 5004 (voice, no rate limit) passes", &fr);
	to_port(&fr, MULTI4, 0, MULTI_PLAIN_LO, 0, 0);
	expect_xsk("ranges: same source to the range without checks passes", &fr);
	to_port(&fr, MULTI4, 0, 7550, 0, 0);
	expect_xsk("ranges: same source to the shadowed rate-limited range: the first range decides", &fr);
	set_cfg(ALL_CFG, 0, 0);
	buckets_clear();

	/* nb_ranges bounds what is looked at. */
	add_vip_ranges(MULTI4, 1, multi_ranges, MULTI_N);
	to_port(&fr, MULTI4, 0, MULTI_RTP_PORT, 0, 0);
	expect_pass("ranges: nb_ranges 1: a filled second range is ignored", &fr);
	add_vip_ranges(MULTI4, 0, multi_ranges, MULTI_N);
	to_port(&fr, MULTI4, 0, MULTI_VOICE_LO, 0, 0);
	expect_pass("ranges: nb_ranges 0: the address passes everything", &fr);
	for (unsigned int i = 0; i < VR_STEER_VIP_RANGES; i++)
		eight[i] = (struct vr_steer_port_range){.lo = (uint16_t)(1000 + 10 * i),
							.hi = (uint16_t)(1000 + 10 * i + 1),
							.flags = VOICE_VIP};
	add_vip_ranges(MULTI4, VR_STEER_VIP_RANGES, eight, VR_STEER_VIP_RANGES);
	to_port(&fr, MULTI4, 0, 1071, 0, 0);
	expect_xsk("ranges: 8 ranges, port in the eighth", &fr);
	to_port(&fr, MULTI4, 0, 1075, 0x45, 40);
	expect_pass("ranges: 8 ranges, port after the eighth: kernel", &fr);
	add_vip_ranges(MULTI4, 1000, eight, VR_STEER_VIP_RANGES);
	to_port(&fr, MULTI4, 0, 1071, 0x45, 40);
	expect_drop("ranges: nb_ranges 1000 taken as 8: junk to the eighth range", &fr,
		    VR_STEER_STAT_DROP_NOT_VOICE);
	add_vip_ranges(MULTI4, MULTI_N, multi_ranges, MULTI_N);
}

/* With rate R and burst B: B packets from a source at once pass, the rest drop; others are unaffected. */
static void t_rate(void)
{
	enum { RATE = 1, BURST = 4, EXTRA = 3 };
	const uint64_t tok = VR_STEER_NS_PER_S;
	struct frame fr, fr2, fr6;
	char name[128];

	buckets_clear();
	set_cfg(ALL_CFG, RATE, BURST);
	build(&(struct fx){.src = "198.51.100.20"}, &fr);
	build(&(struct fx){.src = "198.51.100.21"}, &fr2);
	build(&(struct fx){.v6 = 1, .src = "2001:db8:77::20"}, &fr6);
	/* One packet per second refill: the runs take microseconds, so
	 * nothing refills in between. */
	for (int i = 0; i < BURST + EXTRA; i++) {
		snprintf(name, sizeof(name), "rate %d/s burst %d: packet %d from source A", RATE, BURST, i + 1);
		if (i < BURST)
			expect_xsk(name, &fr);
		else
			expect_drop(name, &fr, VR_STEER_STAT_DROP_RATE_LIMITED);
	}
	expect_xsk("rate: source B unaffected by A's empty bucket", &fr2);
	expect_xsk("rate: IPv6 source unaffected", &fr6);
	{
		struct frame other_port;

		build(&(struct fx){.src = "198.51.100.20", .dport = VOICE_PORT + 1}, &other_port);
		expect_drop("rate: source A on another VIP port shares its bucket", &other_port,
			    VR_STEER_STAT_DROP_RATE_LIMITED);
	}
	{
		struct frame gue, arp, junk;

		build(&(struct fx){.src = "198.51.100.20", .dst = UNDERLAY4, .dport = GUE_PORT}, &gue);
		expect_xsk("rate: source A to a VIP without RATE_LIMIT passes", &gue);
		build_arp(&arp, 0, 1, "198.51.100.20", VIP4);
		expect_xsk("rate: ARP from source A is not rate limited", &arp);
		voice(&junk, 0, 0x45, 40);
		memcpy(junk.b + junk.l3 + 12, fr.b + fr.l3 + 12, 4);
		ipv4_fix_csum(junk.b + junk.l3);
		expect_drop("rate: junk from source A counts as not voice (checked before the bucket)", &junk,
			    VR_STEER_STAT_DROP_NOT_VOICE);
	}

	/* Refill: 2.5 s since the last refill at rate 1/s is 2.5 tokens. */
	bucket_set("198.51.100.20", 0, mono_ns() - 2500000000ull);
	expect_xsk("rate: after 2.5 s, packet 1 of 2", &fr);
	expect_xsk("rate: after 2.5 s, packet 2 of 2", &fr);
	expect_drop("rate: after 2.5 s, packet 3 dropped", &fr, VR_STEER_STAT_DROP_RATE_LIMITED);
	/* Long idle: the bucket fills to the burst, not beyond. */
	/* Stamp 1 ns after boot: longer ago than the 4 s a fill takes. */
	bucket_set("198.51.100.20", 0, 1);
	for (int i = 0; i < BURST + 1; i++) {
		snprintf(name, sizeof(name), "rate: after a long idle, packet %d", i + 1);
		if (i < BURST)
			expect_xsk(name, &fr);
		else
			expect_drop(name, &fr, VR_STEER_STAT_DROP_RATE_LIMITED);
	}
	/* A last refill stamped after our clock read (another CPU): no refill. */
	bucket_set("198.51.100.20", 0, mono_ns() + 10 * tok);
	expect_drop("rate: last refill in the future counts as no time elapsed", &fr,
		    VR_STEER_STAT_DROP_RATE_LIMITED);
	/* A bucket filled under a larger burst is clamped to the current one. */
	bucket_set("198.51.100.20", 100 * tok, mono_ns());
	for (int i = 0; i < BURST + 1; i++) {
		snprintf(name, sizeof(name), "rate: 100 tokens clamped to burst %d, packet %d", BURST, i + 1);
		if (i < BURST)
			expect_xsk(name, &fr);
		else
			expect_drop(name, &fr, VR_STEER_STAT_DROP_RATE_LIMITED);
	}
	/* Burst 0 is taken as 1. */
	buckets_clear();
	set_cfg(ALL_CFG, RATE, 0);
	expect_xsk("rate: burst 0 taken as 1, packet 1", &fr);
	expect_drop("rate: burst 0 taken as 1, packet 2", &fr, VR_STEER_STAT_DROP_RATE_LIMITED);
	/* Rate 0: no limit at all. */
	set_cfg(ALL_CFG, 0, BURST);
	for (int i = 0; i < BURST + EXTRA; i++) {
		snprintf(name, sizeof(name), "rate off: packet %d from source A", i + 1);
		expect_xsk(name, &fr);
	}
	set_cfg(ALL_CFG, 0, 0);
	buckets_clear();
}

/* The same burst through one BPF_PROG_TEST_RUN with repeat: every run at almost the same ktime. */
static void t_rate_repeat(void)
{
	enum { RATE = 1, BURST = 5, RUNS = 50 };
	uint64_t before[VR_STEER_STAT_MAX], after[VR_STEER_STAT_MAX];
	uint8_t out[FRAME_MAX];
	struct frame fr;
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_out = out, .data_size_out = sizeof(out), .repeat = RUNS);
	uint64_t pass;
	int err;

	buckets_clear();
	set_cfg(ALL_CFG, RATE, BURST);
	build(&(struct fx){.src = "198.51.100.30"}, &fr);
	o.data_in = fr.b;
	o.data_size_in = (uint32_t)fr.len;
	stats_read(before);
	err = bpf_prog_test_run_opts(prog_fd, &o);
	stats_read(after);
	pass = after[VR_STEER_STAT_REDIRECTED] - before[VR_STEER_STAT_REDIRECTED] +
	       after[VR_STEER_STAT_REDIRECT_FAILED] - before[VR_STEER_STAT_REDIRECT_FAILED];
	ok(err == 0 && pass == BURST &&
		   after[VR_STEER_STAT_DROP_RATE_LIMITED] - before[VR_STEER_STAT_DROP_RATE_LIMITED] ==
			   RUNS - BURST,
	   "rate %d/s burst %d, one test run with repeat %d: %llu steered, %llu rate limited", RATE, BURST,
	   RUNS, (unsigned long long)pass,
	   (unsigned long long)(after[VR_STEER_STAT_DROP_RATE_LIMITED] - before[VR_STEER_STAT_DROP_RATE_LIMITED]));
	/* The last run's verdict is what retval reports. */
	ok(err == 0 && o.retval == XDP_DROP, "repeat run: last verdict XDP_DROP (got %u)", o.retval);
	set_cfg(ALL_CFG, 0, 0);
	buckets_clear();
}

static void t_names(void)
{
	int good = 1;

	for (unsigned int s = 0; s < VR_STEER_STAT_MAX; s++) {
		if (strcmp(vr_steer_stat_name(s), "unknown") == 0)
			good = 0;
		for (unsigned int t = 0; t < s; t++)
			if (strcmp(vr_steer_stat_name(s), vr_steer_stat_name(t)) == 0)
				good = 0;
	}
	ok(good && strcmp(vr_steer_stat_name(VR_STEER_STAT_MAX), "unknown") == 0,
	   "every counter has its own name");
}

/* The counter totals over the whole run must add up to the runs made. */
static void t_totals(uint64_t start[VR_STEER_STAT_MAX], uint64_t runs)
{
	uint64_t now[VR_STEER_STAT_MAX], sum = 0;

	stats_read(now);
	for (unsigned int s = 0; s < VR_STEER_STAT_MAX; s++)
		sum += now[s] - start[s];
	ok(sum == runs, "counters add up to the %llu runs (got %llu)", (unsigned long long)runs,
	   (unsigned long long)sum);
}

static int libbpf_quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

int main(void)
{
	uint64_t start[VR_STEER_STAT_MAX];
	int xfd = -1, runs, ok_before;

	setvbuf(stdout, NULL, _IOLBF, 0);
	libbpf_set_print(libbpf_quiet);
	if (geteuid() != 0) {
		printf("1..0 # SKIP BPF_PROG_TEST_RUN needs root\n");
		return 0;
	}
	skel = vr_steer_bpf__open_and_load();
	if (skel == NULL) {
		printf("Bail out! loading steer.bpf.o: %s\n", strerror(errno));
		return 1;
	}
	prog_fd = bpf_program__fd(skel->progs.vr_steer_xdp);
	stats_fd = bpf_map__fd(skel->maps.steer_stats);
	set_cfg(ALL_CFG, 0, 0);
	add_vip(VIP4, VOICE_PORT_LO, VOICE_PORT_HI, VOICE_VIP);
	add_vip(VIP6, VOICE_PORT_LO, VOICE_PORT_HI, VOICE_VIP);
	add_vip(UNDERLAY4, GUE_PORT, GUE_PORT, 0);
	add_vip_ranges(MULTI4, MULTI_N, multi_ranges, MULTI_N);
	add_vip_ranges(MULTI6, MULTI_N, multi_ranges, MULTI_N);
	add_self(VIP4);
	add_self(VIP6);
	add_self(UNDERLAY4);
	/* The socket's loopback lives in a namespace of our own, so nothing
	 * of the host's is touched; without one we still test the fallback. */
	if (unshare(CLONE_NEWNET) != 0)
		printf("# unshare(CLONE_NEWNET): %s\n", strerror(errno));
	else
		xfd = xsk_open();
	stats_read(start);

	t_redirect_slot(xfd);
	t_voice();
	t_kernel();
	t_neigh();
	t_filter();
	t_malformed();
	t_rate();
	t_ranges();
	/* Every check() so far was one run; ok() lines were not. */
	ok_before = xfd >= 0 ? 1 : 0;
	runs = test_no - ok_before;
	t_totals(start, (uint64_t)runs);
	t_rate_repeat();
	t_names();

	printf("1..%d\n", test_no);
	if (xfd >= 0)
		close(xfd);
	vr_steer_bpf__destroy(skel);
	return failures ? 1 : 0;
}
