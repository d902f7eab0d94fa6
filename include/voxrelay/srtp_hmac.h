/* SPDX-License-Identifier: BSD-3-Clause */
/* HMAC-SHA1 for libsrtp with the key's pad states precomputed: one 384-byte block per context, no allocation per packet. */
#ifndef VOXRELAY_SRTP_HMAC_H
#define VOXRELAY_SRTP_HMAC_H

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Replace libsrtp's HMAC-SHA1 authentication type (SRTP_HMAC_SHA1, used by
 * AES_CM_128_HMAC_SHA1_80/_32 for SRTP and SRTCP, RFC 3711 section 4.2.1)
 * with ours, through libsrtp's srtp_replace_auth_type().
 *
 * Why: with OpenSSL 3, libsrtp's own HMAC re-initialises an EVP_MAC context
 * for every packet, and each context is a chain of a dozen provider
 * allocations (about 4 KB per member direction). A relay host holds tens of
 * thousands of such contexts, so every packet walks cold memory. Ours keeps,
 * per context, the SHA-1 states after the key XOR ipad and key XOR opad
 * blocks (the precomputation RFC 2104 section 4 describes) in one
 * cache-aligned block, and computes the tag with OpenSSL's SHA-1 (which uses
 * the CPU's SHA extensions where present). Tags are bit-identical:
 * libsrtp runs the type's self test (RFC 2202 vectors) when it is installed.
 *
 * Call once per process after srtp_init() and before any session is
 * created; vr_relay_global_init() does.
 *
 * @return 0, or -EIO if libsrtp refuses the type (self test failed).
 * Not thread-safe (changes libsrtp's global crypto kernel).
 */
int vr_srtp_hmac_install(void);

struct srtp_auth_type_t;

/**
 * The auth type vr_srtp_hmac_install() installs: libsrtp's interface
 * (alloc, init, start, update, compute, dealloc), for tests that drive it
 * directly. Static storage; thread-safe.
 */
const struct srtp_auth_type_t *vr_srtp_hmac_type(void);

#ifdef __cplusplus
}
#endif

#endif
