/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit test of vr_relay_hdr_write and vr_relay_hdr_len: the relay's output headers byte by byte, checksums, refusals; scapy checks the frames again. */
#include <errno.h>
#include <stdlib.h>

#include "relaypkt_test.h"

#define HEADROOM 128
#define SENTINEL 0xa5

static struct frames frames_out;

static void make_hdr(struct vr_relay_hdr *h, uint8_t fam, uint16_t mtu)
{
	memset(h, 0, sizeof(*h));
	memcpy(h->src_mac, mac_b, 6);
	memcpy(h->dst_mac, mac_a, 6);
	addr_of(&h->src, fam, fam == AF_INET ? vip4 : vip6);
	addr_of(&h->dst, fam, fam == AF_INET ? cl4 : cl6);
	h->sport = ROOM_PORT;
	h->dport = CLIENT_PORT;
	h->ttl = 64;
	h->mtu = mtu;
}

/* Every header byte of a written frame, checksums recomputed by testutil's own sum. */
static void check_written(const struct vr_relay_hdr *h, const uint8_t *fr, uint32_t len, const uint8_t *payload,
			  uint32_t payload_len)
{
	bool v6 = h->dst.family == AF_INET6;
	uint32_t hl = v6 ? 40 : 20, ulen = 8 + payload_len;
	const uint8_t *ip = fr + 14, *udp = ip + hl;
	uint8_t copy[BUF];
	uint16_t ck = vr_t_get16(udp + 6), want;

	CHECK_EQ(len, 14 + hl + ulen);
	CHECK_EQ(len, vr_relay_hdr_len(h->dst.family) + payload_len);
	CHECK_MEM(fr, mac_a, 6);
	CHECK_MEM(fr + 6, mac_b, 6);
	CHECK_EQ(vr_t_get16(fr + 12), v6 ? 0x86dd : 0x0800);
	if (!v6) {
		CHECK_EQ(ip[0], 0x45);
		CHECK_EQ(ip[1], 0);
		CHECK_EQ(vr_t_get16(ip + 2), hl + ulen);
		CHECK_EQ(vr_t_get16(ip + 4), 0);
		CHECK_EQ(vr_t_get16(ip + 6), 0x4000);
		CHECK_EQ(ip[8], 64);
		CHECK_EQ(ip[9], IPPROTO_UDP);
		CHECK_MEM(ip + 12, vip4, 4);
		CHECK_MEM(ip + 16, cl4, 4);
		memcpy(copy, ip, 20);
		copy[10] = copy[11] = 0;
		CHECK_EQ(vr_t_get16(ip + 10), vr_t_cksum(copy, 20));
		CHECK_EQ(vr_t_fold(vr_t_sum(ip, 20, 0)), 0xffff);
	} else {
		/* version 6, traffic class 0, flow label 0 */
		CHECK_EQ(ip[0], 0x60);
		CHECK_EQ(ip[1], 0);
		CHECK_EQ(ip[2], 0);
		CHECK_EQ(ip[3], 0);
		CHECK_EQ(vr_t_get16(ip + 4), ulen);
		CHECK_EQ(ip[6], IPPROTO_UDP);
		CHECK_EQ(ip[7], 64);
		CHECK_MEM(ip + 8, vip6, 16);
		CHECK_MEM(ip + 24, cl6, 16);
	}
	CHECK_EQ(vr_t_get16(udp), ROOM_PORT);
	CHECK_EQ(vr_t_get16(udp + 2), CLIENT_PORT);
	CHECK_EQ(vr_t_get16(udp + 4), ulen);
	CHECK(udp + 8 == payload);
	/* recomputed with the field zeroed, 0 sent as 0xffff */
	memcpy(copy, udp, ulen);
	copy[6] = copy[7] = 0;
	want = v6 ? vr_t_l4_cksum6(ip, IPPROTO_UDP, copy, ulen) : vr_t_l4_cksum4(ip, copy, ulen);
	CHECK_EQ(ck, want == 0 ? 0xffff : want);
	CHECK(ck != 0);
	/* and the receiver's view: everything including the field sums to -0 */
	CHECK_EQ(v6 ? vr_t_l4_cksum6(ip, IPPROTO_UDP, udp, ulen) : vr_t_l4_cksum4(ip, udp, ulen), 0);
}

