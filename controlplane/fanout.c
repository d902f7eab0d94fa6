/* SPDX-License-Identifier: BSD-3-Clause */
/* What other processes (and this one) publish on Redis, delivered to this process's connections; the resync after an outage. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cp_priv.h"
#include "events.h"

#define RESYNC_COUNT 1000    /* entries per XRANGE of a resync; it reads on until an answer is shorter */
#define RESYNC_SLACK_MS 1000 /* a chat that delivered nothing here reads from this long before the outage (clock skew) */

int vr_cp_msg_id_cmp(const char *a, const char *b)
{
	unsigned long long am = strtoull(a, NULL, 10), bm = strtoull(b, NULL, 10), as, bs;
	const char *ad = strchr(a, '-'), *bd = strchr(b, '-');

	as = ad ? strtoull(ad + 1, NULL, 10) : 0;
	bs = bd ? strtoull(bd + 1, NULL, 10) : 0;
	if (am != bm)
		return am < bm ? -1 : 1;
	return as < bs ? -1 : as > bs;
}

/*
 * Deliver a chat event at most once and in stream order: after an outage
 * the resync and the live channel can both bring the same entry. @p id is
 * the stream id ("" for frames that are no stream entry: typing, members).
 */
static void deliver_event(struct vr_cp *cp, struct vr_cp_chat *ch, const char *id, const char *frame, size_t len,
			  const char *skip)
{
	if (id[0]) {
		if (ch->last_id[0] && vr_cp_msg_id_cmp(id, ch->last_id) <= 0)
			return;
		snprintf(ch->last_id, sizeof(ch->last_id), "%s", id);
	}
	vr_cp_deliver_chat(ch, id, frame, len, skip && skip[0] ? vr_cp_user_get(cp, skip, false) : NULL);
}

/* Keep a live event until the chat's resync is done: delivered after the older entries it reads. */
static void hold(struct vr_cp_chat *ch, const char *skip, const char *id, const char *frame, size_t len)
{
	struct vr_cp_event *e = malloc(sizeof(*e) + len + 1);

	if (!e)
		return;
	e->next = NULL;
	snprintf(e->skip, sizeof(e->skip), "%s", skip);
	snprintf(e->id, sizeof(e->id), "%s", id);
	e->len = len;
	memcpy(e->frame, frame, len);
	e->frame[len] = 0;
	if (ch->held_tail)
		ch->held_tail->next = e;
	else
		ch->held_head = e;
	ch->held_tail = e;
}

void vr_cp_chat_drop_held(struct vr_cp_chat *ch)
{
	struct vr_cp_event *e = ch->held_head, *n;

	for (; e; e = n) {
		n = e->next;
		free(e);
	}
	ch->held_head = ch->held_tail = NULL;
}

/* Copy the text before the next '\n' of [p, end) into @p out; the position after it, or NULL if none or too long. */
static const char *line(const char *p, const char *end, char *out, size_t n)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));

	if (!nl || (size_t)(nl - p) >= n)
		return NULL;
	memcpy(out, p, (size_t)(nl - p));
	out[nl - p] = 0;
	return nl + 1;
}

/* "<user to skip>\n<stream id or nothing>\n<frame>": the id comes from the script, never from the frame's text. */
static void on_chat(struct vr_cp *cp, const char *cid, const char *payload, size_t len)
{
	const char *end = payload + len, *p;
	char skip[VR_CP_ID_LEN], id[VR_CP_MSGID_LEN];
	struct vr_cp_chat *ch = NULL;

	p = line(payload, end, skip, sizeof(skip));
	p = p ? line(p, end, id, sizeof(id)) : NULL;
	if (!p || (id[0] && !vr_cp_msg_id_ok(id)))
		return;
	HASH_FIND_STR(cp->chats, cid, ch);
	if (!ch)
		return;
	if (ch->resync)
		hold(ch, skip, id, p, (size_t)(end - p));
	else
		deliver_event(cp, ch, id, p, (size_t)(end - p), skip);
}

/* "join <cid>" (published when the user became a member) / "leave <cid>". */
static void on_user(struct vr_cp *cp, const char *uid, const char *payload)
{
	struct vr_cp_user *u = vr_cp_user_get(cp, uid, false);
	char op[8], cid[VR_CP_CHAT_LEN];
	size_t len = 0;
	char *f;

	if (!u || sscanf(payload, "%7s %64s", op, cid) != 2 || !vr_cp_chat_id_ok(cid))
		return;
	if (strcmp(op, "leave") == 0) {
		vr_cp_member_remove(cp, u, cid);
		return;
	}
	if (strcmp(op, "join") != 0)
		return;
	vr_cp_member_add(cp, u, cid);
	/* its connections learn it: one created or joined it, or another's create_chat added it */
	f = vr_cp_frame("chat_added", json_pack("{s:s}", "chatId", cid), NULL, &len);
	if (f)
		vr_cp_deliver_user(u, f, len);
	free(f);
}

