/* SPDX-License-Identifier: BSD-3-Clause */
/* libFuzzer target: any frame through vr_pkt_parse, then vr_neigh_input or vr_encap, checking what each promises. */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <rte_byteorder.h>

#include "voxrelay/encap.h"
#include "voxrelay/neigh.h"
#include "voxrelay/pkt.h"
#include "../fuzz/fuzz_assert.h"

/* A broken promise is a crash, so libFuzzer keeps the input that shows it. */

/* Same addresses as the seed corpus, so requests in it are for us. */
static const struct vr_neigh_local me = {
	.mac = { 0x02, 0x00, 0x5e, 0x00, 0x00, 0x01 },
	.has_v4 = true,
	.has_v6 = true,
	.ipv4 = RTE_BE32(0xc0000201), /* 192.0.2.1 */
	.ipv6 = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 },
};

static void check_parse_result(enum vr_drop d, const struct vr_pkt_info *pi, size_t size)
{
	FUZZ_ASSERT((unsigned)d < VR_DROP_MAX);
	FUZZ_ASSERT(strcmp(vr_drop_name(d), "unknown") != 0);
	if (d != VR_DROP_NONE)
		return;
	FUZZ_ASSERT(pi->l3_off == (pi->has_vlan ? 18 : 14));
	FUZZ_ASSERT((size_t)pi->l3_off + pi->l3_len <= size);
	if (pi->cls == VR_PKT_TCP) {
		FUZZ_ASSERT(pi->key.proto == IPPROTO_TCP);
		FUZZ_ASSERT(pi->payload_off >= pi->l4_off + 20 && pi->payload_off <= pi->l4_off + 60);
		FUZZ_ASSERT((size_t)pi->payload_off + pi->payload_len == (size_t)pi->l3_off + pi->l3_len);
	}
	switch (pi->cls) {
	case VR_PKT_UDP:
		FUZZ_ASSERT(pi->key.proto == IPPROTO_UDP);
		FUZZ_ASSERT(pi->payload_off == pi->l4_off + 8);
		FUZZ_ASSERT((size_t)pi->payload_off + pi->payload_len <= (size_t)pi->l3_off + pi->l3_len);
		/* fall through */
	case VR_PKT_IP_OTHER:
	case VR_PKT_TCP:
	case VR_PKT_ND:
		FUZZ_ASSERT(pi->key.family == AF_INET || pi->key.family == AF_INET6);
		FUZZ_ASSERT(pi->l4_off == pi->l3_off + (pi->key.family == AF_INET ? 20 : 40));
		FUZZ_ASSERT(pi->l4_off <= pi->l3_off + pi->l3_len);
		FUZZ_ASSERT(pi->key.vip_id == 0);
		break;
	case VR_PKT_ARP:
		FUZZ_ASSERT(pi->l3_len == 28);
		break;
	default:
		FUZZ_ASSERT(0);
	}
}

/* @cls: what vr_pkt_parse() said the frame is, or -1 if it was not vetted by it. */
static void fuzz_neigh(const uint8_t *data, size_t size, uint16_t l3_off, int cls)
{
	size_t room = size > VR_NEIGH_REPLY_MAX ? size : VR_NEIGH_REPLY_MAX;
	/* exactly the room neigh.h asks for, so ASan sees any write past it */
	uint8_t *f = malloc(room);
	struct vr_neigh_result res, res2;
	struct vr_pkt_info rpi;
	enum vr_drop d;

	if (!f)
		return;
	memcpy(f, data, size);
	d = vr_neigh_input(f, (uint32_t)size, l3_off, &me, &res);
	FUZZ_ASSERT((unsigned)d < VR_DROP_MAX);
	if (res.reply) {
		FUZZ_ASSERT(d == VR_DROP_NONE);
		FUZZ_ASSERT(res.reply_len >= 60 && res.reply_len <= room);
		/* our reply is itself a valid frame of the same kind */
		FUZZ_ASSERT(vr_pkt_parse(f, res.reply_len, &rpi) == VR_DROP_NONE);
		FUZZ_ASSERT(cls < 0 || rpi.cls == cls);
		FUZZ_ASSERT(rpi.cls == VR_PKT_ARP || rpi.cls == VR_PKT_ND);
		FUZZ_ASSERT(memcmp(f + 6, me.mac, 6) == 0);
		/* and the peer accepts it: a reply it learns from, never answers */
		{
			struct vr_neigh_local peer = me;

			peer.mac[5] ^= 0xff;
			peer.ipv4 ^= 0xff000000;
			peer.ipv6[15] ^= 0xff;
			d = vr_neigh_input(f, res.reply_len, rpi.l3_off, &peer, &res2);
			FUZZ_ASSERT(d == VR_DROP_NONE);
			FUZZ_ASSERT(!res2.reply);
		}
	}
	free(f);
}

