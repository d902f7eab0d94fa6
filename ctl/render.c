/* SPDX-License-Identifier: BSD-3-Clause */
/* voxrelayctl's output: a result as aligned tables or one confirmation line for people, or as indented JSON for programs. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

/* Longest text of one value: longer dataplane strings are cut, as a table would be unreadable anyway. */
#define TEXT_MAX 256

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
static void clean(char *dst, size_t len, const char *s)
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
static const char *text(const json_t *v, char *buf, size_t len)
{
	if (v == NULL)
		return "-";
	switch (json_typeof(v)) {
	case JSON_STRING:
		if (json_string_length(v) == 0)
			return "-";
		clean(buf, len, json_string_value(v));
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

#define TEXT(obj, key) text(json_object_get((obj), (key)), (char[TEXT_MAX]){0}, TEXT_MAX)

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
	const char *s = text(v, buf, len), *dash = strchr(s, '-');
	size_t n;

	if (dash == NULL || s != buf)
		return s;
	n = (size_t)(dash - s);
	if (n == 0 || strlen(dash + 1) != n || strncmp(s, dash + 1, n) != 0)
		return s;
	buf[n] = '\0';
	return buf;
}

#define PORTS(obj, key) ports(json_object_get((obj), (key)), (char[TEXT_MAX]){0}, TEXT_MAX)

/* ADDR:PORT, with the IPv6 address in brackets. */
static const char *endpoint(const json_t *obj, const char *akey, const char *pkey, char *buf, size_t len)
{
	char a[TEXT_MAX];
	const char *addr = text(json_object_get(obj, akey), a, sizeof(a));
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

struct table {
	size_t ncols;
	const char *align; /* per column: 'l' or 'r' */
	size_t ncells, cap;
	char **cells; /* row after row, the header first */
	int rc;
};

static void table_add(struct table *t, const char *s)
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

static void table_init(struct table *t, const char *align, const char *const *heads)
{
	*t = (struct table){.ncols = strlen(align), .align = align};
	for (size_t i = 0; i < t->ncols; i++)
		table_add(t, heads[i]);
}

static void table_free(struct table *t)
{
	for (size_t i = 0; i < t->ncells; i++)
		free(t->cells[i]);
	free(t->cells);
	t->cells = NULL;
	t->ncells = t->cap = 0;
}

/* Prints the table (nothing when it has no row), frees it, and returns its first failure. */
static int table_print(FILE *out, struct table *t, bool *first)
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

struct render {
	FILE *out;
	const json_t *args; /* of the request */
	const char *op;
	char *err;
	size_t errlen;
};

static int unexpected(struct render *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int unexpected(struct render *r, const char *fmt, ...)
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
static const char *vip_name(const json_t *args, char *buf, size_t len)
{
	char a[TEXT_MAX], p[32];

	snprintf(buf, len, "%s port %s", text(json_object_get(args, "vip"), a, sizeof(a)),
		 text(json_object_get(args, "port"), p, sizeof(p)));
	return buf;
}

static const char *const backend_heads[] = {"VIP", "PORTS", "BACKEND", "ID", "WEIGHT", "STATE",
					     "SLOTS", "SHARE", "FLOWS", "TX_PACKETS", "TX_BYTES"};
#define BACKEND_ALIGN "lllrrlrrrrr"

static void backend_row(struct table *t, const json_t *vip, const json_t *range, const json_t *b)
{
	char buf[TEXT_MAX];

	table_add(t, text(vip, buf, sizeof(buf)));
	table_add(t, ports(range, buf, sizeof(buf)));
	table_add(t, TEXT(b, "address"));
	table_add(t, TEXT(b, "id"));
	table_add(t, TEXT(b, "weight"));
	table_add(t, TEXT(b, "state"));
	table_add(t, TEXT(b, "maglev_slots"));
	table_add(t, percent(json_object_get(b, "maglev_share"), buf, sizeof(buf)));
	table_add(t, TEXT(b, "flows"));
	table_add(t, TEXT(b, "tx_packets"));
	table_add(t, TEXT(b, "tx_bytes"));
}

static int r_ping(struct render *r, const json_t *res)
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
		uptime = text(up, buf, sizeof(buf));
	}
	fprintf(r->out, "voxrelay-dp %s, role %s, state generation %s, up %s\n", TEXT(res, "version"),
		TEXT(res, "role"), TEXT(res, "state_generation"), uptime);
	return 0;
}

static int r_vip_list(struct render *r, const json_t *res)
{
	static const char *const vip_heads[] = {"ID", "VIP", "PORTS", "HASH", "ENCAP", "GUE_PORT", "BACKENDS",
						"RX_PACKETS"};
	const json_t *vips = json_object_get(res, "vips"), *v, *b;
	struct table t;
	size_t i, j;
	bool first = true;
	char buf[32];
	int rc;

	if (!json_is_array(vips))
		return unexpected(r, "no \"vips\" list");
	if (json_array_size(vips) == 0) {
		fprintf(r->out, "no VIPs\n");
		return 0;
	}
	table_init(&t, "rllllrrr", vip_heads);
	json_array_foreach(vips, i, v) {
		const json_t *list = json_object_get(v, "backends");

		table_add(&t, TEXT(v, "id"));
		table_add(&t, TEXT(v, "address"));
		table_add(&t, PORTS(v, "ports"));
		table_add(&t, TEXT(v, "hash"));
		table_add(&t, TEXT(v, "encap"));
		table_add(&t, TEXT(v, "gue_port"));
		if (json_is_array(list))
			snprintf(buf, sizeof(buf), "%zu", json_array_size(list));
		table_add(&t, json_is_array(list) ? buf : "-");
		table_add(&t, TEXT(v, "rx_packets"));
	}
	rc = table_print(r->out, &t, &first);
	if (rc != 0)
		return rc;
	table_init(&t, BACKEND_ALIGN, backend_heads);
	json_array_foreach(vips, i, v) {
		json_array_foreach(json_object_get(v, "backends"), j, b)
			backend_row(&t, json_object_get(v, "address"), json_object_get(v, "ports"), b);
	}
	return table_print(r->out, &t, &first);
}

static int r_maglev(struct render *r, const json_t *res)
{
	static const char *const heads[] = {"BACKEND", "STATE", "SLOTS", "SHARE"};
	const json_t *list = json_object_get(res, "backends"), *b;
	char name[2 * TEXT_MAX], buf[32];
	struct table t;
	bool first = true; /* the table follows its title without a blank line */
	size_t i;

	if (!json_is_array(list))
		return unexpected(r, "no \"backends\" list");
	fprintf(r->out, "Maglev table of %s: %s slots\n", vip_name(r->args, name, sizeof(name)), TEXT(res, "size"));
	table_init(&t, "llrr", heads);
	json_array_foreach(list, i, b) {
		table_add(&t, TEXT(b, "address"));
		table_add(&t, TEXT(b, "state"));
		table_add(&t, TEXT(b, "slots"));
		table_add(&t, percent(json_object_get(b, "share"), buf, sizeof(buf)));
	}
	return table_print(r->out, &t, &first);
}

static bool listed(const char *s, const char *const *list)
{
	for (; list != NULL && *list != NULL; list++)
		if (strcmp(s, *list) == 0)
			return true;
	return false;
}

/* Scalars of obj as COUNTER rows, named prefix.key, but those in skip (shown elsewhere); zeros only when keep_zero. */
static void counter_rows(struct table *t, const json_t *obj, const char *prefix, bool keep_zero,
			 const char *const *skip)
{
	const char *key;
	const json_t *v;
	char name[TEXT_MAX + 32], clean_key[TEXT_MAX];

	json_object_foreach((json_t *)obj, key, v) {
		if (json_is_object(v) || json_is_array(v) || json_is_null(v) || listed(key, skip))
			continue;
		if (!keep_zero && json_is_number(v) && json_number_value(v) == 0)
			continue;
		clean(clean_key, sizeof(clean_key), key);
		snprintf(name, sizeof(name), "%s%s%s", prefix, prefix[0] ? "." : "", clean_key);
		table_add(t, name);
		table_add(t, TEXT(obj, key));
	}
}

static int r_stats(struct render *r, const json_t *res)
{
	static const char *const port_heads[] = {"PORT",     "RX_PACKETS", "RX_BYTES", "TX_PACKETS",
						 "TX_BYTES", "RX_MISSED",  "TX_ERRORS"};
	static const char *const lcore_heads[] = {"LCORE", "RX_PACKETS", "TX_PACKETS", "BUSY", "CYCLES/PACKET"};
	static const char *const vip_heads[] = {"ID", "VIP", "PORTS", "RX_PACKETS"};
	static const char *const counter_heads[] = {"COUNTER", "VALUE"};
	static const char *const relay_heads[] = {"ROOMS", "MEMBERS", "RX_PACKETS",  "TX_PACKETS", "SLOW_PATH",
						  "STUN",  "DTLS",    "HANDOFF_OUT", "HANDOFF_IN"};
	static const char *const relay_keys[] = {"rooms", "members", "rx_packets",  "tx_packets", "slow_path",
						 "stun",  "dtls",    "handoff_out", "handoff_in", NULL};
	static const char *const arrays[] = {"ports", "lcores", "vips", "backends"};
	static const char *const objects[] = {"drops", "conntrack"};
	const json_t *v, *relay;
	struct table t;
	bool first = true;
	char buf[32];
	size_t i;
	int rc;

	for (i = 0; i < 4; i++)
		if (!json_is_array(json_object_get(res, arrays[i])))
			return unexpected(r, "no \"%s\" list", arrays[i]);
	for (i = 0; i < 2; i++)
		if (!json_is_object(json_object_get(res, objects[i])))
			return unexpected(r, "no \"%s\" object", objects[i]);

	table_init(&t, "lrrrrrr", port_heads);
	json_array_foreach(json_object_get(res, "ports"), i, v) {
		table_add(&t, TEXT(v, "name"));
		table_add(&t, TEXT(v, "rx_packets"));
		table_add(&t, TEXT(v, "rx_bytes"));
		table_add(&t, TEXT(v, "tx_packets"));
		table_add(&t, TEXT(v, "tx_bytes"));
		table_add(&t, TEXT(v, "rx_missed"));
		table_add(&t, TEXT(v, "tx_errors"));
	}
	if ((rc = table_print(r->out, &t, &first)) != 0)
		return rc;

	table_init(&t, "rrrrr", lcore_heads);
	json_array_foreach(json_object_get(res, "lcores"), i, v) {
		const json_t *busy = json_object_get(v, "busy_cycles"), *total = json_object_get(v, "total_cycles");
		const json_t *cpp = json_object_get(v, "cycles_per_packet");

		table_add(&t, TEXT(v, "lcore"));
		table_add(&t, TEXT(v, "rx_packets"));
		table_add(&t, TEXT(v, "tx_packets"));
		if (json_is_number(busy) && json_is_number(total) && json_number_value(total) > 0) {
			snprintf(buf, sizeof(buf), "%.1f%%", 100.0 * json_number_value(busy) / json_number_value(total));
			table_add(&t, buf);
		} else {
			table_add(&t, "-");
		}
		if (json_is_number(cpp)) {
			snprintf(buf, sizeof(buf), "%.1f", json_number_value(cpp));
			table_add(&t, buf);
		} else {
			table_add(&t, "-");
		}
	}
	if ((rc = table_print(r->out, &t, &first)) != 0)
		return rc;

	table_init(&t, "rllr", vip_heads);
	json_array_foreach(json_object_get(res, "vips"), i, v) {
		table_add(&t, TEXT(v, "id"));
		table_add(&t, TEXT(v, "address"));
		table_add(&t, PORTS(v, "ports"));
		table_add(&t, TEXT(v, "rx_packets"));
	}
	if ((rc = table_print(r->out, &t, &first)) != 0)
		return rc;

	table_init(&t, BACKEND_ALIGN, backend_heads);
	json_array_foreach(json_object_get(res, "backends"), i, v)
		backend_row(&t, json_object_get(v, "vip"), json_object_get(v, "vip_ports"), v);
	if ((rc = table_print(r->out, &t, &first)) != 0)
		return rc;

	/* role relay: its totals in a row, and below its drops */
	relay = json_object_get(res, "relay");
	if (json_is_object(relay)) {
		table_init(&t, "rrrrrrrrr", relay_heads);
		for (i = 0; relay_keys[i] != NULL; i++)
			table_add(&t, TEXT(relay, relay_keys[i]));
		if ((rc = table_print(r->out, &t, &first)) != 0)
			return rc;
	}

	/* the rest: every scalar, whatever the dataplane adds later; drops only where they happened */
	table_init(&t, "lr", counter_heads);
	counter_rows(&t, json_object_get(res, "conntrack"), "conntrack", true, NULL);
	counter_rows(&t, json_object_get(res, "drops"), "drops", false, NULL);
	if (json_is_object(relay)) {
		counter_rows(&t, relay, "relay", true, relay_keys);
		counter_rows(&t, json_object_get(relay, "drops"), "relay.drops", false, NULL);
	}
	counter_rows(&t, res, "", true, NULL);
	return table_print(r->out, &t, &first);
}

static int r_conntrack_list(struct render *r, const json_t *res)
{
	static const char *const heads[] = {"CLIENT", "VIP", "BACKEND", "IDLE_MS", "LCORE"};
	const json_t *list = json_object_get(res, "entries"), *e;
	char buf[2 * TEXT_MAX];
	struct table t;
	bool first = true;
	size_t i, n;
	int rc;

	if (!json_is_array(list))
		return unexpected(r, "no \"entries\" list");
	n = json_array_size(list);
	table_init(&t, "lllrr", heads);
	json_array_foreach(list, i, e) {
		table_add(&t, endpoint(e, "client", "client_port", buf, sizeof(buf)));
		table_add(&t, endpoint(e, "vip", "vip_port", buf, sizeof(buf)));
		table_add(&t, TEXT(e, "backend"));
		table_add(&t, TEXT(e, "idle_ms"));
		table_add(&t, TEXT(e, "lcore"));
	}
	if ((rc = table_print(r->out, &t, &first)) != 0)
		return rc;
	if (json_is_true(json_object_get(res, "truncated")))
		fprintf(r->out, "%zu entr%s shown; more match (--limit raises the limit, up to 10000)\n", n,
			n == 1 ? "y" : "ies");
	else
		fprintf(r->out, "%zu entr%s\n", n, n == 1 ? "y" : "ies");
	return 0;
}

/* ------------------------------------------------------------------ */
/* relay */

/* A number with two decimals (a jitter in ms), "-" when it is none. */
static const char *fixed2(const json_t *v, char *buf, size_t len)
{
	if (!json_is_number(v))
		return "-";
	snprintf(buf, len, "%.2f", json_number_value(v));
	return buf;
}

#define FIXED2(obj, key) fixed2(json_object_get((obj), (key)), (char[32]){0}, 32)

/* "s" unless the count is 1. */
static const char *plural(const json_t *v)
{
	return json_is_integer(v) && json_integer_value(v) == 1 ? "" : "s";
}

/* RFC 6464's extension id of a room: 0 is none. */
static const char *audio_level(const json_t *room, char *buf, size_t len)
{
	const json_t *v = json_object_get(room, "audio_level_id");

	if (json_is_integer(v) && json_integer_value(v) == 0)
		return "no audio level";
	snprintf(buf, len, "audio level id %s", TEXT(room, "audio_level_id"));
	return buf;
}

#define AUDIO_LEVEL(room) audio_level((room), (char[TEXT_MAX + 32]){0}, TEXT_MAX + 32)
/* "10.77.200.1 port 40000": a room by its VIP and port, as the commands name it */
#define ROOM_NAME(room) vip_name((room), (char[2 * TEXT_MAX]){0}, 2 * TEXT_MAX)

static int by_id(const void *a, const void *b)
{
	const json_t *x = json_object_get(*(const json_t *const *)a, "id");
	const json_t *y = json_object_get(*(const json_t *const *)b, "id");
	json_int_t i = json_is_integer(x) ? json_integer_value(x) : -1;
	json_int_t j = json_is_integer(y) ? json_integer_value(y) : -1;

	return (i > j) - (i < j);
}

static int r_room_list(struct render *r, const json_t *res)
{
	static const char *const heads[] = {"ID",           "VIP",          "PORT",           "MEMBERS",
					    "MAX_MEMBERS", "MAX_SPEAKERS", "AUDIO_LEVEL_ID", "LCORE"};
	const json_t *list = json_object_get(res, "rooms"), **rooms;
	struct table t;
	bool first = true;
	size_t i, n;
	int rc;

	if (!json_is_array(list))
		return unexpected(r, "no \"rooms\" list");
	n = json_array_size(list);
	/* the dataplane lists them in its hash's order: people read them by id */
	rooms = malloc((n ? n : 1) * sizeof(*rooms));
	if (rooms == NULL)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		rooms[i] = json_array_get(list, i);
	qsort(rooms, n, sizeof(*rooms), by_id);
	table_init(&t, "rllrrrrr", heads);
	for (i = 0; i < n; i++) {
		table_add(&t, TEXT(rooms[i], "id"));
		table_add(&t, TEXT(rooms[i], "vip"));
		table_add(&t, TEXT(rooms[i], "port"));
		table_add(&t, TEXT(rooms[i], "members"));
		table_add(&t, TEXT(rooms[i], "max_members"));
		table_add(&t, TEXT(rooms[i], "max_speakers"));
		table_add(&t, TEXT(rooms[i], "audio_level_id"));
		table_add(&t, TEXT(rooms[i], "lcore"));
	}
	free(rooms);
	if ((rc = table_print(r->out, &t, &first)) != 0)
		return rc;
	fprintf(r->out, "%zu room%s of at most %s\n", n, n == 1 ? "" : "s", TEXT(res, "max_rooms"));
	return 0;
}

/* "drops: relay_auth_fail 2, relay_replay 1": the reasons that happened, no line when none did. */
static void drop_line(FILE *out, const json_t *drops)
{
	const char *key, *sep = "drops: ";
	const json_t *v;
	char name[TEXT_MAX];

	json_object_foreach((json_t *)drops, key, v) {
		if (!json_is_number(v) || json_number_value(v) == 0)
			continue;
		clean(name, sizeof(name), key);
		fprintf(out, "%s%s %s", sep, name, TEXT(drops, key));
		sep = ", ";
	}
	if (sep[0] == ',')
		fputc('\n', out);
}

static int r_room_show(struct render *r, const json_t *res)
{
	static const char *const member_heads[] = {"ID",         "SUITE",    "ADDRESS",    "FIXED",
						   "VERIFIED",   "LATCHED",  "RX_PACKETS", "RX_BYTES",
						   "TX_PACKETS", "TX_BYTES", "RX_DROPS",   "RELATCHES"};
	static const char *const ssrc_heads[] = {"MEMBER",    "SSRC", "PACKETS", "LOST", "EXT_SEQ",
						 "JITTER_MS", "ROC",  "RTCP"};
	const json_t *room = json_object_get(res, "room"), *members = json_object_get(res, "members"), *m, *ss;
	char buf[2 * TEXT_MAX];
	struct table t;
	bool first = true; /* the member table follows the room's lines without a blank line */
	size_t i, j;
	int rc;

	if (!json_is_object(room))
		return unexpected(r, "no \"room\" object");
	if (!json_is_array(members))
		return unexpected(r, "no \"members\" list");
	fprintf(r->out,
		"room %s (id %s, lcore %s): %s of %s members, at most %s speaker%s, %s; %s packets in, %s out, "
		"%s to the slow path\n",
		ROOM_NAME(room), TEXT(room, "id"), TEXT(room, "lcore"), TEXT(room, "members"), TEXT(room, "max_members"),
		TEXT(room, "max_speakers"), plural(json_object_get(room, "max_speakers")), AUDIO_LEVEL(room),
		TEXT(room, "rx_packets"), TEXT(room, "tx_packets"), TEXT(room, "slow_path"));
	drop_line(r->out, json_object_get(room, "drops"));
	if (json_array_size(members) == 0) {
		fprintf(r->out, "no members\n");
		return 0;
	}

	table_init(&t, "rlllllrrrrrr", member_heads);
	json_array_foreach(members, i, m) {
		const json_t *c = json_object_get(m, "counters");

		table_add(&t, TEXT(m, "id"));
		table_add(&t, TEXT(m, "suite"));
		/* no address until one is fixed or latched */
		table_add(&t, json_is_string(json_object_get(m, "address"))
				      ? endpoint(m, "address", "client_port", buf, sizeof(buf))
				      : "-");
		table_add(&t, TEXT(m, "fixed"));
		table_add(&t, TEXT(m, "verified"));
		table_add(&t, TEXT(m, "latched"));
		table_add(&t, TEXT(c, "rx_packets"));
		table_add(&t, TEXT(c, "rx_bytes"));
		table_add(&t, TEXT(c, "tx_packets"));
		table_add(&t, TEXT(c, "tx_bytes"));
		table_add(&t, TEXT(c, "rx_drops"));
		table_add(&t, TEXT(c, "relatches"));
	}
	if ((rc = table_print(r->out, &t, &first)) != 0)
		return rc;

	table_init(&t, "rrrrrrrr", ssrc_heads);
	json_array_foreach(members, i, m) {
		json_array_foreach(json_object_get(m, "ssrcs"), j, ss) {
			/* before its first packet a stream has no sequence, jitter or rollover yet */
			bool idle = json_is_false(json_object_get(ss, "started"));

			table_add(&t, TEXT(m, "id"));
			table_add(&t, TEXT(ss, "ssrc"));
			table_add(&t, TEXT(ss, "packets"));
			table_add(&t, TEXT(ss, "cumulative_lost"));
			table_add(&t, idle ? "-" : TEXT(ss, "ext_highest_seq"));
			table_add(&t, idle ? "-" : FIXED2(ss, "jitter_ms"));
			table_add(&t, idle ? "-" : TEXT(ss, "roc"));
			table_add(&t, TEXT(ss, "rtcp_packets"));
		}
	}
	return table_print(r->out, &t, &first);
}

/* Hex digits of a datagram shown in a table: its first 32 bytes. */
#define SLOW_HEX_SHOWN 64

static int r_slowpath(struct render *r, const json_t *res)
{
	static const char *const heads[] = {"MONO_NS", "KIND", "VIP", "SOURCE", "ENCAP", "LEN", "DATA"};
	const json_t *list = json_object_get(res, "datagrams"), *d;
	char buf[2 * TEXT_MAX], hex[SLOW_HEX_SHOWN + 4];
	struct table t;
	bool first = true;
	size_t i, n;
	int rc;

	if (!json_is_array(list))
		return unexpected(r, "no \"datagrams\" list");
	n = json_array_size(list);
	table_init(&t, "rllllrl", heads);
	json_array_foreach(list, i, d) {
		const char *h = TEXT(d, "hex");

		table_add(&t, TEXT(d, "mono_ns"));
		table_add(&t, TEXT(d, "kind"));
		table_add(&t, endpoint(d, "vip", "port", buf, sizeof(buf)));
		table_add(&t, endpoint(d, "src", "sport", buf, sizeof(buf)));
		table_add(&t, TEXT(d, "encap"));
		table_add(&t, TEXT(d, "len"));
		/* the whole datagram is --json's; "..." says there is more than shown */
		snprintf(hex, sizeof(hex), "%.*s%s", SLOW_HEX_SHOWN, h,
			 strlen(h) > SLOW_HEX_SHOWN || json_is_true(json_object_get(d, "truncated")) ? "..." : "");
		table_add(&t, hex);
	}
	if ((rc = table_print(r->out, &t, &first)) != 0)
		return rc;
	fprintf(r->out, "%zu datagram%s%s; %s queued, %s received, %s overwritten, %s read, %s malformed\n", n,
		n == 1 ? "" : "s", json_is_true(json_object_get(r->args, "peek")) ? " (peeked: still queued)" : "",
		TEXT(res, "queued"), TEXT(res, "received"), TEXT(res, "overwritten"), TEXT(res, "read"),
		TEXT(res, "malformed"));
	return 0;
}

/* The changes of rooms and members; 1 when op is none of them. */
static int r_relay_change(struct render *r, const json_t *res)
{
	const json_t *room = json_object_get(res, "room");
	char addr[2 * TEXT_MAX];

	if (strcmp(r->op, "room.add") != 0 && strcmp(r->op, "room.remove") != 0 && strcmp(r->op, "member.add") != 0 &&
	    strcmp(r->op, "member.remove") != 0 && strcmp(r->op, "member.set") != 0)
		return 1;
	if (!json_is_object(room))
		return unexpected(r, "no \"room\" object");
	if (strcmp(r->op, "room.add") == 0)
		fprintf(r->out, "added room %s (id %s, lcore %s): at most %s members and %s speaker%s, %s\n",
			ROOM_NAME(room), TEXT(room, "id"), TEXT(room, "lcore"), TEXT(room, "max_members"),
			TEXT(room, "max_speakers"), plural(json_object_get(room, "max_speakers")), AUDIO_LEVEL(room));
	else if (strcmp(r->op, "room.remove") == 0)
		fprintf(r->out, "removed room %s (id %s) and its %s member%s\n", ROOM_NAME(room), TEXT(room, "id"),
			TEXT(room, "members"), plural(json_object_get(room, "members")));
	else if (strcmp(r->op, "member.add") == 0)
		fprintf(r->out, "added member %s to room %s: %s of %s members\n", TEXT(res, "member"), ROOM_NAME(room),
			TEXT(room, "members"), TEXT(room, "max_members"));
	else if (strcmp(r->op, "member.remove") == 0)
		fprintf(r->out, "removed member %s from room %s: %s of %s members left\n", TEXT(res, "member"),
			ROOM_NAME(room), TEXT(room, "members"), TEXT(room, "max_members"));
	else if (json_object_get(r->args, "client_address") != NULL)
		fprintf(r->out, "changed member %s of room %s: fixed at %s\n", TEXT(res, "member"), ROOM_NAME(room),
			endpoint(r->args, "client_address", "client_port", addr, sizeof(addr)));
	else
		fprintf(r->out, "changed member %s of room %s: address forgotten, latched again from its next "
				"authenticated packet\n",
			TEXT(res, "member"), ROOM_NAME(room));
	return 0;
}

/* "weight 2, draining, 16384 Maglev slots (25.00%), 3 flows" */
static const char *backend_summary(const json_t *b, char *buf, size_t len)
{
	char pct[32];

	snprintf(buf, len, "weight %s, %s, %s Maglev slots (%s), %s flows", TEXT(b, "weight"), TEXT(b, "state"),
		 TEXT(b, "maglev_slots"), percent(json_object_get(b, "maglev_share"), pct, sizeof(pct)),
		 TEXT(b, "flows"));
	return buf;
}

static int r_change(struct render *r, const json_t *res)
{
	char vip[2 * TEXT_MAX], sum[4 * TEXT_MAX];
	const json_t *v;

	if (strcmp(r->op, "vip.add") == 0) {
		if (!json_is_object(v = json_object_get(res, "vip")))
			return unexpected(r, "no \"vip\" object");
		fprintf(r->out, "added VIP %s ports %s (id %s, hash %s, encap %s, %zu backends)\n", TEXT(v, "address"),
			PORTS(v, "ports"), TEXT(v, "id"), TEXT(v, "hash"), TEXT(v, "encap"),
			json_array_size(json_object_get(v, "backends")));
	} else if (strcmp(r->op, "vip.remove") == 0) {
		fprintf(r->out, "removed the VIP of %s\n", vip_name(r->args, vip, sizeof(vip)));
	} else if (strcmp(r->op, "backend.add") == 0 || strcmp(r->op, "backend.set") == 0) {
		bool add = strcmp(r->op, "backend.add") == 0;

		if (!json_is_object(v = json_object_get(res, "backend")))
			return unexpected(r, "no \"backend\" object");
		fprintf(r->out, "%s backend %s %s VIP %s: %s\n", add ? "added" : "changed", TEXT(v, "address"),
			add ? "to" : "of", vip_name(r->args, vip, sizeof(vip)), backend_summary(v, sum, sizeof(sum)));
	} else if (strcmp(r->op, "backend.remove") == 0) {
		fprintf(r->out, "removed backend %s from VIP %s\n", TEXT(r->args, "address"),
			vip_name(r->args, vip, sizeof(vip)));
	} else if (strcmp(r->op, "conntrack.flush") == 0) {
		if (!json_is_integer(v = json_object_get(res, "flushed")))
			return unexpected(r, "no \"flushed\" count");
		fprintf(r->out, "flushed %" JSON_INTEGER_FORMAT " conntrack entr%s\n", json_integer_value(v),
			json_integer_value(v) == 1 ? "y" : "ies");
	} else if (strcmp(r->op, "reload") == 0) {
		fprintf(r->out, "reloaded the configuration file: state generation %s\n", TEXT(res, "state_generation"));
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
	struct render r = {out, json_object_get(request, "args"), json_string_value(json_object_get(request, "op")),
			   err, errlen};
	int rc;

	if (err != NULL && errlen != 0)
		err[0] = '\0';
	if (r.op == NULL)
		r.op = "";
	if (!json_is_object(result))
		return unexpected(&r, "the result is not an object");
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
		return r_room_list(&r, result);
	if (strcmp(r.op, "room.show") == 0)
		return r_room_show(&r, result);
	if (strcmp(r.op, "relay.slowpath") == 0)
		return r_slowpath(&r, result);
	rc = r_change(&r, result);
	if (rc <= 0)
		return rc;
	rc = r_relay_change(&r, result);
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

	clean(code, sizeof(code), r->code ? r->code : "?");
	clean(msg, sizeof(msg), r->message ? r->message : "");
	if (msg[0] != '\0')
		fprintf(out, "%s: %s\n", code, msg);
	else
		fprintf(out, "%s\n", code);
}
