/* SPDX-License-Identifier: BSD-3-Clause */
/* voxrelay-cp's wire protocol without I/O: the JSON envelope, error codes, UTF-8 lengths and the per-user token bucket (docs/protocol.md). */
#ifndef VOXRELAY_CP_PROTO_H
#define VOXRELAY_CP_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Error codes of {"type":"error","data":{"code",...}}: stable names clients match on. */
#define VR_CP_ERRORS(X)                                                                       \
	X(VR_CP_E_BAD_JSON, "BAD_JSON", "the frame is not a JSON object")                      \
	X(VR_CP_E_BAD_UTF8, "BAD_UTF8", "the frame is not valid UTF-8")                         \
	X(VR_CP_E_BINARY, "BINARY_NOT_SUPPORTED", "binary frames are not accepted")            \
	X(VR_CP_E_BAD_REQUEST, "BAD_REQUEST", "a field is missing or has the wrong type")      \
	X(VR_CP_E_UNKNOWN_TYPE, "UNKNOWN_TYPE", "unknown message type")                         \
	X(VR_CP_E_NOT_AUTHENTICATED, "NOT_AUTHENTICATED", "authenticate first")                 \
	X(VR_CP_E_ALREADY_AUTHENTICATED, "ALREADY_AUTHENTICATED", "already authenticated")      \
	X(VR_CP_E_AUTH_FAILED, "AUTH_FAILED", "the token was refused")                          \
	X(VR_CP_E_TOO_MANY_CONNECTIONS, "TOO_MANY_CONNECTIONS", "Too many connections for user") \
	X(VR_CP_E_AT_CAPACITY, "AT_CAPACITY", "Server at capacity")                             \
	X(VR_CP_E_RATE_LIMITED, "RATE_LIMITED", "too many messages; retry later")               \
	X(VR_CP_E_MESSAGE_TOO_LONG, "MESSAGE_TOO_LONG", "the message is too long")              \
	X(VR_CP_E_EMPTY_MESSAGE, "EMPTY_MESSAGE", "the message is empty")                       \
	X(VR_CP_E_NOT_FOUND, "NOT_FOUND", "no such chat or message")                            \
	X(VR_CP_E_NOT_MEMBER, "NOT_MEMBER", "not a member of this chat")                        \
	X(VR_CP_E_FORBIDDEN, "FORBIDDEN", "not allowed")                                        \
	X(VR_CP_E_STORE_UNAVAILABLE, "STORE_UNAVAILABLE", "storage is unavailable; not saved")  \
	X(VR_CP_E_VOICE_UNAVAILABLE, "VOICE_UNAVAILABLE", "no relay could take the voice room") \
	X(VR_CP_E_NOT_IN_VOICE, "NOT_IN_VOICE", "not in a voice room")                          \
	X(VR_CP_E_SESSION_UNKNOWN, "SESSION_UNKNOWN", "unknown or expired session")             \
	X(VR_CP_E_INTERNAL, "INTERNAL", "internal error")

enum vr_cp_error {
	VR_CP_E_NONE = 0,
#define VR_CP_ERROR_ENUM(id, code, msg) id,
	VR_CP_ERRORS(VR_CP_ERROR_ENUM)
#undef VR_CP_ERROR_ENUM
	VR_CP_E_MAX
};

/* WebSocket close codes the gateway uses (RFC 6455 section 7.4; 4000-4999 private). */
enum vr_cp_close {
	VR_CP_CLOSE_NORMAL = 1000,
	VR_CP_CLOSE_GOING_AWAY = 1001,       /* server shutting down */
	VR_CP_CLOSE_POLICY = 1008,           /* per-user connection limit */
	VR_CP_CLOSE_TOO_BIG = 1009,          /* frame above max_payload */
	VR_CP_CLOSE_TRY_LATER = 1013,        /* Server at capacity */
	VR_CP_CLOSE_AUTH_TIMEOUT = 4000,     /* no auth within the deadline */
	VR_CP_CLOSE_AUTH_FAILED = 4001,      /* token refused */
	VR_CP_CLOSE_HEARTBEAT = 4002,        /* no frame for 2 heartbeat intervals, or a ping unanswered for 2 */
	VR_CP_CLOSE_SLOW_CONSUMER = 4003,    /* outbound queue over its bound */
	VR_CP_CLOSE_INACTIVE = 4004,         /* no request but heartbeats for inactive_timeout */
};

