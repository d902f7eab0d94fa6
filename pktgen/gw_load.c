/* SPDX-License-Identifier: BSD-3-Clause */
/* voxrelay-gw-load: load client for voxrelay-cp's /ws/chat: many authenticated WebSocket connections on raw sockets + epoll, or chats with fan-out, delivery rate and latency. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "gw_ws.h"

#define RX_SCRATCH (256 * 1024)
#define TX_SCRATCH (64 * 1024)
#define MAX_FRAME (16 * 1024 * 1024)  /* larger than voxrelay-cp ever sends: a broken stream */
#define MAX_SOURCES 250
#define OPEN_PER_TURN 64               /* connections started per loop turn: keeps replies flowing */
#define SETUP_PER_WORKER 64            /* chats being created at once per worker */
#define PACE_CAP 256                   /* messages per sender not yet back when paced */
#define TOKEN_TTL_S 86400
#define HIST_N 4096
#define NFAIL_SHOWN 5

/* ---------------------------------------------------------------------------
 * options */

struct opts {
	char host[64];
	unsigned port;
	char path[128];
	char secret[4096];
	size_t secret_len;
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

static struct opts opt = {
	.host = "127.0.0.1",
	.port = 8080,
	.path = "/ws/chat",
	.prefix = "u",
	.hold_s = 10,
	.chats = 1000,
	.members = 10,
	.inflight = 4,
	.warmup_s = 3,
	.duration_s = 10,
	.size = 64,
	.threads = 1,
	.concurrency = 512,
	.connect_timeout_s = 300,
};

/* ---------------------------------------------------------------------------
 * state shared with the main thread */

enum phase { PH_CONNECT, PH_SETUP, PH_WARMUP, PH_RUN, PH_DRAIN, PH_STOP };

static int phase;                  /* enum phase, written by main only */
static volatile sig_atomic_t stop_requested;
static int fatal;                  /* a worker met something the run cannot survive */
static uint32_t nconns_total;      /* connections of the run */
static uint32_t nsources;

/* Counters a worker writes alone and main reads: relaxed atomics suffice. */
struct counters {
	uint64_t opened, connected, ready, failed, closed_later;
	uint64_t chats_ready;
	uint64_t sent, acked, delivered, send_errors, rate_limited, paced_skipped;
	uint64_t frames_in, pings;
	uint64_t hist[HIST_N];     /* delivery latency, buckets of lat_bucket() */
};

#define ADD(x, n) __atomic_store_n(&(x), (x) + (n), __ATOMIC_RELAXED)
#define GET(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)

enum conn_state { CS_IDLE, CS_CONNECTING, CS_UPGRADING, CS_HELLO, CS_AUTH, CS_READY, CS_CLOSED };

struct conn {
	int fd;
	uint8_t state;             /* enum conn_state */
	uint8_t frag_op;           /* opcode of a fragmented message being collected */
	bool want_out;             /* EPOLLOUT is armed */
	uint32_t gidx;             /* index in the run: names the user and picks the source address */
	uint32_t chat;             /* the worker's chat (fan-out) */
	uint32_t rlen, rcap, wlen, wcap, frag_len;
	unsigned char *rbuf, *wbuf; /* input not yet parsed, output the socket did not take */
	char *frag;
	int64_t hb_due;
	struct conn *hb_next;
	char key[25];              /* Sec-WebSocket-Key until the answer is checked */
};

/* A fan-out chat, all of its members on one worker so its set-up needs no locking. */
struct chat {
	char id[72];
	uint32_t first;            /* the worker's index of member 0: creator and sender */
	uint32_t joined;           /* members whose join_chat was answered */
	uint32_t inflight;         /* sender's messages not yet delivered back to it */
	bool started, ready;
};

struct worker {
	int id;
	pthread_t tid;
	int ep;
	struct conn *conns;
	uint32_t nconns, next_open, opening;
	struct chat *chats;
	uint32_t nchats, setup_next, setup_busy;
	struct conn *hb_head, *hb_tail;
	int64_t hb_ns;             /* the server's heartbeat interval (hello) */
	unsigned char *rx, *tx;
	uint64_t rng;
	int seen_phase;
	int64_t pace_t0;
	uint64_t pace_sent;
	uint32_t pace_next;
	struct counters st;
};

static struct worker *workers;

static pthread_mutex_t fail_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned fails_shown;

/* ---------------------------------------------------------------------------
 * small helpers */

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static uint32_t rnd32(struct worker *w)
{
	/* xorshift64*: masks only need to vary, not to be secret */
	w->rng ^= w->rng >> 12;
	w->rng ^= w->rng << 25;
	w->rng ^= w->rng >> 27;
	return (uint32_t)((w->rng * 0x2545f4914f6cdd1dull) >> 32);
}

/* Log-linear buckets: exact below 256 µs, then 128 per power of two (under 0.8 % apart). */
static unsigned lat_bucket(uint64_t us)
{
	unsigned msb, shift, b;

	if (us < 256)
		return (unsigned)us;
	msb = 63 - (unsigned)__builtin_clzll(us);
	shift = msb - 7;
	b = 256 + (shift - 1) * 128 + (unsigned)((us >> shift) - 128);
	return b < HIST_N ? b : HIST_N - 1;
}

/* The middle of bucket @b, in µs. */
static double bucket_us(unsigned b)
{
	unsigned shift;

	if (b < 256)
		return b + 0.5;
	shift = (b - 256) / 128 + 1;
	return ((double)(128 + (b - 256) % 128) + 0.5) * (double)(1ull << shift);
}

static double hist_pct(const uint64_t *h, uint64_t n, double p)
{
	uint64_t want = (uint64_t)ceil(p * (double)n), acc = 0;

	if (n == 0)
		return 0;
	if (want == 0)
		want = 1;
	for (unsigned b = 0; b < HIST_N; b++) {
		acc += h[b];
		if (acc >= want)
			return bucket_us(b) / 1000.0;
	}
	return bucket_us(HIST_N - 1) / 1000.0;
}

static double hist_max(const uint64_t *h)
{
	for (unsigned b = HIST_N; b-- > 0;)
		if (h[b])
			return bucket_us(b) / 1000.0;
	return 0;
}

static void show_fail(const struct conn *c, const char *what, const char *detail)
{
	pthread_mutex_lock(&fail_lock);
	if (fails_shown < NFAIL_SHOWN)
		fprintf(stderr, "gw_load: connection %u: %s%s%s\n", c->gidx, what, detail ? ": " : "",
			detail ? detail : "");
	else if (fails_shown == NFAIL_SHOWN)
		fprintf(stderr, "gw_load: (further failures counted, not shown)\n");
	fails_shown++;
	pthread_mutex_unlock(&fail_lock);
}

/* /proc/PID/stat utime + stime, in seconds; -1 if unreadable. */
static double proc_cpu_s(int pid)
{
	char path[64], buf[1024], *p;
	unsigned long long ut, st;
	FILE *f;
	size_t n;

	if (pid <= 0)
		return -1;
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	/* the command name may hold spaces: fields are counted after its ')' */
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
		return -1;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* /proc/PID/status VmRSS in bytes; -1 if unreadable. */
static long long proc_rss(int pid)
{
	char path[64], line[256];
	long long kb = -1;
	FILE *f;

	if (pid <= 0)
		return -1;
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %lld kB", &kb) == 1)
			break;
	fclose(f);
	return kb < 0 ? -1 : kb * 1024;
}

static double self_cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
	       ru.ru_stime.tv_usec / 1e6;
}

/* ---------------------------------------------------------------------------
 * sockets */

static void conn_close(struct worker *w, struct conn *c, const char *what, const char *detail)
{
	if (c->state == CS_CLOSED)
		return;
	if (c->state == CS_READY) {
		ADD(w->st.closed_later, 1);
	} else {
		ADD(w->st.failed, 1);
		if (c->state != CS_IDLE)
			w->opening--;
	}
	show_fail(c, what, detail);
	if (c->fd >= 0) {
		epoll_ctl(w->ep, EPOLL_CTL_DEL, c->fd, NULL);
		close(c->fd);
	}
	c->fd = -1;
	c->state = CS_CLOSED;
	free(c->rbuf);
	free(c->wbuf);
	free(c->frag);
	c->rbuf = c->wbuf = NULL;
	c->frag = NULL;
	c->rlen = c->rcap = c->wlen = c->wcap = c->frag_len = 0;
	if (opt.fanout)
		__atomic_store_n(&fatal, 1, __ATOMIC_RELAXED); /* a chat lost a member: its figures would lie */
}

static void arm(struct worker *w, struct conn *c, bool out)
{
	struct epoll_event ev = {.events = EPOLLIN | (out ? EPOLLOUT : 0), .data.ptr = c};

	if (c->want_out == out)
		return;
	c->want_out = out;
	epoll_ctl(w->ep, EPOLL_CTL_MOD, c->fd, &ev);
}

static bool grow(unsigned char **buf, uint32_t *cap, size_t need)
{
	size_t n = *cap ? *cap : 256;
	unsigned char *p;

	while (n < need)
		n *= 2;
	if (n == *cap)
		return true;
	if (n > MAX_FRAME * 2u)
		return false;
	p = realloc(*buf, n);
	if (!p)
		return false;
	*buf = p;
	*cap = (uint32_t)n;
	return true;
}

/* Write now what the socket takes, queue the rest; false if the connection was closed. */
static bool conn_write(struct worker *w, struct conn *c, const void *buf, size_t len)
{
	ssize_t n = 0;

	if (c->wlen == 0) {
		n = send(c->fd, buf, len, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno != EAGAIN) {
				conn_close(w, c, "send", strerror(errno));
				return false;
			}
			n = 0;
		}
		if ((size_t)n == len)
			return true;
	}
	if (!grow(&c->wbuf, &c->wcap, c->wlen + len - (size_t)n)) {
		conn_close(w, c, "send", "output queue too large");
		return false;
	}
	memcpy(c->wbuf + c->wlen, (const char *)buf + n, len - (size_t)n);
	c->wlen += (uint32_t)(len - (size_t)n);
	arm(w, c, true);
	return true;
}

