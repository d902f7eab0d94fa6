/* SPDX-License-Identifier: BSD-3-Clause */
/* Per-lcore UDP conntrack: two-choice 8-way buckets with 16-bit signatures, idle expiry, LRU eviction. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "voxrelay/conntrack.h"
#include "voxrelay/hash.h"

#define CT_WAYS 8
#define CT_MIN_CAPACITY 64u
#define CT_MAX_CAPACITY (1u << 26)
/* Tables at least this big are aligned to transparent huge pages. */
#define CT_HUGE_PAGE (2u << 20)

/* Key and last-seen time together: a hit reads and writes one entry. */
struct ct_entry {
	uint64_t last_seen;
	struct vr_flow_key key;
};

/*
 * First cache line: everything a search needs (signatures, occupancy) and
 * the values, so a hit touches this line plus the one or two lines of the
 * matching entry. 64 + 8 * 48 = 448 bytes = 7 lines, 56 bytes per slot.
 */
struct ct_bucket {
	uint16_t sig[CT_WAYS];
	struct vr_ct_value val[CT_WAYS];
	uint8_t used; /* bit i: entry i holds a flow (0 is a valid timestamp, so not that) */
	uint8_t alt;  /* bit i: entry i sits in its flow's second bucket */
	uint8_t pad[VR_CACHE_LINE - CT_WAYS * 2 - CT_WAYS * 4 - 2];
	struct ct_entry ent[CT_WAYS];
} __attribute__((aligned(VR_CACHE_LINE)));

_Static_assert(sizeof(struct vr_flow_key) == 40, "flow key must have no holes");
_Static_assert(sizeof(struct ct_bucket) == 448, "bucket must be 7 cache lines");

struct vr_conntrack {
	struct ct_bucket *buckets;
	size_t bytes; /* allocated for buckets, at least nb_buckets of them */
	uint32_t nb_buckets;
	uint32_t used; /* entries holding a flow, live or expired */
	uint32_t cuckoo_max_used; /* above this, a cuckoo step is not tried */
	uint32_t seed;
	uint64_t timeout;
	struct vr_ct_stats stats;
};

/* Where a flow may live: two distinct buckets, and its signature. */
struct ct_place {
	uint32_t b[2];
	uint16_t sig;
};

/* Distance from a flow's first bucket to its second, in [1, nb - 1]: derived
 * from the signature alone so that an entry can be moved to its other bucket
 * without knowing its hash. */
static inline uint32_t ct_offset(const struct vr_conntrack *ct, uint16_t sig)
{
	return 1 + (uint32_t)(((uint64_t)sig * (ct->nb_buckets - 1)) >> 16);
}

/*
 * Two choices: with one bucket per flow, 8-way buckets at 7/8 average load
 * overflow for 9.2% of flows (Poisson(7) tail). Placing each new flow in the
 * emptier of two buckets, and moving one entry to its other bucket when both
 * are full (one-step cuckoo), removes that overflow. Multiply-shift range
 * reduction maps the hash onto any bucket count without a modulo; it
 * consumes the high bits, the signature the low ones.
 */
static inline void ct_place(const struct vr_conntrack *ct, uint32_t hash, struct ct_place *p)
{
	/* The flow hash is stable and public by design (every balancer must
	 * compute the same one), so anyone could aim flows at one bucket and
	 * evict its flows. A keyed bijection of it (the murmur3 finaliser
	 * after xor with the per-table seed) means aiming takes full 32-bit
	 * hash collisions. */
	uint32_t h = vr_hash_mix(hash ^ ct->seed);
	uint32_t b1 = (uint32_t)(((uint64_t)h * ct->nb_buckets) >> 32);
	uint32_t b2 = b1 + ct_offset(ct, (uint16_t)h);

	p->b[0] = b1;
	p->b[1] = b2 >= ct->nb_buckets ? b2 - ct->nb_buckets : b2;
	p->sig = (uint16_t)h;
}

/* The other bucket of entry @i of bucket @x. */
static inline uint32_t ct_other(const struct vr_conntrack *ct, uint32_t x, int i)
{
	const struct ct_bucket *b = &ct->buckets[x];
	uint32_t off = ct_offset(ct, b->sig[i]);

	if (b->alt & (1u << i))
		return x >= off ? x - off : x + ct->nb_buckets - off;
	return x + off >= ct->nb_buckets ? x + off - ct->nb_buckets : x + off;
}

/* A clock that seems to run backwards (another lcore's TSC, a test) must not
 * expire a fresh flow, so an entry from the future has age 0. */
