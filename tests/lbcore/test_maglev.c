/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit test of the Maglev table: balance, disruption, weights, determinism across processes, bad input. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "voxrelay/maglev.h"

#include "check.h"

#define MAX_TEST_BACKENDS 1000

static char names[MAX_TEST_BACKENDS][24];
static uint32_t counts[VR_MAX_BACKENDS];

/* Backends "10.0.<i/256>.<i%256>" with ids i, equal weight. */
static void make_backends(struct vr_maglev_backend *b, uint32_t n, uint32_t weight)
{
	for (uint32_t i = 0; i < n; i++) {
		snprintf(names[i], sizeof(names[i]), "10.0.%u.%u", i / 256, i % 256);
		b[i].name = names[i];
		b[i].weight = weight;
		b[i].id = (uint16_t)i;
	}
}

static void shares(const struct vr_maglev_table *t)
{
	memset(counts, 0, sizeof(counts));
	vr_maglev_shares(t, counts);
}

/* FNV-1a over the slots, byte by byte little-endian, so the digest of a
 * table is the same on any host. */
static uint64_t digest(const struct vr_maglev_table *t)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (uint32_t s = 0; s < t->size; s++) {
		h = (h ^ (t->slots[s] & 0xffu)) * 0x100000001b3ull;
		h = (h ^ (t->slots[s] >> 8)) * 0x100000001b3ull;
	}
	return h;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* The configuration both processes build for the cross-process check. */
static struct vr_maglev_table *digest_table(void)
{
	static struct vr_maglev_backend b[50];

	make_backends(b, 50, 1);
	for (uint32_t i = 0; i < 50; i++)
		b[i].weight = 1 + i % 5;
	return vr_maglev_build(b, 50, VR_MAGLEV_DEFAULT_SIZE);
}

static void test_is_prime(void)
{
	CHECK(vr_is_prime(2));
	CHECK(vr_is_prime(3));
	CHECK(vr_is_prime(65537));
	CHECK(vr_is_prime(1048573));
	CHECK(vr_is_prime(4294967291u)); /* largest prime below 2^32 */
	CHECK(!vr_is_prime(0));
	CHECK(!vr_is_prime(1));
	CHECK(!vr_is_prime(4));
	CHECK(!vr_is_prime(65536));
	CHECK(!vr_is_prime(65535));
	CHECK(!vr_is_prime(1048575));
	CHECK(!vr_is_prime(4294967295u));
	CHECK(!vr_is_prime(4294836225u)); /* 65535^2: square of a composite near the limit */
	/* Cross-check the trial division against a sieve up to 100000. */
	static uint8_t composite[100001];
	for (uint32_t i = 2; i * i <= 100000; i++)
		if (!composite[i])
			for (uint32_t j = i * i; j <= 100000; j += i)
				composite[j] = 1;
	uint32_t wrong = 0;
	for (uint32_t i = 0; i <= 100000; i++)
		wrong += vr_is_prime(i) != (i >= 2 && !composite[i]);
	CHECK_MSG(wrong == 0, "%u numbers misclassified", wrong);
}

/* Equal weights: the builder gives each backend one turn per round, each
 * turn claims exactly one slot, and the table fills in round ceil(M/N), so
 * the first M mod N backends in name order own ceil(M/N), the rest floor. */
static void check_equal_spread(uint32_t n, uint32_t m)
{
	static struct vr_maglev_backend b[MAX_TEST_BACKENDS];
	struct vr_maglev_table *t;
	uint32_t lo = m / n, hi = (m + n - 1) / n, nhi = 0, minc = UINT32_MAX, maxc = 0;

	make_backends(b, n, 7);
	t = vr_maglev_build(b, n, m);
	CHECK(t != NULL);
	if (t == NULL)
		return;
	shares(t);
	for (uint32_t i = 0; i < n; i++) {
		CHECK_MSG(counts[i] == lo || counts[i] == hi, "N=%u M=%u backend %u owns %u", n, m,
			  i, counts[i]);
		nhi += counts[i] == hi && hi != lo;
		minc = counts[i] < minc ? counts[i] : minc;
		maxc = counts[i] > maxc ? counts[i] : maxc;
	}
	CHECK_MSG(hi == lo || nhi == m % n, "N=%u M=%u: %u backends own ceil", n, m, nhi);
	CHECK(t->nb_backends == n);
	printf("maglev: M=%u N=%u shares %u..%u (spread %u)\n", m, n, minc, maxc, maxc - minc);
	vr_maglev_free(t);
}

