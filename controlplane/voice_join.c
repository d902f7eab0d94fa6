/* SPDX-License-Identifier: BSD-3-Clause */
/* voice_join after its leave step: draw SSRC and member id, claim the room's place, program its relay (room.add, member.add) with fresh SRTP keys. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "voxrelay/relay.h"

#include "cp_priv.h"
#include "voice.h"

#define SSRC_TRIES 4  /* fresh SSRC and member id after a clash in the room, then give up */

static void join_reserve(struct vr_cp_voice_op *op);

/* Undo a join the client was told failed: its Redis records, and its relay member if it may exist. */
static void join_abort(struct vr_cp_voice_op *op, enum vr_cp_error e, const char *msg, bool relay)
{
	vr_cp_voice_op_fail(op, e, msg);
	op->leave_relay = relay;
	op->leave_quiet = true;
	vr_cp_voice_leave_step(op, op->room, vr_cp_voice_end_after_leave);
}

static void join_done(struct vr_cp_voice_op *op)
{
	struct vr_cp_call *k = op->k;
	struct vr_cp_conn *c = k->c;
	json_t *keys;

	/* the connection that asked is gone, or goes with the process: nobody will use the place */
	if (c->dead || !c->user || op->cp->stopping) {
		vr_cp_call_done(k, NULL, NULL);
		op->k = NULL;
		op->leave_relay = true;
		op->leave_quiet = true; /* the chat was never told of the join */
		vr_cp_voice_leave_step(op, op->room, vr_cp_voice_end_after_leave);
		return;
	}
	snprintf(op->vu->seat_room, sizeof(op->vu->seat_room), "%s", op->room);
	snprintf(op->vu->seat_vip, sizeof(op->vu->seat_vip), "%s", op->vip);
	op->vu->seat_port = op->port;
	op->vu->seat_member = op->member_id;
	op->vu->seat_relay = op->relay;
	vr_cp_voice_publish_state(op->cp, op->room, op->vu->uid, op->members);
	keys = vr_relay_suite_key_len((enum vr_relay_suite)op->cp->cfg->cp_voice_suite)
		       ? json_pack("{s:s, s:s}", "send", op->tx_key, "receive", op->rx_key)
		       : json_pack("{s:n, s:n}", "send", "receive");
	vr_cp_call_done(k, "voice_joined",
			json_pack("{s:s, s:s, s:i, s:I, s:s, s:I, s:o, s:s}", "room", op->room, "vip", op->vip, "port",
				  (int)op->port, "ssrc", (json_int_t)op->ssrc, "suite",
				  vr_relay_suite_name((enum vr_relay_suite)op->cp->cfg->cp_voice_suite), "member_id", (json_int_t)op->member_id,
				  "keys", keys, "relay", vr_cp_relay_name(op->relay)));
	op->k = NULL;
	vr_cp_voice_op_end(op);
}

static void join_member_added(void *arg, json_t *resp, const char *why)
{
	struct vr_cp_voice_op *op = arg;
	const char *code = vr_cp_relay_error(resp);
	char msg[256];

	if (code && !*code) {
		join_done(op);
		return;
	}
	vr_cp_voice_relay_why(msg, sizeof(msg), op, "member.add", resp, why);
	/* without an answer the member may have been added after all */
	join_abort(op, VR_CP_E_VOICE_UNAVAILABLE, msg, !code);
}

static void join_room_added(void *arg, json_t *resp, const char *why)
{
	struct vr_cp_voice_op *op = arg;
	const char *code = vr_cp_relay_error(resp);
	int klen = vr_relay_suite_key_len((enum vr_relay_suite)op->cp->cfg->cp_voice_suite);
	char msg[256];
	json_t *args;

	/* EEXIST: the room is there already (other members, or left over empty) */
	if (!code || (*code && strcmp(code, "EEXIST") != 0)) {
		vr_cp_voice_relay_why(msg, sizeof(msg), op, "room.add", resp, why);
		join_abort(op, VR_CP_E_VOICE_UNAVAILABLE, msg, false);
		return;
	}
	args = json_pack("{s:s, s:i, s:I, s:[I], s:s}", "vip", op->vip, "port", (int)op->port, "id",
			 (json_int_t)op->member_id, "ssrcs", (json_int_t)op->ssrc, "suite",
			 vr_relay_suite_name((enum vr_relay_suite)op->cp->cfg->cp_voice_suite));
	/* tx_key: what the member sends with (the relay unprotects with it); rx_key: what it receives with */
	if (args && klen) {
		json_object_set_new(args, "tx_key", json_string(op->tx_key));
		json_object_set_new(args, "rx_key", json_string(op->rx_key));
	}
	if (!args || vr_cp_relay_call(op->relay, "member.add", args, join_member_added, op) != 0)
		join_abort(op, VR_CP_E_VOICE_UNAVAILABLE, "too many voice requests for the relay", false);
}

static void room_add(struct vr_cp_voice_op *op)
{
	json_t *args = json_pack("{s:s, s:i}", "vip", op->vip, "port", (int)op->port);

	if (!args || vr_cp_relay_call(op->relay, "room.add", args, join_room_added, op) != 0)
		join_abort(op, VR_CP_E_VOICE_UNAVAILABLE, "too many voice requests for the relay", false);
}

