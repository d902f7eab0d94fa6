/* SPDX-License-Identifier: BSD-3-Clause */
/* resume: a reconnecting client names its session and the last message id it saw per chat, and receives what it missed from the streams, then the live events. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cp_priv.h"
#include "events.h"

#define RESUME_MAX 1000 /* entries replayed per chat; more: the client pages with history */

/*
 * From authentication until the replay is done the connection holds its
 * live frames (vr_cp_deliver_conn): a live event could otherwise come
 * before older replayed ones, or twice. k->data is {chat: newest id the
 * replay covers}, starting at the client's last_ids: held frames of those
 * chats at or before it were replayed (or seen) and are dropped.
 */

struct replay {
	struct vr_cp_call *k; /* the resume request; the last replay answers it */
	char chat[VR_CP_CHAT_LEN];
	bool last;
	json_int_t *count;    /* entries replayed, shared by the request's replays */
};

static bool replayed_already(void *arg, const char *chat, const char *id)
{
	const char *upto = json_string_value(json_object_get(arg, chat));

	return upto && vr_cp_msg_id_cmp(id, upto) <= 0;
}

/* The resume is over (answered): the held live frames follow, less what the replay sent. */
static void resume_end(struct vr_cp_call *k, const char *type, json_t *data, enum vr_cp_error e)
{
	struct vr_cp_conn *c = k->c;
	json_t *seen = e ? NULL : json_incref(k->data); /* k->data is {chat: id} once the session checked out */
	bool alive = !c->dead; /* a dead connection is freed with its last call */

	if (e) {
		vr_cp_call_fail(k, e, NULL);
		/* still authenticated (docs/protocol.md): the chat list a client would have had from auth */
		if (e == VR_CP_E_SESSION_UNKNOWN && alive && c->user)
			vr_cp_send_json(c, "ready", vr_cp_ready_json(c, false), NULL);
	} else {
		vr_cp_call_done(k, type, data);
	}
	if (alive)
		vr_cp_unhold(c, seen ? replayed_already : NULL, seen);
	json_decref(seen);
}

static void replayed(struct vr_cp *cp, void *arg, redisReply *r, enum vr_cp_error err)
{
	struct replay *rp = arg;
	struct vr_cp_call *k = rp->k;

	(void)cp;
	if (!err && r && r->type == REDIS_REPLY_ARRAY && !k->c->dead) {
		for (size_t i = 0; i < r->elements; i++) {
			const redisReply *e = r->element[i];
			size_t len = 0;
			char *f = vr_cp_event_from_entry(rp->chat, e, &len);

			if (!f)
				continue;
			vr_cp_send(k->c, f, len);
			json_object_set_new(k->data, rp->chat, json_string(e->element[0]->str));
			(*rp->count)++;
		}
	}
	if (rp->last) {
		json_int_t n = *rp->count;

		free(rp->count);
		if (err)
			resume_end(k, NULL, NULL, err);
		else
			resume_end(k, "resumed", json_pack("{s:s, s:I}", "sessionId", k->c->session_id, "replayed", n),
				   VR_CP_E_NONE);
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
	json_int_t *count;

	if (err || (r && r->type == REDIS_REPLY_ERROR)) {
		resume_end(k, NULL, NULL, err ? err : vr_cp_store_error(r, NULL));
		return;
	}
	if (c->dead || !c->user || r->type != REDIS_REPLY_STRING || strcmp(r->str, c->user->id) != 0) {
		resume_end(k, NULL, NULL, VR_CP_E_SESSION_UNKNOWN);
		return;
	}
	snprintf(c->session_id, sizeof(c->session_id), "%.32s", k->aux);
	json_incref(last_ids);
	json_decref(k->data);
	k->data = json_object();
	count = calloc(1, sizeof(*count));
	if (!k->data || !count) {
		free(count);
		json_decref(last_ids);
		resume_end(k, NULL, NULL, VR_CP_E_INTERNAL);
		return;
	}
	/* Replies come back in the order sent on one connection: the last replay answers. */
	json_object_foreach(last_ids, cid, v) {
		struct replay *rp;

		if (!json_is_string(v) || !vr_cp_msg_id_ok(json_string_value(v)) || !vr_cp_is_member(cp, c->user, cid))
			continue;
		json_object_set(k->data, cid, v);
		rp = calloc(1, sizeof(*rp));
		if (!rp)
			break;
		rp->k = k;
		rp->count = count;
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
	free(count);
	resume_end(k, "resumed", json_pack("{s:s, s:I}", "sessionId", c->session_id, "replayed", (json_int_t)0),
		   VR_CP_E_NONE);
}

/* After the token: the user's chats are loaded (membership decides what is replayed). */
static void resume_loaded(struct vr_cp_call *k, enum vr_cp_error err)
{
	struct vr_cp_conn *c = k->c;

	(void)err; /* without the chat list nothing is replayed; the session check says whether Redis answers */
	if (c->dead || !c->user) {
		resume_end(k, NULL, NULL, VR_CP_E_SESSION_UNKNOWN);
		return;
	}
	if (vr_cp_store_cmdf(c->cp->store, session_checked, k, "GET vr:session:%s", k->aux) != 0)
		resume_end(k, NULL, NULL, VR_CP_E_STORE_UNAVAILABLE);
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
	/* from now on the user's chats deliver to this connection: hold that until the replay is done */
	c->holding = true;
	k = vr_cp_call_new(c, req, type_idx);
	if (!k) {
		vr_cp_unhold(c, NULL, NULL);
		return;
	}
	snprintf(k->aux, sizeof(k->aux), "%s", sid);
	k->data = json_incref(req->data);
	vr_cp_chats_load(k, resume_loaded);
}
