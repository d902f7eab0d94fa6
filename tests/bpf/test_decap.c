/* SPDX-License-Identifier: BSD-3-Clause */
/* BPF_PROG_TEST_RUN fixtures for bpf/decap.bpf.c: per branch an input frame, the verdict, the output frame and the counter it must bump. */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/bpf.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "decap.skel.h"
#include "voxrelay/decap.h"

/* Jumbo frames too: more than a page exercises multi-buffer XDP. */
#define FRAME_MAX 9300

/* Addresses of the fixtures (documentation ranges, RFC 5737 / RFC 3849). */
#define BAL4 "192.0.2.1"
#define BE4 "192.0.2.2"
#define BAL6 "2001:db8:1::1"
#define BE6 "2001:db8:1::2"
#define CLIENT4 "198.51.100.7"
#define CLIENT6 "2001:db8:77::7"
#define VIP4 "203.0.113.10"
#define VIP6 "2001:db8:10::10"
#define OTHER4 "203.0.113.99"
#define OTHER6 "2001:db8:10::99"
#define VIP4_GUE_ONLY "203.0.113.20"
#define GUE_PORT 6080
#define VLAN_TCI 100

static const uint8_t mac_dst[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x02};
static const uint8_t mac_src[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};

/* Outer wrapping of a fixture. */
enum enc { ENC_NONE, ENC_GUE0, ENC_GUE1, ENC_IPIP };

/* One fixture frame: outer headers around a client→VIP UDP datagram. */
struct fx {
	enum enc enc;
	int vlan;
	int outer_v6;
	int inner_v6;
	int inner_opts;        /* inner IPv4 carries 4 bytes of options */
	uint16_t gue_port;     /* 0: GUE_PORT */
	const char *inner_dst; /* NULL: the VIP of the inner family */
	size_t trailer;        /* zero bytes after the outer IP packet (Ethernet padding) */
	uint8_t outer_tc;      /* outer IPv4 TOS / IPv6 traffic class (DSCP << 2 | ECN) */
	uint8_t inner_tc;      /* inner one */
	size_t payload_len;    /* 0: a short RTP-like payload; else this many pattern bytes */
};

/* A built frame and where its headers are. */
struct frame {
	uint8_t b[FRAME_MAX];
	size_t len;
	size_t l3, l4, gue, inner, inner_len;
	uint8_t expect[FRAME_MAX]; /* what a successful decap must produce */
	size_t expect_len;
};

static struct vr_decap_bpf *skel;
static int prog_fd, stats_fd;
static int test_no, failures;

/* ---- checksums and header writers ---- */

static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void addr(const char *s, int v6, uint8_t *out)
{
	if (inet_pton(v6 ? AF_INET6 : AF_INET, s, out) != 1) {
		fprintf(stderr, "bad fixture address %s\n", s);
		exit(2);
	}
}

static void ipv4_fix_csum(uint8_t *ip)
{
	size_t hl = (size_t)(ip[0] & 0x0f) * 4;

	put16(ip + 10, 0);
	put16(ip + 10, csum_fold(csum_add(0, ip, hl < 20 ? 20 : hl)));
}

/* IPv4 header of @hl bytes (options are NOPs) before @payload_len bytes. */
static size_t put_ipv4(uint8_t *p, const char *src, const char *dst, uint8_t proto, size_t hl,
		       uint8_t tos, size_t payload_len)
{
	memset(p, 0, hl);
	p[0] = (uint8_t)(0x40 | (hl / 4));
	p[1] = tos;
	put16(p + 2, (uint16_t)(hl + payload_len));
	put16(p + 4, 0x1234);
	put16(p + 6, 0x4000); /* DF */
	p[8] = 64;
	p[9] = proto;
	addr(src, 0, p + 12);
	addr(dst, 0, p + 16);
	memset(p + 20, 0x01, hl - 20);
	ipv4_fix_csum(p);
	return hl;
}

static size_t put_ipv6(uint8_t *p, const char *src, const char *dst, uint8_t nh, uint8_t tclass,
		       size_t payload_len)
{
	memset(p, 0, 40);
	p[0] = (uint8_t)(0x60 | tclass >> 4);
	p[1] = (uint8_t)(tclass << 4 | 0x0b); /* and a flow label, 0xb1234 */
	put16(p + 2, 0x1234);
	put16(p + 4, (uint16_t)payload_len);
	p[6] = nh;
	p[7] = 64;
	addr(src, 1, p + 8);
	addr(dst, 1, p + 24);
	return 40;
}

/* UDP checksum (RFC 768, RFC 8200 8.1) of the datagram at @udp, whose IP header is @ip. */
static void udp_fix_csum(const uint8_t *ip, uint8_t *udp)
{
	uint16_t ulen = get16(udp + 4);
	uint32_t sum = 0;
	uint16_t c;

	put16(udp + 6, 0);
	if ((ip[0] >> 4) == 4) {
		sum = csum_add(sum, ip + 12, 8);
	} else {
		sum = csum_add(sum, ip + 8, 32);
	}
	sum += 17 + ulen;
	sum = csum_add(sum, udp, ulen);
	c = csum_fold(sum);
	put16(udp + 6, c == 0 ? 0xffff : c);
}

