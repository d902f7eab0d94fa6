/* SPDX-License-Identifier: BSD-3-Clause */
/* BPF_PROG_TEST_RUN fixtures for bpf/decap.bpf.c: per branch an input frame, the verdict, the output frame and the counter it must bump. */
#include "decap_fixture.h"

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
