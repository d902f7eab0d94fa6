/* SPDX-License-Identifier: BSD-3-Clause */
/* The decap tests' harness: BPF_PROG_TEST_RUN, verdict, output bytes and counter checks, TAP output. */
#include "decap_fixture.h"

struct vr_decap_bpf *skel;
int prog_fd, stats_fd;

/* The program's counters; stats_fd is only known once the skeleton is loaded. */
static const struct counters *decap_counters(void)
{
	static struct counters c = {.n = VR_DECAP_STAT_MAX, .name = vr_decap_stat_name};

	c.fd = stats_fd;
	return &c;
}

/* ---- running and checking ---- */

void stats_read(uint64_t out[VR_DECAP_STAT_MAX])
{
	counters_read(decap_counters(), out);
}

/*
 * Runs @in through the program once; @want NULL means the frame must come
 * out unchanged. Exactly counter @stat must go up, by one.
 */
void check(const char *name, const uint8_t *in, size_t len, uint32_t want_verdict,
		  const uint8_t *want, size_t want_len, unsigned int stat)
{
	run_check(prog_fd, decap_counters(), name, in, len, want_verdict, want, want_len, stat);
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
