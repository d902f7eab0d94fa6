/* SPDX-License-Identifier: BSD-3-Clause */
/* Internal to voxrelay-cp: the process, its connections, local users and chats, and how the files call each other. */
#ifndef VOXRELAY_CP_PRIV_H
#define VOXRELAY_CP_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>
#include <libwebsockets.h>
#include <uthash.h>
#include <uv.h>

#include "voxrelay/config.h"
#include "voxrelay/cp_jwt.h"
#include "voxrelay/cp_proto.h"

#include "store.h"

#define VR_CP_ID_LEN 129   /* user ids (JWT sub) up to 128 bytes */
#define VR_CP_CHAT_LEN 65  /* chat ids up to 64 bytes */
#define VR_CP_SID_LEN 33   /* session ids: 32 hex digits */
#define VR_CP_MSGID_LEN 48 /* stream ids "<ms>-<seq>": two numbers of up to 20 digits */

struct vr_cp;
struct vr_cp_user;
struct vr_cp_chat;
struct vr_cp_voice;

/* One queued outbound frame; LWS_PRE bytes of headroom precede data. */
struct vr_cp_out {
	struct vr_cp_out *next;
	size_t len;
	unsigned char buf[]; /* LWS_PRE + len */
};

/* A frame held back from a connection whose resume is replaying; chat and stream id decide whether the replay had it. */
struct vr_cp_held {
	struct vr_cp_held *next;
	char chat[VR_CP_CHAT_LEN];     /* "" none */
	char id[VR_CP_MSGID_LEN];      /* "" none */
	struct vr_cp_out *o;
};

/* One WebSocket connection on /ws/chat. */
struct vr_cp_conn {
	struct vr_cp *cp;
	struct lws *wsi;
	struct vr_cp_user *user;       /* NULL until authenticated */
	char session_id[VR_CP_SID_LEN];
	/* monotonic ms: connected, last data frame (any), last request other than heartbeat */
	uint64_t connected_ms, last_rx_ms, last_request_ms;
	/* reassembly of a fragmented frame, at most max_payload bytes */
	char *rx;
	size_t rx_len;
	bool rx_binary;
	/* outbound queue: bytes (held ones too) bounded by limits.outbound_queue */
	struct vr_cp_out *out_head, *out_tail;
	size_t out_bytes;
	/* while a resume replays: live frames wait here (vr_cp_deliver_conn) */
	bool holding;
	struct vr_cp_held *held_head, *held_tail;
	/* set when the connection must close once its queue is written */
	uint16_t close_code;
	bool want_ping;                /* the sweep asks for a WebSocket ping */
	bool ping_out;                 /* a ping is unanswered: no pong since it was sent */
	uint64_t ping_ms;              /* when the last ping was asked for */
	char close_reason[96];
	bool dead;                     /* closed by lws; freed by the last pending store callback */
	bool counted;                  /* counts against max_connections (not a refused one) */
	unsigned pending;              /* store callbacks still holding it */
	struct vr_cp_conn *prev, *next;            /* cp->conns */
	struct vr_cp_conn *user_prev, *user_next;  /* user->conns */
};

/* Membership of a local user in a chat, in two hash tables (chat->members, user->chats). */
struct vr_cp_member {
	struct vr_cp_chat *chat;
	struct vr_cp_user *user;
	UT_hash_handle hh_chat; /* key: user pointer */
	UT_hash_handle hh_user; /* key: chat pointer */
};

/* A chat event from pub/sub held while the chat's stream is read after an outage. */
struct vr_cp_event {
	struct vr_cp_event *next;
	char skip[VR_CP_ID_LEN];
	char id[VR_CP_MSGID_LEN];
	size_t len;
	char frame[];
};

/* A chat that has at least one member with a connection to this process. */
struct vr_cp_chat {
	char id[VR_CP_CHAT_LEN];
	struct vr_cp_member *members;
	char last_id[VR_CP_MSGID_LEN]; /* newest stream entry delivered here: where a resync starts */
	uint64_t resync;               /* a resync in progress (its number), 0 none: live events wait */
	struct vr_cp_event *held_head, *held_tail;
	UT_hash_handle hh;
};

/* A user with at least one authenticated connection to this process. */
struct vr_cp_user {
	char id[VR_CP_ID_LEN];
	struct vr_cp_conn *conns;
	unsigned nconns;
	struct vr_cp_bucket bucket;
	char status[8];                /* "online" or "idle" */
	struct vr_cp_member *chats;
	bool chats_loaded;
	bool announced;                /* its coming online (0 -> 1 connections here) was published */
	uint64_t mark;                 /* de-duplicates a delivery over several chats */
	uint64_t presence_ms;          /* last refresh of its presence field */
	UT_hash_handle hh;
};

