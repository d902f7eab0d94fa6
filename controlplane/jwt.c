/* SPDX-License-Identifier: BSD-3-Clause */
/* JWT in JWS compact form: strict syntax, header policy (RFC 8725), signature dispatch to the configured keys, claims. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>
#include <openssl/err.h>

#include "jwt_priv.h"

static const char *const alg_names[] = {
	[VR_JWT_HS256] = "HS256",
	[VR_JWT_RS256] = "RS256",
	[VR_JWT_ES256] = "ES256",
};

static const char *const error_names[] = {
	[VR_JWT_OK] = "OK",
	[VR_JWT_MALFORMED] = "TOKEN_MALFORMED",
	[VR_JWT_BAD_ALG] = "TOKEN_BAD_ALG",
	[VR_JWT_BAD_SIGNATURE] = "TOKEN_BAD_SIGNATURE",
	[VR_JWT_EXPIRED] = "TOKEN_EXPIRED",
	[VR_JWT_NOT_YET_VALID] = "TOKEN_NOT_YET_VALID",
	[VR_JWT_NO_SUBJECT] = "TOKEN_NO_SUBJECT",
	[VR_JWT_TOO_LONG] = "TOKEN_TOO_LONG",
};

const char *vr_jwt_error_name(enum vr_jwt_error e)
{
	if ((unsigned)e >= sizeof(error_names) / sizeof(error_names[0]))
		return "TOKEN_UNKNOWN";
	return error_names[e];
}

static int b64url_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

/*
 * Decode unpadded base64url into @out (room for n * 3 / 4 bytes); the
 * decoded length, or -1 if @s is not the one canonical spelling of some
 * bytes: any character outside the alphabet, a length of 4k+1, or unused
 * trailing bits set would let one token be written several ways
 * (EVP_DecodeBlock takes whitespace and padding and ignores those bits).
 */
static long b64url_decode(const char *s, size_t n, uint8_t *out)
{
	uint32_t acc = 0;
	unsigned bits = 0;
	size_t o = 0;
	int v;

	if (n % 4 == 1)
		return -1;
	for (size_t i = 0; i < n; i++) {
		v = b64url_value((unsigned char)s[i]);
		if (v < 0)
			return -1;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (uint8_t)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	return acc == 0 ? (long)o : -1;
}

size_t vr_jwt_b64url_encode(const uint8_t *in, size_t n, char *out)
{
	/* OpenSSL's base64 (RFC 4648 s4, padded), then the URL alphabet of s5 without the padding */
	size_t o = (size_t)EVP_EncodeBlock((unsigned char *)out, in, (int)n);

	while (o > 0 && out[o - 1] == '=')
		o--;
	out[o] = '\0';
	for (size_t i = 0; i < o; i++)
		if (out[i] == '+')
			out[i] = '-';
		else if (out[i] == '/')
			out[i] = '_';
	return o;
}

static json_t *json_object_from(const uint8_t *buf, size_t len)
{
	/* without JSON_ALLOW_NUL, jansson also refuses "\u0000" inside strings */
	json_t *j = json_loadb((const char *)buf, len, JSON_REJECT_DUPLICATES, NULL);

	if (j != NULL && !json_is_object(j)) {
		json_decref(j);
		j = NULL;
	}
	return j;
}

/*
 * A NumericDate claim (RFC 7519 s2: seconds, fractions allowed) into
 * @out, rounded toward the stricter side for its use (@round_up for nbf).
 * Absent: true with *out 0. False if not a number or beyond int64.
 */
static bool numeric_date(json_t *body, const char *name, bool round_up, int64_t *out, bool *present)
{
	json_t *v = json_object_get(body, name);
	double d;
	int64_t t;

	*out = 0;
	*present = v != NULL;
	if (v == NULL)
		return true;
	if (json_is_integer(v)) {
		*out = json_integer_value(v);
		return true;
	}
	if (!json_is_real(v))
		return false;
	d = json_real_value(v);
	/* converting a double outside int64 is undefined; NaN fails both tests */
	if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0))
		return false;
	t = (int64_t)d;
	if (round_up && (double)t < d)
		t++;
	else if (!round_up && (double)t > d)
		t--;
	*out = t;
	return true;
}

