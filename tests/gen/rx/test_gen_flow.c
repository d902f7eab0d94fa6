/* SPDX-License-Identifier: BSD-3-Clause */
/* Part of test_gen_rx: per-flow loss, duplicate, reorder and window accounting, latency, summaries, RFC 3550 jitter. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gen_flow.h"
#include "test_gen_rx.h"

/* tsc_hz 1e9: a "TSC" value is ns, so the tests can give exact times */
#define NS_HZ 1000000000ULL

static struct vr_gen_flow_stats get(const struct vr_gen_flows *f, uint32_t flow)
{
	struct vr_gen_flow_stats st;

	CHECK(vr_gen_flow_get(f, flow, &st) == 0);
	return st;
}

static int rx(struct vr_gen_flows *f, uint32_t flow, uint32_t seq)
{
	return vr_gen_flow_rx(f, flow, seq, 1000, seq * 160u, 2000 + (uint64_t)seq * 20000000u);
}

static void test_sequences(void)
{
	struct vr_gen_flows *f = vr_gen_flows_create(8, 0, 8000, NS_HZ);
	struct vr_gen_flow_stats st;
	uint32_t s;

	CHECK(f != NULL);
	if (!f)
		return;
	/* flow 0: in order */
	for (s = 0; s < 100; s++)
		CHECK(rx(f, 0, s) == VR_GEN_SEQ_NEXT);
	st = get(f, 0);
	CHECK(st.received == 100 && st.unique == 100 && st.expected == 100 && st.lost == 0);
	CHECK(st.dup == 0 && st.reordered == 0 && st.late == 0);

	/* flow 1: 5 lost (10..14), one duplicate, one swap (31 before 30) */
	for (s = 0; s < 100; s++) {
		if (s >= 10 && s < 15)
			continue;
		if (s == 30) {
			CHECK(rx(f, 1, 31) == VR_GEN_SEQ_NEXT);
			CHECK(rx(f, 1, 30) == VR_GEN_SEQ_REORDERED);
			s = 31;
			continue;
		}
		CHECK(rx(f, 1, s) == VR_GEN_SEQ_NEXT);
	}
	CHECK(rx(f, 1, 50) == VR_GEN_SEQ_DUP);
	st = get(f, 1);
	CHECK(st.expected == 100 && st.unique == 95 && st.lost == 5 && st.dup == 1 && st.reordered == 1);
	CHECK(st.received == 96);
	/* a lost one arrives after all: no longer lost, reordered */
	CHECK(rx(f, 1, 12) == VR_GEN_SEQ_REORDERED);
	st = get(f, 1);
	CHECK(st.lost == 4 && st.reordered == 2);

	/* flow 2: loss from the very start counts (base 0) */
	CHECK(rx(f, 2, 3) == VR_GEN_SEQ_NEXT);
	st = get(f, 2);
	CHECK(st.expected == 4 && st.lost == 3);

	/* flow 3: a very late one, then the window's edge */
	for (s = 0; s <= 2000; s++)
		if (s != 5 && s != 977 && s != 976)
			rx(f, 3, s);
	CHECK(rx(f, 3, 5) == VR_GEN_SEQ_LATE);    /* 1995 behind */
	CHECK(rx(f, 3, 977) == VR_GEN_SEQ_REORDERED); /* 2000 - 977 = 1023: the oldest in the window */
	CHECK(rx(f, 3, 976) == VR_GEN_SEQ_LATE);  /* 1024 behind */
	CHECK(rx(f, 3, 977) == VR_GEN_SEQ_DUP);
	st = get(f, 3);
	CHECK(st.late == 2 && st.lost == 2 && st.reordered == 1 && st.dup == 1 && st.expected == 2001);
	CHECK(st.received == 1998 + 4);

	/* flow 4: a gap far wider than the window */
	for (s = 0; s < 10; s++)
		rx(f, 4, s);
	CHECK(rx(f, 4, 5000) == VR_GEN_SEQ_NEXT);
	CHECK(rx(f, 4, 5001) == VR_GEN_SEQ_NEXT);
	CHECK(rx(f, 4, 9) == VR_GEN_SEQ_LATE);
	CHECK(rx(f, 4, 4000) == VR_GEN_SEQ_REORDERED); /* the jump cleared the window */
	CHECK(rx(f, 4, 4000) == VR_GEN_SEQ_DUP);
	CHECK(rx(f, 4, 5001) == VR_GEN_SEQ_DUP);
	st = get(f, 4);
	CHECK(st.expected == 5002 && st.unique == 13 && st.lost == 5002 - 13 && st.late == 1 && st.dup == 2);
	/* jumps of 64 and 65 land on word boundaries */
	CHECK(rx(f, 4, 5001 + 64) == VR_GEN_SEQ_NEXT);
	CHECK(rx(f, 4, 5001 + 129) == VR_GEN_SEQ_NEXT);
	CHECK(rx(f, 4, 5001 + 1) == VR_GEN_SEQ_REORDERED);
	CHECK(rx(f, 4, 5001 + 64) == VR_GEN_SEQ_DUP);
	CHECK(rx(f, 4, 5001 + 128) == VR_GEN_SEQ_REORDERED);

	/* errors */
	CHECK(vr_gen_flow_rx(f, 8, 0, 0, 0, 0) == -EINVAL);
	CHECK(vr_gen_flow_get(f, 8, &st) == -EINVAL);
	CHECK(vr_gen_flow_set_clock(f, 0, 0) == -EINVAL);
	CHECK(vr_gen_flow_hist(f, 0) == NULL);
	CHECK(vr_gen_flows_count(f) == 8);
	vr_gen_flows_reset(f);
	st = get(f, 1);
	CHECK(st.received == 0 && st.expected == 0);
	CHECK(vr_gen_hist_count(vr_gen_flows_hist(f)) == 0);
	vr_gen_flows_free(f);
	vr_gen_flows_free(NULL);

	errno = 0;
	CHECK(vr_gen_flows_create(0, 0, 8000, NS_HZ) == NULL && errno == EINVAL);
	CHECK(vr_gen_flows_create(1, 0, 0, NS_HZ) == NULL && errno == EINVAL);
	CHECK(vr_gen_flows_create(1, 0x80, 8000, NS_HZ) == NULL && errno == EINVAL);

	/* base from the first packet: a receiver joining mid-stream */
	f = vr_gen_flows_create(1, VR_GEN_FLOWS_BASE_FIRST, 8000, NS_HZ);
	CHECK(f != NULL);
	if (!f)
		return;
	CHECK(rx(f, 0, 1000) == VR_GEN_SEQ_NEXT);
	CHECK(rx(f, 0, 1002) == VR_GEN_SEQ_NEXT);
	CHECK(rx(f, 0, 999) == VR_GEN_SEQ_LATE);
	st = get(f, 0);
	CHECK(st.expected == 3 && st.lost == 1 && st.late == 1);
	vr_gen_flows_free(f);
}