/* Requests we build for a target taken from the input: the owner of that target answers them. */
static void fuzz_requests(const uint8_t *data)
{
	uint8_t buf[VR_NEIGH_REPLY_MAX];
	struct vr_neigh_local peer = me;
	struct vr_neigh_result res;
	uint32_t len;
	enum vr_drop d;

	peer.mac[5] ^= 0x55;
	memcpy(&peer.ipv4, data, 4);
	memcpy(peer.ipv6, data, 16);

	len = vr_neigh_arp_request(buf, &me, peer.ipv4);
	FUZZ_ASSERT(len == 60);
	d = vr_neigh_input(buf, len, 14, &peer, &res);
	FUZZ_ASSERT(d == VR_DROP_NONE && res.reply);
	d = vr_neigh_input(buf, res.reply_len, 14, &me, &res);
	FUZZ_ASSERT(d == VR_DROP_NONE && !res.reply);

	len = vr_neigh_nd_solicit(buf, &me, peer.ipv6);
	FUZZ_ASSERT(len == 86);
	d = vr_neigh_input(buf, len, 14, &peer, &res);
	if (peer.ipv6[0] == 0xff) {
		/* a multicast target is never valid (RFC 4861 section 7.1.1) */
		FUZZ_ASSERT(d == VR_DROP_ND_INVALID);
		return;
	}
	FUZZ_ASSERT(d == VR_DROP_NONE && res.reply);
	d = vr_neigh_input(buf, res.reply_len, 14, &me, &res);
	FUZZ_ASSERT(d == VR_DROP_NONE && !res.reply);
}

static void fuzz_encap(const uint8_t *data, size_t size, const struct vr_pkt_info *pi)
{
	uint32_t l3_len = pi->l3_len;
	uint8_t *buf = malloc(VR_ENCAP_MAX_HDR + l3_len), *l3, *frame = NULL;
	struct vr_encap_params p;
	struct vr_pkt_info opi;
	/* parameters from the input, so the fuzzer explores them too */
	uint8_t sel = data[size - 1];
	uint32_t hash = (uint32_t)data[0] << 24 | (uint32_t)data[size / 2] << 8 | size;
	int ret;

	if (!buf)
		return;
	l3 = buf + VR_ENCAP_MAX_HDR;
	memcpy(l3, data + pi->l3_off, l3_len);
	memset(&p, 0, sizeof(p));
	p.type = sel & 1 ? VR_ENCAP_IPIP : VR_ENCAP_GUE;
	p.ttl = 64;
	p.gue_port = VR_GUE_DEFAULT_PORT;
	p.mtu = sel & 4 ? 1500 : 9000;
	memcpy(p.src_mac, me.mac, 6);
	p.dst_mac[0] = 0x02;
	if (sel & 2) {
		p.src.family = p.dst.family = AF_INET6;
		memcpy(p.src.a.b, me.ipv6, 16);
		memcpy(p.dst.a.b, me.ipv6, 16);
		p.dst.a.b[15] = 7;
	} else {
		vr_addr_set_v4(&p.src, me.ipv4);
		vr_addr_set_v4(&p.dst, htonl(0x0a000007));
	}
	ret = vr_encap(&p, l3, l3_len, pi->key.family, hash, &frame);
	FUZZ_ASSERT(ret > 0 || ret == -EMSGSIZE);
	if (ret == -EMSGSIZE) {
		FUZZ_ASSERT(vr_encap_hdr_len(&p) - 14 + l3_len > p.mtu);
	} else {
		FUZZ_ASSERT(ret > 0);
		FUZZ_ASSERT(frame == l3 - vr_encap_hdr_len(&p));
		FUZZ_ASSERT((uint32_t)ret == vr_encap_hdr_len(&p) + l3_len);
		FUZZ_ASSERT(memcmp(l3, data + pi->l3_off, l3_len) == 0);
		/* what we send parses cleanly: outer checksum right, lengths consistent */
		FUZZ_ASSERT(vr_pkt_parse(frame, (uint32_t)ret, &opi) == VR_DROP_NONE);
		if (p.type == VR_ENCAP_GUE) {
			FUZZ_ASSERT(opi.cls == VR_PKT_UDP);
			FUZZ_ASSERT(opi.key.dport == htons(VR_GUE_DEFAULT_PORT));
			FUZZ_ASSERT(ntohs(opi.key.sport) >= VR_GUE_SPORT_MIN);
			FUZZ_ASSERT(opi.payload_len == VR_GUE_HDR_LEN + l3_len);
		} else {
			FUZZ_ASSERT(opi.cls == VR_PKT_IP_OTHER);
			FUZZ_ASSERT(opi.key.proto == (pi->key.family == AF_INET ? IPPROTO_IPIP : IPPROTO_IPV6));
		}
	}
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vr_pkt_info pi;
	enum vr_drop d;

	if (size > UINT16_MAX)
		return 0;
	d = vr_pkt_parse(data, (uint32_t)size, &pi);
	check_parse_result(d, &pi, size);
	if (d == VR_DROP_NONE && (pi.cls == VR_PKT_ARP || pi.cls == VR_PKT_ND)) {
		fuzz_neigh(data, size, pi.l3_off, pi.cls);
	} else {
		if (d == VR_DROP_NONE)
			fuzz_encap(data, size, &pi);
		/* vr_neigh_input validates on its own: give it frames the parser refused too */
		if (size >= 14)
			fuzz_neigh(data, size, data[12] == 0x81 && data[13] == 0x00 ? 18 : 14, -1);
	}
	if (size >= 16)
		fuzz_requests(data);
	return 0;
}
