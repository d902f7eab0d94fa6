/* SPDX-License-Identifier: BSD-3-Clause */
/* resume: a reconnecting client names its session and the last message id it saw per chat, and receives what it missed from the streams. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cp_priv.h"
#include "events.h"

#define RESUME_MAX 1000 /* entries replayed per chat; more: the client pages with history */

struct replay {
	struct vr_cp_call *k; /* the resume request; the last replay answers it */
	char chat[VR_CP_CHAT_LEN];
	bool last;
};

static void replayed(struct vr_cp *cp, void *arg, redisReply *r, enum vr_cp_error err)
{
	struct replay *rp = arg;
	struct vr_cp_call *k = rp->k;

	(void)cp;
	if (!err && r && r->type == REDIS_REPLY_ARRAY && !k->c->dead) {
		for (size_t i = 0; i < r->elements; i++) {
			size_t len = 0;
			char *f = vr_cp_event_from_entry(rp->chat, r->element[i], &len);

			if (f) {
				vr_cp_send(k->c, f, len);
				json_integer_set(k->data, json_integer_value(k->data) + 1);
			}
		}
	}
	if (rp->last) {
		if (err)
			vr_cp_call_fail(k, err, NULL);
		else
			vr_cp_call_done(k, "resumed", json_pack("{s:s, s:I}", "sessionId", k->c->session_id, "replayed",
								 json_integer_value(k->data)));
	}
	free(rp);
}

static void session_checked(struct vr_cp *cp, void *arg, redisReply *r, enum vr_cp_error err)
{
	struct vr_cp_call *k = arg;
	struct vr_cp_conn *c = k->c;
	json_t *last_ids = json_object_get(k->data, "last_ids"), *v;
	const char *cid;
	struct replay *prev = NULL;

	if (vr_cp_call_store_failed(k, r, err))
		return;
	if (c->dead || !c->user || r->type != REDIS_REPLY_STRING || strcmp(r->str, c->user->id) != 0) {
		vr_cp_call_fail(k, VR_CP_E_SESSION_UNKNOWN, NULL);
		return;
	}
	snprintf(c->session_id, sizeof(c->session_id), "%.32s", k->aux);
	json_incref(last_ids);
	json_decref(k->data);
	k->data = json_integer(0);
	/* Replies come back in the order sent on one connection: the last replay answers. */
	json_object_foreach(last_ids, cid, v) {
		struct replay *rp;

		if (!json_is_string(v) || !vr_cp_msg_id_ok(json_string_value(v)) || !vr_cp_is_member(c->user, cid))
			continue;
		rp = calloc(1, sizeof(*rp));
		if (!rp)
			break;
		rp->k = k;
		snprintf(rp->chat, sizeof(rp->chat), "%s", cid);
		if (vr_cp_store_cmdf(cp->store, replayed, rp, "XRANGE vr:chat:%s:s (%s + COUNT %d", cid,
				     json_string_value(v), RESUME_MAX) != 0) {
			free(rp);
			break;
		}
		prev = rp;
	}
	json_decref(last_ids);
	if (prev) {
		prev->last = true;
		return;
	}
	vr_cp_call_done(k, "resumed", json_pack("{s:s, s:I}", "sessionId", c->session_id, "replayed", (json_int_t)0));
}

/* After the token: the user's chats are loaded (membership decides what is replayed). */
static void resume_loaded(struct vr_cp *cp, void *arg, redisReply *r, enum vr_cp_error err)
{
	struct vr_cp_call *k = arg;
	struct vr_cp_conn *c = k->c;

	if (!err && r && r->type == REDIS_REPLY_ARRAY && !c->dead && c->user) {
		for (size_t i = 0; i < r->elements; i++)
			if (r->element[i]->type == REDIS_REPLY_STRING)
				vr_cp_member_add(cp, c->user, r->element[i]->str);
		c->user->chats_loaded = true;
	}
	if (c->dead || !c->user) {
		vr_cp_call_fail(k, VR_CP_E_SESSION_UNKNOWN, NULL);
		return;
	}
	if (c->user->nconns == 1)
		vr_cp_presence_publish(cp, c->user, "online", true);
	if (vr_cp_store_cmdf(cp->store, session_checked, k, "GET vr:session:%s", k->aux) != 0)
		vr_cp_call_fail(k, VR_CP_E_STORE_UNAVAILABLE, NULL);
}

void vr_cp_h_resume(struct vr_cp_conn *c, struct vr_cp_request *req, unsigned type_idx)
{
	const char *tok = json_string_value(json_object_get(req->data, "token"));
	const char *sid = json_string_value(json_object_get(req->data, "session_id"));
	json_t *last = json_object_get(req->data, "last_ids");
	struct vr_cp_call *k;

	if (!tok || !sid || strlen(sid) != VR_CP_SID_LEN - 1 || (last && !json_is_object(last))) {
		vr_cp_send_error(c, VR_CP_E_BAD_REQUEST,
				 "data: token, session_id (32 hex digits) and last_ids ({chatId: messageId}) required",
				 req->id);
		return;
	}
	if (!vr_cp_authenticate(c, tok, req->id))
		return;
	k = vr_cp_call_new(c, req, type_idx);
	if (!k)
		return;
	snprintf(k->aux, sizeof(k->aux), "%s", sid);
	k->data = json_incref(req->data);
	if (c->user->chats_loaded) {
		resume_loaded(c->cp, k, NULL, VR_CP_E_NONE);
		return;
	}
	if (vr_cp_store_cmdf(c->cp->store, resume_loaded, k, "SMEMBERS vr:user:%s:chats", c->user->id) != 0)
		resume_loaded(c->cp, k, NULL, VR_CP_E_STORE_UNAVAILABLE);
}
