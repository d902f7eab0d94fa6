/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit test of conntrack: insert/lookup/upsert/remove, idle expiry, LRU eviction, counts, memory, bad input. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "voxrelay/conntrack.h"
#include "voxrelay/hash.h"

#include "check.h"

#define SEED 0x5eed1234u
#define TMO 1000u

static uint32_t per_backend[VR_MAX_BACKENDS];

static struct vr_ct_value val(uint16_t id, uint16_t gen)
{
	struct vr_ct_value v = { .backend_id = id, .backend_gen = gen };

	return v;
}

static void test_create_bounds(void)
{
	struct vr_conntrack *ct;

	errno = 0;
	CHECK(vr_ct_create(63, TMO, SEED) == NULL && errno == EINVAL);
	errno = 0;
	CHECK(vr_ct_create(0, TMO, SEED) == NULL && errno == EINVAL);
	errno = 0;
	CHECK(vr_ct_create((1u << 26) + 1, TMO, SEED) == NULL && errno == EINVAL);
	errno = 0;
	CHECK(vr_ct_create(UINT32_MAX, TMO, SEED) == NULL && errno == EINVAL);
	errno = 0;
	CHECK(vr_ct_create(1024, 0, SEED) == NULL && errno == EINVAL);
	ct = vr_ct_create(64, TMO, SEED);
	CHECK(ct != NULL);
	vr_ct_free(ct);
	vr_ct_free(NULL);
}

static void test_basic(void)
{
	struct vr_conntrack *ct = vr_ct_create(1024, TMO, SEED);
	struct vr_flow_key k, other;
	struct vr_ct_value v, out;
	uint32_t h;

	CHECK(ct != NULL);
	if (ct == NULL)
		return;
	check_flow_key(&k, 1);
	h = vr_flow_hash(&k, 1);
	CHECK(!vr_ct_lookup(ct, &k, h, 5, &out));

	/* Prefetching is a hint: it changes nothing. */
	vr_ct_prefetch(ct, h);
	vr_ct_prefetch(ct, 0);
	vr_ct_prefetch(ct, UINT32_MAX);
	CHECK(!vr_ct_lookup(ct, &k, h, 5, &out));
	CHECK(vr_ct_count(ct, 5, NULL) == 0);

	/* A timestamp of 0 is an ordinary time, not "empty". */
	v = val(3, 1);
	vr_ct_upsert(ct, &k, h, 0, &v);
	memset(&out, 0, sizeof(out));
	CHECK(vr_ct_lookup(ct, &k, h, 0, &out) && out.backend_id == 3 && out.backend_gen == 1);
	CHECK(vr_ct_count(ct, 0, NULL) == 1);

	/* Same hash, one byte different in the key: the signature matches, the key must not. */
	other = k;
	other.sport ^= 1;
	CHECK(!vr_ct_lookup(ct, &other, h, 1, &out));
	other = k;
	other.vip_id = 2;
	CHECK(!vr_ct_lookup(ct, &other, h, 1, &out));

	/* Same backend again: not an update. Another backend: an update. */
	vr_ct_upsert(ct, &k, h, 2, &v);
	CHECK(vr_ct_stats(ct)->updates == 0);
	v = val(3, 2);
	vr_ct_upsert(ct, &k, h, 3, &v);
	CHECK(vr_ct_stats(ct)->updates == 1);
	v = val(9, 2);
	vr_ct_upsert(ct, &k, h, 4, &v);
	CHECK(vr_ct_stats(ct)->updates == 2);
	CHECK(vr_ct_lookup(ct, &k, h, 5, &out) && out.backend_id == 9 && out.backend_gen == 2);
	CHECK(vr_ct_count(ct, 5, NULL) == 1);
	CHECK(vr_ct_stats(ct)->inserts == 1);

	CHECK(!vr_ct_remove(ct, &other, h));
	CHECK(vr_ct_remove(ct, &k, h));
	CHECK(!vr_ct_remove(ct, &k, h));
	CHECK(!vr_ct_lookup(ct, &k, h, 6, &out));
	CHECK(vr_ct_count(ct, 6, NULL) == 0);

	const struct vr_ct_stats *st = vr_ct_stats(ct);
	CHECK(st->removals == 1 && st->hits == 2 && st->lookups == 7 && st->evictions == 0 &&
	      st->expired == 0);
	CHECK(vr_ct_memory(ct) >= 1024 * (sizeof(struct vr_flow_key) + 8));
	vr_ct_free(ct);
}

