/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests of the RFC 3550 A.1/A.3/A.8 receive statistics, against hand-computed cases and the RFC's own code. */
#include <math.h>

#include "voxrelay/rtpstats.h"

#include "relay_test.h"

/* ---- The oracle: RFC 3550 Appendix A.1 and A.3, as printed there ---- */
typedef uint16_t u_int16;
typedef uint32_t u_int32;
#define RTP_SEQ_MOD (1 << 16)
#define MAX_DROPOUT 3000
#define MAX_MISORDER 100
#define MIN_SEQUENTIAL 2

struct rfc_source {
	u_int16 max_seq;
	u_int32 cycles;
	u_int32 base_seq;
	u_int32 bad_seq;
	u_int32 probation;
	u_int32 received;
	u_int32 expected_prior;
	u_int32 received_prior;
};

static void init_seq(struct rfc_source *s, u_int16 seq)
{
	s->base_seq = seq;
	s->max_seq = seq;
	s->bad_seq = RTP_SEQ_MOD + 1;
	s->cycles = 0;
	s->received = 0;
	s->received_prior = 0;
	s->expected_prior = 0;
}

static int update_seq(struct rfc_source *s, u_int16 seq)
{
	u_int16 udelta = seq - s->max_seq;

	if (s->probation) {
		if (seq == s->max_seq + 1) {
			s->probation--;
			s->max_seq = seq;
			if (s->probation == 0) {
				init_seq(s, seq);
				s->received++;
				return 1;
			}
		} else {
			s->probation = MIN_SEQUENTIAL - 1;
			s->max_seq = seq;
		}
		return 0;
	} else if (udelta < MAX_DROPOUT) {
		if (seq < s->max_seq)
			s->cycles += RTP_SEQ_MOD;
		s->max_seq = seq;
	} else if (udelta <= RTP_SEQ_MOD - MAX_MISORDER) {
		if (seq == s->bad_seq) {
			init_seq(s, seq);
		} else {
			s->bad_seq = (seq + 1) & (RTP_SEQ_MOD - 1);
			return 0;
		}
	}
	s->received++;
	return 1;
}

static void rfc_first(struct rfc_source *s, u_int16 seq)
{
	init_seq(s, seq);
	s->max_seq = seq - 1;
	s->probation = MIN_SEQUENTIAL;
}

/* A.3, with the 24-bit clamp of the report block. */
static void rfc_report(struct rfc_source *s, int32_t *lost_out, uint8_t *fraction)
{
	u_int32 extended_max = s->cycles + s->max_seq;
	u_int32 expected = extended_max - s->base_seq + 1;
	int64_t lost = (int64_t)expected - s->received;
	u_int32 expected_interval, received_interval;
	int64_t lost_interval;

	if (lost > 0x7fffff)
		lost = 0x7fffff;
	else if (lost < -0x800000)
		lost = -0x800000;
	*lost_out = (int32_t)lost;
	expected_interval = expected - s->expected_prior;
	s->expected_prior = expected;
	received_interval = s->received - s->received_prior;
	s->received_prior = s->received;
	lost_interval = (int64_t)expected_interval - received_interval;
	if (expected_interval == 0 || lost_interval <= 0)
		*fraction = 0;
	else
		*fraction = (uint8_t)((lost_interval << 8) / expected_interval);
}

/* ---- hand-computed cases ---- */

#define MS 1000000ull

static int feed(struct vr_rtpstats *s, uint16_t seq)
{
	/* 20 ms G.711 packets, constant transit: jitter stays out of these tests */
	return vr_rtpstats_update(s, seq, (uint32_t)seq * 160u, (uint64_t)seq * 20 * MS, 160);
}

