/* SPDX-License-Identifier: BSD-3-Clause */
/* Internal to voxrelay-gw-load: its options, connections, chats, workers and counters, and how its files call each other. */
#ifndef VOXRELAY_GW_PRIV_H
#define VOXRELAY_GW_PRIV_H

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "voxrelay/cp_jwt.h"

#include "gen_hist.h"

#define VR_GW_RX_SCRATCH (256 * 1024)
#define VR_GW_TX_SCRATCH (64 * 1024)
#define VR_GW_HIST_N VR_GEN_HIST_BUCKETS /* latency in µs, gen_hist.h's bucket layout */

/* ---------------------------------------------------------------------------
 * options (gw_load.c parses them; read-only once the workers run) */

struct vr_gw_opts {
	char host[64];
	unsigned port;
	char path[128];
	char prefix[32];
	uint32_t connect;          /* connect mode: connections */
	double hold_s;             /* connect mode: hold after ready; 0 = until a signal */
	bool fanout;
	uint32_t chats, members;
	double rate;               /* messages/s over all senders; 0 = flat out */
	uint32_t inflight;         /* flat out: messages per sender not yet delivered back to it */
	double warmup_s, duration_s;
	uint32_t size;             /* content bytes */
	uint32_t threads;
	uint32_t sources;          /* 0 = as many as the port range needs */
	uint32_t concurrency;      /* connections being set up at once */
	double connect_timeout_s;
	int server_pid, redis_pid;
	bool json;
};

extern struct vr_gw_opts vr_gw_opt;
/* the HS256 key made from --secret; tokens are signed with it at each connection's auth */
extern struct vr_jwt_key *vr_gw_key;

/* ---------------------------------------------------------------------------
 * state shared with the main thread */

enum vr_gw_phase { VR_GW_PH_CONNECT, VR_GW_PH_SETUP, VR_GW_PH_WARMUP, VR_GW_PH_RUN, VR_GW_PH_DRAIN, VR_GW_PH_STOP };

extern int vr_gw_phase;                  /* enum vr_gw_phase, written by main only */
extern volatile sig_atomic_t vr_gw_stop_requested;
extern int vr_gw_fatal;                  /* a worker met something the run cannot survive */
extern uint32_t vr_gw_nconns_total;      /* connections of the run */
extern uint32_t vr_gw_nsources;

/* Counters a worker writes alone and main reads: relaxed atomics suffice. */
struct vr_gw_counters {
	uint64_t opened, connected, ready, failed, closed_later;
	uint64_t chats_ready;
	uint64_t sent, acked, delivered, send_errors, rate_limited, paced_skipped;
	uint64_t frames_in, pings;
	uint64_t hist[VR_GW_HIST_N]; /* delivery latency, buckets of vr_gw_lat_bucket() */
};

#define VR_GW_ADD(x, n) __atomic_store_n(&(x), (x) + (n), __ATOMIC_RELAXED)
#define VR_GW_GET(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)

enum vr_gw_conn_state { VR_GW_CS_IDLE, VR_GW_CS_CONNECTING, VR_GW_CS_UPGRADING, VR_GW_CS_HELLO, VR_GW_CS_AUTH,
			VR_GW_CS_READY, VR_GW_CS_CLOSED };

struct vr_gw_conn {
	int fd;
	uint8_t state;             /* enum vr_gw_conn_state */
	uint8_t frag_op;           /* opcode of a fragmented message being collected */
	bool want_out;             /* EPOLLOUT is armed */
	uint32_t gidx;             /* index in the run: names the user and picks the source address */
	uint32_t chat;             /* the worker's chat (fan-out) */
	uint32_t rlen, rcap, wlen, wcap, frag_len;
	unsigned char *rbuf, *wbuf; /* input not yet parsed, output the socket did not take */
	char *frag;
	int64_t hb_due;
	struct vr_gw_conn *hb_next;
	char key[25];              /* Sec-WebSocket-Key until the answer is checked */
};

/* A fan-out chat, all of its members on one worker so its set-up needs no locking. */
struct vr_gw_chat {
	char id[72];
	uint32_t first;            /* the worker's index of member 0: creator and sender */
	uint32_t joined;           /* members whose join_chat was answered */
	uint32_t inflight;         /* sender's messages not yet delivered back to it */
	bool started, ready;
};