static void test_expiry(void)
{
	struct vr_conntrack *ct = vr_ct_create(1024, TMO, SEED);
	struct vr_flow_key k[18];
	struct vr_ct_value v = val(1, 0), out;
	uint32_t h = 0x12345678u; /* one hash for all: one bucket */

	CHECK(ct != NULL);
	if (ct == NULL)
		return;
	check_flow_key(&k[0], 0);
	vr_ct_upsert(ct, &k[0], h, 100, &v);
	CHECK(vr_ct_lookup(ct, &k[0], h, 100 + TMO, &out)); /* age == timeout: still live */
	CHECK(vr_ct_count(ct, 100 + 2 * TMO, NULL) == 1);
	CHECK(vr_ct_count(ct, 101 + 2 * TMO, NULL) == 0);
	CHECK(!vr_ct_lookup(ct, &k[0], h, 101 + 2 * TMO, &out)); /* refreshed at 100+TMO */
	CHECK(vr_ct_stats(ct)->expired == 1);
	/* The expired entry was freed by the miss: a second miss does not count again. */
	CHECK(!vr_ct_lookup(ct, &k[0], h, 102 + 2 * TMO, &out));
	CHECK(vr_ct_stats(ct)->expired == 1);
	CHECK(vr_ct_count(ct, 0, NULL) == 0);

	/* Fill both candidate buckets (16 entries), then a new flow reuses an
	 * expired entry instead of evicting a live one. */
	for (uint32_t i = 0; i < 16; i++) {
		check_flow_key(&k[i], i);
		vr_ct_upsert(ct, &k[i], h, 10000 + i, &v);
	}
	CHECK(vr_ct_count(ct, 10015, NULL) == 16);
	CHECK(vr_ct_stats(ct)->evictions == 0);
	check_flow_key(&k[16], 16);
	/* only k[0] is idle past the timeout; k[1] is exactly at it */
	vr_ct_upsert(ct, &k[16], h, 10000 + TMO + 1, &v);
	CHECK(vr_ct_stats(ct)->expired == 2 && vr_ct_stats(ct)->evictions == 0);
	CHECK(!vr_ct_lookup(ct, &k[0], h, 10000 + TMO + 1, &out));
	CHECK(vr_ct_lookup(ct, &k[1], h, 10000 + TMO + 1, &out));
	CHECK(vr_ct_lookup(ct, &k[16], h, 10000 + TMO + 1, &out));
	CHECK(vr_ct_lookup(ct, &k[7], h, 10000 + TMO + 1, &out));
	CHECK(vr_ct_stats(ct)->expired == 2);
	/* All 16 live: the next new flow evicts the least recently used (k[2]). */
	check_flow_key(&k[17], 17);
	vr_ct_upsert(ct, &k[17], h, 10000 + TMO + 2, &v);
	CHECK(vr_ct_stats(ct)->evictions == 1 && vr_ct_stats(ct)->expired == 2);
	CHECK(!vr_ct_remove(ct, &k[2], h));
	CHECK(vr_ct_remove(ct, &k[3], h));

	/* An expired flow that comes back through upsert is a new insert. */
	uint64_t ins = vr_ct_stats(ct)->inserts;
	vr_ct_upsert(ct, &k[7], h, 50000, &v);
	CHECK(vr_ct_stats(ct)->inserts == ins + 1 && vr_ct_stats(ct)->expired == 3);
	CHECK(vr_ct_lookup(ct, &k[7], h, 50000, &out));

	/* A clock that steps back does not expire anything. */
	CHECK(vr_ct_lookup(ct, &k[7], h, 3, &out));
	CHECK(vr_ct_lookup(ct, &k[7], h, 50000 + TMO, &out));

	/* A shorter timeout applies at once. */
	vr_ct_set_timeout(ct, 10);
	CHECK(!vr_ct_lookup(ct, &k[7], h, 50000 + TMO + 11, &out));
	vr_ct_free(ct);
}

/*
 * LRU checked against a model: all flows share one hash and so the same two
 * candidate buckets (16 entries); after every operation the survivors must be
 * exactly the 16 most recently used flows. A "use" is an upsert or a lookup hit.
 */
