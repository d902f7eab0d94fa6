/* SPDX-License-Identifier: BSD-3-Clause */
/* libFuzzer target for the relay's frames: vr_pkt_parse then vr_relay_frame_parse on any bytes, and what the relay writes back parses again. */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "voxrelay/encap.h"
#include "voxrelay/pkt.h"
#include "voxrelay/relaypkt.h"
#include "fuzz_assert.h"

#define GUE_PORT VR_GUE_DEFAULT_PORT

static const uint8_t v4_mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

/* RFC 1071 sum of big-endian pairs, written apart from the library's. */
static uint32_t sum16(const uint8_t *p, size_t n, uint32_t s)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return s;
}

static void check_addr(const struct vr_addr *a, uint8_t family)
{
	FUZZ_ASSERT(a->family == family);
	if (family == AF_INET)
		FUZZ_ASSERT(memcmp(a->a.b, v4_mapped, 12) == 0);
}

/* The promises of relaypkt.h about a successful parse of @size bytes. */
static void check_frame(const struct vr_relay_frame *rf, const struct vr_pkt_info *pi, size_t size, uint16_t gue_port)
{
	uint32_t hl;

	FUZZ_ASSERT(rf->family == AF_INET || rf->family == AF_INET6);
	check_addr(&rf->src, rf->family);
	check_addr(&rf->dst, rf->family);
	hl = rf->family == AF_INET ? 20 : 40;
	/* payload inside the client's IP packet, which is inside the frame */
	FUZZ_ASSERT((size_t)rf->l3_off + rf->l3_len <= size);
	FUZZ_ASSERT(rf->payload_off == rf->l3_off + hl + 8);
	FUZZ_ASSERT((uint32_t)rf->payload_off + rf->payload_len <= (uint32_t)rf->l3_off + rf->l3_len);
	FUZZ_ASSERT(rf->l3_off >= pi->l3_off);
	switch (rf->encap) {
	case VR_RELAY_ENCAP_NONE:
		FUZZ_ASSERT(pi->cls == VR_PKT_UDP);
		FUZZ_ASSERT(gue_port == 0 || pi->key.dport != htons(gue_port));
		FUZZ_ASSERT(rf->l3_off == pi->l3_off && rf->payload_off == pi->payload_off);
		FUZZ_ASSERT(rf->payload_len == pi->payload_len && rf->family == pi->key.family);
		FUZZ_ASSERT(memcmp(rf->src.a.b, pi->key.src, 16) == 0 && memcmp(rf->dst.a.b, pi->key.dst, 16) == 0);
		FUZZ_ASSERT(rf->sport == ntohs(pi->key.sport) && rf->dport == ntohs(pi->key.dport));
		break;
	case VR_RELAY_ENCAP_GUE:
		FUZZ_ASSERT(pi->cls == VR_PKT_UDP && gue_port != 0 && pi->key.dport == htons(gue_port));
		/* variant 1 starts at the UDP payload, variant 0 four bytes later */
		FUZZ_ASSERT(rf->l3_off == pi->payload_off || rf->l3_off == pi->payload_off + 4);
		FUZZ_ASSERT((uint32_t)rf->l3_off + rf->l3_len <= (uint32_t)pi->payload_off + pi->payload_len);
		break;
	case VR_RELAY_ENCAP_IPIP:
		FUZZ_ASSERT(pi->cls == VR_PKT_IP_OTHER);
		FUZZ_ASSERT(pi->key.proto == (rf->family == AF_INET ? IPPROTO_IPIP : IPPROTO_IPV6));
		FUZZ_ASSERT(rf->l3_off == pi->l4_off);
		FUZZ_ASSERT((uint32_t)rf->l3_off + rf->l3_len <= (uint32_t)pi->l3_off + pi->l3_len);
		break;
	default:
		FUZZ_ASSERT(0);
	}
}

/* The relay's answer to the client, VIP:room -> client: it parses back as a direct datagram with this payload. */
static void fuzz_reply(const uint8_t *frame, const struct vr_relay_frame *rf, uint8_t sel)
{
	uint32_t hlen = vr_relay_hdr_len(rf->family), pl = rf->payload_len;
	uint8_t *buf = malloc(hlen + pl + 1), *out = NULL;
	struct vr_relay_hdr h;
	struct vr_relay_frame back;
	struct vr_pkt_info pi;
	const uint8_t *ip, *udp;
	int ret;

	FUZZ_ASSERT(hlen == (rf->family == AF_INET ? 42u : 62u));
	if (!buf)
		return;
	memcpy(buf + hlen, frame + rf->payload_off, pl);
	memset(&h, 0, sizeof(h));
	h.src_mac[0] = 0x02;
	h.dst_mac[0] = 0x02;
	h.dst_mac[5] = 1;
	h.src = rf->dst;
	h.dst = rf->src;
	h.sport = rf->dport;
	h.dport = rf->sport;
	h.ttl = 64;
	h.mtu = sel & 1 ? 1500 : 9000;
	ret = vr_relay_hdr_write(&h, buf + hlen, pl, &out);
	if (hlen - 14 + pl > h.mtu) {
		FUZZ_ASSERT(ret == -EMSGSIZE);
		free(buf);
		return;
	}
	FUZZ_ASSERT(ret > 0 && (uint32_t)ret == hlen + pl && out == buf);
	FUZZ_ASSERT(vr_pkt_parse(out, (uint32_t)ret, &pi) == VR_DROP_NONE);
	FUZZ_ASSERT(vr_relay_frame_parse(out, (uint32_t)ret, &pi, 0, &back) == VR_DROP_NONE);
	FUZZ_ASSERT(back.encap == VR_RELAY_ENCAP_NONE && back.family == rf->family);
	FUZZ_ASSERT(vr_addr_eq(&back.src, &rf->dst) && vr_addr_eq(&back.dst, &rf->src));
	FUZZ_ASSERT(back.sport == rf->dport && back.dport == rf->sport);
	FUZZ_ASSERT(back.payload_len == pl && memcmp(out + back.payload_off, frame + rf->payload_off, pl) == 0);
	/* UDP checksum never 0, and right: the pseudo-header and datagram sum to -0 */
	ip = out + 14;
	udp = out + hlen - 8;
	FUZZ_ASSERT((udp[6] | udp[7]) != 0);
	{
		uint32_t s = rf->family == AF_INET ? sum16(ip + 12, 8, 0) : sum16(ip + 8, 32, 0);

		s = sum16(udp, 8 + pl, s + IPPROTO_UDP + 8 + pl);
		FUZZ_ASSERT(s == 0xffff);
		if (rf->family == AF_INET)
			FUZZ_ASSERT(sum16(ip, 20, 0) == 0xffff);
	}
	free(buf);
}

