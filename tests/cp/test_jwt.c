/* SPDX-License-Identifier: BSD-3-Clause */
/* Tests of the JWT verifier: RFC 7515 A.1, tokens signed here with keys made here, every refusal, the key constructors. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>

#include <openssl/bio.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>

#include "voxrelay/cp_jwt.h"

#include "../packet/testutil.h"

#define NOW 1700000000LL
#define LEEWAY 30

#define H_HS "{\"alg\":\"HS256\",\"typ\":\"JWT\"}"
#define H_RS "{\"alg\":\"RS256\",\"typ\":\"JWT\"}"
#define H_ES "{\"alg\":\"ES256\"}"

/* Results compared by name so a failure says what came back. */
#define CHECK_JWT(got, want)                                                                        \
	do {                                                                                        \
		enum vr_jwt_error g_ = (got), w_ = (want);                                          \
		vr_test_checks++;                                                                   \
		if (g_ != w_) {                                                                     \
			vr_test_failures++;                                                         \
			fprintf(stderr, "%s:%d: %s gave %s, expected %s\n", __FILE__, __LINE__, #got, \
				vr_jwt_error_name(g_), vr_jwt_error_name(w_));                      \
		}                                                                                   \
	} while (0)

static const char hs_secret[] = "a 32-byte-or-longer test secret, not for production";

static EVP_PKEY *rsa_priv, *ec_priv, *rsa_other, *ec_other;
static struct vr_jwt_key *hs, *rs, *es;
static struct vr_jwt_claims got;

/* Everything the helpers allocate, freed at the end so that ASan's leak check stays meaningful. */
static void *allocs[4096];
static unsigned nallocs;

static void *keep(void *p)
{
	if (p == NULL || nallocs == sizeof(allocs) / sizeof(allocs[0])) {
		fprintf(stderr, "test_jwt: out of memory or allocation slots\n");
		exit(2);
	}
	allocs[nallocs++] = p;
	return p;
}

static char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));

static char *fmt(const char *f, ...)
{
	va_list ap;
	char *s;

	va_start(ap, f);
	if (vasprintf(&s, f, ap) < 0)
		s = NULL;
	va_end(ap);
	return keep(s);
}

/* The tests' own base64url (RFC 4648 s5, unpadded), independent of the library's. */
static char *b64u(const void *data, size_t n)
{
	char *std = keep(malloc(n / 3 * 4 + 8));
	int len = EVP_EncodeBlock((unsigned char *)std, data, (int)n);

	while (len > 0 && std[len - 1] == '=')
		std[--len] = '\0';
	for (char *c = std; *c; c++)
		*c = *c == '+' ? '-' : *c == '/' ? '_' : *c;
	return std;
}

static size_t unb64u(const char *s, uint8_t *out)
{
	char *std = keep(malloc(strlen(s) + 4));
	size_t n = strlen(s), i;
	int len;

	for (i = 0; i < n; i++)
		std[i] = s[i] == '-' ? '+' : s[i] == '_' ? '/' : s[i];
	while (i % 4)
		std[i++] = '=';
	std[i] = '\0';
	len = EVP_DecodeBlock(out, (unsigned char *)std, (int)i);
	return (size_t)len - (n % 4 == 2 ? 2 : n % 4 == 3 ? 1 : 0);
}

static char *signing_input(const char *hdr, const char *payload)
{
	return fmt("%s.%s", b64u(hdr, strlen(hdr)), b64u(payload, strlen(payload)));
}

static char *hs_token_key(const void *secret, size_t slen, const char *hdr, const char *payload)
{
	char *in = signing_input(hdr, payload);
	uint8_t mac[32];
	unsigned maclen = 0;

	HMAC(EVP_sha256(), secret, (int)slen, (const uint8_t *)in, strlen(in), mac, &maclen);
	return fmt("%s.%s", in, b64u(mac, maclen));
}

static char *hs_token(const char *payload)
{
	return hs_token_key(hs_secret, strlen(hs_secret), H_HS, payload);
}

static size_t digest_sign(EVP_PKEY *pkey, const char *in, uint8_t *sig, size_t size)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	size_t len = size;

	if (md == NULL || EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, pkey) != 1 ||
	    EVP_DigestSign(md, sig, &len, (const uint8_t *)in, strlen(in)) != 1) {
		fprintf(stderr, "test_jwt: EVP_DigestSign failed\n");
		exit(2);
	}
	EVP_MD_CTX_free(md);
	return len;
}

static char *rs_token_key(EVP_PKEY *pkey, const char *hdr, const char *payload)
{
	char *in = signing_input(hdr, payload);
	uint8_t sig[512];
	size_t len = digest_sign(pkey, in, sig, sizeof(sig));

	return fmt("%s.%s", in, b64u(sig, len));
}

enum es_form { ES_RAW, ES_DER, ES_RAW63, ES_RAW65 };

static char *es_token_key(EVP_PKEY *pkey, const char *hdr, const char *payload, enum es_form form)
{
	char *in = signing_input(hdr, payload);
	uint8_t der[128], raw[65] = {0};
	const uint8_t *p = der;
	size_t len = digest_sign(pkey, in, der, sizeof(der));
	const BIGNUM *r, *s;
	ECDSA_SIG *es_sig;

	if (form == ES_DER)
		return fmt("%s.%s", in, b64u(der, len));
	/* DER to the JWS form: R and S as 32-byte big-endian integers (RFC 7518 s3.4) */
	es_sig = d2i_ECDSA_SIG(NULL, &p, (long)len);
	ECDSA_SIG_get0(es_sig, &r, &s);
	BN_bn2binpad(r, raw, 32);
	BN_bn2binpad(s, raw + 32, 32);
	ECDSA_SIG_free(es_sig);
	return fmt("%s.%s", in, b64u(raw, form == ES_RAW63 ? 63 : form == ES_RAW65 ? 65 : 64));
}

static char *rs_token(const char *payload)
{
	return rs_token_key(rsa_priv, H_RS, payload);
}

static char *es_token(const char *payload)
{
	return es_token_key(ec_priv, H_ES, payload, ES_RAW);
}

static char *pem_public(EVP_PKEY *pkey)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data, *out;
	long n;

	PEM_write_bio_PUBKEY(bio, pkey);
	n = BIO_get_mem_data(bio, &data);
	out = keep(strndup(data, (size_t)n));
	BIO_free(bio);
	return out;
}

