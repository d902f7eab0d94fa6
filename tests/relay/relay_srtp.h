/* SPDX-License-Identifier: BSD-3-Clause */
/* Shared by the fan-out core's tests: independent libsrtp receivers (one that recovers from a 2^15 loss), RTP packet builders, base64. */
#ifndef VR_TESTS_RELAY_RELAY_SRTP_H
#define VR_TESTS_RELAY_RELAY_SRTP_H

#include <srtp2/srtp.h>

#include "voxrelay/relay.h"
#include "voxrelay/roc.h"

#include "relay_test.h"

/* A client's session: the suite and key given, any SSRC in direction @type. */
static inline srtp_t vr_t_session(enum vr_relay_suite suite, const uint8_t *key, srtp_ssrc_type_t type,
				  unsigned long window)
{
	srtp_policy_t p;
	srtp_t s = NULL;

	memset(&p, 0, sizeof(p));
	if (suite == VR_RELAY_SUITE_AEAD_AES_128_GCM) {
		srtp_crypto_policy_set_aes_gcm_128_16_auth(&p.rtp);
		srtp_crypto_policy_set_aes_gcm_128_16_auth(&p.rtcp);
	} else {
		srtp_crypto_policy_set_rtp_default(&p.rtp);
		srtp_crypto_policy_set_rtcp_default(&p.rtcp);
	}
	p.ssrc.type = type;
	p.key = (unsigned char *)key;
	p.window_size = window;
	if (srtp_create(&s, &p) != srtp_err_status_ok)
		return NULL;
	return s;
}

/* A receiver as a client would have it. */
static inline srtp_t vr_t_receiver(enum vr_relay_suite suite, const uint8_t *key, unsigned long window)
{
	return vr_t_session(suite, key, ssrc_any_inbound, window);
}

/* A sender (client side) of the same form. */
static inline srtp_t vr_t_sender(enum vr_relay_suite suite, const uint8_t *key)
{
	return vr_t_session(suite, key, ssrc_any_outbound, 1024);
}

/* 12-byte RTP header + @plen payload bytes derived from seq. Returns the length. */
static inline int vr_t_rtp(uint8_t *b, uint16_t seq, uint32_t ts, uint32_t ssrc, int plen)
{
	b[0] = 0x80;
	b[1] = 8; /* PCMA */
	b[2] = (uint8_t)(seq >> 8);
	b[3] = (uint8_t)seq;
	b[4] = (uint8_t)(ts >> 24);
	b[5] = (uint8_t)(ts >> 16);
	b[6] = (uint8_t)(ts >> 8);
	b[7] = (uint8_t)ts;
	b[8] = (uint8_t)(ssrc >> 24);
	b[9] = (uint8_t)(ssrc >> 16);
	b[10] = (uint8_t)(ssrc >> 8);
	b[11] = (uint8_t)ssrc;
	for (int i = 0; i < plen; i++)
		b[12 + i] = (uint8_t)(seq * 31u + (unsigned)i);
	return 12 + plen;
}

static inline void vr_t_random_key(uint64_t *rng, uint8_t *k, size_t n)
{
	for (size_t i = 0; i < n; i++)
		k[i] = (uint8_t)check_rand(rng);
}

static inline int vr_t_b64(const char *in, uint8_t *out, size_t cap)
{
	static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	uint32_t acc = 0;
	int bits = 0;
	size_t n = 0;

	for (; *in && *in != '='; in++) {
		const char *c = strchr(a, *in);

		if (!c)
			return -1;
		acc = acc << 6 | (uint32_t)(c - a);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (n == cap)
				return -1;
			out[n++] = (uint8_t)(acc >> bits);
		}
	}
	return (int)n;
}

/* A client receiver that, like the relay, recovers from a loss beyond 2^15 by
 * trying ROC + 1 once when the packet looks older than the window. */
struct vr_t_rx {
	srtp_t s;
	struct vr_roc roc;
	uint64_t highest;
	int started;
};

static inline srtp_err_status_t vr_t_rx_unprotect(struct vr_t_rx *rx, uint8_t *b, int *len)
{
	uint16_t seq = (uint16_t)(b[2] << 8 | b[3]);
	uint32_t ssrc = (uint32_t)b[8] << 24 | (uint32_t)b[9] << 16 | (uint32_t)b[10] << 8 | b[11];
	uint32_t v = 0;
	int len0 = *len;
	srtp_err_status_t e;
	uint64_t guess;

	if (rx->started)
		vr_roc_estimate(&rx->roc, seq, &v);
	guess = (uint64_t)v << 16 | seq;
	e = srtp_unprotect(rx->s, b, len);
	if (e == srtp_err_status_replay_old && rx->started && rx->highest - guess > 1024) {
		*len = len0;
		srtp_set_stream_roc(rx->s, ssrc, ++v);
		e = srtp_unprotect(rx->s, b, len);
	}
	if (e == srtp_err_status_ok && (!rx->started || ((uint64_t)v << 16 | seq) > rx->highest)) {
		rx->highest = (uint64_t)v << 16 | seq;
		vr_roc_init(&rx->roc, seq, v);
		rx->started = 1;
	}
	return e;
}

#endif
