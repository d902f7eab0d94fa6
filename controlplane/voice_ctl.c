/* SPDX-License-Identifier: BSD-3-Clause */
/* Clients of the relays' control sockets (docs/control.md): JSON lines over a UNIX socket on the libuv loop, one request at a time, each with a timeout. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cp_priv.h"
#include "voice.h"

#define ANSWER_MAX 65536 /* voice's answers are a few hundred bytes; anything this long is not one */
#define READ_CHUNK 4096

/* One queued request; the head of the queue is the one sent (or about to be). */
struct relay_req {
	struct relay_req *next;
	char *line; /* '\n'-terminated */
	size_t len;
	json_int_t id;
	vr_cp_relay_cb *cb;
	void *arg;
};

/*
 * One connection to the socket. It outlives the relay's use of it until
 * libuv has closed both handles, so callbacks of a connection given up
 * find r == NULL and do nothing.
 */
struct relay_link {
	struct vr_cp_relay *r;
	uv_pipe_t pipe;
	uv_connect_t connect;
	uv_timer_t timer;
	bool connected;
	unsigned open_handles;
	char *in; /* the answer read so far */
	size_t in_len;
	char chunk[READ_CHUNK]; /* libuv reads into it; on_read copies it out before the next read */
};

/* A write in flight owns its bytes, so a request failed meanwhile can be freed. */
struct relay_write {
	uv_write_t req;
	char data[];
};

struct vr_cp_relay {
	uv_loop_t *loop;
	struct vr_addr addr;
	char name[64];
	char path[VR_CFG_SOCK_LEN];
	struct relay_req *head, *tail;
	unsigned queued;
	bool busy; /* the head is in flight */
	json_int_t next_id;
	struct relay_link *link;
};

static void pump(struct vr_cp_relay *r);

struct vr_cp_relay *vr_cp_relay_new(uv_loop_t *loop, const struct vr_cfg_cp_relay *cfg)
{
	struct vr_cp_relay *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->loop = loop;
	r->addr = cfg->addr;
	vr_addr_str(&cfg->addr, r->name, sizeof(r->name));
	snprintf(r->path, sizeof(r->path), "%s", cfg->control_socket);
	return r;
}

void vr_cp_relay_free(struct vr_cp_relay *r)
{
	free(r);
}

const struct vr_addr *vr_cp_relay_addr(const struct vr_cp_relay *r)
{
	return &r->addr;
}

const char *vr_cp_relay_name(const struct vr_cp_relay *r)
{
	return r->name;
}

const char *vr_cp_relay_error(const json_t *resp)
{
	const char *code;

	if (!resp)
		return NULL;
	if (json_is_true(json_object_get(resp, "ok")))
		return "";
	code = json_string_value(json_object_get(json_object_get(resp, "error"), "code"));
	return code ? code : "EIO";
}

static void link_closed(uv_handle_t *h)
{
	struct relay_link *l = h->data;

	if (--l->open_handles == 0) {
		free(l->in);
		free(l);
	}
}

/* Give the connection up (an answer can no longer be matched to its request). */
static void link_drop(struct vr_cp_relay *r)
{
	struct relay_link *l = r->link;

	if (!l)
		return;
	r->link = NULL;
	l->r = NULL;
	uv_close((uv_handle_t *)&l->pipe, link_closed);
	uv_close((uv_handle_t *)&l->timer, link_closed);
}

/* Pop the head and tell its caller; the caller may queue more. */
static void complete(struct vr_cp_relay *r, json_t *resp, const char *why)
{
	struct relay_req *q = r->head;

	if (!q)
		return;
	r->head = q->next;
	if (!r->head)
		r->tail = NULL;
	r->queued--;
	r->busy = false;
	if (r->link)
		uv_timer_stop(&r->link->timer);
	q->cb(q->arg, resp, why);
	free(q->line);
	free(q);
}

static void fail(struct vr_cp_relay *r, const char *why)
{
	link_drop(r);
	complete(r, NULL, why);
	pump(r);
}

static void on_timeout(uv_timer_t *t)
{
	struct relay_link *l = t->data;
	char why[64];

	if (!l->r)
		return;
	snprintf(why, sizeof(why), "no answer within %u ms", VR_CP_RELAY_TIMEOUT_MS);
	fail(l->r, why);
}

static void on_write(uv_write_t *req, int status)
{
	struct relay_link *l = req->handle->data;

	free(req);
	if (status < 0 && status != UV_ECANCELED && l->r) {
		char why[96];

		snprintf(why, sizeof(why), "write: %s", uv_strerror(status));
		fail(l->r, why);
	}
}

