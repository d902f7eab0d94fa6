/* SPDX-License-Identifier: BSD-3-Clause */
/* The relay's active speakers (RFC 6464 levels): the N loudest forwarded, displacement, silence ageing, ROC of the held back; and vr_relay_ssrc_stats(). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>

#include "voxrelay/rtpstats.h"

#include "relay_srtp.h"

#define LEVEL_ID 3
#define PLEN 160
#define NM 6

struct client {
	uint32_t id, ssrc;
	uint8_t keys[2][30]; /* in (what it sends), out (what it receives) */
	struct vr_addr addr;
	uint16_t port;
	uint16_t seq;
	uint32_t ts;
	srtp_t tx;
	struct vr_t_rx rx[8]; /* one receiver per sender: each tracks its own stream's index */
};

struct bench {
	struct vr_relay_room *room;
	struct client c[8];
	int n;
	uint64_t now;
	uint8_t bufs[7][256];
	struct vr_relay_tx t[7];
	struct vr_relay_out out;
};

/*
 * RTP with an RFC 8285 one-byte header extension block (0xBEDE) holding the
 * RFC 6464 level element under @id: [id << 4 | 0][V << 7 | level] + 2 pad.
 */
static int rtp_level(uint8_t *b, uint16_t seq, uint32_t ts, uint32_t ssrc, int id, uint8_t level, bool voice)
{
	int l = vr_t_rtp(b, seq, ts, ssrc, 0);

	if (id < 0)
		return vr_t_rtp(b, seq, ts, ssrc, PLEN);
	b[0] |= 0x10; /* X */
	b[l++] = 0xbe;
	b[l++] = 0xde;
	b[l++] = 0;
	b[l++] = 1; /* one 32-bit word */
	b[l++] = (uint8_t)(id << 4);
	b[l++] = (uint8_t)((voice ? 0x80 : 0) | level);
	b[l++] = 0;
	b[l++] = 0;
	for (int i = 0; i < PLEN; i++)
		b[l++] = (uint8_t)(seq * 7u + (unsigned)i);
	return l;
}

static int setup(struct bench *bn, int n, uint16_t max_speakers, uint8_t level_id, uint64_t seed)
{
	struct vr_relay_room_conf rc = { .id = 5, .vip_port = 41000, .max_members = 8,
		.max_speakers = max_speakers, .audio_level_id = level_id };
	uint64_t rng = seed;

	memset(bn, 0, sizeof(*bn));
	bn->room = vr_relay_room_create(&rc);
	if (!bn->room)
		return -1;
	bn->n = n;
	for (int i = 0; i < 7; i++)
		bn->t[i] = (struct vr_relay_tx){ .buf = bn->bufs[i], .cap = sizeof(bn->bufs[i]) };
	bn->out = (struct vr_relay_out){ .tx = bn->t, .ntx = 7 };
	for (int i = 0; i < n; i++) {
		struct client *c = &bn->c[i];
		struct vr_relay_member_conf mc;

		c->id = (uint32_t)i + 1;
		c->ssrc = 0x5000u + (uint32_t)i;
		c->port = (uint16_t)(7000 + i);
		c->seq = (uint16_t)(1000 * i);
		vr_addr_set_v4(&c->addr, htonl(0x0a010000u + (uint32_t)i));
		vr_t_random_key(&rng, c->keys[0], sizeof(c->keys));
		mc = (struct vr_relay_member_conf){ .id = c->id, .ssrcs = { c->ssrc }, .nssrc = 1,
			.suite = VR_RELAY_SUITE_AES_CM_128_HMAC_SHA1_80, .in_key = c->keys[0],
			.out_key = c->keys[1], .addr = &c->addr, .port = c->port, .clock_hz = 48000 };
		if (vr_relay_member_add(bn->room, &mc) != 0)
			return -1;
		c->tx = vr_t_sender(VR_RELAY_SUITE_AES_CM_128_HMAC_SHA1_80, c->keys[0]);
		if (!c->tx)
			return -1;
	}
	for (int i = 0; i < n; i++)
		for (int j = 0; j < n; j++) {
			bn->c[i].rx[j].s = vr_t_receiver(VR_RELAY_SUITE_AES_CM_128_HMAC_SHA1_80, bn->c[i].keys[1], 1024);
			if (!bn->c[i].rx[j].s)
				return -1;
		}
	return 0;
}