struct vr_gw_worker {
	int id;
	pthread_t tid;
	int ep;
	struct vr_gw_conn *conns;
	uint32_t nconns, next_open, opening;
	struct vr_gw_chat *chats;
	uint32_t nchats, setup_next, setup_busy;
	struct vr_gw_conn *hb_head, *hb_tail;
	int64_t hb_ns;             /* the server's heartbeat interval (hello) */
	unsigned char *rx, *tx;
	uint64_t rng;
	int seen_phase;
	int64_t pace_t0;
	uint64_t pace_sent;
	uint32_t pace_next;
	struct vr_gw_counters st;
};

extern struct vr_gw_worker *vr_gw_workers;

/* The counters of every worker summed at one moment, with the processes' CPU times. */
struct vr_gw_snap {
	double t, server_cpu, redis_cpu, self_cpu;
	uint64_t sent, acked, delivered, send_errors, rate_limited, skipped, ready, failed, closed, chats_ready;
	uint64_t pings;
	uint64_t hist[VR_GW_HIST_N];
};

static inline int64_t vr_gw_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static inline int vr_gw_phase_now(void)
{
	return __atomic_load_n(&vr_gw_phase, __ATOMIC_ACQUIRE);
}

/* ---------------------------------------------------------------------------
 * gw_conn.c: one connection's socket and RFC 6455 frames */

/* The first few failures on stderr, then only counted. */
void vr_gw_show_fail(const struct vr_gw_conn *c, const char *what, const char *detail);
void vr_gw_conn_close(struct vr_gw_worker *w, struct vr_gw_conn *c, const char *what, const char *detail);
void vr_gw_conn_open(struct vr_gw_worker *w, struct vr_gw_conn *c);
/* The non-blocking connect() finished: check it and send the upgrade request. */
void vr_gw_on_connected(struct vr_gw_worker *w, struct vr_gw_conn *c);
void vr_gw_on_readable(struct vr_gw_worker *w, struct vr_gw_conn *c);
void vr_gw_flush_out(struct vr_gw_worker *w, struct vr_gw_conn *c);
/* Send a masked frame; false if the connection was closed. */
bool vr_gw_send_frame(struct vr_gw_worker *w, struct vr_gw_conn *c, unsigned opcode, const void *payload, size_t len);
bool vr_gw_send_text(struct vr_gw_worker *w, struct vr_gw_conn *c, const char *text, size_t len);

/* ---------------------------------------------------------------------------
 * gw_chat.c: the chat protocol the load speaks */

/* A whole text message from the server. */
void vr_gw_on_text(struct vr_gw_worker *w, struct vr_gw_conn *c, const char *s, size_t len);
void vr_gw_heartbeats(struct vr_gw_worker *w, int64_t now);
void vr_gw_start_chat(struct vr_gw_worker *w, struct vr_gw_chat *ch);
/* --rate: the messages due by @now, spread over the senders. */
void vr_gw_pace(struct vr_gw_worker *w, int64_t now);
void vr_gw_phase_changed(struct vr_gw_worker *w, int ph, int64_t now);

/* ---------------------------------------------------------------------------
 * gw_stats.c: latency histogram, the processes' RSS and CPU, snapshots */

unsigned vr_gw_lat_bucket(uint64_t us);
/* The @p quantile of @n samples in @h, in ms. */
double vr_gw_hist_pct(const uint64_t *h, uint64_t n, double p);
double vr_gw_hist_max(const uint64_t *h);
/* /proc/PID/status VmRSS in bytes; -1 if unreadable. */
long long vr_gw_proc_rss(int pid);
void vr_gw_snap_take(struct vr_gw_snap *s, int64_t t0);
/* The histogram of the samples between @a and @b into @h, their number into @n. */
void vr_gw_snap_diff_hist(const struct vr_gw_snap *a, const struct vr_gw_snap *b, uint64_t *h, uint64_t *n);
void vr_gw_report_second(const struct vr_gw_snap *a, const struct vr_gw_snap *b, const char *ph);

/* ---------------------------------------------------------------------------
 * gw_run.c: the workers' loop and the main thread's phases */

/* --connect and --fanout: start the workers, drive the phases, print the results; the exit status. */
int vr_gw_run_connect(int64_t t0);
int vr_gw_run_fanout(int64_t t0);

#endif