static void test_equal_weights(void)
{
	check_equal_spread(100, 65537);
	check_equal_spread(1, 65537);
	check_equal_spread(2, 3);
	check_equal_spread(3, 7);
	check_equal_spread(7, 65537);
	check_equal_spread(1000, 65537);
	check_equal_spread(1000, 1048573);
}

/* Removing one backend of N: its slots must move; the paper (section 3.4,
 * figure 12) measures that few others do. Bound from the brief: 2/N of M. */
static void test_disruption(void)
{
	static struct vr_maglev_backend b[100];
	struct vr_maglev_table *before, *after;
	uint32_t n = 100, m = 65537, gone = 37;
	uint32_t changed = 0, of_removed = 0, extra = 0;

	make_backends(b, n, 1);
	before = vr_maglev_build(b, n, m);
	b[gone] = b[n - 1]; /* drop backend 37 */
	after = vr_maglev_build(b, n - 1, m);
	CHECK(before != NULL && after != NULL);
	if (before == NULL || after == NULL)
		goto out;
	for (uint32_t s = 0; s < m; s++) {
		CHECK(after->slots[s] != gone);
		if (before->slots[s] != after->slots[s]) {
			changed++;
			if (before->slots[s] == gone)
				of_removed++;
			else
				extra++;
		}
	}
	shares(before);
	CHECK(of_removed == counts[gone]);
	CHECK_MSG(changed <= 2 * m / n, "%u slots changed, bound %u", changed, 2 * m / n);
	printf("maglev: remove 1 of %u (M=%u): %u slots changed (%u of the removed backend, %u others; "
	       "bound %u)\n", n, m, changed, of_removed, extra, 2 * m / n);

	/* Adding it back restores the original table exactly. */
	make_backends(b, n, 1);
	vr_maglev_free(after);
	after = vr_maglev_build(b, n, m);
	CHECK(after != NULL && memcmp(after->slots, before->slots, m * 2) == 0);
out:
	vr_maglev_free(before);
	vr_maglev_free(after);
}

/* The header's weighted guarantee: one R such that every backend of weight
 * w owns between floor(R w / W) and floor((R + 1) w / W) slots. */
static bool weighted_bound_holds(const struct vr_maglev_backend *b, uint32_t n)
{
	uint32_t wmax = 0, imax = 0;

	for (uint32_t i = 0; i < n; i++)
		if (b[i].weight > wmax) {
			wmax = b[i].weight;
			imax = i;
		}
	/* The heaviest backend takes one turn per round, so R is its count or one less. */
	for (uint64_t r = counts[b[imax].id] ? counts[b[imax].id] - 1 : 0;
	     r <= counts[b[imax].id]; r++) {
		bool ok = true;

		for (uint32_t i = 0; i < n && ok; i++) {
			uint64_t c = counts[b[i].id];

			ok = c >= r * b[i].weight / wmax && c <= (r + 1) * b[i].weight / wmax;
		}
		if (ok)
			return true;
	}
	return false;
}

