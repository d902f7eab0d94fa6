/* SPDX-License-Identifier: BSD-3-Clause */
/* What jwt.c (token syntax, claims) needs from jwt_key.c (keys and their signature primitives). */
#ifndef VOXRELAY_CP_JWT_PRIV_H
#define VOXRELAY_CP_JWT_PRIV_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "voxrelay/cp_jwt.h"

/** HMAC-SHA-256 output, and the only HS256 signature length accepted. */
#define VR_JWT_HS256_LEN 32

struct vr_jwt_key {
	enum vr_jwt_alg alg;
	/* HS256: an HMAC-SHA-256 context already keyed, duplicated per use so that
	 * neither the digest fetch nor the key schedule is paid per token, and so
	 * that no other copy of the secret stays in memory */
	EVP_MAC_CTX *hmac;
	/* RS256, ES256 */
	EVP_PKEY *pkey;
};

/* Room vr_jwt_b64url_encode() needs for @n input bytes: OpenSSL writes the padded form and a NUL first. */
#define VR_JWT_B64URL_SIZE(n) (4 * (((size_t)(n) + 2) / 3) + 1)
/* Most bytes vr_jwt_b64url_encode() takes (EVP_EncodeBlock counts in int). */
#define VR_JWT_B64URL_IN_MAX ((size_t)INT_MAX / 4 * 3)

/*
 * Encode @n bytes (at most VR_JWT_B64URL_IN_MAX) as unpadded base64url
 * (RFC 4648 s5) at @out, VR_JWT_B64URL_SIZE(n) bytes of room, NUL-terminated;
 * returns the characters written. The signer's, and the fuzzer's for the
 * tokens it signs.
 */
size_t vr_jwt_b64url_encode(const uint8_t *in, size_t n, char *out);

/* HMAC-SHA-256 of @in with @k's secret into @out; false on an OpenSSL failure. */
bool vr_jwt_key_hmac_sha256(const struct vr_jwt_key *k, const void *in, size_t inlen,
			    uint8_t out[VR_JWT_HS256_LEN]);

/* True if @sig is @k's valid signature of @in, in the JWS form of @k's algorithm. */
bool vr_jwt_key_check(const struct vr_jwt_key *k, const void *in, size_t inlen, const uint8_t *sig, size_t siglen);

#endif
