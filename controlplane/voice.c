/* SPDX-License-Identifier: BSD-3-Clause */
/* Voice signalling: voice_join places the chat's room on a VIP:port, asks the balancer's Maglev view for its relay and programs it; voice_leave; voice rooms in Redis. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "voxrelay/lb.h"
#include "voxrelay/relay.h"

#include "cp_priv.h"
#include "voice.h"

#define SSRC_TRIES 4  /* fresh SSRC and member id after a clash in the room, then give up */
#define KEY_MAX 30    /* master key || salt of the longest suite (AES_CM_128_HMAC_SHA1_80) */
#define ADDR_LEN 64   /* an address as text */

/* The suites as the relay names them (docs/control.md, member.add), key lengths of RFC 4568 6.1, RFC 7714 12. */
static const struct {
	const char *name;
	int key_len;
} suites[VR_RELAY_SUITE_MAX] = {
	[VR_RELAY_SUITE_NONE] = {"NONE", 0},
	[VR_RELAY_SUITE_AES_CM_128_HMAC_SHA1_80] = {"AES_CM_128_HMAC_SHA1_80", 30},
	[VR_RELAY_SUITE_AEAD_AES_128_GCM] = {"AEAD_AES_128_GCM", 28},
};

/*
 * Join, atomically: KEYS voice_member:<uid>; ARGV uid, room, ssrc, member
 * id, h (where the port search starts), n, then n x (vip, lo, hi): the
 * dst-port VIPs with their ranges laid end to end. A room without a place
 * claims the first port from h on (mod the total) that no other chat's
 * room holds (voice_port:<vip>:<port>, SET NX), so two chats never share a
 * relay room. Returns {vip, port, [members], fresh}; errors IN_VOICE (the
 * user is in a room: leave first), NO_PORT, TAKEN (SSRC or member id
 * already in the room: draw again).
 */
static const char join_lua[] =
	"local uid, room, ssrc, mid = ARGV[1], ARGV[2], ARGV[3], ARGV[4]\n"
	"if redis.call('EXISTS', KEYS[1]) == 1 then return redis.error_reply('IN_VOICE') end\n"
	"local rk, fresh = 'voice_room:' .. room, 0\n"
	"local vip, port = redis.call('HGET', rk, 'vip'), redis.call('HGET', rk, 'port')\n"
	"if not vip then\n"
	"  local h, n, total = tonumber(ARGV[5]), tonumber(ARGV[6]), 0\n"
	"  for i = 0, n - 1 do total = total + tonumber(ARGV[9 + 3 * i]) - tonumber(ARGV[8 + 3 * i]) + 1 end\n"
	"  for t = 0, math.min(total, 256) - 1 do\n"
	"    local idx, cv, cp = (h + t) % total, nil, nil\n"
	"    for i = 0, n - 1 do\n"
	"      local lo, hi = tonumber(ARGV[8 + 3 * i]), tonumber(ARGV[9 + 3 * i])\n"
	"      if idx <= hi - lo then cv, cp = ARGV[7 + 3 * i], string.format('%d', lo + idx) break end\n"
	"      idx = idx - (hi - lo + 1)\n"
	"    end\n"
	"    if redis.call('SET', 'voice_port:' .. cv .. ':' .. cp, room, 'NX') then vip, port = cv, cp break end\n"
	"  end\n"
	"  if not vip then return redis.error_reply('NO_PORT') end\n"
	"  redis.call('HSET', rk, 'vip', vip, 'port', port)\n"
	"  fresh = 1\n"
	"end\n"
	"for _, v in ipairs(redis.call('HVALS', rk)) do\n"
	"  local s, m = string.match(v, '^(%d+) (%d+)$')\n"
	"  if s == ssrc or m == mid then return redis.error_reply('TAKEN') end\n"
	"end\n"
	"redis.call('SET', KEYS[1], room)\n"
	"redis.call('SADD', 'voice_members:' .. room, uid)\n"
	"redis.call('HSET', rk, 'u:' .. uid, ssrc .. ' ' .. mid)\n"
	"return {vip, port, redis.call('SMEMBERS', 'voice_members:' .. room), fresh}\n";

