/* SPDX-License-Identifier: BSD-3-Clause */
/* The dataplane's answer line: parsed and checked against the shape docs/control.md promises, since anything may sit on that socket. */
#include <errno.h>
#include <stdarg.h>
#include <string.h>

#include "ctl.h"

static int proto(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int proto(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen != 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
		/* the text may quote the peer: keep it one printable line */
		for (char *c = err; *c != '\0'; c++)
			if ((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7f)
				*c = '?';
	}
	return -EPROTO;
}

/* The start of a line that is not an answer: enough to recognise what answered instead. */
static const char *excerpt(const char *line, size_t len, char *buf, size_t buflen)
{
	size_t o = 0;

	for (size_t i = 0; i < len && o + 4 < buflen; i++) {
		unsigned char ch = (unsigned char)line[i];
		buf[o++] = (ch >= 0x20 && ch < 0x7f) ? (char)ch : '?';
	}
	if (o < len)
		buf[o++] = '.', buf[o++] = '.', buf[o++] = '.';
	buf[o] = '\0';
	return buf;
}

int vr_ctl_parse_response(const char *line, size_t len, json_int_t id, struct vr_ctl_response *r, char *err,
			  size_t errlen)
{
	json_error_t jerr;
	json_t *root, *v, *e;
	char buf[48];
	int rc;

	memset(r, 0, sizeof(*r));
	if (err != NULL && errlen != 0)
		err[0] = '\0';
	/* any value, so that a wrong one is named as such */
	root = json_loadb(line, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
	if (root == NULL)
		return proto(err, errlen, "the answer is not JSON (%s at column %d): \"%s\"", jerr.text, jerr.column,
			     excerpt(line, len, buf, sizeof(buf)));
	if (!json_is_object(root)) {
		rc = proto(err, errlen, "the answer is not a JSON object: \"%s\"", excerpt(line, len, buf, sizeof(buf)));
		goto fail;
	}
	v = json_object_get(root, "id");
	if (v != NULL && !(json_is_integer(v) && json_integer_value(v) == id)) {
		rc = proto(err, errlen, "the answer carries another request's id");
		goto fail;
	}
	v = json_object_get(root, "ok");
	if (!json_is_boolean(v)) {
		rc = proto(err, errlen, "the answer has no \"ok\" true or false");
		goto fail;
	}
	r->ok = json_is_true(v);
	if (r->ok) {
		r->result = json_object_get(root, "result");
		if (!json_is_object(r->result)) {
			rc = proto(err, errlen, "the answer has \"ok\": true but no \"result\" object");
			goto fail;
		}
	} else {
		e = json_object_get(root, "error");
		v = json_object_get(e, "code");
		if (!json_is_string(v) || json_string_length(v) == 0) {
			rc = proto(err, errlen, "the answer has \"ok\": false but no \"error\" with a \"code\"");
			goto fail;
		}
		r->code = json_string_value(v);
		v = json_object_get(e, "message");
		r->message = json_is_string(v) ? json_string_value(v) : "";
	}
	r->root = root;
	return 0;
fail:
	json_decref(root);
	memset(r, 0, sizeof(*r));
	return rc;
}

void vr_ctl_response_clear(struct vr_ctl_response *r)
{
	if (r == NULL)
		return;
	json_decref(r->root);
	memset(r, 0, sizeof(*r));
}
