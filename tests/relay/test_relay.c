/* SPDX-License-Identifier: BSD-3-Clause */
/* The fan-out core: ROC over four wraps with loss, reordering and a 40,000-packet gap (and what a stock libsrtp receiver makes of that gap); late join at ROC 2, rejoin, two SSRCs; every refusal; GCM and plain rooms. */
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
	/* the stock receiver: copies delivered before and after the gap, decrypted, and why refused */
	uint32_t stock_before = 0, stock_before_ok = 0, stock_after = 0, stock_after_ok = 0, stock_why[4] = { 0 };
	struct vr_relay_room *room;
	srtp_t tx, stock = NULL;
	struct vr_t_rx rx = { 0 };
	uint8_t buf[256], plain[256];
	_Alignas(4) uint8_t copy[256];
	struct vr_relay_tx t = { .buf = buf, .cap = sizeof(buf) };
	struct vr_relay_out out = { .tx = &t, .ntx = 1 };
	uint32_t roc_tx = 0, roc_rx = 0;

	vr_t_random_key(&rng, keys, sizeof(keys));
	room = room2(VR_RELAY_SUITE_AES_CM_128_HMAC_SHA1_80, keys, 1);
	tx = vr_t_sender(VR_RELAY_SUITE_AES_CM_128_HMAC_SHA1_80, keys);
	rx.s = vr_t_receiver(VR_RELAY_SUITE_AES_CM_128_HMAC_SHA1_80, keys + 96, 1024);
	/*
	 * The same copies also go to a stock libsrtp receiver, srtp_unprotect()
	 * alone: the recipient's side of the assumption vr_t_rx makes. After the
	 * 40,000-packet hole (more than 2^15) libsrtp guesses every later SEQ
	 * one ROC too low (Appendix A puts it 65536 - 40000 packets BEHIND its
	 * highest index), refuses it (replay_old when older than the window,
	 * else replay_fail or auth_fail under the wrong ROC) without changing
	 * its state, and so never recovers: a client needs the relay's "ROC + 1
	 * once" retry, or the relay must not forward such a gap as it is.
	 */
	stock = vr_t_receiver(VR_RELAY_SUITE_AES_CM_128_HMAC_SHA1_80, keys + 96, 1024);
	CHECK(room && tx && rx.s && stock && pk && order);
	if (!room || !tx || !rx.s || !stock || !pk || !order)
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
		if (vr_splitmix64(&rng) % 100 == 0 && (uint16_t)(seq0 + i) != 0 && (uint16_t)(seq0 + i) != 65535)
			continue;
		order[m++] = i;
	}
	for (uint32_t j = 0; j + 1 < m; j++) {
		bool at_wrap = (uint16_t)(seq0 + order[j]) == 65535;

		if (at_wrap || vr_splitmix64(&rng) % 200 == 0) {
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
		memcpy(copy, buf, t.len);
		l = (int)t.len;
		if (p->i < gap_at || p->i >= gap_at + gap) {
			srtp_err_status_t e = srtp_unprotect(stock, copy, &l);
			bool before = p->i < gap_at;

			before ? stock_before++ : stock_after++;
			if (e == srtp_err_status_ok)
				before ? stock_before_ok++ : stock_after_ok++;
			else
				stock_why[e == srtp_err_status_replay_old    ? 0
					  : e == srtp_err_status_replay_fail ? 1
					  : e == srtp_err_status_auth_fail   ? 2
									     : 3]++;
		}
		l = (int)t.len;
		if (vr_t_rx_unprotect(&rx, buf, &l) != srtp_err_status_ok) {
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
	CHECK_EQ(vr_relay_stream_roc(&vr_relay_member_find(room, 1)->streams[0]), roc_tx);
	printf("roc: stock libsrtp receiver: %u/%u decrypted before the gap, %u/%u after it (refused: %u replay_old, "
	       "%u replay_fail, %u auth_fail, %u other)\n",
	       stock_before_ok, stock_before, stock_after_ok, stock_after, stock_why[0], stock_why[1], stock_why[2],
	       stock_why[3]);
	CHECK(stock_before > 100000 && stock_after > 50000);
	CHECK_EQ(stock_before_ok, stock_before);
	CHECK_EQ(stock_after_ok, 0u);
	/* older than its window while the wrong guess is behind its highest
	 * index, then (a replay, or) the wrong ROC: nothing else */
	CHECK(stock_why[0] > 0 && stock_why[2] > 0 && stock_why[3] == 0);
out:
	free(pk);
	free(order);
	if (tx)
		srtp_dealloc(tx);
	if (stock)
		srtp_dealloc(stock);
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

/* A receiver that was told the stream's ROC (as a late joiner must be: the
 * SEQ alone cannot say how many wraps it missed): an SSRC-specific stream
 * with its pending ROC set before the first packet. */
static srtp_t rx_told_roc(const uint8_t *key, uint32_t ssrc, uint32_t roc)
{
	srtp_policy_t p;
	srtp_t s = NULL;

	memset(&p, 0, sizeof(p));
	srtp_crypto_policy_set_rtp_default(&p.rtp);
	srtp_crypto_policy_set_rtcp_default(&p.rtcp);
	p.ssrc.type = ssrc_specific;
	p.ssrc.value = ssrc;
	p.key = (unsigned char *)key;
	p.window_size = 1024;
	if (srtp_create(&s, &p) != srtp_err_status_ok)
		return NULL;
	if (roc)
		srtp_set_stream_roc(s, ssrc, roc);
	return s;
}

/* Whether @session has a (cloned) stream for @ssrc. */
static bool has_stream(void *session, uint32_t ssrc)
{
	uint32_t roc;

	return srtp_get_stream_roc(session, ssrc, &roc) == srtp_err_status_ok;
}

/*
 * Templates: the inbound clone appears only once a packet of the SSRC
 * authenticated; a member that joins when the sender is at ROC 2 gets its
 * first copy (and all after) under ROC 2, its outbound clone made at the
 * right ROC before the real protect.
 */
static void test_late_join_roc(void)
{
	const uint16_t seq0 = 60000;
	const uint32_t before = 2 * 65536 - 60000 + 500; /* S reaches ROC 2 alone */
	uint8_t keys[128], wrong[30], pkt[256], buf[256], plain[256];
	uint64_t rng = 1234;
	struct vr_relay_tx t = { .buf = buf, .cap = sizeof(buf) };
	struct vr_relay_out out = { .tx = &t, .ntx = 1 };
	struct vr_relay_room_conf rc = { .id = 9, .vip_port = 40009, .max_members = 3 };
	struct vr_relay_member_conf s = { .id = 1, .ssrcs = { SSRC_S }, .nssrc = 1,
		.suite = VR_RELAY_SUITE_AES_CM_128_HMAC_SHA1_80, .in_key = keys, .out_key = keys + 32,
		.addr = &addr_s, .port = 5001, .clock_hz = 8000 };
	struct vr_relay_member_conf r = { .id = 2, .ssrcs = { SSRC_R }, .nssrc = 1,
		.suite = VR_RELAY_SUITE_AES_CM_128_HMAC_SHA1_80, .in_key = keys + 64, .out_key = keys + 96,
		.addr = &addr_r, .port = 5002, .clock_hz = 8000 };
	struct vr_relay_room *room = vr_relay_room_create(&rc);
	srtp_t tx = NULL, bad = NULL, rx = NULL, rx0 = NULL;
	struct vr_relay_member *ms, *mr;
	uint32_t i, ok = 0, roc = 0;
	int l;

	vr_t_random_key(&rng, keys, sizeof(keys));
	vr_t_random_key(&rng, wrong, sizeof(wrong));
	tx = vr_t_sender(VR_RELAY_SUITE_AES_CM_128_HMAC_SHA1_80, keys);
	bad = vr_t_sender(VR_RELAY_SUITE_AES_CM_128_HMAC_SHA1_80, wrong);
	CHECK(room && tx && bad);
	if (!room || !tx || !bad)
		goto out;
	CHECK_EQ(vr_relay_member_add(room, &s), 0);
	ms = vr_relay_member_find(room, 1);
	/* a forgery with a member's SSRC does not make libsrtp clone its template */
	l = vr_t_rtp(pkt, seq0, 0, SSRC_S, PLEN);
	CHECK_EQ(srtp_protect(bad, pkt, &l), srtp_err_status_ok);
	CHECK_EQ(vr_relay_input(room, pkt, (uint32_t)l, &addr_s, 5001, 0, &out), VR_RELAY_DROP);
	CHECK_EQ(out.reason, VR_RELAY_DROP_AUTH_FAIL);
	CHECK(!has_stream(ms->srtp_in, SSRC_S));
	for (i = 0; i < before; i++) {
		l = vr_t_rtp(pkt, (uint16_t)(seq0 + i), i * 160, SSRC_S, PLEN);
		CHECK_EQ(srtp_protect(tx, pkt, &l), srtp_err_status_ok);
		CHECK_EQ(vr_relay_input(room, pkt, (uint32_t)l, &addr_s, 5001, (uint64_t)i * 20000000, &out),
			 VR_RELAY_FORWARD);
		if (i == 0)
			CHECK(has_stream(ms->srtp_in, SSRC_S)); /* now it authenticated */
	}
	CHECK_EQ(vr_relay_stream_roc(&ms->streams[0]), 2u);
	/* R joins at ROC 2 */
	CHECK_EQ(vr_relay_member_add(room, &r), 0);
	mr = vr_relay_member_find(room, 2);
	CHECK(!has_stream(mr->srtp_out, SSRC_S));
	rx = rx_told_roc(keys + 96, SSRC_S, 2);
	rx0 = rx_told_roc(keys + 96, SSRC_S, 0); /* one that assumes ROC 0 */
	CHECK(rx && rx0);
	if (!rx || !rx0)
		goto out;
	for (; i < before + 3000; i++) {
		int ol;

		l = vr_t_rtp(pkt, (uint16_t)(seq0 + i), i * 160, SSRC_S, PLEN);
		memcpy(plain, pkt, (size_t)l);
		CHECK_EQ(srtp_protect(tx, pkt, &l), srtp_err_status_ok);
		CHECK_EQ(vr_relay_input(room, pkt, (uint32_t)l, &addr_s, 5001, (uint64_t)i * 20000000, &out),
			 VR_RELAY_FORWARD);
		CHECK_EQ(out.count, 1u);
		if (i == before) {
			uint8_t copy[256];

			/* the first copy is under ROC 2, not 0 */
			ol = (int)t.len;
			memcpy(copy, buf, t.len);
			CHECK_EQ(srtp_unprotect(rx0, copy, &ol), srtp_err_status_auth_fail);
			CHECK(srtp_get_stream_roc(mr->srtp_out, SSRC_S, &roc) == srtp_err_status_ok && roc == 2);
		}
		ol = (int)t.len;
		if (srtp_unprotect(rx, buf, &ol) == srtp_err_status_ok && ol == 12 + PLEN &&
		    memcmp(buf, plain, (size_t)ol) == 0)
			ok++;
	}
	CHECK_EQ(ok, 3000u);
	CHECK_EQ(room->drops[VR_RELAY_DROP_PROTECT_FAIL], 0u);
	CHECK(srtp_get_stream_roc(rx, SSRC_S, &roc) == srtp_err_status_ok && roc == 2);
	printf("late join at ROC 2: %u copies decrypted at the recipient (none at ROC 0)\n", ok);
out:
	if (tx)
		srtp_dealloc(tx);
	if (bad)
		srtp_dealloc(bad);
	if (rx)
		srtp_dealloc(rx);
	if (rx0)
		srtp_dealloc(rx0);
	vr_relay_room_free(room);
}

/* Send @n packets of S from @seq and check each copy decrypts at @rx (0 on success). */
static uint32_t send_s(struct vr_relay_room *room, srtp_t tx, srtp_t rx, uint16_t seq, uint32_t n,
		       uint32_t want_copies)
{
	uint8_t pkt[256], plain[256], buf[256];
	struct vr_relay_tx t = { .buf = buf, .cap = sizeof(buf) };
	struct vr_relay_out out = { .tx = &t, .ntx = 1 };
	uint32_t bad = 0;

	for (uint32_t i = 0; i < n; i++) {
		int l = vr_t_rtp(pkt, (uint16_t)(seq + i), i * 160, SSRC_S, PLEN), ol;

		memcpy(plain, pkt, (size_t)l);
		if (srtp_protect(tx, pkt, &l) != srtp_err_status_ok ||
		    vr_relay_input(room, pkt, (uint32_t)l, &addr_s, 5001, i, &out) != VR_RELAY_FORWARD ||
		    out.count != want_copies) {
			bad++;
			continue;
		}
		if (!want_copies)
			continue;
		ol = (int)t.len;
		if (srtp_unprotect(rx, buf, &ol) != srtp_err_status_ok || ol != 12 + PLEN ||
		    memcmp(buf, plain, (size_t)ol) != 0)
			bad++;
	}
	return bad;
}

/*
 * A member removed and added again with the same SSRC (and keys) restarts
 * its sequence: the recipients' outbound clones of the SSRC must have gone
 * with it, or its new packets would be refused at protect as replays.
 * Likewise a recipient that leaves and comes back starts from scratch.
 */
static void test_rejoin(void)
{
	uint8_t keys[128];
	uint64_t rng = 77;
	struct vr_relay_room *room;
	struct vr_relay_member_conf s = { .id = 1, .ssrcs = { SSRC_S }, .nssrc = 1,
		.suite = VR_RELAY_SUITE_AES_CM_128_HMAC_SHA1_80, .in_key = keys, .out_key = keys + 32,
		.addr = &addr_s, .port = 5001 };
	struct vr_relay_member_conf r = { .id = 2, .ssrcs = { SSRC_R }, .nssrc = 1,
		.suite = VR_RELAY_SUITE_AES_CM_128_HMAC_SHA1_80, .in_key = keys + 64, .out_key = keys + 96,
		.addr = &addr_r, .port = 5002 };
	srtp_t tx, rx;

	vr_t_random_key(&rng, keys, sizeof(keys));
	room = room2(VR_RELAY_SUITE_AES_CM_128_HMAC_SHA1_80, keys, 1);
	tx = vr_t_sender(VR_RELAY_SUITE_AES_CM_128_HMAC_SHA1_80, keys);
	rx = vr_t_receiver(VR_RELAY_SUITE_AES_CM_128_HMAC_SHA1_80, keys + 96, 1024);
	CHECK(room && tx && rx);
	if (!room || !tx || !rx)
		goto out;
	CHECK_EQ(vr_relay_member_set_address(room, 1, &addr_s, 5001), 0);
	CHECK_EQ(send_s(room, tx, rx, 5000, 200, 1), 0u);
	CHECK(has_stream(vr_relay_member_find(room, 2)->srtp_out, SSRC_S));
	/* S leaves: R's clone of SSRC_S goes */
	CHECK_EQ(vr_relay_member_remove(room, 1), 0);
	CHECK(!has_stream(vr_relay_member_find(room, 2)->srtp_out, SSRC_S));
	/* S comes back with the same SSRC and keys, its new client starting lower */
	CHECK_EQ(vr_relay_member_add(room, &s), 0);
	srtp_dealloc(tx);
	srtp_dealloc(rx);
	tx = vr_t_sender(VR_RELAY_SUITE_AES_CM_128_HMAC_SHA1_80, keys);
	rx = vr_t_receiver(VR_RELAY_SUITE_AES_CM_128_HMAC_SHA1_80, keys + 96, 1024);
	CHECK(tx && rx);
	if (!tx || !rx)
		goto out;
	CHECK_EQ(send_s(room, tx, rx, 100, 200, 1), 0u);
	CHECK_EQ(room->drops[VR_RELAY_DROP_PROTECT_FAIL], 0u);
	CHECK_EQ(room->drops[VR_RELAY_DROP_REPLAY], 0u);
	/* R leaves and comes back: a fresh outbound session, fresh index mirror */
	CHECK_EQ(vr_relay_member_remove(room, 2), 0);
	CHECK_EQ(send_s(room, tx, rx, 300, 10, 0), 0u);
	CHECK_EQ(vr_relay_member_add(room, &r), 0);
	srtp_dealloc(rx);
	rx = vr_t_receiver(VR_RELAY_SUITE_AES_CM_128_HMAC_SHA1_80, keys + 96, 1024);
	CHECK(rx != NULL);
	if (!rx)
		goto out;
	CHECK_EQ(send_s(room, tx, rx, 310, 200, 1), 0u);
	CHECK_EQ(room->drops[VR_RELAY_DROP_PROTECT_FAIL], 0u);
	printf("rejoin: same SSRC after remove/add forwarded and decrypted both ways round\n");
out:
	if (tx)
		srtp_dealloc(tx);
	if (rx)
		srtp_dealloc(rx);
	vr_relay_room_free(room);
}

/*
 * A member with two SSRCs (audio and, say, video): one inbound template
 * clones twice, every recipient's outbound template clones twice, both
 * streams decrypt at the recipient, one of them across a wrap.
 */
static void test_two_ssrcs(void)
{
	const uint32_t a1 = 0xa1a1a1a1u, a2 = 0xa2a2a2a2u;
	struct vr_relay_room_conf rc = { .id = 12, .vip_port = 40012, .max_members = 3 };
	uint8_t keys[128], pkt[256], plain[256], buf[256];
	uint64_t rng = 4242;
	struct vr_relay_tx t = { .buf = buf, .cap = sizeof(buf) };
	struct vr_relay_out out = { .tx = &t, .ntx = 1 };
	struct vr_relay_member_conf a = { .id = 1, .ssrcs = { a1, a2 }, .nssrc = 2,
		.suite = VR_RELAY_SUITE_AES_CM_128_HMAC_SHA1_80, .in_key = keys, .out_key = keys + 32,
		.addr = &addr_s, .port = 5001 };
	struct vr_relay_member_conf b = { .id = 2, .ssrcs = { SSRC_R }, .nssrc = 1,
		.suite = VR_RELAY_SUITE_AES_CM_128_HMAC_SHA1_80, .in_key = keys + 64, .out_key = keys + 96,
		.addr = &addr_r, .port = 5002 };
	struct vr_relay_room *room = vr_relay_room_create(&rc);
	srtp_t tx = NULL, rx = NULL;
	uint32_t ok = 0, roc = 0;

	vr_t_random_key(&rng, keys, sizeof(keys));
	tx = vr_t_sender(VR_RELAY_SUITE_AES_CM_128_HMAC_SHA1_80, keys);
	rx = vr_t_receiver(VR_RELAY_SUITE_AES_CM_128_HMAC_SHA1_80, keys + 96, 1024);
	CHECK(room && tx && rx);
	if (!room || !tx || !rx)
		goto out;
	CHECK_EQ(vr_relay_member_add(room, &a), 0);
	CHECK_EQ(vr_relay_member_add(room, &b), 0);
	CHECK_EQ(vr_relay_member_add(room, &a), -EEXIST);
	for (uint32_t i = 0; i < 4000; i++) {
		uint32_t ssrc = i & 1 ? a2 : a1;
		/* a2 starts near the wrap: it rolls over to ROC 1 after ~530 of its packets */
		uint16_t seq = (uint16_t)(ssrc == a2 ? 65000 + i / 2 : 10 + i / 2);
		int l = vr_t_rtp(pkt, seq, i * 80, ssrc, PLEN), ol;

		memcpy(plain, pkt, (size_t)l);
		CHECK_EQ(srtp_protect(tx, pkt, &l), srtp_err_status_ok);
		if (vr_relay_input(room, pkt, (uint32_t)l, &addr_s, 5001, i, &out) != VR_RELAY_FORWARD ||
		    out.count != 1)
			continue;
		ol = (int)t.len;
		if (srtp_unprotect(rx, buf, &ol) == srtp_err_status_ok && ol == 12 + PLEN &&
		    memcmp(buf, plain, (size_t)ol) == 0)
			ok++;
	}
	CHECK_EQ(ok, 4000u);
	CHECK(has_stream(vr_relay_member_find(room, 1)->srtp_in, a1));
	CHECK(has_stream(vr_relay_member_find(room, 1)->srtp_in, a2));
	CHECK(has_stream(vr_relay_member_find(room, 2)->srtp_out, a1));
	CHECK(has_stream(vr_relay_member_find(room, 2)->srtp_out, a2));
	CHECK(srtp_get_stream_roc(vr_relay_member_find(room, 2)->srtp_out, a2, &roc) == srtp_err_status_ok &&
	      roc == 1);
	CHECK_EQ(vr_relay_stream_roc(&vr_relay_member_find(room, 1)->streams[1]), 1u);
	CHECK_EQ(vr_relay_stream_roc(&vr_relay_member_find(room, 1)->streams[0]), 0u);
	/* removing A takes both clones out of B's outbound session */
	CHECK_EQ(vr_relay_member_remove(room, 1), 0);
	CHECK(!has_stream(vr_relay_member_find(room, 2)->srtp_out, a1));
	CHECK(!has_stream(vr_relay_member_find(room, 2)->srtp_out, a2));
	printf("two SSRCs: %u copies decrypted, one stream across a wrap\n", ok);
out:
	if (tx)
		srtp_dealloc(tx);
	if (rx)
		srtp_dealloc(rx);
	vr_relay_room_free(room);
}

/*
 * Three rooms (GCM, SHA1_80, plain) of 4 fed one interleaved stream of RTP,
 * SRTCP, STUN, junk and unknown SSRCs: every legitimate packet forwarded and
 * decrypted by every other member, each other kind refused by its reason;
 * an address change halfway.
 */
static void test_mixed(void)
{
	enum { NR = 3, NMB = 4, N = 1200 };
	static const enum vr_relay_suite suites[NR] = { VR_RELAY_SUITE_AEAD_AES_128_GCM,
		VR_RELAY_SUITE_AES_CM_128_HMAC_SHA1_80, VR_RELAY_SUITE_NONE };
	struct vr_relay_room *rooms[NR] = { 0 };
	uint8_t keys[NR][NMB][2][30];
	srtp_t tx[NR][NMB] = { { 0 } }, rx[NR][NMB] = { { 0 } };
	static _Alignas(8) uint8_t pk[N][256], plain[N][256];
	static uint16_t len[N], plen[N];
	static uint8_t room_of[N], from[N], kind[N];
	uint8_t bufs[NMB - 1][256];
	struct vr_relay_tx t[NMB - 1];
	struct vr_relay_out out = { .tx = t, .ntx = NMB - 1 };
	uint64_t rng = 31337;
	uint16_t seq[NR][NMB] = { { 0 } };
	uint32_t fwd = 0, copies_ok = 0, want_fwd = 0;
	struct vr_addr moved;

	vr_addr_set_v4(&moved, htonl(0x0a090909u));
	for (int i = 0; i < NMB - 1; i++)
		t[i] = (struct vr_relay_tx){ .buf = bufs[i], .cap = sizeof(bufs[i]) };
	vr_t_random_key(&rng, keys[0][0][0], sizeof(keys));
	for (int r = 0; r < NR; r++) {
		struct vr_relay_room_conf rc = { .id = 20u + (uint32_t)r, .vip_port = 42000, .max_members = NMB };

		rooms[r] = vr_relay_room_create(&rc);
		CHECK(rooms[r] != NULL);
		if (!rooms[r])
			goto out;
		for (int m = 0; m < NMB; m++) {
			struct vr_addr a;
			struct vr_relay_member_conf mc = { .id = (uint32_t)m + 1,
				.ssrcs = { 0x7000u + 16u * (uint32_t)r + (uint32_t)m }, .nssrc = 1, .suite = suites[r],
				.in_key = keys[r][m][0], .out_key = keys[r][m][1], .addr = &a,
				.port = (uint16_t)(9000 + m) };

			vr_addr_set_v4(&a, htonl(0x0a020000u + 16u * (uint32_t)r + (uint32_t)m));
			CHECK_EQ(vr_relay_member_add(rooms[r], &mc), 0);
			if (suites[r] != VR_RELAY_SUITE_NONE) {
				tx[r][m] = vr_t_sender(suites[r], keys[r][m][0]);
				rx[r][m] = vr_t_receiver(suites[r], keys[r][m][1], 1024);
				CHECK(tx[r][m] && rx[r][m]);
				if (!tx[r][m] || !rx[r][m])
					goto out;
			}
		}
	}
	for (int i = 0; i < N; i++) {
		int r = (int)(vr_splitmix64(&rng) % NR), m = (int)(vr_splitmix64(&rng) % NMB), k = (int)(vr_splitmix64(&rng) % 20);
		uint32_t ssrc = 0x7000u + 16u * (uint32_t)r + (uint32_t)m;
		int l;

		room_of[i] = (uint8_t)r;
		from[i] = (uint8_t)m;
		if (k == 0) { /* STUN */
			memset(pk[i], 0, 20);
			pk[i][1] = 1, pk[i][4] = 0x21, pk[i][5] = 0x12, pk[i][6] = 0xa4, pk[i][7] = 0x42;
			len[i] = 20;
			kind[i] = 2;
			continue;
		}
		if (k == 1) { /* short junk */
			pk[i][0] = 0x80;
			len[i] = 5;
			kind[i] = 3;
			continue;
		}
		if (k == 2)
			ssrc = 0xdead0000u + (uint32_t)i; /* unknown */
		if (k == 3) { /* RR */
			static const uint8_t rr[8] = { 0x80, 201, 0, 1 };

			memcpy(pk[i], rr, sizeof(rr));
			pk[i][4] = (uint8_t)(ssrc >> 24), pk[i][5] = (uint8_t)(ssrc >> 16);
			pk[i][6] = (uint8_t)(ssrc >> 8), pk[i][7] = (uint8_t)ssrc;
			l = 8;
		} else {
			l = vr_t_rtp(pk[i], seq[r][m]++, (uint32_t)i * 160, ssrc, 100);
		}
		memcpy(plain[i], pk[i], (size_t)l);
		plen[i] = (uint16_t)l;
		if (suites[r] != VR_RELAY_SUITE_NONE)
			CHECK_EQ(k == 3 ? srtp_protect_rtcp(tx[r][m], pk[i], &l) : srtp_protect(tx[r][m], pk[i], &l),
				 srtp_err_status_ok);
		len[i] = (uint16_t)l;
		kind[i] = k == 2 ? 4 : k == 3 ? 1 : 0;
		want_fwd += k != 2;
	}
	for (int j = 0; j < N; j++) {
		/* a control change halfway: member 2 of room 1 gets a fixed address */
		if (j == N / 2)
			CHECK_EQ(vr_relay_member_set_address(rooms[1], 2, &moved, 1), 0);
		struct vr_addr a;
		int r = room_of[j], m = from[j];
		enum vr_relay_verdict vd;

		vr_addr_set_v4(&a, htonl(0x0a020000u + 16u * (uint32_t)r + (uint32_t)m));
		if (r == 1 && m == 1 && j > N / 2)
			a = moved; /* its new fixed address (port 1) */
		vd = vr_relay_input(rooms[r], pk[j], len[j], &a,
				    (uint16_t)(r == 1 && m == 1 && j > N / 2 ? 1 : 9000 + m), (uint64_t)j, &out);
		switch (kind[j]) {
		case 2:
			CHECK_EQ(vd, VR_RELAY_SLOW_PATH);
			break;
		case 3:
			CHECK_EQ(vd, VR_RELAY_DROP);
			break;
		case 4:
			CHECK(vd == VR_RELAY_DROP && out.reason == VR_RELAY_DROP_UNKNOWN_SSRC);
			break;
		default:
			CHECK_EQ(vd, VR_RELAY_FORWARD);
			if (vd != VR_RELAY_FORWARD)
				break;
			fwd++;
			CHECK_EQ(out.count, NMB - 1u);
			for (uint32_t c = 0; c < out.count; c++) {
				int ol = (int)t[c].len, rm = (int)t[c].member_id - 1;

				if (suites[r] != VR_RELAY_SUITE_NONE &&
				    (kind[j] == 1 ? srtp_unprotect_rtcp(rx[r][rm], t[c].buf, &ol)
						  : srtp_unprotect(rx[r][rm], t[c].buf, &ol)) != srtp_err_status_ok)
					continue;
				if (ol == plen[j] && memcmp(t[c].buf, plain[j], (size_t)ol) == 0)
					copies_ok++;
			}
		}
	}
	CHECK_EQ(fwd, want_fwd);
	CHECK_EQ(copies_ok, fwd * (NMB - 1));
	printf("mixed: %u packets forwarded over three suites, %u copies decrypted\n", fwd, copies_ok);
out:
	for (int r = 0; r < NR; r++) {
		for (int m = 0; m < NMB; m++) {
			if (tx[r][m])
				srtp_dealloc(tx[r][m]);
			if (rx[r][m])
				srtp_dealloc(rx[r][m]);
		}
		vr_relay_room_free(rooms[r]);
	}
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
	test_late_join_roc();
	test_rejoin();
	test_two_ssrcs();
	test_mixed();
	return vr_test_done("test_relay");
}
