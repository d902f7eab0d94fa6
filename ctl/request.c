/* SPDX-License-Identifier: BSD-3-Clause */
/* voxrelayctl's command line: global options, the command table and its usage, a command's words to a request. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "ctl.h"

enum ctl_kind {
	KIND_NONE,      /* the zeroed end of a list */
	KIND_ADDR,      /* an IPv4 or IPv6 literal */
	KIND_PORT,      /* 1..65535 */
	KIND_PORTS,     /* one port ("port") or a range A-B ("ports") */
	KIND_WEIGHT,    /* 1..65535 */
	KIND_STATE,     /* up, draining, down */
	KIND_HASH,      /* five-tuple, dst-port */
	KIND_ENCAP,     /* gue, ipip */
	KIND_BACKEND,   /* ADDR[:WEIGHT[:STATE]], repeatable, appended to an array */
	KIND_ADDR_PORT, /* --vip ADDR PORT: two words, into key (the address) and key2 (the port) */
	KIND_LIMIT,     /* 1..10000 */
	KIND_UINT,      /* lo..hi, says tells the range in a refusal */
	KIND_UINTS,     /* the same, repeatable (at most many), appended to an array; no value twice */
	KIND_SUITE,     /* an SRTP protection profile by its RFC name */
	KIND_KEY,       /* base64 master key || salt: never repeated in a message */
	KIND_FLAG,      /* an option without a value: true */
};

struct ctl_arg {
	const char *name; /* a positional's name in the usage, or an option's long name */
	const char *key;  /* its member in "args" */
	enum ctl_kind kind;
	const char *key2;  /* KIND_ADDR_PORT: the member of the port */
	uint32_t lo, hi;   /* KIND_UINT(S): the range */
	const char *says;  /* KIND_UINT(S): the range for people, "a member id is 0..4294967295" */
	unsigned many;     /* KIND_UINTS: at most this many */
	bool need;         /* an option that must be given */
};

#define CTL_MAX_POS 3
#define CTL_MAX_OPT 6

struct ctl_parse;

struct ctl_cmd {
	const char *word;
	const char *sub; /* the second word; NULL for one-word commands */
	const char *op;
	const char *usage; /* what follows the words in the usage line */
	struct ctl_arg pos[CTL_MAX_POS];
	struct ctl_arg opt[CTL_MAX_OPT];
	bool need_change; /* backend set without --weight or --state changes nothing */
	bool with_flows;  /* ask for the backend's live flows (a conntrack walk) in the answer */
	bool secret;      /* takes keys: a word that may be one is never repeated in a message */
	/* what a command checks once every word is read (arguments that go together) */
	int (*check)(struct ctl_parse *p, json_t *args);
};

#define STATES "up|draining|down"
#define SUITES "AES_CM_128_HMAC_SHA1_80|AEAD_AES_128_GCM|NONE"

/* A room is named by a relay VIP and a port of its range; a member by its id in the room. */
#define ROOM_POS {"VIP", "vip", KIND_ADDR}, {"PORT", "port", KIND_PORT}
#define MEMBER_POS ROOM_POS, {"ID", "id", KIND_UINT, .hi = UINT32_MAX, .says = "a member id is 0..4294967295"}
#define CLIENT_OPT {"client", "client_address", KIND_ADDR_PORT, "client_port"}

static int check_room_add(struct ctl_parse *p, json_t *args);
static int check_member_add(struct ctl_parse *p, json_t *args);