static void test_hdr_write(void)
{
	static uint8_t buf[HEADROOM + BUF + 16], before[sizeof(buf)];
	static const uint32_t payloads[] = { 0, 1, 2, 3, 33, 172, 1000 };

	CHECK_EQ(vr_relay_hdr_len(AF_INET), 42);
	CHECK_EQ(vr_relay_hdr_len(AF_INET6), 62);
	CHECK_EQ(vr_relay_hdr_len(0), 0);
	CHECK_EQ(vr_relay_hdr_len(AF_UNIX), 0);

	for (int o = 0; o < 2; o++)
		for (size_t p = 0; p < VR_ARRAY_SIZE(payloads); p++)
			for (int mis = 0; mis < 4; mis++) {
				uint8_t fam = fams[o];
				uint32_t pl = payloads[p], need = ip_hlen(fam) + 8 + pl;
				uint8_t *payload = buf + HEADROOM + mis, *frame = (uint8_t *)1;
				struct vr_relay_hdr h;
				struct vr_relay_frame rf;
				const uint8_t *g;
				int ret;

				memset(buf, SENTINEL, sizeof(buf));
				for (uint32_t i = 0; i < pl; i++)
					payload[i] = payload_byte(i);
				/* exactly at the MTU */
				make_hdr(&h, fam, (uint16_t)need);
				ret = vr_relay_hdr_write(&h, payload, pl, &frame);
				CHECK_EQ(ret, 14 + need);
				CHECK(frame == payload - vr_relay_hdr_len(fam));
				if (ret <= 0 || frame != payload - vr_relay_hdr_len(fam))
					continue;
				check_written(&h, frame, (uint32_t)ret, payload, pl);
				for (uint8_t *q = buf; q < frame; q++)
					CHECK_EQ(*q, SENTINEL);
				for (uint8_t *q = payload + pl; q < buf + sizeof(buf); q++)
					CHECK_EQ(*q, SENTINEL);
				/* what we send parses back as the datagram it is */
				CHECK_DROP(parse2(frame, (size_t)ret, GUE_PORT, &rf, &g), VR_DROP_NONE);
				CHECK_EQ(rf.encap, VR_RELAY_ENCAP_NONE);
				CHECK(vr_addr_eq(&rf.src, &h.src));
				CHECK(vr_addr_eq(&rf.dst, &h.dst));
				CHECK_EQ(rf.sport, ROOM_PORT);
				CHECK_EQ(rf.dport, CLIENT_PORT);
				CHECK_EQ(rf.payload_len, pl);
				CHECK_MEM(g + rf.payload_off, payload, pl);
				if (mis == 0 && (pl == 33 || pl == 172 || pl == 0)) {
					dump(&frames_out, frame, (size_t)ret);
					expect_line(&frames_out, &rf, g, ", \"ttl\": 64, \"tclass\": 0");
				}

				/* one byte over the MTU: refused, nothing written */
				memset(buf, SENTINEL, sizeof(buf));
				for (uint32_t i = 0; i < pl; i++)
					payload[i] = payload_byte(i);
				memcpy(before, buf, sizeof(buf));
				frame = (uint8_t *)1;
				h.mtu = (uint16_t)(need - 1);
				CHECK_EQ(vr_relay_hdr_write(&h, payload, pl, &frame), -EMSGSIZE);
				CHECK(frame == (uint8_t *)1);
				CHECK_MEM(buf, before, sizeof(buf));
			}
}

/*
 * A payload whose UDP checksum computes to 0: the wire must carry 0xffff
 * (RFC 768), never the 0 that would mean "no checksum", which IPv6 forbids
 * (RFC 8200 section 8.1). One aligned payload word is solved for so the
 * sum comes out -0; odd lengths put the odd byte in the padded last word.
 */
static void test_hdr_cksum_zero(void)
{
	static uint8_t buf[HEADROOM + 256];
	static const uint32_t pls[] = { 2, 3, 22, 41 };

	for (int o = 0; o < 2; o++)
		for (size_t p = 0; p < VR_ARRAY_SIZE(pls); p++) {
			uint8_t fam = fams[o], *payload = buf + HEADROOM, *frame = NULL, copy[256];
			uint32_t pl = pls[p], q = pl % 2 ? pl - 3 : pl - 2, hl = ip_hlen(fam);
			struct vr_relay_hdr h;
			struct vr_relay_frame rf;
			const uint8_t *g, *ip, *udp;
			uint32_t s;
			int ret;

			make_hdr(&h, fam, 1500);
			for (uint32_t i = 0; i < pl; i++)
				payload[i] = payload_byte(i);
			payload[q] = payload[q + 1] = 0;
			ret = vr_relay_hdr_write(&h, payload, pl, &frame);
			CHECK(ret > 0);
			if (ret <= 0)
				continue;
			ip = frame + 14;
			udp = ip + hl;
			memcpy(copy, udp, 8 + pl);
			copy[6] = copy[7] = 0;
			s = vr_t_sum(fam == AF_INET ? ip + 12 : ip + 8, fam == AF_INET ? 8 : 32, 0) + IPPROTO_UDP + 8 + pl;
			s = vr_t_sum(copy, 8 + pl, s);
			vr_t_put16(payload + q, (uint16_t)~vr_t_fold(s));

			ret = vr_relay_hdr_write(&h, payload, pl, &frame);
			CHECK(ret > 0);
			if (ret <= 0)
				continue;
			memcpy(copy, udp, 8 + pl);
			copy[6] = copy[7] = 0;
			CHECK_EQ(fam == AF_INET ? vr_t_l4_cksum4(ip, copy, 8 + pl)
						: vr_t_l4_cksum6(ip, IPPROTO_UDP, copy, 8 + pl), 0);
			CHECK_EQ(vr_t_get16(udp + 6), 0xffff);
			check_written(&h, frame, (uint32_t)ret, payload, pl);
			dump(&frames_out, frame, (size_t)ret);
			CHECK_DROP(parse2(frame, (size_t)ret, GUE_PORT, &rf, &g), VR_DROP_NONE);
			expect_line(&frames_out, &rf, g, ", \"ttl\": 64, \"tclass\": 0");
		}
}

