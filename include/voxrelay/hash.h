/* SPDX-License-Identifier: BSD-3-Clause */
/* Hash functions for flows and Maglev permutations (stable across processes and hosts). */
#ifndef VOXRELAY_HASH_H
#define VOXRELAY_HASH_H

#include <stdint.h>
#include <rte_jhash.h>

#include "voxrelay/common.h"

/**
 * Hash of a flow key for Maglev lookups, conntrack buckets and the GUE outer
 * source port. Uses DPDK's jhash (header-only, no EAL). The result depends
 * only on the bytes of @k and @seed, so every balancer behind ECMP computes
 * the same value for the same packet.
 *
 * @param k     flow key (40 bytes)
 * @param seed  per-purpose seed
 * @return 32-bit hash. Thread-safe, pure.
 */
static inline uint32_t vr_flow_hash(const struct vr_flow_key *k, uint32_t seed)
{
	uint32_t w[sizeof(*k) / 4];

	/* Read the key as words through a copy: a cast would break strict
	 * aliasing and let the compiler hash stale bytes. */
	memcpy(w, k, sizeof(w));
	return rte_jhash_32b(w, sizeof(w) / 4, seed);
}

#endif