static void test_loss_pattern(void)
{
	struct vr_rtpstats s;
	struct vr_rtpstats_report r;

	vr_rtpstats_init(&s, 8000);
	CHECK_EQ(feed(&s, 100), 0); /* probation */
	CHECK_EQ(vr_rtpstats_expected(&s), 0);
	CHECK_EQ(feed(&s, 101), 1); /* valid: base 101 */
	for (uint16_t q = 102; q < 200; q++)
		if (q != 150 && q != 160 && q != 170)
			CHECK_EQ(feed(&s, q), 1);
	CHECK_EQ(s.packets, 97);
	CHECK_EQ(s.bytes, 97 * 160);
	CHECK_EQ(s.received, 96);
	CHECK_EQ(vr_rtpstats_ext_max(&s), 199);
	CHECK_EQ(vr_rtpstats_expected(&s), 99);
	CHECK_EQ(vr_rtpstats_cum_lost(&s), 3);
	vr_rtpstats_report(&s, &r);
	CHECK_EQ(r.cum_lost, 3);
	CHECK_EQ(r.expected, 99);
	CHECK_EQ(r.ext_max, 199);
	CHECK_EQ(r.fraction_lost, 3 * 256 / 99); /* 7 */
	CHECK_EQ(r.jitter, 0);
	/* next interval: 200..299 with every 4th lost: 25 of 100 = 64/256 */
	for (uint16_t q = 200; q < 300; q++)
		if (q % 4 != 0)
			feed(&s, q);
	vr_rtpstats_report(&s, &r);
	CHECK_EQ(r.fraction_lost, 64);
	CHECK_EQ(r.cum_lost, 28);
	/* an interval with nothing new */
	vr_rtpstats_report(&s, &r);
	CHECK_EQ(r.fraction_lost, 0);
	CHECK_EQ(r.cum_lost, 28);
}

static void test_reorder_dup(void)
{
	struct vr_rtpstats s;
	struct vr_rtpstats_report r;
	static const uint16_t reorder[] = { 1, 2, 3, 5, 4, 6 };
	static const uint16_t dup[] = { 1, 2, 3, 3, 4 };

	vr_rtpstats_init(&s, 8000);
	for (size_t i = 0; i < VR_ARRAY_SIZE(reorder); i++)
		feed(&s, reorder[i]);
	CHECK_EQ(s.received, 5);
	CHECK_EQ(vr_rtpstats_expected(&s), 5);
	CHECK_EQ(vr_rtpstats_cum_lost(&s), 0);
	CHECK_EQ(vr_rtpstats_ext_max(&s), 6);

	vr_rtpstats_init(&s, 8000);
	for (size_t i = 0; i < VR_ARRAY_SIZE(dup); i++)
		feed(&s, dup[i]);
	CHECK_EQ(s.received, 4);
	CHECK_EQ(vr_rtpstats_expected(&s), 3);
	CHECK_EQ(vr_rtpstats_cum_lost(&s), -1); /* duplicates make it negative (A.3) */
	vr_rtpstats_report(&s, &r);
	CHECK_EQ(r.fraction_lost, 0);

	/* a late packet from before a wrap does not count a cycle */
	vr_rtpstats_init(&s, 8000);
	feed(&s, 65533);
	feed(&s, 65534);
	feed(&s, 0);
	feed(&s, 65535);
	feed(&s, 1);
	CHECK_EQ(s.cycles, 65536);
	CHECK_EQ(vr_rtpstats_ext_max(&s), 65537);
	CHECK_EQ(vr_rtpstats_expected(&s), 4);
	CHECK_EQ(vr_rtpstats_cum_lost(&s), 0);
	/* a packet MAX_MISORDER or more behind is a "bad" seq, not counted */
	vr_rtpstats_init(&s, 8000);
	for (uint16_t q = 1000; q < 1200; q++)
		feed(&s, q);
	CHECK_EQ(feed(&s, 1199 - 99), 1);
	CHECK_EQ(feed(&s, 1199 - 100), 0);
}

