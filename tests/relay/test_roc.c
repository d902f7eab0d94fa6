/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests of vr_roc_guess(), the relay's SRTP ROC estimation (RFC 3711 3.3.1, Appendix A): wraps, reordering across a wrap, loss, forged packets, and libsrtp's own estimate on the same inputs. */
#include <srtp2/srtp.h>

/* libsrtp's crypto/include/rdbx.h reads the macros of the subproject's
 * config.h, which is not on our include path; these are its values on
 * Linux (any 64-bit glibc), enough for the header's types. */
#define HAVE_STDINT_H 1
#define HAVE_INTTYPES_H 1
#define HAVE_STDLIB_H 1
#define HAVE_SYS_TYPES_H 1
#define HAVE_NETINET_IN_H 1
#define HAVE_UINT8_T 1
#define HAVE_UINT16_T 1
#define HAVE_UINT32_T 1
#define HAVE_UINT64_T 1
#define HAVE_INT32_T 1
#include "rdbx.h"

#include "voxrelay/roc.h"

#include "relay_test.h"

/* Receive the packet of index @true_index on a stream whose highest index is
 * *highest: its guessed ROC must be the true one; advance as after
 * authentication. */
static void rx(uint64_t *highest, uint64_t true_index)
{
	uint32_t v = vr_roc_guess(*highest, (uint16_t)true_index);

	CHECK_EQ(v, (uint32_t)(true_index >> 16));
	if (true_index > *highest)
		*highest = true_index;
}

static uint64_t idx(uint32_t roc, uint16_t seq)
{
	return (uint64_t)roc << 16 | seq;
}

static void test_wrap(void)
{
	uint64_t h = 65530;

	for (uint64_t i = 65530; i < 65536 * 3 + 10; i++)
		rx(&h, i);
	CHECK_EQ(h, idx(3, 9));

	/* reordering across the wrap: 65534, 1, 65535, 2 */
	h = idx(7, 65533);
	rx(&h, idx(7, 65534));
	rx(&h, idx(8, 1));
	CHECK_EQ(h, idx(8, 1));
	rx(&h, idx(7, 65535)); /* late, from the previous ROC: v = ROC - 1, no change */
	CHECK_EQ(h, idx(8, 1));
	rx(&h, idx(8, 2));
	rx(&h, idx(8, 0)); /* late, same ROC */
	CHECK_EQ(h, idx(8, 2));

	/* v = ROC - 1 wraps modulo 2^32 (Appendix A) */
	CHECK_EQ(vr_roc_guess(idx(0xffffffffu, 10), 65000), 0xfffffffeu);
	CHECK_EQ(vr_roc_guess(idx(0xffffffffu, 65000), 10), 0u);
	CHECK_EQ(vr_roc_guess(idx(1, 5), 65000), 0u);
	/* libsrtp's rule: up to index 2^15 the guess is ROC 0, never Appendix
	 * A's ROC - 1 = 2^32 - 1 at the start of a stream */
	CHECK_EQ(vr_roc_guess(0, 65000), 0u);
	CHECK_EQ(vr_roc_guess(5, 65000), 0u);
	CHECK_EQ(vr_roc_guess(0x8000, 0), 0u);
	CHECK_EQ(vr_roc_guess(0x8000, 65535), 0u);
	/* and Appendix A from 2^15 + 1 on */
	CHECK_EQ(vr_roc_guess(0x8001, 0), 1u);
	CHECK_EQ(vr_roc_guess(0x8001, 1), 0u);
}

static void test_loss(void)
{
	static const uint16_t starts[] = { 0, 1, 100, 32766, 32767, 32768, 32769, 40000, 65534, 65535 };

	for (size_t i = 0; i < VR_ARRAY_SIZE(starts); i++) {
		uint64_t base = idx(5, starts[i]), h;

		for (uint32_t gap = 1; gap <= 32767; gap += gap < 100 ? 1 : 97) {
			/* gap - 1 packets lost forward; the next one lands right */
			h = base;
			rx(&h, base + gap);
			/* and one that late, backwards, too */
			h = base;
			rx(&h, base - gap);
			CHECK_EQ(h, base);
		}
		h = base;
		rx(&h, base + 32767);
		h = base;
		rx(&h, base - 32767);
		/* 32768 away is ambiguous: the guess is whichever side Appendix A
		 * picks, never anything else */
		uint64_t g = idx(vr_roc_guess(base, (uint16_t)(starts[i] + 32768)), (uint16_t)(starts[i] + 32768));
		CHECK(g == base + 32768 || g == base - 32768);
		/* beyond 2^15 of loss the guess is one ROC too low: what the
		 * relay's "ROC + 1 once" retry (relay.c unprotect_rtp()) is for */
		CHECK_EQ(vr_roc_guess(base, (uint16_t)(starts[i] + 40000)), (uint32_t)((base + 40000) >> 16) - 1);
	}
}