static bool send_frame(struct worker *w, struct conn *c, unsigned opcode, const void *payload, size_t len)
{
	unsigned char *out = w->tx, *heap = NULL;
	size_t n;
	bool ok;

	if (len + VR_WS_HDR_MAX > TX_SCRATCH) {
		heap = malloc(len + VR_WS_HDR_MAX);
		if (!heap)
			return false;
		out = heap;
	}
	n = vr_ws_encode(out, opcode, payload, len, rnd32(w));
	ok = conn_write(w, c, out, n);
	free(heap);
	return ok;
}

static bool send_text(struct worker *w, struct conn *c, const char *text, size_t len)
{
	return send_frame(w, c, VR_WS_TEXT, text, len);
}

static void flush_out(struct worker *w, struct conn *c)
{
	ssize_t n = send(c->fd, c->wbuf, c->wlen, MSG_NOSIGNAL);

	if (n < 0) {
		if (errno != EAGAIN)
			conn_close(w, c, "send", strerror(errno));
		return;
	}
	memmove(c->wbuf, c->wbuf + n, c->wlen - (size_t)n);
	c->wlen -= (uint32_t)n;
	if (c->wlen == 0)
		arm(w, c, false);
}

static void conn_open(struct worker *w, struct conn *c)
{
	struct sockaddr_in src = {.sin_family = AF_INET}, dst = {.sin_family = AF_INET, .sin_port = htons(opt.port)};
	struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.ptr = c};
	int one = 1, fd;

	inet_pton(AF_INET, opt.host, &dst.sin_addr);
	c->state = CS_CONNECTING;
	c->want_out = true;
	w->opening++;
	ADD(w->st.opened, 1);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	c->fd = fd;
	if (fd < 0) {
		conn_close(w, c, "socket", errno == EMFILE ? "too many open files (raise ulimit -n)" : strerror(errno));
		return;
	}
	/* Small frames each way: Nagle would hold them for the peer's ACK. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (nsources > 1) {
		/* Several loopback sources lift the ~28k ephemeral ports of one source
		 * address; the port is chosen at connect() so it only has to be unique
		 * per four-tuple (IP_BIND_ADDRESS_NO_PORT). */
		setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
		src.sin_addr.s_addr = htonl(0x7f000001u + c->gidx % nsources);
		if (bind(fd, (struct sockaddr *)&src, sizeof(src)) != 0) {
			conn_close(w, c, "bind", strerror(errno));
			return;
		}
	}
	if (connect(fd, (struct sockaddr *)&dst, sizeof(dst)) != 0 && errno != EINPROGRESS) {
		conn_close(w, c, "connect",
			   errno == EADDRNOTAVAIL ? "no free local port (more --sources?)" : strerror(errno));
		return;
	}
	if (epoll_ctl(w->ep, EPOLL_CTL_ADD, fd, &ev) != 0)
		conn_close(w, c, "epoll_ctl", strerror(errno));
}

static void on_connected(struct worker *w, struct conn *c)
{
	char req[512], host[96];
	int err = 0, n;
	socklen_t el = sizeof(err);

	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el) != 0 || err) {
		conn_close(w, c, "connect", strerror(err ? err : errno));
		return;
	}
	ADD(w->st.connected, 1);
	snprintf(host, sizeof(host), "%s:%u", opt.host, opt.port);
	n = vr_ws_request(req, sizeof(req), host, opt.path, c->key);
	c->state = CS_UPGRADING;
	arm(w, c, false);
	conn_write(w, c, req, (size_t)n);
}

/* ---------------------------------------------------------------------------
 * the chat protocol */

