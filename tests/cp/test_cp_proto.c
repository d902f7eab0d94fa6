/* SPDX-License-Identifier: BSD-3-Clause */
/* Tests of voxrelay-cp's protocol core: UTF-8 lengths, the envelope (with jansson's RFC 3629 checks), error frames, the token bucket. */
#include <string.h>

#include "voxrelay/cp_proto.h"

#include "../packet/testutil.h"

static void test_utf8(void)
{
	static const struct {
		const char *s;
		size_t want;
	} cases[] = {
		{"", 0}, {"abc", 3}, {"h\xc3\xa9llo", 5}, {"\xe2\x82\xac", 1}, {"\xf0\x9f\x98\x80", 1},
		{"\xef\xbf\xbf", 1}, {"\xf4\x8f\xbf\xbf", 1},      /* U+FFFF, U+10FFFF */
		{"a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80z", 5}, /* one of each length */
	};

	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		CHECK_EQ(vr_cp_utf8_count(cases[i].s, strlen(cases[i].s)), cases[i].want);
	/* a length, not a terminator: NUL counts */
	CHECK_EQ(vr_cp_utf8_count("a\0b", 3), 3);
}

static enum vr_cp_error parse(const char *s, struct vr_cp_request *r)
{
	return vr_cp_request_parse(s, strlen(s), r);
}

static void test_envelope(void)
{
	struct vr_cp_request r;

	CHECK_EQ(parse("{\"type\":\"history\",\"data\":{\"chatId\":\"g\"},\"id\":\"x\"}", &r), VR_CP_E_NONE);
	CHECK(strcmp(r.type, "history") == 0 && json_is_object(r.data) && json_is_string(r.id));
	vr_cp_request_release(&r);
	CHECK_EQ(parse("{\"type\":\"heartbeat\"}", &r), VR_CP_E_NONE); /* data optional: {} */
	CHECK(json_is_object(r.data) && json_object_size(r.data) == 0 && r.id == NULL);
	vr_cp_request_release(&r);
	CHECK_EQ(parse("{\"type\":\"heartbeat\",\"data\":null,\"id\":7}", &r), VR_CP_E_NONE);
	CHECK(json_is_integer(r.id));
	vr_cp_request_release(&r);
	CHECK_EQ(parse("nope", &r), VR_CP_E_BAD_JSON);
	vr_cp_request_release(&r);
	CHECK_EQ(parse("[]", &r), VR_CP_E_BAD_JSON);
	vr_cp_request_release(&r);
	CHECK_EQ(parse("{\"type\":\"a\",\"type\":\"b\"}", &r), VR_CP_E_BAD_JSON);
	vr_cp_request_release(&r);
	CHECK_EQ(parse("{\"type\":\"\"}", &r), VR_CP_E_BAD_REQUEST);
	vr_cp_request_release(&r);
	CHECK_EQ(parse("{\"type\":5,\"id\":\"k\"}", &r), VR_CP_E_BAD_REQUEST);
	CHECK(json_is_string(r.id)); /* the error can still echo the id */
	vr_cp_request_release(&r);
	CHECK_EQ(parse("{\"type\":\"a\",\"data\":[1]}", &r), VR_CP_E_BAD_REQUEST);
	vr_cp_request_release(&r);
	CHECK_EQ(parse("{\"type\":\"a\",\"id\":{}}", &r), VR_CP_E_BAD_REQUEST);
	CHECK(r.id == NULL);
	vr_cp_request_release(&r);
	CHECK_EQ(parse("{\"type\":\"a\",\"id\":\"0123456789012345678901234567890123456789012345678901234567890123456789\"}",
		       &r), VR_CP_E_BAD_REQUEST);
	vr_cp_request_release(&r);
	CHECK_EQ(vr_cp_request_parse("{\"type\":\"\xc3\x28\"}", 13, &r), VR_CP_E_BAD_UTF8);
	vr_cp_request_release(&r);
	/* jansson's check is RFC 3629's (vr_cp_utf8_count relies on it): overlong forms, surrogates, above U+10FFFF,
	 * truncated sequences, anywhere */
	CHECK_EQ(parse("{\"type\":\"a\",\"x\":\"\xc0\xaf\"}", &r), VR_CP_E_BAD_UTF8);
	vr_cp_request_release(&r);
	CHECK_EQ(parse("{\"type\":\"a\",\"x\":\"\xed\xa0\x80\"}", &r), VR_CP_E_BAD_UTF8);
	vr_cp_request_release(&r);
	CHECK_EQ(parse("{\"type\":\"a\",\"x\":\"\xf4\x90\x80\x80\"}", &r), VR_CP_E_BAD_UTF8);
	vr_cp_request_release(&r);
	CHECK_EQ(parse("{\"type\":\"a\",\"x\":\"\xe2\x82\"}", &r), VR_CP_E_BAD_UTF8);
	vr_cp_request_release(&r);
	CHECK_EQ(parse("{\"type\":\"a\"} \xff", &r), VR_CP_E_BAD_UTF8);
	vr_cp_request_release(&r);
	CHECK_EQ(parse("{\"type\":\"h\xc3\xa9\xf0\x9f\x98\x80\"}", &r), VR_CP_E_NONE);
	vr_cp_request_release(&r);
	/* \u0000 is refused by the parser (no JSON_ALLOW_NUL): no content carries a NUL */
	CHECK_EQ(parse("{\"type\":\"a\",\"data\":{\"content\":\"a\\u0000b\"}}", &r), VR_CP_E_BAD_JSON);
	vr_cp_request_release(&r);
	CHECK_EQ(vr_cp_request_parse("{\"type\":\"a\"}garbage", 19, &r), VR_CP_E_BAD_JSON);
	vr_cp_request_release(&r);
}

