/* SPDX-License-Identifier: BSD-3-Clause */
/* Configuration errors: one line "file:line:column: what", the first one wins; the key path and marks place it. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_priv.h"

/* ------------------------------------------------------------------ */
/* messages */

static void cfg_vfail(struct vr_cfg_ctx *c, uint32_t line, uint32_t col, const char *fmt, va_list ap)
{
	if (c->rc)
		return; /* the first error is the one the user sees */
	c->rc = -EINVAL;
	if (!c->err || c->errlen == 0)
		return;
	int n = c->nopos ? snprintf(c->err, c->errlen, "%s: ", c->name)
			 : snprintf(c->err, c->errlen, "%s:%" PRIu32 ":%" PRIu32 ": ", c->name, line, col);
	if (n >= 0 && (size_t)n < c->errlen)
		vsnprintf(c->err + n, c->errlen - (size_t)n, fmt, ap);
	/* one line, whatever went into the message */
	for (char *p = c->err; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
}

int vr_cfg_fail(struct vr_cfg_ctx *c, uint32_t line, uint32_t col, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cfg_vfail(c, line, col, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

int vr_cfg_fail_mark(struct vr_cfg_ctx *c, const yaml_mark_t *m, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cfg_vfail(c, (uint32_t)m->line + 1, (uint32_t)m->column + 1, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

int vr_cfg_fail_pos(struct vr_cfg_ctx *c, const struct vr_cfg_pos *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cfg_vfail(c, p->line, p->column, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

int vr_cfg_nomem(struct vr_cfg_ctx *c)
{
	if (!c->rc) {
		c->rc = -ENOMEM;
		if (c->err && c->errlen)
			snprintf(c->err, c->errlen, "%s: out of memory", c->name);
	}
	return -ENOMEM;
}

/* Quote user text for a message: printable, bounded, never a second line. */
const char *vr_cfg_quote(const char *s, size_t len, char *buf, size_t buflen)
{
	size_t o = 0, max = buflen - 6;

	buf[o++] = '"';
	for (size_t i = 0; i < len && o < max; i++) {
		unsigned char ch = (unsigned char)s[i];
		buf[o++] = (ch >= 0x20 && ch < 0x7f) ? (char)ch : '?';
	}
	if (o >= max) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o++] = '"';
	buf[o] = '\0';
	return buf;
}

/* What a node is, as "got ..." in a type error. */
const char *vr_cfg_node_desc(const yaml_node_t *n, char *buf, size_t buflen)
{
	if (vr_cfg_node_is_null(n))
		return "nothing";
	switch (n->type) {
	case YAML_SEQUENCE_NODE:
		return "a list";
	case YAML_MAPPING_NODE:
		return "a mapping";
	case YAML_SCALAR_NODE:
		return vr_cfg_quote((const char *)n->data.scalar.value, n->data.scalar.length, buf, buflen);
	default:
		return "an empty node";
	}
}

static const char *type_expect(const struct vr_cfg_key *k)
{
	switch (k->type) {
	case VR_CFG_T_UINT:
		return "an unsigned integer";
	case VR_CFG_T_BOOL:
		return "true or false";
	case VR_CFG_T_STRING:
		return "a string";
	case VR_CFG_T_ENUM:
		return "a name";
	case VR_CFG_T_IPV4:
		return "an IPv4 address";
	case VR_CFG_T_IPV6:
		return "an IPv6 address";
	case VR_CFG_T_ADDR:
		return "an IPv4 or IPv6 address";
	case VR_CFG_T_MAC:
		return "a MAC address like 02:00:00:00:00:01";
	case VR_CFG_T_DURATION:
		return (k->flags & VR_CFG_F_BARE_MS) ? "a duration like 30s, 500ms, 5m, 1h or a number of milliseconds"
						     : "a duration like 30s, 500ms, 5m, 1h or a number of seconds";
	case VR_CFG_T_PORT_RANGE:
		return (k->flags & VR_CFG_F_SINGLE) ? "a port number" : "a port or a port range like 50000-50999";
	case VR_CFG_T_UINT_LIST:
		return "a list of unsigned integers";
	case VR_CFG_T_STRING_LIST:
		return "a list of strings";
	case VR_CFG_T_MAP:
		return "a mapping";
	case VR_CFG_T_SEQ:
		return "a list of mappings";
	default:
		return "something else";
	}
}

/* A value error: "<path>: <msg>" at @node, or an internal error for a bad default. */
int vr_cfg_value_err(struct vr_cfg_ctx *c, const yaml_node_t *node, const char *fmt, ...)
{
	char msg[320];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!node)
		return vr_cfg_fail(c, 1, 1, "%s: internal error: bad default: %s", c->path, msg);
	return vr_cfg_fail_mark(c, &node->start_mark, "%s: %s", c->path, msg);
}

int vr_cfg_type_err(struct vr_cfg_ctx *c, const struct vr_cfg_key *k, const yaml_node_t *node)
{
	char q[96];

	if (k->type == VR_CFG_T_ENUM) {
		char names[160];
		size_t o = 0;

		names[0] = '\0';
		for (const struct vr_cfg_enum *e = k->names; e->name && o < sizeof(names); e++) {
			int n = snprintf(names + o, sizeof(names) - o, "%s%s", o ? ", " : "", e->name);
			if (n < 0)
				break;
			o += (size_t)n;
		}
		return vr_cfg_value_err(c, node, "expected one of %s; got %s", names,
					vr_cfg_node_desc(node, q, sizeof(q)));
	}
	return vr_cfg_value_err(c, node, "expected %s, got %s", type_expect(k), vr_cfg_node_desc(node, q, sizeof(q)));
}

int vr_cfg_count_err(struct vr_cfg_ctx *c, const struct vr_cfg_key *k, const yaml_node_t *node, uint32_t n)
{
	if (k->cmin == 0)
		return vr_cfg_value_err(c, node, "at most %u entries, got %u", k->cmax, n);
	return vr_cfg_value_err(c, node, "expected %u to %u entries, got %u", k->cmin, k->cmax, n);
}

/* ------------------------------------------------------------------ */
/* path and marks */

size_t vr_cfg_path_push(struct vr_cfg_ctx *c, const char *fmt, ...)
{
	size_t saved = strlen(c->path);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->path + saved, sizeof(c->path) - saved, fmt, ap);
	va_end(ap);
	return saved;
}

void vr_cfg_path_pop(struct vr_cfg_ctx *c, size_t saved)
{
	c->path[saved] = '\0';
}

int vr_cfg_mark_add(struct vr_cfg_ctx *c, const void *field, const yaml_mark_t *m)
{
	if (c->nb_marks == c->cap_marks) {
		size_t cap = c->cap_marks ? c->cap_marks * 2 : 64;
		struct vr_cfg_mark *n = realloc(c->marks, cap * sizeof(*n));
		if (!n)
			return vr_cfg_nomem(c);
		c->marks = n;
		c->cap_marks = cap;
	}
	c->marks[c->nb_marks].field = field;
	c->marks[c->nb_marks].pos.line = (uint32_t)m->line + 1;
	c->marks[c->nb_marks].pos.column = (uint32_t)m->column + 1;
	c->nb_marks++;
	return 0;
}

/* Where @field was given in the file, or @fallback if it took its default. */
const struct vr_cfg_pos *vr_cfg_mark_of(const struct vr_cfg_ctx *c, const void *field,
					const struct vr_cfg_pos *fallback)
{
	for (size_t i = c->nb_marks; i-- > 0;)
		if (c->marks[i].field == field)
			return &c->marks[i].pos;
	return fallback;
}