/* Verify @len bytes of @tok, copied to the end of a guard page and not NUL-terminated. */
static enum vr_jwt_error verify_n(const char *tok, size_t len, struct vr_jwt_key *const *keys, unsigned n,
				  int64_t now, int64_t leeway, bool require_exp)
{
	static struct vr_guard g;
	const char *p = (const char *)vr_guard_copy(&g, (const uint8_t *)tok, len);

	memset(&got, 0xa5, sizeof(got));
	return vr_jwt_verify(p, len, keys, n, now, leeway, require_exp, &got);
}

static enum vr_jwt_error verify(const char *tok)
{
	struct vr_jwt_key *all[] = {hs, rs, es};

	return verify_n(tok, strlen(tok), all, 3, NOW, LEEWAY, false);
}

static enum vr_jwt_error verify_keys(const char *tok, struct vr_jwt_key *k)
{
	return verify_n(tok, strlen(tok), &k, 1, NOW, LEEWAY, false);
}

static enum vr_jwt_error verify_at(const char *tok, int64_t now, int64_t leeway, bool require_exp)
{
	struct vr_jwt_key *all[] = {hs, rs, es};

	return verify_n(tok, strlen(tok), all, 3, now, leeway, require_exp);
}

/* @tok with the character at @i (negative: from the end) replaced by @c. */
static char *with_char(const char *tok, long i, char c)
{
	char *t = keep(strdup(tok));

	t[i < 0 ? (long)strlen(t) + i : i] = c;
	return t;
}

static void test_valid(void)
{
	const char *payload = "{\"sub\":\"alice\",\"exp\":1700000600,\"nbf\":1699999990,\"iat\":1699999980}";
	struct vr_jwt_key *hs2 = vr_jwt_key_hmac("another secret of some length....", 33);
	struct vr_jwt_key *two_hs[] = {hs2, hs};
	struct vr_jwt_key *with_null[] = {NULL, es};
	char *t;

	CHECK_JWT(verify(hs_token(payload)), VR_JWT_OK);
	CHECK(strcmp(got.sub, "alice") == 0);
	CHECK_EQ(got.exp, 1700000600);
	CHECK_EQ(got.nbf, 1699999990);
	CHECK_EQ(got.iat, 1699999980);
	CHECK_JWT(verify_keys(hs_token(payload), hs), VR_JWT_OK);

	CHECK_JWT(verify(rs_token(payload)), VR_JWT_OK);
	CHECK(strcmp(got.sub, "alice") == 0);
	CHECK_EQ(got.exp, 1700000600);
	CHECK_JWT(verify_keys(rs_token(payload), rs), VR_JWT_OK);

	CHECK_JWT(verify(es_token(payload)), VR_JWT_OK);
	CHECK(strcmp(got.sub, "alice") == 0);
	CHECK_EQ(got.iat, 1699999980);
	CHECK_JWT(verify_keys(es_token(payload), es), VR_JWT_OK);
	CHECK_JWT(verify_n(es_token(payload), strlen(es_token(payload)), with_null, 2, NOW, 0, true), VR_JWT_OK);

	/* any configured key of the algorithm may have signed it */
	CHECK_JWT(verify_n(hs_token(payload), strlen(hs_token(payload)), two_hs, 2, NOW, 0, false), VR_JWT_OK);
	CHECK_JWT(verify_n(hs_token(payload), strlen(hs_token(payload)), two_hs, 1, NOW, 0, false),
		  VR_JWT_BAD_SIGNATURE);

	/* the claims are not written unless the token is accepted */
	memset(&got, 0x5a, sizeof(got));
	t = hs_token("{\"sub\":\"bob\",\"exp\":1}");
	CHECK_JWT(vr_jwt_verify(t, strlen(t), &hs, 1, NOW, 0, false, &got), VR_JWT_EXPIRED);
	CHECK_EQ(got.exp, 0x5a5a5a5a5a5a5a5aLL);
	t = hs_token("{\"sub\":\"bob\"}");
	CHECK_JWT(vr_jwt_verify(t, strlen(t), &hs, 1, NOW, 0, false, NULL), VR_JWT_OK);

	/* absent times read as 0; typ is optional and case-insensitive; other header fields ignored */
	CHECK_JWT(verify(hs_token("{\"sub\":\"bob\"}")), VR_JWT_OK);
	CHECK_EQ(got.exp, 0);
	CHECK_EQ(got.nbf, 0);
	CHECK_EQ(got.iat, 0);
	CHECK_JWT(verify(hs_token_key(hs_secret, strlen(hs_secret), "{\"alg\":\"HS256\"}", "{\"sub\":\"b\"}")),
		  VR_JWT_OK);
	CHECK_JWT(verify(hs_token_key(hs_secret, strlen(hs_secret), "{\"typ\":\"jwt\",\"alg\":\"HS256\",\"kid\":\"k1\"}",
				      "{\"sub\":\"b\"}")),
		  VR_JWT_OK);
	CHECK_JWT(verify(hs_token_key(hs_secret, strlen(hs_secret), "{\"alg\":\"HS256\",\"typ\":\"application/JWT\"}",
				      "{\"sub\":\"b\"}")),
		  VR_JWT_OK);
	/* a UTF-8 subject of exactly 128 bytes */
	t = fmt("{\"sub\":\"Zo\\u00eb%0124d\"}", 7);
	CHECK_JWT(verify(hs_token(t)), VR_JWT_OK);
	CHECK_EQ(strlen(got.sub), 128);
	CHECK(memcmp(got.sub, "Zo\xc3\xab", 4) == 0);
	vr_jwt_key_free(hs2);
}