static size_t put_udp_hdr(uint8_t *p, uint16_t sport, uint16_t dport, size_t payload_len)
{
	put16(p, sport);
	put16(p + 2, dport);
	put16(p + 4, (uint16_t)(8 + payload_len));
	put16(p + 6, 0);
	return 8;
}

static size_t put_eth(uint8_t *p, int vlan, uint16_t type)
{
	memcpy(p, mac_dst, 6);
	memcpy(p + 6, mac_src, 6);
	if (vlan) {
		put16(p + 12, 0x8100);
		put16(p + 14, VLAN_TCI);
		put16(p + 16, type);
		return 18;
	}
	put16(p + 12, type);
	return 14;
}

/* The client's datagram: client:5004 → dst:7000, a small RTP-like payload. */
static size_t put_inner(uint8_t *p, const struct fx *f)
{
	static const char rtp[] = "\x80\x00\x12\x34voice frame 20ms";
	static uint8_t payload[FRAME_MAX];
	size_t plen = sizeof(rtp) - 1, hl;
	const char *dst = f->inner_dst ? f->inner_dst : (f->inner_v6 ? VIP6 : VIP4);

	if (f->inner_v6)
		hl = put_ipv6(p, CLIENT6, dst, 17, f->inner_tc, 8 + plen);
	else
		hl = put_ipv4(p, CLIENT4, dst, 17, f->inner_opts ? 24 : 20, f->inner_tc, 8 + plen);
	if (f->payload_len) {
		plen = f->payload_len;
		for (size_t i = 0; i < plen; i++)
			payload[i] = (uint8_t)(i * 7 + 1);
	} else {
		memcpy(payload, rtp, plen);
	}
	put_udp_hdr(p + hl, 5004, 7000, plen);
	memcpy(p + hl + 8, payload, plen);
	udp_fix_csum(p, p + hl);
	return hl + 8 + plen;
}

static void build(const struct fx *f, struct frame *fr)
{
	static uint8_t inner[FRAME_MAX];
	size_t ilen = put_inner(inner, f), off, l4len, extra;
	uint8_t proto;
	uint16_t inner_type = f->inner_v6 ? 0x86dd : 0x0800;

	memset(fr, 0, sizeof(*fr));
	fr->inner_len = ilen;
	off = put_eth(fr->b, f->vlan, f->enc == ENC_NONE ? inner_type : (f->outer_v6 ? 0x86dd : 0x0800));
	fr->l3 = off;
	switch (f->enc) {
	case ENC_GUE0:
	case ENC_GUE1:
		proto = 17;
		extra = 8 + (f->enc == ENC_GUE0 ? 4 : 0);
		break;
	case ENC_IPIP:
		proto = f->inner_v6 ? 41 : 4;
		extra = 0;
		break;
	default:
		proto = 0;
		extra = 0;
		break;
	}
	l4len = extra + ilen;
	if (f->enc == ENC_NONE) {
		fr->l4 = fr->gue = fr->inner = off;
		memcpy(fr->b + off, inner, ilen);
		fr->len = off + ilen;
	} else {
		if (f->outer_v6)
			off += put_ipv6(fr->b + off, BAL6, BE6, proto, f->outer_tc, l4len);
		else
			off += put_ipv4(fr->b + off, BAL4, BE4, proto, 20, f->outer_tc, l4len);
		fr->l4 = off;
		if (f->enc != ENC_IPIP) {
			off += put_udp_hdr(fr->b + off, 40000, f->gue_port ? f->gue_port : GUE_PORT, l4len - 8);
			fr->gue = off;
			if (f->enc == ENC_GUE0) {
				fr->b[off] = 0x00;
				fr->b[off + 1] = f->inner_v6 ? 41 : 4;
				off += 4;
			}
		}
		fr->inner = off;
		memcpy(fr->b + off, inner, ilen);
		fr->len = off + ilen;
		if (f->enc != ENC_IPIP)
			udp_fix_csum(fr->b + fr->l3, fr->b + fr->l4);
	}
	fr->len += f->trailer; /* already zero */

	fr->expect_len = put_eth(fr->expect, f->vlan, inner_type);
	memcpy(fr->expect + fr->expect_len, inner, ilen);
	fr->expect_len += ilen + f->trailer;
}

/* After editing outer bytes: make the outer checksums right again so only the edit is wrong. */
static void refresh(struct frame *fr)
{
	uint8_t *ip = fr->b + fr->l3;

	if ((ip[0] >> 4) == 4)
		ipv4_fix_csum(ip);
	if (fr->gue != fr->l4 && fr->gue == fr->l4 + 8)
		udp_fix_csum(ip, fr->b + fr->l4);
}

/* ---- running and checking ---- */

static void stats_read(uint64_t out[VR_DECAP_STAT_MAX])
{
	int ncpu = libbpf_num_possible_cpus();
	uint64_t vals[ncpu > 0 ? ncpu : 1];

	for (uint32_t s = 0; s < VR_DECAP_STAT_MAX; s++) {
		out[s] = 0;
		if (bpf_map_lookup_elem(stats_fd, &s, vals) != 0) {
			fprintf(stderr, "stats lookup: %s\n", strerror(errno));
			exit(1);
		}
		for (int c = 0; c < ncpu; c++)
			out[s] += vals[c];
	}
}

static void hexdump(const char *what, const uint8_t *p, size_t n)
{
	printf("#   %s (%zu bytes):", what, n);
	for (size_t i = 0; i < n; i++)
		printf("%s%02x", i % 16 ? " " : "\n#     ", p[i]);
	printf("\n");
}

