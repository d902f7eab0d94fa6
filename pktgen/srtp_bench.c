/* SPDX-License-Identifier: BSD-3-Clause */
/* voxrelay-srtp-bench: SRTP protect and unprotect of 172-byte voice packets on one core, per suite, in ops/s. */

/* dl_iterate_phdr, sched_getcpu, CPU_SET: glibc extensions (meson also passes it). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "srtp_raw.h"

#define HDR_LEN VR_RAW_HDR_LEN
#define PAYLOAD_LEN VR_RAW_PAYLOAD_LEN
#define PKT_LEN VR_RAW_PKT_LEN

static void usage(FILE *f)
{
	fprintf(f, "usage: voxrelay-srtp-bench [-t seconds] [-c cpu] [-s cm|gcm|all]\n"
		   "  protect+unprotect of %d-byte RTP packets (%d-byte header, %d payload) on one core;\n"
		   "  prints ops/s per core (an op is one protect or one unprotect; timed in thread CPU time,\n"
		   "  the loop is srtp_raw.c's, shared with voxrelay-relay-bench) and one JSON line per suite\n",
		PKT_LEN, HDR_LEN, PAYLOAD_LEN);
}

int main(int argc, char **argv)
{
	double seconds = 3;
	int cpu = -1;
	const char *which = "all";
	int c;

	while ((c = getopt(argc, argv, "t:c:s:h")) != -1) {
		switch (c) {
		case 't':
			seconds = strtod(optarg, NULL);
			break;
		case 'c':
			cpu = atoi(optarg);
			break;
		case 's':
			which = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (seconds <= 0 || (strcmp(which, "all") && strcmp(which, "cm") && strcmp(which, "gcm"))) {
		usage(stderr);
		return 2;
	}
	/* One core: pin, so the figure is per core and not spread by the scheduler. */
	if (cpu < 0)
		cpu = sched_getcpu();
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set) != 0)
		fprintf(stderr, "voxrelay-srtp-bench: cannot pin to cpu %d: %s\n", cpu, strerror(errno));

	if (srtp_init() != srtp_err_status_ok) {
		fprintf(stderr, "voxrelay-srtp-bench: srtp_init failed\n");
		return 1;
	}
	printf("%s, cpu %d, %.1f s per suite, %d-byte packets\n", srtp_get_version_string(), cpu,
	       seconds, PKT_LEN);

	struct vr_raw_result res[2];
	bool ran[2] = {false, false};

	for (int i = 0; i < 2; i++) {
		if (strcmp(which, "all") && strcmp(which, i == 0 ? "cm" : "gcm"))
			continue;
		if (vr_raw_run(&vr_raw_suites[i], seconds, &res[i]))
			return 1;
		ran[i] = true;
		printf("%-24s protect %10.0f/s  unprotect %10.0f/s  ops %10.0f/s per core  (%llu packets, final ROC %u)\n",
		       vr_raw_suites[i].name, res[i].protect_per_s, res[i].unprotect_per_s, res[i].ops_per_s,
		       (unsigned long long)res[i].packets, res[i].roc);
	}
	/* JSON last, one line per suite, for scripts. */
	for (int i = 0; i < 2; i++) {
		if (ran[i])
			printf("{\"suite\": \"%s\", \"protect_per_s\": %.0f, \"unprotect_per_s\": %.0f, \"ops_per_s\": %.0f}\n",
			       vr_raw_suites[i].name, res[i].protect_per_s, res[i].unprotect_per_s,
			       res[i].ops_per_s);
	}
	srtp_shutdown();
	return 0;
}
