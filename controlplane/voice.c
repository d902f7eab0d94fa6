/* SPDX-License-Identifier: BSD-3-Clause */
/* Voice signalling requests: voice_join and voice_leave, each user's queue of them, the leave step and voice_state, and leaving when a user goes or the process stops. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "cp_priv.h"
#include "voice.h"

void vr_cp_voice_publish_state(struct vr_cp *cp, const char *room, const char *skip, json_t *members)
{
	size_t len = 0;
	char *f = vr_cp_frame("voice_state", json_pack("{s:s, s:O}", "room", room, "members", members), NULL, &len);

	/* the store is gone once the process has stopped: refused then */
	vr_cp_publish_chat(cp, room, skip, f, len);
}

/* ---- a user's queue ---- */

static void op_start(struct vr_cp_voice_op *op);

void vr_cp_voice_op_free(struct vr_cp_voice_op *op)
{
	op->cp->voice->nops--;
	json_decref(op->members);
	OPENSSL_cleanse(op->tx_key, sizeof(op->tx_key));
	OPENSSL_cleanse(op->rx_key, sizeof(op->rx_key));
	free(op);
}

void vr_cp_voice_op_end(struct vr_cp_voice_op *op)
{
	struct vr_cp_voice *v = op->cp->voice;
	struct vr_cp_voice_user *vu = op->vu;

	vu->head = op->next;
	if (!vu->head)
		vu->tail = NULL;
	vr_cp_voice_op_free(op);
	if (vu->head) {
		op_start(vu->head);
		return;
	}
	if (vu->seat_room[0])
		return;
	HASH_DEL(v->users, vu);
	free(vu);
}

/* Queue an op for @p uid; it answers @p k (NULL: none). -1 on ENOMEM (k untouched). */
static int op_push(struct vr_cp *cp, const char *uid, enum vr_cp_voice_kind kind, struct vr_cp_call *k,
		   const char *room)
{
	struct vr_cp_voice *v = cp->voice;
	struct vr_cp_voice_user *vu = NULL;
	struct vr_cp_voice_op *op = calloc(1, sizeof(*op));

	if (!op)
		return -1;
	HASH_FIND_STR(v->users, uid, vu);
	if (!vu) {
		vu = calloc(1, sizeof(*vu));
		if (!vu) {
			free(op);
			return -1;
		}
		snprintf(vu->uid, sizeof(vu->uid), "%s", uid);
		HASH_ADD_STR(v->users, uid, vu);
	}
	v->nops++;
	op->cp = cp;
	op->vu = vu;
	op->kind = kind;
	op->k = k;
	snprintf(op->room, sizeof(op->room), "%s", room);
	if (vu->tail) {
		vu->tail->next = op;
		vu->tail = op;
		return 0;
	}
	vu->head = vu->tail = op;
	op_start(op);
	return 0;
}

void vr_cp_voice_op_fail(struct vr_cp_voice_op *op, enum vr_cp_error e, const char *msg)
{
	if (op->k)
		vr_cp_call_fail(op->k, e, msg);
	op->k = NULL;
}

void vr_cp_voice_relay_why(char *buf, size_t n, const struct vr_cp_voice_op *op, const char *what, json_t *resp,
			   const char *why)
{
	const char *m = json_string_value(json_object_get(json_object_get(resp, "error"), "message"));

	snprintf(buf, n, "relay %s: %s: %s", vr_cp_relay_name(op->relay), what, resp ? (m ? m : "refused") : why);
	fprintf(stderr, "voxrelay-cp: voice: %s\n", buf);
}

/* ---- the leave step, shared by voice_leave, a join's first step and its rollback, and a user gone ---- */

/* The relay's answer to member.remove: logged unless done or already done (ENOENT); best effort either way. */
static void member_removed(struct vr_cp_voice_op *op, json_t *resp, const char *why)
{
	const char *code = vr_cp_relay_error(resp);
	char msg[256];

	if (!code || (*code && strcmp(code, "ENOENT") != 0))
		vr_cp_voice_relay_why(msg, sizeof(msg), op, "member.remove", resp, why);
}

