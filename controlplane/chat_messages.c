/* SPDX-License-Identifier: BSD-3-Clause */
/* Chat message requests: send_message (acknowledged once appended to Redis), edit_message, delete_message, history, typing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cp_priv.h"
#include "events.h"

#define HISTORY_DEFAULT 50
#define HISTORY_MAX 100

/* data.content: a string of 1..max_message_length code points; NULL with the error sent. jansson has
 * checked the UTF-8 and refused \u0000 (no JSON_ALLOW_NUL): only the count is left to do. */
static const char *content_of(struct vr_cp_conn *c, struct vr_cp_request *req, size_t *len)
{
	json_t *jc = json_object_get(req->data, "content");
	size_t points;
	char msg[96];

	if (!json_is_string(jc)) {
		vr_cp_send_error(c, VR_CP_E_BAD_REQUEST, "data.content: a string is required", req->id);
		return NULL;
	}
	*len = json_string_length(jc);
	points = vr_cp_utf8_count(json_string_value(jc), *len);
	if (points == 0) {
		vr_cp_send_error(c, VR_CP_E_EMPTY_MESSAGE, NULL, req->id);
		return NULL;
	}
	if (points > c->cp->cfg->cp_max_message_length) {
		snprintf(msg, sizeof(msg), "the message has %zu characters; at most %u are allowed", points,
			 c->cp->cfg->cp_max_message_length);
		vr_cp_send_error(c, VR_CP_E_MESSAGE_TOO_LONG, msg, req->id);
		return NULL;
	}
	return json_string_value(jc);
}

static void sent(struct vr_cp *cp, void *arg, redisReply *r, enum vr_cp_error err)
{
	struct vr_cp_call *k = arg;
	json_t *data;

	if (vr_cp_call_store_failed(k, r, err))
		return;
	if (r->type != REDIS_REPLY_STRING) {
		vr_cp_call_fail(k, VR_CP_E_INTERNAL, NULL);
		return;
	}
	vr_cp_count_second(cp, cp->st.messages_minute, 1);
	data = json_pack("{s:s, s:I, s:s}", "messageId", k->aux[0] ? k->aux : r->str, "timestamp",
			 (json_int_t)strtoll(r->str, NULL, 10), "chatId", k->chat);
	if (k->aux[0])
		json_object_set_new(data, "eventId", json_string(r->str));
	if (k->data)
		json_object_set(data, "clientMessageId", k->data);
	vr_cp_call_done(k, strcmp(cp->types[k->type_idx].type, "send_message") == 0 ? "message_sent"
		       : strcmp(cp->types[k->type_idx].type, "edit_message") == 0 ? "message_edit_ok"
										   : "message_delete_ok",
		       data);
}

/* What the chat scripts take of chat @p cid: its stream and edits hash, the stream's bound, its channel. */
struct chat_keys {
	char stream[96], edits[96], maxlen[16], channel[96];
};

static void keys_of(struct vr_cp *cp, const char *cid, struct chat_keys *ck)
{
	snprintf(ck->stream, sizeof(ck->stream), "vr:chat:%s:s", cid);
	snprintf(ck->edits, sizeof(ck->edits), "vr:chat:%s:e", cid);
	snprintf(ck->maxlen, sizeof(ck->maxlen), "%u", cp->cfg->cp_redis_stream_maxlen);
	snprintf(ck->channel, sizeof(ck->channel), "vr:chat:%s", cid);
}

/* The call of a chat write (send, edit, delete) in @p cid, with its keys in @p ck; NULL, with the error sent,
 * when the call or the event template (@p tpl, still the caller's) could not be made. */
static struct vr_cp_call *write_call(struct vr_cp_conn *c, struct vr_cp_request *req, unsigned type_idx,
				     const char *cid, const char *tpl, struct chat_keys *ck)
{
	struct vr_cp_call *k = vr_cp_call_new(c, req, type_idx);

	if (k && !tpl) {
		vr_cp_call_fail(k, VR_CP_E_INTERNAL, NULL);
		return NULL;
	}
	if (k) {
		snprintf(k->chat, sizeof(k->chat), "%s", cid);
		keys_of(c->cp, cid, ck);
	}
	return k;
}