static const char *verdict_name(uint32_t v)
{
	switch (v) {
	case XDP_ABORTED:
		return "XDP_ABORTED";
	case XDP_DROP:
		return "XDP_DROP";
	case XDP_PASS:
		return "XDP_PASS";
	case XDP_TX:
		return "XDP_TX";
	case XDP_REDIRECT:
		return "XDP_REDIRECT";
	default:
		return "?";
	}
}

/*
 * Runs @in through the program once; @want NULL means the frame must come
 * out unchanged. Exactly counter @stat must go up, by one.
 */
static void check(const char *name, const uint8_t *in, size_t len, uint32_t want_verdict,
		  const uint8_t *want, size_t want_len, unsigned int stat)
{
	uint8_t out[FRAME_MAX + 256];
	uint64_t before[VR_DECAP_STAT_MAX], after[VR_DECAP_STAT_MAX];
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = in, .data_size_in = (uint32_t)len, .data_out = out,
		    .data_size_out = sizeof(out), .repeat = 1);
	int err, ok = 1;

	if (want == NULL) {
		want = in;
		want_len = len;
	}
	stats_read(before);
	err = bpf_prog_test_run_opts(prog_fd, &o);
	stats_read(after);
	test_no++;
	if (err != 0) {
		printf("not ok %d - %s # test run failed: %s\n", test_no, name, strerror(errno));
		failures++;
		return;
	}
	if (o.retval != want_verdict) {
		printf("# %s: verdict %s, want %s\n", name, verdict_name(o.retval), verdict_name(want_verdict));
		ok = 0;
	}
	if (o.data_size_out != want_len || memcmp(out, want, want_len) != 0) {
		printf("# %s: output frame differs\n", name);
		hexdump("got", out, o.data_size_out);
		hexdump("want", want, want_len);
		ok = 0;
	}
	for (unsigned int s = 0; s < VR_DECAP_STAT_MAX; s++) {
		uint64_t d = after[s] - before[s], w = s == stat ? 1 : 0;

		if (d != w) {
			printf("# %s: counter %s went up by %llu, want %llu\n", name, vr_decap_stat_name(s),
			       (unsigned long long)d, (unsigned long long)w);
			ok = 0;
		}
	}
	printf("%s %d - %s\n", ok ? "ok" : "not ok", test_no, name);
	if (!ok)
		failures++;
}

static void expect_decap(const char *name, const struct fx *f)
{
	struct frame fr;

	build(f, &fr);
	check(name, fr.b, fr.len, XDP_PASS, fr.expect, fr.expect_len,
	      f->enc == ENC_IPIP ? VR_DECAP_STAT_IPIP : VR_DECAP_STAT_GUE);
}

static void expect_untouched(const char *name, const struct frame *fr, unsigned int stat)
{
	check(name, fr->b, fr->len, XDP_PASS, NULL, 0, stat);
}

static void expect_malformed(const char *name, const struct frame *fr)
{
	check(name, fr->b, fr->len, XDP_DROP, NULL, 0, VR_DECAP_STAT_MALFORMED);
}

static void set_gue_port(uint32_t port)
{
	uint32_t k = VR_DECAP_CFG_GUE_PORT;

	if (bpf_map__update_elem(skel->maps.decap_config, &k, sizeof(k), &port, sizeof(port), BPF_ANY) != 0) {
		fprintf(stderr, "config update: %s\n", strerror(errno));
		exit(1);
	}
}

static void add_vip(const char *s, uint32_t flags)
{
	struct vr_decap_vip_key k;

	if (vr_decap_vip_key_parse(s, &k) != 0 ||
	    bpf_map__update_elem(skel->maps.vips, &k, sizeof(k), &flags, sizeof(flags), BPF_ANY) != 0) {
		fprintf(stderr, "vip %s: %s\n", s, strerror(errno));
		exit(1);
	}
}

/* ---- the fixtures ---- */

static const char *enc_name(enum enc e)
{
	return e == ENC_GUE0 ? "gue0" : e == ENC_GUE1 ? "gue1" : e == ENC_IPIP ? "ipip" : "plain";
}

static void t_decap(void)
{
	static const enum enc encs[] = {ENC_GUE0, ENC_GUE1, ENC_IPIP};
	char name[128];

	for (size_t e = 0; e < 3; e++)
		for (int vlan = 0; vlan <= 1; vlan++)
			for (int ov6 = 0; ov6 <= 1; ov6++)
				for (int iv6 = 0; iv6 <= 1; iv6++) {
					struct fx f = {.enc = encs[e], .vlan = vlan, .outer_v6 = ov6, .inner_v6 = iv6};

					snprintf(name, sizeof(name), "decap %s %sin%s%s", enc_name(encs[e]),
						 iv6 ? "6" : "4", ov6 ? "6" : "4", vlan ? " vlan" : "");
					expect_decap(name, &f);
				}

	expect_decap("decap gue0 4in4, inner IPv4 with options",
		     &(struct fx){.enc = ENC_GUE0, .inner_opts = 1});
	expect_decap("decap ipip 4in6, inner IPv4 with options",
		     &(struct fx){.enc = ENC_IPIP, .outer_v6 = 1, .inner_opts = 1});
	/* Padding after the outer packet stays behind the inner one; the
	 * kernel trims to the inner length. */
	expect_decap("decap gue0 4in4 with 12 bytes of Ethernet padding",
		     &(struct fx){.enc = ENC_GUE0, .trailer = 12});
	expect_decap("decap ipip 6in6 with 6 bytes of Ethernet padding",
		     &(struct fx){.enc = ENC_IPIP, .outer_v6 = 1, .inner_v6 = 1, .trailer = 6});
}

