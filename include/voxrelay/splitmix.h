/* SPDX-License-Identifier: BSD-3-Clause */
/* splitmix64: the reproducible pseudo-random stream of the tests and packet generators (not for keys or anything secret). */
#ifndef VOXRELAY_SPLITMIX_H
#define VOXRELAY_SPLITMIX_H

#include <stdint.h>

/**
 * Next value of Vigna's splitmix64 (the seeding generator of xoshiro): the
 * same @state seed always gives the same stream, independent of libc rand().
 * Not cryptographic.
 *
 * @param state  the generator's state, any seed; advanced by one step
 * @return 64 well-mixed bits. Pure on @state; one state per thread.
 */
static inline uint64_t vr_splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

#endif
