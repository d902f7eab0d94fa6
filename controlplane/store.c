/* SPDX-License-Identifier: BSD-3-Clause */
/* voxrelay-cp's Redis connections: hiredis async on the libuv loop, AUTH/SELECT, pub/sub, scripts by SHA, reconnection with backoff. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/adapters/libuv.h>
#include <hiredis/async.h>
#include <openssl/evp.h>

#include "voxrelay/config.h"

#include "cp_priv.h"
#include "store.h"

#define BACKOFF_MIN_MS 100

/* One of the two connections: commands, or the pub/sub subscriber. */
struct link {
	struct vr_cp_store *s;
	redisAsyncContext *ac;
	bool up, sub, was_up, recovering;
	uint32_t backoff_ms;
	uv_timer_t retry;    /* reconnect after backoff */
	uv_timer_t deadline; /* connect timeout */
};

struct vr_cp_store {
	struct vr_cp *cp;
	struct vr_redis_url url;
	uint32_t connect_timeout_ms, reconnect_max_ms;
	struct link cmd, sub;
	char sha[VR_CP_SCRIPT_MAX][41];
	vr_cp_store_msg_cb on_msg;
	vr_cp_store_up_cb on_up;
	bool closing;
	unsigned open_handles;
};

struct req {
	struct vr_cp_store *s;
	vr_cp_store_cb cb;
	void *arg;
	uint64_t t0;
	int script; /* -1: a plain command */
	int argc;
	char **argv; /* scripts only: kept to retry with EVAL */
	size_t *lens;
};

static void link_connect(struct link *l);

bool vr_cp_store_up(const struct vr_cp_store *s)
{
	return s && s->cmd.up;
}

static void req_free(struct req *q)
{
	if (!q)
		return;
	for (int i = 0; q->argv && i < q->argc; i++)
		free(q->argv[i]);
	free(q->argv);
	free(q->lens);
	free(q);
}

static void retry_cb(uv_timer_t *t)
{
	link_connect(t->data);
}

static void link_down(struct link *l, const char *why)
{
	bool was = l->up;

	l->ac = NULL;
	l->up = false;
	uv_timer_stop(&l->deadline);
	if (l->s->closing)
		return;
	if (was || l->backoff_ms == 0 || l->backoff_ms >= l->s->reconnect_max_ms)
		fprintf(stderr, "voxrelay-cp: redis %s connection down: %s; retrying\n", l->sub ? "pub/sub" : "command",
			why);
	l->backoff_ms = l->backoff_ms ? l->backoff_ms * 2 : BACKOFF_MIN_MS;
	if (l->backoff_ms > l->s->reconnect_max_ms)
		l->backoff_ms = l->s->reconnect_max_ms;
	uv_timer_start(&l->retry, retry_cb, l->backoff_ms, 0);
}

static void on_disconnect(const redisAsyncContext *ac, int status)
{
	struct link *l = ac->data;

	if (!l)
		return;
	link_down(l, status == REDIS_OK ? "closed" : (ac->errstr[0] ? ac->errstr : "error"));
}

