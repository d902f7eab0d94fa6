/* SPDX-License-Identifier: BSD-3-Clause */
/* The control plane's JWT verifier: compact JWS tokens signed HS256, RS256 or ES256, checked against configured keys only. */
#ifndef VOXRELAY_CP_JWT_H
#define VOXRELAY_CP_JWT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Sources: RFC 7519 (JWT), RFC 7515 (JWS, compact serialisation s7.1,
 * base64url without padding s2 and appendix C), RFC 7518 (JWA: HS256 s3.2,
 * RS256 s3.3, ES256 s3.4), RFC 8725 (JWT best current practice: s2.1 and
 * s3.1 algorithm confusion and "none", s3.11 explicit typing).
 *
 * Trust model: the verification key and its algorithm come from the
 * configuration, never from the token. The token's "alg" only selects
 * among the configured keys; "jwk", "jku", "x5u", "x5c" and "kid" are
 * ignored. "iss" and "aud" are not checked: give this service keys of its
 * own.
 *
 * Library: the static library `vrjwt` (controlplane/meson.build,
 * dependency vr_jwt_dep), on OpenSSL 3 libcrypto and jansson.
 */

/** Longest token vr_jwt_verify() looks at, in bytes; longer is VR_JWT_TOO_LONG. */
#define VR_JWT_MAX_LEN 8192
/** Longest "sub" accepted, in bytes (vr_jwt_claims.sub holds it NUL-terminated). */
#define VR_JWT_SUB_MAX 128

/** The signature algorithms accepted (RFC 7518 s3.1 names in comments). */
enum vr_jwt_alg {
	VR_JWT_HS256 = 1, /**< "HS256": HMAC with SHA-256, RFC 7518 s3.2 */
	VR_JWT_RS256,     /**< "RS256": RSASSA-PKCS1-v1_5 with SHA-256, RFC 7518 s3.3 */
	VR_JWT_ES256,     /**< "ES256": ECDSA P-256 with SHA-256, raw R||S, RFC 7518 s3.4 */
};

/** One configured verification key; its algorithm is fixed when it is made. Opaque. */
struct vr_jwt_key;

/**
 * Make an HS256 key from a shared secret.
 *
 * RFC 7518 s3.2 asks for a secret at least as long as the hash (32 bytes);
 * shorter ones are accepted for interoperability but are guessable.
 *
 * @param secret  the secret's bytes (any bytes, not NUL-terminated); copied
 * @param len     its length in bytes, at least 1
 * @return a new key owned by the caller (vr_jwt_key_free()), or NULL with
 *         errno EINVAL (NULL or empty secret) or ENOMEM. Thread-safe.
 */
struct vr_jwt_key *vr_jwt_key_hmac(const void *secret, size_t len);

/**
 * Make an RS256 or ES256 key from a public key in PEM text
 * ("-----BEGIN PUBLIC KEY-----", SubjectPublicKeyInfo, RFC 7468 s13).
 * The algorithm follows the key: RSA (rsaEncryption, at least 2048 bits,
 * RFC 7518 s3.3) gives RS256, EC on P-256 gives ES256. Only the first key
 * in the text is read.
 *
 * @param pem  the PEM text (need not be NUL-terminated); not kept
 * @param len  its length in bytes
 * @return a new key owned by the caller, or NULL with errno EINVAL (NULL,
 *         empty or no PUBLIC KEY block, another key type, RSA under 2048
 *         bits, an EC curve other than P-256, @len over INT_MAX) or ENOMEM.
 *         Thread-safe.
 */
struct vr_jwt_key *vr_jwt_key_pem(const char *pem, size_t len);

/**
 * vr_jwt_key_pem() on the contents of a file (at most 64 KiB).
 *
 * @param path  file name
 * @return a new key owned by the caller, or NULL with errno as
 *         vr_jwt_key_pem() sets it, or as open()/read() set it (ENOENT,
 *         EACCES, EISDIR...), or EFBIG (file over 64 KiB). Thread-safe.
 */
struct vr_jwt_key *vr_jwt_key_pem_file(const char *path);

/** Free a key made by any vr_jwt_key_*() constructor. NULL is a no-op. Not while a vr_jwt_verify() uses it. */
void vr_jwt_key_free(struct vr_jwt_key *k);

/** The algorithm @k verifies (never NULL). Pure, thread-safe. */
enum vr_jwt_alg vr_jwt_key_alg(const struct vr_jwt_key *k);

/** The claims vr_jwt_verify() hands back. */
struct vr_jwt_claims {
	/** "sub", NUL-terminated: 1..VR_JWT_SUB_MAX bytes of UTF-8 without control characters */
	char sub[VR_JWT_SUB_MAX + 1];
	/** "exp", "nbf", "iat" in seconds since the epoch (fractions: exp and iat
	 *  rounded down, nbf up); 0 when absent */
	int64_t exp;
	int64_t nbf;
	int64_t iat;
};

