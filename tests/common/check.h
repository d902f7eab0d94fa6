/* SPDX-License-Identifier: BSD-3-Clause */
/* Assertion helpers of the C unit tests: count failures and keep going, so one run shows every broken case. */
#ifndef VOXRELAY_TESTS_COMMON_CHECK_H
#define VOXRELAY_TESTS_COMMON_CHECK_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* by path: some users (tests/srtp) build without the project's include directory */
#include "../../include/voxrelay/splitmix.h"

static int check_failures;

/* Keep going after a failure so one run shows every broken property. */
#define CHECK(cond)                                                                     \
	do {                                                                            \
		if (!(cond)) {                                                          \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, \
				#cond);                                                 \
			check_failures++;                                               \
		}                                                                       \
	} while (0)

#define CHECK_MSG(cond, ...)                                                            \
	do {                                                                            \
		if (!(cond)) {                                                          \
			fprintf(stderr, "%s:%d: CHECK failed: %s: ", __FILE__, __LINE__, \
				#cond);                                                 \
			fprintf(stderr, __VA_ARGS__);                                   \
			fputc('\n', stderr);                                            \
			check_failures++;                                               \
		}                                                                       \
	} while (0)

/* Exact text, shown in full on a mismatch since that is what one needs to fix it. */
#define CHECK_STR(got, want, what)                                                      \
	do {                                                                            \
		const char *g_ = (got), *w_ = (want);                                   \
		if (g_ == NULL || strcmp(g_, w_) != 0) {                                \
			fprintf(stderr, "%s:%d: %s:\n--- want\n%s\n--- got\n%s\n---\n", \
				__FILE__, __LINE__, (what), w_, g_ ? g_ : "(null)");   \
			check_failures++;                                                 \
		}                                                                       \
	} while (0)

static inline int check_report(const char *name)
{
	if (check_failures != 0) {
		fprintf(stderr, "%s: %d check(s) failed\n", name, check_failures);
		return EXIT_FAILURE;
	}
	printf("%s: all checks passed\n", name);
	return EXIT_SUCCESS;
}

/* A reproducible stream for test inputs, independent of libc rand(). */
static inline uint64_t check_rand(uint64_t *state)
{
	return vr_splitmix64(state);
}

#endif