static void user_id(char *out, size_t n, uint32_t gidx)
{
	snprintf(out, n, "%s%u", opt.prefix, gidx);
}

static void hb_append(struct worker *w, struct conn *c)
{
	c->hb_next = NULL;
	if (w->hb_tail)
		w->hb_tail->hb_next = c;
	else
		w->hb_head = c;
	w->hb_tail = c;
}

/* One interval for every connection keeps the list in due order: pop from the head, push to the tail. */
static void heartbeats(struct worker *w, int64_t now)
{
	static const char hb[] = "{\"type\":\"heartbeat\",\"data\":{},\"id\":\"h\"}";
	struct conn *c;

	while ((c = w->hb_head) && c->hb_due <= now) {
		w->hb_head = c->hb_next;
		if (!w->hb_head)
			w->hb_tail = NULL;
		if (c->state != CS_READY)
			continue;
		if (!send_text(w, c, hb, sizeof(hb) - 1))
			continue;
		c->hb_due += w->hb_ns;
		hb_append(w, c);
	}
}

static void send_message(struct worker *w, struct chat *ch)
{
	struct conn *c = &w->conns[ch->first];
	char buf[512 + 4096];
	int n;

	/* "t<send time in ns>:" then padding up to --size: receivers take the
	 * time back out of the content, so no table of sent messages is kept */
	n = snprintf(buf, sizeof(buf), "{\"type\":\"send_message\",\"data\":{\"chatId\":\"%s\",\"content\":\"t%lld:", ch->id,
		     (long long)now_ns());
	for (uint32_t i = 24; i < opt.size && n < (int)sizeof(buf) - 32; i++)
		buf[n++] = 'x';
	n += snprintf(buf + n, sizeof(buf) - (size_t)n, "\"},\"id\":\"m\"}");
	if (send_text(w, c, buf, (size_t)n)) {
		ch->inflight++;
		ADD(w->st.sent, 1);
	}
}

static bool sending(void)
{
	int ph = __atomic_load_n(&phase, __ATOMIC_ACQUIRE);

	return ph == PH_WARMUP || ph == PH_RUN;
}

static void on_delivery(struct worker *w, struct conn *c, const char *s, size_t len)
{
	const char *p = memmem(s, len, "\"content\":\"t", 12);

	ADD(w->st.delivered, 1);
	/* The sender is a member too: its own copy closes the loop. Counting
	 * acknowledgements instead would let messages pile up between Redis and
	 * the fan-out (acks and deliveries come back on different Redis
	 * connections), and the latency would measure that pile. */
	if (opt.fanout && c->gidx % opt.members == 0) {
		struct chat *ch = &w->chats[c->chat];

		if (ch->inflight)
			ch->inflight--;
		if (opt.rate == 0 && sending() && ch->inflight < opt.inflight)
			send_message(w, ch);
	}
	if (p) {
		long long t = strtoll(p + 12, NULL, 10);
		int64_t d = now_ns() - t;

		ADD(w->st.hist[lat_bucket(d > 0 ? (uint64_t)d / 1000 : 0)], 1);
	}
}

static void on_ack(struct worker *w)
{
	ADD(w->st.acked, 1);
}

static void send_auth(struct worker *w, struct conn *c)
{
	char uid[64], tok[1024], buf[1200];
	int n;

	user_id(uid, sizeof(uid), c->gidx);
	if (vr_ws_token(tok, sizeof(tok), opt.secret, opt.secret_len, uid, TOKEN_TTL_S) < 0) {
		conn_close(w, c, "token", "could not sign");
		return;
	}
	n = snprintf(buf, sizeof(buf), "{\"type\":\"auth\",\"data\":{\"token\":\"%s\"},\"id\":\"a\"}", tok);
	c->state = CS_AUTH;
	send_text(w, c, buf, (size_t)n);
}

static void start_chat(struct worker *w, struct chat *ch)
{
	struct conn *c = &w->conns[ch->first];
	char buf[4096], uid[64];
	int n;

	n = snprintf(buf, sizeof(buf), "{\"type\":\"create_chat\",\"data\":{\"name\":\"bench %u\",\"chatType\":\"group\",\"members\":[",
		     c->gidx / opt.members);
	for (uint32_t m = 1; m < opt.members && n < (int)sizeof(buf) - 200; m++) {
		user_id(uid, sizeof(uid), c->gidx + m);
		n += snprintf(buf + n, sizeof(buf) - (size_t)n, "%s\"%s\"", m > 1 ? "," : "", uid);
	}
	n += snprintf(buf + n, sizeof(buf) - (size_t)n, "]},\"id\":\"c\"}");
	ch->started = true;
	w->setup_busy++;
	send_text(w, c, buf, (size_t)n);
}

static void chat_ready(struct worker *w, struct chat *ch)
{
	ch->ready = true;
	w->setup_busy--;
	ADD(w->st.chats_ready, 1);
}

/* chat_created: the others join by id (the creation already added them; the
 * answer to join_chat is the moment this process has them as members). */
static void on_created(struct worker *w, struct conn *c, json_t *data)
{
	struct chat *ch = &w->chats[c->chat];
	const char *id = json_string_value(json_object_get(json_object_get(data, "chat"), "id"));
	char buf[256];
	int n;

	if (!id || strlen(id) >= sizeof(ch->id)) {
		conn_close(w, c, "create_chat", "no data.chat.id in chat_created");
		return;
	}
	snprintf(ch->id, sizeof(ch->id), "%s", id);
	if (opt.members == 1) {
		chat_ready(w, ch);
		return;
	}
	n = snprintf(buf, sizeof(buf), "{\"type\":\"join_chat\",\"data\":{\"chatType\":\"group\",\"chatId\":\"%s\"},\"id\":\"j\"}",
		     id);
	for (uint32_t m = 1; m < opt.members; m++)
		send_text(w, &w->conns[ch->first + m], buf, (size_t)n);
}

static void on_ready(struct worker *w, struct conn *c, int64_t now)
{
	c->state = CS_READY;
	w->opening--;
	ADD(w->st.ready, 1);
	if (w->hb_ns) {
		c->hb_due = now + w->hb_ns;
		hb_append(w, c);
	}
}