/* The table is the single source of the grammar: parsing and usage both read it. */
static const struct ctl_cmd ctl_cmds[] = {
	{"ping", NULL, "ping", ""},
	{"vip", "list", "vip.list", ""},
	{"vip", "add", "vip.add",
	 "ADDRESS PORT|A-B [--hash five-tuple|dst-port] [--encap gue|ipip] [--gue-port N] "
	 "[--backend ADDR[:WEIGHT[:STATE]]]...",
	 {{"ADDRESS", "address", KIND_ADDR}, {"PORT|A-B", NULL, KIND_PORTS}},
	 {{"hash", "hash", KIND_HASH},
	  {"encap", "encap", KIND_ENCAP},
	  {"gue-port", "gue_port", KIND_PORT},
	  {"backend", "backends", KIND_BACKEND}}},
	{"vip", "remove", "vip.remove", "ADDRESS PORT", {{"ADDRESS", "vip", KIND_ADDR}, {"PORT", "port", KIND_PORT}}},
	{"backend", "add", "backend.add", "VIP PORT ADDRESS [--weight N] [--state " STATES "]",
	 {{"VIP", "vip", KIND_ADDR}, {"PORT", "port", KIND_PORT}, {"ADDRESS", "address", KIND_ADDR}},
	 {{"weight", "weight", KIND_WEIGHT}, {"state", "state", KIND_STATE}},
	 .with_flows = true},
	{"backend", "remove", "backend.remove", "VIP PORT ADDRESS",
	 {{"VIP", "vip", KIND_ADDR}, {"PORT", "port", KIND_PORT}, {"ADDRESS", "address", KIND_ADDR}}},
	{"backend", "set", "backend.set", "VIP PORT ADDRESS [--weight N] [--state " STATES "]",
	 {{"VIP", "vip", KIND_ADDR}, {"PORT", "port", KIND_PORT}, {"ADDRESS", "address", KIND_ADDR}},
	 {{"weight", "weight", KIND_WEIGHT}, {"state", "state", KIND_STATE}},
	 .need_change = true, .with_flows = true},
	{"maglev", NULL, "maglev.shares", "VIP PORT", {{"VIP", "vip", KIND_ADDR}, {"PORT", "port", KIND_PORT}}},
	{"stats", NULL, "stats", ""},
	{"conntrack", "list", "conntrack.list", "[--client ADDR] [--backend ADDR] [--vip ADDR PORT] [--limit N]",
	 {{NULL}},
	 {{"client", "client", KIND_ADDR},
	  {"backend", "backend", KIND_ADDR},
	  {"vip", "vip", KIND_ADDR_PORT, "port"},
	  {"limit", "limit", KIND_LIMIT}}},
	{"conntrack", "flush", "conntrack.flush", "[--backend ADDR] [--vip ADDR PORT]",
	 {{NULL}},
	 {{"backend", "backend", KIND_ADDR}, {"vip", "vip", KIND_ADDR_PORT, "port"}}},
	{"health", "list", "health.list", ""},
	{"room", "add", "room.add", "VIP PORT [--max-members N] [--max-speakers N] [--audio-level-id N]",
	 {ROOM_POS},
	 {{"max-members", "max_members", KIND_UINT, .lo = 2, .hi = 256, .says = "the member limit is 2..256"},
	  {"max-speakers", "max_speakers", KIND_UINT, .lo = 1, .hi = 256, .says = "the speaker limit is 1..256"},
	  {"audio-level-id", "audio_level_id", KIND_UINT, .hi = 14,
	   .says = "an RTP header extension id is 0..14 (0: none)"}},
	 .check = check_room_add},
	{"room", "remove", "room.remove", "VIP PORT", {ROOM_POS}},
	{"room", "list", "room.list", ""},
	{"room", "show", "room.show", "VIP PORT", {ROOM_POS}},
	{"member", "add", "member.add",
	 "VIP PORT ID --ssrc N [--ssrc N]... [--suite " SUITES "] --tx-key B64 --rx-key B64 "
	 "[--client ADDR PORT] [--clock-rate HZ]",
	 {MEMBER_POS},
	 {{"ssrc", "ssrcs", KIND_UINTS, .hi = UINT32_MAX, .says = "an SSRC is 0..4294967295", .many = 4, .need = true},
	  {"suite", "suite", KIND_SUITE},
	  {"tx-key", "tx_key", KIND_KEY},
	  {"rx-key", "rx_key", KIND_KEY},
	  CLIENT_OPT,
	  {"clock-rate", "clock_rate", KIND_UINT, .lo = 1000, .hi = 192000, .says = "the clock rate is 1000..192000 Hz"}},
	 .secret = true, .check = check_member_add},
	{"member", "remove", "member.remove", "VIP PORT ID", {MEMBER_POS}},
	{"member", "set", "member.set", "VIP PORT ID [--client ADDR PORT]", {MEMBER_POS}, {CLIENT_OPT}},
	{"slowpath", NULL, "relay.slowpath", "[--max N] [--peek]",
	 {{NULL}},
	 {{"max", "max", KIND_UINT, .lo = 1, .hi = 10000, .says = "the maximum is 1..10000 datagrams"},
	  {"peek", "peek", KIND_FLAG}}},
	{"reload", NULL, "reload", ""},
};

#define NB_CMDS (sizeof(ctl_cmds) / sizeof(ctl_cmds[0]))
#define GLOBAL_USAGE VR_CTL_PROG " [-s SOCKET] [--json] [--timeout S]"

/* What one parse needs to report an error: where, and which command. */
struct ctl_parse {
	char *err;
	size_t errlen;
	const struct ctl_cmd *cmd;
	int rc;
};

/* ------------------------------------------------------------------ */
/* messages */

