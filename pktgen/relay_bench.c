/* SPDX-License-Identifier: BSD-3-Clause */
/* voxrelay-relay-bench: the relay fan-out core on one core against raw libsrtp: SRTP ops/s per room count, bytes per member, 100,000 members. */

/* sched_getcpu, CPU_SET: glibc extensions (meson also passes it). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <srtp2/srtp.h>

#include "voxrelay/relay.h"
#include "voxrelay/rtp.h"
#include "voxrelay/splitmix.h"

#include "srtp_raw.h"

#define MEMBERS 5
#define PKT VR_RAW_PKT_LEN              /* 172-byte RTP, as the raw loop */
#define STRIDE 192                      /* PKT + the 10-byte tag, 64-byte multiple */
#define BATCH_PKTS 32768                /* ~6 MiB of packets per timed batch */
#define MAX_CURVE 16
#define GIB (1024.0 * 1024.0 * 1024.0)
#define TARGET_RATIO 0.8
#define TARGET_OPS 2e6

/*
 * Headline room count: 2,000 rooms of 5 is 10,000 members and, with every
 * member's sessions and clones, about 82 MB of SRTP state (41 KB per room,
 * measured), past the 32 MB L3 of the development machine: the cold-cache regime a loaded relay core
 * is in (its rooms' contexts are touched once per 20 ms each, far apart).
 * 1 room measures only the code path, everything hot.
 */
#define DEFAULT_ROOMS 2000
static const uint32_t default_curve[] = { 1, 50, 500, 2000, 5000 };
static const uint32_t quick_curve[] = { 1, 50, 500 };

struct opts {
	uint32_t rooms;       /* headline */
	uint32_t curve[MAX_CURVE];
	int ncurve;
	double seconds;       /* timed relay work per point */
	double raw_seconds;
	uint32_t speakers;    /* per room */
	uint32_t mem_members; /* built for the memory figure */
	bool quick;
	int cpu;
};

struct point {
	uint32_t rooms;
	uint64_t inputs, outputs;
	double seconds, input_pps, output_pps, ops;
};

struct mem_result {
	uint32_t members;
	double bytes, rss; /* allocated (mallinfo2) and resident growth while building them */
	double per_member, per_room;
	bool measured_100k;
};

static uint64_t rng = 0x5eed;

static void rnd_fill(uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		b[i] = (uint8_t)vr_splitmix64(&rng);
}

static size_t allocated(void)
{
	struct mallinfo2 mi = mallinfo2();

	return mi.uordblks + mi.hblkhd;
}

static size_t rss(void)
{
	unsigned long size = 0, res = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (f) {
		if (fscanf(f, "%lu %lu", &size, &res) != 2)
			res = 0;
		fclose(f);
	}
	return (size_t)res * (size_t)sysconf(_SC_PAGESIZE);
}

static uint32_t member_ssrc(uint32_t room, uint32_t m)
{
	return (room + 1) * 16 + m + 1;
}

static void member_addr(struct vr_addr *a, uint32_t room, uint32_t m)
{
	vr_addr_set_v4(a, htonl(0x0a000000u + (room + 1) * 8 + m));
}

/* A room of 5 with fixed addresses; member m's keys are keys[m][0] (in) and keys[m][1] (out). */
static struct vr_relay_room *make_room(uint32_t r, const uint8_t (*keys)[2][30])
{
	struct vr_relay_room_conf rc = { .id = r + 1, .vip_port = (uint16_t)(10000 + r % 50000),
		.max_members = MEMBERS };
	struct vr_relay_room *room = vr_relay_room_create(&rc);

	for (uint32_t m = 0; room && m < MEMBERS; m++) {
		struct vr_addr a;
		struct vr_relay_member_conf mc = { .id = m + 1, .ssrcs = { member_ssrc(r, m) }, .nssrc = 1,
			.suite = VR_RELAY_SUITE_AES_CM_128_HMAC_SHA1_80, .in_key = keys[m][0],
			.out_key = keys[m][1], .addr = &a, .port = (uint16_t)(20000 + m), .clock_hz = 8000 };

		member_addr(&a, r, m);
		if (vr_relay_member_add(room, &mc) != 0) {
			vr_relay_room_free(room);
			return NULL;
		}
	}
	return room;
}

