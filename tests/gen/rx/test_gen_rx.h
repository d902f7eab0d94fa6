/* SPDX-License-Identifier: BSD-3-Clause */
/* Shared by the parts of test_gen_rx: the check macro and the test entry points. */
#ifndef VOXRELAY_TEST_GEN_RX_H
#define VOXRELAY_TEST_GEN_RX_H

#include <stdio.h>

/* failed checks over all parts; main() exits non-zero if any */
extern int vr_t_failures;

#define CHECK(c)                                                                               \
	do {                                                                                   \
		if (!(c)) {                                                                    \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #c); \
			vr_t_failures++;                                                       \
		}                                                                              \
	} while (0)

/* test_gen_flow.c: loss, duplicates, reordering, window, latency, summaries, RFC 3550 jitter */
void test_flows(void);
void test_jitter(void);
/* test_gen_calc.c: histogram, RFC 2544 search and line rate, reports */
void test_hist(void);
void test_rfc2544(void);
void test_report(void);

#endif
