/* SPDX-License-Identifier: BSD-3-Clause */
/* Shared by the fan-out core's tests: clients on vr_relay_srtp_session(), a receiver that recovers from a 2^15 loss as the relay does, RTP packet builders, base64 (OpenSSL). */
#ifndef VR_TESTS_RELAY_RELAY_SRTP_H
#define VR_TESTS_RELAY_RELAY_SRTP_H

#include <openssl/evp.h>
#include <srtp2/srtp.h>

#include "voxrelay/relay.h"
#include "voxrelay/roc.h"
#include "voxrelay/rtp.h"

#include "relay_test.h"

/* A receiver as a client would have it. */
static inline srtp_t vr_t_receiver(enum vr_relay_suite suite, const uint8_t *key, unsigned long window)
{
	return vr_relay_srtp_session(suite, key, true, (uint32_t)window);
}

/* A sender (client side) of the same form. */
static inline srtp_t vr_t_sender(enum vr_relay_suite suite, const uint8_t *key)
{
	return vr_relay_srtp_session(suite, key, false, 1024);
}

/* 12-byte PCMA RTP header + @plen payload bytes derived from seq. Returns the length. */
static inline int vr_t_rtp(uint8_t *b, uint16_t seq, uint32_t ts, uint32_t ssrc, int plen)
{
	vr_rtp_write_hdr(b, 8, seq, ts, ssrc);
	for (int i = 0; i < plen; i++)
		b[12 + i] = (uint8_t)(seq * 31u + (unsigned)i);
	return 12 + plen;
}

static inline void vr_t_random_key(uint64_t *rng, uint8_t *k, size_t n)
{
	for (size_t i = 0; i < n; i++)
		k[i] = (uint8_t)vr_splitmix64(rng);
}

/* Base64 @in into at most @cap bytes (OpenSSL, as relay_ctl.c and relay_pcap_check.c). Returns the length or -1. */
static inline int vr_t_b64(const char *in, uint8_t *out, size_t cap)
{
	size_t len = strlen(in);
	uint8_t buf[96];
	int n;

	if (len == 0 || len % 4 != 0 || len / 4 * 3 > sizeof(buf))
		return -1;
	n = EVP_DecodeBlock(buf, (const unsigned char *)in, (int)len);
	if (n < 0)
		return -1;
	n -= (in[len - 1] == '=') + (in[len - 2] == '=');
	if ((size_t)n > cap)
		return -1;
	memcpy(out, buf, (size_t)n);
	return n;
}

/* A client receiver that, like the relay, recovers from a loss beyond 2^15 by
 * trying ROC + 1 once when the packet looks older than the window (what
 * libsrtp alone does on such a loss: test_relay.c's stock receiver). */
struct vr_t_rx {
	srtp_t s;
	uint64_t highest; /* index of the highest packet that authenticated */
	int started;
};

static inline srtp_err_status_t vr_t_rx_unprotect(struct vr_t_rx *rx, uint8_t *b, int *len)
{
	uint16_t seq = (uint16_t)(b[2] << 8 | b[3]);
	uint32_t ssrc = (uint32_t)b[8] << 24 | (uint32_t)b[9] << 16 | (uint32_t)b[10] << 8 | b[11];
	uint32_t v = rx->started ? vr_roc_guess(rx->highest, seq) : 0;
	int len0 = *len;
	srtp_err_status_t e;
	uint64_t guess;

	guess = (uint64_t)v << 16 | seq;
	e = srtp_unprotect(rx->s, b, len);
	if (e == srtp_err_status_replay_old && rx->started && rx->highest - guess > 1024) {
		*len = len0;
		srtp_set_stream_roc(rx->s, ssrc, ++v);
		e = srtp_unprotect(rx->s, b, len);
	}
	if (e == srtp_err_status_ok && (!rx->started || ((uint64_t)v << 16 | seq) > rx->highest)) {
		rx->highest = (uint64_t)v << 16 | seq;
		rx->started = 1;
	}
	return e;
}

#endif
