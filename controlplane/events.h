/* SPDX-License-Identifier: BSD-3-Clause */
/* Internal to voxrelay-cp: building chat event frames (events.c). */
#ifndef VOXRELAY_CP_EVENTS_H
#define VOXRELAY_CP_EVENTS_H

#include <stddef.h>

#include <hiredis/hiredis.h>
#include <jansson.h>

/*
 * A frame with "@ID@" and "@TS@" for the store script to fill (the stream
 * entry id and its ms): {"type":type,"data":{id_key:"@ID@","timestamp":@TS@,
 * ...rest}}. Steals @p rest (an object). malloc'd text, or NULL (ENOMEM).
 */
char *vr_cp_event_template(const char *type, const char *id_key, json_t *rest, size_t *len);

/* The frame of one stream entry ({id, [k, v, ...]}) of chat @p chat, as live delivery sends it; NULL if not an event. */
char *vr_cp_event_from_entry(const char *chat, const redisReply *e, size_t *len);

#endif
