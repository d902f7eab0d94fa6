/* SPDX-License-Identifier: BSD-3-Clause */
/* Maglev lookup table: build from backends, look up by flow hash (Eisenbud et al., NSDI 2016). */
#ifndef VOXRELAY_MAGLEV_H
#define VOXRELAY_MAGLEV_H

#include <stdint.h>

#include "voxrelay/common.h"

/** Seeds of the two name hashes h1 and h2 (see vr_maglev_build()). Changing
 * them changes every table: all balancers behind one ECMP group must agree. */
#define VR_MAGLEV_SEED1 0x4d61676cu
#define VR_MAGLEV_SEED2 0x65765f32u
/** Largest backend weight. */
#define VR_MAGLEV_MAX_WEIGHT 65535u

/** One backend as the table builder sees it. */
struct vr_maglev_backend {
	const char *name; /**< stable name hashed for offset/skip (e.g. "10.0.1.2"); NUL-terminated */
	uint32_t weight;  /**< relative weight, 0 = takes no slots; at most VR_MAGLEV_MAX_WEIGHT */
	uint16_t id;      /**< backend id written into the table's slots; < VR_MAX_BACKENDS */
};

/**
 * A built Maglev lookup table: @size slots, each holding a backend id or
 * VR_BACKEND_NONE when no backend has weight. Immutable once built; readers
 * on any lcore may look it up concurrently without locks.
 */
struct vr_maglev_table {
	uint32_t size;      /**< M, a prime */
	uint32_t nb_backends; /**< backends with weight > 0 that took slots */
	uint16_t slots[];   /**< M backend ids */
};

/**
 * True if @n is prime (deterministic trial division; n < 2^32).
 * Thread-safe, pure.
 */
bool vr_is_prime(uint32_t n);

/**
 * Build a Maglev lookup table (paper section 3.4, Pseudocode 1).
 *
 * Each backend i gets offset = h1(name) mod M and skip = h2(name) mod (M-1) + 1
 * and so the permutation permutation[i][j] = (offset + j * skip) mod M. Backends
 * take turns claiming their next preferred empty slot until all M are full.
 *
 * h1 and h2 are rte_jhash_32b() with seeds VR_MAGLEV_SEED1 and VR_MAGLEV_SEED2
 * over the words w[0..L/4] built from the name's L bytes b[] as
 * w[j] = b[4j] | b[4j+1] << 8 | b[4j+2] << 16 | b[4j+3] << 24 (zero-padded),
 * followed by one more word holding L. The words are assembled arithmetically,
 * so the hashes depend neither on the host's byte order nor on alignment.
 *
 * Weights are honoured by turns (paper section 3.4 leaves the scheme open):
 * with W the largest weight, every round each backend earns weight/W of a
 * turn and takes one turn per whole credit it has accumulated, so after r
 * rounds a backend of weight w has taken floor(r * w / W) turns. Within a
 * round, turns go in name order (strcmp). Each turn claims exactly one slot
 * and the table fills during some round R + 1, so a backend of weight w owns
 * between floor(R * w / W) and floor((R + 1) * w / W) slots: proportional to
 * weight to within one slot. With equal weights every backend owns
 * floor(M/N) or ceil(M/N) slots. Backends of weight 0 take no slots.
 * The result depends only on the names, weights and ids (not on their order
 * in @backends, which is sorted by name first), so every balancer builds the
 * same table.
 *
 * Cost: O(M log N) turns plus the expected O(M log M) probes of
 * Pseudocode 1; memory O(N) besides the table (no M x N permutation matrix).
 *
 * @param backends    @n backends; names must be distinct, ids distinct and
 *                    below VR_MAX_BACKENDS
 * @param n           number of backends, <= VR_MAX_BACKENDS (0 gives a
 *                    table of VR_BACKEND_NONE; @backends may then be NULL)
 * @param size        M: a prime, 3 <= M <= VR_MAGLEV_MAX_SIZE
 * @return a new table (free with vr_maglev_free()), or NULL with errno:
 *         EINVAL (M not prime or out of range, n too large, duplicate or
 *         NULL name, duplicate id or id >= VR_MAX_BACKENDS, weight > 65535),
 *         ENOMEM.
 * Allocates; call off the fast path. Thread-safe (no shared state).
 */
struct vr_maglev_table *vr_maglev_build(const struct vr_maglev_backend *backends,
					uint32_t n, uint32_t size);

/** Free a table built by vr_maglev_build(); NULL is a no-op. */
void vr_maglev_free(struct vr_maglev_table *t);

/**
 * Backend id for a flow hash: slots[hash mod M]. VR_BACKEND_NONE if the
 * table has no backend. Thread-safe, lock-free, O(1).
 */
static inline uint16_t vr_maglev_lookup(const struct vr_maglev_table *t, uint32_t hash)
{
	return t->slots[hash % t->size];
}

/**
 * Count the slots each backend id owns.
 *
 * @param t       table
 * @param counts  array indexed by backend id, VR_MAX_BACKENDS entries, zeroed
 *                by the caller; incremented per slot (VR_BACKEND_NONE slots
 *                are not counted)
 * Thread-safe (reads @t only).
 */
void vr_maglev_shares(const struct vr_maglev_table *t, uint32_t *counts);

#endif