static bool subject_ok(json_t *v)
{
	const char *s = json_string_value(v);
	size_t n = json_string_length(v);

	if (s == NULL || n == 0 || n > VR_JWT_SUB_MAX)
		return false;
	/* sub ends up in logs, Redis keys and messages to other clients */
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	return true;
}

static enum vr_jwt_error check_header(json_t *hdr, struct vr_jwt_key *const *keys, unsigned nkeys,
				      enum vr_jwt_alg *alg)
{
	const char *name = json_string_value(json_object_get(hdr, "alg"));
	json_t *typ = json_object_get(hdr, "typ");
	enum vr_jwt_alg a;
	unsigned i;

	if (name == NULL)
		return VR_JWT_BAD_ALG;
	for (a = VR_JWT_HS256; a <= VR_JWT_ES256; a++)
		if (strcmp(name, alg_names[a]) == 0)
			break;
	if (a > VR_JWT_ES256)
		return VR_JWT_BAD_ALG;
	/* the key set, not the token, says which algorithms may be used (RFC 8725 s3.1) */
	for (i = 0; i < nkeys; i++)
		if (keys[i] != NULL && keys[i]->alg == a)
			break;
	if (i == nkeys)
		return VR_JWT_BAD_ALG;
	/* a critical extension we cannot honour must fail the token (RFC 7515 s4.1.11) */
	if (json_object_get(hdr, "crit") != NULL)
		return VR_JWT_BAD_ALG;
	/* other JWT kinds (at+jwt, secevent+jwt...) signed by the same issuer are not logins (RFC 8725 s3.11) */
	if (typ != NULL && (!json_is_string(typ) || (strcasecmp(json_string_value(typ), "JWT") != 0 &&
						     strcasecmp(json_string_value(typ), "application/jwt") != 0)))
		return VR_JWT_BAD_ALG;
	*alg = a;
	return VR_JWT_OK;
}

static int64_t sat_add(int64_t a, int64_t b)
{
	int64_t r;

	if (__builtin_add_overflow(a, b, &r))
		return b > 0 ? INT64_MAX : INT64_MIN;
	return r;
}

