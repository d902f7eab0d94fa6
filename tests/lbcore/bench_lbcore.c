/* SPDX-License-Identifier: BSD-3-Clause */
/* Micro-benchmark of Maglev table builds and conntrack operations; last line of output is JSON. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "voxrelay/conntrack.h"
#include "voxrelay/hash.h"
#include "voxrelay/maglev.h"

#include "check.h"

#define HASH_SEED 0x1234abcdu
#define TMO (1ull << 40)

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* Best of @reps builds, in ms: the minimum is the least disturbed by the
 * other work on a shared machine. */
static double bench_maglev(uint32_t n, uint32_t m, int reps)
{
	static char names[1000][24];
	static struct vr_maglev_backend b[1000];
	double best = 1e30;

	for (uint32_t i = 0; i < n; i++) {
		snprintf(names[i], sizeof(names[i]), "10.1.%u.%u", i / 256, i % 256);
		b[i].name = names[i];
		b[i].weight = 1;
		b[i].id = (uint16_t)i;
	}
	for (int r = 0; r < reps; r++) {
		double t0 = now_ns();
		struct vr_maglev_table *t = vr_maglev_build(b, n, m);
		double ms = (now_ns() - t0) / 1e6;

		if (t == NULL) {
			perror("vr_maglev_build");
			exit(EXIT_FAILURE);
		}
		vr_maglev_free(t);
		best = ms < best ? ms : best;
	}
	return best;
}

/* Flow numbers in a pseudo-random order that visits each of @n once per
 * period: i -> (a * i + c) mod n with a coprime to n. */
static inline uint32_t scramble(uint64_t i, uint32_t n)
{
	return (uint32_t)((i * 2654435761ull + 12345) % n);
}

/* Cost of building the key and hashing it, to subtract from the figures below. */
static double bench_hash(uint32_t n, uint32_t ops)
{
	struct vr_flow_key k;
	uint32_t acc = 0;
	double t0 = now_ns();

	for (uint32_t i = 0; i < ops; i++) {
		check_flow_key(&k, scramble(i, n));
		acc += vr_flow_hash(&k, HASH_SEED);
	}
	double ns = (now_ns() - t0) / ops;
	if (acc == 1)
		puts(""); /* keep the loop */
	return ns;
}

struct ct_figures {
	double insert_ns, lookup_ns, burst_ns, refresh_ns, evict_ns;
	size_t memory;
	uint32_t hits, ops;
};

static void bench_ct(uint32_t flows, uint32_t ops, struct ct_figures *f)
{
	struct vr_conntrack *ct = vr_ct_create(flows, TMO, 77);
	struct vr_ct_value v = { .backend_id = 1, .backend_gen = 1 }, out;
	struct vr_flow_key k;
	uint64_t now = 1;
	double t0;

	if (ct == NULL) {
		perror("vr_ct_create");
		exit(EXIT_FAILURE);
	}
	f->memory = vr_ct_memory(ct);
	f->ops = ops;

	t0 = now_ns();
	for (uint32_t i = 0; i < flows; i++) {
		check_flow_key(&k, i);
		vr_ct_upsert(ct, &k, vr_flow_hash(&k, HASH_SEED), now++, &v);
	}
	f->insert_ns = (now_ns() - t0) / flows;

	f->hits = 0;
	t0 = now_ns();
	for (uint32_t i = 0; i < ops; i++) {
		check_flow_key(&k, scramble(i, flows));
		f->hits += vr_ct_lookup(ct, &k, vr_flow_hash(&k, HASH_SEED), now++, &out);
	}
	f->lookup_ns = (now_ns() - t0) / ops;

	/* The dataplane's pattern: a burst of 32 packets, hash and prefetch all,
	 * then look them all up. */
	enum { BURST = 32 };
	struct vr_flow_key keys[BURST];
	uint32_t hashes[BURST];
	t0 = now_ns();
	for (uint32_t i = 0; i < ops; i += BURST) {
		for (uint32_t j = 0; j < BURST; j++) {
			check_flow_key(&keys[j], scramble(i + j, flows));
			hashes[j] = vr_flow_hash(&keys[j], HASH_SEED);
			vr_ct_prefetch(ct, hashes[j]);
		}
		for (uint32_t j = 0; j < BURST; j++)
			f->hits += vr_ct_lookup(ct, &keys[j], hashes[j], now++, &out);
	}
	f->burst_ns = (now_ns() - t0) / (ops / BURST * BURST);

	t0 = now_ns();
	for (uint32_t i = 0; i < ops; i++) {
		check_flow_key(&k, scramble(i, flows));
		vr_ct_upsert(ct, &k, vr_flow_hash(&k, HASH_SEED), now++, &v);
	}
	f->refresh_ns = (now_ns() - t0) / ops;

	/* New flows into a table already holding @flows live ones: the full
	 * path (expiry scan, cuckoo step, LRU eviction). */
	t0 = now_ns();
	for (uint32_t i = 0; i < ops; i++) {
		check_flow_key(&k, flows + i);
		vr_ct_upsert(ct, &k, vr_flow_hash(&k, HASH_SEED), now++, &v);
	}
	f->evict_ns = (now_ns() - t0) / ops;
	vr_ct_free(ct);
}

