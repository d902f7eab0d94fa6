/* SPDX-License-Identifier: BSD-3-Clause */
/* voxrelay-steer-bench: ns per packet of bpf/steer.bpf.c under BPF_PROG_TEST_RUN (voice, junk, flood with repeat; voice from many sources one run each) against a trivial XDP program; last line one JSON object. */
#include <errno.h>
#include <getopt.h>
#include <linux/bpf.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "steer.skel.h"
#include "steer_fixture_frames.h"
#include "voxrelay/bpf_maps.h"
#include "voxrelay/steer.h"
#include "xsk_bare.h"

#define MAX_PACKETS 4096
#define MAX_SOURCES 16384
#define MAX_ROUNDS 64

/* The balancer's settings: a NAT address may carry a few dozen calls. */
#define RATE_PPS 1000
#define BURST 2000
/*
 * Burst of the voice runs. BPF_PROG_TEST_RUN repeats one packet, i.e. one
 * source, up to a million times within milliseconds; with BURST that source
 * would be a flood after 2000 repeats. A deep bucket keeps it within its
 * rate while the code path stays the real one (bucket hit, refill, take a
 * token): the depth is a value, not a branch.
 */
#define VOICE_BURST 0x7fffffffu

#define STEER_CFG (VR_STEER_CFG_NEIGH_TO_XSK | VR_STEER_CFG_FILTER)
#define VOICE_FLAGS (VR_STEER_VIP_VOICE | VR_STEER_VIP_RATE_LIMIT)

/*
 * The balancer's VIPs, shaped like conf/lab.yaml: several services per
 * address, so a voice port is not always in the first range looked at.
 */
struct vip_def {
	const char *addr;
	unsigned int nb;
	struct vr_steer_port_range r[3];
	uint16_t voice_lo, voice_hi; /* where the voice packets of the benchmark go */
};

static const struct vip_def vip_defs[] = {
	{"203.0.113.10", 2, {{50000, 50999, VOICE_FLAGS}, {5004, 5004, VR_STEER_VIP_RATE_LIMIT}}, 50000, 50999},
	{"203.0.113.20", 3,
	 {{3478, 3478, VOICE_FLAGS}, {5004, 5004, VR_STEER_VIP_RATE_LIMIT}, {40000, 49999, VOICE_FLAGS}},
	 40000, 49999},
	{"2001:db8:10::10", 2, {{50000, 50999, VOICE_FLAGS}, {5004, 5004, VR_STEER_VIP_RATE_LIMIT}}, 50000, 50999},
	{"2001:db8:10::20", 3,
	 {{3478, 3478, VOICE_FLAGS}, {5004, 5004, VR_STEER_VIP_RATE_LIMIT}, {40000, 49999, VOICE_FLAGS}},
	 40000, 49999},
};
#define NB_VIPS (sizeof(vip_defs) / sizeof(vip_defs[0]))

/* The balancer's own addresses (ARP/ND answered by the dataplane). */
static const char *const self_defs[] = {"192.0.2.1", "2001:db8:1::1"};

/* One input frame and the counter each of its repeats must land in. */
struct pkt {
	struct frame fr;
	unsigned int stat;
	char src[INET6_ADDRSTRLEN]; /* to reset its bucket (flood) */
};

/* A class of traffic: its frames and the settings it runs under. */
struct pkt_set {
	const char *name;
	struct pkt *p;
	unsigned int n;
	unsigned int repeat; /* per test run */
	unsigned int passes; /* timed passes over the frames */
	int warm;            /* one untimed pass first (new sources' buckets are inserted there) */
	struct vr_steer_cfg cfg;
	int drain;    /* empty each source's bucket before its run */
	int baseline; /* run through the trivial program instead */
};

/* What one run of a set measured. */
struct set_result {
	double ns;      /* kernel's duration per repeat, mean over the set's frames */
	double cpu_ns;  /* the thread's CPU time in the syscall / repeat, mean: checks the kernel's whole ns */
	uint64_t stats[VR_STEER_STAT_MAX];
};

struct opts {
	unsigned int repeat, packets, rounds, sources, passes;
	int cpu, quick;
};

static struct vr_steer_bpf *skel;
static int stats_fd;

