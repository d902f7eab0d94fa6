/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests of SRTP ROC/index estimation (RFC 3711 3.3.1): wraps, reordering across a wrap, loss, unauthenticated packets. */
#include "voxrelay/roc.h"

#include "relay_test.h"

/* Receive @seq: estimate, check against the true index, commit (as after authentication). */
static void rx(struct vr_roc *r, uint64_t true_index)
{
	uint32_t v;
	uint64_t idx = vr_roc_estimate(r, (uint16_t)true_index, &v);

	CHECK_EQ(idx, true_index);
	CHECK_EQ(v, (uint32_t)(true_index >> 16));
	vr_roc_commit(r, (uint16_t)true_index, v);
}

static void test_wrap(void)
{
	struct vr_roc r;

	vr_roc_init(&r, 65530, 0);
	for (uint64_t i = 65530; i < 65536 * 3 + 10; i++)
		rx(&r, i);
	CHECK_EQ(r.roc, 3);
	CHECK_EQ(r.s_l, 9);

	/* reordering across the wrap: 65534, 1, 65535, 2 */
	vr_roc_init(&r, 65533, 7);
	rx(&r, 7ull * 65536 + 65533);
	rx(&r, 7ull * 65536 + 65534);
	rx(&r, 8ull * 65536 + 1);
	CHECK(r.roc == 8 && r.s_l == 1);
	rx(&r, 7ull * 65536 + 65535); /* late, from the previous ROC: v = ROC - 1, no change */
	CHECK(r.roc == 8 && r.s_l == 1);
	rx(&r, 8ull * 65536 + 2);
	rx(&r, 8ull * 65536 + 0); /* late, same ROC */
	CHECK(r.roc == 8 && r.s_l == 2);

	/* v = ROC - 1 at ROC 0 wraps modulo 2^32 (RFC 3711 Appendix A) */
	uint32_t v;
	vr_roc_init(&r, 5, 0);
	CHECK_EQ(vr_roc_estimate(&r, 65000, &v), 0xffffffffull << 16 | 65000);
	CHECK_EQ(v, 0xffffffffu);
	vr_roc_commit(&r, 65000, v);
	CHECK(r.roc == 0 && r.s_l == 5);
}

static void test_loss(void)
{
	static const uint16_t starts[] = { 0, 1, 100, 32766, 32767, 32768, 32769, 40000, 65534, 65535 };

	for (size_t i = 0; i < VR_ARRAY_SIZE(starts); i++) {
		for (uint32_t gap = 1; gap <= 32767; gap += gap < 100 ? 1 : 97) {
			struct vr_roc r;
			uint64_t base = 5ull * 65536 + starts[i];

			/* gap - 1 packets lost forward; the next one lands right */
			vr_roc_init(&r, starts[i], 5);
			rx(&r, base + gap);
			/* and one that late, backwards, too */
			vr_roc_init(&r, starts[i], 5);
			rx(&r, base - gap);
			CHECK(r.roc == 5 && r.s_l == starts[i]);
		}
		struct vr_roc r;
		uint64_t base = 5ull * 65536 + starts[i];

		vr_roc_init(&r, starts[i], 5);
		rx(&r, base + 32767);
		vr_roc_init(&r, starts[i], 5);
		rx(&r, base - 32767);
		/* 32768 away is ambiguous: the guess is whichever side Appendix A
		 * picks, never anything else */
		uint32_t v;
		uint64_t idx = vr_roc_estimate(&r, (uint16_t)(starts[i] + 32768), &v);
		CHECK(idx == base + 32768 || idx == base - 32768);
	}
}

/* Estimation must not move the state: only commit() does, after authentication. */
static void test_unauthenticated(void)
{
	struct vr_roc r;
	uint32_t v;

	vr_roc_init(&r, 60000, 2);
	/* a forged packet that would wrap the ROC if committed */
	CHECK_EQ(vr_roc_estimate(&r, 10, &v), 3ull * 65536 + 10);
	CHECK(r.roc == 2 && r.s_l == 60000);
	/* the genuine next packet is still placed in ROC 2 */
	rx(&r, 2ull * 65536 + 60001);
	CHECK(r.roc == 2 && r.s_l == 60001);
}

/*
 * A relay's view of a long stream: bursts of loss up to a few thousand,
 * reordering within 64, forged packets (random seq, never committed), over
 * many wraps. Every authentic packet must get its true index.
 */
static void test_stream(void)
{
	uint64_t rnd = 7, idx = 1000, sent = 0;
	struct vr_roc r;

	vr_roc_init(&r, (uint16_t)idx, 0);
	rx(&r, idx);
	while (idx < 40ull * 65536 && vr_test_failures < 20) {
		uint64_t x = check_rand(&rnd) % 1000;
		uint32_t v;

		if (x < 5) {
			idx += check_rand(&rnd) % 5000; /* burst loss */
		} else if (x < 100 && idx > 64) {
			rx(&r, idx - 1 - check_rand(&rnd) % 64); /* late */
			sent++;
			continue;
		} else if (x < 110) {
			uint16_t forged = (uint16_t)check_rand(&rnd);
			struct vr_roc before = r;

			vr_roc_estimate(&r, forged, &v); /* fails authentication: no commit */
			CHECK(r.roc == before.roc && r.s_l == before.s_l);
			continue;
		}
		rx(&r, ++idx);
		sent++;
	}
	CHECK(sent > 100000);
	printf("test_roc: %llu packets over %u wraps\n", (unsigned long long)sent, r.roc);
	CHECK_EQ(r.roc, (uint32_t)(idx >> 16));
}

int main(void)
{
	test_wrap();
	test_loss();
	test_unauthenticated();
	test_stream();
	return vr_test_done("test_roc");
}
