/* SPDX-License-Identifier: BSD-3-Clause */
/* The fan-out core: ROC over four wraps with loss, reordering and a 40,000-packet gap; every refusal; GCM and plain rooms. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>

#include "voxrelay/roc.h"

#include "relay_srtp.h"

#define SSRC_S 0x11223344u
#define SSRC_R 0x55667788u
#define PLEN 160

static struct vr_addr addr_s, addr_r, addr_x;

static struct vr_relay_room *room2(enum vr_relay_suite suite, const uint8_t *k, int fixed_r)
{
	struct vr_relay_room_conf rc = { .id = 7, .vip_port = 40000, .max_members = 4, .max_speakers = 4 };
	struct vr_relay_member_conf s = { .id = 1, .ssrcs = { SSRC_S }, .nssrc = 1, .suite = suite,
		.in_key = k, .out_key = k + 32, .clock_hz = 8000 };
	struct vr_relay_member_conf r = { .id = 2, .ssrcs = { SSRC_R }, .nssrc = 1, .suite = suite,
		.in_key = k + 64, .out_key = k + 96, .clock_hz = 8000 };
	struct vr_relay_room *room = vr_relay_room_create(&rc);

	if (!room)
		return NULL;
	if (fixed_r) {
		r.addr = &addr_r;
		r.port = 5002;
	}
	CHECK_EQ(vr_relay_member_add(room, &s), 0);
	CHECK_EQ(vr_relay_member_add(room, &r), 0);
	return room;
}

/* A client receiver that, like the relay, recovers from a loss beyond 2^15 by
 * trying ROC + 1 once when the packet looks older than the window. */
struct rx {
	srtp_t s;
	struct vr_roc roc;
	uint64_t highest;
	int started;
};

static srtp_err_status_t rx_unprotect(struct rx *rx, uint8_t *b, int *len)
{
	uint16_t seq = (uint16_t)(b[2] << 8 | b[3]);
	uint32_t ssrc = (uint32_t)b[8] << 24 | (uint32_t)b[9] << 16 | (uint32_t)b[10] << 8 | b[11];
	uint32_t v = 0;
	int len0 = *len;
	srtp_err_status_t e;
	uint64_t guess;

	if (rx->started)
		vr_roc_estimate(&rx->roc, seq, &v);
	guess = (uint64_t)v << 16 | seq;
	e = srtp_unprotect(rx->s, b, len);
	if (e == srtp_err_status_replay_old && rx->started && rx->highest - guess > 1024) {
		*len = len0;
		srtp_set_stream_roc(rx->s, ssrc, ++v);
		e = srtp_unprotect(rx->s, b, len);
	}
	if (e == srtp_err_status_ok && (!rx->started || ((uint64_t)v << 16 | seq) > rx->highest)) {
		rx->highest = (uint64_t)v << 16 | seq;
		vr_roc_init(&rx->roc, seq, v);
		rx->started = 1;
	}
	return e;
}

struct pkt {
	uint32_t i;     /* packet number at the sender */
	uint16_t len;
	/* libsrtp reads the RTP header as 32-bit words: it must be 4-byte aligned */
	_Alignas(4) uint8_t b[12 + PLEN + 16];
};

