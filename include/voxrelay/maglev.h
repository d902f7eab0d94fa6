/* SPDX-License-Identifier: BSD-3-Clause */
/* Maglev lookup table: build from backends, look up by flow hash (Eisenbud et al., NSDI 2016). */
#ifndef VOXRELAY_MAGLEV_H
#define VOXRELAY_MAGLEV_H

#include <stdint.h>

#include "voxrelay/common.h"

/** One backend as the table builder sees it. */
struct vr_maglev_backend {
	const char *name; /**< stable name hashed for offset/skip (e.g. "10.0.1.2"); NUL-terminated */
	uint32_t weight;  /**< relative weight, 0 = takes no slots; at most 65535 */
	uint16_t id;      /**< backend id written into the table's slots */
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
 * Weights are honoured by turns: in each round a backend takes as many turns
 * as its weight relative to the others, so slot shares are proportional to
 * weight (paper section 3.4, "weighted backends"). The result depends only on
 * the names, weights and ids (not on their order in @backends, which is sorted
 * by name first), so every balancer builds the same table.
 *
 * @param backends    @n backends; names must be distinct
 * @param n           number of backends (0 gives a table of VR_BACKEND_NONE)
 * @param size        M: a prime, 3 <= M <= VR_MAGLEV_MAX_SIZE
 * @return a new table (free with vr_maglev_free()), or NULL with errno:
 *         EINVAL (M not prime or out of range, duplicate or NULL name,
 *         weight > 65535), ENOMEM.
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
 *                by the caller; incremented per slot
 */
void vr_maglev_shares(const struct vr_maglev_table *t, uint32_t *counts);

#endif