static void teardown(struct bench *bn)
{
	for (int i = 0; i < bn->n; i++) {
		if (bn->c[i].tx)
			srtp_dealloc(bn->c[i].tx);
		for (int j = 0; j < 8; j++)
			if (bn->c[i].rx[j].s)
				srtp_dealloc(bn->c[i].rx[j].s);
	}
	vr_relay_room_free(bn->room);
}

/*
 * Member @i sends its next packet (level < 0: no extension) at the bench's
 * clock. Returns 1 forwarded (every copy checked at its recipient when
 * @check), 0 held back as not loudest, -1 anything else.
 */
static int say(struct bench *bn, int i, int level, bool voice, bool check)
{
	struct client *c = &bn->c[i];
	uint8_t pkt[256], plain[256];
	int l = rtp_level(pkt, c->seq, c->ts, c->ssrc, level < 0 ? -1 : LEVEL_ID, (uint8_t)(level < 0 ? 0 : level),
			  voice);
	int pl = l;
	enum vr_relay_verdict vd;

	c->seq++;
	c->ts += 960;
	memcpy(plain, pkt, (size_t)l);
	if (srtp_protect(c->tx, pkt, &l) != srtp_err_status_ok)
		return -1;
	vd = vr_relay_input(bn->room, pkt, (uint32_t)l, &c->addr, c->port, bn->now, &bn->out);
	if (vd == VR_RELAY_DROP)
		return bn->out.reason == VR_RELAY_DROP_NOT_LOUDEST ? 0 : -1;
	if (vd != VR_RELAY_FORWARD || bn->out.count != (uint32_t)bn->n - 1)
		return -1;
	for (uint32_t k = 0; check && k < bn->out.count; k++) {
		struct client *r = &bn->c[bn->t[k].member_id - 1];
		int ol = (int)bn->t[k].len;

		if (vr_t_rx_unprotect(&r->rx[i], bn->t[k].buf, &ol) != srtp_err_status_ok || ol != pl ||
		    memcmp(bn->t[k].buf, plain, (size_t)pl) != 0)
			return -1;
	}
	return 1;
}

/* One 20 ms tick: every member in @order sends with its level; @fwd gets a bit per forwarded member. */
static int tick(struct bench *bn, const int *order, const int *level, const bool *voice, unsigned *fwd)
{
	*fwd = 0;
	for (int j = 0; j < bn->n; j++) {
		int i = order[j], r = say(bn, i, level[i], voice[i], true);

		if (r < 0)
			return -1;
		if (r)
			*fwd |= 1u << i;
	}
	bn->now += 20000000;
	return 0;
}