static inline bool ct_live(const struct vr_conntrack *ct, uint64_t last_seen, uint64_t now)
{
	return now <= last_seen || now - last_seen <= ct->timeout;
}

/* Bit i set where the signature of entry i equals @sig and entry i is used. */
static inline uint32_t ct_sig_match(const struct ct_bucket *b, uint16_t sig)
{
#ifdef __SSE2__
	__m128i sigs = _mm_load_si128((const __m128i *)b->sig);
	__m128i eq = _mm_cmpeq_epi16(sigs, _mm_set1_epi16((short)sig));
	/* packs keeps one byte per 16-bit lane: 0xff where equal */
	uint32_t m = (uint32_t)_mm_movemask_epi8(_mm_packs_epi16(eq, eq)) & 0xffu;

	return m & b->used;
#else
	uint32_t m = 0;

	for (unsigned i = 0; i < CT_WAYS; i++)
		m |= (uint32_t)(b->sig[i] == sig) << i;
	return m & b->used;
#endif
}

static inline bool ct_key_eq(const struct vr_flow_key *x, const struct vr_flow_key *y)
{
	uint64_t a[5], c[5];

	memcpy(a, x, sizeof(a));
	memcpy(c, y, sizeof(c));
	return ((a[0] ^ c[0]) | (a[1] ^ c[1]) | (a[2] ^ c[2]) | (a[3] ^ c[3]) |
		(a[4] ^ c[4])) == 0;
}

/* Index of the used entry holding @key in @b, or -1. */
static inline int ct_find(const struct ct_bucket *b, const struct vr_flow_key *key, uint16_t sig)
{
	uint32_t m = ct_sig_match(b, sig);

	while (m != 0) {
		int i = __builtin_ctz(m);

		if (ct_key_eq(&b->ent[i].key, key))
			return i;
		m &= m - 1;
	}
	return -1;
}

/* Locate @key: sets *@b to its bucket and returns its entry index, or -1. */
static inline int ct_locate(const struct vr_conntrack *ct, const struct ct_place *p,
			    const struct vr_flow_key *key, struct ct_bucket **b)
{
	for (int c = 0; c < 2; c++) {
		struct ct_bucket *cand = &ct->buckets[p->b[c]];
		int i = ct_find(cand, key, p->sig);

		if (i >= 0) {
			*b = cand;
			return i;
		}
	}
	return -1;
}

struct vr_conntrack *vr_ct_create(uint32_t capacity, uint64_t idle_timeout, uint32_t seed)
{
	struct vr_conntrack *ct = NULL;
	size_t bytes, align;
	int err = 0;

	if (capacity < CT_MIN_CAPACITY || capacity > CT_MAX_CAPACITY || idle_timeout == 0) {
		err = EINVAL;
		goto fail;
	}
	ct = calloc(1, sizeof(*ct));
	if (ct == NULL) {
		err = ENOMEM;
		goto fail;
	}
	/* 7 flows per 8-way bucket: @capacity fits at 7/8 average load. */
	ct->nb_buckets = (capacity + CT_WAYS - 2) / (CT_WAYS - 1);
	ct->timeout = idle_timeout;
	ct->seed = seed;
	/* Past ~98% occupancy a move rarely finds room, and each try is up to 16
	 * cache misses: an overloaded table (a flood of new flows) goes straight
	 * to eviction instead. */
	ct->cuckoo_max_used = ct->nb_buckets * CT_WAYS - ct->nb_buckets * CT_WAYS / 64;
	bytes = (size_t)ct->nb_buckets * sizeof(struct ct_bucket);
	align = VR_CACHE_LINE;
	if (bytes >= CT_HUGE_PAGE) {
		/* Random lookups over a big table miss the TLB on every packet
		 * with 4 KiB pages (twice over under a hypervisor). */
		align = CT_HUGE_PAGE;
	}
	if (posix_memalign((void **)&ct->buckets, align, bytes) != 0) {
		ct->buckets = NULL;
		err = ENOMEM;
		goto fail;
	}
	if (align == CT_HUGE_PAGE)
		(void)madvise(ct->buckets, bytes, MADV_HUGEPAGE); /* best effort */
	ct->bytes = bytes;
	memset(ct->buckets, 0, bytes);
	return ct;

fail:
	vr_ct_free(ct);
	errno = err;
	return NULL;
}

void vr_ct_free(struct vr_conntrack *ct)
{
	if (ct == NULL)
		return;
	free(ct->buckets);
	free(ct);
}