static uint64_t clock_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int stats_read(uint64_t out[VR_STEER_STAT_MAX])
{
	return vr_bpf_percpu_sum(stats_fd, VR_STEER_STAT_MAX, out);
}

static int set_cfg(const struct vr_steer_cfg *c)
{
	uint32_t k = 0;

	if (bpf_map__update_elem(skel->maps.steer_cfg, &k, sizeof(k), c, sizeof(*c), BPF_ANY) != 0)
		return -errno;
	return 0;
}

static int fill_maps(void)
{
	struct vr_bpf_addr_key k;
	uint32_t zero = 0;

	for (size_t i = 0; i < NB_VIPS; i++) {
		struct vr_steer_vip v = {.nb_ranges = vip_defs[i].nb};

		memcpy(v.r, vip_defs[i].r, sizeof(vip_defs[i].r));
		if (vr_bpf_addr_key_parse(vip_defs[i].addr, &k) != 0)
			return -EINVAL;
		if (bpf_map__update_elem(skel->maps.vips, &k, sizeof(k), &v, sizeof(v), BPF_ANY) != 0)
			return -errno;
	}
	for (size_t i = 0; i < sizeof(self_defs) / sizeof(self_defs[0]); i++) {
		if (vr_bpf_addr_key_parse(self_defs[i], &k) != 0)
			return -EINVAL;
		if (bpf_map__update_elem(skel->maps.self_addrs, &k, sizeof(k), &zero, sizeof(zero), BPF_ANY) != 0)
			return -errno;
	}
	return 0;
}

/* Empty @src's bucket as of now: from here it earns RATE_PPS tokens a second, like a source flooding for a while. */
static int bucket_drain(const char *src)
{
	struct vr_steer_bucket b = {.tokens = 0, .last_ns = clock_ns(CLOCK_MONOTONIC)};
	struct vr_bpf_addr_key k;

	if (vr_bpf_addr_key_parse(src, &k) != 0)
		return -EINVAL;
	if (bpf_map__update_elem(skel->maps.src_buckets, &k, sizeof(k), &b, sizeof(b), BPF_ANY) != 0)
		return -errno;
	return 0;
}

/* The baseline: XDP_PASS and nothing else, so test_run's own loop is all it costs. */
static int load_trivial_prog(void)
{
	const struct bpf_insn insns[] = {
		{.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = XDP_PASS},
		{.code = BPF_JMP | BPF_EXIT},
	};
	int fd = bpf_prog_load(BPF_PROG_TYPE_XDP, "vr_bench_pass", "Dual BSD/GPL", insns, 2, NULL);

	return fd < 0 ? -errno : fd;
}

/* ---- the traffic ---- */

/* Source @i (< 131071) of family @v6, from the benchmarking ranges (RFC 2544 198.18.0.0/15, RFC 5180 2001:2::/48). */
static void src_addr(char *out, unsigned int i, int v6)
{
	uint32_t a = 0xc6120000u + i + 1;

	if (v6)
		snprintf(out, INET6_ADDRSTRLEN, "2001:2:0:%x::%x", (i >> 12) & 0xffff, (i & 0xfff) + 1);
	else
		snprintf(out, INET6_ADDRSTRLEN, "%u.%u.%u.%u", a >> 24, (a >> 16) & 0xff, (a >> 8) & 0xff, a & 0xff);
}

/* A voice VIP of family @v6 (@i picks which) and one of its voice ports. */
static const struct vip_def *voice_dst(unsigned int i, int v6, uint16_t *port)
{
	const struct vip_def *d = &vip_defs[(v6 ? 2 : 0) + (i / 2) % 2];

	*port = (uint16_t)(d->voice_lo + (i * 37u) % (unsigned int)(d->voice_hi - d->voice_lo + 1));
	return d;
}

/* G.711 20 ms RTP (12 + 160 bytes: 214-byte frames over IPv4, 234 over IPv6), a source each, families alternating. */
static void make_voice(struct pkt *p, unsigned int n, unsigned int src_base, unsigned int stat)
{
	static uint8_t pl[172];

	rtp(pl, 0x80, sizeof(pl));
	for (unsigned int i = 0; i < n; i++) {
		int v6 = i & 1;
		uint16_t port;
		const struct vip_def *d = voice_dst(i, v6, &port);

		src_addr(p[i].src, src_base + i, v6);
		build(&(struct fx){.v6 = v6, .src = p[i].src, .dst = d->addr, .dport = port, .payload = pl,
				   .plen = sizeof(pl)},
		      &p[i].fr);
		p[i].stat = stat;
	}
}

