/* SPDX-License-Identifier: BSD-3-Clause */
/* Hash functions for flows and addresses (stable across processes and hosts). */
#ifndef VOXRELAY_HASH_H
#define VOXRELAY_HASH_H

#include <stdint.h>
#if defined(__SSE4_2__)
#include <nmmintrin.h>
#elif defined(__ARM_FEATURE_CRC32)
#include <arm_acle.h>
#endif

#include "voxrelay/common.h"

/**
 * CRC32C (Castagnoli, RFC 3720 appendix B.4) of the 8 bytes of @v in memory
 * order, continuing from @crc. The SSE4.2 and arm64 instructions and the
 * bitwise fallback give the same value, so hosts of any kind agree.
 */
static inline uint32_t vr_crc32c_u64(uint32_t crc, uint64_t v)
{
#if defined(__SSE4_2__)
	return (uint32_t)_mm_crc32_u64(crc, v);
#elif defined(__ARM_FEATURE_CRC32)
	return __crc32cd(crc, v);
#else
	for (int i = 0; i < 64; i++) {
		crc ^= (uint32_t)(v >> i) & 1u;
		crc = (crc >> 1) ^ (0x82f63b78u & (0u - (crc & 1u)));
	}
	return crc;
#endif
}

/* murmur3's 32-bit finaliser: CRC32C is linear, this spreads every input
 * bit over the low bits that `mod M` and port ranges consume. */
static inline uint32_t vr_hash_mix(uint32_t h)
{
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return h;
}

/**
 * Hash of a flow key for Maglev lookups, conntrack buckets and the GUE outer
 * source port: CRC32C over the 40 key bytes (vr_crc32c_u64()), then a finaliser. Header-only, no EAL. The value depends only on the
 * bytes of @k and @seed, so every balancer behind ECMP computes the same one
 * for the same packet.
 *
 * @param k     flow key (40 bytes)
 * @param seed  per-purpose seed
 * @return 32-bit hash. Thread-safe, pure.
 */
static inline uint32_t vr_flow_hash(const struct vr_flow_key *k, uint32_t seed)
{
	uint64_t w[sizeof(*k) / 8];
	uint32_t h = seed;

	/* Read the key as words through a copy: a cast would break strict
	 * aliasing and let the compiler hash stale bytes. */
	memcpy(w, k, sizeof(w));
	for (unsigned int i = 0; i < sizeof(w) / 8; i++)
		h = vr_crc32c_u64(h, w[i]);
	return vr_hash_mix(h);
}

/** Hash of an address (16 bytes and family), as vr_flow_hash(). Thread-safe, pure. */
static inline uint32_t vr_addr_hash(const struct vr_addr *a, uint32_t seed)
{
	uint64_t w[2];

	memcpy(w, a->a.b, sizeof(w));
	return vr_hash_mix(vr_crc32c_u64(vr_crc32c_u64(seed ^ a->family, w[0]), w[1]));
}

#endif
