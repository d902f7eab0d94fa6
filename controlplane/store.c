/* SPDX-License-Identifier: BSD-3-Clause */
/* voxrelay-cp's Redis connections: hiredis async on the libuv loop (set up in store_conn.c, TLS too), AUTH/SELECT, pub/sub, scripts loaded on connect and run by SHA, reconnection with backoff, a close that flushes. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/async.h>
#include <uv.h>
#include <openssl/evp.h>

#include "voxrelay/config.h"

#include "cp_priv.h"
#include "store.h"

#define BACKOFF_MIN_MS 100
#define ARGS_ON_STACK 32 /* a script call with more arguments allocates its argument vector */

/* One of the two connections: commands, or the pub/sub subscriber. */
struct link {
	struct vr_cp_store *s;
	redisAsyncContext *ac;
	struct ssl_st *ssl; /* ac's TLS session (rediss://), owned by ac */
	bool up, sub, was_up, recovering;
	uint32_t backoff_ms;
	uv_timer_t retry;    /* reconnect after backoff */
	uv_timer_t deadline; /* connect timeout: until Redis first answered */
};

struct vr_cp_store {
	struct vr_cp *cp;
	struct vr_redis_url url;
	struct vr_cp_store_tls *tls; /* rediss:// only */
	uint32_t connect_timeout_ms, reconnect_max_ms;
	struct link cmd, sub;
	char sha[VR_CP_SCRIPT_MAX][41];
	vr_cp_store_msg_cb on_msg;
	vr_cp_store_up_cb on_up;
	int64_t down_ms;     /* wall clock when a link was lost; 0: none lost since the last recovery */
	bool reloading;      /* SCRIPT LOADs sent after a NOSCRIPT, not all answered */
	bool closing;
	unsigned open_handles; /* timers and connections still closing: the last frees the store */
};

struct req {
	struct vr_cp_store *s;
	vr_cp_store_cb cb;
	void *arg;
	uint64_t t0;
};

static void link_connect(struct link *l);
static void load_scripts(redisAsyncContext *ac);

bool vr_cp_store_up(const struct vr_cp_store *s)
{
	return s && s->cmd.up && !s->closing;
}

static void retry_cb(uv_timer_t *t)
{
	link_connect(t->data);
}

static void release(struct vr_cp_store *s)
{
	if (--s->open_handles == 0) {
		vr_cp_store_tls_free(s->tls);
		free(s);
	}
}

static void link_down(struct link *l, const char *why)
{
	bool was = l->up;

	l->ac = NULL;
	l->ssl = NULL;
	l->up = false;
	uv_timer_stop(&l->deadline);
	if (was && !l->s->down_ms)
		l->s->down_ms = vr_cp_wall_ms();
	if (was || l->backoff_ms == 0 || l->backoff_ms >= l->s->reconnect_max_ms)
		fprintf(stderr, "voxrelay-cp: redis %s connection down: %s; retrying\n", l->sub ? "pub/sub" : "command",
			why);
	l->backoff_ms = l->backoff_ms ? l->backoff_ms * 2 : BACKOFF_MIN_MS;
	if (l->backoff_ms > l->s->reconnect_max_ms)
		l->backoff_ms = l->s->reconnect_max_ms;
	uv_timer_start(&l->retry, retry_cb, l->backoff_ms, 0);
}

/* Why a connection failed: before it was up, the TLS handshake's reason if it is one (certificate verification); else hiredis's. */
static const char *fail_why(struct link *l, const redisAsyncContext *ac, const char *dflt, char *buf, size_t len)
{
	const char *tls = l->up ? NULL : vr_cp_store_tls_why(l->ssl, buf, len);

	return tls ? tls : ac && ac->errstr[0] ? ac->errstr : dflt;
}

static void on_disconnect(const redisAsyncContext *ac, int status)
{
	struct link *l = ac->data;
	char why[256];

	if (!l)
		return;
	if (l->s->closing) {
		/* the end of a close: everything queued was answered */
		l->ac = NULL;
		l->ssl = NULL;
		l->up = false;
		release(l->s);
		return;
	}
	link_down(l, status == REDIS_OK && l->up ? "closed" : fail_why(l, ac, "closed", why, sizeof(why)));
}