/** Stable code name ("BAD_JSON") of @p e; "INTERNAL" for out-of-range values. Thread-safe. */
const char *vr_cp_error_code(enum vr_cp_error e);

/** Default English text of @p e. Thread-safe. */
const char *vr_cp_error_text(enum vr_cp_error e);

/**
 * The number of code points of @p s[0..len), which must be well-formed
 * UTF-8: a string of a request vr_cp_request_parse() accepted, whose UTF-8
 * jansson checked as it parsed (RFC 3629 section 4: no overlong forms, no
 * surrogates, nothing above U+10FFFF). Not a check: malformed input gives a
 * count, never an error. Thread-safe.
 */
size_t vr_cp_utf8_count(const char *s, size_t len);

/** A request as the gateway dispatches it (docs/protocol.md, "Envelope"). */
struct vr_cp_request {
	const char *type;  /**< "send_message"...; points into root */
	json_t *data;      /**< the "data" object (an empty object when absent); borrowed from root */
	json_t *id;        /**< the "id" to echo (string or integer), or NULL; borrowed from root */
	json_t *root;      /**< owned: json_decref() it when done */
};

/**
 * Parse one text frame into a request: a JSON object (duplicate keys
 * refused) with "type" a non-empty string of at most 64 bytes, "data" an
 * object if present, "id" a string of at most 64 bytes or an integer if
 * present. Pure; thread-safe.
 *
 * @param buf, len  the frame's payload (need not be NUL-terminated)
 * @param req       filled on success; on failure req->id is set when the
 *                  frame was an object with a usable id, so the error can
 *                  echo it (and req->root must still be released)
 * @return VR_CP_E_NONE, VR_CP_E_BAD_UTF8, VR_CP_E_BAD_JSON or VR_CP_E_BAD_REQUEST.
 */
enum vr_cp_error vr_cp_request_parse(const char *buf, size_t len, struct vr_cp_request *req);

/** Release what vr_cp_request_parse() holds; accepts a zeroed request. */
void vr_cp_request_release(struct vr_cp_request *req);

/**
 * Build a server frame {"type": type, "data": data[, "id": id]}.
 * Steals @p data (a NULL data becomes {}); borrows @p id.
 * @return malloc'd compact JSON text (caller frees), or NULL on ENOMEM.
 */
char *vr_cp_frame(const char *type, json_t *data, const json_t *id, size_t *len);

/**
 * Build {"type":"error","data":{"code","message","id"}} for @p e; @p message
 * overrides the default text when not NULL; @p id (borrowed) is echoed in
 * data.id and at the top level. @return as vr_cp_frame().
 */
char *vr_cp_error_frame(enum vr_cp_error e, const char *message, const json_t *id, size_t *len);

/**
 * Token bucket of one user's messages: capacity @p max tokens, refilled
 * at max per window continuously, so a user may send @p max at once and
 * then max per window (the deployments' "30 messages per 60 s").
 */
struct vr_cp_bucket {
	double tokens;
	uint64_t last_ms;
};

/** Start a full bucket at @p now_ms. */
void vr_cp_bucket_init(struct vr_cp_bucket *b, uint32_t max, uint64_t now_ms);

/**
 * Take one token at @p now_ms (monotonic ms).
 * @return true if allowed; false if empty (nothing taken). Not thread-safe
 * per bucket (the gateway runs one loop).
 */
bool vr_cp_bucket_take(struct vr_cp_bucket *b, uint32_t max, uint64_t window_ms, uint64_t now_ms);

#ifdef __cplusplus
}
#endif

#endif