static void test_roc(void)
{
	const uint32_t n = 4u * 65536u + 1000u, gap_at = 150000, gap = 40000;
	const uint16_t seq0 = 65000;
	uint8_t keys[128];
	uint64_t rng = 42;
	struct pkt *pk = calloc(n, sizeof(*pk));
	uint32_t *order = calloc(n, sizeof(*order)), m = 0, delivered = 0, decrypted = 0, wrap_swaps = 0;
	struct vr_relay_room *room;
	srtp_t tx;
	struct rx rx = { 0 };
	uint8_t buf[256], plain[256];
	struct vr_relay_tx t = { .buf = buf, .cap = sizeof(buf) };
	struct vr_relay_out out = { .tx = &t, .ntx = 1 };
	uint32_t roc_tx = 0, roc_rx = 0;

	vr_t_random_key(&rng, keys, sizeof(keys));
	room = room2(VR_RELAY_SUITE_AES_CM_128_HMAC_SHA1_80, keys, 1);
	tx = vr_t_sender(VR_RELAY_SUITE_AES_CM_128_HMAC_SHA1_80, keys);
	rx.s = vr_t_receiver(VR_RELAY_SUITE_AES_CM_128_HMAC_SHA1_80, keys + 96, 1024);
	CHECK(room && tx && rx.s && pk && order);
	if (!room || !tx || !rx.s || !pk || !order)
		goto out;
	/* The sender protects every packet in order (what is lost is lost on the way). */
	for (uint32_t i = 0; i < n; i++) {
		int l = vr_t_rtp(pk[i].b, (uint16_t)(seq0 + i), i * 160u, SSRC_S, PLEN);

		pk[i].i = i;
		CHECK_EQ(srtp_protect(tx, pk[i].b, &l), srtp_err_status_ok);
		pk[i].len = (uint16_t)l;
	}
	CHECK_EQ(srtp_get_stream_roc(tx, SSRC_S, &roc_tx), srtp_err_status_ok);
	/* The network: 1 % loss, one 40,000-packet hole, then neighbours swapped
	 * (0.5 %, and always across each wrap: ..., 0, 65535, 1, ...). */
	for (uint32_t i = 0; i < n; i++) {
		if (i >= gap_at && i < gap_at + gap)
			continue;
		if (check_rand(&rng) % 100 == 0 && (uint16_t)(seq0 + i) != 0 && (uint16_t)(seq0 + i) != 65535)
			continue;
		order[m++] = i;
	}
	for (uint32_t j = 0; j + 1 < m; j++) {
		bool at_wrap = (uint16_t)(seq0 + order[j]) == 65535;

		if (at_wrap || check_rand(&rng) % 200 == 0) {
			uint32_t x = order[j];

			order[j] = order[j + 1];
			order[j + 1] = x;
			wrap_swaps += at_wrap;
			j++;
		}
	}
	for (uint32_t j = 0; j < m; j++) {
		struct pkt *p = &pk[order[j]];
		uint8_t in[256];
		int l;

		memcpy(in, p->b, p->len);
		if (vr_relay_input(room, in, p->len, &addr_s, 5001, (uint64_t)order[j] * 20000000ull, &out) !=
			    VR_RELAY_FORWARD ||
		    out.count != 1) {
			vr_test_checks++;
			vr_test_failures++;
			fprintf(stderr, "packet %u (seq %u) not forwarded: %s\n", p->i, (uint16_t)(seq0 + p->i),
				vr_relay_drop_name(out.reason));
			continue;
		}
		delivered++;
		l = (int)t.len;
		if (rx_unprotect(&rx, buf, &l) != srtp_err_status_ok) {
			vr_test_checks++;
			vr_test_failures++;
			if (vr_test_failures < 10)
				fprintf(stderr, "packet %u (seq %u) does not decrypt at the recipient\n", p->i,
					(uint16_t)(seq0 + p->i));
			continue;
		}
		vr_t_rtp(plain, (uint16_t)(seq0 + p->i), p->i * 160u, SSRC_S, PLEN);
		if (l == 12 + PLEN && memcmp(buf, plain, (size_t)l) == 0)
			decrypted++;
	}
	CHECK_EQ(srtp_get_stream_roc(rx.s, SSRC_S, &roc_rx), srtp_err_status_ok);
	printf("roc: %u sent, %u delivered in a shuffled order (%u swaps across a wrap), %u forwarded, %u decrypted; ROC sender %u, recipient %u\n",
	       n, m, wrap_swaps, delivered, decrypted, roc_tx, roc_rx);
	CHECK(wrap_swaps >= 4);
	CHECK_EQ(delivered, m);
	CHECK_EQ(decrypted, m);
	CHECK_EQ(roc_tx, (uint32_t)(((uint64_t)seq0 + n - 1) >> 16));
	CHECK_EQ(roc_rx, roc_tx);
	CHECK_EQ(vr_relay_member_find(room, 1)->streams[0].roc.roc, roc_tx);
out:
	free(pk);
	free(order);
	if (tx)
		srtp_dealloc(tx);
	if (rx.s)
		srtp_dealloc(rx.s);
	vr_relay_room_free(room);
}