/* Counters and histograms for /health and /metrics (metrics.c). */
#define VR_CP_LAT_BUCKETS 7 /* 1, 5, 10, 25, 50, 100, 250 ms, then +Inf */
struct vr_cp_hist {
	uint64_t le[VR_CP_LAT_BUCKETS + 1];
	uint64_t count;
	double sum_ms;
};
struct vr_cp_type_stats {
	const char *type;
	uint64_t ok, err;
	struct vr_cp_hist lat;
};

struct vr_cp_stats {
	uint64_t connections_total, connections_rejected_capacity, connections_rejected_user;
	uint64_t closed_slow, closed_auth_timeout, closed_heartbeat, closed_inactive, closed_too_big;
	uint64_t frames_in, frames_out, bytes_in, bytes_out; /* WebSocket payload bytes */
	uint64_t errors_out[VR_CP_E_MAX];
	uint64_t rate_limited;
	uint64_t redis_ok, redis_err, redis_reconnects;
	struct vr_cp_hist redis_lat;
	uint64_t messages_minute[60];  /* messages sent, ring per second */
	uint64_t errors_minute[60], requests_minute[60];
	uint64_t resp_ms_minute[60];   /* response ms summed per second: averageResponseTime over the last minute */
	uint64_t minute_sec;           /* second of the last ring write */
};

/* The process. One libuv loop; everything runs on it. */
struct vr_cp {
	struct vr_config *cfg;
	uv_loop_t *loop;
	struct lws_context *lws;
	struct vr_jwt_key *keys[2];
	unsigned nkeys;
	struct vr_cp_conn *conns;
	unsigned nconns;
	struct vr_cp_user *users;
	struct vr_cp_chat *chats;
	struct vr_cp_store *store;
	struct vr_cp_voice *voice;        /* voice signalling (voice_place.c), built at start-up */
	uv_timer_t sweep;
	uv_timer_t cleanup;               /* refreshes this process's presence fields (main.c) */
	uv_timer_t stop_wait;             /* a stop waiting for voice leaves and connections to close */
	uv_signal_t sigint, sigterm;
	uint64_t start_ms;
	uint64_t stop_ms;                 /* when the stop began */
	uint64_t mark;
	uint64_t resyncs;                 /* numbers resyncs (vr_cp_chat.resync) */
	struct vr_cp_type_stats *types;   /* one per dispatch entry */
	unsigned ntypes;
	struct vr_cp_stats st;
	char web_root[4096];
	char proc_id[17];                 /* random per process: its field in presence hashes */
	bool stopping;
};

/* One request in flight: what its reply needs once the store answers. */
struct vr_cp_call {
	struct vr_cp_conn *c;
	json_t *id;            /* the request's id, held */
	uint64_t t0;           /* vr_cp_now_ms() at receipt */
	unsigned type_idx;     /* index into cp->types */
	char chat[VR_CP_CHAT_LEN];
	char aux[VR_CP_ID_LEN];
	json_t *data;          /* handler's own state, held */
	void (*next)(struct vr_cp_call *k, enum vr_cp_error err); /* what vr_cp_chats_load() continues with */
};

/* ---- conn.c: clocks, hex ids, queueing, holding, closing ---- */
uint64_t vr_cp_now_ms(void);      /* monotonic */
int64_t vr_cp_wall_ms(void);      /* since the epoch */
/* @p n bytes as 2n lowercase hex digits and a NUL in @p out. */
void vr_cp_hex(const unsigned char *b, size_t n, char *out);
/* @p n random bytes (RAND_bytes) as hex in @p out (2n + 1 bytes); -1 without randomness. */
int vr_cp_random_hex(char *out, size_t n);
/* Queue a frame, taking it (malloc'd; freed here whatever happens). -ENOBUFS: the connection was too slow and closes. */
int vr_cp_send(struct vr_cp_conn *c, char *frame, size_t len);
/* Queue a copy of a frame (one copy, into the queue node). Returns as vr_cp_send. */
int vr_cp_send_copy(struct vr_cp_conn *c, const char *frame, size_t len);
/* A live frame for @p c: queued, or held while its resume replays. @p chat, @p id: "" or NULL when none. */
int vr_cp_deliver_conn(struct vr_cp_conn *c, const char *chat, const char *id, const char *frame, size_t len);
/* End holding: queue the held frames in order, except those @p replayed (NULL: none) says the replay sent. */
void vr_cp_unhold(struct vr_cp_conn *c, bool (*replayed)(void *arg, const char *chat, const char *id), void *arg);
/* Build {type, data (stolen), id} and queue it. */
int vr_cp_send_json(struct vr_cp_conn *c, const char *type, json_t *data, const json_t *id);
/* Queue an error frame (counted in errors_out). */
void vr_cp_send_error(struct vr_cp_conn *c, enum vr_cp_error e, const char *msg, const json_t *id);
/* Close with @p code once the queue is written (the close frame follows it). */
void vr_cp_close(struct vr_cp_conn *c, uint16_t code, const char *reason);
int vr_cp_conn_writeable(struct vr_cp_conn *c);                      /* lws writeable: -1 closes */
void vr_cp_conn_free(struct vr_cp_conn *c);                          /* its queues and itself; NULL ok */
void vr_cp_conn_put(struct vr_cp_conn *c);                           /* drops a call's hold: frees a dead one */