static void leave_relayed(void *arg, json_t *resp, const char *why)
{
	struct vr_cp_voice_op *op = arg;

	/* Redis no longer has the member, whatever the relay says */
	member_removed(op, resp, why);
	op->after_leave(op, VR_CP_LEFT);
}

static void leave_stored(struct vr_cp *cp, void *arg, redisReply *r, enum vr_cp_error err)
{
	struct vr_cp_voice_op *op = arg;
	unsigned long long ssrc = 0, mid = 0;
	char why[256];
	json_t *members, *args;

	if (err || !r || r->type == REDIS_REPLY_ERROR) {
		op->after_leave(op, VR_CP_LEFT_STORE_DOWN);
		return;
	}
	if (r->type != REDIS_REPLY_ARRAY || r->elements != 5) {
		op->after_leave(op, VR_CP_LEFT_NONE);
		return;
	}
	for (size_t i = 0; i < 4; i++)
		if (r->element[i]->type != REDIS_REPLY_STRING) {
			op->after_leave(op, VR_CP_LEFT_NONE);
			return;
		}
	snprintf(op->left, sizeof(op->left), "%s", r->element[0]->str);
	if (strcmp(op->vu->seat_room, op->left) == 0)
		op->vu->seat_room[0] = 0;
	if (!op->leave_quiet) {
		members = vr_cp_voice_members_json(r->element[4]);
		vr_cp_voice_publish_state(cp, op->left, op->vu->uid, members);
		json_decref(members);
	}
	op->relay = op->leave_relay && sscanf(r->element[1]->str, "%llu %llu", &ssrc, &mid) == 2
			    ? vr_cp_voice_relay_of(cp->voice, r->element[2]->str, r->element[3]->str, why, sizeof(why))
			    : NULL;
	if (op->relay) {
		args = json_pack("{s:s, s:i, s:I}", "vip", r->element[2]->str, "port",
				 atoi(r->element[3]->str), "id", (json_int_t)mid);
		if (vr_cp_relay_call(op->relay, "member.remove", args, leave_relayed, op) == 0)
			return;
	}
	op->after_leave(op, VR_CP_LEFT);
}

void vr_cp_voice_leave_step(struct vr_cp_voice_op *op, const char *expect,
			    void (*then)(struct vr_cp_voice_op *, enum vr_cp_voice_left))
{
	op->after_leave = then;
	if (vr_cp_voice_release(op->cp, op->vu->uid, expect, leave_stored, op) != 0)
		then(op, VR_CP_LEFT_STORE_DOWN);
}

void vr_cp_voice_end_after_leave(struct vr_cp_voice_op *op, enum vr_cp_voice_left how)
{
	(void)how;
	vr_cp_voice_op_end(op);
}

/* ---- voice_leave and a user gone ---- */

static void leave_answered(struct vr_cp_voice_op *op, enum vr_cp_voice_left how)
{
	if (how == VR_CP_LEFT_STORE_DOWN)
		vr_cp_voice_op_fail(op, VR_CP_E_STORE_UNAVAILABLE, NULL);
	else if (how == VR_CP_LEFT_NONE)
		vr_cp_voice_op_fail(op, VR_CP_E_NOT_IN_VOICE, NULL);
	else
		vr_cp_call_done(op->k, "voice_left", json_pack("{s:s}", "room", op->left));
	op->k = NULL;
	vr_cp_voice_op_end(op);
}

static void gone_relayed(void *arg, json_t *resp, const char *why)
{
	struct vr_cp_voice_op *op = arg;

	member_removed(op, resp, why);
	vr_cp_voice_op_end(op);
}