static void test_lru_exact(void)
{
	enum { NF = 40 };
	struct vr_conntrack *ct = vr_ct_create(4096, UINT64_MAX / 2, SEED);
	struct vr_flow_key k[NF];
	uint64_t last_use[NF];
	bool present[NF];
	struct vr_ct_value v = val(2, 0), out;
	uint32_t h = 0xabcdef01u;
	uint64_t seed = 3, now = 1, evictions = 0;

	CHECK(ct != NULL);
	if (ct == NULL)
		return;
	memset(present, 0, sizeof(present));
	for (uint32_t i = 0; i < NF; i++)
		check_flow_key(&k[i], i * 7919);
	for (int step = 0; step < 2000; step++) {
		uint32_t f = (uint32_t)(check_rand(&seed) % NF);
		bool use_lookup = check_rand(&seed) & 1;

		now++;
		if (use_lookup) {
			bool hit = vr_ct_lookup(ct, &k[f], h, now, &out);

			CHECK_MSG(hit == present[f], "step %d flow %u", step, f);
			if (hit)
				last_use[f] = now;
			continue;
		}
		if (!present[f]) {
			uint32_t n = 0, lru = NF;

			for (uint32_t i = 0; i < NF; i++)
				if (present[i]) {
					n++;
					if (lru == NF || last_use[i] < last_use[lru])
						lru = i;
				}
			if (n == 16) {
				present[lru] = false;
				evictions++;
			}
		}
		vr_ct_upsert(ct, &k[f], h, now, &v);
		present[f] = true;
		last_use[f] = now;
	}
	/* Final state: remove does not refresh, so it checks membership exactly. */
	uint32_t n = 0;
	for (uint32_t i = 0; i < NF; i++) {
		CHECK_MSG(vr_ct_remove(ct, &k[i], h) == present[i], "flow %u", i);
		n += present[i];
	}
	CHECK(n == 16);
	CHECK_MSG(vr_ct_stats(ct)->evictions == evictions, "%llu evictions, model %llu",
		  (unsigned long long)vr_ct_stats(ct)->evictions, (unsigned long long)evictions);
	printf("conntrack: two-bucket LRU model agreed over 2000 steps (%llu evictions)\n",
	       (unsigned long long)evictions);
	vr_ct_free(ct);
}

/* Far beyond capacity with real hashes: the newest and the hot flows stay,
 * the oldest go, and every live entry is accounted for. */
static void test_lru_overfill(void)
{
	const uint32_t cap = 65536, total = 4 * cap, hot = 256;
	struct vr_conntrack *ct = vr_ct_create(cap, UINT64_MAX / 2, SEED);
	struct vr_flow_key k;
	struct vr_ct_value v = val(1, 0), out;
	uint64_t now = 0;

	CHECK(ct != NULL);
	if (ct == NULL)
		return;
	/* Hot flows get numbers above every cold one. */
	for (uint32_t i = 0; i < hot; i++) {
		check_flow_key(&k, total + i);
		vr_ct_upsert(ct, &k, vr_flow_hash(&k, 1), ++now, &v);
	}
	for (uint32_t i = 0; i < total; i++) {
		check_flow_key(&k, i);
		vr_ct_upsert(ct, &k, vr_flow_hash(&k, 1), ++now, &v);
		/* one hot flow refreshed per cold insert: each every 256 inserts */
		check_flow_key(&k, total + i % hot);
		CHECK(vr_ct_lookup(ct, &k, vr_flow_hash(&k, 1), ++now, &out));
	}
	const struct vr_ct_stats *st = vr_ct_stats(ct);
	uint32_t live = vr_ct_count(ct, now, NULL);
	CHECK(st->inserts == total + hot);
	CHECK(st->evictions > 0 && st->expired == 0);
	CHECK_MSG(st->inserts - st->evictions == live, "inserts %llu evictions %llu live %u",
		  (unsigned long long)st->inserts, (unsigned long long)st->evictions, live);
	CHECK(live >= cap); /* at least the promised capacity is in use when overfull */

	uint32_t newest = 0, oldest = 0, hot_ok = 0;
	const uint32_t window = cap / 8;
	for (uint32_t i = 0; i < window; i++) {
		check_flow_key(&k, total - 1 - i);
		newest += vr_ct_remove(ct, &k, vr_flow_hash(&k, 1));
		check_flow_key(&k, i);
		oldest += vr_ct_remove(ct, &k, vr_flow_hash(&k, 1));
	}
	for (uint32_t i = 0; i < hot; i++) {
		check_flow_key(&k, total + i);
		hot_ok += vr_ct_remove(ct, &k, vr_flow_hash(&k, 1));
	}
	printf("conntrack: %u inserts into capacity %u: %u live (%.1f%% of slots), %llu evicted; "
	       "newest %u/%u kept, oldest %u/%u kept, hot %u/%u kept\n",
	       total + hot, cap, live, 100.0 * live / ((cap + 6) / 7 * 8),
	       (unsigned long long)st->evictions, newest, window, oldest, window, hot_ok, hot);
	CHECK(hot_ok == hot);
	CHECK(newest >= window - window / 1000);
	CHECK(oldest <= window / 1000);
	vr_ct_free(ct);
}

