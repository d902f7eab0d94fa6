/* SPDX-License-Identifier: BSD-3-Clause */
/* HMAC-SHA1 for libsrtp with precomputed pad states (RFC 2104 section 4), installed over libsrtp's own. */
#include <errno.h>
#include <stdalign.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/*
 * OpenSSL 3 deprecates the SHA1_* calls in favour of EVP_MD, but an EVP_MD
 * context cannot be resumed from a saved state without a provider dupctx
 * (an allocation) per packet, which is what this file exists to avoid.
 * They remain part of OpenSSL 3's API and use the same assembly.
 */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <srtp2/srtp.h>
/* libsrtp's auth type interface (crypto/include of the subproject): the
 * extension point behind srtp_replace_auth_type(). */
#include "auth.h"

#include "voxrelay/srtp_hmac.h"

#define HMAC_BLOCK 64 /* SHA-1 block, RFC 2104 B */

/* libsrtp's auth object and our state in one block: one allocation per
 * context, and the three SHA-1 states a packet touches sit together. */
struct vr_srtp_hmac {
	srtp_auth_t auth;
	alignas(64) SHA_CTX work;  /* the message being authenticated */
	SHA_CTX inner;             /* after (key XOR ipad) */
	SHA_CTX outer;             /* after (key XOR opad) */
};

static srtp_err_status_t hmac_alloc(srtp_auth_t **ap, int key_len, int out_len);

/* RFC 2202 section 3, test cases 1 and 2: libsrtp runs them when the type is installed. */
static const uint8_t tc1_key[20] = {
	0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b,
	0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b,
};
static const uint8_t tc1_data[8] = { 'H', 'i', ' ', 'T', 'h', 'e', 'r', 'e' };
static const uint8_t tc1_tag[20] = {
	0xb6, 0x17, 0x31, 0x86, 0x55, 0x05, 0x72, 0x64, 0xe2, 0x8b,
	0xc0, 0xb6, 0xfb, 0x37, 0x8c, 0x8e, 0xf1, 0x46, 0xbe, 0x00,
};
static const uint8_t tc2_key[4] = { 'J', 'e', 'f', 'e' };
static const uint8_t tc2_data[28] = "what do ya want for nothing?";
static const uint8_t tc2_tag[20] = {
	0xef, 0xfc, 0xdf, 0x6a, 0xe5, 0xeb, 0x2f, 0xa2, 0xd2, 0x74,
	0x16, 0xd5, 0xf1, 0x84, 0xdf, 0x9c, 0x25, 0x9a, 0x7c, 0x79,
};
static const srtp_auth_test_case_t tc2 = {
	sizeof tc2_key, tc2_key, sizeof tc2_data, tc2_data, sizeof tc2_tag, tc2_tag, NULL,
};
static const srtp_auth_test_case_t tc1 = {
	sizeof tc1_key, tc1_key, sizeof tc1_data, tc1_data, sizeof tc1_tag, tc1_tag, &tc2,
};

static srtp_err_status_t hmac_dealloc(srtp_auth_t *a)
{
	if (a) {
		OPENSSL_cleanse(a, sizeof(struct vr_srtp_hmac));
		free(a);
	}
	return srtp_err_status_ok;
}

/* RFC 2104 section 2: keys longer than a block are hashed first; the
 * padded key XOR ipad and XOR opad each become one absorbed block. */
