/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit test of voxrelay-gen's RX side: frame classification, flow accounting, jitter, histogram, RFC 2544 search, reports. */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "voxrelay/encap.h"
#include "voxrelay/rtp.h"

#include "gen_flow.h"
#include "gen_hist.h"
#include "gen_report.h"
#include "gen_rfc2544.h"
#include "gen_rx.h"
#include "gen_stamp.h"
#include "test_gen_rx.h"

int vr_t_failures;

/* ---- frame building, by hand (not with the library under test) ---- */

#define GUE_PORT 6080
#define HEADROOM 128

static const uint8_t src4[4] = {192, 0, 2, 1}, dst4[4] = {198, 51, 100, 7};
static const uint8_t src6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
static const uint8_t dst6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x0b, 0x07};

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

/* RFC 1071, bytewise */
static uint16_t cksum(const uint8_t *p, size_t n)
{
	uint32_t s = 0;
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* IP header for @l4_len bytes of @proto; returns its length. */
static size_t put_ip(uint8_t *ip, int fam, uint8_t proto, size_t l4_len)
{
	if (fam == AF_INET) {
		memset(ip, 0, 20);
		ip[0] = 0x45;
		put16(ip + 2, (uint16_t)(20 + l4_len));
		put16(ip + 6, 0x4000);
		ip[8] = 64;
		ip[9] = proto;
		memcpy(ip + 12, src4, 4);
		memcpy(ip + 16, dst4, 4);
		put16(ip + 10, cksum(ip, 20));
		return 20;
	}
	memset(ip, 0, 40);
	ip[0] = 0x60;
	put16(ip + 4, (uint16_t)l4_len);
	ip[6] = proto;
	ip[7] = 64;
	memcpy(ip + 8, src6, 16);
	memcpy(ip + 24, dst6, 16);
	return 40;
}

/* IP + UDP + @payload at @ip; returns the IP packet length. */
static size_t put_udp(uint8_t *ip, int fam, uint16_t sport, uint16_t dport, const uint8_t *payload, size_t plen)
{
	size_t hl = put_ip(ip, fam, IPPROTO_UDP, 8 + plen);
	uint8_t *u = ip + hl;

	put16(u, sport);
	put16(u + 2, dport);
	put16(u + 4, (uint16_t)(8 + plen));
	put16(u + 6, 0x5a5a); /* not verified; IPv6 only needs it non-zero */
	memcpy(u + 8, payload, plen);
	return hl + 8 + plen;
}

/* Ethernet (+ an 802.1Q tag if @vlan >= 0) in front of the IP packet at @ip. */
static size_t put_eth(uint8_t *frame, int fam, int vlan, const uint8_t *ip, size_t ip_len)
{
	size_t off = 12;

	memset(frame, 0x02, 12);
	if (vlan >= 0) {
		put16(frame + 12, 0x8100);
		put16(frame + 14, (uint16_t)vlan);
		off = 16;
	}
	put16(frame + off, fam == AF_INET ? 0x0800 : 0x86dd);
	memmove(frame + off + 2, ip, ip_len);
	return off + 2 + ip_len;
}

/* RTP: 12-byte header, an optional RFC 8285 block with the stamp, payload with or without the magic stamp. */
static size_t put_rtp(uint8_t *p, const struct vr_gen_stamp *st, int in_ext, int in_payload, size_t voice)
{
	size_t n;
	int e;

	vr_rtp_write_hdr(p, 0, 0x1234, 0xabcdef01, 0xc0ffee);
	n = 12;
	if (in_ext) {
		p[0] |= 0x10;
		e = vr_gen_ext_write(p + n, 64, st, VR_GEN_STAMP_EXT_ID, 0x85, VR_GEN_AUDIO_LEVEL_EXT_ID);
		CHECK(e == 24);
		n += (size_t)e;
	}
	memset(p + n, 0xd5, voice);
	if (in_payload)
		CHECK(vr_gen_stamp_payload_write(p + n, (uint32_t)voice, st) == VR_GEN_STAMP_PAYLOAD_LEN);
	return n + voice;
}

/* Ethernet/IP/UDP frame carrying @payload; returns its length. */
static size_t udp_frame(uint8_t *frame, int fam, int vlan, uint16_t dport, const uint8_t *payload, size_t plen)
{
	uint8_t ip[2048];
	size_t l = put_udp(ip, fam, 40000, dport, payload, plen);

	return put_eth(frame, fam, vlan, ip, l);
}

/* The client's packet wrapped by our balancer's own encap.c (GUE or IPIP). */
static size_t encap_frame(uint8_t *frame, int outer, int inner, uint8_t type, const uint8_t *payload, size_t plen)
{
	static uint8_t buf[HEADROOM + 2048];
	struct vr_encap_params ep;
	uint8_t *out;
	size_t l = put_udp(buf + HEADROOM, inner, 40000, 5004, payload, plen);
	int n;

	memset(&ep, 0, sizeof(ep));
	ep.type = type;
	ep.ttl = 64;
	ep.gue_port = GUE_PORT;
	ep.mtu = 9000;
	if (outer == AF_INET) {
		uint32_t a, b;

		memcpy(&a, (const uint8_t[]){10, 0, 0, 1}, 4);
		memcpy(&b, (const uint8_t[]){10, 0, 0, 2}, 4);
		vr_addr_set_v4(&ep.src, a);
		vr_addr_set_v4(&ep.dst, b);
	} else {
		ep.src.family = ep.dst.family = AF_INET6;
		memcpy(ep.src.a.b, src6, 16);
		memcpy(ep.dst.a.b, dst6, 16);
		ep.dst.a.b[15] = 0x99;
	}
	n = vr_encap(&ep, buf + HEADROOM, (uint32_t)l, (uint8_t)inner, 0x1234567, &out);
	CHECK(n > 0);
	if (n <= 0)
		return 0;
	memcpy(frame, out, (size_t)n);
	return (size_t)n;
}

/* ---- classification ---- */

/* Valid frames kept for the prefix test and the fuzz seed corpus. */
struct sample {
	uint8_t cfg; /* fuzz header byte: bit 0 opaque, bit 1 GUE on */
	size_t len;
	uint8_t b[512];
};
static struct sample samples[32];
static unsigned int nsamples;

static void keep(const uint8_t *f, size_t len, uint8_t cfg)
{
	if (nsamples < sizeof(samples) / sizeof(samples[0]) && len <= sizeof(samples[0].b)) {
		samples[nsamples].cfg = cfg;
		samples[nsamples].len = len;
		memcpy(samples[nsamples].b, f, len);
		nsamples++;
	}
}

static struct vr_gen_rx_cfg cfg_of(uint8_t c)
{
	struct vr_gen_rx_cfg cfg = {.gue_port = (c & 2) ? GUE_PORT : 0, .opaque = c & 1};

	return cfg;
}

/* Classify from a heap copy of exactly @len bytes, so a read past it is caught by ASan. */
static enum vr_gen_rx_err classify(uint8_t c, const uint8_t *f, size_t len, struct vr_gen_rx_info *ri)
{
	struct vr_gen_rx_cfg cfg = cfg_of(c);
	uint8_t *copy = malloc(len ? len : 1);
	enum vr_gen_rx_err e;

	memcpy(copy, f, len);
	e = vr_gen_rx_classify(&cfg, copy, (uint32_t)len, ri);
	free(copy);
	return e;
}

static const struct vr_gen_stamp st0 = {.stream = 77, .seq = 123456789, .tx_tsc = 0x0123456789abcdefULL};

static void check_stamp(const struct vr_gen_rx_info *ri)
{
	CHECK(ri->kind == VR_GEN_RX_RTP && ri->stamped);
	CHECK(ri->stream == st0.stream && ri->seq == st0.seq && ri->tx_tsc == st0.tx_tsc);
	CHECK(ri->rtp_seq == 0x1234 && ri->rtp_ts == 0xabcdef01 && ri->ssrc == 0xc0ffee);
}

static void test_rx_plain(void)
{
	uint8_t rtp[512], f[1024];
	struct vr_gen_rx_info ri;
	size_t n = put_rtp(rtp, &st0, 0, 1, 160), l;

	/* IPv4, stamp in the payload */
	l = udp_frame(f, AF_INET, -1, 5004, rtp, n);
	CHECK(classify(0, f, l, &ri) == VR_GEN_RX_ERR_OK);
	check_stamp(&ri);
	CHECK(ri.family == AF_INET && ri.outer_family == AF_INET && ri.encap == VR_RELAY_ENCAP_NONE);
	CHECK(ri.dport == 5004 && ri.sport == 40000 && ri.payload_len == n && ri.payload_off == 42);
	CHECK(ri.rtp_payload_len == 160 && !ri.has_vlan && ri.demux == VR_DEMUX_RTP);
	CHECK(ri.dst.family == AF_INET && memcmp(&ri.dst.a.w[3], dst4, 4) == 0);
	CHECK(memcmp(&ri.src.a.w[3], src4, 4) == 0);
	keep(f, l, 0);
	/* SRTP: the payload is not looked into, so no stamp */
	CHECK(classify(1, f, l, &ri) == VR_GEN_RX_ERR_OK && ri.kind == VR_GEN_RX_RTP_UNSTAMPED && !ri.stamped);

	/* IPv6 with a VLAN tag, stamp in the RFC 8285 element, payload opaque */
	n = put_rtp(rtp, &st0, 1, 0, 160);
	l = udp_frame(f, AF_INET6, 0x2005, 5006, rtp, n);
	CHECK(classify(1, f, l, &ri) == VR_GEN_RX_ERR_OK);
	check_stamp(&ri);
	CHECK(ri.family == AF_INET6 && ri.has_vlan && ri.vlan_tci == 0x2005 && ri.dport == 5006);
	CHECK(memcmp(ri.dst.a.b, dst6, 16) == 0 && ri.payload_off == 18 + 40 + 8);
	keep(f, l, 1);
	/* the element under another id is not the stamp */
	{
		struct vr_gen_rx_cfg c = {.opaque = 1, .stamp_id = 3};

		CHECK(vr_gen_rx_classify(&c, f, (uint32_t)l, &ri) == VR_GEN_RX_ERR_OK &&
		      ri.kind == VR_GEN_RX_RTP_UNSTAMPED);
	}
	/* NULL cfg: defaults (plain RTP, the default id) */
	CHECK(vr_gen_rx_classify(NULL, f, (uint32_t)l, &ri) == VR_GEN_RX_ERR_OK && ri.stamped);

	/* RTP without any stamp */
	n = put_rtp(rtp, &st0, 0, 0, 160);
	l = udp_frame(f, AF_INET, -1, 5004, rtp, n);
	CHECK(classify(0, f, l, &ri) == VR_GEN_RX_ERR_OK && ri.kind == VR_GEN_RX_RTP_UNSTAMPED);
	CHECK(ri.ssrc == 0xc0ffee);
}

static void test_rx_encap(void)
{
	static const int fams[4][2] = {{AF_INET, AF_INET}, {AF_INET, AF_INET6}, {AF_INET6, AF_INET}, {AF_INET6, AF_INET6}};
	uint8_t rtp[512], f[1024];
	struct vr_gen_rx_info ri;
	size_t n = put_rtp(rtp, &st0, 0, 1, 160), l;
	unsigned int i;

	for (i = 0; i < 4; i++) {
		int outer = fams[i][0], inner = fams[i][1];

		l = encap_frame(f, outer, inner, VR_ENCAP_GUE, rtp, n);
		CHECK(classify(2, f, l, &ri) == VR_GEN_RX_ERR_OK);
		check_stamp(&ri);
		CHECK(ri.encap == VR_RELAY_ENCAP_GUE && ri.family == inner && ri.outer_family == outer);
		CHECK(ri.dport == 5004 && ri.payload_len == n);
		CHECK(inner == AF_INET ? memcmp(&ri.dst.a.w[3], dst4, 4) == 0 : memcmp(ri.dst.a.b, dst6, 16) == 0);
		keep(f, l, 2);
		/* GUE off: the outer datagram is the one; GUE's first byte 0 is STUN's range */
		CHECK(classify(0, f, l, &ri) == VR_GEN_RX_ERR_OK && ri.kind == VR_GEN_RX_UDP_OTHER);
		CHECK(ri.demux == VR_DEMUX_STUN && ri.dport == GUE_PORT && ri.encap == VR_RELAY_ENCAP_NONE);

		l = encap_frame(f, outer, inner, VR_ENCAP_IPIP, rtp, n);
		CHECK(classify(0, f, l, &ri) == VR_GEN_RX_ERR_OK);
		check_stamp(&ri);
		CHECK(ri.encap == VR_RELAY_ENCAP_IPIP && ri.family == inner && ri.outer_family == outer);
		keep(f, l, 0);
	}

	/* a GUE control message (C bit) is a tunnel fault */
	l = encap_frame(f, AF_INET, AF_INET, VR_ENCAP_GUE, rtp, n);
	f[14 + 20 + 8] = 0x20;
	CHECK(classify(2, f, l, &ri) == VR_GEN_RX_ERR_TUNNEL && ri.kind == VR_GEN_RX_MALFORMED);
	CHECK(ri.encap == VR_RELAY_ENCAP_GUE && strcmp(vr_gen_rx_detail_name(&ri), "gue_bad_header") == 0);
	/* inner IPv4 checksum broken */
	l = encap_frame(f, AF_INET, AF_INET, VR_ENCAP_IPIP, rtp, n);
	f[14 + 20 + 10] ^= 0xff;
	CHECK(classify(0, f, l, &ri) == VR_GEN_RX_ERR_TUNNEL && ri.encap == VR_RELAY_ENCAP_IPIP);
	CHECK(strcmp(vr_gen_rx_detail_name(&ri), "inner_bad_checksum") == 0);
}

static void test_rx_other(void)
{
	uint8_t p[512], f[1024], ip[256];
	struct vr_gen_rx_info ri;
	size_t l, n;

	/* RTCP RR (RFC 3550 6.4.2) without report blocks */
	p[0] = 0x80;
	p[1] = VR_RTCP_RR;
	put16(p + 2, 1);
	put32(p + 4, 0x11223344);
	l = udp_frame(f, AF_INET, -1, 5005, p, 8);
	CHECK(classify(0, f, l, &ri) == VR_GEN_RX_ERR_OK && ri.kind == VR_GEN_RX_RTCP);
	CHECK(ri.ssrc == 0x11223344 && ri.pt == VR_RTCP_RR);
	keep(f, l, 0);
	/* SRTCP: E/index and a 10-byte tag follow; only opaque accepts it */
	memset(p + 8, 0x77, 14);
	l = udp_frame(f, AF_INET, -1, 5005, p, 22);
	CHECK(classify(1, f, l, &ri) == VR_GEN_RX_ERR_OK && ri.kind == VR_GEN_RX_RTCP && ri.ssrc == 0x11223344);
	keep(f, l, 1);
	CHECK(classify(0, f, l, &ri) == VR_GEN_RX_ERR_RTCP && ri.kind == VR_GEN_RX_MALFORMED);
	CHECK(strcmp(vr_gen_rx_detail_name(&ri), "rtcp_bad_length") == 0);

	/* STUN binding request (RFC 8489 section 5) */
	memset(p, 0, 20);
	p[1] = 0x01;
	put32(p + 4, 0x2112A442);
	l = udp_frame(f, AF_INET6, -1, 3478, p, 20);
	CHECK(classify(0, f, l, &ri) == VR_GEN_RX_ERR_OK && ri.kind == VR_GEN_RX_UDP_OTHER);
	CHECK(ri.demux == VR_DEMUX_STUN && ri.dport == 3478);
	keep(f, l, 0);
	/* DTLS handshake record */
	p[0] = 22;
	l = udp_frame(f, AF_INET, -1, 5004, p, 20);
	CHECK(classify(0, f, l, &ri) == VR_GEN_RX_ERR_OK && ri.demux == VR_DEMUX_DTLS);
	/* an empty datagram */
	l = udp_frame(f, AF_INET, -1, 5004, p, 0);
	CHECK(classify(0, f, l, &ri) == VR_GEN_RX_ERR_OK && ri.kind == VR_GEN_RX_UDP_OTHER &&
	      ri.demux == VR_DEMUX_UNKNOWN);

	/* RTP with X set but no room for the extension header */
	vr_rtp_write_hdr(p, 8, 1, 2, 3);
	p[0] |= 0x10;
	l = udp_frame(f, AF_INET, -1, 5004, p, 12);
	CHECK(classify(0, f, l, &ri) == VR_GEN_RX_ERR_RTP && ri.kind == VR_GEN_RX_MALFORMED);
	CHECK(strcmp(vr_gen_rx_detail_name(&ri), "rtp_ext_truncated") == 0);
	CHECK(strcmp(vr_gen_rx_err_name(ri.err), "rtp_malformed") == 0);

	/* IPv4 header checksum broken */
	n = put_rtp(p, &st0, 0, 1, 40);
	l = udp_frame(f, AF_INET, -1, 5004, p, n);
	f[14 + 10] ^= 1;
	CHECK(classify(0, f, l, &ri) == VR_GEN_RX_ERR_FRAME && ri.kind == VR_GEN_RX_MALFORMED);
	CHECK(strcmp(vr_gen_rx_detail_name(&ri), "ipv4_bad_checksum") == 0);

	/* ICMP echo, TCP, ARP: valid, not UDP */
	memset(ip + 20, 0, 28);
	ip[20] = 8;
	put_ip(ip, AF_INET, IPPROTO_ICMP, 8);
	l = put_eth(f, AF_INET, -1, ip, 28);
	CHECK(classify(0, f, l, &ri) == VR_GEN_RX_ERR_OK && ri.kind == VR_GEN_RX_NOT_UDP);
	memset(ip + 20, 0, 20);
	ip[20 + 12] = 0x50;
	put_ip(ip, AF_INET, IPPROTO_TCP, 20);
	l = put_eth(f, AF_INET, -1, ip, 40);
	CHECK(classify(0, f, l, &ri) == VR_GEN_RX_ERR_OK && ri.kind == VR_GEN_RX_NOT_UDP);
	memset(f, 0xff, 6);
	memset(f + 6, 0x02, 6);
	put16(f + 12, 0x0806);
	memset(f + 14, 0, 28);
	put16(f + 14, 1);
	put16(f + 16, 0x0800);
	f[18] = 6;
	f[19] = 4;
	put16(f + 20, 1);
	CHECK(classify(0, f, 42, &ri) == VR_GEN_RX_ERR_OK && ri.kind == VR_GEN_RX_NOT_UDP);
	keep(f, 42, 0);
	/* an unknown ethertype, and nothing at all */
	put16(f + 12, 0x88b5);
	CHECK(classify(0, f, 60, &ri) == VR_GEN_RX_ERR_FRAME);
	CHECK(vr_gen_rx_classify(NULL, NULL, 0, &ri) == VR_GEN_RX_ERR_FRAME);
}

/* Every prefix of every valid frame: refused (IP lengths no longer fit), never read past. */
static void test_rx_prefixes(void)
{
	struct vr_gen_rx_info ri;
	unsigned int i;
	size_t l;

	CHECK(nsamples >= 12);
	for (i = 0; i < nsamples; i++) {
		CHECK(classify(samples[i].cfg, samples[i].b, samples[i].len, &ri) == VR_GEN_RX_ERR_OK);
		for (l = 0; l < samples[i].len; l++) {
			enum vr_gen_rx_err e = classify(samples[i].cfg, samples[i].b, l, &ri);

			CHECK(e != VR_GEN_RX_ERR_OK && ri.kind == VR_GEN_RX_MALFORMED && ri.err == e);
		}
	}
}

static void test_rx_names(void)
{
	unsigned int i, j;

	for (i = 0; i < VR_GEN_RX_KIND_MAX; i++) {
		CHECK(strcmp(vr_gen_rx_kind_name(i), "unknown") != 0);
		for (j = 0; j < i; j++)
			CHECK(strcmp(vr_gen_rx_kind_name(i), vr_gen_rx_kind_name(j)) != 0);
	}
	for (i = 0; i < VR_GEN_RX_ERR_MAX; i++) {
		CHECK(strcmp(vr_gen_rx_err_name(i), "unknown") != 0);
		for (j = 0; j < i; j++)
			CHECK(strcmp(vr_gen_rx_err_name(i), vr_gen_rx_err_name(j)) != 0);
	}
	CHECK(strcmp(vr_gen_rx_kind_name(VR_GEN_RX_KIND_MAX), "unknown") == 0);
	CHECK(strcmp(vr_gen_rx_err_name(VR_GEN_RX_ERR_MAX), "unknown") == 0);
	CHECK(strcmp(vr_gen_rx_err_name(VR_GEN_RX_ERR_OK), "none") == 0);
}

/* Seed corpus of the fuzz target: its header byte, then the frame. */
static int write_corpus(const char *dir)
{
	char path[4096];
	unsigned int i;

	mkdir(dir, 0755);
	for (i = 0; i < nsamples; i++) {
		FILE *fp;

		snprintf(path, sizeof(path), "%s/frame%02u", dir, i);
		fp = fopen(path, "wb");
		if (!fp)
			return -1;
		/* 0x40 on every other one: also feed the bytes as flow records */
		fputc(samples[i].cfg | ((i & 1) ? 0x40 : 0), fp);
		fwrite(samples[i].b, 1, samples[i].len, fp);
		fclose(fp);
	}
	return 0;
}

int main(int argc, char **argv)
{
	test_rx_plain();
	test_rx_encap();
	test_rx_other();
	test_rx_prefixes();
	test_rx_names();
	test_flows();
	test_jitter();
	test_hist();
	test_rfc2544();
	test_report();
	if (argc == 3 && strcmp(argv[1], "--corpus") == 0 && write_corpus(argv[2]) != 0) {
		perror(argv[2]);
		return 1;
	}
	if (vr_t_failures) {
		fprintf(stderr, "%d checks failed\n", vr_t_failures);
		return 1;
	}
	printf("gen_rx: all checks passed (%u sample frames)\n", nsamples);
	return 0;
}