/*
 * Junk to the voice ports, four kinds in turn, IPv4 and IPv6: an IPv4
 * header as payload (first byte 0x45: not voice), RTP version 3, RTP cut
 * to 8 bytes, a first fragment.
 */
static void make_junk(struct pkt *p, unsigned int n, unsigned int src_base)
{
	static uint8_t not_voice[172], v3[172], shrt[8], full[172];

	rtp(not_voice, 0x45, sizeof(not_voice));
	rtp(v3, 0xc0, sizeof(v3));
	rtp(shrt, 0x80, sizeof(shrt));
	rtp(full, 0x80, sizeof(full));
	for (unsigned int i = 0; i < n; i++) {
		int v6 = (i / 4) & 1;
		uint16_t port;
		const struct vip_def *d = voice_dst(i / 8, v6, &port);
		struct fx f = {.v6 = v6, .src = p[i].src, .dst = d->addr, .dport = port};

		src_addr(p[i].src, src_base + i, v6);
		switch (i % 4) {
		case 0:
			f.payload = not_voice, f.plen = sizeof(not_voice);
			p[i].stat = VR_STEER_STAT_DROP_NOT_VOICE;
			break;
		case 1:
			f.payload = v3, f.plen = sizeof(v3);
			p[i].stat = VR_STEER_STAT_DROP_RTP_VERSION;
			break;
		case 2:
			f.payload = shrt, f.plen = sizeof(shrt);
			p[i].stat = VR_STEER_STAT_DROP_SHORT;
			break;
		default:
			f.payload = full, f.plen = sizeof(full);
			if (v6)
				f.v6_frag = 1;
			else
				f.frag_off = 0x2000; /* MF, offset 0 */
			p[i].stat = VR_STEER_STAT_DROP_FRAGMENT;
			break;
		}
		build(&f, &p[i].fr);
	}
}

/* ---- running ---- */

static int run_set(int prog_fd, const struct pkt_set *s, struct set_result *res)
{
	uint64_t before[VR_STEER_STAT_MAX], after[VR_STEER_STAT_MAX];
	double ns = 0, cpu = 0;
	int err;

	if (!s->baseline && (err = set_cfg(&s->cfg)) != 0)
		return err;
	if ((err = stats_read(before)) != 0)
		return err;
	for (unsigned int pass = s->warm ? 0 : 1; pass <= s->passes; pass++) {
		for (unsigned int i = 0; i < s->n; i++) {
			LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = s->p[i].fr.b,
				    .data_size_in = (uint32_t)s->p[i].fr.len, .repeat = s->repeat);
			uint64_t t0;

			if (s->drain && (err = bucket_drain(s->p[i].src)) != 0)
				return err;
			/* CPU time, not wall time: on a shared machine the wall
			 * clock also counts whoever ran while test_run yielded
			 * the cpu, which the kernel's duration leaves out too. */
			t0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
			if (bpf_prog_test_run_opts(prog_fd, &o) != 0)
				return -errno;
			if (pass == 0)
				continue;
			cpu += (double)(clock_ns(CLOCK_THREAD_CPUTIME_ID) - t0) / s->repeat;
			ns += o.duration;
		}
	}
	if ((err = stats_read(after)) != 0)
		return err;
	res->ns = ns / ((double)s->n * s->passes);
	res->cpu_ns = cpu / ((double)s->n * s->passes);
	for (unsigned int k = 0; k < VR_STEER_STAT_MAX; k++)
		res->stats[k] = after[k] - before[k];
	return 0;
}

/*
 * The set's packets must have taken the path they stand for, or the figure
 * means something else. The flood may let through what its bucket earns
 * during the run (RATE_PPS per second); everything else must be exact.
 */
