/* SPDX-License-Identifier: BSD-3-Clause */
/* Helpers shared by the packet tests: checks, guard-page buffers, an independent checksum, hex. */
#ifndef VR_TESTS_PACKET_TESTUTIL_H
#define VR_TESTS_PACKET_TESTUTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static int vr_test_failures;
static int vr_test_checks;

#define CHECK(cond)                                                                    \
	do {                                                                           \
		vr_test_checks++;                                                      \
		if (!(cond)) {                                                         \
			vr_test_failures++;                                            \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, \
				#cond);                                                \
		}                                                                      \
	} while (0)

#define CHECK_EQ(a, b)                                                                  \
	do {                                                                            \
		long long va_ = (long long)(a), vb_ = (long long)(b);                   \
		vr_test_checks++;                                                       \
		if (va_ != vb_) {                                                       \
			vr_test_failures++;                                             \
			fprintf(stderr, "%s:%d: %s == %lld, expected %s == %lld\n", __FILE__, \
				__LINE__, #a, va_, #b, vb_);                            \
		}                                                                       \
	} while (0)

/* Drop reasons compared by name so a failure says which reason came back. */
#define CHECK_DROP(got, want)                                                              \
	do {                                                                               \
		enum vr_drop g_ = (got), w_ = (want);                                      \
		vr_test_checks++;                                                          \
		if (g_ != w_) {                                                            \
			vr_test_failures++;                                                \
			fprintf(stderr, "%s:%d: %s gave %s, expected %s\n", __FILE__, __LINE__, \
				#got, vr_drop_name(g_), vr_drop_name(w_));                 \
		}                                                                          \
	} while (0)

#define CHECK_MEM(a, b, n)                                                              \
	do {                                                                            \
		vr_test_checks++;                                                       \
		if (memcmp((a), (b), (n)) != 0) {                                       \
			vr_test_failures++;                                             \
			fprintf(stderr, "%s:%d: %s differs from %s\n", __FILE__, __LINE__, #a, \
				#b);                                                    \
			vr_test_hexdiff((const uint8_t *)(a), (const uint8_t *)(b), (n)); \
		}                                                                       \
	} while (0)

static inline void vr_test_hexdiff(const uint8_t *a, const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (a[i] != b[i])
			fprintf(stderr, "  byte %zu: got %02x want %02x\n", i, a[i], b[i]);
}

static inline int vr_test_done(const char *name)
{
	printf("%s: %d checks, %d failed\n", name, vr_test_checks, vr_test_failures);
	return vr_test_failures ? 1 : 0;
}

/*
 * A buffer whose last byte sits just before an inaccessible page, so a read
 * or write one byte past @n faults even without a sanitizer. Holds one
 * buffer at a time per slot; the previous mapping of the slot is released.
 */
struct vr_guard {
	uint8_t *map;
	size_t map_len;
};

static inline uint8_t *vr_guard_alloc(struct vr_guard *g, size_t n)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t data_pages = (n + page - 1) / page;

	if (data_pages == 0)
		data_pages = 1;
	if (g->map)
		munmap(g->map, g->map_len);
	g->map_len = (data_pages + 1) * page;
	g->map = mmap(NULL, g->map_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (g->map == MAP_FAILED) {
		perror("mmap");
		exit(2);
	}
	if (mprotect(g->map + data_pages * page, page, PROT_NONE) != 0) {
		perror("mprotect");
		exit(2);
	}
	return g->map + data_pages * page - n;
}

static inline uint8_t *vr_guard_copy(struct vr_guard *g, const uint8_t *src, size_t n)
{
	uint8_t *p = vr_guard_alloc(g, n);

	memcpy(p, src, n);
	return p;
}

/*
 * RFC 1071 sum written out long-hand as the tests' own oracle, independent
 * of the DPDK helpers the library uses: bytes taken as big-endian pairs.
 */
static inline uint32_t vr_t_sum(const uint8_t *p, size_t n, uint32_t sum)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		sum += (uint32_t)(p[n - 1] << 8);
	return sum;
}

static inline uint16_t vr_t_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* One's complement checksum of @p as it would be stored (host order value). */
static inline uint16_t vr_t_cksum(const uint8_t *p, size_t n)
{
	return (uint16_t)~vr_t_fold(vr_t_sum(p, n, 0));
}

/* Upper-layer checksum with the IPv4 pseudo-header; @ip is the IPv4 header. */
static inline uint16_t vr_t_l4_cksum4(const uint8_t *ip, const uint8_t *l4, size_t l4_len)
{
	uint32_t sum = vr_t_sum(ip + 12, 8, 0);

	sum += ip[9];
	sum += (uint32_t)l4_len;
	return (uint16_t)~vr_t_fold(vr_t_sum(l4, l4_len, sum));
}

/* Upper-layer checksum with the IPv6 pseudo-header (RFC 8200 section 8.1). */
static inline uint16_t vr_t_l4_cksum6(const uint8_t *ip, uint8_t nh, const uint8_t *l4, size_t l4_len)
{
	uint32_t sum = vr_t_sum(ip + 8, 32, 0);

	sum += nh;
	sum += (uint32_t)l4_len;
	return (uint16_t)~vr_t_fold(vr_t_sum(l4, l4_len, sum));
}

static inline void vr_t_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline uint16_t vr_t_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* Hex string (spaces ignored) to bytes; returns the byte count. */
static inline size_t vr_t_unhex(const char *hex, uint8_t *out, size_t cap)
{
	size_t n = 0;
	int hi = -1;

	for (; *hex; hex++) {
		int v;

		if (*hex >= '0' && *hex <= '9')
			v = *hex - '0';
		else if (*hex >= 'a' && *hex <= 'f')
			v = *hex - 'a' + 10;
		else if (*hex >= 'A' && *hex <= 'F')
			v = *hex - 'A' + 10;
		else
			continue;
		if (hi < 0) {
			hi = v;
		} else {
			if (n == cap) {
				fprintf(stderr, "unhex: buffer too small\n");
				exit(2);
			}
			out[n++] = (uint8_t)(hi << 4 | v);
			hi = -1;
		}
	}
	return n;
}

#endif
