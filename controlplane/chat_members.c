/* SPDX-License-Identifier: BSD-3-Clause */
/* Chat membership requests: create_chat, join_chat, switch_chat, leave_chat, list_chats. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cp_priv.h"

#define CREATE_MAX_MEMBERS 100
#define NAME_MAX_POINTS 100

bool vr_cp_chat_id_ok(const char *id)
{
	size_t n = strlen(id);

	if (n == 0 || n >= VR_CP_CHAT_LEN)
		return false;
	for (size_t i = 0; i < n; i++) {
		char ch = id[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_' ||
		      ch == '-' || ch == '.' || ch == ':'))
			return false;
	}
	return true;
}

bool vr_cp_msg_id_ok(const char *id)
{
	const char *p = id;
	int parts = 0;

	for (;;) {
		const char *q = p;

		while (*q >= '0' && *q <= '9')
			q++;
		if (q == p || q - p > 20)
			return false;
		parts++;
		if (*q == 0)
			return parts == 2;
		if (*q != '-' || parts == 2)
			return false;
		p = q + 1;
	}
}

int vr_cp_publish_chat(struct vr_cp *cp, const char *chat, const char *skip, char *frame, size_t len)
{
	/* "<skip>\n<no stream id>\n<frame>" as one argument: hiredis splits the format at spaces only */
	int rc = frame ? vr_cp_store_cmdf(cp->store, NULL, NULL, "PUBLISH vr:chat:%s %s\n\n%b", chat, skip, frame, len)
		       : -1;

	free(frame);
	return rc;
}

int vr_cp_publish_user(struct vr_cp *cp, const char *user, const char *op, const char *chat)
{
	char payload[16 + VR_CP_CHAT_LEN];
	int n = snprintf(payload, sizeof(payload), "%s %s", op, chat);

	return vr_cp_store_cmdf(cp->store, NULL, NULL, "PUBLISH vr:user:%s %b", user, payload, (size_t)n);
}

static json_t *chat_json(const char *cid, const redisReply *meta, long long members)
{
	json_t *o = json_pack("{s:s, s:I}", "id", cid, "members", (json_int_t)members);

	for (size_t i = 0; meta && meta->type == REDIS_REPLY_ARRAY && i + 1 < meta->elements; i += 2)
		if (meta->element[i]->type == REDIS_REPLY_STRING && meta->element[i + 1]->type == REDIS_REPLY_STRING)
			json_object_set_new(o, meta->element[i]->str, json_string(meta->element[i + 1]->str));
	return o;
}

/* JOIN script: KEYS meta, members, user's chats; ARGV cid, uid, create, name, type, now. */
static int run_join(struct vr_cp *cp, vr_cp_store_cb cb, void *arg, const char *cid, const char *uid, bool create,
		    const char *name, const char *type)
{
	char k1[96], k2[96], k3[VR_CP_ID_LEN + 24], now[24];
	const char *argv[9] = {k1, k2, k3, cid, uid, create ? "1" : "0", name, type, now};

	snprintf(k1, sizeof(k1), "vr:chat:%s:meta", cid);
	snprintf(k2, sizeof(k2), "vr:chat:%s:members", cid);
	snprintf(k3, sizeof(k3), "vr:user:%s:chats", uid);
	snprintf(now, sizeof(now), "%lld", (long long)vr_cp_wall_ms());
	return vr_cp_store_script(cp->store, VR_CP_SCRIPT_JOIN, cb, arg, 3, 9, argv, NULL);
}

/* A join succeeded: index it here; if it made the user a member, tell the user's connections everywhere and the chat. */
static json_t *joined(struct vr_cp_call *k, const redisReply *r)
{
	struct vr_cp_conn *c = k->c;
	struct vr_cp *cp = c->cp;
	json_t *chat = chat_json(k->chat, r->element[1], r->element[2]->integer);
	size_t len = 0;
	char *f;

	if (!c->dead && c->user)
		vr_cp_member_add(cp, c->user, k->chat);
	if (r->element[0]->integer != 1)
		return chat;
	vr_cp_publish_user(cp, k->aux, "join", k->chat);
	f = vr_cp_frame("member_joined", json_pack("{s:s, s:s}", "chatId", k->chat, "userId", k->aux), NULL, &len);
	vr_cp_publish_chat(cp, k->chat, k->aux, f, len);
	return chat;
}

static bool join_reply_ok(const redisReply *r)
{
	return r->type == REDIS_REPLY_ARRAY && r->elements == 3 && r->element[0]->type == REDIS_REPLY_INTEGER &&
	       r->element[2]->type == REDIS_REPLY_INTEGER;
}