/* Frames other than the hot ones: parsed with jansson, order of keys not assumed. */
static void on_other(struct worker *w, struct conn *c, const char *s, size_t len)
{
	json_error_t jerr;
	json_t *root = json_loadb(s, len, 0, &jerr), *data;
	const char *type, *rid;

	if (!root) {
		conn_close(w, c, "bad JSON from the server", jerr.text);
		return;
	}
	type = json_string_value(json_object_get(root, "type"));
	data = json_object_get(root, "data");
	rid = json_string_value(json_object_get(root, "id"));
	if (!type) {
		/* nothing to do */
	} else if (strcmp(type, "hello") == 0) {
		json_int_t hb = json_integer_value(json_object_get(data, "heartbeat_interval"));

		if (hb > 0 && !w->hb_ns)
			w->hb_ns = (int64_t)hb * 1000000;
		send_auth(w, c);
	} else if (strcmp(type, "ready") == 0) {
		on_ready(w, c, now_ns());
	} else if (strcmp(type, "chat_created") == 0) {
		on_created(w, c, data);
	} else if (strcmp(type, "chat_joined") == 0) {
		struct chat *ch = &w->chats[c->chat];

		if (opt.fanout && !ch->ready && ++ch->joined == opt.members - 1)
			chat_ready(w, ch);
	} else if (strcmp(type, "message_sent") == 0) {
		on_ack(w);
	} else if (strcmp(type, "message") == 0) {
		on_delivery(w, c, s, len);
	} else if (strcmp(type, "error") == 0) {
		const char *code = json_string_value(json_object_get(data, "code"));
		const char *msg = json_string_value(json_object_get(data, "message"));
		char detail[256];

		snprintf(detail, sizeof(detail), "%s (%s) to request %s", code ? code : "?", msg ? msg : "",
			 rid ? rid : "-");
		if (rid && strcmp(rid, "m") == 0) {
			struct chat *ch = &w->chats[c->chat];

			ADD(w->st.send_errors, 1);
			if (code && strcmp(code, "RATE_LIMITED") == 0)
				ADD(w->st.rate_limited, 1);
			else
				show_fail(c, "send_message refused", detail);
			if (ch->inflight)
				ch->inflight--;
		} else if (rid && strcmp(rid, "h") == 0) {
			show_fail(c, "heartbeat refused", detail);
		} else {
			/* auth or chat set-up refused: this connection is of no use */
			conn_close(w, c, "refused", detail);
		}
	}
	json_decref(root);
}

static void on_text(struct worker *w, struct conn *c, const char *s, size_t len)
{
	static const char msg[] = "{\"type\":\"message\",";
	static const char sent[] = "{\"type\":\"message_sent\",";
	static const char hb[] = "{\"type\":\"heartbeat_ack\",";

	ADD(w->st.frames_in, 1);
	/* the frames of the measured path, by prefix (voxrelay-cp writes "type" first) */
	if (len > sizeof(msg) && memcmp(s, msg, sizeof(msg) - 1) == 0)
		on_delivery(w, c, s, len);
	else if (len > sizeof(sent) && memcmp(s, sent, sizeof(sent) - 1) == 0)
		on_ack(w);
	else if (len > sizeof(hb) && memcmp(s, hb, sizeof(hb) - 1) == 0)
		return;
	else
		on_other(w, c, s, len);
}

static void on_frame(struct worker *w, struct conn *c, const struct vr_ws_frame *f, const unsigned char *p)
{
	switch (f->opcode) {
	case VR_WS_TEXT:
	case VR_WS_BINARY:
	case VR_WS_CONT:
		if (f->opcode != VR_WS_CONT && f->fin) {
			if (f->opcode == VR_WS_TEXT)
				on_text(w, c, (const char *)p, f->len);
			return;
		}
		/* fragmented: collect (rare; voxrelay-cp writes whole frames) */
		if (f->opcode != VR_WS_CONT) {
			c->frag_op = (uint8_t)f->opcode;
			c->frag_len = 0;
		}
		if (c->frag_len + f->len > MAX_FRAME) {
			conn_close(w, c, "receive", "fragmented message too large");
			return;
		}
		{
			char *n = realloc(c->frag, c->frag_len + f->len + 1);

			if (!n) {
				conn_close(w, c, "receive", "out of memory");
				return;
			}
			c->frag = n;
		}
		memcpy(c->frag + c->frag_len, p, f->len);
		c->frag_len += (uint32_t)f->len;
		if (f->fin) {
			if (c->frag_op == VR_WS_TEXT)
				on_text(w, c, c->frag, c->frag_len);
			free(c->frag);
			c->frag = NULL;
			c->frag_len = 0;
		}
		return;
	case VR_WS_PING:
		/* lws pings a quiet connection and hangs up without the pong */
		ADD(w->st.pings, 1);
		send_frame(w, c, VR_WS_PONG, p, f->len);
		return;
	case VR_WS_CLOSE: {
		char detail[160];
		unsigned code = f->len >= 2 ? (unsigned)p[0] << 8 | p[1] : 1005;

		snprintf(detail, sizeof(detail), "%u %.*s", code, f->len > 2 ? (int)(f->len - 2) : 0, p + 2);
		conn_close(w, c, "closed by the server", detail);
		return;
	}
	default:
		return;
	}
}

/* Parse @buf[0..@len): the HTTP answer first, then frames. Returns bytes used, or -1 once closed. */
static long consume(struct worker *w, struct conn *c, const unsigned char *buf, size_t len)
{
	size_t off = 0;

	if (c->state == CS_UPGRADING) {
		long h = vr_ws_answer((const char *)buf, len, c->key);

		if (h == 0)
			return 0;
		if (h < 0) {
			char first[80];

			snprintf(first, sizeof(first), "%.*s", (int)strcspn((const char *)buf, "\r\n") % 79,
				 (const char *)buf);
			conn_close(w, c, "upgrade refused", first);
			return -1;
		}
		c->state = CS_HELLO;
		off = (size_t)h;
	}
	while (off < len) {
		struct vr_ws_frame f;
		int r = vr_ws_parse(buf + off, len - off, &f);

		if (r < 0 || f.len > MAX_FRAME) {
			conn_close(w, c, "receive", "protocol error in a server frame");
			return -1;
		}
		if (r == 0 || f.hdr_len + f.len > len - off)
			break;
		on_frame(w, c, &f, buf + off + f.hdr_len);
		if (c->state == CS_CLOSED)
			return -1;
		off += f.hdr_len + f.len;
	}
	return (long)off;
}

static void on_readable(struct worker *w, struct conn *c)
{
	ssize_t n = recv(c->fd, w->rx, RX_SCRATCH, 0);
	long used;

	if (n <= 0) {
		if (n < 0 && errno == EAGAIN)
			return;
		conn_close(w, c, "receive", n == 0 ? "connection closed by the server" : strerror(errno));
		return;
	}
	if (c->rlen == 0) {
		used = consume(w, c, w->rx, (size_t)n);
		if (used < 0)
			return;
		if (used < n) {
			if (!grow(&c->rbuf, &c->rcap, (size_t)(n - used))) {
				conn_close(w, c, "receive", "input too large");
				return;
			}
			memcpy(c->rbuf, w->rx + used, (size_t)(n - used));
			c->rlen = (uint32_t)(n - used);
		}
		return;
	}
	if (!grow(&c->rbuf, &c->rcap, c->rlen + (size_t)n)) {
		conn_close(w, c, "receive", "input too large");
		return;
	}
	memcpy(c->rbuf + c->rlen, w->rx, (size_t)n);
	c->rlen += (uint32_t)n;
	used = consume(w, c, c->rbuf, c->rlen);
	if (used < 0)
		return;
	memmove(c->rbuf, c->rbuf + used, c->rlen - (size_t)used);
	c->rlen -= (uint32_t)used;
	if (c->rlen == 0 && c->rcap > 4096) {
		/* a large frame passed: give its buffer back, 100k connections add up */
		free(c->rbuf);
		c->rbuf = NULL;
		c->rcap = 0;
	}
}