/** Why a token was refused; VR_JWT_OK when it was not. */
enum vr_jwt_error {
	VR_JWT_OK = 0,
	VR_JWT_MALFORMED,      /**< not a compact JWS of JSON objects, a claim of the wrong type, exp missing when required */
	VR_JWT_BAD_ALG,        /**< header not acceptable: alg missing, "none", unknown or without a configured key; "crit"; "typ" not JWT */
	VR_JWT_BAD_SIGNATURE,  /**< no configured key of the token's algorithm verifies the signature */
	VR_JWT_EXPIRED,        /**< exp <= now - leeway */
	VR_JWT_NOT_YET_VALID,  /**< nbf > now + leeway */
	VR_JWT_NO_SUBJECT,     /**< "sub" missing, not a string, empty, over VR_JWT_SUB_MAX bytes, or with control characters */
	VR_JWT_TOO_LONG,       /**< token over VR_JWT_MAX_LEN bytes */
};

/**
 * A stable upper-case code for @e, for logs and for the error a client is
 * sent: "OK", "TOKEN_MALFORMED", "TOKEN_BAD_ALG", "TOKEN_BAD_SIGNATURE",
 * "TOKEN_EXPIRED", "TOKEN_NOT_YET_VALID", "TOKEN_NO_SUBJECT",
 * "TOKEN_TOO_LONG"; "TOKEN_UNKNOWN" for a value outside the enum.
 * Static storage, never NULL; pure, thread-safe.
 */
const char *vr_jwt_error_name(enum vr_jwt_error e);

/**
 * Verify a JWT in JWS compact serialisation (RFC 7515 s7.1):
 * BASE64URL(header) "." BASE64URL(payload) "." BASE64URL(signature).
 *
 * In order, the first failing check decides the result:
 *  1. @len over VR_JWT_MAX_LEN: VR_JWT_TOO_LONG.
 *  2. Syntax (VR_JWT_MALFORMED): exactly two dots; header and payload
 *     non-empty; every part strict base64url (RFC 4648 s5: no '=' padding,
 *     no '+', '/', whitespace or NUL; a length of 4n+1 and non-zero unused
 *     trailing bits refused, so each token has one spelling); the header a
 *     JSON object without duplicate names.
 *  3. Header (VR_JWT_BAD_ALG): "alg" a string naming the algorithm of at
 *     least one key of @keys ("none" and unknown names never do, and an
 *     "HS256" token is refused unless an HMAC key is configured: no public
 *     key is ever used as an HMAC secret, RFC 8725 s2.1); no "crit" (no
 *     extension is understood, RFC 7515 s4.1.11); "typ", if present, "JWT"
 *     or "application/jwt", case-insensitively (RFC 7519 s5.1).
 *  4. Signature (VR_JWT_BAD_SIGNATURE): checked with each key of that
 *     algorithm until one verifies; HS256 compared in constant time, ES256
 *     exactly 64 bytes R||S (DER is refused).
 *  5. Payload (VR_JWT_MALFORMED), decoded only once authenticated: a JSON
 *     object without duplicate names; "exp", "nbf", "iat" numbers (integer
 *     or real, within int64 seconds) when present; "exp" present if
 *     @require_exp.
 *  6. Time: exp <= now - leeway: VR_JWT_EXPIRED; nbf > now + leeway:
 *     VR_JWT_NOT_YET_VALID. "iat" is reported, not checked.
 *  7. "sub" (VR_JWT_NO_SUBJECT): a JSON string of 1..VR_JWT_SUB_MAX bytes
 *     without control characters (< 0x20, 0x7f; jansson has checked UTF-8).
 *
 * @param token        the token (need not be NUL-terminated)
 * @param len          its length in bytes
 * @param keys         array of @nkeys keys (NULL entries are skipped);
 *                     none configured for the token's alg: VR_JWT_BAD_ALG
 * @param nkeys        number of entries in @keys
 * @param now          current time, seconds since the epoch
 * @param leeway_s     clock skew allowed on exp and nbf, seconds (e.g. 30);
 *                     negative counts as 0
 * @param require_exp  refuse a token without "exp" (VR_JWT_MALFORMED)
 * @param claims       out, may be NULL: filled only when VR_JWT_OK is returned
 * @return VR_JWT_OK or the reason of the refusal; a NULL @token is
 *         VR_JWT_MALFORMED. Never sets errno meaningfully.
 *
 * Thread-safe: any number of threads may verify at once with the same keys
 * (keys are read-only after creation). Leaves the calling thread's
 * OpenSSL error queue as it found it.
 */
enum vr_jwt_error vr_jwt_verify(const char *token, size_t len, struct vr_jwt_key *const *keys, unsigned nkeys,
				int64_t now, int64_t leeway_s, bool require_exp, struct vr_jwt_claims *claims);

/**
 * Make an HS256 token: header {"alg":"HS256","typ":"JWT"}, @claims_json
 * as the payload byte for byte. For tests, tools and load clients; the
 * control plane itself only verifies.
 *
 * @param k            an HS256 key (vr_jwt_key_hmac())
 * @param claims_json  NUL-terminated JSON object text (not checked for
 *                     claims; duplicate names refused)
 * @return a malloc'd NUL-terminated token the caller frees with free(), or
 *         NULL with errno EINVAL (NULL argument, @k not an HMAC key,
 *         @claims_json not a JSON object) or ENOMEM. The token may exceed
 *         VR_JWT_MAX_LEN, which vr_jwt_verify() would then refuse.
 *         Thread-safe.
 */
char *vr_jwt_sign_hs256(const struct vr_jwt_key *k, const char *claims_json);

#endif
