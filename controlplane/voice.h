/* SPDX-License-Identifier: BSD-3-Clause */
/* Internal to voxrelay-cp's voice signalling: the clients of the relays' control sockets (voice_ctl.c) as voice.c uses them. */
#ifndef VOXRELAY_CP_VOICE_H
#define VOXRELAY_CP_VOICE_H

#include <jansson.h>
#include <uv.h>

#include "voxrelay/config.h"

/* An answer must come this soon, or the request fails (and the client gets VOICE_UNAVAILABLE). */
#define VR_CP_RELAY_TIMEOUT_MS 2000
/* Requests waiting for one relay beyond this are refused at once rather than all timing out late. */
#define VR_CP_RELAY_QUEUE_MAX 256

struct vr_cp_relay;

/*
 * Completion of one relay request, exactly once: @p resp is the relay's
 * answer line ({"ok":true,"result":...} or {"ok":false,"error":{code,message}}),
 * or NULL when none came, with @p why saying so. Both borrowed: valid
 * during the call only. The callback may queue further requests.
 */
typedef void vr_cp_relay_cb(void *arg, json_t *resp, const char *why);

/* A client of the relay @p cfg on @p loop (nothing connects until a request). NULL on ENOMEM. */
struct vr_cp_relay *vr_cp_relay_new(uv_loop_t *loop, const struct vr_cfg_cp_relay *cfg);

/* Free an idle client (no request queued, no connection left). NULL ok. */
void vr_cp_relay_free(struct vr_cp_relay *r);

/* The relay's address (a balancer backend address) and its text. */
const struct vr_addr *vr_cp_relay_addr(const struct vr_cp_relay *r);
const char *vr_cp_relay_name(const struct vr_cp_relay *r);

/*
 * Queue {"id","op","args"} for the relay; steals @p args (NULL: {}).
 * Requests go one at a time, in order, on one connection that is opened
 * for the first and closed when the queue is empty.
 * @return 0 (@p cb will run, possibly before this returns), or -1 (queue
 *         full or ENOMEM; @p cb not called).
 */
int vr_cp_relay_call(struct vr_cp_relay *r, const char *op, json_t *args, vr_cp_relay_cb *cb, void *arg);

/* The errno name of a refusal ("EEXIST"), "" for success, NULL without an answer. */
const char *vr_cp_relay_error(const json_t *resp);

#endif
