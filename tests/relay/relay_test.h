/* SPDX-License-Identifier: BSD-3-Clause */
/* Shared by the relay tests: tests/packet's checks and guard pages, plus a reproducible random stream. */
#ifndef VR_TESTS_RELAY_RELAY_TEST_H
#define VR_TESTS_RELAY_RELAY_TEST_H

#include "voxrelay/common.h"

#include "../packet/testutil.h"

/* splitmix64, as tests/common/check.h has it (that header's CHECK clashes with testutil.h's). */
static inline uint64_t check_rand(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

#endif