static int fail(struct ctl_parse *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(struct ctl_parse *p, const char *fmt, ...)
{
	va_list ap;
	int n = 0;

	if (p->rc)
		return p->rc; /* the first problem is the one reported */
	p->rc = -EINVAL;
	if (p->err == NULL || p->errlen == 0)
		return p->rc;
	if (p->cmd != NULL)
		n = p->cmd->sub ? snprintf(p->err, p->errlen, "%s %s: ", p->cmd->word, p->cmd->sub)
				: snprintf(p->err, p->errlen, "%s: ", p->cmd->word);
	if (n < 0 || (size_t)n >= p->errlen)
		return p->rc;
	va_start(ap, fmt);
	vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return p->rc;
}

static int nomem(struct ctl_parse *p)
{
	if (p->rc == 0) {
		p->rc = -ENOMEM;
		if (p->err != NULL && p->errlen != 0)
			snprintf(p->err, p->errlen, "out of memory");
	}
	return p->rc;
}

/*
 * User text in a message: printable, short enough to keep the message one
 * readable line, quoted when it is a value (an option name reads better bare).
 * n bounds the length of s.
 */
static const char *quote(const char *s, size_t n, bool marks, char *buf, size_t len)
{
	size_t o = 0, i;

	if (marks)
		buf[o++] = '"';
	for (i = 0; i < n && s[i] != '\0' && o + 5 < len; i++) {
		unsigned char ch = (unsigned char)s[i];
		buf[o++] = (ch >= 0x20 && ch != 0x7f) ? (char)ch : '?';
	}
	if (i < n && s[i] != '\0') {
		buf[o++] = '.';
		buf[o++] = '.';
		buf[o++] = '.';
	}
	if (marks)
		buf[o++] = '"';
	buf[o] = '\0';
	return buf;
}

#define Q(s) quote((s), SIZE_MAX, true, (char[72]){0}, 72)
/* an option as typed, without its "=value" */
#define OPT(s) quote((s), strcspn((s), "="), false, (char[72]){0}, 72)

/* ------------------------------------------------------------------ */
/* values */

/* Digits only: no sign, no blanks, no base prefixes a user would not mean. */
static bool parse_uint(const char *s, uint32_t min, uint32_t max, uint32_t *v)
{
	uint64_t x = 0;
	size_t i;

	if (s[0] == '\0')
		return false;
	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] < '0' || s[i] > '9' || i >= 10)
			return false;
		x = x * 10 + (uint64_t)(s[i] - '0');
	}
	if (x < min || x > max)
		return false;
	*v = (uint32_t)x;
	return true;
}

static bool is_addr(const char *s)
{
	unsigned char buf[16];

	return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

static bool one_of(const char *s, const char *const *words)
{
	for (; *words != NULL; words++)
		if (strcmp(s, *words) == 0)
			return true;
	return false;
}

static const char *const states[] = {"up", "draining", "down", NULL};
static const char *const hashes[] = {"five-tuple", "dst-port", NULL};
static const char *const encaps[] = {"gue", "ipip", NULL};
static const char *const suites[] = {"AES_CM_128_HMAC_SHA1_80", "AEAD_AES_128_GCM", "NONE", NULL};

static bool is_b64(char ch)
{
	return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '+' ||
	       ch == '/';
}

/* Bytes of a base64 text (RFC 4648 4: padded to a multiple of 4 characters, nothing else), -1 if not one. */
static int b64_bytes(const char *s)
{
	size_t n = strlen(s), pad = 0;

	if (n == 0 || n % 4 != 0 || n > 1024)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '=') {
			if (i + 2 < n)
				return -1;
			pad++;
		} else if (pad != 0 || !is_b64(s[i])) {
			return -1;
		}
	}
	return (int)(n / 4 * 3 - pad);
}

/*
 * A word that could be a key or a piece of one: keys are 40 characters of
 * base64; numbers, addresses and suite names are shorter or use other
 * characters.
 */
static bool may_be_key(const char *s)
{
	size_t n;

	for (n = 0; s[n] != '\0'; n++)
		if (!is_b64(s[n]) && s[n] != '=')
			return false;
	return n >= 12;
}

/* A value in a message: quoted, unless the command takes keys and it could be one (misplaced, say). */
static const char *shown(const struct ctl_parse *p, const char *s, char *buf, size_t len)
{
	if (p->cmd != NULL && p->cmd->secret && may_be_key(s))
		return "(not shown: it may be a key)";
	return quote(s, SIZE_MAX, true, buf, len);
}

#define V(s) shown(p, (s), (char[72]){0}, 72)