static void join_room_cleared(void *arg, json_t *resp, const char *why)
{
	struct vr_cp_voice_op *op = arg;
	char msg[256];

	if (!resp) {
		vr_cp_voice_relay_why(msg, sizeof(msg), op, "room.remove", resp, why);
		join_abort(op, VR_CP_E_VOICE_UNAVAILABLE, msg, false);
		return;
	}
	room_add(op);
}

/* Fresh SRTP master keys || salts of the suite, base64 (RFC 4648, padded), as member.add takes them. */
static int make_keys(struct vr_cp_voice_op *op)
{
	unsigned char raw[2][VR_CP_KEY_MAX];
	int klen = vr_relay_suite_key_len((enum vr_relay_suite)op->cp->cfg->cp_voice_suite), rc = -1;

	if (klen == 0)
		return 0;
	if (RAND_bytes(raw[0], sizeof(raw)) != 1)
		goto out;
	EVP_EncodeBlock((unsigned char *)op->tx_key, raw[0], klen);
	EVP_EncodeBlock((unsigned char *)op->rx_key, raw[1], klen);
	rc = 0;
out:
	OPENSSL_cleanse(raw, sizeof(raw));
	return rc;
}

static void join_stored(struct vr_cp *cp, void *arg, redisReply *r, enum vr_cp_error err)
{
	struct vr_cp_voice_op *op = arg;
	char why[256];

	if (err || !r) {
		vr_cp_voice_op_fail(op, VR_CP_E_STORE_UNAVAILABLE, NULL);
		vr_cp_voice_op_end(op);
		return;
	}
	if (r->type == REDIS_REPLY_ERROR) {
		const char *msg;
		enum vr_cp_error e;

		if (vr_cp_store_is_error(r, "TAKEN") && ++op->tries < SSRC_TRIES) {
			join_reserve(op);
			return;
		}
		e = vr_cp_store_error(r, &msg);
		vr_cp_voice_op_fail(op, e, msg);
		vr_cp_voice_op_end(op);
		return;
	}
	if (r->type != REDIS_REPLY_ARRAY || r->elements != 4 || r->element[0]->type != REDIS_REPLY_STRING ||
	    r->element[1]->type != REDIS_REPLY_STRING || r->element[3]->type != REDIS_REPLY_INTEGER) {
		join_abort(op, VR_CP_E_INTERNAL, NULL, false);
		return;
	}
	snprintf(op->vip, sizeof(op->vip), "%s", r->element[0]->str);
	op->port = (unsigned)strtoul(r->element[1]->str, NULL, 10);
	op->fresh = r->element[3]->integer == 1;
	op->members = vr_cp_voice_members_json(r->element[2]);
	op->relay = vr_cp_voice_relay_of(cp->voice, r->element[0]->str, r->element[1]->str, why, sizeof(why));
	if (!op->relay) {
		fprintf(stderr, "voxrelay-cp: voice: room %s: %s\n", op->room, why);
		join_abort(op, VR_CP_E_VOICE_UNAVAILABLE, why, false);
		return;
	}
	if (make_keys(op) != 0) {
		join_abort(op, VR_CP_E_INTERNAL, NULL, false);
		return;
	}
	/* A port just claimed has no member in Redis: what its relay room
	 * still holds (one whose removal failed) must not hear this chat. */
	if (op->fresh) {
		json_t *args = json_pack("{s:s, s:i}", "vip", op->vip, "port", (int)op->port);

		if (!args || vr_cp_relay_call(op->relay, "room.remove", args, join_room_cleared, op) != 0)
			join_abort(op, VR_CP_E_VOICE_UNAVAILABLE, "too many voice requests for the relay", false);
		return;
	}
	room_add(op);
}

/* Draw an SSRC and a member id (random, non-zero) and record the user in the room. */
static void join_reserve(struct vr_cp_voice_op *op)
{
	uint32_t rnd[2] = {0, 0};

	while (rnd[0] == 0 || rnd[1] == 0)
		if (RAND_bytes((unsigned char *)rnd, sizeof(rnd)) != 1) {
			vr_cp_voice_op_fail(op, VR_CP_E_INTERNAL, NULL);
			vr_cp_voice_op_end(op);
			return;
		}
	op->ssrc = rnd[0];
	op->member_id = rnd[1];
	if (vr_cp_voice_claim(op->cp, op->vu->uid, op->room, op->ssrc, op->member_id, join_stored, op) != 0) {
		vr_cp_voice_op_fail(op, VR_CP_E_STORE_UNAVAILABLE, NULL);
		vr_cp_voice_op_end(op);
	}
}

/* A user is in one room at a time: whatever room it is in, on whichever process, it left first. */
void vr_cp_voice_join_after_leave(struct vr_cp_voice_op *op, enum vr_cp_voice_left how)
{
	if (how == VR_CP_LEFT_STORE_DOWN) {
		vr_cp_voice_op_fail(op, VR_CP_E_STORE_UNAVAILABLE, NULL);
		vr_cp_voice_op_end(op);
		return;
	}
	join_reserve(op);
}