/* ---- users.c: local users and chat index ---- */
/* The local user @p id; created (status online, full bucket) if @p create. NULL: none, or out of memory. */
struct vr_cp_user *vr_cp_user_get(struct vr_cp *cp, const char *id, bool create);
/* The connection is the user's (one more of its connections here). */
void vr_cp_user_attach(struct vr_cp_user *u, struct vr_cp_conn *c);
/* The connection leaves its user; the last one makes the user gone (vr_cp_user_gone) and frees it. */
void vr_cp_user_detach(struct vr_cp_conn *c);
/* Index @p u as a member of @p chat here: 1 added, 0 already there, -1 out of memory. */
int vr_cp_member_add(struct vr_cp *cp, struct vr_cp_user *u, const char *chat);
/* Unindex @p u from @p chat here (the chat goes with its last local member). */
void vr_cp_member_remove(struct vr_cp *cp, struct vr_cp_user *u, const char *chat);
/* Whether @p u is a member of @p chat (two hash lookups). */
bool vr_cp_is_member(struct vr_cp *cp, const struct vr_cp_user *u, const char *chat);
/* data.<field> a well-formed chat id of which the connection's user is a member; NULL with the error sent. */
const char *vr_cp_member_chat(struct vr_cp_conn *c, const struct vr_cp_request *req, const char *field);
/* Deliver a frame (stream id @p id, "" none) to every local connection of the chat's members, except user @p except. */
void vr_cp_deliver_chat(struct vr_cp_chat *ch, const char *id, const char *frame, size_t len,
			const struct vr_cp_user *except);
/* Deliver a frame to every connection of @p u. */
void vr_cp_deliver_user(struct vr_cp_user *u, const char *frame, size_t len);

/* ---- calls (dispatch.c) ---- */
/* A call for request @p req (its id held) of type @p type_idx, holding the connection until done. NULL: ENOMEM. */
struct vr_cp_call *vr_cp_call_new(struct vr_cp_conn *c, const struct vr_cp_request *req, unsigned type_idx);
/* Send the reply (data stolen; NULL type sends nothing) if the connection lives, count it, free the call. */
void vr_cp_call_done(struct vr_cp_call *k, const char *type, json_t *data);
/* Send the error (@p msg NULL: its default text) if the connection lives, count it, free the call. */
void vr_cp_call_fail(struct vr_cp_call *k, enum vr_cp_error e, const char *msg);
/* Map a store completion's failure (down, Redis error reply: vr_cp_store_error) to a call failure; true if it failed. */
bool vr_cp_call_store_failed(struct vr_cp_call *k, redisReply *r, enum vr_cp_error err);

/* ---- handlers (session.c, resume.c, chat_members.c, chat_messages.c, voice.c): one per request type ---- */
typedef void vr_cp_handler(struct vr_cp_conn *c, struct vr_cp_request *req, unsigned type_idx);
vr_cp_handler vr_cp_h_auth, vr_cp_h_heartbeat, vr_cp_h_resume, vr_cp_h_presence, vr_cp_h_set_status;
vr_cp_handler vr_cp_h_create_chat, vr_cp_h_join_chat, vr_cp_h_switch_chat, vr_cp_h_leave_chat, vr_cp_h_list_chats;
vr_cp_handler vr_cp_h_send_message, vr_cp_h_edit_message, vr_cp_h_delete_message, vr_cp_h_history, vr_cp_h_typing;
vr_cp_handler vr_cp_h_voice_join, vr_cp_h_voice_leave;
vr_cp_handler vr_cp_auth_in_join; /* join_chat before auth: authenticates with its token, then joins */
/* Verify a token and attach the connection to its user; false when refused (error sent, closing). */
bool vr_cp_authenticate(struct vr_cp_conn *c, const char *token, const json_t *id);
/* Load the user's chats, then answer "ready" (join: run that join_chat data instead; stolen). */
void vr_cp_after_auth(struct vr_cp_conn *c, const struct vr_cp_request *req, unsigned type_idx, json_t *join);
/*
 * Load the user's chats into the index (once per user: SMEMBERS) and
 * announce the user online on its first load, then run k->next = @p next
 * with VR_CP_E_NONE or the store's failure. The connection may be dead by
 * then.
 */