static int set(struct ctl_parse *p, json_t *obj, const char *key, json_t *v)
{
	if (v == NULL || json_object_set_new(obj, key, v) != 0)
		return nomem(p);
	return 0;
}

/* ADDR[:WEIGHT[:STATE]]; an IPv6 address with more than itself goes in brackets. */
static int add_backend(struct ctl_parse *p, const char *what, const char *spec, json_t *args)
{
	char addr[INET6_ADDRSTRLEN + 1];
	const char *rest, *a = spec, *colon;
	size_t alen;
	json_t *list, *b;
	uint32_t w;
	int rc;

	if (spec[0] == '[') {
		const char *close = strchr(spec, ']');

		if (close == NULL || (close[1] != '\0' && close[1] != ':'))
			return fail(p, "bad %s %s: write [IPV6]:WEIGHT[:STATE]", what, V(spec));
		a = spec + 1;
		alen = (size_t)(close - a);
		rest = close + 1;
	} else if (is_addr(spec)) {
		alen = strlen(spec);
		rest = spec + alen;
	} else {
		colon = strchr(spec, ':');
		alen = colon ? (size_t)(colon - spec) : strlen(spec);
		rest = spec + alen;
	}
	if (alen >= sizeof(addr))
		alen = sizeof(addr) - 1; /* too long for any address: is_addr refuses it */
	memcpy(addr, a, alen);
	addr[alen] = '\0';
	if (!is_addr(addr) || (spec[0] == '[' && strchr(addr, ':') == NULL))
		return fail(p, "bad %s %s: write ADDR[:WEIGHT[:STATE]] with an IP address, [IPV6]:WEIGHT[:STATE] for IPv6",
			    what, V(spec));

	b = json_object();
	if (b == NULL)
		return nomem(p);
	if ((rc = set(p, b, "address", json_string(addr))) != 0)
		goto out;
	if (*rest == ':') {
		char wbuf[16];
		const char *st;
		size_t wlen;

		rest++;
		st = strchr(rest, ':');
		wlen = st ? (size_t)(st - rest) : strlen(rest);
		if (wlen >= sizeof(wbuf) || (memcpy(wbuf, rest, wlen), wbuf[wlen] = '\0', !parse_uint(wbuf, 1, 65535, &w))) {
			rc = fail(p, "bad %s %s: the weight is 1..65535", what, V(spec));
			goto out;
		}
		if ((rc = set(p, b, "weight", json_integer(w))) != 0)
			goto out;
		if (st != NULL) {
			if (!one_of(st + 1, states)) {
				rc = fail(p, "bad %s %s: the state is up, draining or down", what, V(spec));
				goto out;
			}
			if ((rc = set(p, b, "state", json_string(st + 1))) != 0)
				goto out;
		}
	}
	list = json_object_get(args, "backends");
	if (list == NULL) {
		if ((rc = set(p, args, "backends", json_array())) != 0)
			goto out;
		list = json_object_get(args, "backends");
	}
	if (json_array_append(list, b) != 0)
		rc = nomem(p);
out:
	json_decref(b);
	return rc;
}

/* One more value of a repeatable integer option, appended to its array: in range, at most a->many, none twice. */
static int add_uint(struct ctl_parse *p, const struct ctl_arg *a, const char *what, const char *s, json_t *args)
{
	json_t *list = json_object_get(args, a->key), *x;
	uint32_t v;
	size_t i;

	if (!parse_uint(s, a->lo, a->hi, &v))
		return fail(p, "bad %s %s: %s", what, V(s), a->says);
	if (list == NULL) {
		if (set(p, args, a->key, json_array()) != 0)
			return p->rc;
		list = json_object_get(args, a->key);
	}
	if (json_array_size(list) >= a->many)
		return fail(p, "at most %u %s", a->many, what);
	json_array_foreach(list, i, x) {
		if (json_integer_value(x) == (json_int_t)v)
			return fail(p, "%s %u given twice", what, v);
	}
	if (json_array_append_new(list, json_integer(v)) != 0)
		return nomem(p);
	return 0;
}