static void test_loudest(void)
{
	struct bench bn;
	const int quiet_first[NM] = { 5, 4, 3, 2, 1, 0 };
	int level[NM] = { 20, 28, 36, 44, 52, 60 }; /* member 0 loudest */
	bool voice[NM] = { true, true, true, true, true, true };
	unsigned fwd, seen = 0;
	int changes = 0;

	CHECK_EQ(setup(&bn, NM, 3, LEVEL_ID, 11), 0);
	CHECK_EQ(bn.room->conf.max_speakers, 3);
	/* the quiet ones take the free places first; the loud ones displace them */
	for (int t = 0; t < 40; t++)
		CHECK_EQ(tick(&bn, quiet_first, level, voice, &fwd), 0);
	for (int t = 0; t < 50; t++) {
		CHECK_EQ(tick(&bn, quiet_first, level, voice, &fwd), 0);
		CHECK_EQ(fwd, 0x07u); /* exactly 0, 1, 2 */
	}
	CHECK(bn.room->drops[VR_RELAY_DROP_NOT_LOUDEST] >= 150);
	CHECK_EQ(bn.room->drops[VR_RELAY_DROP_TOO_MANY_SPEAKERS], 0u);

	/* a louder newcomer (5 at -10 dBov) displaces the quietest of the set (2) */
	level[5] = 10;
	for (int t = 0; t < 15; t++)
		CHECK_EQ(tick(&bn, quiet_first, level, voice, &fwd), 0);
	for (int t = 0; t < 50; t++) {
		CHECK_EQ(tick(&bn, quiet_first, level, voice, &fwd), 0);
		CHECK_EQ(fwd, 0x23u); /* 0, 1, 5 */
	}

	/* 0 falls silent (V off, level 127) but keeps sending: its trailing
	 * silence is forwarded within the hangover, then it leaves the set and
	 * 2, the loudest left out, takes its place */
	level[0] = 127;
	voice[0] = false;
	for (int t = 0; t < 20; t++) { /* 400 ms < 500 ms hangover */
		CHECK_EQ(tick(&bn, quiet_first, level, voice, &fwd), 0);
		CHECK_EQ(fwd, 0x23u);
	}
	for (int t = 0; t < 10; t++)
		CHECK_EQ(tick(&bn, quiet_first, level, voice, &fwd), 0);
	for (int t = 0; t < 50; t++) {
		CHECK_EQ(tick(&bn, quiet_first, level, voice, &fwd), 0);
		CHECK_EQ(fwd, 0x26u); /* 1, 2, 5 */
	}
	CHECK(!vr_relay_member_speaking(vr_relay_member_find(bn.room, 1), bn.now));
	CHECK(vr_relay_member_speaking(vr_relay_member_find(bn.room, 3), bn.now));

	/* a member that stops sending at all ages out too: 5 goes away, 3 comes in */
	int without5[NM - 1] = { 4, 3, 2, 1, 0 };
	bn.n = NM; /* copies still go to 5 */
	for (int t = 0; t < 30; t++) {
		fwd = 0;
		for (int j = 0; j < NM - 1; j++) {
			int r = say(&bn, without5[j], level[without5[j]], voice[without5[j]], true);

			CHECK(r >= 0);
			if (r > 0)
				fwd |= 1u << without5[j];
		}
		bn.now += 20000000;
		seen = fwd;
	}
	CHECK_EQ(seen, 0x0eu); /* 1, 2, 3 */

	/* packets without the extension are always forwarded, even from the held back */
	for (int t = 0; t < 5; t++)
		CHECK_EQ(say(&bn, 4, -1, false, true), 1);

	/* two members of about the same level: the set does not flap every packet (N = 1) */
	teardown(&bn);
	CHECK_EQ(setup(&bn, 3, 1, LEVEL_ID, 12), 0);
	{
		const int order[3] = { 0, 1, 2 };
		int lv[3] = { 30, 31, 127 };
		bool vc[3] = { true, true, false };
		unsigned last = 0;

		for (int t = 0; t < 300; t++) {
			lv[0] = 30 + (t % 3);
			lv[1] = 30 + ((t + 1) % 3);
			CHECK_EQ(tick(&bn, order, lv, vc, &fwd), 0);
			CHECK(fwd == 0x1 || fwd == 0x2);
			if (t && fwd != last)
				changes++;
			last = fwd;
		}
		CHECK(changes <= 1);
	}
	printf("loudest: N=3 of 6 by level, newcomer displaces the quietest, silence ages out, %d flips for equal levels\n",
	       changes);
	teardown(&bn);
}

/* Rooms without the extension negotiated forward everything, levels or not. */
static void test_no_selection(void)
{
	struct bench bn;
	unsigned fwd;
	const int order[NM] = { 0, 1, 2, 3, 4, 5 };
	const int level[NM] = { 20, 28, 36, 44, 52, 60 };
	const bool voice[NM] = { true, true, true, true, true, true };

	CHECK_EQ(setup(&bn, NM, 0, 0, 13), 0);
	for (int t = 0; t < 20; t++) {
		CHECK_EQ(tick(&bn, order, level, voice, &fwd), 0);
		CHECK_EQ(fwd, 0x3fu);
	}
	CHECK_EQ(bn.room->drops[VR_RELAY_DROP_NOT_LOUDEST], 0u);
	teardown(&bn);
	/* a room that selects, fed no extension at all */
	CHECK_EQ(setup(&bn, NM, 2, LEVEL_ID, 14), 0);
	for (int t = 0; t < 20; t++)
		for (int i = 0; i < NM; i++)
			CHECK_EQ(say(&bn, i, -1, false, true), 1);
	CHECK_EQ(bn.room->drops[VR_RELAY_DROP_NOT_LOUDEST], 0u);
	teardown(&bn);
	errno = 0;
	struct vr_relay_room_conf bad = { .max_members = 4, .max_speakers = 5 };
	CHECK(vr_relay_room_create(&bad) == NULL && errno == EINVAL);
	bad.max_speakers = 0;
	bad.audio_level_id = 15;
	CHECK(vr_relay_room_create(&bad) == NULL && errno == EINVAL);
	bad.audio_level_id = 14;
	bad.max_members = 2;
	struct vr_relay_room *r = vr_relay_room_create(&bad);
	CHECK(r != NULL && r->conf.max_speakers == 2); /* default 3, capped */
	vr_relay_room_free(r);
}

/*
 * A speaker held back by the selection for more than 2^15 packets, its SEQ
 * wrapping meanwhile, still decrypts at the recipient once it is forwarded
 * again: its ROC, statistics and latching followed every packet.
 */