void vr_cp_h_send_message(struct vr_cp_conn *c, struct vr_cp_request *req, unsigned type_idx)
{
	struct vr_cp *cp = c->cp;
	const char *cid = vr_cp_member_chat(c, req, "chatId"), *content;
	struct chat_keys ck;
	char *tpl;
	size_t clen, tlen = 0;
	json_t *cmid = json_object_get(req->data, "clientMessageId");
	struct vr_cp_call *k;

	if (!cid || !(content = content_of(c, req, &clen)))
		return;
	if (cmid && !(json_is_string(cmid) && json_string_length(cmid) <= 64) && !json_is_integer(cmid)) {
		vr_cp_send_error(c, VR_CP_E_BAD_REQUEST, "data.clientMessageId: a string of at most 64 bytes", req->id);
		return;
	}
	tpl = vr_cp_event_template("message", "messageId",
				   json_pack("{s:s, s:s, s:s%}", "chatId", cid, "userId", c->user->id, "content", content,
					     clen),
				   &tlen);
	k = write_call(c, req, type_idx, cid, tpl, &ck);
	if (k) {
		const char *argv[7] = {ck.stream, ck.maxlen, ck.channel, "m", c->user->id, content, tpl};
		size_t lens[7] = {strlen(ck.stream), strlen(ck.maxlen), strlen(ck.channel), 1, strlen(c->user->id),
				  clen, tlen};

		k->data = json_incref(cmid);
		if (vr_cp_store_script(cp->store, VR_CP_SCRIPT_APPEND, sent, k, 1, 7, argv, lens) != 0)
			vr_cp_call_fail(k, VR_CP_E_STORE_UNAVAILABLE, NULL);
	}
	free(tpl);
}

static void modify(struct vr_cp_conn *c, struct vr_cp_request *req, unsigned type_idx, bool del)
{
	struct vr_cp *cp = c->cp;
	const char *cid = vr_cp_member_chat(c, req, "chatId"), *content = "";
	const char *mid = json_string_value(json_object_get(req->data, "messageId"));
	struct chat_keys ck;
	char *tpl;
	size_t clen = 0, tlen = 0;
	struct vr_cp_call *k;
	json_t *rest;

	if (!cid)
		return;
	if (!mid || !vr_cp_msg_id_ok(mid)) {
		vr_cp_send_error(c, VR_CP_E_BAD_REQUEST, "data.messageId: a message id is required", req->id);
		return;
	}
	if (!del && !(content = content_of(c, req, &clen)))
		return;
	rest = del ? json_pack("{s:s, s:s, s:s}", "messageId", mid, "chatId", cid, "userId", c->user->id)
		   : json_pack("{s:s, s:s, s:s, s:s%}", "messageId", mid, "chatId", cid, "userId", c->user->id, "content",
			       content, clen);
	tpl = vr_cp_event_template(del ? "message_deleted" : "message_edited", "eventId", rest, &tlen);
	k = write_call(c, req, type_idx, cid, tpl, &ck);
	if (k) {
		const char *argv[9] = {ck.stream, ck.edits, ck.maxlen, ck.channel, del ? "d" : "e", c->user->id, mid,
				       content, tpl};
		size_t lens[9] = {strlen(ck.stream), strlen(ck.edits), strlen(ck.maxlen), strlen(ck.channel), 1,
				  strlen(c->user->id), strlen(mid), clen, tlen};

		snprintf(k->aux, sizeof(k->aux), "%s", mid);
		if (vr_cp_store_script(cp->store, VR_CP_SCRIPT_MODIFY, sent, k, 2, 9, argv, lens) != 0)
			vr_cp_call_fail(k, VR_CP_E_STORE_UNAVAILABLE, NULL);
	}
	free(tpl);
}

void vr_cp_h_edit_message(struct vr_cp_conn *c, struct vr_cp_request *req, unsigned type_idx)
{
	modify(c, req, type_idx, false);
}

void vr_cp_h_delete_message(struct vr_cp_conn *c, struct vr_cp_request *req, unsigned type_idx)
{
	modify(c, req, type_idx, true);
}