static void test_hdr_errors(void)
{
	static uint8_t buf[HEADROOM + 256], before[sizeof(buf)];
	uint8_t *payload = buf + HEADROOM, *frame = (uint8_t *)1;
	struct vr_relay_hdr h;

	memset(buf, SENTINEL, sizeof(buf));
	memcpy(before, buf, sizeof(buf));
	make_hdr(&h, AF_INET, 1500);
	h.dst.family = AF_INET6;
	CHECK_EQ(vr_relay_hdr_write(&h, payload, 100, &frame), -EINVAL);
	make_hdr(&h, AF_INET6, 1500);
	h.src.family = AF_INET;
	CHECK_EQ(vr_relay_hdr_write(&h, payload, 100, &frame), -EINVAL);
	make_hdr(&h, AF_INET, 1500);
	h.src.family = h.dst.family = 0;
	CHECK_EQ(vr_relay_hdr_write(&h, payload, 100, &frame), -EINVAL);
	h.src.family = h.dst.family = AF_UNIX;
	CHECK_EQ(vr_relay_hdr_write(&h, payload, 100, &frame), -EINVAL);
	/* lengths that would wrap, MTU 0, an MTU below the headers */
	make_hdr(&h, AF_INET6, 65535);
	CHECK_EQ(vr_relay_hdr_write(&h, payload, 0xffffffffu, &frame), -EMSGSIZE);
	CHECK_EQ(vr_relay_hdr_write(&h, payload, 65535 - 48 + 1, &frame), -EMSGSIZE);
	make_hdr(&h, AF_INET, 0);
	CHECK_EQ(vr_relay_hdr_write(&h, payload, 0, &frame), -EMSGSIZE);
	make_hdr(&h, AF_INET, 27);
	CHECK_EQ(vr_relay_hdr_write(&h, payload, 0, &frame), -EMSGSIZE);
	CHECK(frame == (uint8_t *)1);
	CHECK_MEM(buf, before, sizeof(buf));
}

/* The largest datagram an IPv4 header can describe: no length field wraps. */
static void test_hdr_max(void)
{
	uint32_t pl = 65535 - 20 - 8;
	uint8_t *buf = malloc(HEADROOM + pl), *frame = NULL;
	struct vr_relay_hdr h;
	int ret;

	CHECK(buf != NULL);
	if (!buf)
		return;
	memset(buf, 0x3c, HEADROOM + pl);
	make_hdr(&h, AF_INET, 65535);
	ret = vr_relay_hdr_write(&h, buf + HEADROOM, pl, &frame);
	CHECK_EQ(ret, 14 + 65535);
	if (ret > 0) {
		CHECK_EQ(vr_t_get16(frame + 14 + 2), 65535);
		CHECK_EQ(vr_t_get16(frame + 34 + 4), 65535 - 20);
		CHECK_EQ(vr_t_l4_cksum4(frame + 14, frame + 34, 65535 - 20), 0);
	}
	CHECK_EQ(vr_relay_hdr_write(&h, buf + HEADROOM, pl + 1, &frame), -EMSGSIZE);
	make_hdr(&h, AF_INET6, 65535);
	ret = vr_relay_hdr_write(&h, buf + HEADROOM, 65535 - 48, &frame);
	CHECK_EQ(ret, 14 + 65535);
	if (ret > 0)
		CHECK_EQ(vr_t_l4_cksum6(frame + 14, IPPROTO_UDP, frame + 54, 65535 - 40), 0);
	free(buf);
}

int main(int argc, char **argv)
{
	const char *dir = argc > 2 ? argv[2] : ".";

	frames_open(&frames_out, dir, "relayhdr_out");
	test_hdr_write();
	test_hdr_cksum_zero();
	test_hdr_errors();
	test_hdr_max();
	frames_close(&frames_out);
	scapy_check(argc > 1 ? argv[1] : NULL, "--out", dir, "relayhdr_out");
	return vr_test_done("test_relayhdr");
}