/* Frames over a page: the program runs multi-buffer ("xdp.frags"). */
static void t_jumbo(void)
{
	struct frame *fr = malloc(sizeof(*fr));

	if (fr == NULL)
		exit(1);
	expect_decap("decap gue0 4in4 jumbo (8000-byte payload, multi-buffer)",
		     &(struct fx){.enc = ENC_GUE0, .payload_len = 8000});
	expect_decap("decap ipip 6in6 vlan jumbo (8800-byte payload, multi-buffer)",
		     &(struct fx){.enc = ENC_IPIP, .outer_v6 = 1, .inner_v6 = 1, .vlan = 1, .payload_len = 8800});
	build(&(struct fx){.enc = ENC_GUE1, .outer_v6 = 1, .payload_len = 6000, .inner_dst = OTHER4}, fr);
	expect_untouched("gue1 4in6 jumbo, inner dst not a VIP", fr, VR_DECAP_STAT_NOT_VIP);
	build(&(struct fx){.enc = ENC_GUE0, .payload_len = 7000}, fr);
	fr->len -= 1;
	expect_malformed("gue0 4in4 jumbo one byte short", fr);
	free(fr);
}

static void t_not_vip(void)
{
	struct frame fr;

	build(&(struct fx){.enc = ENC_GUE0, .inner_dst = OTHER4}, &fr);
	expect_untouched("gue0 4in4, inner dst not a VIP", &fr, VR_DECAP_STAT_NOT_VIP);
	build(&(struct fx){.enc = ENC_GUE1, .outer_v6 = 1, .inner_v6 = 1, .inner_dst = OTHER6}, &fr);
	expect_untouched("gue1 6in6, inner dst not a VIP", &fr, VR_DECAP_STAT_NOT_VIP);
	build(&(struct fx){.enc = ENC_IPIP, .inner_dst = OTHER4}, &fr);
	expect_untouched("ipip 4in4, inner dst not a VIP", &fr, VR_DECAP_STAT_NOT_VIP);
	build(&(struct fx){.enc = ENC_IPIP, .outer_v6 = 1, .inner_v6 = 1, .vlan = 1, .inner_dst = OTHER6}, &fr);
	expect_untouched("ipip 6in6 vlan, inner dst not a VIP", &fr, VR_DECAP_STAT_NOT_VIP);
	/* Same bytes as a VIP, other family: ::ffff:203.0.113.10 is not 203.0.113.10. */
	build(&(struct fx){.enc = ENC_GUE0, .inner_v6 = 1, .inner_dst = "::ffff:" VIP4}, &fr);
	expect_untouched("gue0 6in4 to ::ffff:VIP4 (family differs)", &fr, VR_DECAP_STAT_NOT_VIP);

	/* Per-VIP flags: this VIP takes GUE only. */
	build(&(struct fx){.enc = ENC_IPIP, .inner_dst = VIP4_GUE_ONLY}, &fr);
	expect_untouched("ipip 4in4 to a GUE-only VIP", &fr, VR_DECAP_STAT_NOT_VIP);
	expect_decap("gue0 4in4 to a GUE-only VIP", &(struct fx){.enc = ENC_GUE0, .inner_dst = VIP4_GUE_ONLY});
}

static void t_not_encap(void)
{
	struct frame fr;

	build(&(struct fx){.enc = ENC_GUE0, .gue_port = GUE_PORT + 1}, &fr);
	expect_untouched("gue0 to the wrong UDP port", &fr, VR_DECAP_STAT_NOT_ENCAP);
	build(&(struct fx){.enc = ENC_GUE0, .outer_v6 = 1, .gue_port = 53}, &fr);
	expect_untouched("gue0 over IPv6 to the wrong UDP port", &fr, VR_DECAP_STAT_NOT_ENCAP);
	build(&(struct fx){.enc = ENC_NONE}, &fr);
	expect_untouched("plain UDP client->VIP", &fr, VR_DECAP_STAT_NOT_ENCAP);
	build(&(struct fx){.enc = ENC_NONE, .inner_v6 = 1, .vlan = 1}, &fr);
	expect_untouched("plain UDP6 client->VIP, vlan", &fr, VR_DECAP_STAT_NOT_ENCAP);

	/* TCP: protocol 6 over IPv4 (header bytes only matter up to the protocol). */
	build(&(struct fx){.enc = ENC_IPIP}, &fr);
	fr.b[fr.l3 + 9] = 6;
	refresh(&fr);
	expect_untouched("IPv4 TCP", &fr, VR_DECAP_STAT_NOT_ENCAP);
	build(&(struct fx){.enc = ENC_IPIP, .outer_v6 = 1}, &fr);
	fr.b[fr.l3 + 6] = 58;
	expect_untouched("IPv6 ICMPv6", &fr, VR_DECAP_STAT_NOT_ENCAP);

	/* ARP request (RFC 826), and a QinQ frame we do not look into. */
	{
		uint8_t arp[42] = {0};
		size_t o = put_eth(arp, 0, 0x0806);

		put16(arp + o, 1);
		put16(arp + o + 2, 0x0800);
		arp[o + 4] = 6;
		arp[o + 5] = 4;
		put16(arp + o + 6, 1);
		check("ARP", arp, sizeof(arp), XDP_PASS, NULL, 0, VR_DECAP_STAT_NOT_ENCAP);
	}
	build(&(struct fx){.enc = ENC_GUE0, .vlan = 1}, &fr);
	put16(fr.b + 12, 0x88a8);
	expect_untouched("802.1ad outer tag", &fr, VR_DECAP_STAT_NOT_ENCAP);

	/* GUE port 0 turns GUE off; IPIP keeps working. */
	set_gue_port(0);
	build(&(struct fx){.enc = ENC_GUE0}, &fr);
	expect_untouched("gue0 with GUE off", &fr, VR_DECAP_STAT_NOT_ENCAP);
	expect_decap("ipip with GUE off", &(struct fx){.enc = ENC_IPIP});
	/* Another port: it is the configured one that counts. */
	set_gue_port(5555);
	expect_decap("gue0 to configured port 5555", &(struct fx){.enc = ENC_GUE0, .gue_port = 5555});
	build(&(struct fx){.enc = ENC_GUE0}, &fr);
	expect_untouched("gue0 to 6080 while 5555 is configured", &fr, VR_DECAP_STAT_NOT_ENCAP);
	set_gue_port(GUE_PORT);
}

