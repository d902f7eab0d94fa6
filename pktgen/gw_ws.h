/* SPDX-License-Identifier: BSD-3-Clause */
/* The client side of RFC 6455 that voxrelay-gw-load needs, on plain buffers: the upgrade request and its answer, masked frames out, unmasked frames in. */
#ifndef VOXRELAY_GW_WS_H
#define VOXRELAY_GW_WS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Opcodes (RFC 6455 s5.2). */
#define VR_WS_CONT 0x0
#define VR_WS_TEXT 0x1
#define VR_WS_BINARY 0x2
#define VR_WS_CLOSE 0x8
#define VR_WS_PING 0x9
#define VR_WS_PONG 0xa

/* Largest header of a client frame: 2 + 8 (64-bit length) + 4 (mask). */
#define VR_WS_HDR_MAX 14

/* A server frame's header as read from the wire. */
struct vr_ws_frame {
	unsigned opcode;
	bool fin;
	size_t hdr_len;     /* bytes before the payload */
	uint64_t len;       /* payload bytes */
};

/*
 * Write the GET upgrade request for @path on @host into @buf (at most @cap
 * bytes) with a fresh random Sec-WebSocket-Key; the key is copied to @key
 * (24 characters + NUL) so the answer can be checked.
 * @return the request's length, or -1 if @cap is too small.
 */
int vr_ws_request(char *buf, size_t cap, const char *host, const char *path, char key[25]);

/*
 * Check the server's answer to vr_ws_request() in @buf[0..@len): status 101,
 * "Upgrade: websocket" and the Sec-WebSocket-Accept that @key calls for
 * (base64(SHA-1(key + the RFC's GUID)), s4.2.2).
 * @return the bytes of the header block (frames may follow in the same
 *         buffer), 0 if the block is not complete yet, -1 if refused.
 */
long vr_ws_answer(const char *buf, size_t len, const char *key);

/*
 * Encode a client frame (FIN set, masked with @mask as s5.3 requires)
 * of @len payload bytes into @out, which has room for
 * VR_WS_HDR_MAX + @len bytes.
 * @return the frame's length.
 */
size_t vr_ws_encode(unsigned char *out, unsigned opcode, const void *payload, size_t len, uint32_t mask);

/*
 * Read one server frame header at @buf (@avail bytes there). A server
 * never masks (s5.1) and sets no RSV bit without an extension (s5.2);
 * either is a protocol error here.
 * @return 1 with @f filled, 0 if more bytes are needed, -1 on a protocol error.
 */
int vr_ws_parse(const unsigned char *buf, size_t avail, struct vr_ws_frame *f);

#endif
