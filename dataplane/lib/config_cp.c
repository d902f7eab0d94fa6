/* SPDX-License-Identifier: BSD-3-Clause */
/* The controlplane section's checks across keys (TLS pair, auth keys, timers, limits) and the Redis URL parser. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "voxrelay/config.h"

#include "config_priv.h"

/* ------------------------------------------------------------------ */
/* Redis URL: redis://[[user]:password@]host[:port][/db], rediss://..., unix://[[user]:password@]/path[?db=N] */

#define REDIS_DEFAULT_PORT 6379
#define REDIS_MAX_DB 15

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* Percent-decode @len bytes at @s into @out (@size with the NUL); a password may hold any byte but NUL. */
static int pct_decode(const char *s, size_t len, char *out, size_t size, const char **why, const char *what_long)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch == '%') {
			int hi = i + 2 < len ? hexval(s[i + 1]) : -1;
			int lo = hi >= 0 ? hexval(s[i + 2]) : -1;

			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
				*why = "bad percent-encoding in the user or password (%XX, not %00)";
				return -EINVAL;
			}
			ch = (unsigned char)(hi * 16 + lo);
			i += 2;
		} else if (ch < 0x20 || ch == 0x7f) {
			*why = "control character in the user or password";
			return -EINVAL;
		}
		if (o + 1 >= size) {
			*why = what_long;
			return -EINVAL;
		}
		out[o++] = (char)ch;
	}
	out[o] = '\0';
	return 0;
}

/* "[user]:password" (@len bytes) into @out. */
static int parse_userinfo(const char *s, size_t len, struct vr_redis_url *out, const char **why)
{
	const char *colon = memchr(s, ':', len);

	if (!colon) {
		*why = "the part before '@' must be [user]:password";
		return -EINVAL;
	}
	if ((size_t)(colon - s) + 1 == len) {
		*why = "the password before '@' is empty";
		return -EINVAL;
	}
	if (pct_decode(s, (size_t)(colon - s), out->user, sizeof(out->user), why, "the user is longer than 127 bytes"))
		return -EINVAL;
	return pct_decode(colon + 1, len - (size_t)(colon - s) - 1, out->password, sizeof(out->password), why,
			  "the password is longer than 255 bytes");
}

/* Decimal digits @s..@e into @v, at most @max; false if empty, not digits or too large. */
static bool parse_num(const char *s, const char *e, uint32_t max, uint32_t *v)
{
	uint64_t n = 0;

	if (s == e)
		return false;
	for (; s < e; s++) {
		if (*s < '0' || *s > '9')
			return false;
		n = n * 10 + (uint64_t)(*s - '0');
		if (n > max)
			return false;
	}
	*v = (uint32_t)n;
	return true;
}

/* "host[:port]" (@s..@e) into @out: a name, an IPv4 address or [IPv6]. */
static int parse_hostport(const char *s, const char *e, struct vr_redis_url *out, const char **why)
{
	const char *h = s, *he, *ps = NULL;
	uint8_t b[16];
	uint32_t port;

	if (*s == '[') {
		const char *rb = memchr(s, ']', (size_t)(e - s));
		char a[INET6_ADDRSTRLEN + 1];

		if (!rb) {
			*why = "'[' without ']' around the IPv6 address";
			return -EINVAL;
		}
		h = s + 1;
		he = rb;
		if ((size_t)(he - h) >= sizeof(a) || he == h) {
			*why = "not an IPv6 address in the brackets";
			return -EINVAL;
		}
		memcpy(a, h, (size_t)(he - h));
		a[he - h] = '\0';
		if (inet_pton(AF_INET6, a, b) != 1) {
			*why = "not an IPv6 address in the brackets";
			return -EINVAL;
		}
		if (rb + 1 < e && rb[1] != ':') {
			*why = "unexpected text after ']'";
			return -EINVAL;
		}
		ps = rb + 1 < e ? rb + 2 : NULL;
	} else {
		const char *colon = memchr(s, ':', (size_t)(e - s));

		he = colon ? colon : e;
		if (colon && memchr(colon + 1, ':', (size_t)(e - colon - 1))) {
			*why = "an IPv6 host goes in brackets: redis://[::1]:6379";
			return -EINVAL;
		}
		ps = colon ? colon + 1 : NULL;
		for (const char *p = h; p < he; p++)
			if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
			      *p == '.' || *p == '-' || *p == '_')) {
				*why = "the host may hold only letters, digits, '.', '-' and '_'";
				return -EINVAL;
			}
	}
	if (he == h) {
		*why = "no host";
		return -EINVAL;
	}
	if ((size_t)(he - h) >= sizeof(out->host)) {
		*why = "the host is longer than 255 bytes";
		return -EINVAL;
	}
	memcpy(out->host, h, (size_t)(he - h));
	out->host[he - h] = '\0';
	out->port = REDIS_DEFAULT_PORT;
	if (ps) {
		if (!parse_num(ps, e, 99999, &port)) {
			*why = "the port is not a number 1..65535";
			return -EINVAL;
		}
		if (port < 1 || port > 65535) {
			*why = "the port is out of range 1..65535";
			return -EINVAL;
		}
		out->port = (uint16_t)port;
	}
	return 0;
}

