/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit test of the HTTP health probe's pure logic: the status-line parser, byte by byte, and the request it sends. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "voxrelay/http.h"
#include "../common/check.h"

/* Every prefix of a complete line is "need more", the whole line gives @code. */
static void check_complete(const char *line, uint16_t want)
{
	size_t n = strlen(line);
	uint16_t code = 0;

	for (size_t i = 0; i < n; i++) {
		int rc = vr_http_status_parse(line, i, &code);
		/* A bare LF ends the line too, so a prefix ending in one is complete already. */
		if (i > 0 && line[i - 1] == '\n')
			break;
		CHECK_MSG(rc == 0, "\"%s\" cut at %zu: %d", line, i, rc);
	}
	code = 0;
	CHECK_MSG(vr_http_status_parse(line, n, &code) == 1 && code == want, "\"%s\": code %u, want %u", line, code,
		  want);
}

static void test_valid(void)
{
	uint16_t code = 0;
	char big[600];

	check_complete("HTTP/1.1 200 OK\r\n", 200);
	check_complete("HTTP/1.0 503 Service Unavailable\r\n", 503);
	check_complete("HTTP/1.1 204 \r\n", 204);           /* empty reason */
	check_complete("HTTP/1.1 301\r\n", 301);            /* no reason at all (lenient) */
	check_complete("HTTP/1.1 404 Not\tFound\r\n", 404); /* HTAB in the reason */
	check_complete("HTTP/1.1 200 OK\n", 200);           /* bare LF */
	check_complete("HTTP/1.1 100 Continue\r\n", 100);
	check_complete("HTTP/1.1 599 x\r\n", 599);
	/* headers and body after the line are not looked at */
	CHECK(vr_http_status_parse("HTTP/1.1 200 OK\r\nServer: x\r\n\r\nbody\x01", 33, &code) == 1 && code == 200);
	/* obs-text in the reason */
	CHECK(vr_http_status_parse("HTTP/1.1 200 \xc3\xa9t\xc3\xa9\r\n", 20, &code) == 1 && code == 200);
	/* a long reason, still within the limit */
	snprintf(big, sizeof(big), "HTTP/1.1 200 %0*d\r\n", VR_HTTP_STATUS_MAX - 16, 0);
	CHECK(vr_http_status_parse(big, strlen(big), &code) == 1 && code == 200);
}

static void test_malformed(void)
{
#define BAD(s) {s, sizeof(s) - 1}
	static const struct {
		const char *s;
		size_t len;
	} bad[] = {
		BAD("HTTP/2 200 OK\r\n"), BAD("HTTP/1.x 200 OK\r\n"), BAD("HTTP/1.1  200 OK\r\n"),
		BAD("HTTP/1.1 20 OK\r\n"), BAD("HTTP/1.1 2000 OK\r\n"), BAD("HTTP/1.1 099 x\r\n"),
		BAD("HTTP/1.1 600 x\r\n"), BAD("HTTP/1.1 2x0 OK\r\n"), BAD("http/1.1 200 OK\r\n"),
		BAD("HTTP/1.1 200 O\x01K\r\n"), BAD("HTTP/1.1 200 OK\x7f\r\n"), BAD("HTTP/1.1 200 OK\rX\n"),
		BAD("HTTP/1.1 200OK\r\n"), BAD("SSH-2.0-OpenSSH_9.2\r\n"), BAD(" HTTP/1.1 200 OK\r\n"),
		BAD("HTTP/1.1 200 O\0K\r\n"),
	};
#undef BAD
	uint16_t code = 7;
	char big[VR_HTTP_STATUS_MAX + 10];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_MSG(vr_http_status_parse(bad[i].s, bad[i].len, &code) == -EBADMSG, "\"%s\" accepted", bad[i].s);
	/* refused as soon as the bytes cannot start a status line */
	CHECK(vr_http_status_parse("SSH", 3, &code) == -EBADMSG);
	CHECK(vr_http_status_parse("HTTP/1.1 9", 10, &code) == 0); /* a digit: could still be... */
	CHECK(vr_http_status_parse("HTTP/1.1 99 ", 12, &code) == -EBADMSG);
	CHECK(vr_http_status_parse("HTTP/1.1 200 OK\r", 16, &code) == 0);
	/* no end of line within the limit */
	memset(big, 'a', sizeof(big));
	memcpy(big, "HTTP/1.1 200 ", 13);
	CHECK(vr_http_status_parse(big, VR_HTTP_STATUS_MAX - 1, &code) == 0);
	CHECK(vr_http_status_parse(big, VR_HTTP_STATUS_MAX, &code) == -EBADMSG);
	CHECK(vr_http_status_parse(big, sizeof(big), &code) == -EBADMSG);
	CHECK(vr_http_status_parse(NULL, 0, &code) == -EBADMSG);
	CHECK(vr_http_status_parse("", 0, NULL) == -EBADMSG);
	CHECK(vr_http_status_parse("", 0, &code) == 0);
	CHECK(code == 7); /* never written on failure */
}

static void test_request(void)
{
	char buf[VR_HTTP_REQUEST_MAX], path[256], host[256];
	uint16_t code;

	CHECK(vr_http_request(buf, sizeof(buf), "/healthz", "10.77.100.1") > 0);
	CHECK_STR(buf,
		  "GET /healthz HTTP/1.1\r\nHost: 10.77.100.1\r\nConnection: close\r\nUser-Agent: voxrelay-health\r\n\r\n",
		  "request");
	CHECK(vr_http_request(buf, sizeof(buf), "/", "[2001:db8::1]:8080") > 0);
	CHECK(strncmp(buf, "GET / HTTP/1.1\r\nHost: [2001:db8::1]:8080\r\n", 42) == 0);
	/* the largest path and host the configuration allows fit */
	memset(path, 'p', 255);
	path[0] = '/';
	path[255] = '\0';
	memset(host, 'h', 255);
	host[255] = '\0';
	CHECK(vr_http_request(buf, sizeof(buf), path, host) > 0);
	CHECK(vr_http_request(buf, 64, path, host) == -ENOSPC);
	CHECK(vr_http_request(buf, sizeof(buf), "healthz", "h") == -EINVAL);
	CHECK(vr_http_request(buf, sizeof(buf), "/a b", "h") == -EINVAL);
	CHECK(vr_http_request(buf, sizeof(buf), "/a\r\nX: y", "h") == -EINVAL);
	CHECK(vr_http_request(buf, sizeof(buf), "/", "") == -EINVAL);
	CHECK(vr_http_request(buf, sizeof(buf), "/", "a/b") == -EINVAL);
	CHECK(vr_http_request(buf, sizeof(buf), NULL, "h") == -EINVAL);
	CHECK(vr_http_path_ok("/x?y=1&z=%20", 12) && !vr_http_path_ok("", 0) && !vr_http_path_ok("/\x80", 2));
	CHECK(vr_http_host_ok("svc.example:80", 14) && !vr_http_host_ok("a b", 3) && !vr_http_host_ok(NULL, 0));
	/* what a request starts with is not a status line */
	CHECK(vr_http_status_parse(buf, strlen(buf), &code) == -EBADMSG);
}

int main(void)
{
	test_valid();
	test_malformed();
	test_request();
	return check_report("test_http");
}