/* Random traffic against a plain model: a "seen" array and the same window rule. */
static void test_model(void)
{
	enum { N = 400000 };
	struct vr_gen_flows *f = vr_gen_flows_create(1, 0, 8000, NS_HZ);
	uint8_t *seen = calloc(N + 8000, 1);
	uint64_t x = 88172645463325252ULL, unique = 0, dup = 0, reo = 0, late = 0, n = 0;
	uint32_t next = 0, highest = 0, seq;
	int started = 0, want, got;
	struct vr_gen_flow_stats st;

	CHECK(f && seen);
	if (!f || !seen)
		goto out;
	while (next < N) {
		uint32_t r;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		r = (uint32_t)(x % 1000);
		if (r < 850) {
			seq = next++;
		} else if (r < 900) {
			next += 1 + (uint32_t)(x >> 32) % 5; /* loss */
			seq = next++;
		} else if (r < 998) {
			/* reordered, duplicated or late: up to 1500 back */
			seq = next > 0 ? next - 1 - (uint32_t)(x >> 32) % (next < 1500 ? next : 1500) : 0;
		} else {
			next += 1000 + (uint32_t)(x >> 32) % 3000; /* burst loss, beyond the window at times */
			seq = next++;
		}
		if (!started || seq > highest) {
			started = 1;
			highest = seq;
			want = VR_GEN_SEQ_NEXT;
		} else if (highest - seq >= VR_GEN_FLOW_WINDOW) {
			want = VR_GEN_SEQ_LATE;
		} else {
			want = seen[seq] ? VR_GEN_SEQ_DUP : VR_GEN_SEQ_REORDERED;
		}
		if (want == VR_GEN_SEQ_NEXT || want == VR_GEN_SEQ_REORDERED) {
			seen[seq] = 1;
			unique++;
		}
		dup += want == VR_GEN_SEQ_DUP;
		reo += want == VR_GEN_SEQ_REORDERED;
		late += want == VR_GEN_SEQ_LATE;
		n++;
		got = rx(f, 0, seq);
		if (got != want) {
			CHECK(got == want);
			break;
		}
	}
	st = get(f, 0);
	CHECK(st.received == n && st.unique == unique && st.dup == dup && st.reordered == reo && st.late == late);
	CHECK(st.expected == (uint64_t)highest + 1 && st.lost == highest + 1 - unique);
	if (!(dup > 1000 && reo > 1000 && late > 100))
		fprintf(stderr, "model: dup %llu reordered %llu late %llu\n", (unsigned long long)dup,
			(unsigned long long)reo, (unsigned long long)late);
	CHECK(dup > 1000 && reo > 1000 && late > 100);
out:
	free(seen);
	vr_gen_flows_free(f);
}