/* 172-byte PCMA RTP of @ssrc, protected by the client's @s. Returns the length or -1. */
static int client_packet(srtp_t s, uint8_t *b, uint32_t ssrc, uint16_t seq, uint32_t ts)
{
	int l = PKT;

	vr_rtp_write_hdr(b, 8 /* PCMA */, seq, ts, ssrc);
	memset(b + 12, 0xd5 ^ (seq & 0x7f), PKT - 12);
	return srtp_protect(s, b, &l) == srtp_err_status_ok ? l : -1;
}

struct out_bufs {
	_Alignas(64) uint8_t buf[MEMBERS - 1][PKT + VR_RELAY_TAILROOM + 12];
	struct vr_relay_tx tx[MEMBERS - 1];
	struct vr_relay_out out;
};

static void out_init(struct out_bufs *o)
{
	for (int i = 0; i < MEMBERS - 1; i++)
		o->tx[i] = (struct vr_relay_tx){ .buf = o->buf[i], .cap = sizeof(o->buf[i]) };
	o->out = (struct vr_relay_out){ .tx = o->tx, .ntx = MEMBERS - 1 };
}

static int feed(struct vr_relay_room *room, uint8_t *p, int len, uint32_t r, uint32_t m, uint64_t now,
		struct out_bufs *o, uint32_t want)
{
	struct vr_addr a;
	enum vr_relay_verdict vd;

	member_addr(&a, r, m);
	vd = vr_relay_input(room, p, (uint32_t)len, &a, (uint16_t)(20000 + m), now, &o->out);
	if (vd != VR_RELAY_FORWARD || o->out.count != want) {
		fprintf(stderr, "voxrelay-relay-bench: room %u member %u: %s, %u copies\n", r, m,
			vd == VR_RELAY_FORWARD ? "forwarded" : vr_relay_drop_name(o->out.reason), o->out.count);
		return -1;
	}
	return 0;
}

struct meta {
	uint32_t room;
	uint16_t len;
	uint8_t member;
};

/*
 * One point of the curve: @nrooms rooms of 5, opt->speakers of each room
 * speaking, every packet protected beforehand by a client sender (untimed)
 * and fed in 20 ms-tick order (packet k of every speaker of every room, then
 * k + 1): consecutive inputs belong to different rooms, as on a loaded relay.
 * Every member has spoken once before the clock starts, so every inbound and
 * outbound clone exists (steady state).
 */