/* RFC 7515 appendix A.1: the HS256 example with its JWK symmetric key. */
static void test_rfc7515_a1(void)
{
	static const char token[] =
		"eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9"
		"."
		"eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ"
		"."
		"dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
	uint8_t k[128];
	size_t klen = unb64u("AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9"
			     "CAow",
			     k);
	struct vr_jwt_key *key = vr_jwt_key_hmac(k, klen);

	CHECK_EQ(klen, 64);
	CHECK(key != NULL);
	/*
	 * The example has no "sub", which this verifier requires: NO_SUBJECT is
	 * decided after the signature and the times, so it shows both passed.
	 */
	CHECK_JWT(verify_n(token, strlen(token), &key, 1, 1300819000, 0, true), VR_JWT_NO_SUBJECT);
	CHECK_JWT(verify_n(token, strlen(token), &key, 1, 1300819379, 0, true), VR_JWT_NO_SUBJECT);
	CHECK_JWT(verify_n(token, strlen(token), &key, 1, 1300819380, 0, true), VR_JWT_EXPIRED);
	CHECK_JWT(verify_n(token, strlen(token), &key, 1, 1300819380, 1, true), VR_JWT_NO_SUBJECT);
	CHECK_JWT(verify_n(token, strlen(token), &hs, 1, 1300819000, 0, true), VR_JWT_BAD_SIGNATURE);
	CHECK_JWT(verify_n(with_char(token, -2, 'j'), strlen(token), &key, 1, 1300819000, 0, true),
		  VR_JWT_BAD_SIGNATURE);
	vr_jwt_key_free(key);
}

/* RFC 8725 s2.1: "none", unknown algorithms, and algorithms without a configured key. */
static void test_alg(void)
{
	const char *payload = "{\"sub\":\"mallory\"}";
	char *pem = pem_public(rsa_priv), *ec_pem = pem_public(ec_priv), *in;

	in = signing_input("{\"alg\":\"none\"}", payload);
	CHECK_JWT(verify(fmt("%s.", in)), VR_JWT_BAD_ALG);
	CHECK_JWT(verify(in), VR_JWT_MALFORMED);
	CHECK_JWT(verify(fmt("%s.%s", in, b64u("x", 1))), VR_JWT_BAD_ALG);
	CHECK_JWT(verify(fmt("%s.", signing_input("{\"alg\":\"None\",\"typ\":\"JWT\"}", payload))), VR_JWT_BAD_ALG);
	CHECK_JWT(verify(fmt("%s.", signing_input("{\"alg\":\"NONE\"}", payload))), VR_JWT_BAD_ALG);
	CHECK_JWT(verify(hs_token_key(hs_secret, strlen(hs_secret), "{\"alg\":\"HS512\"}", payload)), VR_JWT_BAD_ALG);
	CHECK_JWT(verify(hs_token_key(hs_secret, strlen(hs_secret), "{\"alg\":\"hs256\"}", payload)), VR_JWT_BAD_ALG);
	CHECK_JWT(verify(hs_token_key(hs_secret, strlen(hs_secret), "{\"alg\":\"HS256 \"}", payload)), VR_JWT_BAD_ALG);
	CHECK_JWT(verify(hs_token_key(hs_secret, strlen(hs_secret), "{\"typ\":\"JWT\"}", payload)), VR_JWT_BAD_ALG);
	CHECK_JWT(verify(hs_token_key(hs_secret, strlen(hs_secret), "{\"alg\":256}", payload)), VR_JWT_BAD_ALG);
	CHECK_JWT(verify(hs_token_key(hs_secret, strlen(hs_secret), "{\"alg\":[\"HS256\"]}", payload)), VR_JWT_BAD_ALG);
	CHECK_JWT(verify(hs_token_key(hs_secret, strlen(hs_secret), "{\"alg\":null}", payload)), VR_JWT_BAD_ALG);

	/* the classic confusion: the public key's PEM used as an HMAC secret */
	CHECK_JWT(verify_keys(hs_token_key(pem, strlen(pem), H_HS, payload), rs), VR_JWT_BAD_ALG);
	CHECK_JWT(verify_keys(hs_token_key(ec_pem, strlen(ec_pem), H_HS, payload), es), VR_JWT_BAD_ALG);
	/* with an HMAC key configured too, it is tried with that key only */
	CHECK_JWT(verify(hs_token_key(pem, strlen(pem), H_HS, payload)), VR_JWT_BAD_SIGNATURE);

	/* a good signature of an algorithm that is not configured */
	CHECK_JWT(verify_keys(rs_token(payload), hs), VR_JWT_BAD_ALG);
	CHECK_JWT(verify_keys(es_token(payload), hs), VR_JWT_BAD_ALG);
	CHECK_JWT(verify_keys(es_token(payload), rs), VR_JWT_BAD_ALG);
	CHECK_JWT(verify_keys(rs_token(payload), es), VR_JWT_BAD_ALG);
	CHECK_JWT(verify_n(hs_token(payload), strlen(hs_token(payload)), NULL, 0, NOW, 0, false), VR_JWT_BAD_ALG);
	/* an RSA signature labelled ES256 and the reverse */
	CHECK_JWT(verify(rs_token_key(rsa_priv, H_ES, payload)), VR_JWT_BAD_SIGNATURE);
	CHECK_JWT(verify(es_token_key(ec_priv, H_RS, payload, ES_RAW)), VR_JWT_BAD_SIGNATURE);

	/* crit: no extension understood; typ: only plain JWTs are logins */
	CHECK_JWT(verify(hs_token_key(hs_secret, strlen(hs_secret), "{\"alg\":\"HS256\",\"crit\":[\"exp\"],\"exp\":1}",
				      payload)),
		  VR_JWT_BAD_ALG);
	CHECK_JWT(verify(hs_token_key(hs_secret, strlen(hs_secret), "{\"alg\":\"HS256\",\"crit\":[]}", payload)),
		  VR_JWT_BAD_ALG);
	CHECK_JWT(verify(hs_token_key(hs_secret, strlen(hs_secret), "{\"alg\":\"HS256\",\"typ\":\"at+jwt\"}", payload)),
		  VR_JWT_BAD_ALG);
	CHECK_JWT(verify(rs_token_key(rsa_priv, "{\"alg\":\"RS256\",\"typ\":\"application/at+jwt\"}", payload)),
		  VR_JWT_BAD_ALG);
	CHECK_JWT(verify(hs_token_key(hs_secret, strlen(hs_secret), "{\"alg\":\"HS256\",\"typ\":\"\"}", payload)),
		  VR_JWT_BAD_ALG);
	CHECK_JWT(verify(hs_token_key(hs_secret, strlen(hs_secret), "{\"alg\":\"HS256\",\"typ\":1}", payload)),
		  VR_JWT_BAD_ALG);
}

