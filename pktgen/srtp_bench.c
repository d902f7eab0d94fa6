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
#include <time.h>

#include <srtp2/srtp.h>

#define HDR_LEN 12
#define PAYLOAD_LEN 160 /* 20 ms of G.711 */
#define PKT_LEN (HDR_LEN + PAYLOAD_LEN)
/* Packets per timed batch: protect all, then unprotect all, so each side is timed
 * on its own while the working set (~48 KiB) stays in cache like a relay's burst. */
#define BATCH 256
#define SSRC 0x5eed1234u

struct suite {
	const char *name;
	void (*set)(srtp_crypto_policy_t *);
	int key_len;
};

static const struct suite suites[] = {
	{"AES_CM_128_HMAC_SHA1_80", srtp_crypto_policy_set_rtp_default, 30},
	{"AEAD_AES_128_GCM", srtp_crypto_policy_set_aes_gcm_128_16_auth, 28},
};

struct result {
	double protect_per_s, unprotect_per_s, ops_per_s;
	uint64_t packets;
	uint32_t roc;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int make_session(srtp_t *s, const struct suite *su, srtp_ssrc_type_t dir, uint8_t *key)
{
	srtp_policy_t p;

	memset(&p, 0, sizeof(p));
	su->set(&p.rtp);
	su->set(&p.rtcp);
	p.ssrc.type = dir;
	p.key = key;
	p.window_size = 1024;
	return srtp_create(s, &p) == srtp_err_status_ok ? 0 : -1;
}

static int run_suite(const struct suite *su, double seconds, struct result *r)
{
	/* Aligned like an mbuf's data so neither side pays for misalignment. */
	static uint8_t pkts[BATCH][PKT_LEN + SRTP_MAX_TRAILER_LEN] __attribute__((aligned(64)));
	static int lens[BATCH];
	uint8_t key[SRTP_MAX_KEY_LEN];
	uint8_t payload[PAYLOAD_LEN];
	srtp_t tx, rx;
	/* Start just below the wrap: the sequence number wraps within the first batches
	 * and then every 65536 packets, so the ROC moves and both sides track it. */
	uint16_t seq = 65000;
	uint32_t ts = 0;
	double t_protect = 0, t_unprotect = 0;
	uint64_t n = 0;

	for (int i = 0; i < (int)sizeof(key); i++)
		key[i] = (uint8_t)(i * 37 + 11);
	for (int i = 0; i < PAYLOAD_LEN; i++)
		payload[i] = (uint8_t)(0xd5 ^ i); /* near-silence in A-law, any bytes would do */
	if (make_session(&tx, su, ssrc_any_outbound, key) || make_session(&rx, su, ssrc_any_inbound, key)) {
		fprintf(stderr, "voxrelay-srtp-bench: %s: srtp_create failed\n", su->name);
		return -1;
	}

	double end = now_s() + seconds;

	while (now_s() < end) {
		/* Fill outside the timed sections: a relay gets the plaintext from the NIC. */
		for (int i = 0; i < BATCH; i++) {
			uint8_t *h = pkts[i];

			h[0] = 0x80;
			h[1] = 8; /* PCMA */
			h[2] = (uint8_t)(seq >> 8);
			h[3] = (uint8_t)seq;
			h[4] = (uint8_t)(ts >> 24);
			h[5] = (uint8_t)(ts >> 16);
			h[6] = (uint8_t)(ts >> 8);
			h[7] = (uint8_t)ts;
			h[8] = (uint8_t)(SSRC >> 24);
			h[9] = (uint8_t)(SSRC >> 16);
			h[10] = (uint8_t)(SSRC >> 8);
			h[11] = (uint8_t)SSRC;
			memcpy(h + HDR_LEN, payload, PAYLOAD_LEN);
			lens[i] = PKT_LEN;
			seq++;
			ts += PAYLOAD_LEN;
		}

		double t0 = now_s();

		for (int i = 0; i < BATCH; i++) {
			if (srtp_protect(tx, pkts[i], &lens[i]) != srtp_err_status_ok) {
				fprintf(stderr, "voxrelay-srtp-bench: %s: protect failed\n", su->name);
				return -1;
			}
		}
		double t1 = now_s();

		for (int i = 0; i < BATCH; i++) {
			srtp_err_status_t st = srtp_unprotect(rx, pkts[i], &lens[i]);

			if (st != srtp_err_status_ok) {
				fprintf(stderr, "voxrelay-srtp-bench: %s: unprotect failed (%d)\n", su->name, st);
				return -1;
			}
		}
		double t2 = now_s();

		t_protect += t1 - t0;
		t_unprotect += t2 - t1;
		n += BATCH;
		/* Spot check that unprotect really gave back the plaintext. */
		if (lens[BATCH - 1] != PKT_LEN || memcmp(pkts[BATCH - 1] + HDR_LEN, payload, PAYLOAD_LEN)) {
			fprintf(stderr, "voxrelay-srtp-bench: %s: round trip mismatch\n", su->name);
			return -1;
		}
	}

	r->packets = n;
	r->protect_per_s = (double)n / t_protect;
	r->unprotect_per_s = (double)n / t_unprotect;
	r->ops_per_s = (double)(2 * n) / (t_protect + t_unprotect);
	r->roc = 0;
	srtp_get_stream_roc(rx, SSRC, &r->roc);
	srtp_dealloc(tx);
	srtp_dealloc(rx);
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: voxrelay-srtp-bench [-t seconds] [-c cpu] [-s cm|gcm|all]\n"
		   "  protect+unprotect of %d-byte RTP packets (%d-byte header, %d payload) on one core;\n"
		   "  prints ops/s per core (an op is one protect or one unprotect) and one JSON line per suite\n",
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

	struct result res[2];
	bool ran[2] = {false, false};

	for (int i = 0; i < 2; i++) {
		if (strcmp(which, "all") && strcmp(which, i == 0 ? "cm" : "gcm"))
			continue;
		if (run_suite(&suites[i], seconds, &res[i]))
			return 1;
		ran[i] = true;
		printf("%-24s protect %10.0f/s  unprotect %10.0f/s  ops %10.0f/s per core  (%llu packets, final ROC %u)\n",
		       suites[i].name, res[i].protect_per_s, res[i].unprotect_per_s, res[i].ops_per_s,
		       (unsigned long long)res[i].packets, res[i].roc);
	}
	/* JSON last, one line per suite, for scripts. */
	for (int i = 0; i < 2; i++) {
		if (ran[i])
			printf("{\"suite\": \"%s\", \"protect_per_s\": %.0f, \"unprotect_per_s\": %.0f, \"ops_per_s\": %.0f}\n",
			       suites[i].name, res[i].protect_per_s, res[i].unprotect_per_s,
			       res[i].ops_per_s);
	}
	srtp_shutdown();
	return 0;
}