static int run_point(const struct opts *opt, uint32_t nrooms, struct point *pt)
{
	const uint32_t spk = opt->speakers;
	uint64_t nspk = (uint64_t)nrooms * spk;
	uint32_t ticks = nspk >= BATCH_PKTS ? 1 : (uint32_t)(BATCH_PKTS / nspk);
	size_t batch = (size_t)ticks * nspk;
	struct vr_relay_room **rooms = calloc(nrooms, sizeof(*rooms));
	srtp_t *senders = calloc(nspk, sizeof(*senders));
	uint8_t (*keys)[MEMBERS][2][30] = malloc((size_t)nrooms * sizeof(*keys));
	uint8_t (*pk)[STRIDE] = aligned_alloc(64, batch * STRIDE);
	struct meta *meta = malloc(batch * sizeof(*meta));
	static struct out_bufs o;
	uint32_t tick = 0;
	uint64_t now = 0;
	double timed = 0;
	int rc = -1;

	out_init(&o);
	memset(pt, 0, sizeof(*pt));
	pt->rooms = nrooms;
	if (!rooms || !senders || !keys || !pk || !meta)
		goto out;
	rnd_fill((uint8_t *)keys, (size_t)nrooms * sizeof(*keys));
	for (uint32_t r = 0; r < nrooms; r++) {
		if (!(rooms[r] = make_room(r, (const uint8_t (*)[2][30])keys[r])))
			goto out;
		/* every member speaks once: all clones exist before the clock starts;
		 * in a random order per room, since libsrtp finds a stream by walking
		 * its session's list from the newest clone */
		uint32_t order[MEMBERS];

		for (uint32_t m = 0; m < MEMBERS; m++)
			order[m] = m;
		for (uint32_t m = MEMBERS - 1; m > 0; m--) {
			uint32_t j = (uint32_t)(vr_splitmix64(&rng) % (m + 1)), x = order[m];

			order[m] = order[j];
			order[j] = x;
		}
		for (uint32_t oi = 0; oi < MEMBERS; oi++) {
			uint32_t m = order[oi];
			srtp_t s = vr_relay_srtp_session(VR_RELAY_SUITE_AES_CM_128_HMAC_SHA1_80, keys[r][m][0], false, 128);
			int l;

			if (!s)
				goto out;
			l = client_packet(s, pk[0], member_ssrc(r, m), 0, 0);
			if (l < 0 || feed(rooms[r], pk[0], l, r, m, now, &o, MEMBERS - 1) != 0) {
				srtp_dealloc(s);
				goto out;
			}
			if (m < spk)
				senders[(size_t)r * spk + m] = s;
			else
				srtp_dealloc(s);
		}
	}
	tick = 1;
	do {
		size_t n = 0;
		double t0;

		/* the clients' side, untimed */
		for (uint32_t t = 0; t < ticks; t++, tick++)
			for (uint32_t r = 0; r < nrooms; r++)
				for (uint32_t m = 0; m < spk; m++, n++) {
					int l = client_packet(senders[(size_t)r * spk + m], pk[n], member_ssrc(r, m),
							      (uint16_t)tick, tick * 160);

					if (l < 0)
						goto out;
					meta[n] = (struct meta){ .room = r, .len = (uint16_t)l, .member = (uint8_t)m };
				}
		t0 = vr_raw_cpu_s();
		for (size_t i = 0; i < n; i++) {
			const struct meta *mi = &meta[i];
			struct vr_addr a;

			member_addr(&a, mi->room, mi->member);
			if (vr_relay_input(rooms[mi->room], pk[i], mi->len, &a, (uint16_t)(20000 + mi->member),
					   now += 1000, &o.out) != VR_RELAY_FORWARD) {
				fprintf(stderr, "voxrelay-relay-bench: input dropped: %s\n",
					vr_relay_drop_name(o.out.reason));
				goto out;
			}
			pt->outputs += o.out.count;
		}
		timed += vr_raw_cpu_s() - t0;
		pt->inputs += n;
	} while (timed < opt->seconds);
	if (pt->outputs != pt->inputs * (MEMBERS - 1)) {
		fprintf(stderr, "voxrelay-relay-bench: %llu copies for %llu inputs\n",
			(unsigned long long)pt->outputs, (unsigned long long)pt->inputs);
		goto out;
	}
	pt->seconds = timed;
	pt->input_pps = (double)pt->inputs / timed;
	pt->output_pps = (double)pt->outputs / timed;
	pt->ops = (double)(pt->inputs + pt->outputs) / timed;
	rc = 0;
out:
	for (uint64_t i = 0; senders && i < nspk; i++)
		if (senders[i])
			srtp_dealloc(senders[i]);
	for (uint32_t r = 0; rooms && r < nrooms; r++)
		vr_relay_room_free(rooms[r]);
	free(rooms);
	free(senders);
	free(keys);
	free(pk);
	free(meta);
	return rc;
}

/*
 * Memory: build @members members (rooms of 5) and have each send one packet,
 * so each has its two sessions, its inbound clone and one outbound clone per
 * other member, as in a room where everyone has spoken. Keys do not change
 * sizes, so all members share one (the clients' packets are then protected
 * by one client session, before the measurement starts).
 */
