/* SPDX-License-Identifier: BSD-3-Clause */
/* The chat protocol voxrelay-gw-load speaks: auth and heartbeats, create_chat and join_chat, paced or flat-out sends, acks, deliveries and their latency. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "gw_priv.h"

#define PACE_CAP 256                   /* messages per sender not yet back when paced */
#define TOKEN_TTL_S 86400

static void user_id(char *out, size_t n, uint32_t gidx)
{
	snprintf(out, n, "%s%u", vr_gw_opt.prefix, gidx);
}

static void hb_append(struct vr_gw_worker *w, struct vr_gw_conn *c)
{
	c->hb_next = NULL;
	if (w->hb_tail)
		w->hb_tail->hb_next = c;
	else
		w->hb_head = c;
	w->hb_tail = c;
}

/* One interval for every connection keeps the list in due order: pop from the head, push to the tail. */
void vr_gw_heartbeats(struct vr_gw_worker *w, int64_t now)
{
	static const char hb[] = "{\"type\":\"heartbeat\",\"data\":{},\"id\":\"h\"}";
	struct vr_gw_conn *c;

	while ((c = w->hb_head) && c->hb_due <= now) {
		w->hb_head = c->hb_next;
		if (!w->hb_head)
			w->hb_tail = NULL;
		if (c->state != VR_GW_CS_READY)
			continue;
		if (!vr_gw_send_text(w, c, hb, sizeof(hb) - 1))
			continue;
		c->hb_due += w->hb_ns;
		hb_append(w, c);
	}
}

static void send_message(struct vr_gw_worker *w, struct vr_gw_chat *ch)
{
	struct vr_gw_conn *c = &w->conns[ch->first];
	char buf[512 + 4096];
	int n;

	/* "t<send time in ns>:" then padding up to --size: receivers take the
	 * time back out of the content, so no table of sent messages is kept */
	n = snprintf(buf, sizeof(buf), "{\"type\":\"send_message\",\"data\":{\"chatId\":\"%s\",\"content\":\"t%lld:", ch->id,
		     (long long)vr_gw_now_ns());
	for (uint32_t i = 24; i < vr_gw_opt.size && n < (int)sizeof(buf) - 32; i++)
		buf[n++] = 'x';
	n += snprintf(buf + n, sizeof(buf) - (size_t)n, "\"},\"id\":\"m\"}");
	if (vr_gw_send_text(w, c, buf, (size_t)n)) {
		ch->inflight++;
		VR_GW_ADD(w->st.sent, 1);
	}
}

static bool sending(void)
{
	int ph = vr_gw_phase_now();

	return ph == VR_GW_PH_WARMUP || ph == VR_GW_PH_RUN;
}

static void on_delivery(struct vr_gw_worker *w, struct vr_gw_conn *c, const char *s, size_t len)
{
	const char *p = memmem(s, len, "\"content\":\"t", 12);

	VR_GW_ADD(w->st.delivered, 1);
	/* The sender is a member too: its own copy closes the loop. Counting
	 * acknowledgements instead would let messages pile up between Redis and
	 * the fan-out (acks and deliveries come back on different Redis
	 * connections), and the latency would measure that pile. */
	if (vr_gw_opt.fanout && c->gidx % vr_gw_opt.members == 0) {
		struct vr_gw_chat *ch = &w->chats[c->chat];

		if (ch->inflight)
			ch->inflight--;
		if (vr_gw_opt.rate == 0 && sending() && ch->inflight < vr_gw_opt.inflight)
			send_message(w, ch);
	}
	if (p) {
		long long t = strtoll(p + 12, NULL, 10);
		int64_t d = vr_gw_now_ns() - t;

		VR_GW_ADD(w->st.hist[vr_gw_lat_bucket(d > 0 ? (uint64_t)d / 1000 : 0)], 1);
	}
}

static void on_ack(struct vr_gw_worker *w)
{
	VR_GW_ADD(w->st.acked, 1);
}