/* A link is ready: commands can flow, or the subscription is confirmed. */
static void link_ready(struct link *l)
{
	struct vr_cp_store *s = l->s;

	uv_timer_stop(&l->deadline);
	l->up = true;
	l->backoff_ms = 0;
	if (l->was_up) {
		s->cp->st.redis_reconnects++;
		fprintf(stderr, "voxrelay-cp: redis %s connection back\n", l->sub ? "pub/sub" : "command");
		l->recovering = true;
	}
	l->was_up = true;
	/* Once both are back after either was lost: what pub/sub missed is in
	 * the streams, read after the subscription is confirmed so nothing
	 * falls between (duplicates are dropped by stream id). */
	if ((s->cmd.recovering || s->sub.recovering) && s->cmd.up && s->sub.up) {
		int64_t down = s->down_ms;

		s->cmd.recovering = s->sub.recovering = false;
		s->down_ms = 0;
		if (s->on_up)
			s->on_up(s->cp, down);
	}
}

static void on_sub_msg(redisAsyncContext *ac, void *reply, void *priv)
{
	struct link *l = ac->data;
	redisReply *r = reply;

	(void)priv;
	if (l && r && r->type == REDIS_REPLY_ARRAY && r->elements == 3 && r->element[0]->type == REDIS_REPLY_STRING &&
	    strcmp(r->element[0]->str, "psubscribe") == 0) {
		link_ready(l);
		return;
	}
	if (!l || !r || r->type != REDIS_REPLY_ARRAY || r->elements != 4)
		return;
	if (r->element[0]->type != REDIS_REPLY_STRING || strcmp(r->element[0]->str, "pmessage") != 0)
		return;
	if (r->element[2]->type == REDIS_REPLY_STRING && r->element[3]->type == REDIS_REPLY_STRING)
		l->s->on_msg(l->s->cp, r->element[2]->str, r->element[3]->str, r->element[3]->len);
}

static void on_setup_reply(redisAsyncContext *ac, void *reply, void *priv)
{
	redisReply *r = reply;

	(void)ac;
	if (r && r->type == REDIS_REPLY_ERROR)
		fprintf(stderr, "voxrelay-cp: redis %s: %s\n", (const char *)priv, r->str);
}

/* The answer to SCRIPT LOAD of script @p priv (its index): the SHA we run it by. */
static void on_script_loaded(redisAsyncContext *ac, void *reply, void *priv)
{
	struct link *l = ac->data;
	redisReply *r = reply;
	long id = (long)(intptr_t)priv;

	if (!l)
		return;
	if (id == VR_CP_SCRIPT_MAX - 1)
		l->s->reloading = false;
	/* no reply: the connection went, and the next one loads them again */
	if (r && (r->type != REDIS_REPLY_STRING || strcmp(r->str, l->s->sha[id]) != 0))
		fprintf(stderr, "voxrelay-cp: redis SCRIPT LOAD of script %ld: %s\n", id,
			r->type == REDIS_REPLY_ERROR ? r->str : "unexpected answer");
}

static void load_scripts(redisAsyncContext *ac)
{
	for (long i = 0; i < VR_CP_SCRIPT_MAX; i++) {
		const char *text = vr_cp_script_text((enum vr_cp_script)i);

		redisAsyncCommand(ac, on_script_loaded, (void *)(intptr_t)i, "SCRIPT LOAD %b", text, strlen(text));
	}
}

/* The command connection's first answer, after the set-up: TLS and Redis work, commands can flow. */
static void on_first_answer(redisAsyncContext *ac, void *reply, void *priv)
{
	struct link *l = ac->data;

	(void)priv;
	/* no reply: the connection went before, and its disconnect callback says why */
	if (l && reply)
		link_ready(l);
}

static void on_connect(const redisAsyncContext *cac, int status)
{
	redisAsyncContext *ac = (redisAsyncContext *)cac;
	struct link *l = ac->data;
	struct vr_cp_store *s;
	char why[256];

	if (!l)
		return;
	s = l->s;
	if (status != REDIS_OK) {
		/* hiredis frees the context after this callback */
		link_down(l, fail_why(l, ac, "connect failed", why, sizeof(why)));
		return;
	}
	/* Connected, not up yet: with TLS the handshake only starts now, and the
	 * deadline runs on until the first answer (PSUBSCRIBE's, or PING's).
	 * Commands queue in order on the connection, so AUTH, SELECT and the
	 * scripts take effect before anything the gateway sends next. */
	if (s->url.password[0]) {
		if (s->url.user[0])
			redisAsyncCommand(ac, on_setup_reply, "AUTH", "AUTH %s %s", s->url.user, s->url.password);
		else
			redisAsyncCommand(ac, on_setup_reply, "AUTH", "AUTH %s", s->url.password);
	}
	if (l->sub) {
		redisAsyncCommand(ac, on_sub_msg, NULL, "PSUBSCRIBE vr:*");
		return;
	}
	if (s->url.db)
		redisAsyncCommand(ac, on_setup_reply, "SELECT", "SELECT %u", s->url.db);
	load_scripts(ac);
	redisAsyncCommand(ac, on_first_answer, NULL, "PING");
}

