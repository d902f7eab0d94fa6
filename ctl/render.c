/* SPDX-License-Identifier: BSD-3-Clause */
/* voxrelayctl's output: a result as aligned tables or one confirmation line for people, or as indented JSON for programs. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "render_priv.h"

/* ------------------------------------------------------------------ */
/* text from the dataplane */

/* Length of the UTF-8 sequence led by ch (jansson has checked the encoding of every string). */
static size_t seq_len(unsigned char ch)
{
	if (ch < 0xc0)
		return 1;
	if (ch < 0xe0)
		return 2;
	if (ch < 0xf0)
		return 3;
	return 4;
}

/*
 * Copies s for a terminal: control characters (C0, DEL, and C1, which some
 * terminals obey) become '?', and the copy stops at a whole character.
 */
void vr_ctl_clean(char *dst, size_t len, const char *s)
{
	size_t o = 0;

	while (*s != '\0') {
		unsigned char ch = (unsigned char)*s;
		size_t n = seq_len(ch), i;
		bool bad;

		for (i = 1; i < n && s[i] != '\0'; i++)
			;
		bad = ch < 0x20 || ch == 0x7f || (ch >= 0x80 && ch < 0xc0) || i < n ||
		      (ch == 0xc2 && (unsigned char)s[1] < 0xa0);
		n = i; /* a sequence cut by the end of the string ends there */
		if (bad) {
			if (o + 1 >= len)
				break;
			dst[o++] = '?';
		} else {
			if (o + n >= len)
				break;
			memcpy(dst + o, s, n);
			o += n;
		}
		s += n;
	}
	dst[o] = '\0';
}

/* Columns a text takes: one per character, not per byte. */
static size_t text_width(const char *s)
{
	size_t w = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			w++;
	return w;
}