static void test_latency_summary(void)
{
	/* 2 GHz TSC: 2 cycles a ns */
	struct vr_gen_flows *f = vr_gen_flows_create(4, VR_GEN_FLOWS_HIST, 8000, 2000000000ULL), *g;
	struct vr_gen_flows_summary sum, sum2;
	struct vr_gen_flows_interval iv, iv2;
	struct vr_gen_hist *h = vr_gen_hist_create();
	struct vr_gen_flow_stats st;
	uint32_t s;

	CHECK(f && h);
	if (!f || !h)
		goto out;
	for (s = 0; s < 100; s++) {
		vr_gen_flow_rx(f, 0, s, 1000, s * 160, 1000 + 2000);            /* 1 µs */
		if (s % 10)                                                       /* 10 % loss */
			vr_gen_flow_rx(f, 1, s, 1000, s * 160, 1000 + 4000);      /* 2 µs */
		vr_gen_flow_rx(f, 2, s, 1000, s * 160, 1000 + 2000 * (s + 1)); /* 1..100 µs */
	}
	CHECK(vr_gen_flow_rx(f, 0, 100, 5000, 0, 4000) == VR_GEN_SEQ_NEXT); /* before it was sent */
	st = get(f, 0);
	CHECK(st.lat_count == 100 && st.lat_negative == 1 && st.lat_min_ns == 1000 && st.lat_max_ns == 1000);
	st = get(f, 2);
	CHECK(st.lat_min_ns == 1000 && st.lat_max_ns == 100000 && st.lat_sum_ns == 1000ULL * 5050);
	CHECK(vr_gen_hist_count(vr_gen_flow_hist(f, 2)) == 100);
	CHECK(vr_gen_hist_count(vr_gen_flows_hist(f)) == 290);

	CHECK(vr_gen_flows_summary(f, &sum) == 0);
	CHECK(sum.nflows == 4 && sum.active == 3);
	CHECK(sum.total.received == 291 && sum.total.unique == 291 && sum.total.expected == 301);
	CHECK(sum.total.lost == 10 && sum.total.lat_negative == 1 && sum.total.lat_count == 290);
	CHECK(sum.worst_loss_flow == 1 && sum.worst_loss.lost == 10);
	CHECK(sum.worst_latency_flow == 2 && sum.worst_latency.lat_max_ns == 100000);

	/* intervals: everything so far, then only what follows */
	CHECK(vr_gen_flows_interval(f, &iv, h) == 0);
	CHECK(iv.received == 291 && iv.expected == 301 && iv.lost == 10 && vr_gen_hist_count(h) == 290);
	vr_gen_flow_rx(f, 1, 5, 0, 0, 0);     /* a duplicate... */
	vr_gen_flow_rx(f, 1, 10, 0, 0, 1000); /* ...and a lost one turns up */
	CHECK(vr_gen_flows_interval(f, &iv, h) == 0);
	CHECK(iv.received == 2 && iv.dup == 1 && iv.reordered == 1 && iv.expected == 0 && iv.lost == -1);
	CHECK(vr_gen_hist_count(h) == 2);
	CHECK(vr_gen_flows_interval(f, &iv2, NULL) == 0 && iv2.received == 0);

	/* a second owner's flows combine with the first's */
	g = vr_gen_flows_create(2, 0, 8000, NS_HZ);
	CHECK(g != NULL);
	if (g) {
		for (s = 0; s < 50; s += 2)
			vr_gen_flow_rx(g, 1, s, 0, s * 160, 500000); /* half lost, 500 µs */
		CHECK(vr_gen_flows_summary(g, &sum2) == 0);
		CHECK(vr_gen_flows_summary(f, &sum) == 0);
		CHECK(vr_gen_flows_summary_add(&sum, &sum2) == 0);
		CHECK(sum.nflows == 6 && sum.active == 4 && sum.total.received == 293 + 25);
		CHECK(sum.worst_loss_flow == 1 && sum.worst_loss.lost == 24);
		CHECK(sum.worst_latency_flow == 1 && sum.worst_latency.lat_max_ns == 500000);
		iv = (struct vr_gen_flows_interval){.received = 1, .jitter_ns = 2.0, .jitter_flows = 1};
		iv2 = (struct vr_gen_flows_interval){.received = 2, .jitter_ns = 5.0, .jitter_flows = 3,
						     .jitter_max_ns = 9.0};
		vr_gen_flows_interval_add(&iv, &iv2);
		CHECK(iv.received == 3 && iv.jitter_flows == 4 && fabs(iv.jitter_ns - 17.0 / 4) < 1e-9);
		CHECK(iv.jitter_max_ns == 9.0);
		vr_gen_flows_free(g);
	}
	CHECK(vr_gen_flows_summary(NULL, &sum) == -EINVAL);
	CHECK(vr_gen_tsc_to_ns(UINT64_C(3000000000) * 100, 3000000000ULL) == 100000000000ULL);
out:
	vr_gen_hist_free(h);
	vr_gen_flows_free(f);
}

