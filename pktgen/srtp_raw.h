/* SPDX-License-Identifier: BSD-3-Clause */
/* The raw SRTP loop shared by voxrelay-srtp-bench and voxrelay-relay-bench: protect then unprotect 172-byte RTP on one session pair. */
#ifndef VR_PKTGEN_SRTP_RAW_H
#define VR_PKTGEN_SRTP_RAW_H

#include <stdint.h>

#include <srtp2/srtp.h>

#include "voxrelay/relay.h"

#define VR_RAW_HDR_LEN 12
#define VR_RAW_PAYLOAD_LEN 160 /* 20 ms of G.711 */
#define VR_RAW_PKT_LEN (VR_RAW_HDR_LEN + VR_RAW_PAYLOAD_LEN)

/** One SRTP protection profile as the benchmarks name it. */
struct vr_raw_suite {
	const char *name;
	enum vr_relay_suite suite; /**< its sessions come from vr_relay_srtp_session() */
};

/** AES_CM_128_HMAC_SHA1_80 (index 0) and AEAD_AES_128_GCM (index 1). */
extern const struct vr_raw_suite vr_raw_suites[2];

/** What vr_raw_run() measured. */
struct vr_raw_result {
	double protect_per_s, unprotect_per_s; /**< each side timed on its own */
	double ops_per_s;                      /**< (protects + unprotects) / (their time) */
	uint64_t packets;                      /**< protected and unprotected */
	uint32_t roc;                          /**< receiver's final ROC (the sequence wraps every 65536) */
};

/**
 * Protect batches of 256 packets with an ssrc_any_outbound session, then
 * unprotect them with an ssrc_any_inbound one, both timed in thread CPU time
 * (filling the plaintext is not), for @seconds of wall time; the contexts
 * stay hot, so this is the ceiling of the libsrtp build on this core.
 *
 * @param su       the suite
 * @param seconds  wall time to run, > 0
 * @param r        filled on success
 * @return 0, or -1 after a message on stderr (srtp_create, protect,
 *         unprotect or round-trip failure). srtp_init() must have run.
 *         Not thread-safe (static buffers).
 */
int vr_raw_run(const struct vr_raw_suite *su, double seconds, struct vr_raw_result *r);

/** CLOCK_MONOTONIC in seconds. */
double vr_raw_now_s(void);

/** CPU time of the calling thread (CLOCK_THREAD_CPUTIME_ID) in seconds: what the timed sections use. */
double vr_raw_cpu_s(void);

#endif