static void t_outer_unsupported(void)
{
	struct frame fr;
	uint8_t b[FRAME_MAX];

	/* IPv4 first fragment of a GUE packet (MF). */
	build(&(struct fx){.enc = ENC_GUE0}, &fr);
	put16(fr.b + fr.l3 + 6, 0x2000);
	refresh(&fr);
	expect_untouched("outer IPv4 first fragment, GUE port", &fr, VR_DECAP_STAT_OUTER_UNSUPP);
	/* Not the first fragment: the port is unknown. */
	build(&(struct fx){.enc = ENC_GUE0}, &fr);
	put16(fr.b + fr.l3 + 6, 0x0010);
	refresh(&fr);
	expect_untouched("outer IPv4 non-first fragment, UDP", &fr, VR_DECAP_STAT_OUTER_UNSUPP);
	build(&(struct fx){.enc = ENC_IPIP, .vlan = 1}, &fr);
	put16(fr.b + fr.l3 + 6, 0x2000);
	refresh(&fr);
	expect_untouched("outer IPv4 fragment, IPIP, vlan", &fr, VR_DECAP_STAT_OUTER_UNSUPP);
	/* Ordinary fragmented UDP is nothing to do with us. */
	build(&(struct fx){.enc = ENC_GUE0, .gue_port = 4500}, &fr);
	put16(fr.b + fr.l3 + 6, 0x2000);
	refresh(&fr);
	expect_untouched("outer IPv4 first fragment, other UDP port", &fr, VR_DECAP_STAT_NOT_ENCAP);

	/* Outer IPv4 options (IHL 6): rebuild with a 24-byte header. */
	for (int port_ok = 0; port_ok <= 1; port_ok++) {
		size_t n;

		build(&(struct fx){.enc = ENC_GUE0, .gue_port = port_ok ? GUE_PORT : 4500}, &fr);
		memcpy(b, fr.b, fr.l3);
		put_ipv4(b + fr.l3, BAL4, BE4, 17, 24, 0, fr.len - fr.l4);
		memcpy(b + fr.l3 + 24, fr.b + fr.l4, fr.len - fr.l4);
		n = fr.len + 4;
		memcpy(fr.b, b, n);
		fr.len = n;
		expect_untouched(port_ok ? "outer IPv4 options, GUE port" : "outer IPv4 options, other UDP port",
				 &fr, port_ok ? VR_DECAP_STAT_OUTER_UNSUPP : VR_DECAP_STAT_NOT_ENCAP);
	}

	/* IPv6 extension headers in front of GUE / IPIP / ICMPv6. */
	{
		static const struct {
			const char *name;
			uint8_t ext;        /* extension header type */
			uint8_t frag_nonfirst;
			enum enc enc;
			uint16_t port;
			int icmp;
			unsigned int stat;
		} c[] = {
			{"outer IPv6 fragment header, GUE", 44, 0, ENC_GUE0, GUE_PORT, 0, VR_DECAP_STAT_OUTER_UNSUPP},
			{"outer IPv6 non-first fragment, UDP", 44, 1, ENC_GUE0, 4500, 0, VR_DECAP_STAT_OUTER_UNSUPP},
			{"outer IPv6 fragment header, other UDP port", 44, 0, ENC_GUE0, 4500, 0, VR_DECAP_STAT_NOT_ENCAP},
			{"outer IPv6 destination options, IP6IP6", 60, 0, ENC_IPIP, 0, 0, VR_DECAP_STAT_OUTER_UNSUPP},
			{"outer IPv6 hop-by-hop, ICMPv6 (MLD)", 0, 0, ENC_IPIP, 0, 1, VR_DECAP_STAT_NOT_ENCAP},
			{"outer IPv6 routing header, GUE", 43, 0, ENC_GUE1, GUE_PORT, 0, VR_DECAP_STAT_OUTER_UNSUPP},
		};

		for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
			uint8_t *ip;

			build(&(struct fx){.enc = c[i].enc, .outer_v6 = 1, .inner_v6 = 1, .gue_port = c[i].port}, &fr);
			memcpy(b, fr.b, fr.l4);
			ip = b + fr.l3;
			memset(b + fr.l4, 0, 8);
			b[fr.l4] = c[i].icmp ? 58 : ip[6]; /* the extension's next header */
			if (c[i].ext == 44 && c[i].frag_nonfirst)
				put16(b + fr.l4 + 2, 0x0100);
			ip[6] = c[i].ext;
			put16(ip + 4, (uint16_t)(get16(ip + 4) + 8));
			memcpy(b + fr.l4 + 8, fr.b + fr.l4, fr.len - fr.l4);
			fr.len += 8;
			memcpy(fr.b, b, fr.len);
			expect_untouched(c[i].name, &fr, c[i].stat);
		}
	}
}