/*
 * A relay's view of a long stream: bursts of loss up to a few thousand,
 * reordering within 64, forged packets (random seq: guessed, never
 * authenticated, so the highest index stays), over many wraps. Every
 * authentic packet must get its true index.
 */
static void test_stream(void)
{
	uint64_t rnd = 7, i = 1000, h = 1000, sent = 0;

	while (i < 40ull * 65536 && vr_test_failures < 20) {
		uint64_t x = vr_splitmix64(&rnd) % 1000;

		if (x < 5) {
			i += vr_splitmix64(&rnd) % 5000; /* burst loss */
		} else if (x < 100 && i > 64) {
			rx(&h, i - 1 - vr_splitmix64(&rnd) % 64); /* late */
			sent++;
			continue;
		} else if (x < 110) {
			(void)vr_roc_guess(h, (uint16_t)vr_splitmix64(&rnd)); /* fails authentication: h stays */
			continue;
		}
		rx(&h, ++i);
		sent++;
	}
	CHECK(sent > 100000);
	printf("test_roc: %llu packets over %u wraps\n", (unsigned long long)sent, (uint32_t)(h >> 16));
	CHECK_EQ(h, i);
}

/* libsrtp's own estimate (srtp_rdbx_estimate_index(), what srtp_unprotect
 * and srtp_protect use) on the same inputs: the relay mirrors it, so any
 * disagreement would be a packet the relay and libsrtp place differently. */
static unsigned long agree, disagree;

static void vs_libsrtp(uint64_t highest, uint16_t seq)
{
	srtp_rdbx_t rdbx;
	srtp_xtd_seq_num_t guess = 0;
	uint32_t v = vr_roc_guess(highest, seq);

	memset(&rdbx, 0, sizeof(rdbx));
	rdbx.index = highest;
	srtp_rdbx_estimate_index(&rdbx, &guess, seq);
	if ((uint32_t)(guess >> 16) == v && (uint16_t)guess == seq) {
		agree++;
	} else {
		disagree++;
		vr_test_checks++;
		vr_test_failures++;
		if (disagree < 10)
			fprintf(stderr, "highest %#llx seq %u: vr_roc_guess %u, libsrtp %u\n", (unsigned long long)highest,
				seq, v, (uint32_t)(guess >> 16));
	}
}

static void test_libsrtp(void)
{
	static const uint64_t highs[] = { 0, 1, 0x7fff, 0x8000, 0x8001, 0xffff, 0x10000, 0x17fff, 0x18000, 0x18001,
					  0x5fffe, 3ull << 16 | 32767, 3ull << 16 | 32768, 0xffffffffull << 16,
					  0xffffffffull << 16 | 65535, 0xffffffffull << 16 | 32768 };
	uint64_t rnd = 11;

	/* every SEQ against the edges */
	for (size_t i = 0; i < VR_ARRAY_SIZE(highs); i++)
		for (uint32_t seq = 0; seq < 65536; seq++)
			vs_libsrtp(highs[i], (uint16_t)seq);
	/* and random states of any ROC, small ones more often */
	for (int i = 0; i < 2000000; i++) {
		uint64_t r = vr_splitmix64(&rnd);
		uint64_t highest = (r & 1) ? (r >> 1) % 0x30000 : (r >> 16) & 0xffffffffffffull;

		vs_libsrtp(highest, (uint16_t)vr_splitmix64(&rnd));
	}
	printf("test_roc: vr_roc_guess and libsrtp agree on %lu of %lu estimates\n", agree, agree + disagree);
	vr_test_checks++;
}

int main(void)
{
	test_wrap();
	test_loss();
	test_stream();
	test_libsrtp();
	return vr_test_done("test_roc");
}