static int run_memory(uint32_t members, struct mem_result *mr)
{
	uint32_t nrooms = members / MEMBERS;
	size_t n = (size_t)nrooms * MEMBERS;
	struct vr_relay_room **rooms = calloc(nrooms, sizeof(*rooms));
	uint8_t (*pk)[STRIDE] = aligned_alloc(64, n * STRIDE);
	uint16_t *len = malloc(n * sizeof(*len));
	uint8_t keys[MEMBERS][2][30];
	static struct out_bufs o;
	size_t a0, r0;
	srtp_t client = NULL;
	int rc = -1;

	out_init(&o);
	memset(mr, 0, sizeof(*mr));
	if (!rooms || !pk || !len)
		goto out;
	rnd_fill(keys[0][0], 30);
	for (int m = 0; m < MEMBERS; m++)
		memcpy(keys[m][0], keys[0][0], 30), memcpy(keys[m][1], keys[0][0], 30);
	if (!(client = vr_relay_srtp_session(VR_RELAY_SUITE_AES_CM_128_HMAC_SHA1_80, keys[0][0], false, 128)))
		goto out;
	for (uint32_t r = 0; r < nrooms; r++)
		for (uint32_t m = 0; m < MEMBERS; m++) {
			int l = client_packet(client, pk[(size_t)r * MEMBERS + m], member_ssrc(r, m), 7, 0);

			if (l < 0)
				goto out;
			len[(size_t)r * MEMBERS + m] = (uint16_t)l;
		}
	srtp_dealloc(client);
	client = NULL;
	malloc_trim(0);
	a0 = allocated();
	r0 = rss();
	for (uint32_t r = 0; r < nrooms; r++) {
		if (!(rooms[r] = make_room(r, (const uint8_t (*)[2][30])keys)))
			goto out;
		for (uint32_t m = 0; m < MEMBERS; m++) {
			size_t i = (size_t)r * MEMBERS + m;

			if (feed(rooms[r], pk[i], len[i], r, m, 1000, &o, MEMBERS - 1) != 0)
				goto out;
		}
	}
	mr->members = (uint32_t)n;
	mr->bytes = (double)(allocated() - a0);
	mr->rss = (double)(rss() - r0);
	mr->per_member = mr->bytes / (double)n;
	mr->per_room = mr->bytes / nrooms;
	rc = 0;
out:
	if (client)
		srtp_dealloc(client);
	for (uint32_t r = 0; rooms && r < nrooms; r++)
		vr_relay_room_free(rooms[r]);
	free(rooms);
	free(pk);
	free(len);
	malloc_trim(0);
	return rc;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: voxrelay-relay-bench [--rooms N] [--curve N,N,...] [--seconds S] [--speakers K]\n"
		"                            [--members M] [--cpu C] [--quick]\n"
		"  one core: (a) raw libsrtp protect+unprotect of %d-byte RTP (srtp_raw.c), (b) the relay with\n"
		"  rooms of %d, K speakers each (default 1), AES_CM_128_HMAC_SHA1_80 both ways, at each room\n"
		"  count of the curve (default 1,50,500,2000,5000; --rooms N, default %d, is the headline and\n"
		"  is added to it), (c) bytes per member and M members (default 100000) built at once.\n"
		"  --quick: CI smoke (curve 1,50,500, headline 500, 5000 members extrapolated to 100000).\n"
		"  Last line: one JSON object.\n",
		PKT, MEMBERS, DEFAULT_ROOMS);
}