/* Checks one argument (what: "PORT", "--weight", ...) and puts it into args. */
static int take(struct ctl_parse *p, const struct ctl_arg *a, const char *what, const char *s, json_t *args)
{
	uint32_t v, hi;

	switch (a->kind) {
	case KIND_ADDR:
		if (!is_addr(s))
			return fail(p, "bad %s %s: not an IPv4 or IPv6 address", what, V(s));
		return set(p, args, a->key, json_string(s));
	case KIND_PORT:
		if (!parse_uint(s, 1, 65535, &v))
			return fail(p, "bad %s %s: a port is 1..65535", what, V(s));
		return set(p, args, a->key, json_integer(v));
	case KIND_PORTS: {
		const char *dash = strchr(s, '-');
		char lo[16], buf[16];

		if (dash == NULL) {
			if (!parse_uint(s, 1, 65535, &v))
				return fail(p, "bad %s %s: a port 1..65535 or a range A-B of them", what, V(s));
			return set(p, args, "port", json_integer(v));
		}
		if ((size_t)(dash - s) >= sizeof(lo))
			return fail(p, "bad %s %s: a port 1..65535 or a range A-B of them", what, V(s));
		memcpy(lo, s, (size_t)(dash - s));
		lo[dash - s] = '\0';
		if (!parse_uint(lo, 1, 65535, &v) || !parse_uint(dash + 1, 1, 65535, &hi))
			return fail(p, "bad %s %s: a port 1..65535 or a range A-B of them", what, V(s));
		if (v > hi)
			return fail(p, "bad %s %s: the range is reversed", what, V(s));
		/* canonical, whatever zeros the user typed */
		snprintf(buf, sizeof(buf), "%u-%u", v, hi);
		return set(p, args, "ports", json_string(buf));
	}
	case KIND_WEIGHT:
		if (!parse_uint(s, 1, 65535, &v))
			return fail(p, "bad %s %s: a weight is 1..65535", what, V(s));
		return set(p, args, a->key, json_integer(v));
	case KIND_LIMIT:
		if (!parse_uint(s, 1, 10000, &v))
			return fail(p, "bad %s %s: the limit is 1..10000", what, V(s));
		return set(p, args, a->key, json_integer(v));
	case KIND_STATE:
		if (!one_of(s, states))
			return fail(p, "bad %s %s: up, draining or down", what, V(s));
		return set(p, args, a->key, json_string(s));
	case KIND_HASH:
		if (!one_of(s, hashes))
			return fail(p, "bad %s %s: five-tuple or dst-port", what, V(s));
		return set(p, args, a->key, json_string(s));
	case KIND_ENCAP:
		if (!one_of(s, encaps))
			return fail(p, "bad %s %s: gue or ipip", what, V(s));
		return set(p, args, a->key, json_string(s));
	case KIND_BACKEND:
		return add_backend(p, what, s, args);
	case KIND_UINT:
		if (!parse_uint(s, a->lo, a->hi, &v))
			return fail(p, "bad %s %s: %s", what, V(s), a->says);
		return set(p, args, a->key, json_integer(v));
	case KIND_UINTS:
		return add_uint(p, a, what, s, args);
	case KIND_SUITE:
		if (!one_of(s, suites))
			return fail(p, "bad %s %s: AES_CM_128_HMAC_SHA1_80, AEAD_AES_128_GCM or NONE", what, V(s));
		return set(p, args, a->key, json_string(s));
	case KIND_KEY:
		/* what was typed stays out of the message: it may be most of a key */
		if (b64_bytes(s) < 0)
			return fail(p, "bad %s: not base64 (A-Z, a-z, 0-9, + and /, padded with = to a multiple of 4 "
				    "characters)", what);
		return set(p, args, a->key, json_string(s));
	case KIND_FLAG:
		return set(p, args, a->key, json_true());
	case KIND_ADDR_PORT:
	case KIND_NONE:
		break;
	}
	return fail(p, "internal error: argument kind %d", (int)a->kind);
}

/* ------------------------------------------------------------------ */
/* arguments that go together */

/* Both limits given: the dataplane would refuse more speakers than members. */
static int check_room_add(struct ctl_parse *p, json_t *args)
{
	const json_t *m = json_object_get(args, "max_members"), *sp = json_object_get(args, "max_speakers");

	if (m != NULL && sp != NULL && json_integer_value(sp) > json_integer_value(m))
		return fail(p, "--max-speakers %" JSON_INTEGER_FORMAT " is more than --max-members %" JSON_INTEGER_FORMAT,
			    json_integer_value(sp), json_integer_value(m));
	return 0;
}

/*
 * The keys the suite takes (master key || salt, RFC 4568 6.1): 30 bytes for
 * AES_CM_128_HMAC_SHA1_80 (the default), 28 for AEAD_AES_128_GCM, none for
 * NONE. The suite may come after the keys, hence the check at the end.
 */
