/* SPDX-License-Identifier: BSD-3-Clause */
/* Maglev lookup table builder (Eisenbud et al., NSDI 2016, section 3.4, Pseudocode 1). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_jhash.h>

#include "voxrelay/maglev.h"

/* Turn keys pack (round << ML_IDX_BITS) | name-order index, so one integer
 * compare orders turns first by round, then by name within the round. */
#define ML_IDX_BITS 12
_Static_assert((1u << ML_IDX_BITS) >= VR_MAX_BACKENDS, "index must fit in a turn key");

/* A backend with weight taking part in the build, in name order. */
struct ml_backend {
	uint32_t pos;    /* permutation[i][next[i]]: the slot it wants next */
	uint32_t skip;
	uint32_t weight;
	uint32_t turns;  /* turns taken so far */
	uint32_t claimed;
	uint16_t id;
};

bool vr_is_prime(uint32_t n)
{
	if (n < 2)
		return false;
	if (n < 4)
		return true;
	if (n % 2 == 0 || n % 3 == 0)
		return false;
	/* Every prime above 3 is 6k +- 1; 64-bit square avoids overflow near 2^32. */
	for (uint64_t d = 5; d * d <= n; d += 6) {
		if (n % d == 0 || n % (d + 2) == 0)
			return false;
	}
	return true;
}

/* Pack the name into little-endian words plus its length so the hash does not
 * depend on host byte order or on the string's alignment. */
static uint32_t ml_name_words(const char *name, uint32_t *words)
{
	size_t len = strlen(name);
	uint32_t nw = (uint32_t)((len + 3) / 4);

	memset(words, 0, (size_t)nw * sizeof(*words));
	for (size_t i = 0; i < len; i++)
		words[i / 4] |= (uint32_t)(uint8_t)name[i] << (8 * (i % 4));
	words[nw] = (uint32_t)len;
	return nw + 1;
}

/* Round in which a backend of weight w takes its k-th turn (k >= 1): the
 * first r with floor(r * w / wmax) >= k. */
static inline uint64_t ml_turn_round(uint32_t k, uint32_t w, uint32_t wmax)
{
	return ((uint64_t)k * wmax + w - 1) / w;
}

static inline uint64_t ml_turn_key(const struct ml_backend *b, uint32_t idx, uint32_t wmax)
{
	return (ml_turn_round(b->turns + 1, b->weight, wmax) << ML_IDX_BITS) | idx;
}

static void ml_sift_down(uint64_t *heap, uint32_t n, uint32_t i)
{
	uint64_t v = heap[i];

	for (;;) {
		uint32_t c = 2 * i + 1;

		if (c >= n)
			break;
		if (c + 1 < n && heap[c + 1] < heap[c])
			c++;
		if (heap[c] >= v)
			break;
		heap[i] = heap[c];
		i = c;
	}
	heap[i] = v;
}

static int ml_cmp_idx(const struct vr_maglev_backend *be, uint32_t x, uint32_t y)
{
	return strcmp(be[x].name, be[y].name);
}

/* Bottom-up merge sort of indexes by name: O(n log n), reentrant (qsort
 * would need a global to reach the names, which would break thread safety). */
static void ml_sort(const struct vr_maglev_backend *be, uint32_t *idx, uint32_t *tmp, uint32_t n)
{
	for (uint32_t width = 1; width < n; width *= 2) {
		for (uint32_t lo = 0; lo < n; lo += 2 * width) {
			uint32_t mid = lo + width < n ? lo + width : n;
			uint32_t hi = lo + 2 * width < n ? lo + 2 * width : n;
			uint32_t i = lo, j = mid, k = lo;

			while (i < mid && j < hi)
				tmp[k++] = ml_cmp_idx(be, idx[j], idx[i]) < 0 ? idx[j++] : idx[i++];
			while (i < mid)
				tmp[k++] = idx[i++];
			while (j < hi)
				tmp[k++] = idx[j++];
		}
		memcpy(idx, tmp, (size_t)n * sizeof(*idx));
	}
}