static void test_wraps(void)
{
	struct vr_rtpstats s;
	uint16_t q = 65000;
	uint32_t sent = 0, lost = 0;

	vr_rtpstats_init(&s, 8000);
	/* 3 wraps and a bit; lose 65535 and 0 each time, and every 1000th */
	for (uint32_t i = 0; i < 3 * 65536 + 5000; i++, q++) {
		bool drop = i > 1 && (q == 65535 || q == 0 || i % 1000 == 0);

		if (drop) {
			lost++;
			continue;
		}
		feed(&s, q);
		sent++;
	}
	q--;
	CHECK_EQ(s.cycles, 4u * 65536u);
	CHECK_EQ(s.max_seq, q);
	CHECK_EQ(vr_rtpstats_ext_max(&s), 4u * 65536u + q);
	CHECK_EQ(vr_rtpstats_expected(&s), 3 * 65536 + 5000 - 1);
	CHECK_EQ(s.received, sent - 1);
	CHECK_EQ(vr_rtpstats_cum_lost(&s), lost);
}

static void test_restart(void)
{
	struct vr_rtpstats s;

	vr_rtpstats_init(&s, 8000);
	for (uint16_t q = 4000; q <= 5000; q++)
		feed(&s, q);
	CHECK_EQ(s.received, 1000);
	/* one stray far packet: not counted, nothing reset */
	CHECK_EQ(feed(&s, 30000), 0);
	CHECK_EQ(feed(&s, 5001), 1);
	CHECK_EQ(s.received, 1001);
	/* the sender restarts at 40000: first one is "bad", the next one re-syncs */
	CHECK_EQ(feed(&s, 40000), 0);
	CHECK_EQ(feed(&s, 40001), 1);
	CHECK_EQ(s.base_seq, 40001);
	CHECK_EQ(s.received, 1);
	CHECK_EQ(s.cycles, 0);
	CHECK_EQ(vr_rtpstats_expected(&s), 1);
	for (uint16_t q = 40002; q < 40100; q++)
		feed(&s, q);
	CHECK_EQ(vr_rtpstats_cum_lost(&s), 0);
	/* a restart backwards (more than MAX_MISORDER back), with a new timestamp base */
	CHECK_EQ(vr_rtpstats_update(&s, 100, 0x55555555u, 40100 * 20 * MS, 160), 0);
	CHECK_EQ(vr_rtpstats_update(&s, 101, 0x55555555u + 160, 40101 * 20 * MS, 160), 1);
	CHECK_EQ(s.base_seq, 101);
	CHECK_EQ(vr_rtpstats_update(&s, 102, 0x55555555u + 320, 40102 * 20 * MS, 160), 1);
	CHECK_EQ(s.jitter, 0); /* the transit reference was forgotten: no spike */
	/* probation crossing the wrap validates (the RFC's int compare would not) */
	vr_rtpstats_init(&s, 8000);
	CHECK_EQ(feed(&s, 65535), 0);
	CHECK_EQ(feed(&s, 0), 1);
	/* probation restarts on a non-consecutive packet */
	vr_rtpstats_init(&s, 8000);
	CHECK_EQ(feed(&s, 10), 0);
	CHECK_EQ(feed(&s, 12), 0);
	CHECK_EQ(feed(&s, 13), 1);
	CHECK_EQ(s.base_seq, 13);
}

/* The random streams the RFC code and ours must agree on, packet by packet and report by report. */
static void test_against_rfc(void)
{
	uint64_t rnd = 42;

	for (int run = 0; run < 200; run++) {
		struct vr_rtpstats s;
		struct rfc_source o;
		uint16_t q = (uint16_t)(vr_splitmix64(&rnd) % 60000), prev = 0;
		int first = 1;

		vr_rtpstats_init(&s, 48000);
		memset(&o, 0, sizeof(o));
		for (int i = 0; i < 20000; i++) {
			uint64_t r = vr_splitmix64(&rnd) % 1000;
			uint16_t send;
			int a, b;

			if (r < 20) {
				send = prev; /* duplicate */
			} else if (r < 40) {
				send = (uint16_t)(q - 1 - vr_splitmix64(&rnd) % 150); /* late, sometimes too late */
			} else if (r < 42) {
				/* a far jump: a stray packet, or half the time a restart the stream follows */
				send = (uint16_t)(q + 3000 + vr_splitmix64(&rnd) % 60000);
				if (vr_splitmix64(&rnd) & 1)
					q = (uint16_t)(send + 1);
			} else {
				if (r < 100)
					q = (uint16_t)(q + vr_splitmix64(&rnd) % 50); /* burst loss */
				send = q++;
			}
			prev = send;
			if (first) {
				rfc_first(&o, send);
				first = 0;
			}
			a = vr_rtpstats_update(&s, send, 0, 0, 1);
			b = update_seq(&o, send);
			CHECK_EQ(a, b);
			CHECK_EQ(s.received, o.received);
			CHECK_EQ(vr_rtpstats_ext_max(&s), o.cycles + o.max_seq);
			if (i % 997 == 0 && !o.probation) {
				struct vr_rtpstats_report rep;
				int32_t lost;
				uint8_t frac;

				vr_rtpstats_report(&s, &rep);
				rfc_report(&o, &lost, &frac);
				CHECK_EQ(rep.cum_lost, lost);
				CHECK_EQ(rep.fraction_lost, frac);
			}
			if (vr_test_failures > 20)
				return;
		}
	}
}