static int parse_curve(const char *s, struct opts *o)
{
	o->ncurve = 0;
	while (*s) {
		char *end;
		unsigned long v = strtoul(s, &end, 10);

		if (end == s || v == 0 || v > 1000000 || o->ncurve == MAX_CURVE)
			return -1;
		o->curve[o->ncurve++] = (uint32_t)v;
		s = *end == ',' ? end + 1 : end;
		if (*end && *end != ',')
			return -1;
	}
	return o->ncurve ? 0 : -1;
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "rooms", required_argument, NULL, 'r' }, { "curve", required_argument, NULL, 'C' },
		{ "seconds", required_argument, NULL, 't' }, { "speakers", required_argument, NULL, 'k' },
		{ "members", required_argument, NULL, 'm' }, { "cpu", required_argument, NULL, 'c' },
		{ "quick", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 }
	};
	struct opts o = { .rooms = 0, .seconds = 1.5, .raw_seconds = 2, .speakers = 1, .mem_members = 100000,
		.cpu = -1 };
	bool curve_given = false, members_given = false;
	struct point pts[MAX_CURVE + 1];
	struct vr_raw_result raw;
	struct mem_result mem;
	int c, head = -1, npts;
	double mem100k, rss100k;
	cpu_set_t set;

	while ((c = getopt_long(argc, argv, "h", lopts, NULL)) != -1) {
		switch (c) {
		case 'r':
			o.rooms = (uint32_t)strtoul(optarg, NULL, 10);
			if (o.rooms == 0 || o.rooms > 1000000) {
				usage(stderr);
				return 2;
			}
			break;
		case 'C':
			if (parse_curve(optarg, &o) != 0) {
				usage(stderr);
				return 2;
			}
			curve_given = true;
			break;
		case 't':
			o.seconds = strtod(optarg, NULL);
			break;
		case 'k':
			o.speakers = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		case 'm':
			o.mem_members = (uint32_t)strtoul(optarg, NULL, 10);
			members_given = true;
			break;
		case 'c':
			o.cpu = atoi(optarg);
			break;
		case 'q':
			o.quick = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (o.seconds <= 0 || o.speakers < 1 || o.speakers > MEMBERS || o.mem_members < MEMBERS) {
		usage(stderr);
		return 2;
	}
	if (o.quick) {
		o.seconds = 0.2;
		o.raw_seconds = 0.3;
		if (!members_given)
			o.mem_members = 5000;
		if (!o.rooms)
			o.rooms = 500;
	}
	if (!o.rooms)
		o.rooms = DEFAULT_ROOMS;
	if (!curve_given) {
		const uint32_t *dc = o.quick ? quick_curve : default_curve;
		size_t nd = o.quick ? sizeof(quick_curve) / sizeof(quick_curve[0])
				    : sizeof(default_curve) / sizeof(default_curve[0]);

		for (size_t i = 0; i < nd; i++)
			o.curve[o.ncurve++] = dc[i];
	}
	for (int i = 0; i < o.ncurve; i++)
		if (o.curve[i] == o.rooms)
			head = i;
	if (head < 0) {
		int i = o.ncurve++;

		/* keep the curve sorted */
		while (i > 0 && o.curve[i - 1] > o.rooms) {
			o.curve[i] = o.curve[i - 1];
			i--;
		}
		o.curve[i] = o.rooms;
		head = i;
	}

	/* One core: pin, so the figures are per core and not spread by the scheduler. */
	if (o.cpu < 0)
		o.cpu = sched_getcpu();
	CPU_ZERO(&set);
	CPU_SET(o.cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set) != 0)
		fprintf(stderr, "voxrelay-relay-bench: cannot pin to cpu %d: %s\n", o.cpu, strerror(errno));
	if (vr_relay_global_init() != 0) {
		fprintf(stderr, "voxrelay-relay-bench: srtp_init failed\n");
		return 1;
	}
	printf("%s, cpu %d; rooms of %d, %u speaker(s) each, AES_CM_128_HMAC_SHA1_80, %d-byte RTP\n",
	       srtp_get_version_string(), o.cpu, MEMBERS, o.speakers, PKT);

	/* (a) the ceiling: the same libsrtp, one session pair, everything hot */
	if (vr_raw_run(&vr_raw_suites[0], o.raw_seconds, &raw) != 0)
		return 1;
	printf("raw libsrtp      protect %10.0f/s  unprotect %10.0f/s  ops %10.0f/s per core\n", raw.protect_per_s,
	       raw.unprotect_per_s, raw.ops_per_s);

	/* (b) the relay per room count */
	printf("%8s %10s %12s %12s %14s %7s\n", "rooms", "members", "input pps", "output pps", "srtp ops/s", "ratio");
	npts = o.ncurve;
	for (int i = 0; i < npts; i++) {
		if (run_point(&o, o.curve[i], &pts[i]) != 0)
			return 1;
		printf("%8u %10u %12.0f %12.0f %14.0f %7.3f%s\n", pts[i].rooms, pts[i].rooms * MEMBERS,
		       pts[i].input_pps, pts[i].output_pps, pts[i].ops, pts[i].ops / raw.ops_per_s,
		       i == head ? "  <- headline" : "");
		fflush(stdout);
	}

	/* (c) memory */
	if (run_memory(o.mem_members, &mem) != 0)
		return 1;
	mem.measured_100k = mem.members >= 100000;
	mem100k = mem.measured_100k ? mem.bytes * 100000.0 / mem.members : mem.per_member * 100000.0;
	rss100k = mem.rss * 100000.0 / mem.members;
	printf("memory: %.0f bytes per member, %.0f per room of %d (all have spoken; sizeof member %zu, room %zu)\n",
	       mem.per_member, mem.per_room, MEMBERS, sizeof(struct vr_relay_member), sizeof(struct vr_relay_room));
	printf("%u members (%u rooms) %s: %.0f bytes allocated (%.3f GiB), resident +%.0f bytes (%.3f GiB): %s 1 GiB\n",
	       mem.members, mem.members / MEMBERS, mem.measured_100k ? "built" : "built, extrapolated to 100000",
	       mem100k, mem100k / GIB, rss100k, rss100k / GIB, mem100k <= GIB && rss100k <= GIB ? "within" : "OVER");

	const struct point *h = &pts[head];
	double ratio = h->ops / raw.ops_per_s;

	printf("headline %u rooms: %.0f SRTP ops/s per core, %.3f of raw (targets: >= %.0f, >= %.1f); "
	       "%.0f inputs/s = %.0f speakers at 50 packets/s per core\n",
	       h->rooms, h->ops, ratio, TARGET_OPS, TARGET_RATIO, h->input_pps, h->input_pps / 50);
	printf("{\"bench\":\"relay\",\"suite\":\"AES_CM_128_HMAC_SHA1_80\",\"pkt_bytes\":%d,\"members_per_room\":%d,"
	       "\"speakers_per_room\":%u,\"rooms\":%u,\"input_pps\":%.0f,\"output_pps\":%.0f,"
	       "\"srtp_ops_per_core\":%.0f,\"raw_srtp_ops_per_core\":%.0f,\"ratio\":%.3f,\"speakers_per_core_at_50pps\":%.0f,"
	       "\"bytes_per_member\":%.0f,\"bytes_per_room\":%.0f,\"members_100k_bytes\":%.0f,"
	       "\"members_100k_rss_bytes\":%.0f,\"members_100k_measured\":%s,\"members_100k_le_1gib\":%s,"
	       "\"target_ratio_met\":%s,\"target_ops_met\":%s,\"curve\":[",
	       PKT, MEMBERS, o.speakers, h->rooms, h->input_pps, h->output_pps, h->ops,
	       raw.ops_per_s, ratio, h->input_pps / 50, mem.per_member, mem.per_room, mem100k, rss100k,
	       mem.measured_100k ? "true" : "false", mem100k <= GIB && rss100k <= GIB ? "true" : "false",
	       ratio >= TARGET_RATIO ? "true" : "false", h->ops >= TARGET_OPS ? "true" : "false");
	for (int i = 0; i < npts; i++)
		printf("%s{\"rooms\":%u,\"input_pps\":%.0f,\"output_pps\":%.0f,\"srtp_ops_per_core\":%.0f,\"ratio\":%.3f}",
		       i ? "," : "", pts[i].rooms, pts[i].input_pps, pts[i].output_pps, pts[i].ops,
		       pts[i].ops / raw.ops_per_s);
	printf("]}\n");
	return 0;
}