/*
 * RFC 6040 section 4.2, every inner × outer ECN pair, both families: the
 * inner packet must come out with the table's ECN (IPv4 checksum still
 * right, DSCP and flow label untouched), or be dropped for outer CE over
 * Not-ECT.
 */
static void t_ecn(void)
{
	/* [inner][outer] → resulting inner ECN, -1 = drop. Not-ECT 0, ECT(1) 1, ECT(0) 2, CE 3. */
	static const int table[4][4] = {
		{0, 0, 0, -1}, /* Not-ECT */
		{1, 1, 1, 3},  /* ECT(1) */
		{2, 1, 2, 3},  /* ECT(0) */
		{3, 3, 3, 3},  /* CE */
	};
	static const char *const ecn[4] = {"Not-ECT", "ECT(1)", "ECT(0)", "CE"};
	static const struct {
		enum enc enc;
		int outer_v6, inner_v6;
		const char *label;
	} fam[] = {
		{ENC_GUE0, 0, 0, "gue0 4in4"},
		{ENC_IPIP, 1, 1, "ip6ip6"},
		{ENC_GUE1, 1, 0, "gue1 4in6"},
		{ENC_IPIP, 0, 1, "ipip 6in4"},
	};
	char name[128];

	for (size_t f = 0; f < sizeof(fam) / sizeof(fam[0]); f++)
		for (int in = 0; in < 4; in++)
			for (int out = 0; out < 4; out++) {
				/* DSCP EF inside, CS1 outside: only ECN may cross. */
				struct fx x = {.enc = fam[f].enc, .outer_v6 = fam[f].outer_v6,
					       .inner_v6 = fam[f].inner_v6, .inner_tc = (uint8_t)(0xb8 | in),
					       .outer_tc = (uint8_t)(0x20 | out)};
				struct frame fr, want;

				snprintf(name, sizeof(name), "ecn %s: inner %s, outer %s", fam[f].label, ecn[in],
					 ecn[out]);
				build(&x, &fr);
				if (table[in][out] < 0) {
					check(name, fr.b, fr.len, XDP_DROP, NULL, 0, VR_DECAP_STAT_ECN_DROP);
					continue;
				}
				x.inner_tc = (uint8_t)(0xb8 | table[in][out]);
				build(&x, &want);
				check(name, fr.b, fr.len, XDP_PASS, want.expect, want.expect_len,
				      fam[f].enc == ENC_IPIP ? VR_DECAP_STAT_IPIP : VR_DECAP_STAT_GUE);
			}
}

/* Every prefix of a good frame: the outer length then says more than is there. */
static void t_truncated_prefix(const struct fx *f, const char *label)
{
	struct frame fr;
	char name[160];
	int bad = 0;

	build(f, &fr);
	for (size_t n = 14; n < fr.len; n++) {
		uint8_t out[FRAME_MAX];
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = fr.b, .data_size_in = (uint32_t)n, .data_out = out,
			    .data_size_out = sizeof(out), .repeat = 1);
		uint64_t before[VR_DECAP_STAT_MAX], after[VR_DECAP_STAT_MAX];

		stats_read(before);
		if (bpf_prog_test_run_opts(prog_fd, &o) != 0 || o.retval != XDP_DROP ||
		    o.data_size_out != n || memcmp(out, fr.b, n) != 0) {
			printf("# %s cut at %zu: err/verdict %s\n", label, n, verdict_name(o.retval));
			bad++;
			continue;
		}
		stats_read(after);
		for (unsigned int s = 0; s < VR_DECAP_STAT_MAX; s++)
			if (after[s] - before[s] != (s == VR_DECAP_STAT_MALFORMED ? 1u : 0u)) {
				printf("# %s cut at %zu: counter %s\n", label, n, vr_decap_stat_name(s));
				bad++;
			}
	}
	snprintf(name, sizeof(name), "%s: every prefix 14..%zu dropped as malformed", label, fr.len - 1);
	printf("%s %d - %s\n", bad ? "not ok" : "ok", ++test_no, name);
	failures += bad != 0;
}

/*
 * Every prefix again, but with the outer IP (and UDP) lengths rewritten to
 * match: now the check of each inner header is what has to catch it.
 */
