/* SPDX-License-Identifier: BSD-3-Clause */
/* Fixture frames for the steer tests: voice, ARP, ND, TCP/ICMP and broken frames with real lengths and checksums. */
#include "steer_fixture_frames.h"

/* ---- payloads and frames (the header writers are in frame_util.c) ---- */

/* An RTP/RTCP/STUN/DTLS-shaped payload: first byte @b0, then a pattern; @len bytes. */
size_t rtp(uint8_t *p, uint8_t b0, size_t len)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(i * 13 + 5);
	if (len > 0)
		p[0] = b0;
	if (len > 1)
		p[1] = 0x00; /* PT 0 (PCMU), no marker */
	return len;
}

void build(const struct fx *f, struct frame *fr)
{
	static uint8_t def[172];
	const uint8_t *pl = f->payload;
	size_t plen = f->plen, l4len, ext = 0, off;
	uint8_t proto = f->proto ? f->proto : 17;
	const char *src = f->src ? f->src : (f->v6 ? CLIENT6 : CLIENT4);
	const char *dst = f->dst ? f->dst : (f->v6 ? VIP6 : VIP4);
	uint8_t *ip, *l4;

	if (pl == NULL) {
		plen = rtp(def, 0x80, sizeof(def));
		pl = def;
	}
	l4len = plen + (proto == 17 ? 8 : 0);
	memset(fr, 0, sizeof(*fr));
	off = put_eth(fr->b, f->vlan, f->v6 ? 0x86dd : 0x0800);
	fr->l3 = off;
	ip = fr->b + off;
	if (!f->v6) {
		size_t hl = f->ip_opts ? 24 : 20;

		ip[0] = (uint8_t)(0x40 | hl / 4);
		put16(ip + 2, (uint16_t)(hl + l4len));
		put16(ip + 4, 0x1234);
		put16(ip + 6, f->frag_off ? f->frag_off : 0x4000);
		ip[8] = 64;
		ip[9] = proto;
		addr(src, 0, ip + 12);
		addr(dst, 0, ip + 16);
		memset(ip + 20, 0x01, hl - 20); /* NOP options */
		ipv4_fix_csum(ip);
		off += hl;
	} else {
		uint8_t *nhp = ip + 6;

		ip[0] = 0x60;
		addr(src, 1, ip + 8);
		addr(dst, 1, ip + 24);
		ip[7] = 64;
		off += 40;
		for (int i = 0; i < f->v6_dstopts; i++) {
			*nhp = 60; /* destination options: PadN filling 8 bytes */
			nhp = fr->b + off;
			fr->b[off + 1] = 0;
			fr->b[off + 2] = 1;
			fr->b[off + 3] = 4;
			off += 8;
			ext += 8;
		}
		if (f->v6_frag) {
			*nhp = 44;
			nhp = fr->b + off;
			put16(fr->b + off + 2, f->v6_frag == 1 ? 0x0001 : f->v6_frag == 2 ? 0x0000 : 0x00a8);
			put16(fr->b + off + 4, 0xbeef);
			off += 8;
			ext += 8;
		}
		*nhp = proto;
		put16(ip + 4, (uint16_t)(ext + l4len));
	}
	fr->l4 = off;
	l4 = fr->b + off;
	if (proto == 17) {
		put16(l4, 40000);
		put16(l4 + 2, f->dport ? f->dport : VOICE_PORT);
		put16(l4 + 4, (uint16_t)l4len);
		memcpy(l4 + 8, pl, plen);
		l4_fix_csum(ip, 17, l4, l4len, 6);
	} else {
		memcpy(l4, pl, plen);
	}
	fr->len = off + l4len + f->trailer;
}

/* ARP for IPv4 over Ethernet (RFC 826), @oper 1 request / 2 reply, padded to 60 bytes. */
void build_arp(struct frame *fr, int vlan, uint16_t oper, const char *spa, const char *tpa)
{
	size_t o;

	memset(fr, 0, sizeof(*fr));
	o = put_eth(fr->b, vlan, 0x0806);
	fr->l3 = fr->l4 = o;
	put16(fr->b + o, 1);
	put16(fr->b + o + 2, 0x0800);
	fr->b[o + 4] = 6;
	fr->b[o + 5] = 4;
	put16(fr->b + o + 6, oper);
	memcpy(fr->b + o + 8, mac_src, 6);
	addr(spa, 0, fr->b + o + 14);
	if (oper == 2)
		memcpy(fr->b + o + 18, mac_dst, 6);
	addr(tpa, 0, fr->b + o + 24);
	fr->len = o + 28 < 60 ? 60 : o + 28;
}

/* ND (RFC 4861): neighbour solicitation (135) or advertisement (136) for @target, with its link-layer option. */
void build_nd(struct frame *fr, uint8_t type, const char *src, const char *dst, const char *target)
{
	uint8_t *ip, *icmp;
	size_t o;

	memset(fr, 0, sizeof(*fr));
	o = put_eth(fr->b, 0, 0x86dd);
	fr->l3 = o;
	ip = fr->b + o;
	ip[0] = 0x60;
	put16(ip + 4, 32);
	ip[6] = 58;
	ip[7] = 255;
	addr(src, 1, ip + 8);
	addr(dst, 1, ip + 24);
	fr->l4 = o + 40;
	icmp = fr->b + fr->l4;
	icmp[0] = type;
	if (type == 136)
		icmp[4] = 0x60; /* solicited, override */
	addr(target, 1, icmp + 8);
	icmp[24] = type == 135 ? 1 : 2; /* source / target link-layer address */
	icmp[25] = 1;
	memcpy(icmp + 26, mac_src, 6);
	l4_fix_csum(ip, 58, icmp, 32, 2);
	fr->len = fr->l4 + 32;
}
