/* SPDX-License-Identifier: BSD-3-Clause */
/* Sessions: auth (JWT, also inside join_chat), the user's chat list and its online announcement, heartbeats, presence. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cp_priv.h"

#define SESSION_TTL_S 86400

/* "<uid>\n<status>\n<chat> <chat>...": receivers tell their members of those chats. */
static char *presence_payload(const struct vr_cp_user *u, const char *status)
{
	size_t cap = 64 + strlen(u->id) + HASH_CNT(hh_user, u->chats) * VR_CP_CHAT_LEN, off;
	struct vr_cp_member *m, *tmp;
	char *p = malloc(cap);

	if (!p)
		return NULL;
	off = (size_t)snprintf(p, cap, "%s\n%s\n", u->id, status);
	HASH_ITER(hh_user, u->chats, m, tmp)
		off += (size_t)snprintf(p + off, cap - off, "%s ", m->chat->id);
	return p;
}

/* One presence script on the user's hash: KEYS vr:presence:<uid>; ARGV this process, then @p argv (at most 4). */
static int presence_script(struct vr_cp *cp, enum vr_cp_script id, const struct vr_cp_user *u, int argc,
			   const char **argv)
{
	char key[VR_CP_ID_LEN + 16];
	const char *av[6] = {key, cp->proc_id};

	snprintf(key, sizeof(key), "vr:presence:%s", u->id);
	for (int i = 0; i < argc && i < 4; i++)
		av[2 + i] = argv[i];
	return vr_cp_store_script(cp->store, id, NULL, NULL, 1, 2 + argc, av, NULL);
}

int vr_cp_presence_publish(struct vr_cp *cp, struct vr_cp_user *u, const char *status, bool announce)
{
	char *payload = announce ? presence_payload(u, status) : NULL;
	char ttl[16];
	const char *argv[3] = {status, ttl, payload ? payload : ""};
	int rc;

	snprintf(ttl, sizeof(ttl), "%u", cp->cfg->cp_presence_ttl_ms);
	rc = presence_script(cp, VR_CP_SCRIPT_PRESENCE_SET, u, 3, argv);
	if (rc == 0)
		u->presence_ms = vr_cp_now_ms();
	free(payload);
	return rc;
}

/* Offline only if no process has the user any more (a field past its expiry is a dead process's). */
void vr_cp_user_gone(struct vr_cp *cp, struct vr_cp_user *u)
{
	char *payload = presence_payload(u, "offline");
	const char *argv[1] = {payload};

	vr_cp_voice_gone(cp, u);
	if (payload)
		presence_script(cp, VR_CP_SCRIPT_PRESENCE_GONE, u, 1, argv);
	free(payload);
}

/* ---- auth ---- */

json_t *vr_cp_ready_json(struct vr_cp_conn *c, bool degraded)
{
	json_t *chats = json_array();
	struct vr_cp_member *m, *tmp;

	if (c->user)
		HASH_ITER(hh_user, c->user->chats, m, tmp)
			json_array_append_new(chats, json_string(m->chat->id));
	return json_pack("{s:s, s:s, s:I, s:o, s:b}", "userId", c->user ? c->user->id : "", "sessionId", c->session_id,
			 "heartbeat_interval", (json_int_t)c->cp->cfg->cp_heartbeat_interval_ms, "chats", chats,
			 "degraded", degraded);
}

static void chats_loaded(struct vr_cp *cp, void *arg, redisReply *r, enum vr_cp_error err)
{
	struct vr_cp_call *k = arg;
	struct vr_cp_conn *c = k->c;
	struct vr_cp_user *u = c->dead ? NULL : c->user;

	if (u && !err && r && r->type == REDIS_REPLY_ARRAY) {
		for (size_t i = 0; i < r->elements; i++)
			if (r->element[i]->type == REDIS_REPLY_STRING && vr_cp_chat_id_ok(r->element[i]->str))
				vr_cp_member_add(cp, u, r->element[i]->str);
		u->chats_loaded = true;
	}
	/* The user's 0 -> 1 connections here: announced once, by whichever of
	 * its connections gets here first (the user is freed at 1 -> 0). */
	if (u && !u->announced)
		u->announced = vr_cp_presence_publish(cp, u, u->status, true) == 0;
	k->next(k, err);
}