int main(void)
{
	double mg10 = bench_maglev(10, 65537, 5);
	double mg100 = bench_maglev(100, 65537, 5);
	double mg1000 = bench_maglev(1000, 65537, 5);
	double mgbig = bench_maglev(1000, VR_MAGLEV_MAX_SIZE, 3);

	printf("maglev build M=65537: 10 backends %.2f ms, 100 backends %.2f ms, 1000 backends %.2f ms\n",
	       mg10, mg100, mg1000);
	printf("maglev build M=%u: 1000 backends %.2f ms\n", VR_MAGLEV_MAX_SIZE, mgbig);

	struct ct_figures small, big;
	double hash_small = bench_hash(10000, 2000000);
	double hash_big = bench_hash(1048576, 2000000);
	bench_ct(10000, 2000000, &small);
	bench_ct(1048576, 2000000, &big);

	printf("key build + vr_flow_hash: %.1f ns\n", (hash_small + hash_big) / 2);
	const struct {
		const char *name;
		uint32_t flows;
		const struct ct_figures *f;
	} rows[] = { { "10k", 10000, &small }, { "1M", 1048576, &big } };
	for (size_t r = 0; r < VR_ARRAY_SIZE(rows); r++) {
		const struct ct_figures *f = rows[r].f;

		printf("conntrack %s flows (%.1f MiB, %.1f B/flow): lookup hit %.1f ns one by one, "
		       "%.1f ns in prefetched bursts of 32 (%u/%u hits), insert %.1f ns, upsert existing %.1f ns, upsert new into full %.1f ns "
		       "(all including key build + hash)\n",
		       rows[r].name, f->memory / 1048576.0, (double)f->memory / rows[r].flows,
		       f->lookup_ns, f->burst_ns, f->hits, 2 * f->ops, f->insert_ns, f->refresh_ns, f->evict_ns);
	}
	printf("{\"maglev_build_ms\":{\"m65537_n10\":%.3f,\"m65537_n100\":%.3f,\"m65537_n1000\":%.3f,"
	       "\"m1048573_n1000\":%.3f},\"hash_ns\":%.2f,"
	       "\"ct_10k\":{\"lookup_ns\":%.2f,\"lookup_burst_ns\":%.2f,\"insert_ns\":%.2f,\"upsert_ns\":%.2f,\"upsert_full_ns\":%.2f,"
	       "\"bytes_per_flow\":%.1f},"
	       "\"ct_1m\":{\"lookup_ns\":%.2f,\"lookup_burst_ns\":%.2f,\"insert_ns\":%.2f,\"upsert_ns\":%.2f,\"upsert_full_ns\":%.2f,"
	       "\"bytes_per_flow\":%.1f,\"memory_bytes\":%zu}}\n",
	       mg10, mg100, mg1000, mgbig, (hash_small + hash_big) / 2, small.lookup_ns,
	       small.burst_ns, small.insert_ns, small.refresh_ns, small.evict_ns, (double)small.memory / 10000,
	       big.lookup_ns, big.burst_ns, big.insert_ns, big.refresh_ns, big.evict_ns,
	       (double)big.memory / 1048576, big.memory);
	return EXIT_SUCCESS;
}
