/* SPDX-License-Identifier: BSD-3-Clause */
/* The YAML configuration: table-driven parsing (libyaml document API), defaults, validation, dump. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <yaml.h>

#include "voxrelay/config.h"
#include "voxrelay/encap.h"

#ifdef __has_include
#if __has_include(<rte_build_config.h>)
#include <rte_build_config.h>
#endif
#endif
#ifndef RTE_MAX_LCORE
#define RTE_MAX_LCORE 128
#endif

/* A file larger than this is certainly not a configuration: refuse before reading. */
#define CFG_MAX_FILE (16u << 20)
/* Most keys a section table may have (the `given` array of a mapping is sized by it). */
#define CFG_MAX_KEYS 32
#define CFG_PATH_LEN 160
#define CFG_EAL_ARG_LEN 1024

enum cfg_type {
	T_UINT,        /* unsigned integer of width size, bounds min..max */
	T_BOOL,        /* true/false/yes/no/on/off */
	T_STRING,      /* char[size], length 1..size-1 */
	T_ENUM,        /* uint8_t, one of names[] */
	T_IPV4,        /* uint32_t, network byte order */
	T_IPV6,        /* uint8_t[16] */
	T_ADDR,        /* struct vr_addr, either family */
	T_MAC,         /* uint8_t[6] */
	T_DURATION,    /* milliseconds in the file's units, stored divided by unit */
	T_PORT_RANGE,  /* two uint16_t (lo, hi) at off; "A-B" or "A" */
	T_UINT_LIST,   /* uint32_t[cmax] at off, count at count_off */
	T_STRING_LIST, /* char *[cmax] at off, count at count_off, strings of < size bytes */
	T_MAP,         /* nested mapping parsed by sub into the same object */
	T_SEQ,         /* sequence of mappings parsed by sub into items of item_size */
};

enum cfg_flag {
	F_REQ = 1 << 0,      /* the key must be given */
	F_POW2 = 1 << 1,     /* uint: a power of two */
	F_PRIME = 1 << 2,    /* uint: a prime */
	F_DISTINCT = 1 << 3, /* uint list: no value twice */
	F_INLINE = 1 << 4,   /* seq: items live in a fixed array at off, not behind a pointer */
	F_NAME = 1 << 5,     /* string: letters, digits, '_', '-', '.' only */
	F_SINGLE = 1 << 6,   /* port range: one port only */
	F_NODUMP = 1 << 7,   /* not written by vr_config_dump (an alias of another key) */
};

struct cfg_enum {
	const char *name;
	uint8_t value;
};

struct cfg_ctx;
struct cfg_section;

struct cfg_key {
	const char *name;
	uint8_t type;   /* enum cfg_type */
	uint16_t flags; /* enum cfg_flag */
	size_t off;
	size_t size;
	size_t present;   /* 1 + offset of a bool set when given; 0: none */
	size_t count_off; /* lists and sequences: offset of the uint32_t count */
	uint32_t cmin, cmax;
	uint64_t min, max;
	uint32_t unit; /* durations: milliseconds per stored unit (0 means 1) */
	const char *def;
	const struct cfg_enum *names;
	const struct cfg_section *sub;
	size_t item_size;
};

typedef int (*cfg_post_fn)(struct cfg_ctx *c, void *obj, const yaml_mark_t *mark,
			   yaml_node_t *const *given);

struct cfg_section {
	const struct cfg_key *keys;
	uint32_t nb_keys;
	size_t pos_off; /* 1 + offset of a struct vr_cfg_pos set to the mapping's start; 0: none */
	cfg_post_fn post;
};

/* Where a field's value was written, for messages of checks that run after parsing. */
struct cfg_mark {
	const void *field;
	struct vr_cfg_pos pos;
};

struct cfg_ctx {
	const char *name;
	yaml_document_t *doc;
	struct vr_config *cfg;
	char *err;
	size_t errlen;
	int rc;
	char path[CFG_PATH_LEN];
	struct cfg_mark *marks;
	size_t nb_marks, cap_marks;
	uint32_t total_backends;
};

/* ------------------------------------------------------------------ */
/* messages */

