/* SPDX-License-Identifier: BSD-3-Clause */
/* Chat event frames (message, message_edited, message_deleted): as templates Redis completes with the entry id, and rebuilt from stream entries on resume. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cp_priv.h"
#include "events.h"

/*
 * {"type":T,"data":{"<idkey>":"@ID@","timestamp":@TS@,<rest>}}: the
 * placeholders come before anything a user wrote, and the scripts replace
 * only the first occurrence of each.
 */
char *vr_cp_event_template(const char *type, const char *id_key, json_t *rest, size_t *len)
{
	char *body = json_dumps(rest, JSON_COMPACT | JSON_PRESERVE_ORDER), *out = NULL;
	size_t n;

	json_decref(rest);
	if (!body)
		return NULL;
	n = strlen(body) + strlen(type) + strlen(id_key) + 64;
	out = malloc(n);
	if (out)
		*len = (size_t)snprintf(out, n, "{\"type\":\"%s\",\"data\":{\"%s\":\"@ID@\",\"timestamp\":@TS@%s%s}", type,
					id_key, strcmp(body, "{}") ? "," : "", body + 1);
	/* body + 1 drops rest's '{' and keeps its '}', which closes data; the format's closes the frame */
	free(body);
	return out;
}

static const char *field(const redisReply *f, const char *name)
{
	for (size_t i = 0; f->type == REDIS_REPLY_ARRAY && i + 1 < f->elements; i += 2)
		if (f->element[i]->type == REDIS_REPLY_STRING && strcmp(f->element[i]->str, name) == 0 &&
		    f->element[i + 1]->type == REDIS_REPLY_STRING)
			return f->element[i + 1]->str;
	return NULL;
}

char *vr_cp_event_from_entry(const char *chat, const redisReply *e, size_t *len)
{
	const char *id, *k, *u, *c, *t;
	json_int_t ts;
	json_t *data;

	if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 || e->element[0]->type != REDIS_REPLY_STRING)
		return NULL;
	id = e->element[0]->str;
	k = field(e->element[1], "k");
	u = field(e->element[1], "u");
	c = field(e->element[1], "c");
	t = field(e->element[1], "t");
	if (!k || !u)
		return NULL;
	ts = (json_int_t)strtoll(id, NULL, 10);
	if (k[0] == 'm')
		data = json_pack("{s:s, s:I, s:s, s:s, s:s}", "messageId", id, "timestamp", ts, "chatId", chat, "userId",
				 u, "content", c ? c : "");
	else if (k[0] == 'e' && t)
		data = json_pack("{s:s, s:I, s:s, s:s, s:s, s:s}", "eventId", id, "timestamp", ts, "messageId", t,
				 "chatId", chat, "userId", u, "content", c ? c : "");
	else if (k[0] == 'd' && t)
		data = json_pack("{s:s, s:I, s:s, s:s, s:s}", "eventId", id, "timestamp", ts, "messageId", t, "chatId",
				 chat, "userId", u);
	else
		return NULL;
	return vr_cp_frame(k[0] == 'm' ? "message" : k[0] == 'e' ? "message_edited" : "message_deleted", data, NULL,
			   len);
}