static void deadline_cb(uv_timer_t *t)
{
	struct link *l = t->data;
	redisAsyncContext *ac = l->ac;
	char buf[256];
	const char *why;

	if (!ac || l->up)
		return;
	why = vr_cp_store_tls_why(l->ssl, buf, sizeof(buf));
	/* Not up: the disconnect callback must not run link_down twice, so do its work here. */
	ac->data = NULL;
	redisAsyncFree(ac);
	link_down(l, why ? why : "connect timed out");
}

static void link_connect(struct link *l)
{
	struct vr_cp_store *s = l->s;
	redisAsyncContext *ac;
	char why[256];

	if (s->closing || l->ac)
		return;
	ac = vr_cp_store_connect(&s->url, s->tls, s->cp->loop, l, &l->ssl, why, sizeof(why));
	if (!ac) {
		link_down(l, why);
		return;
	}
	redisAsyncSetConnectCallback(ac, on_connect);
	redisAsyncSetDisconnectCallback(ac, on_disconnect);
	l->ac = ac;
	uv_timer_start(&l->deadline, deadline_cb, s->connect_timeout_ms, 0);
}

static void link_init(struct vr_cp_store *s, struct link *l, bool sub)
{
	l->s = s;
	l->sub = sub;
	uv_timer_init(s->cp->loop, &l->retry);
	uv_timer_init(s->cp->loop, &l->deadline);
	l->retry.data = l;
	l->deadline.data = l;
}

static void sha1_hex(const char *text, char out[41])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	EVP_Digest(text, strlen(text), md, &n, EVP_sha1(), NULL);
	vr_cp_hex(md, n < 20 ? n : 20, out);
}