static void join_done(struct vr_cp *cp, void *arg, redisReply *r, enum vr_cp_error err)
{
	struct vr_cp_call *k = arg;

	(void)cp;
	if (vr_cp_call_store_failed(k, r, err))
		return;
	if (!join_reply_ok(r)) {
		vr_cp_call_fail(k, VR_CP_E_INTERNAL, NULL);
		return;
	}
	vr_cp_call_done(k, "chat_joined", json_pack("{s:o}", "chat", joined(k, r)));
}

void vr_cp_h_join_chat(struct vr_cp_conn *c, struct vr_cp_request *req, unsigned type_idx)
{
	const char *type = json_string_value(json_object_get(req->data, "chatType"));
	const char *cid = json_string_value(json_object_get(req->data, "chatId"));
	struct vr_cp_call *k;

	if (!c->user) {
		vr_cp_auth_in_join(c, req, type_idx);
		return;
	}
	if (!type || !vr_cp_chat_id_ok(type)) {
		vr_cp_send_error(c, VR_CP_E_BAD_REQUEST, "data.chatType: a name of 1-64 letters, digits, _ - . :", req->id);
		return;
	}
	if (cid && !vr_cp_chat_id_ok(cid)) {
		vr_cp_send_error(c, VR_CP_E_BAD_REQUEST, "data.chatId: 1-64 letters, digits, _ - . :", req->id);
		return;
	}
	k = vr_cp_call_new(c, req, type_idx);
	if (!k)
		return;
	/* Without an id: the chat type's public chat, created by its first member. */
	snprintf(k->chat, sizeof(k->chat), "%s", cid ? cid : type);
	snprintf(k->aux, sizeof(k->aux), "%s", c->user->id);
	if (run_join(c->cp, join_done, k, k->chat, c->user->id, !cid, type, type) != 0)
		vr_cp_call_fail(k, VR_CP_E_STORE_UNAVAILABLE, NULL);
}

static void add_member_done(struct vr_cp *cp, void *arg, redisReply *r, enum vr_cp_error err)
{
	char *cid_uid = arg; /* "<cid>\n<uid>" */
	char *nl = strchr(cid_uid, '\n');

	if (!err && r && join_reply_ok(r) && r->element[0]->integer == 1 && nl) {
		*nl = 0;
		vr_cp_publish_user(cp, nl + 1, "join", cid_uid);
	}
	free(cid_uid);
}

static void create_done(struct vr_cp *cp, void *arg, redisReply *r, enum vr_cp_error err)
{
	struct vr_cp_call *k = arg;
	json_t *members = json_object_get(k->data, "members"), *m;
	size_t i;

	if (vr_cp_call_store_failed(k, r, err))
		return;
	if (!join_reply_ok(r)) {
		vr_cp_call_fail(k, VR_CP_E_INTERNAL, NULL);
		return;
	}
	json_array_foreach(members, i, m) {
		const char *uid = json_string_value(m);
		size_t n = strlen(k->chat) + strlen(uid) + 2;
		char *arg2 = malloc(n);

		if (!arg2 || strcmp(uid, k->aux) == 0) {
			free(arg2);
			continue;
		}
		snprintf(arg2, n, "%s\n%s", k->chat, uid);
		if (run_join(cp, add_member_done, arg2, k->chat, uid, false, "", "") != 0)
			free(arg2);
	}
	vr_cp_call_done(k, "chat_created", json_pack("{s:o}", "chat", joined(k, r)));
}

void vr_cp_h_create_chat(struct vr_cp_conn *c, struct vr_cp_request *req, unsigned type_idx)
{
	const char *name = json_string_value(json_object_get(req->data, "name"));
	json_t *jt = json_object_get(req->data, "chatType"), *members = json_object_get(req->data, "members"), *m;
	const char *type = jt ? json_string_value(jt) : "group";
	char id[17];
	struct vr_cp_call *k;
	size_t points, i;

	points = name ? vr_cp_utf8_count(name, strlen(name)) : 0;
	if (points < 1 || points > NAME_MAX_POINTS) {
		vr_cp_send_error(c, VR_CP_E_BAD_REQUEST, "data.name: 1-100 characters", req->id);
		return;
	}
	if (!type || !vr_cp_chat_id_ok(type)) {
		vr_cp_send_error(c, VR_CP_E_BAD_REQUEST, "data.chatType: a name of 1-64 letters, digits, _ - . :", req->id);
		return;
	}
	if (members && (!json_is_array(members) || json_array_size(members) > CREATE_MAX_MEMBERS)) {
		vr_cp_send_error(c, VR_CP_E_BAD_REQUEST, "data.members: an array of at most 100 user ids", req->id);
		return;
	}
	json_array_foreach(members, i, m) {
		if (!json_is_string(m) || json_string_length(m) == 0 || json_string_length(m) >= VR_CP_ID_LEN) {
			vr_cp_send_error(c, VR_CP_E_BAD_REQUEST, "data.members: user ids are strings of 1-128 bytes",
					 req->id);
			return;
		}
	}
	if (vr_cp_random_hex(id, 8) != 0) {
		vr_cp_send_error(c, VR_CP_E_INTERNAL, NULL, req->id);
		return;
	}
	k = vr_cp_call_new(c, req, type_idx);
	if (!k)
		return;
	snprintf(k->chat, sizeof(k->chat), "%s", id);
	snprintf(k->aux, sizeof(k->aux), "%s", c->user->id);
	k->data = json_incref(req->data);
	if (run_join(c->cp, create_done, k, k->chat, c->user->id, true, name, type) != 0)
		vr_cp_call_fail(k, VR_CP_E_STORE_UNAVAILABLE, NULL);
}

