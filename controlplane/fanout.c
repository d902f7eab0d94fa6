/* SPDX-License-Identifier: BSD-3-Clause */
/* What other processes (and this one) publish on Redis, delivered to this process's connections; the resync after an outage. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cp_priv.h"
#include "events.h"

#define RESYNC_MAX 1000 /* entries replayed per chat after an outage */

/* Stream ids "<ms>-<seq>" in order. */
static int id_cmp(const char *a, const char *b)
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
 * The stream id of a chat event frame: events put it first in data
 * ("messageId" of a message, "eventId" of an edit or deletion); other
 * frames (typing, member_joined) have none and return false.
 */
static bool frame_id(const char *frame, size_t len, char id[48])
{
	static const char *const prefixes[] = {"\"data\":{\"messageId\":\"", "\"data\":{\"eventId\":\""};
	const char *p = NULL, *q;

	for (unsigned i = 0; i < 2 && !p; i++) {
		const char *hit = memmem(frame, len < 96 ? len : 96, prefixes[i], strlen(prefixes[i]));

		if (hit)
			p = hit + strlen(prefixes[i]);
	}
	if (!p || (q = memchr(p, '"', (size_t)(frame + len - p))) == NULL || q - p >= 48)
		return false;
	memcpy(id, p, (size_t)(q - p));
	id[q - p] = 0;
	return vr_cp_msg_id_ok(id);
}

/*
 * Deliver a chat event at most once and in stream order: after an outage
 * the resync and the live channel can both bring the same entry.
 */
static void deliver_event(struct vr_cp *cp, struct vr_cp_chat *ch, const char *frame, size_t len, const char *skip)
{
	char id[48];

	if (frame_id(frame, len, id)) {
		if (ch->last_id[0] && id_cmp(id, ch->last_id) <= 0)
			return;
		snprintf(ch->last_id, sizeof(ch->last_id), "%s", id);
	}
	vr_cp_deliver_chat(cp, ch->id, frame, len, skip);
}

static void on_chat(struct vr_cp *cp, const char *cid, const char *payload, size_t len)
{
	const char *nl = memchr(payload, '\n', len);
	char skip[VR_CP_ID_LEN];
	struct vr_cp_chat *ch = NULL;

	if (!nl || (size_t)(nl - payload) >= sizeof(skip))
		return;
	memcpy(skip, payload, (size_t)(nl - payload));
	skip[nl - payload] = 0;
	HASH_FIND_STR(cp->chats, cid, ch);
	if (!ch)
		return;
	deliver_event(cp, ch, nl + 1, len - (size_t)(nl + 1 - payload), skip[0] ? skip : NULL);
}

static void on_user(struct vr_cp *cp, const char *uid, const char *payload)
{
	struct vr_cp_user *u = vr_cp_user_get(cp, uid, false);
	char op[8], cid[VR_CP_CHAT_LEN];

	if (!u || sscanf(payload, "%7s %64s", op, cid) != 2 || !vr_cp_chat_id_ok(cid))
		return;
	if (strcmp(op, "join") == 0)
		vr_cp_member_add(cp, u, cid);
	else if (strcmp(op, "leave") == 0)
		vr_cp_member_remove(cp, u, cid);
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
			vr_cp_deliver_user(cp, m->user->id, frame, len);
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

struct resync {
	char chat[VR_CP_CHAT_LEN];
};

static void resync_done(struct vr_cp *cp, void *arg, redisReply *r, enum vr_cp_error err)
{
	struct resync *rs = arg;
	struct vr_cp_chat *ch = NULL;

	HASH_FIND_STR(cp->chats, rs->chat, ch);
	if (!err && r && r->type == REDIS_REPLY_ARRAY && ch) {
		for (size_t i = 0; i < r->elements; i++) {
			size_t len = 0;
			char *f = vr_cp_event_from_entry(rs->chat, r->element[i], &len);

			if (!f)
				continue;
			deliver_event(cp, ch, f, len, NULL);
			free(f);
		}
	}
	free(rs);
}

/*
 * Redis came back: what was published while the subscriber was away is
 * lost, but the streams have it. Every chat with members here replays its
 * entries after the last one delivered, in order, before new ones.
 */
void vr_cp_on_store_up(struct vr_cp *cp)
{
	struct vr_cp_chat *ch, *tmp;

	HASH_ITER(hh, cp->chats, ch, tmp) {
		struct resync *rs;

		if (!ch->last_id[0])
			continue;
		rs = calloc(1, sizeof(*rs));
		if (!rs)
			continue;
		snprintf(rs->chat, sizeof(rs->chat), "%s", ch->id);
		if (vr_cp_store_cmdf(cp->store, resync_done, rs, "XRANGE vr:chat:%s:s (%s + COUNT %d", ch->id, ch->last_id,
				     RESYNC_MAX) != 0)
			free(rs);
	}
}
