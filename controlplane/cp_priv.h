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

/* One WebSocket connection on /ws/chat. */
struct vr_cp_conn {
	struct vr_cp *cp;
	struct lws *wsi;
	struct vr_cp_user *user;       /* NULL until authenticated */
	char session_id[VR_CP_SID_LEN];
	char current_chat[VR_CP_CHAT_LEN];
	uint64_t connected_ms, last_rx_ms, last_heartbeat_ms; /* monotonic */
	/* reassembly of a fragmented frame, at most max_payload bytes */
	char *rx;
	size_t rx_len;
	bool rx_binary, rx_too_big;
	/* outbound queue: bytes bounded by limits.outbound_queue */
	struct vr_cp_out *out_head, *out_tail;
	size_t out_bytes;
	/* set when the connection must close once its queue is written */
	uint16_t close_code;
	bool want_ping;                /* the sweep asks for a WebSocket ping */
	uint64_t ping_ms;              /* when the last ping was sent */
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

/* A chat that has at least one member with a connection to this process. */
struct vr_cp_chat {
	char id[VR_CP_CHAT_LEN];
	struct vr_cp_member *members;
	char last_id[48];       /* newest stream entry delivered here: where a resync starts */
	UT_hash_handle hh;
};

/* A user with at least one authenticated connection to this process. */
struct vr_cp_user {
	char id[VR_CP_ID_LEN];
	struct vr_cp_conn *conns;
	unsigned nconns;
	struct vr_cp_bucket bucket;
	char status[8];                /* "online" or "idle" */
	char voice_room[VR_CP_CHAT_LEN];
	struct vr_cp_member *chats;
	bool chats_loaded;
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
	uint64_t frames_in, frames_out, bytes_in, bytes_out;
	uint64_t errors_out[VR_CP_E_MAX];
	uint64_t rate_limited;
	uint64_t redis_ok, redis_err, redis_reconnects;
	struct vr_cp_hist redis_lat;
	uint64_t messages_minute[60];  /* messages sent, ring per second */
	uint64_t errors_minute[60], requests_minute[60];
	uint64_t minute_sec;           /* second of the last ring write */
	double resp_ms_sum;            /* for averageResponseTime (decayed) */
	uint64_t resp_n;
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
	uv_timer_t sweep, cleanup;
	uv_timer_t stop_wait;             /* a stop waiting for voice to leave Redis and the relays */
	uv_signal_t sigint, sigterm;
	uint64_t start_ms;
	uint64_t stop_ms;                 /* when the stop began */
	uint64_t mark;
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
};

/* ---- time ---- */
uint64_t vr_cp_now_ms(void);      /* monotonic */
int64_t vr_cp_wall_ms(void);      /* since the epoch */

/* ---- conn.c: queueing, closing ---- */
int vr_cp_send(struct vr_cp_conn *c, char *frame, size_t len);         /* takes frame (malloc'd) */
int vr_cp_send_json(struct vr_cp_conn *c, const char *type, json_t *data, const json_t *id);
void vr_cp_send_error(struct vr_cp_conn *c, enum vr_cp_error e, const char *msg, const json_t *id);
void vr_cp_close(struct vr_cp_conn *c, uint16_t code, const char *reason);
int vr_cp_conn_writeable(struct vr_cp_conn *c);                      /* lws writeable: -1 closes */
void vr_cp_conn_free(struct vr_cp_conn *c);
void vr_cp_conn_put(struct vr_cp_conn *c);                           /* drops a store hold */

/* ---- users.c: local users and chat index ---- */
struct vr_cp_user *vr_cp_user_get(struct vr_cp *cp, const char *id, bool create);
void vr_cp_user_attach(struct vr_cp_user *u, struct vr_cp_conn *c);
void vr_cp_user_detach(struct vr_cp_conn *c);
int vr_cp_member_add(struct vr_cp *cp, struct vr_cp_user *u, const char *chat);
void vr_cp_member_remove(struct vr_cp *cp, struct vr_cp_user *u, const char *chat);
bool vr_cp_is_member(struct vr_cp_user *u, const char *chat);
/* Deliver a frame to every local connection of the chat's members, except user @p except. */
void vr_cp_deliver_chat(struct vr_cp *cp, const char *chat, const char *frame, size_t len, const char *except);
void vr_cp_deliver_user(struct vr_cp *cp, const char *user, const char *frame, size_t len);

/* ---- calls (dispatch.c) ---- */
struct vr_cp_call *vr_cp_call_new(struct vr_cp_conn *c, const struct vr_cp_request *req, unsigned type_idx);
/* Send the reply (data stolen; NULL type sends nothing) if the connection lives, count it, free the call. */
void vr_cp_call_done(struct vr_cp_call *k, const char *type, json_t *data);
void vr_cp_call_fail(struct vr_cp_call *k, enum vr_cp_error e, const char *msg);
/* Map a store completion's failure (down, Redis error reply) to a call failure; true if it failed. */
bool vr_cp_call_store_failed(struct vr_cp_call *k, redisReply *r, enum vr_cp_error err);

/* ---- handlers (session.c, chat.c, voice.c) ---- */
typedef void vr_cp_handler(struct vr_cp_conn *c, struct vr_cp_request *req, unsigned type_idx);
vr_cp_handler vr_cp_h_auth, vr_cp_h_heartbeat, vr_cp_h_resume, vr_cp_h_presence, vr_cp_h_set_status;
vr_cp_handler vr_cp_h_create_chat, vr_cp_h_join_chat, vr_cp_h_switch_chat, vr_cp_h_leave_chat, vr_cp_h_list_chats;
vr_cp_handler vr_cp_h_send_message, vr_cp_h_edit_message, vr_cp_h_delete_message, vr_cp_h_history, vr_cp_h_typing;
vr_cp_handler vr_cp_h_voice_join, vr_cp_h_voice_leave;
vr_cp_handler vr_cp_auth_in_join;
/* Verify a token and attach the connection to its user; false when refused (error sent, closing). */
bool vr_cp_authenticate(struct vr_cp_conn *c, const char *token, const json_t *id);
/* Load the user's chats, then answer "ready" (join: run that join_chat data instead; stolen). */
void vr_cp_after_auth(struct vr_cp_conn *c, const struct vr_cp_request *req, unsigned type_idx, json_t *join); /* join_chat carrying the token (session.c) */
/* Publish a frame on a chat's channel, skipping user @p skip ("" none). */
int vr_cp_publish_chat(struct vr_cp *cp, const char *chat, const char *skip, char *frame, size_t len);
/* Tell the user's connections on every process: "join <chat>" / "leave <chat>". */
int vr_cp_publish_user(struct vr_cp *cp, const char *user, const char *op, const char *chat);
/* A stream id ("<ms>-<seq>"). */
bool vr_cp_msg_id_ok(const char *id);
/* Chat id syntax: 1..64 of [A-Za-z0-9_.:-]. */
bool vr_cp_chat_id_ok(const char *id);
/* After a user's last local connection closed, or a session ended: presence offline, voice left. */
void vr_cp_user_gone(struct vr_cp *cp, struct vr_cp_user *u);
/* voice (voice.c): the user's last connection here closed */
void vr_cp_voice_gone(struct vr_cp *cp, struct vr_cp_user *u);
/* voice (voice_place.c): build cp->voice from the configuration (relay clients, the balancer's view);
 * -1 with the reason in @p err. No relays configured is no error: voice_join says voice is unavailable. */
int vr_cp_voice_init(struct vr_cp *cp, char *err, size_t errlen);
void vr_cp_voice_free(struct vr_cp *cp);                  /* NULL cp->voice ok */
/* voice (voice.c): the process stops: every user seated through it leaves; busy until those leaves are done */
void vr_cp_voice_stop(struct vr_cp *cp);
bool vr_cp_voice_busy(const struct vr_cp *cp);
/* presence (session.c): write this process's view of the user (refreshing its TTL); tell the user's chats if @p announce */
void vr_cp_presence_publish(struct vr_cp *cp, struct vr_cp_user *u, const char *status, bool announce);
/* pub/sub input (fanout.c) and recovery after a Redis outage */
void vr_cp_on_pubsub(struct vr_cp *cp, const char *channel, const char *payload, size_t len);
void vr_cp_on_store_up(struct vr_cp *cp);

/* ---- dispatch.c ---- */
void vr_cp_dispatch(struct vr_cp_conn *c, const char *buf, size_t len);
int vr_cp_dispatch_init(struct vr_cp *cp);
void vr_cp_hello(struct vr_cp_conn *c);

/* ---- gateway.c ---- */
int vr_cp_gateway_start(struct vr_cp *cp);
void vr_cp_gateway_stop(struct vr_cp *cp);
void vr_cp_sweep(struct vr_cp *cp);

/* ---- metrics.c ---- */
void vr_cp_hist_add(struct vr_cp_hist *h, double ms);
void vr_cp_count_second(struct vr_cp *cp, uint64_t *ring, uint64_t n);
uint64_t vr_cp_sum_minute(struct vr_cp *cp, const uint64_t *ring);
char *vr_cp_health_json(struct vr_cp *cp, int *http_status, size_t *len);
char *vr_cp_metrics_text(struct vr_cp *cp, size_t *len);

#endif