static void test_refusals(void)
{
	uint8_t keys[128], wrong[30], pkt[256], copy[256], buf[256];
	uint64_t rng = 7;
	struct vr_relay_tx t = { .buf = buf, .cap = sizeof(buf) };
	struct vr_relay_out out = { .tx = &t, .ntx = 1 };
	struct vr_relay_room *room;
	srtp_t tx, bad;
	int l;

	vr_t_random_key(&rng, keys, sizeof(keys));
	vr_t_random_key(&rng, wrong, sizeof(wrong));
	room = room2(VR_RELAY_SUITE_AES_CM_128_HMAC_SHA1_80, keys, 0); /* nobody has an address yet */
	tx = vr_t_sender(VR_RELAY_SUITE_AES_CM_128_HMAC_SHA1_80, keys);
	bad = vr_t_sender(VR_RELAY_SUITE_AES_CM_128_HMAC_SHA1_80, wrong);
	CHECK(room && tx && bad);
	if (!room || !tx || !bad)
		goto out;

	/* wrong key: refused, address not learned */
	l = vr_t_rtp(pkt, 100, 0, SSRC_S, PLEN);
	CHECK_EQ(srtp_protect(bad, pkt, &l), srtp_err_status_ok);
	CHECK_EQ(vr_relay_input(room, pkt, (uint32_t)l, &addr_x, 6666, 1, &out), VR_RELAY_DROP);
	CHECK_EQ(out.reason, VR_RELAY_DROP_AUTH_FAIL);
	CHECK(!vr_relay_member_find(room, 1)->addr_verified);
	/* a flipped bit: the same */
	l = vr_t_rtp(pkt, 101, 0, SSRC_S, PLEN);
	CHECK_EQ(srtp_protect(tx, pkt, &l), srtp_err_status_ok);
	pkt[40] ^= 1;
	CHECK_EQ(vr_relay_input(room, pkt, (uint32_t)l, &addr_x, 6666, 2, &out), VR_RELAY_DROP);
	CHECK_EQ(out.reason, VR_RELAY_DROP_AUTH_FAIL);
	CHECK(!vr_relay_member_find(room, 1)->addr_verified);

	/* R has no verified address: S's good packet is accepted, latches S, R gets nothing */
	l = vr_t_rtp(pkt, 102, 0, SSRC_S, PLEN);
	CHECK_EQ(srtp_protect(tx, pkt, &l), srtp_err_status_ok);
	memcpy(copy, pkt, (size_t)l);
	CHECK_EQ(vr_relay_input(room, pkt, (uint32_t)l, &addr_s, 5001, 3, &out), VR_RELAY_FORWARD);
	CHECK_EQ(out.count, 0u);
	CHECK(vr_relay_member_find(room, 1)->addr_verified && vr_relay_member_find(room, 1)->latched);
	CHECK(vr_addr_eq(&vr_relay_member_find(room, 1)->addr, &addr_s));
	CHECK_EQ(vr_relay_member_find(room, 1)->port, 5001);

	/* replay of the accepted packet, from anywhere: refused, latch unchanged */
	CHECK_EQ(vr_relay_input(room, copy, (uint32_t)l, &addr_x, 6666, 4, &out), VR_RELAY_DROP);
	CHECK_EQ(out.reason, VR_RELAY_DROP_REPLAY);
	CHECK(vr_addr_eq(&vr_relay_member_find(room, 1)->addr, &addr_s));

	/* unknown SSRC */
	l = vr_t_rtp(pkt, 1, 0, 0xdeadbeef, PLEN);
	CHECK_EQ(srtp_protect(tx, pkt, &l), srtp_err_status_ok);
	CHECK_EQ(vr_relay_input(room, pkt, (uint32_t)l, &addr_s, 5001, 5, &out), VR_RELAY_DROP);
	CHECK_EQ(out.reason, VR_RELAY_DROP_UNKNOWN_SSRC);

	/* STUN binding request, DTLS ClientHello record: slow path, untouched */
	static const uint8_t stun[20] = { 0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42 };
	static const uint8_t dtls[13] = { 22, 0xfe, 0xfd };
	memcpy(pkt, stun, sizeof(stun));
	CHECK_EQ(vr_relay_input(room, pkt, sizeof(stun), &addr_x, 1, 6, &out), VR_RELAY_SLOW_PATH);
	CHECK_MEM(pkt, stun, sizeof(stun));
	memcpy(pkt, dtls, sizeof(dtls));
	CHECK_EQ(vr_relay_input(room, pkt, sizeof(dtls), &addr_x, 1, 7, &out), VR_RELAY_SLOW_PATH);
	CHECK_EQ(room->slow_path, 2u);
	pkt[0] = 100; /* 80..127: nothing */
	CHECK_EQ(vr_relay_input(room, pkt, 20, &addr_x, 1, 8, &out), VR_RELAY_DROP);
	CHECK_EQ(out.reason, VR_RELAY_DROP_NOT_RTP);
	/* a malformed RTP header (CSRC count beyond the packet) */
	l = vr_t_rtp(pkt, 103, 0, SSRC_S, 0);
	pkt[0] = 0x8f;
	CHECK_EQ(vr_relay_input(room, pkt, (uint32_t)l, &addr_s, 5001, 9, &out), VR_RELAY_DROP);
	CHECK_EQ(out.reason, VR_RELAY_DROP_RTP_MALFORMED);

	/* R gets an address: now it receives, and only a buffer big enough is used */
	CHECK_EQ(vr_relay_member_set_address(room, 2, &addr_r, 5002), 0);
	l = vr_t_rtp(pkt, 104, 0, SSRC_S, PLEN);
	CHECK_EQ(srtp_protect(tx, pkt, &l), srtp_err_status_ok);
	t.cap = (uint32_t)l - 10 + VR_RELAY_TAILROOM_RTP - 1;
	CHECK_EQ(vr_relay_input(room, pkt, (uint32_t)l, &addr_s, 5001, 10, &out), VR_RELAY_FORWARD);
	CHECK_EQ(out.count, 0u);
	CHECK_EQ(room->drops[VR_RELAY_DROP_OUT_BUFFER_SMALL], 1u);
	t.cap = sizeof(buf);
	l = vr_t_rtp(pkt, 105, 0, SSRC_S, PLEN);
	CHECK_EQ(srtp_protect(tx, pkt, &l), srtp_err_status_ok);
	CHECK_EQ(vr_relay_input(room, pkt, (uint32_t)l, &addr_s, 5001, 11, &out), VR_RELAY_FORWARD);
	CHECK_EQ(out.count, 1u);
	CHECK_EQ(out.tx[0].member_id, 2u);
	CHECK(vr_addr_eq(&out.tx[0].addr, &addr_r) && out.tx[0].port == 5002);
	/* a fixed address refuses other sources before any crypto */
	CHECK_EQ(vr_relay_member_set_address(room, 1, &addr_s, 5001), 0);
	CHECK_EQ(vr_relay_input(room, copy, 200, &addr_x, 5001, 12, &out), VR_RELAY_DROP);
	CHECK_EQ(out.reason, VR_RELAY_DROP_SRC_MISMATCH);

	/* counted per room, by name */
	CHECK_EQ(room->drops[VR_RELAY_DROP_AUTH_FAIL], 2u);
	CHECK_EQ(room->drops[VR_RELAY_DROP_REPLAY], 1u);
	CHECK_EQ(room->drops[VR_RELAY_DROP_UNKNOWN_SSRC], 1u);
	CHECK(strcmp(vr_relay_drop_name(VR_RELAY_DROP_REPLAY), "relay_replay") == 0);
	CHECK(strcmp(vr_relay_drop_name(VR_RELAY_DROP_MAX), "unknown") == 0);

	/* control-path errors */
	struct vr_relay_member_conf dup = { .id = 9, .ssrcs = { SSRC_S }, .nssrc = 1 };
	CHECK_EQ(vr_relay_member_add(room, &dup), -EEXIST);
	dup.ssrcs[0] = 1;
	dup.id = 1;
	CHECK_EQ(vr_relay_member_add(room, &dup), -EEXIST);
	dup.id = 9;
	dup.suite = VR_RELAY_SUITE_AEAD_AES_128_GCM; /* no keys */
	CHECK_EQ(vr_relay_member_add(room, &dup), -EINVAL);
	CHECK_EQ(vr_relay_member_remove(room, 99), -ENOENT);
	CHECK_EQ(vr_relay_member_remove(room, 2), 0);
	CHECK(vr_relay_member_find(room, 2) == NULL);
	errno = 0;
	struct vr_relay_room_conf badc = { .max_members = 1, .max_speakers = 1 };
	CHECK(vr_relay_room_create(&badc) == NULL && errno == EINVAL);
	vr_relay_room_free(NULL);
out:
	if (tx)
		srtp_dealloc(tx);
	if (bad)
		srtp_dealloc(bad);
	vr_relay_room_free(room);
}