/*
 * Leave, atomically: KEYS voice_member:<uid>; ARGV uid, the room expected
 * ("" any). nil if the user is in no room (or another one); else
 * {room, "<ssrc> <member id>", vip, port, [members left]}. The last
 * member out releases the room's port for other chats.
 */
static const char leave_lua[] =
	"local room = redis.call('GET', KEYS[1])\n"
	"if not room or (ARGV[2] ~= '' and room ~= ARGV[2]) then return false end\n"
	"local rk, mk = 'voice_room:' .. room, 'voice_members:' .. room\n"
	"local info = redis.call('HGET', rk, 'u:' .. ARGV[1]) or ''\n"
	"local vip, port = redis.call('HGET', rk, 'vip') or '', redis.call('HGET', rk, 'port') or ''\n"
	"redis.call('DEL', KEYS[1])\n"
	"redis.call('SREM', mk, ARGV[1])\n"
	"redis.call('HDEL', rk, 'u:' .. ARGV[1])\n"
	"local members = redis.call('SMEMBERS', mk)\n"
	"if #members == 0 then\n"
	"  redis.call('DEL', rk)\n"
	"  local pk = 'voice_port:' .. vip .. ':' .. port\n"
	"  if redis.call('GET', pk) == room then redis.call('DEL', pk) end\n"
	"end\n"
	"return {room, info, vip, port, members}\n";

enum op_kind { OP_JOIN, OP_LEAVE, OP_GONE };

/* What a leave step found. */
enum left { LEFT_STORE_DOWN = -1, LEFT_NONE = 0, LEFT = 1 };

struct voice_user;

/* One voice request of a user; a user's run one after the other, so a join never races its own leave. */
struct voice_op {
	struct voice_op *next;
	struct vr_cp *cp;
	struct voice_user *vu;
	enum op_kind kind;
	struct vr_cp_call *k;            /* JOIN, LEAVE: the request until answered; GONE: NULL */
	char room[VR_CP_CHAT_LEN];       /* JOIN: the room to join; GONE: the room to leave */
	char left[VR_CP_CHAT_LEN];       /* the room the leave step left */
	void (*after_leave)(struct voice_op *op, enum left how);
	bool leave_relay, leave_quiet;   /* the leave step removes the relay member / tells the chat */
	/* JOIN */
	unsigned tries;
	uint32_t ssrc, member_id;
	char vip[ADDR_LEN];
	unsigned port;
	bool fresh;                      /* the join placed the room: the relay's room of that port is stale */
	struct vr_cp_relay *relay;
	char tx_key[4 * (KEY_MAX + 2) / 3 + 1], rx_key[4 * (KEY_MAX + 2) / 3 + 1]; /* base64 */
	json_t *members;                 /* the room's users after the join */
};

/*
 * A user with voice requests queued on this process, or in a room joined
 * through it: its seat, so that a user gone while Redis cannot answer
 * (the process stopping frees the store first) still leaves the relay.
 */
struct voice_user {
	char uid[VR_CP_ID_LEN];
	struct voice_op *head, *tail;    /* head: running */
	char seat_room[VR_CP_CHAT_LEN];  /* "" none */
	char seat_vip[ADDR_LEN];
	unsigned seat_port;
	uint32_t seat_member;
	struct vr_cp_relay *seat_relay;
	UT_hash_handle hh;
};

/* The process's voice side, built on first use from the configuration voxrelay-cp runs with. */
static struct vr_cp_voice {
	bool built;
	const char *why;                 /* set: voice is unavailable on this gateway, and why */
	char why_buf[VR_CFG_ERR_LEN];
	struct vr_lb_state *lb;          /* the balancer's state built from the same file */
	struct vr_cp_relay *relays[VR_CFG_CP_MAX_RELAYS];
	unsigned nrelays;
	unsigned nvips;                  /* balancer VIPs hashing on the destination port, in file order */
	char vip[VR_MAX_VIPS][ADDR_LEN];
	char lo[VR_MAX_VIPS][8], hi[VR_MAX_VIPS][8];
	struct voice_user *users;
} voice;

