/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests of RFC 7983 demux, RTP header/extension/audio-level parsing and RTCP compound parsing. */
#include <errno.h>

#include "voxrelay/rtp.h"

#include "relay_test.h"

#define CHECK_RTP(got, want)                                                                 \
	do {                                                                                 \
		enum vr_rtp_err g_ = (got), w_ = (want);                                     \
		vr_test_checks++;                                                            \
		if (g_ != w_) {                                                              \
			vr_test_failures++;                                                  \
			fprintf(stderr, "%s:%d: %s gave %s, expected %s\n", __FILE__, __LINE__, \
				#got, vr_rtp_err_name(g_), vr_rtp_err_name(w_));             \
		}                                                                            \
	} while (0)

static struct vr_guard guard;

/* Parse through a guard-page copy so any read past @len faults. */
static enum vr_rtp_err parse_g(const uint8_t *pkt, uint32_t len, unsigned int flags, struct vr_rtp_hdr *h)
{
	return vr_rtp_parse(vr_guard_copy(&guard, pkt, len), len, flags, h);
}

static enum vr_rtp_err rtcp_g(const uint8_t *pkt, uint32_t len, unsigned int flags, struct vr_rtcp_info *ri)
{
	return vr_rtcp_parse(vr_guard_copy(&guard, pkt, len), len, flags, ri);
}

static void test_demux(void)
{
	uint8_t b[2] = { 0, 0 };

	for (int v = 0; v < 256; v++) {
		enum vr_demux want = v <= 3 ? VR_DEMUX_STUN
				   : v >= 16 && v <= 19 ? VR_DEMUX_ZRTP
				   : v >= 20 && v <= 63 ? VR_DEMUX_DTLS
				   : v >= 64 && v <= 79 ? VR_DEMUX_TURN_CHANNEL
				   : v >= 128 && v <= 191 ? VR_DEMUX_RTP
							  : VR_DEMUX_UNKNOWN;
		b[0] = (uint8_t)v;
		CHECK_EQ(vr_demux_classify(vr_guard_copy(&guard, b, 1), 1), want);
	}
	/* Every boundary of RFC 7983 section 7, spelled out. */
	static const struct {
		uint8_t b;
		enum vr_demux d;
	} edges[] = {
		{ 0, VR_DEMUX_STUN },   { 3, VR_DEMUX_STUN },   { 4, VR_DEMUX_UNKNOWN }, { 15, VR_DEMUX_UNKNOWN },
		{ 16, VR_DEMUX_ZRTP },  { 19, VR_DEMUX_ZRTP },  { 20, VR_DEMUX_DTLS },     { 63, VR_DEMUX_DTLS },
		{ 64, VR_DEMUX_TURN_CHANNEL }, { 79, VR_DEMUX_TURN_CHANNEL }, { 80, VR_DEMUX_UNKNOWN },
		{ 127, VR_DEMUX_UNKNOWN }, { 128, VR_DEMUX_RTP }, { 191, VR_DEMUX_RTP }, { 192, VR_DEMUX_UNKNOWN },
		{ 255, VR_DEMUX_UNKNOWN },
	};
	for (size_t i = 0; i < VR_ARRAY_SIZE(edges); i++) {
		b[0] = edges[i].b;
		CHECK_EQ(vr_demux_classify(b, 2), edges[i].d);
	}
	CHECK_EQ(vr_demux_classify(NULL, 0), VR_DEMUX_UNKNOWN);
	CHECK(strcmp(vr_demux_name(VR_DEMUX_TURN_CHANNEL), "turn_channel") == 0);
	CHECK(strcmp(vr_demux_name((enum vr_demux)99), "unknown") == 0);

	/* RFC 5761 section 4: second byte 192..223 is RTCP. */
	b[0] = 0x80;
	for (int v = 0; v < 256; v++) {
		b[1] = (uint8_t)v;
		CHECK_EQ(vr_rtp_is_rtcp(vr_guard_copy(&guard, b, 2), 2), v >= 192 && v <= 223);
	}
	CHECK(!vr_rtp_is_rtcp(vr_guard_copy(&guard, b, 1), 1));
}

/* A builder for RTP packets: header, CSRCs, an extension block, payload, padding. */
struct rtp_spec {
	uint8_t cc, marker, pt;
	uint16_t seq;
	uint32_t ts, ssrc;
	int ext;                 /* 0 none, else profile in ext_profile */
	uint16_t ext_profile;
	const uint8_t *ext_data; /* multiple of 4 */
	uint16_t ext_data_len;
	uint16_t payload_len;
	uint8_t pad;             /* 0: no P bit */
};

static uint32_t build_rtp(uint8_t *b, const struct rtp_spec *s)
{
	uint32_t o = 12;

	b[0] = (uint8_t)(0x80 | (s->pad ? 0x20 : 0) | (s->ext ? 0x10 : 0) | s->cc);
	b[1] = (uint8_t)(s->marker << 7 | s->pt);
	vr_t_put16(b + 2, s->seq);
	vr_t_put16(b + 4, (uint16_t)(s->ts >> 16));
	vr_t_put16(b + 6, (uint16_t)s->ts);
	vr_t_put16(b + 8, (uint16_t)(s->ssrc >> 16));
	vr_t_put16(b + 10, (uint16_t)s->ssrc);
	for (unsigned i = 0; i < s->cc; i++, o += 4) {
		vr_t_put16(b + o, 0xc5c0);
		vr_t_put16(b + o + 2, (uint16_t)i);
	}
	if (s->ext) {
		vr_t_put16(b + o, s->ext_profile);
		vr_t_put16(b + o + 2, (uint16_t)(s->ext_data_len / 4));
		memcpy(b + o + 4, s->ext_data, s->ext_data_len);
		o += 4u + s->ext_data_len;
	}
	for (unsigned i = 0; i < s->payload_len; i++)
		b[o++] = (uint8_t)(0xd5 ^ i);
	if (s->pad) {
		memset(b + o, 0, s->pad);
		o += s->pad;
		b[o - 1] = s->pad;
	}
	return o;
}

static void test_rtp_basic(void)
{
	uint8_t b[512];
	struct vr_rtp_hdr h;
	struct rtp_spec s = { .pt = 8, .seq = 0xfffe, .ts = 0x80000001u, .ssrc = 0xd092d296u, .payload_len = 160 };
	uint32_t n = build_rtp(b, &s);

	CHECK_RTP(parse_g(b, n, 0, &h), VR_RTP_OK);
	CHECK_EQ(h.pt, 8);
	CHECK_EQ(h.marker, 0);
	CHECK_EQ(h.seq, 0xfffe);
	CHECK_EQ(h.ts, 0x80000001u);
	CHECK_EQ(h.ssrc, 0xd092d296u);
	CHECK_EQ(h.cc, 0);
	CHECK_EQ(h.hdr_len, 12);
	CHECK_EQ(h.payload_off, 12);
	CHECK_EQ(h.payload_len, 160);
	CHECK_EQ(h.pad_len, 0);
	CHECK_EQ(h.ext_kind, VR_RTP_EXT_KIND_NONE);

	/* CSRCs, marker, payload type 127 */
	s.cc = 15;
	s.marker = 1;
	s.pt = 127;
	n = build_rtp(b, &s);
	CHECK_RTP(parse_g(b, n, 0, &h), VR_RTP_OK);
	CHECK_EQ(h.cc, 15);
	CHECK_EQ(h.marker, 1);
	CHECK_EQ(h.pt, 127);
	CHECK_EQ(h.hdr_len, 12 + 60);
	CHECK_EQ(h.payload_len, 160);

	/* padding: 4 bytes of which the last counts them */
	s.cc = 2;
	s.pad = 4;
	n = build_rtp(b, &s);
	CHECK_RTP(parse_g(b, n, 0, &h), VR_RTP_OK);
	CHECK_EQ(h.padding, 1);
	CHECK_EQ(h.pad_len, 4);
	CHECK_EQ(h.payload_len, 160);
	CHECK_EQ(h.payload_off + h.payload_len + h.pad_len, n);
	/* SRTP: padding is encrypted, P is not interpreted */
	CHECK_RTP(parse_g(b, n, VR_RTP_OPAQUE_PAYLOAD, &h), VR_RTP_OK);
	CHECK_EQ(h.padding, 1);
	CHECK_EQ(h.pad_len, 0);
	CHECK_EQ(h.payload_len, 164);
	/* padding count 0, or past the payload */
	b[n - 1] = 0;
	CHECK_RTP(parse_g(b, n, 0, &h), VR_RTP_PADDING);
	b[n - 1] = 165;
	CHECK_RTP(parse_g(b, n, 0, &h), VR_RTP_PADDING);
	b[n - 1] = 164; /* the whole payload is padding: allowed */
	CHECK_RTP(parse_g(b, n, 0, &h), VR_RTP_OK);
	CHECK_EQ(h.payload_len, 0);
	/* P set on a header-only packet: no count byte */
	s.payload_len = 0;
	s.pad = 0;
	n = build_rtp(b, &s);
	b[0] |= 0x20;
	CHECK_RTP(parse_g(b, n, 0, &h), VR_RTP_PADDING);
	CHECK_RTP(parse_g(b, n, VR_RTP_OPAQUE_PAYLOAD, &h), VR_RTP_OK);

	/* version 0, 1, 3 */
	for (int v = 0; v < 4; v++) {
		n = build_rtp(b, &s);
		b[0] = (uint8_t)((b[0] & 0x3f) | v << 6);
		CHECK_RTP(parse_g(b, n, 0, &h), v == 2 ? VR_RTP_OK : VR_RTP_VERSION);
	}
	CHECK(strcmp(vr_rtp_err_name(VR_RTP_EXT_ELEMENT), "rtp_ext_bad_element") == 0);
	CHECK(strcmp(vr_rtp_err_name(VR_RTP_OK), "none") == 0);
	CHECK(strcmp(vr_rtp_err_name((enum vr_rtp_err)-1), "unknown") == 0);
	CHECK(strcmp(vr_rtp_err_name(VR_RTP_ERR_MAX), "unknown") == 0);
}

/*
 * Every prefix of a valid packet: inside the header each one is refused
 * with the reason for the part that no longer fits; past the header RTP
 * has no length field, so a prefix is a packet with a shorter payload,
 * whose padding count is then whatever its last byte is.
 */
static void test_rtp_truncation(void)
{
	static const uint8_t ext[] = { 0x10, 0x01, 0x00, 0x02, 0x01, 0xbb, 0x00, 0x00 }; /* two-byte */
	uint8_t b[512];
	struct vr_rtp_hdr h;
	struct rtp_spec s = { .cc = 3, .pt = 0, .seq = 7, .ssrc = 1, .ext = 1, .ext_profile = 0x1000,
			      .ext_data = ext, .ext_data_len = sizeof(ext), .payload_len = 20, .pad = 3 };
	uint32_t n = build_rtp(b, &s), hdr = 12 + 12 + 4 + sizeof(ext);

	CHECK_RTP(parse_g(b, n, 0, &h), VR_RTP_OK);
	CHECK_EQ(h.hdr_len, hdr);
	CHECK_EQ(h.ext_kind, VR_RTP_EXT_KIND_TWO);
	CHECK_EQ(h.payload_len, 20);
	CHECK_EQ(h.pad_len, 3);
	for (uint32_t l = 0; l < n; l++) {
		enum vr_rtp_err want;

		if (l < 12)
			want = VR_RTP_TRUNCATED;
		else if (l < 24)
			want = VR_RTP_CSRC_TRUNCATED;
		else if (l < 28)
			want = VR_RTP_EXT_TRUNCATED;
		else if (l < hdr)
			want = VR_RTP_EXT_LENGTH;
		else if (l == hdr || b[l - 1] == 0 || b[l - 1] > l - hdr)
			want = VR_RTP_PADDING;
		else
			want = VR_RTP_OK;
		CHECK_RTP(parse_g(b, l, 0, &h), want);
		if (want == VR_RTP_OK)
			CHECK_EQ(h.payload_len + h.pad_len, l - hdr);
		/* opaque payload: everything from the header on is fine */
		CHECK_RTP(parse_g(b, l, VR_RTP_OPAQUE_PAYLOAD, &h), l < hdr ? want : VR_RTP_OK);
	}
	/* an extension length field that points past the packet */
	vr_t_put16(b + 26, 4);
	CHECK_RTP(parse_g(b, hdr + 4, 0, &h), VR_RTP_EXT_LENGTH);
	vr_t_put16(b + 26, 0xffff);
	CHECK_RTP(parse_g(b, n, 0, &h), VR_RTP_EXT_LENGTH);
}

static enum vr_rtp_err level_of(const uint8_t *ext, uint16_t ext_len, uint16_t profile, uint8_t id,
				struct vr_rtp_audio_level *al)
{
	uint8_t b[512];
	struct vr_rtp_hdr h;
	struct rtp_spec s = { .pt = 111, .seq = 1, .ssrc = 2, .ext = 1, .ext_profile = profile, .ext_data = ext,
			      .ext_data_len = ext_len, .payload_len = 40 };
	uint32_t n = build_rtp(b, &s);
	const uint8_t *g = vr_guard_copy(&guard, b, n);
	enum vr_rtp_err e = vr_rtp_parse(g, n, 0, &h);

	al->present = 0xee;
	if (e != VR_RTP_OK)
		return e;
	return vr_rtp_audio_level(g, &h, id, al);
}

static void test_rtp_extensions(void)
{
	struct vr_rtp_audio_level al;
	struct vr_rtp_ext_iter it;
	struct vr_rtp_ext_elem e;
	struct vr_rtp_hdr h;
	uint8_t b[512];

	/* One-byte form, audio level alone at id 1: V=1 level 42 (RFC 6464 figure 1), then padding */
	static const uint8_t one1[] = { 0x10, 0x80 | 42, 0x00, 0x00 };
	CHECK_RTP(level_of(one1, sizeof(one1), 0xbede, 1, &al), VR_RTP_OK);
	CHECK(al.present == 1 && al.voice == 1 && al.level == 42);
	/* Not negotiated under that id: absent */
	CHECK_RTP(level_of(one1, sizeof(one1), 0xbede, 2, &al), VR_RTP_OK);
	CHECK(al.present == 0 && al.level == 0 && al.voice == 0);
	CHECK_RTP(level_of(one1, sizeof(one1), 0xbede, 0, &al), VR_RTP_OK);
	CHECK_EQ(al.present, 0);

	/* Several elements at ids 3 (4 bytes), padding, 5 (audio, silence, V=0), 14 (2 bytes) */
	static const uint8_t one2[] = { 0x33, 1, 2, 3, 4, 0x00, 0x00, 0x50, 127, 0xe1, 9, 9 };
	CHECK_RTP(level_of(one2, sizeof(one2), 0xbede, 5, &al), VR_RTP_OK);
	CHECK(al.present == 1 && al.voice == 0 && al.level == 127);
	/* level at id 14, the highest one-byte id */
	static const uint8_t one3[] = { 0x22, 7, 7, 7, 0xe0, 0x85, 0, 0 };
	CHECK_RTP(level_of(one3, sizeof(one3), 0xbede, 14, &al), VR_RTP_OK);
	CHECK(al.present == 1 && al.voice == 1 && al.level == 5);
	/* id 15 ends the walk: the level after it is not seen, the bytes after it are not checked */
	static const uint8_t one4[] = { 0x10, 0x81, 0xf0, 0x20, 0x82, 0xff, 0xff, 0xff };
	CHECK_RTP(level_of(one4, sizeof(one4), 0xbede, 1, &al), VR_RTP_OK);
	CHECK(al.present == 1 && al.level == 1);
	CHECK_RTP(level_of(one4, sizeof(one4), 0xbede, 2, &al), VR_RTP_OK);
	CHECK_EQ(al.present, 0);
	/* a longer element under the level id is read from its first byte */
	static const uint8_t one5[] = { 0x13, 0x80 | 30, 0, 0, 0 , 0, 0, 0 };
	CHECK_RTP(level_of(one5, sizeof(one5), 0xbede, 1, &al), VR_RTP_OK);
	CHECK(al.present == 1 && al.voice == 1 && al.level == 30);
	/* an element running past the block: refused by the parser */
	static const uint8_t one6[] = { 0x10, 0x81, 0x23, 0xaa };
	CHECK_RTP(level_of(one6, sizeof(one6), 0xbede, 1, &al), VR_RTP_EXT_ELEMENT);
	/* ID 0 with a non-zero length nibble: skipped as padding */
	static const uint8_t one7[] = { 0x05, 0x10, 0x90, 0x00 };
	CHECK_RTP(level_of(one7, sizeof(one7), 0xbede, 1, &al), VR_RTP_OK);
	CHECK(al.present == 1 && al.voice == 1 && al.level == 16);
	/* empty one-byte block */
	CHECK_RTP(level_of(one1, 0, 0xbede, 1, &al), VR_RTP_OK);
	CHECK_EQ(al.present, 0);

	/* Two-byte form (0x100 + appbits): ids above 14, empty elements */
	static const uint8_t two1[] = { 0x00, 0x0f, 0x01, 0x80 | 3, 0xc8, 0x00, 0xff, 0x02, 0x0a, 0x0b, 0, 0 };
	CHECK_RTP(level_of(two1, sizeof(two1), 0x1000, 15, &al), VR_RTP_OK);
	CHECK(al.present == 1 && al.voice == 1 && al.level == 3);
	CHECK_RTP(level_of(two1, sizeof(two1), 0x100f, 255, &al), VR_RTP_OK);
	CHECK(al.present == 1 && al.voice == 0 && al.level == 0x0a);
	/* the level id on an empty element: malformed audio level */
	CHECK_RTP(level_of(two1, sizeof(two1), 0x1000, 200, &al), VR_RTP_AUDIO_LEVEL);
	/* a lone id byte at the end of the block, and a length past the block */
	static const uint8_t two2[] = { 0x01, 0x01, 0x7f, 0x09 };
	CHECK_RTP(level_of(two2, sizeof(two2), 0x1000, 1, &al), VR_RTP_EXT_ELEMENT);
	static const uint8_t two3[] = { 0x01, 0x03, 0x7f, 0x09 };
	CHECK_RTP(level_of(two3, sizeof(two3), 0x1000, 1, &al), VR_RTP_EXT_ELEMENT);
	/* id 15 has no special meaning in the two-byte form */
	static const uint8_t two4[] = { 0x0f, 0x01, 0x11, 0x00, 0x01, 0x01, 0x22, 0x00 };
	CHECK_RTP(level_of(two4, sizeof(two4), 0x1000, 1, &al), VR_RTP_OK);
	CHECK(al.present == 1 && al.level == 0x22);

	/* Another profile's extension: opaque, no elements, no level */
	static const uint8_t other[] = { 0x10, 0x81, 0x00, 0x00 };
	CHECK_RTP(level_of(other, sizeof(other), 0xabac, 1, &al), VR_RTP_OK);
	CHECK_EQ(al.present, 0);
	CHECK_RTP(level_of(other, sizeof(other), 0x1010, 1, &al), VR_RTP_OK);
	CHECK_EQ(al.present, 0);

	/* The walker lists every element with its bytes */
	struct rtp_spec s = { .pt = 0, .ext = 1, .ext_profile = 0xbede, .ext_data = one2,
			      .ext_data_len = sizeof(one2), .payload_len = 4 };
	uint32_t n = build_rtp(b, &s);
	CHECK_RTP(parse_g(b, n, 0, &h), VR_RTP_OK);
	CHECK_EQ(h.ext_kind, VR_RTP_EXT_KIND_ONE);
	CHECK_EQ(h.ext_off, 16);
	CHECK_EQ(h.ext_len, 12);
	vr_rtp_ext_begin(&it, b, &h);
	CHECK_EQ(vr_rtp_ext_next(&it, &e), 1);
	CHECK(e.id == 3 && e.len == 4 && e.off == 17 && b[e.off] == 1);
	CHECK_EQ(vr_rtp_ext_next(&it, &e), 1);
	CHECK(e.id == 5 && e.len == 1 && e.off == 24 && b[e.off] == 127);
	CHECK_EQ(vr_rtp_ext_next(&it, &e), 1);
	CHECK(e.id == 14 && e.len == 2 && e.off == 26);
	CHECK_EQ(vr_rtp_ext_next(&it, &e), 0);
	CHECK_EQ(vr_rtp_ext_next(&it, &e), 0);
	/* a packet without extension yields nothing */
	s.ext = 0;
	n = build_rtp(b, &s);
	CHECK_RTP(parse_g(b, n, 0, &h), VR_RTP_OK);
	vr_rtp_ext_begin(&it, b, &h);
	CHECK_EQ(vr_rtp_ext_next(&it, &e), 0);
	/* the walker stays inside a block vr_rtp_parse() never saw and says so */
	memcpy(b + 16, one6, sizeof(one6));
	h.ext_kind = VR_RTP_EXT_KIND_ONE;
	h.ext_off = 16;
	h.ext_len = 4;
	vr_rtp_ext_begin(&it, b, &h);
	CHECK_EQ(vr_rtp_ext_next(&it, &e), 1);
	CHECK_EQ(vr_rtp_ext_next(&it, &e), -(int)VR_RTP_EXT_ELEMENT);
	CHECK_EQ(vr_rtp_ext_next(&it, &e), 0);
}

/* ---- RTCP ---- */

/* The first datagram of rtcp-compound.pcap: SR (no blocks) + SDES CNAME. */
static const char sr_sdes_hex[] =
	"81c8000c5d931534dd3ac1704d614df800007d00000000c800007d00000000000000000100000000000000000000000000000000"
	"81ca000e5d931534010835643933313533340725467265655357495443482e6f7267202d2d20436f6d6520746f20436c7565436f"
	"6e2e636f6d000000";

/* RR with two report blocks (second with negative cumulative loss) + BYE with a reason. */
static const char rr_bye_hex[] =
	"82c9000d 11223344"
	"aabbccdd 20 000005 0002ffff 00000010 12345678 00010000"
	"01020304 00 fffffe 00000064 00000000 00000000 00000000"
	"81cb0003 11223344 04627965 00000000";

static void test_rtcp(void)
{
	uint8_t b[512], c[512];
	struct vr_rtcp_info ri;
	struct vr_rtcp_iter it;
	struct vr_rtcp_pkt pk;
	struct vr_rtcp_report rb;
	struct vr_rtcp_sender_info si;
	uint32_t ssrc;
	size_t n = vr_t_unhex(sr_sdes_hex, b, sizeof(b));

	CHECK_EQ(n, 52 + 60);
	CHECK_RTP(rtcp_g(b, (uint32_t)n, 0, &ri), VR_RTP_OK);
	CHECK_EQ(ri.npkts, 2);
	CHECK_EQ(ri.is_sr, 1);
	CHECK_EQ(ri.ssrc, 0x5d931534u);
	CHECK(ri.sr.ntp == 0xdd3ac1704d614df8ull);
	CHECK_EQ(ri.sr.rtp_ts, 32000);
	CHECK_EQ(ri.sr.packet_count, 200);
	CHECK_EQ(ri.sr.octet_count, 32000);
	CHECK_EQ(ri.first.pt, VR_RTCP_SR);
	CHECK_EQ(ri.first.count, 1);
	CHECK_EQ(ri.first.len, 52);
	CHECK_EQ(ri.report_off, 28);
	CHECK_EQ(ri.types, (1u << (VR_RTCP_SR - 192)) | (1u << (VR_RTCP_SDES - 192)));
	CHECK_EQ(vr_rtcp_report_block(b, &ri.first, 0, &rb), 0);
	CHECK(rb.ssrc == 0 && rb.fraction_lost == 0 && rb.cum_lost == 1 && rb.ext_highest_seq == 0);
	CHECK_EQ(vr_rtcp_report_block(b, &ri.first, 1, &rb), -EINVAL);
	vr_rtcp_begin(&it, b, (uint32_t)n);
	CHECK_EQ(vr_rtcp_next(&it, &pk), 1);
	CHECK(pk.pt == VR_RTCP_SR && pk.off == 0 && pk.len == 52);
	CHECK_EQ(vr_rtcp_sender_info(b, &pk, &si), 0);
	CHECK_EQ(si.packet_count, 200);
	CHECK_EQ(vr_rtcp_next(&it, &pk), 1);
	CHECK(pk.pt == VR_RTCP_SDES && pk.off == 52 && pk.len == 60 && pk.count == 1);
	CHECK_EQ(vr_rtcp_ssrc(b, &pk, &ssrc), 0);
	CHECK_EQ(ssrc, 0x5d931534u);
	CHECK_EQ(vr_rtcp_sender_info(b, &pk, &si), -EINVAL);
	CHECK_EQ(vr_rtcp_report_block(b, &pk, 0, &rb), -EINVAL);
	CHECK_EQ(vr_rtcp_next(&it, &pk), 0);

	/* Every prefix: refused unless it ends on the SR/SDES boundary */
	for (uint32_t l = 0; l < n; l++) {
		enum vr_rtp_err want = l < 8 ? VR_RTP_RTCP_TRUNCATED : l == 52 ? VR_RTP_OK : VR_RTP_RTCP_LENGTH;

		CHECK_RTP(rtcp_g(b, l, 0, &ri), want);
	}
	/* Bytes after the last packet (not a whole packet, or a bare header) */
	memcpy(c, b, n);
	c[n] = 0x80, c[n + 1] = 0xca;
	CHECK_RTP(rtcp_g(c, (uint32_t)n + 2, 0, &ri), VR_RTP_RTCP_LENGTH);
	c[n + 2] = 0, c[n + 3] = 0;
	CHECK_RTP(rtcp_g(c, (uint32_t)n + 4, 0, &ri), VR_RTP_OK); /* an empty SDES, length 0: valid */
	CHECK_EQ(ri.npkts, 3);
	/* SDES length one word too long */
	memcpy(c, b, n);
	c[52 + 3] = 0x0f;
	CHECK_RTP(rtcp_g(c, (uint32_t)n, 0, &ri), VR_RTP_RTCP_LENGTH);
	/* SDES one word short: the last 4 bytes become a bad-version packet */
	c[52 + 3] = 0x0d;
	CHECK_RTP(rtcp_g(c, (uint32_t)n, 0, &ri), VR_RTP_RTCP_VERSION);
	/* version 1 on the second packet, version 3 on the first */
	memcpy(c, b, n);
	c[52] = 0x41;
	CHECK_RTP(rtcp_g(c, (uint32_t)n, 0, &ri), VR_RTP_RTCP_VERSION);
	memcpy(c, b, n);
	c[0] = 0xc1;
	CHECK_RTP(rtcp_g(c, (uint32_t)n, 0, &ri), VR_RTP_RTCP_VERSION);
	/* SDES first */
	memcpy(c, b + 52, 60);
	memcpy(c + 60, b, 52);
	CHECK_RTP(rtcp_g(c, (uint32_t)n, 0, &ri), VR_RTP_RTCP_FIRST_TYPE);
	CHECK_RTP(rtcp_g(c, (uint32_t)n, VR_RTCP_REDUCED_SIZE, &ri), VR_RTP_OK);
	CHECK_EQ(ri.is_sr, 0);
	CHECK_EQ(ri.report_off, 0);
	CHECK_EQ(ri.first.pt, VR_RTCP_SDES);
	/* SR claiming 2 report blocks with room for 1 */
	memcpy(c, b, n);
	c[0] = 0x82;
	CHECK_RTP(rtcp_g(c, (uint32_t)n, 0, &ri), VR_RTP_RTCP_REPORT_LENGTH);
	/* SR too short for its sender info */
	static const uint8_t sr_short[] = { 0x80, 0xc8, 0x00, 0x03, 1, 2, 3, 4, 0, 0, 0, 0, 0, 0, 0, 0 };
	CHECK_RTP(rtcp_g(sr_short, sizeof(sr_short), 0, &ri), VR_RTP_RTCP_REPORT_LENGTH);
	/* padding: on the first packet, on a middle one, count 0, count past the body */
	memcpy(c, b, n);
	c[0] |= 0x20;
	CHECK_RTP(rtcp_g(c, (uint32_t)n, 0, &ri), VR_RTP_RTCP_PADDING);
	memcpy(c, b, n);
	memcpy(c + n, b + 52, 60); /* SR, SDES, SDES */
	c[52] |= 0x20;
	CHECK_RTP(rtcp_g(c, (uint32_t)n + 60, 0, &ri), VR_RTP_RTCP_PADDING);
	c[52] &= (uint8_t)~0x20;
	CHECK_RTP(rtcp_g(c, (uint32_t)n + 60, 0, &ri), VR_RTP_OK);
	c[n] |= 0x20; /* last: the SDES ends "... 00 00 00": count 0 */
	CHECK_RTP(rtcp_g(c, (uint32_t)n + 60, 0, &ri), VR_RTP_RTCP_PADDING);
	c[n + 59] = 57; /* past the 56 bytes after the header */
	CHECK_RTP(rtcp_g(c, (uint32_t)n + 60, 0, &ri), VR_RTP_RTCP_PADDING);
	c[n + 59] = 56;
	CHECK_RTP(rtcp_g(c, (uint32_t)n + 60, 0, &ri), VR_RTP_OK);
	c[n + 59] = 4;
	CHECK_RTP(rtcp_g(c, (uint32_t)n + 60, 0, &ri), VR_RTP_OK);
	CHECK_EQ(ri.npkts, 3);
	/* padding eating into an RR's report blocks */
	static const char rr_pad_hex[] = "81c9000711223344 aabbccdd 00000001 00000002 00000003 00000004 00000004"
					 "81cb0001 11223344";
	n = vr_t_unhex(rr_pad_hex, c, sizeof(c));
	CHECK_RTP(rtcp_g(c, (uint32_t)n, 0, &ri), VR_RTP_OK);
	c[0] |= 0x20;
	c[31] = 4;
	CHECK_RTP(rtcp_g(c, 32, VR_RTCP_REDUCED_SIZE, &ri), VR_RTP_RTCP_REPORT_LENGTH);

	/* RR + BYE */
	n = vr_t_unhex(rr_bye_hex, b, sizeof(b));
	CHECK_EQ(n, 56 + 16);
	CHECK_RTP(rtcp_g(b, (uint32_t)n, 0, &ri), VR_RTP_OK);
	CHECK_EQ(ri.npkts, 2);
	CHECK_EQ(ri.is_sr, 0);
	CHECK_EQ(ri.ssrc, 0x11223344u);
	CHECK_EQ(ri.report_off, 8);
	CHECK_EQ(ri.types, (1u << (VR_RTCP_RR - 192)) | (1u << (VR_RTCP_BYE - 192)));
	CHECK_EQ(vr_rtcp_report_block(b, &ri.first, 0, &rb), 0);
	CHECK_EQ(rb.ssrc, 0xaabbccddu);
	CHECK_EQ(rb.fraction_lost, 0x20);
	CHECK_EQ(rb.cum_lost, 5);
	CHECK_EQ(rb.ext_highest_seq, 0x0002ffffu);
	CHECK_EQ(rb.jitter, 16);
	CHECK_EQ(rb.lsr, 0x12345678u);
	CHECK_EQ(rb.dlsr, 65536);
	CHECK_EQ(vr_rtcp_report_block(b, &ri.first, 1, &rb), 0);
	CHECK_EQ(rb.ssrc, 0x01020304u);
	CHECK_EQ(rb.cum_lost, -2);
	CHECK_EQ(rb.ext_highest_seq, 100);
	CHECK_EQ(vr_rtcp_report_block(b, &ri.first, 2, &rb), -EINVAL);
	/* cumulative loss extremes of the 24-bit field */
	b[13] = 0x80, b[14] = 0, b[15] = 0;
	vr_rtcp_report_block(b, &ri.first, 0, &rb);
	CHECK_EQ(rb.cum_lost, -0x800000);
	b[13] = 0x7f, b[14] = 0xff, b[15] = 0xff;
	vr_rtcp_report_block(b, &ri.first, 0, &rb);
	CHECK_EQ(rb.cum_lost, 0x7fffff);
	/* BYE alone is not a valid compound; RR alone with no blocks is */
	CHECK_RTP(rtcp_g(b + 56, 16, 0, &ri), VR_RTP_RTCP_FIRST_TYPE);
	static const uint8_t rr0[] = { 0x80, 0xc9, 0x00, 0x01, 9, 9, 9, 9 };
	CHECK_RTP(rtcp_g(rr0, sizeof(rr0), 0, &ri), VR_RTP_OK);
	CHECK_EQ(ri.ssrc, 0x09090909u);
	/* A lone reduced-size PLI (RFC 4585 6.3.1, RFC 5506) */
	static const uint8_t pli[] = { 0x81, 0xce, 0x00, 0x02, 1, 1, 1, 1, 2, 2, 2, 2 };
	CHECK_RTP(rtcp_g(pli, sizeof(pli), 0, &ri), VR_RTP_RTCP_FIRST_TYPE);
	CHECK_RTP(rtcp_g(pli, sizeof(pli), VR_RTCP_REDUCED_SIZE, &ri), VR_RTP_OK);
	CHECK_EQ(ri.ssrc, 0x01010101u);
	CHECK_EQ(ri.types, 1u << (206 - 192));
	/* iterator on a bad datagram reports it and stops */
	vr_rtcp_begin(&it, sr_short, 6);
	CHECK_EQ(vr_rtcp_next(&it, &pk), -(int)VR_RTP_RTCP_LENGTH);
	CHECK_EQ(vr_rtcp_next(&it, &pk), 0);
}

int main(void)
{
	test_demux();
	test_rtp_basic();
	test_rtp_truncation();
	test_rtp_extensions();
	test_rtcp();
	return vr_test_done("test_rtp");
}