static void test_held_back_roc(void)
{
	struct bench bn;
	const uint32_t held = 40000;
	uint32_t fwd_b = 0, dropped_b = 0, after = 0;
	struct vr_relay_ssrc_stats ss;
	int r;

	CHECK_EQ(setup(&bn, 3, 1, LEVEL_ID, 15), 0); /* 0 = A, 1 = B, 2 = listener */
	bn.c[1].seq = 60000;
	/* B speaks alone: forwarded, the listener's receiver learns its stream */
	for (int t = 0; t < 50; t++, bn.now += 20000000)
		CHECK_EQ(say(&bn, 1, 40, true, true), 1);
	/* A, louder, takes the only place; B keeps talking, held back */
	for (uint32_t t = 0; t < held; t++, bn.now += 20000000) {
		CHECK(say(&bn, 0, 10, true, true) >= 0);
		r = say(&bn, 1, 40, true, true);
		CHECK(r >= 0);
		r > 0 ? fwd_b++ : dropped_b++;
	}
	CHECK(dropped_b > 32768 + 100);
	CHECK(fwd_b < 20);
	CHECK_EQ(vr_relay_ssrc_stats(bn.room, 2, 0, &ss), 0);
	CHECK_EQ(ss.roc, 1u); /* 60000 + 40050 wrapped */
	CHECK_EQ(ss.packets, 50u + held);
	/* A falls silent: after the hangover B is forwarded again, under ROC 1 */
	for (int t = 0; t < 40; t++, bn.now += 20000000) {
		CHECK(say(&bn, 0, 127, false, true) >= 0);
		r = say(&bn, 1, 40, true, true);
		CHECK(r >= 0);
		after += r > 0;
	}
	CHECK(after >= 10);
	CHECK_EQ(bn.c[2].rx[1].started, 1);
	CHECK_EQ((uint32_t)(bn.c[2].rx[1].highest >> 16), 1u);
	printf("held back: B not forwarded for %u packets (SEQ wrapped), then %u copies decrypted under ROC 1\n",
	       dropped_b, after);
	teardown(&bn);
}

/* An SRTCP sender report of @c: RFC 3550 6.4.1, no report blocks. */
static int srtcp_sr(struct client *c, uint8_t *b, uint64_t ntp, uint32_t rtp_ts, uint32_t pkts, uint32_t octets)
{
	int l = 28;

	b[0] = 0x80, b[1] = 200, b[2] = 0, b[3] = 6;
	b[4] = (uint8_t)(c->ssrc >> 24), b[5] = (uint8_t)(c->ssrc >> 16), b[6] = (uint8_t)(c->ssrc >> 8);
	b[7] = (uint8_t)c->ssrc;
	for (int i = 0; i < 8; i++)
		b[8 + i] = (uint8_t)(ntp >> (56 - 8 * i));
	for (int i = 0; i < 4; i++) {
		b[16 + i] = (uint8_t)(rtp_ts >> (24 - 8 * i));
		b[20 + i] = (uint8_t)(pkts >> (24 - 8 * i));
		b[24 + i] = (uint8_t)(octets >> (24 - 8 * i));
	}
	return srtp_protect_rtcp(c->tx, b, &l) == srtp_err_status_ok ? l : -1;
}