static void test_signature(void)
{
	const char *payload = "{\"sub\":\"alice\",\"exp\":1700000600}";
	const char *forged = "{\"sub\":\"alicf\",\"exp\":1700000600}";
	char *t, *in, *sig;
	uint8_t raw[64] = {0};

	CHECK_JWT(verify(hs_token_key("wrong", 5, H_HS, payload)), VR_JWT_BAD_SIGNATURE);
	CHECK_JWT(verify(rs_token_key(rsa_other, H_RS, payload)), VR_JWT_BAD_SIGNATURE);
	CHECK_JWT(verify(es_token_key(ec_other, H_ES, payload, ES_RAW)), VR_JWT_BAD_SIGNATURE);

	/* another payload under a good signature; one bit flipped in the signature */
	t = hs_token(payload);
	sig = strrchr(t, '.');
	CHECK_JWT(verify(fmt("%s%s", signing_input(H_HS, forged), sig)), VR_JWT_BAD_SIGNATURE);
	CHECK_JWT(verify(with_char(t, sig - t + 1, (char)(sig[1] == 'A' ? 'B' : 'A'))), VR_JWT_BAD_SIGNATURE);
	t = rs_token(payload);
	sig = strrchr(t, '.');
	CHECK_JWT(verify(fmt("%s%s", signing_input(H_RS, forged), sig)), VR_JWT_BAD_SIGNATURE);
	CHECK_JWT(verify(with_char(t, sig - t + 5, (char)(sig[5] == 'A' ? 'B' : 'A'))), VR_JWT_BAD_SIGNATURE);
	t = es_token(payload);
	sig = strrchr(t, '.');
	CHECK_JWT(verify(fmt("%s%s", signing_input(H_ES, forged), sig)), VR_JWT_BAD_SIGNATURE);
	CHECK_JWT(verify(with_char(t, sig - t + 5, (char)(sig[5] == 'A' ? 'B' : 'A'))), VR_JWT_BAD_SIGNATURE);
	/* the header is signed too */
	CHECK_JWT(verify(fmt("%s%s", signing_input("{\"alg\":\"ES256\",\"kid\":\"x\"}", payload), sig)),
		  VR_JWT_BAD_SIGNATURE);

	/* ES256: R||S of exactly 64 bytes, never DER, never zero or out of range */
	CHECK_JWT(verify(es_token_key(ec_priv, H_ES, payload, ES_RAW63)), VR_JWT_BAD_SIGNATURE);
	CHECK_JWT(verify(es_token_key(ec_priv, H_ES, payload, ES_RAW65)), VR_JWT_BAD_SIGNATURE);
	CHECK_JWT(verify(es_token_key(ec_priv, H_ES, payload, ES_DER)), VR_JWT_BAD_SIGNATURE);
	in = signing_input(H_ES, payload);
	CHECK_JWT(verify(fmt("%s.%s", in, b64u(raw, 64))), VR_JWT_BAD_SIGNATURE);
	memset(raw, 0xff, sizeof(raw));
	CHECK_JWT(verify(fmt("%s.%s", in, b64u(raw, 64))), VR_JWT_BAD_SIGNATURE);
	/* HS256: exactly 32 bytes; a truncated MAC is not a prefix match */
	t = hs_token(payload);
	CHECK_JWT(verify(fmt("%.*s", (int)strlen(t) - 3, t)), VR_JWT_BAD_SIGNATURE);
	CHECK_JWT(verify(fmt("%sAAAA", t)), VR_JWT_BAD_SIGNATURE);
	/* an empty signature */
	CHECK_JWT(verify(fmt("%s.", signing_input(H_HS, payload))), VR_JWT_BAD_SIGNATURE);
	CHECK_JWT(verify(fmt("%s.", signing_input(H_RS, payload))), VR_JWT_BAD_SIGNATURE);
	CHECK_JWT(verify(fmt("%s.", signing_input(H_ES, payload))), VR_JWT_BAD_SIGNATURE);

	/* refusals leave no OpenSSL error behind for the caller's TLS code to trip on */
	ERR_clear_error();
	CHECK_JWT(verify(es_token_key(ec_priv, H_ES, payload, ES_DER)), VR_JWT_BAD_SIGNATURE);
	CHECK_JWT(verify(fmt("%s.%s", in, b64u(raw, 64))), VR_JWT_BAD_SIGNATURE);
	CHECK_JWT(verify(rs_token_key(rsa_other, H_RS, payload)), VR_JWT_BAD_SIGNATURE);
	CHECK_JWT(verify(fmt("%s.%s", signing_input(H_RS, payload), b64u("short", 5))), VR_JWT_BAD_SIGNATURE);
	CHECK(vr_jwt_key_pem("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n", 58) == NULL);
	CHECK_EQ(ERR_peek_error(), 0);
}

