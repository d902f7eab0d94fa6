/* SPDX-License-Identifier: BSD-3-Clause */
/* Fixture frames for the decap tests: outer GUE/IPIP headers with real checksums around a client datagram. */
#include "decap_fixture.h"

/* ---- header writers (the generic ones are in frame_util.c) ---- */

/* IPv4 header of @hl bytes (options are NOPs) before @payload_len bytes. */
size_t put_ipv4(uint8_t *p, const char *src, const char *dst, uint8_t proto, size_t hl,
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

size_t put_ipv6(uint8_t *p, const char *src, const char *dst, uint8_t nh, uint8_t tclass,
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
void udp_fix_csum(const uint8_t *ip, uint8_t *udp)
{
	l4_fix_csum(ip, 17, udp, get16(udp + 4), 6);
}

size_t put_udp_hdr(uint8_t *p, uint16_t sport, uint16_t dport, size_t payload_len)
{
	put16(p, sport);
	put16(p + 2, dport);
	put16(p + 4, (uint16_t)(8 + payload_len));
	put16(p + 6, 0);
	return 8;
}

/* The client's datagram: client:5004 → dst:7000, a small RTP-like payload. */
size_t put_inner(uint8_t *p, const struct fx *f)
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

void build(const struct fx *f, struct frame *fr)
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
void refresh(struct frame *fr)
{
	uint8_t *ip = fr->b + fr->l3;

	if ((ip[0] >> 4) == 4)
		ipv4_fix_csum(ip);
	if (fr->gue != fr->l4 && fr->gue == fr->l4 + 8)
		udp_fix_csum(ip, fr->b + fr->l4);
}
