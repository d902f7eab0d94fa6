/* SPDX-License-Identifier: BSD-3-Clause */
/* libFuzzer target over the JWT verifier: raw tokens, correctly signed tokens of arbitrary JSON, PEM keys, the HS256 signer. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/hmac.h>

#include "voxrelay/cp_jwt.h"

#include "jwt_priv.h" /* vr_jwt_b64url_encode: jwt.c is compiled in */

/*
 * Fixed keys, so that the seed corpus (tests/cp/corpus_jwt) holds tokens
 * with valid RS256 and ES256 signatures; their private halves were thrown
 * away after signing the seeds.
 */
static const char rsa_pem[] =
	"-----BEGIN PUBLIC KEY-----\n"
	"MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEApMGHK4xci1TNTw7FOTwX\n"
	"ARRJemWy9nVULkjEXSpNPJZ6NRnKNWkzhFhI4gCa9aTkxo27kehMCtImchvR+AuO\n"
	"tn9Ag9YhoZHEVxkQkddmCjCfdlFkPzt5WkkZ2kQCY87/OdYDM3UtaKuQG3sDjm5D\n"
	"PUJpPeCL5JZjYpvT1qnJwxJ0EJVE8NN/5rZKEDL3zdy92XbxPrL2xkp4pAI9onKd\n"
	"Y6hvCOxYrpVtJ0g4ky2+9gRgmcQPCNFCrlQAYu+jAc7891ofrDqXwStsmila3uRj\n"
	"5Cib/9tjTzLDniC5EN4gBLyEIQCCqbg9NIQqIUQAz5i2UeSHq9rgqTMhYqNhtCxb\n"
	"CQIDAQAB\n"
	"-----END PUBLIC KEY-----\n";
static const char ec_pem[] =
	"-----BEGIN PUBLIC KEY-----\n"
	"MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEX7hHMF4n/2rHabeD+kifttXZFmmH\n"
	"IAr3WMnpKhb9DOeb3Wzz+05pNp87HvYl5LODWBkka0DFjNYrLfBa4/FHLg==\n"
	"-----END PUBLIC KEY-----\n";
static const char secret[] = "voxrelay fuzz_jwt HS256 secret, 32+ bytes";

#define NOW 1700000000
#define FUZZ_MAX_INPUT (2 * VR_JWT_MAX_LEN)

static struct vr_jwt_key *keys[3];

/* What an accepted token must look like, whatever the input. */
static void check_ok(enum vr_jwt_error rc, const struct vr_jwt_claims *c)
{
	size_t n;

	if (rc != VR_JWT_OK)
		return;
	n = strnlen(c->sub, sizeof(c->sub));
	if (n == 0 || n > VR_JWT_SUB_MAX)
		abort();
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)c->sub[i] < 0x20 || c->sub[i] == 0x7f)
			abort();
	if (c->exp != 0 && c->exp <= NOW - 30)
		abort();
}

static enum vr_jwt_error verify(const char *tok, size_t len, bool require_exp, struct vr_jwt_claims *c)
{
	enum vr_jwt_error rc = vr_jwt_verify(tok, len, keys, 3, NOW, 30, require_exp, c);

	if (strcmp(vr_jwt_error_name(rc), "TOKEN_UNKNOWN") == 0)
		abort();
	check_ok(rc, c);
	return rc;
}

/* "header\npayload": both encoded and HS256-signed here, so that any JSON reaches the claims. */
static void signed_pair(const uint8_t *data, size_t size, bool require_exp)
{
	const uint8_t *nl = memchr(data, '\n', size);
	size_t hlen = nl != NULL ? (size_t)(nl - data) : size;
	const uint8_t *payload = nl != NULL ? nl + 1 : data + size;
	size_t plen = size - hlen - (nl != NULL);
	char *tok = malloc(VR_JWT_B64URL_SIZE(hlen) + VR_JWT_B64URL_SIZE(plen) + VR_JWT_B64URL_SIZE(32));
	uint8_t mac[32];
	unsigned maclen = 0;
	struct vr_jwt_claims c;
	size_t n;

	if (tok == NULL)
		return;
	n = vr_jwt_b64url_encode(data, hlen, tok);
	tok[n++] = '.';
	n += vr_jwt_b64url_encode(payload, plen, tok + n);
	HMAC(EVP_sha256(), secret, sizeof(secret) - 1, (const uint8_t *)tok, n, mac, &maclen);
	tok[n++] = '.';
	n += vr_jwt_b64url_encode(mac, maclen, tok + n);
	if (verify(tok, n, require_exp, &c) == VR_JWT_BAD_SIGNATURE && memmem(data, hlen, "HS256", 5) != NULL &&
	    memmem(data, hlen, "RS256", 5) == NULL && memmem(data, hlen, "ES256", 5) == NULL &&
	    memmem(data, hlen, "\\", 1) == NULL && n <= VR_JWT_MAX_LEN)
		abort(); /* signed with the configured secret, its alg can only be HS256 */
	free(tok);
}

/* A PEM key, and the signer on the same bytes as claims. */
static void pem_and_sign(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	struct vr_jwt_key *k;
	struct vr_jwt_claims c;
	enum vr_jwt_error rc;
	char *tok;

	if (s == NULL)
		return;
	memcpy(s, data, size);
	s[size] = '\0';
	k = vr_jwt_key_pem(s, size);
	if (k != NULL && vr_jwt_key_alg(k) != VR_JWT_RS256 && vr_jwt_key_alg(k) != VR_JWT_ES256)
		abort();
	vr_jwt_key_free(k);
	tok = vr_jwt_sign_hs256(keys[0], s);
	if (tok != NULL) {
		rc = verify(tok, strlen(tok), false, &c);
		if (rc == VR_JWT_BAD_ALG || rc == VR_JWT_BAD_SIGNATURE ||
		    (rc == VR_JWT_TOO_LONG) != (strlen(tok) > VR_JWT_MAX_LEN))
			abort();
	}
	free(tok);
	free(s);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	keys[0] = vr_jwt_key_hmac(secret, sizeof(secret) - 1);
	keys[1] = vr_jwt_key_pem(rsa_pem, sizeof(rsa_pem) - 1);
	keys[2] = vr_jwt_key_pem(ec_pem, sizeof(ec_pem) - 1);
	if (keys[0] == NULL || keys[1] == NULL || keys[2] == NULL) {
		fprintf(stderr, "fuzz_jwt: cannot make the keys\n");
		abort();
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vr_jwt_claims c;
	bool require_exp;

	if (size == 0 || size > FUZZ_MAX_INPUT)
		return 0;
	require_exp = data[0] & 4;
	/* the first byte picks the mode: '0' raw token, '1' signed JSON pair, '2' PEM and signer */
	switch (data[0] % 3) {
	case 0:
		verify((const char *)data + 1, size - 1, require_exp, &c);
		break;
	case 1:
		signed_pair(data + 1, size - 1, require_exp);
		break;
	default:
		pem_and_sign(data + 1, size - 1);
		break;
	}
	return 0;
}
