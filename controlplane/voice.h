/* SPDX-License-Identifier: BSD-3-Clause */
/* Internal to voxrelay-cp's voice signalling: what voice.c, voice_join.c, voice_place.c and the relay clients (voice_ctl.c) share. */
#ifndef VOXRELAY_CP_VOICE_H
#define VOXRELAY_CP_VOICE_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>
#include <uthash.h>
#include <uv.h>

#include "voxrelay/common.h"
#include "voxrelay/config.h"

#include "cp_priv.h"

/* An answer must come this soon, or the request fails (and the client gets VOICE_UNAVAILABLE). */
#define VR_CP_RELAY_TIMEOUT_MS 2000
/* Requests waiting for one relay beyond this are refused at once rather than all timing out late. */
#define VR_CP_RELAY_QUEUE_MAX 256

#define VR_CP_ADDR_LEN 64  /* an address as text */
#define VR_CP_KEY_MAX 30   /* master key || salt of the longest suite (AES_CM_128_HMAC_SHA1_80) */
#define VR_CP_KEY_B64 (4 * (VR_CP_KEY_MAX + 2) / 3 + 1)

struct vr_cp_relay;
struct vr_lb_state;

/* ---- the process's voice side (cp->voice), built at start-up (voice_place.c) ---- */

struct vr_cp_voice_user;

struct vr_cp_voice {
	const char *why;                 /* set: voice is unavailable on this gateway, and why */
	struct vr_lb_state *lb;          /* the balancer's state built from the same file */
	struct vr_cp_relay *relays[VR_CFG_CP_MAX_RELAYS];
	unsigned nrelays;
	unsigned nvips;                  /* balancer VIPs hashing on the destination port, in file order */
	char vip[VR_MAX_VIPS][VR_CP_ADDR_LEN];
	char lo[VR_MAX_VIPS][8], hi[VR_MAX_VIPS][8];
	struct vr_cp_voice_user *users;
	unsigned nops;                   /* ops queued or running: a stop waits for none */
};

/* ---- a user's voice requests (voice.c runs them, voice_join.c the join) ---- */

enum vr_cp_voice_kind { VR_CP_VOICE_JOIN, VR_CP_VOICE_LEAVE, VR_CP_VOICE_GONE };

/* What a leave step found. */
enum vr_cp_voice_left { VR_CP_LEFT_STORE_DOWN = -1, VR_CP_LEFT_NONE = 0, VR_CP_LEFT = 1 };

/* One voice request of a user; a user's run one after the other, so a join never races its own leave. */
struct vr_cp_voice_op {
	struct vr_cp_voice_op *next;
	struct vr_cp *cp;
	struct vr_cp_voice_user *vu;
	enum vr_cp_voice_kind kind;
	struct vr_cp_call *k;            /* JOIN, LEAVE: the request until answered; GONE: NULL */
	char room[VR_CP_CHAT_LEN];       /* JOIN: the room to join; GONE: the room to leave */
	char left[VR_CP_CHAT_LEN];       /* the room the leave step left */
	void (*after_leave)(struct vr_cp_voice_op *op, enum vr_cp_voice_left how);
	bool leave_relay, leave_quiet;   /* the leave step removes the relay member / tells the chat */
	/* JOIN */
	unsigned tries;
	uint32_t ssrc, member_id;
	char vip[VR_CP_ADDR_LEN];
	unsigned port;
	bool fresh;                      /* the join placed the room: the relay's room of that port is stale */
	struct vr_cp_relay *relay;
	char tx_key[VR_CP_KEY_B64], rx_key[VR_CP_KEY_B64]; /* base64 */
	json_t *members;                 /* the room's users after the join */
};

/*
 * A user with voice requests queued on this process, or in a room joined
 * through it: its seat, so that a user gone while Redis cannot answer
 * still leaves the relay.
 */
struct vr_cp_voice_user {
	char uid[VR_CP_ID_LEN];
	struct vr_cp_voice_op *head, *tail; /* head: running */
	char seat_room[VR_CP_CHAT_LEN];  /* "" none */
	char seat_vip[VR_CP_ADDR_LEN];
	unsigned seat_port;
	uint32_t seat_member;
	struct vr_cp_relay *seat_relay;
	UT_hash_handle hh;
};

/* voice.c */
/* The running op is over (its request answered): start the user's next one. */
void vr_cp_voice_op_end(struct vr_cp_voice_op *op);
void vr_cp_voice_op_free(struct vr_cp_voice_op *op);
/* Answer the op's request with an error (once; the op may go on cleaning up). */
void vr_cp_voice_op_fail(struct vr_cp_voice_op *op, enum vr_cp_error e, const char *msg);
/* Leave the user's voice room (only @p expect if not ""); then @p then. */
void vr_cp_voice_leave_step(struct vr_cp_voice_op *op, const char *expect,
			    void (*then)(struct vr_cp_voice_op *, enum vr_cp_voice_left));
/* An after_leave that only ends the op. */
void vr_cp_voice_end_after_leave(struct vr_cp_voice_op *op, enum vr_cp_voice_left how);
/* voice_state {room, members} to the chat's members on every process, except @p skip (who caused it). */
void vr_cp_voice_publish_state(struct vr_cp *cp, const char *room, const char *skip, json_t *members);
/* The relay's message of a refusal, or the reason nothing came: logged, and in @p buf for the client. */
void vr_cp_voice_relay_why(char *buf, size_t n, const struct vr_cp_voice_op *op, const char *what, json_t *resp,
			   const char *why);

/* voice_join.c: a join whose leave step is done (it placed nothing yet). */
void vr_cp_voice_join_after_leave(struct vr_cp_voice_op *op, enum vr_cp_voice_left how);

/* ---- placement (voice_place.c) ---- */

/*
 * Record @p uid in @p room with @p ssrc and @p member_id, placing the room
 * on a free VIP:port if it has no place yet (Redis, atomically). The reply
 * is {vip, port, [members], fresh} or an error reply IN_VOICE, NO_PORT,
 * TAKEN (the SSRC or member id is in the room). -1: not sent (cb not called).
 */
int vr_cp_voice_claim(struct vr_cp *cp, const char *uid, const char *room, uint32_t ssrc, uint32_t member_id,
		      vr_cp_store_cb cb, void *arg);
/*
 * Take @p uid out of its room (only @p expect if not ""), releasing the
 * port when it was the last. The reply is nil (in no room, or another) or
 * {room, "<ssrc> <member id>", vip, port, [members left]}. -1: not sent.
 */
int vr_cp_voice_release(struct vr_cp *cp, const char *uid, const char *expect, vr_cp_store_cb cb, void *arg);
/* The relay the balancer sends VIP:port to; NULL with the reason in @p why. */
struct vr_cp_relay *vr_cp_voice_relay_of(struct vr_cp_voice *v, const char *vip, const char *port_text, char *why,
					 size_t n);
/* The user ids of a reply's member list, as a JSON array. */
json_t *vr_cp_voice_members_json(const redisReply *r);

/* ---- the clients of the relays' control sockets (voice_ctl.c) ---- */

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