static void test_times(void)
{
	/* exp <= now - leeway is expired; nbf > now + leeway is not yet valid */
	CHECK_JWT(verify(hs_token(fmt("{\"sub\":\"a\",\"exp\":%lld}", NOW - LEEWAY))), VR_JWT_EXPIRED);
	CHECK_JWT(verify(hs_token(fmt("{\"sub\":\"a\",\"exp\":%lld}", NOW - LEEWAY + 1))), VR_JWT_OK);
	CHECK_JWT(verify(hs_token(fmt("{\"sub\":\"a\",\"nbf\":%lld}", NOW + LEEWAY))), VR_JWT_OK);
	CHECK_JWT(verify(hs_token(fmt("{\"sub\":\"a\",\"nbf\":%lld}", NOW + LEEWAY + 1))), VR_JWT_NOT_YET_VALID);
	CHECK_JWT(verify_at(hs_token(fmt("{\"sub\":\"a\",\"exp\":%lld}", NOW)), NOW, 0, true), VR_JWT_EXPIRED);
	CHECK_JWT(verify_at(hs_token(fmt("{\"sub\":\"a\",\"exp\":%lld}", NOW + 1)), NOW, 0, true), VR_JWT_OK);
	CHECK_JWT(verify_at(hs_token(fmt("{\"sub\":\"a\",\"nbf\":%lld}", NOW + 1)), NOW, 0, false),
		  VR_JWT_NOT_YET_VALID);
	CHECK_JWT(verify_at(hs_token(fmt("{\"sub\":\"a\",\"nbf\":%lld}", NOW)), NOW, 0, false), VR_JWT_OK);
	/* a negative leeway counts as none, not as a stricter clock */
	CHECK_JWT(verify_at(hs_token(fmt("{\"sub\":\"a\",\"exp\":%lld}", NOW + 1)), NOW, -100, true), VR_JWT_OK);
	CHECK_JWT(verify_at(hs_token(fmt("{\"sub\":\"a\",\"exp\":%lld}", NOW)), NOW, -100, true), VR_JWT_EXPIRED);
	/* expired is reported before a missing subject */
	CHECK_JWT(verify(hs_token("{\"exp\":1}")), VR_JWT_EXPIRED);
	CHECK_JWT(verify(hs_token(fmt("{\"sub\":\"a\",\"exp\":1,\"nbf\":%lld}", NOW + 1000))), VR_JWT_EXPIRED);

	/* require_exp */
	CHECK_JWT(verify_at(hs_token("{\"sub\":\"a\"}"), NOW, LEEWAY, true), VR_JWT_MALFORMED);
	CHECK_JWT(verify_at(hs_token("{\"sub\":\"a\"}"), NOW, LEEWAY, false), VR_JWT_OK);

	/* NumericDate may have a fraction: exp rounds down, nbf up */
	CHECK_JWT(verify(hs_token("{\"sub\":\"a\",\"exp\":1700000600.75,\"iat\":1699999999.5}")), VR_JWT_OK);
	CHECK_EQ(got.exp, 1700000600);
	CHECK_EQ(got.iat, 1699999999);
	CHECK_JWT(verify_at(hs_token("{\"sub\":\"a\",\"exp\":1700000000.5}"), NOW, 0, true), VR_JWT_EXPIRED);
	CHECK_JWT(verify_at(hs_token("{\"sub\":\"a\",\"nbf\":1700000000.25}"), NOW, 0, true), VR_JWT_MALFORMED);
	CHECK_JWT(verify_at(hs_token("{\"sub\":\"a\",\"exp\":1800000000,\"nbf\":1700000000.25}"), NOW, 0, true),
		  VR_JWT_NOT_YET_VALID);
	CHECK_JWT(verify(hs_token("{\"sub\":\"a\",\"nbf\":1.7e9,\"exp\":1.8e9}")), VR_JWT_OK);
	CHECK_EQ(got.nbf, 1700000000);
	CHECK_EQ(got.exp, 1800000000);
	CHECK_JWT(verify(hs_token("{\"sub\":\"a\",\"nbf\":-1.5}")), VR_JWT_OK);
	CHECK_EQ(got.nbf, -1);

	/* not numbers, or beyond int64 */
	CHECK_JWT(verify(hs_token("{\"sub\":\"a\",\"exp\":\"1800000000\"}")), VR_JWT_MALFORMED);
	CHECK_JWT(verify(hs_token("{\"sub\":\"a\",\"exp\":true}")), VR_JWT_MALFORMED);
	CHECK_JWT(verify(hs_token("{\"sub\":\"a\",\"nbf\":null}")), VR_JWT_MALFORMED);
	CHECK_JWT(verify(hs_token("{\"sub\":\"a\",\"iat\":{}}")), VR_JWT_MALFORMED);
	CHECK_JWT(verify(hs_token("{\"sub\":\"a\",\"exp\":1e300}")), VR_JWT_MALFORMED);
	CHECK_JWT(verify(hs_token("{\"sub\":\"a\",\"nbf\":-1e19}")), VR_JWT_MALFORMED);
	CHECK_JWT(verify(hs_token("{\"sub\":\"a\",\"exp\":9223372036854775808}")), VR_JWT_MALFORMED);
	CHECK_JWT(verify(hs_token("{\"sub\":\"a\",\"exp\":9223372036854775807}")), VR_JWT_OK);
	CHECK_EQ(got.exp, INT64_MAX);
	/* clocks at the ends of int64 saturate instead of wrapping */
	CHECK_JWT(verify_at(hs_token("{\"sub\":\"a\",\"exp\":-9223372036854775807}"), INT64_MIN, 1000, true),
		  VR_JWT_OK);
	CHECK_JWT(verify_at(hs_token("{\"sub\":\"a\",\"nbf\":9223372036854775807}"), INT64_MAX, 1000, false),
		  VR_JWT_OK);
	CHECK_JWT(verify_at(hs_token("{\"sub\":\"a\",\"exp\":9223372036854775807}"), INT64_MAX, 0, true),
		  VR_JWT_EXPIRED);
}

static void test_subject(void)
{
	CHECK_JWT(verify(hs_token("{\"exp\":1800000000}")), VR_JWT_NO_SUBJECT);
	CHECK_JWT(verify(hs_token("{\"sub\":42}")), VR_JWT_NO_SUBJECT);
	CHECK_JWT(verify(hs_token("{\"sub\":null}")), VR_JWT_NO_SUBJECT);
	CHECK_JWT(verify(hs_token("{\"sub\":[\"a\"]}")), VR_JWT_NO_SUBJECT);
	CHECK_JWT(verify(hs_token("{\"sub\":\"\"}")), VR_JWT_NO_SUBJECT);
	CHECK_JWT(verify(hs_token(fmt("{\"sub\":\"%0129d\"}", 1))), VR_JWT_NO_SUBJECT);
	CHECK_JWT(verify(hs_token(fmt("{\"sub\":\"%0128d\"}", 1))), VR_JWT_OK);
	CHECK_EQ(strlen(got.sub), 128);
	CHECK_JWT(verify(hs_token("{\"sub\":\"a\\tb\"}")), VR_JWT_NO_SUBJECT);
	CHECK_JWT(verify(hs_token("{\"sub\":\"a\\nb\"}")), VR_JWT_NO_SUBJECT);
	CHECK_JWT(verify(hs_token("{\"sub\":\"a\\u007fb\"}")), VR_JWT_NO_SUBJECT);
	CHECK_JWT(verify(hs_token("{\"sub\":\"a\\u0000b\"}")), VR_JWT_MALFORMED);
	/* invalid UTF-8 never gets through jansson */
	CHECK_JWT(verify(hs_token("{\"sub\":\"a\xff\"}")), VR_JWT_MALFORMED);
	CHECK_JWT(verify(hs_token("{\"sub\":\"user-1 \\u00e9t\\u00e9\"}")), VR_JWT_OK);
	CHECK(strcmp(got.sub, "user-1 \xc3\xa9t\xc3\xa9") == 0);
}