/* A user gone: without Redis, at least the relay forgets the member this process added (Redis keeps its records). */
static void gone_after_leave(struct vr_cp_voice_op *op, enum vr_cp_voice_left how)
{
	struct vr_cp_voice_user *vu = op->vu;
	json_t *args;

	if (strcmp(vu->seat_room, op->room) != 0) {
		vr_cp_voice_op_end(op);
		return;
	}
	vu->seat_room[0] = 0;
	if (how != VR_CP_LEFT_STORE_DOWN) {
		vr_cp_voice_op_end(op);
		return;
	}
	fprintf(stderr, "voxrelay-cp: voice: Redis unavailable: %s stays in voice room %s there\n", vu->uid, op->room);
	op->relay = vu->seat_relay;
	args = json_pack("{s:s, s:i, s:I}", "vip", vu->seat_vip, "port", (int)vu->seat_port, "id",
			 (json_int_t)vu->seat_member);
	if (!args || vr_cp_relay_call(op->relay, "member.remove", args, gone_relayed, op) != 0)
		vr_cp_voice_op_end(op);
}

static void op_start(struct vr_cp_voice_op *op)
{
	op->leave_relay = true;
	switch (op->kind) {
	case VR_CP_VOICE_JOIN:
		/* asked by a connection closed meanwhile, or the process is stopping: join nothing */
		if (op->k->c->dead || op->cp->stopping) {
			vr_cp_call_done(op->k, NULL, NULL);
			op->k = NULL;
			vr_cp_voice_op_end(op);
			return;
		}
		vr_cp_voice_leave_step(op, "", vr_cp_voice_join_after_leave);
		return;
	case VR_CP_VOICE_LEAVE:
		vr_cp_voice_leave_step(op, "", leave_answered);
		return;
	case VR_CP_VOICE_GONE:
		vr_cp_voice_leave_step(op, op->room, gone_after_leave);
		return;
	}
}

void vr_cp_h_voice_join(struct vr_cp_conn *c, struct vr_cp_request *req, unsigned type_idx)
{
	const char *room = vr_cp_member_chat(c, req, "room");
	struct vr_cp_call *k;

	if (!room)
		return;
	k = vr_cp_call_new(c, req, type_idx);
	if (!k)
		return;
	if (c->cp->voice->why)
		vr_cp_call_fail(k, VR_CP_E_VOICE_UNAVAILABLE, c->cp->voice->why);
	else if (op_push(c->cp, c->user->id, VR_CP_VOICE_JOIN, k, room) != 0)
		vr_cp_call_fail(k, VR_CP_E_INTERNAL, NULL);
}

void vr_cp_h_voice_leave(struct vr_cp_conn *c, struct vr_cp_request *req, unsigned type_idx)
{
	struct vr_cp_call *k = vr_cp_call_new(c, req, type_idx);

	if (!k)
		return;
	if (c->cp->voice->why)
		vr_cp_call_fail(k, VR_CP_E_NOT_IN_VOICE, NULL);
	else if (op_push(c->cp, c->user->id, VR_CP_VOICE_LEAVE, k, "") != 0)
		vr_cp_call_fail(k, VR_CP_E_INTERNAL, NULL);
}

void vr_cp_voice_gone(struct vr_cp *cp, struct vr_cp_user *u)
{
	struct vr_cp_voice_user *vu = NULL;
	char room[VR_CP_CHAT_LEN];

	/* only a room joined through this process (its seat): another process's join is its own to undo */
	if (cp->voice)
		HASH_FIND_STR(cp->voice->users, u->id, vu);
	if (!vu || !vu->seat_room[0])
		return;
	/* one leave of the seat is enough: a second, run later, could take the user out of a room joined elsewhere since */
	for (struct vr_cp_voice_op *op = vu->head; op; op = op->next)
		if (op->kind == VR_CP_VOICE_GONE && strcmp(op->room, vu->seat_room) == 0)
			return;
	snprintf(room, sizeof(room), "%s", vu->seat_room);
	if (op_push(cp, u->id, VR_CP_VOICE_GONE, NULL, room) != 0)
		fprintf(stderr, "voxrelay-cp: voice: out of memory: %s stays in voice room %s\n", u->id, room);
}

/* Every user in a room joined through this process leaves it now, while Redis and the relays still answer. */
void vr_cp_voice_stop(struct vr_cp *cp)
{
	struct vr_cp_user *u, *tmp;

	HASH_ITER(hh, cp->users, u, tmp)
		vr_cp_voice_gone(cp, u);
}

bool vr_cp_voice_busy(const struct vr_cp *cp)
{
	return cp->voice && cp->voice->nops > 0;
}
