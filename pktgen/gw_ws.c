/* SPDX-License-Identifier: BSD-3-Clause */
/* RFC 6455 client pieces for voxrelay-gw-load: no I/O, no allocation, so one thread drives many connections with them. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "gw_ws.h"

/* RFC 6455 s1.3: appended to the key before hashing. */
static const char ws_guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

int vr_ws_request(char *buf, size_t cap, const char *host, const char *path, char key[25])
{
	unsigned char raw[16];
	int n;

	/* The key only has to be unpredictable to caches on the way (s10.3);
	 * a failing RAND_bytes leaves it less so, which a benchmark survives. */
	if (RAND_bytes(raw, sizeof(raw)) != 1)
		memset(raw, 0x5a, sizeof(raw));
	EVP_EncodeBlock((unsigned char *)key, raw, sizeof(raw));
	n = snprintf(buf, cap,
		     "GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
		     "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n",
		     path, host, key);
	return n < 0 || (size_t)n >= cap ? -1 : n;
}

/* The value of header @name (with its colon) in @hdr[0..@len), trimmed; NULL if absent. */
static const char *header(const char *hdr, size_t len, const char *name, size_t *vlen)
{
	size_t nlen = strlen(name);
	const char *p = memchr(hdr, '\n', len), *end = hdr + len;

	while (p && p + 1 < end) {
		const char *line = p + 1, *eol = memchr(line, '\n', (size_t)(end - line));

		if (!eol)
			return NULL;
		if ((size_t)(eol - line) > nlen && strncasecmp(line, name, nlen) == 0) {
			const char *v = line + nlen, *ve = eol;

			while (v < ve && (*v == ' ' || *v == '\t'))
				v++;
			while (ve > v && (ve[-1] == '\r' || ve[-1] == ' ' || ve[-1] == '\t'))
				ve--;
			*vlen = (size_t)(ve - v);
			return v;
		}
		p = eol;
	}
	return NULL;
}

long vr_ws_answer(const char *buf, size_t len, const char *key)
{
	const char *end = memmem(buf, len, "\r\n\r\n", 4), *v;
	unsigned char digest[SHA_DIGEST_LENGTH];
	char cat[64], want[32];
	size_t hlen, vlen;

	if (!end)
		return len > 8192 ? -1 : 0;
	hlen = (size_t)(end - buf) + 4;
	if (hlen < 12 || memcmp(buf, "HTTP/1.1 101", 12) != 0)
		return -1;
	v = header(buf, hlen, "upgrade:", &vlen);
	if (!v || vlen != 9 || strncasecmp(v, "websocket", 9) != 0)
		return -1;
	snprintf(cat, sizeof(cat), "%s%s", key, ws_guid);
	if (EVP_Digest(cat, strlen(cat), digest, NULL, EVP_sha1(), NULL) != 1)
		return -1;
	EVP_EncodeBlock((unsigned char *)want, digest, sizeof(digest));
	v = header(buf, hlen, "sec-websocket-accept:", &vlen);
	if (!v || vlen != strlen(want) || memcmp(v, want, vlen) != 0)
		return -1;
	return (long)hlen;
}

size_t vr_ws_encode(unsigned char *out, unsigned opcode, const void *payload, size_t len, uint32_t mask)
{
	const unsigned char *in = payload;
	unsigned char m[4] = {(unsigned char)(mask >> 24), (unsigned char)(mask >> 16), (unsigned char)(mask >> 8),
			      (unsigned char)mask};
	size_t h = 2;

	out[0] = (unsigned char)(0x80 | (opcode & 0x0f));
	if (len < 126) {
		out[1] = (unsigned char)(0x80 | len);
	} else if (len <= 0xffff) {
		out[1] = 0x80 | 126;
		out[2] = (unsigned char)(len >> 8);
		out[3] = (unsigned char)len;
		h = 4;
	} else {
		out[1] = 0x80 | 127;
		for (int i = 0; i < 8; i++)
			out[2 + i] = (unsigned char)((uint64_t)len >> (56 - 8 * i));
		h = 10;
	}
	memcpy(out + h, m, 4);
	h += 4;
	for (size_t i = 0; i < len; i++)
		out[h + i] = in[i] ^ m[i & 3];
	return h + len;
}

int vr_ws_parse(const unsigned char *buf, size_t avail, struct vr_ws_frame *f)
{
	size_t h = 2;
	uint64_t len;

	if (avail < 2)
		return 0;
	if ((buf[0] & 0x70) || (buf[1] & 0x80))
		return -1;
	len = buf[1] & 0x7f;
	if (len == 126) {
		if (avail < 4)
			return 0;
		len = (uint64_t)buf[2] << 8 | buf[3];
		h = 4;
	} else if (len == 127) {
		if (avail < 10)
			return 0;
		len = 0;
		for (int i = 0; i < 8; i++)
			len = len << 8 | buf[2 + i];
		h = 10;
	}
	f->opcode = buf[0] & 0x0f;
	f->fin = buf[0] & 0x80;
	f->hdr_len = h;
	f->len = len;
	/* control frames: at most 125 bytes and never fragmented (s5.5) */
	if ((f->opcode & 0x08) && (len > 125 || !f->fin))
		return -1;
	return 1;
}
