/* SPDX-License-Identifier: BSD-3-Clause */
/* Internal to voxrelay-cp: the Redis side (hiredis async on the process's libuv loop), its scripts and reconnection. */
#ifndef VOXRELAY_CP_STORE_H
#define VOXRELAY_CP_STORE_H

#include <stddef.h>
#include <stdint.h>

#include <hiredis/hiredis.h>

#include "voxrelay/cp_proto.h"

struct vr_config;
struct vr_cp;
struct vr_cp_store;
struct vr_cp_store_tls;
struct vr_redis_url;
struct ssl_st;
struct uv_loop_s;

/*
 * Completion of a command or script: exactly once per accepted call. @p r
 * is the reply (NULL when err is set; a Redis error reply comes as
 * VR_CP_E_STORE_UNAVAILABLE only if the connection failed, otherwise as
 * r->type == REDIS_REPLY_ERROR for the caller to map with
 * vr_cp_store_error()). Owned by hiredis: valid during the call only.
 */
typedef void (*vr_cp_store_cb)(struct vr_cp *cp, void *arg, redisReply *r, enum vr_cp_error err);

/* Called on every message of the pub/sub connection (channel, payload). */
typedef void (*vr_cp_store_msg_cb)(struct vr_cp *cp, const char *channel, const char *payload, size_t len);

/* Called when both connections are up again after either was lost; @p down_ms: wall-clock ms when the first went down. */
typedef void (*vr_cp_store_up_cb)(struct vr_cp *cp, int64_t down_ms);

/* The Lua scripts (store_scripts.c), loaded (SCRIPT LOAD) on every new command connection. */
enum vr_cp_script {
	VR_CP_SCRIPT_APPEND,        /* XADD + PUBLISH of a chat event */
	VR_CP_SCRIPT_MODIFY,        /* edit / delete of one's own message; prunes the edits hash */
	VR_CP_SCRIPT_HISTORY,       /* a page of messages, newest first, edits applied */
	VR_CP_SCRIPT_JOIN,          /* join (or create) a chat: metadata, member sets */
	VR_CP_SCRIPT_LEAVE,         /* leave a chat; the last member out deletes it */
	VR_CP_SCRIPT_LIST,          /* a user's chats with their metadata and sizes */
	VR_CP_SCRIPT_PRESENCE,      /* a chat's members and their presence */
	VR_CP_SCRIPT_PRESENCE_SET,  /* this process's presence field of a user, with its expiry; announce */
	VR_CP_SCRIPT_PRESENCE_GONE, /* drop this process's field; offline if no live field is left */
	VR_CP_SCRIPT_VOICE_CLAIM,   /* a user into a chat's voice room, placing the room */
	VR_CP_SCRIPT_VOICE_RELEASE, /* a user out of its voice room */
	VR_CP_SCRIPT_MAX
};

/* Most arguments (keys and values) a script call takes: the voice claim with every VIP. */
#define VR_CP_SCRIPT_ARGS_MAX 1024

/*
 * Connect to the Redis of cfg->cp_redis_url (redis://, rediss:// with TLS as
 * the cp_redis_tls_* settings say, unix://), subscribe to "vr:*" on a second
 * connection, and keep both up with exponential backoff from 100 ms to
 * cp_redis_reconnect_max_ms. A connection counts as up once Redis answered
 * on it (TLS handshake done, certificate verified); connecting, handshake
 * and that first answer get cp_redis_connect_timeout_ms.
 * @p cfg is read during the call only. The loop (cp->loop) must exist.
 * @return the store, or NULL with errno EINVAL (URL; a TLS CA file, client
 *         certificate or key that cannot be loaded) or ENOMEM, and a one-line
 *         reason in @p err (@p errlen bytes, NUL-terminated; may be 0).
 *         Loop thread only.
 */
struct vr_cp_store *vr_cp_store_new(struct vr_cp *cp, const struct vr_config *cfg, vr_cp_store_msg_cb on_msg,
				    vr_cp_store_up_cb on_up, char *err, size_t errlen);

/*
 * Close: what is queued on the command connection is still written and its
 * callbacks run with their replies (redisAsyncDisconnect), nothing new is
 * accepted; then both connections close and the store frees itself (the
 * loop must run for that). NULL ok.
 */