void vr_cp_chats_load(struct vr_cp_call *k, void (*next)(struct vr_cp_call *k, enum vr_cp_error err))
{
	struct vr_cp_conn *c = k->c;

	k->next = next;
	if (c->user->chats_loaded) {
		chats_loaded(c->cp, k, NULL, VR_CP_E_NONE);
		return;
	}
	if (vr_cp_store_cmdf(c->cp->store, chats_loaded, k, "SMEMBERS vr:user:%s:chats", c->user->id) != 0)
		chats_loaded(c->cp, k, NULL, VR_CP_E_STORE_UNAVAILABLE);
}

/* Verify the token and attach the connection to its user; false if refused (reply sent). */
bool vr_cp_authenticate(struct vr_cp_conn *c, const char *token, const json_t *id)
{
	struct vr_cp *cp = c->cp;
	struct vr_jwt_claims claims;
	enum vr_jwt_error je;
	struct vr_cp_user *u;

	if (c->user) {
		vr_cp_send_error(c, VR_CP_E_ALREADY_AUTHENTICATED, NULL, id);
		return false;
	}
	je = vr_jwt_verify(token, strlen(token), cp->keys, cp->nkeys, (int64_t)time(NULL),
			   (int64_t)(cp->cfg->cp_auth_leeway_ms / 1000), cp->cfg->cp_auth_require_exp, &claims);
	if (je != VR_JWT_OK) {
		vr_cp_send_error(c, VR_CP_E_AUTH_FAILED, vr_jwt_error_name(je), id);
		vr_cp_close(c, VR_CP_CLOSE_AUTH_FAILED, vr_jwt_error_name(je));
		return false;
	}
	u = vr_cp_user_get(cp, claims.sub, false);
	if (u && u->nconns >= cp->cfg->cp_max_connections_per_user) {
		cp->st.connections_rejected_user++;
		vr_cp_send_error(c, VR_CP_E_TOO_MANY_CONNECTIONS, NULL, id);
		vr_cp_close(c, VR_CP_CLOSE_POLICY, "Too many connections for user");
		return false;
	}
	u = vr_cp_user_get(cp, claims.sub, true);
	if (!u) {
		vr_cp_send_error(c, VR_CP_E_INTERNAL, NULL, id);
		return false;
	}
	vr_cp_user_attach(u, c);
	vr_cp_store_cmdf(cp->store, NULL, NULL, "SET vr:session:%s %s EX %d", c->session_id, u->id, SESSION_TTL_S);
	return true;
}

static void auth_ready(struct vr_cp_call *k, enum vr_cp_error err)
{
	struct vr_cp_conn *c = k->c;

	if (k->data) {
		/* join_chat with its token: the join runs now, its reply is the answer */
		struct vr_cp_request req = {.type = "join_chat", .data = k->data, .id = k->id};

		if (!c->dead && c->user)
			vr_cp_h_join_chat(c, &req, k->type_idx);
		vr_cp_call_done(k, NULL, NULL);
		return;
	}
	vr_cp_call_done(k, "ready", vr_cp_ready_json(c, err != VR_CP_E_NONE));
}

void vr_cp_after_auth(struct vr_cp_conn *c, const struct vr_cp_request *req, unsigned type_idx, json_t *join)
{
	struct vr_cp_call *k = vr_cp_call_new(c, req, type_idx);

	if (!k) {
		json_decref(join);
		return;
	}
	k->data = join;
	vr_cp_chats_load(k, auth_ready);
}