static void t_truncated_consistent(const struct fx *f, const char *label)
{
	struct frame full, fr;
	char name[160];
	int bad = 0;

	build(f, &full);
	for (size_t n = full.l4; n < full.len; n++) {
		uint8_t out[FRAME_MAX];
		uint8_t *ip;
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = fr.b, .data_size_in = (uint32_t)n, .data_out = out,
			    .data_size_out = sizeof(out), .repeat = 1);
		uint64_t before[VR_DECAP_STAT_MAX], after[VR_DECAP_STAT_MAX];

		fr = full;
		fr.len = n;
		ip = fr.b + fr.l3;
		if (f->outer_v6)
			put16(ip + 4, (uint16_t)(n - fr.l4));
		else
			put16(ip + 2, (uint16_t)(n - fr.l3));
		if (f->enc != ENC_IPIP && n >= fr.l4 + 6)
			put16(fr.b + fr.l4 + 4, (uint16_t)(n - fr.l4));
		if (!f->outer_v6)
			ipv4_fix_csum(ip);
		stats_read(before);
		if (bpf_prog_test_run_opts(prog_fd, &o) != 0 || o.retval != XDP_DROP) {
			printf("# %s cut at %zu (lengths fixed): verdict %s\n", label, n, verdict_name(o.retval));
			bad++;
			continue;
		}
		stats_read(after);
		if (after[VR_DECAP_STAT_MALFORMED] - before[VR_DECAP_STAT_MALFORMED] != 1) {
			printf("# %s cut at %zu (lengths fixed): not counted malformed\n", label, n);
			bad++;
		}
	}
	snprintf(name, sizeof(name), "%s: every cut %zu..%zu with matching outer lengths dropped", label,
		 full.l4, full.len - 1);
	printf("%s %d - %s\n", bad ? "not ok" : "ok", ++test_no, name);
	failures += bad != 0;
}

static void t_truncated(void)
{
	static const struct {
		struct fx f;
		const char *label;
	} c[] = {
		{{.enc = ENC_GUE0}, "gue0 4in4"},
		{{.enc = ENC_GUE0, .outer_v6 = 1, .inner_v6 = 1}, "gue0 6in6"},
		{{.enc = ENC_GUE0, .outer_v6 = 1, .inner_v6 = 0, .vlan = 1}, "gue0 4in6 vlan"},
		{{.enc = ENC_GUE1, .inner_v6 = 1}, "gue1 6in4"},
		{{.enc = ENC_IPIP}, "ipip 4in4"},
		{{.enc = ENC_IPIP, .outer_v6 = 1, .inner_v6 = 1, .vlan = 1}, "ipip 6in6 vlan"},
	};

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		t_truncated_prefix(&c[i].f, c[i].label);
		t_truncated_consistent(&c[i].f, c[i].label);
	}
	/* A VLAN tag cut short. */
	{
		struct frame fr;

		build(&(struct fx){.enc = ENC_GUE0, .vlan = 1}, &fr);
		fr.len = 16;
		expect_malformed("802.1Q tag cut short", &fr);
	}
}

static void t_bad_gue(void)
{
	static const struct {
		const char *name;
		enum enc enc;
		int inner_v6;
		uint8_t b0, b1;
		uint16_t flags;
	} c[] = {
		{"gue version 2", ENC_GUE0, 0, 0x80, 4, 0},
		{"gue version 3", ENC_GUE0, 0, 0xc0, 4, 0},
		{"gue control message (C=1)", ENC_GUE0, 0, 0x20, 4, 0},
		{"gue hlen 1", ENC_GUE0, 0, 0x01, 4, 0},
		{"gue hlen 31", ENC_GUE0, 0, 0x1f, 4, 0},
		{"gue flags set", ENC_GUE0, 0, 0x00, 4, 0x8000},
		{"gue proto 17", ENC_GUE0, 0, 0x00, 17, 0},
		{"gue proto 4 over an IPv6 inner", ENC_GUE0, 1, 0x00, 4, 0},
		{"gue proto 41 over an IPv4 inner", ENC_GUE0, 0, 0x00, 41, 0},
	};
	struct frame fr;

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		build(&(struct fx){.enc = c[i].enc, .inner_v6 = c[i].inner_v6}, &fr);
		fr.b[fr.gue] = c[i].b0;
		fr.b[fr.gue + 1] = c[i].b1;
		put16(fr.b + fr.gue + 2, c[i].flags);
		refresh(&fr);
		expect_malformed(c[i].name, &fr);
	}
	/* Variant 1 with an IP version nibble that is neither 4 nor 6. */
	for (uint8_t nib = 5; nib <= 7; nib += 2) {
		char name[64];

		build(&(struct fx){.enc = ENC_GUE1}, &fr);
		fr.b[fr.gue] = (uint8_t)(nib << 4 | (fr.b[fr.gue] & 0x0f));
		refresh(&fr);
		snprintf(name, sizeof(name), "gue1 version nibble %u", nib);
		expect_malformed(name, &fr);
	}
	/* GUE header missing entirely (UDP length 8). */
	build(&(struct fx){.enc = ENC_GUE0}, &fr);
	put16(fr.b + fr.l4 + 4, 8);
	refresh(&fr);
	expect_malformed("gue: UDP length 8, no GUE header", &fr);
}