static void test_count_per_backend(void)
{
	struct vr_conntrack *ct = vr_ct_create(8192, TMO, SEED);
	struct vr_flow_key k;
	struct vr_ct_value v;
	uint32_t want[7] = { 0 };

	CHECK(ct != NULL);
	if (ct == NULL)
		return;
	for (uint32_t i = 0; i < 2000; i++) {
		check_flow_key(&k, i);
		v = val((uint16_t)(i % 7), 0);
		/* odd flows are seen at 0, even ones at TMO + 1 */
		vr_ct_upsert(ct, &k, vr_flow_hash(&k, 7), i % 2 ? 0 : TMO + 1, &v);
	}
	CHECK(vr_ct_stats(ct)->evictions == 0);
	memset(per_backend, 0, sizeof(per_backend));
	CHECK(vr_ct_count(ct, TMO, per_backend) == 2000);
	for (uint32_t i = 0; i < 2000; i++)
		want[i % 7]++;
	for (uint32_t b = 0; b < 7; b++)
		CHECK(per_backend[b] == want[b]);
	CHECK(per_backend[7] == 0);

	/* At 2 TMO + 1 only the even flows are live. */
	memset(per_backend, 0, sizeof(per_backend));
	memset(want, 0, sizeof(want));
	for (uint32_t i = 0; i < 2000; i += 2)
		want[i % 7]++;
	CHECK(vr_ct_count(ct, 2 * TMO + 1, per_backend) == 1000);
	for (uint32_t b = 0; b < 7; b++)
		CHECK(per_backend[b] == want[b]);
	/* Ids beyond the per-backend array are counted live but not indexed. */
	check_flow_key(&k, 99999);
	v = val(VR_BACKEND_NONE, 0);
	vr_ct_upsert(ct, &k, vr_flow_hash(&k, 7), 2 * TMO, &v);
	CHECK(vr_ct_count(ct, 2 * TMO + 1, per_backend) == 1001);
	vr_ct_free(ct);
}

static void test_memory(void)
{
	const uint32_t cap = 1048576;
	struct vr_conntrack *ct = vr_ct_create(cap, TMO, SEED);
	struct vr_flow_key k;
	struct vr_ct_value v = val(1, 0), out;
	uint32_t hits = 0;

	CHECK(ct != NULL);
	if (ct == NULL)
		return;
	size_t mem = vr_ct_memory(ct);
	printf("conntrack: capacity %u uses %zu bytes (%.1f MiB, %.1f B per flow)\n", cap, mem,
	       mem / 1048576.0, (double)mem / cap);
	CHECK(mem <= 128u << 20);
	/* The promised capacity really fits: fill to it, with few evictions. */
	for (uint32_t i = 0; i < cap; i++) {
		check_flow_key(&k, i);
		vr_ct_upsert(ct, &k, vr_flow_hash(&k, 1), 1, &v);
	}
	for (uint32_t i = 0; i < cap; i++) {
		check_flow_key(&k, i);
		hits += vr_ct_lookup(ct, &k, vr_flow_hash(&k, 1), 2, &out);
	}
	uint64_t ev = vr_ct_stats(ct)->evictions;
	printf("conntrack: %u flows at capacity: %u found, %llu evicted (%.3f%%)\n", cap, hits,
	       (unsigned long long)ev, 100.0 * ev / cap);
	CHECK(hits + ev == cap);
	CHECK(ev < cap / 10000);
	vr_ct_free(ct);
}

int main(void)
{
	test_create_bounds();
	test_basic();
	test_expiry();
	test_lru_exact();
	test_lru_overfill();
	test_count_per_backend();
	test_memory();
	return check_report("test_conntrack");
}
