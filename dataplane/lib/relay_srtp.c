/* SPDX-License-Identifier: BSD-3-Clause */
/* The libsrtp session of one direction of one member, also the tests' and benchmarks' clients: built into vrrelay, and compiled on its own into voxrelay-srtp-bench-system against Debian's libsrtp2. */
#include <errno.h>
#include <string.h>

#include <srtp2/srtp.h>

#include "voxrelay/relay.h"

srtp_t vr_relay_srtp_session(enum vr_relay_suite suite, const uint8_t *key, bool inbound, uint32_t replay_window)
{
	srtp_policy_t p;
	srtp_err_status_t e;
	srtp_t s = NULL;

	if ((suite != VR_RELAY_SUITE_AES_CM_128_HMAC_SHA1_80 && suite != VR_RELAY_SUITE_AEAD_AES_128_GCM) || !key ||
	    (replay_window != 0 && (replay_window < 64 || replay_window > 32767))) {
		errno = EINVAL;
		return NULL;
	}
	memset(&p, 0, sizeof(p));
	if (suite == VR_RELAY_SUITE_AEAD_AES_128_GCM) {
		srtp_crypto_policy_set_aes_gcm_128_16_auth(&p.rtp);
		srtp_crypto_policy_set_aes_gcm_128_16_auth(&p.rtcp);
	} else {
		srtp_crypto_policy_set_rtp_default(&p.rtp);
		srtp_crypto_policy_set_rtcp_default(&p.rtcp);
	}
	p.ssrc.type = inbound ? ssrc_any_inbound : ssrc_any_outbound;
	p.key = (unsigned char *)key;
	p.window_size = replay_window;
	p.allow_repeat_tx = 0; /* the relay: a duplicate never reaches protect, unprotect drops it first */
	e = srtp_create(&s, &p);
	explicit_bzero(&p, sizeof(p));
	if (e != srtp_err_status_ok) {
		errno = e == srtp_err_status_alloc_fail ? ENOMEM : EIO;
		return NULL;
	}
	return s;
}