static void t_bad_outer(void)
{
	struct frame fr;

	build(&(struct fx){.enc = ENC_GUE0}, &fr);
	fr.b[fr.l3 + 10] ^= 0x01;
	expect_malformed("outer IPv4 bad header checksum", &fr);
	build(&(struct fx){.enc = ENC_IPIP}, &fr);
	fr.b[fr.l3] = 0x65;
	refresh(&fr);
	expect_malformed("outer IPv4 version 6 under ethertype IPv4", &fr);
	build(&(struct fx){.enc = ENC_IPIP}, &fr);
	fr.b[fr.l3] = 0x44;
	put16(fr.b + fr.l3 + 10, 0);
	expect_malformed("outer IPv4 IHL 4", &fr);
	build(&(struct fx){.enc = ENC_GUE0}, &fr);
	put16(fr.b + fr.l3 + 2, 19);
	refresh(&fr);
	expect_malformed("outer IPv4 total length 19", &fr);
	build(&(struct fx){.enc = ENC_GUE0, .outer_v6 = 1}, &fr);
	fr.b[fr.l3] = 0x40;
	expect_malformed("outer IPv6 version 4 under ethertype IPv6", &fr);
	build(&(struct fx){.enc = ENC_GUE0, .outer_v6 = 1}, &fr);
	put16(fr.b + fr.l3 + 4, (uint16_t)(fr.len - fr.l4 + 1));
	expect_malformed("outer IPv6 payload length one too long", &fr);

	build(&(struct fx){.enc = ENC_GUE0}, &fr);
	put16(fr.b + fr.l4 + 4, 7);
	refresh(&fr);
	expect_malformed("UDP length 7", &fr);
	build(&(struct fx){.enc = ENC_GUE0, .outer_v6 = 1}, &fr);
	put16(fr.b + fr.l4 + 4, (uint16_t)(fr.len - fr.l4 + 1));
	expect_malformed("UDP length beyond the IPv6 payload", &fr);
}

static void t_bad_inner(void)
{
	struct frame fr;

	build(&(struct fx){.enc = ENC_IPIP}, &fr);
	fr.b[fr.inner] = 0x65;
	expect_malformed("ipip proto 4 carrying version 6", &fr);
	build(&(struct fx){.enc = ENC_IPIP, .inner_v6 = 1}, &fr);
	fr.b[fr.inner] = 0x45;
	expect_malformed("ipip proto 41 carrying version 4", &fr);
	build(&(struct fx){.enc = ENC_GUE0}, &fr);
	fr.b[fr.inner] = 0x44;
	refresh(&fr);
	expect_malformed("inner IPv4 IHL 4", &fr);
	build(&(struct fx){.enc = ENC_GUE0, .inner_opts = 1}, &fr);
	put16(fr.b + fr.inner + 2, 20);
	refresh(&fr);
	expect_malformed("inner IPv4 total length below its IHL", &fr);
	build(&(struct fx){.enc = ENC_GUE1, .outer_v6 = 1}, &fr);
	put16(fr.b + fr.inner + 2, (uint16_t)(fr.inner_len + 1));
	refresh(&fr);
	expect_malformed("inner IPv4 total length one too long", &fr);
	build(&(struct fx){.enc = ENC_IPIP, .inner_v6 = 1, .outer_v6 = 1}, &fr);
	put16(fr.b + fr.inner + 4, (uint16_t)(fr.inner_len - 40 + 1));
	expect_malformed("inner IPv6 payload length one too long", &fr);
}

/* The counter totals over the whole run must add up to the runs made. */
static void t_totals(uint64_t start[VR_DECAP_STAT_MAX], uint64_t runs)
{
	uint64_t now[VR_DECAP_STAT_MAX], sum = 0;

	stats_read(now);
	for (unsigned int s = 0; s < VR_DECAP_STAT_MAX; s++)
		sum += now[s] - start[s];
	test_no++;
	if (sum != runs) {
		printf("not ok %d - counters add up to %llu runs, got %llu\n", test_no, (unsigned long long)runs,
		       (unsigned long long)sum);
		failures++;
		return;
	}
	printf("ok %d - counters add up to the %llu runs\n", test_no, (unsigned long long)runs);
}

static int libbpf_quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

int main(void)
{
	uint64_t start[VR_DECAP_STAT_MAX], runs_before = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	libbpf_set_print(libbpf_quiet);
	if (geteuid() != 0) {
		printf("1..0 # SKIP BPF_PROG_TEST_RUN needs root\n");
		return 0;
	}
	skel = vr_decap_bpf__open_and_load();
	if (skel == NULL) {
		printf("Bail out! loading decap.bpf.o: %s\n", strerror(errno));
		return 1;
	}
	prog_fd = bpf_program__fd(skel->progs.vr_decap_xdp);
	stats_fd = bpf_map__fd(skel->maps.decap_stats);
	set_gue_port(GUE_PORT);
	add_vip(VIP4, VR_DECAP_VIP_ALL);
	add_vip(VIP6, VR_DECAP_VIP_ALL);
	add_vip(VIP4_GUE_ONLY, VR_DECAP_VIP_GUE);
	stats_read(start);

	t_decap();
	t_jumbo();
	t_not_vip();
	t_not_encap();
	t_outer_unsupported();
	t_bad_gue();
	t_bad_outer();
	t_bad_inner();
	t_ecn();
	runs_before = (uint64_t)test_no; /* one run per check() so far */
	t_totals(start, runs_before);
	t_truncated();

	printf("1..%d\n", test_no);
	vr_decap_bpf__destroy(skel);
	return failures ? 1 : 0;
}
