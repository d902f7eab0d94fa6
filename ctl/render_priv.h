/* SPDX-License-Identifier: BSD-3-Clause */
/* Internal to voxrelayctl's output (render*.c): dataplane text made printable, aligned tables, the result being rendered. */
#ifndef VOXRELAY_CTL_RENDER_PRIV_H
#define VOXRELAY_CTL_RENDER_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

/* ---- render.c: text from the dataplane ---- */

/* Longest text of one value: longer dataplane strings are cut, as a table would be unreadable anyway. */
#define VR_CTL_TEXT_MAX 256

void vr_ctl_clean(char *dst, size_t len, const char *s);
const char *vr_ctl_text(const json_t *v, char *buf, size_t len);
/* The member key of obj as text, in a buffer of the statement. */
#define VR_CTL_TEXT(obj, key) vr_ctl_text(json_object_get((obj), (key)), (char[VR_CTL_TEXT_MAX]){0}, VR_CTL_TEXT_MAX)
const char *vr_ctl_endpoint(const json_t *obj, const char *akey, const char *pkey, char *buf, size_t len);
const char *vr_ctl_vip_name(const json_t *args, char *buf, size_t len);

/* ---- render.c: tables ---- */

struct vr_ctl_table {
	size_t ncols;
	const char *align; /* per column: 'l' or 'r' */
	size_t ncells, cap;
	char **cells; /* row after row, the header first */
	int rc;
};

void vr_ctl_table_init(struct vr_ctl_table *t, const char *align, const char *const *heads);
void vr_ctl_table_add(struct vr_ctl_table *t, const char *s);
int vr_ctl_table_print(FILE *out, struct vr_ctl_table *t, bool *first);
void vr_ctl_counter_rows(struct vr_ctl_table *t, const json_t *obj, const char *prefix, bool keep_zero,
			 const char *const *skip);

/* ---- render.c: the result being rendered ---- */

struct vr_ctl_render_ctx {
	FILE *out;
	const json_t *args; /* of the request */
	const char *op;
	char *err;
	size_t errlen;
};

/* "unexpected answer to OP: ..." in r's err; returns -EPROTO. */
int vr_ctl_unexpected(struct vr_ctl_render_ctx *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- render_relay.c: the relay role's results ---- */

int vr_ctl_render_room_list(struct vr_ctl_render_ctx *r, const json_t *res);
int vr_ctl_render_room_show(struct vr_ctl_render_ctx *r, const json_t *res);
int vr_ctl_render_slowpath(struct vr_ctl_render_ctx *r, const json_t *res);
int vr_ctl_render_relay_change(struct vr_ctl_render_ctx *r, const json_t *res);
int vr_ctl_render_stats_relay(struct vr_ctl_render_ctx *r, const json_t *relay, bool *first);
void vr_ctl_relay_counter_rows(struct vr_ctl_table *t, const json_t *relay);

#endif