/* A GCM room and a plain room of three: RTP and RTCP both ways, each copy checked at its recipient. */
static void test_suite_round_trip(enum vr_relay_suite suite)
{
	struct vr_relay_room_conf rc = { .id = 3, .vip_port = 40002, .max_members = 3, .max_speakers = 3 };
	uint8_t keys[3][2][30], pkt[256], plain[256], bufs[2][256];
	struct vr_relay_tx t[2] = { { .buf = bufs[0], .cap = 256 }, { .buf = bufs[1], .cap = 256 } };
	struct vr_relay_out out = { .tx = t, .ntx = 2 };
	srtp_t tx[3] = { 0 }, rx[3] = { 0 };
	uint64_t rng = 99;
	struct vr_relay_room *room = vr_relay_room_create(&rc);
	bool srtp = suite != VR_RELAY_SUITE_NONE;

	CHECK(room != NULL);
	if (!room)
		return;
	for (int i = 0; i < 3; i++) {
		struct vr_addr a;
		struct vr_relay_member_conf mc = { .id = (uint32_t)i + 1, .ssrcs = { 0x1000u + (uint32_t)i },
			.nssrc = 1, .suite = suite, .in_key = keys[i][0], .out_key = keys[i][1],
			.addr = &a, .port = (uint16_t)(6000 + i) };

		vr_addr_set_v4(&a, htonl(0x0a000001u + (uint32_t)i));
		vr_t_random_key(&rng, &keys[i][0][0], sizeof(keys[i]));
		CHECK_EQ(vr_relay_member_add(room, &mc), 0);
		if (srtp) {
			tx[i] = vr_t_sender(suite, keys[i][0]);
			rx[i] = vr_t_receiver(suite, keys[i][1], 128);
		}
	}
	for (int round = 0; round < 50; round++)
		for (int i = 0; i < 3; i++) {
			struct vr_addr a;
			int l, pl;
			bool rtcp = round % 10 == 9;

			vr_addr_set_v4(&a, htonl(0x0a000001u + (uint32_t)i));
			if (rtcp) {
				/* RR, one report block about the next member */
				static const uint8_t rr[32] = { 0x81, 201, 0, 7 };
				memcpy(pkt, rr, sizeof(rr));
				pkt[4] = 0, pkt[5] = 0, pkt[6] = 0x10, pkt[7] = (uint8_t)i;
				l = 32;
			} else {
				l = vr_t_rtp(pkt, (uint16_t)(65500 + round), (uint32_t)round * 160, 0x1000u + (uint32_t)i, 100);
			}
			memcpy(plain, pkt, (size_t)l);
			pl = l;
			if (srtp)
				CHECK_EQ(rtcp ? srtp_protect_rtcp(tx[i], pkt, &l) : srtp_protect(tx[i], pkt, &l),
					 srtp_err_status_ok);
			CHECK_EQ(vr_relay_input(room, pkt, (uint32_t)l, &a, (uint16_t)(6000 + i), (uint64_t)round * 20000000,
						&out),
				 VR_RELAY_FORWARD);
			CHECK_EQ(out.count, 2u);
			for (uint32_t c = 0; c < out.count; c++) {
				int ol = (int)t[c].len;
				uint32_t r = t[c].member_id - 1;

				CHECK(r != (uint32_t)i && r < 3);
				CHECK_EQ(t[c].port, 6000 + r);
				if (srtp) {
					CHECK_EQ(ol, pl + (rtcp ? 4 : 0) + (suite == VR_RELAY_SUITE_AEAD_AES_128_GCM ? 16 : 10));
					CHECK_EQ(rtcp ? srtp_unprotect_rtcp(rx[r], t[c].buf, &ol)
						      : srtp_unprotect(rx[r], t[c].buf, &ol),
						 srtp_err_status_ok);
				}
				CHECK_EQ(ol, pl);
				CHECK_MEM(t[c].buf, plain, (size_t)pl);
			}
		}
	printf("%s room: 150 packets x 2 copies checked\n", vr_relay_suite_name(suite));
	for (int i = 0; i < 3; i++) {
		if (tx[i])
			srtp_dealloc(tx[i]);
		if (rx[i])
			srtp_dealloc(rx[i]);
	}
	vr_relay_room_free(room);
}

int main(void)
{
	vr_addr_set_v4(&addr_s, htonl(0xc6336401));
	vr_addr_set_v4(&addr_r, htonl(0xc6336402));
	vr_addr_set_v4(&addr_x, htonl(0xcb007101));
	CHECK_EQ(vr_relay_global_init(), 0);
	test_refusals();
	test_suite_round_trip(VR_RELAY_SUITE_AEAD_AES_128_GCM);
	test_suite_round_trip(VR_RELAY_SUITE_AES_CM_128_HMAC_SHA1_80);
	test_suite_round_trip(VR_RELAY_SUITE_NONE);
	test_roc();
	return vr_test_done("test_relay");
}