static int parse_db(const char *s, const char *e, uint32_t *db, const char **why)
{
	if (s == e)
		return 0; /* "/" alone: database 0 */
	if (!parse_num(s, e, 99999, db)) {
		*why = "the database is not a number 0..15";
		return -EINVAL;
	}
	if (*db > REDIS_MAX_DB) {
		*why = "the database is out of range 0..15";
		return -EINVAL;
	}
	return 0;
}

int vr_cfg_redis_url_parse(const char *url, struct vr_redis_url *out, const char **why)
{
	const char *p, *end, *at;
	bool is_unix = false;

	*why = "no URL";
	if (!url || !out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	if (!strncmp(url, "redis://", 8)) {
		p = url + 8;
	} else if (!strncmp(url, "rediss://", 9)) {
		p = url + 9;
		out->tls = true;
	} else if (!strncmp(url, "unix://", 7)) {
		p = url + 7;
		is_unix = true;
	} else {
		*why = "expected redis://[[user]:password@]host[:port][/db], rediss://... (TLS) or unix:///path";
		return -EINVAL;
	}
	end = p + strcspn(p, "/?#");
	/* the user info ends at the authority's last '@': a raw '@' in a password still parses */
	at = NULL;
	for (const char *q = p; q < end; q++)
		if (*q == '@')
			at = q;
	if (at && parse_userinfo(p, (size_t)(at - p), out, why))
		return -EINVAL;
	p = at ? at + 1 : p;
	if (is_unix) {
		if (p != end || *end != '/') {
			*why = "unix:// takes a socket path and no host: unix:///run/redis.sock";
			return -EINVAL;
		}
		const char *pe = end + strcspn(end, "?#");
		if ((size_t)(pe - end) >= sizeof(out->unix_path)) {
			*why = "the socket path is longer than 107 bytes";
			return -EINVAL;
		}
		for (const char *q = end; q < pe; q++)
			if ((unsigned char)*q < 0x20 || *q == 0x7f) {
				*why = "control character in the socket path";
				return -EINVAL;
			}
		memcpy(out->unix_path, end, (size_t)(pe - end));
		out->unix_path[pe - end] = '\0';
		if (*pe == '\0')
			return 0;
		if (strncmp(pe, "?db=", 4) != 0) {
			*why = "unix:// takes only ?db=N after the path";
			return -EINVAL;
		}
		return parse_db(pe + 4, pe + strlen(pe), &out->db, why);
	}
	if (parse_hostport(p, end, out, why))
		return -EINVAL;
	if (*end == '\0')
		return 0;
	if (*end != '/') {
		*why = "a query or fragment is not supported; the database goes in the path: /0";
		return -EINVAL;
	}
	const char *de = end + 1 + strcspn(end + 1, "/?#");
	if (*de != '\0') {
		*why = "only a database number may follow the host: /0";
		return -EINVAL;
	}
	return parse_db(end + 1, de, &out->db, why);
}

int vr_redis_url_parse(const char *url, struct vr_redis_url *out)
{
	const char *why;

	return vr_cfg_redis_url_parse(url, out, &why);
}

/* ------------------------------------------------------------------ */
/* section hooks */

int vr_cfg_cp_limits_check(const struct vr_config *cfg, bool by_payload, char *buf, size_t len)
{
	/* one code point is 1..4 bytes of UTF-8: a message the payload limit cannot hold even in ASCII is a typo */
	if (cfg->cp_max_message_length <= cfg->cp_max_payload)
		return 0;
	if (by_payload)
		snprintf(buf, len, "%u is less than controlplane.limits.max_message_length (%u)", cfg->cp_max_payload,
			 cfg->cp_max_message_length);
	else
		snprintf(buf, len, "%u is more than controlplane.limits.max_payload (%u)", cfg->cp_max_message_length,
			 cfg->cp_max_payload);
	return -EINVAL;
}

/* A section's tls_cert and tls_key: both or neither (half a pair is a mistake, never a choice). */
static int cert_key_pair(struct vr_cfg_ctx *c, const struct vr_cfg_section *sec, yaml_node_t *const *given)
{
	yaml_node_t *cert = given[vr_cfg_key_idx(sec, "tls_cert")];
	yaml_node_t *key = given[vr_cfg_key_idx(sec, "tls_key")];

	if (cert && !key)
		return vr_cfg_fail_mark(c, &cert->start_mark, "%s.tls_cert: given without tls_key; give both or neither",
					c->path);
	if (key && !cert)
		return vr_cfg_fail_mark(c, &key->start_mark, "%s.tls_key: given without tls_cert; give both or neither",
					c->path);
	return 0;
}

int vr_cfg_post_cp_listen(struct vr_cfg_ctx *c, void *obj, const yaml_mark_t *mark, yaml_node_t *const *given)
{
	(void)obj;
	(void)mark;
	/* half a TLS setup would silently serve plain HTTP: refuse it */
	return cert_key_pair(c, &vr_cfg_cp_listen_section, given);
}

/* @url for a message, its password (after the user info's ':') as "***": messages end up in logs. */
static void redact_url(const char *url, char *buf, size_t len)
{
	const char *p = strstr(url, "://");
	const char *end, *at = NULL, *colon;

	snprintf(buf, len, "%s", url);
	if (!p)
		return;
	p += 3;
	end = p + strcspn(p, "/?#");
	for (const char *q = p; q < end; q++)
		if (*q == '@')
			at = q;
	if (!at || !(colon = memchr(p, ':', (size_t)(at - p))))
		return;
	snprintf(buf, len, "%.*s***%s", (int)(colon + 1 - url), url, at);
}

/* The tls_* keys of controlplane.redis: only with rediss://, the client certificate whole. */
static int post_cp_redis_tls(struct vr_cfg_ctx *c, const struct vr_redis_url *u, yaml_node_t *const *given)
{
	/* not tls_verify: the dump writes it always, and true or false changes nothing without TLS */
	static const char *const keys[] = {"tls_ca_file", "tls_cert", "tls_key", "tls_server_name"};

	/* trust settings with a plain URL would be silently ignored: the connection would not be what was asked */
	for (size_t i = 0; !u->tls && i < VR_ARRAY_SIZE(keys); i++) {
		yaml_node_t *n = given[vr_cfg_key_idx(&vr_cfg_cp_redis_section, keys[i])];

		if (n)
			return vr_cfg_fail_mark(c, &n->start_mark, "%s.%s: only for a rediss:// url (TLS)", c->path,
						keys[i]);
	}
	return cert_key_pair(c, &vr_cfg_cp_redis_section, given);
}

int vr_cfg_post_cp_redis(struct vr_cfg_ctx *c, void *obj, const yaml_mark_t *mark, yaml_node_t *const *given)
{
	const struct vr_config *cfg = obj;
	yaml_node_t *url = given[vr_cfg_key_idx(&vr_cfg_cp_redis_section, "url")];
	struct vr_redis_url u;
	const char *why;
	char shown[VR_CFG_CP_URL_LEN], q[96];

	if (vr_cfg_redis_url_parse(cfg->cp_redis_url, &u, &why) != 0) {
		redact_url(cfg->cp_redis_url, shown, sizeof(shown));
		return vr_cfg_fail_mark(c, url ? &url->start_mark : mark, "%s.url: %s: %s", c->path,
					vr_cfg_quote(shown, strlen(shown), q, sizeof(q)), why);
	}
	return post_cp_redis_tls(c, &u, given);
}

int vr_cfg_post_cp_auth(struct vr_cfg_ctx *c, void *obj, const yaml_mark_t *mark, yaml_node_t *const *given)
{
	const struct vr_config *cfg = obj;

	(void)given;
	/* defaults of an absent controlplane section need no key: voxrelay-dp alone never verifies tokens */
	if (!cfg->has_controlplane)
		return 0;
	if (!cfg->cp_auth_hs256_secret_file[0] && !cfg->cp_auth_public_key_file[0])
		return vr_cfg_fail_mark(c, mark,
					"%s: needs hs256_secret_file or public_key_file (the key that verifies tokens)",
					c->path);
	return 0;
}

int vr_cfg_post_cp_limits(struct vr_cfg_ctx *c, void *obj, const yaml_mark_t *mark, yaml_node_t *const *given)
{
	const struct vr_config *cfg = obj;
	yaml_node_t *len = given[vr_cfg_key_idx(&vr_cfg_cp_limits_section, "max_message_length")];
	yaml_node_t *pay = given[vr_cfg_key_idx(&vr_cfg_cp_limits_section, "max_payload")];
	char why[160];

	/* blame the key that was written: the other one holds its default */
	bool by_payload = !len && pay;

	if (vr_cfg_cp_limits_check(cfg, by_payload, why, sizeof(why)) == 0)
		return 0;
	yaml_node_t *at = by_payload ? pay : len;
	return vr_cfg_fail_mark(c, at ? &at->start_mark : mark, "%s.%s: %s", c->path,
				by_payload ? "max_payload" : "max_message_length", why);
}

int vr_cfg_post_cp(struct vr_cfg_ctx *c, void *obj, const yaml_mark_t *mark, yaml_node_t *const *given)
{
	const struct vr_config *cfg = obj;
	yaml_node_t *ttl = given[vr_cfg_key_idx(&vr_cfg_cp_section, "presence_ttl")];
	yaml_node_t *hb = given[vr_cfg_key_idx(&vr_cfg_cp_section, "heartbeat_interval")];
	char a[24], b[24];

	/* a presence that expires before the next heartbeat refreshes it flaps on every idle client */
	if (cfg->cp_presence_ttl_ms > cfg->cp_heartbeat_interval_ms)
		return 0;
	vr_cfg_fmt_duration(cfg->cp_presence_ttl_ms, a, sizeof(a));
	vr_cfg_fmt_duration(cfg->cp_heartbeat_interval_ms, b, sizeof(b));
	yaml_node_t *at = ttl ? ttl : hb;
	return vr_cfg_fail_mark(c, at ? &at->start_mark : mark,
				"%s.presence_ttl: %s must be longer than heartbeat_interval (%s)", c->path, a, b);
}