static void test_jitter(void)
{
	struct vr_rtpstats s;
	const uint64_t t0 = 123456789012345ull; /* any clock origin */
	double ref = 0;

	/* constant transit: zero */
	vr_rtpstats_init(&s, 8000);
	for (uint32_t i = 0; i < 500; i++)
		vr_rtpstats_update(&s, (uint16_t)(7 + i), 0xfffff000u + 160 * i, t0 + i * 20 * MS, 160);
	CHECK_EQ(s.jitter, 0);
	CHECK_EQ(vr_rtpstats_jitter(&s), 0);
	CHECK(vr_rtpstats_jitter_ms(&s) == 0.0);

	/*
	 * Transit alternating +-5 ms at 8 kHz (+-40 units): |D| = 80 for
	 * every packet after the first two. By hand, J (x16) goes 0, 80,
	 * 155, 225, ... (J += 80 - round(J/16)), and settles where
	 * round(J/16) = 80 first holds: J = 16 * 80 - 8 = 1272, i.e. 79.5
	 * units, 9.9375 ms. The RFC's float recursion tends to 80 from below.
	 */
	vr_rtpstats_init(&s, 8000);
	for (uint32_t i = 0; i < 400; i++) {
		uint64_t arr = t0 + i * 20 * MS + ((i & 1) ? 5 * MS : 0) - ((i & 1) ? 0 : 5 * MS);

		vr_rtpstats_update(&s, (uint16_t)i, 160 * i, arr, 160);
		if (i == 2)
			CHECK_EQ(s.jitter, 80);
		if (i == 3)
			CHECK_EQ(s.jitter, 155);
		if (i == 4)
			CHECK_EQ(s.jitter, 225);
		if (i >= 2) {
			ref += (80.0 - ref) / 16.0;
			/* the integer form tracks the float one within a unit */
			CHECK(fabs(s.jitter / 16.0 - ref) <= 1.0);
		}
	}
	CHECK_EQ(s.jitter, 1272);
	CHECK_EQ(vr_rtpstats_jitter(&s), 79);
	CHECK(fabs(vr_rtpstats_jitter_ms(&s) - 9.9375) < 1e-9);
	CHECK(fabs(ref - 80.0) < 1e-6);

	/* ns to RTP units: exact, no overflow after days of uptime */
	CHECK_EQ(vr_rtpstats_ns_to_rtp(20 * MS, 8000), 160);
	CHECK_EQ(vr_rtpstats_ns_to_rtp(1000000000ull * 86400 * 10 + 125000, 48000),
		 (uint32_t)(48000ull * 86400 * 10 + 6));
	CHECK_EQ(vr_rtpstats_ns_to_rtp(UINT64_MAX, 90000),
		 (uint32_t)((UINT64_MAX / 1000000000ull) * 90000 + (UINT64_MAX % 1000000000ull) * 90000 / 1000000000ull));
}

int main(void)
{
	test_loss_pattern();
	test_reorder_dup();
	test_wraps();
	test_restart();
	test_against_rfc();
	test_jitter();
	return vr_test_done("test_rtpstats");
}