static void test_json(void)
{
	CHECK_JWT(verify(hs_token("[\"sub\",\"a\"]")), VR_JWT_MALFORMED);
	CHECK_JWT(verify(hs_token("\"a\"")), VR_JWT_MALFORMED);
	CHECK_JWT(verify(hs_token("null")), VR_JWT_MALFORMED);
	CHECK_JWT(verify(hs_token("{\"sub\":\"a\"")), VR_JWT_MALFORMED);
	CHECK_JWT(verify(hs_token("{\"sub\":\"a\"} x")), VR_JWT_MALFORMED);
	CHECK_JWT(verify(hs_token("{\"sub\":\"a\",\"sub\":\"b\"}")), VR_JWT_MALFORMED);
	CHECK_JWT(verify(hs_token("{\"sub\":\"a\",\"x\":{\"y\":1,\"y\":2}}")), VR_JWT_MALFORMED);
	CHECK_JWT(verify(hs_token_key(hs_secret, strlen(hs_secret), "[\"HS256\"]", "{\"sub\":\"a\"}")), VR_JWT_MALFORMED);
	CHECK_JWT(verify(hs_token_key(hs_secret, strlen(hs_secret), "\"HS256\"", "{\"sub\":\"a\"}")), VR_JWT_MALFORMED);
	CHECK_JWT(verify(hs_token_key(hs_secret, strlen(hs_secret), "alg=HS256", "{\"sub\":\"a\"}")), VR_JWT_MALFORMED);
	/* a duplicate alg must not let a parser pick the friendlier one */
	CHECK_JWT(verify(hs_token_key(hs_secret, strlen(hs_secret), "{\"alg\":\"none\",\"alg\":\"HS256\"}",
				      "{\"sub\":\"a\"}")),
		  VR_JWT_MALFORMED);
	CHECK_JWT(verify(hs_token_key(hs_secret, strlen(hs_secret), "{\"alg\":\"HS256\",\"alg\":\"HS256\"}",
				      "{\"sub\":\"a\"}")),
		  VR_JWT_MALFORMED);
}

static void test_syntax(void)
{
	const char *payload = "{\"sub\":\"alice\",\"pad\":\"?>?>\"}";
	char *t = hs_token(payload), *in = signing_input(H_HS, payload), *dot = strchr(t, '.');
	char *sig = strrchr(t, '.') + 1, *p;
	size_t sl = strlen(sig);
	const char *b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	int v;

	CHECK_JWT(verify(t), VR_JWT_OK);
	/* the payload's "?>?>" encodes to '_' and '-' characters, which standard base64 spells '/' and '+' */
	CHECK(strchr(in, '_') != NULL || strchr(in, '-') != NULL);
	p = keep(strdup(t));
	for (char *c = p; *c; c++)
		*c = *c == '-' ? '+' : *c == '_' ? '/' : *c;
	CHECK(strcmp(p, t) != 0);
	CHECK_JWT(verify(p), VR_JWT_MALFORMED);
	CHECK_JWT(verify(with_char(t, sig - t, '+')), VR_JWT_MALFORMED);
	CHECK_JWT(verify(with_char(t, sig - t, '/')), VR_JWT_MALFORMED);
	CHECK_JWT(verify(with_char(t, 3, ' ')), VR_JWT_MALFORMED);
	CHECK_JWT(verify(with_char(t, dot - t + 2, '\n')), VR_JWT_MALFORMED);
	CHECK_JWT(verify_n(with_char(t, -1, '\0'), strlen(t), &hs, 1, NOW, 0, false), VR_JWT_MALFORMED);
	/* padding anywhere */
	CHECK_JWT(verify(fmt("%s=", t)), VR_JWT_MALFORMED);
	CHECK_JWT(verify(fmt("%s==", t)), VR_JWT_MALFORMED);
	CHECK_JWT(verify(fmt("%.*s==%s", (int)(dot - t), t, dot)), VR_JWT_MALFORMED);
	CHECK_JWT(verify(fmt("%s\n", t)), VR_JWT_MALFORMED);
	CHECK_JWT(verify(fmt(" %s", t)), VR_JWT_MALFORMED);
	/* the last character's unused bits must be zero: otherwise the same MAC has several spellings */
	CHECK_EQ(sl, 43);
	v = (int)(strchr(b64, sig[sl - 1]) - b64);
	CHECK_EQ(v & 3, 0);
	CHECK_JWT(verify(with_char(t, -1, b64[v | 1])), VR_JWT_MALFORMED);
	CHECK_JWT(verify(with_char(t, -1, b64[v | 2])), VR_JWT_MALFORMED);
	/* a part of 4k+1 characters cannot be base64 */
	CHECK_JWT(verify(fmt("%sAA", t)), VR_JWT_MALFORMED);

	/* the shape: three parts, header and payload non-empty */
	CHECK_JWT(verify(""), VR_JWT_MALFORMED);
	CHECK_JWT(verify("."), VR_JWT_MALFORMED);
	CHECK_JWT(verify(".."), VR_JWT_MALFORMED);
	CHECK_JWT(verify("..."), VR_JWT_MALFORMED);
	CHECK_JWT(verify("abc"), VR_JWT_MALFORMED);
	CHECK_JWT(verify(in), VR_JWT_MALFORMED);
	CHECK_JWT(verify(fmt("%s.", t)), VR_JWT_MALFORMED);
	CHECK_JWT(verify(fmt("%s.%s", t, sig)), VR_JWT_MALFORMED);
	CHECK_JWT(verify(fmt("%s..%s", in, sig)), VR_JWT_MALFORMED);
	CHECK_JWT(verify(fmt(".%s", t)), VR_JWT_MALFORMED);
	CHECK_JWT(verify(fmt("%.*s.%s", (int)(dot - t), t, dot)), VR_JWT_MALFORMED);
	CHECK_JWT(verify(fmt("%s", dot)), VR_JWT_MALFORMED);
	CHECK_JWT(verify(fmt("%.*s..%s", (int)(dot - t), t, sig)), VR_JWT_MALFORMED);
	/* an empty payload, even properly signed */
	CHECK_JWT(verify(hs_token("")), VR_JWT_MALFORMED);
	CHECK_JWT(vr_jwt_verify(NULL, 10, &hs, 1, NOW, 0, false, &got), VR_JWT_MALFORMED);
}