/* ---------------------------------------------------------------------------
 * the worker loop */

static void pace(struct worker *w, int64_t now)
{
	double rate = opt.rate / opt.threads;
	uint64_t due = (uint64_t)((double)(now - w->pace_t0) * rate / 1e9);

	if (w->nchats == 0)
		return;
	/* more than a second behind: forget it rather than burst (counted) */
	if (due > w->pace_sent + (uint64_t)rate + 1) {
		ADD(w->st.paced_skipped, due - w->pace_sent - (uint64_t)rate);
		w->pace_sent = due - (uint64_t)rate;
	}
	while (w->pace_sent < due) {
		struct chat *ch = NULL;

		for (uint32_t k = 0; k < w->nchats; k++) {
			struct chat *x = &w->chats[w->pace_next];

			w->pace_next = (w->pace_next + 1) % w->nchats;
			if (x->inflight < PACE_CAP) {
				ch = x;
				break;
			}
		}
		if (!ch) {
			ADD(w->st.paced_skipped, due - w->pace_sent);
			w->pace_sent = due;
			break;
		}
		send_message(w, ch);
		w->pace_sent++;
	}
}

static void phase_changed(struct worker *w, int ph, int64_t now)
{
	if (ph == PH_WARMUP) {
		w->pace_t0 = now;
		w->pace_sent = 0;
		if (opt.rate == 0)
			for (uint32_t i = 0; i < w->nchats; i++)
				while (w->chats[i].inflight < opt.inflight && w->conns[w->chats[i].first].state == CS_READY)
					send_message(w, &w->chats[i]);
	}
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct epoll_event evs[512];

	for (;;) {
		int ph = __atomic_load_n(&phase, __ATOMIC_ACQUIRE);
		int64_t now;
		int n;

		if (ph == PH_STOP)
			break;
		n = epoll_wait(w->ep, evs, 512, opt.rate > 0 && (ph == PH_WARMUP || ph == PH_RUN) ? 1 : 20);
		for (int i = 0; i < n; i++) {
			struct conn *c = evs[i].data.ptr;

			if (c->state == CS_CLOSED)
				continue;
			if (c->state == CS_CONNECTING) {
				on_connected(w, c);
				continue;
			}
			if (evs[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP))
				on_readable(w, c);
			if (c->state != CS_CLOSED && (evs[i].events & EPOLLOUT) && c->wlen)
				flush_out(w, c);
		}
		now = now_ns();
		if (ph != w->seen_phase) {
			w->seen_phase = ph;
			phase_changed(w, ph, now);
		}
		for (int k = 0; k < OPEN_PER_TURN && w->next_open < w->nconns && w->opening < opt.concurrency / opt.threads + 1;
		     k++)
			conn_open(w, &w->conns[w->next_open++]);
		heartbeats(w, now);
		if (ph == PH_SETUP)
			while (w->setup_next < w->nchats && w->setup_busy < SETUP_PER_WORKER)
				start_chat(w, &w->chats[w->setup_next++]);
		if (opt.rate > 0 && (ph == PH_WARMUP || ph == PH_RUN))
			pace(w, now);
	}
	return NULL;
}

/* ---------------------------------------------------------------------------
 * main: set-up, phases, reports */

struct snap {
	double t, server_cpu, redis_cpu, self_cpu;
	uint64_t sent, acked, delivered, send_errors, rate_limited, skipped, ready, failed, closed, chats_ready;
	uint64_t pings;
	uint64_t hist[HIST_N];
};

static void snap_take(struct snap *s, int64_t t0)
{
	memset(s, 0, sizeof(*s));
	s->t = (double)(now_ns() - t0) / 1e9;
	s->server_cpu = proc_cpu_s(opt.server_pid);
	s->redis_cpu = proc_cpu_s(opt.redis_pid);
	s->self_cpu = self_cpu_s();
	for (uint32_t i = 0; i < opt.threads; i++) {
		struct counters *c = &workers[i].st;

		s->sent += GET(c->sent);
		s->acked += GET(c->acked);
		s->delivered += GET(c->delivered);
		s->send_errors += GET(c->send_errors);
		s->rate_limited += GET(c->rate_limited);
		s->skipped += GET(c->paced_skipped);
		s->ready += GET(c->ready);
		s->failed += GET(c->failed);
		s->closed += GET(c->closed_later);
		s->chats_ready += GET(c->chats_ready);
		s->pings += GET(c->pings);
		for (unsigned b = 0; b < HIST_N; b++)
			s->hist[b] += GET(c->hist[b]);
	}
}

static void snap_diff_hist(const struct snap *a, const struct snap *b, uint64_t *h, uint64_t *n)
{
	*n = 0;
	for (unsigned i = 0; i < HIST_N; i++) {
		h[i] = b->hist[i] - a->hist[i];
		*n += h[i];
	}
}

static void report_second(const struct snap *a, const struct snap *b, const char *ph)
{
	static uint64_t h[HIST_N];
	double dt = b->t - a->t;
	uint64_t n;

	snap_diff_hist(a, b, h, &n);
	printf("gw_load: t=%.1fs %-7s ready=%llu failed=%llu sent/s=%.0f delivered/s=%.0f p50=%.2fms p99=%.2fms",
	       b->t, ph, (unsigned long long)b->ready, (unsigned long long)b->failed, (double)(b->sent - a->sent) / dt,
	       (double)(b->delivered - a->delivered) / dt, hist_pct(h, n, 0.50), hist_pct(h, n, 0.99));
	if (opt.server_pid > 0)
		printf(" server_cpu=%.0f%%", 100 * (b->server_cpu - a->server_cpu) / dt);
	if (opt.redis_pid > 0)
		printf(" redis_cpu=%.0f%%", 100 * (b->redis_cpu - a->redis_cpu) / dt);
	printf(" client_cpu=%.0f%% pings/s=%.0f\n", 100 * (b->self_cpu - a->self_cpu) / dt, (double)(b->pings - a->pings) / dt);
}

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static void set_phase(int ph)
{
	__atomic_store_n(&phase, ph, __ATOMIC_RELEASE);
}

/* Sleep @secs in one-second steps with a report each; false if stopped early. */
static bool run_for(double secs, int64_t t0, const char *ph, struct snap *last)
{
	static struct snap cur;
	int64_t end = now_ns() + (int64_t)(secs * 1e9);

	while (secs <= 0 || now_ns() < end) {
		int64_t left = end - now_ns();
		struct timespec ts = {0, 0};

		if (stop_requested || __atomic_load_n(&fatal, __ATOMIC_RELAXED))
			return false;
		if (secs <= 0 || left >= 1000000000)
			ts.tv_sec = 1;
		else
			ts.tv_nsec = left;
		nanosleep(&ts, NULL);
		snap_take(&cur, t0);
		report_second(last, &cur, ph);
		*last = cur;
	}
	return true;
}