static void voice_at_exit(void)
{
	vr_lb_state_free(voice.lb);
	for (unsigned i = 0; i < voice.nrelays; i++)
		vr_cp_relay_free(voice.relays[i]);
}

/* NULL when voice can be used, else why not. Built on first use: main.c starts nothing of voice. */
static const char *voice_setup(struct vr_cp *cp)
{
	const struct vr_config *cfg = cp->cfg;
	char err[256];

	if (voice.built)
		return voice.why;
	voice.built = true;
	if (cfg->nb_cp_relays == 0) {
		voice.why = "voice is not configured on this gateway (controlplane.voice.relays is empty)";
		return voice.why;
	}
	for (uint32_t i = 0; i < cfg->nb_vips && voice.nvips < VR_MAX_VIPS; i++) {
		const struct vr_cfg_vip *v = &cfg->vips[i];

		if (v->hash_key != VR_HASH_DST_PORT)
			continue;
		vr_addr_str(&v->addr, voice.vip[voice.nvips], ADDR_LEN);
		snprintf(voice.lo[voice.nvips], sizeof(voice.lo[0]), "%u", v->port_lo);
		snprintf(voice.hi[voice.nvips], sizeof(voice.hi[0]), "%u", v->port_hi);
		voice.nvips++;
	}
	if (voice.nvips == 0) {
		voice.why = "no balancer VIP hashes on the destination port (hash: dst-port): voice rooms have no place";
		return voice.why;
	}
	voice.lb = vr_lb_state_build(cfg, NULL, err, sizeof(err));
	if (!voice.lb) {
		snprintf(voice.why_buf, sizeof(voice.why_buf), "the balancer's view cannot be built: %s", err);
		goto fail;
	}
	for (uint32_t i = 0; i < cfg->nb_cp_relays; i++) {
		voice.relays[i] = vr_cp_relay_new(cp->loop, &cfg->cp_relays[i]);
		if (!voice.relays[i]) {
			snprintf(voice.why_buf, sizeof(voice.why_buf), "out of memory");
			goto fail;
		}
		voice.nrelays++;
	}
	atexit(voice_at_exit);
	return NULL;
fail:
	voice_at_exit();
	voice.lb = NULL;
	voice.nrelays = 0;
	voice.why = voice.why_buf;
	fprintf(stderr, "voxrelay-cp: voice: %s\n", voice.why);
	return voice.why;
}

/* FNV-1a (32 bits) of the chat id: where the search for its room's port starts, the same in every process. */
static uint32_t room_hash(const char *room)
{
	uint32_t h = 2166136261u;

	for (const unsigned char *p = (const unsigned char *)room; *p; p++) {
		h ^= *p;
		h *= 16777619u;
	}
	return h;
}

/*
 * The relay the balancer sends VIP:port to: a UDP packet to it, classified
 * and given a backend by the balancer's own code (room affinity: the
 * Maglev table of the VIP, keyed by address and port), then the relay of
 * that backend's address. NULL with the reason in @p why.
 */
static struct vr_cp_relay *relay_of(const char *vip, const char *port_text, char *why, size_t n)
{
	unsigned long port = strtoul(port_text, NULL, 10);
	struct vr_pkt_info pi;
	struct vr_lb_choice ch;
	struct vr_lb_clock clk;
	struct vr_addr a;
	char be[ADDR_LEN];

	if (vr_addr_parse(vip, &a) != 0 || port == 0 || port > 65535) {
		snprintf(why, n, "the room's place %s:%s is not an address and port", vip, port_text);
		return NULL;
	}
	memset(&pi, 0, sizeof(pi));
	memset(&ch, 0, sizeof(ch));
	pi.cls = VR_PKT_UDP;
	memcpy(pi.key.dst, a.a.b, sizeof(pi.key.dst));
	pi.key.family = a.family;
	pi.key.proto = IPPROTO_UDP;
	pi.key.dport = htons((uint16_t)port);
	if (vr_lb_classify(voice.lb, &pi, &ch) != VR_DROP_NONE || ch.vip->hash_key != VR_HASH_DST_PORT) {
		snprintf(why, n, "%s port %lu is in no dst-port VIP of the configuration", vip, port);
		return NULL;
	}
	/* A dst-port VIP keeps rooms in its own table; the conntrack is not read. */
	clk.now = 0;
	clk.now_s = (uint32_t)(vr_cp_now_ms() / 1000);
	if (vr_lb_choose(voice.lb, NULL, &pi, &clk, &ch) != VR_DROP_NONE) {
		snprintf(why, n, "VIP %s has no backend up", vip);
		return NULL;
	}
	for (unsigned i = 0; i < voice.nrelays; i++)
		if (vr_addr_eq(vr_cp_relay_addr(voice.relays[i]), &ch.backend->addr))
			return voice.relays[i];
	snprintf(why, n, "backend %s of %s port %lu is in no controlplane.voice.relays entry",
		 vr_addr_str(&ch.backend->addr, be, sizeof(be)), vip, port);
	return NULL;
}