static void send_auth(struct vr_gw_worker *w, struct vr_gw_conn *c)
{
	char uid[64], claims[256], buf[1200], *tok;
	long now = (long)time(NULL);
	int n;

	user_id(uid, sizeof(uid), c->gidx);
	n = snprintf(claims, sizeof(claims), "{\"sub\":\"%s\",\"iat\":%ld,\"exp\":%ld}", uid, now, now + TOKEN_TTL_S);
	/* once per connection, at set-up: the allocation and the key copy per call do not matter */
	tok = n > 0 && (size_t)n < sizeof(claims) ? vr_jwt_sign_hs256(vr_gw_key, claims) : NULL;
	if (tok) {
		n = snprintf(buf, sizeof(buf), "{\"type\":\"auth\",\"data\":{\"token\":\"%s\"},\"id\":\"a\"}", tok);
		free(tok);
	}
	if (!tok || n < 0 || (size_t)n >= sizeof(buf)) {
		vr_gw_conn_close(w, c, "token", "could not sign");
		return;
	}
	c->state = VR_GW_CS_AUTH;
	vr_gw_send_text(w, c, buf, (size_t)n);
}

void vr_gw_start_chat(struct vr_gw_worker *w, struct vr_gw_chat *ch)
{
	struct vr_gw_conn *c = &w->conns[ch->first];
	char buf[4096], uid[64];
	int n;

	n = snprintf(buf, sizeof(buf), "{\"type\":\"create_chat\",\"data\":{\"name\":\"bench %u\",\"chatType\":\"group\",\"members\":[",
		     c->gidx / vr_gw_opt.members);
	for (uint32_t m = 1; m < vr_gw_opt.members && n < (int)sizeof(buf) - 200; m++) {
		user_id(uid, sizeof(uid), c->gidx + m);
		n += snprintf(buf + n, sizeof(buf) - (size_t)n, "%s\"%s\"", m > 1 ? "," : "", uid);
	}
	n += snprintf(buf + n, sizeof(buf) - (size_t)n, "]},\"id\":\"c\"}");
	ch->started = true;
	w->setup_busy++;
	vr_gw_send_text(w, c, buf, (size_t)n);
}

static void chat_ready(struct vr_gw_worker *w, struct vr_gw_chat *ch)
{
	ch->ready = true;
	w->setup_busy--;
	VR_GW_ADD(w->st.chats_ready, 1);
}

/* chat_created: the others join by id (the creation already added them; the
 * answer to join_chat is the moment this process has them as members). */
static void on_created(struct vr_gw_worker *w, struct vr_gw_conn *c, json_t *data)
{
	struct vr_gw_chat *ch = &w->chats[c->chat];
	const char *id = json_string_value(json_object_get(json_object_get(data, "chat"), "id"));
	char buf[256];
	int n;

	if (!id || strlen(id) >= sizeof(ch->id)) {
		vr_gw_conn_close(w, c, "create_chat", "no data.chat.id in chat_created");
		return;
	}
	snprintf(ch->id, sizeof(ch->id), "%s", id);
	if (vr_gw_opt.members == 1) {
		chat_ready(w, ch);
		return;
	}
	n = snprintf(buf, sizeof(buf), "{\"type\":\"join_chat\",\"data\":{\"chatType\":\"group\",\"chatId\":\"%s\"},\"id\":\"j\"}",
		     id);
	for (uint32_t m = 1; m < vr_gw_opt.members; m++)
		vr_gw_send_text(w, &w->conns[ch->first + m], buf, (size_t)n);
}

static void on_ready(struct vr_gw_worker *w, struct vr_gw_conn *c, int64_t now)
{
	c->state = VR_GW_CS_READY;
	w->opening--;
	VR_GW_ADD(w->st.ready, 1);
	if (w->hb_ns) {
		c->hb_due = now + w->hb_ns;
		hb_append(w, c);
	}
}