/* Wait until @done(last) or the timeout; a report per second. */
static bool wait_until(bool (*done)(const struct snap *), double timeout_s, int64_t t0, const char *ph, struct snap *last)
{
	static struct snap cur;
	int64_t start = now_ns(), next = start + 1000000000;

	for (;;) {
		struct timespec ts = {0, 20000000};

		snap_take(&cur, t0);
		if (done(&cur)) {
			*last = cur;
			return true;
		}
		if (stop_requested || __atomic_load_n(&fatal, __ATOMIC_RELAXED) ||
		    (double)(now_ns() - start) / 1e9 > timeout_s)
			return false;
		nanosleep(&ts, NULL);
		if (now_ns() >= next) {
			snap_take(&cur, t0);
			report_second(last, &cur, ph);
			*last = cur;
			next += 1000000000;
		}
	}
}

static bool all_settled(const struct snap *s)
{
	return s->ready + s->failed >= nconns_total;
}

static bool all_chats(const struct snap *s)
{
	return s->chats_ready >= opt.chats;
}

static bool drained(const struct snap *s)
{
	return s->acked + s->send_errors >= s->sent && s->delivered >= s->acked * opt.members;
}

static int load_secret(const char *path)
{
	FILE *f = fopen(path, "r");

	if (!f) {
		fprintf(stderr, "gw_load: %s: %s\n", path, strerror(errno));
		return -1;
	}
	opt.secret_len = fread(opt.secret, 1, sizeof(opt.secret), f);
	fclose(f);
	/* as voxrelay-cp reads it: a trailing newline is not part of the secret */
	while (opt.secret_len && (opt.secret[opt.secret_len - 1] == '\n' || opt.secret[opt.secret_len - 1] == '\r'))
		opt.secret_len--;
	if (!opt.secret_len) {
		fprintf(stderr, "gw_load: %s: empty secret\n", path);
		return -1;
	}
	return 0;
}

static int raise_nofile(uint32_t need)
{
	struct rlimit rl;

	getrlimit(RLIMIT_NOFILE, &rl);
	if (rl.rlim_cur >= need)
		return 0;
	if (rl.rlim_max < need)
		rl.rlim_max = need; /* only root may raise the hard limit (up to fs.nr_open) */
	rl.rlim_cur = need;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
		getrlimit(RLIMIT_NOFILE, &rl);
		fprintf(stderr,
			"gw_load: %u connections need %u file descriptors; RLIMIT_NOFILE is %llu (hard %llu): "
			"raise it (ulimit -n %u as root; fs.nr_open bounds it)\n",
			nconns_total, need, (unsigned long long)rl.rlim_cur, (unsigned long long)rl.rlim_max, need);
		return -1;
	}
	return 0;
}

/* Loopback sources needed: the ephemeral range serves each source address once per destination. */
static uint32_t sources_needed(uint32_t n)
{
	unsigned lo = 32768, hi = 60999;
	FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "r");
	uint32_t per, k;

	if (f) {
		if (fscanf(f, "%u %u", &lo, &hi) != 2)
			lo = 32768, hi = 60999;
		fclose(f);
	}
	per = (hi - lo + 1) * 9 / 10; /* leave room for TIME_WAIT left by earlier runs */
	k = (n + per - 1) / per;
	return k < 1 ? 1 : k;
}

static int setup_workers(void)
{
	uint32_t groups = (nconns_total + opt.members - 1) / opt.members;

	workers = calloc(opt.threads, sizeof(*workers));
	if (!workers)
		return -1;
	for (uint32_t t = 0; t < opt.threads; t++) {
		struct worker *w = &workers[t];
		uint32_t mygroups = groups / opt.threads + (t < groups % opt.threads), k = 0;

		w->id = (int)t;
		w->rng = 0x9e3779b97f4a7c15ull ^ ((uint64_t)t << 32) ^ (uint64_t)now_ns();
		w->seen_phase = PH_CONNECT;
		w->ep = epoll_create1(EPOLL_CLOEXEC);
		w->rx = malloc(RX_SCRATCH);
		w->tx = malloc(TX_SCRATCH);
		w->conns = calloc((size_t)mygroups * opt.members, sizeof(*w->conns));
		w->chats = opt.fanout ? calloc(mygroups ? mygroups : 1, sizeof(*w->chats)) : NULL;
		if (w->ep < 0 || !w->rx || !w->tx || !w->conns || (opt.fanout && !w->chats))
			return -1;
		/* group g (a chat's members, or ten connections) lives on worker g mod threads */
		for (uint32_t g = t; g < groups; g += opt.threads) {
			if (opt.fanout) {
				w->chats[w->nchats].first = k;
				w->nchats++;
			}
			for (uint32_t m = 0; m < opt.members && g * opt.members + m < nconns_total; m++, k++) {
				struct conn *c = &w->conns[k];

				c->fd = -1;
				c->gidx = g * opt.members + m;
				c->chat = opt.fanout ? w->nchats - 1 : 0;
			}
		}
		w->nconns = k;
	}
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: voxrelay-gw-load --secret FILE [--host A] [--port P] [--path /ws/chat]\n"
		"         (--connect N [--hold S] | --fanout [--chats C] [--members M] [--rate R | --inflight W]\n"
		"          [--warmup S] [--duration S] [--size B])\n"
		"         [--threads T] [--sources K] [--concurrency K] [--user-prefix P]\n"
		"         [--server-pid PID] [--redis-pid PID] [--connect-timeout S] [--json]\n"
		"  --connect N     open N connections, authenticate each (user <prefix><i>), answer pings and send\n"
		"                  heartbeats at the server's interval; report when all are ready, hold S seconds\n"
		"                  (default 10, 0 = until SIGINT/SIGTERM); with --server-pid, its RSS per connection\n"
		"  --fanout        C chats of M members (distinct users; default 1000 x 10): member 0 creates the chat,\n"
		"                  the others join it by id; then member 0 of every chat sends messages whose content\n"
		"                  carries the send time, at R messages/s in all, or flat out with W per sender not yet\n"
		"                  delivered back to it (default 4); every member's copy is a delivery; warm-up S (3), then a\n"
		"                  measured window of S seconds (10): deliveries/s, latency p50/p95/p99, and with\n"
		"                  --server-pid deliveries per second of the server's CPU time\n"
		"  --sources K     bind to 127.0.0.1..127.0.0.K (default: as many as the ephemeral port range needs)\n"
		"  --concurrency K connections being opened and authenticated at once (default 512)\n"
		"  --threads T     worker threads, each with its own connections (default 1)\n"
		"  --json          end with one JSON object on stdout\n");
}

