/* SPDX-License-Identifier: BSD-3-Clause */
/* Minimal assertion helpers shared by the lbcore unit tests (count failures, keep going). */
#ifndef VOXRELAY_TESTS_LBCORE_CHECK_H
#define VOXRELAY_TESTS_LBCORE_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "voxrelay/common.h"

static int check_failures;

/* Keep going after a failure so one run shows every broken property. */
#define CHECK(cond)                                                                     \
	do {                                                                            \
		if (!(cond)) {                                                          \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, \
				#cond);                                                 \
			check_failures++;                                               \
		}                                                                       \
	} while (0)

#define CHECK_MSG(cond, ...)                                                            \
	do {                                                                            \
		if (!(cond)) {                                                          \
			fprintf(stderr, "%s:%d: CHECK failed: %s: ", __FILE__, __LINE__, \
				#cond);                                                 \
			fprintf(stderr, __VA_ARGS__);                                   \
			fputc('\n', stderr);                                            \
			check_failures++;                                               \
		}                                                                       \
	} while (0)

static inline int check_report(const char *name)
{
	if (check_failures != 0) {
		fprintf(stderr, "%s: %d check(s) failed\n", name, check_failures);
		return EXIT_FAILURE;
	}
	printf("%s: all checks passed\n", name);
	return EXIT_SUCCESS;
}

/* splitmix64: a reproducible stream for test inputs, independent of libc rand(). */
static inline uint64_t check_rand(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Distinct IPv4 UDP flow number @i towards one VIP. */
static inline void check_flow_key(struct vr_flow_key *k, uint32_t i)
{
	memset(k, 0, sizeof(*k));
	k->src[10] = 0xff;
	k->src[11] = 0xff;
	k->src[12] = 10;
	k->src[13] = (uint8_t)(i >> 16);
	k->src[14] = (uint8_t)(i >> 8);
	k->src[15] = (uint8_t)i;
	k->dst[10] = 0xff;
	k->dst[11] = 0xff;
	k->dst[12] = 192;
	k->dst[13] = 0;
	k->dst[14] = 2;
	k->dst[15] = 10;
	k->sport = (uint16_t)(1024 + (i >> 24));
	k->dport = 50000;
	k->proto = 17;
	k->family = 2;
	k->vip_id = 1;
}

#endif