/* A value as text: "-" when missing, empty or not a scalar. */
const char *vr_ctl_text(const json_t *v, char *buf, size_t len)
{
	if (v == NULL)
		return "-";
	switch (json_typeof(v)) {
	case JSON_STRING:
		if (json_string_length(v) == 0)
			return "-";
		vr_ctl_clean(buf, len, json_string_value(v));
		return buf;
	case JSON_INTEGER:
		snprintf(buf, len, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return buf;
	case JSON_REAL:
		snprintf(buf, len, "%.6g", json_real_value(v));
		return buf;
	case JSON_TRUE:
		return "yes";
	case JSON_FALSE:
		return "no";
	default:
		return "-";
	}
}

/* A fraction (0..1) as a percentage. */
static const char *percent(const json_t *v, char *buf, size_t len)
{
	if (!json_is_number(v))
		return "-";
	snprintf(buf, len, "%.2f%%", json_number_value(v) * 100.0);
	return buf;
}

/* A port range "A-B" as the user would write it: "A" when it is one port. */
static const char *ports(const json_t *v, char *buf, size_t len)
{
	const char *s = vr_ctl_text(v, buf, len), *dash = strchr(s, '-');
	size_t n;

	if (dash == NULL || s != buf)
		return s;
	n = (size_t)(dash - s);
	if (n == 0 || strlen(dash + 1) != n || strncmp(s, dash + 1, n) != 0)
		return s;
	buf[n] = '\0';
	return buf;
}

#define PORTS(obj, key) ports(json_object_get((obj), (key)), (char[VR_CTL_TEXT_MAX]){0}, VR_CTL_TEXT_MAX)

/* ADDR:PORT, with the IPv6 address in brackets. */
const char *vr_ctl_endpoint(const json_t *obj, const char *akey, const char *pkey, char *buf, size_t len)
{
	char a[VR_CTL_TEXT_MAX];
	const char *addr = vr_ctl_text(json_object_get(obj, akey), a, sizeof(a));
	const json_t *port = json_object_get(obj, pkey);

	if (!json_is_integer(port))
		snprintf(buf, len, "%s", addr);
	else if (strchr(addr, ':') != NULL)
		snprintf(buf, len, "[%s]:%" JSON_INTEGER_FORMAT, addr, json_integer_value(port));
	else
		snprintf(buf, len, "%s:%" JSON_INTEGER_FORMAT, addr, json_integer_value(port));
	return buf;
}

/* ------------------------------------------------------------------ */
/* tables */

void vr_ctl_table_add(struct vr_ctl_table *t, const char *s)
{
	char **cells;

	if (t->rc)
		return;
	if (t->ncells == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;

		cells = realloc(t->cells, cap * sizeof(*cells));
		if (cells == NULL) {
			t->rc = -ENOMEM;
			return;
		}
		t->cells = cells;
		t->cap = cap;
	}
	/* every caller hands in cleaned text or our own */
	t->cells[t->ncells] = strdup(s);
	if (t->cells[t->ncells] == NULL) {
		t->rc = -ENOMEM;
		return;
	}
	t->ncells++;
}

void vr_ctl_table_init(struct vr_ctl_table *t, const char *align, const char *const *heads)
{
	*t = (struct vr_ctl_table){.ncols = strlen(align), .align = align};
	for (size_t i = 0; i < t->ncols; i++)
		vr_ctl_table_add(t, heads[i]);
}

static void table_free(struct vr_ctl_table *t)
{
	for (size_t i = 0; i < t->ncells; i++)
		free(t->cells[i]);
	free(t->cells);
	t->cells = NULL;
	t->ncells = t->cap = 0;
}

/* Prints the table (nothing when it has no row), frees it, and returns its first failure. */
int vr_ctl_table_print(FILE *out, struct vr_ctl_table *t, bool *first)
{
	size_t *width = NULL, rows;
	int rc = t->rc;

	if (rc != 0 || t->ncells <= t->ncols)
		goto out;
	width = calloc(t->ncols, sizeof(*width));
	if (width == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	rows = t->ncells / t->ncols;
	for (size_t i = 0; i < rows * t->ncols; i++) {
		size_t w = text_width(t->cells[i]);

		if (w > width[i % t->ncols])
			width[i % t->ncols] = w;
	}
	if (!*first)
		fputc('\n', out);
	*first = false;
	for (size_t r = 0; r < rows; r++) {
		for (size_t c = 0; c < t->ncols; c++) {
			const char *s = t->cells[r * t->ncols + c];
			int pad = (int)(width[c] - text_width(s));

			if (c != 0)
				fputs("  ", out);
			if (t->align[c] == 'r')
				fprintf(out, "%*s%s", pad, "", s);
			else if (c + 1 < t->ncols)
				fprintf(out, "%s%*s", s, pad, "");
			else
				fputs(s, out); /* no trailing blanks */
		}
		fputc('\n', out);
	}
out:
	free(width);
	table_free(t);
	return rc;
}

/* ------------------------------------------------------------------ */
/* results */

int vr_ctl_unexpected(struct vr_ctl_render_ctx *r, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (r->err == NULL || r->errlen == 0)
		return -EPROTO;
	n = snprintf(r->err, r->errlen, "unexpected answer to %s: ", r->op);
	if (n >= 0 && (size_t)n < r->errlen) {
		va_start(ap, fmt);
		vsnprintf(r->err + n, r->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -EPROTO;
}

/* The VIP a request named: "10.77.100.1 port 50000". */
const char *vr_ctl_vip_name(const json_t *args, char *buf, size_t len)
{
	char a[VR_CTL_TEXT_MAX], p[32];

	snprintf(buf, len, "%s port %s", vr_ctl_text(json_object_get(args, "vip"), a, sizeof(a)),
		 vr_ctl_text(json_object_get(args, "port"), p, sizeof(p)));
	return buf;
}

static const char *const backend_heads[] = {"VIP", "PORTS", "BACKEND", "ID", "WEIGHT", "STATE",
					     "SLOTS", "SHARE", "FLOWS", "TX_PACKETS", "TX_BYTES"};
#define BACKEND_ALIGN "lllrrlrrrrr"

static void backend_row(struct vr_ctl_table *t, const json_t *vip, const json_t *range, const json_t *b)
{
	char buf[VR_CTL_TEXT_MAX];

	vr_ctl_table_add(t, vr_ctl_text(vip, buf, sizeof(buf)));
	vr_ctl_table_add(t, ports(range, buf, sizeof(buf)));
	vr_ctl_table_add(t, VR_CTL_TEXT(b, "address"));
	vr_ctl_table_add(t, VR_CTL_TEXT(b, "id"));
	vr_ctl_table_add(t, VR_CTL_TEXT(b, "weight"));
	vr_ctl_table_add(t, VR_CTL_TEXT(b, "state"));
	vr_ctl_table_add(t, VR_CTL_TEXT(b, "maglev_slots"));
	vr_ctl_table_add(t, percent(json_object_get(b, "maglev_share"), buf, sizeof(buf)));
	vr_ctl_table_add(t, VR_CTL_TEXT(b, "flows"));
	vr_ctl_table_add(t, VR_CTL_TEXT(b, "tx_packets"));
	vr_ctl_table_add(t, VR_CTL_TEXT(b, "tx_bytes"));
}

static int r_ping(struct vr_ctl_render_ctx *r, const json_t *res)
{
	const json_t *up = json_object_get(res, "uptime_s");
	char buf[64];
	const char *uptime = buf;

	if (json_is_integer(up) && json_integer_value(up) >= 0) {
		json_int_t s = json_integer_value(up);

		if (s >= 86400)
			snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT "d %02d:%02d:%02d", s / 86400,
				 (int)(s % 86400 / 3600), (int)(s % 3600 / 60), (int)(s % 60));
		else
			snprintf(buf, sizeof(buf), "%02d:%02d:%02d", (int)(s / 3600), (int)(s % 3600 / 60),
				 (int)(s % 60));
	} else {
		uptime = vr_ctl_text(up, buf, sizeof(buf));
	}
	fprintf(r->out, "voxrelay-dp %s, role %s, state generation %s, up %s\n", VR_CTL_TEXT(res, "version"),
		VR_CTL_TEXT(res, "role"), VR_CTL_TEXT(res, "state_generation"), uptime);
	return 0;
}

static int r_vip_list(struct vr_ctl_render_ctx *r, const json_t *res)
{
	static const char *const vip_heads[] = {"ID", "VIP", "PORTS", "HASH", "ENCAP", "GUE_PORT", "BACKENDS",
						"RX_PACKETS"};
	const json_t *vips = json_object_get(res, "vips"), *v, *b;
	struct vr_ctl_table t;
	size_t i, j;
	bool first = true;
	char buf[32];
	int rc;

	if (!json_is_array(vips))
		return vr_ctl_unexpected(r, "no \"vips\" list");
	if (json_array_size(vips) == 0) {
		fprintf(r->out, "no VIPs\n");
		return 0;
	}
	vr_ctl_table_init(&t, "rllllrrr", vip_heads);
	json_array_foreach(vips, i, v) {
		const json_t *list = json_object_get(v, "backends");

		vr_ctl_table_add(&t, VR_CTL_TEXT(v, "id"));
		vr_ctl_table_add(&t, VR_CTL_TEXT(v, "address"));
		vr_ctl_table_add(&t, PORTS(v, "ports"));
		vr_ctl_table_add(&t, VR_CTL_TEXT(v, "hash"));
		vr_ctl_table_add(&t, VR_CTL_TEXT(v, "encap"));
		vr_ctl_table_add(&t, VR_CTL_TEXT(v, "gue_port"));
		if (json_is_array(list))
			snprintf(buf, sizeof(buf), "%zu", json_array_size(list));
		vr_ctl_table_add(&t, json_is_array(list) ? buf : "-");
		vr_ctl_table_add(&t, VR_CTL_TEXT(v, "rx_packets"));
	}
	rc = vr_ctl_table_print(r->out, &t, &first);
	if (rc != 0)
		return rc;
	vr_ctl_table_init(&t, BACKEND_ALIGN, backend_heads);
	json_array_foreach(vips, i, v) {
		json_array_foreach(json_object_get(v, "backends"), j, b)
			backend_row(&t, json_object_get(v, "address"), json_object_get(v, "ports"), b);
	}
	return vr_ctl_table_print(r->out, &t, &first);
}

static int r_maglev(struct vr_ctl_render_ctx *r, const json_t *res)
{
	static const char *const heads[] = {"BACKEND", "STATE", "SLOTS", "SHARE"};
	const json_t *list = json_object_get(res, "backends"), *b;
	char name[2 * VR_CTL_TEXT_MAX], buf[32];
	struct vr_ctl_table t;
	bool first = true; /* the table follows its title without a blank line */
	size_t i;

	if (!json_is_array(list))
		return vr_ctl_unexpected(r, "no \"backends\" list");
	fprintf(r->out, "Maglev table of %s: %s slots\n", vr_ctl_vip_name(r->args, name, sizeof(name)),
		VR_CTL_TEXT(res, "size"));
	vr_ctl_table_init(&t, "llrr", heads);
	json_array_foreach(list, i, b) {
		vr_ctl_table_add(&t, VR_CTL_TEXT(b, "address"));
		vr_ctl_table_add(&t, VR_CTL_TEXT(b, "state"));
		vr_ctl_table_add(&t, VR_CTL_TEXT(b, "slots"));
		vr_ctl_table_add(&t, percent(json_object_get(b, "share"), buf, sizeof(buf)));
	}
	return vr_ctl_table_print(r->out, &t, &first);
}

static bool listed(const char *s, const char *const *list)
{
	for (; list != NULL && *list != NULL; list++)
		if (strcmp(s, *list) == 0)
			return true;
	return false;
}

/* Scalars of obj as COUNTER rows, named prefix.key, but those in skip (shown elsewhere); zeros only when keep_zero. */
void vr_ctl_counter_rows(struct vr_ctl_table *t, const json_t *obj, const char *prefix, bool keep_zero,
			 const char *const *skip)
{
	const char *key;
	const json_t *v;
	char name[VR_CTL_TEXT_MAX + 32], clean_key[VR_CTL_TEXT_MAX];

	json_object_foreach((json_t *)obj, key, v) {
		if (json_is_object(v) || json_is_array(v) || json_is_null(v) || listed(key, skip))
			continue;
		if (!keep_zero && json_is_number(v) && json_number_value(v) == 0)
			continue;
		vr_ctl_clean(clean_key, sizeof(clean_key), key);
		snprintf(name, sizeof(name), "%s%s%s", prefix, prefix[0] ? "." : "", clean_key);
		vr_ctl_table_add(t, name);
		vr_ctl_table_add(t, VR_CTL_TEXT(obj, key));
	}
}

static int r_stats(struct vr_ctl_render_ctx *r, const json_t *res)
{
	static const char *const port_heads[] = {"PORT",     "RX_PACKETS", "RX_BYTES", "TX_PACKETS",
						 "TX_BYTES", "RX_MISSED",  "TX_ERRORS"};
	static const char *const lcore_heads[] = {"LCORE", "RX_PACKETS", "TX_PACKETS", "BUSY", "CYCLES/PACKET"};
	static const char *const vip_heads[] = {"ID", "VIP", "PORTS", "RX_PACKETS"};
	static const char *const counter_heads[] = {"COUNTER", "VALUE"};
	static const char *const arrays[] = {"ports", "lcores", "vips", "backends"};
	static const char *const objects[] = {"drops", "conntrack"};
	const json_t *v, *relay;
	struct vr_ctl_table t;
	bool first = true;
	char buf[32];
	size_t i;
	int rc;

	for (i = 0; i < 4; i++)
		if (!json_is_array(json_object_get(res, arrays[i])))
			return vr_ctl_unexpected(r, "no \"%s\" list", arrays[i]);
	for (i = 0; i < 2; i++)
		if (!json_is_object(json_object_get(res, objects[i])))
			return vr_ctl_unexpected(r, "no \"%s\" object", objects[i]);

	vr_ctl_table_init(&t, "lrrrrrr", port_heads);
	json_array_foreach(json_object_get(res, "ports"), i, v) {
		vr_ctl_table_add(&t, VR_CTL_TEXT(v, "name"));
		vr_ctl_table_add(&t, VR_CTL_TEXT(v, "rx_packets"));
		vr_ctl_table_add(&t, VR_CTL_TEXT(v, "rx_bytes"));
		vr_ctl_table_add(&t, VR_CTL_TEXT(v, "tx_packets"));
		vr_ctl_table_add(&t, VR_CTL_TEXT(v, "tx_bytes"));
		vr_ctl_table_add(&t, VR_CTL_TEXT(v, "rx_missed"));
		vr_ctl_table_add(&t, VR_CTL_TEXT(v, "tx_errors"));
	}
	if ((rc = vr_ctl_table_print(r->out, &t, &first)) != 0)
		return rc;

	vr_ctl_table_init(&t, "rrrrr", lcore_heads);
	json_array_foreach(json_object_get(res, "lcores"), i, v) {
		const json_t *busy = json_object_get(v, "busy_cycles"), *total = json_object_get(v, "total_cycles");
		const json_t *cpp = json_object_get(v, "cycles_per_packet");

		vr_ctl_table_add(&t, VR_CTL_TEXT(v, "lcore"));
		vr_ctl_table_add(&t, VR_CTL_TEXT(v, "rx_packets"));
		vr_ctl_table_add(&t, VR_CTL_TEXT(v, "tx_packets"));
		if (json_is_number(busy) && json_is_number(total) && json_number_value(total) > 0) {
			snprintf(buf, sizeof(buf), "%.1f%%",
				 100.0 * json_number_value(busy) / json_number_value(total));
			vr_ctl_table_add(&t, buf);
		} else {
			vr_ctl_table_add(&t, "-");
		}
		if (json_is_number(cpp)) {
			snprintf(buf, sizeof(buf), "%.1f", json_number_value(cpp));
			vr_ctl_table_add(&t, buf);
		} else {
			vr_ctl_table_add(&t, "-");
		}
	}
	if ((rc = vr_ctl_table_print(r->out, &t, &first)) != 0)
		return rc;

	vr_ctl_table_init(&t, "rllr", vip_heads);
	json_array_foreach(json_object_get(res, "vips"), i, v) {
		vr_ctl_table_add(&t, VR_CTL_TEXT(v, "id"));
		vr_ctl_table_add(&t, VR_CTL_TEXT(v, "address"));
		vr_ctl_table_add(&t, PORTS(v, "ports"));
		vr_ctl_table_add(&t, VR_CTL_TEXT(v, "rx_packets"));
	}
	if ((rc = vr_ctl_table_print(r->out, &t, &first)) != 0)
		return rc;

	vr_ctl_table_init(&t, BACKEND_ALIGN, backend_heads);
	json_array_foreach(json_object_get(res, "backends"), i, v)
		backend_row(&t, json_object_get(v, "vip"), json_object_get(v, "vip_ports"), v);
	if ((rc = vr_ctl_table_print(r->out, &t, &first)) != 0)
		return rc;

	/* role relay: its totals in a row, and below its drops */
	relay = json_object_get(res, "relay");
	if ((rc = vr_ctl_render_stats_relay(r, relay, &first)) != 0)
		return rc;

	/* the rest: every scalar, whatever the dataplane adds later; drops only where they happened */
	vr_ctl_table_init(&t, "lr", counter_heads);
	vr_ctl_counter_rows(&t, json_object_get(res, "conntrack"), "conntrack", true, NULL);
	vr_ctl_counter_rows(&t, json_object_get(res, "drops"), "drops", false, NULL);
	vr_ctl_relay_counter_rows(&t, relay);
	vr_ctl_counter_rows(&t, res, "", true, NULL);
	return vr_ctl_table_print(r->out, &t, &first);
}

static int r_conntrack_list(struct vr_ctl_render_ctx *r, const json_t *res)
{
	static const char *const heads[] = {"CLIENT", "VIP", "BACKEND", "IDLE_MS", "LCORE"};
	const json_t *list = json_object_get(res, "entries"), *e;
	char buf[2 * VR_CTL_TEXT_MAX];
	struct vr_ctl_table t;
	bool first = true;
	size_t i, n;
	int rc;

	if (!json_is_array(list))
		return vr_ctl_unexpected(r, "no \"entries\" list");
	n = json_array_size(list);
	vr_ctl_table_init(&t, "lllrr", heads);
	json_array_foreach(list, i, e) {
		vr_ctl_table_add(&t, vr_ctl_endpoint(e, "client", "client_port", buf, sizeof(buf)));
		vr_ctl_table_add(&t, vr_ctl_endpoint(e, "vip", "vip_port", buf, sizeof(buf)));
		vr_ctl_table_add(&t, VR_CTL_TEXT(e, "backend"));
		vr_ctl_table_add(&t, VR_CTL_TEXT(e, "idle_ms"));
		vr_ctl_table_add(&t, VR_CTL_TEXT(e, "lcore"));
	}
	if ((rc = vr_ctl_table_print(r->out, &t, &first)) != 0)
		return rc;
	if (json_is_true(json_object_get(res, "truncated")))
		fprintf(r->out, "%zu entr%s shown; more match (--limit raises the limit, up to 10000)\n", n,
			n == 1 ? "y" : "ies");
	else
		fprintf(r->out, "%zu entr%s\n", n, n == 1 ? "y" : "ies");
	return 0;
}

/* "weight 2, draining, 16384 Maglev slots (25.00%), 3 flows" */
static const char *backend_summary(const json_t *b, char *buf, size_t len)
{
	char pct[32];

	snprintf(buf, len, "weight %s, %s, %s Maglev slots (%s), %s flows", VR_CTL_TEXT(b, "weight"),
		 VR_CTL_TEXT(b, "state"), VR_CTL_TEXT(b, "maglev_slots"),
		 percent(json_object_get(b, "maglev_share"), pct, sizeof(pct)), VR_CTL_TEXT(b, "flows"));
	return buf;
}

static int r_change(struct vr_ctl_render_ctx *r, const json_t *res)
{
	char vip[2 * VR_CTL_TEXT_MAX], sum[4 * VR_CTL_TEXT_MAX];
	const json_t *v;

	if (strcmp(r->op, "vip.add") == 0) {
		if (!json_is_object(v = json_object_get(res, "vip")))
			return vr_ctl_unexpected(r, "no \"vip\" object");
		fprintf(r->out, "added VIP %s ports %s (id %s, hash %s, encap %s, %zu backends)\n",
			VR_CTL_TEXT(v, "address"), PORTS(v, "ports"), VR_CTL_TEXT(v, "id"), VR_CTL_TEXT(v, "hash"),
			VR_CTL_TEXT(v, "encap"), json_array_size(json_object_get(v, "backends")));
	} else if (strcmp(r->op, "vip.remove") == 0) {
		fprintf(r->out, "removed the VIP of %s\n", vr_ctl_vip_name(r->args, vip, sizeof(vip)));
	} else if (strcmp(r->op, "backend.add") == 0 || strcmp(r->op, "backend.set") == 0) {
		bool add = strcmp(r->op, "backend.add") == 0;

		if (!json_is_object(v = json_object_get(res, "backend")))
			return vr_ctl_unexpected(r, "no \"backend\" object");
		fprintf(r->out, "%s backend %s %s VIP %s: %s\n", add ? "added" : "changed", VR_CTL_TEXT(v, "address"),
			add ? "to" : "of", vr_ctl_vip_name(r->args, vip, sizeof(vip)),
			backend_summary(v, sum, sizeof(sum)));
	} else if (strcmp(r->op, "backend.remove") == 0) {
		fprintf(r->out, "removed backend %s from VIP %s\n", VR_CTL_TEXT(r->args, "address"),
			vr_ctl_vip_name(r->args, vip, sizeof(vip)));
	} else if (strcmp(r->op, "conntrack.flush") == 0) {
		if (!json_is_integer(v = json_object_get(res, "flushed")))
			return vr_ctl_unexpected(r, "no \"flushed\" count");
		fprintf(r->out, "flushed %" JSON_INTEGER_FORMAT " conntrack entr%s\n", json_integer_value(v),
			json_integer_value(v) == 1 ? "y" : "ies");
	} else if (strcmp(r->op, "reload") == 0) {
		fprintf(r->out, "reloaded the configuration file: state generation %s\n",
			VR_CTL_TEXT(res, "state_generation"));
	} else {
		return 1; /* not a change */
	}
	return 0;
}

/*
 * An op this file does not know: better the raw result than nothing. ASCII
 * escapes every control character but DEL, which JSON lets through raw.
 */
static int unknown_op(FILE *out, const json_t *result)
{
	char *s = json_dumps(result, JSON_INDENT(2) | JSON_ENSURE_ASCII);
	int rc = 0;

	if (s == NULL)
		return -ENOMEM;
	for (char *c = s; *c != '\0'; c++)
		if (*c == 0x7f)
			*c = '?';
	if (fputs(s, out) == EOF || fputc('\n', out) == EOF)
		rc = -EIO;
	free(s);
	return rc;
}

int vr_ctl_render(FILE *out, const json_t *request, const json_t *result, char *err, size_t errlen)
{
	struct vr_ctl_render_ctx r = {out, json_object_get(request, "args"),
				      json_string_value(json_object_get(request, "op")), err, errlen};
	int rc;

	if (err != NULL && errlen != 0)
		err[0] = '\0';
	if (r.op == NULL)
		r.op = "";
	if (!json_is_object(result))
		return vr_ctl_unexpected(&r, "the result is not an object");
	if (strcmp(r.op, "ping") == 0)
		return r_ping(&r, result);
	if (strcmp(r.op, "vip.list") == 0)
		return r_vip_list(&r, result);
	if (strcmp(r.op, "maglev.shares") == 0)
		return r_maglev(&r, result);
	if (strcmp(r.op, "stats") == 0)
		return r_stats(&r, result);
	if (strcmp(r.op, "conntrack.list") == 0)
		return r_conntrack_list(&r, result);
	if (strcmp(r.op, "room.list") == 0)
		return vr_ctl_render_room_list(&r, result);
	if (strcmp(r.op, "room.show") == 0)
		return vr_ctl_render_room_show(&r, result);
	if (strcmp(r.op, "relay.slowpath") == 0)
		return vr_ctl_render_slowpath(&r, result);
	rc = r_change(&r, result);
	if (rc <= 0)
		return rc;
	rc = vr_ctl_render_relay_change(&r, result);
	if (rc <= 0)
		return rc;
	return unknown_op(out, result);
}

int vr_ctl_render_json(FILE *out, const json_t *result)
{
	/* jansson's default 17 digits: a program gets back the very double the dataplane sent */
	if (json_dumpf(result, out, JSON_INDENT(2)) != 0 || fputc('\n', out) == EOF)
		return -EIO;
	return 0;
}

void vr_ctl_render_refusal(FILE *out, const struct vr_ctl_response *r)
{
	char code[64], msg[1024];

	vr_ctl_clean(code, sizeof(code), r->code ? r->code : "?");
	vr_ctl_clean(msg, sizeof(msg), r->message ? r->message : "");
	if (msg[0] != '\0')
		fprintf(out, "%s: %s\n", code, msg);
	else
		fprintf(out, "%s\n", code);
}