size_t vr_ct_memory(const struct vr_conntrack *ct)
{
	return sizeof(*ct) + ct->bytes;
}

void vr_ct_set_timeout(struct vr_conntrack *ct, uint64_t idle_timeout)
{
	ct->timeout = idle_timeout;
}

void vr_ct_prefetch(const struct vr_conntrack *ct, uint32_t hash)
{
	struct ct_place p;

	ct_place(ct, hash, &p);
	__builtin_prefetch(&ct->buckets[p.b[0]]);
	__builtin_prefetch(&ct->buckets[p.b[1]]);
}

void vr_ct_prefetch_entry(const struct vr_conntrack *ct, uint32_t hash)
{
	struct ct_place p;

	ct_place(ct, hash, &p);
	for (int c = 0; c < 2; c++) {
		const struct ct_bucket *b = &ct->buckets[p.b[c]];
		uint32_t m = ct_sig_match(b, p.sig);

		while (m != 0) {
			const struct ct_entry *e = &b->ent[__builtin_ctz(m)];

			/* An entry may straddle two cache lines. */
			__builtin_prefetch(e);
			__builtin_prefetch((const uint8_t *)e + sizeof(*e) - 1);
			m &= m - 1;
		}
	}
}

bool vr_ct_lookup(struct vr_conntrack *ct, const struct vr_flow_key *key, uint32_t hash,
		  uint64_t now, struct vr_ct_value *out)
{
	struct ct_place p;
	struct ct_bucket *b;
	int i;

	ct_place(ct, hash, &p);
	/* Start fetching the second candidate while the first is searched. */
	__builtin_prefetch(&ct->buckets[p.b[1]]);
	ct->stats.lookups++;
	i = ct_locate(ct, &p, key, &b);
	if (i < 0)
		return false;
	if (!ct_live(ct, b->ent[i].last_seen, now)) {
		/* Free it now so the insert that follows a miss finds room. */
		b->used &= (uint8_t)~(1u << i);
		ct->used--;
		ct->stats.expired++;
		return false;
	}
	if (now > b->ent[i].last_seen)
		b->ent[i].last_seen = now;
	*out = b->val[i];
	ct->stats.hits++;
	return true;
}

/* Move entry @i of bucket @x to the free entry @j of bucket @y, its other bucket. */
static void ct_move(struct vr_conntrack *ct, uint32_t x, int i, uint32_t y, int j)
{
	struct ct_bucket *from = &ct->buckets[x], *to = &ct->buckets[y];

	to->sig[j] = from->sig[i];
	to->val[j] = from->val[i];
	to->ent[j] = from->ent[i];
	to->used |= (uint8_t)(1u << j);
	if (from->alt & (1u << i))
		to->alt &= (uint8_t)~(1u << j);
	else
		to->alt |= (uint8_t)(1u << j);
	from->used &= (uint8_t)~(1u << i);
}

/*
 * Entry to take for a new flow, in order of preference: a free one in the
 * emptier candidate bucket (the first on a tie); an expired one; one freed
 * by moving a live entry to its other bucket; else the least recently used
 * of the 16 (ties: first bucket, lowest index), counted as an eviction.
 * Returns the entry index and sets *@c to the candidate (0 or 1) it is in.
 */
static int ct_victim(struct vr_conntrack *ct, const struct ct_place *p, uint64_t now, int *c)
{
	struct ct_bucket *b0 = &ct->buckets[p->b[0]], *b1 = &ct->buckets[p->b[1]];
	uint32_t free0 = (uint8_t)~b0->used, free1 = (uint8_t)~b1->used;
	int lru_c = 0, lru = 0;

	if ((free0 | free1) != 0) {
		ct->used++;
		*c = __builtin_popcount(free1) > __builtin_popcount(free0);
		return __builtin_ctz(*c ? free1 : free0);
	}
	for (int k = 0; k < 2; k++) {
		const struct ct_bucket *b = &ct->buckets[p->b[k]];

		for (int i = 0; i < CT_WAYS; i++) {
			if (!ct_live(ct, b->ent[i].last_seen, now)) {
				ct->stats.expired++;
				*c = k;
				return i;
			}
		}
	}
	for (int k = 0; k < 2 && ct->used <= ct->cuckoo_max_used; k++) {
		for (int i = 0; i < CT_WAYS; i++) {
			uint32_t y = ct_other(ct, p->b[k], i);
			uint32_t free_y = (uint8_t)~ct->buckets[y].used;

			if (free_y != 0) {
				ct_move(ct, p->b[k], i, y, __builtin_ctz(free_y));
				*c = k;
				return i;
			}
		}
	}
	for (int k = 0; k < 2; k++) {
		const struct ct_bucket *b = &ct->buckets[p->b[k]];
		const struct ct_bucket *l = &ct->buckets[p->b[lru_c]];

		for (int i = 0; i < CT_WAYS; i++) {
			if (b->ent[i].last_seen < l->ent[lru].last_seen) {
				lru_c = k;
				lru = i;
				l = b;
			}
		}
	}
	ct->stats.evictions++;
	*c = lru_c;
	return lru;
}