void vr_cp_store_free(struct vr_cp_store *s);

/* Whether the command connection is up (commands are refused at once otherwise). NULL: false. */
bool vr_cp_store_up(const struct vr_cp_store *s);

/*
 * Send one command (argv of argc strings with lengths; hiredis copies them
 * into its output buffer). @p cb NULL: the reply is not wanted.
 * @return 0 (cb will run), or -ENOTCONN when Redis is down, the store is
 *         closing or @p s is NULL (cb not called).
 */
int vr_cp_store_cmd(struct vr_cp_store *s, vr_cp_store_cb cb, void *arg, int argc, const char **argv,
		    const size_t *lens);

/* As vr_cp_store_cmd with printf-style hiredis format (no binary-unsafe %s: use %b). */
int vr_cp_store_cmdf(struct vr_cp_store *s, vr_cp_store_cb cb, void *arg, const char *fmt, ...);

/*
 * Run script @p id by EVALSHA: nkeys keys then the other arguments, argc
 * in all (at most VR_CP_SCRIPT_ARGS_MAX), with their lengths in @p lens or,
 * @p lens NULL, NUL-terminated (strlen). A Redis that lost the scripts
 * (SCRIPT FLUSH) fails the call with VR_CP_E_STORE_UNAVAILABLE and gets
 * them loaded again. Returns as vr_cp_store_cmd (-E2BIG: too many arguments).
 */
int vr_cp_store_script(struct vr_cp_store *s, enum vr_cp_script id, vr_cp_store_cb cb, void *arg, int nkeys,
		       int argc, const char **argv, const size_t *lens);

/*
 * The protocol error of a script's error reply (NOT_FOUND, FORBIDDEN,
 * NO_PORT, TAKEN, IN_VOICE; anything else is STORE_UNAVAILABLE), and in
 * @p msg (if not NULL) the message to send with it (NULL: the default).
 */
enum vr_cp_error vr_cp_store_error(const redisReply *r, const char **msg);

/* Whether @p r is the error reply @p tag of a script (Redis 7 may prefix "ERR "). */
bool vr_cp_store_is_error(const redisReply *r, const char *tag);

/*
 * The TLS client side of rediss:// (store_conn.c), made once per store:
 * the trust store (cfg->cp_redis_tls_ca_file, or the system's default), the
 * client certificate and key if given, verification on or off, and the name
 * to send as SNI and to verify (cfg->cp_redis_tls_server_name, or @p host).
 * @return the context, or NULL with errno EINVAL (a file that cannot be
 *         loaded, a key that is not the certificate's) or ENOMEM, and the
 *         reason in @p err (naming the configuration key). Any thread; the
 *         context is then used by the loop thread only.
 */
struct vr_cp_store_tls *vr_cp_store_tls_new(const struct vr_config *cfg, const char *host, char *err, size_t errlen);

/* Free a TLS context (connections made with it keep their own reference). NULL ok. */
void vr_cp_store_tls_free(struct vr_cp_store_tls *t);

/*
 * Start a connection to @p u attached to @p loop, ac->data = @p data; with
 * @p tls (not NULL) its TLS session is created and the handshake started
 * before anything is sent. Callbacks are the caller's to set.
 * @return the context (owned by the caller, as any hiredis async context),
 *         with in @p ssl its TLS session (NULL without TLS; owned by the
 *         context, valid as long as it is); or NULL with the reason in
 *         @p why (@p whylen bytes). Loop thread only.
 */
struct redisAsyncContext *vr_cp_store_connect(const struct vr_redis_url *u, struct vr_cp_store_tls *tls,
					      struct uv_loop_s *loop, void *data, struct ssl_st **ssl, char *why,
					      size_t whylen);

/*
 * Why the TLS session @p ssl of a connection that failed did not come up:
 * "TLS certificate verification failed: <reason>" or "TLS handshake
 * failed: <reason>", written to @p buf; NULL when TLS is not the cause (no
 * session, handshake done, or nothing recorded). Empties the thread's
 * OpenSSL error queue. Loop thread only.
 */
const char *vr_cp_store_tls_why(struct ssl_st *ssl, char *buf, size_t len);

/* The text of a script, for store.c. */
const char *vr_cp_script_text(enum vr_cp_script id);

#endif