static int check_member_add(struct ctl_parse *p, json_t *args)
{
	static const char *const keys[][2] = {{"tx_key", "--tx-key"}, {"rx_key", "--rx-key"}};
	const char *suite = json_string_value(json_object_get(args, "suite"));
	int need;

	if (suite == NULL)
		suite = "AES_CM_128_HMAC_SHA1_80";
	need = strcmp(suite, "NONE") == 0 ? 0 : strcmp(suite, "AEAD_AES_128_GCM") == 0 ? 28 : 30;
	for (size_t i = 0; i < 2; i++) {
		const char *k = json_string_value(json_object_get(args, keys[i][0]));
		int n;

		if (need == 0) {
			if (k != NULL)
				return fail(p, "--suite NONE takes no keys: leave out %s", keys[i][1]);
			continue;
		}
		if (k == NULL)
			return fail(p, "missing %s", keys[i][1]);
		n = b64_bytes(k);
		if (n != need)
			return fail(p, "bad %s: %d bytes, %s takes %d (master key || salt)", keys[i][1], n, suite, need);
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* commands */

static const struct ctl_cmd *find_cmd(int argc, char **argv, bool *word_known)
{
	*word_known = false;
	if (argc < 1)
		return NULL;
	for (size_t i = 0; i < NB_CMDS; i++) {
		const struct ctl_cmd *c = &ctl_cmds[i];

		if (strcmp(argv[0], c->word) != 0)
			continue;
		*word_known = true;
		if (c->sub == NULL || (argc >= 2 && strcmp(argv[1], c->sub) == 0))
			return c;
	}
	return NULL;
}

static bool is_global_option(const char *s)
{
	static const char *const globals[] = {"--socket", "--json", "--timeout", NULL};
	char name[16];
	size_t n = strcspn(s, "=");

	if (s[0] == '-' && s[1] == 's')
		return true; /* -s PATH, -sPATH */
	if (n >= sizeof(name))
		return false;
	memcpy(name, s, n);
	name[n] = '\0';
	return one_of(name, globals);
}

static int parse_cmd(struct ctl_parse *p, int argc, char **argv, json_t *args)
{
	const struct ctl_cmd *c = p->cmd;
	struct option longs[CTL_MAX_OPT + 1];
	unsigned nb_pos = 0, nb_opt = 0, seen = 0, max_pos = 0;
	int skip = c->sub ? 1 : 0; /* getopt takes the last command word for the program */
	int gargc = argc - skip, ch;
	char **gargv = argv + skip;

	while (max_pos < CTL_MAX_POS && c->pos[max_pos].name != NULL)
		max_pos++;
	for (; nb_opt < CTL_MAX_OPT && c->opt[nb_opt].name != NULL; nb_opt++)
		longs[nb_opt] = (struct option){c->opt[nb_opt].name,
						c->opt[nb_opt].kind == KIND_FLAG ? no_argument : required_argument, NULL,
						0x100 + (int)nb_opt};
	longs[nb_opt] = (struct option){NULL, 0, NULL, 0};

	/* "-": positionals come back in order, so nothing is permuted and
	 * --vip and --client can take the word after their argument; ":":
	 * report a missing argument apart from an unknown option. */
	optind = 0;
	opterr = 0;
	while (p->rc == 0) {
		/* with no short options, any failure is at the word getopt starts on */
		int at = optind > 0 ? optind : 1;

		ch = getopt_long(gargc, gargv, "-:", longs, NULL);
		if (ch == -1)
			break;
		if (ch == 1) {
			if (nb_pos == max_pos)
				return fail(p, "unexpected argument %s", V(optarg));
			take(p, &c->pos[nb_pos], c->pos[nb_pos].name, optarg, args);
			nb_pos++;
		} else if (ch >= 0x100 && ch < 0x100 + (int)nb_opt) {
			const struct ctl_arg *a = &c->opt[ch - 0x100];
			char what[24];
			unsigned bit = 1u << (ch - 0x100);

			snprintf(what, sizeof(what), "--%s", a->name);
			if ((seen & bit) && a->kind != KIND_BACKEND && a->kind != KIND_UINTS)
				return fail(p, "%s given twice", what);
			seen |= bit;
			if (a->kind == KIND_ADDR_PORT) {
				const char *port = optind < gargc ? gargv[optind] : NULL;
				const struct ctl_arg addr = {a->name, a->key, KIND_ADDR};
				const struct ctl_arg aport = {a->name, a->key2, KIND_PORT};
				char what2[40];

				if (port == NULL || (port[0] == '-' && port[1] != '\0'))
					return fail(p, "%s needs ADDR PORT", what);
				optind++;
				snprintf(what2, sizeof(what2), "%s ADDR", what);
				if (take(p, &addr, what2, optarg, args) == 0) {
					snprintf(what2, sizeof(what2), "%s PORT", what);
					take(p, &aport, what2, port, args);
				}
			} else {
				take(p, a, what, optarg, args);
			}
		} else if (ch == ':') {
			return fail(p, "%s needs an argument", OPT(gargv[optind - 1]));
		} else if (optopt >= 0x100 && optopt < 0x100 + (int)nb_opt) {
			/* getopt names the option for a flag given a value, and only for that */
			return fail(p, "--%s takes no value", c->opt[optopt - 0x100].name);
		} else if (is_global_option(gargv[at])) {
			const char *w = gargv[at];

			return fail(p, "%s is a global option: put it before the command", w[1] == 's' ? "-s" : OPT(w));
		} else {
			return fail(p, "unknown option %s", OPT(gargv[at]));
		}
	}
	/* after "--" every word is a positional */
	for (; p->rc == 0 && optind < gargc; optind++) {
		if (nb_pos == max_pos)
			return fail(p, "unexpected argument %s", V(gargv[optind]));
		take(p, &c->pos[nb_pos], c->pos[nb_pos].name, gargv[optind], args);
		nb_pos++;
	}
	if (p->rc)
		return p->rc;
	if (nb_pos < max_pos)
		return fail(p, "missing %s", c->pos[nb_pos].name);
	for (unsigned i = 0; i < nb_opt; i++)
		if (c->opt[i].need && !(seen & (1u << i)))
			return fail(p, "missing --%s", c->opt[i].name);
	if (c->need_change && json_object_get(args, "weight") == NULL && json_object_get(args, "state") == NULL)
		return fail(p, "nothing to change: give --weight or --state");
	if (c->check != NULL)
		return c->check(p, args);
	return p->rc;
}

json_t *vr_ctl_build_request(int argc, char **argv, char *err, size_t errlen)
{
	struct ctl_parse p = {err, errlen, NULL, 0};
	json_t *req = NULL, *args = NULL;
	bool word_known;
	int rc;

	if (err != NULL && errlen != 0)
		err[0] = '\0';
	p.cmd = find_cmd(argc, argv, &word_known);
	if (p.cmd == NULL) {
		if (argc < 1)
			rc = fail(&p, "missing command");
		else if (!word_known)
			rc = fail(&p, "unknown command %s", Q(argv[0]));
		else if (argc < 2)
			rc = fail(&p, "%s: missing subcommand", argv[0]);
		else
			rc = fail(&p, "%s: unknown subcommand %s", argv[0], Q(argv[1]));
		goto fail;
	}
	args = json_object();
	req = json_object();
	if (args == NULL || req == NULL) {
		rc = nomem(&p);
		goto fail;
	}
	rc = parse_cmd(&p, argc, argv, args);
	if (rc == 0 && p.cmd->with_flows)
		rc = set(&p, args, "flows", json_true());
	if (rc != 0)
		goto fail;
	if ((rc = set(&p, req, "op", json_string(p.cmd->op))) != 0)
		goto fail;
	/* "args may be omitted when an operation has none" */
	if (json_object_size(args) != 0 && (rc = set(&p, req, "args", json_incref(args))) != 0)
		goto fail;
	json_decref(args);
	return req;
fail:
	json_decref(args);
	json_decref(req);
	errno = -rc;
	return NULL;
}

/* ------------------------------------------------------------------ */
/* usage */

bool vr_ctl_wants_help(int argc, char **argv)
{
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
			return true;
	}
	return false;
}

static void usage_line(FILE *f, const char *lead, const struct ctl_cmd *c)
{
	fprintf(f, "%s%s%s%s%s%s\n", lead, c->word, c->sub ? " " : "", c->sub ? c->sub : "", c->usage[0] ? " " : "",
		c->usage);
}

void vr_ctl_usage(FILE *f, int argc, char **argv)
{
	bool word_known;
	const struct ctl_cmd *c = find_cmd(argc, argv, &word_known);

	if (c != NULL) {
		usage_line(f, "usage: " GLOBAL_USAGE " ", c);
		return;
	}
	fprintf(f, "usage: " GLOBAL_USAGE " COMMAND [ARGS]\n");
	for (size_t i = 0; i < NB_CMDS; i++)
		if (!word_known || strcmp(ctl_cmds[i].word, argv[0]) == 0)
			usage_line(f, "  ", &ctl_cmds[i]);
}

void vr_ctl_help(FILE *f)
{
	vr_ctl_usage(f, 0, NULL);
	fprintf(f,
		"Asks voxrelay-dp for its state or changes it, over its control socket.\n"
		"  -s, --socket PATH  the socket (default $" VR_CTL_SOCKET_ENV ", else " VR_CTL_DEFAULT_SOCKET ")\n"
		"      --json         print the dataplane's result as JSON\n"
		"      --timeout S    give up after S seconds, connecting and answering together (default %u)\n"
		"  -h, --help         this text; after a command: that command's usage\n"
		"An IPv6 backend with a weight is written [ADDR]:WEIGHT[:STATE].\n"
		"A member's keys are base64 of its SRTP master key and salt (30 bytes, 28 for AEAD_AES_128_GCM):\n"
		"--tx-key the one it sends with, --rx-key the one it receives with.\n"
		"Exit status: 0 done; 1 the dataplane refused (its code and message on stderr);\n"
		"2 bad arguments; 3 the dataplane cannot be reached (nothing was sent);\n"
		"4 no answer in time, or not a valid one (a change may have been applied all the same).\n",
		VR_CTL_DEFAULT_TIMEOUT_MS / 1000);
}

/* ------------------------------------------------------------------ */
/* global options */

/* Seconds, decimals allowed, so that tests and scripts can wait less than one. */
static bool parse_timeout(const char *s, unsigned *ms)
{
	unsigned long long whole = 0, frac = 0, scale = 1;
	const char *c = s;

	if (*c == '\0' || *c == '.')
		return false;
	for (; *c >= '0' && *c <= '9'; c++) {
		whole = whole * 10 + (unsigned long long)(*c - '0');
		if (whole > VR_CTL_MAX_TIMEOUT_MS / 1000)
			return false;
	}
	if (*c == '.') {
		if (c[1] == '\0')
			return false;
		for (c++; *c >= '0' && *c <= '9'; c++) {
			if (scale < 1000) {
				frac = frac * 10 + (unsigned long long)(*c - '0');
				scale *= 10;
			} else if (*c != '0') {
				frac++; /* below a millisecond: round up, never to zero */
				break;
			}
		}
		while (*c >= '0' && *c <= '9')
			c++;
	}
	if (*c != '\0')
		return false;
	while (scale < 1000) {
		frac *= 10;
		scale *= 10;
	}
	whole = whole * 1000 + frac;
	if (whole == 0 || whole > VR_CTL_MAX_TIMEOUT_MS)
		return false;
	*ms = (unsigned)whole;
	return true;
}

int vr_ctl_parse_options(int argc, char **argv, struct vr_ctl_opts *o, char *err, size_t errlen)
{
	static const struct option longs[] = {
		{"socket", required_argument, NULL, 's'},
		{"json", no_argument, NULL, 'j'},
		{"timeout", required_argument, NULL, 't'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct ctl_parse p = {err, errlen, NULL, 0};
	const char *env = getenv(VR_CTL_SOCKET_ENV);
	int ch;

	if (err != NULL && errlen != 0)
		err[0] = '\0';
	*o = (struct vr_ctl_opts){
		.socket = env != NULL && env[0] != '\0' ? env : VR_CTL_DEFAULT_SOCKET,
		.timeout_ms = VR_CTL_DEFAULT_TIMEOUT_MS,
	};
	/* "+": stop at the command word, whose own options are parse_cmd's */
	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+:s:h", longs, NULL)) != -1) {
		switch (ch) {
		case 's':
			o->socket = optarg;
			break;
		case 'j':
			o->json = true;
			break;
		case 't':
			if (!parse_timeout(optarg, &o->timeout_ms))
				return fail(&p, "bad --timeout %s: seconds, more than 0 and at most %u", Q(optarg),
					    VR_CTL_MAX_TIMEOUT_MS / 1000);
			break;
		case 'h':
			o->help = true;
			break;
		case ':':
			return fail(&p, "%s needs an argument", OPT(argv[optind - 1]));
		default:
			if (optopt != 0 && strncmp(argv[optind - 1], "--", 2) == 0)
				return fail(&p, "%s takes no value", OPT(argv[optind - 1]));
			if (optopt != 0 && optopt >= 0x20 && optopt < 0x7f)
				return fail(&p, "unknown option -%c", optopt);
			if (optopt != 0)
				return fail(&p, "unknown option -?");
			return fail(&p, "unknown option %s", OPT(argv[optind - 1]));
		}
	}
	o->cmd_index = optind;
	if (o->help)
		return 0;
	if (o->socket[0] == '\0')
		return fail(&p, "empty socket path");
	if (strlen(o->socket) >= sizeof(((struct sockaddr_un *)0)->sun_path))
		return fail(&p, "socket path %s is too long (at most %zu bytes)", Q(o->socket),
			    sizeof(((struct sockaddr_un *)0)->sun_path) - 1);
	if (optind >= argc)
		return fail(&p, "missing command");
	return 0;
}