/* Only checked and acknowledged: every request names its chat, the server keeps no current one. */
void vr_cp_h_switch_chat(struct vr_cp_conn *c, struct vr_cp_request *req, unsigned type_idx)
{
	const char *cid = vr_cp_member_chat(c, req, "chatId");
	struct vr_cp_call *k;

	if (!cid)
		return;
	k = vr_cp_call_new(c, req, type_idx);
	if (k)
		vr_cp_call_done(k, "chat_switched", json_pack("{s:s}", "chatId", cid));
}

static void leave_done(struct vr_cp *cp, void *arg, redisReply *r, enum vr_cp_error err)
{
	struct vr_cp_call *k = arg;
	size_t len = 0;
	char *f;

	if (vr_cp_call_store_failed(k, r, err))
		return;
	if (!k->c->dead && k->c->user)
		vr_cp_member_remove(cp, k->c->user, k->chat);
	vr_cp_publish_user(cp, k->aux, "leave", k->chat);
	f = vr_cp_frame("member_left", json_pack("{s:s, s:s}", "chatId", k->chat, "userId", k->aux), NULL, &len);
	vr_cp_publish_chat(cp, k->chat, k->aux, f, len);
	vr_cp_call_done(k, "chat_left", json_pack("{s:s}", "chatId", k->chat));
}

void vr_cp_h_leave_chat(struct vr_cp_conn *c, struct vr_cp_request *req, unsigned type_idx)
{
	const char *cid = vr_cp_member_chat(c, req, "chatId");
	char k1[96], k2[VR_CP_ID_LEN + 24], k3[96], k4[96], k5[96];
	const char *argv[7] = {k1, k2, k3, k4, k5, c->user->id, cid};
	struct vr_cp_call *k;

	if (!cid)
		return;
	k = vr_cp_call_new(c, req, type_idx);
	if (!k)
		return;
	snprintf(k->chat, sizeof(k->chat), "%s", cid);
	snprintf(k->aux, sizeof(k->aux), "%s", c->user->id);
	/* LEAVE script: KEYS members, user's chats, meta, stream, edits; ARGV uid, cid */
	snprintf(k1, sizeof(k1), "vr:chat:%s:members", cid);
	snprintf(k2, sizeof(k2), "vr:user:%s:chats", c->user->id);
	snprintf(k3, sizeof(k3), "vr:chat:%s:meta", cid);
	snprintf(k4, sizeof(k4), "vr:chat:%s:s", cid);
	snprintf(k5, sizeof(k5), "vr:chat:%s:e", cid);
	if (vr_cp_store_script(c->cp->store, VR_CP_SCRIPT_LEAVE, leave_done, k, 5, 7, argv, NULL) != 0)
		vr_cp_call_fail(k, VR_CP_E_STORE_UNAVAILABLE, NULL);
}

static void list_done(struct vr_cp *cp, void *arg, redisReply *r, enum vr_cp_error err)
{
	struct vr_cp_call *k = arg;
	json_t *chats;

	(void)cp;
	if (vr_cp_call_store_failed(k, r, err))
		return;
	chats = json_array();
	for (size_t i = 0; r->type == REDIS_REPLY_ARRAY && i < r->elements; i++) {
		const redisReply *e = r->element[i];

		if (e->type == REDIS_REPLY_ARRAY && e->elements == 3 && e->element[0]->type == REDIS_REPLY_STRING)
			json_array_append_new(chats, chat_json(e->element[0]->str, e->element[1], e->element[2]->integer));
	}
	vr_cp_call_done(k, "chats", json_pack("{s:o}", "chats", chats));
}

void vr_cp_h_list_chats(struct vr_cp_conn *c, struct vr_cp_request *req, unsigned type_idx)
{
	struct vr_cp_call *k = vr_cp_call_new(c, req, type_idx);
	char key[VR_CP_ID_LEN + 24];
	const char *argv[1] = {key};

	if (!k)
		return;
	snprintf(key, sizeof(key), "vr:user:%s:chats", c->user->id);
	if (vr_cp_store_script(c->cp->store, VR_CP_SCRIPT_LIST, list_done, k, 1, 1, argv, NULL) != 0)
		vr_cp_call_fail(k, VR_CP_E_STORE_UNAVAILABLE, NULL);
}