static json_t *members_json(const redisReply *r)
{
	json_t *a = json_array();

	for (size_t i = 0; a && r && r->type == REDIS_REPLY_ARRAY && i < r->elements; i++)
		if (r->element[i]->type == REDIS_REPLY_STRING)
			json_array_append_new(a, json_string(r->element[i]->str));
	return a;
}

/* voice_state {room, members} to the chat's members on every process, except @p skip (who caused it). */
static void publish_state(struct vr_cp *cp, const char *room, const char *skip, json_t *members)
{
	size_t len = 0;
	char *f = vr_cp_frame("voice_state", json_pack("{s:s, s:O}", "room", room, "members", members), NULL, &len);

	/* the store is gone once the process stops */
	if (cp->store)
		vr_cp_publish_chat(cp, room, skip, f, len);
	else
		free(f);
}

/* ---- a user's queue ---- */

static void op_start(struct voice_op *op);

static void op_free(struct voice_op *op)
{
	json_decref(op->members);
	OPENSSL_cleanse(op->tx_key, sizeof(op->tx_key));
	OPENSSL_cleanse(op->rx_key, sizeof(op->rx_key));
	free(op);
}

/* The running op is over (its request answered): start the user's next one. */
static void op_end(struct voice_op *op)
{
	struct voice_user *vu = op->vu;

	vu->head = op->next;
	if (!vu->head)
		vu->tail = NULL;
	op_free(op);
	if (vu->head) {
		op_start(vu->head);
		return;
	}
	if (vu->seat_room[0])
		return;
	HASH_DEL(voice.users, vu);
	free(vu);
}