struct vr_maglev_table *vr_maglev_build(const struct vr_maglev_backend *backends,
					uint32_t n, uint32_t size)
{
	struct vr_maglev_table *t = NULL;
	struct ml_backend *act = NULL;
	uint32_t *order = NULL, *tmp = NULL, *words = NULL;
	uint64_t *heap = NULL;
	uint8_t *id_seen = NULL;
	size_t max_len = 0;
	uint32_t nact = 0, wmax = 0;
	int err = 0;

	if (size < 3 || size > VR_MAGLEV_MAX_SIZE || !vr_is_prime(size) ||
	    n > VR_MAX_BACKENDS || (n > 0 && backends == NULL)) {
		err = EINVAL;
		goto out;
	}
	for (uint32_t i = 0; i < n; i++) {
		if (backends[i].name == NULL || backends[i].weight > VR_MAGLEV_MAX_WEIGHT ||
		    backends[i].id >= VR_MAX_BACKENDS) {
			err = EINVAL;
			goto out;
		}
	}

	t = malloc(sizeof(*t) + (size_t)size * sizeof(t->slots[0]));
	order = malloc(((size_t)n + 1) * sizeof(*order));
	tmp = malloc(((size_t)n + 1) * sizeof(*tmp));
	act = malloc(((size_t)n + 1) * sizeof(*act));
	heap = malloc(((size_t)n + 1) * sizeof(*heap));
	id_seen = calloc(VR_MAX_BACKENDS, 1);
	if (t == NULL || order == NULL || tmp == NULL || act == NULL || heap == NULL ||
	    id_seen == NULL) {
		err = ENOMEM;
		goto out;
	}
	t->size = size;
	t->nb_backends = 0;
	for (uint32_t s = 0; s < size; s++)
		t->slots[s] = VR_BACKEND_NONE;

	for (uint32_t i = 0; i < n; i++)
		order[i] = i;
	ml_sort(backends, order, tmp, n);
	for (uint32_t i = 0; i < n; i++) {
		const struct vr_maglev_backend *b = &backends[order[i]];

		if ((i > 0 && strcmp(backends[order[i - 1]].name, b->name) == 0) ||
		    id_seen[b->id]) {
			err = EINVAL;
			goto out;
		}
		id_seen[b->id] = 1;
		size_t len = strlen(b->name);
		if (len > max_len)
			max_len = len;
		if (b->weight > wmax)
			wmax = b->weight;
	}
	if (wmax == 0)
		goto out; /* no backend with weight: every slot stays empty */

	words = malloc((max_len / 4 + 2) * sizeof(*words));
	if (words == NULL) {
		err = ENOMEM;
		goto out;
	}
	for (uint32_t i = 0; i < n; i++) {
		const struct vr_maglev_backend *b = &backends[order[i]];
		struct ml_backend *a = &act[nact];

		if (b->weight == 0)
			continue;
		uint32_t nw = ml_name_words(b->name, words);
		uint32_t h1 = rte_jhash_32b(words, nw, VR_MAGLEV_SEED1);
		uint32_t h2 = rte_jhash_32b(words, nw, VR_MAGLEV_SEED2);

		a->pos = h1 % size;
		a->skip = h2 % (size - 1) + 1;
		a->weight = b->weight;
		a->turns = 0;
		a->claimed = 0;
		a->id = b->id;
		heap[nact] = ml_turn_key(a, nact, wmax);
		nact++;
	}
	/* Keys were pushed in increasing index order, but rounds differ with
	 * weight, so heapify. */
	for (uint32_t i = nact / 2; i-- > 0;)
		ml_sift_down(heap, nact, i);

	/* Pseudocode 1, with the round-robin replaced by the weighted turn
	 * schedule: the heap yields turns in (round, name) order without
	 * visiting backends that have no turn in a round. */
	for (uint32_t filled = 0; filled < size;) {
		uint32_t i = (uint32_t)(heap[0] & ((1u << ML_IDX_BITS) - 1));
		struct ml_backend *a = &act[i];

		/* skip is in [1, M-1] and M is prime, so the walk visits every
		 * slot and must reach an empty one while filled < M. */
		while (t->slots[a->pos] != VR_BACKEND_NONE) {
			a->pos += a->skip;
			if (a->pos >= size)
				a->pos -= size;
		}
		t->slots[a->pos] = a->id;
		a->pos += a->skip;
		if (a->pos >= size)
			a->pos -= size;
		a->claimed++;
		a->turns++;
		filled++;
		heap[0] = ml_turn_key(a, i, wmax);
		ml_sift_down(heap, nact, 0);
	}
	for (uint32_t i = 0; i < nact; i++)
		t->nb_backends += act[i].claimed > 0;

out:
	free(order);
	free(tmp);
	free(act);
	free(heap);
	free(id_seen);
	free(words);
	if (err != 0) {
		free(t);
		errno = err;
		return NULL;
	}
	return t;
}

void vr_maglev_free(struct vr_maglev_table *t)
{
	free(t);
}

void vr_maglev_shares(const struct vr_maglev_table *t, uint32_t *counts)
{
	for (uint32_t s = 0; s < t->size; s++) {
		uint16_t id = t->slots[s];

		if (id < VR_MAX_BACKENDS)
			counts[id]++;
	}
}