static int write_head(struct vr_cp_relay *r)
{
	struct relay_write *w = malloc(sizeof(*w) + r->head->len);
	uv_buf_t b;
	int rc;

	if (!w)
		return UV_ENOMEM;
	memcpy(w->data, r->head->line, r->head->len);
	b = uv_buf_init(w->data, (unsigned)r->head->len);
	rc = uv_write(&w->req, (uv_stream_t *)&r->link->pipe, &b, 1, on_write);
	if (rc < 0)
		free(w);
	return rc;
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	struct relay_link *l = h->data;

	(void)hint;
	*buf = uv_buf_init(l->chunk, sizeof(l->chunk));
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct relay_link *l = s->data;
	struct vr_cp_relay *r = l->r;
	json_t *resp;
	char *nl, *grown;

	if (!r || n == 0)
		return;
	if (n < 0) {
		fail(r, n == UV_EOF ? "the relay closed the connection" : uv_strerror((int)n));
		return;
	}
	if (!r->busy) /* nothing asked: not an answer of ours */
		return;
	if (l->in_len + (size_t)n > ANSWER_MAX || !(grown = realloc(l->in, l->in_len + (size_t)n))) {
		fail(r, "answer too long");
		return;
	}
	l->in = grown;
	memcpy(l->in + l->in_len, buf->base, (size_t)n);
	l->in_len += (size_t)n;
	nl = memchr(l->in, '\n', l->in_len);
	if (!nl)
		return;
	/* One request at a time: nothing may follow its answer. */
	resp = json_loadb(l->in, (size_t)(nl - l->in), 0, NULL);
	l->in_len = 0;
	if (!json_is_object(resp) || json_integer_value(json_object_get(resp, "id")) != r->head->id) {
		json_decref(resp);
		fail(r, "unreadable answer");
		return;
	}
	complete(r, resp, NULL);
	json_decref(resp);
	pump(r);
}

static void on_connect(uv_connect_t *req, int status)
{
	struct relay_link *l = req->data;
	struct vr_cp_relay *r = l->r;
	char why[160];
	int rc;

	if (!r)
		return;
	if (status < 0) {
		snprintf(why, sizeof(why), "cannot connect to %s: %s", r->path, uv_strerror(status));
		fail(r, why);
		return;
	}
	l->connected = true;
	rc = uv_read_start((uv_stream_t *)&l->pipe, on_alloc, on_read);
	if (rc == 0 && r->busy)
		rc = write_head(r);
	if (rc < 0) {
		snprintf(why, sizeof(why), "%s: %s", r->path, uv_strerror(rc));
		fail(r, why);
	}
}

/* The connection's first turn of the loop: connect, and the head's time starts. */
static void on_kick(uv_timer_t *t)
{
	struct relay_link *l = t->data;

	if (!l->r)
		return;
	uv_timer_start(&l->timer, on_timeout, VR_CP_RELAY_TIMEOUT_MS, 0);
	/* Errors, a missing socket file among them, come to on_connect. */
	uv_pipe_connect(&l->connect, &l->pipe, l->r->path, on_connect);
}

/*
 * A new connection connects on the loop's next turn, not from the caller's
 * stack: a request may come from a callback of a Redis or WebSocket
 * connection being torn down (the process stopping), whose descriptor
 * libuv has not finished with, and the new socket could take its number.
 */
static int link_open(struct vr_cp_relay *r)
{
	struct relay_link *l = calloc(1, sizeof(*l));

	if (!l)
		return UV_ENOMEM;
	l->r = r;
	uv_pipe_init(r->loop, &l->pipe, 0);
	uv_timer_init(r->loop, &l->timer);
	l->pipe.data = l->timer.data = l->connect.data = l;
	l->open_handles = 2;
	r->link = l;
	uv_timer_start(&l->timer, on_kick, 0, 0);
	return 0;
}

/* Send the head if nothing is in flight; close the connection once nothing is left. */
static void pump(struct vr_cp_relay *r)
{
	while (!r->busy && r->head) {
		int rc = 0;

		r->busy = true;
		if (!r->link) {
			rc = link_open(r);
		} else {
			uv_timer_start(&r->link->timer, on_timeout, VR_CP_RELAY_TIMEOUT_MS, 0);
			if (r->link->connected)
				rc = write_head(r);
		}
		if (rc < 0) {
			link_drop(r);
			complete(r, NULL, uv_strerror(rc));
		}
	}
	/* No idle connection: it would keep the loop (and the process at exit) alive. */
	if (!r->busy && !r->head)
		link_drop(r);
}

int vr_cp_relay_call(struct vr_cp_relay *r, const char *op, json_t *args, vr_cp_relay_cb *cb, void *arg)
{
	struct relay_req *q = NULL;
	json_t *o = NULL;
	char *text = NULL;
	int rc = -1;

	if (r->queued >= VR_CP_RELAY_QUEUE_MAX)
		goto out;
	q = calloc(1, sizeof(*q));
	o = json_pack("{s:I, s:s, s:o}", "id", (json_int_t)++r->next_id, "op", op, "args", args ? args : json_object());
	args = NULL; /* json_pack took it, even when it failed */
	text = o ? json_dumps(o, JSON_COMPACT) : NULL;
	if (!q || !text)
		goto out;
	q->len = strlen(text);
	q->line = realloc(text, q->len + 2);
	if (!q->line)
		goto out;
	text = NULL;
	q->line[q->len++] = '\n';
	q->line[q->len] = 0;
	q->id = r->next_id;
	q->cb = cb;
	q->arg = arg;
	if (r->tail)
		r->tail->next = q;
	else
		r->head = q;
	r->tail = q;
	r->queued++;
	q = NULL;
	rc = 0;
	pump(r);
out:
	if (q)
		free(q->line);
	free(q);
	free(text);
	json_decref(o);
	json_decref(args);
	return rc;
}