/* Queue an op for @p uid; it answers @p k (NULL: none). -1 on ENOMEM (k untouched). */
static int op_push(struct vr_cp *cp, const char *uid, enum op_kind kind, struct vr_cp_call *k, const char *room)
{
	struct voice_user *vu = NULL;
	struct voice_op *op = calloc(1, sizeof(*op));

	if (!op)
		return -1;
	HASH_FIND_STR(voice.users, uid, vu);
	if (!vu) {
		vu = calloc(1, sizeof(*vu));
		if (!vu) {
			free(op);
			return -1;
		}
		snprintf(vu->uid, sizeof(vu->uid), "%s", uid);
		HASH_ADD_STR(voice.users, uid, vu);
	}
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

/* Answer the op's request with an error (once; the op may go on cleaning up). */
static void op_fail(struct voice_op *op, enum vr_cp_error e, const char *msg)
{
	if (op->k)
		vr_cp_call_fail(op->k, e, msg);
	op->k = NULL;
}

/* The relay's message of a refusal, or the reason nothing came. */
static void relay_why(char *buf, size_t n, const struct voice_op *op, const char *what, json_t *resp, const char *why)
{
	const char *m = json_string_value(json_object_get(json_object_get(resp, "error"), "message"));

	snprintf(buf, n, "relay %s: %s: %s", vr_cp_relay_name(op->relay), what, resp ? (m ? m : "refused") : why);
}

/* ---- the leave step, shared by voice_leave, a join's first step and its rollback, and a user gone ---- */

static void leave_relayed(void *arg, json_t *resp, const char *why)
{
	struct voice_op *op = arg;
	const char *code = vr_cp_relay_error(resp);
	char msg[256];

	/* best effort: Redis no longer has the member, whatever the relay says */
	if (!code || (*code && strcmp(code, "ENOENT") != 0)) {
		relay_why(msg, sizeof(msg), op, "member.remove", resp, why);
		fprintf(stderr, "voxrelay-cp: voice: %s\n", msg);
	}
	op->after_leave(op, LEFT);
}

static void leave_stored(struct vr_cp *cp, void *arg, redisReply *r, enum vr_cp_error err)
{
	struct voice_op *op = arg;
	struct vr_cp_user *u = vr_cp_user_get(cp, op->vu->uid, false);
	unsigned long long ssrc = 0, mid = 0;
	char why[256];
	json_t *members, *args;

	if (err || !r || r->type == REDIS_REPLY_ERROR) {
		op->after_leave(op, LEFT_STORE_DOWN);
		return;
	}
	if (r->type != REDIS_REPLY_ARRAY || r->elements != 5) {
		op->after_leave(op, LEFT_NONE);
		return;
	}
	for (size_t i = 0; i < 4; i++)
		if (r->element[i]->type != REDIS_REPLY_STRING) {
			op->after_leave(op, LEFT_NONE);
			return;
		}
	snprintf(op->left, sizeof(op->left), "%s", r->element[0]->str);
	if (u && strcmp(u->voice_room, op->left) == 0)
		u->voice_room[0] = 0;
	if (strcmp(op->vu->seat_room, op->left) == 0)
		op->vu->seat_room[0] = 0;
	if (!op->leave_quiet) {
		members = members_json(r->element[4]);
		publish_state(cp, op->left, op->vu->uid, members);
		json_decref(members);
	}
	op->relay = op->leave_relay && sscanf(r->element[1]->str, "%llu %llu", &ssrc, &mid) == 2
			    ? relay_of(r->element[2]->str, r->element[3]->str, why, sizeof(why))
			    : NULL;
	if (op->relay) {
		args = json_pack("{s:s, s:i, s:I}", "vip", r->element[2]->str, "port",
				 atoi(r->element[3]->str), "id", (json_int_t)mid);
		if (vr_cp_relay_call(op->relay, "member.remove", args, leave_relayed, op) == 0)
			return;
	}
	op->after_leave(op, LEFT);
}

/* Leave the user's voice room (only @p expect if not ""); then op->after_leave. */
static void leave_step(struct voice_op *op, const char *expect, void (*then)(struct voice_op *, enum left))
{
	struct vr_cp *cp = op->cp;
	char key[VR_CP_ID_LEN + 16];
	const char *argv[6] = {"EVAL", leave_lua, "1", key, op->vu->uid, expect};
	size_t lens[6];

	op->after_leave = then;
	snprintf(key, sizeof(key), "voice_member:%s", op->vu->uid);
	for (int i = 0; i < 6; i++)
		lens[i] = strlen(argv[i]);
	if (!cp->store || vr_cp_store_cmd(cp->store, leave_stored, op, 6, argv, lens) != 0)
		then(op, LEFT_STORE_DOWN);
}

static void end_after_leave(struct voice_op *op, enum left how)
{
	(void)how;
	op_end(op);
}

/* ---- voice_join ---- */

static void join_reserve(struct voice_op *op);

/* Undo a join the client was told failed: its Redis records, and its relay member if it may exist. */
static void join_abort(struct voice_op *op, enum vr_cp_error e, const char *msg, bool relay)
{
	op_fail(op, e, msg);
	op->leave_relay = relay;
	op->leave_quiet = true;
	leave_step(op, op->room, end_after_leave);
}

static void join_done(struct voice_op *op)
{
	struct vr_cp_call *k = op->k;
	struct vr_cp_conn *c = k->c;
	json_t *keys;

	if (c->dead || !c->user) {
		/* the connection that asked is gone: nobody will use the place */
		vr_cp_call_done(k, NULL, NULL);
		op->k = NULL;
		op->leave_relay = true;
		op->leave_quiet = true; /* the chat was never told of the join */
		leave_step(op, op->room, end_after_leave);
		return;
	}
	snprintf(c->user->voice_room, sizeof(c->user->voice_room), "%s", op->room);
	snprintf(op->vu->seat_room, sizeof(op->vu->seat_room), "%s", op->room);
	snprintf(op->vu->seat_vip, sizeof(op->vu->seat_vip), "%s", op->vip);
	op->vu->seat_port = op->port;
	op->vu->seat_member = op->member_id;
	op->vu->seat_relay = op->relay;
	publish_state(op->cp, op->room, op->vu->uid, op->members);
	keys = suites[op->cp->cfg->cp_voice_suite].key_len
		       ? json_pack("{s:s, s:s}", "send", op->tx_key, "receive", op->rx_key)
		       : json_pack("{s:n, s:n}", "send", "receive");
	vr_cp_call_done(k, "voice_joined",
			json_pack("{s:s, s:s, s:i, s:I, s:s, s:I, s:o, s:s}", "room", op->room, "vip", op->vip, "port",
				  (int)op->port, "ssrc", (json_int_t)op->ssrc, "suite",
				  suites[op->cp->cfg->cp_voice_suite].name, "member_id", (json_int_t)op->member_id,
				  "keys", keys, "relay", vr_cp_relay_name(op->relay)));
	op->k = NULL;
	op_end(op);
}

static void join_member_added(void *arg, json_t *resp, const char *why)
{
	struct voice_op *op = arg;
	const char *code = vr_cp_relay_error(resp);
	char msg[256];

	if (code && !*code) {
		join_done(op);
		return;
	}
	relay_why(msg, sizeof(msg), op, "member.add", resp, why);
	fprintf(stderr, "voxrelay-cp: voice: %s\n", msg);
	/* without an answer the member may have been added after all */
	join_abort(op, VR_CP_E_VOICE_UNAVAILABLE, msg, !code);
}

static void join_room_added(void *arg, json_t *resp, const char *why)
{
	struct voice_op *op = arg;
	const char *code = vr_cp_relay_error(resp);
	int klen = suites[op->cp->cfg->cp_voice_suite].key_len;
	char msg[256];
	json_t *args;

	/* EEXIST: the room is there already (other members, or left over empty) */
	if (!code || (*code && strcmp(code, "EEXIST") != 0)) {
		relay_why(msg, sizeof(msg), op, "room.add", resp, why);
		fprintf(stderr, "voxrelay-cp: voice: %s\n", msg);
		join_abort(op, VR_CP_E_VOICE_UNAVAILABLE, msg, false);
		return;
	}
	args = json_pack("{s:s, s:i, s:I, s:[I], s:s}", "vip", op->vip, "port", (int)op->port, "id",
			 (json_int_t)op->member_id, "ssrcs", (json_int_t)op->ssrc, "suite",
			 suites[op->cp->cfg->cp_voice_suite].name);
	/* tx_key: what the member sends with (the relay unprotects with it); rx_key: what it receives with */
	if (args && klen) {
		json_object_set_new(args, "tx_key", json_string(op->tx_key));
		json_object_set_new(args, "rx_key", json_string(op->rx_key));
	}
	if (!args || vr_cp_relay_call(op->relay, "member.add", args, join_member_added, op) != 0)
		join_abort(op, VR_CP_E_VOICE_UNAVAILABLE, "too many voice requests for the relay", false);
}

static void room_add(struct voice_op *op)
{
	json_t *args = json_pack("{s:s, s:i}", "vip", op->vip, "port", (int)op->port);

	if (!args || vr_cp_relay_call(op->relay, "room.add", args, join_room_added, op) != 0)
		join_abort(op, VR_CP_E_VOICE_UNAVAILABLE, "too many voice requests for the relay", false);
}

static void join_room_cleared(void *arg, json_t *resp, const char *why)
{
	struct voice_op *op = arg;
	char msg[256];

	if (!resp) {
		relay_why(msg, sizeof(msg), op, "room.remove", resp, why);
		fprintf(stderr, "voxrelay-cp: voice: %s\n", msg);
		join_abort(op, VR_CP_E_VOICE_UNAVAILABLE, msg, false);
		return;
	}
	room_add(op);
}

/* Fresh SRTP master keys || salts of the suite, base64 (RFC 4648, padded), as member.add takes them. */
static int make_keys(struct voice_op *op)
{
	unsigned char raw[2][KEY_MAX];
	int klen = suites[op->cp->cfg->cp_voice_suite].key_len, rc = -1;

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
	struct voice_op *op = arg;
	char why[256];

	(void)cp;
	if (err || !r) {
		op_fail(op, VR_CP_E_STORE_UNAVAILABLE, NULL);
		op_end(op);
		return;
	}
	if (r->type == REDIS_REPLY_ERROR) {
		/* Redis 7 prefixes a script's error_reply with "ERR " */
		if (strstr(r->str, "TAKEN") && ++op->tries < SSRC_TRIES) {
			join_reserve(op);
			return;
		}
		op_fail(op, strstr(r->str, "NO_PORT") || strstr(r->str, "TAKEN") || strstr(r->str, "IN_VOICE")
				    ? VR_CP_E_VOICE_UNAVAILABLE : VR_CP_E_STORE_UNAVAILABLE,
			strstr(r->str, "NO_PORT") ? "no free voice port: every port tried holds another chat's room"
			: strstr(r->str, "TAKEN") ? "no SSRC free in the room"
			: strstr(r->str, "IN_VOICE") ? "joined a voice room meanwhile; retry"
						     : NULL);
		op_end(op);
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
	op->members = members_json(r->element[2]);
	op->relay = relay_of(r->element[0]->str, r->element[1]->str, why, sizeof(why));
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
static void join_reserve(struct voice_op *op)
{
	struct vr_cp *cp = op->cp;
	uint32_t rnd[2] = {0, 0};
	char key[VR_CP_ID_LEN + 16], ssrc[12], mid[12], h[12], n[12];
	const char *argv[10 + 3 * VR_MAX_VIPS] = {"EVAL", join_lua, "1", key, op->vu->uid, op->room, ssrc, mid, h, n};
	size_t lens[10 + 3 * VR_MAX_VIPS];
	int argc = 10;

	while (rnd[0] == 0 || rnd[1] == 0)
		if (RAND_bytes((unsigned char *)rnd, sizeof(rnd)) != 1) {
			op_fail(op, VR_CP_E_INTERNAL, NULL);
			op_end(op);
			return;
		}
	op->ssrc = rnd[0];
	op->member_id = rnd[1];
	snprintf(key, sizeof(key), "voice_member:%s", op->vu->uid);
	snprintf(ssrc, sizeof(ssrc), "%u", op->ssrc);
	snprintf(mid, sizeof(mid), "%u", op->member_id);
	snprintf(h, sizeof(h), "%u", room_hash(op->room));
	snprintf(n, sizeof(n), "%u", voice.nvips);
	for (unsigned i = 0; i < voice.nvips; i++) {
		argv[argc++] = voice.vip[i];
		argv[argc++] = voice.lo[i];
		argv[argc++] = voice.hi[i];
	}
	for (int i = 0; i < argc; i++)
		lens[i] = strlen(argv[i]);
	if (!cp->store || vr_cp_store_cmd(cp->store, join_stored, op, argc, argv, lens) != 0) {
		op_fail(op, VR_CP_E_STORE_UNAVAILABLE, NULL);
		op_end(op);
	}
}

/* A user is in one room at a time: whatever room it is in, on whichever process, it leaves first. */
static void join_after_leave(struct voice_op *op, enum left how)
{
	if (how == LEFT_STORE_DOWN) {
		op_fail(op, VR_CP_E_STORE_UNAVAILABLE, NULL);
		op_end(op);
		return;
	}
	join_reserve(op);
}

/* ---- voice_leave and a user gone ---- */

static void leave_answered(struct voice_op *op, enum left how)
{
	if (how == LEFT_STORE_DOWN)
		op_fail(op, VR_CP_E_STORE_UNAVAILABLE, NULL);
	else if (how == LEFT_NONE)
		op_fail(op, VR_CP_E_NOT_IN_VOICE, NULL);
	else
		vr_cp_call_done(op->k, "voice_left", json_pack("{s:s}", "room", op->left));
	op->k = NULL;
	op_end(op);
}

static void gone_relayed(void *arg, json_t *resp, const char *why)
{
	struct voice_op *op = arg;
	const char *code = vr_cp_relay_error(resp);
	char msg[256];

	if (!code || (*code && strcmp(code, "ENOENT") != 0)) {
		relay_why(msg, sizeof(msg), op, "member.remove", resp, why);
		fprintf(stderr, "voxrelay-cp: voice: %s\n", msg);
	}
	op_end(op);
}

/* A user gone: without Redis, at least the relay forgets the member this process added (Redis keeps its records). */
static void gone_after_leave(struct voice_op *op, enum left how)
{
	struct voice_user *vu = op->vu;
	json_t *args;

	if (strcmp(vu->seat_room, op->room) != 0) {
		op_end(op);
		return;
	}
	vu->seat_room[0] = 0;
	if (how != LEFT_STORE_DOWN) {
		op_end(op);
		return;
	}
	fprintf(stderr, "voxrelay-cp: voice: Redis unavailable: %s stays in voice room %s there\n", vu->uid, op->room);
	op->relay = vu->seat_relay;
	args = json_pack("{s:s, s:i, s:I}", "vip", vu->seat_vip, "port", (int)vu->seat_port, "id",
			 (json_int_t)vu->seat_member);
	if (!args || vr_cp_relay_call(op->relay, "member.remove", args, gone_relayed, op) != 0)
		op_end(op);
}

static void op_start(struct voice_op *op)
{
	op->leave_relay = true;
	switch (op->kind) {
	case OP_JOIN:
		if (op->k->c->dead) {
			/* asked by a connection closed meanwhile */
			vr_cp_call_done(op->k, NULL, NULL);
			op->k = NULL;
			op_end(op);
			return;
		}
		leave_step(op, "", join_after_leave);
		return;
	case OP_LEAVE:
		leave_step(op, "", leave_answered);
		return;
	case OP_GONE:
		leave_step(op, op->room, gone_after_leave);
		return;
	}
}

void vr_cp_h_voice_join(struct vr_cp_conn *c, struct vr_cp_request *req, unsigned type_idx)
{
	const char *room = json_string_value(json_object_get(req->data, "room"));
	struct vr_cp_call *k;
	const char *why;

	if (!room || !vr_cp_chat_id_ok(room)) {
		vr_cp_send_error(c, VR_CP_E_BAD_REQUEST, "data.room: a chat id is required", req->id);
		return;
	}
	k = vr_cp_call_new(c, req, type_idx);
	if (!k)
		return;
	why = voice_setup(c->cp);
	if (why)
		vr_cp_call_fail(k, VR_CP_E_VOICE_UNAVAILABLE, why);
	else if (!vr_cp_is_member(c->user, room))
		vr_cp_call_fail(k, VR_CP_E_NOT_MEMBER, NULL);
	else if (op_push(c->cp, c->user->id, OP_JOIN, k, room) != 0)
		vr_cp_call_fail(k, VR_CP_E_INTERNAL, NULL);
}

void vr_cp_h_voice_leave(struct vr_cp_conn *c, struct vr_cp_request *req, unsigned type_idx)
{
	struct vr_cp_call *k = vr_cp_call_new(c, req, type_idx);

	if (!k)
		return;
	if (voice_setup(c->cp))
		vr_cp_call_fail(k, VR_CP_E_NOT_IN_VOICE, NULL);
	else if (op_push(c->cp, c->user->id, OP_LEAVE, k, "") != 0)
		vr_cp_call_fail(k, VR_CP_E_INTERNAL, NULL);
}

void vr_cp_voice_gone(struct vr_cp *cp, struct vr_cp_user *u)
{
	char room[VR_CP_CHAT_LEN];

	/* only a room joined through this process: another process's join is its own to undo */
	if (!u->voice_room[0])
		return;
	snprintf(room, sizeof(room), "%s", u->voice_room);
	u->voice_room[0] = 0;
	if (op_push(cp, u->id, OP_GONE, NULL, room) != 0)
		fprintf(stderr, "voxrelay-cp: voice: out of memory: %s stays in voice room %s\n", u->id, room);
}