void vr_ct_upsert(struct vr_conntrack *ct, const struct vr_flow_key *key, uint32_t hash,
		  uint64_t now, const struct vr_ct_value *val)
{
	struct ct_place p;
	struct ct_bucket *b;
	int i, c;

	ct_place(ct, hash, &p);
	i = ct_locate(ct, &p, key, &b);
	if (i >= 0) {
		if (!ct_live(ct, b->ent[i].last_seen, now)) {
			/* An idle flow coming back is a new flow. */
			ct->stats.expired++;
			ct->stats.inserts++;
		} else if (b->val[i].backend_id != val->backend_id ||
			   b->val[i].backend_gen != val->backend_gen) {
			ct->stats.updates++;
		}
		b->val[i] = *val;
		if (now > b->ent[i].last_seen)
			b->ent[i].last_seen = now;
		return;
	}
	i = ct_victim(ct, &p, now, &c);
	b = &ct->buckets[p.b[c]];
	b->sig[i] = p.sig;
	b->val[i] = *val;
	b->ent[i].key = *key;
	b->ent[i].last_seen = now;
	b->used |= (uint8_t)(1u << i);
	if (c)
		b->alt |= (uint8_t)(1u << i);
	else
		b->alt &= (uint8_t)~(1u << i);
	ct->stats.inserts++;
}

bool vr_ct_remove(struct vr_conntrack *ct, const struct vr_flow_key *key, uint32_t hash)
{
	struct ct_place p;
	struct ct_bucket *b;
	int i;

	ct_place(ct, hash, &p);
	i = ct_locate(ct, &p, key, &b);
	if (i < 0)
		return false;
	b->used &= (uint8_t)~(1u << i);
	ct->used--;
	ct->stats.removals++;
	return true;
}

uint32_t vr_ct_count(const struct vr_conntrack *ct, uint64_t now, uint32_t *per_backend)
{
	uint32_t live = 0;

	for (uint32_t n = 0; n < ct->nb_buckets; n++) {
		const struct ct_bucket *b = &ct->buckets[n];

		for (int i = 0; i < CT_WAYS; i++) {
			if (!(b->used & (1u << i)) || !ct_live(ct, b->ent[i].last_seen, now))
				continue;
			live++;
			if (per_backend != NULL && b->val[i].backend_id < VR_MAX_BACKENDS)
				per_backend[b->val[i].backend_id]++;
		}
	}
	return live;
}

uint32_t vr_ct_walk(struct vr_conntrack *ct, uint64_t now, uint32_t *cursor, uint32_t budget, vr_ct_walk_fn fn,
		    void *arg)
{
	uint32_t removed = 0, n = *cursor, end;

	if (n >= ct->nb_buckets) {
		*cursor = VR_CT_WALK_DONE;
		return 0;
	}
	end = budget < ct->nb_buckets - n ? n + budget : ct->nb_buckets;
	for (; n < end; n++) {
		struct ct_bucket *b = &ct->buckets[n];

		for (int i = 0; i < CT_WAYS; i++) {
			int verdict;

			if (!(b->used & (1u << i)) || !ct_live(ct, b->ent[i].last_seen, now))
				continue;
			verdict = fn(&b->ent[i].key, &b->val[i], now > b->ent[i].last_seen ? now - b->ent[i].last_seen : 0,
				     arg);
			if (verdict & VR_CT_WALK_REMOVE) {
				b->used &= (uint8_t)~(1u << i);
				ct->used--;
				ct->stats.removals++;
				removed++;
			}
			if (verdict & VR_CT_WALK_STOP) {
				*cursor = VR_CT_WALK_DONE;
				return removed;
			}
		}
	}
	*cursor = n < ct->nb_buckets ? n : VR_CT_WALK_DONE;
	return removed;
}

const struct vr_ct_stats *vr_ct_stats(const struct vr_conntrack *ct)
{
	return &ct->stats;
}
