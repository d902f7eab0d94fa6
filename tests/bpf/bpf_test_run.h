/* SPDX-License-Identifier: BSD-3-Clause */
/* The BPF_PROG_TEST_RUN check harness shared by the decap and steer fixtures: one run, verdict, output bytes, per-CPU counters, TAP lines. */
#ifndef VOXRELAY_TEST_BPF_TEST_RUN_H
#define VOXRELAY_TEST_BPF_TEST_RUN_H

#include <stddef.h>
#include <stdint.h>

/* TAP state: tests numbered so far and how many failed. */
extern int test_no, failures;

/* What a program's counters are: a per-CPU array map of @n __u64 slots and their names. */
struct counters {
	int fd;
	unsigned int n;
	const char *(*name)(unsigned int slot);
};

/* One TAP line: "ok N - ..." if @cond, else "not ok N - ..." (counted as a failure). */
void ok(int cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Sums every slot of @c over the CPUs into @out (c->n entries); exits 1 if the map cannot be read. */
void counters_read(const struct counters *c, uint64_t *out);
/* The @n bytes at @p as TAP comment lines, headed by @what. */
void hexdump(const char *what, const uint8_t *p, size_t n);
/* "XDP_PASS" and so on for verdict @v; "?" for an unknown one. */
const char *verdict_name(uint32_t v);
/*
 * Runs @in through program @prog_fd once (repeat 1) and prints one TAP
 * line: the verdict must be @want_verdict, the output frame @want
 * (@want_len bytes; NULL: @in unchanged), and of the counters @c exactly
 * slot @stat must have gone up, by one. Differences are printed as TAP
 * comments.
 */
void run_check(int prog_fd, const struct counters *c, const char *name, const uint8_t *in, size_t len,
	       uint32_t want_verdict, const uint8_t *want, size_t want_len, unsigned int stat);

#endif
