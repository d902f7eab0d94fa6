/* SPDX-License-Identifier: BSD-3-Clause */
/* A WebSocket connection's outbound queue (bounded: a slow consumer is closed, never buffered without limit), live frames held during a resume, its closing; and the clocks and hex ids every file uses. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/rand.h>

#include "cp_priv.h"

/* lws's write type for a close frame: its headers keep the name private
 * (LWS_WRITE_CLOSE, between LWS_WRITE_HTTP 3 and LWS_WRITE_PING 5). */
#define VR_LWS_WRITE_CLOSE ((enum lws_write_protocol)4)

uint64_t vr_cp_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int64_t vr_cp_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void vr_cp_hex(const unsigned char *b, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[b[i] >> 4];
		out[2 * i + 1] = digits[b[i] & 15];
	}
	out[2 * n] = 0;
}

int vr_cp_random_hex(char *out, size_t n)
{
	unsigned char rnd[32];

	if (n > sizeof(rnd) || RAND_bytes(rnd, (int)n) != 1)
		return -1;
	vr_cp_hex(rnd, n, out);
	return 0;
}

static void drop_queue(struct vr_cp_conn *c)
{
	struct vr_cp_out *o = c->out_head, *n;
	struct vr_cp_held *h = c->held_head, *hn;

	for (; o; o = n) {
		n = o->next;
		free(o);
	}
	for (; h; h = hn) {
		hn = h->next;
		free(h->o);
		free(h);
	}
	c->out_head = c->out_tail = NULL;
	c->held_head = c->held_tail = NULL;
	c->out_bytes = 0;
}

void vr_cp_close(struct vr_cp_conn *c, uint16_t code, const char *reason)
{
	if (c->dead || c->close_code)
		return;
	c->close_code = code;
	snprintf(c->close_reason, sizeof(c->close_reason), "%s", reason ? reason : "");
	lws_callback_on_writable(c->wsi);
}

/* A queue node holding a copy of the frame, within the connection's bound; NULL (closing it when too slow) otherwise. */
static struct vr_cp_out *out_new(struct vr_cp_conn *c, const char *frame, size_t len, int *rc)
{
	struct vr_cp *cp = c->cp;
	struct vr_cp_out *o;

	if (c->dead || c->close_code) {
		*rc = -EPIPE;
		return NULL;
	}
	if (c->out_bytes + len > cp->cfg->cp_outbound_queue) {
		/* What it has not read yet is dropped with it: memory stays bounded. */
		drop_queue(c);
		cp->st.closed_slow++;
		vr_cp_close(c, VR_CP_CLOSE_SLOW_CONSUMER, "too slow: outbound queue full");
		*rc = -ENOBUFS;
		return NULL;
	}
	o = malloc(sizeof(*o) + LWS_PRE + len);
	if (!o) {
		*rc = -ENOMEM;
		return NULL;
	}
	o->next = NULL;
	o->len = len;
	memcpy(o->buf + LWS_PRE, frame, len);
	c->out_bytes += len;
	*rc = 0;
	return o;
}

static void enqueue(struct vr_cp_conn *c, struct vr_cp_out *o)
{
	bool was_empty = !c->out_head;

	if (c->out_tail)
		c->out_tail->next = o;
	else
		c->out_head = o;
	c->out_tail = o;
	/* A writeable callback is pending whenever the queue is not empty
	 * (vr_cp_conn_writeable asks again when it stops short). */
	if (was_empty)
		lws_callback_on_writable(c->wsi);
}

int vr_cp_send_copy(struct vr_cp_conn *c, const char *frame, size_t len)
{
	int rc;
	struct vr_cp_out *o = out_new(c, frame, len, &rc);

	if (o)
		enqueue(c, o);
	return rc;
}

int vr_cp_send(struct vr_cp_conn *c, char *frame, size_t len)
{
	int rc;

	if (!frame)
		return -ENOMEM;
	rc = vr_cp_send_copy(c, frame, len);
	free(frame);
	return rc;
}