static int check_set(const struct pkt_set *s, const struct set_result *r, unsigned int steered)
{
	uint64_t runs = (uint64_t)s->repeat * (s->passes + (s->warm ? 1 : 0));
	uint64_t want[VR_STEER_STAT_MAX] = {0}, total = (uint64_t)s->n * runs;

	if (s->baseline)
		return 0;
	for (unsigned int i = 0; i < s->n; i++)
		want[s->p[i].stat] += runs;
	if (s->drain) {
		uint64_t passed = r->stats[steered];

		if (r->stats[VR_STEER_STAT_DROP_RATE_LIMITED] + passed == total && passed * 100 <= total)
			return 0;
	} else if (memcmp(want, r->stats, sizeof(want)) == 0) {
		return 0;
	}
	fprintf(stderr, "voxrelay-steer-bench: %s: the counters do not match the traffic:", s->name);
	for (unsigned int k = 0; k < VR_STEER_STAT_MAX; k++)
		if (r->stats[k] || want[k])
			fprintf(stderr, " %s %llu (want %llu)", vr_steer_stat_name(k), (unsigned long long)r->stats[k],
				(unsigned long long)want[k]);
	fprintf(stderr, "\n");
	return -EPROTO;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, unsigned int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: voxrelay-steer-bench [--repeat N] [--packets N] [--sources S] [--passes P] [--rounds R]\n"
		"                            [--cpu C] [--quick]\n"
		"  BPF_PROG_TEST_RUN of bpf/steer.bpf.c (balancer maps: 4 VIPs with voice ranges, FILTER and\n"
		"  NEIGH_TO_XSK, rate %d pps, burst %d) and of a trivial XDP_PASS program, on one cpu: every\n"
		"  class is N distinct packets (default 64), each run with repeat N (default 1000000); R rounds\n"
		"  (default 3), classes alternating; the kernel's ns per repeat, median over rounds.\n"
		"  Classes: baseline (trivial program, voice frames), voice (RTP to a VIP voice port, rate limit\n"
		"  on with a bucket deep enough for repeat, AF_XDP socket in the queue's slot: XDP_REDIRECT),\n"
		"  voice_no_rate_limit (rate_pps 0), junk (0x45, RTP version 3, short, fragment), flood (one\n"
		"  source per packet, its bucket empty: drop_rate_limited); then without repeat, where the maps\n"
		"  are not all in cache: baseline_many_sources, voice_many_sources and voice_many_no_rate_lim,\n"
		"  S voice packets from S sources (default 10000) run once each, round robin, P passes\n"
		"  (default 10) after one untimed.\n"
		"  --quick: repeat 100000, 32 packets, 3 passes, 2 rounds. Needs root. Last line: one JSON object.\n",
		RATE_PPS, BURST);
}

