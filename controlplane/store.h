/* SPDX-License-Identifier: BSD-3-Clause */
/* Internal to voxrelay-cp: the Redis side (hiredis async on the process's libuv loop), its scripts and reconnection. */
#ifndef VOXRELAY_CP_STORE_H
#define VOXRELAY_CP_STORE_H

#include <stddef.h>

#include <hiredis/hiredis.h>

#include "voxrelay/cp_proto.h"

struct vr_cp;
struct vr_cp_store;

/*
 * Completion of a command or script: exactly once per accepted call. @p r
 * is the reply (NULL when err is set; a Redis error reply comes as
 * VR_CP_E_STORE_UNAVAILABLE only if the connection failed, otherwise as
 * r->type == REDIS_REPLY_ERROR for the caller to map). Owned by hiredis:
 * valid during the call only.
 */
typedef void (*vr_cp_store_cb)(struct vr_cp *cp, void *arg, redisReply *r, enum vr_cp_error err);

/* Called on every message of the pub/sub connection (channel, payload). */
typedef void (*vr_cp_store_msg_cb)(struct vr_cp *cp, const char *channel, const char *payload, size_t len);

/* Called when both connections are up again after either was lost. */
typedef void (*vr_cp_store_up_cb)(struct vr_cp *cp);

/* The Lua scripts (store_scripts.c). */
enum vr_cp_script {
	VR_CP_SCRIPT_APPEND,   /* XADD + PUBLISH of a chat event */
	VR_CP_SCRIPT_MODIFY,   /* edit / delete of one's own message */
	VR_CP_SCRIPT_HISTORY,  /* a page of messages, newest first, edits applied */
	VR_CP_SCRIPT_JOIN,     /* join (or create) a chat: metadata, member sets */
	VR_CP_SCRIPT_LIST,     /* a user's chats with their metadata and sizes */
	VR_CP_SCRIPT_PRESENCE, /* a chat's members and their presence */
	VR_CP_SCRIPT_MAX
};

/*
 * Connect to the Redis of @p url (redis://, rediss:// refused: ENOTSUP with
 * hiredis 0.14; unix://), subscribe to "vr:*" on a second connection, and
 * keep both up with exponential backoff from 100 ms to reconnect_max_ms.
 * @return the store, or NULL with errno EINVAL (URL) or ENOMEM.
 */
struct vr_cp_store *vr_cp_store_new(struct vr_cp *cp, const char *url, uint32_t connect_timeout_ms,
				    uint32_t reconnect_max_ms, vr_cp_store_msg_cb on_msg, vr_cp_store_up_cb on_up);

/* Disconnect and free; pending callbacks complete with VR_CP_E_STORE_UNAVAILABLE. NULL ok. */
void vr_cp_store_free(struct vr_cp_store *s);

/* Whether the command connection is up (commands are refused at once otherwise). */
bool vr_cp_store_up(const struct vr_cp_store *s);

/*
 * Send one command (argv of argc strings with lengths; copied).
 * @return 0 (cb will run), or -ENOTCONN when Redis is down (cb not called).
 */
int vr_cp_store_cmd(struct vr_cp_store *s, vr_cp_store_cb cb, void *arg, int argc, const char **argv,
		    const size_t *lens);

/* As vr_cp_store_cmd with printf-style hiredis format (no binary-unsafe %s: use %b). */
int vr_cp_store_cmdf(struct vr_cp_store *s, vr_cp_store_cb cb, void *arg, const char *fmt, ...);

/* Run script @p id by EVALSHA (EVAL again after a Redis restart forgot it). keys then args. */
int vr_cp_store_script(struct vr_cp_store *s, enum vr_cp_script id, vr_cp_store_cb cb, void *arg, int nkeys,
		       int argc, const char **argv, const size_t *lens);

/* The text of a script, for store.c. */
const char *vr_cp_script_text(enum vr_cp_script id);

#endif