int vr_cp_deliver_conn(struct vr_cp_conn *c, const char *chat, const char *id, const char *frame, size_t len)
{
	struct vr_cp_held *h;
	int rc;

	if (!c->holding)
		return vr_cp_send_copy(c, frame, len);
	h = malloc(sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->o = out_new(c, frame, len, &rc);
	if (!h->o) {
		free(h);
		return rc;
	}
	h->next = NULL;
	snprintf(h->chat, sizeof(h->chat), "%s", chat ? chat : "");
	snprintf(h->id, sizeof(h->id), "%s", id ? id : "");
	if (c->held_tail)
		c->held_tail->next = h;
	else
		c->held_head = h;
	c->held_tail = h;
	return 0;
}

void vr_cp_unhold(struct vr_cp_conn *c, bool (*replayed)(void *arg, const char *chat, const char *id), void *arg)
{
	struct vr_cp_held *h = c->held_head, *n;

	c->holding = false;
	c->held_head = c->held_tail = NULL;
	for (; h; h = n) {
		n = h->next;
		if (c->dead || c->close_code || (replayed && h->id[0] && replayed(arg, h->chat, h->id))) {
			c->out_bytes -= h->o->len;
			free(h->o);
		} else {
			enqueue(c, h->o);
		}
		free(h);
	}
}

int vr_cp_send_json(struct vr_cp_conn *c, const char *type, json_t *data, const json_t *id)
{
	size_t len = 0;
	char *f = vr_cp_frame(type, data, id, &len);

	return vr_cp_send(c, f, len);
}

void vr_cp_send_error(struct vr_cp_conn *c, enum vr_cp_error e, const char *msg, const json_t *id)
{
	size_t len = 0;
	char *f = vr_cp_error_frame(e, msg, id, &len);

	c->cp->st.errors_out[e < VR_CP_E_MAX ? e : VR_CP_E_INTERNAL]++;
	vr_cp_send(c, f, len);
}

/* Called from the writeable callback: write what the socket takes; -1 tells lws to close. */
int vr_cp_conn_writeable(struct vr_cp_conn *c)
{
	struct vr_cp_out *o;

	if (c->want_ping && !c->close_code) {
		unsigned char ping[LWS_PRE + 1];

		c->want_ping = false;
		if (lws_write(c->wsi, ping + LWS_PRE, 0, LWS_WRITE_PING) < 0)
			return -1;
	}
	/* As many frames as the socket takes now: one per callback would cap a
	 * connection's output at one frame per loop turn, below what a busy
	 * chat produces. lws keeps what the socket did not take of the last
	 * write and calls back once it is out; no poll() per frame. */
	while ((o = c->out_head) && !lws_partial_buffered(c->wsi)) {
		int n = lws_write(c->wsi, o->buf + LWS_PRE, o->len, LWS_WRITE_TEXT);

		if (n < (int)o->len)
			return -1;
		c->cp->st.frames_out++;
		c->cp->st.bytes_out += o->len;
		c->out_head = o->next;
		if (!c->out_head)
			c->out_tail = NULL;
		c->out_bytes -= o->len;
		free(o);
	}
	if (c->out_head || (c->close_code && lws_partial_buffered(c->wsi))) {
		lws_callback_on_writable(c->wsi);
		return 0;
	}
	if (c->close_code) {
		/* The close frame is written here, not left to lws_close_reason():
		 * with the libuv event loop, lws 4.1 closes the socket before it
		 * gets to send the frame, and clients would see 1006 instead of
		 * the code (RFC 6455 section 5.5.1: 2-byte code, then the reason). */
		unsigned char frame[LWS_PRE + 2 + sizeof(c->close_reason)];
		size_t rlen = strlen(c->close_reason);

		frame[LWS_PRE] = (unsigned char)(c->close_code >> 8);
		frame[LWS_PRE + 1] = (unsigned char)(c->close_code & 0xff);
		memcpy(frame + LWS_PRE + 2, c->close_reason, rlen);
		lws_write(c->wsi, frame + LWS_PRE, 2 + rlen, VR_LWS_WRITE_CLOSE);
		return -1;
	}
	return 0;
}

void vr_cp_conn_free(struct vr_cp_conn *c)
{
	if (!c)
		return;
	drop_queue(c);
	free(c->rx);
	free(c);
}

void vr_cp_conn_put(struct vr_cp_conn *c)
{
	if (--c->pending == 0 && c->dead)
		vr_cp_conn_free(c);
}