/* A link is ready: commands can flow, or the subscription is confirmed. */
static void link_ready(struct link *l)
{
	struct vr_cp_store *s = l->s;

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
		s->cmd.recovering = s->sub.recovering = false;
		if (s->on_up)
			s->on_up(s->cp);
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

static void on_connect(const redisAsyncContext *cac, int status)
{
	redisAsyncContext *ac = (redisAsyncContext *)cac;
	struct link *l = ac->data;
	struct vr_cp_store *s;

	if (!l)
		return;
	s = l->s;
	uv_timer_stop(&l->deadline);
	if (status != REDIS_OK) {
		/* hiredis frees the context after this callback */
		link_down(l, ac->errstr[0] ? ac->errstr : "connect failed");
		return;
	}
	/* Commands queue in order on the connection, so AUTH and SELECT take
	 * effect before anything the gateway sends next. */
	if (s->url.password[0]) {
		if (s->url.user[0])
			redisAsyncCommand(ac, on_setup_reply, "AUTH", "AUTH %s %s", s->url.user, s->url.password);
		else
			redisAsyncCommand(ac, on_setup_reply, "AUTH", "AUTH %s", s->url.password);
	}
	if (l->sub) {
		redisAsyncCommand(ac, on_sub_msg, NULL, "PSUBSCRIBE vr:*");
	} else if (s->url.db) {
		redisAsyncCommand(ac, on_setup_reply, "SELECT", "SELECT %u", s->url.db);
	}
	if (!l->sub)
		link_ready(l);
}

static void deadline_cb(uv_timer_t *t)
{
	struct link *l = t->data;
	redisAsyncContext *ac = l->ac;

	if (!ac || l->up)
		return;
	/* Not connected: no disconnect callback will come, so do its work here. */
	ac->data = NULL;
	redisAsyncFree(ac);
	link_down(l, "connect timed out");
}

static void link_connect(struct link *l)
{
	struct vr_cp_store *s = l->s;
	redisAsyncContext *ac;

	if (s->closing || l->ac)
		return;
	ac = s->url.unix_path[0] ? redisAsyncConnectUnix(s->url.unix_path)
				 : redisAsyncConnect(s->url.host, s->url.port);
	if (!ac || ac->err) {
		if (ac)
			redisAsyncFree(ac);
		link_down(l, "cannot create a connection");
		return;
	}
	ac->data = l;
	if (redisLibuvAttach(ac, s->cp->loop) != REDIS_OK) {
		ac->data = NULL;
		redisAsyncFree(ac);
		link_down(l, "cannot attach to the loop");
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
	for (unsigned i = 0; i < n && i < 20; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

struct vr_cp_store *vr_cp_store_new(struct vr_cp *cp, const char *url, uint32_t connect_timeout_ms,
				    uint32_t reconnect_max_ms, vr_cp_store_msg_cb on_msg, vr_cp_store_up_cb on_up)
{
	struct vr_cp_store *s = calloc(1, sizeof(*s));

	if (!s) {
		errno = ENOMEM;
		return NULL;
	}
	if (vr_redis_url_parse(url, &s->url) != 0) {
		free(s);
		errno = EINVAL;
		return NULL;
	}
	if (s->url.tls) {
		/* Debian 12's hiredis 0.14 has no TLS (hiredis_ssl came with 1.0). */
		free(s);
		errno = ENOTSUP;
		return NULL;
	}
	s->cp = cp;
	s->connect_timeout_ms = connect_timeout_ms;
	s->reconnect_max_ms = reconnect_max_ms;
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
	struct vr_cp_store *s = h->data;

	if (--s->open_handles == 0)
		free(s);
}

static void link_close(struct link *l)
{
	redisAsyncContext *ac = l->ac;

	l->ac = NULL;
	l->up = false;
	if (ac) {
		ac->data = NULL;
		redisAsyncFree(ac); /* pending callbacks run with a NULL reply */
	}
	l->retry.data = l->s;
	l->deadline.data = l->s;
	l->s->open_handles += 2;
	uv_close((uv_handle_t *)&l->retry, handle_closed);
	uv_close((uv_handle_t *)&l->deadline, handle_closed);
}

void vr_cp_store_free(struct vr_cp_store *s)
{
	if (!s)
		return;
	s->closing = true;
	link_close(&s->cmd);
	link_close(&s->sub);
}

static void on_reply(redisAsyncContext *ac, void *reply, void *priv);

static int send_req(struct vr_cp_store *s, struct req *q, int argc, const char **argv, const size_t *lens)
{
	if (!s->cmd.up || !s->cmd.ac)
		return -ENOTCONN;
	if (redisAsyncCommandArgv(s->cmd.ac, on_reply, q, argc, argv, lens) != REDIS_OK)
		return -ENOTCONN;
	return 0;
}

static void finish(struct req *q, redisReply *r, enum vr_cp_error err)
{
	struct vr_cp *cp = q->s->cp;

	if (err || (r && r->type == REDIS_REPLY_ERROR))
		cp->st.redis_err++;
	else
		cp->st.redis_ok++;
	vr_cp_hist_add(&cp->st.redis_lat, (double)(vr_cp_now_ms() - q->t0));
	q->cb(cp, q->arg, err ? NULL : r, err);
	req_free(q);
}

static void on_reply(redisAsyncContext *ac, void *reply, void *priv)
{
	struct req *q = priv;
	redisReply *r = reply;

	(void)ac;
	if (!r) {
		finish(q, NULL, VR_CP_E_STORE_UNAVAILABLE);
		return;
	}
	/* A restarted Redis has forgotten our scripts: send the body once. */
	if (q->script >= 0 && r->type == REDIS_REPLY_ERROR && strncmp(r->str, "NOSCRIPT", 8) == 0) {
		const char *text = vr_cp_script_text(q->script);

		free(q->argv[0]);
		free(q->argv[1]);
		q->argv[0] = strdup("EVAL");
		q->argv[1] = strdup(text);
		q->lens[0] = 4;
		q->lens[1] = strlen(text);
		q->script = -1;
		if (q->argv[0] && q->argv[1] &&
		    send_req(q->s, q, q->argc, (const char **)q->argv, q->lens) == 0)
			return;
		finish(q, NULL, VR_CP_E_STORE_UNAVAILABLE);
		return;
	}
	finish(q, r, VR_CP_E_NONE);
}

int vr_cp_store_cmd(struct vr_cp_store *s, vr_cp_store_cb cb, void *arg, int argc, const char **argv,
		    const size_t *lens)
{
	struct req *q = calloc(1, sizeof(*q));
	int rc;

	if (!q)
		return -ENOMEM;
	*q = (struct req){.s = s, .cb = cb, .arg = arg, .t0 = vr_cp_now_ms(), .script = -1};
	rc = send_req(s, q, argc, argv, lens);
	if (rc)
		free(q);
	return rc;
}

int vr_cp_store_cmdf(struct vr_cp_store *s, vr_cp_store_cb cb, void *arg, const char *fmt, ...)
{
	struct req *q;
	va_list ap;
	int rc;

	if (!s->cmd.up || !s->cmd.ac)
		return -ENOTCONN;
	q = calloc(1, sizeof(*q));
	if (!q)
		return -ENOMEM;
	*q = (struct req){.s = s, .cb = cb, .arg = arg, .t0 = vr_cp_now_ms(), .script = -1};
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
	struct req *q;
	char nk[12];
	int total = argc + 3, rc = -ENOMEM;

	if (!s->cmd.up)
		return -ENOTCONN;
	q = calloc(1, sizeof(*q));
	if (!q)
		return -ENOMEM;
	*q = (struct req){.s = s, .cb = cb, .arg = arg, .t0 = vr_cp_now_ms(), .script = id, .argc = total};
	q->argv = calloc((size_t)total, sizeof(char *));
	q->lens = calloc((size_t)total, sizeof(size_t));
	if (!q->argv || !q->lens)
		goto fail;
	snprintf(nk, sizeof(nk), "%d", nkeys);
	q->argv[0] = strdup("EVALSHA");
	q->argv[1] = strdup(s->sha[id]);
	q->argv[2] = strdup(nk);
	for (int i = 0; i < 3; i++)
		if (!q->argv[i])
			goto fail;
	q->lens[0] = 7;
	q->lens[1] = 40;
	q->lens[2] = strlen(nk);
	for (int i = 0; i < argc; i++) {
		q->argv[i + 3] = malloc(lens[i] + 1);
		if (!q->argv[i + 3])
			goto fail;
		memcpy(q->argv[i + 3], argv[i], lens[i]);
		q->argv[i + 3][lens[i]] = 0;
		q->lens[i + 3] = lens[i];
	}
	rc = send_req(s, q, total, (const char **)q->argv, q->lens);
	if (rc == 0)
		return 0;
fail:
	req_free(q);
	return rc;
}