/* An error frame: a refused send is counted, anything else ends the connection. */
static void on_error(struct vr_gw_worker *w, struct vr_gw_conn *c, json_t *data, const char *rid)
{
	const char *code = json_string_value(json_object_get(data, "code"));
	const char *msg = json_string_value(json_object_get(data, "message"));
	char detail[256];

	snprintf(detail, sizeof(detail), "%s (%s) to request %s", code ? code : "?", msg ? msg : "", rid ? rid : "-");
	if (rid && strcmp(rid, "m") == 0) {
		struct vr_gw_chat *ch = &w->chats[c->chat];

		VR_GW_ADD(w->st.send_errors, 1);
		if (code && strcmp(code, "RATE_LIMITED") == 0)
			VR_GW_ADD(w->st.rate_limited, 1);
		else
			vr_gw_show_fail(c, "send_message refused", detail);
		if (ch->inflight)
			ch->inflight--;
	} else if (rid && strcmp(rid, "h") == 0) {
		vr_gw_show_fail(c, "heartbeat refused", detail);
	} else {
		/* auth or chat set-up refused: this connection is of no use */
		vr_gw_conn_close(w, c, "refused", detail);
	}
}

/* Frames other than the hot ones: parsed with jansson, order of keys not assumed. */
static void on_other(struct vr_gw_worker *w, struct vr_gw_conn *c, const char *s, size_t len)
{
	json_error_t jerr;
	json_t *root = json_loadb(s, len, 0, &jerr), *data;
	const char *type, *rid;

	if (!root) {
		vr_gw_conn_close(w, c, "bad JSON from the server", jerr.text);
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
		on_ready(w, c, vr_gw_now_ns());
	} else if (strcmp(type, "chat_created") == 0) {
		on_created(w, c, data);
	} else if (strcmp(type, "chat_joined") == 0) {
		struct vr_gw_chat *ch = &w->chats[c->chat];

		if (vr_gw_opt.fanout && !ch->ready && ++ch->joined == vr_gw_opt.members - 1)
			chat_ready(w, ch);
	} else if (strcmp(type, "message_sent") == 0) {
		on_ack(w);
	} else if (strcmp(type, "message") == 0) {
		on_delivery(w, c, s, len);
	} else if (strcmp(type, "error") == 0) {
		on_error(w, c, data, rid);
	}
	json_decref(root);
}

void vr_gw_on_text(struct vr_gw_worker *w, struct vr_gw_conn *c, const char *s, size_t len)
{
	static const char msg[] = "{\"type\":\"message\",";
	static const char sent[] = "{\"type\":\"message_sent\",";
	static const char hb[] = "{\"type\":\"heartbeat_ack\",";

	VR_GW_ADD(w->st.frames_in, 1);
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

void vr_gw_pace(struct vr_gw_worker *w, int64_t now)
{
	double rate = vr_gw_opt.rate / vr_gw_opt.threads;
	uint64_t due = (uint64_t)((double)(now - w->pace_t0) * rate / 1e9);

	if (w->nchats == 0)
		return;
	/* more than a second behind: forget it rather than burst (counted) */
	if (due > w->pace_sent + (uint64_t)rate + 1) {
		VR_GW_ADD(w->st.paced_skipped, due - w->pace_sent - (uint64_t)rate);
		w->pace_sent = due - (uint64_t)rate;
	}
	while (w->pace_sent < due) {
		struct vr_gw_chat *ch = NULL;

		for (uint32_t k = 0; k < w->nchats; k++) {
			struct vr_gw_chat *x = &w->chats[w->pace_next];

			w->pace_next = (w->pace_next + 1) % w->nchats;
			if (x->inflight < PACE_CAP) {
				ch = x;
				break;
			}
		}
		if (!ch) {
			VR_GW_ADD(w->st.paced_skipped, due - w->pace_sent);
			w->pace_sent = due;
			break;
		}
		send_message(w, ch);
		w->pace_sent++;
	}
}

void vr_gw_phase_changed(struct vr_gw_worker *w, int ph, int64_t now)
{
	if (ph == VR_GW_PH_WARMUP) {
		w->pace_t0 = now;
		w->pace_sent = 0;
		if (vr_gw_opt.rate == 0)
			for (uint32_t i = 0; i < w->nchats; i++)
				while (w->chats[i].inflight < vr_gw_opt.inflight &&
				       w->conns[w->chats[i].first].state == VR_GW_CS_READY)
					send_message(w, &w->chats[i]);
	}
}
