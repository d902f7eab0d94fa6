/* SPDX-License-Identifier: BSD-3-Clause */
/* Assertion helpers of the voxrelayctl unit tests: count failures and keep going, so one run shows every broken case. */
#ifndef VOXRELAY_TESTS_CTL_CHECK_H
#define VOXRELAY_TESTS_CTL_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int ctl_failures;

#define CHECK(cond, ...)                                                                \
	do {                                                                            \
		if (!(cond)) {                                                          \
			fprintf(stderr, "%s:%d: CHECK failed: %s: ", __FILE__, __LINE__, \
				#cond);                                                 \
			fprintf(stderr, __VA_ARGS__);                                   \
			fputc('\n', stderr);                                            \
			ctl_failures++;                                                 \
		}                                                                       \
	} while (0)

/* Exact text, shown in full on a mismatch since that is what one needs to fix it. */
#define CHECK_STR(got, want, what)                                                      \
	do {                                                                            \
		const char *g_ = (got), *w_ = (want);                                   \
		if (g_ == NULL || strcmp(g_, w_) != 0) {                                \
			fprintf(stderr, "%s:%d: %s:\n--- want\n%s\n--- got\n%s\n---\n", \
				__FILE__, __LINE__, (what), w_, g_ ? g_ : "(null)");   \
			ctl_failures++;                                                 \
		}                                                                       \
	} while (0)

static inline int ctl_report(const char *name)
{
	if (ctl_failures != 0) {
		fprintf(stderr, "%s: %d check(s) failed\n", name, ctl_failures);
		return EXIT_FAILURE;
	}
	printf("%s: all checks passed\n", name);
	return EXIT_SUCCESS;
}

#endif