/* The client's packet re-encapsulated by the balancer's vr_encap comes back out the same. */
static void fuzz_reencap(const uint8_t *frame, const struct vr_relay_frame *rf, uint8_t sel)
{
	uint8_t *buf = malloc(VR_ENCAP_MAX_HDR + rf->l3_len), *l3, *out = NULL;
	struct vr_encap_params p;
	struct vr_relay_frame back;
	struct vr_pkt_info pi;
	int ret;

	if (!buf)
		return;
	l3 = buf + VR_ENCAP_MAX_HDR;
	memcpy(l3, frame + rf->l3_off, rf->l3_len);
	memset(&p, 0, sizeof(p));
	p.type = sel & 2 ? VR_ENCAP_IPIP : VR_ENCAP_GUE;
	p.ttl = 64;
	p.gue_port = GUE_PORT;
	p.mtu = 65535;
	if (sel & 4) {
		p.src.family = p.dst.family = AF_INET6;
		p.src.a.b[0] = p.dst.a.b[0] = 0xfd;
		p.dst.a.b[15] = 7;
	} else {
		vr_addr_set_v4(&p.src, htonl(0x0a000001));
		vr_addr_set_v4(&p.dst, htonl(0x0a000007));
	}
	ret = vr_encap(&p, l3, rf->l3_len, rf->family, sel, &out);
	if (ret == -EMSGSIZE) {
		free(buf);
		return;
	}
	FUZZ_ASSERT(ret > 0);
	FUZZ_ASSERT(vr_pkt_parse(out, (uint32_t)ret, &pi) == VR_DROP_NONE);
	FUZZ_ASSERT(vr_relay_frame_parse(out, (uint32_t)ret, &pi, GUE_PORT, &back) == VR_DROP_NONE);
	FUZZ_ASSERT(back.encap == (p.type == VR_ENCAP_GUE ? VR_RELAY_ENCAP_GUE : VR_RELAY_ENCAP_IPIP));
	FUZZ_ASSERT(back.family == rf->family && vr_addr_eq(&back.src, &rf->src) && vr_addr_eq(&back.dst, &rf->dst));
	FUZZ_ASSERT(back.sport == rf->sport && back.dport == rf->dport && back.payload_len == rf->payload_len);
	FUZZ_ASSERT(memcmp(out + back.payload_off, frame + rf->payload_off, rf->payload_len) == 0);
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vr_relay_frame rf, rf2;
	struct vr_pkt_info pi;
	uint8_t *frame;
	enum vr_drop d, d2;

	if (size > UINT16_MAX)
		return 0;
	/* Exact-size copy so ASan sees any read past the frame. */
	frame = malloc(size ? size : 1);
	if (!frame)
		return 0;
	memcpy(frame, data, size);
	if (vr_pkt_parse(frame, (uint32_t)size, &pi) != VR_DROP_NONE)
		goto out;
	/* zeroed so the two results compare bytewise, padding included */
	memset(&rf, 0, sizeof(rf));
	memset(&rf2, 0, sizeof(rf2));
	d = vr_relay_frame_parse(frame, (uint32_t)size, &pi, GUE_PORT, &rf);
	FUZZ_ASSERT((unsigned)d < VR_DROP_MAX);
	FUZZ_ASSERT(rf.encap <= VR_RELAY_ENCAP_IPIP);
	/* pure: the same answer twice */
	d2 = vr_relay_frame_parse(frame, (uint32_t)size, &pi, GUE_PORT, &rf2);
	FUZZ_ASSERT(d == d2 && rf.encap == rf2.encap);
	if (d == VR_DROP_NONE) {
		FUZZ_ASSERT(memcmp(&rf, &rf2, sizeof(rf)) == 0);
		check_frame(&rf, &pi, size, GUE_PORT);
		fuzz_reply(frame, &rf, size ? data[size - 1] : 0);
		fuzz_reencap(frame, &rf, size ? data[0] : 0);
	}
	/* with GUE off, every UDP datagram is the client's own */
	d = vr_relay_frame_parse(frame, (uint32_t)size, &pi, 0, &rf);
	if (pi.cls == VR_PKT_UDP) {
		FUZZ_ASSERT(d == VR_DROP_NONE && rf.encap == VR_RELAY_ENCAP_NONE);
		check_frame(&rf, &pi, size, 0);
	}
out:
	free(frame);
	return 0;
}
