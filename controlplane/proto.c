/* SPDX-License-Identifier: BSD-3-Clause */
/* voxrelay-cp's envelope, error frames, UTF-8 length and token bucket: plain C on buffers, shared by the gateway, tests and the fuzzer. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "voxrelay/cp_proto.h"

static const char *const error_codes[] = {
	"NONE",
#define VR_CP_ERROR_CODE(id, code, msg) code,
	VR_CP_ERRORS(VR_CP_ERROR_CODE)
#undef VR_CP_ERROR_CODE
};
static const char *const error_texts[] = {
	"",
#define VR_CP_ERROR_TEXT(id, code, msg) msg,
	VR_CP_ERRORS(VR_CP_ERROR_TEXT)
#undef VR_CP_ERROR_TEXT
};

const char *vr_cp_error_code(enum vr_cp_error e)
{
	return (unsigned)e < VR_CP_E_MAX ? error_codes[e] : "INTERNAL";
}

const char *vr_cp_error_text(enum vr_cp_error e)
{
	return (unsigned)e < VR_CP_E_MAX ? error_texts[e] : "internal error";
}

size_t vr_cp_utf8_count(const char *s, size_t len)
{
	size_t n = 0;

	/* each code point has one byte that is not a continuation byte (10xxxxxx) */
	for (size_t i = 0; i < len; i++)
		n += ((unsigned char)s[i] & 0xc0) != 0x80;
	return n;
}

void vr_cp_request_release(struct vr_cp_request *req)
{
	if (!req)
		return;
	json_decref(req->root);
	memset(req, 0, sizeof(*req));
}

static bool id_ok(const json_t *id)
{
	if (json_is_integer(id))
		return true;
	return json_is_string(id) && json_string_length(id) <= 64;
}

enum vr_cp_error vr_cp_request_parse(const char *buf, size_t len, struct vr_cp_request *req)
{
	json_error_t jerr;
	json_t *type, *data;

	memset(req, 0, sizeof(*req));
	/* One pass: jansson checks the UTF-8 (RFC 3629) as it reads, and says so; what it hands back is well-formed. */
	req->root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!req->root)
		return json_error_code(&jerr) == json_error_invalid_utf8 ? VR_CP_E_BAD_UTF8 : VR_CP_E_BAD_JSON;
	if (!json_is_object(req->root))
		return VR_CP_E_BAD_JSON;
	req->id = json_object_get(req->root, "id");
	if (req->id && !id_ok(req->id)) {
		req->id = NULL;
		return VR_CP_E_BAD_REQUEST;
	}
	type = json_object_get(req->root, "type");
	if (!json_is_string(type) || json_string_length(type) == 0 || json_string_length(type) > 64)
		return VR_CP_E_BAD_REQUEST;
	req->type = json_string_value(type);
	data = json_object_get(req->root, "data");
	if (!data || json_is_null(data)) {
		data = json_object();
		if (!data || json_object_set_new(req->root, "data", data) != 0)
			return VR_CP_E_INTERNAL;
	} else if (!json_is_object(data)) {
		return VR_CP_E_BAD_REQUEST;
	}
	req->data = data;
	return VR_CP_E_NONE;
}

char *vr_cp_frame(const char *type, json_t *data, const json_t *id, size_t *len)
{
	json_t *root = json_object();
	char *out = NULL;

	if (!root) {
		json_decref(data);
		goto out;
	}
	if (!data)
		data = json_object();
	if (json_object_set_new(root, "type", json_string(type)) != 0 || json_object_set_new(root, "data", data) != 0)
		goto out;
	if (id && json_object_set(root, "id", (json_t *)id) != 0)
		goto out;
	out = json_dumps(root, JSON_COMPACT);
	if (out && len)
		*len = strlen(out);
out:
	json_decref(root);
	if (!out)
		errno = ENOMEM;
	return out;
}

char *vr_cp_error_frame(enum vr_cp_error e, const char *message, const json_t *id, size_t *len)
{
	json_t *data = json_pack("{s:s, s:s}", "code", vr_cp_error_code(e), "message",
				 message ? message : vr_cp_error_text(e));

	if (data && id)
		json_object_set(data, "id", (json_t *)id);
	return vr_cp_frame("error", data, id, len);
}

void vr_cp_bucket_init(struct vr_cp_bucket *b, uint32_t max, uint64_t now_ms)
{
	b->tokens = max;
	b->last_ms = now_ms;
}

bool vr_cp_bucket_take(struct vr_cp_bucket *b, uint32_t max, uint64_t window_ms, uint64_t now_ms)
{
	if (now_ms > b->last_ms && window_ms) {
		b->tokens += (double)(now_ms - b->last_ms) * max / (double)window_ms;
		if (b->tokens > max)
			b->tokens = max;
	}
	b->last_ms = now_ms > b->last_ms ? now_ms : b->last_ms;
	if (b->tokens < 1.0)
		return false;
	b->tokens -= 1.0;
	return true;
}
