/* SPDX-License-Identifier: BSD-3-Clause */
/* The steer tests' harness: BPF_PROG_TEST_RUN, verdict, output bytes and counter checks, map setup, a bare AF_XDP socket, TAP output. */
#include "steer_fixture.h"

#include <time.h>

#include "xsk_bare.h"

_Static_assert(VR_BPF_AF_INET == AF_INET && VR_BPF_AF_INET6 == AF_INET6,
	       "steer.h family values must be the libc ones");

struct vr_steer_bpf *skel;
int prog_fd, stats_fd;
int xsk_present;

/* ---- running and checking ---- */

/* The program's counters; stats_fd is only known once the skeleton is loaded. */
static const struct counters *steer_counters(void)
{
	static struct counters c = {.n = VR_STEER_STAT_MAX, .name = vr_steer_stat_name};

	c.fd = stats_fd;
	return &c;
}

void stats_read(uint64_t out[VR_STEER_STAT_MAX])
{
	counters_read(steer_counters(), out);
}

/*
 * Runs @in through the program once (repeat 1). The program never rewrites
 * a frame, so the output must equal the input whatever the verdict, and
 * exactly counter @stat must go up, by one.
 */
void check(const char *name, const uint8_t *in, size_t len, uint32_t want_verdict, unsigned int stat)
{
	run_check(prog_fd, steer_counters(), name, in, len, want_verdict, NULL, 0, stat);
}

void expect_pass(const char *name, const struct frame *fr)
{
	check(name, fr->b, fr->len, XDP_PASS, VR_STEER_STAT_PASSED_KERNEL);
}

void expect_drop(const char *name, const struct frame *fr, unsigned int stat)
{
	check(name, fr->b, fr->len, XDP_DROP, stat);
}

/*
 * Steered to the AF_XDP socket. With a socket in slot 0 (the queue
 * BPF_PROG_TEST_RUN reports) the program returns XDP_REDIRECT; without
 * one, bpf_redirect_map() falls back to XDP_PASS and redirect_failed
 * counts it.
 */
void expect_xsk(const char *name, const struct frame *fr)
{
	if (xsk_present)
		check(name, fr->b, fr->len, XDP_REDIRECT, VR_STEER_STAT_REDIRECTED);
	else
		check(name, fr->b, fr->len, XDP_PASS, VR_STEER_STAT_REDIRECT_FAILED);
}

/* ---- maps ---- */

void set_cfg(uint32_t flags, uint32_t rate_pps, uint32_t burst)
{
	struct vr_steer_cfg c = {.flags = flags, .rate_pps = rate_pps, .burst = burst};
	uint32_t k = 0;

	if (bpf_map__update_elem(skel->maps.steer_cfg, &k, sizeof(k), &c, sizeof(c), BPF_ANY) != 0) {
		fprintf(stderr, "config update: %s\n", strerror(errno));
		exit(1);
	}
}

/*
 * Sets VIP address @s to @n ranges from @r, with @nb_ranges written as the
 * count (tests set it apart from @n to see what the program does with a
 * count below or above what is filled in).
 */
void add_vip_ranges(const char *s, uint32_t nb_ranges, const struct vr_steer_port_range *r, unsigned int n)
{
	struct vr_steer_vip v = {.nb_ranges = nb_ranges};
	struct vr_bpf_addr_key k;

	for (unsigned int i = 0; i < n && i < VR_STEER_VIP_RANGES; i++)
		v.r[i] = r[i];
	if (vr_bpf_addr_key_parse(s, &k) != 0 ||
	    bpf_map__update_elem(skel->maps.vips, &k, sizeof(k), &v, sizeof(v), BPF_ANY) != 0) {
		fprintf(stderr, "vip %s: %s\n", s, strerror(errno));
		exit(1);
	}
}

/* VIP address @s with the one range @lo..@hi. */
void add_vip(const char *s, uint16_t lo, uint16_t hi, uint32_t flags)
{
	struct vr_steer_port_range r = {.lo = lo, .hi = hi, .flags = flags};

	add_vip_ranges(s, 1, &r, 1);
}

void add_self(const char *s)
{
	struct vr_bpf_addr_key k;
	uint32_t v = 0;

	if (vr_bpf_addr_key_parse(s, &k) != 0 ||
	    bpf_map__update_elem(skel->maps.self_addrs, &k, sizeof(k), &v, sizeof(v), BPF_ANY) != 0) {
		fprintf(stderr, "self %s: %s\n", s, strerror(errno));
		exit(1);
	}
}

/* bpf_ktime_get_ns() is CLOCK_MONOTONIC. */
uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void bucket_set(const char *src, uint64_t tokens, uint64_t last_ns)
{
	struct vr_steer_bucket b = {.tokens = tokens, .last_ns = last_ns};
	struct vr_bpf_addr_key k;

	if (vr_bpf_addr_key_parse(src, &k) != 0 ||
	    bpf_map__update_elem(skel->maps.src_buckets, &k, sizeof(k), &b, sizeof(b), BPF_ANY) != 0) {
		fprintf(stderr, "bucket %s: %s\n", src, strerror(errno));
		exit(1);
	}
}

void buckets_clear(void)
{
	int fd = bpf_map__fd(skel->maps.src_buckets);
	struct vr_bpf_addr_key k;

	while (bpf_map_get_next_key(fd, NULL, &k) == 0)
		if (bpf_map_delete_elem(fd, &k) != 0)
			break;
}

/*
 * The AF_XDP socket of the redirect cases (xsk_bare.h), so the redirect
 * path can be seen returning XDP_REDIRECT: bound to queue 0 of the loopback
 * device of a private network namespace, where no XDP program will ever
 * send it anything. BPF_PROG_TEST_RUN (without live frames) only reports
 * the verdict, it does not deliver. Returns the fd, or -1 with the reason
 * printed as a TAP comment.
 */
int xsk_open(void)
{
	static struct xsk_bare x;
	const char *step = "";
	int rc = xsk_bare_open(&x, "lo", &step);

	if (rc != 0) {
		printf("# AF_XDP %s (lo queue 0): %s\n", step, strerror(-rc));
		return -1;
	}
	return x.fd;
}

/* Puts socket @fd into xsks_map slot 0, or empties the slot if @fd < 0. */
void xsk_slot(int fd)
{
	int mfd = bpf_map__fd(skel->maps.xsks_map);
	uint32_t k = 0;

	if (fd < 0) {
		if (bpf_map_delete_elem(mfd, &k) != 0 && errno != ENOENT) {
			fprintf(stderr, "xsks_map delete: %s\n", strerror(errno));
			exit(1);
		}
		xsk_present = 0;
		return;
	}
	if (bpf_map_update_elem(mfd, &k, &fd, BPF_ANY) != 0) {
		printf("# xsks_map update: %s\n", strerror(errno));
		xsk_present = 0;
		return;
	}
	xsk_present = 1;
}
