/* SPDX-License-Identifier: BSD-3-Clause */
/* JWT verification keys (HS256 secret, RS256/ES256 public key from PEM) and their signature checks on OpenSSL 3. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/obj_mac.h>
#include <openssl/pem.h>

#include "jwt_priv.h"

/* A public key PEM is a few hundred bytes to a few KiB; more is not a key file. */
#define PEM_FILE_MAX (64 * 1024)

struct vr_jwt_key *vr_jwt_key_hmac(const void *secret, size_t len)
{
	struct vr_jwt_key *k = NULL;
	EVP_MAC *mac = NULL;
	OSSL_PARAM params[2];
	int err = 0;

	if (secret == NULL || len == 0) {
		err = EINVAL;
		goto out;
	}
	k = calloc(1, sizeof(*k));
	if (k == NULL) {
		err = ENOMEM;
		goto out;
	}
	k->alg = VR_JWT_HS256;
	ERR_set_mark();
	mac = EVP_MAC_fetch(NULL, OSSL_MAC_NAME_HMAC, NULL);
	k->hmac = mac != NULL ? EVP_MAC_CTX_new(mac) : NULL;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	if (k->hmac == NULL || !EVP_MAC_init(k->hmac, secret, len, params))
		err = ENOMEM;
	ERR_pop_to_mark();
out:
	EVP_MAC_free(mac);
	if (err != 0) {
		vr_jwt_key_free(k);
		errno = err;
		return NULL;
	}
	return k;
}

/* EINVAL unless @pkey is RSA of at least 2048 bits (RFC 7518 s3.3) or EC on P-256 (s3.4). */
static int key_alg(EVP_PKEY *pkey, enum vr_jwt_alg *alg)
{
	char group[64];

	if (EVP_PKEY_is_a(pkey, "RSA")) {
		if (EVP_PKEY_get_bits(pkey) < 2048)
			return EINVAL;
		*alg = VR_JWT_RS256;
		return 0;
	}
	if (EVP_PKEY_is_a(pkey, "EC")) {
		/* explicit curve parameters have no name and are refused with the rest */
		if (!EVP_PKEY_get_group_name(pkey, group, sizeof(group), NULL) ||
		    strcmp(group, SN_X9_62_prime256v1) != 0)
			return EINVAL;
		*alg = VR_JWT_ES256;
		return 0;
	}
	return EINVAL;
}

struct vr_jwt_key *vr_jwt_key_pem(const char *pem, size_t len)
{
	struct vr_jwt_key *k = NULL;
	EVP_PKEY *pkey = NULL;
	enum vr_jwt_alg alg = 0;
	BIO *bio = NULL;
	int err = 0;

	/* the mark keeps a refused key's decoder errors out of the caller's TLS error checks */
	ERR_set_mark();
	if (pem == NULL || len == 0 || len > INT_MAX) {
		err = EINVAL;
		goto out;
	}
	bio = BIO_new_mem_buf(pem, (int)len);
	if (bio == NULL) {
		err = ENOMEM;
		goto out;
	}
	pkey = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
	if (pkey == NULL) {
		err = EINVAL;
		goto out;
	}
	err = key_alg(pkey, &alg);
	if (err != 0)
		goto out;
	k = calloc(1, sizeof(*k));
	if (k == NULL) {
		err = ENOMEM;
		goto out;
	}
	k->alg = alg;
	k->pkey = pkey;
	pkey = NULL;
out:
	EVP_PKEY_free(pkey);
	BIO_free(bio);
	ERR_pop_to_mark();
	if (err != 0)
		errno = err;
	return k;
}

struct vr_jwt_key *vr_jwt_key_pem_file(const char *path)
{
	struct vr_jwt_key *k = NULL;
	char *buf = NULL;
	size_t len = 0;
	ssize_t n;
	int fd = -1, err = 0;