static void test_weights(void)
{
	static struct vr_maglev_backend b[50];
	struct vr_maglev_table *t;
	uint32_t m = 65537;
	uint64_t seed = 42;

	make_backends(b, 3, 0);
	b[0].weight = 1;
	b[1].weight = 2;
	b[2].weight = 3;
	t = vr_maglev_build(b, 3, m);
	CHECK(t != NULL);
	if (t != NULL) {
		shares(t);
		for (uint32_t i = 0; i < 3; i++) {
			double want = m * (i + 1) / 6.0;

			CHECK_MSG(counts[i] > want * 0.99 && counts[i] < want * 1.01,
				  "weight %u owns %u, want %.1f", i + 1, counts[i], want);
		}
		CHECK(weighted_bound_holds(b, 3));
		printf("maglev: weights 1:2:3 own %u:%u:%u slots (ideal %.1f:%.1f:%.1f)\n", counts[0],
		       counts[1], counts[2], m / 6.0, m / 3.0, m / 2.0);
		vr_maglev_free(t);
	}

	/* Random weights up to the maximum, including 0. */
	for (int round = 0; round < 5; round++) {
		uint32_t n = 50, zero = 0;

		make_backends(b, n, 0);
		for (uint32_t i = 0; i < n; i++) {
			b[i].weight = (uint32_t)(check_rand(&seed) % (round < 3 ? 11 : 65536));
			zero += b[i].weight == 0;
		}
		t = vr_maglev_build(b, n, m);
		CHECK(t != NULL);
		if (t == NULL)
			continue;
		shares(t);
		for (uint32_t i = 0; i < n; i++)
			CHECK(b[i].weight != 0 || counts[i] == 0);
		CHECK(t->nb_backends == n - zero);
		CHECK_MSG(weighted_bound_holds(b, n), "round %d", round);
		vr_maglev_free(t);
	}

	/* Extreme skew stays fast and exact: one of weight 65535, 4095 of weight 1. */
	static struct vr_maglev_backend big[VR_MAX_BACKENDS];
	static char bnames[VR_MAX_BACKENDS][16];
	for (uint32_t i = 0; i < VR_MAX_BACKENDS; i++) {
		snprintf(bnames[i], sizeof(bnames[i]), "b%u", i);
		big[i].name = bnames[i];
		big[i].id = (uint16_t)i;
		big[i].weight = i == 0 ? VR_MAGLEV_MAX_WEIGHT : 1;
	}
	double t0 = now_ms();
	t = vr_maglev_build(big, VR_MAX_BACKENDS, VR_MAGLEV_MAX_SIZE);
	double ms = now_ms() - t0;
	CHECK(t != NULL);
	if (t != NULL) {
		shares(t);
		CHECK(weighted_bound_holds(big, VR_MAX_BACKENDS));
		printf("maglev: skewed 65535 + 4095 x 1, M=%u: built in %.1f ms, heavy owns %u\n",
		       VR_MAGLEV_MAX_SIZE, ms, counts[0]);
		vr_maglev_free(t);
	}
}

static void test_zero_weight_is_absent(void)
{
	static struct vr_maglev_backend b[11];
	struct vr_maglev_table *t1, *t2;

	make_backends(b, 11, 3);
	b[10].weight = 0;
	t1 = vr_maglev_build(b, 11, 65537);
	t2 = vr_maglev_build(b, 10, 65537);
	CHECK(t1 != NULL && t2 != NULL);
	if (t1 != NULL && t2 != NULL) {
		CHECK(memcmp(t1->slots, t2->slots, 65537 * 2) == 0);
		CHECK(t1->nb_backends == 10);
	}
	vr_maglev_free(t1);
	vr_maglev_free(t2);
}

static void test_order_independent(void)
{
	static struct vr_maglev_backend b[200], c[200];
	struct vr_maglev_table *ref, *t;
	uint64_t seed = 7;

	make_backends(b, 200, 1);
	for (uint32_t i = 0; i < 200; i++)
		b[i].weight = 1 + i % 3;
	ref = vr_maglev_build(b, 200, 65537);
	CHECK(ref != NULL);
	for (int round = 0; round < 4 && ref != NULL; round++) {
		memcpy(c, b, sizeof(c));
		if (round == 0) {
			for (uint32_t i = 0; i < 200; i++)
				c[i] = b[199 - i];
		} else {
			for (uint32_t i = 199; i > 0; i--) {
				uint32_t j = (uint32_t)(check_rand(&seed) % (i + 1));
				struct vr_maglev_backend x = c[i];

				c[i] = c[j];
				c[j] = x;
			}
		}
		t = vr_maglev_build(c, 200, 65537);
		CHECK(t != NULL && memcmp(t->slots, ref->slots, 65537 * 2) == 0);
		vr_maglev_free(t);
	}
	/* Names are hashed by content, not address: a copy elsewhere gives the same table. */
	static char copies[200][24];
	for (uint32_t i = 0; i < 200; i++) {
		memcpy(copies[i] + 1, b[i].name, strlen(b[i].name) + 1); /* odd alignment */
		c[i] = b[i];
		c[i].name = copies[i] + 1;
	}
	t = vr_maglev_build(c, 200, 65537);
	CHECK(t != NULL && ref != NULL && memcmp(t->slots, ref->slots, 65537 * 2) == 0);
	vr_maglev_free(t);
	vr_maglev_free(ref);
}

