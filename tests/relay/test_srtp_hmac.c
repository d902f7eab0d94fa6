/* SPDX-License-Identifier: BSD-3-Clause */
/* Tests of the HMAC-SHA1 auth type installed over libsrtp's: RFC 2202 vectors, and random keys, messages and splits against OpenSSL's HMAC(). */
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <srtp2/srtp.h>

#include "auth.h"

#include "voxrelay/relay.h"
#include "voxrelay/srtp_hmac.h"

#include "relay_test.h"

static srtp_auth_t *auth_new(int key_len, int tag_len)
{
	srtp_auth_t *a = NULL;

	CHECK_EQ(vr_srtp_hmac_type()->alloc(&a, key_len, tag_len), srtp_err_status_ok);
	CHECK(a != NULL);
	return a;
}

/* The object is libsrtp's shape, for SRTP_HMAC_SHA1, and refuses what it cannot do. */
static void test_object(void)
{
	srtp_auth_t *a = auth_new(20, 10);

	CHECK(a->type == vr_srtp_hmac_type());
	CHECK_EQ(a->type->id, SRTP_HMAC_SHA1);
	CHECK_EQ(srtp_auth_type_self_test(a->type), srtp_err_status_ok);
	CHECK_EQ(srtp_auth_get_tag_length(a), 10);
	CHECK_EQ(srtp_auth_get_prefix_length(a), 0);
	srtp_auth_dealloc(a);
	/* a tag longer than SHA-1's 20 bytes cannot be provided */
	a = (srtp_auth_t *)0x1;
	CHECK(vr_srtp_hmac_type()->alloc(&a, 20, 21) != srtp_err_status_ok);
	CHECK(a == NULL);
}

static void check_tag(const uint8_t *key, int key_len, const uint8_t *msg, int len, const char *hex)
{
	uint8_t want[20], got[20];
	srtp_auth_t *a = auth_new(key_len, 20);

	CHECK_EQ(vr_t_unhex(hex, want, sizeof want), sizeof want);
	CHECK_EQ(srtp_auth_init(a, key), srtp_err_status_ok);
	/* twice: start() must bring back the keyed state after a computation */
	for (int round = 0; round < 2; round++) {
		memset(got, 0, sizeof got);
		CHECK_EQ(srtp_auth_start(a), srtp_err_status_ok);
		CHECK_EQ(srtp_auth_compute(a, msg, len, got), srtp_err_status_ok);
		CHECK_MEM(got, want, sizeof want);
	}
	srtp_auth_dealloc(a);
}

/* RFC 2202 section 3, cases 3 to 7 (1 and 2 run in libsrtp's self test at install):
 * a key of one byte pattern, 50 bytes of data, and the 80-byte keys that are hashed first. */
static void test_rfc2202(void)
{
	uint8_t key[80], data[80];
	const char *t6 = "Test Using Larger Than Block-Size Key - Hash Key First";
	const char *t7 = "Test Using Larger Than Block-Size Key and Larger Than One Block-Size Data";

	memset(key, 0xaa, 20);
	memset(data, 0xdd, 50);
	check_tag(key, 20, data, 50, "125d7342b9ac11cd91a39af48aa17b4f63f175d3");
	for (int i = 0; i < 25; i++)
		key[i] = (uint8_t)(i + 1);
	memset(data, 0xcd, 50);
	check_tag(key, 25, data, 50, "4c9007f4026250c6bc8414f9bf50c86c2d7235da");
	memset(key, 0x0c, 20);
	check_tag(key, 20, (const uint8_t *)"Test With Truncation", 20,
		  "4c1a03424b55e07fe7f27be1d58bb9324a9a5a04");
	memset(key, 0xaa, 80);
	check_tag(key, 80, (const uint8_t *)t6, (int)strlen(t6), "aa4ae5e15272d00e95705637ce8a3b55ed402112");
	check_tag(key, 80, (const uint8_t *)t7, (int)strlen(t7), "e8e99d0f45237d786d6bbaa7965c7808bbff1a91");
}

/* As libsrtp uses it: start, update(packet), compute(ROC) with an 80- or
 * 32-bit tag; keys up to 100 bytes, messages up to 300, against HMAC(). */
static void test_random(void)
{
	uint64_t seed = 2202;
	uint8_t key[100], msg[300], want[EVP_MAX_MD_SIZE], got[20];
	unsigned int want_len;

	for (int iter = 0; iter < 2000; iter++) {
		int key_len = (int)(vr_splitmix64(&seed) % (sizeof key + 1));
		int len = (int)(vr_splitmix64(&seed) % (sizeof msg + 1));
		int split = len ? (int)(vr_splitmix64(&seed) % (unsigned)(len + 1)) : 0;
		int tag_len = (vr_splitmix64(&seed) & 1) ? 10 : 4;
		srtp_auth_t *a;

		for (int i = 0; i < key_len; i++)
			key[i] = (uint8_t)vr_splitmix64(&seed);
		for (int i = 0; i < len; i++)
			msg[i] = (uint8_t)vr_splitmix64(&seed);
		CHECK(HMAC(EVP_sha1(), key, key_len, msg, (size_t)len, want, &want_len) != NULL);
		a = auth_new(key_len, tag_len);
		CHECK_EQ(srtp_auth_init(a, key), srtp_err_status_ok);
		CHECK_EQ(srtp_auth_start(a), srtp_err_status_ok);
		CHECK_EQ(srtp_auth_update(a, msg, split), srtp_err_status_ok);
		memset(got, 0, sizeof got);
		CHECK_EQ(srtp_auth_compute(a, msg + split, len - split, got), srtp_err_status_ok);
		CHECK_MEM(got, want, (size_t)tag_len);
		CHECK_EQ(got[tag_len], 0); /* writes exactly the tag */
		srtp_auth_dealloc(a);
	}
}

int main(void)
{
	CHECK_EQ(vr_relay_global_init(), 0);
	test_object();
	test_rfc2202();
	test_random();
	return vr_test_done("test_srtp_hmac");
}