static int parse_args(int argc, char **argv)
{
	static const struct option lo[] = {
		{"host", required_argument, NULL, 'H'},       {"port", required_argument, NULL, 'p'},
		{"path", required_argument, NULL, 'P'},       {"secret", required_argument, NULL, 's'},
		{"connect", required_argument, NULL, 'n'},    {"hold", required_argument, NULL, 'o'},
		{"fanout", no_argument, NULL, 'f'},           {"chats", required_argument, NULL, 'c'},
		{"members", required_argument, NULL, 'm'},    {"rate", required_argument, NULL, 'r'},
		{"inflight", required_argument, NULL, 'i'},   {"warmup", required_argument, NULL, 'w'},
		{"duration", required_argument, NULL, 'd'},   {"size", required_argument, NULL, 'b'},
		{"threads", required_argument, NULL, 't'},    {"sources", required_argument, NULL, 'S'},
		{"concurrency", required_argument, NULL, 'k'}, {"user-prefix", required_argument, NULL, 'u'},
		{"server-pid", required_argument, NULL, 'x'}, {"redis-pid", required_argument, NULL, 'y'},
		{"connect-timeout", required_argument, NULL, 'T'}, {"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},             {NULL, 0, NULL, 0},
	};
	const char *secret = NULL;
	struct in_addr a;
	int o;

	while ((o = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (o) {
		case 'H': snprintf(opt.host, sizeof(opt.host), "%s", optarg); break;
		case 'p': opt.port = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'P': snprintf(opt.path, sizeof(opt.path), "%s", optarg); break;
		case 's': secret = optarg; break;
		case 'n': opt.connect = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 'o': opt.hold_s = strtod(optarg, NULL); break;
		case 'f': opt.fanout = true; break;
		case 'c': opt.chats = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 'm': opt.members = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 'r': opt.rate = strtod(optarg, NULL); break;
		case 'i': opt.inflight = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 'w': opt.warmup_s = strtod(optarg, NULL); break;
		case 'd': opt.duration_s = strtod(optarg, NULL); break;
		case 'b': opt.size = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 't': opt.threads = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 'S': opt.sources = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 'k': opt.concurrency = (uint32_t)strtoul(optarg, NULL, 10); break;
		case 'u': snprintf(opt.prefix, sizeof(opt.prefix), "%s", optarg); break;
		case 'x': opt.server_pid = atoi(optarg); break;
		case 'y': opt.redis_pid = atoi(optarg); break;
		case 'T': opt.connect_timeout_s = strtod(optarg, NULL); break;
		case 'j': opt.json = true; break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return -1;
		}
	}
	if (optind != argc || !secret || (opt.fanout == (opt.connect > 0))) {
		usage(stderr);
		return -1;
	}
	if (inet_pton(AF_INET, opt.host, &a) != 1 || !opt.port || opt.port > 65535) {
		fprintf(stderr, "gw_load: --host must be an IPv4 address and --port 1-65535\n");
		return -1;
	}
	if (!opt.threads || !opt.members || opt.members > 100 || !opt.concurrency || (opt.fanout && !opt.chats) ||
	    opt.size > 4000 || opt.inflight == 0 || (opt.fanout && opt.duration_s <= 0)) {
		fprintf(stderr, "gw_load: bad numbers (members 1-100, size at most 4000, threads/inflight/chats > 0)\n");
		return -1;
	}
	if (opt.sources > MAX_SOURCES) {
		fprintf(stderr, "gw_load: at most %d source addresses\n", MAX_SOURCES);
		return -1;
	}
	if (opt.sources && (ntohl(a.s_addr) >> 24) != 127) {
		fprintf(stderr, "gw_load: --sources needs a loopback --host\n");
		return -1;
	}
	return load_secret(secret);
}

static int run_connect(int64_t t0)
{
	struct snap last, s_ready, s_end;
	long long rss0 = proc_rss(opt.server_pid), rss_ready, rss_end;
	double t_ready;
	bool ok;

	snap_take(&last, t0);
	for (uint32_t t = 0; t < opt.threads; t++)
		pthread_create(&workers[t].tid, NULL, worker_main, &workers[t]);
	ok = wait_until(all_settled, opt.connect_timeout_s, t0, "connect", &last);
	snap_take(&s_ready, t0);
	t_ready = s_ready.t;
	rss_ready = proc_rss(opt.server_pid);
	if (!ok)
		fprintf(stderr, "gw_load: gave up waiting: %llu of %u ready, %llu failed after %.1f s\n",
			(unsigned long long)s_ready.ready, nconns_total, (unsigned long long)s_ready.failed, t_ready);
	printf("gw_load: all %u connections settled after %.1f s: %llu ready, %llu failed", nconns_total, t_ready,
	       (unsigned long long)s_ready.ready, (unsigned long long)s_ready.failed);
	if (opt.server_pid > 0)
		printf("; server RSS %.1f MiB (%.1f before)", rss_ready / 1048576.0, rss0 / 1048576.0);
	printf("\n");
	fflush(stdout);
	if (!stop_requested)
		run_for(opt.hold_s, t0, "hold", &last);
	snap_take(&s_end, t0);
	rss_end = proc_rss(opt.server_pid);
	set_phase(PH_STOP);
	for (uint32_t t = 0; t < opt.threads; t++)
		pthread_join(workers[t].tid, NULL);
	{
		double per = s_ready.ready && rss0 > 0 && rss_end > 0 ? (double)(rss_end - rss0) / (double)s_ready.ready : 0;

		printf("gw_load: connect: %llu of %u ready in %.1f s (%.0f/s), %llu failed, %llu closed while held",
		       (unsigned long long)s_ready.ready, nconns_total, t_ready, s_ready.ready / (t_ready > 0 ? t_ready : 1),
		       (unsigned long long)s_ready.failed, (unsigned long long)s_end.closed);
		if (opt.server_pid > 0)
			printf("; server RSS %lld -> %lld -> %lld bytes (before, ready, end of hold): %.0f bytes per connection",
			       rss0, rss_ready, rss_end, per);
		printf("\n");
		if (opt.json)
			printf("{\"mode\":\"connect\",\"connections\":%llu,\"requested\":%u,\"failed\":%llu,\"closed_during_hold\":%llu,"
			       "\"connect_s\":%.3f,\"hold_s\":%.1f,\"sources\":%u,\"server_rss_before\":%lld,\"server_rss_ready\":%lld,"
			       "\"server_rss_end\":%lld,\"rss_bytes_per_connection\":%.1f,\"pings_answered\":%llu}\n",
			       (unsigned long long)s_ready.ready, nconns_total, (unsigned long long)s_ready.failed,
			       (unsigned long long)s_end.closed, t_ready, s_end.t - t_ready, nsources, rss0, rss_ready, rss_end,
			       per, (unsigned long long)s_end.pings);
	}
	return s_ready.ready == nconns_total && s_end.closed == 0 ? 0 : 1;
}

static int run_fanout(int64_t t0)
{
	static struct snap last, a, b, fin;
	static uint64_t h[HIST_N];
	uint64_t n, missing;
	double win, srv, rds, cli;

	snap_take(&last, t0);
	for (uint32_t t = 0; t < opt.threads; t++)
		pthread_create(&workers[t].tid, NULL, worker_main, &workers[t]);
	if (!wait_until(all_settled, opt.connect_timeout_s, t0, "connect", &last) || last.failed) {
		fprintf(stderr, "gw_load: %llu of %u connections ready, %llu failed: no fan-out run\n",
			(unsigned long long)last.ready, nconns_total, (unsigned long long)last.failed);
		goto fail;
	}
	printf("gw_load: %u connections ready after %.1f s; creating %u chats of %u\n", nconns_total, last.t, opt.chats,
	       opt.members);
	set_phase(PH_SETUP);
	if (!wait_until(all_chats, 120, t0, "setup", &last)) {
		fprintf(stderr, "gw_load: only %llu of %u chats set up\n", (unsigned long long)last.chats_ready, opt.chats);
		goto fail;
	}
	printf("gw_load: %u chats ready after %.1f s; sending %s\n", opt.chats, last.t,
	       opt.rate > 0 ? "paced" : "flat out");
	fflush(stdout);
	set_phase(PH_WARMUP);
	if (opt.warmup_s > 0 && !run_for(opt.warmup_s, t0, "warmup", &last))
		goto fail;
	set_phase(PH_RUN);
	snap_take(&a, t0);
	last = a;
	if (!run_for(opt.duration_s, t0, "run", &last))
		goto fail;
	snap_take(&b, t0);
	set_phase(PH_DRAIN);
	wait_until(drained, 5, t0, "drain", &last);
	snap_take(&fin, t0);
	set_phase(PH_STOP);
	for (uint32_t t = 0; t < opt.threads; t++)
		pthread_join(workers[t].tid, NULL);

	win = b.t - a.t;
	srv = opt.server_pid > 0 ? b.server_cpu - a.server_cpu : 0;
	rds = opt.redis_pid > 0 ? b.redis_cpu - a.redis_cpu : 0;
	cli = b.self_cpu - a.self_cpu;
	snap_diff_hist(&a, &b, h, &n);
	missing = fin.acked * opt.members > fin.delivered ? fin.acked * opt.members - fin.delivered : 0;
	{
		double sent_s = (double)(b.sent - a.sent) / win, dlv = (double)(b.delivered - a.delivered) / win;
		double per_core = srv > 0 ? (double)(b.delivered - a.delivered) / srv : 0;
		double p50 = hist_pct(h, n, 0.50), p95 = hist_pct(h, n, 0.95), p99 = hist_pct(h, n, 0.99);
		double pmax = hist_max(h);

		printf("gw_load: fanout %u chats x %u, %s: window %.2f s: %.0f messages/s sent, %.0f deliveries/s; "
		       "latency p50 %.2f ms p95 %.2f ms p99 %.2f ms max %.1f ms",
		       opt.chats, opt.members, opt.rate > 0 ? "paced" : "flat out", win, sent_s, dlv, p50, p95, p99, pmax);
		if (opt.server_pid > 0)
			printf("; server CPU %.2f s (%.0f%% of a core): %.0f deliveries per CPU-second", srv, 100 * srv / win,
			       per_core);
		printf("; send errors %llu (rate-limited %llu), paced sends skipped %llu, closed %llu, deliveries missing after drain %llu\n",
		       (unsigned long long)(fin.send_errors), (unsigned long long)fin.rate_limited,
		       (unsigned long long)fin.skipped, (unsigned long long)fin.closed, (unsigned long long)missing);
		if (opt.json)
			printf("{\"mode\":\"fanout\",\"chats\":%u,\"members\":%u,\"connections\":%u,\"rate_target\":%.0f,"
			       "\"inflight\":%u,\"window_s\":%.3f,\"sent_per_sec\":%.1f,\"delivered_per_sec\":%.1f,"
			       "\"server_cpu_s\":%.3f,\"server_cpu_share\":%.3f,\"redis_cpu_share\":%.3f,\"client_cpu_share\":%.3f,"
			       "\"delivered_per_sec_per_core\":%.1f,\"p50_ms\":%.3f,\"p95_ms\":%.3f,\"p99_ms\":%.3f,\"max_ms\":%.3f,"
			       "\"latency_samples\":%llu,\"send_errors\":%llu,\"rate_limited\":%llu,\"paced_skipped\":%llu,"
			       "\"closed\":%llu,\"missing\":%llu}\n",
			       opt.chats, opt.members, nconns_total, opt.rate, opt.inflight, win, sent_s, dlv, srv, srv / win,
			       rds / win, cli / win, per_core, p50, p95, p99, pmax, (unsigned long long)n,
			       (unsigned long long)fin.send_errors, (unsigned long long)fin.rate_limited,
			       (unsigned long long)fin.skipped, (unsigned long long)fin.closed, (unsigned long long)missing);
	}
	return fin.closed || fin.send_errors ? 1 : 0;
fail:
	set_phase(PH_STOP);
	for (uint32_t t = 0; t < opt.threads; t++)
		pthread_join(workers[t].tid, NULL);
	return 1;
}

int main(int argc, char **argv)
{
	struct sigaction sa = {.sa_handler = on_signal};
	int64_t t0;

	if (parse_args(argc, argv) != 0)
		return 2;
	setvbuf(stdout, NULL, _IOLBF, 0);
	nconns_total = opt.fanout ? opt.chats * opt.members : opt.connect;
	if (!opt.fanout)
		opt.members = 10; /* connect mode: groups of ten only spread connections over workers */
	nsources = opt.sources ? opt.sources : sources_needed(nconns_total);
	if (nsources > MAX_SOURCES) {
		fprintf(stderr, "gw_load: %u connections need more than %d loopback source addresses\n", nconns_total,
			MAX_SOURCES);
		return 2;
	}
	if (nsources > 1 && (ntohl(inet_addr(opt.host)) >> 24) != 127) {
		fprintf(stderr, "gw_load: %u connections to one non-loopback address exceed the ephemeral port range\n",
			nconns_total);
		return 2;
	}
	if (raise_nofile(nconns_total + 256) != 0)
		return 2;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (setup_workers() != 0) {
		fprintf(stderr, "gw_load: out of memory\n");
		return 2;
	}
	printf("gw_load: %s %u connections to %s:%u%s from %u source address%s, %u thread%s\n",
	       opt.fanout ? "fanout," : "connect,", nconns_total, opt.host, opt.port, opt.path, nsources,
	       nsources == 1 ? "" : "es", opt.threads, opt.threads == 1 ? "" : "s");
	t0 = now_ns();
	return opt.fanout ? run_fanout(t0) : run_connect(t0);
}