static void test_cross_process(const char *self)
{
	struct vr_maglev_table *t = digest_table();
	char buf[64] = "";
	int fd[2];
	pid_t pid;

	CHECK(t != NULL);
	if (t == NULL || pipe(fd) != 0)
		goto out;
	pid = fork();
	if (pid == 0) {
		dup2(fd[1], STDOUT_FILENO);
		close(fd[0]);
		close(fd[1]);
		/* A fresh exec: new address layout (ASLR), nothing inherited but argv. */
		execl(self, self, "--digest", (char *)NULL);
		_exit(127);
	}
	close(fd[1]);
	ssize_t len = pid > 0 ? read(fd[0], buf, sizeof(buf) - 1) : -1;
	close(fd[0]);
	int status = 0;
	if (pid > 0)
		waitpid(pid, &status, 0);
	CHECK(pid > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0);
	buf[len > 0 ? len : 0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	unsigned long long child = strtoull(buf, NULL, 16);
	CHECK_MSG(child == digest(t), "child %s, parent %016llx", buf,
		  (unsigned long long)digest(t));
	printf("maglev: digest %016llx in this process, %s in a re-executed one\n",
	       (unsigned long long)digest(t), buf);
	/*
	 * Pinned value: every balancer behind one ECMP group, on any host and
	 * any voxrelay version, must build this very table. If this fails the
	 * hashing or the turn schedule changed; that is a flag-day change.
	 */
	CHECK_MSG(digest(t) == 0x40e0530f8c5517fdull, "pinned digest changed: %016llx",
		  (unsigned long long)digest(t));
out:
	vr_maglev_free(t);
}

static void expect_einval(const struct vr_maglev_backend *b, uint32_t n, uint32_t m,
			  const char *what)
{
	errno = 0;
	struct vr_maglev_table *t = vr_maglev_build(b, n, m);
	CHECK_MSG(t == NULL && errno == EINVAL, "%s", what);
	vr_maglev_free(t);
}

static void test_invalid(void)
{
	static struct vr_maglev_backend b[VR_MAX_BACKENDS + 1];
	struct vr_maglev_table *t;

	make_backends(b, 4, 1);
	expect_einval(b, 4, 65536, "non-prime M");
	expect_einval(b, 4, 1, "M = 1");
	expect_einval(b, 4, 0, "M = 0");
	expect_einval(b, 4, 2, "M = 2 (prime but below 3)");
	CHECK(vr_is_prime(1048583));
	expect_einval(b, 4, 1048583, "prime M above VR_MAGLEV_MAX_SIZE");
	expect_einval(b, 4, 4294967291u, "huge prime M");
	expect_einval(NULL, 4, 65537, "NULL backends");

	b[2].name = b[1].name;
	expect_einval(b, 4, 65537, "duplicate name (same pointer)");
	char dup[24];
	make_backends(b, 4, 1);
	strcpy(dup, b[3].name);
	b[0].name = dup;
	expect_einval(b, 4, 65537, "duplicate name (equal strings)");
	make_backends(b, 4, 1);
	b[3].weight = 0;
	b[0].name = b[3].name;
	expect_einval(b, 4, 65537, "duplicate name of a weight-0 backend");

	make_backends(b, 4, 1);
	b[1].name = NULL;
	expect_einval(b, 4, 65537, "NULL name");
	make_backends(b, 4, 1);
	b[1].weight = VR_MAGLEV_MAX_WEIGHT + 1;
	expect_einval(b, 4, 65537, "weight too large");
	make_backends(b, 4, 1);
	b[1].id = VR_MAX_BACKENDS;
	expect_einval(b, 4, 65537, "id >= VR_MAX_BACKENDS");
	make_backends(b, 4, 1);
	b[1].id = VR_BACKEND_NONE;
	expect_einval(b, 4, 65537, "id VR_BACKEND_NONE");
	make_backends(b, 4, 1);
	b[1].id = b[2].id;
	expect_einval(b, 4, 65537, "duplicate id");

	static char many[VR_MAX_BACKENDS + 1][8];
	for (uint32_t i = 0; i <= VR_MAX_BACKENDS; i++) {
		snprintf(many[i], sizeof(many[i]), "m%u", i);
		b[i].name = many[i];
		b[i].weight = 1;
		b[i].id = (uint16_t)(i % VR_MAX_BACKENDS);
	}
	expect_einval(b, VR_MAX_BACKENDS + 1, 65537, "too many backends");

	/* More backends than slots is valid: the table fills, some get nothing. */
	t = vr_maglev_build(b, 10, 3);
	CHECK(t != NULL && t->nb_backends == 3);
	if (t != NULL)
		for (uint32_t s = 0; s < 3; s++)
			CHECK(t->slots[s] < 10);
	vr_maglev_free(t);

	/* Long names and names of any bytes are fine; names differing only in
	 * the last byte or in length give different permutations. */
	static char long1[5000], long2[5000];
	memset(long1, 0xc3, sizeof(long1) - 1);
	memcpy(long2, long1, sizeof(long2));
	long2[sizeof(long2) - 2] = 'x';
	b[0].name = long1;
	b[1].name = long2;
	t = vr_maglev_build(b, 2, 65537);
	CHECK(t != NULL);
	if (t != NULL) {
		shares(t);
		CHECK(counts[0] + counts[1] == 65537 && counts[0] >= 32768 && counts[1] >= 32768);
	}
	vr_maglev_free(t);

	/* An empty name is still a name. */
	make_backends(b, 2, 1);
	b[0].name = "";
	t = vr_maglev_build(b, 2, 7);
	CHECK(t != NULL && t->nb_backends == 2);
	vr_maglev_free(t);
	vr_maglev_free(NULL);
}

static void test_empty(void)
{
	static struct vr_maglev_backend b[3];
	struct vr_maglev_table *t;

	for (int round = 0; round < 3; round++) {
		make_backends(b, 3, 0); /* all weight 0 */
		t = round == 0 ? vr_maglev_build(NULL, 0, 65537) :
		    round == 1 ? vr_maglev_build(b, 0, 65537) : vr_maglev_build(b, 3, 65537);
		CHECK(t != NULL);
		if (t == NULL)
			continue;
		CHECK(t->size == 65537 && t->nb_backends == 0);
		uint32_t nonempty = 0;
		for (uint32_t s = 0; s < t->size; s++)
			nonempty += t->slots[s] != VR_BACKEND_NONE;
		CHECK(nonempty == 0);
		CHECK(vr_maglev_lookup(t, 0xdeadbeef) == VR_BACKEND_NONE);
		shares(t);
		uint32_t total = 0;
		for (uint32_t i = 0; i < VR_MAX_BACKENDS; i++)
			total += counts[i];
		CHECK(total == 0);
		vr_maglev_free(t);
	}
}

static void test_lookup_and_speed(void)
{
	static struct vr_maglev_backend b[MAX_TEST_BACKENDS];
	struct vr_maglev_table *t;
	uint64_t seed = 99;

	make_backends(b, MAX_TEST_BACKENDS, 1);
	double t0 = now_ms();
	t = vr_maglev_build(b, MAX_TEST_BACKENDS, 65537);
	double ms = now_ms() - t0;
	CHECK(t != NULL);
	if (t == NULL)
		return;
	printf("maglev: M=65537 N=1000 built in %.2f ms\n", ms);
	/* Generous bound for a shared 2-core machine; bench_lbcore reports the real figure. */
	CHECK_MSG(ms < 500, "build took %.1f ms", ms);
	for (int i = 0; i < 1000; i++) {
		uint32_t h = (uint32_t)check_rand(&seed);

		CHECK(vr_maglev_lookup(t, h) == t->slots[h % 65537]);
	}
	CHECK(vr_maglev_lookup(t, UINT32_MAX) == t->slots[UINT32_MAX % 65537]);
	vr_maglev_free(t);
}

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "--digest") == 0) {
		struct vr_maglev_table *t = digest_table();

		if (t == NULL)
			return EXIT_FAILURE;
		printf("%016llx\n", (unsigned long long)digest(t));
		vr_maglev_free(t);
		return EXIT_SUCCESS;
	}
	test_is_prime();
	test_equal_weights();
	test_disruption();
	test_weights();
	test_zero_weight_is_absent();
	test_order_independent();
	test_cross_process("/proc/self/exe");
	test_invalid();
	test_empty();
	test_lookup_and_speed();
	return check_report("test_maglev");
}