	if (path == NULL) {
		err = EINVAL;
		goto out;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = errno;
		goto out;
	}
	/* one byte more than allowed tells a too-large file from one exactly at the limit */
	buf = malloc(PEM_FILE_MAX + 1);
	if (buf == NULL) {
		err = ENOMEM;
		goto out;
	}
	while (len <= PEM_FILE_MAX) {
		n = read(fd, buf + len, PEM_FILE_MAX + 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = errno;
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > PEM_FILE_MAX) {
		err = EFBIG;
		goto out;
	}
	k = vr_jwt_key_pem(buf, len);
	if (k == NULL)
		err = errno;
out:
	free(buf);
	if (fd >= 0)
		close(fd);
	if (err != 0)
		errno = err;
	return k;
}

void vr_jwt_key_free(struct vr_jwt_key *k)
{
	if (k == NULL)
		return;
	EVP_MAC_CTX_free(k->hmac);
	EVP_PKEY_free(k->pkey);
	free(k);
}

enum vr_jwt_alg vr_jwt_key_alg(const struct vr_jwt_key *k)
{
	return k->alg;
}

bool vr_jwt_key_hmac_sha256(const struct vr_jwt_key *k, const void *in, size_t inlen,
			    uint8_t out[VR_JWT_HS256_LEN])
{
	EVP_MAC_CTX *ctx;
	size_t outlen = 0;
	bool ok;

	/* a copy per call: the keyed context is shared by every verifying thread */
	ctx = EVP_MAC_CTX_dup(k->hmac);
	ok = ctx != NULL && EVP_MAC_update(ctx, in, inlen) && EVP_MAC_final(ctx, out, &outlen, VR_JWT_HS256_LEN) &&
	     outlen == VR_JWT_HS256_LEN;
	EVP_MAC_CTX_free(ctx);
	return ok;
}

/*
 * JWS carries ECDSA as R||S, each left-padded to 32 bytes (RFC 7518 s3.4);
 * OpenSSL verifies the DER SEQUENCE of two INTEGERs. Anything but 64 bytes
 * is refused, DER included, so that one signature has one encoding.
 */
static int es256_to_der(const uint8_t *sig, size_t siglen, uint8_t *der, size_t dersize)
{
	ECDSA_SIG *es = NULL;
	BIGNUM *r = NULL, *s = NULL;
	unsigned char *p = der;
	int len = -1;

	if (siglen != 64)
		goto out;
	es = ECDSA_SIG_new();
	r = BN_bin2bn(sig, 32, NULL);
	s = BN_bin2bn(sig + 32, 32, NULL);
	if (es == NULL || r == NULL || s == NULL || !ECDSA_SIG_set0(es, r, s))
		goto out;
	r = s = NULL; /* owned by es now */
	len = i2d_ECDSA_SIG(es, NULL);
	if (len <= 0 || (size_t)len > dersize)
		len = -1;
	else
		len = i2d_ECDSA_SIG(es, &p);
out:
	BN_free(r);
	BN_free(s);
	ECDSA_SIG_free(es);
	return len;
}

static bool pkey_verify(EVP_PKEY *pkey, const void *in, size_t inlen, const uint8_t *sig, size_t siglen)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	bool ok;

	/* RSA keys default to PKCS#1 v1.5 padding, which is what RS256 is */
	ok = md != NULL && EVP_DigestVerifyInit_ex(md, NULL, "SHA256", NULL, NULL, pkey, NULL) == 1 &&
	     EVP_DigestVerify(md, sig, siglen, in, inlen) == 1;
	EVP_MD_CTX_free(md);
	return ok;
}

bool vr_jwt_key_check(const struct vr_jwt_key *k, const void *in, size_t inlen, const uint8_t *sig, size_t siglen)
{
	uint8_t mac[VR_JWT_HS256_LEN];
	uint8_t der[80]; /* 2 + 2 * (2 + 33): the longest P-256 ECDSA-Sig-Value */
	int derlen;

	switch (k->alg) {
	case VR_JWT_HS256:
		return siglen == VR_JWT_HS256_LEN && vr_jwt_key_hmac_sha256(k, in, inlen, mac) &&
		       CRYPTO_memcmp(mac, sig, VR_JWT_HS256_LEN) == 0;
	case VR_JWT_RS256:
		return pkey_verify(k->pkey, in, inlen, sig, siglen);
	case VR_JWT_ES256:
		derlen = es256_to_der(sig, siglen, der, sizeof(der));
		return derlen > 0 && pkey_verify(k->pkey, in, inlen, der, (size_t)derlen);
	}
	return false;
}
