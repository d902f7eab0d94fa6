/* SPDX-License-Identifier: BSD-3-Clause */
/* The decap tests' harness: BPF_PROG_TEST_RUN, verdict, output bytes and counter checks, TAP output. */
#include "decap_fixture.h"

struct vr_decap_bpf *skel;
int prog_fd, stats_fd;
int test_no, failures;

/* ---- running and checking ---- */

void stats_read(uint64_t out[VR_DECAP_STAT_MAX])
{
	int ncpu = libbpf_num_possible_cpus();
	uint64_t vals[ncpu > 0 ? ncpu : 1];

	for (uint32_t s = 0; s < VR_DECAP_STAT_MAX; s++) {
		out[s] = 0;
		if (bpf_map_lookup_elem(stats_fd, &s, vals) != 0) {
			fprintf(stderr, "stats lookup: %s\n", strerror(errno));
			exit(1);
		}
		for (int c = 0; c < ncpu; c++)
			out[s] += vals[c];
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

/*
 * Runs @in through the program once; @want NULL means the frame must come
 * out unchanged. Exactly counter @stat must go up, by one.
 */
void check(const char *name, const uint8_t *in, size_t len, uint32_t want_verdict,
		  const uint8_t *want, size_t want_len, unsigned int stat)
{
	uint8_t out[FRAME_MAX + 256];
	uint64_t before[VR_DECAP_STAT_MAX], after[VR_DECAP_STAT_MAX];
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = in, .data_size_in = (uint32_t)len, .data_out = out,
		    .data_size_out = sizeof(out), .repeat = 1);
	int err, ok = 1;

	if (want == NULL) {
		want = in;
		want_len = len;
	}
	stats_read(before);
	err = bpf_prog_test_run_opts(prog_fd, &o);
	stats_read(after);
	test_no++;
	if (err != 0) {
		printf("not ok %d - %s # test run failed: %s\n", test_no, name, strerror(errno));
		failures++;
		return;
	}
	if (o.retval != want_verdict) {
		printf("# %s: verdict %s, want %s\n", name, verdict_name(o.retval), verdict_name(want_verdict));
		ok = 0;
	}
	if (o.data_size_out != want_len || memcmp(out, want, want_len) != 0) {
		printf("# %s: output frame differs\n", name);
		hexdump("got", out, o.data_size_out);
		hexdump("want", want, want_len);
		ok = 0;
	}
	for (unsigned int s = 0; s < VR_DECAP_STAT_MAX; s++) {
		uint64_t d = after[s] - before[s], w = s == stat ? 1 : 0;

		if (d != w) {
			printf("# %s: counter %s went up by %llu, want %llu\n", name, vr_decap_stat_name(s),
			       (unsigned long long)d, (unsigned long long)w);
			ok = 0;
		}
	}
	printf("%s %d - %s\n", ok ? "ok" : "not ok", test_no, name);
	if (!ok)
		failures++;
}

void expect_decap(const char *name, const struct fx *f)
{
	struct frame fr;

	build(f, &fr);
	check(name, fr.b, fr.len, XDP_PASS, fr.expect, fr.expect_len,
	      f->enc == ENC_IPIP ? VR_DECAP_STAT_IPIP : VR_DECAP_STAT_GUE);
}

void expect_untouched(const char *name, const struct frame *fr, unsigned int stat)
{
	check(name, fr->b, fr->len, XDP_PASS, NULL, 0, stat);
}

void expect_malformed(const char *name, const struct frame *fr)
{
	check(name, fr->b, fr->len, XDP_DROP, NULL, 0, VR_DECAP_STAT_MALFORMED);
}

void set_gue_port(uint32_t port)
{
	uint32_t k = VR_DECAP_CFG_GUE_PORT;

	if (bpf_map__update_elem(skel->maps.decap_config, &k, sizeof(k), &port, sizeof(port), BPF_ANY) != 0) {
		fprintf(stderr, "config update: %s\n", strerror(errno));
		exit(1);
	}
}

void add_vip(const char *s, uint32_t flags)
{
	struct vr_bpf_addr_key k;

	if (vr_bpf_addr_key_parse(s, &k) != 0 ||
	    bpf_map__update_elem(skel->maps.vips, &k, sizeof(k), &flags, sizeof(flags), BPF_ANY) != 0) {
		fprintf(stderr, "vip %s: %s\n", s, strerror(errno));
		exit(1);
	}
}