void test_flows(void)
{
	test_sequences();
	test_model();
	test_latency_summary();
}

/* ---- RFC 3550 A.8 jitter ---- */

#define UNIT_NS 125000ULL /* one RTP unit at 8 kHz */

/*
 * Feeds packet i (RTP timestamp i * 160, sent every 20 ms) arriving @off[i]
 * RTP units late, and checks after each the estimate against the A.8
 * recurrence in floating point, J += (|D| - J) / 16. The flow keeps A.8's
 * integer form (J scaled by 16, rounded), which stays within half a unit.
 */
static double run_jitter(const int32_t *off, unsigned int n)
{
	struct vr_gen_flows *f = vr_gen_flows_create(1, 0, 8000, NS_HZ);
	double j = 0.0, prev = 0.0;
	struct vr_gen_flow_stats st;
	unsigned int i;

	CHECK(f != NULL);
	if (!f)
		return -1.0;
	for (i = 0; i < n; i++) {
		uint64_t arrival = 1000000000ULL + (uint64_t)i * 20000000ULL + (uint64_t)((int64_t)off[i] * (int64_t)UNIT_NS);
		double transit = (double)arrival / (double)UNIT_NS - (double)(i * 160u);

		vr_gen_flow_rx(f, 0, i, 0, i * 160u, arrival);
		if (i > 0)
			j += (fabs(transit - prev) - j) / 16.0;
		prev = transit;
		st = get(f, 0);
		if (fabs(st.jitter_ns / (double)UNIT_NS - j) > 0.5) {
			CHECK(fabs(st.jitter_ns / (double)UNIT_NS - j) <= 0.5);
			break;
		}
	}
	st = get(f, 0);
	vr_gen_flows_free(f);
	return st.jitter_ns / (double)UNIT_NS;
}