static void test_length(void)
{
	size_t big = 1u << 20;
	char *huge = keep(malloc(big)), *t = NULL, *pad;
	size_t len = 0;
	bool exact = false;

	memset(huge, 'A', big);
	CHECK_JWT(verify_n(huge, VR_JWT_MAX_LEN + 1, &hs, 1, NOW, 0, false), VR_JWT_TOO_LONG);
	CHECK_JWT(verify_n(huge, big, &hs, 1, NOW, 0, false), VR_JWT_TOO_LONG);
	CHECK_JWT(vr_jwt_verify(huge, SIZE_MAX, &hs, 1, NOW, 0, false, &got), VR_JWT_TOO_LONG);
	CHECK_JWT(verify_n(huge, VR_JWT_MAX_LEN, &hs, 1, NOW, 0, false), VR_JWT_MALFORMED);

	/* a real token of exactly VR_JWT_MAX_LEN bytes passes, one byte more does not */
	pad = keep(malloc(VR_JWT_MAX_LEN));
	for (size_t n = 5000; n < 6200 && !exact; n++) {
		memset(pad, 'x', n);
		pad[n] = '\0';
		t = vr_jwt_sign_hs256(hs, fmt("{\"sub\":\"big\",\"pad\":\"%s\"}", pad));
		len = t != NULL ? strlen(t) : 0;
		exact = len == VR_JWT_MAX_LEN;
		if (!exact)
			free(t);
	}
	CHECK(exact);
	if (!exact)
		return;
	keep(t);
	CHECK_JWT(verify_n(t, len, &hs, 1, NOW, 0, false), VR_JWT_OK);
	CHECK_JWT(verify_n(fmt("%sA", t), len + 1, &hs, 1, NOW, 0, false), VR_JWT_TOO_LONG);
	/* the length is checked before anything else */
	CHECK_JWT(verify_n(fmt("%s.", t), len + 1, &hs, 1, NOW, 0, false), VR_JWT_TOO_LONG);
}

static void test_sign(void)
{
	char *t = keep(vr_jwt_sign_hs256(hs, "{\"sub\":\"carol\",\"exp\":1700000600}"));
	char *again = hs_token_key(hs_secret, strlen(hs_secret), "{\"alg\":\"HS256\",\"typ\":\"JWT\"}",
				   "{\"sub\":\"carol\",\"exp\":1700000600}");

	/* the same bytes as the tests' independent signer */
	CHECK(t != NULL && strcmp(t, again) == 0);
	CHECK_JWT(verify(t), VR_JWT_OK);
	CHECK(strcmp(got.sub, "carol") == 0);

	errno = 0;
	CHECK(vr_jwt_sign_hs256(rs, "{\"sub\":\"a\"}") == NULL && errno == EINVAL);
	errno = 0;
	CHECK(vr_jwt_sign_hs256(es, "{\"sub\":\"a\"}") == NULL && errno == EINVAL);
	errno = 0;
	CHECK(vr_jwt_sign_hs256(NULL, "{\"sub\":\"a\"}") == NULL && errno == EINVAL);
	errno = 0;
	CHECK(vr_jwt_sign_hs256(hs, NULL) == NULL && errno == EINVAL);
	errno = 0;
	CHECK(vr_jwt_sign_hs256(hs, "[1]") == NULL && errno == EINVAL);
	errno = 0;
	CHECK(vr_jwt_sign_hs256(hs, "{\"sub\":") == NULL && errno == EINVAL);
	errno = 0;
	CHECK(vr_jwt_sign_hs256(hs, "{\"a\":1,\"a\":2}") == NULL && errno == EINVAL);
	t = keep(vr_jwt_sign_hs256(hs, "{}"));
	CHECK_JWT(verify(t), VR_JWT_NO_SUBJECT);
}

static void test_keys(void)
{
	EVP_PKEY *rsa1024 = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
	EVP_PKEY *p384 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	EVP_PKEY *ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	char *pem = pem_public(ec_priv), *path = fmt("/tmp/test_jwt.%d.pem", (int)getpid()), *s;
	struct vr_jwt_key *k;
	BIO *bio;
	FILE *f;
	long n;

	CHECK(rsa1024 != NULL && p384 != NULL && ed != NULL);
	errno = 0;
	CHECK(vr_jwt_key_pem(pem_public(rsa1024), strlen(pem_public(rsa1024))) == NULL && errno == EINVAL);
	errno = 0;
	CHECK(vr_jwt_key_pem(pem_public(p384), strlen(pem_public(p384))) == NULL && errno == EINVAL);
	errno = 0;
	CHECK(vr_jwt_key_pem(pem_public(ed), strlen(pem_public(ed))) == NULL && errno == EINVAL);
	errno = 0;
	CHECK(vr_jwt_key_pem("not a key", 9) == NULL && errno == EINVAL);
	errno = 0;
	CHECK(vr_jwt_key_pem(pem, 0) == NULL && errno == EINVAL);
	errno = 0;
	CHECK(vr_jwt_key_pem(NULL, 10) == NULL && errno == EINVAL);
	errno = 0;
	CHECK(vr_jwt_key_pem(pem, strlen(pem) / 2) == NULL && errno == EINVAL);
	/* a private key is not what the verifier is given */
	bio = BIO_new(BIO_s_mem());
	PEM_write_bio_PrivateKey(bio, ec_priv, NULL, NULL, 0, NULL, NULL);
	n = BIO_get_mem_data(bio, &s);
	errno = 0;
	CHECK(vr_jwt_key_pem(s, (size_t)n) == NULL && errno == EINVAL);
	BIO_free(bio);
	errno = 0;
	CHECK(vr_jwt_key_hmac("x", 0) == NULL && errno == EINVAL);
	errno = 0;
	CHECK(vr_jwt_key_hmac(NULL, 32) == NULL && errno == EINVAL);
	k = vr_jwt_key_hmac("\0", 1);
	CHECK(k != NULL && vr_jwt_key_alg(k) == VR_JWT_HS256);
	vr_jwt_key_free(k);
	vr_jwt_key_free(NULL);

	CHECK_EQ(vr_jwt_key_alg(hs), VR_JWT_HS256);
	CHECK_EQ(vr_jwt_key_alg(rs), VR_JWT_RS256);
	CHECK_EQ(vr_jwt_key_alg(es), VR_JWT_ES256);
	/* PEM text with something around it, not NUL-terminated */
	s = fmt("comment line\n%sjunk", pem);
	k = vr_jwt_key_pem(s, strlen(s) - 2);
	CHECK(k != NULL && vr_jwt_key_alg(k) == VR_JWT_ES256);
	vr_jwt_key_free(k);

	f = fopen(path, "w");
	CHECK(f != NULL);
	if (f != NULL) {
		fputs(pem_public(rsa_priv), f);
		fclose(f);
		k = vr_jwt_key_pem_file(path);
		CHECK(k != NULL && vr_jwt_key_alg(k) == VR_JWT_RS256);
		if (k != NULL)
			CHECK_JWT(verify_keys(rs_token("{\"sub\":\"f\"}"), k), VR_JWT_OK);
		vr_jwt_key_free(k);
		f = fopen(path, "w");
		for (int i = 0; i < 70000 / 64; i++)
			fputs("# padding padding padding padding padding padding padding pad\n", f);
		fputs(pem_public(rsa_priv), f);
		fclose(f);
		errno = 0;
		CHECK(vr_jwt_key_pem_file(path) == NULL && errno == EFBIG);
		unlink(path);
	}
	errno = 0;
	CHECK(vr_jwt_key_pem_file(path) == NULL && errno == ENOENT);
	errno = 0;
	CHECK(vr_jwt_key_pem_file("/") == NULL && errno == EISDIR);
	errno = 0;
	CHECK(vr_jwt_key_pem_file("/dev/null") == NULL && errno == EINVAL);
	errno = 0;
	CHECK(vr_jwt_key_pem_file(NULL) == NULL && errno == EINVAL);
	EVP_PKEY_free(rsa1024);
	EVP_PKEY_free(p384);
	EVP_PKEY_free(ed);
}

