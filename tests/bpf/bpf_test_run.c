/* SPDX-License-Identifier: BSD-3-Clause */
/* The BPF_PROG_TEST_RUN check harness shared by the decap and steer fixtures: one run, verdict, output bytes, per-CPU counters, TAP lines. */
#include "bpf_test_run.h"

#include <errno.h>
#include <linux/bpf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "voxrelay/bpf_maps.h"

/* Larger than any fixture (decap's jumbo frames) plus room for a program that grows one. */
#define RUN_OUT_MAX 16384
/* More counter slots than any program has. */
#define RUN_STATS_MAX 64

int test_no, failures;

void ok(int cond, const char *fmt, ...)
{
	va_list ap;

	test_no++;
	printf("%s %d - ", cond ? "ok" : "not ok", test_no);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!cond)
		failures++;
}

void counters_read(const struct counters *c, uint64_t *out)
{
	int rc = vr_bpf_percpu_sum(c->fd, c->n, out);

	if (rc != 0) {
		fprintf(stderr, "stats lookup: %s\n", strerror(-rc));
		exit(1);
	}
}

void hexdump(const char *what, const uint8_t *p, size_t n)
{
	printf("#   %s (%zu bytes):", what, n);
	for (size_t i = 0; i < n; i++)
		printf("%s%02x", i % 16 ? " " : "\n#     ", p[i]);
	printf("\n");
}

const char *verdict_name(uint32_t v)
{
	switch (v) {
	case XDP_ABORTED:
		return "XDP_ABORTED";
	case XDP_DROP:
		return "XDP_DROP";
	case XDP_PASS:
		return "XDP_PASS";
	case XDP_TX:
		return "XDP_TX";
	case XDP_REDIRECT:
		return "XDP_REDIRECT";
	default:
		return "?";
	}
}

void run_check(int prog_fd, const struct counters *c, const char *name, const uint8_t *in, size_t len,
	       uint32_t want_verdict, const uint8_t *want, size_t want_len, unsigned int stat)
{
	static uint8_t out[RUN_OUT_MAX];
	uint64_t before[RUN_STATS_MAX], after[RUN_STATS_MAX];
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = in, .data_size_in = (uint32_t)len, .data_out = out,
		    .data_size_out = sizeof(out), .repeat = 1);
	int err, good = 1;

	if (c->n > RUN_STATS_MAX) {
		fprintf(stderr, "run_check: %u counters, at most %d\n", c->n, RUN_STATS_MAX);
		exit(2);
	}
	if (want == NULL) {
		want = in;
		want_len = len;
	}
	counters_read(c, before);
	err = bpf_prog_test_run_opts(prog_fd, &o);
	counters_read(c, after);
	test_no++;
	if (err != 0) {
		printf("not ok %d - %s # test run failed: %s\n", test_no, name, strerror(errno));
		failures++;
		return;
	}
	if (o.retval != want_verdict) {
		printf("# %s: verdict %s, want %s\n", name, verdict_name(o.retval), verdict_name(want_verdict));
		good = 0;
	}
	if (o.data_size_out != want_len || memcmp(out, want, want_len) != 0) {
		printf("# %s: output frame differs\n", name);
		hexdump("got", out, o.data_size_out);
		hexdump("want", want, want_len);
		good = 0;
	}
	for (unsigned int s = 0; s < c->n; s++) {
		uint64_t d = after[s] - before[s], w = s == stat ? 1 : 0;

		if (d != w) {
			printf("# %s: counter %s went up by %llu, want %llu\n", name, c->name(s),
			       (unsigned long long)d, (unsigned long long)w);
			good = 0;
		}
	}
	printf("%s %d - %s\n", good ? "ok" : "not ok", test_no, name);
	if (!good)
		failures++;
}