/* 0, 1 for --help, or -EINVAL. */
static int parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option lopts[] = {
		{"repeat", required_argument, NULL, 'n'}, {"packets", required_argument, NULL, 'p'},
		{"rounds", required_argument, NULL, 'r'}, {"cpu", required_argument, NULL, 'c'},
		{"sources", required_argument, NULL, 's'}, {"passes", required_argument, NULL, 'P'},
		{"quick", no_argument, NULL, 'q'},        {"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}};
	unsigned long repeat = 0, packets = 0, rounds = 0, sources = 0, passes = 0;
	int c;

	o->cpu = -1;
	while ((c = getopt_long(argc, argv, "h", lopts, NULL)) != -1) {
		switch (c) {
		case 'n':
			repeat = strtoul(optarg, NULL, 10);
			break;
		case 'p':
			packets = strtoul(optarg, NULL, 10);
			break;
		case 'r':
			rounds = strtoul(optarg, NULL, 10);
			break;
		case 'c':
			o->cpu = atoi(optarg);
			break;
		case 's':
			sources = strtoul(optarg, NULL, 10);
			break;
		case 'P':
			passes = strtoul(optarg, NULL, 10);
			break;
		case 'q':
			o->quick = 1;
			break;
		case 'h':
			return 1;
		default:
			return -EINVAL;
		}
	}
	if (optind != argc)
		return -EINVAL;
	o->repeat = (unsigned int)(repeat ? repeat : o->quick ? 100000 : 1000000);
	o->packets = (unsigned int)(packets ? packets : o->quick ? 32 : 64);
	o->rounds = (unsigned int)(rounds ? rounds : o->quick ? 2 : 3);
	o->sources = (unsigned int)(sources ? sources : 10000);
	o->passes = (unsigned int)(passes ? passes : o->quick ? 3 : 10);
	/* Packets in multiples of 8: junk cycles four kinds over both families. */
	if (repeat > UINT32_MAX || o->packets > MAX_PACKETS || o->packets % 8 || o->rounds > MAX_ROUNDS ||
	    o->sources > MAX_SOURCES || o->passes > 1000)
		return -EINVAL;
	return 0;
}

enum {
	SET_BASELINE,
	SET_VOICE,
	SET_VOICE_NORL,
	SET_JUNK,
	SET_FLOOD,
	SET_BASELINE_MANY,
	SET_VOICE_MANY,
	SET_VOICE_MANY_NORL,
	NB_SETS
};

/*
 * The classes, in the order each round runs them. The *_many sets run each
 * packet once (repeat 1): with repeat, one packet's map entries, code and
 * data stay in L1, whereas a balancer sees its sources in turn, so each
 * packet's bucket lookup may miss the cache. Their figures include the
 * clock reads test_run wraps around every run; the baseline run the same
 * way takes those out.
 */
static void sets_init(struct pkt_set *sets, struct pkt *voice, struct pkt *junk, struct pkt *flood, struct pkt *many,
		      const struct opts *o)
{
	const struct vr_steer_cfg cfg = {.flags = STEER_CFG, .rate_pps = RATE_PPS, .burst = BURST};
	const struct pkt_set rep = {.n = o->packets, .repeat = o->repeat, .passes = 1, .cfg = cfg};
	const struct pkt_set once = {.n = o->sources, .repeat = 1, .passes = o->passes, .warm = 1, .cfg = cfg};

	for (unsigned int i = 0; i < NB_SETS; i++)
		sets[i] = i < SET_BASELINE_MANY ? rep : once;
	sets[SET_BASELINE].name = "baseline", sets[SET_BASELINE].p = voice, sets[SET_BASELINE].baseline = 1;
	sets[SET_VOICE].name = "voice", sets[SET_VOICE].p = voice, sets[SET_VOICE].cfg.burst = VOICE_BURST;
	sets[SET_VOICE_NORL].name = "voice_no_rate_limit", sets[SET_VOICE_NORL].p = voice;
	sets[SET_VOICE_NORL].cfg.rate_pps = 0;
	sets[SET_JUNK].name = "junk", sets[SET_JUNK].p = junk;
	sets[SET_FLOOD].name = "flood", sets[SET_FLOOD].p = flood, sets[SET_FLOOD].drain = 1;
	sets[SET_BASELINE_MANY].name = "baseline_many_sources", sets[SET_BASELINE_MANY].p = many;
	sets[SET_BASELINE_MANY].baseline = 1;
	/* Never rate limited: a source sends passes + 1 packets a round,
	 * far fewer than the BURST its bucket starts with. */
	sets[SET_VOICE_MANY].name = "voice_many_sources", sets[SET_VOICE_MANY].p = many;
	sets[SET_VOICE_MANY_NORL].name = "voice_many_no_rate_lim", sets[SET_VOICE_MANY_NORL].p = many;
	sets[SET_VOICE_MANY_NORL].cfg.rate_pps = 0;
}

int main(int argc, char **argv)
{
	static double ns[NB_SETS][MAX_ROUNDS], cpu[NB_SETS][MAX_ROUNDS];
	struct pkt *voice = NULL, *junk = NULL, *flood = NULL, *many = NULL;
	struct pkt_set sets[NB_SETS];
	double med[NB_SETS], med_cpu[NB_SETS], drop_ns, net_many;
	int err, rc = 1, base_fd = -1, xsk = 0;
	uint64_t flood_passed = 0, flood_total = 0;
	unsigned int steered;
	struct xsk_bare xs = {.fd = -1};
	const char *step = "";
	struct opts o = {0};
	cpu_set_t cpus;
	uint32_t k0 = 0;

	err = parse_opts(argc, argv, &o);
	if (err != 0) {
		usage(err > 0 ? stdout : stderr);
		return err > 0 ? 0 : 2;
	}
	if (geteuid() != 0) {
		fprintf(stderr, "voxrelay-steer-bench: BPF_PROG_TEST_RUN needs root\n");
		return 1;
	}
	/* test_run runs on the calling cpu: keep it on one. */
	if (o.cpu >= 0) {
		CPU_ZERO(&cpus);
		CPU_SET(o.cpu, &cpus);
		if (sched_setaffinity(0, sizeof(cpus), &cpus) != 0) {
			fprintf(stderr, "voxrelay-steer-bench: cannot pin to cpu %d: %s\n", o.cpu, strerror(errno));
			return 1;
		}
	}
	skel = vr_steer_bpf__open_and_load();
	if (skel == NULL) {
		fprintf(stderr, "voxrelay-steer-bench: loading steer.bpf.o: %s\n", strerror(errno));
		return 1;
	}
	stats_fd = bpf_map__fd(skel->maps.steer_stats);
	base_fd = load_trivial_prog();
	if (base_fd < 0) {
		fprintf(stderr, "voxrelay-steer-bench: loading the trivial program: %s\n", strerror(-base_fd));
		goto out;
	}
	if ((err = fill_maps()) != 0) {
		fprintf(stderr, "voxrelay-steer-bench: filling the maps: %s\n", strerror(-err));
		goto out;
	}
	/* The socket's loopback is in a namespace of our own: nothing of the
	 * host's is touched. Without a socket the voice figure is the
	 * XDP_PASS fallback's, and the JSON says so. */
	if (unshare(CLONE_NEWNET) != 0) {
		fprintf(stderr, "voxrelay-steer-bench: unshare(CLONE_NEWNET): %s; no AF_XDP socket\n", strerror(errno));
	} else if ((err = xsk_bare_open(&xs, "lo", &step)) != 0) {
		fprintf(stderr, "voxrelay-steer-bench: AF_XDP socket (%s): %s; voice measured on the fallback\n", step,
			strerror(-err));
	} else if (bpf_map_update_elem(bpf_map__fd(skel->maps.xsks_map), &k0, &xs.fd, BPF_ANY) != 0) {
		fprintf(stderr, "voxrelay-steer-bench: xsks_map: %s; voice measured on the fallback\n",
			strerror(errno));
	} else {
		xsk = 1;
	}
	steered = xsk ? VR_STEER_STAT_REDIRECTED : VR_STEER_STAT_REDIRECT_FAILED;

	voice = calloc(o.packets, sizeof(*voice));
	junk = calloc(o.packets, sizeof(*junk));
	flood = calloc(o.packets, sizeof(*flood));
	many = calloc(o.sources, sizeof(*many));
	if (!voice || !junk || !flood || !many) {
		fprintf(stderr, "voxrelay-steer-bench: out of memory\n");
		goto out;
	}
	/* Disjoint sources per class: the flood's empty buckets must not
	 * be voice's, and voice's sources are never drained. */
	make_voice(voice, o.packets, 0, steered);
	make_junk(junk, o.packets, 0x4000);
	make_voice(flood, o.packets, 0x8000, VR_STEER_STAT_DROP_RATE_LIMITED);
	make_voice(many, o.sources, 0xc000, steered);

	sets_init(sets, voice, junk, flood, many, &o);

	printf("steer.bpf.o under BPF_PROG_TEST_RUN, cpu %d: %u packets per class with repeat %u; %u sources once "
	       "each, %u passes; %u rounds; AF_XDP socket in slot 0: %s\n",
	       o.cpu, o.packets, o.repeat, o.sources, o.passes, o.rounds,
	       xsk ? "yes (voice ends in XDP_REDIRECT)" : "NO (XDP_PASS fallback)");
	for (unsigned int r = 0; r < o.rounds; r++) {
		for (unsigned int s = 0; s < NB_SETS; s++) {
			struct set_result res;

			err = run_set(sets[s].baseline ? base_fd : bpf_program__fd(skel->progs.vr_steer_xdp), &sets[s],
				      &res);
			if (err != 0) {
				fprintf(stderr, "voxrelay-steer-bench: %s: %s\n", sets[s].name, strerror(-err));
				goto out;
			}
			if (check_set(&sets[s], &res, steered) != 0)
				goto out;
			if (s == SET_FLOOD) {
				flood_passed += res.stats[steered];
				flood_total += (uint64_t)o.packets * o.repeat;
			}
			ns[s][r] = res.ns;
			cpu[s][r] = res.cpu_ns;
			printf("round %u %-22s %8.2f ns/packet (kernel), %8.2f (thread cpu time per run)\n", r + 1,
			       sets[s].name, res.ns, res.cpu_ns);
		}
	}
	for (unsigned int s = 0; s < NB_SETS; s++) {
		med[s] = median(ns[s], o.rounds);
		med_cpu[s] = median(cpu[s], o.rounds);
	}
	/* The drop path: junk (four kinds) and flood, half each. */
	drop_ns = (med[SET_JUNK] + med[SET_FLOOD]) / 2;
	net_many = med[SET_VOICE_MANY] - med[SET_BASELINE_MANY];

	printf("%-22s %10s %10s %10s %12s\n", "class", "ns/packet", "net of", "cpu time", "Mpps/core");
	printf("%-22s %10s %10s %10s %12s\n", "", "(kernel)", "baseline", "ns/packet", "");
	for (unsigned int s = 0; s < SET_BASELINE_MANY; s++)
		printf("%-22s %10.2f %10.2f %10.2f %12.2f\n", sets[s].name, med[s], med[s] - med[SET_BASELINE],
		       med_cpu[s], 1000.0 / med[s]);
	printf("%-22s %10.2f %10.2f %10s %12.2f\n", "drop (junk+flood)/2", drop_ns, drop_ns - med[SET_BASELINE], "",
	       1000.0 / drop_ns);
	/* Once per run: the cpu time is the syscall's, and the gross figure
	 * holds test_run's clock reads, so only the net figure compares. */
	for (unsigned int s = SET_BASELINE_MANY; s < NB_SETS; s++)
		printf("%-22s %10.2f %10.2f %10s %12s\n", sets[s].name, med[s], med[s] - med[SET_BASELINE_MANY], "-",
		       "-");
	printf("flood: %.4f %% of its packets passed (tokens earned at %d pps during the runs)\n",
	       flood_total ? 100.0 * (double)flood_passed / (double)flood_total : 0.0, RATE_PPS);
	printf("{\"bench\":\"xdp_steer\",\"ns_per_packet_voice\":%.2f,\"ns_per_packet_junk\":%.2f,"
	       "\"drop_mpps_per_core\":%.2f,\"ns_per_packet_flood\":%.2f,\"ns_per_packet_voice_no_rate_limit\":%.2f,"
	       "\"ns_per_packet_drop\":%.2f,\"baseline_ns\":%.2f,\"net_ns_voice\":%.2f,\"net_ns_junk\":%.2f,"
	       "\"net_ns_flood\":%.2f,\"cpu_ns_voice\":%.2f,\"cpu_ns_junk\":%.2f,\"cpu_ns_flood\":%.2f,"
	       "\"cpu_ns_baseline\":%.2f,\"net_ns_voice_many_sources\":%.2f,"
	       "\"net_ns_voice_many_sources_no_rate_limit\":%.2f,\"ns_per_run_voice_many_sources\":%.2f,"
	       "\"ns_per_run_baseline_many_sources\":%.2f,\"sources\":%u,\"passes\":%u,"
	       "\"flood_passed_fraction\":%.6f,\"xsk\":%s,\"repeat\":%u,"
	       "\"packets_per_class\":%u,\"rounds\":%u,\"cpu\":%d,\"rate_pps\":%d,\"burst\":%d,\"voice_burst\":%u}\n",
	       med[SET_VOICE], med[SET_JUNK], 1000.0 / drop_ns, med[SET_FLOOD], med[SET_VOICE_NORL], drop_ns,
	       med[SET_BASELINE], med[SET_VOICE] - med[SET_BASELINE], med[SET_JUNK] - med[SET_BASELINE],
	       med[SET_FLOOD] - med[SET_BASELINE], med_cpu[SET_VOICE], med_cpu[SET_JUNK], med_cpu[SET_FLOOD],
	       med_cpu[SET_BASELINE], net_many, med[SET_VOICE_MANY_NORL] - med[SET_BASELINE_MANY], med[SET_VOICE_MANY],
	       med[SET_BASELINE_MANY], o.sources, o.passes,
	       flood_total ? (double)flood_passed / (double)flood_total : 0.0,
	       xsk ? "true" : "false", o.repeat, o.packets, o.rounds, o.cpu, RATE_PPS, BURST, VOICE_BURST);
	rc = 0;

out:
	free(voice);
	free(junk);
	free(flood);
	free(many);
	xsk_bare_close(&xs);
	if (base_fd >= 0)
		close(base_fd);
	vr_steer_bpf__destroy(skel);
	return rc;
}