void vr_cp_chats_load(struct vr_cp_call *k, void (*next)(struct vr_cp_call *k, enum vr_cp_error err));
/* The data of "ready": user, session, heartbeat interval, the user's chats, whether Redis failed (@p degraded). */
json_t *vr_cp_ready_json(struct vr_cp_conn *c, bool degraded);
/* Publish a frame (no stream id) on a chat's channel, skipping user @p skip ("" none); takes @p frame. */
int vr_cp_publish_chat(struct vr_cp *cp, const char *chat, const char *skip, char *frame, size_t len);
/* Tell the user's connections on every process: "join <chat>" / "leave <chat>". */
int vr_cp_publish_user(struct vr_cp *cp, const char *user, const char *op, const char *chat);
/* A stream id ("<ms>-<seq>"). */
bool vr_cp_msg_id_ok(const char *id);
/* Stream ids in stream order: <0, 0, >0. */
int vr_cp_msg_id_cmp(const char *a, const char *b);
/* Chat id syntax: 1..64 of [A-Za-z0-9_.:-]. */
bool vr_cp_chat_id_ok(const char *id);
/* After a user's last local connection closed, or a session ended: presence offline, voice left. */
void vr_cp_user_gone(struct vr_cp *cp, struct vr_cp_user *u);
/* voice (voice.c): the user's last connection here closed: it leaves the room it is seated in through this process */
void vr_cp_voice_gone(struct vr_cp *cp, struct vr_cp_user *u);
/* voice (voice_place.c): build cp->voice from the configuration (relay clients, the balancer's view);
 * -1 with the reason in @p err. No relays configured is no error: voice_join says voice is unavailable. */
int vr_cp_voice_init(struct vr_cp *cp, char *err, size_t errlen);
void vr_cp_voice_free(struct vr_cp *cp);                  /* NULL cp->voice ok */
/* voice (voice.c): the process stops: every user seated through it leaves */
void vr_cp_voice_stop(struct vr_cp *cp);
/* voice (voice.c): voice requests or leaves are still running */
bool vr_cp_voice_busy(const struct vr_cp *cp);
/* presence (session.c): write this process's field of the user with a fresh expiry; tell the user's chats
 * if @p announce. 0: sent; else the store's refusal. */
int vr_cp_presence_publish(struct vr_cp *cp, struct vr_cp_user *u, const char *status, bool announce);
/* fanout.c: one pub/sub message (vr:chat:*, vr:user:*, vr:presence) delivered to the connections here */
void vr_cp_on_pubsub(struct vr_cp *cp, const char *channel, const char *payload, size_t len);
/* fanout.c: Redis is back: every chat here reads what pub/sub lost from its stream
 * (@p down_ms: when the outage began, wall clock). */
void vr_cp_on_store_up(struct vr_cp *cp, int64_t down_ms);
/* fanout.c: free the events a chat held for its resync */
void vr_cp_chat_drop_held(struct vr_cp_chat *ch);

/* ---- dispatch.c ---- */
/* One text frame from the client: parse, check, rate-limit, run its handler (or answer the error). */
void vr_cp_dispatch(struct vr_cp_conn *c, const char *buf, size_t len);
/* The per-type figures (cp->types). -1: ENOMEM. */
int vr_cp_dispatch_init(struct vr_cp *cp);
/* A new connection: its session id and the "hello" frame. */
void vr_cp_hello(struct vr_cp_conn *c);

/* ---- gateway.c ---- */
/* The lws context on cp->loop, listening. -EADDRINUSE when it cannot. */
int vr_cp_gateway_start(struct vr_cp *cp);
/* The first of lws's two destroy steps (the loop must run dry before the second). */
void vr_cp_gateway_stop(struct vr_cp *cp);
/* Once a second: the connections' deadlines (auth, frames, pongs, inactivity) and pings. */
void vr_cp_sweep(struct vr_cp *cp);

/* ---- metrics.c ---- */
/* Count one duration in a histogram. */
void vr_cp_hist_add(struct vr_cp_hist *h, double ms);
/* Add @p n to this second's slot of a per-second ring (of cp->st). */
void vr_cp_count_second(struct vr_cp *cp, uint64_t *ring, uint64_t n);
/* The sum of a ring's last 60 seconds. */
uint64_t vr_cp_sum_minute(struct vr_cp *cp, const uint64_t *ring);
/* GET /health's body (malloc'd) and status (200, or 503 when critical). */
char *vr_cp_health_json(struct vr_cp *cp, int *http_status, size_t *len);
/* GET /metrics's body (malloc'd): Prometheus text. */
char *vr_cp_metrics_text(struct vr_cp *cp, size_t *len);

#endif
