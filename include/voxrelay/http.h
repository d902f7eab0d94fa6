/* SPDX-License-Identifier: BSD-3-Clause */
/* The little HTTP/1.1 an HTTP health probe needs: its request, and the status line of the answer. */
#ifndef VOXRELAY_HTTP_H
#define VOXRELAY_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** Longest status line accepted, CRLF included; a longer one is malformed. */
#define VR_HTTP_STATUS_MAX 512
/** Room vr_http_request() needs for a path and a host of up to 255 bytes each. */
#define VR_HTTP_REQUEST_MAX 640

/**
 * Parse the status line at the start of an HTTP/1.x response (RFC 9112
 * section 4): "HTTP/1." DIGIT SP 3DIGIT [SP reason-phrase] CRLF. The code
 * must be 100..599; the reason phrase may be empty or missing, and may hold
 * tabs, spaces, visible ASCII and obs-text (0x80..0xff) but no other
 * control character. A bare LF ends the line too (RFC 9112 section 2.2).
 *
 * Incremental: call it again with more bytes while it returns 0. It
 * refuses as soon as the bytes so far cannot begin a valid status line, so
 * a non-HTTP service fails the probe at its first bytes.
 *
 * @param buf   the first bytes of the response (not NUL-terminated)
 * @param len   how many; only the first VR_HTTP_STATUS_MAX are looked at
 * @param code  out: the status code, set only when 1 is returned
 * @return 1: a complete, valid status line; 0: valid so far, more bytes
 *         needed; -EBADMSG: not a valid status line (or none within
 *         VR_HTTP_STATUS_MAX bytes). Pure, thread-safe, no allocation.
 */
int vr_http_status_parse(const char *buf, size_t len, uint16_t *code);

/**
 * Write the probe's request: "GET <path> HTTP/1.1", Host, "Connection:
 * close" and "User-Agent: voxrelay-health" headers, and the empty line.
 *
 * @param buf   destination; NUL-terminated on success
 * @param size  its size in bytes (VR_HTTP_REQUEST_MAX is enough for a
 *              path and a host of up to 255 bytes)
 * @param path  request target; must start with '/' and hold only visible
 *              ASCII (0x21..0x7e)
 * @param host  Host header value; visible ASCII only
 * @return the request's length in bytes, -EINVAL (NULL argument, empty or
 *         invalid path or host), -ENOSPC (@size too small). Pure, thread-safe.
 */
int vr_http_request(char *buf, size_t size, const char *path, const char *host);

/** True if @s (@len bytes) is a valid probe path: '/' then visible ASCII only. */
bool vr_http_path_ok(const char *s, size_t len);

/** True if @s (@len bytes, at least one) is a valid Host value: visible ASCII only, no '/'. */
bool vr_http_host_ok(const char *s, size_t len);

#endif
