/* SPDX-License-Identifier: BSD-3-Clause */
/* voxrelay-cp's request table (type, handler, whether it needs a session, whether it is rate-limited) and the life of one request. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cp_priv.h"

/* auth: needs an authenticated connection; limited: takes a token of the user's bucket (once authenticated:
 * a join_chat carrying the token is the authentication). */
static const struct {
	const char *type;
	vr_cp_handler *fn;
	bool auth, limited;
} types[] = {
	{"auth", vr_cp_h_auth, false, false},
	{"resume", vr_cp_h_resume, false, false},
	{"heartbeat", vr_cp_h_heartbeat, false, false},
	{"join_chat", vr_cp_h_join_chat, false, true}, /* may carry the token (existing clients) */
	{"create_chat", vr_cp_h_create_chat, true, true},
	{"switch_chat", vr_cp_h_switch_chat, true, false},
	{"leave_chat", vr_cp_h_leave_chat, true, false},
	{"list_chats", vr_cp_h_list_chats, true, false},
	{"send_message", vr_cp_h_send_message, true, true},
	{"edit_message", vr_cp_h_edit_message, true, true},
	{"delete_message", vr_cp_h_delete_message, true, false},
	{"history", vr_cp_h_history, true, false},
	{"typing", vr_cp_h_typing, true, false},
	{"presence", vr_cp_h_presence, true, false},
	{"set_status", vr_cp_h_set_status, true, false},
	{"voice_join", vr_cp_h_voice_join, true, false},
	{"voice_leave", vr_cp_h_voice_leave, true, false},
};
#define NTYPES (sizeof(types) / sizeof(types[0]))
#define TYPE_INVALID NTYPES /* the stats slot of frames that never had a valid type */

int vr_cp_dispatch_init(struct vr_cp *cp)
{
	cp->ntypes = NTYPES + 1;
	cp->types = calloc(cp->ntypes, sizeof(*cp->types));
	if (!cp->types)
		return -1;
	for (unsigned i = 0; i < NTYPES; i++)
		cp->types[i].type = types[i].type;
	cp->types[TYPE_INVALID].type = "invalid";
	return 0;
}

/* Server-side failures only: a client's mistakes say nothing of the server's health. */
static bool server_error(enum vr_cp_error e)
{
	return e == VR_CP_E_STORE_UNAVAILABLE || e == VR_CP_E_INTERNAL || e == VR_CP_E_VOICE_UNAVAILABLE;
}

static void account(struct vr_cp *cp, unsigned type_idx, uint64_t t0, enum vr_cp_error e)
{
	struct vr_cp_type_stats *t = &cp->types[type_idx < cp->ntypes ? type_idx : TYPE_INVALID];
	double ms = (double)(vr_cp_now_ms() - t0);

	if (e == VR_CP_E_NONE)
		t->ok++;
	else
		t->err++;
	vr_cp_hist_add(&t->lat, ms);
	vr_cp_count_second(cp, cp->st.requests_minute, 1);
	vr_cp_count_second(cp, cp->st.resp_ms_minute, (uint64_t)ms);
	if (server_error(e))
		vr_cp_count_second(cp, cp->st.errors_minute, 1);
}

struct vr_cp_call *vr_cp_call_new(struct vr_cp_conn *c, const struct vr_cp_request *req, unsigned type_idx)
{
	struct vr_cp_call *k = calloc(1, sizeof(*k));

	if (!k)
		return NULL;
	k->c = c;
	k->id = json_incref(req ? req->id : NULL);
	k->t0 = vr_cp_now_ms();
	k->type_idx = type_idx;
	c->pending++;
	return k;
}

static void call_free(struct vr_cp_call *k)
{
	json_decref(k->id);
	json_decref(k->data);
	vr_cp_conn_put(k->c);
	free(k);
}

void vr_cp_call_done(struct vr_cp_call *k, const char *type, json_t *data)
{
	account(k->c->cp, k->type_idx, k->t0, VR_CP_E_NONE);
	if (type && !k->c->dead)
		vr_cp_send_json(k->c, type, data, k->id);
	else
		json_decref(data);
	call_free(k);
}

void vr_cp_call_fail(struct vr_cp_call *k, enum vr_cp_error e, const char *msg)
{
	account(k->c->cp, k->type_idx, k->t0, e);
	if (!k->c->dead)
		vr_cp_send_error(k->c, e, msg, k->id);
	call_free(k);
}

bool vr_cp_call_store_failed(struct vr_cp_call *k, redisReply *r, enum vr_cp_error err)
{
	if (err) {
		vr_cp_call_fail(k, err, NULL);
		return true;
	}
	if (r && r->type == REDIS_REPLY_ERROR) {
		const char *msg;
		enum vr_cp_error e = vr_cp_store_error(r, &msg);

		vr_cp_call_fail(k, e, msg);
		return true;
	}
	return false;
}

void vr_cp_hello(struct vr_cp_conn *c)
{
	if (vr_cp_random_hex(c->session_id, (VR_CP_SID_LEN - 1) / 2) != 0) {
		vr_cp_close(c, VR_CP_CLOSE_TRY_LATER, "no randomness");
		return;
	}
	vr_cp_send_json(c, "hello",
			json_pack("{s:I, s:I, s:s}", "heartbeat_interval", (json_int_t)c->cp->cfg->cp_heartbeat_interval_ms,
				  "auth_timeout", (json_int_t)c->cp->cfg->cp_auth_timeout_ms, "session_id", c->session_id),
			NULL);
}

void vr_cp_dispatch(struct vr_cp_conn *c, const char *buf, size_t len)
{
	struct vr_cp *cp = c->cp;
	struct vr_cp_request req;
	enum vr_cp_error e;
	uint64_t t0 = vr_cp_now_ms();
	unsigned i;

	cp->st.frames_in++;
	cp->st.bytes_in += len;
	e = vr_cp_request_parse(buf, len, &req);
	if (e) {
		vr_cp_send_error(c, e, NULL, req.id);
		account(cp, TYPE_INVALID, t0, e);
		vr_cp_request_release(&req);
		return;
	}
	for (i = 0; i < NTYPES; i++)
		if (strcmp(types[i].type, req.type) == 0)
			break;
	/* inactive_timeout (4004) counts requests other than heartbeat: an idle client left open goes in the end */
	if (strcmp(req.type, "heartbeat") != 0)
		c->last_request_ms = t0;
	if (i == NTYPES) {
		vr_cp_send_error(c, VR_CP_E_UNKNOWN_TYPE, NULL, req.id);
		account(cp, TYPE_INVALID, t0, VR_CP_E_UNKNOWN_TYPE);
	} else if (types[i].auth && !c->user) {
		vr_cp_send_error(c, VR_CP_E_NOT_AUTHENTICATED, NULL, req.id);
		account(cp, i, t0, VR_CP_E_NOT_AUTHENTICATED);
	} else if (types[i].limited && c->user &&
		   !vr_cp_bucket_take(&c->user->bucket, cp->cfg->cp_rate_limit_max_messages,
				      cp->cfg->cp_rate_limit_window_ms, t0)) {
		cp->st.rate_limited++;
		vr_cp_send_error(c, VR_CP_E_RATE_LIMITED, NULL, req.id);
		account(cp, i, t0, VR_CP_E_RATE_LIMITED);
	} else {
		types[i].fn(c, &req, i);
	}
	vr_cp_request_release(&req);
}