static void test_frames(void)
{
	json_t *id = json_string("r1");
	size_t len = 0;
	char *f = vr_cp_error_frame(VR_CP_E_RATE_LIMITED, NULL, id, &len);
	json_t *j = json_loads(f, 0, NULL);

	CHECK(j && strcmp(json_string_value(json_object_get(j, "type")), "error") == 0);
	CHECK(strcmp(json_string_value(json_object_get(json_object_get(j, "data"), "code")), "RATE_LIMITED") == 0);
	CHECK(strcmp(json_string_value(json_object_get(json_object_get(j, "data"), "id")), "r1") == 0);
	CHECK(strcmp(json_string_value(json_object_get(j, "id")), "r1") == 0);
	CHECK_EQ(len, strlen(f));
	json_decref(j);
	free(f);
	CHECK(strcmp(vr_cp_error_code(VR_CP_E_MAX + 5), "INTERNAL") == 0);
	CHECK(strcmp(vr_cp_error_text(VR_CP_E_TOO_MANY_CONNECTIONS), "Too many connections for user") == 0);
	CHECK(strcmp(vr_cp_error_text(VR_CP_E_AT_CAPACITY), "Server at capacity") == 0);
	json_decref(id);
}

/* 30 per 60 s: a burst of 30, then one every 2 s (so up to 59 in the first 60 s, 30 per 60 s after that). */
static void test_bucket(void)
{
	struct vr_cp_bucket b;
	unsigned ok = 0;

	vr_cp_bucket_init(&b, 30, 1000);
	for (int i = 0; i < 40; i++)
		ok += vr_cp_bucket_take(&b, 30, 60000, 1000);
	CHECK_EQ(ok, 30u);
	CHECK(!vr_cp_bucket_take(&b, 30, 60000, 2999));
	CHECK(vr_cp_bucket_take(&b, 30, 60000, 3000));
	CHECK(!vr_cp_bucket_take(&b, 30, 60000, 3000));
	/* over 10 minutes of one attempt per 100 ms: exactly 30 + 10 min / 2 s pass (clock going backwards ignored) */
	ok = 0;
	vr_cp_bucket_init(&b, 30, 0);
	for (uint64_t t = 0; t <= 600000; t += 100)
		ok += vr_cp_bucket_take(&b, 30, 60000, t);
	CHECK_EQ(ok, 30u + 300u);
	CHECK(!vr_cp_bucket_take(&b, 30, 60000, 500));
	/* the first 60 s: the burst, then a token every 2 s before t = 60 s: 59 */
	ok = 0;
	vr_cp_bucket_init(&b, 30, 0);
	for (uint64_t t = 0; t < 60000; t += 100)
		ok += vr_cp_bucket_take(&b, 30, 60000, t);
	CHECK_EQ(ok, 59u);
}

int main(void)
{
	test_utf8();
	test_envelope();
	test_frames();
	test_bucket();
	return vr_test_done("test_cp_proto");
}
