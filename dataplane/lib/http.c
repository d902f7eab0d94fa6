/* SPDX-License-Identifier: BSD-3-Clause */
/* HTTP/1.1 for health probes: build the GET request, parse the response's status line incrementally. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "voxrelay/http.h"

static bool visible(unsigned char ch)
{
	return ch >= 0x21 && ch <= 0x7e;
}

bool vr_http_path_ok(const char *s, size_t len)
{
	if (s == NULL || len == 0 || s[0] != '/')
		return false;
	for (size_t i = 1; i < len; i++)
		if (!visible((unsigned char)s[i]))
			return false;
	return true;
}

bool vr_http_host_ok(const char *s, size_t len)
{
	if (s == NULL || len == 0)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!visible((unsigned char)s[i]) || s[i] == '/')
			return false;
	return true;
}

int vr_http_request(char *buf, size_t size, const char *path, const char *host)
{
	int n;

	if (buf == NULL || path == NULL || host == NULL || !vr_http_path_ok(path, strlen(path)) ||
	    !vr_http_host_ok(host, strlen(host)))
		return -EINVAL;
	n = snprintf(buf, size,
		     "GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\nUser-Agent: voxrelay-health\r\n\r\n", path,
		     host);
	if (n < 0 || (size_t)n >= size)
		return -ENOSPC;
	return n;
}

/* What the status line must start with, byte by byte; 'D' stands for a digit. */
static const char status_prefix[] = "HTTP/1.D DDD";
#define PREFIX_LEN (sizeof(status_prefix) - 1)

int vr_http_status_parse(const char *buf, size_t len, uint16_t *code)
{
	const unsigned char *p = (const unsigned char *)buf;
	unsigned int c = 0;
	size_t i;

	if (buf == NULL || code == NULL)
		return -EBADMSG;
	if (len > VR_HTTP_STATUS_MAX)
		len = VR_HTTP_STATUS_MAX;
	/* Check what is there of the fixed part before waiting for the rest. */
	for (i = 0; i < len && i < PREFIX_LEN; i++) {
		if (status_prefix[i] == 'D') {
			if (p[i] < '0' || p[i] > '9')
				return -EBADMSG;
			if (i >= 9)
				c = c * 10 + (unsigned int)(p[i] - '0');
		} else if (p[i] != (unsigned char)status_prefix[i]) {
			return -EBADMSG;
		}
	}
	if (i < PREFIX_LEN)
		return len == VR_HTTP_STATUS_MAX ? -EBADMSG : 0;
	if (c < 100 || c > 599)
		return -EBADMSG;
	/* After the code: end of line, or SP and a reason phrase. */
	for (; i < len; i++) {
		unsigned char ch = p[i];

		if (ch == '\n' || (ch == '\r' && i + 1 < len && p[i + 1] == '\n')) {
			*code = (uint16_t)c;
			return 1;
		}
		if (ch == '\r')
			return i + 1 < len ? -EBADMSG : (len == VR_HTTP_STATUS_MAX ? -EBADMSG : 0);
		if (i == PREFIX_LEN && ch != ' ')
			return -EBADMSG;
		if (ch != '\t' && ch < 0x20)
			return -EBADMSG;
		if (ch == 0x7f)
			return -EBADMSG;
	}
	return len == VR_HTTP_STATUS_MAX ? -EBADMSG : 0;
}
