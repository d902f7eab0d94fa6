/* SPDX-License-Identifier: BSD-3-Clause */
/* The assertion the libFuzzer targets share: abort() so libFuzzer records the input as a crash. */
#ifndef VOXRELAY_FUZZ_ASSERT_H
#define VOXRELAY_FUZZ_ASSERT_H

#include <stdio.h>
#include <stdlib.h>

#define FUZZ_ASSERT(c)                                                                  \
	do {                                                                            \
		if (!(c)) {                                                             \
			fprintf(stderr, "%s:%d: assertion failed: %s\n", __FILE__, __LINE__, #c); \
			abort();                                                        \
		}                                                                       \
	} while (0)

#endif