struct vr_cp_store *vr_cp_store_new(struct vr_cp *cp, const struct vr_config *cfg, vr_cp_store_msg_cb on_msg,
				    vr_cp_store_up_cb on_up, char *err, size_t errlen)
{
	struct vr_cp_store *s = calloc(1, sizeof(*s));
	char dummy[1];

	if (!errlen) {
		err = dummy;
		errlen = sizeof(dummy);
	}
	if (!s) {
		snprintf(err, errlen, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	if (vr_redis_url_parse(cfg->cp_redis_url, &s->url) != 0) {
		free(s);
		snprintf(err, errlen, "controlplane.redis.url: not a Redis URL");
		errno = EINVAL;
		return NULL;
	}
	/* rediss://: hiredis 1.0's TLS (hiredis_ssl, built from Debian's redis source: scripts/fetch-hiredis.sh;
	 * Debian 12's own libhiredis is 0.14, without TLS). One context for every connection. */
	if (s->url.tls && !(s->tls = vr_cp_store_tls_new(cfg, s->url.host, err, errlen))) {
		int e = errno;

		free(s);
		errno = e;
		return NULL;
	}
	s->cp = cp;
	s->connect_timeout_ms = cfg->cp_redis_connect_timeout_ms;
	s->reconnect_max_ms = cfg->cp_redis_reconnect_max_ms;
	s->on_msg = on_msg;
	s->on_up = on_up;
	for (int i = 0; i < VR_CP_SCRIPT_MAX; i++)
		sha1_hex(vr_cp_script_text(i), s->sha[i]);
	link_init(s, &s->cmd, false);
	link_init(s, &s->sub, true);
	link_connect(&s->cmd);
	link_connect(&s->sub);
	return s;
}

static void handle_closed(uv_handle_t *h)
{
	release(h->data);
}

static void link_close(struct link *l)
{
	struct vr_cp_store *s = l->s;
	redisAsyncContext *ac = l->ac;

	l->retry.data = s;
	l->deadline.data = s;
	s->open_handles += 2;
	uv_close((uv_handle_t *)&l->retry, handle_closed);
	uv_close((uv_handle_t *)&l->deadline, handle_closed);
	if (!ac)
		return;
	if (!l->up) {
		/* still connecting (or in its TLS handshake): nothing of ours is queued on it */
		l->ac = NULL;
		l->ssl = NULL;
		ac->data = NULL;
		redisAsyncFree(ac);
		return;
	}
	/* Written and answered first, then closed: on_disconnect releases it
	 * (possibly before this returns, when nothing is pending). */
	s->open_handles++;
	redisAsyncDisconnect(ac);
}

void vr_cp_store_free(struct vr_cp_store *s)
{
	if (!s || s->closing)
		return;
	s->closing = true;
	s->open_handles++; /* held while both links start closing */
	link_close(&s->cmd);
	link_close(&s->sub);
	release(s);
}

static void on_reply(redisAsyncContext *ac, void *reply, void *priv);

static struct req *req_new(struct vr_cp_store *s, vr_cp_store_cb cb, void *arg)
{
	struct req *q;

	if (!vr_cp_store_up(s) || !s->cmd.ac)
		return NULL;
	q = malloc(sizeof(*q));
	if (q)
		*q = (struct req){.s = s, .cb = cb, .arg = arg, .t0 = vr_cp_now_ms()};
	return q;
}

static void on_reply(redisAsyncContext *ac, void *reply, void *priv)
{
	struct req *q = priv;
	struct vr_cp_store *s = q->s;
	struct vr_cp *cp = s->cp;
	redisReply *r = reply;
	enum vr_cp_error err = r ? VR_CP_E_NONE : VR_CP_E_STORE_UNAVAILABLE;

	/* A Redis whose scripts were flushed: this call fails, the next ones find them again. */
	if (r && r->type == REDIS_REPLY_ERROR && strncmp(r->str, "NOSCRIPT", 8) == 0) {
		err = VR_CP_E_STORE_UNAVAILABLE;
		if (!s->reloading && !s->closing && ac->data) {
			fprintf(stderr, "voxrelay-cp: redis lost the scripts (SCRIPT FLUSH?): loading them again\n");
			s->reloading = true;
			load_scripts(ac);
		}
	}
	if (err || r->type == REDIS_REPLY_ERROR)
		cp->st.redis_err++;
	else
		cp->st.redis_ok++;
	vr_cp_hist_add(&cp->st.redis_lat, (double)(vr_cp_now_ms() - q->t0));
	if (q->cb)
		q->cb(cp, q->arg, err ? NULL : r, err);
	free(q);
}

int vr_cp_store_cmd(struct vr_cp_store *s, vr_cp_store_cb cb, void *arg, int argc, const char **argv,
		    const size_t *lens)
{
	struct req *q = req_new(s, cb, arg);

	if (!q)
		return vr_cp_store_up(s) ? -ENOMEM : -ENOTCONN;
	if (redisAsyncCommandArgv(s->cmd.ac, on_reply, q, argc, argv, lens) != REDIS_OK) {
		free(q);
		return -ENOTCONN;
	}
	return 0;
}

int vr_cp_store_cmdf(struct vr_cp_store *s, vr_cp_store_cb cb, void *arg, const char *fmt, ...)
{
	struct req *q = req_new(s, cb, arg);
	va_list ap;
	int rc;

	if (!q)
		return vr_cp_store_up(s) ? -ENOMEM : -ENOTCONN;
	va_start(ap, fmt);
	rc = redisvAsyncCommand(s->cmd.ac, on_reply, q, fmt, ap);
	va_end(ap);
	if (rc != REDIS_OK) {
		free(q);
		return -ENOTCONN;
	}
	return 0;
}

int vr_cp_store_script(struct vr_cp_store *s, enum vr_cp_script id, vr_cp_store_cb cb, void *arg, int nkeys,
		       int argc, const char **argv, const size_t *lens)
{
	const char *sv[ARGS_ON_STACK + 3], **av = sv;
	size_t sl[ARGS_ON_STACK + 3], *al = sl;
	char nk[12];
	int rc;

	if (argc < 0 || argc > VR_CP_SCRIPT_ARGS_MAX || (unsigned)id >= VR_CP_SCRIPT_MAX)
		return -E2BIG;
	if (!vr_cp_store_up(s))
		return -ENOTCONN;
	if (argc > ARGS_ON_STACK) {
		av = malloc((size_t)(argc + 3) * sizeof(*av));
		al = malloc((size_t)(argc + 3) * sizeof(*al));
		if (!av || !al) {
			rc = -ENOMEM;
			goto out;
		}
	}
	/* The caller's arguments as they are: hiredis formats them into its buffer at once. */
	av[0] = "EVALSHA";
	al[0] = 7;
	av[1] = s->sha[id];
	al[1] = 40;
	al[2] = (size_t)snprintf(nk, sizeof(nk), "%d", nkeys);
	av[2] = nk;
	memcpy(av + 3, argv, (size_t)argc * sizeof(*av));
	for (int i = 0; i < argc; i++)
		al[3 + i] = lens ? lens[i] : strlen(argv[i]);
	rc = vr_cp_store_cmd(s, cb, arg, argc + 3, av, al);
out:
	if (av != sv)
		free(av);
	if (al != sl)
		free(al);
	return rc;
}