void test_jitter(void)
{
	enum { N = 400 };
	static int32_t off[N];
	struct vr_gen_flows *f;
	struct vr_gen_flow_stats st;
	uint64_t x = 2463534242ULL;
	unsigned int i;
	double j;

	/* constant transit: exactly 0 */
	for (i = 0; i < N; i++)
		off[i] = 7;
	CHECK(run_jitter(off, N) == 0.0);

	/* alternating 0, d: every |D| is d, so J = d (1 - (15/16)^n) -> d */
	for (i = 0; i < N; i++)
		off[i] = (i & 1) ? 40 : 0;
	j = run_jitter(off, 2);
	CHECK(fabs(j - 40.0 / 16) <= 0.5);
	j = run_jitter(off, 21);
	CHECK(fabs(j - 40.0 * (1.0 - pow(15.0 / 16.0, 20))) <= 0.5);
	j = run_jitter(off, N);
	CHECK(fabs(j - 40.0) <= 0.5);

	/* random delays 0..80 units (0..10 ms) */
	for (i = 0; i < N; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		off[i] = (int32_t)(x % 81);
	}
	j = run_jitter(off, N);
	CHECK(j > 5.0);

	/* neither a duplicate nor a late packet moves the estimate; another clock rate scales it */
	f = vr_gen_flows_create(2, 0, 8000, NS_HZ);
	CHECK(f != NULL);
	if (!f)
		return;
	CHECK(vr_gen_flow_set_clock(f, 1, 48000) == 0);
	for (i = 0; i < 2000; i++) {
		vr_gen_flow_rx(f, 0, i, 0, i * 160, (uint64_t)i * 20000000ULL);
		vr_gen_flow_rx(f, 1, i, 0, i * 960, (uint64_t)i * 20000000ULL + ((i & 1) ? 1000000 : 0));
	}
	vr_gen_flow_rx(f, 0, 1990, 0, 1990 * 160, 99999999999ULL);
	vr_gen_flow_rx(f, 0, 5, 0, 5 * 160, 99999999999ULL);
	st = get(f, 0);
	CHECK(st.dup == 1 && st.late == 1 && st.jitter_ns == 0.0);
	/* ±1 ms alternation at 48 kHz: 48 units, J -> 1 ms within half a unit (10.4 µs) */
	st = get(f, 1);
	CHECK(fabs(st.jitter_ns - 1e6) <= 1e9 / 48000 / 2);
	vr_gen_flows_free(f);

	/* a transit step of -2^31 units (a timestamp jump by half the clock): |D| = 2^31, J = |D| / 16 */
	f = vr_gen_flows_create(1, 0, 8000, NS_HZ);
	CHECK(f != NULL);
	if (!f)
		return;
	vr_gen_flow_rx(f, 0, 0, 0, 0, 0);
	vr_gen_flow_rx(f, 0, 1, 0, 0x80000000u, 0);
	st = get(f, 0);
	CHECK(st.jitter_ns == 2147483648.0 / 16 * UNIT_NS);
	vr_gen_flows_free(f);
}