static srtp_err_status_t hmac_init(void *statev, const uint8_t *key, int key_len)
{
	struct vr_srtp_hmac *h = statev;
	uint8_t k[HMAC_BLOCK] = { 0 }, pad[HMAC_BLOCK];
	srtp_err_status_t rc = srtp_err_status_auth_fail;

	if (key_len < 0)
		return srtp_err_status_bad_param;
	if ((size_t)key_len > sizeof k) {
		if (!SHA1(key, (size_t)key_len, k))
			goto out;
	} else if (key_len > 0) {
		memcpy(k, key, (size_t)key_len);
	}
	for (int i = 0; i < HMAC_BLOCK; i++)
		pad[i] = k[i] ^ 0x36;
	if (!SHA1_Init(&h->inner) || !SHA1_Update(&h->inner, pad, sizeof pad))
		goto out;
	for (int i = 0; i < HMAC_BLOCK; i++)
		pad[i] = k[i] ^ 0x5c;
	if (!SHA1_Init(&h->outer) || !SHA1_Update(&h->outer, pad, sizeof pad))
		goto out;
	h->work = h->inner;
	rc = srtp_err_status_ok;
out:
	OPENSSL_cleanse(k, sizeof k);
	OPENSSL_cleanse(pad, sizeof pad);
	return rc;
}

static srtp_err_status_t hmac_start(void *statev)
{
	struct vr_srtp_hmac *h = statev;

	h->work = h->inner;
	return srtp_err_status_ok;
}

static srtp_err_status_t hmac_update(void *statev, const uint8_t *msg, int len)
{
	struct vr_srtp_hmac *h = statev;

	if (len < 0)
		return srtp_err_status_bad_param;
	return SHA1_Update(&h->work, msg, (size_t)len) ? srtp_err_status_ok : srtp_err_status_auth_fail;
}

static srtp_err_status_t hmac_compute(void *statev, const uint8_t *msg, int len,
				      int tag_len, uint8_t *tag)
{
	struct vr_srtp_hmac *h = statev;
	uint8_t digest[SHA_DIGEST_LENGTH];
	srtp_err_status_t rc = srtp_err_status_auth_fail;

	if (len < 0 || tag_len < 0 || tag_len > SHA_DIGEST_LENGTH)
		return srtp_err_status_bad_param;
	if (!SHA1_Update(&h->work, msg, (size_t)len) || !SHA1_Final(digest, &h->work))
		goto out;
	h->work = h->outer;
	if (!SHA1_Update(&h->work, digest, sizeof digest) || !SHA1_Final(digest, &h->work))
		goto out;
	memcpy(tag, digest, (size_t)tag_len);
	rc = srtp_err_status_ok;
out:
	OPENSSL_cleanse(digest, sizeof digest);
	return rc;
}

static const srtp_auth_type_t hmac_type = {
	.alloc = hmac_alloc,
	.dealloc = hmac_dealloc,
	.init = hmac_init,
	.compute = hmac_compute,
	.update = hmac_update,
	.start = hmac_start,
	.description = "voxrelay hmac sha-1 (precomputed pads, OpenSSL SHA-1)",
	.test_data = &tc1,
	.id = SRTP_HMAC_SHA1,
};

static srtp_err_status_t hmac_alloc(srtp_auth_t **ap, int key_len, int out_len)
{
	struct vr_srtp_hmac *h;

	*ap = NULL;
	if (out_len < 0 || out_len > SHA_DIGEST_LENGTH || key_len < 0)
		return srtp_err_status_bad_param;
	h = aligned_alloc(alignof(struct vr_srtp_hmac), sizeof *h);
	if (!h)
		return srtp_err_status_alloc_fail;
	memset(h, 0, sizeof *h);
	h->auth.type = &hmac_type;
	h->auth.state = h;
	h->auth.out_len = out_len;
	h->auth.key_len = key_len;
	h->auth.prefix_len = 0;
	*ap = &h->auth;
	return srtp_err_status_ok;
}

const struct srtp_auth_type_t *vr_srtp_hmac_type(void)
{
	return &hmac_type;
}

int vr_srtp_hmac_install(void)
{
	_Static_assert(offsetof(struct vr_srtp_hmac, auth) == 0, "auth first: dealloc frees it");
	return srtp_replace_auth_type(&hmac_type, SRTP_HMAC_SHA1) == srtp_err_status_ok ? 0 : -EIO;
}