/* "<uid>\n<status>\n<chat> <chat> ...": every local member of those chats, once. */
static void on_presence(struct vr_cp *cp, char *payload)
{
	char *uid = payload, *status, *chats, *save = NULL, *cid;
	uint64_t mark = ++cp->mark;
	char *frame;
	size_t len = 0;

	status = strchr(uid, '\n');
	if (!status)
		return;
	*status++ = 0;
	chats = strchr(status, '\n');
	if (!chats)
		return;
	*chats++ = 0;
	frame = vr_cp_frame("presence_update", json_pack("{s:s, s:s}", "userId", uid, "status", status), NULL, &len);
	if (!frame)
		return;
	for (cid = strtok_r(chats, " ", &save); cid; cid = strtok_r(NULL, " ", &save)) {
		struct vr_cp_chat *ch = NULL;
		struct vr_cp_member *m, *tmp;

		HASH_FIND_STR(cp->chats, cid, ch);
		if (!ch)
			continue;
		HASH_ITER(hh_chat, ch->members, m, tmp) {
			if (m->user->mark == mark || strcmp(m->user->id, uid) == 0)
				continue;
			m->user->mark = mark;
			vr_cp_deliver_user(m->user, frame, len);
		}
	}
	free(frame);
}

void vr_cp_on_pubsub(struct vr_cp *cp, const char *channel, const char *payload, size_t len)
{
	if (strncmp(channel, "vr:chat:", 8) == 0) {
		on_chat(cp, channel + 8, payload, len);
	} else if (strncmp(channel, "vr:user:", 8) == 0) {
		on_user(cp, channel + 8, payload);
	} else if (strcmp(channel, "vr:presence") == 0) {
		char *copy = strndup(payload, len);

		if (copy)
			on_presence(cp, copy);
		free(copy);
	}
}

/* One chat's resync: XRANGE after XRANGE until a short answer. */
struct resync {
	char chat[VR_CP_CHAT_LEN];
	uint64_t n; /* the chat's resync number: a chat gone (or resynced anew) meanwhile ends this one */
};

static void resync_done(struct vr_cp *cp, void *arg, redisReply *r, enum vr_cp_error err);

static int resync_read(struct vr_cp *cp, struct resync *rs, const char *start)
{
	return vr_cp_store_cmdf(cp->store, resync_done, rs, "XRANGE vr:chat:%s:s %s + COUNT %d", rs->chat, start,
				RESYNC_COUNT);
}

/* The stream is read: the events that came live meanwhile follow, duplicates dropped. */
static void resync_end(struct vr_cp *cp, struct vr_cp_chat *ch)
{
	struct vr_cp_event *e = ch->held_head, *n;

	ch->resync = 0;
	ch->held_head = ch->held_tail = NULL;
	for (; e; e = n) {
		n = e->next;
		deliver_event(cp, ch, e->id, e->frame, e->len, e->skip);
		free(e);
	}
}

static void resync_done(struct vr_cp *cp, void *arg, redisReply *r, enum vr_cp_error err)
{
	struct resync *rs = arg;
	struct vr_cp_chat *ch = NULL;
	char next[VR_CP_MSGID_LEN + 1] = "";

	HASH_FIND_STR(cp->chats, rs->chat, ch);
	if (!ch || ch->resync != rs->n) {
		free(rs);
		return;
	}
	for (size_t i = 0; !err && r && r->type == REDIS_REPLY_ARRAY && i < r->elements; i++) {
		const redisReply *e = r->element[i];
		size_t len = 0;
		char *f;

		if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 || e->element[0]->type != REDIS_REPLY_STRING ||
		    !vr_cp_msg_id_ok(e->element[0]->str))
			continue;
		snprintf(next, sizeof(next), "(%s", e->element[0]->str);
		f = vr_cp_event_from_entry(rs->chat, e, &len);
		if (f)
			deliver_event(cp, ch, e->element[0]->str, f, len, NULL);
		free(f);
	}
	if (!err && r && r->type == REDIS_REPLY_ARRAY && r->elements == RESYNC_COUNT && next[0] &&
	    resync_read(cp, rs, next) == 0)
		return;
	resync_end(cp, ch);
	free(rs);
}

/*
 * Redis came back: what was published while the subscriber was away is
 * lost, but the streams have it. Every chat with members here replays its
 * entries after the last one delivered (a chat that delivered none: from
 * when the outage began), in order, before the live events that arrive
 * meanwhile (held until then).
 */
void vr_cp_on_store_up(struct vr_cp *cp, int64_t down_ms)
{
	struct vr_cp_chat *ch, *tmp;

	HASH_ITER(hh, cp->chats, ch, tmp) {
		char start[VR_CP_MSGID_LEN + 1];
		struct resync *rs;

		if (ch->last_id[0])
			snprintf(start, sizeof(start), "(%s", ch->last_id);
		else if (down_ms > RESYNC_SLACK_MS)
			snprintf(start, sizeof(start), "%lld", (long long)(down_ms - RESYNC_SLACK_MS));
		else
			continue;
		rs = calloc(1, sizeof(*rs));
		if (!rs)
			continue;
		snprintf(rs->chat, sizeof(rs->chat), "%s", ch->id);
		ch->resync = rs->n = ++cp->resyncs;
		if (resync_read(cp, rs, start) != 0) {
			free(rs);
			resync_end(cp, ch);
		}
	}
}