static void test_names(void)
{
	CHECK(strcmp(vr_jwt_error_name(VR_JWT_OK), "OK") == 0);
	CHECK(strcmp(vr_jwt_error_name(VR_JWT_MALFORMED), "TOKEN_MALFORMED") == 0);
	CHECK(strcmp(vr_jwt_error_name(VR_JWT_BAD_ALG), "TOKEN_BAD_ALG") == 0);
	CHECK(strcmp(vr_jwt_error_name(VR_JWT_BAD_SIGNATURE), "TOKEN_BAD_SIGNATURE") == 0);
	CHECK(strcmp(vr_jwt_error_name(VR_JWT_EXPIRED), "TOKEN_EXPIRED") == 0);
	CHECK(strcmp(vr_jwt_error_name(VR_JWT_NOT_YET_VALID), "TOKEN_NOT_YET_VALID") == 0);
	CHECK(strcmp(vr_jwt_error_name(VR_JWT_NO_SUBJECT), "TOKEN_NO_SUBJECT") == 0);
	CHECK(strcmp(vr_jwt_error_name(VR_JWT_TOO_LONG), "TOKEN_TOO_LONG") == 0);
	CHECK(strcmp(vr_jwt_error_name((enum vr_jwt_error)99), "TOKEN_UNKNOWN") == 0);
	CHECK(strcmp(vr_jwt_error_name((enum vr_jwt_error)-1), "TOKEN_UNKNOWN") == 0);
}

/* Several threads verifying with the same keys at once (run it under TSan to see races, not just results). */
struct worker {
	const char *tokens[3];
	const char *bad;
	int wrong;
};

static void *worker_run(void *arg)
{
	struct worker *w = arg;
	struct vr_jwt_key *all[] = {hs, rs, es};
	struct vr_jwt_claims c;

	for (int i = 0; i < 300; i++) {
		for (int j = 0; j < 3; j++)
			if (vr_jwt_verify(w->tokens[j], strlen(w->tokens[j]), all, 3, NOW, 0, true, &c) != VR_JWT_OK ||
			    strcmp(c.sub, "threaded") != 0)
				w->wrong++;
		if (vr_jwt_verify(w->bad, strlen(w->bad), all, 3, NOW, 0, true, &c) != VR_JWT_BAD_SIGNATURE)
			w->wrong++;
	}
	return NULL;
}

static void test_threads(void)
{
	const char *payload = "{\"sub\":\"threaded\",\"exp\":1800000000}";
	struct worker w[4];
	pthread_t th[4];

	for (int i = 0; i < 4; i++) {
		w[i] = (struct worker){{hs_token(payload), rs_token(payload), es_token(payload)},
				       es_token_key(ec_other, H_ES, payload, ES_RAW), 0};
		CHECK_EQ(pthread_create(&th[i], NULL, worker_run, &w[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		CHECK_EQ(w[i].wrong, 0);
	}
}

int main(void)
{
	rsa_priv = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	rsa_other = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	ec_priv = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	ec_other = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	if (rsa_priv == NULL || rsa_other == NULL || ec_priv == NULL || ec_other == NULL) {
		fprintf(stderr, "test_jwt: key generation failed\n");
		return 2;
	}
	hs = vr_jwt_key_hmac(hs_secret, strlen(hs_secret));
	rs = vr_jwt_key_pem(pem_public(rsa_priv), strlen(pem_public(rsa_priv)));
	es = vr_jwt_key_pem(pem_public(ec_priv), strlen(pem_public(ec_priv)));
	CHECK(hs != NULL && rs != NULL && es != NULL);
	if (hs == NULL || rs == NULL || es == NULL)
		return vr_test_done("test_jwt");

	test_valid();
	test_rfc7515_a1();
	test_alg();
	test_signature();
	test_times();
	test_subject();
	test_json();
	test_syntax();
	test_length();
	test_sign();
	test_keys();
	test_names();
	test_threads();

	vr_jwt_key_free(hs);
	vr_jwt_key_free(rs);
	vr_jwt_key_free(es);
	EVP_PKEY_free(rsa_priv);
	EVP_PKEY_free(rsa_other);
	EVP_PKEY_free(ec_priv);
	EVP_PKEY_free(ec_other);
	while (nallocs > 0)
		free(allocs[--nallocs]);
	return vr_test_done("test_jwt");
}
