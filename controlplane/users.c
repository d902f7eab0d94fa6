/* SPDX-License-Identifier: BSD-3-Clause */
/* Local users and the chat index (chat -> members with a connection here) that every delivery walks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cp_priv.h"

struct vr_cp_user *vr_cp_user_get(struct vr_cp *cp, const char *id, bool create)
{
	struct vr_cp_user *u = NULL;

	HASH_FIND_STR(cp->users, id, u);
	if (u || !create)
		return u;
	u = calloc(1, sizeof(*u));
	if (!u)
		return NULL;
	snprintf(u->id, sizeof(u->id), "%s", id);
	snprintf(u->status, sizeof(u->status), "online");
	/* the presence refresh starts after the announcement, not before it */
	u->presence_ms = vr_cp_now_ms();
	vr_cp_bucket_init(&u->bucket, cp->cfg->cp_rate_limit_max_messages, vr_cp_now_ms());
	HASH_ADD_STR(cp->users, id, u);
	return u;
}

void vr_cp_user_attach(struct vr_cp_user *u, struct vr_cp_conn *c)
{
	c->user = u;
	c->user_prev = NULL;
	c->user_next = u->conns;
	if (u->conns)
		u->conns->user_prev = c;
	u->conns = c;
	u->nconns++;
}

static struct vr_cp_chat *chat_get(struct vr_cp *cp, const char *id, bool create)
{
	struct vr_cp_chat *ch = NULL;

	HASH_FIND_STR(cp->chats, id, ch);
	if (ch || !create)
		return ch;
	ch = calloc(1, sizeof(*ch));
	if (!ch)
		return NULL;
	snprintf(ch->id, sizeof(ch->id), "%s", id);
	HASH_ADD_STR(cp->chats, id, ch);
	return ch;
}

static void member_free(struct vr_cp *cp, struct vr_cp_member *m)
{
	struct vr_cp_chat *ch = m->chat;

	HASH_DELETE(hh_chat, ch->members, m);
	HASH_DELETE(hh_user, m->user->chats, m);
	free(m);
	if (!ch->members) {
		HASH_DEL(cp->chats, ch);
		vr_cp_chat_drop_held(ch);
		free(ch);
	}
}

void vr_cp_user_detach(struct vr_cp_conn *c)
{
	struct vr_cp_user *u = c->user;
	struct vr_cp *cp = c->cp;
	struct vr_cp_member *m, *tmp;

	if (!u)
		return;
	if (c->user_prev)
		c->user_prev->user_next = c->user_next;
	else
		u->conns = c->user_next;
	if (c->user_next)
		c->user_next->user_prev = c->user_prev;
	c->user = NULL;
	if (--u->nconns > 0)
		return;
	vr_cp_user_gone(cp, u);
	HASH_ITER(hh_user, u->chats, m, tmp)
		member_free(cp, m);
	HASH_DEL(cp->users, u);
	free(u);
}

int vr_cp_member_add(struct vr_cp *cp, struct vr_cp_user *u, const char *chat)
{
	struct vr_cp_chat *ch = chat_get(cp, chat, true);
	struct vr_cp_member *m = NULL;

	if (!ch)
		return -1;
	HASH_FIND(hh_user, u->chats, &ch, sizeof(ch), m);
	if (m)
		return 0;
	m = calloc(1, sizeof(*m));
	if (!m) {
		if (!ch->members) {
			HASH_DEL(cp->chats, ch);
			free(ch);
		}
		return -1;
	}
	m->chat = ch;
	m->user = u;
	HASH_ADD(hh_chat, ch->members, user, sizeof(m->user), m);
	HASH_ADD(hh_user, u->chats, chat, sizeof(m->chat), m);
	return 1;
}

void vr_cp_member_remove(struct vr_cp *cp, struct vr_cp_user *u, const char *chat)
{
	struct vr_cp_chat *ch = chat_get(cp, chat, false);
	struct vr_cp_member *m = NULL;

	if (!ch)
		return;
	HASH_FIND(hh_user, u->chats, &ch, sizeof(ch), m);
	if (m)
		member_free(cp, m);
}

bool vr_cp_is_member(struct vr_cp *cp, const struct vr_cp_user *u, const char *chat)
{
	struct vr_cp_chat *ch = chat_get(cp, chat, false);
	struct vr_cp_member *m = NULL;

	if (ch)
		HASH_FIND(hh_user, u->chats, &ch, sizeof(ch), m);
	return m != NULL;
}

const char *vr_cp_member_chat(struct vr_cp_conn *c, const struct vr_cp_request *req, const char *field)
{
	const char *cid = json_string_value(json_object_get(req->data, field));
	char msg[64];

	if (!cid || !vr_cp_chat_id_ok(cid)) {
		snprintf(msg, sizeof(msg), "data.%s: a chat id is required", field);
		vr_cp_send_error(c, VR_CP_E_BAD_REQUEST, msg, req->id);
		return NULL;
	}
	if (!vr_cp_is_member(c->cp, c->user, cid)) {
		vr_cp_send_error(c, VR_CP_E_NOT_MEMBER, NULL, req->id);
		return NULL;
	}
	return cid;
}

void vr_cp_deliver_chat(struct vr_cp_chat *ch, const char *id, const char *frame, size_t len,
			const struct vr_cp_user *except)
{
	struct vr_cp_member *m, *tmp;

	HASH_ITER(hh_chat, ch->members, m, tmp) {
		if (m->user == except)
			continue;
		for (struct vr_cp_conn *c = m->user->conns; c; c = c->user_next)
			vr_cp_deliver_conn(c, ch->id, id, frame, len);
	}
}

void vr_cp_deliver_user(struct vr_cp_user *u, const char *frame, size_t len)
{
	for (struct vr_cp_conn *c = u->conns; c; c = c->user_next)
		vr_cp_deliver_conn(c, NULL, NULL, frame, len);
}