static void cfg_vfail(struct cfg_ctx *c, uint32_t line, uint32_t col, const char *fmt, va_list ap)
{
	if (c->rc)
		return; /* the first error is the one the user sees */
	c->rc = -EINVAL;
	if (!c->err || c->errlen == 0)
		return;
	int n = snprintf(c->err, c->errlen, "%s:%" PRIu32 ":%" PRIu32 ": ", c->name, line, col);
	if (n >= 0 && (size_t)n < c->errlen)
		vsnprintf(c->err + n, c->errlen - (size_t)n, fmt, ap);
	/* one line, whatever went into the message */
	for (char *p = c->err; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
}

__attribute__((format(printf, 4, 5))) static int cfg_fail(struct cfg_ctx *c, uint32_t line, uint32_t col,
							    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cfg_vfail(c, line, col, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

__attribute__((format(printf, 3, 4))) static int cfg_fail_mark(struct cfg_ctx *c, const yaml_mark_t *m,
								 const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cfg_vfail(c, (uint32_t)m->line + 1, (uint32_t)m->column + 1, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

__attribute__((format(printf, 3, 4))) static int cfg_fail_pos(struct cfg_ctx *c, const struct vr_cfg_pos *p,
								const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cfg_vfail(c, p->line, p->column, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int cfg_nomem(struct cfg_ctx *c)
{
	if (!c->rc) {
		c->rc = -ENOMEM;
		if (c->err && c->errlen)
			snprintf(c->err, c->errlen, "%s: out of memory", c->name);
	}
	return -ENOMEM;
}

/* Quote user text for a message: printable, bounded, never a second line. */
static const char *cfg_quote(const char *s, size_t len, char *buf, size_t buflen)
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

static bool node_is_null(const yaml_node_t *n)
{
	if (!n)
		return true;
	if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	const char *s = (const char *)n->data.scalar.value;
	size_t len = n->data.scalar.length;
	return len == 0 || (len == 1 && s[0] == '~') ||
	       (len == 4 && (!memcmp(s, "null", 4) || !memcmp(s, "Null", 4) || !memcmp(s, "NULL", 4)));
}

/* What a node is, as "got ..." in a type error. */
static const char *node_desc(const yaml_node_t *n, char *buf, size_t buflen)
{
	if (node_is_null(n))
		return "nothing";
	switch (n->type) {
	case YAML_SEQUENCE_NODE:
		return "a list";
	case YAML_MAPPING_NODE:
		return "a mapping";
	case YAML_SCALAR_NODE:
		return cfg_quote((const char *)n->data.scalar.value, n->data.scalar.length, buf, buflen);
	default:
		return "an empty node";
	}
}

static const char *type_expect(const struct cfg_key *k)
{
	switch (k->type) {
	case T_UINT:
		return "an unsigned integer";
	case T_BOOL:
		return "true or false";
	case T_STRING:
		return "a string";
	case T_ENUM:
		return "a name";
	case T_IPV4:
		return "an IPv4 address";
	case T_IPV6:
		return "an IPv6 address";
	case T_ADDR:
		return "an IPv4 or IPv6 address";
	case T_MAC:
		return "a MAC address like 02:00:00:00:00:01";
	case T_DURATION:
		return "a duration like 30s, 500ms, 5m, 1h or a number of seconds";
	case T_PORT_RANGE:
		return (k->flags & F_SINGLE) ? "a port number" : "a port or a port range like 50000-50999";
	case T_UINT_LIST:
		return "a list of unsigned integers";
	case T_STRING_LIST:
		return "a list of strings";
	case T_MAP:
		return "a mapping";
	case T_SEQ:
		return "a list of mappings";
	default:
		return "something else";
	}
}

/* A value error: "<path>: <msg>" at @node, or an internal error for a bad default. */
__attribute__((format(printf, 3, 4))) static int cfg_value_err(struct cfg_ctx *c, const yaml_node_t *node,
								 const char *fmt, ...)
{
	char msg[320];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!node)
		return cfg_fail(c, 1, 1, "%s: internal error: bad default: %s", c->path, msg);
	return cfg_fail_mark(c, &node->start_mark, "%s: %s", c->path, msg);
}

static int cfg_type_err(struct cfg_ctx *c, const struct cfg_key *k, const yaml_node_t *node)
{
	char q[96];

	if (k->type == T_ENUM) {
		char names[160];
		size_t o = 0;

		names[0] = '\0';
		for (const struct cfg_enum *e = k->names; e->name && o < sizeof(names); e++) {
			int n = snprintf(names + o, sizeof(names) - o, "%s%s", o ? ", " : "", e->name);
			if (n < 0)
				break;
			o += (size_t)n;
		}
		return cfg_value_err(c, node, "expected one of %s; got %s", names, node_desc(node, q, sizeof(q)));
	}
	return cfg_value_err(c, node, "expected %s, got %s", type_expect(k), node_desc(node, q, sizeof(q)));
}

/* ------------------------------------------------------------------ */
/* path and marks */

static size_t path_push(struct cfg_ctx *c, const char *fmt, ...)
{
	size_t saved = strlen(c->path);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->path + saved, sizeof(c->path) - saved, fmt, ap);
	va_end(ap);
	return saved;
}

static void path_pop(struct cfg_ctx *c, size_t saved)
{
	c->path[saved] = '\0';
}

static int mark_add(struct cfg_ctx *c, const void *field, const yaml_mark_t *m)
{
	if (c->nb_marks == c->cap_marks) {
		size_t cap = c->cap_marks ? c->cap_marks * 2 : 64;
		struct cfg_mark *n = realloc(c->marks, cap * sizeof(*n));
		if (!n)
			return cfg_nomem(c);
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
static const struct vr_cfg_pos *mark_of(const struct cfg_ctx *c, const void *field, const struct vr_cfg_pos *fallback)
{
	for (size_t i = c->nb_marks; i-- > 0;)
		if (c->marks[i].field == field)
			return &c->marks[i].pos;
	return fallback;
}

/* ------------------------------------------------------------------ */
/* scalar conversions */

static void store_uint(void *p, size_t size, uint64_t v)
{
	switch (size) {
	case 1:
		*(uint8_t *)p = (uint8_t)v;
		break;
	case 2:
		*(uint16_t *)p = (uint16_t)v;
		break;
	case 4:
		*(uint32_t *)p = (uint32_t)v;
		break;
	default:
		*(uint64_t *)p = v;
		break;
	}
}

static uint64_t load_uint(const void *p, size_t size)
{
	switch (size) {
	case 1:
		return *(const uint8_t *)p;
	case 2:
		return *(const uint16_t *)p;
	case 4:
		return *(const uint32_t *)p;
	default:
		return *(const uint64_t *)p;
	}
}

/* Decimal digits only, no sign, no spaces; false on anything else or overflow. */
static bool parse_u64(const char *s, size_t len, uint64_t *out)
{
	uint64_t v = 0;

	if (len == 0 || len > 20)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		uint64_t d = (uint64_t)(s[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = v;
	return true;
}

static bool is_prime(uint64_t n)
{
	if (n < 2)
		return false;
	if (n % 2 == 0)
		return n == 2;
	for (uint64_t d = 3; d * d <= n; d += 2)
		if (n % d == 0)
			return false;
	return true;
}

static uint64_t next_prime(uint64_t n)
{
	while (!is_prime(n))
		n++;
	return n;
}

static void fmt_duration(uint64_t ms, char *buf, size_t len)
{
	if (ms == 0)
		snprintf(buf, len, "0s");
	else if (ms % 3600000 == 0)
		snprintf(buf, len, "%" PRIu64 "h", ms / 3600000);
	else if (ms % 60000 == 0)
		snprintf(buf, len, "%" PRIu64 "m", ms / 60000);
	else if (ms % 1000 == 0)
		snprintf(buf, len, "%" PRIu64 "s", ms / 1000);
	else
		snprintf(buf, len, "%" PRIu64 "ms", ms);
}

static bool parse_duration(const char *s, size_t len, uint64_t *ms)
{
	static const struct {
		const char *suffix;
		uint64_t mult;
	} units[] = {{"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}};
	size_t digits = 0;
	uint64_t v, mult = 1000; /* a bare number is seconds */

	while (digits < len && s[digits] >= '0' && s[digits] <= '9')
		digits++;
	if (digits == 0 || !parse_u64(s, digits, &v))
		return false;
	if (digits < len) {
		size_t i;
		for (i = 0; i < VR_ARRAY_SIZE(units); i++)
			if (len - digits == strlen(units[i].suffix) &&
			    !memcmp(s + digits, units[i].suffix, len - digits))
				break;
		if (i == VR_ARRAY_SIZE(units))
			return false;
		mult = units[i].mult;
	}
	if (v > UINT64_MAX / mult)
		v = UINT64_MAX / mult; /* saturate: still out of any range */
	*ms = v * mult;
	return true;
}

static bool parse_mac(const char *s, size_t len, uint8_t mac[6])
{
	if (len != 17)
		return false;
	for (int i = 0; i < 6; i++) {
		const char *p = s + i * 3;
		if (!isxdigit((unsigned char)p[0]) || !isxdigit((unsigned char)p[1]) || (i < 5 && p[2] != ':'))
			return false;
		char hex[3] = {p[0], p[1], '\0'};
		mac[i] = (uint8_t)strtoul(hex, NULL, 16);
	}
	return true;
}

/* inet_pton wants a C string; scalars carry a length and may hold NULs. */
static bool parse_inet(int family, const char *s, size_t len, void *out)
{
	char buf[INET6_ADDRSTRLEN + 1];

	if (len == 0 || len >= sizeof(buf) || memchr(s, '\0', len))
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	return inet_pton(family, buf, out) == 1;
}

int vr_addr_parse(const char *s, struct vr_addr *a)
{
	uint8_t b[16];

	if (!s || !a)
		return -EINVAL;
	size_t len = strlen(s);
	if (parse_inet(AF_INET, s, len, b)) {
		uint32_t be;
		memcpy(&be, b, 4);
		vr_addr_set_v4(a, be);
		return 0;
	}
	if (parse_inet(AF_INET6, s, len, b)) {
		memset(a, 0, sizeof(*a));
		a->family = AF_INET6;
		memcpy(a->a.b, b, 16);
		return 0;
	}
	return -EINVAL;
}

const char *vr_addr_str(const struct vr_addr *a, char *buf, size_t len)
{
	if (!buf || len == 0)
		return buf;
	buf[0] = '\0';
	if (!a)
		return buf;
	if (a->family == AF_INET) {
		if (!inet_ntop(AF_INET, &a->a.w[3], buf, (socklen_t)len))
			buf[0] = '\0';
	} else if (a->family == AF_INET6) {
		if (!inet_ntop(AF_INET6, a->a.b, buf, (socklen_t)len))
			buf[0] = '\0';
	}
	return buf;
}

/* @s is all digits here, so it prints as it was written */
static int check_uint_bounds(struct cfg_ctx *c, const struct cfg_key *k, const yaml_node_t *node, uint64_t v,
			     const char *s, size_t len)
{
	if (v < k->min || v > k->max)
		return cfg_value_err(c, node, "%.*s%s is out of range %" PRIu64 "..%" PRIu64, (int)(len > 24 ? 24 : len),
				     s, len > 24 ? "..." : "", k->min, k->max);
	if ((k->flags & F_POW2) && (v & (v - 1)))
		return cfg_value_err(c, node, "%" PRIu64 " is not a power of two", v);
	if ((k->flags & F_PRIME) && !is_prime(v))
		return cfg_value_err(c, node, "%" PRIu64 " is not a prime (next prime: %" PRIu64 ")", v,
				     next_prime(v));
	return 0;
}

/* Convert one scalar @s (@len bytes) for key @k into @obj; @node NULL for defaults. */
static int conv_scalar(struct cfg_ctx *c, const struct cfg_key *k, void *obj, const char *s, size_t len,
		       const yaml_node_t *node)
{
	uint8_t *field = (uint8_t *)obj + k->off;
	char q[96];
	uint64_t v;

	if (memchr(s, '\0', len))
		return cfg_value_err(c, node, "contains a NUL character");
	switch (k->type) {
	case T_UINT:
		if (!parse_u64(s, len, &v)) {
			bool digits = len > 0;
			for (size_t i = 0; i < len; i++)
				digits = digits && s[i] >= '0' && s[i] <= '9';
			if (!digits)
				return cfg_type_err(c, k, node);
			v = UINT64_MAX; /* too many digits: out of range below */
		}
		if (check_uint_bounds(c, k, node, v, s, len))
			return -EINVAL;
		store_uint(field, k->size, v);
		break;
	case T_BOOL: {
		static const char *const yes[] = {"true", "yes", "on"}, *const no[] = {"false", "no", "off"};
		bool val = false, found = false;
		for (size_t i = 0; i < 3 && !found; i++) {
			if (len == strlen(yes[i]) && !strncasecmp(s, yes[i], len))
				val = found = true;
			else if (len == strlen(no[i]) && !strncasecmp(s, no[i], len))
				found = true;
		}
		if (!found)
			return cfg_type_err(c, k, node);
		*(bool *)field = val;
		break;
	}
	case T_STRING:
		if (len == 0)
			return cfg_value_err(c, node, "must not be empty");
		if (len >= k->size)
			return cfg_value_err(c, node, "too long: %zu bytes, at most %zu", len, k->size - 1);
		for (size_t i = 0; i < len; i++) {
			unsigned char ch = (unsigned char)s[i];
			bool ok = (k->flags & F_NAME) ? (isalnum(ch) || ch == '_' || ch == '-' || ch == '.')
						      : (ch >= 0x20 && ch != 0x7f);
			if (!ok)
				return cfg_value_err(c, node, "%s: character %zu is not allowed%s",
						     cfg_quote(s, len, q, sizeof(q)), i + 1,
						     (k->flags & F_NAME) ? " (letters, digits, '_', '-', '.')" : "");
		}
		memcpy(field, s, len);
		field[len] = '\0';
		break;
	case T_ENUM: {
		const struct cfg_enum *e;
		for (e = k->names; e->name; e++)
			if (strlen(e->name) == len && !memcmp(e->name, s, len))
				break;
		if (!e->name)
			return cfg_type_err(c, k, node);
		*field = e->value;
		break;
	}
	case T_IPV4: {
		uint8_t b[16];
		if (!parse_inet(AF_INET, s, len, field)) {
			if (parse_inet(AF_INET6, s, len, b))
				return cfg_value_err(c, node, "%s is an IPv6 address; expected IPv4",
						     cfg_quote(s, len, q, sizeof(q)));
			return cfg_type_err(c, k, node);
		}
		break;
	}
	case T_IPV6: {
		uint8_t b[16];
		if (!parse_inet(AF_INET6, s, len, field)) {
			if (parse_inet(AF_INET, s, len, b))
				return cfg_value_err(c, node, "%s is an IPv4 address; expected IPv6",
						     cfg_quote(s, len, q, sizeof(q)));
			return cfg_type_err(c, k, node);
		}
		break;
	}
	case T_ADDR: {
		char buf[INET6_ADDRSTRLEN + 1];
		if (len >= sizeof(buf))
			return cfg_type_err(c, k, node);
		memcpy(buf, s, len);
		buf[len] = '\0';
		if (vr_addr_parse(buf, (struct vr_addr *)field))
			return cfg_type_err(c, k, node);
		break;
	}
	case T_MAC:
		if (!parse_mac(s, len, field))
			return cfg_type_err(c, k, node);
		break;
	case T_DURATION: {
		uint32_t unit = k->unit ? k->unit : 1;
		char lo[24], hi[24];
		if (!parse_duration(s, len, &v))
			return cfg_type_err(c, k, node);
		if (v < k->min || v > k->max) {
			fmt_duration(k->min, lo, sizeof(lo));
			fmt_duration(k->max, hi, sizeof(hi));
			return cfg_value_err(c, node, "%s is out of range %s..%s", cfg_quote(s, len, q, sizeof(q)), lo,
					     hi);
		}
		if (v % unit)
			return cfg_value_err(c, node, "%s: must be a whole number of %s",
					     cfg_quote(s, len, q, sizeof(q)), unit == 1000 ? "seconds" : "units");
		store_uint(field, k->size, v / unit);
		break;
	}
	case T_PORT_RANGE: {
		uint64_t lo, hi;
		const char *dash = memchr(s, '-', len);
		if (dash && !(k->flags & F_SINGLE)) {
			if (!parse_u64(s, (size_t)(dash - s), &lo) ||
			    !parse_u64(dash + 1, len - (size_t)(dash - s) - 1, &hi))
				return cfg_type_err(c, k, node);
		} else {
			if (!parse_u64(s, len, &lo))
				return cfg_type_err(c, k, node);
			hi = lo;
		}
		if (lo < 1 || lo > 65535 || hi < 1 || hi > 65535)
			return cfg_value_err(c, node, "%s is out of range 1..65535", cfg_quote(s, len, q, sizeof(q)));
		if (lo > hi)
			return cfg_value_err(c, node, "%s: the range is reversed", cfg_quote(s, len, q, sizeof(q)));
		uint16_t p[2] = {(uint16_t)lo, (uint16_t)hi};
		memcpy(field, p, sizeof(p));
		break;
	}
	default:
		return cfg_value_err(c, node, "internal error: key type %u is not a scalar", k->type);
	}
	if (k->present)
		*(bool *)((uint8_t *)obj + k->present - 1) = true;
	return 0;
}

/* ------------------------------------------------------------------ */
/* the tree walk */

static int parse_map(struct cfg_ctx *c, const struct cfg_section *s, void *obj, yaml_node_t *map,
		     const yaml_mark_t *where);

static yaml_node_t *doc_node(struct cfg_ctx *c, int id)
{
	return yaml_document_get_node(c->doc, id);
}

static int count_err(struct cfg_ctx *c, const struct cfg_key *k, const yaml_node_t *node, uint32_t n)
{
	if (k->cmin == 0)
		return cfg_value_err(c, node, "at most %u entries, got %u", k->cmax, n);
	return cfg_value_err(c, node, "expected %u to %u entries, got %u", k->cmin, k->cmax, n);
}

static int parse_uint_list(struct cfg_ctx *c, const struct cfg_key *k, void *obj, yaml_node_t *node)
{
	uint32_t *arr = (uint32_t *)((uint8_t *)obj + k->off);
	uint32_t *count = (uint32_t *)((uint8_t *)obj + k->count_off);
	struct cfg_key elem = *k;
	uint32_t n = 0;

	elem.type = T_UINT;
	elem.size = sizeof(uint32_t);
	elem.present = 0;
	elem.flags = 0;
	*count = 0;
	if (!node_is_null(node)) {
		if (node->type != YAML_SEQUENCE_NODE)
			return cfg_type_err(c, k, node);
		n = (uint32_t)(node->data.sequence.items.top - node->data.sequence.items.start);
	}
	if (n < k->cmin || n > k->cmax)
		return count_err(c, k, node, n);
	for (uint32_t i = 0; i < n; i++) {
		yaml_node_t *it = doc_node(c, node->data.sequence.items.start[i]);
		size_t saved = path_push(c, "[%u]", i);
		int rc;
		elem.off = 0;
		if (!it || it->type != YAML_SCALAR_NODE || node_is_null(it))
			rc = cfg_type_err(c, &elem, it ? it : node);
		else
			rc = conv_scalar(c, &elem, &arr[i], (const char *)it->data.scalar.value,
					 it->data.scalar.length, it);
		if (!rc && (k->flags & F_DISTINCT))
			for (uint32_t j = 0; j < i; j++)
				if (arr[j] == arr[i]) {
					rc = cfg_value_err(c, it, "%" PRIu32 " is listed twice", arr[i]);
					break;
				}
		path_pop(c, saved);
		if (rc)
			return rc;
		*count = i + 1;
	}
	return 0;
}

static int parse_string_list(struct cfg_ctx *c, const struct cfg_key *k, void *obj, yaml_node_t *node)
{
	char **arr = (char **)((uint8_t *)obj + k->off);
	uint32_t *count = (uint32_t *)((uint8_t *)obj + k->count_off);
	uint32_t n = 0;

	if (!node_is_null(node)) {
		if (node->type != YAML_SEQUENCE_NODE)
			return cfg_type_err(c, k, node);
		n = (uint32_t)(node->data.sequence.items.top - node->data.sequence.items.start);
	}
	if (n < k->cmin || n > k->cmax)
		return count_err(c, k, node, n);
	for (uint32_t i = 0; i < n; i++) {
		yaml_node_t *it = doc_node(c, node->data.sequence.items.start[i]);
		size_t saved = path_push(c, "[%u]", i);
		int rc = 0;
		if (!it || it->type != YAML_SCALAR_NODE || node_is_null(it)) {
			struct cfg_key elem = *k;
			elem.type = T_STRING;
			rc = cfg_type_err(c, &elem, it ? it : node);
		} else {
			const char *s = (const char *)it->data.scalar.value;
			size_t len = it->data.scalar.length;
			if (len == 0)
				rc = cfg_value_err(c, it, "must not be empty");
			else if (len >= k->size)
				rc = cfg_value_err(c, it, "too long: %zu bytes, at most %zu", len, k->size - 1);
			else if (memchr(s, '\0', len)) /* verbatim, but a C string */
				rc = cfg_value_err(c, it, "contains a NUL character");
			else if (!(arr[i] = strndup(s, len)))
				rc = cfg_nomem(c);
		}
		path_pop(c, saved);
		if (rc)
			return rc;
		*count = i + 1; /* counted as soon as owned, so vr_config_free() frees it */
	}
	return 0;
}

static int parse_seq(struct cfg_ctx *c, const struct cfg_key *k, void *obj, yaml_node_t *node)
{
	uint32_t *count = (uint32_t *)((uint8_t *)obj + k->count_off);
	uint8_t *items;
	uint32_t n = 0;

	if (!node_is_null(node)) {
		if (node->type != YAML_SEQUENCE_NODE)
			return cfg_type_err(c, k, node);
		n = (uint32_t)(node->data.sequence.items.top - node->data.sequence.items.start);
	}
	if (n < k->cmin || n > k->cmax)
		return count_err(c, k, node, n);
	if (mark_add(c, count, &node->start_mark))
		return -ENOMEM;
	if (k->flags & F_INLINE) {
		items = (uint8_t *)obj + k->off;
	} else {
		items = NULL;
		if (n && !(items = calloc(n, k->item_size)))
			return cfg_nomem(c);
		*(void **)((uint8_t *)obj + k->off) = items;
	}
	*count = n; /* items are zeroed: a half-parsed array frees cleanly */
	for (uint32_t i = 0; i < n; i++) {
		size_t saved = path_push(c, "[%u]", i);
		int rc = parse_map(c, k->sub, items + (size_t)i * k->item_size,
				   doc_node(c, node->data.sequence.items.start[i]), &node->start_mark);
		path_pop(c, saved);
		if (rc)
			return rc;
	}
	return 0;
}

static int parse_value(struct cfg_ctx *c, const struct cfg_key *k, void *obj, yaml_node_t *node)
{
	switch (k->type) {
	case T_MAP:
		return parse_map(c, k->sub, obj, node, &node->start_mark);
	case T_SEQ:
		return parse_seq(c, k, obj, node);
	case T_UINT_LIST:
	case T_STRING_LIST:
		if (mark_add(c, (uint8_t *)obj + k->off, &node->start_mark))
			return -ENOMEM;
		return k->type == T_UINT_LIST ? parse_uint_list(c, k, obj, node) : parse_string_list(c, k, obj, node);
	default:
		if (node->type != YAML_SCALAR_NODE || node_is_null(node))
			return cfg_type_err(c, k, node);
		if (mark_add(c, (uint8_t *)obj + k->off, &node->start_mark))
			return -ENOMEM;
		return conv_scalar(c, k, obj, (const char *)node->data.scalar.value, node->data.scalar.length, node);
	}
}

static int apply_default(struct cfg_ctx *c, const struct cfg_key *k, void *obj, const yaml_mark_t *where)
{
	switch (k->type) {
	case T_MAP:
		return parse_map(c, k->sub, obj, NULL, where);
	case T_SEQ:
	case T_STRING_LIST:
		return 0; /* empty */
	case T_UINT_LIST: {
		/* the default is one value, the only list default needed */
		if (!k->def)
			return 0;
		struct cfg_key elem = *k;
		elem.type = T_UINT;
		elem.size = sizeof(uint32_t);
		elem.flags = 0;
		elem.present = 0;
		if (conv_scalar(c, &elem, obj, k->def, strlen(k->def), NULL))
			return -EINVAL;
		*(uint32_t *)((uint8_t *)obj + k->count_off) = 1;
		return 0;
	}
	default:
		return k->def ? conv_scalar(c, k, obj, k->def, strlen(k->def), NULL) : 0;
	}
}

static int parse_map(struct cfg_ctx *c, const struct cfg_section *s, void *obj, yaml_node_t *map,
		     const yaml_mark_t *where)
{
	yaml_node_t *given[CFG_MAX_KEYS] = {0};
	yaml_mark_t keymark[CFG_MAX_KEYS];
	const yaml_mark_t *mark = map ? &map->start_mark : where;
	char q[96];
	int rc;

	if (s->nb_keys > CFG_MAX_KEYS)
		return cfg_fail_mark(c, mark, "internal error: section has too many keys");
	if (map && !node_is_null(map) && map->type != YAML_MAPPING_NODE)
		return cfg_value_err(c, map, "expected a mapping, got %s", node_desc(map, q, sizeof(q)));
	if (s->pos_off) {
		struct vr_cfg_pos *p = (struct vr_cfg_pos *)((uint8_t *)obj + s->pos_off - 1);
		p->line = (uint32_t)mark->line + 1;
		p->column = (uint32_t)mark->column + 1;
	}
	if (map && map->type == YAML_MAPPING_NODE) {
		for (yaml_node_pair_t *pr = map->data.mapping.pairs.start; pr < map->data.mapping.pairs.top; pr++) {
			yaml_node_t *kn = doc_node(c, pr->key), *vn = doc_node(c, pr->value);
			uint32_t i;

			if (!kn || !vn)
				return cfg_fail_mark(c, mark, "internal error: dangling node");
			if (kn->type != YAML_SCALAR_NODE || node_is_null(kn))
				return cfg_fail_mark(c, &kn->start_mark, "%s%sexpected a key name, got %s", c->path,
						     c->path[0] ? ": " : "", node_desc(kn, q, sizeof(q)));
			const char *name = (const char *)kn->data.scalar.value;
			size_t len = kn->data.scalar.length;
			for (i = 0; i < s->nb_keys; i++)
				if (strlen(s->keys[i].name) == len && !memcmp(s->keys[i].name, name, len))
					break;
			if (i == s->nb_keys) {
				if (c->path[0])
					return cfg_fail_mark(c, &kn->start_mark, "unknown key %s in %s",
							     cfg_quote(name, len, q, sizeof(q)), c->path);
				return cfg_fail_mark(c, &kn->start_mark, "unknown key %s at the top level",
						     cfg_quote(name, len, q, sizeof(q)));
			}
			if (given[i])
				return cfg_fail_mark(c, &kn->start_mark, "duplicate key \"%s\" in %s (first at line %zu)",
						     s->keys[i].name, c->path[0] ? c->path : "the top level",
						     keymark[i].line + 1);
			given[i] = vn;
			keymark[i] = kn->start_mark;
			size_t saved = path_push(c, "%s%s", c->path[0] ? "." : "", s->keys[i].name);
			rc = parse_value(c, &s->keys[i], obj, vn);
			path_pop(c, saved);
			if (rc)
				return rc;
		}
	}
	for (uint32_t i = 0; i < s->nb_keys; i++) {
		if (given[i])
			continue;
		if (s->keys[i].flags & F_REQ) {
			if (c->path[0])
				return cfg_fail_mark(c, mark, "missing required key \"%s\" in %s", s->keys[i].name,
						     c->path);
			return cfg_fail_mark(c, mark, "missing required key \"%s\" at the top level", s->keys[i].name);
		}
		size_t saved = path_push(c, "%s%s", c->path[0] ? "." : "", s->keys[i].name);
		rc = apply_default(c, &s->keys[i], obj, mark);
		path_pop(c, saved);
		if (rc)
			return rc;
	}
	return s->post ? s->post(c, obj, mark, given) : 0;
}

/* ------------------------------------------------------------------ */
/* checks across keys: the section hooks */

static const struct cfg_enum role_names[] = {
	{"balancer", VR_ROLE_BALANCER},
	{"relay", VR_ROLE_RELAY},
	{NULL, 0},
};
static const struct cfg_enum hash_names[] = {
	{"five-tuple", VR_HASH_FIVE_TUPLE},
	{"dst-port", VR_HASH_DST_PORT},
	{NULL, 0},
};
static const struct cfg_enum encap_names[] = {
	{"gue", VR_ENCAP_GUE},
	{"ipip", VR_ENCAP_IPIP},
	{NULL, 0},
};
static const struct cfg_enum state_names[] = {
	{"up", VR_BACKEND_UP},
	{"draining", VR_BACKEND_DRAINING},
	{"down", VR_BACKEND_DOWN},
	{NULL, 0},
};

static const char *enum_name(const struct cfg_enum *e, uint8_t v)
{
	for (; e->name; e++)
		if (e->value == v)
			return e->name;
	return "?";
}

/* Index of @name in @s, for hooks reading their `given` array. */
static uint32_t key_idx(const struct cfg_section *s, const char *name)
{
	for (uint32_t i = 0; i < s->nb_keys; i++)
		if (!strcmp(s->keys[i].name, name))
			return i;
	return 0;
}

static const struct cfg_section vip_section;
static const struct cfg_section port_section;

static int post_backend(struct cfg_ctx *c, void *obj, const yaml_mark_t *mark, yaml_node_t *const *given)
{
	struct vr_cfg_backend *b = obj;

	(void)c;
	(void)mark;
	(void)given;
	vr_addr_str(&b->addr, b->name, sizeof(b->name));
	return 0;
}

static int post_vip(struct cfg_ctx *c, void *obj, const yaml_mark_t *mark, yaml_node_t *const *given)
{
	struct vr_cfg_vip *v = obj;
	yaml_node_t *port = given[key_idx(&vip_section, "port")], *ports = given[key_idx(&vip_section, "ports")];
	yaml_node_t *backends = given[key_idx(&vip_section, "backends")];
	char a[INET6_ADDRSTRLEN];

	vr_addr_str(&v->addr, a, sizeof(a));
	if (!port && !ports)
		return cfg_fail_mark(c, mark, "missing required key \"port\" or \"ports\" in %s", c->path);
	if (port && ports) {
		yaml_node_t *second = port->start_mark.index > ports->start_mark.index ? port : ports;
		return cfg_fail_mark(c, &second->start_mark, "%s: give either \"port\" or \"ports\", not both",
				     c->path);
	}
	if (!given[key_idx(&vip_section, "gue_port")])
		v->gue_port = 0; /* balancer.gue_port, filled in once the whole section is read */
	if (v->nb_backends == 0)
		return cfg_fail_mark(c, backends ? &backends->start_mark : mark, "%s: VIP %s needs at least one backend",
				     c->path, a);
	for (uint32_t i = 1; i < v->nb_backends; i++)
		for (uint32_t j = 0; j < i; j++)
			if (vr_addr_eq(&v->backends[i].addr, &v->backends[j].addr))
				return cfg_fail_pos(c, &v->backends[i].pos,
						    "%s.backends[%u]: backend %s is listed twice in VIP %s (first at line %u)",
						    c->path, i, v->backends[i].name, a, v->backends[j].pos.line);
	c->total_backends += v->nb_backends;
	if (c->total_backends > VR_MAX_BACKENDS)
		return cfg_fail_mark(c, backends ? &backends->start_mark : mark,
				     "%s.backends: too many backends: %u over all VIPs so far, at most %u", c->path,
				     c->total_backends, VR_MAX_BACKENDS);
	return 0;
}

static int post_port(struct cfg_ctx *c, void *obj, const yaml_mark_t *mark, yaml_node_t *const *given)
{
	struct vr_cfg_port *p = obj;
	yaml_node_t *gw4 = given[key_idx(&port_section, "gateway_ipv4")];
	yaml_node_t *gw6 = given[key_idx(&port_section, "gateway_ipv6")];
	yaml_node_t *mtu = given[key_idx(&port_section, "mtu")];

	if (gw4 && !p->has_ipv4)
		return cfg_fail_mark(c, &gw4->start_mark, "%s.gateway_ipv4: the port has no ipv4 address", c->path);
	if (gw6 && !p->has_ipv6)
		return cfg_fail_mark(c, &gw6->start_mark, "%s.gateway_ipv6: the port has no ipv6 address", c->path);
	if (p->has_ipv6 && p->mtu < 1280)
		return cfg_fail_mark(c, mtu ? &mtu->start_mark : mark,
				     "%s.mtu: %u is below 1280, the IPv6 minimum (the port has an ipv6 address)",
				     c->path, p->mtu);
	return 0;
}

static int post_dataplane(struct cfg_ctx *c, void *obj, const yaml_mark_t *mark, yaml_node_t *const *given)
{
	struct vr_config *cfg = obj;
	struct vr_cfg_pos top = {(uint32_t)mark->line + 1, (uint32_t)mark->column + 1};
	bool sends[VR_CFG_MAX_PORTS] = {false};

	(void)given;
	for (uint32_t i = 0; i < cfg->nb_workers; i++)
		if (cfg->worker_lcores[i] == cfg->main_lcore)
			return cfg_fail_pos(c, mark_of(c, cfg->worker_lcores, &top),
					    "dataplane.worker_lcores: lcore %u is the main lcore (eal.main_lcore)",
					    cfg->main_lcore);
	for (uint32_t i = 0; i < cfg->nb_ports; i++) {
		struct vr_cfg_port *p = &cfg->ports[i];
		for (uint32_t j = 0; j < i; j++)
			if (!strcmp(p->name, cfg->ports[j].name))
				return cfg_fail_pos(c, mark_of(c, p->name, &p->pos),
						    "dataplane.ports[%u].name: port name \"%s\" is already used by "
						    "dataplane.ports[%u] (line %u)",
						    i, p->name, j, cfg->ports[j].pos.line);
	}
	for (uint32_t i = 0; i < cfg->nb_ports; i++) {
		struct vr_cfg_port *p = &cfg->ports[i];
		uint32_t j;
		if (!p->tx_port[0])
			memcpy(p->tx_port, p->name, sizeof(p->tx_port));
		for (j = 0; j < cfg->nb_ports; j++)
			if (!strcmp(p->tx_port, cfg->ports[j].name))
				break;
		if (j == cfg->nb_ports)
			return cfg_fail_pos(c, mark_of(c, p->tx_port, &p->pos),
					    "dataplane.ports[%u].tx_port: no port named \"%s\"", i, p->tx_port);
		p->tx_port_idx = j;
		sends[j] = true;
	}
	/* Without a netmask every packet goes to the next hop, so a port that
	 * sends needs one for each family it has an address of. */
	for (uint32_t i = 0; i < cfg->nb_ports; i++) {
		struct vr_cfg_port *p = &cfg->ports[i];
		if (!sends[i])
			continue;
		if (p->has_ipv4 && !p->has_gw4)
			return cfg_fail_pos(c, mark_of(c, &p->ipv4, &p->pos),
					    "dataplane.ports[%u]: port \"%s\" sends and has an ipv4 address, so it "
					    "needs gateway_ipv4",
					    i, p->name);
		if (p->has_ipv6 && !p->has_gw6)
			return cfg_fail_pos(c, mark_of(c, p->ipv6, &p->pos),
					    "dataplane.ports[%u]: port \"%s\" sends and has an ipv6 address, so it "
					    "needs gateway_ipv6",
					    i, p->name);
	}
	return 0;
}

static const struct cfg_section balancer_section;

static const char *fmt_ports(const struct vr_cfg_vip *v, char *buf, size_t len)
{
	if (v->port_lo == v->port_hi)
		snprintf(buf, len, "%u", v->port_lo);
	else
		snprintf(buf, len, "%u-%u", v->port_lo, v->port_hi);
	return buf;
}

static int post_balancer(struct cfg_ctx *c, void *obj, const yaml_mark_t *mark, yaml_node_t *const *given)
{
	struct vr_config *cfg = obj;
	yaml_node_t *msize = given[key_idx(&balancer_section, "maglev_table_size")];
	char a[INET6_ADDRSTRLEN];

	(void)mark;
	for (uint32_t i = 0; i < cfg->nb_vips; i++) {
		struct vr_cfg_vip *v = &cfg->vips[i];
		if (v->gue_port == 0)
			v->gue_port = cfg->gue_port;
	}
	for (uint32_t i = 0; i < cfg->nb_vips; i++) {
		struct vr_cfg_vip *v = &cfg->vips[i];
		uint64_t need = 100ull * v->nb_backends;
		if (cfg->maglev_size >= need)
			continue;
		vr_addr_str(&v->addr, a, sizeof(a));
		/* a default size is not the user's doing: point at the VIP that outgrew it */
		if (!msize)
			return cfg_fail_pos(c, &v->pos,
					    "balancer.maglev_table_size: the default %u is below 100 x %u backends of "
					    "VIP %s (line %u); set a prime of at least %" PRIu64,
					    cfg->maglev_size, v->nb_backends, a, v->pos.line, next_prime(need));
		return cfg_fail_mark(c, &msize->start_mark,
				     "balancer.maglev_table_size: %u is below 100 x %u backends of VIP %s (line %u); "
				     "use a prime of at least %" PRIu64,
				     cfg->maglev_size, v->nb_backends, a, v->pos.line, next_prime(need));
	}
	for (uint32_t i = 1; i < cfg->nb_vips; i++) {
		struct vr_cfg_vip *v = &cfg->vips[i];
		for (uint32_t j = 0; j < i; j++) {
			struct vr_cfg_vip *w = &cfg->vips[j];
			if (!vr_addr_eq(&v->addr, &w->addr) || v->port_hi < w->port_lo || w->port_hi < v->port_lo)
				continue;
			char pv[16], pw[16];
			vr_addr_str(&v->addr, a, sizeof(a));
			return cfg_fail_pos(c, &v->pos,
					    "balancer.vips[%u]: VIP %s port %s overlaps the VIP at line %u (port %s)", i,
					    a, fmt_ports(v, pv, sizeof(pv)), w->pos.line, fmt_ports(w, pw, sizeof(pw)));
		}
	}
	return 0;
}

static const struct cfg_section root_section;

static int post_root(struct cfg_ctx *c, void *obj, const yaml_mark_t *mark, yaml_node_t *const *given)
{
	struct vr_config *cfg = obj;
	struct vr_cfg_pos top = {(uint32_t)mark->line + 1, (uint32_t)mark->column + 1};
	yaml_node_t *bal = given[key_idx(&root_section, "balancer")];
	bool v4 = false, v6 = false;
	char a[INET6_ADDRSTRLEN];

	if (cfg->role == VR_ROLE_BALANCER && cfg->nb_vips == 0) {
		struct vr_cfg_pos where = top;
		if (bal) {
			where.line = (uint32_t)bal->start_mark.line + 1;
			where.column = (uint32_t)bal->start_mark.column + 1;
		}
		return cfg_fail_pos(c, mark_of(c, &cfg->nb_vips, &where), "balancer: needs at least one VIP");
	}
	/* the outer source of an encapsulated packet is the sending port's address */
	for (uint32_t i = 0; i < cfg->nb_ports; i++) {
		const struct vr_cfg_port *tx = &cfg->ports[cfg->ports[i].tx_port_idx];
		v4 |= tx->has_ipv4;
		v6 |= tx->has_ipv6;
	}
	for (uint32_t i = 0; i < cfg->nb_vips; i++) {
		const struct vr_cfg_vip *v = &cfg->vips[i];
		for (uint32_t j = 0; j < v->nb_backends; j++) {
			const struct vr_cfg_backend *b = &v->backends[j];
			bool is6 = b->addr.family == AF_INET6;
			if (is6 ? v6 : v4)
				continue;
			vr_addr_str(&b->addr, a, sizeof(a));
			return cfg_fail_pos(c, mark_of(c, &b->addr, &b->pos),
					    "balancer.vips[%u].backends[%u]: backend %s is %s but no sending port has "
					    "an %s address (the outer source)",
					    i, j, a, is6 ? "IPv6" : "IPv4", is6 ? "ipv6" : "ipv4");
		}
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* the tables */

/* `ports`/`port` write lo and hi as one pair */
_Static_assert(offsetof(struct vr_cfg_vip, port_hi) == offsetof(struct vr_cfg_vip, port_lo) + sizeof(uint16_t),
	       "port_hi must follow port_lo");

#define FLD(T, m) .off = offsetof(T, m), .size = sizeof(((T *)0)->m)
#define HAS(T, m) .present = offsetof(T, m) + 1
#define SECTION(keys_, post_) .keys = keys_, .nb_keys = VR_ARRAY_SIZE(keys_), .post = post_

static const struct cfg_key backend_keys[] = {
	{"address", T_ADDR, F_REQ, FLD(struct vr_cfg_backend, addr)},
	{"weight", T_UINT, 0, FLD(struct vr_cfg_backend, weight), .min = 1, .max = 65535, .def = "1"},
	{"state", T_ENUM, 0, FLD(struct vr_cfg_backend, state), .names = state_names, .def = "up"},
};
static const struct cfg_section backend_section = {
	SECTION(backend_keys, post_backend),
	.pos_off = offsetof(struct vr_cfg_backend, pos) + 1,
};

static const struct cfg_key vip_keys[] = {
	{"address", T_ADDR, F_REQ, FLD(struct vr_cfg_vip, addr)},
	{"ports", T_PORT_RANGE, 0, .off = offsetof(struct vr_cfg_vip, port_lo), .size = 4},
	{"port", T_PORT_RANGE, F_SINGLE | F_NODUMP, .off = offsetof(struct vr_cfg_vip, port_lo), .size = 4},
	{"hash", T_ENUM, 0, FLD(struct vr_cfg_vip, hash_key), .names = hash_names, .def = "five-tuple"},
	{"encap", T_ENUM, 0, FLD(struct vr_cfg_vip, encap), .names = encap_names, .def = "gue"},
	{"gue_port", T_UINT, 0, FLD(struct vr_cfg_vip, gue_port), .min = 1, .max = 65535},
	{"backends", T_SEQ, 0, FLD(struct vr_cfg_vip, backends), .count_off = offsetof(struct vr_cfg_vip, nb_backends),
	 .cmin = 0, .cmax = VR_MAX_BACKENDS, .sub = &backend_section, .item_size = sizeof(struct vr_cfg_backend)},
};
static const struct cfg_section vip_section = {
	SECTION(vip_keys, post_vip),
	.pos_off = offsetof(struct vr_cfg_vip, pos) + 1,
};

static const struct cfg_key port_keys[] = {
	{"name", T_STRING, F_REQ | F_NAME, FLD(struct vr_cfg_port, name)},
	{"device", T_STRING, F_REQ, FLD(struct vr_cfg_port, device)},
	{"mtu", T_UINT, 0, FLD(struct vr_cfg_port, mtu), .min = 576, .max = 9000, .def = "1500"},
	{"rx_desc", T_UINT, F_POW2, FLD(struct vr_cfg_port, rx_desc), .min = 64, .max = 16384, .def = "1024"},
	{"tx_desc", T_UINT, F_POW2, FLD(struct vr_cfg_port, tx_desc), .min = 64, .max = 16384, .def = "1024"},
	{"ipv4", T_IPV4, 0, FLD(struct vr_cfg_port, ipv4), HAS(struct vr_cfg_port, has_ipv4)},
	{"ipv6", T_IPV6, 0, FLD(struct vr_cfg_port, ipv6), HAS(struct vr_cfg_port, has_ipv6)},
	{"gateway_ipv4", T_IPV4, 0, FLD(struct vr_cfg_port, gateway_ipv4), HAS(struct vr_cfg_port, has_gw4)},
	{"gateway_ipv6", T_IPV6, 0, FLD(struct vr_cfg_port, gateway_ipv6), HAS(struct vr_cfg_port, has_gw6)},
	{"gateway_mac", T_MAC, 0, FLD(struct vr_cfg_port, gateway_mac), HAS(struct vr_cfg_port, has_gw_mac)},
	{"tx_port", T_STRING, F_NAME, FLD(struct vr_cfg_port, tx_port)},
};
static const struct cfg_section port_section = {
	SECTION(port_keys, post_port),
	.pos_off = offsetof(struct vr_cfg_port, pos) + 1,
};

static const struct cfg_key eal_keys[] = {
	{"file_prefix", T_STRING, F_NAME, FLD(struct vr_config, file_prefix), .def = "voxrelay"},
	{"main_lcore", T_UINT, 0, FLD(struct vr_config, main_lcore), .min = 0, .max = RTE_MAX_LCORE - 1, .def = "0"},
	{"huge", T_BOOL, 0, FLD(struct vr_config, huge), .def = "true"},
	{"memory_mb", T_UINT, 0, FLD(struct vr_config, memory_mb), .min = 0, .max = 1048576, .def = "0"},
	{"args", T_STRING_LIST, 0, .off = offsetof(struct vr_config, eal_args), .count_off = offsetof(struct vr_config, nb_eal_args),
	 .cmin = 0, .cmax = VR_CFG_MAX_EAL_ARGS, .size = CFG_EAL_ARG_LEN},
};
static const struct cfg_section eal_section = {SECTION(eal_keys, NULL)};

static const struct cfg_key dataplane_keys[] = {
	{"role", T_ENUM, 0, FLD(struct vr_config, role), .names = role_names, .def = "balancer"},
	{"eal", T_MAP, 0, .sub = &eal_section},
	{"worker_lcores", T_UINT_LIST, F_DISTINCT, .off = offsetof(struct vr_config, worker_lcores),
	 .count_off = offsetof(struct vr_config, nb_workers), .cmin = 1, .cmax = VR_CFG_MAX_LCORES, .min = 0,
	 .max = RTE_MAX_LCORE - 1, .def = "1"},
	{"mbufs", T_UINT, 0, FLD(struct vr_config, mbufs), .min = 1023, .max = 4194303, .def = "16383"},
	{"burst", T_UINT, 0, FLD(struct vr_config, burst), .min = 1, .max = 256, .def = "32"},
	{"stats_interval", T_DURATION, 0, FLD(struct vr_config, stats_interval_s), .min = 0, .max = 86400000,
	 .unit = 1000, .def = "0s"},
	{"ports", T_SEQ, F_REQ | F_INLINE, .off = offsetof(struct vr_config, ports),
	 .count_off = offsetof(struct vr_config, nb_ports), .cmin = 1, .cmax = VR_CFG_MAX_PORTS, .sub = &port_section,
	 .item_size = sizeof(struct vr_cfg_port)},
};
static const struct cfg_section dataplane_section = {SECTION(dataplane_keys, post_dataplane)};

static const struct cfg_key conntrack_keys[] = {
	{"capacity", T_UINT, 0, FLD(struct vr_config, ct_capacity), .min = 64, .max = 67108864, .def = "1048576"},
	{"udp_timeout", T_DURATION, 0, FLD(struct vr_config, ct_udp_timeout_ms), .min = 1000, .max = 3600000,
	 .unit = 1, .def = "30s"},
};
static const struct cfg_section conntrack_section = {SECTION(conntrack_keys, NULL)};

static const struct cfg_key balancer_keys[] = {
	{"maglev_table_size", T_UINT, F_PRIME, FLD(struct vr_config, maglev_size), .min = 3, .max = VR_MAGLEV_MAX_SIZE,
	 .def = "65537"},
	{"conntrack", T_MAP, 0, .sub = &conntrack_section},
	{"gue_port", T_UINT, 0, FLD(struct vr_config, gue_port), .min = 1, .max = 65535, .def = "6080"},
	{"ttl", T_UINT, 0, FLD(struct vr_config, ttl), .min = 1, .max = 255, .def = "64"},
	{"vips", T_SEQ, 0, FLD(struct vr_config, vips), .count_off = offsetof(struct vr_config, nb_vips), .cmin = 0,
	 .cmax = VR_MAX_VIPS, .sub = &vip_section, .item_size = sizeof(struct vr_cfg_vip)},
};
static const struct cfg_section balancer_section = {SECTION(balancer_keys, post_balancer)};

/* The relay's own settings come later; an empty mapping is accepted now. */
static const struct cfg_section relay_section = {.keys = NULL, .nb_keys = 0, .post = NULL};

static const struct cfg_key root_keys[] = {
	{"dataplane", T_MAP, F_REQ, .sub = &dataplane_section},
	{"balancer", T_MAP, 0, .sub = &balancer_section},
	{"relay", T_MAP, 0, .sub = &relay_section},
};
static const struct cfg_section root_section = {SECTION(root_keys, post_root)};

/* ------------------------------------------------------------------ */
/* entry points */

/* libyaml's reader errors carry a byte offset, not a mark. */
static void offset_to_pos(const char *buf, size_t len, size_t off, uint32_t *line, uint32_t *col)
{
	*line = 1;
	*col = 1;
	for (size_t i = 0; i < off && i < len; i++) {
		if (buf[i] == '\n') {
			(*line)++;
			*col = 1;
		} else {
			(*col)++;
		}
	}
}

static int syntax_error(struct cfg_ctx *c, const yaml_parser_t *p, const char *buf, size_t len)
{
	uint32_t line, col;

	if (p->error == YAML_MEMORY_ERROR)
		return cfg_nomem(c);
	if (p->error == YAML_READER_ERROR) {
		offset_to_pos(buf, len, p->problem_offset, &line, &col);
		return cfg_fail(c, line, col, "YAML syntax error: %s", p->problem ? p->problem : "unreadable input");
	}
	line = (uint32_t)p->problem_mark.line + 1;
	col = (uint32_t)p->problem_mark.column + 1;
	if (p->context)
		return cfg_fail(c, line, col, "YAML syntax error: %s (%s at line %zu)",
				p->problem ? p->problem : "?", p->context, p->context_mark.line + 1);
	return cfg_fail(c, line, col, "YAML syntax error: %s", p->problem ? p->problem : "?");
}

struct vr_config *vr_config_parse(const char *name, const char *buf, size_t len, char *err, size_t errlen)
{
	struct cfg_ctx c = {.name = name ? name : "<config>", .err = err, .errlen = errlen};
	yaml_parser_t parser;
	yaml_document_t doc, extra;
	bool have_doc = false;
	struct vr_config *cfg = NULL;

	if (err && errlen)
		err[0] = '\0';
	if (!buf && len) {
		cfg_fail(&c, 1, 1, "no input");
		goto out;
	}
	if (!yaml_parser_initialize(&parser)) {
		cfg_nomem(&c);
		goto out;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)(buf ? buf : ""), len);
	if (!yaml_parser_load(&parser, &doc)) {
		syntax_error(&c, &parser, buf, len);
		goto out_parser;
	}
	have_doc = true;
	yaml_node_t *root = yaml_document_get_root_node(&doc);
	if (!root) {
		cfg_fail(&c, 1, 1, "the configuration is empty");
		goto out_doc;
	}
	if (!yaml_parser_load(&parser, &extra)) {
		syntax_error(&c, &parser, buf, len);
		goto out_doc;
	}
	yaml_node_t *second = yaml_document_get_root_node(&extra);
	if (second)
		cfg_fail_mark(&c, &extra.start_mark, "a second YAML document; the configuration is one document");
	yaml_document_delete(&extra);
	if (c.rc)
		goto out_doc;
	cfg = calloc(1, sizeof(*cfg));
	if (!cfg) {
		cfg_nomem(&c);
		goto out_doc;
	}
	snprintf(cfg->path, sizeof(cfg->path), "%s", c.name);
	c.doc = &doc;
	c.cfg = cfg;
	if (root->type != YAML_MAPPING_NODE) {
		char q[96];
		cfg_fail_mark(&c, &root->start_mark, "expected a mapping at the top level, got %s",
			      node_desc(root, q, sizeof(q)));
		goto out_doc;
	}
	parse_map(&c, &root_section, cfg, root, &root->start_mark);
out_doc:
	if (have_doc)
		yaml_document_delete(&doc);
out_parser:
	yaml_parser_delete(&parser);
out:
	free(c.marks);
	if (c.rc) {
		vr_config_free(cfg);
		errno = -c.rc;
		return NULL;
	}
	return cfg;
}

struct vr_config *vr_config_load(const char *path, char *err, size_t errlen)
{
	struct vr_config *cfg = NULL;
	char *buf = NULL;
	size_t len = 0, cap = 0;
	struct stat st;
	FILE *f = NULL;
	int e = 0;

	if (err && errlen)
		err[0] = '\0';
	if (!path) {
		e = EINVAL;
		goto out;
	}
	f = fopen(path, "rb");
	if (!f) {
		e = errno;
		goto fail_read;
	}
	if (fstat(fileno(f), &st) < 0) {
		e = errno;
		goto fail_read;
	}
	if (S_ISDIR(st.st_mode)) {
		e = EISDIR;
		goto fail_read;
	}
	if (st.st_size > (off_t)CFG_MAX_FILE) {
		e = EFBIG;
		goto fail_read;
	}
	/* sized by reading, not by st_size: a pipe or /proc file has no size */
	for (;;) {
		if (len == cap) {
			if (cap >= CFG_MAX_FILE) {
				e = EFBIG;
				goto fail_read;
			}
			cap = cap ? cap * 2 : 16384;
			char *n = realloc(buf, cap);
			if (!n) {
				e = ENOMEM;
				goto fail_read;
			}
			buf = n;
		}
		size_t got = fread(buf + len, 1, cap - len, f);
		len += got;
		if (got == 0) {
			if (ferror(f)) {
				e = EIO;
				goto fail_read;
			}
			break;
		}
	}
	cfg = vr_config_parse(path, buf, len, err, errlen);
	if (!cfg)
		e = errno;
	goto out;

fail_read:
	if (err && errlen)
		snprintf(err, errlen, "%s: cannot read: %s", path, strerror(e));
out:
	if (f)
		fclose(f);
	free(buf);
	if (!cfg)
		errno = e;
	return cfg;
}

void vr_config_free(struct vr_config *cfg)
{
	if (!cfg)
		return;
	for (uint32_t i = 0; i < cfg->nb_eal_args; i++)
		free(cfg->eal_args[i]);
	if (cfg->vips)
		for (uint32_t i = 0; i < cfg->nb_vips; i++)
			free(cfg->vips[i].backends);
	free(cfg->vips);
	free(cfg);
}

/* ------------------------------------------------------------------ */
/* dump */

static void dump_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch < 0x20 || ch == 0x7f)
			fprintf(f, "\\x%02x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

static void dump_section(FILE *f, const struct cfg_section *s, const void *obj, int indent, bool item);

static void dump_key(FILE *f, const struct cfg_key *k, const void *obj, int indent)
{
	const uint8_t *field = (const uint8_t *)obj + k->off;
	char buf[INET6_ADDRSTRLEN];

	switch (k->type) {
	case T_UINT:
		fprintf(f, "%" PRIu64 "\n", load_uint(field, k->size));
		break;
	case T_BOOL:
		fprintf(f, "%s\n", *(const bool *)field ? "true" : "false");
		break;
	case T_STRING:
		dump_string(f, (const char *)field);
		fputc('\n', f);
		break;
	case T_ENUM:
		fprintf(f, "%s\n", enum_name(k->names, *field));
		break;
	case T_IPV4:
		fprintf(f, "%s\n", inet_ntop(AF_INET, field, buf, sizeof(buf)) ? buf : "?");
		break;
	case T_IPV6:
		fprintf(f, "\"%s\"\n", inet_ntop(AF_INET6, field, buf, sizeof(buf)) ? buf : "?");
		break;
	case T_ADDR:
		fprintf(f, "\"%s\"\n", vr_addr_str((const struct vr_addr *)field, buf, sizeof(buf)));
		break;
	case T_MAC:
		fprintf(f, "\"%02x:%02x:%02x:%02x:%02x:%02x\"\n", field[0], field[1], field[2], field[3], field[4],
			field[5]);
		break;
	case T_DURATION: {
		char d[24];
		fmt_duration(load_uint(field, k->size) * (k->unit ? k->unit : 1), d, sizeof(d));
		fprintf(f, "%s\n", d);
		break;
	}
	case T_PORT_RANGE: {
		uint16_t p[2];
		memcpy(p, field, sizeof(p));
		if (p[0] == p[1])
			fprintf(f, "%u\n", p[0]);
		else
			fprintf(f, "%u-%u\n", p[0], p[1]);
		break;
	}
	case T_UINT_LIST: {
		uint32_t n = *(const uint32_t *)((const uint8_t *)obj + k->count_off);
		fputc('[', f);
		for (uint32_t i = 0; i < n; i++)
			fprintf(f, "%s%" PRIu32, i ? ", " : "", ((const uint32_t *)field)[i]);
		fputs("]\n", f);
		break;
	}
	case T_STRING_LIST: {
		uint32_t n = *(const uint32_t *)((const uint8_t *)obj + k->count_off);
		fputc('[', f);
		for (uint32_t i = 0; i < n; i++) {
			fputs(i ? ", " : "", f);
			dump_string(f, ((char *const *)field)[i]);
		}
		fputs("]\n", f);
		break;
	}
	case T_MAP:
		fputc('\n', f);
		dump_section(f, k->sub, obj, indent + 2, false);
		break;
	case T_SEQ: {
		uint32_t n = *(const uint32_t *)((const uint8_t *)obj + k->count_off);
		const uint8_t *items = (k->flags & F_INLINE) ? field : *(uint8_t *const *)field;
		if (n == 0) {
			fputs("[]\n", f);
			break;
		}
		fputc('\n', f);
		for (uint32_t i = 0; i < n; i++)
			dump_section(f, k->sub, items + (size_t)i * k->item_size, indent + 2, true);
		break;
	}
	}
}

static void dump_section(FILE *f, const struct cfg_section *s, const void *obj, int indent, bool item)
{
	bool first = true;

	for (uint32_t i = 0; i < s->nb_keys; i++) {
		const struct cfg_key *k = &s->keys[i];
		if (k->flags & F_NODUMP)
			continue;
		if (k->present && !*(const bool *)((const uint8_t *)obj + k->present - 1))
			continue;
		/* a block (mapping, non-empty list) starts on the next line: no trailing space */
		bool block = k->type == T_MAP ||
			     (k->type == T_SEQ && *(const uint32_t *)((const uint8_t *)obj + k->count_off) > 0);
		if (item && first)
			fprintf(f, "%*s- %s:%s", indent, "", k->name, block ? "" : " ");
		else
			fprintf(f, "%*s%s:%s", indent + (item ? 2 : 0), "", k->name, block ? "" : " ");
		dump_key(f, k, obj, indent + (item ? 2 : 0));
		first = false;
	}
}

int vr_config_dump(const struct vr_config *cfg, FILE *f)
{
	if (!cfg || !f)
		return -EINVAL;
	dump_section(f, &root_section, cfg, 0, false);
	return ferror(f) ? -EIO : 0;
}