enum vr_jwt_error vr_jwt_verify(const char *token, size_t len, struct vr_jwt_key *const *keys, unsigned nkeys,
				int64_t now, int64_t leeway_s, bool require_exp, struct vr_jwt_claims *claims)
{
	/* the three decoded parts together are at most 3/4 of the token */
	uint8_t buf[VR_JWT_MAX_LEN];
	const char *dot1, *dot2, *end;
	long hlen, plen, slen;
	uint8_t *hbuf, *pbuf, *sbuf;
	json_t *hdr = NULL, *body = NULL, *sub;
	struct vr_jwt_claims c;
	enum vr_jwt_alg alg = 0;
	enum vr_jwt_error rc;
	bool has_exp, has_nbf, has_iat, verified = false;

	/* whatever OpenSSL queues while refusing a token must not reach the caller's TLS error checks */
	ERR_set_mark();
	if (token == NULL || (keys == NULL && nkeys != 0)) {
		rc = VR_JWT_MALFORMED;
		goto out;
	}
	if (len > VR_JWT_MAX_LEN) {
		rc = VR_JWT_TOO_LONG;
		goto out;
	}
	rc = VR_JWT_MALFORMED;
	end = token + len;
	dot1 = memchr(token, '.', len);
	dot2 = dot1 != NULL ? memchr(dot1 + 1, '.', (size_t)(end - dot1 - 1)) : NULL;
	if (dot2 == NULL || memchr(dot2 + 1, '.', (size_t)(end - dot2 - 1)) != NULL || dot1 == token ||
	    dot2 == dot1 + 1)
		goto out;
	hbuf = buf;
	hlen = b64url_decode(token, (size_t)(dot1 - token), hbuf);
	if (hlen < 0)
		goto out;
	pbuf = hbuf + hlen;
	plen = b64url_decode(dot1 + 1, (size_t)(dot2 - dot1 - 1), pbuf);
	if (plen < 0)
		goto out;
	sbuf = pbuf + plen;
	slen = b64url_decode(dot2 + 1, (size_t)(end - dot2 - 1), sbuf);
	if (slen < 0)
		goto out;
	hdr = json_object_from(hbuf, (size_t)hlen);
	if (hdr == NULL)
		goto out;

	rc = check_header(hdr, keys, nkeys, &alg);
	if (rc != VR_JWT_OK)
		goto out;

	/* the JWS signing input is the ASCII of the first two parts and their dot (RFC 7515 s5.2) */
	for (unsigned i = 0; i < nkeys && !verified; i++)
		if (keys[i] != NULL && keys[i]->alg == alg)
			verified = vr_jwt_key_check(keys[i], token, (size_t)(dot2 - token), sbuf, (size_t)slen);
	if (!verified) {
		rc = VR_JWT_BAD_SIGNATURE;
		goto out;
	}

	/* only now is the payload worth parsing: it is what the key holder wrote */
	rc = VR_JWT_MALFORMED;
	body = json_object_from(pbuf, (size_t)plen);
	if (body == NULL || !numeric_date(body, "exp", false, &c.exp, &has_exp) ||
	    !numeric_date(body, "nbf", true, &c.nbf, &has_nbf) || !numeric_date(body, "iat", false, &c.iat, &has_iat) ||
	    (require_exp && !has_exp))
		goto out;
	if (leeway_s < 0)
		leeway_s = 0;
	if (has_exp && c.exp <= sat_add(now, -leeway_s)) {
		rc = VR_JWT_EXPIRED;
		goto out;
	}
	if (has_nbf && c.nbf > sat_add(now, leeway_s)) {
		rc = VR_JWT_NOT_YET_VALID;
		goto out;
	}
	sub = json_object_get(body, "sub");
	if (!subject_ok(sub)) {
		rc = VR_JWT_NO_SUBJECT;
		goto out;
	}
	memcpy(c.sub, json_string_value(sub), json_string_length(sub) + 1);
	if (claims != NULL)
		*claims = c;
	rc = VR_JWT_OK;
out:
	json_decref(body);
	json_decref(hdr);
	ERR_pop_to_mark();
	return rc;
}

char *vr_jwt_sign_hs256(const struct vr_jwt_key *k, const char *claims_json)
{
	static const char header[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
	uint8_t mac[VR_JWT_HS256_LEN];
	json_t *j = NULL;
	char *tok = NULL, *p;
	size_t n, size;
	int err = 0;

	if (k == NULL || claims_json == NULL || k->alg != VR_JWT_HS256) {
		err = EINVAL;
		goto out;
	}
	j = json_loads(claims_json, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(j)) {
		err = EINVAL;
		goto out;
	}
	n = strlen(claims_json);
	if (n > VR_JWT_B64URL_IN_MAX) {
		err = ENOMEM;
		goto out;
	}
	/* each part's room holds its dot or the final NUL */
	size = VR_JWT_B64URL_SIZE(sizeof(header) - 1) + VR_JWT_B64URL_SIZE(n) + VR_JWT_B64URL_SIZE(VR_JWT_HS256_LEN);
	tok = malloc(size);
	if (tok == NULL) {
		err = ENOMEM;
		goto out;
	}
	p = tok + vr_jwt_b64url_encode((const uint8_t *)header, sizeof(header) - 1, tok);
	*p++ = '.';
	p += vr_jwt_b64url_encode((const uint8_t *)claims_json, n, p);
	ERR_set_mark();
	if (!vr_jwt_key_hmac_sha256(k, tok, (size_t)(p - tok), mac))
		err = ENOMEM;
	ERR_pop_to_mark();
	if (err != 0)
		goto out;
	*p++ = '.';
	vr_jwt_b64url_encode(mac, sizeof(mac), p);
out:
	json_decref(j);
	if (err != 0) {
		free(tok);
		tok = NULL;
		errno = err;
	}
	return tok;
}
