/* SPDX-License-Identifier: BSD-3-Clause */
/* libFuzzer target for the HTTP probe's status-line parser and request builder: what each promises, on any bytes. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "voxrelay/http.h"
#include "fuzz_assert.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The request builder: valid output is one NUL-terminated request of the length returned. */
static void fuzz_request(const uint8_t *data, size_t size)
{
	char path[256], host[256], buf[VR_HTTP_REQUEST_MAX];
	const uint8_t *nl = memchr(data, '\n', size);
	size_t pl = nl ? (size_t)(nl - data) : size, hl = nl ? size - pl - 1 : 0;
	int n;

	if (pl > 255 || hl > 255)
		return;
	memcpy(path, data, pl);
	path[pl] = '\0';
	memcpy(host, nl ? nl + 1 : data, hl);
	host[hl] = '\0';
	n = vr_http_request(buf, sizeof(buf), path, host);
	FUZZ_ASSERT(n == -EINVAL || n > 0);
	if (n > 0) {
		FUZZ_ASSERT((size_t)n == strlen(buf) && (size_t)n < sizeof(buf));
		FUZZ_ASSERT(vr_http_path_ok(path, strlen(path)) && vr_http_host_ok(host, strlen(host)));
		/* no header can be smuggled: exactly the 5 CRLFs of the template */
		int crlf = 0;
		for (const char *p = buf; (p = strstr(p, "\r\n")) != NULL; p += 2)
			crlf++;
		FUZZ_ASSERT(crlf == 5);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Exact-size copy so ASan sees any read past the bytes. */
	char *buf = malloc(size ? size : 1);
	uint16_t code = 0, code2 = 0;
	int rc, rc2;

	if (buf == NULL)
		return 0;
	memcpy(buf, data, size);
	rc = vr_http_status_parse(buf, size, &code);
	FUZZ_ASSERT(rc == 1 || rc == 0 || rc == -EBADMSG);
	if (rc == 1) {
		const char *lf = memchr(buf, '\n', size < VR_HTTP_STATUS_MAX ? size : VR_HTTP_STATUS_MAX);
		size_t end;

		FUZZ_ASSERT(code >= 100 && code <= 599 && lf != NULL);
		end = (size_t)(lf - buf) + 1;
		/* Incremental: the complete line alone gives the same answer, any shorter cut asks for more. */
		FUZZ_ASSERT(vr_http_status_parse(buf, end, &code2) == 1 && code2 == code);
		FUZZ_ASSERT(vr_http_status_parse(buf, end - 1, &code2) == 0);
		FUZZ_ASSERT(vr_http_status_parse(buf, end / 2, &code2) == 0);
	} else if (size > 0) {
		/* A refusal never turns into acceptance with more bytes, nor "more" into a refusal of a prefix. */
		rc2 = vr_http_status_parse(buf, size / 2, &code2);
		FUZZ_ASSERT(rc2 == 0 || (rc2 == -EBADMSG && rc == -EBADMSG));
	}
	fuzz_request(data, size);
	free(buf);
	return 0;
}