/* The HISTORY script's {messages, next}: next is where the next page starts when its scan bound stopped it short. */
static void history_done(struct vr_cp *cp, void *arg, redisReply *r, enum vr_cp_error err)
{
	struct vr_cp_call *k = arg;
	const redisReply *page, *cursor;
	json_t *msgs, *next;
	const char *last = NULL;
	size_t limit = (size_t)json_integer_value(k->data);

	(void)cp;
	if (vr_cp_call_store_failed(k, r, err))
		return;
	if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 || r->element[0]->type != REDIS_REPLY_ARRAY ||
	    r->element[1]->type != REDIS_REPLY_STRING) {
		vr_cp_call_fail(k, VR_CP_E_INTERNAL, NULL);
		return;
	}
	page = r->element[0];
	cursor = r->element[1];
	msgs = json_array();
	for (size_t i = 0; i < page->elements; i++) {
		const redisReply *e = page->element[i];
		json_t *m;

		if (e->type != REDIS_REPLY_ARRAY || e->elements != 4)
			continue;
		m = json_pack("{s:s, s:I, s:s, s:s}", "messageId", e->element[0]->str, "timestamp",
			      (json_int_t)strtoll(e->element[0]->str, NULL, 10), "userId", e->element[1]->str, "content",
			      e->element[2]->str ? e->element[2]->str : "");
		if (e->element[3]->str && e->element[3]->str[0])
			json_object_set_new(m, "editedAt", json_integer(strtoll(e->element[3]->str, NULL, 10)));
		json_array_append_new(msgs, m);
		last = e->element[0]->str;
	}
	if (cursor->len && vr_cp_msg_id_ok(cursor->str))
		next = json_string(cursor->str);
	else
		next = last && json_array_size(msgs) == limit ? json_string(last) : json_null();
	vr_cp_call_done(k, "history",
			json_pack("{s:s, s:o, s:o}", "chatId", k->chat, "messages", msgs, "next_before", next));
}

void vr_cp_h_history(struct vr_cp_conn *c, struct vr_cp_request *req, unsigned type_idx)
{
	const char *cid = vr_cp_member_chat(c, req, "chatId");
	const char *before = json_string_value(json_object_get(req->data, "before"));
	json_t *jl = json_object_get(req->data, "limit");
	json_int_t limit = jl ? json_integer_value(jl) : HISTORY_DEFAULT;
	struct chat_keys ck;
	char cursor[48], lim[8];
	struct vr_cp_call *k;

	if (!cid)
		return;
	if ((jl && !json_is_integer(jl)) || limit < 1 || limit > HISTORY_MAX) {
		vr_cp_send_error(c, VR_CP_E_BAD_REQUEST, "data.limit: an integer 1-100", req->id);
		return;
	}
	if (json_object_get(req->data, "before") && (!before || !vr_cp_msg_id_ok(before))) {
		vr_cp_send_error(c, VR_CP_E_BAD_REQUEST, "data.before: a message id", req->id);
		return;
	}
	k = vr_cp_call_new(c, req, type_idx);
	if (!k)
		return;
	snprintf(k->chat, sizeof(k->chat), "%s", cid);
	k->data = json_integer(limit);
	keys_of(c->cp, cid, &ck);
	snprintf(cursor, sizeof(cursor), before ? "(%s" : "+", before);
	snprintf(lim, sizeof(lim), "%d", (int)limit);
	{
		const char *argv[4] = {ck.stream, ck.edits, cursor, lim};

		if (vr_cp_store_script(c->cp->store, VR_CP_SCRIPT_HISTORY, history_done, k, 2, 4, argv, NULL) != 0)
			vr_cp_call_fail(k, VR_CP_E_STORE_UNAVAILABLE, NULL);
	}
}

void vr_cp_h_typing(struct vr_cp_conn *c, struct vr_cp_request *req, unsigned type_idx)
{
	const char *cid = vr_cp_member_chat(c, req, "chatId");
	json_t *jt = json_object_get(req->data, "typing");
	struct vr_cp_call *k;
	size_t len = 0;
	char *f;

	if (!cid)
		return;
	if (jt && !json_is_boolean(jt)) {
		vr_cp_send_error(c, VR_CP_E_BAD_REQUEST, "data.typing: true or false", req->id);
		return;
	}
	f = vr_cp_frame("typing", json_pack("{s:s, s:s, s:b}", "chatId", cid, "userId", c->user->id, "typing",
					     jt ? json_is_true(jt) : 1),
			NULL, &len);
	k = vr_cp_call_new(c, req, type_idx);
	if (!k) {
		free(f);
		return;
	}
	if (vr_cp_publish_chat(c->cp, cid, c->user->id, f, len) != 0)
		vr_cp_call_fail(k, VR_CP_E_STORE_UNAVAILABLE, NULL);
	else
		vr_cp_call_done(k, "typing_ok", json_pack("{s:s}", "chatId", cid));
}