void vr_cp_h_auth(struct vr_cp_conn *c, struct vr_cp_request *req, unsigned type_idx)
{
	json_t *tok = json_object_get(req->data, "token");

	if (!json_is_string(tok)) {
		vr_cp_send_error(c, VR_CP_E_BAD_REQUEST, "data.token: a string is required", req->id);
		return;
	}
	if (vr_cp_authenticate(c, json_string_value(tok), req->id))
		vr_cp_after_auth(c, req, type_idx, NULL);
}

/* join_chat before auth: existing clients put the token in it. */
void vr_cp_auth_in_join(struct vr_cp_conn *c, struct vr_cp_request *req, unsigned type_idx)
{
	json_t *tok = json_object_get(req->data, "token");

	if (!json_is_string(tok)) {
		vr_cp_send_error(c, VR_CP_E_NOT_AUTHENTICATED, NULL, req->id);
		return;
	}
	if (vr_cp_authenticate(c, json_string_value(tok), req->id))
		vr_cp_after_auth(c, req, type_idx, json_incref(req->data));
}

/* Presence is refreshed by the process's timer (main.c), whatever the client sends. */
void vr_cp_h_heartbeat(struct vr_cp_conn *c, struct vr_cp_request *req, unsigned type_idx)
{
	struct vr_cp_call *k = vr_cp_call_new(c, req, type_idx);

	if (k)
		vr_cp_call_done(k, "heartbeat_ack", json_pack("{s:I}", "timestamp", (json_int_t)vr_cp_wall_ms()));
}

void vr_cp_h_set_status(struct vr_cp_conn *c, struct vr_cp_request *req, unsigned type_idx)
{
	const char *st = json_string_value(json_object_get(req->data, "status"));
	struct vr_cp_call *k;

	if (!st || (strcmp(st, "online") != 0 && strcmp(st, "idle") != 0)) {
		vr_cp_send_error(c, VR_CP_E_BAD_REQUEST, "data.status: \"online\" or \"idle\"", req->id);
		return;
	}
	snprintf(c->user->status, sizeof(c->user->status), "%s", st);
	vr_cp_presence_publish(c->cp, c->user, st, true);
	k = vr_cp_call_new(c, req, type_idx);
	if (k)
		vr_cp_call_done(k, "status_set", json_pack("{s:s}", "status", st));
}

static void presence_reply(struct vr_cp *cp, void *arg, redisReply *r, enum vr_cp_error err)
{
	struct vr_cp_call *k = arg;
	json_t *users;

	(void)cp;
	if (vr_cp_call_store_failed(k, r, err))
		return;
	users = json_array();
	for (size_t i = 0; r->type == REDIS_REPLY_ARRAY && i < r->elements; i++) {
		redisReply *e = r->element[i];

		if (e->type == REDIS_REPLY_ARRAY && e->elements == 2)
			json_array_append_new(users, json_pack("{s:s, s:s}", "userId", e->element[0]->str, "status",
							       e->element[1]->str));
	}
	vr_cp_call_done(k, "presence", json_pack("{s:s, s:o}", "chatId", k->chat, "users", users));
}

void vr_cp_h_presence(struct vr_cp_conn *c, struct vr_cp_request *req, unsigned type_idx)
{
	const char *chat = vr_cp_member_chat(c, req, "chatId");
	struct vr_cp_call *k;
	char key[VR_CP_CHAT_LEN + 24];
	const char *argv[1] = {key};

	if (!chat)
		return;
	k = vr_cp_call_new(c, req, type_idx);
	if (!k)
		return;
	snprintf(k->chat, sizeof(k->chat), "%s", chat);
	snprintf(key, sizeof(key), "vr:chat:%s:members", chat);
	if (vr_cp_store_script(c->cp->store, VR_CP_SCRIPT_PRESENCE, presence_reply, k, 1, 1, argv, NULL) != 0)
		vr_cp_call_fail(k, VR_CP_E_STORE_UNAVAILABLE, NULL);
}
