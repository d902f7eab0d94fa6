/* SPDX-License-Identifier: BSD-3-Clause */
/* The raw SRTP loop shared by voxrelay-srtp-bench and voxrelay-relay-bench: protect then unprotect 172-byte RTP on one session pair. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "voxrelay/rtp.h"

#include "srtp_raw.h"

/* Packets per timed batch: protect all, then unprotect all, so each side is timed
 * on its own while the working set (~48 KiB) stays in cache like a relay's burst. */
#define BATCH 256
#define SSRC 0x5eed1234u

const struct vr_raw_suite vr_raw_suites[2] = {
	{"AES_CM_128_HMAC_SHA1_80", VR_RELAY_SUITE_AES_CM_128_HMAC_SHA1_80},
	{"AEAD_AES_128_GCM", VR_RELAY_SUITE_AEAD_AES_128_GCM},
};

double vr_raw_now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

double vr_raw_cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int vr_raw_run(const struct vr_raw_suite *su, double seconds, struct vr_raw_result *r)
{
	/* Aligned like an mbuf's data so neither side pays for misalignment. */
	static uint8_t pkts[BATCH][VR_RAW_PKT_LEN + SRTP_MAX_TRAILER_LEN] __attribute__((aligned(64)));
	static int lens[BATCH];
	uint8_t key[SRTP_MAX_KEY_LEN];
	uint8_t payload[VR_RAW_PAYLOAD_LEN];
	srtp_t tx, rx;
	/* Start just below the wrap: the sequence number wraps within the first batches
	 * and then every 65536 packets, so the ROC moves and both sides track it. */
	uint16_t seq = 65000;
	uint32_t ts = 0;
	double t_protect = 0, t_unprotect = 0;
	uint64_t n = 0;
	int rc = -1;

	for (int i = 0; i < (int)sizeof(key); i++)
		key[i] = (uint8_t)(i * 37 + 11);
	for (int i = 0; i < VR_RAW_PAYLOAD_LEN; i++)
		payload[i] = (uint8_t)(0xd5 ^ i); /* near-silence in A-law, any bytes would do */
	if ((tx = vr_relay_srtp_session(su->suite, key, false, 1024)) == NULL) {
		fprintf(stderr, "srtp raw: %s: srtp_create failed\n", su->name);
		return -1;
	}
	if ((rx = vr_relay_srtp_session(su->suite, key, true, 1024)) == NULL) {
		fprintf(stderr, "srtp raw: %s: srtp_create failed\n", su->name);
		srtp_dealloc(tx);
		return -1;
	}

	double end = vr_raw_now_s() + seconds;

	/* Wall time bounds the run; the sections are timed in thread CPU time,
	 * so a shared machine's preemption does not count against libsrtp (on a
	 * dedicated core the two are the same). */
	while (vr_raw_now_s() < end) {
		/* Fill outside the timed sections: a relay gets the plaintext from the NIC. */
		for (int i = 0; i < BATCH; i++) {
			vr_rtp_write_hdr(pkts[i], 8 /* PCMA */, seq, ts, SSRC);
			memcpy(pkts[i] + VR_RAW_HDR_LEN, payload, VR_RAW_PAYLOAD_LEN);
			lens[i] = VR_RAW_PKT_LEN;
			seq++;
			ts += VR_RAW_PAYLOAD_LEN;
		}

		double t0 = vr_raw_cpu_s();

		for (int i = 0; i < BATCH; i++) {
			if (srtp_protect(tx, pkts[i], &lens[i]) != srtp_err_status_ok) {
				fprintf(stderr, "srtp raw: %s: protect failed\n", su->name);
				goto out;
			}
		}
		double t1 = vr_raw_cpu_s();

		for (int i = 0; i < BATCH; i++) {
			srtp_err_status_t st = srtp_unprotect(rx, pkts[i], &lens[i]);

			if (st != srtp_err_status_ok) {
				fprintf(stderr, "srtp raw: %s: unprotect failed (%d)\n", su->name, st);
				goto out;
			}
		}
		double t2 = vr_raw_cpu_s();

		t_protect += t1 - t0;
		t_unprotect += t2 - t1;
		n += BATCH;
		/* Spot check that unprotect really gave back the plaintext. */
		if (lens[BATCH - 1] != VR_RAW_PKT_LEN ||
		    memcmp(pkts[BATCH - 1] + VR_RAW_HDR_LEN, payload, VR_RAW_PAYLOAD_LEN)) {
			fprintf(stderr, "srtp raw: %s: round trip mismatch\n", su->name);
			goto out;
		}
	}

	r->packets = n;
	r->protect_per_s = (double)n / t_protect;
	r->unprotect_per_s = (double)n / t_unprotect;
	r->ops_per_s = (double)(2 * n) / (t_protect + t_unprotect);
	r->roc = 0;
	srtp_get_stream_roc(rx, SSRC, &r->roc);
	rc = 0;
out:
	srtp_dealloc(tx);
	srtp_dealloc(rx);
	return rc;
}
