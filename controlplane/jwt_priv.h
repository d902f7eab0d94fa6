/* SPDX-License-Identifier: BSD-3-Clause */
/* What jwt.c (token syntax, claims) needs from jwt_key.c (keys and their signature primitives). */
#ifndef VOXRELAY_CP_JWT_PRIV_H
#define VOXRELAY_CP_JWT_PRIV_H

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

/* HMAC-SHA-256 of @in with @k's secret into @out; false on an OpenSSL failure. */
bool vr_jwt_key_hmac_sha256(const struct vr_jwt_key *k, const void *in, size_t inlen,
			    uint8_t out[VR_JWT_HS256_LEN]);

/* True if @sig is @k's valid signature of @in, in the JWS form of @k's algorithm. */
bool vr_jwt_key_check(const struct vr_jwt_key *k, const void *in, size_t inlen, const uint8_t *sig, size_t siglen);

#endif