static void test_stats(void)
{
	struct bench bn;
	struct vr_relay_ssrc_stats ss;
	struct vr_rtpstats before;
	struct vr_rtpstats_report rep;
	uint32_t sent = 0, lost = 0;
	uint8_t pkt[256];
	int l;

	CHECK_EQ(setup(&bn, 2, 2, LEVEL_ID, 16), 0);
	bn.c[0].seq = 65000;
	/* 1000 packets, every 10th lost, arrival jittered by 0..3 ms */
	for (uint32_t i = 0; i < 1000; i++) {
		uint64_t jit = (i * 7919u % 4u) * 1000000u;
		uint64_t save = bn.now;

		if (i % 10 == 9) {
			bn.c[0].seq++;
			bn.c[0].ts += 960;
			lost++;
		} else {
			bn.now += jit;
			CHECK_EQ(say(&bn, 0, 33, true, true), 1);
			sent++;
		}
		bn.now = save + 20000000;
	}
	/* one SR */
	l = srtcp_sr(&bn.c[0], pkt, 0x0123456789abcdefull, 0xdeadbeef, 900, 900 * PLEN);
	CHECK(l > 0);
	CHECK_EQ(vr_relay_input(bn.room, pkt, (uint32_t)l, &bn.c[0].addr, bn.c[0].port, bn.now, &bn.out),
		 VR_RELAY_FORWARD);

	const struct vr_relay_member *m = vr_relay_member_find(bn.room, 1);

	memcpy(&before, &m->streams[0].stats, sizeof(before));
	CHECK_EQ(vr_relay_ssrc_stats(bn.room, 1, 0, &ss), 0);
	CHECK_EQ(vr_relay_ssrc_stats(bn.room, 1, 0, &ss), 0);
	/* reading did not close an RR interval or touch anything else */
	CHECK_MEM(&m->streams[0].stats, &before, sizeof(before));
	CHECK_EQ(ss.member_id, 1u);
	CHECK_EQ(ss.ssrc, 0x5000u);
	CHECK_EQ(ss.started, 1);
	CHECK_EQ(ss.packets, (uint64_t)sent);
	CHECK_EQ(ss.bytes, (uint64_t)sent * PLEN);
	/* the RFC 3550 A.3 figures, as rtpstats computes them on its own state */
	CHECK_EQ(ss.cumulative_lost, vr_rtpstats_cum_lost(&before));
	CHECK(ss.cumulative_lost >= (int32_t)lost - 2 && ss.cumulative_lost <= (int32_t)lost);
	CHECK_EQ(ss.ext_highest_seq, 65536u + (uint16_t)(65000 + 998)); /* i = 998 was the last received */
	CHECK_EQ(ss.expected, vr_rtpstats_expected(&before));
	CHECK_EQ(ss.roc, 1u);
	CHECK_EQ(ss.jitter, vr_rtpstats_jitter(&before));
	CHECK(ss.jitter_ms > 0.3 && ss.jitter_ms < 3.0);
	CHECK_EQ(ss.rtcp_packets, 1u);
	CHECK_EQ(ss.sr.valid, 1);
	CHECK(ss.sr.si.ntp == 0x0123456789abcdefull && ss.sr.si.rtp_ts == 0xdeadbeef &&
	      ss.sr.si.packet_count == 900 && ss.sr.si.octet_count == 900u * PLEN);
	CHECK_EQ(ss.sr.arrival_ns, bn.now);
	CHECK_EQ(ss.level_heard, 1);
	CHECK_EQ(ss.level, 33);
	CHECK_EQ(ss.voice, 1);
	CHECK(ss.smoothed_level >= 33 && ss.smoothed_level <= 34);
	CHECK_EQ(ss.speaking, 1);
	/* the RR interval is still the caller's: its report is the one it would
	 * have been without the reads */
	{
		struct vr_rtpstats copy = before;
		struct vr_rtpstats_report want;

		vr_rtpstats_report(&copy, &want);
		vr_rtpstats_report(&((struct vr_relay_member *)m)->streams[0].stats, &rep);
		CHECK_EQ(rep.cum_lost, ss.cumulative_lost);
		CHECK_EQ(rep.fraction_lost, want.fraction_lost);
		CHECK(rep.fraction_lost > 20); /* ~10 % of 256 */
	}
	/* the other member has heard nothing */
	CHECK_EQ(vr_relay_ssrc_stats(bn.room, 2, 0, &ss), 0);
	CHECK(ss.started == 0 && ss.packets == 0 && ss.level_heard == 0 && ss.level == 127 && !ss.speaking);
	CHECK_EQ(vr_relay_ssrc_stats(bn.room, 1, 1, &ss), -ERANGE);
	CHECK_EQ(vr_relay_ssrc_stats(bn.room, 9, 0, &ss), -ENOENT);
	CHECK_EQ(vr_relay_ssrc_stats(NULL, 1, 0, &ss), -EINVAL);
	CHECK_EQ(vr_relay_ssrc_stats(bn.room, 1, 0, NULL), -EINVAL);
	/* a speaker whose talk ended is no longer "speaking" once the room moves on */
	bn.now += 2000000000ull;
	CHECK_EQ(say(&bn, 1, 127, false, true), 0);
	CHECK_EQ(vr_relay_ssrc_stats(bn.room, 1, 0, &ss), 0);
	CHECK_EQ(ss.speaking, 0);
	printf("stats: %u packets, %d lost, jitter %.3f ms, SR kept, level %u\n", sent, ss.cumulative_lost,
	       ss.jitter_ms, ss.level);
	teardown(&bn);
}

int main(void)
{
	CHECK_EQ(vr_relay_global_init(), 0);
	test_loudest();
	test_no_selection();
	test_stats();
	test_held_back_roc();
	return vr_test_done("test_relay_speakers");
}
